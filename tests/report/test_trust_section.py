"""The report's "How far to trust these shares" section: what it shows from analyze and validate, and when absent."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from harness.evaluate import reliability_table, selective_accuracy_curve
from harness.report._load import AnalysisFolder, RunData
from harness.report._model import Figure, Table, Text
from harness.report._sections import economic_index_section
from harness.report._trust import trust_section


def _trust_table(level: str, labels: list[str]) -> pd.DataFrame:
    rows = []
    for k, label in enumerate(labels):
        share = 40.0 / (k + 1)
        rows.append({"level": level, "label": label, "title": f"title {label}", "released_pct": share,
                     "n_labelled": 90, "n_unlabelled": 4000, "labelled_in_class": 30 - 5 * k,
                     "naive_pct": share, "naive_low_pct": share - 1, "naive_high_pct": share + 1,
                     "classical_pct": share - 5, "classical_low_pct": share - 15, "classical_high_pct": share + 5,
                     "ppi_pct": share - 4, "ppi_low_pct": share - 11, "ppi_high_pct": share + 3, "ppi_lambda": 0.6,
                     "interval_confidence": 0.99, "supported": k < 2})
    return pd.DataFrame(rows)


def _calibration_section() -> dict:
    rng = np.random.default_rng(0)
    p = rng.random(100)
    y = rng.random(100) < p
    block = {"n": 100, "ece": 0.05, "ci_low": 0.03, "ci_high": 0.1, "accuracy": float(y.mean()),
             "mean_confidence": float(p.mean()),
             "reliability": reliability_table(y, p).to_dict("records"),
             "selective": {"major_group": selective_accuracy_curve(y, p).to_dict("records")}}
    return {"target": "major_group", "n_bins": 10, "method": "ECE over 10 bins", "splits": {"test": block},
            "abstention": [{"threshold": 0.0, "kept": 100, "coverage": 1.0, "accuracy": 0.5,
                            "total_variation": 0.2}]}


def _run(tmp_path: Path, *, tables: dict | None = None, calibration: dict | None = None) -> RunData:
    analysis = None
    if tables is not None:
        summary = {"trust": {"method": "PPI++", "correction": "Bonferroni", "alpha": 0.05, "labelled_items": 90,
                             "split": "test", "calibration_run": "val", "weighting": "none"}}
        analysis = AnalysisFolder(tmp_path, summary, tables, {}, {})
    return RunData(tmp_path, sections={"calibration": calibration} if calibration else {}, analysis=analysis)


def test_three_intervals_calibration_and_budget(tmp_path) -> None:
    budget = pd.DataFrame([{"level": "major_group", "label": "15", "target_halfwidth_pct": 2.0, "n_labelled": 90,
                            "labels_needed": 2400, "more_labels": 2310, "more_goldset_items": 9000}])
    tables = {"trust_major_group": _trust_table("major_group", ["15", "27", "43"]),
              "trust_pattern": _trust_table("pattern", ["directive", "learning"]),
              "trust_occupation": _trust_table("occupation", ["15-1252.00"]),
              "trust_label_budget": budget}
    section = trust_section(_run(tmp_path, tables=tables, calibration=_calibration_section()))
    assert section.present and section.title == "How far to trust these shares"
    names = {b.name for b in section.blocks if isinstance(b, Table | Figure)}
    assert {"trust.major_group", "trust.pattern", "trust.occupation", "trust.label_budget", "trust.reliability",
            "trust.calibration_error", "trust.selective_accuracy", "trust.abstention"} <= names
    headline = next(b for b in section.blocks if isinstance(b, Table) and b.name == "trust.major_group").frame
    assert headline["share"].tolist() == ["15", "27", "43"]
    assert {"naive (model labels) interval", "classical (labelled items) interval", "PPI++ interval"} <= set(
        headline.columns)
    assert headline.loc[0, "PPI++ interval"] == "29.0 – 43.0"
    assert all(f.png.startswith(b"\x89PNG") for f in section.figures)


def test_absent_inputs_are_named(tmp_path) -> None:
    section = trust_section(_run(tmp_path))
    assert not section.present
    absent = [b.text for b in section.blocks if isinstance(b, Text) and b.kind == "absent"]
    assert any("--calibrate" in text for text in absent) and any("calibration" in text for text in absent)


def test_trust_tables_are_not_repeated_in_the_economic_index_section(tmp_path) -> None:
    tables = {"trust_major_group": _trust_table("major_group", ["15"]), "major_groups": pd.DataFrame({"x": [1]})}
    section = economic_index_section(_run(tmp_path, tables=tables))
    names = {b.name for b in section.blocks if isinstance(b, Table)}
    assert "economic_index.major_groups" in names and not any("trust" in n for n in names)
