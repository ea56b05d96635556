"""How well a cluster-based estimate reconstructs the direct per-item prevalence.

The direct method classifies every conversation and counts shares per item (task, occupation, ...); the cluster
method assigns clusters and rolls their sizes up. Comparing the two distributions tells whether the cheaper
cluster route preserves the picture.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Reconstruction", "reconstruction_scores"]


@dataclass(frozen=True)
class Reconstruction:
    """Agreement between direct and cluster-based prevalence at one level and aggregation.

    Attributes:
        level: Level of the items compared (e.g. ``"task"``, ``"occupation"``).
        aggregation: How clusters were rolled up (free text recorded as given, e.g. ``"size-weighted"``).
        pearson, spearman, kendall_tau_b: Correlations over the union of items; NaN when undefined (see
            :func:`reconstruction_scores`).
        mse: Mean squared difference of the shares over the union; NaN when the union is empty.
        n_direct, n_cluster: Items with a share in each input.
        n_both: Items present in both inputs.
        n_union: Items present in either input (the length of the compared vectors).
        note: Why some values are NaN, or empty.
    """

    level: str
    aggregation: str
    pearson: float
    spearman: float
    kendall_tau_b: float
    mse: float
    n_direct: int
    n_cluster: int
    n_both: int
    n_union: int
    note: str = ""


def _check_shares(name: str, shares: Mapping[Hashable, float]) -> None:
    for item, value in shares.items():
        v = float(value)
        if not math.isfinite(v) or v < 0:
            raise ValueError(f"{name}[{item!r}] must be a finite, non-negative share, got {value!r}")


def reconstruction_scores(
    direct: Mapping[Hashable, float],
    cluster: Mapping[Hashable, float],
    *,
    level: str,
    aggregation: str,
) -> Reconstruction:
    """Pearson, Spearman, Kendall tau-b and MSE between direct and cluster-based shares.

    Both inputs map item -> prevalence share. The vectors compared are indexed by the union of the items either
    method found; an item missing from one side has share 0 there (that method saw none of it). Shares are used
    as given (not renormalised).

    Args:
        direct: Shares from direct classification.
        cluster: Shares reconstructed from clusters.
        level: Recorded in the result.
        aggregation: Recorded in the result.

    Returns:
        A :class:`Reconstruction`.

    Degenerate cases (values are NaN and ``note`` says why):
        * Empty union: every value is NaN.
        * One item in the union: MSE is defined; the correlations are NaN (a correlation needs two points).
        * A side that is constant over the union (e.g. equal shares everywhere): the correlations are NaN
          because that side has no variance; MSE is still defined.

    Raises:
        ValueError: When a share is negative, infinite or NaN.
    """
    _check_shares("direct", direct)
    _check_shares("cluster", cluster)
    # Sort by a string key so the vectors (and any float rounding) do not depend on dict insertion order.
    union = sorted(set(direct) | set(cluster), key=lambda item: (type(item).__name__, str(item)))
    n_both = len(set(direct) & set(cluster))
    x = np.array([float(direct.get(item, 0.0)) for item in union])
    y = np.array([float(cluster.get(item, 0.0)) for item in union])
    nan = math.nan
    pearson = spearman = kendall = nan
    note = ""
    if not union:
        mse, note = nan, "no items in either input"
    else:
        mse = float(np.mean((x - y) ** 2))
        if len(union) < 2:
            note = "correlations need at least two items"
        elif np.ptp(x) == 0 or np.ptp(y) == 0:
            side = "direct" if np.ptp(x) == 0 else "cluster"
            note = f"correlations undefined: the {side} shares are constant"
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                pearson = float(stats.pearsonr(x, y).statistic)
                spearman = float(stats.spearmanr(x, y).statistic)
                kendall = float(stats.kendalltau(x, y, variant="b").statistic)
    return Reconstruction(
        level=level,
        aggregation=aggregation,
        pearson=pearson,
        spearman=spearman,
        kendall_tau_b=kendall,
        mse=mse,
        n_direct=len(direct),
        n_cluster=len(cluster),
        n_both=n_both,
        n_union=len(union),
        note=note,
    )
