"""Multiple-testing corrections that leave out tests without a p-value, shared by aggregate and evaluate.

Both stages correct families in which some tests could not be run (a cell without an interval, a metric one run
lacks): those carry NaN, stay out of the family, and come back NaN and not rejected. The corrections themselves are
statsmodels' ``multipletests``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from statsmodels.stats.multitest import multipletests

__all__ = ["adjust_p_values"]


def adjust_p_values(p_values: Sequence[float] | np.ndarray, *, alpha: float,
                    method: Literal["holm", "fdr_bh"]) -> tuple[np.ndarray, np.ndarray]:
    """Correct a family of p-values, NaN ones left out of it.

    Args:
        p_values: One per test; NaN where the test could not be run.
        alpha: Family-wise error rate (``holm``) or false-discovery rate (``fdr_bh``).
        method: ``"holm"`` (Holm's step-down) or ``"fdr_bh"`` (Benjamini–Hochberg).

    Returns:
        ``(reject, adjusted)``: per input, whether it is rejected at ``alpha``, and its adjusted p-value (NaN and
        not rejected where the input was NaN; both empty for an empty family).
    """
    p = np.asarray(p_values, dtype=float)
    reject = np.zeros(p.shape, dtype=bool)
    adjusted = np.full(p.shape, np.nan)
    known = ~np.isnan(p)
    if known.any():
        reject[known], adjusted[known] = multipletests(p[known], alpha=alpha, method=method)[:2]
    return reject, adjusted
