"""Classifier agreement: patterns, modes, binary screening; checked against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, cohen_kappa_score, confusion_matrix, precision_recall_fscore_support

from harness.evaluate import (
    MODES,
    PATTERNS,
    binary_agreement,
    classification_agreement,
    pattern_agreement,
    pattern_mode,
)
from harness.taxonomy import AUGMENTATION, AUTOMATION

INVALID = "<invalid>"


def _random_patterns(seed: int, n: int, invalid_rate: float = 0.1) -> tuple[list[str], list[str | None]]:
    rng = np.random.default_rng(seed)
    gold = [str(p) for p in rng.choice(PATTERNS, size=n, p=[0.3, 0.1, 0.2, 0.15, 0.1, 0.15])]
    pred: list[str | None] = []
    for g in gold:
        roll = rng.random()
        if roll < invalid_rate:
            pred.append(None if roll < invalid_rate / 2 else "made-up pattern")
        elif roll < 0.6:
            pred.append(g)
        else:
            pred.append(str(rng.choice(PATTERNS)))
    return gold, pred


def _sk_pred(pred: list[str | None], labels: tuple[str, ...]) -> list[str]:
    return [p if p in labels else INVALID for p in pred]


def test_constants_and_mode() -> None:
    assert (*AUTOMATION, *AUGMENTATION, "none") == PATTERNS  # one canonical order, modes grouped
    assert MODES == ("automation", "augmentation", "none")
    assert [pattern_mode(p) for p in PATTERNS] == [
        "automation",
        "automation",
        "augmentation",
        "augmentation",
        "augmentation",
        "none",
    ]
    with pytest.raises(ValueError):
        pattern_mode("delegation")


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pattern_view_matches_sklearn(seed: int) -> None:
    gold, pred = _random_patterns(seed, 400)
    result = pattern_agreement(gold, pred).patterns
    sk = _sk_pred(pred, PATTERNS)
    assert result.accuracy == pytest.approx(accuracy_score(gold, sk))
    # Invalid answers are an extra category gold never uses.
    assert result.cohen_kappa == pytest.approx(cohen_kappa_score(gold, sk, labels=[*PATTERNS, INVALID]))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, sk, labels=list(PATTERNS), zero_division=np.nan
    )
    assert [c.precision for c in result.per_class] == pytest.approx(precision, nan_ok=True)
    assert [c.recall for c in result.per_class] == pytest.approx(recall, nan_ok=True)
    assert [c.f1 for c in result.per_class] == pytest.approx(f1, nan_ok=True)
    assert [c.support for c in result.per_class] == list(support)
    full = confusion_matrix(gold, sk, labels=[*PATTERNS, INVALID])
    assert np.array_equal(np.array(result.confusion), full[:6, :6])
    assert list(result.invalid_by_label) == list(full[:6, 6])
    assert result.invalid == sum(p not in PATTERNS for p in pred)
    assert result.labels == PATTERNS


@pytest.mark.parametrize("seed", [3, 4])
def test_mode_and_binary_views_match_sklearn(seed: int) -> None:
    gold, pred = _random_patterns(seed, 300)
    result = pattern_agreement(gold, pred)
    gold_modes = [pattern_mode(g) for g in gold]
    pred_modes = [pattern_mode(p) if p in PATTERNS else INVALID for p in pred]
    assert result.modes.labels == MODES
    assert result.modes.accuracy == pytest.approx(accuracy_score(gold_modes, pred_modes))
    assert result.modes.cohen_kappa == pytest.approx(
        cohen_kappa_score(gold_modes, pred_modes, labels=[*MODES, INVALID])
    )
    keep = [i for i in range(len(gold)) if gold_modes[i] != "none" and pred_modes[i] != "none"]
    assert result.binary_excluded == len(gold) - len(keep)
    g2 = [gold_modes[i] for i in keep]
    p2 = [pred_modes[i] for i in keep]
    assert result.binary.n == len(keep)
    assert result.binary.accuracy == pytest.approx(accuracy_score(g2, p2))
    assert result.binary.cohen_kappa == pytest.approx(
        cohen_kappa_score(g2, p2, labels=["automation", "augmentation", INVALID])
    )
    assert result.accuracy == result.patterns.accuracy
    assert result.cohen_kappa == result.patterns.cohen_kappa


def test_hand_checked_small_case() -> None:
    gold = ["directive", "directive", "learning", "none"]
    pred = ["directive", "feedback_loop", "validation", None]
    result = pattern_agreement(gold, pred)
    assert result.patterns.accuracy == 0.25
    # Modes: automation/automation right, augmentation/augmentation right, none -> invalid wrong.
    assert result.modes.accuracy == 0.75
    assert result.modes.invalid == 1
    # Binary view drops the gold-none item only (the invalid prediction is not "none").
    assert result.binary_excluded == 1
    assert result.binary.n == 3 and result.binary.accuracy == 1.0
    directive = result.patterns.per_class[0]
    assert (directive.precision, directive.recall, directive.support) == (1.0, 0.5, 2)
    assert directive.f1 == pytest.approx(2 / 3)
    frame = result.patterns.confusion_frame()
    assert frame.loc["directive", "feedback_loop"] == 1
    assert frame.loc["none", "(invalid)"] == 1
    assert list(result.patterns.class_frame().columns) == ["label", "precision", "recall", "f1", "support"]


def test_degenerate_cases() -> None:
    empty = pattern_agreement([], [])
    assert empty.patterns.n == 0
    assert math.isnan(empty.accuracy) and math.isnan(empty.cohen_kappa)
    assert all(math.isnan(c.f1) for c in empty.patterns.per_class)
    # All right on one label: accuracy 1, kappa undefined.
    one = pattern_agreement(["learning"] * 5, ["learning"] * 5)
    assert one.accuracy == 1.0 and math.isnan(one.cohen_kappa)
    # Constant gold, varied predictions: kappa 0.
    varied = classification_agreement(["a"] * 4, ["a", "b", "a", "b"], labels=("a", "b"))
    assert varied.cohen_kappa == pytest.approx(0.0)
    # All none: binary view empty.
    nones = pattern_agreement(["none"] * 3, ["none", "directive", "none"])
    assert nones.binary.n == 0 and nones.binary_excluded == 3 and math.isnan(nones.binary.accuracy)
    # None correct and perfectly anti-correlated binary decisions: kappa -1.
    anti = binary_agreement([True, False, True, False], [False, True, False, True])
    assert anti.accuracy == 0.0 and anti.cohen_kappa == pytest.approx(-1.0)


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="not one of"):
        pattern_agreement(["delegation"], ["directive"])
    with pytest.raises(ValueError):
        pattern_agreement(["directive"], [])
    with pytest.raises(ValueError, match="unknown"):
        pattern_agreement(["directive"], ["directive"], labels=("directive", "other"))
    with pytest.raises(ValueError):
        classification_agreement(["a"], ["a"], labels=("a", "a"))
    with pytest.raises(ValueError):
        binary_agreement([True], [True], labels=(True,))


def test_binary_screening_matches_sklearn() -> None:
    rng = np.random.default_rng(9)
    gold = [bool(v) for v in rng.random(250) < 0.7]
    pred = [None if rng.random() < 0.05 else (g if rng.random() < 0.8 else not g) for g in gold]
    result = binary_agreement(gold, pred)
    sk = ["T" if p is True else "F" if p is False else INVALID for p in pred]
    sk_gold = ["T" if g else "F" for g in gold]
    assert result.accuracy == pytest.approx(accuracy_score(sk_gold, sk))
    assert result.cohen_kappa == pytest.approx(cohen_kappa_score(sk_gold, sk, labels=["T", "F", INVALID]))
    _, recall, _, _ = precision_recall_fscore_support(sk_gold, sk, labels=["T", "F"], zero_division=np.nan)
    sensitivity, specificity = (c.recall for c in result.per_class)
    assert (sensitivity, specificity) == pytest.approx(tuple(recall))
    assert not math.isnan(result.macro_f1)
