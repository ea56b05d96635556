"""Non-inferiority, McNemar, Holm and the clustered bootstrap, each checked against an independent implementation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import optimize, stats
from statsmodels.stats.contingency_tables import mcnemar as sm_mcnemar
from statsmodels.stats.multitest import multipletests

from harness.evaluate import (
    design_effect,
    holm_adjust,
    mcnemar_mid_p,
    mcnemar_test,
    noninferiority_test,
    paired_bootstrap_difference,
    score_interval,
)
from harness.evaluate._noninferiority import restricted_discordance, score_statistic


def _outcomes(b: int, c: int, both: int, neither: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-item correctness of runs A and B with the given paired table."""
    a = np.r_[np.ones(b, bool), np.zeros(c, bool), np.ones(both, bool), np.zeros(neither, bool)]
    bb = np.r_[np.zeros(b, bool), np.ones(c, bool), np.ones(both, bool), np.zeros(neither, bool)]
    return a, bb


# --------------------------------------------------------------------------------------------- published examples


def test_tango_interval_reproduces_the_published_worked_example() -> None:
    """Cavo et al. (2012), complete response before and after consolidation therapy, table [[59, 6], [16, 80]]:
    Fagerland, Lydersen & Laake, *Statistical Analysis of Contingency Tables* (2017), ch. 8, give the Tango score
    interval of the paired difference as -0.0621 (95% CI -0.1240 to -0.0054) and McNemar's mid-p as 0.034690."""
    # their difference is (n12 - n21) / N = (6 - 16) / 161; in our orientation c = 6 and b = 16
    low, high = score_interval(16, 6, 161, confidence=0.95)
    assert (round(low, 4), round(high, 4)) == (-0.1240, -0.0054)
    assert mcnemar_mid_p(16, 6) == pytest.approx(0.034690, abs=5e-7)
    a, b = _outcomes(16, 6, 59, 80)
    result = mcnemar_test(a, b, exact=True, mid_p=True)
    assert (result.b, result.c, result.n, result.mid_p) == (16, 6, 161, True)
    assert result.p_value == pytest.approx(0.034690, abs=5e-7)


def test_noninferiority_decision_on_the_worked_example_matches_its_interval() -> None:
    """Non-inferiority at margin δ and level α is shown exactly when the 1 - 2α score interval lies above -δ."""
    a, b = _outcomes(16, 6, 59, 80)
    low90 = score_interval(16, 6, 161, confidence=0.90)[0]
    for margin in (0.05, 0.10, 0.11, 0.12, 0.15):
        test = noninferiority_test(a, b, margin=margin)
        assert test.difference == pytest.approx(-10 / 161)
        assert (test.p_value < 0.05) == (low90 > -margin), margin
    # at the margin equal to the lower bound the one-sided p-value is exactly alpha
    assert noninferiority_test(a, b, margin=-low90).p_value == pytest.approx(0.05, abs=1e-9)


# --------------------------------------------------------------------------------------------- statsmodels and scipy


TABLES = [(3, 9, 40, 20), (0, 6, 30, 10), (7, 7, 50, 0), (12, 4, 60, 30), (30, 50, 100, 20), (1, 0, 5, 5)]


@pytest.mark.parametrize(("b", "c", "both", "neither"), TABLES)
def test_mcnemar_matches_statsmodels_and_scipy(b: int, c: int, both: int, neither: int) -> None:
    a, bb = _outcomes(b, c, both, neither)
    table = np.array([[both, b], [c, neither]])
    exact = mcnemar_test(a, bb, exact=True)
    assert exact.p_value == pytest.approx(sm_mcnemar(table, exact=True).pvalue)
    assert exact.p_value == pytest.approx(min(1.0, stats.binomtest(min(b, c), b + c, 0.5).pvalue))
    corrected = mcnemar_test(a, bb, exact=False)
    if b != c:
        assert corrected.statistic == pytest.approx(sm_mcnemar(table, exact=False, correction=True).statistic)
        assert corrected.p_value == pytest.approx(sm_mcnemar(table, exact=False, correction=True).pvalue)
    else:  # statsmodels does not clip |b - c| - 1 at 0, so it reports (0 - 1)² / (b + c); both mean "no change"
        assert (corrected.statistic, corrected.p_value) == (0.0, 1.0)
    # mid-p: the exact p-value less the probability of the observed split (both tails), capped at 1
    mid = mcnemar_test(a, bb, exact=True, mid_p=True).p_value
    by_scipy = stats.binomtest(min(b, c), b + c, 0.5).pvalue - stats.binom.pmf(min(b, c), b + c, 0.5)
    assert mid == pytest.approx(by_scipy if b != c else 1.0)


