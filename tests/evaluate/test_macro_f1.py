"""macro_f1_score against scikit-learn, its degenerate cases and its input checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from sklearn.metrics import f1_score

from harness.evaluate import macro_f1_score

INVALID = "__invalid__"  # what an invalid prediction is for scikit-learn: a label outside ``labels``


def _sklearn(y_true, y_pred, labels=None, zero_division=0.0) -> float:
    pred = [INVALID if p is None else p for p in y_pred]
    if labels is None:
        labels = sorted({*y_true, *(p for p in y_pred if p is not None)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # undefined labels warn; the value is what we compare
        return float(f1_score(y_true, pred, labels=labels, average="macro", zero_division=zero_division))


@pytest.mark.parametrize("seed", range(6))
def test_matches_sklearn_on_random_labels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(5, 120)), int(rng.integers(2, 9))
    probs = rng.dirichlet(np.full(k, 0.7))
    gold = [f"g{v}" for v in rng.choice(k, size=n, p=probs)]
    pred = [None if rng.random() < 0.08 else g if rng.random() < 0.5 else f"g{rng.integers(0, k + 1)}" for g in gold]
    assert macro_f1_score(gold, pred) == pytest.approx(_sklearn(gold, pred), abs=1e-12)
    # an explicit label list: labels outside it still count as errors of the labels they touch
    labels = ["g0", "g2", f"g{k + 3}"]
    assert macro_f1_score(gold, pred, labels=labels) == pytest.approx(_sklearn(gold, pred, labels), abs=1e-12)
    assert macro_f1_score(gold, pred, labels=labels, zero_division=1.0) == pytest.approx(
        _sklearn(gold, pred, labels, zero_division=1.0), abs=1e-12)


def test_hand_checked_case() -> None:
    # a: TP 2, FN 1, FP 0 -> 0.8; b: TP 1, FN 0, FP 1 -> 2/3; c: TP 0, FN 1 (invalid), FP 0 -> 0
    gold = ["a", "a", "a", "b", "c"]
    pred = ["a", "a", "b", "b", None]
    assert macro_f1_score(gold, pred) == pytest.approx((0.8 + 2 / 3 + 0.0) / 3)


def test_rare_label_weighs_as_much_as_a_common_one() -> None:
    gold = ["common"] * 95 + ["rare"] * 5
    pred = ["common"] * 100
    accuracy = np.mean(np.array(gold) == np.array(pred))
    assert accuracy == 0.95
    assert macro_f1_score(gold, pred) == pytest.approx((2 * 95 / 195 + 0.0) / 2)


def test_degenerate_cases() -> None:
    assert math.isnan(macro_f1_score([], []))  # no items: undefined (scikit-learn would say 0 with a warning)
    assert macro_f1_score(["x"] * 4, ["x"] * 4) == 1.0  # one label, always right
    assert macro_f1_score(["x", "y"], [None, None]) == 0.0  # only invalid predictions
    assert math.isnan(macro_f1_score(["x"], ["y"], labels=["z"], zero_division=math.nan))  # no label defined
    assert macro_f1_score(["x"], ["y"], labels=["z"]) == 0.0  # the same, scikit-learn's zero_division
    # NaN predictions are invalid like None
    assert macro_f1_score(["x", "y"], ["x", float("nan")]) == macro_f1_score(["x", "y"], ["x", None])


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="items"):
        macro_f1_score(["a"], ["a", "b"])
    with pytest.raises(ValueError, match="missing"):
        macro_f1_score(["a", None], ["a", "b"])
    with pytest.raises(ValueError, match="empty"):
        macro_f1_score(["a"], ["a"], labels=[])
    with pytest.raises(ValueError, match="repeat"):
        macro_f1_score(["a"], ["a"], labels=["a", "a"])
