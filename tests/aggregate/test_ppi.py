"""Prediction-powered share intervals: ppi-python's estimators as we call them, a brute-force check on a tiny case,
ppi-python's documented examples, the label budget, and a small coverage simulation (the fast version of
``scripts/bench_ppi_coverage.py``)."""

from __future__ import annotations

import math

import numpy as np
import ppi_py
import pytest
from scipy import sparse, stats

from harness.aggregate import labels_for_halfwidth, share_intervals
from harness.aggregate._ppi import _halfwidth


def _data(seed: int, n: int = 200, big_n: int = 2000, k: int = 3, accuracy: float = 0.7):
    """One-hot gold and predicted classes; wrong predictions all go to class 0 (a biased classifier)."""
    rng = np.random.default_rng(seed)
    truth = rng.choice(k, size=n + big_n, p=np.linspace(1, 2, k) / np.linspace(1, 2, k).sum())
    pred = np.where(rng.random(truth.size) < accuracy, truth, 0)
    eye = np.eye(k)
    return eye[truth[:n]], eye[pred[:n]], eye[pred[n:]]


def test_each_interval_is_ppi_pythons_own_at_the_corrected_level() -> None:
    y, f, fu = _data(0)
    estimates = share_intervals(y, f, fu, ["a", "b", "c"], alpha=0.1)
    per_share = 0.1 / 3
    for k, est in enumerate(estimates):
        low, high = ppi_py.ppi_mean_ci(y[:, k], f[:, k], fu[:, k], alpha=per_share)
        assert (est.ppi_low, est.ppi_high) == pytest.approx((max(0, low[0]), min(1, high[0])))
        assert est.ppi == pytest.approx(ppi_py.ppi_mean_pointestimate(y[:, k], f[:, k], fu[:, k])[0])
        assert (est.classical_low, est.classical_high) == pytest.approx(
            ppi_py.classical_mean_ci(y[:, k], alpha=per_share))
        assert (est.naive_low, est.naive_high) == pytest.approx(ppi_py.classical_mean_ci(fu[:, k], alpha=per_share))
        assert est.confidence == pytest.approx(1 - per_share) and est.supported
    # sparse corpus memberships give the same numbers
    again = share_intervals(y, f, sparse.csc_array(fu), ["a", "b", "c"], alpha=0.1)
    assert [e.ppi_low for e in again] == pytest.approx([e.ppi_low for e in estimates])


def test_brute_force_on_a_tiny_case() -> None:
    """PPI++ written out by hand (power-tuned λ, its variance and the normal interval) on 6 + 10 items."""
    y = np.array([1, 0, 1, 1, 0, 0], dtype=float)
    f = np.array([1, 0, 0, 1, 1, 0], dtype=float)
    fu = np.array([1, 1, 0, 0, 1, 0, 1, 1, 0, 1], dtype=float)
    n, big_n, alpha = y.size, fu.size, 0.05
    z = stats.norm.ppf(1 - alpha / 2)
    cov = sum((a - y.mean()) * (b - f.mean()) for a, b in zip(y, f, strict=True)) / n
    pooled = np.concatenate([f, fu])
    var_pooled = sum((v - pooled.mean()) ** 2 for v in pooled) / (pooled.size - 1)
    lam = min(1.0, max(0.0, cov / ((1 + n / big_n) * var_pooled)))
    point = lam * fu.mean() + (y - lam * f).mean()
    se = math.sqrt(np.var(lam * fu) / big_n + np.var(y - lam * f) / n)
    [est] = share_intervals(y[:, None], f[:, None], fu[:, None], ["x"], alpha=alpha)
    assert est.lam == pytest.approx(lam)
    assert est.ppi == pytest.approx(point)
    assert (est.ppi_low, est.ppi_high) == pytest.approx((max(0, point - z * se), min(1, point + z * se)))
    assert (est.naive_low, est.naive_high) == pytest.approx(
        (fu.mean() - z * fu.std() / math.sqrt(big_n), fu.mean() + z * fu.std() / math.sqrt(big_n)))
    assert est.classical == pytest.approx(0.5) and est.labelled_in_class == 3


def test_ppi_pythons_documented_point_estimate_example() -> None:
    """ppi-python's own check: predictions off by exactly +2 everywhere give back the true mean 0."""
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, 100)
    [est] = share_intervals(y[:, None], (y + 2)[:, None], np.full((10000, 1), 2.0), ["x"], correction="none")
    assert est.ppi == pytest.approx(0.0, abs=1e-9)


def test_ppi_pythons_documented_coverage_example_with_useless_predictions() -> None:
    """ppi-python's coverage check, for shares: predictions unrelated to the truth and biased still cover."""
    rng = np.random.default_rng(1)
    covered = 0
    for _ in range(300):
        y = (rng.random(300) < 0.3).astype(float)
        f = (rng.random(300) < 0.6).astype(float)
        fu = (rng.random(3000) < 0.6).astype(float)
        [est] = share_intervals(y[:, None], f[:, None], fu[:, None], ["x"], alpha=0.1, correction="none")
        covered += est.ppi_low <= 0.3 <= est.ppi_high
    assert covered / 300 >= 0.9 - 0.04


