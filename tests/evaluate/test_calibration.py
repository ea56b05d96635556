"""Calibration of per-prediction confidence: ECE, reliability, selective accuracy, and what validate writes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.classify import ReplayClassifier
from harness.evaluate import (
    abstention_sweep,
    calibration_error_interval,
    expected_calibration_error,
    reliability_table,
    run_validation,
    selective_accuracy_curve,
)
from harness.taxonomy import build_work_activity_hierarchy, load_onet
from tests.conftest import FIXTURES

GOLDSET = FIXTURES / "goldsets" / "synthetic.jsonl"


def test_ece_by_hand() -> None:
    # bins of width 0.5: [0.2, 0.4] right, wrong -> acc 0.5, conf 0.3; [0.8, 0.9, 0.6] right, right, wrong
    y = [True, False, True, True, False]
    p = [0.2, 0.4, 0.8, 0.9, 0.6]
    want = (2 / 5) * abs(0.5 - 0.3) + (3 / 5) * abs(2 / 3 - (0.8 + 0.9 + 0.6) / 3)
    assert expected_calibration_error(y, p, n_bins=2) == pytest.approx(want)
    table = reliability_table(y, p, n_bins=2)
    assert table["n"].tolist() == [2, 3]
    assert table["accuracy"].tolist() == pytest.approx([0.5, 2 / 3])


def test_perfectly_calibrated_confidence_has_small_ece_and_a_rising_curve() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(20000)
    y = rng.random(20000) < p
    assert expected_calibration_error(y, p) < 0.02
    # an over-confident version of the same predictions is far off
    assert expected_calibration_error(y, np.sqrt(p)) > 0.1
    curve = selective_accuracy_curve(y, p)
    assert curve["accuracy"].is_monotonic_increasing  # fewer, more confident predictions: more of them right
    assert curve["coverage"].tolist() == pytest.approx([1.0 - k / 10 for k in range(10)], abs=1e-3)


def test_confidence_one_falls_in_the_last_bin_and_bad_input_is_refused() -> None:
    assert reliability_table([True], [1.0], n_bins=4)["n"].tolist() == [0, 0, 0, 1]
    with pytest.raises(ValueError, match="probabilities"):
        expected_calibration_error([True], [1.2])
    with pytest.raises(ValueError, match="right/wrong"):
        expected_calibration_error([2], [0.5])
    with pytest.raises(ValueError, match="equally long"):
        expected_calibration_error([True, False], [0.5])


def test_bootstrap_interval_brackets_the_estimate_and_is_seeded() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(300)
    y = rng.random(300) < p * 0.8
    low, high = calibration_error_interval(y, p, n_bootstrap=400, seed=5)
    assert low < expected_calibration_error(y, p) < high
    assert (low, high) == calibration_error_interval(y, p, n_bootstrap=400, seed=5)
    assert all(math.isnan(v) for v in calibration_error_interval([], [], n_bootstrap=10))


def test_abstention_sweep_by_hand() -> None:
    gold = ["15", "15", "43", "27"]
    pred = ["15", "43", "43", "15"]
    conf = [0.9, 0.2, 0.7, 0.4]
    rows = {r["threshold"]: r for r in abstention_sweep(gold, pred, conf, thresholds=(0.0, 0.5))}
    assert rows[0.0]["accuracy"] == 0.5 and rows[0.0]["kept"] == 4
    # gold shares 15: .5, 43: .25, 27: .25; predicted 15: .5, 43: .5 -> distance (0 + .25 + .25) / 2
    assert rows[0.0]["total_variation"] == pytest.approx(0.25)
    assert rows[0.5]["kept"] == 2 and rows[0.5]["accuracy"] == 1.0 and rows[0.5]["total_variation"] == 0.0


@pytest.fixture(scope="module")
def mini(mini_onet_dir):
    release = load_onet(mini_onet_dir)
    return release, build_work_activity_hierarchy(release)


PREDICTIONS = [
    {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True},
    {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True},
    {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False},
    {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
]


def _validate(tmp_path, mini, rows):
    release, hierarchy = mini
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    scores = run_validation([GOLDSET], ReplayClassifier(path, hierarchy), hierarchy, release, tmp_path / "run",
                            progress=False, n_bootstrap=50)
    return scores, json.loads((tmp_path / "run" / "metrics.json").read_text())


def test_validate_without_confidence_writes_no_calibration(tmp_path, mini) -> None:
    scores, written = _validate(tmp_path, mini, PREDICTIONS)
    assert "calibration.major_group.ece" not in scores.metrics and "calibration" not in written
    assert scores.items["confidence"].isna().all()


def test_validate_with_confidence_reports_calibration(tmp_path, mini) -> None:
    rows = [{**row, "confidence": c} for row, c in zip(PREDICTIONS, (0.9, 0.6, 0.3, 0.8), strict=True)]
    scores, written = _validate(tmp_path, mini, rows)
    entry = scores.metrics["calibration.major_group.ece"]
    section = written["calibration"]
    assert entry.kind == "error" and entry.n == section["splits"]["all"]["n"] > 0
    assert entry.value == pytest.approx(section["splits"]["all"]["ece"])
    assert set(section["splits"]["all"]["selective"]) == {"top", "mid", "base", "major_group"}
    assert len(section["splits"]["all"]["reliability"]) == section["n_bins"] == 10
    assert section["abstention"][0]["threshold"] == 0.0
    assert scores.items["confidence"].tolist()[:4] == pytest.approx([0.9, 0.6, 0.3, 0.8])
