"""Per-level hierarchy accuracy with Wilson and bootstrap intervals.

A prediction at one level of the hierarchy is right when it is one of the node ids that the gold labels make
acceptable at that level. The caller works out the acceptable sets from the hierarchy (a node is acceptable when it
is an ancestor of any acceptable base task, or is listed as acceptable for the level); this module only scores.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["LevelAccuracy", "level_accuracy", "set_accuracy_score", "wilson_interval"]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")


def _as_set(acceptable: Collection[Hashable] | str | None) -> frozenset[Hashable]:
    # A bare string is one node id, not a collection of characters.
    if acceptable is None:
        return frozenset()
    if isinstance(acceptable, str | bytes):
        return frozenset([acceptable])
    return frozenset(acceptable)


def _correct_vector(
    y_true: Sequence[Collection[Hashable] | str | None], y_pred: Sequence[Hashable | None]
) -> tuple[np.ndarray, np.ndarray]:
    """Return boolean arrays (correct, invalid) after checking that the inputs line up."""
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    correct = np.zeros(len(y_true), dtype=bool)
    invalid = np.zeros(len(y_true), dtype=bool)
    for i, (acceptable, pred) in enumerate(zip(y_true, y_pred, strict=True)):
        if _is_missing(pred):
            invalid[i] = True
        else:
            correct[i] = pred in _as_set(acceptable)
    return correct, invalid


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def set_accuracy_score(y_true: Sequence[Collection[Hashable] | str | None], y_pred: Sequence[Hashable | None]) -> float:
    """Share of items whose predicted node is one of the acceptable nodes.

    Args:
        y_true: Per item, the collection of node ids that count as right at this level. A bare string is read as
            a one-element collection.
        y_pred: Per item, the predicted node id, or ``None`` (or NaN) for an invalid answer or an abstention.

    Returns:
        The accuracy in [0, 1].

    Degenerate cases:
        * Empty input gives NaN (accuracy is undefined without items).
        * ``None``/NaN predictions count as wrong.
        * An item whose acceptable collection is empty (or ``None``) can never be right; it counts as wrong. Drop
          such items beforehand if they should not be scored.

    Raises:
        ValueError: When the two sequences differ in length.
    """
    correct, _ = _correct_vector(y_true, y_pred)
    if correct.size == 0:
        return math.nan
    return float(correct.mean())


def wilson_interval(k: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``k / n``.

    Unlike the normal-approximation (Wald) interval, it stays inside [0, 1] and does not collapse to a point when
    ``k`` is 0 or ``n``.

    Args:
        k: Number of successes, ``0 <= k <= n``.
        n: Number of trials.
        confidence: Two-sided coverage, strictly between 0 and 1.

    Returns:
        ``(low, high)``. With ``n == 0`` both ends are NaN.

    Raises:
        ValueError: When ``k`` or ``n`` are out of range or ``confidence`` is not in (0, 1).
    """
    _check_confidence(confidence)
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2.0))
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = (z / (1 + z2 / n)) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # Clip float noise at the edges so k=0 gives exactly 0 and k=n exactly 1.
    return (max(0.0, centre - half) if k > 0 else 0.0, min(1.0, centre + half) if k < n else 1.0)


def _bootstrap_interval(
    k: int, n: int, *, confidence: float, n_bootstrap: int, rng: np.random.Generator
) -> tuple[float, float]:
    # Resampling n items with replacement from k right and n-k wrong ones makes the number right in the resample
    # Binomial(n, k/n); drawing that count directly is the same bootstrap distribution without an n_bootstrap x n
    # index matrix, and it depends only on (k, n), so the interval does not change when items are reordered.
    if n == 0:
        return (math.nan, math.nan)
    draws = rng.binomial(n, k / n, size=n_bootstrap) / n
    alpha = 1.0 - confidence
    low, high = np.quantile(draws, [alpha / 2.0, 1.0 - alpha / 2.0])
    return (float(low), float(high))


