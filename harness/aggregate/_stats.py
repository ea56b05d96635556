"""Sampling uncertainty of shares, and of differences between two independent samples, with an FDR list.

Every share the analyses report is a linear combination of multinomial proportions: a task's share is one
proportion; an occupation's or major group's share is ``sum_i a_i p_i`` where ``a_i`` is the part of task ``i``
that goes to it (1/n for a task listed under n occupations). With ``m`` conversations drawn independently,

    Var(sum_i a_i p̂_i) = (sum_i a_i² p_i − (sum_i a_i p_i)²) / m,

which is what :func:`linear_share_se` returns (for a single task it is the familiar p(1 − p)/m). Conversations of
one account are not independent, so these intervals are lower bounds on the real uncertainty; the published
releases do not say how many accounts stand behind a cell, so nothing better can be had from them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from harness._multitest import adjust_p_values

__all__ = ["benjamini_hochberg", "difference", "linear_share_se", "wilson", "z_value"]


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (0.95 → 1.96)."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson(k: np.ndarray | float, n: np.ndarray | float, *, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``k / n`` (fractions; NaN where ``n`` is 0 or unknown)."""
    z = z_value(confidence)
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    bad = ~(n > 0)
    return np.where(bad, np.nan, centre - half), np.where(bad, np.nan, centre + half)


def linear_share_se(pairs: pd.DataFrame, proportions: pd.Series, n: float | None) -> pd.Series:
    """Standard error of every group share ``sum_i a_ig p_i`` under multinomial sampling of ``n`` conversations.

    Args:
        pairs: ``item``, ``group``, ``weight`` (``a_ig``; an item may appear under several groups).
        proportions: ``p_i`` by item (fractions summing to 1 over the items sampled).
        n: Conversations behind the proportions; ``None`` or 0 gives NaN.

    Returns:
        Standard error (a fraction) by group.
    """
    a = pairs.groupby(["group", "item"], sort=False)["weight"].sum()
    p_items = a.index.get_level_values("item").map(proportions).fillna(0.0).to_numpy()
    frame = pd.DataFrame({"group": a.index.get_level_values("group"), "a": a.to_numpy(), "p": p_items})
    share = (frame["a"] * frame["p"]).groupby(frame["group"]).sum()
    second = (frame["a"] ** 2 * frame["p"]).groupby(frame["group"]).sum()
    if not n:
        return pd.Series(np.nan, index=share.index)
    return np.sqrt(np.clip(second - share**2, 0.0, None) / float(n))


def difference(p_a: np.ndarray, se_a: np.ndarray, p_b: np.ndarray, se_b: np.ndarray, *,
               confidence: float = 0.95) -> pd.DataFrame:
    """Difference ``b − a`` of two independent estimates: ``diff``, ``ci_low``, ``ci_high``, ``z``, ``p_value``.

    The normal approximation is fine here: the releases' cells hold at least 15 conversations and the samples
    hundreds of thousands. A zero standard error on both sides (a cell at 0 or 100% in both) gives p = 1 when the
    estimates agree, NaN otherwise.
    """
    z = z_value(confidence)
    p_a, p_b = np.asarray(p_a, dtype=float), np.asarray(p_b, dtype=float)
    se = np.sqrt(np.asarray(se_a, dtype=float) ** 2 + np.asarray(se_b, dtype=float) ** 2)
    diff = p_b - p_a
    with np.errstate(invalid="ignore", divide="ignore"):
        stat = np.where(se > 0, diff / se, np.where(diff == 0, 0.0, np.nan))
    p_value = 2 * stats.norm.sf(np.abs(stat))
    return pd.DataFrame({"diff": diff, "ci_low": diff - z * se, "ci_high": diff + z * se, "z": stat,
                         "p_value": p_value})


def benjamini_hochberg(p_values: np.ndarray | pd.Series, *, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini–Hochberg false-discovery-rate control over one family of tests.

    Args:
        p_values: One per test; NaN (no interval could be had) is left out of the family.
        alpha: FDR level.

    Returns:
        ``(significant, q_values)``: booleans and BH-adjusted p-values (NaN where the input was NaN).
    """
    return adjust_p_values(np.asarray(p_values, dtype=float), alpha=alpha, method="fdr_bh")
