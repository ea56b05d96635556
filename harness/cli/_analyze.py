"""``harness analyze``: Economic Index analyses of a published release or of a fact table, behind the wall."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from harness.cli._args import check_output_dir, onet_release, writing_to
from harness.errors import InputError, UsageError

if TYPE_CHECKING:
    from harness.aggregate import LedgeredRelease, ReleaseLedger


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="write the Economic Index tables and figures for a release or a fact table",
        description="Reproduce the Economic Index analyses from a published release (--release), or aggregate "
        "a fact table behind the privacy wall (--facts, with the release's O*NET 20.1 task links).",
    )
    parser.add_argument("--release", choices=["2025_02_10", "2025_03_27"], default="2025_02_10",
                        help="Economic Index release to analyse (default 2025_02_10)")
    parser.add_argument("--facts", default=None,
                        help="fact table (Parquet, one row per conversation) to aggregate instead of the release's "
                        "published shares; its statement_key must be O*NET 20.1 statements of --release")
    parser.add_argument("--onet-release", type=onet_release, default=None,
                        help="with --facts: take task→occupation links from this O*NET release (e.g. 29.3, the "
                        "release `harness classify` uses) instead of the Economic Index release's O*NET 20.1")
    parser.add_argument("--min-conversations", type=int, default=15,
                        help="privacy wall: conversations per reported cell (>= 15)")
    parser.add_argument("--min-accounts", type=int, default=5,
                        help="privacy wall: distinct accounts per reported cell (>= 5)")
    parser.add_argument("--ledger", default=None, metavar="FILE",
                        help="with --facts: the release ledger, a private file that records every release of your "
                        "runs so that two releases of overlapping populations cannot be differenced to recover a "
                        "withheld cell: cells an earlier overlapping release withheld stay withheld, and a release "
                        "that would withhold a cell an earlier one reported is refused (exit 1). Default: "
                        "harness-release-ledger.json in the parent folder of the run directory (next to a loose "
                        "facts file). Keep it; never publish it. Not used for --release")
    # the later releases (waves v1..v5, long format): the analyses of harness.aggregate's registry, see cli/_waves.py
    from harness.cli._waves import add_wave_arguments

    add_wave_arguments(parser)
    parser.add_argument("--out", required=True, help="output directory (tables/, figures/, summary.json)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.waves or args.aei_release or args.wave or args.platform:
        from harness.cli._waves import run_waves

        return run_waves(args)
    from harness.aggregate import (
        PrivacyPolicy,
        analyze_aggregate,
        analyze_release,
        write_analysis,
    )
    from harness.run import read_facts
    from harness.taxonomy import load_economic_index

    started = time.perf_counter()
    if args.onet_release and not args.facts:
        raise UsageError("--onet-release only applies with --facts (a published release brings its own links)")
    check_output_dir(args.out)  # before anything is read, recorded or written
    if args.facts:
        try:
            policy = PrivacyPolicy(args.min_conversations, args.min_accounts)
        except ValueError as exc:
            raise UsageError(f"--min-conversations/--min-accounts: {exc}") from None
        release = load_economic_index(args.release, data_dir=args.data_dir)
        links, titles = release.statements, release.occupations
        if args.onet_release:
            from harness.taxonomy import load_onet

            onet = load_onet(release=args.onet_release, data_dir=args.data_dir)
            links, titles = onet.statements, onet.occupations
        facts = read_facts(args.facts)
        if len(facts) == 0:
            raise InputError(args.facts, "the fact table has no rows: nothing to analyse")
        released = _ledger(args).release(facts, links, policy=policy, source=str(args.facts))
        analysis = analyze_aggregate(released.aggregate, links, name=str(args.facts), titles=titles,
                                     bls_employment=release.bls_employment, wages=release.wages)
        analysis = dataclasses.replace(analysis, summary={**analysis.summary, "release_ledger": released.summary()})
    else:
        if args.ledger:
            raise UsageError("--ledger applies to releases of your own runs (--facts), not to --release")
        released = None
        analysis = analyze_release(args.release, data_dir=args.data_dir)
    with writing_to(args.out):
        out = write_analysis(analysis, args.out)
    if released is not None:  # after the outputs are written, so a failure stays the only line on stderr
        _report_ledger(released)
    print(json.dumps(analysis.summary, indent=2, default=str))
    print(f"wrote {len(analysis.tables)} tables and {len(analysis.figures)} figures to {out} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _ledger(args: argparse.Namespace) -> ReleaseLedger:
    """The release ledger of ``--ledger`` (or the default one), refused when it would land in the published output."""
    from harness.aggregate import ReleaseLedger, default_ledger_path

    path = Path(args.ledger) if args.ledger else default_ledger_path(args.facts)
    if path.resolve().is_relative_to(Path(args.out).resolve()):
        raise UsageError(f"the release ledger {path} would be inside --out {args.out}, which is meant to be "
                         "published; keep the ledger elsewhere (--ledger FILE)")
    return ReleaseLedger(path)


def _report_ledger(released: LedgeredRelease) -> None:
    """Tell the user (not the published summary) what the ledger did."""
    note = f"release ledger {released.ledger}: release {released.entry.release_id}"
    if released.related:
        note += f", overlapping earlier release(s) {', '.join(released.related)}"
    if released.carried_over:
        note += f"; {len(released.carried_over)} cell(s) that pass the wall stay withheld because an earlier " \
                "release withheld them"
    print(note if released.recorded else note + " (already recorded)", file=sys.stderr)
