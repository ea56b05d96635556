"""Accuracy weighted back to a pool: Horvitz–Thompson weights from the items' inclusion probabilities.

A goldset chosen by active selection (``harness label queue``) over-represents the conversations classifiers find
hard, so its plain accuracy understates accuracy on the pool it was drawn from. Each such item records the
probability ``π`` the design had of choosing it (``sample.inclusion_probability``). Weighting item ``i`` by
``w_i = 1/π_i`` makes the weighted count of correct items, ``Σ w_i·c_i``, an unbiased (Horvitz–Thompson) estimate of
the number the pool holds. Accuracy is a ratio, and on sub-populations (occupational items only) the denominator is
unknown too, so it is estimated the same way: ``Σ w_i·c_i / Σ w_i`` (the Hájek form of the estimator, the usual
choice for means).

Its interval: a Wilson score interval computed with Kish's effective sample size ``(Σ w)² / Σ w²`` in place of the
count. It stays inside [0, 1], does not collapse when every item is right or wrong, and reduces to the ordinary
Wilson interval when all weights are equal.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from harness.evaluate._goldset import GoldItem
from harness.evaluate._registry import metric_spec
from harness.run import MetricEntry

__all__ = ["InclusionWeights", "inclusion_weights", "weighted_accuracy_score", "weighted_scores"]

_PROBABILITY = "inclusion_probability"
_POOL = "pool_sha256"
_METHOD = "Horvitz-Thompson (Hajek ratio) weights 1/inclusion_probability; Wilson interval with Kish's effective n"


def _accepts(acceptable: Any, pred: Any) -> bool:
    if pred is None or (isinstance(pred, float) and math.isnan(pred)):
        return False
    if isinstance(acceptable, str | bytes) or not isinstance(acceptable, Collection):
        return pred == acceptable  # a single gold answer (a label, a bool)
    return pred in acceptable


def _check_weights(sample_weight: Sequence[float], n: int) -> np.ndarray:
    weights = np.asarray(sample_weight, dtype=float)
    if weights.shape != (n,):
        raise ValueError(f"sample_weight has {weights.size} values for {n} items")
    if n and not (np.all(np.isfinite(weights)) and np.all(weights > 0)):
        raise ValueError("sample_weight must be finite and positive")
    return weights


def weighted_accuracy_score(
    y_true: Sequence[Collection[Hashable] | Hashable],
    y_pred: Sequence[Hashable | None],
    *,
    sample_weight: Sequence[float],
) -> float:
    """Weighted share of items whose prediction is acceptable: ``Σ w·correct / Σ w``.

    With weights ``1/π`` from the items' inclusion probabilities this is the Horvitz–Thompson (Hájek) estimate of
    accuracy on the pool the items were drawn from; with equal weights it is plain accuracy.

    Args:
        y_true: Per item, the acceptable answers (a collection, as for :func:`set_accuracy_score`) or the single
            gold answer (a string, a bool, any non-collection value).
        y_pred: Per item, the prediction; ``None``/NaN (an invalid answer) counts as wrong.
        sample_weight: Per item, a positive weight.

    Returns:
        The weighted accuracy in [0, 1].

    Degenerate cases:
        * Empty input gives NaN.
        * One item gives 1.0 or 0.0 whatever its weight.
        * Constant weights give the unweighted accuracy.

    Raises:
        ValueError: When the lengths differ or a weight is not finite and positive.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    weights = _check_weights(sample_weight, len(y_true))
    correct = np.array([_accepts(t, p) for t, p in zip(y_true, y_pred, strict=True)], dtype=bool)
    return _weighted_mean(correct, weights)


def _weighted_mean(correct: np.ndarray, weights: np.ndarray) -> float:
    if correct.size == 0:
        return math.nan
    return float(np.sum(weights * correct) / np.sum(weights))


