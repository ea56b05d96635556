"""Score predictions against goldset items, one small scorer per facet; :func:`score_goldset` composes them.

Two scorings, always both, always named:

* **strict** – against the majority label of the raters (ties go to the first rater);
* **lenient** – correct when any rater's label accepts the prediction.

A predicted node is correct at a level when it is on the path (following primary and alternate parents) of any
acceptable gold task, or listed acceptable for that level of this hierarchy in the labels. Items whose gold label is
not occupational are left out of hierarchy accuracy (screening is scored separately); predictions marked invalid
count as wrong and are counted.

Every scorer takes the joined goldset (:class:`ScoringInput`) and returns a :class:`FacetScores`: its metrics
(names and kinds from :mod:`harness.evaluate._registry`), its part of the ``metrics.json`` sections, and the
per-item columns it adds to ``items.parquet``. :data:`FACET_SCORERS` lists them in the order they run.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.classify import Classification
from harness.evaluate._accuracy import LevelAccuracy, level_accuracy
from harness.evaluate._agreement import (
    Agreement,
    binary_agreement,
    classification_agreement,
    macro_f1_codes,
    pattern_agreement,
)
from harness.evaluate._calibration import abstention_sweep, calibration_section
from harness.evaluate._goldset import (
    GoldItem,
    Scoring,
    acceptable_nodes,
    acceptable_occupational,
    acceptable_patterns,
    acceptable_tasks,
    best_task,
    majority_label,
)
from harness.evaluate._rater_accuracy import rater_readings
from harness.evaluate._raters import rater_agreement
from harness.evaluate._registry import metric_names, metric_spec
from harness.evaluate._weighting import weighted_scores
from harness.run import MetricEntry
from harness.taxonomy import SOC_MAJOR_GROUPS, Hierarchy, OnetRelease, pattern_mode

__all__ = [
    "FACET_SCORERS",
    "FacetScores",
    "ScoringInput",
    "ValidationScores",
    "gold_nodes_at_level",
    "pattern_metrics_section",
    "score_goldset",
]

SCORINGS: tuple[Scoring, ...] = ("strict", "lenient")
SCORING_NOTES = {"strict": "against the majority label", "lenient": "any rater's label accepts"}


@dataclass(frozen=True)
class ValidationScores:
    """Everything ``harness validate`` reports: flat gate metrics, report sections, and the per-item table."""

    metrics: dict[str, MetricEntry]
    sections: dict[str, Any]
    items: pd.DataFrame = field(repr=False)


@dataclass(frozen=True)
class FacetScores:
    """What one facet scorer found.

    Attributes:
        metrics: Flat gate metrics, by registered name.
        section: The facet's part of the ``metrics.json`` sections (its layout is the facet's own).
        columns: Per-item columns for ``items.parquet``, each as long as the goldset.
    """

    metrics: dict[str, MetricEntry] = field(default_factory=dict)
    section: Any = None
    columns: dict[str, list[Any]] = field(default_factory=dict)


def _finite(value: float | None) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _entry(name: str, value: float, n: int | None, ci_low: float | None = None,
           ci_high: float | None = None) -> MetricEntry:
    """A metric entry whose kind comes from the registry (an unregistered name raises here, not in the gate)."""
    return MetricEntry(value, metric_spec(name).kind, n, ci_low, ci_high)


def _suffix(scoring: Scoring) -> str:
    return "" if scoring == "strict" else "_lenient"


def gold_nodes_at_level(item: GoldItem, hierarchy: Hierarchy, level: str, *, scoring: Scoring) -> frozenset[str]:
    """Nodes on ``level`` that count as correct for ``item`` (the rule in the module docstring).

    The union of the nodes the labels list for this hierarchy and level, and every node on ``level`` on a path
    (primary or alternate parents) to an acceptable gold task. Gold tasks the hierarchy does not hold add nothing.
    """
    nodes = set(acceptable_nodes(item, hierarchy.id, level, scoring=scoring))
    task_to_base = hierarchy.base_for_task_ids()
    for task in acceptable_tasks(item, scoring=scoring):
        base = task_to_base.get(task)
        if base is not None:
            nodes |= hierarchy.acceptable_at_level(base, level)
    return frozenset(nodes)


@dataclass(frozen=True)
class ScoringInput:
    """Goldset items joined with their predictions (same order), and the lookups every scorer shares.

    Attributes:
        items: The goldset items.
        preds: The prediction of each item.
        hierarchy: The hierarchy the predictions walk.
        task_soc: O*NET Task ID → SOC code of its occupation.
        seed, n_bootstrap: Settings of the bootstrap intervals.
    """

    items: tuple[GoldItem, ...]
    preds: tuple[Classification, ...]
    hierarchy: Hierarchy
    task_soc: Mapping[int, str] = field(repr=False)
    seed: int = 0
    n_bootstrap: int = 2000

    @classmethod
    def join(cls, items: Sequence[GoldItem], predictions: Sequence[Classification], hierarchy: Hierarchy,
             release: OnetRelease, *, seed: int = 0, n_bootstrap: int = 2000) -> ScoringInput:
        """Match ``predictions`` to ``items`` by id.

        Raises:
            ValueError: When an item has no prediction.
        """
        by_id = {p.conversation_id: p for p in predictions}
        missing = [item.id for item in items if item.id not in by_id]
        if missing:
            raise ValueError(f"{len(missing)} goldset items have no prediction, e.g. {missing[0]!r}")
        task_soc = dict(zip(release.tasks["task_id"].astype(int), release.tasks["soc_code"], strict=True))
        return cls(tuple(items), tuple(by_id[item.id] for item in items), hierarchy, task_soc, seed, n_bootstrap)

    @property
    def task_to_base(self) -> Mapping[int, str]:
        """O*NET Task ID → base node id of the hierarchy."""
        return self.hierarchy.base_for_task_ids()

    def occupational(self, scoring: Scoring) -> list[int]:
        """Positions of the items scored for the hierarchy: occupational under ``scoring``."""
        if scoring == "strict":
            return [k for k, item in enumerate(self.items) if acceptable_occupational(item, scoring="strict") == {True}]
        return [k for k, item in enumerate(self.items) if True in acceptable_occupational(item, scoring="lenient")]

    def major_groups_of_base(self, base: str | None) -> set[str]:
        """SOC major groups of every occupation that shares a base statement."""
        if base is None or base not in self.hierarchy:
            return set()
        return {soc[:2] for soc in self.hierarchy[base].meta.get("soc_codes", ())}

    def predicted_major_groups(self, k: int) -> set[str]:
        """Major groups of item ``k``'s predicted base node (empty when the prediction is invalid)."""
        pred = self.preds[k]
        return self.major_groups_of_base(pred.path[-1] if pred.valid and pred.path else None)

    def best_major_group(self, item: GoldItem) -> str | None:
        """Major group of the majority label's first task (the item's group in breakdowns)."""
        task = best_task(item)
        return self.task_soc[task][:2] if task in self.task_soc else None

    def gold_major_groups(self, item: GoldItem, scoring: Scoring) -> set[str]:
        """Major groups of the item's acceptable gold tasks."""
        return {self.task_soc[t][:2] for t in acceptable_tasks(item, scoring=scoring) if t in self.task_soc}


