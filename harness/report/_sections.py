"""Build the report's sections from a loaded run. Each section renders what the run has and says what is absent.

Every section reads what ``harness validate`` computed and wrote to ``metrics.json``; the report does not score
anything again. The only recomputation is a fallback for runs whose ``metrics.json`` lacks a section (runs written
by older versions, or a directory holding just ``items.parquet``): the hierarchy levels, the major-group
breakdown, the pattern block and the mode split are then derived from the per-item table, with the same evaluate
functions validate uses, and the table notes name ``items.parquet`` as their source.

Privacy: sections only ever show aggregates (counts, rates, intervals) and names from the taxonomy (tasks, nodes,
major groups). Nothing here reads conversation text, and free-form fields of the input files are not echoed: the
header shows a fixed list of fields, and tables are built column by column from known names.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

import harness
from harness.errors import InputError
from harness.evaluate import (
    MODES,
    PATTERNS,
    Comparison,
    UnknownMetricError,
    compare_runs,
    metric_direction,
    metric_spec,
    pattern_metrics_section,
    pattern_mode,
    wilson_interval,
)
from harness.run import RunDir
from harness.taxonomy import SOC_MAJOR_GROUPS

from . import _figures as F
from ._frontier import frontier_section
from ._load import RunData
from ._model import Block, Figure, Report, Section, Table, Text
from ._summary import summary_points
from ._trust import TRUST_PREFIX, trust_sections
from ._waves import claimed_by_later_sections, later_sections

__all__ = ["build_report"]

_LEVEL_ORDER = ("top", "mid", "base")
_RECON_LEVELS = ("category", "occupation", "task")
_MAX_VALUE = 160  # longest header value shown; longer strings are cut (header fields are ids, not prose)


# --------------------------------------------------------------------------------------------- small helpers


def _get(mapping: Mapping[str, Any] | None, *path: str) -> Any:
    value: Any = mapping
    for key in path:
        if not isinstance(value, Mapping) or key not in value:
            return None
        value = value[key]
    return value


def _first(*values: Any) -> Any:
    return next((v for v in values if v not in (None, "", [], {})), None)


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 1] + "…"


def _num(value: Any) -> float:
    try:
        return math.nan if value is None else float(value)
    except (TypeError, ValueError):
        return math.nan


def _level_key(level: str) -> tuple[int, str]:
    return (_LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else len(_LEVEL_ORDER), str(level))


def _sort_key(column: pd.Series) -> pd.Series:
    """Sort levels top → mid → base and scorings strict → lenient; other columns as they are."""
    if column.name == "level":
        return column.map(_level_key)
    if column.name == "scoring":
        return column.map(lambda s: ({"strict": 0, "lenient": 1}.get(s, 2), str(s)))
    return column


def _frame(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> pd.DataFrame:
    """A table of exactly ``columns`` (missing keys become NaN; extra keys are dropped on purpose)."""
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=list(columns))


def _absent(section_id: str, title: str, message: str) -> Section:
    return Section(section_id, title, (Text(message, "absent"),), present=False)


# --------------------------------------------------------------------------------------------- header


def _goldsets(run: RunData) -> str:
    listed = _first(_get(run.manifest, "goldsets"), run.run_info.get("goldsets"))
    if not listed:
        return ""
    parts = []
    for entry in listed if isinstance(listed, list) else [listed]:
        if isinstance(entry, Mapping):
            n = entry.get("n_items")
            parts.append(f"{entry.get('name', '?')} ({n} items)" if n is not None else str(entry.get("name", "?")))
        else:
            parts.append(str(entry))
    return "; ".join(parts)


def _models(run: RunData) -> str:
    info = run.run_info
    classifier = _get(run.manifest, "classifier") or {}
    value = _first(info.get("model"), info.get("models"), _get(classifier, "model"), _get(classifier, "models"),
                   _get(classifier, "model_ids"))
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return "" if value is None else str(value)


def _hierarchy_sizes(run: RunData) -> str:
    sizes = _first(run.run_info.get("hierarchy_sizes"), _get(run.manifest, "hierarchy", "sizes"))
    if isinstance(sizes, Mapping):
        return ", ".join(f"{k} {int(v):,}" if isinstance(v, int | float) else f"{k} {v}" for k, v in sizes.items())
    if isinstance(sizes, list | tuple):
        return " / ".join(f"{int(v):,}" for v in sizes)
    return "" if sizes is None else str(sizes)


def run_facts(run: RunData) -> dict[str, str]:
    """The header facts of a run (fixed fields only), as display strings; empty values are left out."""
    info, manifest = run.run_info, run.manifest
    n_items = _first(info.get("n_items"), _get(manifest, "counts", "items"), _get(manifest, "input", "n"),
                     None if run.items is None else len(run.items))
    facts = {
        "Run": run.name,
        "Backend": _first(info.get("backend"), _get(manifest, "backend")),
        "Model(s)": _models(run),
        "Hierarchy": _first(info.get("hierarchy_id"), info.get("hierarchy"), _get(manifest, "hierarchy", "id")),
        "Hierarchy sizes (nodes per level)": _hierarchy_sizes(run),
        "O*NET release": _first(info.get("onet_release"), _get(manifest, "hierarchy", "onet_release")),
        "Goldsets": _goldsets(run),
        "Items scored": n_items,
        "Seed": _first(info.get("seed"), _get(manifest, "classifier", "seed")),
        "Started": _first(info.get("started"), _get(manifest, "started")),
        "Finished": _first(info.get("finished"), _get(manifest, "finished")),
        "Command": _get(manifest, "command"),
    }
    return {k: _short(v) for k, v in facts.items() if v not in (None, "")}


def _mapping_table(name: str, title: str, key: str, value: str, mapping: Any) -> Table | None:
    if not isinstance(mapping, Mapping) or not mapping:
        return None
    rows = [{key: _short(k), value: _short(v)} for k, v in sorted(mapping.items())]
    return Table(name, title, pd.DataFrame(rows, columns=[key, value]), max_rows=60)


def header_section(run: RunData, baseline: RunData | None) -> Section:
    """What was validated: backend, models, hierarchy, O*NET release, goldsets, versions, date, prompt hashes."""
    facts = run_facts(run)
    facts["Report written"] = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    facts["Harness version"] = harness.__version__
    if baseline is not None:
        facts["Compared with (baseline)"] = baseline.name
    blocks: list[Block] = [
        Table("run", "What was validated", pd.DataFrame({"field": list(facts), "value": list(facts.values())}))
    ]
    versions = _first(run.run_info.get("package_versions"), _get(run.manifest, "package_versions"))
    if (table := _mapping_table("package_versions", "Package versions", "package", "version", versions)) is not None:
        blocks.append(table)
    else:
        blocks.append(Text("Package versions: not recorded in this run.", "absent"))
    blocks.append(_prompt_block(run))
    return Section("header", "What was validated", tuple(blocks))


def _backend_scheme(run: RunData) -> str | None:
    """The scheme of the run's backend (``embedding``, ``anthropic``, ...), when recorded."""
    spec = _first(run.run_info.get("backend"), _get(run.manifest, "backend"), _get(run.manifest, "classifier",
                                                                                   "backend"))
    return str(spec).split(":", 1)[0].split("+", 1)[0] if spec else None


