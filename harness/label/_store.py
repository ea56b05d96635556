"""Each rater's labels in a file of their own, rewritten atomically on every change.

Layout: a labels folder (by default ``<items file stem>.labels/`` beside the items file) holds one
``<rater>.labels.json`` per rater and a ``<rater>.lock`` that the server owning the rater holds while it runs.

Why one whole-file rewrite per change. A labeller's session is a few hundred items; the file stays under a few
megabytes, so writing it out in full (temporary file, ``fsync``, rename over the old one, ``fsync`` of the folder)
takes milliseconds and gives the simplest guarantee there is: at any instant the file on disk is either the state
before a change or the state after it, never half of each. Killing the server (even with SIGKILL) therefore loses
at most the change whose request had not yet been answered; a committed label, once acknowledged, is on disk.

Why one file per rater. Two raters never write the same file: the file name comes from the rater's name (checked
to be a plain token, compared case-insensitively so that two names cannot map onto one file on a case-insensitive
file system), the file records its rater and is refused under another name, and an exclusive ``flock`` on the
rater's lock file stops a second server for the same rater while the first runs (the kernel drops the lock when
a process dies, SIGKILL included, so a restart is never blocked by a stale lock).

File content (JSON)::

    {"schema": "harness.label-file/1", "rater": "alice",
     "records": {"<item id>": {"conversation_sha256": "...", "draft": {...}, "committed": {...} | null,
                               "resolves": ["bob", "carol"], "blind": true, "updated": "<ISO time>"}},
     "history": [{"item": "<item id>", "before": <record or null>}, ...]}

``draft`` holds the fields as the rater left them (possibly incomplete); ``committed`` is the last label the rater
committed, complete and checked as ``harness goldset check`` checks it. ``history`` keeps the states before the
most recent changes, for undo.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import re
import tempfile
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.errors import InputError

try:  # POSIX; elsewhere the per-rater lock is not enforced
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DRAFT_FIELDS",
    "LABEL_FILE_SCHEMA",
    "LabelStore",
    "RaterBusyError",
    "check_rater",
    "clean_draft",
    "rater_file",
    "read_label_file",
    "read_label_files",
]

LABEL_FILE_SCHEMA = "harness.label-file/1"
DRAFT_FIELDS = ("occupational", "tasks", "pattern", "confidence", "notes")
_SUFFIX = ".labels.json"
_RATER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_RESERVED = frozenset({"majority"})  # the name harness.evaluate gives a derived consensus label
_HISTORY_LIMIT = 2000
_MAX_NOTES = 4000


class RaterBusyError(InputError):
    """Another running server already owns this rater's label file."""


def check_rater(name: str) -> str:
    """``name`` when it can name a rater and a file: letters, digits, ``_.-``, starting alphanumeric, ≤ 64 chars.

    Raises:
        ValueError: Otherwise, or for the reserved name ``majority``.
    """
    if not isinstance(name, str) or not _RATER.fullmatch(name):
        raise ValueError(f"rater name {name!r} must be 1-64 letters, digits, '_', '.' or '-', starting with a "
                         "letter or digit")
    if name.lower() in _RESERVED:
        raise ValueError(f"rater name {name!r} is reserved for the derived majority label")
    return name


def rater_file(labels_dir: str | Path, rater: str) -> Path:
    """The label file of ``rater`` in ``labels_dir`` (the name is lower-cased: one file per rater on any disk)."""
    return Path(labels_dir) / f"{check_rater(rater).lower()}{_SUFFIX}"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # some platforms cannot open a folder; the rename itself is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, payload: Mapping[str, Any]) -> None:
    """Write JSON to ``path`` so that the file is always either the old or the new content, and durable."""
    data = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def read_label_file(path: str | Path) -> dict[str, Any]:
    """Read and check one rater's label file.

    Returns:
        The file's object: ``schema``, ``rater``, ``records`` (item id → record) and ``history``.

    Raises:
        InputError: When the file is not valid JSON or not a label file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(path, f"cannot read label file: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != LABEL_FILE_SCHEMA:
        raise InputError(path, f"not a label file (expected schema {LABEL_FILE_SCHEMA!r})", field="schema")
    if not isinstance(data.get("rater"), str) or not isinstance(data.get("records"), dict):
        raise InputError(path, "a label file needs a rater name and a records object")
    if not isinstance(data.get("history", []), list):
        raise InputError(path, "history must be a list", field="history")
    for item_id, record in data["records"].items():
        if not isinstance(record, dict) or not isinstance(record.get("draft", {}), dict):
            raise InputError(path, "each record must be an object with a draft object", field=f"records.{item_id}")
    data.setdefault("history", [])
    return data


def read_label_files(labels_dir: str | Path) -> dict[str, dict[str, Any]]:
    """Every rater's label file in ``labels_dir``: rater → item id → record (empty when the folder is missing)."""
    folder = Path(labels_dir)
    if not folder.is_dir():
        return {}
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob(f"*{_SUFFIX}")):
        data = read_label_file(path)
        out[data["rater"]] = data["records"]
    return out


