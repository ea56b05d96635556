"""Agreement between raters on the dashboard, and the items an adjudicator should look at.

Only committed labels count, and an adjudicated label (one that records the raters it resolves) is kept out of
the figures: it is made after seeing the others, so including it would inflate agreement.

Per facet the dashboard shows the pairwise percent agreement, Cohen's kappa (averaged over rater pairs, as
:func:`harness.evaluate.rater_agreement` computes it) and Krippendorff's alpha, on the items at least two raters
labelled. Facets: the occupational yes/no, the collaboration pattern, the SOC major group of the best task
("not occupational" when there is none) and the best task itself. Task overlap is the mean, over rater pairs who
both called an item occupational, of the Jaccard overlap of their task lists; "best task agreement" is the share
of those pairs that put the same task first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pandas as pd

from harness.evaluate import RaterLabel, rater_agreement

__all__ = ["AgreementSummary", "FacetAgreement", "agreement_summary", "disagreeing_facets"]

_FACETS = ("occupational", "pattern", "major_group", "best_task")
_NOT_OCCUPATIONAL = "not occupational"


@dataclass(frozen=True)
class FacetAgreement:
    """Agreement on one facet.

    Attributes:
        facet: ``occupational``, ``pattern``, ``major_group`` or ``best_task``.
        n_items: Items with at least two raters' labels.
        percent_agreement: Share of agreeing rater pairs, averaged over items (NaN without pairs).
        cohen_kappa: Mean pairwise Cohen's kappa (NaN when undefined).
        krippendorff_alpha: Krippendorff's alpha for nominal data (NaN when undefined).
    """

    facet: str
    n_items: int
    percent_agreement: float
    cohen_kappa: float
    krippendorff_alpha: float


@dataclass(frozen=True)
class AgreementSummary:
    """What the dashboard shows.

    Attributes:
        raters: Raters with at least one committed label (adjudicated labels excluded), sorted.
        n_items: Items in the session.
        progress: Rater → committed labels (adjudicators included).
        n_multi: Items at least two raters labelled.
        facets: One :class:`FacetAgreement` per facet.
        task_overlap: Mean Jaccard overlap of task lists (NaN without pairs).
        best_task_agreement: Share of pairs with the same first task (NaN without pairs).
        n_task_pairs: Rater pairs behind the two task figures.
        disagreements: Item id → facets on which its raters disagree, for items with at least two labels.
        adjudicated: Ids of items that carry an adjudicated label.
    """

    raters: tuple[str, ...]
    n_items: int
    progress: Mapping[str, int]
    n_multi: int
    facets: tuple[FacetAgreement, ...]
    task_overlap: float
    best_task_agreement: float
    n_task_pairs: int
    disagreements: Mapping[str, tuple[str, ...]]
    adjudicated: frozenset[str]

    def to_json(self) -> dict[str, Any]:
        """The summary as a JSON object (NaN as null)."""
        def number(value: float) -> float | None:
            return None if isinstance(value, float) and math.isnan(value) else round(float(value), 4)

        return {
            "raters": list(self.raters), "n_items": self.n_items, "progress": dict(self.progress),
            "n_multi": self.n_multi,
            "facets": [{"facet": f.facet, "n_items": f.n_items, "percent_agreement": number(f.percent_agreement),
                        "cohen_kappa": number(f.cohen_kappa), "krippendorff_alpha": number(f.krippendorff_alpha)}
                       for f in self.facets],
            "task_overlap": number(self.task_overlap), "best_task_agreement": number(self.best_task_agreement),
            "n_task_pairs": self.n_task_pairs,
            "disagreements": [{"item": k, "facets": list(v)} for k, v in self.disagreements.items()],
            "adjudicated": sorted(self.adjudicated),
        }


def _facet_value(label: RaterLabel, facet: str, task_soc: Mapping[int, str]) -> Any:
    if facet == "occupational":
        return label.occupational
    if facet == "pattern":
        return label.pattern
    if not label.occupational or not label.tasks:
        return _NOT_OCCUPATIONAL
    if facet == "major_group":
        return task_soc.get(label.tasks[0], "??")[:2]
    return label.tasks[0]


def disagreeing_facets(labels: Sequence[RaterLabel], task_soc: Mapping[int, str]) -> tuple[str, ...]:
    """The facets on which these labels of one item differ (``tasks`` when two occupational lists share none)."""
    out = [f for f in ("occupational", "pattern", "major_group")
           if len({_facet_value(lb, f, task_soc) for lb in labels}) > 1]
    occupational = [set(lb.tasks) for lb in labels if lb.occupational]
    if any(not (a & b) for a, b in combinations(occupational, 2)):
        out.append("tasks")
    return tuple(out)


def _task_pairs(by_item: Mapping[str, Mapping[str, RaterLabel]]) -> tuple[float, float, int]:
    overlaps: list[float] = []
    same_first: list[bool] = []
    for labels in by_item.values():
        occupational = [lb for lb in labels.values() if lb.occupational and lb.tasks]
        for a, b in combinations(occupational, 2):
            sa, sb = set(a.tasks), set(b.tasks)
            overlaps.append(len(sa & sb) / len(sa | sb))
            same_first.append(a.tasks[0] == b.tasks[0])
    if not overlaps:
        return math.nan, math.nan, 0
    return sum(overlaps) / len(overlaps), sum(same_first) / len(same_first), len(overlaps)


def agreement_summary(
    n_items: int,
    labels: Mapping[str, Mapping[str, RaterLabel]],
    *,
    adjudicated: Mapping[str, str] | None = None,
    task_soc: Mapping[int, str],
) -> AgreementSummary:
    """Agreement figures over the committed labels of a session.

    Args:
        n_items: Items in the session (for progress).
        labels: Item id → rater → committed label, adjudicated labels included.
        adjudicated: Item id → the rater whose label there is an adjudication (left out of the figures).
        task_soc: Task ID → O*NET-SOC code.
    """
    adjudicated = dict(adjudicated or {})
    progress: dict[str, int] = {}
    for by_rater in labels.values():
        for rater in by_rater:
            progress[rater] = progress.get(rater, 0) + 1
    plain = {item: {r: lb for r, lb in by_rater.items() if adjudicated.get(item) != r}
             for item, by_rater in labels.items()}
    raters = tuple(sorted({r for by_rater in plain.values() for r in by_rater}))
    multi = {item: by_rater for item, by_rater in plain.items() if len(by_rater) >= 2}
    facets = []
    for facet in _FACETS:
        rows = [[(_facet_value(by_rater[r], facet, task_soc) if r in by_rater else None) for r in raters]
                for by_rater in multi.values()]
        result = rater_agreement(pd.DataFrame(rows, columns=list(raters), dtype=object))
        facets.append(FacetAgreement(facet, len(rows), result.percent_agreement, result.cohen_kappa,
                                     result.krippendorff_alpha))
    overlap, first, n_pairs = _task_pairs(multi)
    disagreements = {item: found for item, by_rater in multi.items()
                     if (found := disagreeing_facets(list(by_rater.values()), task_soc))}
    return AgreementSummary(raters, n_items, dict(sorted(progress.items())), len(multi), tuple(facets), overlap,
                            first, n_pairs, disagreements, frozenset(adjudicated))
