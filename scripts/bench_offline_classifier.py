"""The offline classifier under the goldset protocol: ablation, cross-validation on dev, then test and check once.

Protocol (issue 16):

1. **Selection on dev only.** The grid below (BM25 weight, the two pooling weights, the pool size) is searched on
   the dev split. The *dev-CV* figure is the whole selection procedure cross-validated: in each of 5 folds × 4
   repeats, the configuration with the best objective on the other four folds is scored on the held-out fold
   (objective: major group + top + ½ mid + ½ task accuracy, strict). Its interval is a Wilson interval on the
   number of dev items, a rough guide since the repeats are not independent.
2. **Test read once per design.** The default configuration is scored on the test split (rater-a) and on the check
   split (rater-c and rater-d, labelled blind, nothing tuned on it), with the harness's own bootstrap intervals.
   Check figures are read per rater and averaged over raters, the reading comparable across goldsets.
3. **Ablation.** Each component of the default is added in turn, from the previous default (``embedding-beam/2``
   settings), on every split.

The figures are printed, not asserted. Usage::

    HARNESS_DATA_DIR=../shared/data python scripts/bench_offline_classifier.py [--no-grid]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import math
import os
import time
from collections.abc import Mapping, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pandas as pd

from harness.aggregate._stats import wilson
from harness.classify import EmbeddingClassifier, EmbeddingConfig
from harness.conversations import Conversation
from harness.evaluate import default_goldset_path, load_goldset
from harness.evaluate._scoring import score_goldset
from harness.taxonomy import build_work_activity_hierarchy, load_onet

LEVELS = ("top", "mid", "base", "major_group")
HEADLINE = (*(f"hierarchy.{level}.accuracy" for level in LEVELS), "pattern.cohen_kappa")
OFF = {"reply_code_cue": False, "lexical_weight": 0.0, "occupation_pool_weight": 0.0, "activity_pool_weight": 0.0}
ABLATION: tuple[tuple[str, Mapping[str, object]], ...] = (
    ("previous default (embedding-beam/2)", OFF),
    ("+ code in replies cues computing", {**OFF, "reply_code_cue": True}),
    ("+ BM25 word match", {"occupation_pool_weight": 0.0, "activity_pool_weight": 0.0}),
    ("+ occupation pooling", {"activity_pool_weight": 0.0}),
    ("+ work-activity pooling = default", {}),
)
GRID = {"lexical_weight": (0.0, 0.1, 0.2, 0.3), "occupation_pool_weight": (0.0, 3.0, 8.0, 12.0, 20.0),
        "activity_pool_weight": (0.0, 3.0, 5.0, 8.0), "pool_k": (30, 100, 200)}


class _SharedQueries(EmbeddingClassifier):
    """Embeds each batch's queries once for every configuration: the grid varies only how scores are combined."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._memo: dict[tuple[str, ...], np.ndarray] = {}

    def _queries(self, conversations: Sequence[Conversation]) -> np.ndarray:
        key = tuple(c.id for c in conversations)
        if key not in self._memo:
            self._memo[key] = super()._queries(conversations)
        return self._memo[key]


def _correct(items, preds, hierarchy, release) -> dict[str, np.ndarray]:
    """Per item and level: 1 correct, 0 wrong, NaN not scored (strict)."""
    table = score_goldset(items, preds, hierarchy, release, n_bootstrap=1).items
    return {lv: np.array([np.nan if pd.isna(v) else float(v) for v in table[f"correct_{lv}"]]) for lv in LEVELS}


def _accuracy(correct: Mapping[str, np.ndarray], rows: np.ndarray) -> dict[str, float]:
    return {lv: float(np.nanmean(correct[lv][rows])) if np.isfinite(correct[lv][rows]).any() else math.nan
            for lv in LEVELS}


def _objective(acc: Mapping[str, float]) -> float:
    return acc["major_group"] + acc["top"] + 0.5 * acc["mid"] + 0.5 * acc["base"]


