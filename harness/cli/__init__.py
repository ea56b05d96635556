"""The ``harness`` command.

The CLI is thin: each ``_<stage>.py`` module registers its subcommands and calls the stage's public API.
To add a command, write a module with ``register(subparsers)`` and list it in ``_COMMAND_MODULES``.
Errors the commands raise end as one line on stderr: :class:`~harness.errors.UsageError` (bad usage) with exit
status 2, any other :class:`~harness.errors.HarnessError` (bad input, missing data) with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from harness import __version__
from harness.errors import HarnessError, UsageError

__all__ = ["build_parser", "main"]

# Each module registers the subcommands of one stage; listed here so the CLI stays thin.
_COMMAND_MODULES: tuple[str, ...] = (
    "harness.cli._analyze",
    "harness.cli._data",
    "harness.cli._hierarchy",
    "harness.cli._classify",
    "harness.cli._demo",
    "harness.cli._gate",
    "harness.cli._goldset",
    "harness.cli._label",
    "harness.cli._report",
    "harness.cli._reconstruct",
    "harness.cli._drift",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="harness",
        description="Classify conversations against O*NET, aggregate them behind a privacy wall, "
        "and validate the classifier.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        default=None,
        help="reference data directory (default: $HARNESS_DATA_DIR, then the user data directory)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``harness`` console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        # the command line asked for something that does not exist: exit 2, like argparse's own usage errors
        print(f"harness: error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"harness: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("harness: interrupted; cached work is kept and a re-run resumes from it", file=sys.stderr)
        return 130