@dataclass(frozen=True)
class LevelAccuracy:
    """Accuracy at one hierarchy level (optionally for one group of items).

    Attributes:
        level: Level name, e.g. ``"top"``, ``"mid"``, ``"base"``.
        n: Number of scored items.
        correct: Number right.
        accuracy: ``correct / n``; NaN when ``n == 0``.
        ci_low, ci_high: Wilson score interval.
        boot_low, boot_high: Percentile bootstrap interval (seeded).
        invalid: Number of invalid/abstained predictions (already counted as wrong).
        group: The group this row describes, or ``None`` for all items.
        by_group: Per-group results (sorted by group label) when groups were given, else empty.
    """

    level: str
    n: int
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    boot_low: float
    boot_high: float
    invalid: int
    group: str | None = None
    by_group: tuple[LevelAccuracy, ...] = field(default=(), repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row for all items followed by one row per group.

        Columns: level, group (``"(all)"`` for the overall row), n, correct, accuracy, ci_low, ci_high,
        boot_low, boot_high, invalid.
        """
        rows = [self, *self.by_group]
        return pd.DataFrame(
            [
                {
                    "level": r.level,
                    "group": "(all)" if r.group is None else r.group,
                    "n": r.n,
                    "correct": r.correct,
                    "accuracy": r.accuracy,
                    "ci_low": r.ci_low,
                    "ci_high": r.ci_high,
                    "boot_low": r.boot_low,
                    "boot_high": r.boot_high,
                    "invalid": r.invalid,
                }
                for r in rows
            ]
        )


def _summarise(
    correct: np.ndarray,
    invalid: np.ndarray,
    *,
    level: str,
    group: str | None,
    confidence: float,
    n_bootstrap: int,
    rng: np.random.Generator,
) -> LevelAccuracy:
    n = int(correct.size)
    k = int(correct.sum())
    low, high = wilson_interval(k, n, confidence=confidence)
    b_low, b_high = _bootstrap_interval(k, n, confidence=confidence, n_bootstrap=n_bootstrap, rng=rng)
    return LevelAccuracy(
        level=level,
        n=n,
        correct=k,
        accuracy=k / n if n else math.nan,
        ci_low=low,
        ci_high=high,
        boot_low=b_low,
        boot_high=b_high,
        invalid=int(invalid.sum()),
        group=group,
    )


def level_accuracy(
    y_true: Sequence[Collection[Hashable] | str | None],
    y_pred: Sequence[Hashable | None],
    *,
    level: str,
    confidence: float = 0.95,
    n_bootstrap: int = 2000,
    seed: int = 0,
    groups: Sequence[Hashable | None] | None = None,
) -> LevelAccuracy:
    """Accuracy at one hierarchy level with a Wilson interval and a seeded percentile bootstrap interval.

    Args:
        y_true: Per item, the acceptable node ids at this level (see :func:`set_accuracy_score`).
        y_pred: Per item, the predicted node id or ``None`` for invalid/abstained.
        level: Name of the level, stored in the result.
        confidence: Two-sided coverage of both intervals.
        n_bootstrap: Number of bootstrap resamples (>= 1).
        seed: Seed of the bootstrap generator; the same inputs and seed give the same interval.
        groups: Optional per-item group label (e.g. the 2-digit SOC major group). When given, the result's
            ``by_group`` holds one :class:`LevelAccuracy` per distinct label, sorted by label; ``None``/NaN labels
            form the group ``"(none)"``. Each group gets its own generator derived from ``seed`` and the group's
            position in that sorted order.

    Returns:
        A :class:`LevelAccuracy`.

    Degenerate cases:
        * No items: ``n == 0`` and every rate and interval end is NaN.
        * All right or all wrong: the Wilson interval is one-sided at 1 or 0 (for example 10/10 gives
          ``ci_high == 1``), and the bootstrap interval collapses to the point estimate, since every resample
          is identical.
        * Invalid predictions count as wrong and are also counted in ``invalid``.

    Raises:
        ValueError: When lengths differ, ``confidence`` is outside (0, 1) or ``n_bootstrap < 1``.
    """
    _check_confidence(confidence)
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be >= 1, got {n_bootstrap}")
    correct, invalid = _correct_vector(y_true, y_pred)
    seq = np.random.SeedSequence(seed)
    overall = _summarise(
        correct,
        invalid,
        level=level,
        group=None,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        rng=np.random.default_rng(seq),
    )
    if groups is None:
        return overall
    if len(groups) != len(correct):
        raise ValueError(f"groups has {len(groups)} items but y_pred has {len(correct)}")
    labels = np.array(["(none)" if _is_missing(g) else str(g) for g in groups], dtype=object)
    names = sorted(set(labels.tolist()))
    children = seq.spawn(len(names))
    by_group = tuple(
        _summarise(
            correct[labels == name],
            invalid[labels == name],
            level=level,
            group=name,
            confidence=confidence,
            n_bootstrap=n_bootstrap,
            rng=np.random.default_rng(child),
        )
        for name, child in zip(names, children, strict=True)
    )
    return replace(overall, by_group=by_group)
