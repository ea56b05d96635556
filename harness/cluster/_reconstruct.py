"""Reconstruction: does the cheap cluster route give the same prevalence picture as classifying every conversation?

The direct distribution counts each conversation's own task; the cluster distribution gives each cluster's task
the cluster's size. Both are rolled up to occupations and SOC major groups (:func:`prevalence`) and compared with
:func:`harness.evaluate.reconstruction_scores` at every aggregation level.

Outputs (``write``) carry item ids and names from the taxonomy, counts and scores; never conversation text.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.classify import Classification, Classifier
from harness.cluster._clusters import (
    Algorithm,
    AssignedClusters,
    ClusterAssignments,
    Representative,
    Summariser,
    UserTurnSummary,
    _describe,
    assign_clusters,
    cluster_conversations,
)
from harness.cluster._prevalence import PREVALENCE_LEVELS, PrevalenceLevel, item_names, prevalence
from harness.conversations import Conversation
from harness.evaluate import Reconstruction, reconstruction_scores
from harness.llm import Embedder
from harness.run import RunDir
from harness.taxonomy import Hierarchy

__all__ = ["RECONSTRUCTION_COLUMNS", "RECONSTRUCTION_SCHEMA", "ReconstructionResult", "reconstruct"]

RECONSTRUCTION_SCHEMA = "harness.reconstruction/1"
#: Columns of :meth:`ReconstructionResult.table` (the metrics.json "reconstruction" rows, in this order).
RECONSTRUCTION_COLUMNS: tuple[str, ...] = (
    "level", "aggregation", "mean_cluster_size", "pearson", "spearman", "kendall_tau_b", "mse",
    "n_direct", "n_cluster", "n_both", "n_union",
)


def _finite_or_none(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not math.isfinite(float(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass(frozen=True, eq=False)
class ReconstructionResult:
    """Direct vs cluster prevalence at every aggregation level and prevalence level.

    Attributes:
        scores: One :class:`~harness.evaluate.Reconstruction` per (aggregation, level), aggregation-major in the
            order of the requested sizes.
        mean_cluster_sizes: Aggregation name → conversations per cluster obtained.
        direct: Prevalence level → direct shares (index: item id).
        cluster: ``(level, aggregation)`` → cluster-based shares.
        names: Prevalence level → item id → readable name (task statement, occupation or major-group title).
        clusters: The cluster membership (ids and indices only).
        assigned: Per aggregation level, each cluster's classification.
        info: Provenance: hierarchy id, classifier description, seed, sizes, summary, representative, n,
            timings in seconds.
    """

    scores: tuple[Reconstruction, ...]
    mean_cluster_sizes: Mapping[str, float]
    direct: Mapping[str, pd.Series]
    cluster: Mapping[tuple[str, str], pd.Series]
    names: Mapping[str, Mapping[str, str]]
    clusters: ClusterAssignments
    assigned: tuple[AssignedClusters, ...]
    info: Mapping[str, Any]

    def table(self) -> pd.DataFrame:
        """One row per (level, aggregation): :data:`RECONSTRUCTION_COLUMNS` plus ``note``."""
        rows = [
            {
                "level": s.level, "aggregation": s.aggregation,
                "mean_cluster_size": self.mean_cluster_sizes[s.aggregation],
                "pearson": s.pearson, "spearman": s.spearman, "kendall_tau_b": s.kendall_tau_b, "mse": s.mse,
                "n_direct": s.n_direct, "n_cluster": s.n_cluster, "n_both": s.n_both, "n_union": s.n_union,
                "note": s.note,
            }
            for s in self.scores
        ]
        return pd.DataFrame(rows, columns=[*RECONSTRUCTION_COLUMNS, "note"])

    def rows(self) -> list[dict[str, Any]]:
        """The metrics.json ``"reconstruction"`` rows (NaN → ``None``)."""
        table = self.table()[list(RECONSTRUCTION_COLUMNS)]
        return [{k: _finite_or_none(v) for k, v in row.items()} for row in table.to_dict(orient="records")]

    def metrics(self) -> dict[str, dict[str, Any]]:
        """Flat metrics.json entries, e.g. ``"reconstruction.task.size-50.pearson"`` →
        ``{"value", "n", "kind"}`` (kind ``"correlation"``, or ``"error"`` for MSE; n = items compared)."""
        out: dict[str, dict[str, Any]] = {}
        for s in self.scores:
            for name in ("pearson", "spearman", "kendall_tau_b", "mse"):
                out[f"reconstruction.{s.level}.{s.aggregation}.{name}"] = {
                    "value": _finite_or_none(float(getattr(s, name))),
                    "n": s.n_union,
                    "kind": "error" if name == "mse" else "correlation",
                }
        return out

    def pairs(self, level: str, aggregation: str) -> pd.DataFrame:
        """``item_id, item, direct, cluster`` over the union of items (0 where a method found none).

        Sorted by direct share, then cluster share (descending), then item id.
        """
        direct = self.direct[level]
        cluster = self.cluster[(level, aggregation)]
        union = sorted(set(direct.index) | set(cluster.index))
        frame = pd.DataFrame({
            "item_id": union,
            "item": [self.names[level].get(i, i) for i in union],
            "direct": [float(direct.get(i, 0.0)) for i in union],
            "cluster": [float(cluster.get(i, 0.0)) for i in union],
        })
        return frame.sort_values(["direct", "cluster", "item_id"], ascending=[False, False, True],
                                 ignore_index=True)

    def cluster_table(self) -> pd.DataFrame:
        """One row per cluster: ``aggregation, cluster, size, node_<level>..., task`` (no member text)."""
        rows = []
        for assigned in self.assigned:
            lvl = assigned.level
            for index, (size, result) in enumerate(zip(lvl.sizes, assigned.classifications, strict=True)):
                path = result.path if result.valid else ()
                row: dict[str, Any] = {"aggregation": lvl.aggregation, "cluster": index, "size": size}
                for depth, name in enumerate(("top", "mid", "base")):
                    row[f"node_{name}"] = path[depth] if depth < len(path) else None
                row["task"] = self.names["task"].get(path[-1], "") if path and "task" in self.names else ""
                rows.append(row)
        return pd.DataFrame(rows)

    def figure(self):
        """Correlations (Pearson, Spearman, Kendall tau-b) against the mean cluster size, one panel per level."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        table = self.table()
        levels = list(dict.fromkeys(table["level"]))
        fig, axes = plt.subplots(1, len(levels), figsize=(4.2 * len(levels), 3.8), sharey=True,
                                 layout="constrained", squeeze=False)
        for ax, level in zip(axes[0], levels, strict=True):
            part = table[table["level"] == level].sort_values("mean_cluster_size")
            for column, marker in (("pearson", "o"), ("spearman", "s"), ("kendall_tau_b", "^")):
                ax.plot(part["mean_cluster_size"], part[column], marker=marker, label=column.replace("_", " "))
            ax.set_xscale("log")
            ax.set_title(level)
            ax.set_xlabel("mean cluster size (log)")
            ax.set_ylim(-0.05, 1.05)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("correlation, direct vs cluster")
        axes[0][0].legend(fontsize=8, loc="lower left")
        n = self.info.get("n_conversations", "?")
        fig.suptitle(f"Reconstruction of prevalence from clusters ({n} conversations)", fontsize=10)
        return fig

    def write(self, out_dir: str | Path) -> Path:
        """Write ``out_dir/reconstruction/`` and return it.

        Files: ``scores.csv`` (:meth:`table`), ``reconstruction.json`` (``schema``, ``run`` = :attr:`info`,
        ``reconstruction`` = :meth:`rows`, ``metrics`` = :meth:`metrics`), ``pairs_<level>_<aggregation>.csv``
        (:meth:`pairs`), ``prevalence.csv`` (every pair in one long table with ``level`` and ``aggregation``
        columns, the layout :mod:`harness.report` reads), ``clusters.csv`` (:meth:`cluster_table`) and
        ``correlations.png`` (:meth:`figure`).
        """
        out = RunDir(out_dir).reconstruction.create()
        self.table().to_csv(out.scores_csv, index=False)
        payload = {"schema": RECONSTRUCTION_SCHEMA, "run": _jsonable(dict(self.info)), "reconstruction": self.rows(),
                   "metrics": self.metrics()}
        out.summary_json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        long = []
        for level, aggregation in self.cluster:
            pairs = self.pairs(level, aggregation)
            pairs.to_csv(out.pairs_csv(level, aggregation), index=False)
            long.append(pairs.assign(level=level, aggregation=aggregation))
        if long:
            columns = ["level", "aggregation", "item_id", "item", "direct", "cluster"]
            pd.concat(long, ignore_index=True)[columns].to_csv(out.prevalence_csv, index=False)
        self.cluster_table().to_csv(out.clusters_csv, index=False)
        import matplotlib.pyplot as plt

        fig = self.figure()
        fig.savefig(out.figure_png, dpi=120)
        plt.close(fig)
        return out.path


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return _finite_or_none(value)


