"""Benchmark the Clio-style hierarchy builder on a whole O*NET release; prints (does not assert) the numbers.

Phases, each in its own process so that peak memory and CPU time are per phase:

1. ``offline-cold`` – offline build with a sentence-transformers model and an empty embedding cache;
2. ``offline-warm`` – the same build again, embeddings read from the cache;
3. ``tfidf`` – the offline build with the TF-IDF + SVD vectoriser (what the tests use; nothing to cache);
4. ``dry-run`` – the calls and tokens a model build would need (no model is called; embeddings from the cache),
   with children placed ``assign_batch`` (25) per call;
5. ``dry-run-one-by-one`` – the same plan with one assignment call per child (``assign_batch=1``), the method
   before batching, for the ratios.

Each phase prints its wall time and its CPU time (user + system): on a machine shared with other work the wall
time overstates what two idle cores need, and CPU time / 2 is the better estimate of that. The dry runs price the
plan at list prices and through Message Batches (half price).

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_clio.py [--embedder minilm] [--runtime R] [--threads 1]
[--sample N] [--model claude-haiku-4-5] [--phases offline-cold,tfidf,dry-run,dry-run-one-by-one]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PHASES = ("offline-cold", "offline-warm", "tfidf", "dry-run", "dry-run-one-by-one")


def _phase(args: argparse.Namespace) -> None:
    from harness.clio import ClioConfig, EmbedderVectoriser, TfidfSvdVectoriser, build_clio_hierarchy, plan_clio_build
    from harness.taxonomy import load_onet

    started = time.perf_counter()
    release = load_onet(release=args.release)
    config = ClioConfig(levels=args.levels, top=args.top, seed=0, sample=args.sample, threads=args.threads,
                        assign_batch=1 if args.phase == "dry-run-one-by-one" else ClioConfig.assign_batch)
    loaded = time.perf_counter()
    if args.phase == "tfidf":
        vectoriser = TfidfSvdVectoriser(seed=0)
    else:
        vectoriser = EmbedderVectoriser(args.embedder, cache_root=Path(args.cache_root), runtime=args.runtime)
    result: dict = {"phase": args.phase, "embedder": vectoriser.name, "load_s": round(loaded - started, 2)}
    if args.phase.startswith("dry-run"):
        from harness.llm import estimate_cost

        plan = plan_clio_build(release, model=args.model, config=config, vectoriser=vectoriser)
        total = plan.total_usage
        batch_cost = [estimate_cost(args.model, u, batch=True) for u in plan.usage.values()]
        result["batch_cost_usd"] = None if None in batch_cost else round(sum(batch_cost), 4)
        result.update(
            model=plan.model, level_targets=plan.level_targets, calls=plan.calls, total_calls=plan.total_calls,
            input_tokens={k: u.prompt_tokens for k, u in plan.usage.items()},
            output_tokens={k: u.output_tokens for k, u in plan.usage.items()},
            total_input_tokens=total.prompt_tokens, total_output_tokens=total.output_tokens,
            cost_usd=plan.cost_usd,
        )
    else:
        hierarchy = build_clio_hierarchy(release, config=config, vectoriser=vectoriser)
        result.update(id=hierarchy.id, sizes=hierarchy.sizes(), timings_s=dict(hierarchy.metadata["timings_s"]))
    result["wall_s"] = round(time.perf_counter() - started, 2)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 1)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--release", default="29.3")
    parser.add_argument("--embedder", default="all-MiniLM-L6-v2")
    parser.add_argument("--runtime", default=None, help="embedding runtime (default: the harness default)")
    parser.add_argument("--levels", type=int, default=3)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--sample", type=int, default=None, help="statements to use (default: all)")
    parser.add_argument("--threads", type=int, default=None, help="cap BLAS/OpenMP threads in the clustering")
    parser.add_argument("--model", default="claude-haiku-4-5", help="model priced in the dry run")
    parser.add_argument("--phase", choices=PHASES, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--cache-root", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--phases", default=",".join(PHASES), help="phases to run, in order")
    args = parser.parse_args()
    if args.phase:
        _phase(args)
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    plans = {}
    with tempfile.TemporaryDirectory(prefix="bench-clio-") as cache_root:
        for phase in args.phases.split(","):
            argv = [sys.executable, __file__, "--phase", phase, "--cache-root", cache_root, "--release", args.release,
                    "--embedder", args.embedder, "--levels", str(args.levels), "--top", str(args.top),
                    "--model", args.model]
            argv += ["--sample", str(args.sample)] if args.sample else []
            argv += ["--runtime", args.runtime] if args.runtime else []
            argv += ["--threads", str(args.threads)] if args.threads else []
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                print(f"{phase}: failed\n{done.stderr[-2000:]}", file=sys.stderr)
                sys.exit(done.returncode)
            result = json.loads(done.stdout.strip().splitlines()[-1])
            _report(result)
            plans[phase] = result
    if {"dry-run", "dry-run-one-by-one"} <= set(plans):
        batched, single = plans["dry-run"], plans["dry-run-one-by-one"]
        print(f"batched vs one call per child: {batched['total_calls'] / single['total_calls']:.3f}x calls "
              f"(target <= 2,500 calls: {batched['total_calls']:,}), "
              f"{batched['total_input_tokens'] / single['total_input_tokens']:.3f}x input tokens (target <= 0.5x)")


def _report(r: dict) -> None:
    head = (f"{r['phase']:<19} {r['embedder']:<18} wall {r['wall_s']:>7.1f} s  cpu {r['cpu_s']:>7.1f} s  "
            f"peak RSS {r['peak_rss_mb']:>5} MB")
    if r["phase"].startswith("dry-run"):
        print(head)
        print(f"  model {r['model']}: level targets {r['level_targets']}")
        for step, calls in r["calls"].items():
            print(f"  {step:<8} {calls:>8,} calls  {r['input_tokens'][step]:>12,} input tok  "
                  f"{r['output_tokens'][step]:>9,} output tok")
        cost = "unknown" if r["cost_usd"] is None else f"${r['cost_usd']:,.2f}"
        batch = "unknown" if r["batch_cost_usd"] is None else f"${r['batch_cost_usd']:,.2f}"
        print(f"  total    {r['total_calls']:>8,} calls  {r['total_input_tokens']:>12,} input tok  "
              f"{r['total_output_tokens']:>9,} output tok  ≈ {cost} at list prices, {batch} through Message Batches")
    else:
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in r["timings_s"].items())
        print(f"{head}  {r['sizes']}\n  {timings}")


if __name__ == "__main__":
    main()
