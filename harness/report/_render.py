"""Render a :class:`Report` as self-contained HTML and as Markdown, and write the report folder."""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import InputError

from ._load import load_run
from ._model import Figure, Report, Table, Text
from ._sections import build_report

__all__ = ["ReportFiles", "render_html", "render_markdown", "write_report"]

# A strict content policy: the page may not fetch anything (images are data: URIs, styles inline, no scripts).
_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_CSS = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; margin: 0;
       line-height: 1.45; background: #fff; }
main { max-width: 960px; margin: 0 auto; padding: 24px 28px 64px; }
h1 { font-size: 1.8em; margin-bottom: 0.2em; }
h2 { font-size: 1.35em; border-bottom: 1px solid #d0d7de; padding-bottom: 0.2em; margin-top: 2em; }
.subtitle { color: #57606a; margin-top: 0; }
nav ol { columns: 2; padding-left: 1.4em; }
nav a, a { color: #0b5cad; }
figure { margin: 1.2em 0; }
figcaption { font-weight: 600; margin: 0.3em 0; }
img { max-width: 100%; height: auto; display: block; border: 1px solid #eaeef2; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.86em; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d0d7de; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; }
p.note { color: #57606a; font-size: 0.9em; }
p.absent { color: #7a4b00; background: #fff8e5; border-left: 4px solid #e0a100; padding: 6px 10px; }
p.verdict { font-size: 1.1em; font-weight: 600; background: #eef5ff; border-left: 4px solid #0b5cad;
            padding: 8px 12px; }
p.more { color: #57606a; font-size: 0.85em; font-style: italic; }
div.summary { background: #f6f8fa; border: 1px solid #d0d7de; padding: 4px 18px 8px; margin-top: 1.2em; }
div.summary h2 { margin-top: 0.6em; border-bottom: none; }
div.summary li { margin: 0.25em 0; }
footer { color: #57606a; font-size: 0.85em; margin-top: 3em; }
"""


def _cell(value: object, digits: int, *, whole: bool = False) -> tuple[str, bool]:
    """Display text of a cell and whether it is numeric (right-aligned).

    ``whole`` marks a float column whose values are all whole numbers (shown without decimals). Small non-zero
    values that would round to zero are shown in scientific notation instead.
    """
    if value is None or value is pd.NA:
        return "—", False
    if isinstance(value, bool | np.bool_):
        return ("yes" if value else "no"), False
    if isinstance(value, int | np.integer):
        return str(int(value)), True
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return "—", True
        if whole or (float(value).is_integer() and abs(value) >= 10**digits):
            return f"{value:.0f}", True
        if value != 0 and abs(value) < 0.5 * 10**-digits:
            return f"{value:.{max(1, digits - 1)}e}", True
        return f"{value:.{digits}f}", True
    return str(value), False


def _rows(table: Table) -> tuple[list[str], list[list[tuple[str, bool]]], int]:
    frame = table.frame
    shown = frame.head(table.max_rows)
    whole = []
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce") if frame[column].dtype.kind == "f" else None
        finite = values[np.isfinite(values)] if values is not None else None
        whole.append(finite is not None and len(finite) > 0 and bool((finite == finite.round()).all()))
    rows = [[_cell(v, table.digits, whole=w) for v, w in zip(record, whole, strict=True)]
            for record in shown.itertuples(index=False, name=None)]
    return [str(c) for c in frame.columns], rows, len(frame) - len(shown)


def _html_table(table: Table, number: int) -> str:
    columns, rows, hidden = _rows(table)
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "\n".join(
        "<tr>" + "".join(f'<td class="num">{esc(t)}</td>' if num else f"<td>{esc(t)}</td>" for t, num in row)
        + "</tr>"
        for row in rows
    )
    parts = [f'<figure class="table" id="table-{esc(table.name)}">',
             f"<figcaption>Table {number}. {esc(table.title)}</figcaption>",
             f'<div class="scroll"><table data-name="{esc(table.name)}"><thead><tr>{head}</tr></thead>'
             f"<tbody>\n{body}\n</tbody></table></div>"]
    if hidden:
        parts.append(f'<p class="more">{hidden} more rows in tables/{esc(table.name)}.csv</p>')
    if table.note:
        parts.append(f'<p class="note">{esc(table.note)}</p>')
    parts.append("</figure>")
    return "\n".join(parts)


def _html_figure(figure: Figure, number: int) -> str:
    data = base64.b64encode(figure.png).decode("ascii")
    esc = html.escape
    return (f'<figure class="figure" id="figure-{esc(figure.name)}">'
            f'<img src="data:image/png;base64,{data}" alt="{esc(figure.alt or figure.title)}" '
            f'data-name="{esc(figure.name)}">'
            f"<figcaption>Figure {number}. {esc(figure.title)}</figcaption></figure>")


def render_html(report: Report) -> str:
    """One self-contained HTML page: inline CSS, figures as base64 PNG, no scripts and no external requests."""
    esc = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{esc(report.title)}</title><style>{_CSS}</style></head>", "<body><main>",
           f"<header><h1>{esc(report.title)}</h1>"]
    if report.subtitle:
        out.append(f'<p class="subtitle">{esc(report.subtitle)}</p>')
    out.append("</header>")
    if report.summary:  # the report opens with what a reader can act on
        out.append('<div id="summary" class="summary"><h2>Summary</h2><ul>')
        out.extend(f"<li>{esc(point)}</li>" for point in report.summary)
        out.append("</ul></div>")
    out.append("<nav><h2>Contents</h2><ol>")
    for section in report.sections:
        suffix = "" if section.present else " (not in this run)"
        out.append(f'<li><a href="#{esc(section.id)}">{esc(section.title)}</a>{suffix}</li>')
    out.append("</ol></nav>")
    n_table = n_figure = 0
    for i, section in enumerate(report.sections, start=1):
        out.append(f'<section id="{esc(section.id)}"><h2>{i}. {esc(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Text):
                out.append(f'<p class="{block.kind}">{esc(block.text)}</p>')
            elif isinstance(block, Table):
                n_table += 1
                out.append(_html_table(block, n_table))
            else:
                n_figure += 1
                out.append(_html_figure(block, n_figure))
        out.append("</section>")
    out.append("<footer>Only aggregates appear in this report: counts, rates and intervals over goldset items, "
               "and names from the taxonomy. Tables are also in tables/*.csv and figures in figures/*.png."
               "</footer></main></body></html>")
    return "\n".join(out) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _md_table(table: Table, number: int) -> str:
    columns, rows, hidden = _rows(table)
    lines = [f"**Table {number}. {_md_escape(table.title)}**", "",
             "| " + " | ".join(_md_escape(c) for c in columns) + " |",
             "| " + " | ".join("---:" if rows and rows[0][j][1] else "---" for j in range(len(columns))) + " |"]
    lines += ["| " + " | ".join(_md_escape(t) for t, _ in row) + " |" for row in rows]
    if hidden:
        lines += ["", f"*{hidden} more rows in [tables/{table.name}.csv](tables/{table.name}.csv).*"]
    if table.note:
        lines += ["", f"*{_md_escape(table.note)}*"]
    return "\n".join(lines)


def render_markdown(report: Report, *, figure_dir: str = "figures") -> str:
    """Markdown with figures referenced as ``<figure_dir>/<name>.png`` (written beside the document)."""
    lines = [f"# {report.title}", ""]
    if report.subtitle:
        lines += [f"*{_md_escape(report.subtitle)}*", ""]
    if report.summary:
        lines += ["## Summary", "", *(f"- {_md_escape(point)}" for point in report.summary), ""]
    lines += ["## Contents", ""]
    for i, section in enumerate(report.sections, start=1):
        suffix = "" if section.present else " (not in this run)"
        lines.append(f"{i}. [{section.title}](#{section.id}){suffix}")
    n_table = n_figure = 0
    for i, section in enumerate(report.sections, start=1):
        lines += ["", f'<a id="{section.id}"></a>', "", f"## {i}. {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Text):
                text = _md_escape(block.text)
                lines.append({"verdict": f"**{text}**", "absent": f"> {text}", "note": f"*{text}*"}.get(
                    block.kind, text))
            elif isinstance(block, Table):
                n_table += 1
                lines.append(_md_table(block, n_table))
            else:
                n_figure += 1
                lines += [f"![{_md_escape(block.alt or block.title)}]({figure_dir}/{block.name}.png)", "",
                          f"*Figure {n_figure}. {_md_escape(block.title)}*"]
            lines.append("")
    lines += ["---", "", "*Only aggregates appear in this report. Tables are in `tables/*.csv`, figures in "
              "`figures/*.png`.*", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class ReportFiles:
    """What :func:`write_report` wrote.

    Attributes:
        out_dir: The report folder.
        html: ``report.html`` (self-contained).
        markdown: ``report.md``.
        tables: ``tables/<name>.csv``, one per table.
        figures: ``figures/<name>.png``, one per figure.
        report: The rendered document model.
    """

    out_dir: Path
    html: Path
    markdown: Path
    tables: tuple[Path, ...]
    figures: tuple[Path, ...]
    report: Report


def write_report(
    run_dir: str | Path,
    out_dir: str | Path,
    *,
    compare: str | Path | None = None,
    title: str | None = None,
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    frontier: Sequence[str | Path] = (),
) -> ReportFiles:
    """Write the validation appendix of a run directory.

    Writes ``report.html``, ``report.md``, ``figures/<name>.png`` and ``tables/<name>.csv`` under ``out_dir``
    (files of the same names are replaced; other files are left alone).

    Args:
        run_dir: The run reported on.
        out_dir: The report folder (created if needed).
        compare: Optional baseline run directory for the model-swap section (the run at ``run_dir`` is the
            candidate).
        title: Document title.
        n_resamples, seed, confidence: Of the model-swap comparison (see :func:`harness.evaluate.compare_runs`).
        frontier: Run directories of further configurations for the cost-accuracy frontier section.

    Returns:
        A :class:`ReportFiles`.

    Raises:
        InputError: When a run directory is missing or malformed, the runs cannot be compared, or ``out_dir``
            is inside a run directory (a report there would be read back as run data).
    """
    out = Path(out_dir)
    for source in (run_dir, compare, *frontier):
        if source is not None and out.resolve().is_relative_to(Path(source).resolve()):
            raise InputError(out, f"the report folder must not be inside the run directory {source}")
    run = load_run(run_dir)
    baseline = load_run(compare) if compare is not None else None
    # the report's own run and the baseline are on the frontier anyway; a glob that names them again is fine
    seen = {Path(p).resolve() for p in (run_dir, compare) if p is not None}
    others = []
    for path in frontier:
        if Path(path).resolve() not in seen:
            seen.add(Path(path).resolve())
            others.append(load_run(path))
    report = build_report(run, baseline=baseline, title=title, n_resamples=n_resamples, seed=seed,
                          confidence=confidence, frontier=others)
    (out / "tables").mkdir(parents=True, exist_ok=True)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    tables = []
    for table in report.tables:
        path = out / "tables" / f"{table.name}.csv"
        table.frame.to_csv(path, index=False)
        tables.append(path)
    figures = []
    for figure in report.figures:
        path = out / "figures" / f"{figure.name}.png"
        path.write_bytes(figure.png)
        figures.append(path)
    html_path = out / "report.html"
    html_path.write_text(render_html(report), encoding="utf-8")
    md_path = out / "report.md"
    md_path.write_text(render_markdown(report), encoding="utf-8")
    return ReportFiles(out, html_path, md_path, tuple(tables), tuple(figures), report)
