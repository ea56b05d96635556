"""``harness hierarchy``: build, show and compare task hierarchies."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hierarchy", help="build or inspect task hierarchies")
    sub = parser.add_subparsers(dest="hierarchy_command", metavar="SUBCOMMAND", required=True)

    build = sub.add_parser("build", help="build a hierarchy from an O*NET release")
    build.add_argument("--release", default="29.3")
    build.add_argument(
        "--builder", choices=("onet-wa",), default="onet-wa",
        help="onet-wa: GWA → IWA → task statement from O*NET's own work-activity links (offline)",
    )
    build.add_argument("--out", type=Path, required=True, help="output JSON path")
    build.set_defaults(func=_build)

    show = sub.add_parser("show", help="print a hierarchy's header, level sizes and a sample of nodes")
    show.add_argument("path", type=Path)
    show.add_argument("--node", default=None, help="print this node's path and children instead")
    show.add_argument("--limit", type=int, default=5)
    show.set_defaults(func=_show)


def _build(args: argparse.Namespace) -> int:
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    hierarchy = build_work_activity_hierarchy(load_onet(release=args.release, data_dir=args.data_dir))
    hierarchy.save(args.out)
    print(f"{hierarchy.id}: {hierarchy.sizes()} → {args.out}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from harness.taxonomy import Hierarchy

    hierarchy = Hierarchy.load(args.path)
    print(f"id     : {hierarchy.id}")
    print(f"levels : {' > '.join(f'{lvl} ({n:,})' for lvl, n in hierarchy.sizes().items())}")
    for key, value in hierarchy.metadata.items():
        print(f"  {key}: {value}")
    if args.node:
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