def _sends_prompts(scheme: str | None) -> bool | None:
    """Whether a backend of ``scheme`` prompts a model; None when the scheme is unknown to this harness."""
    from harness.classify import BACKEND_SCHEMES, backend_for

    return backend_for(scheme).calls_model if scheme in BACKEND_SCHEMES else None


def _prompt_block(run: RunData) -> Block:
    """The prompt template hashes the backend used, or a sentence saying it used none.

    A backend that calls no model (embedding, replay, majority baseline) has no prompts. The embedding backend
    records its method configuration digest under each step name, which made the table show four "prompts" with
    one hash; that digest is named for what it is instead.
    """
    hashes = _first(run.run_info.get("prompt_hashes"), _get(run.manifest, "classifier", "prompt_hashes"))
    scheme = _backend_scheme(run)
    if _sends_prompts(scheme) is False:
        digests = {str(v) for v in hashes.values()} if isinstance(hashes, Mapping) else set()
        digest = _get(run.manifest, "classifier", "config_digest") or (digests.pop() if len(digests) == 1 else None)
        text = f"Prompts: none. The {scheme} backend sends no prompt to a model."
        if digest:
            text += f" Its method configuration digest, recorded in place of prompt hashes, is {_short(digest)}."
        return Text(text, "note")
    if (table := _mapping_table("prompt_hashes", "Prompt template hashes", "prompt", "sha256", hashes)) is not None:
        return table
    return Text("Prompt hashes: not recorded in this run.", "absent")


# --------------------------------------------------------------------------------------------- hierarchy


def _levels_from_items(items: pd.DataFrame) -> list[dict[str, Any]]:
    """Fallback for runs without a hierarchy section: per-level accuracy from the ``correct_*`` columns."""
    rows = []
    for level in _LEVEL_ORDER:
        column = items[f"correct_{level}"]
        known = column.dropna().astype(bool)
        k, n = int(known.sum()), len(known)
        low, high = wilson_interval(k, n)
        rows.append({"level": level, "scoring": "per-item table", "n": n, "correct": k,
                     "accuracy": k / n if n else math.nan, "ci_low": low, "ci_high": high,
                     "invalid": int(items["invalid"].fillna(False).astype(bool).sum())})
    return rows


_LEVEL_METRICS = {
    "hierarchy.{level}.accuracy": "strict", "hierarchy.{level}.accuracy_lenient": "lenient",
    "hierarchy.major_group.accuracy": "strict", "hierarchy.major_group.accuracy_lenient": "lenient",
}


def _levels_from_metrics(run: RunData) -> list[dict[str, Any]]:
    """Fallback for runs without a hierarchy section: the per-level accuracies of the flat metrics."""
    rows: list[dict[str, Any]] = []
    if run.metrics is None:
        return rows
    for name, entry in run.metrics.metrics.items():
        try:
            scoring = _LEVEL_METRICS.get(metric_spec(name).name)
        except UnknownMetricError:
            continue
        if scoring is not None:
            rows.append({"level": name.split(".")[1], "scoring": scoring, "n": entry.n, "accuracy": entry.value,
                         "ci_low": entry.ci_low, "ci_high": entry.ci_high})
    return rows


