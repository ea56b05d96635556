"""Clio-style clusters: summarise each conversation, embed the summaries, k-means at several aggregation levels.

Each aggregation level is a target mean cluster size ``s``; k-means runs with ``k = ceil(n / s)`` clusters. A
cluster is then assigned to a task by classifying one *representative pseudo-conversation* with the same
classifier and hierarchy the direct method uses, and its size is spread over that task.

Representatives (``representative=``):

* ``"nearest"`` (default) – the summary of the member nearest the cluster centroid, as a conversation of user
  turns. A cluster of one member is represented by exactly that member's summary, so at size 1 the cluster route
  reproduces the direct one whenever the classifier reads no more than the pseudo-conversation keeps (true for the
  offline embedding classifier with the default :class:`UserTurnSummary`).
* ``"pooled"`` – one user turn per member for the ``pool`` members nearest the centroid (each member's summary
  joined into one turn), nearest first, so the classifier sees what the cluster's core has in common rather than
  one member. A one-member cluster falls back to ``"nearest"``.

Either way, when the represented members' replies mostly held a fenced code block, the pseudo-conversation ends
with one assistant turn :data:`CODE_REPLY_MARK` (an empty block): the offline classifier reads that shape of a
programming conversation, and it carries no reply text.

Privacy: results hold conversation ids, member indices, cluster sizes and node ids only. Summaries (and their
embeddings) exist in memory during a call and are never stored in a result or written anywhere.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from harness.classify import Classification, Classifier, replies_with_code
from harness.conversations import Conversation, Message
from harness.llm import Embedder

__all__ = [
    "CODE_REPLY_MARK",
    "REPRESENTATIVES",
    "AssignedClusters",
    "ClusterAssignments",
    "ClusterLevel",
    "Representative",
    "Summariser",
    "UserTurnSummary",
    "assign_clusters",
    "cluster_conversations",
]

Representative = Literal["nearest", "pooled"]
REPRESENTATIVES: tuple[str, ...] = get_args(Representative)
Algorithm = Literal["auto", "kmeans", "minibatch"]
_ALGORITHMS: tuple[str, ...] = get_args(Algorithm)
# Above this many conversations "auto" switches to MiniBatchKMeans (full k-means gets slow at large n * k).
_MINIBATCH_FROM = 20_000

#: Anything that turns a conversation into its summary: one text, or several turns. An LLM mode passes a callable
#: that asks a model for a summary; the offline mode is :class:`UserTurnSummary`.
Summariser = Callable[[Conversation], "str | Sequence[str]"]


@dataclass(frozen=True)
class UserTurnSummary:
    """The offline "summary": the user's non-empty turns (the first ``max_turns``; all when ``None``), each cut to
    ``max_chars`` characters as written.

    The defaults keep everything the offline embedding classifier reads of the user's side (its query turns and the
    domain cues it looks for in every user turn's first 2,000 characters); what it reads of the replies, whether one
    held code, the pseudo-conversation adds (:data:`CODE_REPLY_MARK`), so a conversation and its representative
    classify alike.
    """

    max_turns: int | None = None
    max_chars: int = 2000

    def __post_init__(self) -> None:
        if (self.max_turns is not None and self.max_turns < 1) or self.max_chars < 1:
            raise ValueError("max_turns (when given) and max_chars must be >= 1")

    def __call__(self, conversation: Conversation) -> tuple[str, ...]:
        turns = [m.content for m in conversation.messages if m.role == "user" and m.content.strip()]
        return tuple(t[: self.max_chars] for t in turns[: self.max_turns])

    def describe(self) -> str:
        return f"user-turns:{self.max_turns or 'all'}x{self.max_chars}"


def _describe(summarise: Summariser) -> str:
    describe = getattr(summarise, "describe", None)
    return str(describe()) if callable(describe) else getattr(summarise, "__name__", type(summarise).__name__)


def _turns(summarise: Summariser, conversation: Conversation) -> tuple[str, ...]:
    out = summarise(conversation)
    turns = (out,) if isinstance(out, str) else tuple(str(t) for t in out)
    return turns or ("",)


@dataclass(frozen=True, eq=False)
class ClusterLevel:
    """The clusters of one aggregation level.

    Attributes:
        target_size: Requested mean cluster size ``s`` (k = ceil(n / s)).
        labels: Cluster index of each conversation (input order), read-only, clusters numbered 0..k-1.
        sizes: Members per cluster.
        representatives: Per cluster, the indices of its members nearest the centroid, nearest first (at most
            ``pool``).
        inertia: Sum of squared distances of the embeddings to their centroids.
        method: ``"identity"`` (one conversation per cluster), ``"kmeans"`` or ``"minibatch-kmeans"``.
    """

    target_size: int
    labels: np.ndarray
    sizes: tuple[int, ...]
    representatives: tuple[tuple[int, ...], ...]
    inertia: float
    method: str

    @property
    def k(self) -> int:
        """Number of (non-empty) clusters."""
        return len(self.sizes)

    @property
    def mean_cluster_size(self) -> float:
        """Conversations per cluster actually obtained."""
        return float(sum(self.sizes)) / self.k if self.k else math.nan

    @property
    def aggregation(self) -> str:
        """Name of the level, used in tables and file names (e.g. ``"size-50"``)."""
        return f"size-{self.target_size}"


@dataclass(frozen=True, eq=False)
class ClusterAssignments:
    """Cluster membership at every aggregation level; no text.

    Attributes:
        conversation_ids: Ids of the clustered conversations, in input order.
        levels: One :class:`ClusterLevel` per requested size, in the order given.
        seed: Seed of k-means.
        summary: What represented a conversation (e.g. ``"user-turns:allx2000"``).
        embedding_model: Model that embedded the summaries.
    """

    conversation_ids: tuple[str, ...]
    levels: tuple[ClusterLevel, ...]
    seed: int
    summary: str
    embedding_model: str

    def level(self, target_size: int) -> ClusterLevel:
        """The level clustered at ``target_size``."""
        for lvl in self.levels:
            if lvl.target_size == target_size:
                return lvl
        raise KeyError(f"no aggregation level of size {target_size}; have {[lv.target_size for lv in self.levels]}")

    def to_frame(self) -> pd.DataFrame:
        """Long table ``conversation_id, aggregation, target_size, cluster`` (one row per conversation and level)."""
        frames = [
            pd.DataFrame({
                "conversation_id": list(self.conversation_ids),
                "aggregation": lvl.aggregation,
                "target_size": lvl.target_size,
                "cluster": lvl.labels.astype(np.int64),
            })
            for lvl in self.levels
        ]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
            columns=["conversation_id", "aggregation", "target_size", "cluster"])


def _check_sizes(sizes: Sequence[int]) -> tuple[int, ...]:
    out = tuple(int(s) for s in sizes)
    if not out:
        raise ValueError("sizes must name at least one target cluster size")
    if any(s < 1 for s in out) or any(s != t for s, t in zip(out, sizes, strict=True)):
        raise ValueError(f"sizes must be positive integers, got {list(sizes)}")
    if len(set(out)) != len(out):
        raise ValueError(f"sizes must be distinct, got {list(sizes)}")
    return out


def _nearest(members: np.ndarray, vectors: np.ndarray, centre: np.ndarray, pool: int) -> tuple[int, ...]:
    distance = np.sum((vectors[members] - centre) ** 2, axis=1)
    order = np.lexsort((members, distance))  # ties → lower index, so the choice is deterministic
    return tuple(int(members[j]) for j in order[:pool])


def _kmeans(vectors: np.ndarray, k: int, seed: int, algorithm: str) -> tuple[np.ndarray, np.ndarray, str]:
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.exceptions import ConvergenceWarning

    n = len(vectors)
    use_minibatch = algorithm == "minibatch" or (algorithm == "auto" and n > _MINIBATCH_FROM)
    with warnings.catch_warnings():
        # Duplicate conversations give fewer distinct points than k; k-means then warns and leaves clusters empty.
        warnings.simplefilter("ignore", ConvergenceWarning)
        if use_minibatch:
            model = MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
            method = "minibatch-kmeans"
        else:
            model = KMeans(n_clusters=k, random_state=seed, n_init=1)
            method = "kmeans"
        labels = model.fit_predict(vectors.astype(np.float64))
    return labels, model.cluster_centers_, method


def _level(vectors: np.ndarray, size: int, seed: int, pool: int, algorithm: str) -> ClusterLevel:
    n = len(vectors)
    k = min(n, math.ceil(n / size))
    if k == n:  # every conversation its own cluster: k-means would only reproduce that, slowly
        labels, centres, method = np.arange(n), vectors, "identity"
    elif k == 1:
        labels, centres, method = np.zeros(n, dtype=np.int64), vectors.mean(axis=0, keepdims=True), "kmeans"
    else:
        labels, centres, method = _kmeans(vectors, k, seed, algorithm)
    # Renumber the non-empty clusters 0..k'-1 in order of first appearance.
    used, first = np.unique(labels, return_index=True)
    order = used[np.argsort(first, kind="stable")]
    lookup = np.full(int(labels.max()) + 1, -1, dtype=np.int64)
    lookup[order] = np.arange(len(order))
    centres = np.asarray(centres)[order]
    labels = lookup[labels]
    # Members of every cluster from one sort (O(n log n), not one scan per cluster).
    by_cluster = np.argsort(labels, kind="stable")
    counts = np.bincount(labels, minlength=len(order))
    groups = np.split(by_cluster, np.cumsum(counts)[:-1])
    reps = [_nearest(members, vectors, centres[c], pool) for c, members in enumerate(groups)]
    inertia = float(np.sum((vectors - centres[labels]) ** 2))
    sizes = [int(x) for x in counts]
    labels.setflags(write=False)
    return ClusterLevel(size, labels, tuple(sizes), tuple(reps), inertia, method)


def cluster_conversations(
    conversations: Sequence[Conversation],
    *,
    sizes: Sequence[int],
    embedder: Embedder,
    seed: int,
    summarise: Summariser | None = None,
    pool: int = 3,
    algorithm: Algorithm = "auto",
) -> ClusterAssignments:
    """Cluster conversations by their summaries at several aggregation levels.

    Args:
        conversations: The conversations (ids must be unique).
        sizes: Target mean cluster sizes, one aggregation level each (e.g. ``[10, 50, 200, 1000]``); k-means
            uses ``k = ceil(n / size)`` clusters (``size >= n`` gives one cluster; ``k == n`` puts every
            conversation in its own cluster without running k-means).
        embedder: Encodes the summaries (unit-normalised).
        seed: Seeds k-means, so the same inputs give the same clusters.
        summarise: Conversation → summary text or turns (default :class:`UserTurnSummary`); an LLM mode passes a
            callable that asks a model. Summaries are not kept.
        pool: How many members nearest each centroid to record as its representatives.
        algorithm: ``"kmeans"``, ``"minibatch"`` (MiniBatchKMeans) or ``"auto"`` (minibatch above 20,000
            conversations).

    Returns:
        :class:`ClusterAssignments` (no text).

    Raises:
        ValueError: On bad sizes, pool or algorithm, duplicate conversation ids, or no conversations.
    """
    targets = _check_sizes(sizes)
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"algorithm must be one of {_ALGORITHMS}, got {algorithm!r}")
    if pool < 1:
        raise ValueError(f"pool must be >= 1, got {pool}")
    conversations = list(conversations)
    if not conversations:
        raise ValueError("no conversations to cluster")
    ids = tuple(c.id for c in conversations)
    if len(set(ids)) != len(ids):
        raise ValueError("conversation ids must be unique")
    summarise = summarise or UserTurnSummary()
    texts = ["\n\n".join(_turns(summarise, c)) for c in conversations]
    vectors = embedder.encode(texts).astype(np.float32)
    del texts
    levels = tuple(_level(vectors, size, seed, pool, algorithm) for size in targets)
    return ClusterAssignments(ids, levels, int(seed), _describe(summarise), embedder.model)


@dataclass(frozen=True, eq=False)
class AssignedClusters:
    """One aggregation level with each cluster assigned to a node by the classifier.

    Attributes:
        level: The clusters.
        classifications: One per cluster (same order as ``level.sizes``), of its representative pseudo-conversation
            (id ``cluster:<aggregation>:<index>``); the path's base node is the cluster's task.
        representative: How the pseudo-conversations were built.
    """

    level: ClusterLevel
    classifications: tuple[Classification, ...]
    representative: str

    @property
    def weights(self) -> np.ndarray:
        """Cluster sizes, the weight each cluster's task receives."""
        return np.asarray(self.level.sizes, dtype=float)


