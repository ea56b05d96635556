"""``harness data``: where the reference data is, what it holds, and fetching a release."""

from __future__ import annotations

import argparse
import time

from harness.paths import data_dir


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="inspect or fetch reference data (O*NET releases)")
    sub = data.add_subparsers(dest="data_command", metavar="SUBCOMMAND", required=True)

    info = sub.add_parser("info", help="print the release, row counts and consistency checks")
    info.add_argument("--release", default="29.3", help="O*NET release (default 29.3)")
    info.set_defaults(func=_info)

    fetch = sub.add_parser("fetch", help="download, verify and unpack an official O*NET text release")
    fetch.add_argument("--release", default="29.3")
    fetch.add_argument("--base-url", default=None, help="mirror serving db_X_Y_text.zip (default: O*NET Center)")
    fetch.add_argument("--sha256", default=None, help="expected SHA-256 of the zip")
    fetch.add_argument("--force", action="store_true", help="replace an existing copy")
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

    path = fetch_onet_release(
        args.release, data_dir=args.data_dir, base_url=args.base_url, sha256=args.sha256, force=args.force
    )
    print(f"O*NET {args.release} ready at {path}")
    return 0
