"""Reconstruction scores against direct scipy computations on the union of items."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.evaluate import Reconstruction, reconstruction_scores


def test_matches_scipy_on_union_with_zero_fill() -> None:
    rng = np.random.default_rng(0)
    items = [f"task-{i}" for i in range(60)]
    direct = {t: float(v) for t, v in zip(items[:50], rng.dirichlet(np.ones(50)), strict=True)}
    cluster = {t: float(v) for t, v in zip(items[10:], rng.dirichlet(np.ones(50)), strict=True)}
    result = reconstruction_scores(direct, cluster, level="task", aggregation="size-weighted")
    x = np.array([direct.get(t, 0.0) for t in items])
    y = np.array([cluster.get(t, 0.0) for t in items])
    assert isinstance(result, Reconstruction)
    assert result.pearson == pytest.approx(stats.pearsonr(x, y).statistic)
    assert result.spearman == pytest.approx(stats.spearmanr(x, y).statistic)
    assert result.kendall_tau_b == pytest.approx(stats.kendalltau(x, y).statistic)
    assert result.mse == pytest.approx(np.mean((x - y) ** 2))
    assert (result.n_direct, result.n_cluster, result.n_both, result.n_union) == (50, 50, 40, 60)
    assert (result.level, result.aggregation, result.note) == ("task", "size-weighted", "")


def test_hand_checked_and_ties() -> None:
    same = {"a": 0.5, "b": 0.3, "c": 0.2}
    perfect = reconstruction_scores(same, dict(same), level="occupation", aggregation="x")
    assert perfect.pearson == pytest.approx(1.0) and perfect.spearman == pytest.approx(1.0)
    assert perfect.kendall_tau_b == pytest.approx(1.0) and perfect.mse == 0.0
    # Tied values: tau-b corrects for them, matching scipy's default.
    direct = {"a": 0.2, "b": 0.2, "c": 0.4, "d": 0.2}
    cluster = {"a": 0.1, "b": 0.3, "c": 0.3, "d": 0.3}
    tied = reconstruction_scores(direct, cluster, level="t", aggregation="x")
    x, y = [0.2, 0.2, 0.4, 0.2], [0.1, 0.3, 0.3, 0.3]
    assert tied.kendall_tau_b == pytest.approx(stats.kendalltau(x, y).statistic)
    assert tied.spearman == pytest.approx(stats.spearmanr(x, y).statistic)
    # Disjoint items: each appears only on one side, the zero fill makes them anti-correlated.
    disjoint = reconstruction_scores({"a": 1.0}, {"b": 1.0}, level="t", aggregation="x")
    assert disjoint.n_both == 0 and disjoint.n_union == 2
    assert disjoint.pearson == pytest.approx(-1.0) and disjoint.mse == pytest.approx(1.0)


def test_degenerate_cases() -> None:
    empty = reconstruction_scores({}, {}, level="t", aggregation="x")
    assert all(math.isnan(v) for v in (empty.pearson, empty.spearman, empty.kendall_tau_b, empty.mse))
    assert empty.n_union == 0 and "no items" in empty.note
    one = reconstruction_scores({"a": 0.4}, {"a": 0.6}, level="t", aggregation="x")
    assert math.isnan(one.pearson) and one.mse == pytest.approx(0.04) and "two items" in one.note
    constant = reconstruction_scores({"a": 0.5, "b": 0.5}, {"a": 0.9, "b": 0.1}, level="t", aggregation="x")
    assert math.isnan(constant.pearson) and math.isnan(constant.spearman) and math.isnan(constant.kendall_tau_b)
    assert constant.mse == pytest.approx((0.16 + 0.16) / 2) and "direct" in constant.note
    for bad in (-0.1, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            reconstruction_scores({"a": bad}, {"a": 0.1}, level="t", aggregation="x")
