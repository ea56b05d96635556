"""Scoring a run against goldsets: hand-checked numbers on the synthetic goldset, and the CI gate end to end."""

from __future__ import annotations

import json
import random
import shutil

import pandas as pd
import pytest

from harness.classify import ReplayClassifier
from harness.cli import main
from harness.evaluate import load_goldset, run_validation
from harness.taxonomy import build_work_activity_hierarchy, load_onet
from tests.conftest import FIXTURES

GOLDSET = FIXTURES / "goldsets" / "synthetic.jsonl"
REAL_GOLDSET = FIXTURES.parents[1] / "goldsets" / "sharegpt_v1.jsonl"


@pytest.fixture(scope="module")
def mini(mini_onet_dir):
    release = load_onet(mini_onet_dir)
    return release, build_work_activity_hierarchy(release)


def _predictions(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_hand_checked_scores(tmp_path, mini):
    release, hierarchy = mini
    # strict gold tasks: g-1 {101}, g-2 {202}, g-3 {101} (tie → first rater), g-5 {102}; g-4 is not occupational
    preds = _predictions(tmp_path / "p.jsonl", [
        {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True},
        {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True},
        {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False},
        {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
    ])
    scores = run_validation([GOLDSET], ReplayClassifier(preds, hierarchy), hierarchy, release, tmp_path / "run",
                            progress=False, n_bootstrap=200)
    m = {name: entry.value for name, entry in scores.metrics.items()}
    # g-1 right everywhere; g-2 wrong everywhere; g-3 right above the base (task 202 sits under task 101's IWA);
    # g-5 has no prediction and counts as wrong
    assert (m["hierarchy.base.accuracy"], m["hierarchy.mid.accuracy"], m["hierarchy.top.accuracy"]) == (0.25, 0.5, 0.5)
    # lenient: g-2 accepts task 201 (rater-a listed it)
    assert (m["hierarchy.base.accuracy_lenient"], m["hierarchy.top.accuracy_lenient"]) == (0.5, 0.75)
    assert scores.metrics["hierarchy.base.accuracy"].n == 4
    assert m["pattern.accuracy"] == pytest.approx(3 / 5)
    assert m["pattern.accuracy_lenient"] == pytest.approx(4 / 5)  # rater-c said learning for g-2
    assert m["screening.accuracy"] == pytest.approx(3 / 5)
    assert m["classification.valid_rate"] == pytest.approx(4 / 5)
    items = pd.read_parquet(tmp_path / "run" / "items.parquet")
    assert list(items["item_id"]) == ["g-1", "g-2", "g-3", "g-4", "g-5"]
    assert items["correct_base"].isna().tolist() == [False, False, False, True, False]
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert written["schema"] == "harness.metrics/1"
    assert written["run"]["hierarchy_id"] == hierarchy.id
    assert {"hierarchy", "pattern", "screening", "raters"} <= set(written)
    assert written["raters"]["n_items"] == 3
    levels = {(row["level"], row["scoring"]): row for row in written["hierarchy"]["levels"]}
    assert levels[("mid", "strict")]["correct"] == 2 and levels[("mid", "strict")]["invalid"] == 1


def _gold_predictions(items, release, *, corrupt: float, seed: int = 0) -> list[dict]:
    """Predictions equal to the gold best task, with a share of them replaced by a random other task."""
    rng = random.Random(seed)
    task_ids = sorted(release.tasks["task_id"].astype(int))
    rows = []
    for item in items:
        label = item.labels[0]
        task = label.tasks[0] if label.tasks else task_ids[0]
        if rng.random() < corrupt:
            task = rng.choice(task_ids)
        rows.append({"conversation_id": item.id, "task_id": task, "pattern": label.pattern,
                     "occupational": label.occupational})
    return rows


def test_gate_fails_on_degraded_predictions(tmp_path, onet_release, wa_hierarchy, capsys):
    items = load_goldset(REAL_GOLDSET)
    good = _predictions(tmp_path / "good.jsonl", _gold_predictions(items, onet_release, corrupt=0.1))
    bad = _predictions(tmp_path / "bad.jsonl", _gold_predictions(items, onet_release, corrupt=0.5))
    for name, path in (("good", good), ("bad", bad)):
        run_validation([REAL_GOLDSET], ReplayClassifier(path, wa_hierarchy), wa_hierarchy, onet_release,
                       tmp_path / name, progress=False, n_bootstrap=200)
    baseline = tmp_path / "baseline.json"
    payload = json.loads((tmp_path / "good" / "metrics.json").read_text())
    baseline.write_text(json.dumps({"schema": "harness.baseline/1", "metrics": payload["metrics"]}))
    assert main(["gate", "--metrics", str(tmp_path / "good" / "metrics.json"), "--baseline", str(baseline)]) == 0
    capsys.readouterr()
    assert main(["gate", "--metrics", str(tmp_path / "bad" / "metrics.json"), "--baseline", str(baseline)]) == 1
    table = capsys.readouterr().out
    assert "hierarchy.base.accuracy" in table and "FAIL" in table.upper()


def test_validate_command_with_replay(tmp_path, data_dir, onet_release, capsys):
    items = load_goldset(REAL_GOLDSET)
    preds = _predictions(tmp_path / "p.jsonl", _gold_predictions(items, onet_release, corrupt=0.0))
    code = main(["--data-dir", str(data_dir), "validate", "--backend", f"replay:{preds}", "--out",
                 str(tmp_path / "run"), "--no-progress", "--bootstrap", "100", "--split", "test"])
    assert code == 0
    out = capsys.readouterr().out
    assert "hierarchy.base.accuracy" in out
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["run"]["split"] == "test" and metrics["run"]["n_items"] == 180
    # rater-a's labels replayed: strict accuracy is high but not perfect (rater-b disagrees on some items)
    assert 0.9 <= metrics["metrics"]["hierarchy.top.accuracy"]["value"] <= 1.0
    assert metrics["metrics"]["hierarchy.top.accuracy_lenient"]["value"] == 1.0


def test_split_check_scores_only_the_check_items(tmp_path, mini_onet_dir):
    """``--split check`` scores the check items alone; the default (all) scores every split."""
    data = tmp_path / "data"
    shutil.copytree(mini_onet_dir, data / "onet" / "db_29_3_text")
    rows = [json.loads(line) for line in GOLDSET.read_text().splitlines()]
    for row in rows[3:]:
        row["split"] = "check"
    goldset = tmp_path / "gold.jsonl"
    goldset.write_text("".join(json.dumps(row) + "\n" for row in rows))
    preds = _predictions(tmp_path / "p.jsonl", [
        {"conversation_id": row["id"], "task_id": 101, "pattern": "directive", "occupational": True} for row in rows
    ])
    base = ["--data-dir", str(data), "validate", "--goldset", str(goldset), "--backend", f"replay:{preds}",
            "--no-progress", "--bootstrap", "20"]
    assert main([*base, "--out", str(tmp_path / "check"), "--split", "check"]) == 0
    metrics = json.loads((tmp_path / "check" / "metrics.json").read_text())
    assert metrics["run"]["split"] == "check" and metrics["run"]["n_items"] == 2
    items = pd.read_parquet(tmp_path / "check" / "items.parquet")
    assert list(items["item_id"]) == ["g-4", "g-5"] and set(items["split"]) == {"check"}
    assert main([*base, "--out", str(tmp_path / "all")]) == 0
    items = pd.read_parquet(tmp_path / "all" / "items.parquet")
    assert list(items["split"]) == ["dev", "test", "test", "check", "check"]