# --------------------------------------------------------------------------------------------- section layouts


def _level_row(result: LevelAccuracy, scoring: Scoring) -> dict[str, Any]:
    return {
        "level": result.level, "scoring": scoring, "n": result.n, "correct": result.correct,
        "accuracy": _finite(result.accuracy), "ci_low": _finite(result.ci_low), "ci_high": _finite(result.ci_high),
        "boot_low": _finite(result.boot_low), "boot_high": _finite(result.boot_high), "invalid": result.invalid,
    }


def _group_row(sub: LevelAccuracy, level: str) -> dict[str, Any]:
    return {
        "major_group": sub.group, "title": SOC_MAJOR_GROUPS.get(str(sub.group), "unknown"),
        "level": level, "n": sub.n, "correct": sub.correct, "accuracy": _finite(sub.accuracy),
        "ci_low": _finite(sub.ci_low), "ci_high": _finite(sub.ci_high),
    }


def _agreement_section(result: Agreement) -> dict[str, Any]:
    return {
        "labels": [str(x) for x in result.labels], "n": result.n, "accuracy": _finite(result.accuracy),
        "cohen_kappa": _finite(result.cohen_kappa),
        "per_class": [
            {"label": str(c.label), "precision": _finite(c.precision), "recall": _finite(c.recall),
             "f1": _finite(c.f1), "support": c.support}
            for c in result.per_class
        ],
        "confusion": [list(row) for row in result.confusion],
        "invalid": result.invalid,
    }


