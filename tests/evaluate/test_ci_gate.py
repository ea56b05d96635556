"""The CI gate: margins, statuses and the metrics/baseline readers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from scipy import stats

from harness.errors import InputError
from harness.evaluate import (
    MetricEntry,
    format_gate_table,
    gate,
    read_baseline,
    read_metrics,
    write_baseline,
)
from harness.run import read_metrics_file, write_metrics

FIXTURES = Path(__file__).parents[1] / "fixtures" / "evaluate"


def _row(result, name):
    return next(r for r in result.rows if r.name == name)


def test_identical_metrics_pass() -> None:
    result = gate(read_metrics(FIXTURES / "metrics.json"), read_baseline(FIXTURES / "baseline.json"))
    assert result.passed
    assert len(result.rows) == 10 and result.extra == ()
    assert all(r.status == "pass" for r in result.rows)
    table = format_gate_table(result)
    assert "gate PASSED" in table and "hierarchy.top.accuracy" in table


def test_degraded_metrics_fail_where_expected() -> None:
    result = gate(read_metrics(FIXTURES / "metrics_degraded.json"), read_baseline(FIXTURES / "baseline.json"))
    assert not result.passed
    failed = {r.name for r in result.failures}
    assert failed == {
        "hierarchy.top.accuracy",  # 0.61 -> 0.45 on 150 items
        "pattern.cohen_kappa",  # 0.40 -> 0.15
        "reconstruction.task.pearson",  # 0.85 -> 0.70 on 200 items
        "reconstruction.task.mse",  # doubled, beyond its interval
        "usage.cost_usd",  # +25 % against a 10 % tolerance
    }
    # A one-point drop on 150 items is noise.
    assert _row(result, "hierarchy.mid.accuracy").status == "pass"
    assert "within the margin" in _row(result, "hierarchy.mid.accuracy").reason
    assert "FAILED (5 of 10 metrics)" in format_gate_table(result)


def test_proportion_margin_is_the_binomial_one_sided_test() -> None:
    base = {"acc": MetricEntry(value=0.6, n=400, kind="proportion")}
    cur = {"acc": MetricEntry(value=0.55, n=400, kind="proportion")}
    result = gate(cur, base, z=1.645)
    smooth = [(400 * p + 0.5) / 401 for p in (0.6, 0.55)]
    se = math.sqrt(sum(p * (1 - p) / 400 for p in smooth))
    assert result.rows[0].margin == pytest.approx(1.645 * se)
    # The same drop passes or fails depending on sample size: 0.05 is ~1.4 SE at n=400 but ~5 SE at n=5000.
    assert result.passed
    big = gate({"acc": MetricEntry(0.55, "proportion", n=5000)}, {"acc": MetricEntry(0.6, "proportion", n=5000)})
    assert not big.passed
    # z decides: the one-sided p-value of the drop at n=400 sits between the two thresholds' levels.
    p_value = stats.norm.sf(0.05 / se)
    assert 0.025 < p_value < 0.5
    assert not gate(cur, base, z=stats.norm.isf(0.5 * (p_value + 0.5))).passed


def test_proportion_degenerate_sizes() -> None:
    # p = 1 on both sides does not claim zero noise: a small dip on 50 items passes.
    assert gate({"a": MetricEntry(0.98, "proportion", n=50)}, {"a": MetricEntry(1.0, "proportion", n=50)}).passed
    # Without n the values are taken as exact: any drop fails, equality passes.
    assert not gate({"a": MetricEntry(0.60, "proportion")}, {"a": MetricEntry(0.61, "proportion")}).passed
    assert gate({"a": MetricEntry(0.61, "proportion", n=0)}, {"a": MetricEntry(0.61, "proportion", n=0)}).passed
    # Improvements always pass.
    assert gate({"a": MetricEntry(0.9, "proportion", n=10)}, {"a": MetricEntry(0.1, "proportion", n=10)}).passed


def test_correlation_and_kappa_margins() -> None:
    base = {"r": MetricEntry(0.85, "correlation", n=200)}
    margin = gate({"r": MetricEntry(0.85, "correlation", n=200)}, base).rows[0].margin
    spread = 1.96 * math.sqrt(2 / 197)
    assert margin == pytest.approx(0.85 - math.tanh(math.atanh(0.85) - spread))
    # A perfect correlation on five items does not forbid every drop; on 5000 items a 0.01 drop fails.
    assert gate({"r": MetricEntry(0.99, "correlation", n=5)}, {"r": MetricEntry(1.0, "correlation", n=5)}).passed
    assert not gate(
        {"r": MetricEntry(0.98, "correlation", n=5000)}, {"r": MetricEntry(0.99, "correlation", n=5000)}
    ).passed
    kappa = gate({"k": MetricEntry(0.4, "kappa", n=150)}, {"k": MetricEntry(0.4, "kappa", n=150)}).rows[0]
    assert kappa.margin == pytest.approx(1.96 * math.sqrt(2 * (1 - 0.16) / 150))
    # With intervals on both sides, kappa's margin comes from their widths.
    with_ci = gate(
        {"k": MetricEntry(0.35, "kappa", n=150, ci_low=0.25, ci_high=0.45)},
        {"k": MetricEntry(0.4, "kappa", n=150, ci_low=0.3, ci_high=0.5)},
    ).rows[0]
    se = 0.2 / (2 * stats.norm.ppf(0.975))
    assert with_ci.margin == pytest.approx(1.96 * math.sqrt(2) * se)


def test_lower_is_better_kinds() -> None:
    assert gate({"c": MetricEntry(0.5, "cost")}, {"c": MetricEntry(1.0, "cost")}).passed
    assert gate({"c": MetricEntry(1.09, "cost")}, {"c": MetricEntry(1.0, "cost")}).passed
    failing = gate({"c": MetricEntry(1.11, "cost")}, {"c": MetricEntry(1.0, "cost")})
    assert not failing.passed and "higher" in failing.rows[0].reason
    assert not gate({"e": MetricEntry(0.2, "error")}, {"e": MetricEntry(0.1, "error")}, rel_tol=0.5).passed


def test_missing_nan_kind_change_and_extra() -> None:
    base = {
        "a": MetricEntry(0.5, "proportion", n=100),
        "b": MetricEntry(0.5, "proportion", n=100),
        "c": MetricEntry(0.5, "proportion", n=100),
        "d": MetricEntry(math.nan, "proportion", n=100),
        "n": MetricEntry(100, "count"),
    }
    cur = {
        "b": MetricEntry(math.nan, "proportion", n=100),
        "c": MetricEntry(0.5, "kappa", n=100),
        "d": MetricEntry(0.5, "proportion", n=100),
        "n": MetricEntry(3, "count"),
        "new": MetricEntry(0.1, "proportion", n=100),
    }
    result = gate(cur, base)
    statuses = {r.name: r.status for r in result.rows}
    assert statuses == {"a": "missing", "b": "nan", "c": "fail", "d": "nan", "n": "pass"}
    assert gate({"a": MetricEntry(math.inf, "error")}, {"a": MetricEntry(0.1, "error")}).rows[0].status == "nan"
    assert "baseline" in _row(result, "d").reason and "kind changed" in _row(result, "c").reason
    assert result.extra == ("new",)
    assert not result.passed
    assert "not gated" in format_gate_table(result)
    with pytest.raises(ValueError):
        gate(cur, base, z=0)
    with pytest.raises(ValueError):
        MetricEntry(0.5, "accuracy")  # type: ignore[arg-type]


def test_readers_roundtrip_and_null_value(tmp_path: Path) -> None:
    metrics = {
        "x": MetricEntry(0.5, "proportion", n=10, ci_low=0.2, ci_high=0.8),
        "y": MetricEntry(math.nan, "kappa", n=10),
    }
    write_metrics(tmp_path / "metrics.json", metrics, run={"backend": "replay"})
    raw = json.loads((tmp_path / "metrics.json").read_text())
    assert raw["metrics"]["y"]["value"] is None and raw["schema"] == "harness.metrics/1"
    loaded = read_metrics_file(tmp_path / "metrics.json")
    assert loaded.run == {"backend": "replay"}
    assert loaded.metrics["x"] == metrics["x"]
    assert math.isnan(loaded.metrics["y"].value)
    write_baseline(tmp_path / "baseline.json", {"x": metrics["x"]})
    assert read_baseline(tmp_path / "baseline.json") == {"x": metrics["x"]}


def _write(path: Path, body: object) -> Path:
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ('{"schema": "harness.metrics/1",\n "metrics": {', None, "not valid JSON"),
        ({"schema": "harness.baseline/1", "metrics": {}}, "schema", "harness.metrics/1"),
        ({"schema": "harness.metrics/1", "metrics": []}, "metrics", "object"),
        ({"schema": "harness.metrics/1", "metrics": {"a": {"value": 1, "kind": "accuracy"}}}, "metrics.a.kind", ""),
        (
            {"schema": "harness.metrics/1", "metrics": {"a": {"value": "0.5", "kind": "proportion"}}},
            "metrics.a.value",
            "",
        ),
        ({"schema": "harness.metrics/1", "metrics": {"a": {"kind": "proportion"}}}, "metrics.a.value", "null"),
        ({"schema": "harness.metrics/1", "metrics": {"a": {"value": 1, "kind": "count", "n": -1}}}, "metrics.a.n", ""),
    ],
)
def test_reader_errors_name_file_and_field(tmp_path: Path, body: object, field: str | None, message: str) -> None:
    path = _write(tmp_path / "metrics.json", body)
    with pytest.raises(InputError, match=message or None) as info:
        read_metrics(path)
    assert info.value.path == path
    assert info.value.field == field
    assert str(path) in str(info.value)


def test_reader_errors_for_missing_file_and_empty_baseline(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        read_metrics(tmp_path / "nope.json")
    bad = _write(tmp_path / "bad.json", '{\n  "schema": }')
    with pytest.raises(InputError) as info:
        read_metrics(bad)
    assert info.value.line == 2
    empty = _write(tmp_path / "baseline.json", {"schema": "harness.baseline/1", "metrics": {}})
    with pytest.raises(InputError, match="no metrics"):
        read_baseline(empty)