def _groups_from_items(items: pd.DataFrame) -> list[dict[str, Any]]:
    """Fallback for runs without a hierarchy section: accuracy per gold SOC major group from the items."""
    rows = []
    groups = items["major_group"].dropna().astype(str)
    for group in sorted(groups.unique()):
        subset = items.loc[groups.index[groups == group]]
        for level in _LEVEL_ORDER:
            known = subset[f"correct_{level}"].dropna().astype(bool)
            k, n = int(known.sum()), len(known)
            low, high = wilson_interval(k, n)
            rows.append({"major_group": group, "title": SOC_MAJOR_GROUPS.get(group, ""), "level": level,
                         "n": n, "correct": k, "accuracy": k / n if n else math.nan, "ci_low": low, "ci_high": high})
    return rows


def _major_group_f1_blocks(f1: Any) -> list[Block]:
    """Macro-F1 over SOC major groups and each group's precision, recall and F1, as validate computed them."""
    if not isinstance(f1, Mapping) or f1.get("macro_f1") is None:
        return [Text("Macro-F1 over SOC major groups: not in this run (written by harness validate since the "
                     "metric was added).", "absent")]
    low, high = _num(f1.get("ci_low")), _num(f1.get("ci_high"))
    interval = "" if math.isnan(low) or math.isnan(high) else f" (95% bootstrap interval {low:.3f}–{high:.3f})"
    blocks: list[Block] = [Text(
        f"Macro-F1 over SOC major groups: {_num(f1['macro_f1']):.3f}{interval} on {f1.get('n')} items. Every group "
        "weighs the same, so unlike accuracy it drops when the classifier never finds the rare groups; it is "
        "scored against each item's primary gold group (the majority label's first task).", "note")]
    rows = [row for row in f1.get("per_group", []) if isinstance(row, Mapping)]
    if rows:
        table = _frame(rows, ["major_group", "title", "support", "precision", "recall", "f1"])
        table["major_group"] = table["major_group"].astype(str)
        blocks.append(Table("major_group_f1", "Per SOC major group: precision, recall and F1", table, max_rows=30,
                            note="support: items whose primary gold task is in the group. Source: metrics.json."))
    return blocks


def hierarchy_section(run: RunData) -> Section:
    """Per-level accuracy with intervals, a bar chart, the SOC major-group breakdown, macro-F1 over the major
    groups and example confusions."""
    title = "Hierarchy validation"
    block = run.sections.get("hierarchy") or {}
    source = "metrics.json"
    levels = [row for row in block.get("levels", []) if isinstance(row, Mapping)]
    if not levels:
        levels = _levels_from_metrics(run)
    if not levels and run.items is not None:
        levels, source = _levels_from_items(run.items), "items.parquet (no hierarchy section in metrics.json)"
    if not levels:
        return _absent("hierarchy", title, "No hierarchy results in this run: metrics.json has no hierarchy "
                       "metrics and there is no items.parquet (run `harness validate`).")
    blocks: list[Block] = []
    scoring = block.get("scoring")
    if isinstance(scoring, Mapping) and scoring:
        blocks.append(Text("Scoring rules: " + "; ".join(f"{k} — {v}" for k, v in scoring.items()) + ".", "note"))
    columns = ["level", "scoring", "n", "correct", "accuracy", "ci_low", "ci_high", "boot_low", "boot_high",
               "invalid"]
    table = _frame(levels, columns).dropna(axis=1, how="all")
    table = table.sort_values(["level", "scoring"], key=_sort_key, kind="stable").reset_index(drop=True)
    blocks.append(Table("hierarchy_levels", "Accuracy by hierarchy level", table,
                        note=f"ci_low/ci_high: Wilson 95% interval; boot_low/boot_high: bootstrap 95% interval "
                             f"(where reported). n: items scored at the level. Source: {source}."))
    chart = table.assign(ci_low=table.get("ci_low", np.nan), ci_high=table.get("ci_high", np.nan))
    chart = chart.assign(accuracy=pd.to_numeric(chart["accuracy"], errors="coerce"),
                         n=pd.to_numeric(chart["n"], errors="coerce").fillna(0))
    blocks.append(Figure("hierarchy_levels", "Accuracy by hierarchy level", F.level_accuracy_chart(chart),
                         alt="Bar chart of classification accuracy at each hierarchy level with 95% intervals."))

    groups = [row for row in block.get("by_major_group", []) if isinstance(row, Mapping)]
    group_source = "metrics.json"
    if not groups and run.items is not None and run.items["major_group"].notna().any():
        groups, group_source = _groups_from_items(run.items), "items.parquet"
    if groups:
        gtable = _frame(groups, ["major_group", "title", "level", "n", "correct", "accuracy", "ci_low", "ci_high"])
        gtable["major_group"] = gtable["major_group"].astype(str)
        gtable["title"] = [t if isinstance(t, str) and t else SOC_MAJOR_GROUPS.get(g, "")
                           for g, t in zip(gtable["major_group"], gtable["title"], strict=True)]
        gtable = gtable.sort_values(["major_group", "level"], key=lambda s: s.map(_level_key)
                                    if s.name == "level" else s, kind="stable").reset_index(drop=True)
        blocks.append(Table("hierarchy_by_major_group", "Accuracy by SOC major group of the gold task", gtable,
                            note=f"Small groups have wide intervals; read n. Source: {group_source}.", max_rows=80))
        present = [lv for lv in _LEVEL_ORDER if (gtable["level"] == lv).any()]
        chart_level = present[-1] if present else str(gtable["level"].iloc[0])
        rows = gtable[gtable["level"] == chart_level]
        blocks.append(Figure("hierarchy_by_major_group", f"Accuracy by SOC major group ({chart_level} level)",
                             F.accuracy_by_group_chart(rows, level=chart_level),
                             alt="Horizontal bars of accuracy per SOC major group with 95% intervals."))
    else:
        blocks.append(Text("Breakdown by SOC major group: not in this run.", "absent"))

    blocks.extend(_major_group_f1_blocks(block.get("major_group_f1")))
    confusions = [row for row in block.get("confusions", []) if isinstance(row, Mapping)]
    if confusions:
        ctable = _frame(confusions, ["level", "gold_name", "pred_name", "count"])
        ctable["count"] = pd.to_numeric(ctable["count"], errors="coerce").fillna(0).astype(int)
        ctable = ctable.sort_values(["level", "count"], ascending=[True, False],
                                    key=lambda s: s.map(_level_key) if s.name == "level" else s, kind="stable")
        ctable = ctable.groupby("level", sort=False).head(10).reset_index(drop=True)
        blocks.append(Table("hierarchy_confusions", "Most frequent confusions (gold → predicted, by name)", ctable,
                            note="Names of hierarchy nodes / O*NET tasks only; the ten most frequent per level."))
    else:
        blocks.append(Text("Example confusions: not in this run.", "absent"))
    return Section("hierarchy", title, tuple(blocks))


