"""Clio-style clustering and the reconstruction of prevalence from clusters.

Public API:
    Prevalence distributions: :func:`prevalence` (task / occupation with a 1/n split / SOC major group),
    :func:`item_names`, :data:`PREVALENCE_LEVELS`.
    Clusters: :func:`cluster_conversations` (summary → embedding → k-means per aggregation level) returning
    :class:`ClusterAssignments` of :class:`ClusterLevel`; :func:`assign_clusters` (one representative
    pseudo-conversation per cluster, classified with the direct method's classifier) returning
    :class:`AssignedClusters`; the offline summary :class:`UserTurnSummary`.
    Reconstruction: :func:`reconstruct` → :class:`ReconstructionResult` (table, metrics rows, prevalence pairs,
    figure, ``write``), :data:`RECONSTRUCTION_COLUMNS`.

Nothing here stores or writes conversation text: results hold ids, indices, sizes, node ids and taxonomy names.
"""

from harness.cluster._clusters import (
    CODE_REPLY_MARK,
    REPRESENTATIVES,
    AssignedClusters,
    ClusterAssignments,
    ClusterLevel,
    Representative,
    Summariser,
    UserTurnSummary,
    assign_clusters,
    cluster_conversations,
)
from harness.cluster._prevalence import PREVALENCE_LEVELS, PrevalenceLevel, item_names, prevalence
from harness.cluster._reconstruct import (
    RECONSTRUCTION_COLUMNS,
    RECONSTRUCTION_SCHEMA,
    ReconstructionResult,
    reconstruct,
)

__all__ = [
    "CODE_REPLY_MARK",
    "PREVALENCE_LEVELS",
    "RECONSTRUCTION_COLUMNS",
    "RECONSTRUCTION_SCHEMA",
    "REPRESENTATIVES",
    "AssignedClusters",
    "ClusterAssignments",
    "ClusterLevel",
    "PrevalenceLevel",
    "ReconstructionResult",
    "Representative",
    "Summariser",
    "UserTurnSummary",
    "assign_clusters",
    "cluster_conversations",
    "item_names",
    "prevalence",
    "reconstruct",
]
