"""Prediction-powered intervals for released shares, with ppi-python's PPI++ estimators.

A released share is a mean over conversations: the share of released conversations whose label (a major group, an
occupation, a collaboration pattern) is ``k``. The classifier labels every conversation of the corpus; people
labelled a few hundred conversations of a goldset, and the same classifier labelled those too. Three intervals per
share, side by side:

* **naive** – the model's labels taken as the truth: the share over the corpus and its CLT interval
  (``ppi_py.classical_mean_ci`` on the predictions). It is as narrow as the corpus is large and ignores every error
  the classifier makes, so it does not cover the true share when the errors do not cancel.
* **classical** – the labelled items alone (``ppi_py.classical_mean_ci`` on the gold labels, with the items'
  inclusion weights when they carry them): honest, wide.
* **PPI++** – prediction-powered inference with power tuning (Angelopoulos, Duchi and Zrnic, "PPI++: Efficient
  Prediction-Powered Inference", arXiv:2311.01453, 2023; ``ppi_py.ppi_mean_ci`` with ``lam=None``): the corpus
  share of the predictions, corrected by the mean gap between gold labels and predictions on the labelled items.
  The weight ``λ`` in [0, 1] on the predictions is chosen from the data to make the interval as narrow as it can
  be: ``λ = 0`` is the classical interval, ``λ = 1`` the original PPI. Valid whatever the classifier's errors, as
  long as the labelled items are drawn from the same population as the corpus (see ``harness analyze --calibrate``
  for which items count).

Multi-class shares need a simultaneous statement: every interval of one level (all released major groups, say) is
computed at level ``1 − α/K`` for the ``K`` shares of that level (**Bonferroni**), so all ``K`` cover their shares
together with probability at least ``1 − α``. The correction applies to all three intervals alike, so their widths
compare. Estimates and intervals are clipped to [0, 1].

Degenerate classes. A class the predictions never (or always) give has no prediction variance, and PPI++ then
reduces to the classical interval (``λ = 0``, passed explicitly because ppi-python's tuning divides by that
variance). A class few labelled items belong to leaves the CLT with little to go on: with none, the classical and
PPI++ intervals have zero width, and with a handful (a rare class the classifier predicts often by mistake) the
interval is too short. So a share is **supported** only when at least ``min_support`` labelled items (default 10
in ``harness analyze``) have the class as their gold label; the Bonferroni family is the supported shares of the
level, and unsupported shares are shown at the same level with no coverage claim (``supported`` false).
``scripts/bench_ppi_coverage.py`` shows the difference: with the rare classes in the family, joint coverage falls
far below its target; without them it holds.

The label budget (:func:`labels_for_halfwidth`) uses the PPI++ variance of a mean with the same power tuning,
``λ²·Var(f)/N + Var(Y − λf)/n`` with ``λ = Cov(Y, f) / ((1 + n/N)·Var(f))`` clipped to [0, 1], estimated from
the labelled items, and finds the smallest ``n`` whose half-width meets the target.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
from scipy import sparse, stats

__all__ = ["CORRECTIONS", "Correction", "ShareEstimate", "labels_for_halfwidth", "share_intervals"]

Correction = Literal["bonferroni", "none"]
CORRECTIONS: tuple[str, ...] = get_args(Correction)

Matrix = np.ndarray | sparse.spmatrix | sparse.sparray


@dataclass(frozen=True)
class ShareEstimate:
    """The three intervals of one share (fractions in [0, 1]).

    Attributes:
        label: The class (a major group, an SOC code, a pattern).
        n_labelled: Labelled items in the population the share is of.
        n_unlabelled: Corpus conversations in it.
        labelled_in_class: Labelled items whose gold label is in the class (few: little support).
        naive, naive_low, naive_high: The share of the predictions and its CLT interval.
        classical, classical_low, classical_high: The share of the gold labels on the labelled items.
        ppi, ppi_low, ppi_high: The PPI++ estimate and interval.
        lam: The power-tuning weight PPI++ chose (NaN when it is not defined).
        confidence: Coverage of each single interval after the correction (``1 − α/K`` under Bonferroni).
        supported: Whether ``labelled_in_class`` reaches the minimum support (only supported shares carry the
            coverage claim).
    """

    label: str
    n_labelled: int
    n_unlabelled: int
    labelled_in_class: int
    naive: float
    naive_low: float
    naive_high: float
    classical: float
    classical_low: float
    classical_high: float
    ppi: float
    ppi_low: float
    ppi_high: float
    lam: float
    confidence: float
    supported: bool = True


def _column(matrix: Matrix, k: int) -> np.ndarray:
    column = matrix[:, [k]] if sparse.issparse(matrix) else matrix[:, k]
    return np.asarray(column.toarray() if sparse.issparse(column) else column, dtype=float).ravel()


def _clip(low: float, high: float) -> tuple[float, float]:
    return max(0.0, low), min(1.0, high)


def _interval(bounds: tuple) -> tuple[float, float]:
    low, high = (float(np.ravel(b)[0]) for b in bounds)
    return _clip(low, high)


def _one_share(y: np.ndarray, f: np.ndarray, fu: np.ndarray, alpha: float,
               w: np.ndarray | None) -> tuple[tuple[float, float, float], ...]:
    """(point, low, high) of the naive, classical and PPI++ intervals, and (λ,) for one class."""
    import ppi_py

    naive = (float(fu.mean()), *_interval(ppi_py.classical_mean_ci(fu, alpha=alpha)))
    nan3 = (math.nan, math.nan, math.nan)
    if y.size == 0:
        return naive, nan3, nan3, (math.nan,)
    wn = None if w is None else w / w.sum() * y.size  # ppi-python normalises weights to sum to n the same way
    classical_point = float(np.mean(y if wn is None else wn * y))
    classical = (classical_point, *_interval(ppi_py.classical_mean_ci(y, w=w, alpha=alpha)))
    # PPI++ tunes λ by dividing by the variance of the predictions; a constant prediction makes it 0/0, and the
    # estimate is then the classical one whatever λ is, so λ = 0 says so without the division.
    fixed = 0.0 if np.ptp(np.concatenate([f, fu])) == 0 else None
    point = float(np.ravel(ppi_py.ppi_mean_pointestimate(y, f, fu, lam=fixed, w=w))[0])
    ppi = (min(1.0, max(0.0, point)), *_interval(ppi_py.ppi_mean_ci(y, f, fu, alpha=alpha, lam=fixed, w=w)))
    # the estimate is linear in λ (classical + λ·(corpus − labelled mean of the predictions)), so λ can be read off
    gap = float(fu.mean() - np.mean(f if wn is None else wn * f))
    lam = 0.0 if fixed is not None else ((point - classical_point) / gap if abs(gap) > 1e-9 else math.nan)
    return naive, classical, ppi, (lam,)


def share_intervals(y: Matrix, yhat: Matrix, yhat_unlabelled: Matrix, labels: Sequence[str], *,
                    alpha: float = 0.05, correction: Correction = "bonferroni",
                    weights: Sequence[float] | None = None, min_support: int = 0) -> list[ShareEstimate]:
    """Naive, classical and PPI++ intervals for the share of each class (one column per class).

    Args:
        y: Labelled items × classes: each item's gold membership of each class (0/1, or fractions when an item's
            label is split over several classes, as a task linked to several occupations is).
        yhat: The classifier's memberships on the same items.
        yhat_unlabelled: The classifier's memberships on the corpus (may be a SciPy sparse matrix).
        labels: The class of each column.
        alpha: Joint error level of the level's intervals.
        correction: ``"bonferroni"`` (each interval at ``1 − α/K``, ``K`` the number of supported classes) or
            ``"none"``.
        weights: Per labelled item, its weight (1/inclusion probability) when the items were not drawn uniformly.
        min_support: Labelled items with the class as gold label that a class needs to be supported (module
            docstring).

    Returns:
        One :class:`ShareEstimate` per label, in order.

    Raises:
        ValueError: Shapes that do not match, α outside (0, 1), an unknown correction, or weights that are not
            finite and positive.
    """
    if correction not in CORRECTIONS:
        raise ValueError(f"correction must be one of {', '.join(CORRECTIONS)}, got {correction!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie in (0, 1), got {alpha!r}")
    n, k_count = y.shape
    if yhat.shape != (n, k_count) or yhat_unlabelled.shape[1] != k_count or len(labels) != k_count:
        raise ValueError(f"shapes do not match: y {y.shape}, yhat {yhat.shape}, unlabelled {yhat_unlabelled.shape}, "
                         f"{len(labels)} labels")
    w = None if weights is None else np.asarray(weights, dtype=float)
    if w is not None and (w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w <= 0)):
        raise ValueError("weights must be one finite positive number per labelled item")
    # the labelled side is small; the corpus side is taken one column at a time (it may hold millions of rows)
    labelled = [(_column(y, k), _column(yhat, k)) for k in range(k_count)]
    support = [int((yk > 0).sum()) for yk, _ in labelled]
    family = sum(s >= min_support for s in support)
    per_share = alpha / family if correction == "bonferroni" and family else alpha
    out = []
    for k, (label, (yk, fk), count) in enumerate(zip(labels, labelled, support, strict=True)):
        naive, classical, ppi, (lam,) = _one_share(yk, fk, _column(yhat_unlabelled, k), per_share, w)
        out.append(ShareEstimate(str(label), n, int(yhat_unlabelled.shape[0]), count, *naive, *classical, *ppi, lam,
                                 1.0 - per_share, count >= min_support))
    return out


def _halfwidth(n: float, big_n: int, var_y: float, var_f: float, cov: float, z: float) -> float:
    lam = min(1.0, max(0.0, cov / ((1.0 + n / big_n) * var_f))) if var_f > 0 else 0.0
    variance = lam**2 * var_f / big_n + max(var_y - 2 * lam * cov + lam**2 * var_f, 0.0) / n
    return z * math.sqrt(variance)


def labels_for_halfwidth(y: Sequence[float], f: Sequence[float], f_unlabelled: Sequence[float], *,
                         halfwidth: float, alpha: float, weights: Sequence[float] | None = None,
                         n_max: int = 10_000_000) -> int | None:
    """Labelled items (in the share's population) that bring the PPI++ interval's half-width to ``halfwidth``.

    The moments come from the labelled items ``y``/``f`` (weighted when ``weights`` is given) and the corpus
    predictions ``f_unlabelled``. Where the labelled items show no spread in the class (none of them is in it),
    the gold variance is taken as ``p(1 − p)`` at the corpus share of the predictions and the predictions as
    uninformative: a cautious plan for a class the labels have not seen.

    Args:
        y, f: Gold and predicted membership of the class on the labelled items.
        f_unlabelled: Predicted membership on the corpus.
        halfwidth: Target half-width (a fraction: 0.02 is ± 2 points).
        alpha: Error level of this one interval (already corrected for multiplicity).
        weights: Per labelled item, its weight.
        n_max: Largest number considered.

    Returns:
        The number of labelled items needed in total (compare with ``len(y)``), or None when more than ``n_max``
        would be needed. (Any target is reachable in principle: as labels grow, PPI++ leans on them and ``λ``
        falls toward 0.)
    """
    yv, fv, fu = (np.asarray(v, dtype=float) for v in (y, f, f_unlabelled))
    if halfwidth <= 0 or not 0.0 < alpha < 1.0 or fu.size == 0:
        raise ValueError("need a positive halfwidth, alpha in (0, 1) and a non-empty corpus")
    z = float(stats.norm.ppf(1 - alpha / 2))
    var_f = float(np.var(fu))
    w = None if weights is None else np.asarray(weights, dtype=float)
    if yv.size >= 2 and np.ptp(yv) > 0:
        var_y = float(np.cov(yv, aweights=w))
        cov = float(np.cov(yv, fv, aweights=w)[0, 1])
    else:
        share = float(fu.mean())
        var_y, cov = max(share * (1 - share), 1e-12), 0.0
    if _halfwidth(n_max, fu.size, var_y, var_f, cov, z) > halfwidth:
        return None
    low, high = 1, n_max
    while low < high:  # the half-width falls as n grows: bisect for the first n that meets the target
        mid = (low + high) // 2
        if _halfwidth(mid, fu.size, var_y, var_f, cov, z) <= halfwidth:
            high = mid
        else:
            low = mid + 1
    return low
