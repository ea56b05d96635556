"""The items a labelling session works through, and the check every committed label passes.

Items come from a goldset-format file (``harness goldset new`` or ``harness label queue`` write them with blank
labels; a goldset that already has labels works too) or from a plain conversations JSONL file. In the second
case each conversation becomes an item whose id is the conversation id and whose split is drawn from a hash of the
id, so the same file always gives the same splits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.conversations import Conversation, conversation_from_dict, conversation_to_dict, read_jsonl
from harness.errors import InputError
from harness.evaluate import GoldItem, RaterLabel, gold_item_to_dict, load_goldset, validate_goldset

__all__ = ["LabelItem", "check_label", "conversation_sha256", "load_label_items"]


def conversation_sha256(conversation: Conversation) -> str:
    """A fingerprint of a conversation's messages, stored with each label so it never attaches to another text."""
    messages = conversation_to_dict(conversation)["messages"]
    return hashlib.sha256(json.dumps(messages, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LabelItem:
    """One conversation to label.

    Attributes:
        id: Item id (unique in the session).
        split: The goldset split (:data:`harness.evaluate.SPLITS`); new items get ``"dev"`` or ``"test"``.
        conversation: The conversation.
        labels: Labels the items file already holds (never shown to a rater in blind mode).
        sample: The item's provenance (``sample`` of the goldset format), e.g. its inclusion probability.
    """

    id: str
    split: str
    conversation: Conversation
    labels: tuple[RaterLabel, ...] = ()
    sample: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "labels", tuple(self.labels))
        object.__setattr__(self, "sample", MappingProxyType(dict(self.sample)))

    @property
    def digest(self) -> str:
        """:func:`conversation_sha256` of the conversation."""
        return conversation_sha256(self.conversation)

    def to_gold(self, labels: Sequence[RaterLabel], sample: Mapping[str, Any] | None = None) -> GoldItem:
        """The goldset item with these labels (and ``sample``, by default the item's own)."""
        return GoldItem(self.id, self.split, self.conversation, tuple(labels),  # type: ignore[arg-type]
                        sample=self.sample if sample is None else sample)


def _split_of(item_id: str, test_fraction: float) -> str:
    """A split fixed by the id alone, so re-reading the same conversations gives the same splits."""
    value = int.from_bytes(hashlib.sha256(f"split:{item_id}".encode()).digest()[:8], "big") / 2**64
    return "test" if value < test_fraction else "dev"


def _gold_conversation(obj: Mapping[str, Any]) -> Conversation:
    """A goldset line's conversation object (already checked) as a :class:`Conversation`."""
    meta = dict(obj.get("meta") or {})
    meta["source"] = obj["source"]
    return conversation_from_dict({"id": obj["source_id"], "account_id": obj["account_id"],
                                   "messages": obj["messages"], "model": obj.get("model"), "meta": meta})


def _items_from_goldset(path: Path, onet_task_ids: Collection[int] | None) -> list[LabelItem]:
    errors = validate_goldset(path, onet_task_ids=onet_task_ids, allow_blank=True)
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more; `harness goldset check --allow-blank` lists them)" if len(errors) > 1 \
            else ""
        raise InputError(first.path, first.detail + more, line=first.line, field=first.field)
    labelled = {item.id: item for item in load_goldset(path, onet_task_ids=onet_task_ids, allow_blank=True)}
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        gold = labelled.get(obj["id"])
        items.append(LabelItem(obj["id"], obj["split"], _gold_conversation(obj["conversation"]),
                               gold.labels if gold is not None else (), obj.get("sample") or {}))
    return items


def load_label_items(
    *,
    goldset: str | os.PathLike[str] | None = None,
    conversations: str | os.PathLike[str] | None = None,
    test_fraction: float = 0.5,
    onet_task_ids: Collection[int] | None = None,
) -> list[LabelItem]:
    """Read the items of a labelling session from exactly one of ``goldset`` or ``conversations``.

    Args:
        goldset: A goldset-format file; blank labels are allowed.
        conversations: A conversations JSONL file (``id``, ``account_id``, ``messages``).
        test_fraction: Share of conversations put in the test split (conversations files only).
        onet_task_ids: Valid Task IDs, to check the labels a goldset already holds.

    Raises:
        ValueError: When neither or both sources are given, or ``test_fraction`` is outside [0, 1].
        InputError: On a malformed file, repeated ids or no items.
    """
    if (goldset is None) == (conversations is None):
        raise ValueError("give exactly one of goldset or conversations")
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction must lie in [0, 1]; got {test_fraction}")
    if goldset is not None:
        path = Path(goldset)
        items = _items_from_goldset(path, onet_task_ids)
    else:
        path = Path(conversations)  # type: ignore[arg-type]
        convs = read_jsonl(path)
        items = [LabelItem(c.id, _split_of(c.id, test_fraction), c) for c in convs]
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise InputError(path, f"conversation id {item.id!r} appears twice", field="id")
            seen.add(item.id)
    if not items:
        raise InputError(path, "no items to label")
    return items


def check_label(
    item: LabelItem, label: Mapping[str, Any], *, onet_task_ids: Collection[int] | None
) -> list[InputError]:
    """Every problem ``harness goldset check`` would find in ``label`` as a label of ``item`` (empty when none).

    The label is written with the item's conversation to a one-line goldset in a private temporary file and
    checked by :func:`harness.evaluate.validate_goldset` itself, so a committed label can never fail the check
    that its export will meet later (notes that copy the conversation included).
    """
    gold = gold_item_to_dict(GoldItem(item.id, item.split, item.conversation, (  # type: ignore[arg-type]
        RaterLabel("placeholder", False, (), "none", "low"),)))
    gold["labels"] = [dict(label)]
    gold.pop("sample", None)
    fd, tmp = tempfile.mkstemp(prefix="harness-label-check-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(gold, ensure_ascii=False) + "\n")
        return validate_goldset(tmp, onet_task_ids=onet_task_ids)
    finally:
        Path(tmp).unlink(missing_ok=True)


def today() -> str:
    """Today's date in ISO form (the ``date`` of a committed label)."""
    return dt.date.today().isoformat()
