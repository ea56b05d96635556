"""Inspecting hierarchies: per-level statistics of one, and what changed between two.

Works for any :class:`~harness.taxonomy.Hierarchy` (work-activity or Clio-style): both use ``task:<min Task ID>``
base ids, so two builds over the same release can be compared task by task.

How "moved" is counted in :func:`diff_hierarchies`: on each non-base level, every base task shared by both
hierarchies is mapped to its ancestor on that level in A and in B. Each A ancestor is matched to the B node that
holds most of its tasks (ties → the smaller B id); a task has *moved* when its B ancestor is not the match of its A
ancestor. The count is therefore asymmetric (A is the reference) and zero exactly when B's grouping refines or
equals A's on the shared tasks. The adjusted Rand index of the two groupings is reported alongside (symmetric,
1 for identical groupings, about 0 for unrelated ones).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass

import numpy as np

from harness.taxonomy import Hierarchy

__all__ = [
    "HierarchyDiff", "HierarchyStats", "LevelDiff", "LevelStats", "ParentSample", "diff_hierarchies", "hierarchy_stats",
]


@dataclass(frozen=True)
class LevelStats:
    """One level of a hierarchy.

    Attributes:
        level: Level name.
        nodes: Nodes on the level.
        empty: Nodes without children (always 0 on the base level, which has none by definition).
        children_min, children_median, children_mean, children_max: Children per node (0 on the base level).
        children_p10, children_p90: 10th and 90th percentiles of children per node.
        base_per_node_median: Median number of base nodes below a node.
    """

    level: str
    nodes: int
    empty: int
    children_min: int
    children_median: float
    children_mean: float
    children_max: int
    children_p10: float
    children_p90: float
    base_per_node_median: float


@dataclass(frozen=True)
class HierarchyStats:
    """Per-level statistics of a hierarchy, top first."""

    id: str
    builder: str | None
    levels: tuple[LevelStats, ...]

    @property
    def empty_parents(self) -> int:
        """Non-base nodes without children."""
        return sum(level.empty for level in self.levels[:-1])


def hierarchy_stats(hierarchy: Hierarchy) -> HierarchyStats:
    """Sizes, children-per-parent distribution and empty parents of every level."""
    below: dict[str, int] = Counter()
    for node in hierarchy.level_nodes(hierarchy.base):
        for ancestor in hierarchy.ancestors(node.id):
            below[ancestor.id] += 1
    out = []
    for depth, level in enumerate(hierarchy.levels):
        nodes = hierarchy.level_nodes(level)
        is_base = depth == len(hierarchy.levels) - 1
        counts = np.array([0 if is_base else len(hierarchy.children(n.id)) for n in nodes], dtype=float)
        bases = np.array([1 if is_base else below[n.id] for n in nodes], dtype=float)
        if not len(counts):
            counts = bases = np.zeros(1)
        out.append(LevelStats(
            level=level, nodes=len(nodes), empty=0 if is_base else int((counts == 0).sum()),
            children_min=int(counts.min()), children_median=float(np.median(counts)),
            children_mean=round(float(counts.mean()), 3), children_max=int(counts.max()),
            children_p10=float(np.percentile(counts, 10)), children_p90=float(np.percentile(counts, 90)),
            base_per_node_median=float(np.median(bases)),
        ))
    return HierarchyStats(id=hierarchy.id, builder=hierarchy.metadata.get("builder"), levels=tuple(out))


@dataclass(frozen=True)
class LevelDiff:
    """How the grouping of shared base tasks differs on one level (A's level of the same depth from the top).

    Attributes:
        level_a, level_b: The compared levels (same distance above the base).
        nodes_a, nodes_b: Node counts.
        moved: Shared base tasks whose B ancestor is not the match of their A ancestor (module docstring).
        adjusted_rand: Adjusted Rand index of the two groupings of the shared tasks.
    """

    level_a: str
    level_b: str
    nodes_a: int
    nodes_b: int
    moved: int
    adjusted_rand: float


@dataclass(frozen=True)
class ParentSample:
    """One parent of A, its best-matching parent in B, and a few of its children (names only)."""

    id_a: str
    name_a: str
    id_b: str | None
    name_b: str | None
    shared: int
    children: tuple[str, ...]


@dataclass(frozen=True)
class HierarchyDiff:
    """Differences between hierarchies A and B.

    Attributes:
        id_a, id_b: Hierarchy ids.
        sizes_a, sizes_b: Nodes per level.
        base_shared, base_only_a, base_only_b: Base node ids in both / only in one.
        levels: One :class:`LevelDiff` per non-base level, compared by distance above the base.
        sample: A seeded sample of A's parents just above the base, with their matches in B.
    """

    id_a: str
    id_b: str
    sizes_a: dict[str, int]
    sizes_b: dict[str, int]
    base_shared: int
    base_only_a: int
    base_only_b: int
    levels: tuple[LevelDiff, ...]
    sample: tuple[ParentSample, ...]


def _match(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], int]:
    table: dict[str, Counter[str]] = defaultdict(Counter)
    for a, b in pairs:
        table[a][b] += 1
    match = {a: min(counter, key=lambda b: (-counter[b], b)) for a, counter in table.items()}
    moved = sum(1 for a, b in pairs if match[a] != b)
    return match, moved


def diff_hierarchies(a: Hierarchy, b: Hierarchy, *, sample: int = 5, seed: int = 0) -> HierarchyDiff:
    """Compare two hierarchies (rules in the module docstring).

    Args:
        a: The reference hierarchy.
        b: The hierarchy compared with it.
        sample: How many of A's lowest parents to show with their best match in B.
        seed: Seed of the sample.
    """
    from sklearn.metrics import adjusted_rand_score

    base_a = {n.id for n in a.level_nodes(a.base)}
    base_b = {n.id for n in b.level_nodes(b.base)}
    shared = sorted(base_a & base_b)
    levels = []
    matches: dict[str, str] = {}
    for up in range(1, min(len(a.levels), len(b.levels))):
        level_a, level_b = a.levels[-1 - up], b.levels[-1 - up]
        pairs = [(a.at_level(t, level_a), b.at_level(t, level_b)) for t in shared]
        match, moved = _match(pairs)
        if up == 1:
            matches = match
        ari = float(adjusted_rand_score([p for p, _ in pairs], [q for _, q in pairs])) if pairs else float("nan")
        levels.append(LevelDiff(level_a, level_b, len(a.level_nodes(level_a)), len(b.level_nodes(level_b)), moved,
                                round(ari, 6)))
    samples = []
    if len(a.levels) > 1:
        parents = a.level_nodes(a.levels[-2])
        picked = sorted(random.Random(seed).sample(range(len(parents)), min(sample, len(parents))))
        shared_set = set(shared)
        for i in picked:
            parent = parents[i]
            children = a.children(parent.id)
            match_id = matches.get(parent.id)
            in_both = sum(1 for c in children if c.id in shared_set and match_id is not None
                          and b.at_level(c.id, b.levels[-2]) == match_id)
            samples.append(ParentSample(
                id_a=parent.id, name_a=parent.name, id_b=match_id, name_b=b[match_id].name if match_id else None,
                shared=in_both, children=tuple(c.name for c in children[:5]),
            ))
    return HierarchyDiff(
        id_a=a.id, id_b=b.id, sizes_a=a.sizes(), sizes_b=b.sizes(), base_shared=len(shared),
        base_only_a=len(base_a - base_b), base_only_b=len(base_b - base_a), levels=tuple(levels),
        sample=tuple(samples),
    )
