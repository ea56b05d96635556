"""Clio-style task hierarchies: built bottom-up from the O*NET task statements of a release, then inspected.

Public API:
    Building: :func:`build_clio_hierarchy` (and its coroutine :func:`abuild_clio_hierarchy`) with a model or
    offline, options in :class:`ClioConfig`; level names and target sizes (:func:`clio_level_names`,
    :func:`clio_level_sizes`).
    Planning a model build without calling a model: :func:`plan_clio_build` → :class:`ClioPlan`, via :class:`DryRunLLM`.
    Text vectorisers: the :class:`Vectoriser` protocol, :class:`EmbedderVectoriser`, :class:`TfidfSvdVectoriser`,
    :func:`make_vectoriser`.
    Inspecting any hierarchy (work-activity or Clio-style): :func:`hierarchy_stats` → :class:`HierarchyStats` of
    :class:`LevelStats`; :func:`diff_hierarchies` → :class:`HierarchyDiff` of :class:`LevelDiff` and
    :class:`ParentSample`.

The result is a :class:`harness.taxonomy.Hierarchy`, the same type the offline work-activity builder returns, so
classification and validation treat both alike.
"""

from harness.clio._build import (
    ClioPlan,
    abuild_clio_hierarchy,
    build_clio_hierarchy,
    clio_level_names,
    clio_level_sizes,
    plan_clio_build,
)
from harness.clio._common import DryRunLLM
from harness.clio._config import ClioConfig
from harness.clio._inspect import (
    HierarchyDiff,
    HierarchyStats,
    LevelDiff,
    LevelStats,
    ParentSample,
    diff_hierarchies,
    hierarchy_stats,
)
from harness.clio._vectors import EmbedderVectoriser, TfidfSvdVectoriser, Vectoriser, make_vectoriser

__all__ = [
    "ClioConfig",
    "ClioPlan",
    "DryRunLLM",
    "EmbedderVectoriser",
    "HierarchyDiff",
    "HierarchyStats",
    "LevelDiff",
    "LevelStats",
    "ParentSample",
    "TfidfSvdVectoriser",
    "Vectoriser",
    "abuild_clio_hierarchy",
    "build_clio_hierarchy",
    "clio_level_names",
    "clio_level_sizes",
    "diff_hierarchies",
    "hierarchy_stats",
    "make_vectoriser",
    "plan_clio_build",
]