# --------------------------------------------------------------------------------------------- patterns


def _pattern_block_from_items(items: pd.DataFrame) -> dict[str, Any] | None:
    """Fallback for runs without a pattern section: the same block validate writes, from the per-item table."""
    has = items["gold_pattern"].notna()
    if not has.any():
        return None
    gold = [str(g) for g in items.loc[has, "gold_pattern"]]
    pred = [p if isinstance(p, str) else None for p in items.loc[has, "pred_pattern"]]
    return pattern_metrics_section(gold, pred)


def _count(value: Any) -> int:
    number = _num(value)
    return 0 if math.isnan(number) else int(number)


def _mode_counts(run: RunData, block: Mapping[str, Any]) -> tuple[list[int], list[int], int, str] | None:
    """Gold and predicted counts per mode, and invalid predictions.

    From the pattern section's mode counts, which validate writes; runs written before it did fall back to the
    per-item table, then to the three-way confusion matrix (which leaves items with an invalid prediction out of
    the gold counts).
    """
    gold_counts, pred_counts, n = block.get("gold_mode_shares"), block.get("pred_mode_shares"), _num(block.get("n"))
    if isinstance(gold_counts, Mapping) and isinstance(pred_counts, Mapping) and not math.isnan(n):
        gold = [_count(gold_counts.get(m)) for m in MODES]
        pred = [_count(pred_counts.get(m)) for m in MODES]
        return gold, pred, max(0, int(n) - sum(pred)), "metrics.json"
    items = run.items
    if items is not None and items["gold_pattern"].notna().any():
        rows = items[items["gold_pattern"].notna()]
        gold = [pattern_mode(str(g)) for g in rows["gold_pattern"]]
        pred = [pattern_mode(p) if isinstance(p, str) and p in PATTERNS else None for p in rows["pred_pattern"]]
        return ([gold.count(m) for m in MODES], [pred.count(m) for m in MODES], pred.count(None), "items.parquet")
    three = block.get("three_way")
    if isinstance(three, Mapping) and three.get("confusion"):
        matrix = np.asarray(three["confusion"], dtype=int)
        labels = list(three.get("labels", MODES))
        if matrix.shape == (len(labels), len(labels)):
            invalid = max(0, int(_num(three.get("n")) - matrix.sum())) if three.get("n") is not None else 0
            gold_note = "metrics.json three-way confusion (gold counts exclude items with an invalid prediction)"
            return list(matrix.sum(axis=1)), list(matrix.sum(axis=0)), invalid, gold_note
    return None