def nested_cv(grid: Mapping[tuple, Mapping[str, np.ndarray]], n_items: int, *, folds: int = 5, repeats: int = 4):
    """Held-out accuracy of "pick the best grid point on the other folds", and how often each point was picked."""
    held_out = {lv: [] for lv in LEVELS}
    picks: dict[tuple, int] = {}
    for r in range(repeats):
        parts = np.array_split(np.random.default_rng(r).permutation(n_items), folds)
        for f in range(folds):
            train = np.concatenate([parts[g] for g in range(folds) if g != f])
            best = max(grid, key=lambda c: _objective(_accuracy(grid[c], train)))
            picks[best] = picks.get(best, 0) + 1
            for lv in LEVELS:
                held_out[lv].append(grid[best][lv][parts[f]])
    per_repeat = {lv: [np.nanmean(np.concatenate(held_out[lv][r * folds:(r + 1) * folds])) for r in range(repeats)]
                  for lv in LEVELS}
    return {lv: float(np.mean(v)) for lv, v in per_repeat.items()}, picks


def _row(name: str, metrics, per_rater: Mapping[str, tuple[float, float, float]] | None = None) -> str:
    cells = []
    for m in HEADLINE:
        if per_rater is not None and m in per_rater:
            value, low, high = per_rater[m]
        else:
            entry = metrics[m]
            value, low, high = entry.value, entry.ci_low, entry.ci_high
        value, low, high = (math.nan if v is None else v for v in (value, low, high))
        cells.append(f"{value:6.3f} [{low:.2f}, {high:.2f}]")
    return f"{name:<38}" + "  ".join(cells)


def _per_rater(sections) -> dict[str, tuple[float, float, float]]:
    out = {}
    for field in (sections.get("per_rater") or {}).get("fields", []):
        if field.get("mean") is not None:
            out[field["metric"]] = (field["mean"], field.get("ci_low") or math.nan, field.get("ci_high") or math.nan)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-grid", action="store_true", help="skip the dev grid and its cross-validation")
    parser.add_argument("--bootstrap", type=int, default=1000)
    args = parser.parse_args()
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    items = load_goldset(default_goldset_path(), onet_task_ids=set(release.tasks["task_id"]))
    by_split = {s: [i for i in items if i.split == s] for s in ("dev", "test", "check")}
    convs = {s: [dataclasses.replace(i.conversation, id=i.id) for i in its] for s, its in by_split.items()}
    classifier = _SharedQueries(hierarchy, EmbeddingConfig())
    classifier.prepare()

    print(f"{'configuration':<38}" + "  ".join(f"{m.split('.')[-2]:>21}" for m in HEADLINE))
    for split in ("dev", "test", "check"):
        print(f"-- {split} ({len(by_split[split])} items"
              + ("; per-rater mean of rater-c and rater-d" if split == "check" else "") + ")")
        for name, changes in ABLATION:
            classifier.config = dataclasses.replace(EmbeddingConfig(), **changes)
            scores = score_goldset(by_split[split], classifier.classify(convs[split]), hierarchy, release,
                                   n_bootstrap=args.bootstrap)
            rater = _per_rater(scores.sections) if split == "check" else None
            print(_row(name, scores.metrics, rater), flush=True)

    if not args.no_grid:
        started = time.perf_counter()
        grid = {}
        for values in itertools.product(*GRID.values()):
            classifier.config = dataclasses.replace(EmbeddingConfig(), **dict(zip(GRID, values, strict=True)))
            grid[values] = _correct(by_split["dev"], classifier.classify(convs["dev"]), hierarchy, release)
        cv, picks = nested_cv(grid, len(by_split["dev"]))
        n_scored = int(np.isfinite(next(iter(grid.values()))["top"]).sum())
        print(f"\ndev-CV of the selection over {len(grid)} grid points ({time.perf_counter() - started:.0f} s; "
              f"{n_scored} scored dev items; Wilson intervals):")
        intervals = {lv: wilson(v * n_scored, n_scored) for lv, v in cv.items()}
        print("  " + "  ".join(f"{lv} {v:.3f} [{float(intervals[lv][0]):.2f}, {float(intervals[lv][1]):.2f}]"
                               for lv, v in cv.items()))
        default = tuple(getattr(EmbeddingConfig(), k) for k in GRID)
        print(f"  picked most often: {sorted(picks.items(), key=lambda kv: -kv[1])[:3]}  (default {default})")


if __name__ == "__main__":
    main()
