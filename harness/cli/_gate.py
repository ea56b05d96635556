"""``harness gate`` (CI regression gate) and ``harness compare`` (model-swap comparison)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._args import fraction, positive_float, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    gate = subparsers.add_parser(
        "gate",
        help="fail (exit 1) when a metric is worse than the baseline by more than its sampling noise",
    )
    gate.add_argument("--metrics", type=Path, required=True, help="metrics.json of the run to check")
    target = gate.add_mutually_exclusive_group(required=True)
    target.add_argument("--baseline", type=Path, help="baseline.json to compare against")
    target.add_argument("--write-baseline", type=Path, metavar="PATH",
                        help="instead of checking, record these metrics as the new baseline at PATH")
    gate.add_argument(
        "--z", type=positive_float, default=1.96, help="one-sided critical value of the margins (default 1.96)"
    )
    gate.set_defaults(func=_gate)

    compare = subparsers.add_parser(
        "compare", help="paired comparison of two runs over the same goldset items (model swap)"
    )
    compare.add_argument("baseline_dir", type=Path, help="run directory of the baseline (holds items.parquet)")
    compare.add_argument("candidate_dir", type=Path, help="run directory of the candidate (holds items.parquet)")
    compare.add_argument("--confidence", type=fraction, default=0.95, help="interval coverage (default 0.95)")
    compare.add_argument("--n-resamples", type=positive_int, default=2000, help="bootstrap resamples (default 2000)")
    compare.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    compare.add_argument("--fail-if-worse", action="store_true",
                         help="exit 1 when the verdict is 'worse' (a paired CI gate against a stored baseline run)")
    compare.set_defaults(func=_compare)


def _gate(args: argparse.Namespace) -> int:
    from harness.evaluate import format_gate_table, gate, read_baseline, read_metrics, write_baseline

    if args.write_baseline:
        path = write_baseline(args.write_baseline, read_metrics(args.metrics))
        print(f"baseline written to {path}")
        return 0
    result = gate(read_metrics(args.metrics), read_baseline(args.baseline), z=args.z)
    print(format_gate_table(result))
    return 0 if result.passed else 1


def _run_label(run_dir: Path) -> str:
    """A short description of a run from its metrics.json, if present (models and backend only)."""
    from harness.run import RunDir

    folder = RunDir(run_dir)
    if not folder.metrics_path.is_file():
        return str(run_dir)
    run = folder.read_metrics().run
    details = [f"{key}={run[key]}" for key in ("backend", "model", "models") if key in run]
    return f"{run_dir} ({', '.join(details)})" if details else str(run_dir)


def _compare(args: argparse.Namespace) -> int:
    from harness.errors import InputError
    from harness.evaluate import compare_runs, format_comparison
    from harness.run import RunDir, read_items

    baseline = read_items(args.baseline_dir)
    candidate = read_items(args.candidate_dir)
    try:
        comparison = compare_runs(
            baseline, candidate, confidence=args.confidence, n_resamples=args.n_resamples, seed=args.seed
        )
    except ValueError as exc:
        raise InputError(RunDir(args.candidate_dir).items_path, str(exc)) from exc
    print(f"baseline : {_run_label(args.baseline_dir)}")
    print(f"candidate: {_run_label(args.candidate_dir)}")
    print(f"items    : {comparison.n_items}")
    print()
    print(format_comparison(comparison))
    return 1 if args.fail_if_worse and comparison.verdict == "worse" else 0