def _select_direct(
    direct: Sequence[Classification] | pd.DataFrame, ids: Sequence[str]
) -> Sequence[Classification] | pd.DataFrame:
    """The direct results of ``ids``, in that order; every id must be present."""
    if isinstance(direct, pd.DataFrame):
        if "conversation_id" not in direct.columns:
            raise ValueError("the direct facts table needs a 'conversation_id' column")
        have = pd.Index(direct["conversation_id"].astype(str))
        if have.has_duplicates:
            raise ValueError("the direct facts table has a conversation_id twice")
        missing = [i for i in ids if i not in have]
        if missing:
            raise ValueError(f"{len(missing)} conversation(s) have no direct result, e.g. {missing[0]!r}")
        return direct.iloc[have.get_indexer(list(ids))].reset_index(drop=True)
    by_id = {c.conversation_id: c for c in direct}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise ValueError(f"{len(missing)} conversation(s) have no direct result, e.g. {missing[0]!r}")
    return [by_id[i] for i in ids]


def _score_routes(
    direct_shares: Mapping[str, pd.Series],
    assigned: Sequence[Any],
    hierarchy: Hierarchy,
    levels: Sequence[str],
) -> tuple[list[Reconstruction], dict[tuple[str, str], pd.Series], dict[str, float]]:
    """Score each clustering level's prevalence against the direct route, level by prevalence level."""
    cluster_shares: dict[tuple[str, str], pd.Series] = {}
    scores: list[Reconstruction] = []
    mean_sizes: dict[str, float] = {}
    for entry in assigned:
        aggregation = entry.level.aggregation
        mean_sizes[aggregation] = entry.level.mean_cluster_size
        for lvl in levels:
            shares = prevalence(entry.classifications, hierarchy, level=lvl, weights=entry.weights)
            cluster_shares[(lvl, aggregation)] = shares
            scores.append(reconstruction_scores(direct_shares[lvl].to_dict(), shares.to_dict(),
                                                level=lvl, aggregation=aggregation))
    return scores, cluster_shares, mean_sizes


