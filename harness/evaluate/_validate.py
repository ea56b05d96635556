"""Score a classifier's facts against goldsets: the numbers ``harness validate`` writes to ``metrics.json``.

Two scorings, always both, always named:

* **strict** – against the majority label of the raters (ties go to the first rater);
* **lenient** – correct when any rater's label accepts the prediction.

A predicted node is correct at a level when it is on the path (following primary and alternate parents) of any
acceptable gold task, or listed acceptable for that level of this hierarchy in the labels. Items whose gold label is
not occupational are left out of hierarchy accuracy (screening is scored separately); predictions marked invalid
count as wrong and are counted.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from harness.classify import (
    Classification,
    Classifier,
    classify_conversations,
    read_facts,
    sha256_file,
    write_json_atomic,
)
from harness.evaluate._accuracy import LevelAccuracy, level_accuracy
from harness.evaluate._agreement import Agreement, binary_agreement, pattern_agreement
from harness.evaluate._gate import MetricEntry, write_metrics
from harness.evaluate._goldset import (
    GoldItem,
    acceptable_nodes,
    acceptable_occupational,
    acceptable_patterns,
    acceptable_tasks,
    best_task,
    load_goldset,
    majority_label,
)
from harness.evaluate._raters import rater_agreement
from harness.taxonomy import SOC_MAJOR_GROUPS, Hierarchy, OnetRelease, pattern_mode

__all__ = ["ValidationScores", "gold_nodes_at_level", "run_validation", "score_goldset"]

Scoring = Literal["strict", "lenient"]
SCORING_NOTES = {"strict": "against the majority label", "lenient": "any rater's label accepts"}


@dataclass(frozen=True)
class ValidationScores:
    """Everything ``harness validate`` reports: flat gate metrics, report sections, and the per-item table."""

    metrics: dict[str, MetricEntry]
    sections: dict[str, Any]
    items: pd.DataFrame = field(repr=False)


def _finite(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def _level_row(result: LevelAccuracy, scoring: Scoring) -> dict[str, Any]:
    return {
        "level": result.level, "scoring": scoring, "n": result.n, "correct": result.correct,
        "accuracy": _finite(result.accuracy), "ci_low": _finite(result.ci_low), "ci_high": _finite(result.ci_high),
        "boot_low": _finite(result.boot_low), "boot_high": _finite(result.boot_high), "invalid": result.invalid,
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


class _Scorer:
    def __init__(self, hierarchy: Hierarchy, release: OnetRelease):
        self.h = hierarchy
        self.task_to_base = hierarchy.base_for_task_ids()
        self.task_soc = dict(zip(release.tasks["task_id"].astype(int), release.tasks["soc_code"], strict=True))

    def major_groups_of_base(self, base: str | None) -> set[str]:
        if base is None or base not in self.h:
            return set()
        return {soc[:2] for soc in self.h[base].meta.get("soc_codes", ())}

    def best_major_group(self, item: GoldItem) -> str | None:
        """Major group of the majority label's first task (the item's group in breakdowns)."""
        task = best_task(item)
        return self.task_soc[task][:2] if task in self.task_soc else None

    def gold_major_groups(self, item: GoldItem, scoring: Scoring) -> set[str]:
        return {self.task_soc[t][:2] for t in acceptable_tasks(item, scoring=scoring) if t in self.task_soc}


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

    Raises:
        ValueError: when an item has no prediction.
    """
    by_id = {p.conversation_id: p for p in predictions}
    missing = [item.id for item in items if item.id not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} goldset items have no prediction, e.g. {missing[0]!r}")
    scorer = _Scorer(hierarchy, release)
    levels = hierarchy.levels
    metrics: dict[str, MetricEntry] = {}
    level_rows: list[dict[str, Any]] = []
    group_rows: list[dict[str, Any]] = []
    correct_cols: dict[str, list[bool | None]] = {lvl: [None] * len(items) for lvl in levels}

    for scoring in ("strict", "lenient"):
        chosen = [
            (k, item) for k, item in enumerate(items) if True in acceptable_occupational(item, scoring=scoring)
            and (scoring == "lenient" or acceptable_occupational(item, scoring="strict") == {True})
        ]
        groups = [scorer.best_major_group(item) for _, item in chosen]
        for depth, level in enumerate(levels):
            y_true = [gold_nodes_at_level(item, hierarchy, level, scoring=scoring) for _, item in chosen]
            y_pred = [by_id[item.id].node_at(depth) if by_id[item.id].valid else None for _, item in chosen]
            result = level_accuracy(y_true, y_pred, level=level, seed=seed, n_bootstrap=n_bootstrap,
                                    groups=groups if scoring == "strict" else None)
            level_rows.append(_level_row(result, scoring))
            name = f"hierarchy.{level}.accuracy" + ("" if scoring == "strict" else "_lenient")
            metrics[name] = MetricEntry(result.accuracy, "proportion", result.n, result.ci_low, result.ci_high)
            if scoring == "strict":
                for sub in result.by_group:
                    group_rows.append({
                        "major_group": sub.group, "title": SOC_MAJOR_GROUPS.get(str(sub.group), "unknown"),
                        "level": level, "n": sub.n, "correct": sub.correct, "accuracy": _finite(sub.accuracy),
                        "ci_low": _finite(sub.ci_low), "ci_high": _finite(sub.ci_high),
                    })
                for (k, _), truth, pred in zip(chosen, y_true, y_pred, strict=True):
                    correct_cols[level][k] = pred is not None and pred in truth
        # the SOC major group of the predicted base task (any occupation sharing the statement) vs the gold tasks'
        y_true_mg = [scorer.gold_major_groups(item, scoring) for _, item in chosen]
        # a predicted statement shared by occupations in several groups counts for the group that matches, if any
        y_pred_mg = []
        for (_, item), truth in zip(chosen, y_true_mg, strict=True):
            pred = by_id[item.id]
            mgs = scorer.major_groups_of_base(pred.path[-1] if pred.valid and pred.path else None)
            y_pred_mg.append(min(mgs & truth, default=min(mgs, default=None)))
        mg = level_accuracy(y_true_mg, y_pred_mg, level="major_group", seed=seed, n_bootstrap=n_bootstrap)
        level_rows.append(_level_row(mg, scoring))
        metrics["hierarchy.major_group.accuracy" + ("" if scoring == "strict" else "_lenient")] = MetricEntry(
            mg.accuracy, "proportion", mg.n, mg.ci_low, mg.ci_high)

    # collaboration patterns: strict = majority pattern; lenient accuracy = any rater's pattern
    gold_patterns = [majority_label(item).pattern for item in items]
    pred_patterns = [by_id[item.id].pattern for item in items]
    agreement = pattern_agreement(gold_patterns, pred_patterns)
    lenient_hits = [p is not None and p in acceptable_patterns(item, scoring="lenient")
                    for item, p in zip(items, pred_patterns, strict=True)]
    n_items = len(items)
    metrics["pattern.accuracy"] = MetricEntry(agreement.patterns.accuracy, "proportion", agreement.patterns.n)
    metrics["pattern.accuracy_lenient"] = MetricEntry(sum(lenient_hits) / n_items if n_items else math.nan,
                                                      "proportion", n_items)
    metrics["pattern.cohen_kappa"] = MetricEntry(agreement.patterns.cohen_kappa, "kappa", agreement.patterns.n)
    metrics["pattern.mode.accuracy"] = MetricEntry(agreement.modes.accuracy, "proportion", agreement.modes.n)
    metrics["pattern.binary.accuracy"] = MetricEntry(agreement.binary.accuracy, "proportion", agreement.binary.n)

    gold_occ = [majority_label(item).occupational for item in items]
    pred_occ = [by_id[item.id].occupational for item in items]
    screening = binary_agreement(gold_occ, pred_occ)
    metrics["screening.accuracy"] = MetricEntry(screening.accuracy, "proportion", screening.n)
    metrics["screening.cohen_kappa"] = MetricEntry(screening.cohen_kappa, "kappa", screening.n)
    true_class = next((c for c in screening.per_class if c.label is True), None)

    preds = [by_id[item.id] for item in items]
    n_invalid = sum(not p.valid for p in preds)
    metrics["classification.valid_rate"] = MetricEntry((n_items - n_invalid) / n_items if n_items else math.nan,
                                                       "proportion", n_items)
    cost_known = [p.cost_usd for p in preds if p.cost_usd is not None]
    metrics["cost.input_tokens_per_item"] = MetricEntry(
        sum(p.input_tokens for p in preds) / n_items if n_items else math.nan, "cost", n_items)
    if cost_known:
        metrics["cost.usd_per_item"] = MetricEntry(sum(cost_known) / n_items, "cost", n_items)

    items_table = _items_table(items, preds, scorer, levels, correct_cols, gold_patterns, gold_occ)
    sections = {
        "hierarchy": {
            "scoring": SCORING_NOTES,
            "levels": level_rows,
            "by_major_group": group_rows,
            "confusions": _confusions(items, preds, scorer, levels, correct_cols),
        },
        "pattern": {
            **_agreement_section(agreement.patterns),
            "accuracy_lenient": metrics["pattern.accuracy_lenient"].value,
            "binary": {**_agreement_section(agreement.binary), "excluded": agreement.binary_excluded},
            "three_way": _agreement_section(agreement.modes),
            "gold_mode_shares": dict(Counter(pattern_mode(p) for p in gold_patterns)),
            "pred_mode_shares": dict(Counter(pattern_mode(p) for p in pred_patterns if p is not None)),
        },
        "screening": {
            "n": screening.n, "accuracy": _finite(screening.accuracy), "cohen_kappa": _finite(screening.cohen_kappa),
            "precision": _finite(true_class.precision) if true_class else None,
            "recall": _finite(true_class.recall) if true_class else None,
            "confusion": [list(r) for r in screening.confusion], "labels": [True, False],
        },
        "raters": _rater_section(items, scorer),
        "counts": {"items": n_items, "invalid": n_invalid,
                   "occupational_strict": sum(bool(o) for o in gold_occ)},
    }
    return ValidationScores(metrics, sections, items_table)


