"""JSON files of a run: written whole through a rename, read back as one checked object."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from harness.errors import InputError

__all__ = ["read_json_object", "write_json_atomic"]


def write_json_atomic(path: str | Path, payload: Any) -> Path:
    """Write ``payload`` as JSON through a temporary file and a rename, so no reader ever sees half a file.

    Args:
        path: Destination file; its folder must exist.
        payload: Anything :func:`json.dumps` accepts; other objects are written as their ``str``.

    Returns:
        ``path``.
    """
    path = Path(path)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_json_object(path: str | Path) -> dict[str, Any]:
    """Read a JSON file whose top level must be an object.

    Raises:
        InputError: The file is missing, not UTF-8, not JSON, or holds something other than an object.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", line=exc.lineno) from exc
    except UnicodeDecodeError as exc:
        raise InputError(path, "not UTF-8 text") from exc
    if not isinstance(data, dict):
        raise InputError(path, "expected a JSON object at the top level")
    return data
