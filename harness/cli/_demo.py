"""``harness demo``: the embedded default end to end, on the reference data and the shipped goldset.

Steps: load O*NET 29.3 and build the work-activity hierarchy; validate the offline embedding backend on the
shipped goldset (classify, score, metrics.json); compare Clio-style cluster assignment with direct classification
on the same conversations; reproduce the first Economic Index report's analyses; write the validation report.
Every step is cached or resumable, so a second run is fast.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the embedded default pipeline end to end")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="run directory (default runs/demo)")
    parser.add_argument("--report", type=Path, default=Path("reports/demo"), help="report directory")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from harness.aggregate import analyze_release, write_analysis
    from harness.classify import DEFAULT_BACKEND, get_classifier, read_facts
    from harness.cli._classify import DEFAULT_GOLDSET
    from harness.cluster import reconstruct
    from harness.evaluate import load_goldset, run_validation
    from harness.report import write_report
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    started = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    release = load_onet(release="29.3", data_dir=args.data_dir)
    hierarchy = build_work_activity_hierarchy(release)
    hierarchy.save(out / "hierarchy.json")
    print(f"[1/5] O*NET {release.release}: {len(release.tasks):,} tasks → hierarchy {hierarchy.id} {hierarchy.sizes()}")

    print(f"[2/5] validating {DEFAULT_BACKEND} on {DEFAULT_GOLDSET.name} (first run embeds the hierarchy once)")
    classifier = get_classifier(DEFAULT_BACKEND, hierarchy, release=release)
    scores = run_validation([DEFAULT_GOLDSET], classifier, hierarchy, release, out)
    for name in ("hierarchy.top.accuracy", "hierarchy.mid.accuracy", "hierarchy.base.accuracy",
                 "hierarchy.major_group.accuracy", "pattern.accuracy", "screening.accuracy"):
        entry = scores.metrics[name]
        print(f"      {name:<34}{entry.value:6.3f}  (n={entry.n}, 95% CI {entry.ci_low:.3f}–{entry.ci_high:.3f})"
              if entry.ci_low is not None else f"      {name:<34}{entry.value:6.3f}  (n={entry.n})")

    items = load_goldset(DEFAULT_GOLDSET)
    conversations = [dataclasses.replace(item.conversation, id=item.id) for item in items]
    titles = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    result = reconstruct(conversations, classifier, hierarchy, sizes=(3, 10, 30), seed=0,
                         direct=read_facts(out / "facts.parquet"), occupation_titles=titles)
    result.write(out)
    task_rows = result.table().query("level == 'task'")
    print("[3/5] reconstruction (cluster vs direct, task level): " + ", ".join(
        f"{row.aggregation} Pearson {row.pearson:.2f}" for row in task_rows.itertuples()))

    analysis = analyze_release("2025_02_10", data_dir=args.data_dir)
    write_analysis(analysis, out / "analysis")
    print(f"[4/5] Economic Index 2025_02_10 analyses → {out / 'analysis'}")

    files = write_report(out, args.report, title="Validation of the embedded default classifier")
    print(f"[5/5] report → {files.html}")
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return 0
