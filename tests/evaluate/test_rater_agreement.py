"""Inter-rater agreement against published worked examples and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score
from sklearn.metrics import cohen_kappa_score as sk_kappa

from harness.evaluate import cohen_kappa_score, fleiss_kappa, krippendorff_alpha, rater_agreement

# Fleiss (1971) as tabulated in the Wikipedia article on Fleiss' kappa: 10 subjects, 14 raters each, 5 categories;
# each row counts how many raters put the subject in each category. Published kappa: 0.210.
FLEISS_COUNTS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 observers (rows) x 12 units, None = not
# coded. Published nominal alpha: 0.743.
KRIPP_4X12 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]

# The computational example of the Wikipedia article on Krippendorff's alpha: 3 coders x 15 units.
# Published nominal alpha: 0.691.
KRIPP_3X15 = [
    [None, None, None, None, None, 3, 4, 1, 2, 1, 1, 3, 3, None, 3],
    [1, None, 2, 1, 3, 3, 4, 3, None, None, None, None, None, None, None],
    [None, None, 2, 1, 3, 4, 4, None, 2, 1, 1, 3, 3, None, 4],
]


def _transpose(rows: list[list[object]]) -> list[list[object]]:
    return [list(col) for col in zip(*rows, strict=True)]


def _ratings_from_counts(counts: list[list[int]]) -> list[list[int]]:
    return [[c for c, times in enumerate(row) for _ in range(times)] for row in counts]


def test_fleiss_worked_example() -> None:
    ratings = _ratings_from_counts(FLEISS_COUNTS)
    assert fleiss_kappa(ratings) == pytest.approx(0.210, abs=5e-4)
    summary = rater_agreement(ratings)
    assert summary.fleiss_kappa == pytest.approx(0.210, abs=5e-4)
    # The article's mean per-subject agreement P-bar is 0.378.
    assert summary.percent_agreement == pytest.approx(0.378, abs=5e-4)
    assert summary.n_complete == 10 and summary.n_raters == 14


def test_krippendorff_worked_examples() -> None:
    assert krippendorff_alpha(_transpose(KRIPP_4X12)) == pytest.approx(0.743, abs=5e-4)
    assert krippendorff_alpha(_transpose(KRIPP_3X15)) == pytest.approx(0.691, abs=5e-4)
    summary = rater_agreement(_transpose(KRIPP_4X12))
    assert summary.krippendorff_alpha == pytest.approx(0.743, abs=5e-4)
    # Unit 12 has a single rating and unit 1 is missing one: 11 pairable, 8 complete.
    assert (summary.n_items, summary.n_pairable, summary.n_complete) == (12, 11, 8)


def test_cohen_worked_example() -> None:
    # Wikipedia's two-reader example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no -> p_o 0.7, p_e 0.5, kappa 0.4.
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa_score(a, b) == pytest.approx(0.4)
    summary = rater_agreement(pd.DataFrame({"ann": a, "bob": b}))
    assert summary.cohen_kappa == pytest.approx(0.4)
    assert summary.percent_agreement == pytest.approx(0.7)
    assert summary.pairs[0].rater_a == "ann" and summary.pairs[0].n == 50


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cohen_matches_sklearn_with_missing(seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = ["a", "b", "c", "d"]
    a = [str(v) for v in rng.choice(labels, size=200)]
    b = [x if rng.random() < 0.55 else str(rng.choice(labels)) for x in a]
    a_missing = [None if rng.random() < 0.1 else x for x in a]
    keep = [i for i in range(200) if a_missing[i] is not None]
    expected = sk_kappa([a[i] for i in keep], [b[i] for i in keep])
    assert cohen_kappa_score(a_missing, b) == pytest.approx(expected)
    summary = rater_agreement(list(zip(a_missing, b, strict=True)))
    assert summary.cohen_kappa == pytest.approx(expected)
    assert summary.percent_agreement == pytest.approx(accuracy_score([a[i] for i in keep], [b[i] for i in keep]))


def _fleiss_direct(counts: np.ndarray) -> float:
    n_raters = counts.sum(axis=1)[0]
    p_j = counts.sum(axis=0) / counts.sum()
    p_i = ((counts**2).sum(axis=1) - n_raters) / (n_raters * (n_raters - 1))
    return float((p_i.mean() - (p_j**2).sum()) / (1 - (p_j**2).sum()))


def test_fleiss_and_light_on_random_data() -> None:
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 3, size=120)
    ratings = np.where(rng.random((120, 5)) < 0.7, truth[:, None], rng.integers(0, 3, size=(120, 5)))
    counts = np.stack([(ratings == c).sum(axis=1) for c in range(3)], axis=1)
    summary = rater_agreement(ratings.tolist())
    assert summary.fleiss_kappa == pytest.approx(_fleiss_direct(counts))
    pairwise = [sk_kappa(ratings[:, i], ratings[:, j]) for i in range(5) for j in range(i + 1, 5)]
    assert summary.cohen_kappa == pytest.approx(np.mean(pairwise))
    assert len(summary.pairs) == 10
    # Krippendorff's alpha on complete data sits within a small-sample correction of Fleiss' kappa.
    assert summary.krippendorff_alpha == pytest.approx(summary.fleiss_kappa, abs=0.01)


def test_degenerate_cases() -> None:
    empty = rater_agreement([])
    assert empty.n_items == 0
    assert all(math.isnan(v) for v in (empty.percent_agreement, empty.cohen_kappa, empty.fleiss_kappa))
    assert math.isnan(empty.krippendorff_alpha)
    assert math.isnan(cohen_kappa_score([], []))
    # Everyone always says the same label: perfect agreement, every chance-corrected coefficient undefined.
    same = rater_agreement([["x", "x", "x"]] * 4)
    assert same.percent_agreement == 1.0
    assert math.isnan(same.cohen_kappa) and math.isnan(same.fleiss_kappa) and math.isnan(same.krippendorff_alpha)
    # One rater only: nothing to pair.
    single = rater_agreement([["a"], ["b"]])
    assert single.n_pairable == 0 and math.isnan(single.krippendorff_alpha) and math.isnan(single.fleiss_kappa)
    # No overlap between the two raters.
    assert math.isnan(cohen_kappa_score(["a", None], [None, "b"]))
    # Perfect agreement with two labels.
    perfect = rater_agreement([["a", "a"], ["b", "b"], ["a", "a"]])
    assert perfect.cohen_kappa == 1.0 and perfect.fleiss_kappa == pytest.approx(1.0)
    assert perfect.krippendorff_alpha == pytest.approx(1.0)
    with pytest.raises(ValueError):
        rater_agreement([["a", "b"], ["a"]])
    with pytest.raises(ValueError):
        rater_agreement([["a", "b"]], raters=["only-one"])
    with pytest.raises(ValueError):
        cohen_kappa_score(["a"], ["a", "b"])
