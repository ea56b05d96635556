"""``harness reconstruct``: direct vs Clio-style cluster prevalence across aggregation levels."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from harness.cli._args import check_output_dir, sharegpt_count, writing_to
from harness.errors import InputError, UsageError, clip_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "reconstruct",
        help="compare direct per-conversation prevalence with prevalence reconstructed from clusters",
        description="Classify every conversation (or reuse --facts), cluster the conversations' summaries with "
        "k-means at each --sizes aggregation level, classify one representative per cluster, and compare the "
        "two task/occupation/category distributions. Writes OUT/reconstruction/ (no conversation text).",
    )
    parser.add_argument("--input", required=True,
                        help="conversations: a JSONL file, or sharegpt:N for the first N ShareGPT conversations")
    parser.add_argument("--hierarchy", type=Path, required=True, help="hierarchy JSON (harness hierarchy build)")
    parser.add_argument("--backend", default="embedding:all-MiniLM-L6-v2",
                        help="classifier spec, e.g. embedding:all-MiniLM-L6-v2 (default), anthropic:<model-id>, "
                        "inspect:<provider/model>")
    parser.add_argument("--sizes", default="10,50,200,1000",
                        help="comma-separated target mean cluster sizes (default 10,50,200,1000)")
    parser.add_argument("--seed", type=int, default=0, help="k-means seed (default 0)")
    parser.add_argument("--representative", choices=("nearest", "pooled"), default="nearest",
                        help="how a cluster is shown to the classifier (default nearest)")
    parser.add_argument("--facts", type=Path, default=None,
                        help="reuse the direct results of a run (facts.parquet) instead of classifying again")
    parser.add_argument("--onet", type=Path, default=None,
                        help="O*NET release directory or zip for skills and occupation titles "
                        "(default: the hierarchy's release in the data directory)")
    parser.add_argument("--out", type=Path, required=True, help="output directory (writes OUT/reconstruction/)")
    parser.set_defaults(func=_run)


def parse_sizes(text: str) -> list[int]:
    """``"10,50,200"`` → ``[10, 50, 200]``; a :class:`UsageError` (exit 2) on anything else."""
    shown = clip_text(repr(text), 60)
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise UsageError(f"--sizes expects comma-separated positive integers, got {shown}") from None
    if not sizes or any(s < 1 for s in sizes) or len(set(sizes)) != len(sizes):
        raise UsageError(f"--sizes expects distinct positive integers, got {shown}")
    return sizes


def read_conversations(spec: str) -> list:
    """Conversations from a JSONL path or ``sharegpt:N`` (any language).

    Raises:
        UsageError: A malformed ``sharegpt:N``.
        InputError: A malformed file, or one without conversations.
    """
    from harness.conversations import iter_sharegpt, read_jsonl

    count = sharegpt_count(spec)
    conversations = list(iter_sharegpt(count)) if count is not None else read_jsonl(spec)
    if not conversations:
        raise InputError(spec, "no conversations to reconstruct (the input is empty)")
    return conversations


def build_classifier(spec: str, hierarchy, release, *, seed: int = 0):
    """The classifier ``spec`` names (:func:`harness.classify.get_classifier`).

    An unknown or malformed spec is a UsageError; a backend that cannot work with these inputs an InputError.
    """
    from harness.classify import get_classifier

    try:
        return get_classifier(spec, hierarchy, release=release, seed=seed)
    except UsageError:
        raise
    except ValueError as exc:
        raise InputError("--backend", str(exc)) from None


def _run(args: argparse.Namespace) -> int:
    from harness.classify import parse_backend
    from harness.cluster import reconstruct
    from harness.taxonomy import Hierarchy, load_onet

    started = time.perf_counter()
    parse_backend(args.backend)  # usage errors before any slow work
    sizes = parse_sizes(args.sizes)
    check_output_dir(args.out)
    hierarchy = Hierarchy.load(args.hierarchy)
    conversations = read_conversations(args.input)  # bad input fails before the model and O*NET are loaded
    release = load_onet(args.onet, release=str(hierarchy.metadata.get("onet_release", "29.3")),
                        data_dir=args.data_dir)
    classifier = build_classifier(args.backend, hierarchy, release, seed=args.seed)
    direct = None
    if args.facts is not None:
        from harness.run import read_facts

        direct = read_facts(args.facts)
    titles = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    try:
        result = reconstruct(conversations, classifier, hierarchy, sizes=sizes, seed=args.seed, direct=direct,
                             representative=args.representative, occupation_titles=titles)
    except ValueError as exc:
        raise InputError(args.facts or args.input, str(exc)) from None
    with writing_to(args.out):
        out = result.write(args.out)
    table = result.table()
    with_cols = ["level", "aggregation", "mean_cluster_size", "pearson", "spearman", "kendall_tau_b", "mse",
                 "n_both", "n_union"]
    print(table[with_cols].to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    print(json.dumps(result.info["seconds"]))
    print(f"wrote {out} in {time.perf_counter() - started:.1f} s")
    return 0