def pattern_section(run: RunData) -> Section:
    """Agreement table, kappa, confusion heat-map and the automation/augmentation split against the labels."""
    title = "Collaboration patterns"
    block = run.sections.get("pattern")
    source = "metrics.json"
    if not isinstance(block, Mapping) and run.items is not None:
        block, source = _pattern_block_from_items(run.items), "items.parquet"
    if not isinstance(block, Mapping):
        return _absent("patterns", title, "No collaboration-pattern results in this run (no pattern section in "
                       "metrics.json and no gold patterns in items.parquet).")
    views = [{"view": f"{len(block.get('labels', PATTERNS))} patterns", "n": block.get("n"),
              "accuracy": block.get("accuracy"), "cohen_kappa": block.get("cohen_kappa"), "excluded": 0}]
    for key, name in (("three_way", "automation / augmentation / none"),
                      ("binary", "automation vs augmentation (items where neither side is none)")):
        view = block.get(key)
        if isinstance(view, Mapping):
            views.append({"view": name, "n": view.get("n"), "accuracy": view.get("accuracy"),
                          "cohen_kappa": view.get("cohen_kappa"), "excluded": view.get("excluded", 0)})
    blocks: list[Block] = [
        Table("pattern_agreement", "Agreement of the classifier with the gold pattern",
              _frame(views, ["view", "n", "accuracy", "cohen_kappa", "excluded"]),
              note=f"cohen_kappa: chance-corrected agreement (0 = chance, 1 = perfect). Source: {source}.")
    ]
    per_class = [row for row in block.get("per_class", []) if isinstance(row, Mapping)]
    if per_class:
        blocks.append(Table("pattern_per_class", "Per-pattern precision, recall and F1",
                            _frame(per_class, ["label", "precision", "recall", "f1", "support"])))
    labels = list(block.get("labels", PATTERNS))
    matrix = block.get("confusion")
    if matrix and np.asarray(matrix).shape == (len(labels), len(labels)):
        blocks.append(Figure("pattern_confusion", "Confusion matrix of collaboration patterns",
                             F.confusion_heatmap(labels, matrix, title="Collaboration patterns: gold vs predicted",
                                                 gold_axis="Gold pattern", pred_axis="Predicted pattern"),
                             alt="Heat-map of item counts by gold pattern (rows) and predicted pattern (columns)."))
        frame = pd.DataFrame(np.asarray(matrix, dtype=int), columns=labels)
        frame.insert(0, "gold \\ predicted", labels)
        blocks.append(Table("pattern_confusion", "Confusion matrix (rows gold, columns predicted; item counts)",
                            frame, note="Invalid predictions are not in any column; they count as wrong."))
    else:
        blocks.append(Text("Pattern confusion matrix: not in this run.", "absent"))
    counts = _mode_counts(run, block)
    if counts is not None:
        gold, pred, invalid, origin = counts
        split = pd.DataFrame({"mode": list(MODES), "gold_items": gold, "predicted_items": pred})
        for column in ("gold", "predicted"):
            total = split[f"{column}_items"].sum() + (invalid if column == "predicted" else 0)
            split[f"{column}_pct"] = 100 * split[f"{column}_items"] / total if total else math.nan
        blocks.append(Table("pattern_mode_split", "Automation / augmentation split: labels vs classifier", split,
                            digits=1, note=f"Invalid predictions: {invalid} (in the predicted percentages' "
                                           f"denominator). Source: {origin}."))
        blocks.append(Figure("pattern_mode_split", "Automation / augmentation split",
                             F.mode_split_chart(MODES, gold, pred, extra_label="invalid", extra=invalid),
                             alt="Bars of the share of items per collaboration mode, gold labels vs classifier."))
    screening = run.sections.get("screening")
    if isinstance(screening, Mapping):
        blocks.append(Table("screening", "Screening: is the conversation occupational?",
                            _frame([screening], ["n", "accuracy", "cohen_kappa", "precision", "recall"])))
    return Section("patterns", title, tuple(blocks))


# --------------------------------------------------------------------------------------------- raters


def _metric_value(run: RunData, name: str) -> float:
    metric_spec(name)  # an unregistered name is a bug here, not a blank cell
    if run.metrics is None or name not in run.metrics.metrics:
        return math.nan
    return run.metrics.metrics[name].value


def _rater_readings_table(run: RunData) -> tuple[Block, ...]:
    """Accuracy against each rater alone, its mean and the raters' agreement (the ``per_rater`` section)."""
    block = run.sections.get("per_rater")
    fields = _get(block, "fields")
    if not isinstance(fields, list) or not fields:
        return ()
    raters = [str(r) for r in _get(block, "raters") or []]
    rows = [{"field": f.get("field"), "strict_majority": _num(f.get("strict")),
             **{r: _num(_get(f, "per_rater", r, "accuracy")) for r in raters},
             "mean_over_raters": _num(f.get("mean")), "ci_low": _num(f.get("ci_low")),
             "ci_high": _num(f.get("ci_high")), "raters_ceiling": _num(f.get("ceiling"))}
            for f in fields if isinstance(f, Mapping)]
    return (Table("rater_readings", "Accuracy against each rater alone, beside the majority reading",
                  pd.DataFrame(rows), note=str(_get(block, "reading") or "")),)


def rater_section(run: RunData) -> Section:
    """Inter-rater agreement per labelled field, beside the classifier's agreement with the labels."""
    title = "Rater agreement (the ceiling to read the classifier against)"
    block = run.sections.get("raters")
    fields = _get(block, "fields")
    if not isinstance(fields, Mapping) or not fields:
        return _absent("raters", title, "No rater-agreement results: the goldset has one rater per item, or "
                       "metrics.json has no raters section.")
    pattern = run.sections.get("pattern") or {}
    screening = run.sections.get("screening") or {}
    classifier = {
        "pattern": (_first(_get(pattern, "accuracy"), _metric_value(run, "pattern.accuracy")),
                    _first(_get(pattern, "cohen_kappa"), _metric_value(run, "pattern.cohen_kappa"))),
        "occupational": (_first(_get(screening, "accuracy"), _metric_value(run, "screening.accuracy")),
                         _first(_get(screening, "cohen_kappa"), _metric_value(run, "screening.cohen_kappa"))),
    }
    rows = []
    for name, values in fields.items():
        if not isinstance(values, Mapping):
            continue
        acc, kappa = classifier.get(name, (math.nan, math.nan))
        rows.append({"field": name, "n_items": values.get("n_items"),
                     "raters_agreement": values.get("pairwise_agreement"), "raters_cohen": values.get("cohen_kappa"),
                     "raters_fleiss": values.get("fleiss_kappa"), "raters_alpha": values.get("krippendorff_alpha"),
                     "classifier_accuracy": _num(acc), "classifier_kappa": _num(kappa)})
    raters = _get(block, "raters")
    who = f" Raters: {', '.join(map(str, raters))}." if isinstance(raters, list) and raters else ""
    columns = ["field", "n_items", "raters_agreement", "raters_cohen", "raters_fleiss", "raters_alpha",
               "classifier_accuracy", "classifier_kappa"]
    readings = _rater_readings_table(run)
    return Section("raters", title, (
        Text(f"Items labelled by several raters: {_get(block, 'n_items')}.{who} The classifier's numbers are "
             "against the gold labels on all scored items; the raters' numbers are between raters on the items they "
             "share. A classifier near the raters' agreement is as good as the labels allow.", "note"),
        Table("rater_agreement", "Rater agreement beside the classifier", _frame(rows, columns),
              note="raters_agreement: mean pairwise agreement; raters_cohen: Cohen's κ (mean over rater pairs); "
                   "raters_fleiss: Fleiss' κ; raters_alpha: Krippendorff's α; classifier_kappa: Cohen's κ of the "
                   "classifier against the gold labels."),
        *readings,
    ))


