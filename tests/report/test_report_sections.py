"""The report reads what validate wrote (metrics.json sections) and falls back to items.parquet only without them."""

from __future__ import annotations

import json
import shutil

import pandas as pd
from conftest import write_run

from harness.report import build_report, load_run

F1_BLOCK = {
    "macro_f1": 0.41, "ci_low": 0.33, "ci_high": 0.5, "n": 60,
    "per_group": [
        {"major_group": "15", "title": "Computer and Mathematical", "precision": 0.8, "recall": 0.7, "f1": 0.75,
         "support": 40},
        {"major_group": "27", "title": "Arts, Design, Entertainment, Sports, and Media", "precision": 0.1,
         "recall": 0.05, "f1": 0.07, "support": 20},
    ],
}


def _tables(report) -> dict[str, pd.DataFrame]:
    return {t.name: t.frame for t in report.tables}


def _texts(report) -> list[str]:
    return [b.text for s in report.sections for b in s.blocks if hasattr(b, "text")]


def test_macro_f1_block_is_shown_from_the_hierarchy_section(tmp_path, gold_items) -> None:
    run = write_run(tmp_path / "run", gold_items, seed=2, skill=0.7, model="m", reconstruction=False)
    body = json.loads((run.path / "metrics.json").read_text())
    body["hierarchy"]["major_group_f1"] = F1_BLOCK
    (run.path / "metrics.json").write_text(json.dumps(body))
    report = build_report(load_run(run.path))
    table = _tables(report)["major_group_f1"]
    assert list(table["major_group"]) == ["15", "27"] and list(table["support"]) == [40, 20]
    assert any("Macro-F1 over SOC major groups: 0.410 (95% bootstrap interval 0.330–0.500)" in t
               for t in _texts(report))


def test_runs_without_the_block_say_it_is_absent(tmp_path, gold_items) -> None:
    run = write_run(tmp_path / "run", gold_items, seed=2, skill=0.7, model="m", reconstruction=False)
    report = build_report(load_run(run.path))
    assert "major_group_f1" not in _tables(report)
    assert any(t.startswith("Macro-F1 over SOC major groups: not in this run") for t in _texts(report))


def test_mode_split_comes_from_the_pattern_section(tmp_path, gold_items) -> None:
    """With the mode counts validate writes, the split needs no items.parquet (and ignores it)."""
    run = write_run(tmp_path / "run", gold_items, seed=2, skill=0.7, model="m", reconstruction=False)
    body = json.loads((run.path / "metrics.json").read_text())
    n = body["pattern"]["n"]
    body["pattern"]["gold_mode_shares"] = {"automation": 30, "augmentation": n - 40, "none": 10}
    body["pattern"]["pred_mode_shares"] = {"automation": 25, "augmentation": n - 40}  # 15 invalid
    (run.path / "metrics.json").write_text(json.dumps(body))
    only_metrics = tmp_path / "only_metrics"
    only_metrics.mkdir()
    shutil.copy(run.path / "metrics.json", only_metrics)
    for path in (run.path, only_metrics):
        split = _tables(build_report(load_run(path)))["pattern_mode_split"].set_index("mode")
        assert list(split["gold_items"]) == [30, n - 40, 10]
        assert list(split["predicted_items"]) == [25, n - 40, 0]
        assert split["predicted_pct"].sum() < 100  # the 15 invalid answers are in the denominator


def test_levels_fallback_reads_registered_flat_metrics(tmp_path, gold_items) -> None:
    run = write_run(tmp_path / "run", gold_items, seed=2, skill=0.7, model="m", reconstruction=False)
    body = json.loads((run.path / "metrics.json").read_text())
    del body["hierarchy"]
    body["metrics"]["hierarchy.top.accuracy_lenient"] = {"value": 0.9, "n": 80, "kind": "proportion"}
    body["metrics"]["hierarchy.major_group.accuracy"] = {"value": 0.6, "n": 80, "kind": "proportion"}
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "metrics.json").write_text(json.dumps(body))
    levels = _tables(build_report(load_run(bare)))["hierarchy_levels"]
    got = {(row.level, row.scoring): row.accuracy for row in levels.itertuples()}
    assert got[("top", "lenient")] == 0.9 and got[("major_group", "strict")] == 0.6
    assert ("top", "strict") in got and len(got) == 5
