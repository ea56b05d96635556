"""``harness label queue``: classify a pool with several backends, select conversations, write a labelling queue.

Each backend classifies the pool into its own run directory (``<runs>/<backend>/``), through the ordinary
resumable pipeline, so a stopped queue build resumes and a repeated one is free. The queue is a goldset-format
file with blank labels (ready for ``harness label serve --goldset``); every item's ``sample`` records how it was
chosen, and a ``<queue>.manifest.json`` beside it records the pool, the backends and the design.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.classify import Classification, Classifier, classify_conversations, facts_to_classifications
from harness.conversations import Conversation
from harness.evaluate import blank_gold_item, write_goldset
from harness.label._items import _split_of
from harness.label._select import Selection, disagreement_scores, uncertainty_scores
from harness.taxonomy import Hierarchy

__all__ = ["QUEUE_MANIFEST_SCHEMA", "PoolPredictions", "classify_pool", "pool_scores", "write_queue"]

QUEUE_MANIFEST_SCHEMA = "harness.label-queue/1"


@dataclass(frozen=True)
class PoolPredictions:
    """Each backend's predictions for the pool, aligned with the pool's order.

    Attributes:
        backends: Backend specs, in the order given.
        predictions: One sequence per backend.
        runs: The run directory of each backend.
    """

    backends: tuple[str, ...]
    predictions: tuple[tuple[Classification, ...], ...]
    runs: tuple[Path, ...]


def _run_name(spec: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", spec).strip("_")[:60] or "backend"
    return f"{slug}-{hashlib.sha256(spec.encode()).hexdigest()[:8]}"


def classify_pool(
    pool: Sequence[Conversation],
    classifiers: Sequence[Classifier],
    hierarchy: Hierarchy,
    runs_dir: str | Path,
    *,
    progress: bool = True,
    manifest_extra: Mapping[str, Any] | None = None,
) -> PoolPredictions:
    """Classify ``pool`` with every classifier, each into ``runs_dir/<backend>/`` (resumable)."""
    runs_dir = Path(runs_dir)
    predictions, runs = [], []
    for classifier in classifiers:
        run = runs_dir / _run_name(classifier.spec)
        result = classify_conversations(pool, classifier, run, hierarchy=hierarchy, progress=progress,
                                        manifest_extra={"command": "label queue", **(manifest_extra or {})})
        by_id = {c.conversation_id: c for c in facts_to_classifications(result.facts)}
        predictions.append(tuple(by_id[c.id] for c in pool))
        runs.append(run)
    return PoolPredictions(tuple(c.spec for c in classifiers), tuple(predictions), tuple(runs))


def pool_scores(strategy: str, pool: PoolPredictions | None, hierarchy: Hierarchy | None) -> list[float] | None:
    """The strategy's score per pool conversation (None for ``random``).

    Raises:
        ValueError: When the strategy lacks what it needs (two backends for disagreement, one for uncertainty).
    """
    if strategy == "random":
        return None
    if pool is None or hierarchy is None:
        raise ValueError(f"the {strategy} strategy needs backend predictions")
    if strategy == "disagreement":
        return disagreement_scores(pool.predictions)
    return uncertainty_scores(pool.predictions, hierarchy)


def write_queue(
    path: str | Path,
    pool: Sequence[Conversation],
    selection: Selection,
    *,
    pool_path: str | Path,
    pool_sha256: str,
    backends: Sequence[str] = (),
    id_prefix: str = "queue-",
    test_fraction: float = 0.5,
) -> Path:
    """Write the selected conversations as a blank labelling file, and its manifest beside it.

    Each item's ``sample`` holds ``inclusion_probability``, ``stratum``, ``score``, ``strategy`` and
    ``pool_sha256``: what ``harness validate`` needs to weight the item back to the pool.

    Returns:
        The manifest's path.
    """
    path = Path(path)
    by_id = {c.id: c for c in pool}
    width = max(4, len(str(len(selection.items))))
    items = []
    for rank, chosen in enumerate(selection.items, start=1):
        item_id = f"{id_prefix}{rank:0{width}d}"
        sample = {"inclusion_probability": chosen.inclusion_probability, "stratum": chosen.stratum,
                  "score": chosen.score, "strategy": selection.strategy, "pool_sha256": pool_sha256}
        items.append(blank_gold_item(by_id[chosen.conversation_id], id=item_id,
                                     split=_split_of(item_id, test_fraction),  # type: ignore[arg-type]
                                     raters=(), sample=sample))
    write_goldset(items, path)
    manifest = {
        "schema": QUEUE_MANIFEST_SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "pool": {"path": str(pool_path), "sha256": pool_sha256, "n": selection.n_pool},
        "backends": list(backends),
        "design": {"strategy": selection.strategy, "n": len(selection.items), "n_ranked": selection.n_ranked,
                   "n_random": selection.n_random, "random_probability": selection.random_probability,
                   "seed": selection.seed, "test_fraction": test_fraction},
        "weighting": "harness validate weights each item by 1/inclusion_probability (Horvitz-Thompson)",
    }
    manifest_path = path.with_name(path.stem + ".manifest.json")
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest_path