def reconstruct(
    conversations: Sequence[Conversation],
    classifier: Classifier,
    hierarchy: Hierarchy,
    *,
    sizes: Sequence[int],
    seed: int,
    direct: Sequence[Classification] | pd.DataFrame | None = None,
    embedder: Embedder | None = None,
    summarise: Summariser | None = None,
    representative: Representative = "nearest",
    levels: Sequence[PrevalenceLevel] = ("category", "occupation", "task"),
    occupation_titles: Mapping[str, str] | None = None,
    algorithm: Algorithm = "auto",
) -> ReconstructionResult:
    """Compare direct and cluster-based prevalence at each aggregation level.

    Args:
        conversations: The conversations.
        classifier: Classifies conversations (direct) and cluster representatives (cluster route) against
            ``hierarchy``.
        hierarchy: The hierarchy whose base nodes are tasks (``meta["soc_codes"]`` needed for the occupation and
            category levels).
        sizes: Target mean cluster sizes, one aggregation level each (see :func:`cluster_conversations`).
        seed: k-means seed.
        direct: Per-conversation results to reuse (classifications or a facts table with ``conversation_id``);
            default: classify ``conversations`` with ``classifier``.
        embedder: Embeds summaries for clustering (default: all-MiniLM-L6-v2).
        summarise: Conversation → summary (default :class:`UserTurnSummary`); never stored.
        representative: How a cluster is represented to the classifier (``"nearest"`` or ``"pooled"``).
        levels: Prevalence levels to compare (subset of ``("task", "occupation", "category")``).
        occupation_titles: O*NET-SOC code → title for readable occupation names (see :func:`item_names`).
        algorithm: k-means variant (see :func:`cluster_conversations`).

    Returns:
        A :class:`ReconstructionResult`.

    Both routes count every result with a valid path, whatever its screening verdict, so they compare like with
    like; filter ``conversations`` first to study occupational use only.

    Raises:
        ValueError: On bad options, no conversations, or ``direct`` lacking some conversation.
    """
    levels = tuple(levels)
    bad = [lvl for lvl in levels if lvl not in PREVALENCE_LEVELS]
    if bad or not levels:
        raise ValueError(f"levels must be a non-empty subset of {PREVALENCE_LEVELS}, got {list(levels)}")
    conversations = list(conversations)
    if not conversations:
        raise ValueError("no conversations to reconstruct")
    summarise = summarise or UserTurnSummary()
    embedder = embedder or Embedder()
    timings: dict[str, float] = {}
    ids = [c.id for c in conversations]

    started = time.perf_counter()
    direct_results = classifier.classify(conversations) if direct is None else _select_direct(direct, ids)
    timings["direct"] = time.perf_counter() - started

    started = time.perf_counter()
    clusters = cluster_conversations(conversations, sizes=sizes, embedder=embedder, seed=seed,
                                     summarise=summarise, algorithm=algorithm)
    timings["cluster"] = time.perf_counter() - started
    started = time.perf_counter()
    assigned = assign_clusters(conversations, clusters, classifier, summarise=summarise,
                               representative=representative)
    timings["assign"] = time.perf_counter() - started

    direct_shares = {lvl: prevalence(direct_results, hierarchy, level=lvl) for lvl in levels}
    scores, cluster_shares, mean_sizes = _score_routes(direct_shares, assigned, hierarchy, levels)
    names = {}
    for lvl in levels:
        items = set(direct_shares[lvl].index).union(*(s.index for (lv, _), s in cluster_shares.items() if lv == lvl))
        names[lvl] = item_names(sorted(items), hierarchy, level=lvl, occupation_titles=occupation_titles)
    describe = getattr(classifier, "describe", None)
    info = {
        "hierarchy_id": hierarchy.id,
        "classifier": describe() if callable(describe) else {"spec": getattr(classifier, "spec", "?")},
        "backend": getattr(classifier, "spec", None),
        "n_conversations": len(conversations),
        "direct": "given" if direct is not None else "classified",
        "sizes": [lvl.target_size for lvl in clusters.levels],
        "k": {lvl.aggregation: lvl.k for lvl in clusters.levels},
        "kmeans": {lvl.aggregation: lvl.method for lvl in clusters.levels},
        "seed": clusters.seed,
        "summary": _describe(summarise),
        "embedding_model": clusters.embedding_model,
        "representative": representative,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
    }
    return ReconstructionResult(
        scores=tuple(scores), mean_cluster_sizes=mean_sizes, direct=direct_shares, cluster=cluster_shares,
        names=names, clusters=clusters, assigned=assigned, info=info,
    )
