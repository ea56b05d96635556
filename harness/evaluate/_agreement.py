"""Agreement between a classifier and gold labels: collaboration patterns and yes/no screening.

Every view shares one result type, :class:`Agreement`: accuracy, Cohen's kappa, per-class precision/recall/F1 and
the confusion matrix with its label order. Predictions that are missing (``None``/NaN) or outside the label set are
*invalid*: they count as wrong, are tallied per gold label, and enter Cohen's kappa as one extra "invalid" category
that gold never uses (so they lower observed agreement without being mistaken for a real label).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import get_args

import numpy as np
import pandas as pd

# The pattern vocabulary lives with the taxonomy; PATTERNS and pattern_mode are re-exported here because every
# metric speaks them. The automation/augmentation groupings are the taxonomy's alone (harness.taxonomy).
from harness.taxonomy import PATTERNS, Mode, pattern_mode

__all__ = [
    "MODES",
    "PATTERNS",
    "Agreement",
    "ClassScores",
    "PatternAgreement",
    "binary_agreement",
    "classification_agreement",
    "macro_f1_score",
    "pattern_agreement",
    "pattern_mode",
]

MODES: tuple[str, ...] = get_args(Mode)
"""The three modes a pattern maps to, in confusion-matrix order."""


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


@dataclass(frozen=True)
class ClassScores:
    """One-vs-rest scores of one label.

    Attributes:
        label: The label.
        precision: Right predictions of the label over all predictions of it; NaN when it was never predicted.
        recall: Right predictions of the label over its gold support (invalid predictions count as misses);
            NaN when the support is 0.
        f1: ``2·TP / (2·TP + FP + FN)``; NaN when the label is neither in gold nor predicted.
        support: Number of gold items with this label.
    """

    label: Hashable
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Agreement:
    """Agreement of predictions with gold labels over a fixed label set.

    Attributes:
        labels: Label order of ``per_class`` and of both axes of ``confusion``.
        n: Number of items.
        accuracy: Share of items predicted right (invalid predictions are wrong); NaN when ``n == 0``.
        cohen_kappa: Chance-corrected agreement; invalid predictions form an extra category gold never uses.
            NaN when there are no items or when chance agreement is 1 (gold and predictions are all one and the
            same label), where kappa is 0/0.
        per_class: One :class:`ClassScores` per label, in ``labels`` order.
        confusion: ``confusion[i][j]`` counts items with gold ``labels[i]`` predicted as ``labels[j]``.
        invalid_by_label: Per gold label, the number of invalid predictions (the confusion matrix's missing column).
        invalid: Total invalid predictions.
    """

    labels: tuple[Hashable, ...]
    n: int
    accuracy: float
    cohen_kappa: float
    per_class: tuple[ClassScores, ...]
    confusion: tuple[tuple[int, ...], ...]
    invalid_by_label: tuple[int, ...]
    invalid: int

    @property
    def macro_f1(self) -> float:
        """Unweighted mean F1 over labels whose F1 is defined; NaN when none is."""
        values = [c.f1 for c in self.per_class if not math.isnan(c.f1)]
        return float(np.mean(values)) if values else math.nan

    def confusion_frame(self) -> pd.DataFrame:
        """The confusion matrix as a table: rows gold, columns predicted, plus an ``"(invalid)"`` column."""
        names = [str(label) for label in self.labels]
        frame = pd.DataFrame(list(self.confusion), index=names, columns=names, dtype="int64")
        frame["(invalid)"] = list(self.invalid_by_label)
        frame.index.name = "gold"
        frame.columns.name = "predicted"
        return frame

    def class_frame(self) -> pd.DataFrame:
        """Per-class scores as a table with columns label, precision, recall, f1, support."""
        return pd.DataFrame([c.__dict__ for c in self.per_class])


def classification_agreement(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable | None], *, labels: Sequence[Hashable]
) -> Agreement:
    """Accuracy, Cohen's kappa, per-class scores and confusion matrix of predictions against gold labels.

    Args:
        y_true: Gold label per item; each must be in ``labels``.
        y_pred: Predicted label per item; ``None``/NaN or a value outside ``labels`` is an invalid prediction.
        labels: The label set, in the order used by the result. Must be non-empty and without duplicates.

    Returns:
        An :class:`Agreement`.

    Degenerate cases:
        * Empty input: ``n == 0``; accuracy and kappa are NaN, every per-class score NaN, counts 0.
        * One label used throughout by gold and predictions: accuracy 1, kappa NaN (chance agreement is 1).
        * Gold constant but predictions varied: kappa is 0 when the predictions carry no information, which
          is what the formula gives, since agreement equals the chance level.

    Raises:
        ValueError: When lengths differ, ``labels`` is empty or repeats a label, or a gold label is missing or
            not in ``labels``.
    """
    labels = tuple(labels)
    if not labels:
        raise ValueError("labels must not be empty")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must not repeat: {labels!r}")
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    index = {label: i for i, label in enumerate(labels)}
    k = len(labels)
    confusion = np.zeros((k, k), dtype=np.int64)
    invalid_by_label = np.zeros(k, dtype=np.int64)
    for position, (gold, pred) in enumerate(zip(y_true, y_pred, strict=True)):
        if _is_missing(gold) or gold not in index:
            raise ValueError(f"gold label {gold!r} of item {position} is not one of {labels!r}")
        row = index[gold]
        if _is_missing(pred) or pred not in index:
            invalid_by_label[row] += 1
        else:
            confusion[row, index[pred]] += 1
    n = len(y_true)
    support = confusion.sum(axis=1) + invalid_by_label
    predicted = confusion.sum(axis=0)
    hits = np.diag(confusion)
    per_class = tuple(
        ClassScores(
            label=label,
            precision=float(hits[i] / predicted[i]) if predicted[i] else math.nan,
            recall=float(hits[i] / support[i]) if support[i] else math.nan,
            f1=float(2 * hits[i] / (support[i] + predicted[i])) if support[i] + predicted[i] else math.nan,
            support=int(support[i]),
        )
        for i, label in enumerate(labels)
    )
    if n == 0:
        accuracy = kappa = math.nan
    else:
        accuracy = float(hits.sum() / n)
        # The invalid column has gold share 0, so it adds nothing to chance agreement.
        chance = float(np.dot(support / n, predicted / n))
        kappa = math.nan if math.isclose(chance, 1.0, abs_tol=1e-12) else (accuracy - chance) / (1.0 - chance)
    return Agreement(
        labels=labels,
        n=n,
        accuracy=accuracy,
        cohen_kappa=kappa,
        per_class=per_class,
        confusion=tuple(tuple(int(v) for v in row) for row in confusion),
        invalid_by_label=tuple(int(v) for v in invalid_by_label),
        invalid=int(invalid_by_label.sum()),
    )


def binary_agreement(
    y_true: Sequence[Hashable], y_pred: Sequence[Hashable | None], *, labels: tuple[Hashable, Hashable] = (True, False)
) -> Agreement:
    """Agreement on a yes/no decision, such as occupational screening.

    With the default ``labels=(True, False)``, ``per_class[0].recall`` is the sensitivity and
    ``per_class[1].recall`` the specificity. Missing predictions are invalid (wrong). See
    :func:`classification_agreement` for the degenerate cases.

    Raises:
        ValueError: When ``labels`` does not hold exactly two labels, or as :func:`classification_agreement`.
    """
    if len(labels) != 2:
        raise ValueError(f"binary_agreement needs exactly two labels, got {labels!r}")
    return classification_agreement(y_true, y_pred, labels=labels)


@dataclass(frozen=True)
class PatternAgreement:
    """Collaboration-pattern agreement in three views.

    Attributes:
        patterns: The view over the individual patterns (by default all six, ``"none"`` included).
        modes: Three-way automation / augmentation / none view; each pattern is mapped with
            :func:`pattern_mode` on both sides. Invalid predictions stay invalid.
        binary: Strict two-way automation / augmentation view over the items where neither gold nor the
            prediction is ``"none"`` (invalid predictions are kept and count as wrong).
        binary_excluded: Number of items left out of ``binary`` because gold or the prediction was ``"none"``.
    """

    patterns: Agreement
    modes: Agreement
    binary: Agreement
    binary_excluded: int

    @property
    def accuracy(self) -> float:
        """Pattern-level accuracy."""
        return self.patterns.accuracy

    @property
    def cohen_kappa(self) -> float:
        """Pattern-level Cohen's kappa."""
        return self.patterns.cohen_kappa


def pattern_agreement(
    y_true: Sequence[str], y_pred: Sequence[str | None], *, labels: Sequence[str] = PATTERNS
) -> PatternAgreement:
    """Agreement on collaboration patterns, and on the automation/augmentation split derived from them.

    ``"none"`` (no collaboration pattern applies) is an ordinary label in the pattern view and its own mode in
    the three-way view. The two-way view answers the narrower question "when both sides see a pattern, do they
    agree on automation versus augmentation?", so it drops items where either side says ``"none"`` and reports
    how many were dropped.

    Args:
        y_true: Gold pattern per item (each in ``labels``).
        y_pred: Predicted pattern per item; ``None`` or an unknown string is an invalid prediction.
        labels: Pattern order for the pattern view; a subset of :data:`PATTERNS`.

    Returns:
        A :class:`PatternAgreement`. Degenerate cases follow :func:`classification_agreement`; in particular,
        when every item involves ``"none"``, the two-way view is empty (NaN accuracy and kappa) and
        ``binary_excluded`` equals the number of items.

    Raises:
        ValueError: When ``labels`` holds a value outside :data:`PATTERNS`, or as
            :func:`classification_agreement`.
    """
    labels = tuple(labels)
    unknown = [label for label in labels if label not in PATTERNS]
    if unknown:
        raise ValueError(f"unknown collaboration patterns in labels: {unknown!r}")
    patterns = classification_agreement(y_true, y_pred, labels=labels)
    known = set(labels)
    gold_modes = [pattern_mode(g) for g in y_true]
    pred_modes = [pattern_mode(p) if isinstance(p, str) and p in known else None for p in y_pred]
    modes = classification_agreement(gold_modes, pred_modes, labels=MODES)
    keep = [i for i, (g, p) in enumerate(zip(gold_modes, pred_modes, strict=True)) if g != "none" and p != "none"]
    binary = classification_agreement(
        [gold_modes[i] for i in keep], [pred_modes[i] for i in keep], labels=("automation", "augmentation")
    )
    return PatternAgreement(patterns=patterns, modes=modes, binary=binary, binary_excluded=len(y_true) - len(keep))


def macro_f1_score(
    y_true: Sequence[Hashable],
    y_pred: Sequence[Hashable | None],
    *,
    labels: Sequence[Hashable] | None = None,
    zero_division: float = 0.0,
) -> float:
    """Macro-averaged F1: the unweighted mean over labels of ``2·TP / (2·TP + FP + FN)``.

    Every label weighs the same however rare it is, so a classifier that is right on the common labels but never
    on the rare ones scores low here while its accuracy stays high. Computed as
    ``sklearn.metrics.f1_score(y_true, y_pred, average="macro", labels=labels, zero_division=zero_division)``
    would, except for invalid predictions (below).

    Args:
        y_true: Gold label per item; must not be missing.
        y_pred: Predicted label per item; ``None``/NaN is an invalid prediction: a false negative for the gold
            label and a false positive for no label, so it never becomes a label of its own.
        labels: The labels to average over, in any order. Default: every label seen in ``y_true`` or among the
            valid predictions. Items whose gold or predicted label is outside ``labels`` still count against
            the labels they touch (as false positives or false negatives), as in scikit-learn.
        zero_division: The F1 of a label with no gold item and no prediction (only possible when ``labels``
            names it); 0 as in scikit-learn, or NaN to leave such labels out of the mean.

    Returns:
        The macro-F1 in [0, 1].

    Degenerate cases:
        * Empty input: NaN (scikit-learn warns and returns 0; no items means no evidence either way).
        * One label used throughout and predicted right every time: 1.
        * Only invalid predictions: 0 (every gold label is missed, none is predicted).
        * ``zero_division=NaN`` and no label with support or predictions: NaN.

    Raises:
        ValueError: When lengths differ, a gold label is missing, or ``labels`` is empty or repeats a label.
    """
    if len(y_true) != len(y_pred):
        raise ValueError(f"y_true has {len(y_true)} items but y_pred has {len(y_pred)}")
    for position, gold in enumerate(y_true):
        if _is_missing(gold):
            raise ValueError(f"gold label of item {position} is missing")
    if len(y_true) == 0:
        return math.nan
    if labels is None:
        chosen = list(dict.fromkeys([*y_true, *(p for p in y_pred if not _is_missing(p))]))
    else:
        chosen = list(labels)
        if not chosen:
            raise ValueError("labels must not be empty")
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"labels must not repeat: {chosen!r}")
    index = {label: i for i, label in enumerate(chosen)}
    truth = np.array([index.get(g, -1) for g in y_true], dtype=np.int64)
    pred = np.array([-1 if _is_missing(p) else index.get(p, -1) for p in y_pred], dtype=np.int64)
    return macro_f1_codes(truth, pred, len(chosen), zero_division=zero_division)


def macro_f1_codes(truth: np.ndarray, pred: np.ndarray, n_labels: int, *, zero_division: float = 0.0) -> float:
    """Macro-F1 over integer codes ``0..n_labels-1``; ``-1`` marks a gold or predicted label outside the set.

    The fast core of :func:`macro_f1_score`, for bootstrap loops that score thousands of resamples.
    """
    if truth.size == 0:
        return math.nan
    hits = truth[(truth == pred) & (truth >= 0)]
    tp = np.bincount(hits, minlength=n_labels)[:n_labels]
    support = np.bincount(truth[truth >= 0], minlength=n_labels)[:n_labels]
    predicted = np.bincount(pred[pred >= 0], minlength=n_labels)[:n_labels]
    denominator = support + predicted
    scores = np.where(denominator > 0, 2.0 * tp / np.maximum(denominator, 1), zero_division)
    defined = scores[~np.isnan(scores)]
    return float(defined.mean()) if defined.size else math.nan
