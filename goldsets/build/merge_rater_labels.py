"""Merge an overlay file of one rater's labels ({"id", "labels": [...]}) into a goldset's items.

Usage: ``python goldsets/build/merge_rater_labels.py goldsets/sharegpt_v1.jsonl goldsets/sharegpt_v1.rater_b.jsonl``

Each overlay label is appended to the matching item's ``labels`` list; an item that already has a label from the
same rater is an error (run it once per overlay). The goldset is rewritten in place, item order unchanged.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(goldset: str, overlay: str) -> None:
    items = [json.loads(line) for line in Path(goldset).read_text(encoding="utf-8").splitlines() if line.strip()]
    by_id = {item["id"]: item for item in items}
    merged = 0
    for lineno, line in enumerate(Path(overlay).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        item = by_id.get(record["id"])
        if item is None:
            raise SystemExit(f"{overlay}:{lineno}: id {record['id']!r} is not in {goldset}")
        for label in record["labels"]:
            if any(existing["rater"] == label["rater"] for existing in item["labels"]):
                raise SystemExit(f"{overlay}:{lineno}: {record['id']} already has a label from {label['rater']}")
            item["labels"].append(label)
            merged += 1
    text = "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items)
    Path(goldset).write_text(text, encoding="utf-8")
    print(f"merged {merged} labels into {goldset}")


if __name__ == "__main__":
    main(*sys.argv[1:3])
