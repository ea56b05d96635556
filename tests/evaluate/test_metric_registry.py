"""The metric registry: lookups, and that validate, compare and the gate agree with it, metric by metric."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

from harness.classify import ReplayClassifier
from harness.evaluate import (
    KINDS,
    METRICS,
    MetricEntry,
    MetricSpec,
    UnknownMetricError,
    _registry,
    compare_runs,
    gate,
    load_goldset,
    metric_direction,
    metric_names,
    metric_spec,
    read_baseline,
    run_validation,
)
from harness.evaluate._scoring import FACET_SCORERS, ScoringInput
from harness.taxonomy import build_work_activity_hierarchy, load_onet
from tests.conftest import FIXTURES

GOLDSET = FIXTURES / "goldsets" / "synthetic.jsonl"
BASELINE = FIXTURES.parents[1] / "goldsets" / "baselines" / "embedding-minilm.json"
PREDICTIONS = [
    {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True, "cost_usd": 0.002,
     "confidence": 0.9},
    {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True, "cost_usd": 0.003,
     "confidence": 0.4},
    {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False, "confidence": 0.2},
    {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
]


@pytest.fixture(scope="module")
def mini(mini_onet_dir):
    release = load_onet(mini_onet_dir)
    return release, build_work_activity_hierarchy(release)


@pytest.fixture(scope="module")
def replay(mini, tmp_path_factory):
    path = tmp_path_factory.mktemp("replay") / "predictions.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in PREDICTIONS))
    return ReplayClassifier(path, mini[1])


# --------------------------------------------------------------------------------------------- lookups


def test_lookup_exact_template_and_unknown() -> None:
    assert metric_spec("pattern.cohen_kappa").kind == "kappa"
    assert metric_spec("hierarchy.mid2.accuracy").name == "hierarchy.{level}.accuracy"  # a Clio-style level
    # an exact name wins over the template it also matches
    assert metric_spec("hierarchy.major_group.accuracy").facet == "major_group"
    assert metric_spec("reconstruction.task.size-50.mse").direction == "lower"
    with pytest.raises(UnknownMetricError, match=r"unknown metric 'pattern\.acuracy'.*_registry\.py") as info:
        metric_spec("pattern.acuracy")
    assert isinstance(info.value, KeyError)
    with pytest.raises(UnknownMetricError):
        metric_spec("hierarchy.top.accuracy.extra")  # a placeholder never spans a dot


def test_specs_are_checked_at_construction() -> None:
    good = {"name": "x.y", "kind": "proportion", "direction": "higher", "facet": "pattern", "description": "d"}
    MetricSpec(**good)
    for field, bad in (("kind", "ratio"), ("direction", "up"), ("facet", "misc"), ("description", " ")):
        with pytest.raises(ValueError, match=field if field != "description" else "description"):
            MetricSpec(**{**good, field: bad})
    with pytest.raises(ValueError, match="columns"):
        MetricSpec(**good, paired_test="bootstrap")


def test_registry_is_consistent() -> None:
    names = [spec.name for spec in METRICS]
    assert len(names) == len(set(names))
    assert {spec.kind for spec in METRICS} <= set(KINDS)
    assert all(spec.direction != "none" for spec in METRICS)  # every registered metric is judged
    assert metric_names() == metric_names(("top", "mid", "base"))
    assert "hierarchy.mid1.accuracy" in metric_names(("top", "mid1", "mid2", "base"))
    with pytest.raises(ValueError):
        metric_names(producer="reconstruct")


def test_shipped_baseline_names_and_kinds_are_registered() -> None:
    """The CI baseline must keep working: its names exist, in the same order, with the same kinds."""
    baseline = read_baseline(BASELINE)
    names = metric_names()
    assert [n for n in names if n in baseline] == list(baseline)
    for name, entry in baseline.items():
        assert metric_spec(name).kind == entry.kind, name
    assert "major_group.macro_f1" in names and "major_group.macro_f1" not in baseline


# --------------------------------------------------------------------------------------------- validate


def test_every_registered_metric_is_produced_by_validate(tmp_path, mini, replay) -> None:
    release, hierarchy = mini
    scores = run_validation([GOLDSET], replay, hierarchy, release, tmp_path / "run", progress=False,
                            n_bootstrap=50)
    expected = list(metric_names(hierarchy.levels))
    assert list(scores.metrics) == expected  # nothing forgotten, nothing extra, in registry order
    written = json.loads((tmp_path / "run" / "metrics.json").read_text())["metrics"]
    assert list(written) == expected
    for name, entry in written.items():
        assert entry["kind"] == metric_spec(name).kind, name


def test_each_facet_scorer_produces_exactly_its_facet(mini, replay) -> None:
    release, hierarchy = mini
    items = load_goldset(GOLDSET)
    preds = replay.classify([dataclasses.replace(item.conversation, id=item.id) for item in items])
    data = ScoringInput.join(items, preds, hierarchy, release, n_bootstrap=50)
    facets = {spec.facet for spec in METRICS if spec.producer == "validate"}
    assert facets <= set(FACET_SCORERS)
    for facet, scorer in FACET_SCORERS.items():
        produced = set(scorer(data).metrics)
        expected = set(metric_names(hierarchy.levels, facet=facet)) if facet in facets else set()
        assert produced == expected, facet


def test_conditional_metric_is_left_out_without_cost(tmp_path, mini) -> None:
    release, hierarchy = mini
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps({k: v for k, v in row.items() if k != "cost_usd"}) + "\n"
                            for row in PREDICTIONS))
    scores = run_validation([GOLDSET], ReplayClassifier(path, hierarchy), hierarchy, release, tmp_path / "run",
                            progress=False, n_bootstrap=50)
    missing = set(metric_names(hierarchy.levels)) - set(scores.metrics)
    assert missing == {"cost.usd_per_item"}
    assert all(metric_spec(name).condition for name in missing)


def test_validate_macro_f1_matches_compare(tmp_path, mini, replay) -> None:
    """Validate's macro-F1 and compare's baseline value are one computation on the same items."""
    release, hierarchy = mini
    scores = run_validation([GOLDSET], replay, hierarchy, release, tmp_path / "run", progress=False,
                            n_bootstrap=200)
    entry = scores.metrics["major_group.macro_f1"]
    items = scores.items
    assert "pred_major_group" in items.columns
    block = scores.sections["hierarchy"]["major_group_f1"]
    assert block["n"] == entry.n == items["major_group"].notna().sum()
    assert entry.ci_low <= entry.value <= entry.ci_high
    same = compare_runs(items, items.copy(), n_resamples=50)
    f1 = next(m for m in same.metrics if m.name == "major_group.macro_f1")
    assert f1.baseline == pytest.approx(entry.value) and f1.difference == 0.0 and f1.kind == "score"


# --------------------------------------------------------------------------------------------- compare


def test_compare_tests_exactly_the_registered_paired_metrics(synthetic_items) -> None:
    a = synthetic_items(seed=1)
    b = synthetic_items(seed=2)
    for frame, seed in ((a, 1), (b, 2)):
        rng = np.random.default_rng(seed)
        frame["pred_major_group"] = np.where(rng.random(len(frame)) < 0.7, frame["major_group"],
                                             rng.choice(["11", "15", "43"], size=len(frame)))
        frame["correct_major_group"] = frame["pred_major_group"] == frame["major_group"]
    result = compare_runs(a, b, n_resamples=50)
    paired = [spec for spec in METRICS if spec.paired_test is not None]
    expected = {name for spec in paired for name in metric_names() if metric_spec(name) is spec}
    assert {m.name for m in result.metrics} == expected
    assert {name for name, _ in result.mcnemar} == {m for m in expected if metric_spec(m).paired_test == "mcnemar"}
    for change in result.metrics:
        assert change.kind == metric_spec(change.name).kind
        assert 0.0 <= change.p_value <= 1.0  # McNemar's mid-p for accuracies, the bootstrap p-value otherwise
    # runs written before pred_major_group / correct_major_group existed are still compared, without those metrics
    old = compare_runs(a.drop(columns="pred_major_group"), b, n_resamples=50)
    assert {m.name for m in old.metrics} == expected - {"major_group.macro_f1"}
    older = compare_runs(a.drop(columns=["pred_major_group", "correct_major_group"]), b, n_resamples=50)
    assert {m.name for m in older.metrics} == expected - {"major_group.macro_f1", "hierarchy.major_group.accuracy"}


def test_compare_refuses_differing_gold_major_groups(synthetic_items) -> None:
    a = synthetic_items(seed=1).assign(pred_major_group="11")
    b = a.copy()
    b.loc[0, "major_group"] = "99" if b.loc[0, "major_group"] != "99" else "11"
    with pytest.raises(ValueError, match="major_group differs"):
        compare_runs(a, b, n_resamples=10)


# --------------------------------------------------------------------------------------------- gate


def test_gate_reports_a_new_metric_as_not_gated() -> None:
    """The shipped baseline predates macro-F1: the gate must pass and list it as new, not fail."""
    baseline = read_baseline(BASELINE)
    current = {**baseline, "major_group.macro_f1": MetricEntry(0.3, "score", 170, 0.22, 0.38)}
    result = gate(current, baseline)
    assert result.passed and result.extra == ("major_group.macro_f1",)


def test_gate_takes_the_direction_from_the_registry(monkeypatch) -> None:
    base = {"classification.invalid_share": MetricEntry(0.10, "proportion", 400)}
    worse = {"classification.invalid_share": MetricEntry(0.30, "proportion", 400)}
    # unregistered: a proportion is read as higher-is-better, so a rise passes
    assert gate(worse, base).passed
    spec = MetricSpec("classification.invalid_share", "proportion", "lower", "validity", "Share of invalid answers.")
    monkeypatch.setitem(_registry._BY_NAME, spec.name, spec)
    assert metric_direction(spec.name, "proportion") == "lower"
    row = gate(worse, base).rows[0]
    assert row.status == "fail" and "higher than baseline" in row.reason
    assert gate(base, worse).passed


def test_gate_score_margin_uses_intervals() -> None:
    base = {"major_group.macro_f1": MetricEntry(0.40, "score", 170, 0.32, 0.48)}
    small_drop = {"major_group.macro_f1": MetricEntry(0.36, "score", 170, 0.28, 0.44)}
    big_drop = {"major_group.macro_f1": MetricEntry(0.20, "score", 170, 0.13, 0.27)}
    assert gate(small_drop, base).passed
    failed = gate(big_drop, base)
    assert not failed.passed and "SE from CIs" in failed.rows[0].reason
    # without intervals the binomial form is used (and says so)
    bare = gate({"major_group.macro_f1": MetricEntry(0.36, "score", 170)},
                {"major_group.macro_f1": MetricEntry(0.40, "score", 170)})
    assert "binomial SE" in bare.rows[0].reason


def test_metrics_json_sections_hold_what_the_report_reads(tmp_path, mini, replay) -> None:
    release, hierarchy = mini
    scores = run_validation([GOLDSET], replay, hierarchy, release, tmp_path / "run", progress=False,
                            n_bootstrap=50)
    pattern = scores.sections["pattern"]
    assert sum(pattern["gold_mode_shares"].values()) == pattern["n"] == len(scores.items)
    per_group = pd.DataFrame(scores.sections["hierarchy"]["major_group_f1"]["per_group"])
    assert per_group["support"].sum() == scores.metrics["major_group.macro_f1"].n
