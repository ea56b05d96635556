"""``harness hierarchy``: build, show, summarise and compare task hierarchies.

* ``build --builder onet-wa`` – GWA → IWA → task statement from O*NET's own work-activity links (offline).
* ``build --builder clio`` – the Clio-style generated hierarchy: with a model (``--backend anthropic:<id>`` or
  ``inspect:<provider/model>``; answers cached, so an interrupted build resumes), offline (``--offline``: no model,
  names made from members), or as a ``--dry-run`` that counts the calls and tokens a model build would need.
* ``show`` / ``stats`` / ``diff`` – inspect one hierarchy file or compare two.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli._args import check_output_file, non_negative_int, onet_release, writing_to
from harness.errors import InputError, UsageError, clip_text

_CLIO_ONLY = ("levels", "top", "backend", "seed", "embedder", "runtime", "sample", "cache", "tolerance",
              "concurrency", "threads")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hierarchy", help="build or inspect task hierarchies")
    sub = parser.add_subparsers(dest="hierarchy_command", metavar="SUBCOMMAND", required=True)

    build = sub.add_parser("build", help="build a hierarchy from an O*NET release")
    build.add_argument("--release", type=onet_release, default="29.3")
    build.add_argument(
        "--builder", choices=("onet-wa", "clio"), default="onet-wa",
        help="onet-wa: GWA → IWA → task statement from O*NET's work-activity links (offline); "
             "clio: generated Clio-style levels (needs --backend, --offline or --dry-run)",
    )
    build.add_argument("--out", type=Path, default=None, help="output JSON path (required unless --dry-run)")
    clio = build.add_argument_group("clio builder")
    clio.add_argument("--levels", type=int, default=None, help="levels including the base (default 3)")
    clio.add_argument("--top", type=int, default=None, help="requested top-level size (default 12)")
    clio.add_argument("--backend", default=None,
                      help="model spec, e.g. anthropic:claude-haiku-4-5 or inspect:anthropic/claude-haiku-4-5")
    clio.add_argument("--seed", type=int, default=None, help="seed of every random choice (default 0)")
    clio.add_argument("--offline", action="store_true", help="no model: cluster and name groups from their members")
    clio.add_argument("--dry-run", action="store_true",
                      help="count the calls and tokens a model build would need; no model is called")
    clio.add_argument("--embedder", default=None,
                      help="minilm (default), mpnet (needs the 'paper' extra) or tfidf (fast, no neural model)")
    clio.add_argument("--runtime", default=None,
                      help="how a sentence model runs: torch, onnx or onnx-int8 (fastest on a CPU); default: the "
                      "embedding default (harness.llm.DEFAULT_RUNTIME)")
    clio.add_argument("--sample", type=int, default=None, help="build over a seeded sample of N statements")
    clio.add_argument("--cache", type=Path, default=None, help="answer cache file (default: the user cache)")
    clio.add_argument("--tolerance", type=float, default=None, help="allowed relative level-size deviation (0.25)")
    clio.add_argument("--concurrency", type=int, default=None, help="model calls in flight (default 16)")
    clio.add_argument("--threads", type=int, default=None, help="cap BLAS/OpenMP threads (default: no cap)")
    build.set_defaults(func=_build)

    show = sub.add_parser("show", help="print a hierarchy's header, level sizes and a sample of nodes")
    show.add_argument("path", type=Path)
    show.add_argument("--node", default=None, help="print this node's path and children instead")
    show.add_argument("--limit", type=non_negative_int, default=5, help="roots (or children) to print (default 5)")
    show.set_defaults(func=_show)

    stats = sub.add_parser("stats", help="level sizes, children per parent, empty parents")
    stats.add_argument("path", type=Path)
    stats.set_defaults(func=_stats)

    diff = sub.add_parser("diff", help="compare two hierarchies: level sizes, moved tasks, matched parents")
    diff.add_argument("a", type=Path, help="reference hierarchy")
    diff.add_argument("b", type=Path, help="hierarchy compared with it")
    diff.add_argument("--sample", type=non_negative_int, default=5, help="parents of A to show with their match in B")
    diff.add_argument("--seed", type=int, default=0, help="seed of the sample")
    diff.set_defaults(func=_diff)


def _build(args: argparse.Namespace) -> int:
    if args.builder == "onet-wa":
        used = [f"--{name.replace('_', '-')}" for name in _CLIO_ONLY if getattr(args, name) is not None]
        used += [flag for flag, on in (("--offline", args.offline), ("--dry-run", args.dry_run)) if on]
        if used:
            raise UsageError(f"{', '.join(used)} only apply to --builder clio")
        if args.out is None:
            raise UsageError("--out is required")
        check_output_file(args.out)
        from harness.taxonomy import build_work_activity_hierarchy, load_onet

        hierarchy = build_work_activity_hierarchy(load_onet(release=args.release, data_dir=args.data_dir))
        with writing_to(args.out):
            hierarchy.save(args.out)
        print(f"{hierarchy.id}: {hierarchy.sizes()} → {args.out}")
        return 0
    return _build_clio(args)


def _clio_config(args: argparse.Namespace):
    from harness.clio import ClioConfig

    options = {name: getattr(args, name) for name in ("levels", "top", "seed", "sample", "tolerance", "concurrency",
                                                      "threads") if getattr(args, name) is not None}
    try:
        return ClioConfig(**options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _build_clio(args: argparse.Namespace) -> int:
    if args.offline and args.dry_run:
        raise UsageError("--dry-run counts model calls; an --offline build makes none")
    if args.offline and args.backend:
        raise UsageError("choose --backend or --offline, not both")
    if not (args.offline or args.dry_run or args.backend):
        raise UsageError("--builder clio needs --backend <spec>, --offline, or --dry-run")
    if args.out is None and not args.dry_run:
        raise UsageError("--out is required")
    if args.out is not None:
        check_output_file(args.out)
    from harness.llm import parse_llm_spec

    # the model registry decides which specs name a model; a dry run without one is priced for the default model
    spec = parse_llm_spec(args.backend or "anthropic:claude-haiku-4-5")
    model = spec.name
    config = _clio_config(args)
    from harness.clio import build_clio_hierarchy, make_vectoriser, plan_clio_build
    from harness.taxonomy import load_onet

    try:
        vectoriser = make_vectoriser(args.embedder or "minilm", seed=config.seed, runtime=args.runtime)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    release = load_onet(release=args.release, data_dir=args.data_dir)

    if args.dry_run:
        # priced by the bare model id (an inspect spec names the provider first)
        plan = plan_clio_build(release, model=model.rsplit("/", 1)[-1], config=config, vectoriser=vectoriser)
        sizes = " > ".join(f"{lvl} {n:,}" for lvl, n in plan.level_targets.items())
        print(f"dry run of a clio build of O*NET {release.release} with {model} ({vectoriser.name} embeddings)")
        print(f"level targets : {sizes}")
        print(f"{'step':<9}{'calls':>10}{'input tok':>14}{'output tok':>13}")
        for step, calls in plan.calls.items():
            usage = plan.usage[step]
            print(f"{step:<9}{calls:>10,}{usage.prompt_tokens:>14,}{usage.output_tokens:>13,}")
        total = plan.total_usage
        print(f"{'total':<9}{plan.total_calls:>10,}{total.prompt_tokens:>14,}{total.output_tokens:>13,}")
        cost = "unknown price" if plan.cost_usd is None else f"about ${plan.cost_usd:,.2f} at list prices"
        print(f"cost          : {cost} (retries excluded; output tokens are a lower bound)")
        return 0

    llm = None
    if args.backend:
        from harness.llm import LLM_BACKENDS, AnswerCache, get_llm

        # --concurrency bounds the model client too where the client has such a limit
        takes_limit = LLM_BACKENDS[spec.scheme].accepts("max_concurrency")
        options = {"max_concurrency": config.concurrency} if takes_limit else {}
        llm = get_llm(spec, cache=AnswerCache(args.cache), **options)
    hierarchy = build_clio_hierarchy(release, llm=llm, config=config, vectoriser=vectoriser,
                                     progress=sys.stderr.isatty())
    with writing_to(args.out):
        hierarchy.save(args.out)
    print(f"{hierarchy.id}: {hierarchy.sizes()} → {args.out}")
    off = [lvl for lvl, ok in hierarchy.metadata["within_tolerance"].items() if not ok]
    if off:
        print(f"warning: level(s) {', '.join(off)} outside the size tolerance; see metadata.level_targets",
              file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    from harness.taxonomy import Hierarchy

    hierarchy = Hierarchy.load(args.path)
    print(f"id     : {hierarchy.id}")
    print(f"levels : {' > '.join(f'{lvl} ({n:,})' for lvl, n in hierarchy.sizes().items())}")
    for key, value in hierarchy.metadata.items():
        print(f"  {key}: {value}")
    if args.node:
        if args.node not in hierarchy:
            raise InputError(args.path, f"no node {clip_text(repr(args.node), 80)} in {hierarchy.id}", field="--node")
        print(" > ".join(hierarchy[n].name for n in hierarchy.path(args.node)))
        for child in hierarchy.children(args.node)[: args.limit]:
            print(f"  - {child.id}: {child.name}")
        return 0
    for root in hierarchy.roots()[: args.limit]:
        children = hierarchy.children(root.id)
        print(f"{root.id}: {root.name}  ({len(children)} children)")
        for child in children[:3]:
            print(f"    {child.id}: {child.name}")
    return 0


def _stats(args: argparse.Namespace) -> int:
    from harness.clio import hierarchy_stats
    from harness.taxonomy import Hierarchy

    stats = hierarchy_stats(Hierarchy.load(args.path))
    print(f"id      : {stats.id}")
    print(f"builder : {stats.builder or 'unknown'}")
    print(f"{'level':<8}{'nodes':>8}{'empty':>7}   children per node: min  p10  median  mean  p90  max"
          f"   base per node (median)")
    for s in stats.levels:
        print(f"{s.level:<8}{s.nodes:>8,}{s.empty:>7}   {'':>19}{s.children_min:>4}{s.children_p10:>5.0f}"
              f"{s.children_median:>8.1f}{s.children_mean:>6.1f}{s.children_p90:>5.0f}{s.children_max:>5}"
              f"   {s.base_per_node_median:>8.1f}")
    print(f"empty parents: {stats.empty_parents}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from harness.clio import diff_hierarchies
    from harness.taxonomy import Hierarchy

    a, b = Hierarchy.load(args.a), Hierarchy.load(args.b)
    d = diff_hierarchies(a, b, sample=args.sample, seed=args.seed)
    print(f"A: {d.id_a}  {d.sizes_a}")
    print(f"B: {d.id_b}  {d.sizes_b}")
    print(f"base tasks: {d.base_shared:,} shared, {d.base_only_a:,} only in A, {d.base_only_b:,} only in B")
    for level in d.levels:
        share = level.moved / d.base_shared if d.base_shared else float("nan")
        print(f"{level.level_a} vs {level.level_b}: {level.nodes_a:,} vs {level.nodes_b:,} nodes; "
              f"{level.moved:,} shared tasks moved parent ({share:.1%}); adjusted Rand {level.adjusted_rand:.3f}")
    if d.sample:
        print("sample of A's parents and their best match in B:")
    for s in d.sample:
        print(f"- {s.id_a}: {s.name_a}")
        print(f"    → {s.id_b}: {s.name_b}  ({s.shared} of its children there)" if s.id_b else "    → no match")
        for child in s.children:
            print(f"      · {child}")
    return 0
