"""``harness analyze``: Economic Index analyses of a published release or of a fact table, behind the wall."""

from __future__ import annotations

import argparse
import json
import time

from harness.errors import InputError


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
    parser.add_argument("--onet-release", default=None,
                        help="with --facts: take task→occupation links from this O*NET release (e.g. 29.3, the "
                        "release `harness classify` uses) instead of the Economic Index release's O*NET 20.1")
    parser.add_argument("--min-conversations", type=int, default=15,
                        help="privacy wall: conversations per reported cell (>= 15)")
    parser.add_argument("--min-accounts", type=int, default=5,
                        help="privacy wall: distinct accounts per reported cell (>= 5)")
    parser.add_argument("--out", required=True, help="output directory (tables/, figures/, summary.json)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.aggregate import (
        PrivacyPolicy,
        aggregate_facts,
        analyze_aggregate,
        analyze_release,
        write_analysis,
    )
    from harness.run import read_facts
    from harness.taxonomy import load_economic_index

    started = time.perf_counter()
    if args.facts:
        try:
            policy = PrivacyPolicy(args.min_conversations, args.min_accounts)
        except ValueError as exc:
            raise InputError("--min-conversations/--min-accounts", str(exc)) from None
        release = load_economic_index(args.release, data_dir=args.data_dir)
        links, titles = release.statements, release.occupations
        if args.onet_release:
            from harness.taxonomy import load_onet

            onet = load_onet(release=args.onet_release, data_dir=args.data_dir)
            links, titles = onet.statements, onet.occupations
        facts = read_facts(args.facts)
        aggregate = aggregate_facts(facts, links, policy=policy, source=str(args.facts))
        analysis = analyze_aggregate(aggregate, links, name=str(args.facts), titles=titles,
                                     bls_employment=release.bls_employment, wages=release.wages)
    else:
        analysis = analyze_release(args.release, data_dir=args.data_dir)
    out = write_analysis(analysis, args.out)
    print(json.dumps(analysis.summary, indent=2, default=str))
    print(f"wrote {len(analysis.tables)} tables and {len(analysis.figures)} figures to {out} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0
