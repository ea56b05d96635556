"""How well per-prediction confidence matches accuracy: reliability, expected calibration error, selective accuracy.

A confidence ``c`` is calibrated when, among predictions given ``c``, a share ``c`` is right. The checks:

* :func:`reliability_table` – predictions grouped into ``n_bins`` equal-width confidence bins over [0, 1], with
  each bin's mean confidence and accuracy (the points of a reliability diagram).
* :func:`expected_calibration_error` – the bins' gaps ``|accuracy - mean confidence|`` averaged with the bins'
  shares of predictions as weights (Naeini et al. 2015; Guo et al. 2017). 0 is perfect, 1 the worst.
  With few items it is biased upward (each bin's accuracy is noisy, and the gap takes its absolute value), so it
  comes with :func:`calibration_error_interval`, a percentile bootstrap over items.
* :func:`selective_accuracy_curve` – keep the most confident predictions and measure accuracy against the share
  kept (coverage). A useful confidence gives a curve that rises as coverage falls; a curve that stays flat means
  ranking by confidence does not find the right predictions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = [
    "abstention_sweep",
    "calibration_error_interval",
    "calibration_section",
    "expected_calibration_error",
    "reliability_table",
    "selective_accuracy_curve",
]


def _check(y_true: Sequence[bool] | np.ndarray, y_prob: Sequence[float] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    truth = np.asarray(y_true, dtype=float)
    prob = np.asarray(y_prob, dtype=float)
    if truth.shape != prob.shape or truth.ndim != 1:
        raise ValueError(f"y_true and y_prob must be equally long 1-d sequences, got {truth.shape} and {prob.shape}")
    if truth.size and not np.all(np.isin(truth, (0.0, 1.0))):
        raise ValueError("y_true must hold right/wrong flags (true/false or 1/0)")
    if prob.size and (not np.all(np.isfinite(prob)) or prob.min() < 0 or prob.max() > 1):
        raise ValueError("y_prob must hold finite probabilities in [0, 1]")
    return truth, prob


def _bins(prob: np.ndarray, n_bins: int) -> np.ndarray:
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    # equal-width bins; a confidence of exactly 1 belongs to the last bin
    return np.minimum((prob * n_bins).astype(int), n_bins - 1)


def reliability_table(y_true: Sequence[bool] | np.ndarray, y_prob: Sequence[float] | np.ndarray, *,
                      n_bins: int = 10) -> pd.DataFrame:
    """The points of a reliability diagram: per equal-width confidence bin, its count, mean confidence and accuracy.

    Args:
        y_true: Per prediction, whether it was right.
        y_prob: Per prediction, its confidence in [0, 1].
        n_bins: Bins over [0, 1].

    Returns:
        One row per bin (empty bins included, with NaN confidence and accuracy): ``bin_low``, ``bin_high``, ``n``,
        ``confidence``, ``accuracy``.

    Raises:
        ValueError: Lengths differ, a flag is not true/false, a confidence is outside [0, 1], or ``n_bins`` < 1.
    """
    truth, prob = _check(y_true, y_prob)
    which = _bins(prob, n_bins)
    rows = []
    for b in range(n_bins):
        inside = which == b
        count = int(inside.sum())
        rows.append({"bin_low": b / n_bins, "bin_high": (b + 1) / n_bins, "n": count,
                     "confidence": float(prob[inside].mean()) if count else math.nan,
                     "accuracy": float(truth[inside].mean()) if count else math.nan})
    return pd.DataFrame(rows, columns=["bin_low", "bin_high", "n", "confidence", "accuracy"])


def _ece(truth: np.ndarray, prob: np.ndarray, which: np.ndarray, n_bins: int) -> float:
    counts = np.bincount(which, minlength=n_bins)
    gap = np.abs(np.bincount(which, weights=truth, minlength=n_bins) - np.bincount(which, weights=prob,
                                                                                   minlength=n_bins))
    return float(gap.sum() / counts.sum())


def expected_calibration_error(y_true: Sequence[bool] | np.ndarray, y_prob: Sequence[float] | np.ndarray, *,
                               n_bins: int = 10) -> float:
    """Expected calibration error: the count-weighted mean gap between accuracy and mean confidence over bins.

    ``ECE = Σ_b (n_b / n) · |accuracy_b − confidence_b|`` over ``n_bins`` equal-width bins of [0, 1].

    Degenerate cases:
        * Empty input gives NaN.
        * One item gives ``|y − p|`` (its own bin).
        * Constant confidence ``p`` gives ``|accuracy − p|`` (one bin holds everything).

    Raises:
        ValueError: As :func:`reliability_table`.
    """
    truth, prob = _check(y_true, y_prob)
    if truth.size == 0:
        return math.nan
    return _ece(truth, prob, _bins(prob, n_bins), n_bins)


def calibration_error_interval(y_true: Sequence[bool] | np.ndarray, y_prob: Sequence[float] | np.ndarray, *,
                               n_bins: int = 10, n_bootstrap: int = 2000, seed: int = 0,
                               confidence: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of :func:`expected_calibration_error`, resampling predictions.

    The bootstrap inherits the estimator's upward bias, so the interval is best read as "how much the figure moves
    with the sample", not as a bound on the true calibration error. NaN for empty input.

    Raises:
        ValueError: As :func:`reliability_table`, or ``n_bootstrap`` < 1, or ``confidence`` outside (0, 1).
    """
    truth, prob = _check(y_true, y_prob)
    if n_bootstrap < 1 or not 0.0 < confidence < 1.0:
        raise ValueError("n_bootstrap must be >= 1 and confidence in (0, 1)")
    if truth.size == 0:
        return math.nan, math.nan
    which = _bins(prob, n_bins)
    rng = np.random.default_rng(seed)
    draws = np.empty(n_bootstrap)
    for r in range(n_bootstrap):
        idx = rng.integers(0, truth.size, size=truth.size)
        draws[r] = _ece(truth[idx], prob[idx], which[idx], n_bins)
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return float(low), float(high)


