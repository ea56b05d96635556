"""Conversations as JSON Lines: one conversation object per line.

Format (one JSON object per line; blank lines are ignored)::

    {"id": "c-1", "account_id": "a-7", "model": "claude-x",            # model is optional
     "messages": [{"role": "user", "content": "..."}, {"role": "assistant", "content": "..."}],
     "meta": {"any": "extra facts"}}                                     # optional

``id`` and ``account_id`` are non-empty strings (integers are accepted and turned into strings); roles are
``user``, ``assistant`` or ``system``; ``content`` is a string. Other top-level keys are kept in
``Conversation.meta``. Errors name the file, the 1-based line and the field (``messages[2].role``).

The file must be UTF-8, as JSON Lines requires. A UTF-8 byte-order mark (Windows editors write one) is skipped;
a UTF-16 or UTF-32 file, a line that is not UTF-8, or one holding NUL bytes is refused with the line and, where it
can be told, the encoding found. Line ends may be ``\n``, ``\r\n`` or ``\r``. A line nested deeper than Python's
parser can follow is refused rather than crashing it, and so is an object that names one key twice (a parser
would keep the last without a word). Lone surrogates in message text are replaced by U+FFFD (see
:mod:`harness.conversations._types`) and counted in :attr:`ReadReport.repaired`, with a warning; in an id they
are refused.
"""

from __future__ import annotations

import codecs
import json
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from harness.conversations._types import ROLES, Conversation, Message, has_lone_surrogate
from harness.errors import InputError, clip_text

__all__ = [
    "OnError",
    "ReadReport",
    "conversation_from_dict",
    "conversation_to_dict",
    "iter_jsonl",
    "read_jsonl",
    "write_jsonl",
]

log = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]
_ON_ERROR: tuple[str, ...] = get_args(OnError)
_KNOWN_KEYS = frozenset({"id", "account_id", "model", "messages", "meta"})
# Byte-order marks of the encodings a JSON Lines file must not be in; UTF-32 first, its LE mark starts like UTF-16's.
_FOREIGN_BOMS = ((codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"), (codecs.BOM_UTF16_LE, "UTF-16"),
                 (codecs.BOM_UTF16_BE, "UTF-16"))


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
        repaired: Messages whose lone surrogates were replaced by U+FFFD.
        first_repair: Where the first repair was (``"line 3, messages[1].content"``), for the warning.
    """

    path: str = ""
    n_read: int = 0
    n_skipped: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    errors: list[InputError] = field(default_factory=list)
    truncated: bool = False
    repaired: int = 0
    first_repair: str = ""

    def skip(self, reason: str) -> None:
        """Count one skipped record under ``reason``."""
        self.n_skipped += 1
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

    def repair(self, where: str) -> None:
        """Count one message whose lone surrogates were replaced."""
        self.repaired += 1
        self.first_repair = self.first_repair or where

    def warn_repairs(self) -> None:
        """Log one warning for every repair made while reading (nothing when there was none)."""
        if self.repaired:
            log.warning("%s: replaced lone surrogates (not valid Unicode) by U+FFFD in %d message(s), first at %s",
                        self.path, self.repaired, self.first_repair)


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
    if has_lone_surrogate(value):
        raise FieldError(key, f"holds a lone surrogate, which is not valid Unicode: {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """``repr`` of a value from the file, cut to a readable length (a field may be megabytes long)."""
    return clip_text(repr(value), 120)


def messages_from_list(value: Any, *, field: str = "messages", repaired: list[str] | None = None,
                       ) -> tuple[Message, ...]:
    """Parse ``[{role, content}, ...]`` into messages; raises :class:`FieldError` naming the bad element.

    Args:
        value: The JSON value of the field.
        field: Its name, for errors.
        repaired: When given, the field of every content whose lone surrogates get replaced is appended to it.
    """
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
        if not isinstance(role, str) or role not in ROLES:
            raise FieldError(f"{where}.role", f"must be one of {', '.join(ROLES)}; got {_shown(role)}")
        content = item.get("content")
        if not isinstance(content, str):
            raise FieldError(f"{where}.content", f"must be a string; got {type(content).__name__}")
        if repaired is not None and has_lone_surrogate(content):
            repaired.append(f"{where}.content")
        out.append(Message(role, content))
    return tuple(out)


def conversation_from_dict(obj: Any, *, repaired: list[str] | None = None) -> Conversation:
    """Build a :class:`Conversation` from its JSON object form.

    Args:
        obj: The parsed JSON object.
        repaired: When given, collects the fields whose lone surrogates were replaced (see the module docstring).

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
    if model is not None and has_lone_surrogate(model):
        raise FieldError("model", f"holds a lone surrogate, which is not valid Unicode: {_shown(model)}")
    messages = messages_from_list(obj.get("messages"), repaired=repaired)
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


def _raw_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, bytes)`` of every line, whichever of ``\n``, ``\r\n`` or ``\r`` ends it.

    Raises:
        InputError: The file cannot be opened or read, or starts with a UTF-16 or UTF-32 byte-order mark.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(path, f"cannot read conversations: {exc.strerror or exc}") from exc
    lineno = 0
    with handle:
        try:
            for chunk in handle:
                if lineno == 0:
                    for bom, name in _FOREIGN_BOMS:
                        if chunk.startswith(bom):
                            raise InputError(path, f"is {name} text (it starts with a {name} byte-order mark); "
                                             "JSON Lines must be UTF-8: convert it, e.g. with iconv -t UTF-8")
                    chunk = chunk.removeprefix(codecs.BOM_UTF8)
                for piece in chunk.splitlines() or [chunk]:
                    lineno += 1
                    yield lineno, piece
        except OSError as exc:  # e.g. a directory passed the open on some systems, or an I/O error mid-file
            raise InputError(path, f"cannot read conversations: {exc.strerror or exc}") from exc