def test_constant_predictions_reduce_to_the_classical_interval() -> None:
    y, f, fu = _data(2)
    f[:, 2] = 0
    fu[:, 2] = 0  # the classifier never says class 2
    est = share_intervals(y, f, fu, ["a", "b", "c"])[2]
    assert est.lam == 0.0
    assert (est.ppi_low, est.ppi_high) == pytest.approx((est.classical_low, est.classical_high))


def test_unsupported_shares_leave_the_bonferroni_family() -> None:
    y, f, fu = _data(3)
    y[:, 2] = 0  # no labelled item belongs to class 2
    estimates = share_intervals(y, f, fu, ["a", "b", "c"], alpha=0.05, min_support=10)
    assert [e.supported for e in estimates] == [True, True, False]
    assert all(e.confidence == pytest.approx(1 - 0.05 / 2) for e in estimates)
    assert estimates[2].labelled_in_class == 0


def test_weights_reach_ppi_python_and_equal_weights_change_nothing() -> None:
    y, f, fu = _data(4)
    w = np.random.default_rng(4).uniform(0.5, 3, size=len(y))
    weighted = share_intervals(y, f, fu, ["a", "b", "c"], weights=w, correction="none")
    low, high = ppi_py.ppi_mean_ci(y[:, 1], f[:, 1], fu[:, 1], alpha=0.05, w=w)
    assert (weighted[1].ppi_low, weighted[1].ppi_high) == pytest.approx((low[0], high[0]))
    plain = share_intervals(y, f, fu, ["a", "b", "c"], correction="none")
    same = share_intervals(y, f, fu, ["a", "b", "c"], weights=np.full(len(y), 2.5), correction="none")
    assert [e.ppi_low for e in same] == pytest.approx([e.ppi_low for e in plain])


def test_bad_arguments_are_refused() -> None:
    y, f, fu = _data(5)
    with pytest.raises(ValueError, match="shapes"):
        share_intervals(y, f[:, :2], fu, ["a", "b", "c"])
    with pytest.raises(ValueError, match="correction"):
        share_intervals(y, f, fu, ["a", "b", "c"], correction="holm")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="weights"):
        share_intervals(y, f, fu, ["a", "b", "c"], weights=np.zeros(len(y)))


def test_label_budget_is_the_smallest_n_meeting_the_target() -> None:
    y, f, fu = _data(6, n=300, big_n=5000)
    alpha = 0.05
    [est] = share_intervals(y[:, :1], f[:, :1], fu[:, :1], ["a"], alpha=alpha)
    var_y, cov = np.cov(y[:, 0]), np.cov(y[:, 0], f[:, 0])[0, 1]
    z = stats.norm.ppf(1 - alpha / 2)
    # at today's n the planning formula gives today's PPI++ half-width
    now = _halfwidth(300, 5000, var_y, float(np.var(fu[:, 0])), cov, z)
    assert now == pytest.approx((est.ppi_high - est.ppi_low) / 2, rel=0.05)
    needed = labels_for_halfwidth(y[:, 0], f[:, 0], fu[:, 0], halfwidth=0.02, alpha=alpha)
    assert needed is not None and needed > 300
    assert _halfwidth(needed, 5000, var_y, float(np.var(fu[:, 0])), cov, z) <= 0.02
    assert _halfwidth(needed - 1, 5000, var_y, float(np.var(fu[:, 0])), cov, z) > 0.02
    tighter = labels_for_halfwidth(y[:, 0], f[:, 0], fu[:, 0], halfwidth=0.01, alpha=alpha)
    assert tighter is not None and tighter > needed
    # beyond the largest number considered
    assert labels_for_halfwidth(y[:, 0], f[:, 0], fu[:, 0], halfwidth=0.001, alpha=alpha, n_max=1000) is None


def test_small_coverage_simulation_ppi_covers_and_naive_does_not() -> None:
    """The fast version of scripts/bench_ppi_coverage.py: a classifier that sends its errors to class 0."""
    hits = {"naive": 0, "classical": 0, "ppi": 0}
    reps, truth = 150, np.linspace(1, 2, 3) / np.linspace(1, 2, 3).sum()
    for r in range(reps):
        y, f, fu = _data(100 + r, n=250, big_n=1500)
        for est, share in zip(share_intervals(y, f, fu, ["a", "b", "c"], correction="none"), truth, strict=True):
            for kind in hits:
                hits[kind] += getattr(est, f"{kind}_low") <= share <= getattr(est, f"{kind}_high")
    coverage = {kind: count / (3 * reps) for kind, count in hits.items()}
    assert coverage["ppi"] >= 0.91 and coverage["classical"] >= 0.91
    assert coverage["naive"] < 0.3