def pattern_metrics_section(y_true: Sequence[str], y_pred: Sequence[str | None]) -> dict[str, Any]:
    """The ``pattern`` section of ``metrics.json`` for gold and predicted patterns (strict scoring).

    One layout, shared by validation (which adds ``accuracy_lenient``) and by the report's fallback for runs
    without the section: the six-pattern view, the binary and three-way views, and the mode counts.
    """
    agreement = pattern_agreement(y_true, y_pred)
    return {
        **_agreement_section(agreement.patterns),
        "binary": {**_agreement_section(agreement.binary), "excluded": agreement.binary_excluded},
        "three_way": _agreement_section(agreement.modes),
        "gold_mode_shares": dict(Counter(pattern_mode(p) for p in y_true)),
        "pred_mode_shares": dict(Counter(pattern_mode(p) for p in y_pred if p is not None)),
    }


# --------------------------------------------------------------------------------------------- facet scorers


def score_hierarchy_levels(data: ScoringInput) -> FacetScores:
    """Accuracy at every hierarchy level, strict and lenient; the strict breakdown by SOC major group."""
    levels = data.hierarchy.levels
    metrics: dict[str, MetricEntry] = {}
    rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    correct: dict[str, list[bool | None]] = {f"correct_{lvl}": [None] * len(data.items) for lvl in levels}
    for scoring in SCORINGS:
        chosen = data.occupational(scoring)
        groups = [data.best_major_group(data.items[k]) for k in chosen] if scoring == "strict" else None
        for depth, level in enumerate(levels):
            y_true = [gold_nodes_at_level(data.items[k], data.hierarchy, level, scoring=scoring) for k in chosen]
            y_pred = [data.preds[k].node_at(depth) if data.preds[k].valid else None for k in chosen]
            result = level_accuracy(y_true, y_pred, level=level, seed=data.seed, n_bootstrap=data.n_bootstrap,
                                    groups=groups)
            rows.append(_level_row(result, scoring))
            name = f"hierarchy.{level}.accuracy{_suffix(scoring)}"
            metrics[name] = _entry(name, result.accuracy, result.n, result.ci_low, result.ci_high)
            if scoring == "strict":
                group_rows.extend(_group_row(sub, level) for sub in result.by_group)
                for k, truth, pred in zip(chosen, y_true, y_pred, strict=True):
                    correct[f"correct_{level}"][k] = pred is not None and pred in truth
    return FacetScores(metrics, {"levels": rows, "by_major_group": group_rows}, correct)


def _resolve_group(predicted: set[str], gold: set[str]) -> str | None:
    # A statement shared by occupations in several groups counts for the group that matches, if any.
    return min(predicted & gold, default=min(predicted, default=None))


