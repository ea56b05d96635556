"""Uncertainty helpers: Wilson intervals, the multinomial standard error of group shares, differences, BH."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from harness.aggregate import benjamini_hochberg, linear_share_se
from harness.aggregate._stats import difference, wilson, z_value


def test_wilson_matches_the_textbook_interval_and_handles_empty_cells() -> None:
    low, high = wilson(np.array([0, 50, 81]), np.array([10, 100, 0]))
    assert low[0] == pytest.approx(0.0, abs=1e-12) and high[0] == pytest.approx(0.2775, abs=1e-4)
    assert (low[1], high[1]) == pytest.approx((0.4038, 0.5962), abs=1e-4)
    assert np.isnan(low[2]) and np.isnan(high[2])
    with pytest.raises(ValueError, match="confidence"):
        z_value(1.0)


def test_linear_share_se_is_the_multinomial_variance_of_a_weighted_sum() -> None:
    pairs = pd.DataFrame({"item": ["a", "b", "b", "c"], "group": ["G", "G", "H", "H"], "weight": [1, .5, .5, 1]})
    p = pd.Series({"a": 0.5, "b": 0.3, "c": 0.2})
    se = linear_share_se(pairs, p, 1000)
    share_g = 0.5 + 0.15
    assert se["G"] == pytest.approx(np.sqrt((0.5 + 0.25 * 0.3 - share_g**2) / 1000))
    # a cell that is one whole item reduces to p(1 - p)/n
    whole = linear_share_se(pd.DataFrame({"item": ["a"], "group": ["A"], "weight": [1.0]}), p, 1000)
    assert whole["A"] == pytest.approx(np.sqrt(0.25 / 1000))
    assert linear_share_se(pairs, p, None).isna().all()
    # a simulation agrees with the formula
    rng = np.random.default_rng(0)
    draws = rng.multinomial(1000, p.to_numpy(), size=4000) / 1000
    assert np.std(draws[:, 0] + 0.5 * draws[:, 1]) == pytest.approx(se["G"], rel=0.05)


def test_difference_and_benjamini_hochberg() -> None:
    d = difference(np.array([0.5, 0.2, 0.3]), np.array([0.01, 0.0, 0.0]), np.array([0.53, 0.2, 0.4]),
                   np.array([0.01, 0.0, 0.0]))
    assert d["diff"][0] == pytest.approx(0.03) and d["z"][0] == pytest.approx(0.03 / np.sqrt(2e-4))
    assert d["p_value"][1] == 1.0 and np.isnan(d["p_value"][2])  # no spread: equal → 1, different → unknown
    significant, q = benjamini_hochberg(np.array([0.001, 0.04, 0.03, np.nan, 0.5]), alpha=0.05)
    # sorted p: 0.001, 0.03, 0.04, 0.5 → BH thresholds 0.0125, 0.025, 0.0375, 0.05 → only the first passes
    assert significant.tolist() == [True, False, False, False, False]
    assert q[0] == pytest.approx(0.004) and q[1] == pytest.approx(0.04 * 4 / 3) and np.isnan(q[3])
