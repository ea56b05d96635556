"""``harness analyze --facts RUN --calibrate VALIDATION_RUN``: how far to trust each released share.

Two inputs. The **corpus**: the fact table being released, labelled by the classifier alone. The **labelled set**:
a validation run of the *same* classifier on a goldset (its ``facts.parquet`` holds the predictions, its manifest
names the goldset files, whose raters' labels are the truth: majority occupational flag, the majority label's
first task and the majority pattern, as strict scoring reads them).

Which conversations a share is about. The released shares are shares of the conversations that passed the privacy
wall, so the intervals are about exactly those, and the labelled items are put through the same filter, using the
classifier's own outputs only: an item counts when the classifier calls it occupational, its predicted task is one
of the release's reported tasks, and (with ``--min-confidence``) it is not abstained; for pattern shares, also when
its (task, pattern) cell was reported. Filtering on predictions keeps the labelled items and the corpus the same
population (PPI needs that), and computing on released conversations only keeps the intervals from saying anything
about withheld cells: every input is a reported count or a goldset label. A labelled item whose gold label is not
occupational belongs to no major group or occupation: the true share of every group is then below the share the
classifier reports, and PPI++ says by how much.

Membership. A task linked to several occupations splits a conversation equally among them, as the roll-up does, on
both sides: a gold task (looked up by its statement in the release's links, else its own O*NET occupation) and a
predicted one. Major groups sum their occupations.

The labelled split. By default only the goldset's **test** items: the embedded default's settings were chosen on
the dev items, where its errors are rarer (major-group accuracy 0.69 on dev, 0.53 on test), and a correction
learnt there would be too small. ``--calibration-split all`` trades that for more items.

Weights. When every goldset item carries an inclusion probability (an actively selected goldset), the items are
weighted by its inverse in the classical and PPI++ estimates (see :func:`harness.evaluate.inclusion_weights`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

from harness.aggregate._ppi import ShareEstimate, labels_for_halfwidth, share_intervals
from harness.aggregate._rollup import Aggregate, classified_rows, explode_links
from harness.errors import InputError
from harness.run import SplitChoice
from harness.taxonomy import PATTERNS, SOC_MAJOR_GROUPS

__all__ = ["TRUST_LEVELS", "LabelledSet", "TrustReport", "load_labelled_set", "trust_report"]

TRUST_LEVELS: tuple[str, ...] = ("major_group", "occupation", "pattern")
# a goldset split, or "all"; the list lives in harness.run (aggregate does not import harness.evaluate at load)
CalibrationSplit = SplitChoice
_LABEL_COLUMN = {"major_group": "major_group", "occupation": "soc_code", "pattern": "pattern"}


@dataclass(frozen=True)
class LabelledSet:
    """Goldset items with their gold labels and the classifier's predictions on them.

    Attributes:
        items: One row per item: ``item_id``, ``split``, ``gold_occupational``, ``gold_statement_key``,
            ``gold_soc``, ``gold_pattern``, and the predictions ``occupational``, ``statement_key``, ``pattern``,
            ``confidence``; ``weight`` (1/inclusion probability, NaN when the goldset is not weighted).
        source: The validation run.
        backend: The backend the run validated (it must be the one that labelled the corpus).
        split: Which goldset split the items are from.
        weighting: One line on the weights (empty when the items carry none).
    """

    items: pd.DataFrame = field(repr=False)
    source: str
    backend: str
    split: str
    weighting: str = ""

    @property
    def weights(self) -> np.ndarray | None:
        values = self.items["weight"].to_numpy(dtype=float)
        return None if np.isnan(values).any() else values


def _goldset_paths(run_dir: Path, manifest: Mapping[str, Any]) -> list[Path]:
    from harness.classify import sha256_file

    entries = manifest.get("goldsets")
    if manifest.get("command") != "validate" or not isinstance(entries, list) or not entries:
        raise InputError(run_dir, "not a validation run (its manifest names no goldsets); --calibrate takes the run "
                         "directory `harness validate --out` wrote", field="goldsets")
    paths = []
    for entry in entries:
        path = Path(str(entry.get("path", "")))
        if not path.is_file():
            raise InputError(path, f"goldset of the validation run {run_dir} not found", field="goldsets")
        if entry.get("sha256") and sha256_file(path) != entry["sha256"]:
            raise InputError(path, f"goldset changed since the validation run {run_dir} scored it; validate again",
                             field="sha256")
        paths.append(path)
    return paths


def load_labelled_set(run_dir: str | Path, *, split: CalibrationSplit = "test",
                      data_dir: str | Path | None = None) -> LabelledSet:
    """Read a validation run's predictions and its goldsets' labels into a :class:`LabelledSet`.

    Raises:
        InputError: Not a finished validation run, a goldset missing or changed since, a prediction missing for an
            item, or no item in ``split``.
    """
    from harness.evaluate import best_task, inclusion_weights, load_goldset, majority_label
    from harness.run import RunDir
    from harness.taxonomy import load_onet

    run = RunDir(run_dir)
    if not run.manifest_path.is_file():
        raise InputError(run.path, "not a validation run (no manifest.json); --calibrate takes the run directory "
                         "`harness validate --out` wrote")
    manifest = run.read_manifest()
    items = [item for path in _goldset_paths(run.path, manifest) for item in load_goldset(path)]
    chosen = [item for item in items if split == "all" or item.split == split]
    if not chosen:
        raise InputError(run.path, f"no goldset item of the validation run is in the {split!r} split", field="split")
    facts = run.read_facts().set_index("conversation_id")
    missing = [item.id for item in chosen if item.id not in facts.index]
    if missing:
        raise InputError(run.facts_path, f"no prediction for goldset item {missing[0]!r}", field="conversation_id")
    release = load_onet(release=(manifest.get("hierarchy") or {}).get("onet_release") or "29.3", data_dir=data_dir)
    tasks = release.tasks.set_index("task_id")
    design = inclusion_weights(chosen)
    rows = []
    for k, item in enumerate(chosen):
        gold = majority_label(item)
        task = best_task(item)
        known = task is not None and task in tasks.index
        pred = facts.loc[item.id]
        rows.append({
            "item_id": item.id, "split": item.split, "gold_occupational": gold.occupational,
            "gold_statement_key": tasks.at[task, "statement_key"] if known else None,
            "gold_soc": tasks.at[task, "soc_code"] if known else None, "gold_pattern": gold.pattern,
            "occupational": pred["occupational"], "statement_key": pred["statement_key"],
            "pattern": pred["pattern"], "confidence": pred.get("confidence"),
            "weight": design.weights[k] if design.weights is not None else math.nan,
        })
    return LabelledSet(pd.DataFrame(rows), str(run.path), str(manifest.get("backend")), split, design.note)


@dataclass(frozen=True)
class TrustReport:
    """The trust tables of a release.

    Attributes:
        tables: ``trust_<level>`` per level of :data:`TRUST_LEVELS` (one row per released share), and
            ``trust_label_budget`` when a half-width target was given.
        summary: What was done, for the analysis summary (method, α, correction, counts).
    """

    tables: dict[str, pd.DataFrame] = field(repr=False)
    summary: dict[str, Any]


def _members(keys: pd.Series, link_rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """(row, label, weight) memberships of each row's statement at ``level`` (major group or occupation)."""
    frame = pd.DataFrame({"row": np.arange(len(keys)), "statement_key": keys.to_numpy(dtype=object)})
    merged = frame.merge(link_rows, on="statement_key", how="inner")
    column = _LABEL_COLUMN[level]
    out = merged.groupby(["row", column], as_index=False)["weight"].sum()
    return out.rename(columns={column: "label"})