def _macro_f1_block(data: ScoringInput, gold: list[str | None], pred: list[str | None]) -> dict[str, Any]:
    """Macro-F1 over SOC major groups on the items with a primary gold group, with a bootstrap interval."""
    keep = [k for k, g in enumerate(gold) if g is not None]
    y_true = [gold[k] for k in keep]
    y_pred = [pred[k] for k in keep]
    labels = sorted({*y_true, *(p for p in y_pred if p is not None)})
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index[g] for g in y_true], dtype=np.int64)
    codes = np.array([-1 if p is None else index[p] for p in y_pred], dtype=np.int64)
    value = macro_f1_codes(truth, codes, len(labels))
    low = high = math.nan
    if truth.size:
        # Percentile bootstrap over items. A resample scores only the labels it contains, as the point estimate
        # does: labels absent from both sides are undefined (NaN) there and left out of the mean.
        rng = np.random.default_rng(data.seed)
        draws = np.empty(data.n_bootstrap)
        for r in range(data.n_bootstrap):
            idx = rng.integers(0, truth.size, size=truth.size)
            draws[r] = macro_f1_codes(truth[idx], codes[idx], len(labels), zero_division=math.nan)
        low, high = (float(v) for v in np.quantile(draws, [0.025, 0.975]))
    per_class = classification_agreement(y_true, y_pred, labels=labels).per_class if labels else ()
    return {
        "macro_f1": _finite(value), "ci_low": _finite(low), "ci_high": _finite(high), "n": len(keep),
        "per_group": [{"major_group": str(c.label), "title": SOC_MAJOR_GROUPS.get(str(c.label), "unknown"),
                       "precision": _finite(c.precision), "recall": _finite(c.recall), "f1": _finite(c.f1),
                       "support": c.support} for c in per_class],
    }


def score_major_group(data: ScoringInput) -> FacetScores:
    """SOC major-group accuracy (strict and lenient) and macro-F1 over major groups (strict).

    Accuracy credits a prediction whose statement belongs to any acceptable gold task's group. Macro-F1 needs one
    gold label per item, so it scores against the item's primary group (the majority label's first task), on the
    items that have one; the predicted group is the primary group when the predicted statement is shared with an
    occupation in it, else the smallest of the statement's groups.
    """
    metrics: dict[str, MetricEntry] = {}
    rows: list[dict[str, Any]] = []
    correct: list[bool | None] = [None] * len(data.items)
    for scoring in SCORINGS:
        chosen = data.occupational(scoring)
        y_true = [data.gold_major_groups(data.items[k], scoring) for k in chosen]
        y_pred = [_resolve_group(data.predicted_major_groups(k), truth) for k, truth in zip(chosen, y_true,
                                                                                             strict=True)]
        result = level_accuracy(y_true, y_pred, level="major_group", seed=data.seed, n_bootstrap=data.n_bootstrap)
        rows.append(_level_row(result, scoring))
        name = f"hierarchy.major_group.accuracy{_suffix(scoring)}"
        metrics[name] = _entry(name, result.accuracy, result.n, result.ci_low, result.ci_high)
        if scoring == "strict":
            # Per-item correctness lets compare and the paired CI gate test this accuracy item by item.
            for k, truth, pred in zip(chosen, y_true, y_pred, strict=True):
                correct[k] = pred is not None and pred in truth
    gold = [data.best_major_group(item) for item in data.items]
    pred = [_resolve_group(data.predicted_major_groups(k), {g} if g else set()) for k, g in enumerate(gold)]
    block = _macro_f1_block(data, gold, pred)
    metrics["major_group.macro_f1"] = _entry("major_group.macro_f1", math.nan if block["macro_f1"] is None
                                             else block["macro_f1"], block["n"], block["ci_low"], block["ci_high"])
    return FacetScores(metrics, {"levels": rows, "major_group_f1": block},
                       {"pred_major_group": pred, "correct_major_group": correct})


