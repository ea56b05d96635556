"""Accuracy against each rater alone, its mean over raters, and the raters' agreement with each other.

Strict scoring reads an item against the *majority* label, where a task counts only when most raters listed it.
With several raters that reference is narrower than any one rater's label, so the same classifier scores several
points lower against a two-rater majority than against either rater, and accuracies from goldsets with different
numbers of raters cannot be put side by side. Scoring against each rater alone and averaging over raters gives a
figure that does not depend on how many raters there were; the raters' agreement with each other (one rater's
label scored against another's, the same reading) is the ceiling a classifier can be expected to reach.

The gate and ``harness compare`` keep reading the strict (majority) figures, which is what ``metrics.json`` lists;
this module only adds the per-rater reading beside them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from harness.evaluate._goldset import GoldItem, RaterLabel
from harness.run import MetricEntry

__all__ = ["READING", "format_rater_readings", "rater_readings"]

READING = ("The gate and harness compare use the strict reading: each item against the raters' majority label "
           "(a task counts only when most raters listed it). Per-rater accuracy reads each item against one "
           "rater's label at a time; their mean does not depend on how many raters labelled the goldset.")

Judge = Callable[[int, RaterLabel], "bool | None"]


def _single(item: GoldItem, label: RaterLabel) -> GoldItem:
    return dataclasses.replace(item, labels=(label,))


def _judges(data: Any) -> dict[str, tuple[str, Judge, Judge]]:
    """Per field: the strict metric name, and how to judge the classifier and another rater against one label.

    Each judge takes (item position, reference label) and returns right/wrong, or None when the reference does
    not score the item (e.g. a rater who called it non-occupational, for the hierarchy).
    """
    from harness.evaluate._scoring import _resolve_group, gold_nodes_at_level

    h, task_to_base = data.hierarchy, data.task_to_base

    def rater_base(label: RaterLabel) -> str | None:
        return next((task_to_base[t] for t in label.tasks if t in task_to_base), None) if label.occupational else None

    def level_judges(depth: int, level: str) -> tuple[str, Judge, Judge]:
        def truth(k: int, ref: RaterLabel) -> frozenset[str] | None:
            return gold_nodes_at_level(_single(data.items[k], ref), h, level, scoring="strict") \
                if ref.occupational else None

        def classifier(k: int, ref: RaterLabel) -> bool | None:
            gold, pred = truth(k, ref), data.preds[k]
            return None if gold is None else bool(pred.valid and pred.node_at(depth) in gold)

        def rater(other: RaterLabel) -> Judge:
            base = rater_base(other)
            return lambda k, ref: (None if (gold := truth(k, ref)) is None
                                   else base is not None and h.at_level(base, level) in gold)

        return f"hierarchy.{level}.accuracy", classifier, rater  # type: ignore[return-value]

    def groups(label: RaterLabel) -> set[str] | None:
        return {data.task_soc[t][:2] for t in label.tasks if t in data.task_soc} if label.occupational else None

    def group_classifier(k: int, ref: RaterLabel) -> bool | None:
        gold = groups(ref)
        return None if gold is None else _resolve_group(data.predicted_major_groups(k), gold) in gold

    def group_rater(other: RaterLabel) -> Judge:
        first = next((data.task_soc[t][:2] for t in other.tasks if t in data.task_soc), None) \
            if other.occupational else None
        return lambda k, ref: None if (gold := groups(ref)) is None else first in gold

    def same(attribute: str) -> tuple[Judge, Callable[[RaterLabel], Judge]]:
        def classifier(k: int, ref: RaterLabel) -> bool | None:
            want = getattr(ref, attribute)
            return None if want is None else getattr(data.preds[k], attribute) == want

        def rater(other: RaterLabel) -> Judge:
            return lambda k, ref: None if getattr(ref, attribute) is None else \
                getattr(other, attribute) == getattr(ref, attribute)

        return classifier, rater

    out = {level: level_judges(depth, level) for depth, level in enumerate(h.levels)}
    out["major_group"] = ("hierarchy.major_group.accuracy", group_classifier, group_rater)  # type: ignore[assignment]
    out["pattern"] = ("pattern.accuracy", *same("pattern"))  # type: ignore[assignment]
    out["screening"] = ("screening.accuracy", *same("occupational"))  # type: ignore[assignment]
    return out  # type: ignore[return-value]


def _mean_interval(matrix: np.ndarray, seed: int, n_bootstrap: int) -> tuple[float, float, float]:
    """Mean over raters of each rater's accuracy (rows: raters, NaN where unscored), with a bootstrap interval.

    Items are resampled with replacement; a rater with no scored item in a resample is left out of that mean.
    """
    rows = matrix[~np.all(np.isnan(matrix), axis=1)]
    if rows.size == 0:
        return math.nan, math.nan, math.nan
    point = float(np.mean(np.nanmean(rows, axis=1)))
    rng = np.random.default_rng(seed)
    draws = np.empty(n_bootstrap)
    with np.errstate(invalid="ignore"):
        for r in range(n_bootstrap):
            sample = rows[:, rng.integers(0, rows.shape[1], size=rows.shape[1])]
            scored = np.sum(~np.isnan(sample), axis=1) > 0
            draws[r] = np.mean(np.nanmean(sample[scored], axis=1)) if scored.any() else math.nan
    low, high = np.nanquantile(draws, [0.025, 0.975])
    return point, float(low), float(high)


def _ceiling(data: Any, rater_judge: Callable[[RaterLabel], Judge]) -> tuple[float, int]:
    """Mean over ordered pairs of raters of one rater's label scored against the other's, on shared items."""
    hits = scored = 0
    for k, item in enumerate(data.items):
        for ref in item.labels:
            for other in item.labels:
                if other is ref:
                    continue
                verdict = rater_judge(other)(k, ref)
                if verdict is not None:
                    hits, scored = hits + int(bool(verdict)), scored + 1
    return (hits / scored if scored else math.nan), scored


def rater_readings(data: Any, metrics: Mapping[str, MetricEntry]) -> dict[str, Any]:
    """The ``per_rater`` section of ``metrics.json`` (layout in the module docstring of the report's reader).

    Args:
        data: The joined goldset (:class:`harness.evaluate._scoring.ScoringInput`).
        metrics: The strict metrics already scored, shown beside the per-rater reading.

    Returns:
        ``{"reading", "raters", "fields": [{field, metric, strict, per_rater: {rater: {n, accuracy}}, mean, ci_low,
        ci_high, ceiling, ceiling_n}]}``; the mean interval is a 95 % item bootstrap (``data.seed``,
        ``data.n_bootstrap``).
    """
    raters = sorted({label.rater for item in data.items for label in item.labels})
    fields = []
    for field, (metric, classifier, rater_judge) in _judges(data).items():
        matrix = np.full((len(raters), len(data.items)), math.nan)
        for k, item in enumerate(data.items):
            for label in item.labels:
                verdict = classifier(k, label)
                if verdict is not None:
                    matrix[raters.index(label.rater), k] = float(verdict)
        counts = np.sum(~np.isnan(matrix), axis=1)
        per_rater = {r: {"n": int(c), "accuracy": float(np.nanmean(row)) if c else None}
                     for r, c, row in zip(raters, counts, matrix, strict=True)}
        mean, low, high = _mean_interval(matrix, data.seed, data.n_bootstrap)
        ceiling, ceiling_n = _ceiling(data, rater_judge) if len(raters) > 1 else (math.nan, 0)
        entry = metrics.get(metric)
        fields.append({"field": field, "metric": metric, "strict": None if entry is None else _clean(entry.value),
                       "per_rater": per_rater, "mean": _clean(mean), "ci_low": _clean(low),
                       "ci_high": _clean(high), "ceiling": _clean(ceiling), "ceiling_n": ceiling_n})
    return {"reading": READING, "raters": raters, "fields": fields}


def _clean(value: float) -> float | None:
    return None if value is None or math.isnan(value) else float(value)


def format_rater_readings(section: Mapping[str, Any]) -> str:
    """The per-rater reading as a text table (for ``harness validate``), with the sentence saying what gates use."""
    raters: Sequence[str] = section.get("raters", [])
    header = ["field", "strict", *raters, "mean", "95% CI", "ceiling"]
    rows = []
    for f in section.get("fields", []):
        cell = lambda v: "-" if v is None else f"{v:.3f}"  # noqa: E731
        per = [cell(f["per_rater"].get(r, {}).get("accuracy")) for r in raters]
        ci = "-" if f["ci_low"] is None else f"[{f['ci_low']:.3f}, {f['ci_high']:.3f}]"
        rows.append([f["field"], cell(f["strict"]), *per, cell(f["mean"]), ci, cell(f["ceiling"])])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["accuracy against each rater alone (ceiling: the raters scored against each other)"]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.append(section.get("reading", READING))
    return "\n".join(lines)
