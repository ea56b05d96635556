"""``harness gate`` (CI regression gate) and ``harness compare`` (model-swap comparison)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.cli._args import fraction, non_negative_int, positive_float, positive_int


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

    _register_compare(subparsers)


def _difference(text: str) -> float:
    value = float(text)
    if not -1.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must lie strictly between -1 and 1, got {text}")
    return value


def _register_compare(subparsers: argparse._SubParsersAction) -> None:
    from harness.evaluate import DEFAULT_MARGIN, DEFAULT_PRIMARY, paired_metric_names

    compare = subparsers.add_parser(
        "compare", help="model swap: non-inferiority of a primary metric over the same goldset items, Holm over "
        "the rest, and a verdict (or, with --plan, the goldset size a comparison needs)",
    )
    compare.add_argument("baseline_dir", type=Path, nargs="?",
                         help="baseline run directory (or its items.parquet, e.g. a stored baseline)")
    compare.add_argument("candidate_dir", type=Path, nargs="?", help="candidate run directory (or its items.parquet)")
    compare.add_argument("--primary", choices=paired_metric_names(), default=DEFAULT_PRIMARY, metavar="METRIC",
                         help=f"metric the swap is judged on (default {DEFAULT_PRIMARY}; one of "
                              f"{', '.join(paired_metric_names())})")
    compare.add_argument("--non-inferiority-margin", "--delta", dest="margin", type=fraction, default=DEFAULT_MARGIN,
                         metavar="DELTA", help=f"largest acceptable loss on the primary metric (default "
                                               f"{DEFAULT_MARGIN:g})")
    compare.add_argument("--alpha", type=fraction, default=0.05,
                         help="level of the tests: one-sided for non-inferiority, family-wise for the others "
                              "(default 0.05)")
    compare.add_argument("--confidence", type=fraction, default=0.95, help="interval coverage (default 0.95)")
    compare.add_argument("--n-resamples", type=positive_int, default=2000, help="bootstrap resamples (default 2000)")
    compare.add_argument("--seed", type=non_negative_int, default=0, help="bootstrap seed (default 0)")
    compare.add_argument("--no-clusters", action="store_true",
                         help="treat items as independent even when the tables carry account ids")
    compare.add_argument("--fail-if-worse", action="store_true", help="exit 1 when the verdict is 'worse'")
    compare.add_argument("--fail-unless-safe", action="store_true",
                         help="exit 1 unless the verdict is 'safe to swap' or 'better' (the paired CI gate)")
    plan = compare.add_argument_group("sample-size planning (--plan)")
    plan.add_argument("--plan", action="store_true",
                      help="print how many goldset items a non-inferiority comparison at --delta needs; the runs, "
                           "when given, supply the observed discordance")
    plan.add_argument("--power", type=fraction, default=0.8, help="target power (default 0.8)")
    plan.add_argument("--discordance", type=fraction, action="append", default=None,
                      help="share of items the two runs disagree on (repeatable; default: the runs' observed "
                           "discordance, else a range from 0.05 to 0.4)")
    plan.add_argument("--expected-difference", type=_difference, default=0.0,
                      help="true candidate-minus-baseline difference to plan for (default 0)")
    compare.set_defaults(func=_compare)


def _gate(args: argparse.Namespace) -> int:
    from harness.evaluate import check_baseline_matches, format_gate_table, gate, read_baseline_file
    from harness.run import read_metrics_file

    current = read_metrics_file(args.metrics)
    if args.write_baseline:
        return _write_baseline(args, current)
    baseline = read_baseline_file(args.baseline)
    check_baseline_matches(current, baseline, args.metrics, args.baseline)
    result = gate(dict(current.metrics), dict(baseline.metrics), z=args.z)
    print(format_gate_table(result))
    return 0 if result.passed else 1


def _write_baseline(args: argparse.Namespace, current) -> int:
    """``gate --write-baseline``: record a reviewed run's defined metrics, and what they were measured on."""
    import math

    from harness.errors import UsageError
    from harness.evaluate import baseline_run, write_baseline

    if args.write_baseline.resolve() == args.metrics.resolve():
        raise UsageError(f"--write-baseline {args.write_baseline} would overwrite the --metrics file it reads")
    path = write_baseline(args.write_baseline, current.metrics, run=baseline_run(current.run))
    print(f"baseline written to {path}")
    undefined = [name for name, entry in current.metrics.items() if math.isnan(entry.value)]
    if undefined:
        print(f"left out (undefined in this run): {', '.join(undefined)}")
    return 0


def _run_label(run_dir: Path) -> str:
    """A short description of a run from its metrics.json, if present (models and backend only)."""
    from harness.run import RunDir

    folder = RunDir(run_dir)
    if not folder.metrics_path.is_file():
        return str(run_dir)
    run = folder.read_metrics().run
    details = [f"{key}={run[key]}" for key in ("backend", "model", "models") if key in run]
    return f"{run_dir} ({', '.join(details)})" if details else str(run_dir)


