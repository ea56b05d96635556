"""Benchmark: load an O*NET release and build the work-activity hierarchy; prints wall time and peak memory.

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_taxonomy.py [--repeat 3]``
"""

from __future__ import annotations

import argparse
import resource
import time

from harness.taxonomy import build_work_activity_hierarchy, load_onet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release", default="29.3")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for run in range(1, args.repeat + 1):
        started = time.perf_counter()
        release = load_onet(release=args.release)
        loaded = time.perf_counter()
        hierarchy = build_work_activity_hierarchy(release)
        built = time.perf_counter()
        print(
            f"run {run}: load {loaded - started:.2f} s + hierarchy {built - loaded:.2f} s = {built - started:.2f} s"
            f"  ({hierarchy.id}, {hierarchy.sizes()})"
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