def _matrix(members: pd.DataFrame, n_rows: int, labels: Sequence[str]) -> sparse.csc_array:
    index = {label: j for j, label in enumerate(labels)}
    kept = members[members["label"].isin(index)]
    cols = kept["label"].map(index).to_numpy(dtype=np.int64)
    return sparse.csc_array((kept["weight"].to_numpy(dtype=float), (kept["row"].to_numpy(dtype=np.int64), cols)),
                            shape=(n_rows, len(labels)))


def _gold_members(items: pd.DataFrame, link_rows: pd.DataFrame, level: str) -> pd.DataFrame:
    """Gold memberships: through the links when the gold statement is there, else the task's own occupation;
    nothing for items the raters did not call occupational."""
    occupational = items["gold_occupational"].fillna(False).astype(bool).to_numpy()
    keys = items["gold_statement_key"].where(occupational)
    linked = _members(keys, link_rows, level)
    own = [(r, soc if level == "occupation" else str(soc)[:2], 1.0)
           for r, (soc, ok) in enumerate(zip(items["gold_soc"], occupational, strict=True))
           if ok and soc is not None and r not in set(linked["row"])]
    return pd.concat([linked, pd.DataFrame(own, columns=["row", "label", "weight"])], ignore_index=True)


def _one_hot(values: pd.Series, labels: Sequence[str]) -> sparse.csc_array:
    members = pd.DataFrame({"row": np.arange(len(values)), "label": values.to_numpy(dtype=object), "weight": 1.0})
    return _matrix(members.dropna(subset=["label"]), len(values), labels)