def score_patterns(data: ScoringInput) -> FacetScores:
    """Collaboration patterns: strict against the majority pattern; lenient accuracy against any rater's."""
    gold = [majority_label(item).pattern for item in data.items]
    pred = [p.pattern for p in data.preds]
    section = pattern_metrics_section(gold, pred)
    n = len(data.items)
    hits = sum(p is not None and p in acceptable_patterns(item, scoring="lenient")
               for item, p in zip(data.items, pred, strict=True))
    lenient = hits / n if n else math.nan
    binary, modes = section["binary"], section["three_way"]
    metrics = {
        "pattern.accuracy": _entry("pattern.accuracy", _nan(section["accuracy"]), section["n"]),
        "pattern.accuracy_lenient": _entry("pattern.accuracy_lenient", lenient, n),
        "pattern.cohen_kappa": _entry("pattern.cohen_kappa", _nan(section["cohen_kappa"]), section["n"]),
        "pattern.mode.accuracy": _entry("pattern.mode.accuracy", _nan(modes["accuracy"]), modes["n"]),
        "pattern.binary.accuracy": _entry("pattern.binary.accuracy", _nan(binary["accuracy"]), binary["n"]),
    }
    keys = list(section)
    # accuracy_lenient sits right after the six-pattern view, where the report and older readers expect it.
    layout = {k: section[k] for k in keys[: keys.index("binary")]}
    layout["accuracy_lenient"] = lenient
    layout.update({k: section[k] for k in keys[keys.index("binary"):]})
    return FacetScores(metrics, layout, {"gold_pattern": gold, "pred_pattern": pred})


def _nan(value: float | None) -> float:
    return math.nan if value is None else float(value)


def score_screening(data: ScoringInput) -> FacetScores:
    """The occupational yes/no verdict against the majority's."""
    gold = [majority_label(item).occupational for item in data.items]
    pred = [p.occupational for p in data.preds]
    result = binary_agreement(gold, pred)
    true_class = next((c for c in result.per_class if c.label is True), None)
    section = {
        "n": result.n, "accuracy": _finite(result.accuracy), "cohen_kappa": _finite(result.cohen_kappa),
        "precision": _finite(true_class.precision) if true_class else None,
        "recall": _finite(true_class.recall) if true_class else None,
        "confusion": [list(r) for r in result.confusion], "labels": [True, False],
    }
    metrics = {
        "screening.accuracy": _entry("screening.accuracy", result.accuracy, result.n),
        "screening.cohen_kappa": _entry("screening.cohen_kappa", result.cohen_kappa, result.n),
    }
    return FacetScores(metrics, section, {"gold_occupational": gold, "pred_occupational": pred})


def score_validity(data: ScoringInput) -> FacetScores:
    """The share of valid answers; the per-item invalid flag."""
    n = len(data.preds)
    invalid = [not p.valid for p in data.preds]
    value = (n - sum(invalid)) / n if n else math.nan
    return FacetScores({"classification.valid_rate": _entry("classification.valid_rate", value, n)},
                       {"invalid": sum(invalid)}, {"invalid": invalid})


def score_cost(data: ScoringInput) -> FacetScores:
    """Input tokens per item, and US dollars per item when the backend reports any cost."""
    preds, n = data.preds, len(data.preds)
    metrics = {"cost.input_tokens_per_item": _entry(
        "cost.input_tokens_per_item", sum(p.input_tokens for p in preds) / n if n else math.nan, n)}
    known = [p.cost_usd for p in preds if p.cost_usd is not None]
    if known:
        metrics["cost.usd_per_item"] = _entry("cost.usd_per_item", sum(known) / n, n)
    columns = {name: [getattr(p, name) for p in preds]
               for name in ("input_tokens", "output_tokens", "latency_s", "cost_usd")}
    return FacetScores(metrics, None, columns)


