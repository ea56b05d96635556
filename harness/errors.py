"""Errors shared by every stage.

Bad input must say *where* it went wrong: the file, the line (1-based, counting the header as line 1 for
tabular files) and the field, plus what was expected. ``InputError`` carries those pieces so callers and the CLI
can print one clear message instead of a traceback. ``UsageError`` is the other kind of mistake: the command
line itself asks for something that does not exist (an unknown backend scheme, a flag that does not apply).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["HarnessError", "InputError", "MissingDataError", "UsageError", "clip_text"]

# Longest message text an InputError repeats: a 50 MB field value must not end up whole on stderr.
_MAX_DETAIL_CHARS = 400
_MAX_FIELD_CHARS = 200


def clip_text(text: str, limit: int = 200) -> str:
    """``text`` unchanged when it has at most ``limit`` characters, else its start and end around a note of the cut.

    Used wherever a message repeats a value that came from outside (a file's field, a server's reply, a model's
    answer): the start usually says what the value is and the end often holds the hint that follows it.

    Args:
        text: The text to shorten.
        limit: Characters kept in all (the note comes on top); at least 2.
    """
    if len(text) <= limit:
        return text
    head = max(1, limit * 2 // 3)
    tail = max(1, limit - head)
    return f"{text[:head]} … [{len(text) - head - tail} characters left out] … {text[-tail:]}"


class HarnessError(Exception):
    """Base class of the errors the ``harness`` command reports without a traceback."""


class InputError(HarnessError, ValueError):
    """A file (or one row of it) does not have the content or layout that was expected.

    Args:
        path: The offending file.
        message: What was expected and what was found (over 400 characters, its middle is cut out).
        line: 1-based line number in ``path`` where the problem is, when known.
        field: Column or JSON field name, when known.
    """

    def __init__(self, path: str | Path, message: str, *, line: int | None = None, field: str | None = None):
        message = clip_text(str(message), _MAX_DETAIL_CHARS)
        if field is not None:
            field = clip_text(str(field), _MAX_FIELD_CHARS)
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


class UsageError(HarnessError, ValueError):
    """The command line (or an API call) names something that does not exist or options that do not fit together.

    The ``harness`` command reports it on one line and exits with status 2, as argparse does for its own usage
    errors. It is a ``ValueError`` too, so library callers that caught the old ``ValueError`` keep working.
    """