def _reported_pairs(aggregate: Aggregate) -> set[tuple[str, str]]:
    wide = aggregate.patterns_by_task.table
    return {(key, p) for p in PATTERNS if p in wide.columns
            for key, count in zip(wide["statement_key"], wide[p], strict=True) if count > 0}


def _population(frame: pd.DataFrame, released: set[str], min_confidence: float | None,
                pairs: set[tuple[str, str]] | None) -> np.ndarray:
    """Which rows the released shares are about (the filter of the module docstring)."""
    keys = frame["statement_key"].astype(object)
    mask = frame["occupational"].fillna(False).astype(bool).to_numpy() & keys.isin(released).to_numpy()
    if min_confidence is not None and "confidence" in frame.columns:
        conf = pd.to_numeric(frame["confidence"], errors="coerce").to_numpy(dtype=float)
        mask &= ~(conf < min_confidence)  # NaN (no confidence) is never set aside
    if pairs is not None:
        mask &= np.array([(k, p) in pairs for k, p in zip(keys, frame["pattern"], strict=True)], dtype=bool)
    return mask


def _released_labels(aggregate: Aggregate, level: str) -> pd.DataFrame:
    if level == "pattern":
        table = aggregate.patterns.table
        table = table[(table["pattern"] != "withheld") & (table["conversations"] > 0)]
        return pd.DataFrame({"label": table["pattern"].astype(str), "released_pct": table["pct"]})
    table = aggregate.major_groups.table if level == "major_group" else aggregate.occupations.table
    column = _LABEL_COLUMN[level]
    return pd.DataFrame({"label": table[column].astype(str), "released_pct": table["pct"]})


def _level_inputs(level: str, facts: pd.DataFrame, labelled: pd.DataFrame, aggregate: Aggregate,
                  link_rows: pd.DataFrame, min_confidence: float | None) -> tuple[Any, ...]:
    """The labels, gold and predicted memberships of the labelled items, corpus memberships, and the item mask."""
    released = set(aggregate.tasks.table["statement_key"])
    pairs = _reported_pairs(aggregate) if level == "pattern" else None
    corpus = facts[classified_rows(facts) & _population(facts, released, None, pairs)]
    keep = _population(labelled, released, min_confidence, pairs)
    items = labelled[keep].reset_index(drop=True)
    labels = _released_labels(aggregate, level)["label"].tolist()
    if level == "pattern":
        gold = _one_hot(items["gold_pattern"], labels)
        pred, unlabelled = _one_hot(items["pattern"], labels), _one_hot(corpus["pattern"], labels)
    else:
        gold = _matrix(_gold_members(items, link_rows, level), len(items), labels)
        pred = _matrix(_members(items["statement_key"], link_rows, level), len(items), labels)
        unlabelled = _matrix(_members(corpus["statement_key"], link_rows, level), len(corpus), labels)
    return labels, gold, pred, unlabelled, keep


def _table(level: str, estimates: Sequence[ShareEstimate], released: pd.DataFrame,
           titles: Mapping[str, str]) -> pd.DataFrame:
    rows = []
    for est, pct in zip(estimates, released["released_pct"], strict=True):
        row: dict[str, Any] = {"level": level, "label": est.label, "title": titles.get(est.label, ""),
                               "released_pct": float(pct), "n_labelled": est.n_labelled,
                               "n_unlabelled": est.n_unlabelled, "labelled_in_class": est.labelled_in_class}
        for name in ("naive", "classical", "ppi"):
            row[f"{name}_pct"] = 100 * getattr(est, name)
            row[f"{name}_low_pct"] = 100 * getattr(est, f"{name}_low")
            row[f"{name}_high_pct"] = 100 * getattr(est, f"{name}_high")
        row["ppi_lambda"] = est.lam
        row["interval_confidence"] = est.confidence
        row["supported"] = est.supported
        rows.append(row)
    return pd.DataFrame(rows)


