"""``harness demo``: the embedded default end to end, on the reference data and the shipped goldset.

Steps: load O*NET 29.3 and build the work-activity hierarchy; validate the offline embedding backend on the
shipped goldset (classify, score, metrics.json); reproduce the first Economic Index report's analyses; write the
validation report. Every step is cached or resumable, so a second run is fast.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the embedded default pipeline end to end")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="run directory (default runs/demo)")
    parser.add_argument("--report", type=Path, default=Path("reports/demo"), help="report directory")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from harness.aggregate import analyze_release, write_analysis
    from harness.classify import DEFAULT_BACKEND, get_classifier
    from harness.cli._classify import DEFAULT_GOLDSET
    from harness.evaluate import run_validation
    from harness.report import write_report
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    started = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    release = load_onet(release="29.3", data_dir=args.data_dir)
    hierarchy = build_work_activity_hierarchy(release)
    hierarchy.save(out / "hierarchy.json")
    print(f"[1/4] O*NET {release.release}: {len(release.tasks):,} tasks → hierarchy {hierarchy.id} {hierarchy.sizes()}")

    print(f"[2/4] validating {DEFAULT_BACKEND} on {DEFAULT_GOLDSET.name} (first run embeds the hierarchy once)")
    classifier = get_classifier(DEFAULT_BACKEND, hierarchy, release=release)
    scores = run_validation([DEFAULT_GOLDSET], classifier, hierarchy, release, out)
    for name in ("hierarchy.top.accuracy", "hierarchy.mid.accuracy", "hierarchy.base.accuracy",
                 "hierarchy.major_group.accuracy", "pattern.accuracy", "screening.accuracy"):
        entry = scores.metrics[name]
        print(f"      {name:<34}{entry.value:6.3f}  (n={entry.n}, 95% CI {entry.ci_low:.3f}–{entry.ci_high:.3f})"
              if entry.ci_low is not None else f"      {name:<34}{entry.value:6.3f}  (n={entry.n})")

    analysis = analyze_release("2025_02_10", data_dir=args.data_dir)
    write_analysis(analysis, out / "analysis")
    print(f"[3/4] Economic Index 2025_02_10 analyses → {out / 'analysis'}")

    files = write_report(out, args.report, title="Validation of the embedded default classifier")
    print(f"[4/4] report → {files.html}")
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return 0
