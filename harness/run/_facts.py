"""The facts table: one row per classified conversation, its schema, its writer and its readers.

``harness classify`` writes every column of :data:`FACT_SCHEMA`; other producers (synthetic tables, a run made
elsewhere) need only the :data:`FACT_COLUMNS` the roll-ups join on. The node columns are one per hierarchy level
(``node_<level>``), so they are described as a family rather than by name.

While a run is in progress its rows go to a partial JSONL file, one fsynced batch at a time; a later row for the
same conversation replaces an earlier one (a re-classified conversation is appended, not edited in place). The
finished table is written once, in input order, as Parquet and as JSONL.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import pandas as pd

from harness.errors import InputError, clip_text
from harness.run._schema import _FITS, Column, TableSchema
from harness.taxonomy import PATTERNS

__all__ = [
    "FACT_COLUMNS",
    "FACT_SCHEMA",
    "PartialAppender",
    "append_rows",
    "facts_frame",
    "read_facts_jsonl",
    "read_facts_parquet",
    "read_partial_rows",
    "stage_facts",
    "validate_facts",
    "write_facts",
]

log = logging.getLogger(__name__)

FACT_SCHEMA = TableSchema(
    name="facts",
    version=3,
    columns=(
        Column("seq", "int", required=False),
        Column("conversation_id", "string"),
        Column("account_id", "string"),
        Column("occupational", "bool"),
        Column("path", "list", required=False),
        Column("top_k", "list", required=False),
        Column("pattern", "string"),
        Column("skills", "list", required=False),
        Column("valid", "bool", required=False),
        Column("invalid_reason", "string", required=False),
        Column("input_tokens", "int", required=False),
        Column("output_tokens", "int", required=False),
        Column("cache_read_tokens", "int", required=False),
        Column("cache_write_tokens", "int", required=False),
        Column("cost_usd", "float", required=False),
        Column("latency_s", "float", required=False),
        Column("prompt_hashes", "string", required=False),
        Column("statement_key", "string"),
        Column("retryable", "bool", required=False),
        Column("content_sha256", "string", required=False),
        Column("confidence", "float", required=False),
        Column("confidence_score", "float", required=False),
        Column("abstained", "bool", required=False),
    ),
    families=(Column("node_", "string", required=False),),
)
"""Layout of ``facts.parquet``. ``prompt_hashes`` is JSON text; ``statement_key`` is the normalised task
statement the occupation roll-up joins on (null when the conversation reached no task).

Version 2 added two columns a resume relies on: ``content_sha256``, the hash of what the classifier read from the
conversation (a changed conversation under an old id is classified again), and ``retryable``, true for a row
left invalid because no usable answer came back (a re-run tries it again). Version-1 tables lack both and read as
before; being optional, neither is needed by other producers of fact tables.

