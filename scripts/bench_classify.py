"""Benchmark: throughput of the offline embedding backend on real ShareGPT conversations.

Prints the one-off cost of embedding the hierarchy (cold or warm cache), then conversations per second and peak
memory for classifying ``--n`` English ShareGPT conversations with the full O*NET work-activity hierarchy.

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_classify.py [--n 1000] [--batch-size 64]``
"""

from __future__ import annotations

import argparse
import os
import resource
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harness.classify import EmbeddingClassifier
from harness.conversations import iter_sharegpt
from harness.taxonomy import build_work_activity_hierarchy, load_onet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    classifier = EmbeddingClassifier(hierarchy, skills=skills)
    started = time.perf_counter()
    classifier.prepare()
    print(f"hierarchy embeddings ready in {time.perf_counter() - started:.1f} s "
          f"({sum(hierarchy.sizes().values()):,} nodes; cold the first time, then read from the cache)")
    conversations = list(iter_sharegpt(args.n, english_only=True))
    started = time.perf_counter()
    done = 0
    for start in range(0, len(conversations), args.batch_size):
        done += len(classifier.classify(conversations[start : start + args.batch_size]))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"classified {done} conversations in {elapsed:.1f} s = {done / elapsed:.1f} conversations/s "
          f"(batch {args.batch_size}, {os.cpu_count()} CPUs); peak RSS {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
