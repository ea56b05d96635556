"""Agreement between human raters: percent agreement, Cohen's, Fleiss' and Krippendorff's coefficients.

Ratings come as an items x raters table of nominal labels; ``None``/NaN marks a rating the rater did not give.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "RaterAgreement",
    "RaterPair",
    "cohen_kappa_score",
    "fleiss_kappa",
    "krippendorff_alpha",
    "rater_agreement",
]

Ratings = pd.DataFrame | Sequence[Sequence[Hashable | None]]


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _encode(ratings: Ratings) -> tuple[np.ndarray, tuple[Hashable, ...], tuple[str, ...]]:
    """Return (codes, categories, rater names); codes is items x raters with -1 for a missing rating."""
    if isinstance(ratings, pd.DataFrame):
        rows = ratings.astype(object).values.tolist()
        names = tuple(str(c) for c in ratings.columns)
    else:
        rows = [list(r) for r in ratings]
        width = len(rows[0]) if rows else 0
        if any(len(r) != width for r in rows):
            raise ValueError("every item must have one entry per rater (use None for a missing rating)")
        names = tuple(f"rater-{i}" for i in range(width))
    categories: dict[Hashable, int] = {}
    codes = np.full((len(rows), len(names)), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, value in enumerate(row):
            if not _is_missing(value):
                codes[i, j] = categories.setdefault(value, len(categories))
    return codes, tuple(categories), names


def _counts(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """Items x categories matrix of how many raters chose each category."""
    counts = np.zeros((codes.shape[0], n_categories), dtype=np.float64)
    for j in range(codes.shape[1]):
        given = codes[:, j] >= 0
        np.add.at(counts, (np.nonzero(given)[0], codes[given, j]), 1.0)
    return counts


def _pair_kappa(a: np.ndarray, b: np.ndarray, n_categories: int) -> tuple[int, float, float]:
    """(n, observed agreement, kappa) of two code vectors, using items both rated."""
    both = (a >= 0) & (b >= 0)
    a, b = a[both], b[both]
    n = int(a.size)
    if n == 0:
        return 0, math.nan, math.nan
    observed = float(np.mean(a == b))
    pa = np.bincount(a, minlength=n_categories) / n
    pb = np.bincount(b, minlength=n_categories) / n
    chance = float(np.dot(pa, pb))
    kappa = math.nan if math.isclose(chance, 1.0, abs_tol=1e-12) else (observed - chance) / (1.0 - chance)
    return n, observed, kappa


def cohen_kappa_score(rater_a: Sequence[Hashable | None], rater_b: Sequence[Hashable | None]) -> float:
    """Cohen's kappa between two raters on the items both of them rated.

    Unlike the classifier view in :func:`classification_agreement`, a missing rating here means "not rated":
    the item is left out rather than counted as a disagreement.

    Returns:
        Kappa in [-1, 1]. NaN when no item was rated by both, or when both raters used one and the same label
        for every item (chance agreement 1, so kappa is 0/0).

    Raises:
        ValueError: When the sequences differ in length.
    """
    if len(rater_a) != len(rater_b):
        raise ValueError(f"rater_a has {len(rater_a)} items but rater_b has {len(rater_b)}")
    codes, categories, _ = _encode(list(zip(rater_a, rater_b, strict=True)))
    if codes.size == 0:
        return math.nan
    return _pair_kappa(codes[:, 0], codes[:, 1], len(categories))[2]


def _fleiss(codes: np.ndarray, n_categories: int) -> tuple[int, float]:
    complete = codes[(codes >= 0).all(axis=1)] if codes.size else codes
    m = codes.shape[1]
    if complete.shape[0] == 0 or m < 2:
        return int(complete.shape[0]), math.nan
    counts = _counts(complete, n_categories)
    per_item = (np.sum(counts * counts, axis=1) - m) / (m * (m - 1))
    observed = float(per_item.mean())
    shares = counts.sum(axis=0) / counts.sum()
    chance = float(np.dot(shares, shares))
    if math.isclose(chance, 1.0, abs_tol=1e-12):
        return int(complete.shape[0]), math.nan
    return int(complete.shape[0]), (observed - chance) / (1.0 - chance)


def fleiss_kappa(ratings: Ratings) -> float:
    """Fleiss' kappa for any number of raters on nominal labels.

    Fleiss' kappa assumes every item got the same number of ratings, so only items rated by *every* rater
    (complete rows) are used; :func:`krippendorff_alpha` uses incomplete items too.

    Args:
        ratings: Items x raters table (a DataFrame with one column per rater, or a list of rows).

    Returns:
        Kappa (at most 1). NaN when there are fewer than two raters, no complete item, or when all ratings use
        a single label (chance agreement 1).
    """
    codes, categories, _ = _encode(ratings)
    return _fleiss(codes, len(categories))[1]


def _krippendorff(codes: np.ndarray, n_categories: int) -> tuple[int, float]:
    if codes.size == 0:
        return 0, math.nan
    counts = _counts(codes, n_categories)
    per_unit = counts.sum(axis=1)
    pairable = per_unit >= 2
    counts, per_unit = counts[pairable], per_unit[pairable]
    n_units = int(pairable.sum())
    total = float(per_unit.sum())
    if total < 2:
        return n_units, math.nan
    # Coincidence matrix diagonal: each ordered pair of matching values in a unit weighs 1 / (m_u - 1).
    diagonal = np.sum((counts * (counts - 1)) / (per_unit - 1)[:, None], axis=0)
    marginals = counts.sum(axis=0)
    expected = total * total - float(np.dot(marginals, marginals))
    if math.isclose(expected, 0.0, abs_tol=1e-12):
        return n_units, math.nan
    observed = total - float(diagonal.sum())
    return n_units, 1.0 - (total - 1.0) * observed / expected


def krippendorff_alpha(ratings: Ratings) -> float:
    """Krippendorff's alpha for nominal labels, allowing missing ratings.

    Items with fewer than two ratings carry no pairing information and are ignored.

    Args:
        ratings: Items x raters table; ``None``/NaN for a missing rating.

    Returns:
        Alpha (at most 1; 0 means chance-level agreement). NaN when fewer than two pairable values exist or when
        every pairable value is the same label (no expected disagreement, so alpha is 0/0).
    """
    codes, categories, _ = _encode(ratings)
    return _krippendorff(codes, len(categories))[1]


@dataclass(frozen=True)
class RaterPair:
    """Agreement of one pair of raters on the items both rated."""

    rater_a: str
    rater_b: str
    n: int
    agreement: float
    cohen_kappa: float


@dataclass(frozen=True)
class RaterAgreement:
    """Inter-rater agreement summary.

    Attributes:
        n_items: Items in the table (rows).
        n_raters: Raters (columns).
        n_pairable: Items with at least two ratings; the basis of ``percent_agreement`` and
            ``krippendorff_alpha``.
        n_complete: Items rated by every rater; the basis of ``fleiss_kappa``.
        percent_agreement: Mean over pairable items of the share of rater pairs on the item that agree; NaN
            when no item is pairable.
        cohen_kappa: Cohen's kappa when there are two raters; with more, the mean of the defined pairwise
            kappas (Light's kappa). NaN when none is defined.
        fleiss_kappa: See :func:`fleiss_kappa`.
        krippendorff_alpha: See :func:`krippendorff_alpha`.
        categories: The labels seen, in order of first appearance.
        pairs: Per pair of raters, their overlap, agreement and kappa.
    """

    n_items: int
    n_raters: int
    n_pairable: int
    n_complete: int
    percent_agreement: float
    cohen_kappa: float
    fleiss_kappa: float
    krippendorff_alpha: float
    categories: tuple[Hashable, ...]
    pairs: tuple[RaterPair, ...]


def rater_agreement(ratings: Ratings, *, raters: Sequence[str] | None = None) -> RaterAgreement:
    """All agreement coefficients of an items x raters table of nominal labels.

    Args:
        ratings: A DataFrame (one column per rater, named after the rater) or a list of rows; ``None``/NaN for
            a missing rating.
        raters: Rater names, overriding the DataFrame's column names (or the default ``rater-0``, ...).

    Returns:
        A :class:`RaterAgreement`. With no items, or only one rater, every coefficient is NaN.

    Raises:
        ValueError: When rows differ in length or ``raters`` does not match the number of columns.
    """
    codes, categories, names = _encode(ratings)
    if raters is not None:
        if len(raters) != len(names):
            raise ValueError(f"{len(raters)} rater names given for {len(names)} columns")
        names = tuple(raters)
    k = len(categories)
    counts = _counts(codes, k)
    per_item = counts.sum(axis=1)
    pairable = per_item >= 2
    if pairable.any():
        c, m = counts[pairable], per_item[pairable]
        percent = float(np.mean((np.sum(c * c, axis=1) - m) / (m * (m - 1))))
    else:
        percent = math.nan
    pairs = []
    for a, b in itertools.combinations(range(len(names)), 2):
        n, observed, kappa = _pair_kappa(codes[:, a], codes[:, b], k)
        pairs.append(RaterPair(rater_a=names[a], rater_b=names[b], n=n, agreement=observed, cohen_kappa=kappa))
    defined = [p.cohen_kappa for p in pairs if not math.isnan(p.cohen_kappa)]
    n_complete, fleiss = _fleiss(codes, k)
    _, alpha = _krippendorff(codes, k)
    return RaterAgreement(
        n_items=int(codes.shape[0]),
        n_raters=len(names),
        n_pairable=int(pairable.sum()),
        n_complete=n_complete,
        percent_agreement=percent,
        cohen_kappa=float(np.mean(defined)) if defined else math.nan,
        fleiss_kappa=fleiss,
        krippendorff_alpha=alpha,
        categories=categories,
        pairs=tuple(pairs),
    )