@pytest.mark.parametrize(("b", "c", "both", "neither"), TABLES)
def test_score_statistic_at_zero_margin_is_mcnemars_uncorrected(b: int, c: int, both: int, neither: int) -> None:
    n = b + c + both + neither
    table = np.array([[both, b], [c, neither]])
    z = score_statistic(b, c, n, 0.0)
    assert z**2 == pytest.approx(sm_mcnemar(table, exact=False, correction=False).statistic)
    assert math.copysign(1, z) == math.copysign(1, c - b) or b == c


@pytest.mark.parametrize(("b", "c", "n", "d0"), [(16, 6, 161, -0.05), (3, 9, 72, -0.1), (0, 5, 40, -0.03),
                                                 (20, 2, 100, 0.05), (10, 10, 50, -0.2)])
def test_restricted_estimate_is_the_constrained_maximum(b: int, c: int, n: int, d0: float) -> None:
    """Brute force: maximise the multinomial log-likelihood under p01 - p10 = d0 numerically."""
    m = n - b - c

    def minus_loglik(x: float) -> float:
        p10, p01 = x, x + d0
        return -(b * math.log(p10) + c * math.log(p01) + m * math.log(1 - p10 - p01))

    low, high = max(0.0, -d0) + 1e-12, (1 - d0) / 2 - 1e-12
    best = optimize.minimize_scalar(minus_loglik, bounds=(low, high), method="bounded",
                                    options={"xatol": 1e-12}).x
    assert restricted_discordance(b, c, n, d0) == pytest.approx(best, abs=1e-6)


def test_holm_matches_statsmodels_and_a_hand_computed_step_down() -> None:
    p = [0.01, 0.04, 0.03, 0.005, math.nan, 0.2]
    reject, adjusted = holm_adjust(p, 0.05)
    known = [0, 1, 2, 3, 5]
    ref_reject, ref_adjusted, _, _ = multipletests([p[i] for i in known], alpha=0.05, method="holm")
    assert reject[known].tolist() == ref_reject.tolist()
    assert adjusted[known] == pytest.approx(ref_adjusted)
    assert math.isnan(adjusted[4]) and not reject[4]
    # by hand: sorted 0.005, 0.01, 0.03, 0.04, 0.2 against 0.05/5, /4, /3, /2, /1
    assert reject.tolist() == [True, False, False, True, False, False]
    assert adjusted[3] == pytest.approx(0.025) and adjusted[0] == pytest.approx(0.04)


def test_one_nominal_p_of_0_041_is_not_significant_among_seven() -> None:
    """The issue's example: 'better (p = 0.041)' on one of seven metrics does not survive Holm."""
    reject, adjusted = holm_adjust([0.041, 0.5, 0.7, 0.3, 0.9, 0.6, 0.8], 0.05)
    assert not reject.any() and adjusted[0] == pytest.approx(7 * 0.041)


# --------------------------------------------------------------------------------------------- bootstrap and clusters


def _accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(truth == pred)) if truth.size else math.nan


def test_paired_bootstrap_matches_exhaustive_enumeration() -> None:
    """With five items every bootstrap resample can be listed: the Monte Carlo quantiles approach the exact ones."""
    truth = np.ones(5, dtype=bool)
    a = np.array([True, True, False, True, False])
    b = np.array([True, False, True, True, True])
    d = b.astype(float) - a.astype(float)
    # all 3125 ordered resamples, equally likely
    values = np.array([d[list(draw)].mean() for draw in itertools.product(range(5), repeat=5)])
    exact_low, exact_high = np.quantile(values, [0.1, 0.9])
    mc = paired_bootstrap_difference(_accuracy, truth, a, b, n_resamples=20000, seed=5, confidence=0.8)
    assert (mc.ci_low, mc.ci_high) == (pytest.approx(exact_low, abs=1e-9), pytest.approx(exact_high, abs=1e-9))
    assert mc.se == pytest.approx(values.std(), rel=0.03)


