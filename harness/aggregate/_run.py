"""Run every analysis on a release or an aggregate, and write tables, figures and a summary to a directory."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from harness.aggregate import _analyses as A
from harness.aggregate import _figures as F
from harness.aggregate._privacy import WalledTable
from harness.aggregate._rollup import Aggregate
from harness.errors import MissingDataError
from harness.run import AnalysisDir
from harness.taxonomy import EconomicIndexRelease, load_economic_index

__all__ = ["Analysis", "analyze_aggregate", "analyze_release", "write_analysis"]

#: Published numbers of the first report (Feb 2025), checked by ``summary.json`` and the tests.
PUBLISHED_2025_02_10: dict[str, float] = {
    "augmentation_pct": 57.0,
    "automation_pct": 43.0,
    "computer_and_mathematical_pct": 37.2,
    "arts_design_entertainment_sports_media_pct": 10.3,
    "occupations_with_10pct_tasks_pct": 57.0,
    "occupations_with_25pct_tasks_pct": 36.0,
    "occupations_with_50pct_tasks_pct": 11.0,
    "occupations_with_75pct_tasks_pct": 4.0,
}


@dataclass(frozen=True)
class Analysis:
    """The output of one analysis run.

    Attributes:
        name: Run label (e.g. ``"release_2025_02_10"``).
        tables: Walled tables by name (the file stems written by :func:`write_analysis`).
        figures: Figure builders by name; each returns a fresh Matplotlib figure.
        summary: Headline numbers (JSON-ready).
    """

    name: str
    tables: dict[str, WalledTable] = field(repr=False)
    figures: dict[str, Callable[[], Figure]] = field(repr=False)
    summary: dict[str, Any] = field(repr=False)


def _usage(release: EconomicIndexRelease, version: str) -> WalledTable:
    return WalledTable(
        "task_usage", release.shares(version), None, f"Economic Index release_{release.name} ({version})",
        note="Published task shares (percent of conversations).",
    )


def _standard(prefix: str, usage: WalledTable, links: pd.DataFrame, *, titles: pd.DataFrame | None,
              bls: pd.DataFrame | None, wages: pd.DataFrame | None, major_groups: pd.DataFrame | None,
              tables: dict[str, WalledTable], figures: dict[str, Callable[[], Figure]]) -> None:
    """The usage analyses shared by every source; adds to ``tables``/``figures`` under ``prefix``."""
    def add(name: str, table: WalledTable) -> WalledTable:
        tables[prefix + name] = WalledTable(prefix + name, table.table, table.policy, table.source,
                                            table.withheld_conversations, table.note)
        return tables[prefix + name]

    cat = add("category_shares", A.category_shares(usage, links, bls_employment=bls, major_groups=major_groups))
    occ = add("top_occupations", A.top_occupations(usage, links, titles=titles))
    add("occupation_shares", A.occupation_shares(usage, links, titles=titles))
    tasks = add("top_tasks", A.top_tasks(usage, links))
    depth = add("depth_of_use", A.depth_of_use(usage, links))
    figures[prefix + "category_shares"] = lambda: F.plot_category_shares(cat)
    figures[prefix + "top_occupations"] = lambda: F.plot_top(
        occ, label="title" if "title" in occ.table.columns else "soc_code", title="Top occupations by share of use")
    figures[prefix + "top_tasks"] = lambda: F.plot_top(
        tasks, label="statement" if "statement" in tasks.table.columns else "statement_key",
        title="Top tasks by share of use")
    figures[prefix + "depth_of_use"] = lambda: F.plot_depth_of_use(depth)
    if wages is not None:
        wage = add("use_by_wage", A.use_by_wage(usage, links, wages))
        zone = add("use_by_job_zone", A.use_by_job_zone(usage, links, wages))
        figures[prefix + "use_by_wage"] = lambda: F.plot_use_by_wage(wage)
        figures[prefix + "use_by_job_zone"] = lambda: F.plot_job_zones(zone)


def _collab_tables(prefix: str, collab: WalledTable, tables: dict[str, WalledTable],
                   figures: dict[str, Callable[[], Figure]]) -> WalledTable:
    overall = A.collaboration_overall(collab)
    modes = A.automation_augmentation(collab)
    tables[prefix + "collaboration"] = WalledTable(prefix + "collaboration", overall.table, overall.policy,
                                                   overall.source, overall.withheld_conversations, overall.note)
    tables[prefix + "automation_augmentation"] = WalledTable(
        prefix + "automation_augmentation", modes.table, modes.policy, modes.source,
        modes.withheld_conversations, modes.note)
    figures[prefix + "collaboration"] = lambda: F.plot_collaboration(overall)
    return modes


def _by_task_tables(prefix: str, by_task: pd.DataFrame, usage: WalledTable, links: pd.DataFrame,
                    major_groups: pd.DataFrame | None, tables: dict[str, WalledTable],
                    figures: dict[str, Callable[[], Figure]]) -> None:
    for name, t in (
        ("collaboration_by_task", A.collaboration_by_task(by_task, usage, links)),
        ("collaboration_by_occupation", A.collaboration_by_group(by_task, usage, links, level="soc_code")),
        ("collaboration_by_category", A.collaboration_by_group(by_task, usage, links, major_groups=major_groups)),
    ):
        tables[prefix + name] = WalledTable(prefix + name, t.table, t.policy, t.source,
                                            t.withheld_conversations, t.note)
    cat = tables[prefix + "collaboration_by_category"]
    figures[prefix + "collaboration_by_category"] = lambda: F.plot_collaboration_by_group(cat, label="title")


def _pct(table: pd.DataFrame, column: str, value: Any, field_: str) -> float:
    return round(float(table.loc[table[column] == value, field_].iloc[0]), 4)


def analyze_release(release: EconomicIndexRelease | str, *, data_dir: str | Path | None = None,
                    reference: EconomicIndexRelease | None = None) -> Analysis:
    """Run the analyses on a published Economic Index release.

    For ``2025_02_10`` this reproduces the first report (see :mod:`harness.aggregate._analyses` for the method).
    For ``2025_03_27`` it analyses task shares v1 and v2, collaboration by task (v2 overall shares are derived
    from the by-task mixes weighted by v2 task shares, since ``automation_vs_augmentation_v2.csv`` is not
    available locally), and a v1 → v2 "what changed" comparison. That release carries no BLS or wage files, so
    they are taken from ``reference`` (default: ``release_2025_02_10`` in the same data directory, if present).

    Args:
        release: A loaded release or its name.
        data_dir: Data directory used to load ``release`` (and the reference) by name.
        reference: Release whose BLS and wage tables fill in what ``release`` lacks.
    """
    if isinstance(release, str):
        release = load_economic_index(release, data_dir=data_dir)  # type: ignore[arg-type]
    bls, wages = release.bls_employment, release.wages
    if (bls is None or wages is None) and reference is None and release.name != "2025_02_10":
        try:
            reference = load_economic_index("2025_02_10", data_dir=data_dir or release.path.parent.parent)
        except MissingDataError:
            reference = None
    if reference is not None:
        bls = bls if bls is not None else reference.bls_employment
        wages = wages if wages is not None else reference.wages
    links, titles, groups = release.statements, release.occupations, release.major_groups
    tables: dict[str, WalledTable] = {}
    figures: dict[str, Callable[[], Figure]] = {}
    summary: dict[str, Any] = {"release": release.name, "missing_files": list(release.missing_files),
                               "method": _METHOD}
    for version in release.versions:
        prefix = "" if release.versions == ("v1",) else f"{version}_"
        usage = _usage(release, version)
        _standard(prefix, usage, links, titles=titles, bls=bls, wages=wages, major_groups=groups,
                  tables=tables, figures=figures)
        cat, depth = tables[prefix + "category_shares"].table, tables[prefix + "depth_of_use"].table
        block: dict[str, Any] = {
            "tasks_with_use": int((usage.table["matched"] & (usage.table["pct"] > 0)).sum()),
            "computer_and_mathematical_pct": _pct(cat, "major_group", "15", "pct_use"),
            "arts_design_entertainment_sports_media_pct": _pct(cat, "major_group", "27", "pct_use"),
        }
        for x in (10, 25, 50, 75):
            block[f"occupations_with_{x}pct_tasks_pct"] = _pct(depth, "threshold", x / 100, "pct_occupations")
        collab = release.collaboration[release.collaboration["version"] == version]
        if len(collab):
            modes = _collab_tables(prefix, WalledTable("collaboration", collab, None, usage.source), tables,
                                   figures)
            block["collaboration_source"] = "published overall shares"
        elif release.collaboration_by_task is not None:
            derived = A.collaboration_from_tasks(release.collaboration_by_task, usage, links)
            modes = _collab_tables(prefix, derived, tables, figures)
            block["collaboration_source"] = "derived from collaboration by task weighted by task shares"
        else:
            modes = None
        if modes is not None:
            block["augmentation_pct"] = _pct(modes.table, "mode", "augmentation", "pct")
            block["automation_pct"] = _pct(modes.table, "mode", "automation", "pct")
        if release.collaboration_by_task is not None:
            _by_task_tables(prefix, release.collaboration_by_task, usage, links, groups, tables, figures)
        summary[version] = block
    if release.name == "2025_02_10":
        summary["published"] = PUBLISHED_2025_02_10
    if {"v1", "v2"} <= set(release.versions):
        _what_changed(tables, figures, summary)
    return Analysis(f"release_{release.name}", tables, figures, summary)


def _what_changed(tables: dict[str, WalledTable], figures: dict[str, Callable[[], Figure]],
                  summary: dict[str, Any]) -> None:
    """v1 → v2 comparisons at task and category level, plus a headline table of what changed."""
    labels = ("v1", "v2")
    for name, key, value in (("occupation_shares", "soc_code", "pct"), ("category_shares", "major_group",
                                                                        "pct_use")):
        cmp = A.compare_shares(tables[f"v1_{name}"], tables[f"v2_{name}"], key=key, value=value, labels=labels)
        tables[f"compare_{name}"] = WalledTable(f"compare_{name}", cmp.table, None, cmp.source, None, cmp.note)
    cat = tables["compare_category_shares"]
    figures["compare_category_shares"] = lambda: F.plot_comparison(cat, label="major_group", value="pct_use",
                                                                   labels=labels)
    rows = []
    for metric in ("computer_and_mathematical_pct", "arts_design_entertainment_sports_media_pct",
                   "augmentation_pct", "automation_pct", "tasks_with_use",
                   "occupations_with_10pct_tasks_pct", "occupations_with_25pct_tasks_pct",
                   "occupations_with_50pct_tasks_pct", "occupations_with_75pct_tasks_pct"):
        a, b = summary["v1"].get(metric), summary["v2"].get(metric)
        rows.append({"metric": metric, "v1": a, "v2": b,
                     "change": None if a is None or b is None else round(b - a, 4)})
    changed = pd.DataFrame(rows)
    tables["what_changed"] = WalledTable("what_changed", changed, None, "Economic Index release_2025_03_27",
                                         None, "Headline numbers of task shares v1 vs v2.")
    summary["what_changed"] = rows


_METHOD = (
    "Task shares renormalised over tasks matching an O*NET statement; a statement listed under n occupations "
    "gives each 1/n; occupations roll up to SOC major groups by code prefix. Depth of use: all occupations "
    "listing a task in the taxonomy, a task in use when its share is positive, 'at least' inclusive. "
    "Automation/augmentation normalised over the five patterns (none and filtered excluded)."
)


def analyze_aggregate(aggregate: Aggregate, links: pd.DataFrame, *, name: str = "facts",
                      titles: pd.DataFrame | None = None, bls_employment: pd.DataFrame | None = None,
                      wages: pd.DataFrame | None = None) -> Analysis:
    """Run the analyses on a walled :class:`Aggregate` of a fact table (every table keeps its policy)."""
    tables: dict[str, WalledTable] = dict(aggregate.tables())
    figures: dict[str, Callable[[], Figure]] = {}
    _standard("", aggregate.tasks, links, titles=titles, bls=bls_employment, wages=wages, major_groups=None,
              tables=tables, figures=figures)
    modes = _collab_tables("", aggregate.patterns.with_table("collaboration", aggregate.patterns.table),
                           tables, figures)
    _by_task_tables("", aggregate.patterns_by_task.table, aggregate.tasks, links, None, tables, figures)
    skills = A.skills_distribution(aggregate.skills)
    tables["skills_distribution"] = skills
    figures["skills_distribution"] = lambda: F.plot_skills(skills)
    summary = {
        "name": name,
        "policy": aggregate.policy.as_dict(),
        "released_conversations": aggregate.released_conversations,
        "released_accounts": aggregate.released_accounts,
        "not_classified_or_below_threshold": aggregate.withheld_conversations,
        "reported_tasks": len(aggregate.tasks.table),
        "augmentation_pct": _pct(modes.table, "mode", "augmentation", "pct"),
        "automation_pct": _pct(modes.table, "mode", "automation", "pct"),
        # the split above covers only pattern cells that cleared the wall; say how much it leaves out
        "patterns_withheld_pct": _withheld_pct(tables["collaboration"].table),
    }
    return Analysis(name, tables, figures, _explain_nulls(summary))


# Why a headline number of a fact-table summary can be null; the summary carries the reason beside the null.
_WHY_NULL = {
    "augmentation_pct": "no conversation with one of the five collaboration patterns cleared the privacy wall, so "
                        "there is no automation/augmentation split to report",
    "automation_pct": "no conversation with one of the five collaboration patterns cleared the privacy wall, so "
                      "there is no automation/augmentation split to report",
    "patterns_withheld_pct": "no pattern counts were released, so there is no total for the withheld share to be "
                             "a share of",
    "not_classified_or_below_threshold": "this residual total is itself below the privacy wall, so it is withheld",
}


def _explain_nulls(summary: dict[str, Any]) -> dict[str, Any]:
    """``summary`` with every NaN or infinite number made null, and a ``why_null`` entry giving each null's reason.

    JSON has no NaN (a bare ``NaN`` in ``summary.json`` breaks strict parsers), and a made-up number would be worse.
    """
    out = _finite_or_null(summary)
    why = {key: _WHY_NULL[key] for key, value in out.items() if value is None and key in _WHY_NULL}
    return {**out, "why_null": why} if why else out


def _finite_or_null(value: Any) -> Any:
    """``value`` with NaN and infinite floats (at any depth of dicts and lists) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_or_null(v) for v in value]
    return value


