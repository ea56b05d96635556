"""``harness drift RUN_A RUN_B``: what changed share between two runs, releases or waves, behind both walls."""

from __future__ import annotations

import argparse
import json
import time

from harness.cli._args import fraction
from harness.errors import InputError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="change in share per task, occupation, major group and pattern between two runs, with an FDR list",
        description="Compare two runs: per task, occupation, SOC major group and collaboration pattern, the change "
        "in share (B minus A, percentage points) with a confidence interval, and the cells whose change survives "
        "Benjamini-Hochberg false-discovery-rate control. Only cells released by both runs' privacy walls are "
        "compared. A run is a run directory or facts file of `harness classify`, release:NAME[:vN] (e.g. "
        "release:2025_03_27:v2) or wave:vN[:consumer|api] (e.g. wave:v5:api).",
    )
    parser.add_argument("run_a", metavar="RUN_A", help="the earlier (reference) run")
    parser.add_argument("run_b", metavar="RUN_B", help="the later (candidate) run")
    parser.add_argument("--out", required=True, help="output directory (tables/, figures/, summary.json)")
    parser.add_argument("--alpha", type=fraction, default=0.05, help="false-discovery rate (default 0.05)")
    parser.add_argument("--confidence", type=fraction, default=0.95, help="interval coverage (default 0.95)")
    parser.add_argument("--onet-release", default=None,
                        help="for facts runs: task→occupation links from this O*NET release (default: the one "
                        "the run's manifest records for its hierarchy, else the Economic Index's O*NET 20.1)")
    parser.add_argument("--min-conversations", type=int, default=15,
                        help="privacy wall of facts runs: conversations per reported cell (>= 15)")
    parser.add_argument("--min-accounts", type=int, default=5,
                        help="privacy wall of facts runs: distinct accounts per reported cell (>= 5)")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from harness.aggregate import PrivacyPolicy, resolve_run, run_analyses, write_analysis

    started = time.perf_counter()
    try:
        policy = PrivacyPolicy(args.min_conversations, args.min_accounts)
    except ValueError as exc:
        raise InputError("--min-conversations/--min-accounts", str(exc)) from None
    runs = tuple(resolve_run(spec, data_dir=args.data_dir, onet_release=args.onet_release, policy=policy)
                 for spec in (args.run_a, args.run_b))
    analysis = run_analyses("pair", runs, name="drift", alpha=args.alpha, confidence=args.confidence)
    out = write_analysis(analysis, args.out)
    block = analysis.summary["drift"]
    print(json.dumps({k: v for k, v in block.items() if k != "major_groups"}, indent=2, default=str))
    movers = analysis.tables["drift_movers"].table
    print(f"{len(movers)} significant movers (FDR {args.alpha:g}); wrote {len(analysis.tables)} tables and "
          f"{len(analysis.figures)} figures to {out} in {time.perf_counter() - started:.1f} s")
    return 0