def _items_table(items, preds, scorer, levels, correct_cols, gold_patterns, gold_occ) -> pd.DataFrame:
    rows = []
    for k, (item, pred) in enumerate(zip(items, preds, strict=True)):
        row = {
            "item_id": item.id,
            "split": item.split,
            "major_group": scorer.best_major_group(item),
            "invalid": not pred.valid,
            "gold_pattern": gold_patterns[k],
            "pred_pattern": pred.pattern,
            "gold_occupational": gold_occ[k],
            "pred_occupational": pred.occupational,
            "input_tokens": pred.input_tokens,
            "output_tokens": pred.output_tokens,
            "latency_s": pred.latency_s,
            "cost_usd": pred.cost_usd,
        }
        for depth, level in enumerate(levels):
            row[f"pred_{level}"] = pred.node_at(depth)
            row[f"correct_{level}"] = correct_cols[level][k]
        rows.append(row)
    frame = pd.DataFrame(rows)
    for level in levels:
        frame[f"correct_{level}"] = frame[f"correct_{level}"].astype("boolean")
    return frame


def _confusions(items, preds, scorer, levels, correct_cols, limit: int = 10) -> list[dict[str, Any]]:
    """Most frequent (gold, predicted) name pairs among wrong strict predictions; names only, never text."""
    out = []
    for depth, level in enumerate(levels):
        pairs: Counter[tuple[str, str]] = Counter()
        for k, (item, pred) in enumerate(zip(items, preds, strict=True)):
            task = best_task(item)
            base = scorer.task_to_base.get(task) if task is not None else None
            if correct_cols[level][k] is not False or base is None or pred.node_at(depth) is None:
                continue
            gold_name = scorer.h[scorer.h.at_level(base, level)].name
            pairs[(gold_name, scorer.h[pred.node_at(depth)].name)] += 1
        out.extend({"level": level, "gold_name": g, "pred_name": p, "count": c}
                   for (g, p), c in pairs.most_common(limit))
    return out


