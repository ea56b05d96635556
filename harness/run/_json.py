"""JSON files of a run: written whole through a rename, read back as one checked object."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.errors import InputError

__all__ = ["parse_json", "read_json_object", "stage_json", "write_json_atomic"]


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as JSON through a temporary file and a rename, so no reader ever sees half a file.

    Args:
        path: Destination file; its folder must exist.
        payload: Anything :func:`json.dumps` accepts; other objects are written as their ``str``.

    Returns:
        ``path``.
    """
    path = Path(path)
    os.replace(stage_json(path, payload), path)
    return path


def stage_json(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as :func:`write_json_atomic` would, but under a temporary name beside ``path``.

    Returns:
        The temporary file (``path`` + ``.tmp``); renaming it onto ``path`` is left to the caller.
    """
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    return tmp


class _DuplicateKey(ValueError):
    """A JSON object names one key twice (raised from inside the decoder, turned into an InputError outside)."""

    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKey(key)
        obj[key] = value
    return obj


def parse_json(text: str, path: str | Path, *, line: int | None = None) -> Any:
    """Parse JSON text strictly: a key repeated within one object and absurdly deep nesting are errors.

    The standard decoder keeps the last of two equal keys without a word, so a file edited by hand (or merged)
    could carry a value nobody sees; and it recurses once per nesting level, so a document nested a hundred
    thousand deep exhausts the stack. Both are refused here, as is anything that is not JSON.

    Args:
        text: The JSON text.
        path: The file it came from (named in errors).
        line: The line ``text`` sits on, for files holding one document per line; otherwise the decoder's line
            is reported.

    Raises:
        InputError: Naming ``path``, the line, and for a repeated key the key.
    """
    try:
        return json.loads(text, object_pairs_hook=_object_without_duplicates)
    except json.JSONDecodeError as exc:
        where = exc.lineno if line is None else line
        detail = exc.msg if line is None else f"{exc.msg} at column {exc.colno}"
        raise InputError(path, f"not valid JSON: {detail}", line=where) from None
    except _DuplicateKey as exc:
        raise InputError(path, f"key {exc.key!r} appears twice in one object; keep one (a JSON reader would "
                         "silently use the last)", line=line, field=exc.key) from None
    except RecursionError:
        raise InputError(path, "JSON nested too deep to be a real document", line=line) from None


def read_json_object(path: str | Path) -> dict[str, Any]:
    """Read a JSON file whose top level must be an object (checked as by :func:`parse_json`).

    A UTF-8 byte-order mark at the start is allowed (some editors write one).

    Raises:
        InputError: The file is missing, a directory, unreadable, not UTF-8, not JSON, repeats a key, or holds
            something other than an object.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a directory; expected a JSON file")
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(path, "not UTF-8 text") from None
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    data = parse_json(text, path)
    if not isinstance(data, dict):
        raise InputError(path, f"expected a JSON object at the top level, found {type(data).__name__}")
    return data
