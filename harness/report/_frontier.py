"""The cost-accuracy frontier: what each configuration costs per 1,000 conversations and how accurate it is.

The section lines up every run the report was given – the run itself, the ``--compare`` baseline and any
``--frontier`` runs, i.e. the configurations ``harness compare`` is asked to choose between – by their recorded
cost (``cost.usd_per_item`` of ``metrics.json``, else the mean of ``items.parquet``'s ``cost_usd``) and their
strict accuracy per level and by SOC major group. A configuration is on the frontier at a level when no other run is
at least as accurate there for no more money and strictly better on one of the two. Nothing is scored again: the
figures are those validation wrote.

Caveats the section states: costs are what the run paid, so a re-run answered from the answer cache reads as free
(such model runs are marked); and runs compare fairly only over the same goldset items (a table column says
which goldset each run read).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ._load import RunData
from ._model import Block, Figure, Section, Table, Text

__all__ = ["FRONTIER_LEVELS", "frontier_frame", "frontier_section"]

FRONTIER_LEVELS: tuple[str, ...] = ("top", "mid", "base", "major_group")
_MODEL_SCHEMES = ("anthropic", "anthropic-batch", "inspect")
_DEFAULT_VERSION = "v1"
# Settings of the LLM backend that change what it costs or reads, with their defaults: a run that differs says so.
_NOTED_SETTINGS = {"summarise": True, "top_k": 1, "order_variants": 4, "max_reply_chars": 1200,
                   "description_chars": 200}


def _metric(run: RunData, name: str) -> float:
    entry = run.metrics.metrics.get(name) if run.metrics is not None else None
    value = getattr(entry, "value", None)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else math.nan


def _accuracy(run: RunData, level: str) -> float:
    """Strict accuracy at a level from ``metrics.json``, else from the per-item ``correct_<level>`` column."""
    recorded = _metric(run, f"hierarchy.{level}.accuracy")
    column = f"correct_{level}"
    if math.isfinite(recorded) or run.items is None or column not in run.items:
        return recorded
    values = run.items[column].dropna()
    return float(values.astype(bool).mean()) if len(values) else math.nan


def _cost_per_item(run: RunData) -> float:
    recorded = _metric(run, "cost.usd_per_item")
    if math.isfinite(recorded):
        return recorded
    if run.items is not None and "cost_usd" in run.items and len(run.items):
        return float(pd.to_numeric(run.items["cost_usd"], errors="coerce").mean())
    return math.nan


def _configuration(run: RunData) -> str:
    """The backend spec plus the settings that set the configuration apart (as the manifest records them)."""
    manifest: Mapping[str, Any] = run.manifest or {}
    spec = str(manifest.get("backend") or run.run_info.get("backend") or run.name)
    described = manifest.get("classifier") if isinstance(manifest.get("classifier"), Mapping) else {}
    config = described.get("config") if isinstance(described.get("config"), Mapping) else {}
    extras = []
    if config.get("fuse_steps"):
        extras.append("fused steps")
    if config.get("confidence_samples"):
        extras.append(f"confidence ×{config['confidence_samples']}")
    extras += [f"{key}={config[key]}" for key, default in _NOTED_SETTINGS.items()
               if key in config and config[key] != default]
    versions = described.get("prompt_versions") if isinstance(described.get("prompt_versions"), Mapping) else {}
    extras += [f"{step} {version}" for step, version in sorted(versions.items()) if version != _DEFAULT_VERSION]
    return " · ".join([spec, *extras])


def _goldset(run: RunData) -> str:
    goldsets = run.run_info.get("goldsets") or []
    names = [str(g.get("path", "")).rsplit("/", 1)[-1] + (f" ({str(g.get('sha256', ''))[:8]})" if g.get("sha256")
                                                           else "")
             for g in goldsets if isinstance(g, Mapping)]
    return ", ".join(names) or "unknown"


def _on_frontier(cost: np.ndarray, accuracy: np.ndarray) -> np.ndarray:
    """Whether each point is undominated (no other point as cheap and as accurate, and better on one)."""
    out = np.zeros(len(cost), dtype=bool)
    for i in range(len(cost)):
        if not (math.isfinite(cost[i]) and math.isfinite(accuracy[i])):
            continue
        dominated = (cost <= cost[i]) & (accuracy >= accuracy[i]) & ((cost < cost[i]) | (accuracy > accuracy[i]))
        out[i] = not bool(np.any(dominated & np.isfinite(cost) & np.isfinite(accuracy)))
    return out


def frontier_frame(runs: Sequence[RunData]) -> pd.DataFrame:
    """One row per run: configuration, cost per 1,000 conversations, accuracy per level, frontier flags.

    Columns: ``run``, ``configuration``, ``goldset``, ``n_items``, ``usd_per_1000``, ``input_tokens_per_item``,
    ``cost_note``, then ``accuracy_<level>`` and ``frontier_<level>`` for each of :data:`FRONTIER_LEVELS`.
    """
    rows = []
    for run in runs:
        cost = _cost_per_item(run)
        scheme = _configuration(run).split(":", 1)[0]
        note = "from the answer cache (paid nothing)" if scheme in _MODEL_SCHEMES and cost == 0 else ""
        row: dict[str, Any] = {
            "run": run.name, "configuration": _configuration(run), "goldset": _goldset(run),
            "n_items": int(run.run_info.get("n_items") or (len(run.items) if run.items is not None else 0)),
            "usd_per_1000": 1000 * cost, "input_tokens_per_item": _metric(run, "cost.input_tokens_per_item"),
            "cost_note": note,
        }
        for level in FRONTIER_LEVELS:
            row[f"accuracy_{level}"] = _accuracy(run, level)
        rows.append(row)
    frame = pd.DataFrame(rows)
    for level in FRONTIER_LEVELS:
        if frame.empty:
            frame[f"frontier_{level}"] = []
            continue
        cost = frame["usd_per_1000"].to_numpy(dtype=float)
        cost = np.where(frame["cost_note"] != "", np.nan, cost)  # a cached re-run's "free" is not a price
        frame[f"frontier_{level}"] = _on_frontier(cost, frame[f"accuracy_{level}"].to_numpy(dtype=float))
    return frame


def _figure(frame: pd.DataFrame) -> bytes:
    from . import _figures as F

    fig, axes = F._new(figsize=(9.0, 6.5), ncols=2, nrows=2)
    priced = frame[frame["cost_note"] == ""]
    for ax, level in zip(axes.ravel(), FRONTIER_LEVELS, strict=True):
        column = f"accuracy_{level}"
        points = priced[np.isfinite(priced[column]) & np.isfinite(priced["usd_per_1000"])]
        ax.scatter(points["usd_per_1000"], points[column], color=F._COLOURS[0], zorder=3)
        for number, (cost, accuracy) in zip(points.index + 1, zip(points["usd_per_1000"], points[column],
                                                                      strict=True), strict=True):
            ax.annotate(str(number), (cost, accuracy), textcoords="offset points", xytext=(4, 4), fontsize=8)
        best = points[points[f"frontier_{level}"]].sort_values("usd_per_1000")
        if len(best) > 1:
            ax.step(best["usd_per_1000"], best[column], where="post", color=F._COLOURS[1], zorder=2)
        ax.set_title(level.replace("_", " "))
        ax.set_xlabel("USD per 1,000 conversations")
        ax.set_ylabel("accuracy (strict)")
    return F._png(fig)


def frontier_section(run: RunData, others: Sequence[RunData] = ()) -> Section:
    """The cost-accuracy frontier of ``run`` and ``others`` (baseline and ``--frontier`` runs), or what is missing."""
    title = "Cost and accuracy of the configurations compared"
    runs = [r for r in (run, *others) if r.metrics is not None or r.items is not None]
    if len(runs) < 2:
        return Section("frontier", title, (Text(
            "Only one validated run was given: pass the runs of the other configurations with --compare or "
            "--frontier RUN... to place them on the cost-accuracy frontier.", "absent"),), present=False)
    frame = frontier_frame(runs)
    shown = frame.assign(number=range(1, len(frame) + 1))[
        ["number", "configuration", "run", "n_items", "usd_per_1000", "input_tokens_per_item",
         *[f"accuracy_{level}" for level in FRONTIER_LEVELS], "cost_note", "goldset"]]
    marks = frame[[f"frontier_{level}" for level in FRONTIER_LEVELS]].any(axis=1)
    shown.insert(1, "on_frontier", [", ".join(lvl for lvl in FRONTIER_LEVELS if frame.loc[i, f"frontier_{lvl}"])
                                    if marks[i] else "" for i in frame.index])
    blocks: list[Block] = [
        Text("Each configuration the report was given, by what it paid per 1,000 conversations and its strict "
             "accuracy; a configuration is on the frontier at a level when no other is as accurate for no more "
             "money. Costs are as recorded: a run answered from the answer cache reads as free and is left off the "
             "frontier.", "note"),
        Table("frontier", "Cost per 1,000 conversations and accuracy per level", shown, digits=3),
        Figure("frontier", "Cost against accuracy per level (numbers as in the table; the line joins the "
               "frontier)", _figure(frame), alt="Four scatter plots of accuracy against cost per 1,000 "
               "conversations, one per level, with the undominated configurations joined."),
    ]
    if frame["goldset"].nunique() > 1:
        blocks.append(Text("The runs read different goldsets; their accuracies are not directly comparable.", "note"))
    return Section("frontier", title, tuple(blocks))
