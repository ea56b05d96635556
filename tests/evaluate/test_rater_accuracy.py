"""Accuracy against each rater alone, its mean, and the raters' agreement as the ceiling: hand-checked numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.classify import ReplayClassifier
from harness.evaluate import format_rater_readings, run_validation
from harness.taxonomy import build_work_activity_hierarchy, load_onet

GOLDSET = Path(__file__).resolve().parents[1] / "fixtures" / "goldsets" / "synthetic.jsonl"
# g-1 a:{101}; g-2 a:{201, 202} b:{202} c:not occupational; g-3 a:{101} b:not occupational; g-4 a:not occupational;
# g-5 a:{102, 301} b:{102}
PREDICTIONS = [
    {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True},
    {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True},
    {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False},
    {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
]  # g-5 has no prediction: wrong everywhere


@pytest.fixture(scope="module")
def readings(mini_onet_dir, tmp_path_factory):
    release = load_onet(mini_onet_dir)
    hierarchy = build_work_activity_hierarchy(release)
    folder = tmp_path_factory.mktemp("per-rater")
    path = folder / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in PREDICTIONS))
    scores = run_validation([GOLDSET], ReplayClassifier(path, hierarchy), hierarchy, release, folder / "run",
                            progress=False, n_bootstrap=200)
    written = json.loads((folder / "run" / "metrics.json").read_text())
    assert written["per_rater"] == json.loads(json.dumps(scores.sections["per_rater"]))
    return scores, {f["field"]: f for f in scores.sections["per_rater"]["fields"]}


def test_per_rater_accuracy_by_hand(readings) -> None:
    scores, fields = readings
    base = fields["base"]
    # rater-a calls g-1, g-2, g-3, g-5 occupational: right on g-1 (101) and g-2 (201 is hers); rater-b scores g-2 and
    # g-5 and accepts neither; rater-c scores no item of the hierarchy
    assert base["per_rater"]["rater-a"] == {"n": 4, "accuracy": 0.5}
    assert base["per_rater"]["rater-b"] == {"n": 2, "accuracy": 0.0}
    assert base["per_rater"]["rater-c"] == {"n": 0, "accuracy": None}
    assert base["mean"] == pytest.approx(0.25)
    assert base["strict"] == scores.metrics["hierarchy.base.accuracy"].value == 0.25
    pattern = fields["pattern"]
    assert [pattern["per_rater"][r]["accuracy"] for r in ("rater-a", "rater-b", "rater-c")] == [0.6, 0.0, 1.0]
    assert pattern["mean"] == pytest.approx((0.6 + 0.0 + 1.0) / 3)
    assert pattern["ci_low"] <= pattern["mean"] <= pattern["ci_high"]
    screening = fields["screening"]
    assert screening["mean"] == pytest.approx((3 / 5 + 2 / 3 + 0.0) / 3)


def test_ceiling_is_the_raters_scored_against_each_other(readings) -> None:
    _, fields = readings
    # ordered pairs on shared items: g-2 (a, b, c), g-3 (a, b), g-5 (a, b)
    assert fields["pattern"]["ceiling"] == pytest.approx(4 / 10) and fields["pattern"]["ceiling_n"] == 10
    assert fields["screening"]["ceiling"] == pytest.approx(4 / 10)
    # base: against a's g-2 label b's 202 is right, c (no task) wrong; against b's, a's first task 201 and c wrong;
    # g-3: against a, b (no task) wrong; g-5: each one's first task 102 is the other's
    assert fields["base"]["ceiling"] == pytest.approx(3 / 7) and fields["base"]["ceiling_n"] == 7


def test_text_says_which_reading_the_gates_use(readings) -> None:
    scores, _ = readings
    text = format_rater_readings(scores.sections["per_rater"])
    assert "rater-a" in text and "ceiling" in text and "strict reading" in text and "majority" in text
