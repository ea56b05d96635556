"""Time and peak memory of aggregating a synthetic fact table behind the privacy wall.

Usage: python scripts/bench_aggregate.py [--rows 1000000] [--data-dir DIR]
Uses the O*NET 20.1 task links of Economic Index release_2025_02_10 when available, else synthetic links.
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import pandas as pd

from harness.aggregate import aggregate_facts, synthetic_facts
from harness.errors import MissingDataError
from harness.taxonomy import load_economic_index


def _links(data_dir: str | None) -> tuple[pd.DataFrame, str]:
    try:
        return load_economic_index("2025_02_10", data_dir=data_dir).statements, "O*NET 20.1 (release_2025_02_10)"
    except MissingDataError:
        keys = [f"task {i}" for i in range(18000)]
        codes = [(f"{10 + i % 44:02d}-{i % 9000 + 1000:04d}.00",) for i in range(18000)]
        return pd.DataFrame({"statement_key": keys, "soc_codes": codes}), "synthetic (18,000 tasks)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    links, label = _links(args.data_dir)
    facts = synthetic_facts(args.rows, links, seed=0)
    print(f"fact table: {len(facts):,} rows, {facts.memory_usage(deep=True).sum() / 2**20:.0f} MiB; links: {label}")
    started = time.perf_counter()
    agg = aggregate_facts(facts, links)
    elapsed = time.perf_counter() - started
    # A second, traced run measures memory (tracing slows Python code, so it is not timed).
    tracemalloc.start()
    aggregate_facts(facts, links)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"aggregate_facts: {elapsed:.2f} s, peak memory allocated during the run {peak / 2**20:.0f} MiB, "
          f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"reported tasks {len(agg.tasks.table):,}, occupations {len(agg.occupations.table):,}, "
          f"released conversations {agg.released_conversations:,}, withheld {agg.withheld_conversations:,}")


if __name__ == "__main__":
    main()
