"""``harness label``: the labelling workbench, the export of its labels as a goldset, and active selection.

* ``serve`` starts the browser workbench for one rater on a local port and prints its address (with the session
  token); every change is saved at once in the rater's own file.
* ``export`` writes every rater's committed labels (and adjudicated ones) as a goldset that passes
  ``harness goldset check``.
* ``queue`` classifies a pool of conversations with one or more backends, picks the ones worth labelling
  (disagreement, uncertainty or random) plus a random share, and writes a blank labelling file whose items record
  their inclusion probabilities, so ``harness validate`` can weight accuracy back to the pool.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from harness.cli._args import fraction, positive_int
from harness.errors import InputError, UsageError


def _add_items_options(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--goldset", type=Path, help="goldset-format file to label (blank labels allowed)")
    source.add_argument("--conversations", type=Path, help="conversations JSONL file to label")
    parser.add_argument("--labels", type=Path, default=None,
                        help="folder of the raters' label files (default: <items file stem>.labels/ beside it)")
    parser.add_argument("--test-fraction", type=float, default=0.5,
                        help="share of items in the test split, for --conversations (default 0.5)")
    parser.add_argument("--release", default="29.3", help="O*NET release (default 29.3)")


def register(subparsers: argparse._SubParsersAction) -> None:
    label = subparsers.add_parser("label", help="labelling workbench in the browser, export, active selection")
    sub = label.add_subparsers(dest="label_command", metavar="SUBCOMMAND", required=True)

    serve = sub.add_parser("serve", help="start the labelling workbench for one rater")
    _add_items_options(serve)
    serve.add_argument("--rater", required=True, help="your rater name (letters, digits, '_.-')")
    serve.add_argument("--suggest", default=None, metavar="BACKEND",
                       help="show this backend's suggestions (hidden until you commit unless --no-blind)")
    blind = serve.add_mutually_exclusive_group()
    blind.add_argument("--blind", dest="blind", action="store_true", default=True,
                       help="withhold suggestions until the rater commits a label (the default)")
    blind.add_argument("--no-blind", dest="blind", action="store_false", help="show suggestions at once")
    serve.add_argument("--adjudicate", action="store_true",
                       help="adjudication mode: see the other raters' labels side by side and resolve them")
    serve.add_argument("--hierarchy", default="onet-wa", help="hierarchy for --suggest (default onet-wa)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine)")
    serve.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    serve.set_defaults(func=_serve)

    export = sub.add_parser("export", help="write the committed labels as a goldset")
    _add_items_options(export)
    export.add_argument("--out", type=Path, required=True, help="goldset file to write")
    export.add_argument("--force", action="store_true", help="replace an existing file")
    export.set_defaults(func=_export)

    queue = sub.add_parser("queue", help="choose pool conversations worth labelling, with inclusion probabilities")
    queue.add_argument("--pool", type=Path, required=True, help="conversations JSONL file (the pool)")
    queue.add_argument("--backends", default="", help="comma-separated backend specs that classify the pool")
    queue.add_argument("--strategy", choices=("disagreement", "uncertainty", "random"), required=True)
    queue.add_argument("--n", type=positive_int, required=True, help="conversations to choose")
    queue.add_argument("--random-share", type=float, default=0.3,
                       help="share of --n drawn at random under disagreement/uncertainty (default 0.3; above 0)")
    queue.add_argument("--seed", type=int, default=0, help="seed of the random draw (default 0)")
    queue.add_argument("--out", type=Path, required=True, help="labelling file to write (.jsonl)")
    queue.add_argument("--runs", type=Path, default=None,
                       help="folder of the backends' run directories (default: <out stem>.runs/ beside --out)")
    queue.add_argument("--test-fraction", type=fraction, default=0.5, help="share of items in the test split")
    queue.add_argument("--id-prefix", default="queue-", help="item ids are PREFIX0001, PREFIX0002, ...")
    queue.add_argument("--hierarchy", default="onet-wa", help="hierarchy the backends walk (default onet-wa)")
    queue.add_argument("--release", default="29.3", help="O*NET release (default 29.3)")
    queue.add_argument("--force", action="store_true", help="replace an existing --out file")
    queue.add_argument("--no-progress", action="store_true", help="hide progress bars")
    queue.set_defaults(func=_queue)


def _items(args: argparse.Namespace, task_ids):
    from harness.label import default_labels_dir, load_label_items

    if not 0.0 <= args.test_fraction <= 1.0:
        raise UsageError(f"--test-fraction must lie in [0, 1]; got {args.test_fraction}")
    source = args.goldset or args.conversations
    items = load_label_items(goldset=args.goldset, conversations=args.conversations,
                             test_fraction=args.test_fraction, onet_task_ids=task_ids)
    return items, args.labels or default_labels_dir(source), source


def _suggester(args: argparse.Namespace, release, index):
    from harness.classify import get_classifier, parse_backend
    from harness.cli._classify import load_hierarchy
    from harness.label import Suggester

    spec = parse_backend(args.suggest)
    hierarchy = load_hierarchy(args.hierarchy, release)
    classifier = get_classifier(spec, hierarchy, release=release, data_dir=args.data_dir)
    return Suggester(classifier, hierarchy, index)


def _serve(args: argparse.Namespace) -> int:
    from harness.classify import parse_backend
    from harness.label import LabelStore, TaskIndex, Workbench, check_rater, serve
    from harness.taxonomy import load_onet

    try:
        check_rater(args.rater)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.suggest:
        parse_backend(args.suggest)  # a bad spec is a usage error, before any slow work
    release = load_onet(release=args.release, data_dir=args.data_dir)
    index = TaskIndex(release)
    items, labels_dir, source = _items(args, index.task_ids)
    suggester = _suggester(args, release, index) if args.suggest else None
    with LabelStore(labels_dir, args.rater) as store:
        bench = Workbench(items, store, index, suggester=suggester, blind=args.blind, adjudicate=args.adjudicate,
                          title=Path(source).name)

        def ready(url: str) -> None:
            mode = "adjudicating" if args.adjudicate else "labelling"
            print(f"{mode} {len(items)} items of {source} as {args.rater!r}; labels saved to {store.path}")
            print(f"open {url}", flush=True)
            print("press Ctrl+C to stop (every change is already saved)", flush=True)

        serve(bench, host=args.host, port=args.port, on_ready=ready)
    print(f"stopped; {len(store.committed_ids())} committed labels in {store.path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from harness.label import export_goldset
    from harness.taxonomy import load_onet

    release = load_onet(release=args.release, data_dir=args.data_dir)
    task_ids = set(release.tasks["task_id"].astype(int))
    items, labels_dir, source = _items(args, task_ids)
    if args.out.resolve() == Path(source).resolve():
        raise InputError(args.out, "is the items file itself; write the goldset to another file")
    if args.out.exists() and not args.force:
        raise InputError(args.out, "exists; pass --force to replace it")
    summary = export_goldset(items, labels_dir, args.out, onet_task_ids=task_ids)
    print(f"wrote {summary.n_items} labelled items ({summary.n_labels} labels from {', '.join(summary.raters) or 'no'}"
          f" raters; {summary.n_adjudicated} adjudicated) to {summary.path}; {summary.n_unlabelled} items without a "
          "committed label left out")
    print(f"it passes `harness goldset check {summary.path}`")
    return 0


def _queue(args: argparse.Namespace) -> int:
    from harness.classify import get_classifier, parse_backend, sha256_file
    from harness.cli._classify import load_hierarchy
    from harness.conversations import read_jsonl
    from harness.label import classify_pool, pool_scores, select_for_labelling, write_queue
    from harness.taxonomy import load_onet

    specs = [s.strip() for s in args.backends.split(",") if s.strip()]
    needed = {"disagreement": 2, "uncertainty": 1, "random": 0}[args.strategy]
    if len(specs) < needed:
        raise UsageError(f"--strategy {args.strategy} needs at least {needed} backend(s) in --backends")
    if args.strategy != "random" and not 0.0 < args.random_share <= 1.0:
        raise UsageError("--random-share must lie in (0, 1] for a ranked strategy: a share of 0 leaves most of the "
                         "pool with no chance of selection, and accuracy could not be weighted back to it")
    parsed = [parse_backend(s) for s in specs]
    if args.out.exists() and not args.force:
        raise InputError(args.out, "exists; pass --force to replace it")
    pool = read_jsonl(args.pool)
    pool_sha = sha256_file(args.pool)
    predictions = hierarchy = None
    if args.strategy != "random":
        release = load_onet(release=args.release, data_dir=args.data_dir)
        hierarchy = load_hierarchy(args.hierarchy, release)
        classifiers = [get_classifier(s, hierarchy, release=release, seed=args.seed, data_dir=args.data_dir)
                       for s in parsed]
        runs = args.runs or args.out.with_name(args.out.stem + ".runs")
        predictions = classify_pool(pool, classifiers, hierarchy, runs, progress=not args.no_progress,
                                    manifest_extra={"input": {"path": str(args.pool), "sha256": pool_sha}})
    elif specs:
        print("note: --strategy random does not use --backends; the pool was not classified", file=sys.stderr)
    try:
        scores = pool_scores(args.strategy, predictions, hierarchy)
        selection = select_for_labelling([c.id for c in pool], scores, n=args.n, strategy=args.strategy,
                                         random_share=args.random_share, seed=args.seed)
    except ValueError as exc:
        raise InputError(args.pool, str(exc)) from None
    manifest = write_queue(args.out, pool, selection, pool_path=args.pool, pool_sha256=pool_sha,
                           backends=predictions.backends if predictions else (), id_prefix=args.id_prefix,
                           test_fraction=args.test_fraction)
    print(f"chose {len(selection.items)} of {selection.n_pool} conversations ({selection.n_ranked} by "
          f"{args.strategy}, {selection.n_random} at random, probability {selection.random_probability:.4f} each "
          f"outside the ranked part) → {args.out}")
    print(f"manifest: {manifest}")
    print(f"label them: harness label serve --goldset {args.out} --rater NAME")
    return 0
