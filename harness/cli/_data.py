"""``harness data``: where the reference data is, what it holds, and fetching a release."""

from __future__ import annotations

import argparse
import time

from harness.cli._args import onet_release
from harness.paths import data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect or fetch reference data (O*NET releases)")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    info = sub.add_parser("info", help="print the release, row counts and consistency checks")
    info.add_argument("--release", type=onet_release, default="29.3", help="O*NET release (default 29.3)")
    info.set_defaults(func=_info)

    fetch = sub.add_parser("fetch", help="download, verify and unpack an official O*NET text release")
    fetch.add_argument("--release", type=onet_release, default="29.3")
    fetch.add_argument("--base-url", default=None, help="mirror serving db_X_Y_text.zip (default: O*NET Center)")
    fetch.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    fetch.add_argument("--force", action="store_true", help="replace an existing copy")
    fetch.add_argument("--aei-release", default=None, metavar="NAME",
                       help="fetch a long-format Economic Index release instead (e.g. 2025_09_15, 2026_01_15, "
                       "2026_03_24) from the Hugging Face dataset (or --base-url serving release_NAME/...); every "
                       "CSV must load with the strict long-format loader before anything is placed")
    fetch.add_argument("--file", action="append", default=None, metavar="PATH",
                       help="with --aei-release: a file inside release_NAME/ to fetch (repeatable; default: the "
                       "release's known files)")
    fetch.add_argument("--file-sha256", action="append", default=None, metavar="PATH=HEX",
                       help="with --aei-release: expected SHA-256 of one file (repeatable)")
    fetch.set_defaults(func=_fetch)


# Figures published for 29.3, printed beside the measured counts so a wrong or partial release stands out.
_EXPECTED = {
    "29.3": {"tasks": 18796, "occupations_with_tasks": 923, "major_groups_with_tasks": 22, "iwas": 332,
             "dwas": 2087, "gwas": 37},
}


def _info(args: argparse.Namespace) -> int:
    from harness.taxonomy import build_work_activity_hierarchy, load_onet, resolve_onet_dir

    started = time.perf_counter()
    source = resolve_onet_dir(args.release, args.data_dir)
    release = load_onet(source, release=args.release)
    loaded = time.perf_counter()
    hierarchy = build_work_activity_hierarchy(release)
    built = time.perf_counter()
    print(f"data directory : {data_dir(args.data_dir)}")
    print(f"O*NET release  : {release.release}  ({source})")
    expected = _EXPECTED.get(release.release, {})
    failures = 0
    for key, value in release.summary().items():
        check = ""
        if key in expected:
            ok = expected[key] == value
            failures += not ok
            check = "  ok" if ok else f"  MISMATCH (expected {expected[key]:,})"
        print(f"  {key:<34}{value:>9,}{check}")
    print(f"work-activity hierarchy: {hierarchy.id}  sizes {hierarchy.sizes()}")
    print(f"timings: load {loaded - started:.2f} s, hierarchy {built - loaded:.2f} s")
    return 1 if failures else 0


def _fetch(args: argparse.Namespace) -> int:
    from harness.taxonomy import fetch_onet_release

    if args.aei_release or args.file or args.file_sha256:
        return _fetch_aei(args)

    path = fetch_onet_release(
        args.release, data_dir=args.data_dir, base_url=args.base_url, sha256=args.sha256, force=args.force
    )
    print(f"O*NET {args.release} ready at {path}")
    return 0


def _fetch_aei(args: argparse.Namespace) -> int:
    from harness.errors import UsageError
    from harness.taxonomy import fetch_aei_release

    if not args.aei_release:
        raise UsageError("--file and --file-sha256 go with --aei-release NAME")
    if args.sha256:
        raise UsageError("--sha256 checks an O*NET zip; give --file-sha256 PATH=HEX for release files")
    digests = {}
    for item in args.file_sha256 or []:
        name, sep, digest = item.partition("=")
        if not sep or not name or len(digest) != 64:
            raise UsageError(f"--file-sha256 expects PATH=HEX with a 64-digit SHA-256, got {item!r}")
        digests[name] = digest
    path = fetch_aei_release(args.aei_release, data_dir=args.data_dir, base_url=args.base_url, files=args.file,
                             sha256=digests, force=args.force)
    print(f"Economic Index release {args.aei_release} ready at {path}")
    return 0