def score_calibration(data: ScoringInput) -> FacetScores:
    """Calibration of the per-prediction confidence against major-group correctness (strict scoring).

    Nothing is written when no prediction carries a confidence. Otherwise: the ECE metric over every scored item,
    the ``calibration`` section (per split: ECE with its interval, reliability table, selective-accuracy curve of
    every level) and an abstention sweep (how the predicted major-group shares of the labelled items move toward or
    away from the gold shares as the threshold rises; see :mod:`harness.evaluate._calibration`).
    """
    confidence = [p.confidence for p in data.preds]
    columns: dict[str, list[Any]] = {"confidence": confidence}
    if all(c is None for c in confidence):
        return FacetScores(columns=columns)
    correct: dict[str, list[bool | None]] = {}
    chosen = data.occupational("strict")
    for depth, level in enumerate(data.hierarchy.levels):
        correct[level] = [None] * len(data.items)
        for k in chosen:
            pred = data.preds[k].node_at(depth) if data.preds[k].valid else None
            correct[level][k] = pred is not None and pred in gold_nodes_at_level(data.items[k], data.hierarchy,
                                                                                  level, scoring="strict")
    correct["major_group"] = [None] * len(data.items)
    for k in chosen:
        truth = data.gold_major_groups(data.items[k], "strict")
        correct["major_group"][k] = _resolve_group(data.predicted_major_groups(k), truth) in truth
    overall, section = calibration_section(correct, confidence, [item.split for item in data.items],
                                           n_bootstrap=data.n_bootstrap, seed=data.seed)
    gold = [data.best_major_group(item) if k in set(chosen) else None for k, item in enumerate(data.items)]
    pred = [_resolve_group(data.predicted_major_groups(k), {g} if g else set()) for k, g in enumerate(gold)]
    section["abstention"] = abstention_sweep(gold, pred, confidence)
    metrics = {}
    if overall["n"]:
        metrics["calibration.major_group.ece"] = _entry("calibration.major_group.ece", float(overall["value"]),
                                                        int(overall["n"]), overall["ci_low"], overall["ci_high"])
    return FacetScores(metrics, section, columns)


def score_raters(data: ScoringInput) -> FacetScores:
    """Agreement between raters on the items several of them labelled (no gate metric: it rates the labels)."""
    multi = [item for item in data.items if len(item.labels) >= 2]
    if not multi:
        return FacetScores(section={})
    raters = sorted({label.rater for item in multi for label in item.labels})

    def table(value: Callable[[Any], Any]) -> pd.DataFrame:
        by_item = [{label.rater: value(label) for label in item.labels} for item in multi]
        return pd.DataFrame([[row.get(r) for r in raters] for row in by_item], columns=raters)

    def major_group(label: Any) -> str:
        if not label.occupational or not label.tasks:
            return "not occupational"
        return data.task_soc.get(label.tasks[0], "??")[:2]

    fields = {"pattern": table(lambda lab: lab.pattern), "occupational": table(lambda lab: lab.occupational),
              "major_group": table(major_group)}
    out: dict[str, Any] = {"n_items": len(multi), "raters": raters, "fields": {}}
    for name, frame in fields.items():
        result = rater_agreement(frame)
        out["fields"][name] = {
            "n_items": result.n_items, "pairwise_agreement": _finite(result.percent_agreement),
            "cohen_kappa": _finite(result.cohen_kappa), "fleiss_kappa": _finite(result.fleiss_kappa),
            "krippendorff_alpha": _finite(result.krippendorff_alpha),
        }
    return FacetScores(section=out)


FACET_SCORERS: dict[str, Callable[[ScoringInput], FacetScores]] = {
    "hierarchy": score_hierarchy_levels,
    "major_group": score_major_group,
    "pattern": score_patterns,
    "screening": score_screening,
    "validity": score_validity,
    "cost": score_cost,
    "calibration": score_calibration,
    "raters": score_raters,
}
"""Each facet's scorer, in the order :func:`score_goldset` runs them (keys are registry facets, plus raters)."""


# --------------------------------------------------------------------------------------------- composition


def _confusions(data: ScoringInput, correct: Mapping[str, list[bool | None]], limit: int = 10) -> list[dict]:
    """Most frequent (gold, predicted) name pairs among wrong strict predictions; names only, never text."""
    h, task_to_base = data.hierarchy, data.task_to_base
    out = []
    for depth, level in enumerate(h.levels):
        pairs: Counter[tuple[str, str]] = Counter()
        for k, (item, pred) in enumerate(zip(data.items, data.preds, strict=True)):
            task = best_task(item)
            base = task_to_base.get(task) if task is not None else None
            if correct[f"correct_{level}"][k] is not False or base is None or pred.node_at(depth) is None:
                continue
            pairs[(h[h.at_level(base, level)].name, h[pred.node_at(depth)].name)] += 1
        out.extend({"level": level, "gold_name": g, "pred_name": p, "count": c}
                   for (g, p), c in pairs.most_common(limit))
    return out


