"""The report section "How far to trust these shares": three intervals per headline share, calibration, labels.

It reads what other commands wrote and recomputes nothing: the ``trust_*`` tables that ``harness analyze --facts
... --calibrate VALIDATION_RUN`` puts in the run's ``analysis/`` folder (released shares with naive, classical and
PPI++ intervals, and the label budget), and the ``calibration`` section of ``metrics.json`` that ``harness
validate`` writes (reliability, expected calibration error, selective accuracy and the abstention sweep). Either
may be absent; the section says which.

Privacy: the trust tables passed the privacy wall when ``analyze`` wrote them (one row per released share); the
calibration section holds goldset aggregates only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import _figures as F
from ._load import RunData
from ._model import Block, Figure, Section, Table, Text

__all__ = ["TRUST_PREFIX", "trust_section", "trust_sections"]

TRUST_PREFIX = "trust_"
"""Analysis tables of this section (the generic Economic Index section leaves them out)."""
_HEADLINE_ROWS = 10
_KINDS = (("naive", "naive (model labels)"), ("classical", "classical (labelled items)"), ("ppi", "PPI++"))


def _interval(low: Any, high: Any) -> str:
    if low is None or high is None or (isinstance(low, float) and math.isnan(low)):
        return ""
    return f"{float(low):.1f} – {float(high):.1f}"


def _headline(frame: pd.DataFrame) -> pd.DataFrame:
    """The released shares with their three intervals side by side (percent)."""
    top = frame.sort_values("released_pct", ascending=False).head(_HEADLINE_ROWS)
    out = pd.DataFrame({"share": top["label"].astype(str), "title": top.get("title", ""),
                        "released %": top["released_pct"]})
    for kind, name in _KINDS:
        out[f"{name} %"] = top[f"{kind}_pct"]
        out[f"{name} interval"] = [_interval(a, b) for a, b in zip(top[f"{kind}_low_pct"], top[f"{kind}_high_pct"],
                                                                     strict=True)]
    out["labelled items in class"] = top["labelled_in_class"]
    return out.reset_index(drop=True)


def intervals_chart(frame: pd.DataFrame, title: str) -> bytes:
    """The three intervals of each share (rows), as horizontal error bars on one axis (percent)."""
    top = frame.sort_values("released_pct", ascending=False).head(_HEADLINE_ROWS).iloc[::-1]
    fig, axes = F._new(figsize=(8.0, 0.45 * len(top) + 1.6))
    ax = axes[0, 0]
    y = np.arange(len(top))
    for i, (kind, name) in enumerate(_KINDS):
        point = top[f"{kind}_pct"].to_numpy(dtype=float)
        errors = F._errors(point, top[f"{kind}_low_pct"].to_numpy(dtype=float),
                           top[f"{kind}_high_pct"].to_numpy(dtype=float))
        ax.errorbar(np.nan_to_num(point), y + (i - 1) * 0.25, xerr=errors, fmt="o", ms=4, capsize=2,
                    color=F._COLOURS[i], label=name)
    ax.set_yticks(y, [str(v) for v in top["label"]])
    ax.set_xlabel("share of released conversations (%)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    return F._png(fig)


def reliability_chart(section: Mapping[str, Any]) -> bytes:
    """Reliability diagram: accuracy against mean confidence per bin, one line per split, and the diagonal."""
    fig, axes = F._new(figsize=(5.5, 5.0))
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="perfectly calibrated")
    for i, (name, block) in enumerate(sorted(section.get("splits", {}).items())):
        bins = pd.DataFrame(block.get("reliability") or [])
        if bins.empty or not (bins["n"] > 0).any():
            continue
        bins = bins[bins["n"] > 0]
        ece = block.get("ece")
        label = f"{name} (n={block.get('n')}, ECE {ece:.3f})" if ece is not None else name
        ax.plot(bins["confidence"], bins["accuracy"], marker="o", color=F._COLOURS[i % len(F._COLOURS)],
                label=label)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (mean in bin)")
    ax.set_ylabel(f"accuracy ({section.get('target', 'major_group')})")
    ax.set_title("Reliability of per-prediction confidence")
    ax.legend(loc="upper left", fontsize=8)
    return F._png(fig)


def _calibration_blocks(section: Mapping[str, Any]) -> list[Block]:
    splits = section.get("splits") or {}
    ece = pd.DataFrame([{"split": name, "n": b.get("n"), "accuracy": b.get("accuracy"),
                         "mean confidence": b.get("mean_confidence"), "ECE": b.get("ece"),
                         "ECE 95% low": b.get("ci_low"), "ECE 95% high": b.get("ci_high")}
                        for name, b in sorted(splits.items())])
    blocks: list[Block] = [
        Text("Each prediction's confidence is the probability that its SOC major group is right. Calibrated "
             "means: of predictions given 0.7, seven in ten are right. " + str(section.get("method", "")), "note"),
        Figure("trust.reliability", "Reliability diagram", reliability_chart(section),
               alt="Accuracy against mean confidence per confidence bin, per goldset split, with the diagonal."),
        Table("trust.calibration_error", "Expected calibration error by split", ece, digits=3,
              note="The dev split is where the shipped calibration map was fitted (in-sample); test is held out."),
    ]
    test = splits.get("test") or splits.get("all") or {}
    selective = (test.get("selective") or {})
    if selective:
        rows = [{"level": level, **row} for level, curve in selective.items() for row in curve]
        blocks.append(Table("trust.selective_accuracy", "Selective accuracy: the most confident predictions kept",
                            pd.DataFrame(rows), digits=3, max_rows=60,
                            note="Accuracy of the kept predictions against the share kept, per level "
                                 f"({'test' if 'test' in splits else 'all'} items)."))
    if section.get("abstention"):
        blocks.append(Table("trust.abstention", "How shares move as the threshold moves (goldset items)",
                            pd.DataFrame(section["abstention"]), digits=3,
                            note="Predictions below the threshold abstain. total_variation is the distance between "
                                 "the predicted and the gold major-group shares of the kept items (0: every share "
                                 "right)."))
    return blocks


def _interval_blocks(tables: Mapping[str, pd.DataFrame], summary: Mapping[str, Any]) -> list[Block]:
    blocks: list[Block] = []
    trust = summary.get("trust") if isinstance(summary, Mapping) else None
    if isinstance(trust, Mapping):
        blocks.append(Text(f"{trust.get('method', '')}. {trust.get('correction', '')}; alpha {trust.get('alpha')}. "
                           f"Labelled items: {trust.get('labelled_items')} from the {trust.get('split')} split of "
                           f"{trust.get('calibration_run')} ({trust.get('weighting')}).", "note"))
    for level, title in (("major_group", "SOC major groups"), ("pattern", "Collaboration patterns"),
                         ("occupation", "Occupations")):
        frame = tables.get(f"{TRUST_PREFIX}{level}")
        if frame is None or frame.empty:
            continue
        if level != "occupation":
            blocks.append(Figure(f"trust.{level}", f"{title}: three intervals per share",
                                 intervals_chart(frame, title),
                                 alt=f"Naive, classical and PPI++ intervals of the largest {title.lower()} shares."))
        blocks.append(Table(f"trust.{level}", f"{title}: released shares and their intervals (%)", _headline(frame),
                            digits=1, note="Largest shares first; the CSV of the analysis folder has every row."))
    budget = tables.get(f"{TRUST_PREFIX}label_budget")
    if budget is not None and not budget.empty:
        blocks.append(Table("trust.label_budget", "Label budget", budget, digits=1, max_rows=40,
                            note="Labelled items the PPI++ interval of each share needs for the target half-width; "
                                 "more_goldset_items scales by the share of labelled items that fall in the "
                                 "released population."))
    return blocks


def trust_section(run: RunData) -> Section:
    """The "How far to trust these shares" section of a run (says what is absent when it has nothing)."""
    title = "How far to trust these shares"
    analysis = run.analysis
    tables = {n: t for n, t in (analysis.tables.items() if analysis else ()) if n.startswith(TRUST_PREFIX)}
    calibration = run.sections.get("calibration")
    blocks: list[Block] = [Text(
        "The released shares count the classifier's labels as if they were right. Beside each share: the naive "
        "interval (the model's labels taken as truth), the classical interval (the human-labelled items alone) and "
        "the prediction-powered PPI++ interval, which corrects the model's share by its measured errors on the "
        "labelled items and stays valid whatever those errors are.", "paragraph")]
    if tables:
        blocks += _interval_blocks(tables, (analysis.summary if analysis else None) or {})
    else:
        blocks.append(Text("No intervals for released shares: `harness analyze --facts RUN/facts.parquet "
                           "--calibrate VALIDATION_RUN --out <this run>/analysis` writes them.", "absent"))
    if isinstance(calibration, Mapping) and calibration.get("splits"):
        blocks += _calibration_blocks(calibration)
    else:
        blocks.append(Text("No calibration of per-prediction confidence in this run (metrics.json has no "
                           "calibration section: the backend gave no confidence, or the run is not a validation "
                           "run).", "absent"))
    return Section("trust", title, tuple(blocks), present=bool(tables) or bool(calibration))


def trust_sections(run: RunData) -> tuple[Section, ...]:
    """The trust section when the run has anything for it (validation runs of a backend with a confidence, or an
    analysis with ``trust_*`` tables); none otherwise, like the later-release sections."""
    section = trust_section(run)
    return (section,) if section.present else ()
