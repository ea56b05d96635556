"""Non-inferiority of a paired accuracy, the mid-p McNemar test, Holm's correction and the clustering design effect.

Two runs scored on the same items give, per item, a pair of right/wrong outcomes. Only the discordant items carry
information about the difference: ``b`` items the baseline got right and the candidate wrong, ``c`` the other way
round. The candidate's accuracy minus the baseline's is ``(c - b) / n``.

*Is the candidate no more than δ worse?* is a non-inferiority question. Its null hypothesis is ``difference <= -δ``,
and the usual test for paired proportions is Tango's score test (Tango 1998, *Stat. Med.* 17:891-908; the same
statistic as Nam 1997): the observed difference is compared with ``-δ`` using the variance the data would have if
the null were exactly true, estimated by constrained maximum likelihood. At ``δ = 0`` it is McNemar's test without
continuity correction. Inverting the test gives Tango's score interval for the difference.

Items from the same account are not independent. When the items carry cluster ids, the variance of the mean
per-item difference is estimated both ways (items independent, and clusters independent); their ratio is the
design effect, and the score statistic is divided by its square root (the Rao-Scott adjustment). The effect is
floored at 1 so that clustering never makes a test *less* cautious.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from harness._multitest import adjust_p_values

__all__ = [
    "NonInferiorityTest",
    "cluster_codes",
    "design_effect",
    "discordant_counts",
    "holm_adjust",
    "mcnemar_mid_p",
    "noninferiority_test",
    "restricted_discordance",
    "score_interval",
    "score_statistic",
]


def discordant_counts(correct_a: Sequence[bool], correct_b: Sequence[bool]) -> tuple[int, int, int]:
    """``(b, c, n)``: items only A got right, items only B got right, and all items.

    Raises:
        ValueError: When the sequences differ in length.
    """
    a = np.asarray(correct_a, dtype=bool)
    b = np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"correct_a has {a.size} items but correct_b has {b.size}")
    return int(np.sum(a & ~b)), int(np.sum(~a & b)), int(a.size)


def restricted_discordance(b: float, c: float, n: float, null_difference: float) -> float:
    """The maximum-likelihood share of "A right, B wrong" items when the difference is fixed at ``null_difference``.

    Maximises the multinomial likelihood of the paired table under ``p(A wrong, B right) - p(A right, B wrong) =
    null_difference``; the stationary point is the larger root of
    ``2n x² - [b(1 - Δ) + c(1 + Δ) - 2nΔ] x - bΔ(1 - Δ) = 0``. The counts may be expected counts (any scale), which
    is how the power calculations use it.
    """
    d0 = null_difference
    linear = b * (1.0 - d0) + c * (1.0 + d0) - 2.0 * n * d0
    root = math.sqrt(max(linear * linear + 8.0 * n * b * d0 * (1.0 - d0), 0.0))
    return (linear + root) / (4.0 * n)


def score_statistic(b: float, c: float, n: float, null_difference: float, *, design_effect: float = 1.0) -> float:
    """Tango's score statistic for ``difference = null_difference`` (large values favour a larger difference).

    ``z = (d - Δ) / sqrt((2x + Δ - Δ²) / n)`` with ``d = (c - b) / n`` and ``x`` from
    :func:`restricted_discordance`; divided by ``sqrt(design_effect)``.

    Degenerate cases:
        * ``n == 0``: NaN.
        * A zero null variance (``Δ = 0`` and no discordant item): 0, since the data then match the null exactly.
    """
    if n <= 0:
        return math.nan
    d0 = null_difference
    x = restricted_discordance(b, c, n, d0)
    variance = max(2.0 * x + d0 - d0 * d0, 0.0) / n
    gap = (c - b) / n - d0
    if variance <= 0.0:
        return 0.0 if abs(gap) < 1e-12 else math.copysign(math.inf, gap)
    return gap / math.sqrt(variance * design_effect)


def score_interval(b: int, c: int, n: int, *, confidence: float = 0.95,
                   design_effect: float = 1.0) -> tuple[float, float]:
    """Tango's score interval for the paired difference ``(c - b) / n``: the nulls the score test does not reject.

    Degenerate cases: ``n == 0`` gives ``(nan, nan)``; an estimate of -1 or 1 is its own end of the interval.

    Raises:
        ValueError: When ``confidence`` is outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if n <= 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    estimate = (c - b) / n
    eps = 1e-10

    def limit(sign: float) -> float:
        # The statistic falls as the null rises, so each end is the single root of statistic = ±z.
        target = sign * z
        low, high = (-1.0 + eps, estimate) if sign > 0 else (estimate, 1.0 - eps)
        f = lambda d0: score_statistic(b, c, n, d0, design_effect=design_effect) - target  # noqa: E731
        if f(low) * f(high) > 0:
            return low if sign > 0 else high
        return float(optimize.brentq(f, low, high, xtol=1e-12))

    lower = -1.0 if estimate <= -1.0 else limit(+1.0)
    upper = 1.0 if estimate >= 1.0 else limit(-1.0)
    return lower, upper