def _budget(level: str, labels: Sequence[str], gold: Any, pred: Any, unlabelled: Any, weights: np.ndarray | None,
            alpha: float, halfwidth: float, n_items: int) -> list[dict[str, Any]]:
    """Per share: labelled items needed for a PPI++ half-width of ``halfwidth`` (fraction)."""
    n = gold.shape[0]
    rate = n / n_items if n_items else math.nan  # share of labelled items that land in the population
    out = []
    for k, label in enumerate(labels):
        cols = [np.asarray(m[:, [k]].toarray(), dtype=float).ravel() for m in (gold, pred, unlabelled)]
        needed = labels_for_halfwidth(*cols, halfwidth=halfwidth, alpha=alpha, weights=weights)
        more = None if needed is None else max(0, needed - n)
        out.append({"level": level, "label": label, "target_halfwidth_pct": 100 * halfwidth, "n_labelled": n,
                    "labels_needed": needed, "more_labels": more,
                    "more_goldset_items": None if more is None or not rate else math.ceil(more / rate)})
    return out


def trust_report(facts: pd.DataFrame, aggregate: Aggregate, links: pd.DataFrame, labelled: LabelledSet, *,
                 alpha: float = 0.05, min_confidence: float | None = None, target_halfwidth: float | None = None,
                 titles: pd.DataFrame | None = None, min_support: int = 10) -> TrustReport:
    """Naive, classical and PPI++ intervals for every released major-group, occupation and pattern share.

    Args:
        facts: The released fact table (the corpus).
        aggregate: Its walled aggregate, as released (through the ledger).
        links: Task → occupation links the release used.
        labelled: The labelled set (:func:`load_labelled_set`).
        alpha: Joint error level per level; Bonferroni over the level's released shares.
        min_confidence: The corpus run's abstention threshold, applied to the labelled items too.
        target_halfwidth: When given, also plan the labels for PPI++ half-widths of this size (fraction).
        titles: Occupation titles (``soc_code``, ``title``), when known.
        min_support: Labelled items with the class as gold label that a share needs to carry the coverage claim and
            to count in its level's Bonferroni family.
    """
    link_rows = explode_links(links)
    names = {**SOC_MAJOR_GROUPS, **({} if titles is None else dict(zip(titles["soc_code"], titles["title"],
                                                                         strict=False)))}
    tables: dict[str, pd.DataFrame] = {}
    levels: dict[str, Any] = {}
    budget: list[dict[str, Any]] = []
    for level in TRUST_LEVELS:
        labels, gold, pred, unlabelled, keep = _level_inputs(level, facts, labelled.items, aggregate, link_rows,
                                                             min_confidence)
        weights = labelled.weights[keep] if labelled.weights is not None else None
        estimates = share_intervals(gold, pred, unlabelled, labels, alpha=alpha, weights=weights,
                                    min_support=min_support) if labels else []
        tables[f"trust_{level}"] = _table(level, estimates, _released_labels(aggregate, level), names)
        levels[level] = {"shares": len(labels), "supported_shares": sum(e.supported for e in estimates),
                         "labelled_items": int(keep.sum()), "corpus_conversations": int(unlabelled.shape[0]),
                         "interval_confidence": estimates[0].confidence if estimates else None}
        if target_halfwidth is not None and level != "occupation" and labels:
            budget += _budget(level, labels, gold, pred, unlabelled, weights, 1 - estimates[0].confidence,
                              target_halfwidth, len(labelled.items))
    if target_halfwidth is not None:
        tables["trust_label_budget"] = pd.DataFrame(budget)
    summary = {
        "method": "PPI++ (Angelopoulos, Duchi, Zrnic 2023) with ppi-python's power-tuned mean estimator, beside "
                  "the naive interval (model labels alone) and the classical interval (labelled items alone)",
        "alpha": alpha, "correction": f"Bonferroni over the supported released shares of each level (at least "
                                      f"{min_support} labelled items of the class; each interval at 1 - alpha/K, "
                                      "jointly at least 1 - alpha); unsupported shares carry no coverage claim",
        "calibration_run": labelled.source, "backend": labelled.backend, "split": labelled.split,
        "labelled_items": len(labelled.items), "weighting": labelled.weighting or "none (items drawn uniformly)",
        "min_confidence": min_confidence, "levels": levels,
    }
    return TrustReport(tables, summary)