def _rater_section(items: Sequence[GoldItem], scorer: _Scorer) -> dict[str, Any]:
    multi = [item for item in items if len(item.labels) >= 2]
    if not multi:
        return {}
    raters = sorted({label.rater for item in multi for label in item.labels})

    def table(value) -> pd.DataFrame:
        rows = []
        for item in multi:
            by_rater = {label.rater: value(label) for label in item.labels}
            rows.append([by_rater.get(r) for r in raters])
        return pd.DataFrame(rows, columns=raters)

    def major_group(label) -> str:
        if not label.occupational or not label.tasks:
            return "not occupational"
        return scorer.task_soc.get(label.tasks[0], "??")[:2]

    fields = {
        "pattern": table(lambda lab: lab.pattern),
        "occupational": table(lambda lab: lab.occupational),
        "major_group": table(major_group),
    }
    out: dict[str, Any] = {"n_items": len(multi), "raters": raters, "fields": {}}
    for name, frame in fields.items():
        result = rater_agreement(frame)
        out["fields"][name] = {
            "n_items": result.n_items, "pairwise_agreement": _finite(result.percent_agreement),
            "cohen_kappa": _finite(result.cohen_kappa), "fleiss_kappa": _finite(result.fleiss_kappa),
            "krippendorff_alpha": _finite(result.krippendorff_alpha),
        }
    return out


