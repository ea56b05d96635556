"""Benchmark: throughput of the offline embedding backend on real ShareGPT conversations.

Prints the one-off cost of embedding the hierarchy (``--cold``: into an empty cache, as on a fresh machine; else
read from the cache), then conversations per second for classifying ``--n`` English ShareGPT conversations with the
full O*NET work-activity hierarchy, in batches of ``--batch-size`` (the ``harness classify`` default is 32). The
classification is timed ``--repeat`` times and the best run is reported with the others, together with the load
average: on a shared machine the spread says how far to trust the figure.

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_classify.py [--n 500] [--batch-size 32] [--cold]``
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harness.classify import EmbeddingClassifier
from harness.conversations import iter_sharegpt
from harness.llm import Embedder
from harness.taxonomy import build_work_activity_hierarchy, load_onet


def _load() -> str:
    return "load average " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="embed the hierarchy into an empty cache first")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads (default: one per core; on a machine shared with other busy processes one "
                        "thread per process is often faster, as idle-waiting threads are not idle there)")
    args = parser.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    cache = Path(tempfile.mkdtemp(prefix="harness-bench-cache-")) if args.cold else None
    classifier = EmbeddingClassifier(hierarchy, skills=skills, embedder=Embedder(cache_root=cache))
    ready = time.perf_counter()
    classifier.prepare()
    done = time.perf_counter()
    print(f"O*NET + hierarchy {ready - started:.1f} s; hierarchy embeddings {'embedded' if args.cold else 'read'} in "
          f"{done - ready:.1f} s ({sum(hierarchy.sizes().values()):,} nodes); cold start to the first "
          f"classification {done - started:.1f} s; {_load()}")
    conversations = list(iter_sharegpt(args.n, english_only=True))
    classifier.classify(conversations[:4])  # the model's first forward pass is slower than the rest
    rates = []
    for _ in range(args.repeat):
        begin = time.perf_counter()
        for start in range(0, len(conversations), args.batch_size):
            classifier.classify(conversations[start : start + args.batch_size])
        rates.append(len(conversations) / (time.perf_counter() - begin))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = args.threads or os.cpu_count()
    print(f"classified {len(conversations)} conversations (batch {args.batch_size}, {os.cpu_count()} CPUs, {threads} "
          f"torch thread(s)): best "
          f"{max(rates):.1f} conversations/s of {', '.join(f'{r:.1f}' for r in rates)}; peak RSS {peak_mb:.0f} MB; "
          f"{_load()}")


if __name__ == "__main__":
    main()