# --------------------------------------------------------------------------------------------- reconstruction


def reconstruction_section(run: RunData) -> Section:
    """Scatter plots per level, correlation/MSE across aggregation levels, and counts found by each method."""
    title = "Reconstruction: clusters vs direct classification"
    data = run.reconstruction
    if data is None:
        return _absent("reconstruction", title, "No reconstruction results in this run (no reconstruction section in "
                       "metrics.json and no reconstruction/ folder).")
    blocks: list[Block] = [Text(
        "Direct: every conversation classified and counted. Clusters: conversations clustered at several "
        "aggregation levels and each cluster's size assigned to its task. Scores are over the union of items "
        "either method found (an item one method missed has share 0 there).", "note")]
    scores = data.scores
    if scores is not None and len(scores):
        scores = scores.copy()
        scores["aggregation"] = scores["aggregation"].astype(str)
        if "n_union" not in scores.columns:
            scores["n_union"] = scores["n_direct"] + scores["n_cluster"] - scores["n_both"]
        order = scores["level"].map(lambda lv: _RECON_LEVELS.index(lv) if lv in _RECON_LEVELS else 99)
        scores = scores.assign(_o=order).sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)
        cols = ["level", "aggregation"] + (["mean_cluster_size"] if "mean_cluster_size" in scores else [])
        blocks.append(Table("reconstruction_scores", "Agreement of shares, by level and aggregation",
                            scores[[*cols, "pearson", "spearman", "kendall_tau_b", "mse", "n_union"]], digits=4,
                            note=f"mse is in squared share units (shares 0–1). Source: {data.source}."))
        blocks.append(Figure("reconstruction_metrics", "Correlation and MSE across aggregation levels",
                             F.reconstruction_metrics_chart(scores),
                             alt="Lines of Pearson, Spearman and Kendall correlations and of MSE per aggregation."))
        counts = scores[["level", "aggregation", "n_direct", "n_cluster", "n_both", "n_union"]].copy()
        counts.insert(5, "direct_only", counts["n_direct"] - counts["n_both"])
        counts.insert(6, "cluster_only", counts["n_cluster"] - counts["n_both"])
        blocks.append(Table("reconstruction_counts", "Items found by each method", counts))
        blocks.append(Figure("reconstruction_counts", "Items found by each method",
                             F.reconstruction_counts_chart(scores),
                             alt="Stacked bars of items found by both methods, direct only and clusters only."))
    else:
        blocks.append(Text("Reconstruction scores: not in this run.", "absent"))
    prevalence = data.prevalence
    if prevalence is not None and len(prevalence):
        prevalence = prevalence.assign(aggregation=prevalence["aggregation"].astype(str))
        levels = [lv for lv in _RECON_LEVELS if (prevalence["level"] == lv).any()]
        levels += [lv for lv in dict.fromkeys(prevalence["level"]) if lv not in levels]
        order = F._aggregation_axis(scores)[0] if scores is not None and len(scores) else None
        for level in levels:
            rows = prevalence[prevalence["level"] == level]
            level_scores = scores[scores["level"] == level] if scores is not None else None
            blocks.append(Figure(f"reconstruction_scatter_{level}", f"Direct vs cluster prevalence per {level}",
                                 F.reconstruction_scatter(rows, level=str(level), scores=level_scores, order=order),
                                 alt=f"Scatter plots of each {level}'s share under both methods, per aggregation."))
        missing = [lv for lv in _RECON_LEVELS if lv not in levels]
        if missing:
            blocks.append(Text(f"Scatter plots: no prevalence rows for {', '.join(missing)}.", "absent"))
    else:
        blocks.append(Text("Scatter plots: no reconstruction/prevalence table in this run.", "absent"))
    return Section("reconstruction", title, tuple(blocks))


# --------------------------------------------------------------------------------------------- model swap