def _items_path(path: Path) -> Path:
    from harness.run import RunDir

    return RunDir(path).items_path if path.is_dir() else path


def _check_comparable(baseline_dir: Path, candidate_dir: Path, baseline, candidate) -> None:
    """Refuse runs that cannot be paired: other items or gold labels, or other goldset files or splits recorded."""
    from harness.evaluate import check_same_goldsets
    from harness.run import RunDir, check_paired_items

    check_paired_items(baseline, candidate, _items_path(baseline_dir), _items_path(candidate_dir))
    folders = [RunDir(path if path.is_dir() else path.parent) for path in (baseline_dir, candidate_dir)]
    if all(folder.metrics_path.is_file() for folder in folders):
        runs = [folder.read_metrics().run for folder in folders]
        check_same_goldsets(runs[0], runs[1], folders[0].metrics_path, folders[1].metrics_path)


def _without_items(comparison, candidate_path: Path) -> list[str]:
    """The metrics no item could be compared on; refused outright when that is the metric the swap is judged on."""
    from harness.errors import InputError

    empty = [m.name for m in comparison.metrics if m.n == 0]
    primary = next((m.name for m in comparison.metrics if getattr(m, "role", None) == "primary"), None)
    if primary in empty or (empty and len(empty) == len(comparison.metrics)):
        raise InputError(candidate_path, f"no comparable items for {primary or 'any metric'}: no item has a value "
                         "in both runs (choose another --primary, or check the runs' per-item tables)")
    return empty


def _compare(args: argparse.Namespace) -> int:
    from harness.errors import InputError, UsageError
    from harness.evaluate import compare_runs, format_comparison
    from harness.run import RunDir, read_items

    if args.plan and args.baseline_dir is None:
        return _plan(args, None)
    if args.baseline_dir is None or args.candidate_dir is None:
        raise UsageError("compare needs BASELINE_RUN and CANDIDATE_RUN (or --plan alone)")
    baseline = read_items(args.baseline_dir)
    candidate = read_items(args.candidate_dir)
    _check_comparable(args.baseline_dir, args.candidate_dir, baseline, candidate)
    try:
        comparison = compare_runs(
            baseline, candidate, primary=args.primary, margin=args.margin, alpha=args.alpha,
            confidence=args.confidence, n_resamples=args.n_resamples, seed=args.seed,
            cluster_column=None if args.no_clusters else "account_id",
        )
    except ValueError as exc:
        where = args.candidate_dir if args.candidate_dir.suffix == ".parquet" else RunDir(args.candidate_dir).items_path
        raise InputError(where, str(exc)) from exc
    empty = _without_items(comparison, _items_path(args.candidate_dir))
    if args.plan:
        return _plan(args, comparison)
    print(f"baseline : {_run_label(args.baseline_dir)}")
    print(f"candidate: {_run_label(args.candidate_dir)}")
    print(f"items    : {comparison.n_items}")
    print()
    print(format_comparison(comparison))
    if empty:
        print(f"no comparable items (no item has a value in both runs), so not judged: {', '.join(empty)}")
    if args.fail_unless_safe and comparison.verdict not in ("safe to swap", "better"):
        return 1
    return 1 if args.fail_if_worse and comparison.verdict == "worse" else 0


def _plan(args: argparse.Namespace, comparison) -> int:
    """``compare --plan``: goldset items needed to show non-inferiority at the margin, per assumed discordance."""
    from harness.evaluate import format_sample_plan, plan_sample_size, scored_share_of_default_goldset

    discordances = tuple(args.discordance or ())
    effect, share, source = 1.0, None, "no runs given"
    if comparison is not None:
        primary = next(m for m in comparison.metrics if m.role == "primary")
        if not discordances and primary.discordance > 0:
            discordances = (primary.discordance,)
        effect, share = primary.design_effect, primary.n / comparison.n_items
        source = f"observed in the runs: {primary.n} of {comparison.n_items} items scored"
    if share is None:
        share, source = scored_share_of_default_goldset(args.primary)
    if not discordances:
        discordances = (0.05, 0.10, 0.15, 0.20, 0.30, 0.40)
    discordances = tuple(d for d in discordances if d >= abs(args.expected_difference))
    if not discordances:
        from harness.errors import UsageError

        raise UsageError("--expected-difference cannot exceed every --discordance (a difference needs that many "
                         "discordant items)")
    rows = plan_sample_size(args.margin, discordances, difference=args.expected_difference, alpha=args.alpha,
                            power=args.power, design_effect=effect, scored_share=share)
    print(format_sample_plan(rows, metric=args.primary, share_source=source))
    return 0
