"""Hierarchy accuracy: set accuracy, Wilson interval, bootstrap interval, group breakdown."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from harness.evaluate import LevelAccuracy, level_accuracy, set_accuracy_score, wilson_interval


def _wilson_by_root(k: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson bounds found independently: the p where |k/n - p| equals z * sqrt(p(1-p)/n)."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    phat = k / n

    def gap(p: float) -> float:
        return abs(phat - p) - z * math.sqrt(p * (1 - p) / n)

    low = 0.0 if k == 0 else optimize.brentq(gap, 1e-12, min(phat, 1 - 1e-9))
    high = 1.0 if k == n else optimize.brentq(gap, max(phat, 1e-9), 1 - 1e-12)
    return low, high


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (1, 10), (7, 10), (61, 150), (3, 1000), (500, 1000)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_root_finding(k: int, n: int, confidence: float) -> None:
    low, high = wilson_interval(k, n, confidence=confidence)
    ref_low, ref_high = _wilson_by_root(k, n, confidence)
    assert low == pytest.approx(ref_low, abs=1e-9)
    assert high == pytest.approx(ref_high, abs=1e-9)
    assert 0.0 <= low <= k / n <= high <= 1.0


def test_wilson_known_value_and_degenerate() -> None:
    # 0 successes in 10 trials at 95 %: upper bound z²/(n+z²) = 0.2775 (closed form when k = 0).
    z2 = stats.norm.ppf(0.975) ** 2
    assert wilson_interval(0, 10) == (0.0, pytest.approx(z2 / (10 + z2)))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        wilson_interval(1, 4, confidence=1.0)


def test_set_accuracy_against_direct_computation() -> None:
    rng = np.random.default_rng(3)
    nodes = [f"n{i}" for i in range(8)]
    y_true = [set(rng.choice(nodes, size=rng.integers(1, 4), replace=False)) for _ in range(300)]
    y_pred = [None if rng.random() < 0.1 else str(rng.choice(nodes)) for _ in range(300)]
    expected = np.mean([p is not None and p in t for t, p in zip(y_true, y_pred, strict=True)])
    assert set_accuracy_score(y_true, y_pred) == pytest.approx(expected)


def test_set_accuracy_edge_cases() -> None:
    assert set_accuracy_score([{"a"}, {"b", "c"}], ["a", "c"]) == 1.0
    assert set_accuracy_score([{"a"}, {"b"}], ["b", "a"]) == 0.0
    assert math.isnan(set_accuracy_score([], []))
    # A bare string is one node id, not its characters.
    assert set_accuracy_score(["abc"], ["a"]) == 0.0
    assert set_accuracy_score(["abc"], ["abc"]) == 1.0
    # Empty acceptable set and invalid prediction are wrong; NaN counts as invalid.
    assert set_accuracy_score([set(), {"a"}, {"a"}], ["a", None, float("nan")]) == 0.0
    with pytest.raises(ValueError):
        set_accuracy_score([{"a"}], [])


def test_level_accuracy_fields_and_invalid_count() -> None:
    y_true = [{"a"}, {"a", "b"}, {"c"}, {"d"}, {"e"}]
    y_pred = ["a", "b", None, "x", None]
    result = level_accuracy(y_true, y_pred, level="top", n_bootstrap=500, seed=1)
    assert isinstance(result, LevelAccuracy)
    assert (result.level, result.n, result.correct, result.invalid) == ("top", 5, 2, 2)
    assert result.accuracy == pytest.approx(0.4)
    assert (result.ci_low, result.ci_high) == pytest.approx(wilson_interval(2, 5))
    assert 0.0 <= result.boot_low <= 0.4 <= result.boot_high <= 1.0
    assert result.by_group == ()


def test_bootstrap_interval_close_to_scipy_percentile() -> None:
    rng = np.random.default_rng(7)
    correct = rng.random(400) < 0.63
    y_true = [{"ok"}] * 400
    y_pred = ["ok" if c else "no" for c in correct]
    result = level_accuracy(y_true, y_pred, level="base", n_bootstrap=4000, seed=2)
    ref = stats.bootstrap(
        (correct.astype(float),), np.mean, n_resamples=4000, method="percentile", random_state=np.random.default_rng(5)
    ).confidence_interval
    # Two independent Monte Carlo runs of the same bootstrap agree to about a percentage point.
    assert result.boot_low == pytest.approx(ref.low, abs=0.012)
    assert result.boot_high == pytest.approx(ref.high, abs=0.012)


def test_bootstrap_is_seeded() -> None:
    # Enough items that the percentile grid (steps of 1/n) separates two seeds.
    y_true = [{"a"}] * 5000
    y_pred = ["a"] * 3001 + ["b"] * 1999
    first = level_accuracy(y_true, y_pred, level="mid", seed=11)
    again = level_accuracy(y_true, y_pred, level="mid", seed=11)
    other = level_accuracy(y_true, y_pred, level="mid", seed=12)
    assert first == again
    assert (first.boot_low, first.boot_high) != (other.boot_low, other.boot_high)


def test_level_accuracy_degenerate() -> None:
    empty = level_accuracy([], [], level="top")
    assert empty.n == 0 and empty.correct == 0
    assert all(math.isnan(v) for v in (empty.accuracy, empty.ci_low, empty.ci_high, empty.boot_low, empty.boot_high))
    right = level_accuracy([{"a"}] * 10, ["a"] * 10, level="top")
    assert right.accuracy == 1.0 and right.ci_high == 1.0 and right.ci_low < 1.0
    assert right.boot_low == right.boot_high == 1.0
    wrong = level_accuracy([{"a"}] * 10, [None] * 10, level="top")
    assert wrong.accuracy == 0.0 and wrong.ci_low == 0.0 and wrong.invalid == 10
    assert wrong.boot_low == wrong.boot_high == 0.0
    with pytest.raises(ValueError):
        level_accuracy([{"a"}], ["a"], level="top", n_bootstrap=0)
    with pytest.raises(ValueError):
        level_accuracy([{"a"}], ["a"], level="top", groups=["11", "13"])


def test_group_breakdown() -> None:
    y_true = [{"a"}] * 6
    y_pred = ["a", "a", "b", "a", None, "b"]
    groups = ["15", "15", "15", "43", "43", None]
    result = level_accuracy(y_true, y_pred, level="top", groups=groups, n_bootstrap=200)
    by = {g.group: g for g in result.by_group}
    assert [g.group for g in result.by_group] == ["(none)", "15", "43"]
    assert (by["15"].n, by["15"].correct) == (3, 2)
    assert (by["43"].n, by["43"].correct, by["43"].invalid) == (2, 1, 1)
    assert (by["(none)"].n, by["(none)"].correct) == (1, 0)
    assert sum(g.n for g in result.by_group) == result.n
    assert all(g.level == "top" for g in result.by_group)
    frame = result.to_frame()
    assert list(frame["group"]) == ["(all)", "(none)", "15", "43"]
    assert frame.loc[frame["group"] == "15", "accuracy"].item() == pytest.approx(2 / 3)