def selective_accuracy_curve(y_true: Sequence[bool] | np.ndarray, y_prob: Sequence[float] | np.ndarray, *,
                             coverages: Sequence[float] | None = None) -> pd.DataFrame:
    """Accuracy of the most confident predictions against the share of predictions kept.

    For each coverage ``q`` the predictions are ranked by confidence and those at or above the confidence of the
    ``ceil(q·n)``-th are kept (ties are kept together, so the kept share can exceed ``q``).

    Args:
        y_true: Per prediction, whether it was right.
        y_prob: Per prediction, its confidence in [0, 1].
        coverages: Target shares to keep, each in (0, 1] (default 1.0, 0.9, ..., 0.1).

    Returns:
        One row per coverage: ``target_coverage``, ``threshold`` (the lowest confidence kept), ``coverage`` (the
        share actually kept), ``n`` (kept), ``accuracy`` (of the kept). Empty input gives no rows.

    Raises:
        ValueError: As :func:`reliability_table`, or a coverage outside (0, 1].
    """
    truth, prob = _check(y_true, y_prob)
    targets = [round(1.0 - k / 10, 10) for k in range(10)] if coverages is None else [float(c) for c in coverages]
    if any(not 0.0 < c <= 1.0 for c in targets):
        raise ValueError("coverages must lie in (0, 1]")
    columns = ["target_coverage", "threshold", "coverage", "n", "accuracy"]
    if truth.size == 0:
        return pd.DataFrame(columns=columns)
    ranked = np.sort(prob)[::-1]
    rows = []
    for target in targets:
        threshold = float(ranked[max(1, math.ceil(round(target * truth.size, 9))) - 1])
        kept = prob >= threshold
        rows.append({"target_coverage": target, "threshold": threshold, "coverage": float(kept.mean()),
                     "n": int(kept.sum()), "accuracy": float(truth[kept].mean())})
    return pd.DataFrame(rows, columns=columns)


