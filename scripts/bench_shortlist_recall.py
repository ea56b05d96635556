"""Benchmark: how often the embedding shortlist keeps the gold answer, per level and cap, on the shipped goldset.

The LLM backend with ``+shortlist:<k>`` shows the model only the ``k`` options of a list that the offline embedding
backend scores highest (``harness/classify/_shortlist.py``). An option it drops cannot be chosen, so its recall of
the gold answer bounds what the shortlist can cost. The walk reaches a gold task only along the task's own path
(top → mid → task), so recall at a level is counted over the items with a gold task: a walk still on a gold path
stands at one of its nodes of the level above (the root at the top), and the way on is kept when one of that
node's children on a gold path ranks among the ``k`` best of its children. An item with several such parents
(several gold tasks) counts each equally, since which one the walk takes depends on the model; each item weighs
the same. Lists no longer than ``k`` are kept whole; ``share of items cut`` says how often a list is longer.

Printed per scoring (strict: the raters' majority label; lenient: any rater's), split (dev, test, both) and level:
recall for each cap, the share of items the cap applies to and the mean number of options shown. The shortlist
scores come from the conversation alone (no model), so this needs no server and no key.

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_shortlist_recall.py [--caps 5,8,10,15,30,40]
[--goldset goldsets/sharegpt_v1.jsonl] [--shortlist 15,10,40]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.classify._shortlist import Shortlister, gold_ranks, parse_shortlist, shortlist_recall
from harness.evaluate import default_goldset_path, gold_nodes_at_level, load_goldset
from harness.taxonomy import build_work_activity_hierarchy, load_onet

TARGET = 0.95


def _table(ranks: list, levels: tuple[str, ...], caps: tuple[int, ...]) -> list[str]:
    lines = [f"    {'level':<6}{'n':>5}  " + "".join(f"{'k=' + str(k):>8}" for k in caps)]
    for level, rows in zip(levels, ranks, strict=True):
        if not rows:
            lines.append(f"    {level:<6}{0:>5}  (no item has a reachable gold node here)")
            continue
        # list sizes per item, each of its parents weighted equally (as in the recall)
        size = [np.array([n for _, n in item]) for item in rows]
        recall = "".join(f"{shortlist_recall(rows, k):>8.3f}" for k in caps)
        applies = "".join(f"{np.mean([(s > k).mean() for s in size]):>8.2f}" for k in caps)
        shown = "".join(f"{np.mean([np.minimum(s, k).mean() for s in size]):>8.1f}" for k in caps)
        lines += [f"    {level:<6}{len(rows):>5}  {recall}   recall",
                  f"    {'':<11}  {applies}   share of items cut",
                  f"    {'':<11}  {shown}   options shown (mean)"]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--goldset", type=Path, default=None, help="goldset JSONL (default: the shipped one)")
    parser.add_argument("--caps", default="5,6,8,10,12,15,20,25,30,35,40,50", help="caps to tabulate")
    parser.add_argument("--shortlist", default="15,10,40", help="the per-level caps to check against the target")
    args = parser.parse_args()
    caps = parse_shortlist(args.caps)

    started = time.perf_counter()
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    items = load_goldset(args.goldset or default_goldset_path())
    shortlister = Shortlister(hierarchy, parse_shortlist(args.shortlist))
    scores = shortlister.score([item.conversation for item in items])
    print(f"{len(items)} goldset items, {hierarchy.id}; embedding scores in {time.perf_counter() - started:.1f} s "
          f"(hierarchy embeddings from the cache when present)")

    verdicts = []
    for scoring in ("strict", "lenient"):
        gold = [gold_nodes_at_level(item, hierarchy, hierarchy.base, scoring=scoring) for item in items]
        for split in ("dev", "test", "all"):
            chosen = [i for i, item in enumerate(items) if split == "all" or item.split == split]
            ranks = gold_ranks(shortlister, [scores[i] for i in chosen], [gold[i] for i in chosen])
            print(f"\n{scoring}, {split} split")
            print("\n".join(_table(ranks, hierarchy.levels, caps)))
            if split == "all":
                for level, rows, cap in zip(hierarchy.levels, ranks, shortlister.caps, strict=True):
                    verdicts.append((scoring, level, cap, shortlist_recall(rows, cap)))
    print(f"\nshortlist {args.shortlist} against the target (recall >= {TARGET} at every level, whole goldset):")
    for scoring, level, cap, recall in verdicts:
        print(f"  {scoring:<8}{level:<6} k={cap:<4} recall {recall:.3f}  {'ok' if recall >= TARGET else 'BELOW'}")


if __name__ == "__main__":
    main()
