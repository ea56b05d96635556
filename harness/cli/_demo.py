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
    from harness.classify import DEFAULT_BACKEND, facts_to_classifications, get_classifier
    from harness.cluster import reconstruct
    from harness.evaluate import default_goldset_path, load_goldset, metric_names, metric_spec, run_validation
    from harness.report import write_report
    from harness.run import RunDir
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    started = time.perf_counter()
    run = RunDir(args.out).create()
    out = run.path
    release = load_onet(release="29.3", data_dir=args.data_dir)
    hierarchy = build_work_activity_hierarchy(release)
    hierarchy.save(run.hierarchy_path)
    print(f"[1/5] O*NET {release.release}: {len(release.tasks):,} tasks → hierarchy {hierarchy.id} {hierarchy.sizes()}")

    goldset = default_goldset_path()
    print(f"[2/5] validating {DEFAULT_BACKEND} on {goldset.name} (first run embeds the hierarchy once)")
    classifier = get_classifier(DEFAULT_BACKEND, hierarchy, release=release)
    scores = run_validation([goldset], classifier, hierarchy, release, out)
    for name in (n for n in metric_names(hierarchy.levels) if metric_spec(n).headline):
        entry = scores.metrics[name]
        print(f"      {name:<34}{entry.value:6.3f}  (n={entry.n}, 95% CI {entry.ci_low:.3f}–{entry.ci_high:.3f})"
              if entry.ci_low is not None else f"      {name:<34}{entry.value:6.3f}  (n={entry.n})")

    items = load_goldset(goldset)
    conversations = [dataclasses.replace(item.conversation, id=item.id) for item in items]
    titles = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    result = reconstruct(conversations, classifier, hierarchy, sizes=(3, 10, 30), seed=0,
                         direct=facts_to_classifications(run.read_facts()), occupation_titles=titles)
    result.write(out)
    task_rows = result.table().query("level == 'task'")
    print("[3/5] reconstruction (cluster vs direct, task level): " + ", ".join(
        f"{row.aggregation} Pearson {row.pearson:.2f}" for row in task_rows.itertuples()))

    analysis = analyze_release("2025_02_10", data_dir=args.data_dir)
    write_analysis(analysis, run.analysis.path)
    print(f"[4/5] Economic Index 2025_02_10 analyses → {run.analysis.path}")

    files = write_report(out, args.report, title="Validation of the embedded default classifier")
    print(f"[5/5] report → {files.html}")
    print(f"demo finished in {time.perf_counter() - started:.0f} s")
    return 0
