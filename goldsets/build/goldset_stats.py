"""Summarise a goldset JSONL file as Markdown tables (the numbers quoted in ``goldsets/README.md``).

Counts are taken from one rater's labels (``--rater``, default ``rater-a``). The SOC major group of an
item is the first two digits of the O*NET-SOC code owning its best (first) task; the task-to-occupation
map is read from the O*NET 29.3 ``Task Statements.txt`` in ``--data-dir`` (default: ``$HARNESS_DATA_DIR``
/onet/db_29_3_text). Every task id is checked against that file; unknown ids make the script exit non-zero.

Usage::

    HARNESS_DATA_DIR=/path/to/data python goldsets/build/goldset_stats.py goldsets/sharegpt_v1.jsonl
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

PATTERNS = ("directive", "feedback_loop", "task_iteration", "learning", "validation", "none")

# SOC 2018 major groups (facts from the SOC structure), used only to label the table.
MAJOR_GROUPS = {
    "11": "Management",
    "13": "Business and Financial Operations",
    "15": "Computer and Mathematical",
    "17": "Architecture and Engineering",
    "19": "Life, Physical, and Social Science",
    "21": "Community and Social Service",
    "23": "Legal",
    "25": "Educational Instruction and Library",
    "27": "Arts, Design, Entertainment, Sports, and Media",
    "29": "Healthcare Practitioners and Technical",
    "31": "Healthcare Support",
    "33": "Protective Service",
    "35": "Food Preparation and Serving Related",
    "37": "Building and Grounds Cleaning and Maintenance",
    "39": "Personal Care and Service",
    "41": "Sales and Related",
    "43": "Office and Administrative Support",
    "45": "Farming, Fishing, and Forestry",
    "47": "Construction and Extraction",
    "49": "Installation, Maintenance, and Repair",
    "51": "Production",
    "53": "Transportation and Material Moving",
    "55": "Military Specific",
}


def task_to_soc(data_dir: Path) -> dict[int, str]:
    """Map O*NET task id to its O*NET-SOC code from ``Task Statements.txt``."""
    path = data_dir / "onet" / "db_29_3_text" / "Task Statements.txt"
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return {int(row["Task ID"]): row["O*NET-SOC Code"] for row in reader}


def load(path: Path, rater: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Return ``(item, label)`` pairs for the chosen rater."""
    pairs = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            item = json.loads(line)
            label = next((lab for lab in item["labels"] if lab["rater"] == rater), None)
            if label is not None:
                pairs.append((item, label))
    return pairs


def table(title: str, counts: Counter[str], total: int, order: list[str] | None = None) -> str:
    """Render a count/share Markdown table."""
    keys = order if order is not None else [k for k, _ in counts.most_common()]
    lines = [f"| {title} | n | share |", "|---|---:|---:|"]
    for key in keys:
        lines.append(f"| {key} | {counts[key]} | {counts[key] / total:.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("goldset", type=Path)
    parser.add_argument("--rater", default="rater-a")
    parser.add_argument("--data-dir", type=Path, default=os.environ.get("HARNESS_DATA_DIR"))
    args = parser.parse_args(argv)
    if args.data_dir is None:
        parser.error("set --data-dir or HARNESS_DATA_DIR")

    soc = task_to_soc(Path(args.data_dir))
    pairs = load(args.goldset, args.rater)
    n = len(pairs)
    unknown = sorted({t for _, lab in pairs for t in lab["tasks"] if t not in soc})
    if unknown:
        print(f"unknown task ids: {unknown}", file=sys.stderr)
        return 1

    occupational = [(it, lab) for it, lab in pairs if lab["occupational"]]
    n_occ = len(occupational)
    split = Counter(it["split"] for it, _ in pairs)
    turns = Counter(
        "1 user turn" if sum(m["role"] == "user" for m in it["conversation"]["messages"]) == 1 else "2+ user turns"
        for it, _ in pairs
    )
    patterns = Counter(lab["pattern"] for _, lab in pairs)
    patterns_occ = Counter(lab["pattern"] for _, lab in occupational)
    confidence = Counter(lab["confidence"] for _, lab in pairs)
    majors = Counter(soc[lab["tasks"][0]][:2] for _, lab in occupational)
    n_tasks = Counter(str(len(lab["tasks"])) for _, lab in occupational)
    accounts = len({it["conversation"]["account_id"] for it, _ in pairs})

    print(
        f"Items labelled by {args.rater}: {n}; occupational: {n_occ} ({n_occ / n:.0%}); "
        f"distinct synthetic accounts: {accounts}\n"
    )
    # only the splits this rater labelled (rater-a: dev and test; rater-c: check)
    print(table("split", split, n, [s for s in ("dev", "test", "check") if split[s]]) + "\n")
    print(table("turns", turns, n, ["1 user turn", "2+ user turns"]) + "\n")
    print(table("pattern (all items)", patterns, n, list(PATTERNS)) + "\n")
    print(table("pattern (occupational items)", patterns_occ, n_occ, list(PATTERNS)) + "\n")
    print(table("confidence", confidence, n, ["high", "medium", "low"]) + "\n")
    print(table("tasks per occupational item", n_tasks, n_occ, sorted(n_tasks)) + "\n")
    major_rows = Counter({f"{code} {MAJOR_GROUPS.get(code, '?')}": c for code, c in majors.items()})
    print(table("SOC major group of best task", major_rows, n_occ))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