def test_cluster_bootstrap_draws_whole_clusters() -> None:
    """Brute force: the same generator calls, written out, give the same resampled differences."""
    rng = np.random.default_rng(0)
    n = 60
    clusters = np.array([f"acct-{i % 7}" for i in range(n)], dtype=object)
    truth = np.ones(n, dtype=bool)
    a, b = rng.random(n) < 0.6, rng.random(n) < 0.7
    result = paired_bootstrap_difference(_accuracy, truth, a, b, n_resamples=300, seed=9, clusters=clusters)
    members = [np.flatnonzero(clusters == g) for g in dict.fromkeys(clusters)]  # in order of first appearance
    gen = np.random.default_rng(9)
    diffs = []
    for _ in range(300):
        idx = np.concatenate([members[k] for k in gen.integers(0, len(members), size=len(members))])
        diffs.append(b[idx].mean() - a[idx].mean())
    assert (result.ci_low, result.ci_high) == tuple(pytest.approx(q) for q in np.quantile(diffs, [0.025, 0.975]))
    assert result.n_clusters == 7


def test_design_effect_against_the_sandwich_formula() -> None:
    rng = np.random.default_rng(1)
    # independent items: no inflation beyond noise, floored at 1
    a, b = rng.random(400) < 0.5, rng.random(400) < 0.5
    singletons = [f"s{i}" for i in range(400)]
    assert design_effect(a, b, singletons) == pytest.approx(1.0, abs=0.02)
    assert design_effect(a, b, [None] * 400) == pytest.approx(1.0, abs=0.02)  # missing ids: their own clusters
    # every item of an account moves together: variance inflated about by the cluster size
    accounts = np.repeat(np.arange(40), 10)
    shift = rng.random(40) < 0.5
    a2 = np.ones(400, dtype=bool)
    b2 = ~shift[accounts]
    d = b2.astype(float) - a2.astype(float)
    centred = d - d.mean()
    by_hand = (40 / 39) * sum(centred[accounts == g].sum() ** 2 for g in range(40)) / (centred**2).sum()
    assert design_effect(a2, b2, accounts.tolist()) == pytest.approx(by_hand)
    assert by_hand == pytest.approx(10.0, rel=0.1)
    assert design_effect(a2, a2, accounts.tolist()) == 1.0  # no discordance


def test_clustering_widens_the_noninferiority_test() -> None:
    a, b = _outcomes(12, 8, 100, 40)
    plain = noninferiority_test(a, b, margin=0.05)
    widened = noninferiority_test(a, b, margin=0.05, design_effect=2.0)
    assert widened.statistic == pytest.approx(plain.statistic / math.sqrt(2.0))
    assert widened.p_value > plain.p_value
    low_plain = score_interval(12, 8, 160)[0]
    low_wide = score_interval(12, 8, 160, design_effect=2.0)[0]
    assert low_wide < low_plain


def test_degenerate_inputs() -> None:
    empty = noninferiority_test([], [], margin=0.05)
    assert empty.n == 0 and math.isnan(empty.p_value)
    same = noninferiority_test([True, False] * 50, [True, False] * 50, margin=0.05)
    assert same.difference == 0.0 and same.p_value < 0.05  # 100 items agreeing everywhere rule out a 5-point loss
    assert score_interval(0, 0, 0) == (pytest.approx(math.nan, nan_ok=True),) * 2
    assert score_interval(10, 0, 10) == (-1.0, pytest.approx(score_interval(10, 0, 10)[1]))
    assert mcnemar_mid_p(0, 0) == 1.0 and mcnemar_mid_p(5, 5) == 1.0
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ValueError, match="margin"):
            noninferiority_test([True], [True], margin=bad)
    with pytest.raises(ValueError, match="design_effect"):
        noninferiority_test([True], [True], margin=0.1, design_effect=0.5)
    with pytest.raises(ValueError, match="mid_p"):
        mcnemar_test([True], [False], exact=False, mid_p=True)
