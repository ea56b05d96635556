"""Errors shared by every stage.

Bad input must say *where* it went wrong: the file, the line (1-based, counting the header as line 1 for
tabular files) and the field, plus what was expected. ``InputError`` carries those pieces so callers and the CLI
can print one clear message instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HarnessError", "InputError", "MissingDataError"]


class HarnessError(Exception):
    """Base class of the errors the ``harness`` command reports without a traceback."""


class InputError(HarnessError, ValueError):
    """A file (or one row of it) does not have the content or layout that was expected.

    Args:
        path: The offending file.
        message: What was expected and what was found.
        line: 1-based line number in ``path`` where the problem is, when known.
        field: Column or JSON field name, when known.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None, field: str | None = None):
        self.path = Path(path)
        self.line = line
        self.field = field
        self.detail = message
        where = str(self.path)
        if line is not None:
            where += f", line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


class MissingDataError(HarnessError, FileNotFoundError):
    """A required data file or directory is absent; the message says how to obtain it."""