def _decode_line(raw: bytes) -> str:
    """The text of one line; :class:`FieldError` when it is not UTF-8 or holds NUL bytes (UTF-16, binary)."""
    if b"\x00" in raw:
        raise FieldError(None, "holds NUL bytes: the file looks like UTF-16 or binary data, not UTF-8 JSON Lines")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FieldError(None, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} cannot be "
                         "decoded); save the file as UTF-8") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object's members; a key given twice is refused, since the parser would silently keep the last."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise FieldError(key, "appears twice in one object; keep one (a JSON reader would silently use the last)")
        obj[key] = value
    return obj


def _parse_line(text: str, repaired: list[str]) -> Conversation:
    """One conversation from the text of one line; :class:`FieldError` on anything wrong."""
    try:
        obj = json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise FieldError(None, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise FieldError(None, "not a conversation: JSON nested too deeply to read") from None
    return conversation_from_dict(obj, repaired=repaired)


def iter_jsonl(
    path: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    report: ReadReport | None = None,
) -> Iterator[Conversation]:
    """Yield the conversations of a JSONL file lazily.

    Args:
        path: The file (UTF-8; see the module docstring for what else is accepted).
        on_error: ``"raise"`` stops at the first bad line with an :class:`~harness.errors.InputError`;
            ``"skip"`` leaves bad lines out and records their errors in ``report``.
        report: Optional :class:`ReadReport` filled in while reading.

    Raises:
        ValueError: On an unknown ``on_error``.
        InputError: On a bad line (``on_error="raise"``), duplicate ids included, or an unreadable file or one
            in another encoding than UTF-8 (whatever ``on_error`` says).
    """
    if on_error not in _ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(_ON_ERROR)}; got {on_error!r}")
    path = Path(path)
    report = report if report is not None else ReadReport()
    report.path = str(path)
    seen: dict[str, int] = {}
    for lineno, raw in _raw_lines(path):
        if not raw.strip():
            continue
        repaired: list[str] = []
        try:
            conv = _parse_line(_decode_line(raw), repaired)
            if conv.id in seen:
                raise FieldError("id", f"duplicate id {_shown(conv.id)} (first seen on line {seen[conv.id]})")
        except FieldError as exc:
            error = InputError(path, exc.message, line=lineno, field=exc.field)
            if on_error == "raise":
                raise error from None
            report.errors.append(error)
            report.skip("invalid")
            continue
        for where in repaired:
            report.repair(f"line {lineno}, {where}")
        seen[conv.id] = lineno
        report.n_read += 1
        yield conv
    report.warn_repairs()


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