#: The assistant turn of a pseudo-conversation whose represented replies held code: an empty fenced block, which
#: says that much and nothing of any reply's text.
CODE_REPLY_MARK = "```\n```"


def _pseudo(
    level: ClusterLevel, index: int, conversations: Sequence[Conversation], summarise: Summariser,
    representative: str, pool: int,
) -> Conversation:
    members = level.representatives[index][:pool]
    if representative == "nearest" or level.sizes[index] == 1:
        members = members[:1]
        turns = _turns(summarise, conversations[members[0]])
    else:
        turns = tuple("\n".join(_turns(summarise, conversations[m])) for m in members)
    # the offline classifier reads whether a reply held code (the shape of a programming conversation); a summary
    # of the user's turns would lose that, so the represented members' majority says it here
    with_code = 2 * sum(replies_with_code(conversations[m]) for m in members) > len(members)
    return Conversation(
        id=f"cluster:{level.aggregation}:{index}",
        account_id=f"cluster:{level.aggregation}",
        messages=tuple(Message("user", t) for t in turns)
        + ((Message("assistant", CODE_REPLY_MARK),) if with_code else ()),
    )


def assign_clusters(
    conversations: Sequence[Conversation],
    clusters: ClusterAssignments,
    classifier: Classifier,
    *,
    summarise: Summariser | None = None,
    representative: Representative = "nearest",
    pool: int = 3,
) -> tuple[AssignedClusters, ...]:
    """Classify one representative pseudo-conversation per cluster at every aggregation level.

    Args:
        conversations: The conversations that were clustered, in the same order.
        clusters: Output of :func:`cluster_conversations`.
        classifier: The classifier the direct method uses (same hierarchy).
        summarise: The summariser used for clustering (default :class:`UserTurnSummary`); only the
            representatives are summarised again.
        representative: ``"nearest"`` or ``"pooled"`` (see the module docstring).
        pool: Members pooled for ``"pooled"`` (at most the number recorded per cluster).

    Returns:
        One :class:`AssignedClusters` per level, in the order of ``clusters.levels``.

    Raises:
        ValueError: On an unknown representative, or conversations that do not match the clustering.
    """
    if representative not in REPRESENTATIVES:
        raise ValueError(f"representative must be one of {REPRESENTATIVES}, got {representative!r}")
    if pool < 1:
        raise ValueError(f"pool must be >= 1, got {pool}")
    conversations = list(conversations)
    if tuple(c.id for c in conversations) != clusters.conversation_ids:
        raise ValueError("conversations differ from those clustered (ids or order)")
    summarise = summarise or UserTurnSummary()
    # One classify call over every level's representatives, so a batching backend sees one large batch.
    pseudo = [
        _pseudo(level, i, conversations, summarise, representative, pool)
        for level in clusters.levels
        for i in range(level.k)
    ]
    results = classifier.classify(pseudo)
    if len(results) != len(pseudo):
        raise ValueError(f"the classifier returned {len(results)} results for {len(pseudo)} clusters")
    out, start = [], 0
    for level in clusters.levels:
        out.append(AssignedClusters(level, tuple(results[start: start + level.k]), representative))
        start += level.k
    return tuple(out)