def _items_table(data: ScoringInput, parts: Mapping[str, FacetScores]) -> pd.DataFrame:
    levels = data.hierarchy.levels
    columns = {name: values for part in parts.values() for name, values in part.columns.items()}
    frame = pd.DataFrame({
        "item_id": [item.id for item in data.items],
        "split": [item.split for item in data.items],
        # the account (or source) each conversation came from, for account-clustered intervals; an id, not text
        "account_id": [item.conversation.account_id for item in data.items],
        "major_group": [data.best_major_group(item) for item in data.items],
        "invalid": columns["invalid"],
        **{name: columns[name] for name in ("gold_pattern", "pred_pattern", "gold_occupational",
                                            "pred_occupational", "input_tokens", "output_tokens", "latency_s",
                                            "cost_usd")},
    })
    for depth, level in enumerate(levels):
        frame[f"pred_{level}"] = [p.node_at(depth) for p in data.preds]
        frame[f"correct_{level}"] = pd.array(columns[f"correct_{level}"], dtype="boolean")
    frame["pred_major_group"] = columns["pred_major_group"]
    frame["correct_major_group"] = pd.array(columns["correct_major_group"], dtype="boolean")
    frame["confidence"] = pd.array(columns["confidence"], dtype="Float64")
    return frame


def score_goldset(
    items: Sequence[GoldItem],
    predictions: Sequence[Classification],
    hierarchy: Hierarchy,
    release: OnetRelease,
    *,
    seed: int = 0,
    n_bootstrap: int = 2000,
) -> ValidationScores:
    """Score ``predictions`` (matched to ``items`` by id) on every facet, strict and lenient.

    Runs each scorer of :data:`FACET_SCORERS` and assembles their metrics (in registry order), the
    ``metrics.json`` sections and the ``items.parquet`` table. When every item carries an inclusion probability
    (active selection), the strict accuracies are also weighted back to the pool (``*_weighted`` metrics and a
    ``weighting`` section; see :mod:`harness.evaluate._weighting`).

    Raises:
        ValueError: When an item has no prediction.
    """
    data = ScoringInput.join(items, predictions, hierarchy, release, seed=seed, n_bootstrap=n_bootstrap)
    parts = {facet: scorer(data) for facet, scorer in FACET_SCORERS.items()}
    produced = {name: entry for part in parts.values() for name, entry in part.metrics.items()}
    # items chosen by active selection carry inclusion probabilities: add accuracy weighted back to their pool
    weighted, weighting = weighted_scores(data.items, {k: v for p in parts.values() for k, v in p.columns.items()},
                                          hierarchy.levels)
    produced.update(weighted)
    metrics = {name: produced[name] for name in metric_names(hierarchy.levels, weighted=True) if name in produced}
    levels_part, group_part = parts["hierarchy"].section, parts["major_group"].section
    # strict rows first, then lenient; within a scoring the hierarchy levels, then the major group
    level_rows = sorted(levels_part["levels"] + group_part["levels"], key=lambda r: SCORINGS.index(r["scoring"]))
    sections = {
        "hierarchy": {
            "scoring": SCORING_NOTES,
            "levels": level_rows,
            "by_major_group": levels_part["by_major_group"],
            "confusions": _confusions(data, parts["hierarchy"].columns),
            "major_group_f1": group_part["major_group_f1"],
        },
        "pattern": parts["pattern"].section,
        "screening": parts["screening"].section,
        "raters": parts["raters"].section,
        # per-prediction confidence against correctness; empty when the backend gives no confidence
        **({"calibration": parts["calibration"].section} if parts["calibration"].section else {}),
        # accuracy against each rater alone, beside the majority reading above (harness.evaluate._rater_accuracy)
        "per_rater": rater_readings(data, metrics),
        "counts": {"items": len(data.items), "invalid": parts["validity"].section["invalid"],
                   "occupational_strict": sum(bool(o) for o in parts["screening"].columns["gold_occupational"])},
    }
    if weighting:
        sections["weighting"] = weighting
    return ValidationScores(metrics, sections, _items_table(data, parts))
