"""Conversations as JSON Lines: one conversation object per line.

Format (one JSON object per line; blank lines are ignored)::

    {"id": "c-1", "account_id": "a-7", "model": "claude-x",            # model is optional
     "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
     "meta": {"any": "extra facts"}}                                     # optional

``id`` and ``account_id`` are non-empty strings (integers are accepted and turned into strings); roles are
``user``, ``assistant`` or ``system``; ``content`` is a string. Other top-level keys are kept in
``Conversation.meta``. Errors name the file, the 1-based line and the field (``messages[2].role``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from harness.conversations._types import ROLES, Conversation, Message
from harness.errors import InputError

__all__ = [
    "OnError",
    "ReadReport",
    "conversation_from_dict",
    "conversation_to_dict",
    "iter_jsonl",
    "read_jsonl",
    "write_jsonl",
]

OnError = Literal["raise", "skip"]
_ON_ERROR: tuple[str, ...] = get_args(OnError)
_KNOWN_KEYS = frozenset({"id", "account_id", "model", "messages", "meta"})


@dataclass
class ReadReport:
    """What a reader did, filled in as it goes (pass one in to get the figures after iterating).

    Attributes:
        path: The file read.
        n_read: Conversations yielded.
        n_skipped: Records left out (bad records under ``on_error="skip"``, or records a filter rejected).
        skipped: Count of skipped records by reason.
        errors: The errors of the bad records that were skipped.
        truncated: True when the file ended in the middle of a record (ShareGPT reader).
    """

    path: str = ""
    n_read: int = 0
    n_skipped: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    truncated: bool = False

    def skip(self, reason: str) -> None:
        """Count one skipped record under ``reason``."""
        self.n_skipped += 1
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


class FieldError(ValueError):
    """A bad field inside one record; the reader adds the file and line."""

    def __init__(self, field: str | None, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}" if field else message)


def _as_id(obj: Mapping[str, Any], key: str) -> str:
    if key not in obj:
        raise FieldError(key, "missing")
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError(key, f"must be a non-empty string; got {type(value).__name__}")
    value = str(value)
    if not value.strip():
        raise FieldError(key, "must be a non-empty string")
    return value


def messages_from_list(value: Any, *, field: str = "messages") -> tuple[Message, ...]:
    """Parse ``[{role, content}, ...]`` into messages; raises :class:`FieldError` naming the bad element."""
    if not isinstance(value, list):
        raise FieldError(field, f"must be a list of {{role, content}} objects; got {type(value).__name__}")
    if not value:
        raise FieldError(field, "must hold at least one message")
    out = []
    for i, item in enumerate(value):
        where = f"{field}[{i}]"
        if not isinstance(item, dict):
            raise FieldError(where, f"must be an object with role and content; got {type(item).__name__}")
        role = item.get("role")
        if role not in ROLES:
            raise FieldError(f"{where}.role", f"must be one of {', '.join(ROLES)}; got {role!r}")
        content = item.get("content")
        if not isinstance(content, str):
            raise FieldError(f"{where}.content", f"must be a string; got {type(content).__name__}")
        out.append(Message(role, content))
    return tuple(out)


def conversation_from_dict(obj: Any) -> Conversation:
    """Build a :class:`Conversation` from its JSON object form.

    Raises:
        FieldError: (a ``ValueError``) naming the offending field.
    """
    if not isinstance(obj, dict):
        raise FieldError(None, f"each line must be a JSON object; got {type(obj).__name__}")
    conv_id = _as_id(obj, "id")
    account_id = _as_id(obj, "account_id")
    model = obj.get("model")
    if model is not None and not isinstance(model, str):
        raise FieldError("model", f"must be a string or null; got {type(model).__name__}")
    messages = messages_from_list(obj.get("messages"))
    meta_value = obj.get("meta", {})
    if not isinstance(meta_value, dict):
        raise FieldError("meta", f"must be an object; got {type(meta_value).__name__}")
    meta = dict(meta_value)
    meta.update({k: v for k, v in obj.items() if k not in _KNOWN_KEYS})
    return Conversation(conv_id, account_id, messages, model=model, meta=meta)


def conversation_to_dict(conv: Conversation) -> dict[str, Any]:
    """The JSON object form of a conversation (the inverse of :func:`conversation_from_dict`)."""
    out: dict[str, Any] = {"id": conv.id, "account_id": conv.account_id}
    if conv.model is not None:
        out["model"] = conv.model
    out["messages"] = [{"role": m.role, "content": m.content} for m in conv.messages]
    if conv.meta:
        out["meta"] = dict(conv.meta)
    return out


def iter_jsonl(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
) -> Iterator[Conversation]:
    """Yield the conversations of a JSONL file lazily.

    Args:
        path: The file.
        on_error: ``"raise"`` stops at the first bad line with an :class:`~harness.errors.InputError`;
            ``"skip"`` leaves bad lines out and records their errors in ``report``.
        report: Optional :class:`ReadReport` filled in while reading.

    Raises:
        ValueError: On an unknown ``on_error``.
        InputError: On a bad line (``on_error="raise"``), duplicate ids included, or an unreadable file.
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(_ON_ERROR)}; got {on_error!r}")
    path = Path(path)
    report = report if report is not None else ReadReport()
    report.path = str(path)
    seen: dict[str, int] = {}
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, f"cannot read conversations: {exc.strerror or exc}") from exc
    with handle:
        for lineno, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise FieldError(None, f"not valid JSON ({exc.msg} at column {exc.colno})") from exc
                conv = conversation_from_dict(obj)
                if conv.id in seen:
                    raise FieldError("id", f"duplicate id {conv.id!r} (first seen on line {seen[conv.id]})")
            except FieldError as exc:
                error = InputError(path, exc.message, line=lineno, field=exc.field)
                if on_error == "raise":
                    raise error from exc
                report.errors.append(error)
                report.skip("invalid")
                continue
            seen[conv.id] = lineno
            report.n_read += 1
            yield conv


def read_jsonl(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
) -> list[Conversation]:
    """Read every conversation of a JSONL file; see :func:`iter_jsonl` for the arguments."""
    return list(iter_jsonl(path, on_error=on_error, report=report))


def write_jsonl(conversations: Iterable[Conversation], path: str | os.PathLike[str]) -> int:
    """Write conversations as JSONL (UTF-8, one object per line); returns how many were written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for conv in conversations:
            handle.write(json.dumps(conversation_to_dict(conv), ensure_ascii=False) + "\n")
            n += 1
    return n