def _usage_table(comparison: Comparison) -> pd.DataFrame:
    a, b = comparison.baseline_totals, comparison.candidate_totals
    rows = [
        ("items", a.n_items, b.n_items),
        ("invalid answers", a.invalid, b.invalid),
        ("input tokens", a.input_tokens, b.input_tokens),
        ("output tokens", a.output_tokens, b.output_tokens),
        ("cost (USD)", a.cost_usd, b.cost_usd),
        ("latency, total (s)", a.latency_s, b.latency_s),
        ("latency, mean per item (s)", a.mean_latency_s, b.mean_latency_s),
    ]
    frame = pd.DataFrame(rows, columns=["quantity", "baseline", "candidate"])
    frame["baseline"] = frame["baseline"].astype(float)
    frame["candidate"] = frame["candidate"].astype(float)
    frame["change_pct"] = np.where(frame["baseline"] > 0, 100 * (frame["candidate"] / frame["baseline"] - 1), np.nan)
    return frame


def _comparison(run: RunData, baseline: RunData | None, *, n_resamples: int, seed: int,
                confidence: float) -> Comparison | str:
    """The paired comparison of the two runs, or why there is none (a sentence for the absent section)."""
    if baseline is None:
        return ("No comparison: pass --compare BASELINE_RUN to compare this run with another run over the same "
                "goldset items.")
    if run.items is None or baseline.items is None:
        which = run.name if run.items is None else baseline.name
        return f"No comparison: run {which} has no items.parquet, which the paired tests need."
    try:
        return compare_runs(baseline.items, run.items, n_resamples=n_resamples, seed=seed, confidence=confidence)
    except ValueError as exc:
        raise InputError(RunDir(run.path).items_path, f"cannot compare with {baseline.path}: {exc}") from exc


def _mde_table(comparison: Comparison) -> pd.DataFrame:
    family = max(len(comparison.metrics) - 1, 1)
    rows = [{"metric": m.name, "role": m.role, "n": m.n, "discordance": m.discordance,
             "observed_difference": m.difference, "mde_80": m.mde,
             "tested_at": comparison.alpha if m.role == "primary" else comparison.alpha / family}
            for m in comparison.metrics]
    return pd.DataFrame(rows)


def _noninferiority_note(comparison: Comparison) -> Text:
    ni = comparison.noninferiority
    return Text(
        f"Primary metric {ni.metric}, non-inferiority margin {ni.margin:g}, one-sided level {ni.alpha:g}: difference "
        f"{ni.difference:+.3f}, lower confidence bound {ni.lower_bound:+.3f}, p = {ni.p_value:.3g} ({ni.method}). "
        f"Had nothing changed, this comparison had {ni.power_if_unchanged:.0%} power to show non-inferiority; the "
        f"smallest margin it could show with 80% power is {ni.smallest_margin:.3f}. The other metrics are tested for "
        "any change, with Holm's correction over their family.", "note")


def compare_section(run: RunData, baseline: RunData | None, comparison: Comparison | str, *, n_resamples: int,
                    seed: int) -> Section:
    """The verdict first, then the forest plot with the margin line, the minimum detectable differences, the
    per-metric tests, McNemar's tables, and cost and latency."""
    title = "Model swap"
    if isinstance(comparison, str) or baseline is None:
        return _absent("model-swap", title, comparison if isinstance(comparison, str) else "No comparison.")
    ni = comparison.noninferiority
    side = pd.DataFrame({"field": list(dict.fromkeys([*run_facts(baseline), *run_facts(run)]))})
    side["baseline"] = side["field"].map(run_facts(baseline)).fillna("")
    side["candidate"] = side["field"].map(run_facts(run)).fillna("")
    frame = comparison.to_frame()
    clustering = (f"resampling whole accounts ({comparison.n_clusters} distinct {comparison.clustered_by} values)"
                  if comparison.clustered_by else "resampling items (the tables carry no account ids)")
    blocks: list[Block] = [
        Text(f"Verdict: {comparison.verdict} — {comparison.reason}.", "verdict"),
        _noninferiority_note(comparison),
        Figure("compare_metrics", "Change per metric with paired intervals and the non-inferiority margin",
               F.comparison_chart(frame, confidence=comparison.confidence, margin=ni.margin, primary=ni.metric),
               alt="Forest plot of each metric's change with its paired bootstrap interval; a dashed line marks the "
                   "non-inferiority margin of the primary metric."),
        Table("compare_mde", "What this comparison could detect: minimum detectable difference at 80% power",
              _mde_table(comparison), digits=3,
              note="mde_80: the smallest change flagged with 80% power at the level the metric is tested at (alpha for "
                   "the primary; alpha over the number of secondary metrics, Holm's first step), holding the "
                   "observed discordance (the share of items exactly one run got right). Blank when the runs never "
                   "disagree."),
        Table("compare_runs", "The two runs", side),
        Table("compare_metrics", "Paired comparison per metric (candidate − baseline)", frame,
              note=f"ci_low/ci_high: {comparison.confidence:.0%} paired bootstrap interval of the difference "
                   f"({n_resamples} resamples, seed {seed}), {clustering}; p_value: McNemar's mid-p for "
                   "accuracies, the bootstrap p-value for kappa and macro-F1; p_adjusted: Holm over the secondary "
                   "metrics."),
        Table("compare_mcnemar", "McNemar's test per accuracy",
              pd.DataFrame([{"metric": name, "n": t.n, "baseline_only_right": t.b, "candidate_only_right": t.c,
                             "statistic": t.statistic, "p_value": t.p_value,
                             "test": "exact, mid-p" if t.mid_p else "exact binomial" if t.exact
                             else "chi-square (continuity-corrected)"}
                            for name, t in comparison.mcnemar]), digits=4),
        Table("compare_usage", "Cost and latency", _usage_table(comparison), digits=2),
    ]
    if run.metrics is not None and baseline.metrics is not None:
        blocks.append(Table("compare_reported_metrics", "Every reported metric side by side (from metrics.json)",
                            _reported_side_by_side(run, baseline), digits=4, max_rows=80))
    return Section("model-swap", title, tuple(blocks))