def clean_draft(fields: Mapping[str, Any], where: str | Path = "<draft>") -> dict[str, Any]:
    """The draft fields of a label with their types checked (values are checked in full only on commit).

    Raises:
        InputError: On an unknown field or a value of the wrong type.
    """
    unknown = sorted(set(fields) - set(DRAFT_FIELDS))
    if unknown:
        raise InputError(where, f"unknown label fields {unknown}", field=unknown[0])
    occupational = fields.get("occupational")
    if occupational is not None and not isinstance(occupational, bool):
        raise InputError(where, "must be true, false or null", field="occupational")
    tasks = fields.get("tasks", [])
    if not isinstance(tasks, list) or not all(isinstance(t, int) and not isinstance(t, bool) for t in tasks):
        raise InputError(where, "must be a list of Task IDs", field="tasks")
    out: dict[str, Any] = {"occupational": occupational, "tasks": list(tasks)}
    for name in ("pattern", "confidence", "notes"):
        value = fields.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(where, "must be a string", field=name)
        out[name] = value
    if len(out["notes"]) > _MAX_NOTES:
        raise InputError(where, f"notes are limited to {_MAX_NOTES} characters", field="notes")
    return out


class LabelStore:
    """One rater's label file, owned by this process while it is open.

    Every method that changes a record rewrites the file atomically before returning. Methods are safe to call
    from several threads.

    Args:
        labels_dir: The labels folder (created when missing).
        rater: The rater's name (see :func:`check_rater`).

    Raises:
        ValueError: On a bad rater name.
        RaterBusyError: When another process holds the rater's lock.
        InputError: When the rater's file exists but is unreadable or belongs to another rater name.
    """

    def __init__(self, labels_dir: str | Path, rater: str):
        self.rater = check_rater(rater)
        self.labels_dir = Path(labels_dir)
        self.labels_dir.mkdir(parents=True, exist_ok=True)
        self.path = rater_file(self.labels_dir, rater)
        self._lock = threading.Lock()
        self._lock_handle = self._acquire()
        try:
            self._data = self._load()
        except BaseException:
            self.close()
            raise

    def _acquire(self) -> Any:
        handle = open(self.path.with_suffix("").with_suffix(".lock"), "a+")  # noqa: SIM115 - held while open
        if fcntl is None:
            return handle
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            raise RaterBusyError(self.path, f"rater {self.rater!r} is already being served by another process; "
                                 "stop it first (two servers must never write one rater's file)") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return handle

    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            data = {"schema": LABEL_FILE_SCHEMA, "rater": self.rater, "created": _now(), "records": {},
                    "history": []}
            _write_atomic(self.path, data)
            return data
        data = read_label_file(self.path)
        if data["rater"] != self.rater:
            raise InputError(self.path, f"belongs to rater {data['rater']!r}, not {self.rater!r}; rater names "
                             "that differ only in case share a file, so pick another name", field="rater")
        return data

    def close(self) -> None:
        """Release the rater's lock (the file itself is always up to date)."""
        handle, self._lock_handle = getattr(self, "_lock_handle", None), None
        if handle is not None:
            handle.close()

    def __enter__(self) -> LabelStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------------ reading

    def record(self, item_id: str) -> dict[str, Any] | None:
        """A copy of the record of ``item_id``, or None when the rater has not touched it."""
        with self._lock:
            record = self._data["records"].get(item_id)
            return copy.deepcopy(record) if record is not None else None

    def records(self) -> dict[str, dict[str, Any]]:
        """A copy of every record, by item id."""
        with self._lock:
            return copy.deepcopy(self._data["records"])

    def committed_ids(self) -> set[str]:
        """Ids of the items this rater has committed a label for."""
        with self._lock:
            return {k for k, r in self._data["records"].items() if r.get("committed")}

    def can_undo(self, item_id: str) -> bool:
        """Whether an earlier state of ``item_id`` is kept."""
        with self._lock:
            return any(entry.get("item") == item_id for entry in self._data["history"])

    # ------------------------------------------------------------------------------------------------ changes

    def _change(self, item_id: str, record: dict[str, Any] | None) -> None:
        """Record the previous state for undo, apply ``record``, write the file (caller holds the lock)."""
        records = self._data["records"]
        history = self._data["history"]
        history.append({"item": item_id, "before": copy.deepcopy(records.get(item_id))})
        del history[:-_HISTORY_LIMIT]
        if record is None:
            records.pop(item_id, None)
        else:
            records[item_id] = record
        _write_atomic(self.path, self._data)

    def save_draft(self, item_id: str, fields: Mapping[str, Any], *, conversation_sha256: str) -> dict[str, Any]:
        """Store the rater's current (possibly incomplete) fields for an item; returns the new record.

        Raises:
            InputError: On a field of the wrong type.
        """
        draft = clean_draft(fields, self.path)
        with self._lock:
            old = self._data["records"].get(item_id)
            if old is not None and old.get("draft") == draft:
                return copy.deepcopy(old)  # nothing changed: no write, no undo step
            record = {**copy.deepcopy(old or {}), "conversation_sha256": conversation_sha256, "draft": draft,
                      "updated": _now()}
            record.setdefault("committed", None)
            self._change(item_id, record)
            return copy.deepcopy(record)

    def commit(self, item_id: str, label: Mapping[str, Any], *, conversation_sha256: str,
               resolves: Sequence[str] = (), blind: bool = True) -> dict[str, Any]:
        """Store a complete, checked label as the rater's committed label of an item; returns the new record.

        Args:
            item_id: The item.
            label: The label in goldset form (``rater`` included), already checked by the caller.
            conversation_sha256: Fingerprint of the item's conversation, so labels never attach to another one.
            resolves: For an adjudicated label, the raters whose labels it settles.
            blind: Whether the rater had not seen model suggestions before committing.
        """
        committed = dict(label)
        draft = clean_draft({k: committed.get(k) for k in DRAFT_FIELDS}, self.path)
        with self._lock:
            old = self._data["records"].get(item_id) or {}
            record = {**copy.deepcopy(old), "conversation_sha256": conversation_sha256, "draft": draft,
                      "committed": committed, "blind": bool(blind) and bool(old.get("blind", True)),
                      "updated": _now()}
            if resolves:
                record["resolves"] = list(resolves)
            self._change(item_id, record)
            return copy.deepcopy(record)

    def mark_seen(self, item_id: str, *, conversation_sha256: str) -> None:
        """Note that suggestions were shown before the rater's first commit (the label is then not blind)."""
        with self._lock:
            old = self._data["records"].get(item_id)
            if old is not None and old.get("blind") is False:
                return
            record = {**copy.deepcopy(old or {}), "conversation_sha256": conversation_sha256, "blind": False}
            record.setdefault("draft", clean_draft({}))
            record.setdefault("committed", None)
            record.setdefault("updated", _now())
            self._data["records"][item_id] = record  # not an undoable change: the rater did not edit anything
            _write_atomic(self.path, self._data)

    def undo(self, item_id: str) -> dict[str, Any] | None:
        """Go back to the state of ``item_id`` before its most recent change.

        Returns:
            The restored record (None when the item had no record before).

        Raises:
            KeyError: When no earlier state of the item is kept.
        """
        with self._lock:
            history = self._data["history"]
            for position in range(len(history) - 1, -1, -1):
                if history[position].get("item") == item_id:
                    break
            else:
                raise KeyError(item_id)
            before = history.pop(position)["before"]
            records = self._data["records"]
            if before is None:
                records.pop(item_id, None)
            else:
                records[item_id] = before
            _write_atomic(self.path, self._data)
            return copy.deepcopy(before)