def _kish_wilson(correct: np.ndarray, weights: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson interval of the weighted accuracy with Kish's effective sample size (NaN without items)."""
    if correct.size == 0:
        return math.nan, math.nan
    p = _weighted_mean(correct, weights)
    n = float(np.sum(weights) ** 2 / np.sum(weights**2))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class InclusionWeights:
    """Whether a goldset can be weighted back to its pool, and the weights.

    Attributes:
        weights: ``1/π`` per item, in item order; None when weighting does not apply.
        note: One line saying what was done (or why not); empty when no item carries a probability.
        n_pools: Distinct pools the items name (``sample.pool_sha256``); 0 when none is named.
    """

    weights: tuple[float, ...] | None
    note: str
    n_pools: int = 0


def _probability(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if 0.0 < value <= 1.0 else None


def inclusion_weights(items: Sequence[GoldItem]) -> InclusionWeights:
    """Horvitz–Thompson weights for ``items`` when every one records an inclusion probability from one pool.

    The rules: no item with ``sample.inclusion_probability`` → no weighting and no note; every item with a valid
    probability in (0, 1] and at most one ``sample.pool_sha256`` among them → weights ``1/π``; anything else (some
    items without one, a value outside (0, 1], several pools) → no weighting, and the note says why, because
    weights from different designs cannot be mixed.
    """
    carried = [item.sample.get(_PROBABILITY) for item in items]
    n_with = sum(value is not None for value in carried)
    if n_with == 0:
        return InclusionWeights(None, "")
    pools = {item.sample.get(_POOL) for item in items} - {None}
    if n_with < len(items):
        return InclusionWeights(None, f"not weighted: only {n_with} of {len(items)} items carry an inclusion "
                                "probability (sample.inclusion_probability)", len(pools))
    bad = next((item.id for item, value in zip(items, carried, strict=True) if _probability(value) is None), None)
    if bad is not None:
        return InclusionWeights(None, f"not weighted: item {bad!r} has an inclusion probability outside (0, 1]",
                                len(pools))
    if len(pools) > 1:
        return InclusionWeights(None, f"not weighted: the items were drawn from {len(pools)} different pools",
                                len(pools))
    weights = tuple(1.0 / float(value) for value in carried)
    return InclusionWeights(weights, f"accuracy weighted back to the pool by 1/inclusion probability "
                            f"(Horvitz-Thompson) over {len(items)} items; the *_weighted metrics", len(pools))


def _entry(name: str, correct: Sequence[bool | None], weights: Sequence[float]) -> tuple[MetricEntry, dict]:
    keep = [k for k, c in enumerate(correct) if c is not None]
    flags = np.array([bool(correct[k]) for k in keep], dtype=bool)
    w = np.array([weights[k] for k in keep], dtype=float)
    value = _weighted_mean(flags, w)
    low, high = _kish_wilson(flags, w)
    n_effective = float(np.sum(w) ** 2 / np.sum(w**2)) if keep else 0.0
    entry = MetricEntry(value, metric_spec(name).kind, len(keep), None if math.isnan(low) else low,
                        None if math.isnan(high) else high)
    row = {"metric": name, "n": len(keep), "effective_n": round(n_effective, 2),
           "value": None if math.isnan(value) else value, "ci_low": entry.ci_low, "ci_high": entry.ci_high}
    return entry, row


def weighted_scores(
    items: Sequence[GoldItem], columns: Mapping[str, Sequence[Any]], levels: Sequence[str]
) -> tuple[dict[str, MetricEntry], dict[str, Any]]:
    """The ``*_weighted`` metrics and the ``weighting`` section of ``metrics.json`` (both empty when not weighted).

    Args:
        items: The goldset items, in the order of ``columns``.
        columns: The per-item columns the facet scorers produced: ``correct_<level>``, ``correct_major_group``
            (None where an item is not scored), ``gold_pattern``/``pred_pattern``, ``gold_occupational``/
            ``pred_occupational``.
        levels: The hierarchy's levels.
    """
    design = inclusion_weights(items)
    if design.weights is None:
        return {}, ({"note": design.note} if design.note else {})
    w = design.weights
    correct: dict[str, Sequence[bool | None]] = {
        f"hierarchy.{level}.accuracy_weighted": columns[f"correct_{level}"] for level in levels}
    correct["hierarchy.major_group.accuracy_weighted"] = columns["correct_major_group"]
    correct["pattern.accuracy_weighted"] = [_accepts(g, p) for g, p in
                                            zip(columns["gold_pattern"], columns["pred_pattern"], strict=True)]
    correct["screening.accuracy_weighted"] = [_accepts(g, p) for g, p in
                                              zip(columns["gold_occupational"], columns["pred_occupational"],
                                                  strict=True)]
    metrics: dict[str, MetricEntry] = {}
    rows = []
    for name, flags in correct.items():
        metrics[name], row = _entry(name, flags, w)
        rows.append(row)
    section = {"note": design.note, "method": _METHOD, "n_items": len(items),
               "weights": {"min": min(w), "max": max(w), "sum": sum(w)}, "metrics": rows}
    return metrics, section