def mcnemar_mid_p(b: int, c: int) -> float:
    """Two-sided mid-p value of McNemar's exact conditional test.

    The exact test doubles the binomial tail ``P(X <= min(b, c))`` at ``p = 1/2`` over ``b + c`` discordant items;
    the mid-p version counts only half the probability of the observed value, which brings the test's actual
    level close to the nominal one instead of far below it (Fagerland, Lydersen and Laake 2013).
    No discordant item gives 1.
    """
    m = b + c
    if m == 0:
        return 1.0
    k = min(b, c)
    below = float(stats.binom.cdf(k - 1, m, 0.5)) if k > 0 else 0.0
    return min(1.0, 2.0 * (below + 0.5 * float(stats.binom.pmf(k, m, 0.5))))


@dataclass(frozen=True)
class NonInferiorityTest:
    """Tango's one-sided score test of ``difference <= -margin`` against ``difference > -margin``.

    Attributes:
        difference: Candidate accuracy minus baseline accuracy, ``(c - b) / n``.
        margin: The largest loss still acceptable (δ > 0).
        statistic: The score statistic at ``-margin`` (after the design effect).
        p_value: One-sided p-value; below the test level shows non-inferiority.
        b: Items only the baseline got right.
        c: Items only the candidate got right.
        n: Paired items.
        design_effect: Variance inflation applied for clustering (1 for independent items).
    """

    difference: float
    margin: float
    statistic: float
    p_value: float
    b: int
    c: int
    n: int
    design_effect: float = 1.0


def noninferiority_test(correct_a: Sequence[bool], correct_b: Sequence[bool], *, margin: float,
                        design_effect: float = 1.0) -> NonInferiorityTest:
    """Test whether run B's accuracy is no more than ``margin`` below run A's, on the same items.

    Args:
        correct_a: Per item, whether the baseline was right.
        correct_b: Per item, whether the candidate was right (same order).
        margin: Non-inferiority margin on the accuracy scale, in (0, 1).
        design_effect: Variance inflation for clustered items (see :func:`design_effect`), >= 1.

    Returns:
        A :class:`NonInferiorityTest`; with no items the statistic and p-value are NaN.

    Raises:
        ValueError: On a margin outside (0, 1), a design effect below 1, or sequences of different lengths.
    """
    if not 0.0 < margin < 1.0:
        raise ValueError(f"margin must lie strictly between 0 and 1, got {margin!r}")
    if not design_effect >= 1.0:
        raise ValueError(f"design_effect must be >= 1, got {design_effect!r}")
    b, c, n = discordant_counts(correct_a, correct_b)
    if n == 0:
        return NonInferiorityTest(math.nan, margin, math.nan, math.nan, 0, 0, 0, design_effect)
    z = score_statistic(b, c, n, -margin, design_effect=design_effect)
    return NonInferiorityTest((c - b) / n, margin, z, float(stats.norm.sf(z)), b, c, n, design_effect)


def design_effect(correct_a: Sequence[bool], correct_b: Sequence[bool], clusters: Sequence[object]) -> float:
    """How much clustering inflates the variance of the mean per-item difference (floored at 1).

    The per-item difference ``B - A`` (-1, 0 or 1) is averaged over items; its variance is estimated once with
    items independent and once with clusters independent (the sandwich estimator with the ``G / (G - 1)``
    small-sample factor). Items with a missing cluster id are clusters of their own.

    Degenerate cases: 1 when no item is discordant, or when there are fewer than two clusters.

    Raises:
        ValueError: When the sequences differ in length.
    """
    a = np.asarray(correct_a, dtype=float)
    b = np.asarray(correct_b, dtype=float)
    if not a.shape == b.shape == (len(clusters),):
        raise ValueError(f"lengths differ: {a.size} and {b.size} outcomes, {len(clusters)} cluster ids")
    d = b - a
    centred = d - d.mean() if d.size else d
    v_items = float(np.sum(centred**2))
    codes = cluster_codes(clusters)
    n_clusters = int(codes.max()) + 1 if codes.size else 0
    if v_items <= 0.0 or n_clusters < 2:
        return 1.0
    sums = np.bincount(codes, weights=centred, minlength=n_clusters)
    v_clusters = n_clusters / (n_clusters - 1) * float(np.sum(sums**2))
    return max(1.0, v_clusters / v_items)


def cluster_codes(clusters: Sequence[object]) -> np.ndarray:
    """Integer codes ``0..G-1`` of cluster ids; a missing id gets a code of its own."""
    codes, uniques = pd.factorize(pd.Series(list(clusters), dtype=object), use_na_sentinel=True)
    missing = codes < 0
    codes = codes.astype(np.int64)
    codes[missing] = len(uniques) + np.arange(int(missing.sum()))
    return codes


def holm_adjust(p_values: Sequence[float], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Holm's step-down correction (statsmodels' ``multipletests``); NaN p-values stay out of the family.

    Returns:
        ``(reject, adjusted)``: per input, whether it is rejected at family-wise level ``alpha``, and its adjusted
        p-value (NaN where the input was NaN).
    """
    return adjust_p_values(p_values, alpha=alpha, method="holm")
