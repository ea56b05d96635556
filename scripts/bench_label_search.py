"""Task search latency of the labelling workbench on O*NET 29.3: index build time, then p50/p95/max per query.

Run: ``HARNESS_DATA_DIR=... python scripts/bench_label_search.py [--repeat 20]``. Prints figures; asserts nothing.
The queries are the kind labellers type: a few words about the work, an occupation, a half-typed word, with and
without a major-group filter. Wall time is what a labeller waits; the thread's CPU time is also shown, because on
a shared machine the wall-time tail measures the other processes as much as the search.
"""

from __future__ import annotations

import argparse
import statistics
import time

from harness.label import TaskIndex
from harness.taxonomy import load_onet

QUERIES = [
    "debug python code", "write marketing copy", "nurse medication", "web developer", "sql database query",
    "prepare lesson plans", "teach", "tax return", "translate documents", "legal contract review", "design a logo",
    "financial forecast spreadsheet", "customer complaint email", "data analysis", "machine learning model",
    "recipe", "schedule meetings", "write a novel", "car repair", "s", "prog", "accountant", "social media posts",
    "interview questions for hiring", "research paper literature review",
]
FILTERED = [("write code", "15"), ("lesson", "25"), ("contract", "23"), ("budget", "11")]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="passes over the query list (default 20)")
    parser.add_argument("--release", default="29.3")
    args = parser.parse_args()

    started = time.perf_counter()
    release = load_onet(release=args.release)
    loaded = time.perf_counter()
    index = TaskIndex(release)
    built = time.perf_counter()
    print(f"O*NET {release.release}: {len(release.tasks):,} tasks; load {loaded - started:.2f} s, "
          f"index build {built - loaded:.2f} s")

    wall: list[float] = []
    cpu: list[float] = []
    searches = [(q, None) for q in QUERIES] + FILTERED
    for _ in range(args.repeat):
        for query, group in searches:
            w, c = time.perf_counter(), time.thread_time()
            index.search(query, major_group=group, limit=20)
            cpu.append((time.thread_time() - c) * 1000)
            wall.append((time.perf_counter() - w) * 1000)
    for name, values in (("wall", wall), ("CPU", cpu)):
        print(f"{len(values)} searches, {name} time: p50 {statistics.median(values):.1f} ms, "
              f"p95 {_percentile(values, 0.95):.1f} ms, max {max(values):.1f} ms (target: under 100 ms)")
    for query in ("debug python code", "web developer", "prepare lesson plans"):
        best = index.search(query, limit=1)
        print(f"  {query!r} -> {best[0].task_id} {best[0].occupation}: {best[0].statement[:70]}" if best else
              f"  {query!r} -> nothing")


if __name__ == "__main__":
    main()