Version 3 added per-prediction confidence: ``confidence`` (calibrated probability that the predicted SOC major
group is right, null when the backend has none), ``confidence_score`` (the backend's raw signal behind it) and
``abstained`` (true when the run's ``--min-confidence`` threshold set the prediction aside: the row stays, the
roll-ups leave it out of every share). The version is raised so that an older harness refuses these tables rather
than counting abstained rows in its shares."""

FACT_COLUMNS: tuple[str, ...] = FACT_SCHEMA.required
"""Columns every fact table needs (``skills`` may be absent; it is then treated as empty lists)."""


def facts_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Fact rows as a DataFrame with stable dtypes (lists stay lists, ``prompt_hashes`` becomes JSON text).

    An empty input still gives the named columns, so an empty run's table reads back like any other.
    """
    frame = pd.DataFrame(list(rows))
    if len(frame) == 0:
        return pd.DataFrame(columns=list(FACT_SCHEMA.names))
    if "prompt_hashes" in frame.columns:
        frame["prompt_hashes"] = frame["prompt_hashes"].map(
            lambda d: d if isinstance(d, str) else json.dumps(d or {}, sort_keys=True))
    frame["occupational"] = frame["occupational"].astype("boolean")
    if "cost_usd" in frame.columns:
        frame["cost_usd"] = frame["cost_usd"].astype("float64")
    return frame


def _first(mask: pd.Series) -> int:
    return int(np.argmax(mask.to_numpy()))


def validate_facts(facts: pd.DataFrame, *, source: str | Path = "<facts>") -> None:
    """Check the values the roll-ups rely on: the required columns, one row per conversation, an account on every
    row and known collaboration patterns.

    Raises:
        InputError: Naming ``source``, the row (1-based) and the field.
    """
    missing = [c for c in FACT_COLUMNS if c not in facts.columns]
    if missing:
        raise InputError(source, f"fact table lacks column(s) {missing}", field=missing[0])
    dup = facts["conversation_id"].duplicated()
    if dup.any():
        raise InputError(source, "conversation_id appears twice (one row per conversation expected)",
                         line=_first(dup) + 1, field="conversation_id")
    if facts["account_id"].isna().any():
        raise InputError(source, "account_id is empty", line=_first(facts["account_id"].isna()) + 1,
                         field="account_id")
    patterns = facts["pattern"].astype("object")
    bad = patterns.notna() & ~patterns.isin(PATTERNS)
    if bad.any():
        row = _first(bad)
        raise InputError(source, f"got {patterns.iloc[row]!r}, expected one of {PATTERNS} or null",
                         line=row + 1, field="pattern")


def write_facts(rows: Sequence[dict[str, Any]], parquet: Path, jsonl: Path) -> pd.DataFrame:
    """Write the finished facts table as Parquet and as JSONL (same rows, same order); returns the frame."""
    frame, staged = stage_facts(rows, parquet, jsonl)
    for tmp, final in staged:
        os.replace(tmp, final)
    return frame


def stage_facts(
    rows: Sequence[dict[str, Any]], parquet: Path, jsonl: Path
) -> tuple[pd.DataFrame, list[tuple[Path, Path]]]:
    """Check the finished facts table and write it under temporary names beside ``parquet`` and ``jsonl``.

    Nothing final is touched, so a caller can make these renames part of a larger commit (see
    :meth:`harness.run.RunDir.finish`).

    Returns:
        The table, and the ``(temporary, final)`` file pairs still to be renamed.
    """
    frame = facts_frame(rows)
    validate_facts(frame, source=parquet)
    staged_parquet = FACT_SCHEMA.stage_parquet(frame, parquet)
    tmp = jsonl.with_suffix(jsonl.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    return frame, [(staged_parquet, parquet), (tmp, jsonl)]


def read_facts_parquet(path: Path) -> pd.DataFrame:
    """Read and check a Parquet facts table (schema, version and values)."""
    frame = FACT_SCHEMA.read_parquet(path)
    validate_facts(frame, source=path)
    return frame


def read_facts_jsonl(path: Path, *, version: int = 1) -> pd.DataFrame:
    """Read and check a JSONL facts table; ``version`` is the layout recorded for it (in the run's manifest)."""
    if not path.is_file():
        raise InputError(path, "file not found; expected a facts table")
    FACT_SCHEMA.check_version(version, path)
    rows = []
    # bytes, so a line that is not UTF-8 is named by _json_row rather than failing the whole read
    for lineno, line in enumerate(path.read_bytes().splitlines(), start=1):
        if line.strip():
            row = _json_row(path, line, lineno)
            _check_row_kinds(path, row, lineno)
            rows.append(row)
    frame = facts_frame(rows)
    FACT_SCHEMA.check(frame, path)
    validate_facts(frame, source=path)
    return frame


def _check_row_kinds(path: Path, row: dict[str, Any], lineno: int) -> None:
    """Refuse a value of the wrong kind before :func:`facts_frame` converts the row: ``"false"`` would otherwise
    count as true, and ``"1.5"`` as a cost. The kinds are the schema's own (a flag may be true/false or 0/1)."""
    for name, value in row.items():
        column = FACT_SCHEMA.column(name)
        if column is None or value is None or (name == "prompt_hashes" and isinstance(value, dict)):
            continue  # prompt_hashes is written as an object and stored as JSON text
        if not _FITS[column.kind](value):
            raise InputError(path, f"expected {column.kind} or null, got {clip_text(repr(value), 80)} "
                             f"({type(value).__name__})", line=lineno, field=name)


def _json_row(path: Path, line: str | bytes, lineno: int) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"unreadable row ({exc.msg})", line=lineno) from None
    except UnicodeDecodeError:
        raise InputError(path, "unreadable row (not UTF-8 text)", line=lineno) from None
    except RecursionError:
        raise InputError(path, "unreadable row (JSON nested too deeply)", line=lineno) from None
    if not isinstance(row, dict) or "conversation_id" not in row:
        raise InputError(path, "expected a JSON object with a conversation_id", line=lineno, field="conversation_id")
    return row


def read_partial_rows(path: Path) -> dict[str, dict[str, Any]]:
    """Rows an earlier run already wrote, keyed by conversation id (the last row written for each).

    A run killed mid-write leaves a last line without its newline; that line is cut off the file here, so the
    conversation is classified again and appended cleanly.

    Raises:
        InputError: A complete line is not a fact row (the message suggests starting over).
    """
    if not path.exists():
        return {}
    raw = path.read_bytes()
    good_end = raw.rfind(b"\n") + 1
    if good_end < len(raw):
        log.warning("%s: dropping a half-written last line from an interrupted run", path)
        with path.open("r+b") as fh:
            fh.truncate(good_end)
    rows: dict[str, dict[str, Any]] = {}
    for lineno, line in enumerate(raw[:good_end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = _json_row(path, line, lineno)
        except InputError as exc:
            raise InputError(path, f"{exc.detail}; delete the file to start over", line=lineno) from None
        if not isinstance(row["conversation_id"], str):
            raise InputError(path, f"conversation_id must be a string, got {row['conversation_id']!r}; delete the "
                             "file to start over", line=lineno, field="conversation_id")
        rows[row["conversation_id"]] = row  # a later row for the same conversation replaces the earlier one
    return rows


class PartialAppender:
    """Appends fact rows to an open partial file; each :meth:`append` is durable when it returns."""

    def __init__(self, handle: TextIO):
        self._handle = handle

    def append(self, rows: Iterable[dict[str, Any]]) -> None:
        """Write ``rows`` (one JSON line each), then flush and fsync so a kill cannot lose them."""
        for row in rows:
            self._handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())


@contextmanager
def append_rows(path: Path) -> Iterator[PartialAppender]:
    """Open the partial file for durable, batch-by-batch appends."""
    with path.open("a", encoding="utf-8") as handle:
        yield PartialAppender(handle)
