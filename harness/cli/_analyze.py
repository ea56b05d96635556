"""``harness analyze``: Economic Index analyses of a published release or of a fact table, behind the wall."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.cli._args import check_output_dir, fraction, onet_release, writing_to
from harness.errors import InputError, UsageError

if TYPE_CHECKING:
    from harness.aggregate import LedgeredRelease, ReleaseLedger


def register(subparsers: argparse._SubParsersAction) -> None:
    from harness.run import SPLIT_CHOICES

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
                        "published shares; its statement_key must be O*NET 20.1 statements of --release. A folder "
                        "of Parquet parts (or of finished run directories) is aggregated by DuckDB without loading "
                        "it into memory, to the same tables"),
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
    trust = parser.add_argument_group("how far to trust the shares (with --facts)")
    trust.add_argument("--calibrate", default=None, metavar="VALIDATION_RUN",
                       help="a `harness validate` run of the backend that classified --facts: give every released "
                       "major-group, occupation and pattern share a prediction-powered (PPI++) interval beside the "
                       "naive one (model labels alone) and the classical one (labelled items alone), Bonferroni-"
                       "corrected over the shares of each level (trust_*.csv)")
    trust.add_argument("--calibration-split", choices=SPLIT_CHOICES, default="test",
                       help="goldset items that calibrate (default test: the default backend was tuned on dev; "
                       "check holds later items nothing was tuned on; all uses every item)")
    trust.add_argument("--alpha", type=fraction, default=0.05,
                       help="joint error level of each level's intervals (default 0.05)")
    trust.add_argument("--plan-labels", action="store_true",
                       help="with --calibrate: how many more labelled items would bring each headline share's "
                       "PPI++ interval to --target-halfwidth (trust_label_budget.csv)")
    trust.add_argument("--target-halfwidth", type=fraction, default=0.02,
                       help="half-width the label budget aims at, as a fraction (default 0.02: +-2 points)")
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
    from harness.taxonomy import load_economic_index

    started = time.perf_counter()
    if args.onet_release and not args.facts:
        raise UsageError("--onet-release only applies with --facts (a published release brings its own links)")
    if (args.calibrate or args.plan_labels) and not args.facts:
        raise UsageError("--calibrate and --plan-labels apply to releases of your own runs (--facts)")
    if args.plan_labels and not args.calibrate:
        raise UsageError("--plan-labels needs --calibrate VALIDATION_RUN (the labelled items it plans from)")
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
        facts = _read_facts(args)
        if len(facts) == 0:
            raise InputError(args.facts, "the fact table has no rows: nothing to analyse")
        # a calibration run that cannot be used is refused before the ledger records a release
        calibration = _calibration(args, facts) if args.calibrate else None
        try:
            released = _ledger(args).release(facts, links, policy=policy, source=str(args.facts))
        finally:
            if not hasattr(facts, "columns"):  # Parquet parts: the DuckDB connection is done once released
                facts.close()
        analysis = analyze_aggregate(released.aggregate, links, name=str(args.facts), titles=titles,
                                     bls_employment=release.bls_employment, wages=release.wages)
        analysis = dataclasses.replace(analysis, summary={**analysis.summary, "release_ledger": released.summary()})
        if calibration is not None:
            analysis = _with_trust(args, analysis, facts, released, links, titles, calibration)
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


def _read_facts(args: argparse.Namespace) -> Any:
    """The fact table of ``--facts``: a DataFrame, or for a folder of Parquet parts (not a run directory) a
    :class:`harness.aggregate.ColumnarFacts` that DuckDB aggregates to the same tables.

    Raises:
        UsageError: ``--calibrate`` with Parquet parts (the intervals need the rows in memory).
    """
    from harness.run import RunDir, read_facts

    run = RunDir(args.facts)
    if run.path.is_dir() and not (run.manifest_path.exists() or run.partial_path.exists()):
        from harness.aggregate import ColumnarFacts

        if args.calibrate:
            raise UsageError("--calibrate needs one fact table in memory (a run directory or a Parquet file), not a "
                             "folder of Parquet parts")
        return ColumnarFacts(run.path)
    return read_facts(args.facts)


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


def _corpus_abstention(facts_path: str, facts: Any) -> tuple[float | None, str | None]:
    """The abstention threshold the facts were classified with and their backend (from their run's manifest).

    Raises:
        InputError: The facts hold abstained rows but no manifest says at which threshold.
    """
    from harness.run import RunDir

    path = Path(facts_path)
    run = RunDir(path if path.is_dir() else path.parent)
    manifest = run.read_manifest() if run.manifest_path.is_file() else {}
    threshold = (manifest.get("abstention") or {}).get("min_confidence")
    if threshold is None and "abstained" in facts.columns and facts["abstained"].fillna(False).astype(bool).any():
        raise InputError(path, "the facts hold abstained rows but no run manifest beside them says at which "
                         "confidence; --calibrate needs it to treat the labelled items alike", field="abstained")
    return threshold, manifest.get("backend")


def _calibration(args: argparse.Namespace, facts: Any) -> tuple[Any, float | None]:
    """The labelled set of ``--calibrate`` and the facts' abstention threshold.

    Raises:
        UsageError: The validation run validated another backend than the one that classified the facts.
        InputError: Not a usable validation run, or abstained facts without a recorded threshold.
    """
    from harness.aggregate import load_labelled_set

    threshold, backend = _corpus_abstention(args.facts, facts)
    labelled = load_labelled_set(args.calibrate, split=args.calibration_split, data_dir=args.data_dir)
    if backend is not None and labelled.backend != backend:
        raise UsageError(f"--calibrate {args.calibrate} validated {labelled.backend}, but the facts were classified "
                         f"by {backend}; the intervals need the same classifier on both")
    return labelled, threshold


def _with_trust(args: argparse.Namespace, analysis: Any, facts: Any, released: LedgeredRelease, links: Any,
                titles: Any, calibration: tuple[Any, float | None]) -> Any:
    """The analysis with the trust tables (``trust_*``) and a ``trust`` block in its summary."""
    from harness.aggregate import WalledTable, trust_report

    labelled, threshold = calibration
    report = trust_report(facts, released.aggregate, links, labelled, alpha=args.alpha, min_confidence=threshold,
                          target_halfwidth=args.target_halfwidth if args.plan_labels else None,
                          titles=titles if {"soc_code", "title"} <= set(getattr(titles, "columns", ())) else None)
    base = released.aggregate.tasks
    tables = dict(analysis.tables)
    for name, frame in report.tables.items():
        tables[name] = WalledTable(name, frame, base.policy, base.source, base.withheld_conversations,
                                   "Shares of released conversations with naive, classical and PPI++ intervals (%)."
                                   if name != "trust_label_budget" else
                                   "Labelled items needed for the PPI++ interval to reach the target half-width.")
    if args.plan_labels:
        _print_budget(report.tables["trust_label_budget"])
    return dataclasses.replace(analysis, tables=tables, summary={**analysis.summary, "trust": report.summary})


def _print_budget(budget: Any) -> None:
    import pandas as pd

    print("label budget (labelled items for a PPI++ half-width of the target):")
    for row in budget.to_dict("records"):
        if pd.isna(row["labels_needed"]):
            needed = "more than 10 million labels"
        else:
            items = "" if pd.isna(row["more_goldset_items"]) else f", about {int(row['more_goldset_items'])} more " \
                "goldset items"
            needed = f"{int(row['labels_needed'])} in the population ({int(row['more_labels'])} more{items})"
        print(f"  {row['level']:<12} {row['label']:<24} +-{row['target_halfwidth_pct']:.1f} points: {needed}")
