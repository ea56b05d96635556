"""``harness report``: the validation appendix of a run directory."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._args import check_output_dir, fraction, positive_int, writing_to


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write the validation report of a run (HTML, Markdown, figures, CSV tables)",
        description="Write report.html (self-contained), report.md, figures/*.png and tables/*.csv for a run "
        "directory. Sections the run has no data for say so.",
    )
    parser.add_argument("run_dir", type=Path, help="run directory (manifest.json, metrics.json, items.parquet, ...)")
    parser.add_argument(
        "--compare", type=Path, default=None, metavar="BASELINE_RUN",
        help="baseline run over the same goldset items; adds the model-swap section (RUN_DIR is the candidate)",
    )
    parser.add_argument(
        "--frontier", type=Path, nargs="+", default=(), metavar="RUN",
        help="runs of further configurations (e.g. other backends or settings validated on the same goldset); adds "
             "the cost-accuracy frontier of every run given, this one and --compare included",
    )
    parser.add_argument("--out", type=Path, default=None, help="report folder (default reports/<run name>)")
    parser.add_argument("--title", default=None, help="document title")
    parser.add_argument("--confidence", type=fraction, default=0.95, help="model-swap interval coverage")
    parser.add_argument("--n-resamples", type=positive_int, default=2000, help="model-swap bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="model-swap bootstrap seed")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from harness.report import write_report

    out = args.out if args.out is not None else Path("reports") / args.run_dir.resolve().name
    check_output_dir(out)
    with writing_to(out):
        files = write_report(
            args.run_dir, out, compare=args.compare, title=args.title, n_resamples=args.n_resamples, seed=args.seed,
            confidence=args.confidence, frontier=args.frontier,
        )
    present = [s.title for s in files.report.sections if s.present]
    absent = [s.title for s in files.report.sections if not s.present]
    print(f"report: {files.html}")
    print(f"        {files.markdown} ({len(files.figures)} figures, {len(files.tables)} tables)")
    print(f"sections: {', '.join(present)}")
    if absent:
        print(f"not in this run: {', '.join(absent)}")
    return 0
