"""Benchmark ``harness.cluster.reconstruct``: time and memory on ShareGPT with the full work-activity hierarchy.

Usage::

    HARNESS_DATA_DIR=/path/to/data python scripts/bench_reconstruct.py --n 2000 --sizes 10,50,200,1000

Prints the time of each phase (hierarchy build, hierarchy embedding — cold unless the embedding cache already
holds it —, direct classification, clustering, cluster assignment), the peak resident memory, and the
reconstruction table. ``--out DIR`` also writes DIR/reconstruction/.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path


def _peak_mib() -> float:
    # ru_maxrss is KiB on Linux, bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="ShareGPT conversations (default 2000)")
    parser.add_argument("--sizes", default="10,50,200,1000", help="target mean cluster sizes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--release", default="29.3", help="O*NET release (default 29.3)")
    parser.add_argument("--representative", choices=("nearest", "pooled"), default="nearest")
    parser.add_argument("--out", type=Path, default=None, help="also write OUT/reconstruction/")
    args = parser.parse_args()

    from harness.classify import EmbeddingClassifier
    from harness.cluster import reconstruct
    from harness.conversations import iter_sharegpt
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    sizes = [int(s) for s in args.sizes.split(",")]
    timings: dict[str, float] = {}
    started = time.perf_counter()
    release = load_onet(release=args.release)
    hierarchy = build_work_activity_hierarchy(release)
    timings["hierarchy_build"] = time.perf_counter() - started

    t = time.perf_counter()
    conversations = list(iter_sharegpt(args.n, english_only=True))
    timings["read_conversations"] = time.perf_counter() - t

    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    classifier = EmbeddingClassifier(hierarchy, skills=skills)
    embedder = classifier.embedder
    t = time.perf_counter()
    classifier.prepare()
    timings["hierarchy_embedding"] = time.perf_counter() - t

    titles = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    t = time.perf_counter()
    result = reconstruct(conversations, classifier, hierarchy, sizes=sizes, seed=args.seed, embedder=embedder,
                         representative=args.representative, occupation_titles=titles)
    timings["reconstruct_total"] = time.perf_counter() - t
    timings.update({f"reconstruct_{k}": v for k, v in result.info["seconds"].items()})
    timings["total"] = time.perf_counter() - started

    print(f"conversations: {len(conversations)}; hierarchy {hierarchy.id} {hierarchy.sizes()}")
    print("k per level:", json.dumps(result.info["k"]))
    for name, seconds in timings.items():
        print(f"  {name:28s} {seconds:9.1f} s")
    print(f"  {'peak RSS':28s} {_peak_mib():9.0f} MiB")
    table = result.table().drop(columns="note")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.out is not None:
        print("wrote", result.write(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
