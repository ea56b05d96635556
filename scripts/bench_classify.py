"""Benchmark: throughput of the offline embedding backend on real ShareGPT conversations.

Prints the one-off cost of embedding the hierarchy (``--cold``: into an empty cache, as on a fresh machine; else
read from the cache), then conversations per second for classifying ``--n`` English ShareGPT conversations with the
full O*NET work-activity hierarchy, in batches of ``--batch-size`` (the ``harness classify`` default is 32). The
classification is timed ``--repeat`` times and the best run is reported with the others, together with the load
average: on a shared machine the spread says how far to trust the figure.

``--runtime`` picks the embedding runtime (``torch``, ``onnx``, ``onnx-int8``; see ``harness.llm.Embedder``). Given
several, each is measured in a fresh process of its own, one after the other, so that no runtime's cold start
profits from modules or files another one loaded. With ``--cold`` an ONNX runtime's cold start includes its one-off
export into the empty cache, as on a fresh machine (or a CI run, whose cache starts empty).

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_classify.py [--n 500] [--batch-size 32] [--cold]
[--runtime torch onnx onnx-int8]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harness.classify import EmbeddingClassifier, EmbeddingConfig
from harness.conversations import iter_sharegpt
from harness.llm import DEFAULT_RUNTIME, RUNTIMES, Embedder
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
                        help="torch threads, or texts an ONNX runtime encodes at once (default: one per core; on a "
                        "machine shared with other busy processes one per process is often faster, as idle-waiting "
                        "threads are not idle there)")
    parser.add_argument("--runtime", nargs="+", choices=RUNTIMES, default=[DEFAULT_RUNTIME],
                        help="embedding runtime(s); several are measured one after another, each in its own process")
    args = parser.parse_args()
    if len(args.runtime) > 1:
        for runtime in args.runtime:
            print(f"== runtime {runtime}", flush=True)
            subprocess.run([sys.executable, __file__, *_without_runtime(sys.argv[1:]), "--runtime", runtime],
                           check=True)
        return
    runtime = args.runtime[0]
    if args.threads and runtime == "torch":
        import torch

        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    cache = Path(tempfile.mkdtemp(prefix="harness-bench-cache-")) if args.cold else None
    embedder = Embedder(cache_root=cache, runtime=runtime, threads=args.threads)
    classifier = EmbeddingClassifier(hierarchy, EmbeddingConfig(runtime=runtime), skills=skills, embedder=embedder)
    ready = time.perf_counter()
    embedder.encode(["warm up"])  # loads the model (an ONNX runtime: exports it first when the cache is empty)
    loaded = time.perf_counter()
    classifier.prepare()
    done = time.perf_counter()
    print(f"runtime {runtime}: O*NET + hierarchy {ready - started:.1f} s; model "
          f"{'exported and ' if args.cold and runtime != 'torch' else ''}loaded in {loaded - ready:.1f} s; "
          f"hierarchy embeddings {'embedded' if args.cold else 'read'} in {done - loaded:.1f} s "
          f"({sum(hierarchy.sizes().values()):,} nodes); cold start to the first classification "
          f"{done - started:.1f} s; {_load()}", flush=True)
    conversations = list(iter_sharegpt(args.n, english_only=True))
    classifier.classify(conversations[:4])  # the model's first forward pass is slower than the rest
    rates = []
    for _ in range(args.repeat):
        begin = time.perf_counter()
        for start in range(0, len(conversations), args.batch_size):
            classifier.classify(conversations[start : start + args.batch_size])
        rates.append(len(conversations) / (time.perf_counter() - begin))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    threads = f"{args.threads or os.cpu_count()} {'torch' if runtime == 'torch' else 'ONNX Runtime'} thread(s)"
    print(f"runtime {runtime}: classified {len(conversations)} conversations (batch {args.batch_size}, "
          f"{os.cpu_count()} CPUs, {threads}): best "
          f"{max(rates):.1f} conversations/s of {', '.join(f'{r:.1f}' for r in rates)}; peak RSS {peak_mb:.0f} MB; "
          f"{_load()}")
    if cache is not None:
        shutil.rmtree(cache, ignore_errors=True)  # the cold run's matrices and ONNX exports (~120 MB)


def _without_runtime(argv: list[str]) -> list[str]:
    """The command line less its ``--runtime`` option and values (each child process gets one runtime)."""
    kept, skipping = [], False
    for arg in argv:
        if arg == "--runtime" or arg.startswith("--runtime="):
            skipping = arg == "--runtime"
            continue
        if skipping and not arg.startswith("-"):
            continue
        skipping = False
        kept.append(arg)
    return kept


if __name__ == "__main__":
    main()