def _rows(frame: pd.DataFrame) -> list[dict[str, float | int | None]]:
    return [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def _present(values: Sequence[bool | None], conf: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scored items among ``keep`` that carry a confidence: their correctness and confidence."""
    chosen = keep & np.array([v is not None for v in values]) & np.isfinite(conf)
    return np.array([bool(values[k]) for k in np.flatnonzero(chosen)], dtype=bool), conf[chosen]


def calibration_section(correct: dict[str, Sequence[bool | None]], confidence: Sequence[float | None],
                        splits: Sequence[str], *, target: str = "major_group", n_bins: int = 10,
                        n_bootstrap: int = 2000, seed: int = 0) -> tuple[dict[str, float | int | None], dict]:
    """The calibration of a run's confidence: overall figures for the metric and the ``calibration`` section.

    Args:
        correct: Per level (``top``... and ``major_group``), per item whether the prediction was right; None
            where the item is not scored at that level.
        confidence: Per item, the prediction's confidence (None when it has none).
        splits: Per item, its goldset split.
        target: The level the confidence is a probability for; its correctness gives the ECE.
        n_bins, n_bootstrap, seed: Bins of the reliability diagram and ECE; the bootstrap of its interval.

    Returns:
        ``({"value", "n", "ci_low", "ci_high"}, section)``: the ECE over every scored item with a confidence,
        and the section with, per split and for all items, the ECE with its interval, the reliability table and
        the selective-accuracy curve of every level.
    """
    conf = np.array([math.nan if c is None else float(c) for c in confidence], dtype=float)
    split_arr = np.asarray(splits, dtype=object)
    parts: dict[str, dict] = {}
    overall: dict[str, float | int | None] = {}
    for name in ("all", *sorted(set(split_arr))):
        keep = np.ones(len(conf), dtype=bool) if name == "all" else split_arr == name
        truth, prob = _present(correct[target], conf, keep)
        low, high = calibration_error_interval(truth, prob, n_bins=n_bins, n_bootstrap=n_bootstrap, seed=seed)
        ece = expected_calibration_error(truth, prob, n_bins=n_bins)
        block = {"n": int(truth.size), "ece": None if math.isnan(ece) else ece,
                 "ci_low": None if math.isnan(low) else low, "ci_high": None if math.isnan(high) else high,
                 "accuracy": float(truth.mean()) if truth.size else None,
                 "mean_confidence": float(prob.mean()) if prob.size else None,
                 "reliability": _rows(reliability_table(truth, prob, n_bins=n_bins)),
                 "selective": {level: _rows(selective_accuracy_curve(*_present(values, conf, keep)))
                               for level, values in correct.items()}}
        parts[name] = block
        if name == "all":
            overall = {"value": ece, "n": int(truth.size), "ci_low": block["ci_low"], "ci_high": block["ci_high"]}
    section = {"target": target, "n_bins": n_bins, "n_with_confidence": int(np.isfinite(conf).sum()),
               "method": f"ECE over {n_bins} equal-width bins, percentile bootstrap interval over items "
                         f"({n_bootstrap} resamples); selective accuracy keeps the most confident predictions",
               "splits": parts}
    return overall, section


def abstention_sweep(gold: Sequence[str | None], pred: Sequence[str | None], confidence: Sequence[float | None],
                     *, thresholds: Sequence[float] = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)) -> list[dict]:
    """How predicted shares move as low-confidence predictions are set aside, on labelled items.

    For each threshold, the predictions with confidence at or above it are kept; the row gives the share kept,
    their accuracy, and the total variation distance between the predicted and the gold distribution over the
    labels of the kept items (half the summed absolute gaps between shares: 0 when every share is right).

    Args:
        gold: Per item, the gold label (None: the item is left out).
        pred: Per item, the predicted label (None counts as a label of its own, "no answer").
        confidence: Per item, the confidence (items without one are left out).
        thresholds: Confidence thresholds, each in [0, 1].
    """
    keep = [k for k, (g, c) in enumerate(zip(gold, confidence, strict=True)) if g is not None and c is not None]
    rows = []
    for threshold in thresholds:
        kept = [k for k in keep if confidence[k] >= threshold]  # type: ignore[operator]
        gold_kept = pd.Series([gold[k] for k in kept], dtype=object)
        pred_kept = pd.Series([pred[k] if pred[k] is not None else "(no answer)" for k in kept], dtype=object)
        shares = pd.concat([gold_kept.value_counts(normalize=True), pred_kept.value_counts(normalize=True)],
                           axis=1).fillna(0.0)
        tvd = float(0.5 * (shares.iloc[:, 0] - shares.iloc[:, 1]).abs().sum()) if kept else None
        rows.append({"threshold": float(threshold), "kept": len(kept),
                     "coverage": len(kept) / len(keep) if keep else None,
                     "accuracy": float((gold_kept == pred_kept).mean()) if kept else None,
                     "total_variation": tvd})
    return rows
