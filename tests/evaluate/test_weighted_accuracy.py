"""Accuracy weighted back to a pool (Horvitz–Thompson): the metric, the weights, and validate's use of them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from harness.classify import ReplayClassifier
from harness.cli import main
from harness.evaluate import (
    inclusion_weights,
    load_goldset,
    metric_names,
    metric_spec,
    run_validation,
    weighted_accuracy_score,
)
from harness.taxonomy import build_work_activity_hierarchy, load_onet

GOLDSET = Path(__file__).resolve().parents[1] / "fixtures" / "goldsets" / "synthetic.jsonl"
PREDICTIONS = [
    {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True},
    {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True},
    {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False},
    {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
]


def test_weighted_accuracy_values() -> None:
    assert weighted_accuracy_score(["a", "b"], ["a", "c"], sample_weight=[3.0, 1.0]) == pytest.approx(0.75)
    assert weighted_accuracy_score(["a", "b"], ["a", "c"], sample_weight=[1.0, 1.0]) == pytest.approx(0.5)
    # acceptable sets, bools, and invalid predictions (wrong)
    assert weighted_accuracy_score([{"x", "y"}, {"z"}], ["y", None], sample_weight=[1, 4]) == pytest.approx(0.2)
    assert weighted_accuracy_score([True, False], [True, True], sample_weight=[2, 2]) == pytest.approx(0.5)
    assert math.isnan(weighted_accuracy_score([], [], sample_weight=[]))


@pytest.mark.parametrize("weights", [[1.0], [0.0, 1.0], [-1.0, 1.0], [math.inf, 1.0], [math.nan, 1.0]])
def test_weighted_accuracy_refuses_bad_weights(weights) -> None:
    with pytest.raises(ValueError, match="sample_weight"):
        weighted_accuracy_score(["a", "b"], ["a", "b"], sample_weight=weights)


def _with_probabilities(tmp_path, probabilities, pools=None):
    lines = GOLDSET.read_text().splitlines()
    out = []
    for k, line in enumerate(lines):
        obj = json.loads(line)
        if probabilities[k] is not None:
            obj["sample"] = {"inclusion_probability": probabilities[k]}
            if pools:
                obj["sample"]["pool_sha256"] = pools[k]
        out.append(json.dumps(obj))
    path = tmp_path / "weighted.jsonl"
    path.write_text("\n".join(out) + "\n")
    return path


def test_inclusion_weights_rules(tmp_path) -> None:
    plain = inclusion_weights(load_goldset(GOLDSET))
    assert plain.weights is None and plain.note == ""
    full = inclusion_weights(load_goldset(_with_probabilities(tmp_path, [1.0, 0.5, 0.25, 0.2, 0.1])))
    assert full.weights == (1.0, 2.0, 4.0, 5.0, 10.0) and "Horvitz-Thompson" in full.note
    partial = inclusion_weights(load_goldset(_with_probabilities(tmp_path, [1.0, None, 0.25, 0.2, 0.1])))
    assert partial.weights is None and "only 4 of 5" in partial.note
    bad = inclusion_weights(load_goldset(_with_probabilities(tmp_path, [1.0, 1.5, 0.25, 0.2, 0.1])))
    assert bad.weights is None and "outside (0, 1]" in bad.note
    pools = ["a", "a", "b", "a", "a"]
    mixed = inclusion_weights(load_goldset(_with_probabilities(tmp_path, [1.0, 0.5, 0.25, 0.2, 0.1], pools)))
    assert mixed.weights is None and "2 different pools" in mixed.note


def test_weighted_metrics_are_registered_but_listed_only_on_request() -> None:
    weighted = set(metric_names(weighted=True)) - set(metric_names())
    assert weighted == {"hierarchy.top.accuracy_weighted", "hierarchy.mid.accuracy_weighted",
                        "hierarchy.base.accuracy_weighted", "hierarchy.major_group.accuracy_weighted",
                        "pattern.accuracy_weighted", "screening.accuracy_weighted"}
    for name in weighted:
        spec = metric_spec(name)
        assert spec.weighted and spec.kind == "score" and spec.condition and spec.paired_test is None


@pytest.fixture(scope="module")
def mini(mini_onet_dir):
    release = load_onet(mini_onet_dir)
    return release, build_work_activity_hierarchy(release)


def test_validate_weights_accuracy_when_items_carry_probabilities(tmp_path, mini) -> None:
    release, hierarchy = mini
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(row) + "\n" for row in PREDICTIONS))
    replay = ReplayClassifier(predictions, hierarchy)
    goldset = _with_probabilities(tmp_path, [1.0, 0.5, 0.25, 0.2, 0.1])
    scores = run_validation([goldset], replay, hierarchy, release, tmp_path / "run", progress=False, n_bootstrap=50)
    plain = run_validation([GOLDSET], replay, hierarchy, release, tmp_path / "plain", progress=False, n_bootstrap=50)
    assert set(scores.metrics) - set(plain.metrics) == set(metric_names(hierarchy.levels, weighted=True)) - set(
        metric_names(hierarchy.levels))
    # the unweighted metrics are unchanged by the probabilities
    assert {k: v.value for k, v in plain.metrics.items()} == pytest.approx(
        {k: scores.metrics[k].value for k in plain.metrics}, nan_ok=True)
    # each weighted accuracy is the weighted share of the items the plain one scores right
    weights = [1.0, 2.0, 4.0, 5.0, 10.0]
    table = scores.items
    for facet in ("pattern", "occupational"):
        gold, pred = list(table[f"gold_{facet}"]), list(table[f"pred_{facet}"])
        name = "pattern.accuracy_weighted" if facet == "pattern" else "screening.accuracy_weighted"
        expected = weighted_accuracy_score(gold, pred, sample_weight=weights)
        assert scores.metrics[name].value == pytest.approx(expected)
        assert scores.metrics[name].value != pytest.approx(
            plain.metrics[name.replace("_weighted", "")].value) or len(set(map(str, gold))) == 1
    scored = table["correct_top"].notna()
    flags = list(table.loc[scored, "correct_top"].astype(bool))
    top = weighted_accuracy_score([True] * len(flags), flags, sample_weight=[w for w, s in zip(weights, scored,
                                                                                              strict=True) if s])
    assert scores.metrics["hierarchy.top.accuracy_weighted"].value == pytest.approx(top)
    assert scores.metrics["hierarchy.top.accuracy_weighted"].n == int(scored.sum())
    entry = scores.metrics["pattern.accuracy_weighted"]
    assert entry.kind == "score" and entry.ci_low <= entry.value <= entry.ci_high
    section = scores.sections["weighting"]
    assert "Horvitz-Thompson" in section["note"] and section["n_items"] == 5
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert "pattern.accuracy_weighted" in written["metrics"] and "weighting" in written
    assert "weighting" not in plain.sections


def test_validate_cli_says_it_weighted(tmp_path, mini_onet_dir, capsys) -> None:
    data = tmp_path / "data" / "onet"
    data.mkdir(parents=True)
    (data / "db_29_3_text").symlink_to(mini_onet_dir)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps(row) + "\n" for row in PREDICTIONS))
    goldset = _with_probabilities(tmp_path, [1.0, 0.5, 0.25, 0.2, 0.1])
    rc = main(["--data-dir", str(tmp_path / "data"), "validate", "--goldset", str(goldset), "--backend",
               f"replay:{predictions}", "--out", str(tmp_path / "run"), "--bootstrap", "50", "--no-progress"])
    out = capsys.readouterr().out
    assert rc == 0
    assert "pattern.accuracy_weighted" in out
    assert "weighting: accuracy weighted back to the pool by 1/inclusion probability (Horvitz-Thompson)" in out
