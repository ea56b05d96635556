"""Score a classifier's facts against goldsets: the numbers ``harness validate`` writes to ``metrics.json``.

The scoring itself (one scorer per facet, strict and lenient) lives in :mod:`harness.evaluate._scoring`; this
module reads the goldsets, classifies their conversations and writes the run directory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.classify import (
    Classifier,
    classify_conversations,
    facts_to_classifications,
    sha256_file,
)
from harness.errors import InputError
from harness.evaluate._goldset import GoldItem, load_goldset
from harness.evaluate._scoring import ValidationScores, gold_nodes_at_level, score_goldset
from harness.run import SPLIT_CHOICES, SplitChoice
from harness.taxonomy import Hierarchy, OnetRelease

__all__ = ["ValidationScores", "gold_nodes_at_level", "run_validation", "score_goldset"]


def _load_goldsets(
    goldsets: Sequence[str | Path], release: OnetRelease, split: str
) -> tuple[list[GoldItem], list[dict[str, object]]]:
    """The items of ``split`` from every goldset, and what the run records of each goldset.

    A goldset without items, a split without items and an item id found in two goldsets are refused here: each
    would otherwise end in metrics over nothing, or in scores that silently pair one item's prediction with
    another item's labels.

    Raises:
        InputError: Naming the goldset file (and for a repeated id, the field ``id``).
    """
    if not goldsets:
        raise ValueError("no goldset given")
    task_ids = set(release.tasks["task_id"].astype(int))
    items: list[GoldItem] = []
    goldset_info: list[dict[str, object]] = []
    first_seen: dict[str, Path] = {}
    for path in map(Path, goldsets):
        loaded = load_goldset(path, onet_task_ids=task_ids)
        if not loaded:
            raise InputError(path, "the goldset holds no items")
        chosen = [item for item in loaded if split == "all" or item.split == split]
        for item in chosen:
            if item.id in first_seen:
                raise InputError(path, f"item id {item.id!r} is also in {first_seen[item.id]}; ids must be unique "
                                 "across the goldsets of one validation", field="id")
            first_seen[item.id] = path
        items.extend(chosen)
        goldset_info.append({"name": path.stem, "path": str(path), "n_items": len(chosen),
                             "sha256": sha256_file(path)})
    if not items:
        where = "the goldset" if len(goldsets) == 1 else f"any of the {len(goldsets)} goldsets"
        raise InputError(goldsets[0], f"no item of {where} is in the {split!r} split (--split)", field="split")
    return items, goldset_info


def run_validation(
    goldsets: Sequence[str | Path],
    classifier: Classifier,
    hierarchy: Hierarchy,
    release: OnetRelease,
    out_dir: str | Path,
    *,
    split: SplitChoice = "all",
    seed: int = 0,
    n_bootstrap: int = 2000,
    progress: bool = True,
) -> ValidationScores:
    """Classify the goldsets' conversations (resumable, cached), score them and write the run directory.

    Writes ``facts.parquet``/``manifest.json`` (via :func:`harness.classify.classify_conversations`),
    ``metrics.json``, ``items.parquet`` and ``tables/*.csv`` into ``out_dir``.

    Raises:
        InputError: A goldset is unreadable or invalid, holds no items, shares an item id with another, or no
            item is in ``split``.
        ValueError: ``split`` is not one of :data:`harness.run.SPLIT_CHOICES` (a split, or ``"all"`` for every
            item), or ``n_bootstrap`` is below 1.
    """
    if split not in SPLIT_CHOICES:
        raise ValueError(f"split must be one of {', '.join(SPLIT_CHOICES)}; got {split!r}")
    if n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be at least 1, got {n_bootstrap}")
    items, goldset_info = _load_goldsets(goldsets, release, split)
    conversations = [dataclasses.replace(item.conversation, id=item.id) for item in items]
    classified = classify_conversations(conversations, classifier, out_dir, hierarchy=hierarchy, progress=progress,
                                        manifest_extra={"command": "validate", "goldsets": goldset_info,
                                                        "split": split})
    # score the table just written, in memory: the same rows facts.parquet holds, without reading them back
    predictions = facts_to_classifications(classified.facts)
    scores = score_goldset(items, predictions, hierarchy, release, seed=seed, n_bootstrap=n_bootstrap)
    manifest = classified.manifest
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
    run = classified.run
    run.write_metrics(scores.metrics, run=run_info, sections=scores.sections)
    run.write_items(scores.items)
    run.write_tables({
        "hierarchy_levels": pd.DataFrame(scores.sections["hierarchy"]["levels"]),
        "hierarchy_by_major_group": pd.DataFrame(scores.sections["hierarchy"]["by_major_group"]),
    })
    return scores