def _withheld_pct(collaboration: pd.DataFrame) -> float | None:
    """Percent of conversations whose pattern cell was withheld by the privacy wall (``None`` when not reported)."""
    rows = collaboration.loc[collaboration["pattern"] == "withheld", "pct"] if "pattern" in collaboration else []
    return round(float(rows.iloc[0]), 4) if len(rows) else None


def write_analysis(analysis: Analysis, out_dir: str | Path) -> Path:
    """Write the analysis into ``out_dir`` in the :class:`harness.run.AnalysisDir` layout (``tables/<name>.csv`` and
    ``.json``, ``figures/<name>.png``, ``summary.json``); returns ``out_dir``."""
    out = AnalysisDir(out_dir).create()
    for name, table in analysis.tables.items():
        frame = table.table.copy()
        for col in frame.columns:  # tuples (e.g. soc_codes) as ';'-joined strings
            if frame[col].map(lambda v: isinstance(v, tuple | list)).any():
                frame[col] = frame[col].map(lambda v: ";".join(map(str, v)) if isinstance(v, tuple | list) else v)
        frame.to_csv(out.table_csv(name), index=False)
        walled = WalledTable(table.name, frame, table.policy, table.source, table.withheld_conversations, table.note)
        out.table_sidecar(name).write_text(json.dumps(walled.to_json_dict(), indent=1))
    for name, build in analysis.figures.items():
        fig = build()
        fig.savefig(out.figure_png(name), dpi=110, metadata={"Software": None})
        plt.close(fig)
    # strict JSON: a number that could not be computed is written as null, never as a bare NaN
    out.summary_path.write_text(json.dumps(_finite_or_null(analysis.summary), indent=2, default=str, allow_nan=False))
    return out.path
