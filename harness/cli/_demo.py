"""``harness demo``: the embedded default, end to end, on the reference data and the shipped goldsets."""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the embedded default pipeline end to end")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output directory (default runs/demo)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    release = load_onet(release="29.3", data_dir=args.data_dir)
    hierarchy = build_work_activity_hierarchy(release)
    path = hierarchy.save(out / "hierarchy.json")
    print(f"[1] O*NET {release.release}: {len(release.tasks):,} tasks; hierarchy {hierarchy.id} → {path}")
    print(f"demo finished in {time.perf_counter() - started:.1f} s; outputs in {out}")
    return 0
