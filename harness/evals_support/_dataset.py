"""Goldset items as an inspect-ai dataset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inspect_ai.dataset import MemoryDataset, Sample

from harness.conversations import to_inspect_messages
from harness.evaluate import SPLITS, GoldItem, default_goldset_path, load_goldset

__all__ = ["gold_samples"]


def gold_samples(
    goldset: str | None, split: str | None, keep: Callable[[GoldItem], bool] = lambda item: True
) -> tuple[MemoryDataset, dict[str, GoldItem]]:
    """Samples (input: the conversation's messages, id: the item id) and the items by id.

    Args:
        goldset: Goldset JSONL path; None reads the goldset shipped with the harness
            (:func:`harness.evaluate.default_goldset_path`).
        split: One of :data:`harness.evaluate.SPLITS` (``"dev"``, ``"test"``, ``"check"``) or None for all
            items.
        keep: Filter on items (e.g. occupational ones only for the hierarchy task).

    Raises:
        ValueError: An unknown split.
        harness.errors.InputError: The goldset file is not valid.
    """
    if split is not None and split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)} or None, got {split!r}")
    path = str(goldset or default_goldset_path())
    items = [i for i in load_goldset(path) if (split is None or i.split == split) and keep(i)]
    samples = [
        Sample(
            id=item.id,
            input=to_inspect_messages(item.conversation),
            metadata={"split": item.split, "raters": list(item.raters)},
        )
        for item in items
    ]
    name = f"{Path(path).stem}{'-' + split if split else ''}"
    return MemoryDataset(samples, name=name, location=path), {item.id: item for item in items}
