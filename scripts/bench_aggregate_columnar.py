"""Time and peak memory of aggregating a partitioned Parquet fact table with DuckDB (harness.aggregate.ColumnarFacts).

Writes ``--rows`` synthetic fact rows (:func:`harness.aggregate.synthetic_facts`, one seed per part, accounts shared
across parts) as ``--parts`` Parquet files, then aggregates them behind the privacy wall in this process and prints
the seconds and the process's peak RSS (the rows are generated in a child process, so the peak is the aggregation's).
``--ledger`` also times what a release through the ledger adds (population hashes, seen cells).

Usage: python scripts/bench_aggregate_columnar.py [--rows 10000000] [--parts 10] [--dir DIR] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd

from harness.aggregate import ColumnarFacts, synthetic_facts
from harness.errors import MissingDataError
from harness.taxonomy import load_economic_index


def _links(data_dir: str | None) -> tuple[pd.DataFrame, str]:
    try:
        return load_economic_index("2025_02_10", data_dir=data_dir).statements, "O*NET 20.1 (release_2025_02_10)"
    except MissingDataError:
        keys = [f"task {i}" for i in range(18000)]
        codes = [(f"{10 + i % 44:02d}-{i % 9000 + 1000:04d}.00",) for i in range(18000)]
        return pd.DataFrame({"statement_key": keys, "soc_codes": codes}), "synthetic (18,000 tasks)"


def _write_part(path: Path, rows: int, offset: int, n_accounts: int, links: pd.DataFrame, seed: int) -> int:
    """One part: ``rows`` synthetic facts with ids offset to be unique across parts."""
    facts = synthetic_facts(rows, links, n_accounts=n_accounts, seed=seed)
    facts["conversation_id"] = [f"conv-{offset + i}" for i in range(rows)]
    facts.to_parquet(path, index=False)
    return rows


def _generate(folder: Path, rows: int, parts: int, links: pd.DataFrame) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    per = -(-rows // parts)
    context = multiprocessing.get_context("spawn")  # the parent never holds the rows, so its peak RSS is clean
    sizes = [min(per, rows - k * per) for k in range(parts) if rows - k * per > 0]
    for k in range(len(sizes)):
        (folder / f"part={k:03d}").mkdir(exist_ok=True)
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        jobs = [pool.submit(_write_part, folder / f"part={k:03d}" / "facts.parquet", size, k * per,
                            max(rows // 20, 1), links, k) for k, size in enumerate(sizes)]
        written = sum(job.result() for job in jobs)
    print(f"wrote {written:,} rows in {len(jobs)} parts to {folder}")


def _cpu() -> float:
    """CPU seconds of this process so far (DuckDB's threads included): on a shared machine a steadier measure of
    the work than the wall clock."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--parts", type=int, default=10)
    parser.add_argument("--dir", type=Path, default=None, help="where the parts go (reused when it holds them)")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--memory-limit", default="2GB", help="DuckDB memory limit (default 2GB)")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB threads (default: one per core)")
    parser.add_argument("--ledger", action="store_true", help="also time the release ledger's extra work")
    args = parser.parse_args()
    links, label = _links(args.data_dir)
    folder = args.dir or Path(tempfile.mkdtemp(prefix="harness-bench-facts-"))
    if not any(folder.rglob("*.parquet")):
        _generate(folder, args.rows, args.parts, links)
    size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
    print(f"links: {label}; parts: {size / 2**20:.0f} MiB of Parquet")
    started, cpu_started = time.perf_counter(), _cpu()
    with ColumnarFacts(folder, memory_limit=args.memory_limit, threads=args.threads) as facts:
        facts.validate()
        loaded = time.perf_counter()
        agg = facts.aggregate(links)
        done = time.perf_counter()
        print(f"ColumnarFacts: {len(facts):,} rows; checked and loaded in {loaded - started:.1f} s, aggregated in "
              f"{done - loaded:.1f} s; total {done - started:.1f} s ({_cpu() - cpu_started:.1f} CPU-s); "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; {_load()}")
        print(f"reported tasks {len(agg.tasks.table):,}, occupations {len(agg.occupations.table):,}, "
              f"released conversations {agg.released_conversations:,}, withheld {agg.withheld_conversations:,}")
        if args.ledger:
            cpu_done = _cpu()
            population = facts.population_hashes()
            hashed = time.perf_counter()
            facts.release_cells(agg)
            print(f"ledger extras: population hashes {hashed - done:.1f} s ({len(population):,}; "
                  f"{_cpu() - cpu_done:.1f} CPU-s for both), seen cells "
                  f"{time.perf_counter() - hashed:.1f} s; peak RSS "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    if args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
