"""Shared machinery of the robustness suite: run one CLI probe in-process and judge how it failed.

A probe is one bad input given to one command. A clean failure is an exit code of 1 (bad input) or 2 (bad usage)
with exactly one message line on stderr that names what was wrong, and no traceback. Anything else is either a
traceback (an exception escaped ``main``) or a silent wrong result (exit 0 on input that should have been refused).
"""

from __future__ import annotations

import contextlib
import io
import traceback
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from harness.cli import main


@dataclass(frozen=True)
class Outcome:
    """What one in-process CLI call did."""

    rc: int | None
    stdout: str
    stderr: str
    traceback: str | None

    @property
    def message_lines(self) -> list[str]:
        """Non-empty stderr lines, progress bars and log noise excluded."""
        return [
            line for line in self.stderr.splitlines()
            if line.strip() and not line.startswith(("INFO ", "WARNING ", "DEBUG ")) and "it/s]" not in line
            and "%|" not in line
        ]


def run_cli(argv: Sequence[str]) -> Outcome:
    """Run ``harness ARGV`` in this process and capture everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    rc: int | None = None
    tb = None
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
        except BaseException:  # a traceback is exactly what the suite looks for
            tb = traceback.format_exc()
    return Outcome(rc=rc, stdout=out.getvalue(), stderr=err.getvalue(), traceback=tb)


def assert_clean_failure(outcome: Outcome, *, rc: int | None = None, mentions: Sequence[str] = ()) -> None:
    """Assert a probe failed cleanly: exit 1 or 2, one message line, no traceback, naming ``mentions``."""
    assert outcome.traceback is None, f"traceback escaped main:\n{outcome.traceback}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    expected = (1, 2) if rc is None else (rc,)
    assert outcome.rc in expected, f"exit {outcome.rc}, expected {expected}; stderr: {outcome.stderr!r}"
    lines = outcome.message_lines
    if outcome.rc == 2 and len(lines) > 1 and lines[0].startswith("usage:"):
        # argparse prints its usage before the one-line error; a long usage wraps onto indented lines
        lines = lines[1:]
        while len(lines) > 1 and lines[0].startswith(" "):
            lines = lines[1:]
    assert len(lines) == 1, f"expected one message line, got {lines!r}"
    assert len(lines[0]) <= 600, f"message too long ({len(lines[0])} chars)"
    for word in mentions:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


@pytest.fixture
def cli():
    """The in-process CLI runner."""
    return run_cli


@contextlib.contextmanager
def mounted_tmpfs(point, *options: str):
    """Mount a tmpfs with ``options`` (e.g. ``size=64k``, ``ro``) at ``point`` for the block; skips the test where
    this process may not mount one (only root can, and not in every sandbox)."""
    import subprocess

    point.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(point)],
                             capture_output=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], check=False)


@pytest.fixture
def read_only_dir(tmp_path):
    """A read-only file system (a tmpfs mounted ``ro``), or a skip where none can be mounted."""
    with mounted_tmpfs(tmp_path / "read-only", "size=64k", "ro") as point:
        yield point
