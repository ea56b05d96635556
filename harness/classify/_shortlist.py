"""An embedding shortlist of each level's options, so the model reads a few likely options instead of all of them.

The LLM backend's option lists are most of what it reads: 37 work activities at the top level, a few dozen task
statements under an intermediate activity (361 under the largest). With ``+shortlist:<k>`` on a model backend's
spec (``anthropic:claude-haiku-4-5+shortlist:40``) every list longer than ``k`` is cut to the ``k`` options that
the offline embedding backend scores highest for the conversation, before the model picks; ``+shortlist:15,10,40``
gives one cap per level, top first (the caps that keep the gold answer at least 95% of the time at every level
of the work-activity hierarchy on the shipped goldset). The options kept are then shown in the same seeded,
shuffled way as a full list (never in score order, which would tell the model what the embedding thinks).

**Scores.** The scores are those of :class:`~harness.classify.EmbeddingClassifier` (its default configuration):
the user's opening turns are embedded, each task is scored by its statement, its linked detailed work activities
and the request's domain cues, and a parent scores as its best child. They are read from the conversation itself,
not from the model's summary, so a shortlist costs no model call and does not depend on the model.

**What it can cost.** An option the shortlist drops cannot be chosen, so a model that would have found the gold
answer loses it when the shortlist misses it. ``scripts/bench_shortlist_recall.py`` prints, per level and cap, how
often the way to a gold task survives on the shipped goldset, given that the walk is still on it (the only case in
which the model could still be right; when an item has several gold paths, each parent on one counts equally,
since which the walk takes depends on the model); :func:`gold_ranks` gives the ranks it counts,
:func:`shortlist_recall` the share.

**Cost per call.** A shortlisted list is particular to one conversation, so it would never be read back from the
prompt cache: such requests are sent without a cache mark (a cache write is billed at 1.25× the input price).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.conversations import Conversation
from harness.taxonomy import Hierarchy, Node

if TYPE_CHECKING:
    from harness.classify._embedding_backend import EmbeddingClassifier

__all__ = ["ShortlistScores", "Shortlister", "format_shortlist", "gold_ranks", "parse_shortlist", "shortlist_recall"]

_MIN_CAP = 2  # a shortlist of one option would leave the model no choice


def parse_shortlist(value: str | int | Sequence[int]) -> tuple[int, ...]:
    """Read a shortlist setting: ``"30"`` (one cap for every level) or ``"12,6,30"`` (one per level, top first).

    Raises:
        ValueError: Not whole numbers, or a cap below 2.
    """
    if isinstance(value, bool):
        raise ValueError(f"a shortlist is one or more whole numbers, got {value!r}")
    if isinstance(value, int):
        parts: list[object] = [value]
    elif isinstance(value, str):
        parts = [p.strip() for p in value.split(",")]
    else:
        parts = list(value)
    caps = []
    for part in parts:
        text = str(part)
        if isinstance(part, bool) or not text.isdigit():
            raise ValueError(f"a shortlist is one cap, or one per level separated by commas (e.g. 30 or "
                             f"12,6,30), got {value!r}")
        caps.append(int(text))
    if not caps or min(caps) < _MIN_CAP:
        raise ValueError(f"every shortlist cap must be at least {_MIN_CAP}, got {value!r}")
    return tuple(caps)


def format_shortlist(caps: Sequence[int]) -> str:
    """The spec text of a shortlist setting (inverse of :func:`parse_shortlist`)."""
    return ",".join(str(c) for c in caps)


@dataclass(frozen=True)
class ShortlistScores:
    """One conversation's embedding score of every node, one array per level (in the levels' node order)."""

    levels: tuple[np.ndarray, ...]


class Shortlister:
    """Cuts option lists to the options the embedding backend scores highest (module docstring).

    Args:
        hierarchy: The hierarchy the model walks (three levels, as the embedding scores need).
        caps: One cap for every level, or one per level (top first), each at least 2.
        scorer: The embedding classifier whose scores rank the options (default: one in its default
            configuration; its hierarchy embeddings are cached on disk like the embedding backend's).

    Raises:
        ValueError: A hierarchy that does not have three levels, or caps that do not match its levels.
    """

    def __init__(self, hierarchy: Hierarchy, caps: Sequence[int], *, scorer: EmbeddingClassifier | None = None):
        caps = parse_shortlist(caps)
        if len(hierarchy.levels) != 3:
            raise ValueError(f"a shortlist needs the embedding scores of a three-level hierarchy; {hierarchy.id} "
                             f"has the levels {hierarchy.levels}")
        if len(caps) not in (1, len(hierarchy.levels)):
            raise ValueError(f"give one shortlist cap or one per level ({len(hierarchy.levels)}: "
                             f"{', '.join(hierarchy.levels)}), got {format_shortlist(caps)}")
        self.hierarchy = hierarchy
        self.caps: tuple[int, ...] = caps * len(hierarchy.levels) if len(caps) == 1 else caps
        self._scorer = scorer
        self._positions = [{n.id: i for i, n in enumerate(hierarchy.level_nodes(level))} for level in hierarchy.levels]

    @property
    def scorer(self) -> EmbeddingClassifier:
        if self._scorer is None:
            from harness.classify._embedding_backend import EmbeddingClassifier

            self._scorer = EmbeddingClassifier(self.hierarchy)
        return self._scorer

    def describe(self) -> dict[str, object]:
        """What a manifest records of the shortlist: the caps and the scorer's model and configuration digest."""
        config = self.scorer.config
        return {"caps": dict(zip(self.hierarchy.levels, self.caps, strict=True)), "model": config.model,
                "scores": "embedding backend (default configuration)", "config_digest": config.digest()}

    def score(self, conversations: Sequence[Conversation]) -> list[ShortlistScores]:
        """Every node's score for each conversation (one batched embedding pass)."""
        if not conversations:
            return []
        scorer = self.scorer
        scorer.prepare()
        # the embedding backend's own walk reads these scores (see its module docstring)
        found = scorer._scores(conversations)
        top, mid, base = found.top, found.mid, found.base
        return [ShortlistScores((top[i], mid[i], base[i])) for i in range(len(conversations))]

    def cut(self, scores: ShortlistScores, depth: int, options: Sequence[Node]) -> list[Node]:
        """The at most ``caps[depth]`` best-scoring ``options``, in their given order (all of them when few)."""
        cap = self.caps[depth]
        if len(options) <= cap:
            return list(options)
        row = scores.levels[depth]
        values = np.array([row[self._positions[depth][o.id]] for o in options])
        keep = np.sort(np.argsort(-values, kind="stable")[:cap])
        return [options[int(i)] for i in keep]

    def rank(self, scores: ShortlistScores, depth: int, node_id: str) -> tuple[int, int]:
        """``(rank, number of options)`` of a node among its siblings (0 = best; ties count in its favour)."""
        node = self.hierarchy[node_id]
        siblings = self.hierarchy.children(node.parent)
        row, position = scores.levels[depth], self._positions[depth]
        own = row[position[node_id]]
        return int(sum(row[position[s.id]] > own for s in siblings)), len(siblings)


def gold_ranks(
    shortlister: Shortlister,
    scores: Sequence[ShortlistScores],
    gold: Sequence[Collection[str]],
) -> list[list[tuple[tuple[int, int], ...]]]:
    """Per level and item, where the way to a gold task ranks under each parent a correct walk may have reached.

    The walk reaches a gold task only along its primary path (root → top → mid → task), so a node counts as the
    gold answer at its level when it lies on the path of one of the item's gold tasks. A walk still on such a path
    stands at one of those nodes of the level above (at the top: the root); which one depends on the model, so
    each is counted. Under a parent, the rank is the best rank among its children of those on a gold path.

    Args:
        shortlister: The shortlister whose scores are read.
        scores: One conversation's scores per item.
        gold: Per item, the base nodes (tasks) that count as correct; items without one are left out.

    Returns:
        One list per level; in it, one entry per item with a gold task: a tuple of ``(rank, number of options)``
        per parent on a gold path. A cap ``k`` keeps the way on under a parent exactly when ``rank < k``
        (:func:`shortlist_recall`).
    """
    hierarchy = shortlister.hierarchy
    out: list[list[tuple[tuple[int, int], ...]]] = [[] for _ in hierarchy.levels]
    for item_scores, tasks in zip(scores, gold, strict=True):
        paths = [hierarchy.path(task) for task in sorted(tasks)]
        if not paths:
            continue
        for depth in range(len(hierarchy.levels)):
            parents = sorted({path[depth - 1] for path in paths}) if depth else [None]
            found = []
            for parent in parents:
                on_path = {path[depth] for path in paths if depth == 0 or path[depth - 1] == parent}
                found.append(min(shortlister.rank(item_scores, depth, node) for node in on_path))
            out[depth].append(tuple(found))
    return out


def shortlist_recall(ranks: Sequence[Sequence[tuple[int, int]]], cap: int) -> float:
    """Share of items whose gold answer a cap keeps, each item weighted once and its parents equally (NaN when
    there are no items); ``ranks`` is one level of :func:`gold_ranks`."""
    if not ranks:
        return float("nan")
    return float(np.mean([np.mean([rank < cap for rank, _ in item]) for item in ranks]))