def _reported_side_by_side(run: RunData, baseline: RunData) -> pd.DataFrame:
    names = list(dict.fromkeys([*baseline.metrics.metrics, *run.metrics.metrics]))  # type: ignore[union-attr]
    rows = []
    for name in names:
        a, b = baseline.metrics.metrics.get(name), run.metrics.metrics.get(name)  # type: ignore[union-attr]
        kind = (a or b).kind if (a or b) else ""
        rows.append({"metric": name, "kind": kind, "better": metric_direction(name, kind) if kind else "",
                     "baseline": a.value if a else math.nan, "candidate": b.value if b else math.nan})
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["candidate"] - frame["baseline"]
    return frame


# --------------------------------------------------------------------------------------------- Economic Index


def _flatten(prefix: str, value: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), inner, out)
    elif isinstance(value, bool | int | float) and not isinstance(value, bool):
        out.append({"quantity": prefix, "value": float(value)})


def economic_index_section(run: RunData) -> Section:
    """Tables and figures of ``harness analyze`` found in the run's ``analysis/`` folder."""
    title = "Economic Index analyses"
    analysis = run.analysis
    if analysis is None:
        return _absent("economic-index", title, "No Economic Index analyses in this run (no analysis/ folder; "
                       "`harness analyze` writes one).")
    blocks: list[Block] = [Text("Tables and figures written by harness analyze. Every table passed the privacy "
                                "wall when it was produced; small cells were withheld there.", "note")]
    summary = analysis.summary or {}
    if summary:
        rows: list[dict[str, Any]] = []
        published = summary.get("published")
        _flatten("", {k: v for k, v in summary.items() if k not in {"published", "what_changed"}}, rows)
        frame = pd.DataFrame(rows, columns=["quantity", "value"])
        if isinstance(published, Mapping):
            lookup = {k: _num(v) for k, v in published.items()}
            frame["published"] = frame["quantity"].map(lambda q: lookup.get(q.rsplit(".", 1)[-1], math.nan))
        blocks.append(Table("economic_index_summary", "Headline numbers", frame, digits=2, max_rows=60))
        if isinstance(summary.get("method"), str):
            blocks.append(Text("Method: " + summary["method"], "note"))
    # the wave, drift and geography tables have sections of their own (_waves.py)
    names = sorted(n for n in set(analysis.tables) | set(analysis.figures)
                   if not claimed_by_later_sections(n) and not n.startswith(TRUST_PREFIX))
    for name in names:
        stem = "economic_index." + name.lower().replace(" ", "_")
        label = name.replace("_", " ").capitalize()
        if name in analysis.figures:
            blocks.append(Figure(stem, label, analysis.figures[name], alt=f"Figure {label} from harness analyze."))
        if name in analysis.tables:
            blocks.append(Table(stem, label, analysis.tables[name], note=analysis.notes.get(name, ""), max_rows=15,
                                digits=3))
    if not names:
        blocks.append(Text("The analysis folder has no tables or figures.", "absent"))
    return Section("economic-index", title, tuple(blocks))


# --------------------------------------------------------------------------------------------- the report


def build_report(
    run: RunData,
    *,
    baseline: RunData | None = None,
    title: str | None = None,
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    frontier: Sequence[RunData] = (),
) -> Report:
    """Assemble the validation appendix of a run.

    Args:
        run: The run reported on (the candidate when comparing).
        baseline: Optional run to compare with (same goldset items); adds the model-swap section.
        title: Document title (default: "Validation report: <run name>").
        n_resamples: Bootstrap resamples of the model-swap comparison.
        seed: Seed of that bootstrap.
        confidence: Coverage of the model-swap intervals.
        frontier: Runs of further configurations; with them the report adds the cost-accuracy frontier of
            every run it was given, the baseline included (:mod:`harness.report._frontier`).

    Returns:
        A :class:`Report`; sections whose data the run lacks say so instead of being dropped.

    Raises:
        InputError: When ``baseline`` is given but the runs cannot be compared pairwise.
        ValueError: When ``confidence`` is outside (0, 1) or ``n_resamples < 1``.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    facts = run_facts(run)
    subtitle = " · ".join(v for k, v in facts.items() if k in ("Backend", "Model(s)", "Hierarchy", "Goldsets"))
    comparison = _comparison(run, baseline, n_resamples=n_resamples, seed=seed, confidence=confidence)
    sections = (
        header_section(run, baseline),
        hierarchy_section(run),
        pattern_section(run),
        rater_section(run),
        reconstruction_section(run),
        compare_section(run, baseline, comparison, n_resamples=n_resamples, seed=seed),
        *([frontier_section(run, [r for r in (baseline, *frontier) if r is not None])] if frontier else []),
        economic_index_section(run),
        *trust_sections(run),
        *later_sections(run),
    )
    summary = summary_points(run, facts, None if isinstance(comparison, str) else comparison,
                             None if baseline is None else baseline.name)
    return Report(title=title or f"Validation report: {run.name}", subtitle=subtitle, sections=sections,
                  summary=summary)