def run_validation(
    goldsets: Sequence[str | Path],
    classifier: Classifier,
    hierarchy: Hierarchy,
    release: OnetRelease,
    out_dir: str | Path,
    *,
    split: Literal["dev", "test", "all"] = "all",
    seed: int = 0,
    n_bootstrap: int = 2000,
    progress: bool = True,
) -> ValidationScores:
    """Classify the goldsets' conversations (resumable, cached), score them and write the run directory.

    Writes ``facts.parquet``/``manifest.json`` (via :func:`harness.classify.classify_conversations`),
    ``metrics.json``, ``items.parquet`` and ``tables/*.csv`` into ``out_dir``.
    """
    if split not in ("dev", "test", "all"):
        raise ValueError(f"split must be dev, test or all; got {split!r}")
    out = Path(out_dir)
    task_ids = set(release.tasks["task_id"].astype(int))
    items: list[GoldItem] = []
    goldset_info = []
    for path in goldsets:
        loaded = load_goldset(path, onet_task_ids=task_ids)
        chosen = [item for item in loaded if split == "all" or item.split == split]
        items.extend(chosen)
        goldset_info.append({"name": Path(path).stem, "path": str(path), "n_items": len(chosen),
                             "sha256": sha256_file(path)})
    ids = [item.id for item in items]
    if len(set(ids)) != len(ids):
        raise ValueError("goldset item ids must be unique across the goldsets given")
    conversations = [dataclasses.replace(item.conversation, id=item.id) for item in items]
    run = classify_conversations(conversations, classifier, out, hierarchy=hierarchy, progress=progress,
                                 manifest_extra={"command": "validate", "goldsets": goldset_info, "split": split})
    scores = score_goldset(items, read_facts(run.facts_path), hierarchy, release, seed=seed, n_bootstrap=n_bootstrap)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    describe = manifest.get("classifier", {})
    run_info = {
        "backend": manifest.get("backend"),
        "model": describe.get("model"),
        "hierarchy_id": hierarchy.id,
        "hierarchy_sizes": hierarchy.sizes(),
        "onet_release": release.release,
        "goldsets": goldset_info,
        "split": split,
        "n_items": len(items),
        "package_versions": manifest.get("package_versions"),
        "prompt_hashes": describe.get("prompt_hashes", {}),
        "seed": seed,
        "started": manifest.get("started"),
        "finished": manifest.get("finished"),
    }
    write_metrics(out / "metrics.json", scores.metrics, run=run_info)
    payload = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    payload.update(scores.sections)
    write_json_atomic(out / "metrics.json", payload)
    scores.items.to_parquet(out / "items.parquet", index=False)
    tables = out / "tables"
    tables.mkdir(exist_ok=True)
    pd.DataFrame(scores.sections["hierarchy"]["levels"]).to_csv(tables / "hierarchy_levels.csv", index=False)
    pd.DataFrame(scores.sections["hierarchy"]["by_major_group"]).to_csv(tables / "hierarchy_by_major_group.csv",
                                                                         index=False)
    return scores
