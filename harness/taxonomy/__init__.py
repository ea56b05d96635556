"""Taxonomy: O*NET and Economic Index reference data, and the task hierarchies classification walks.

Public API:
    Loading an O*NET release (text directory or the official zip): :func:`load_onet`, :class:`OnetRelease`.
    Major groups of the SOC: :data:`SOC_MAJOR_GROUPS`, :func:`major_group_of`.
    Hierarchy model: :class:`Hierarchy`, :class:`Node`, and :func:`build_work_activity_hierarchy`.
    Data location and download: :func:`fetch_onet_release`, :func:`resolve_onet_dir`.
    The Economic Index release folders and the O*NET-SOC 2010→2019 crosswalk (see ``_economic_index``).
"""

from harness.taxonomy._fetch import FetchError, fetch_onet_release
from harness.taxonomy._hierarchy import Hierarchy, Node
from harness.taxonomy._onet import OnetRelease, load_onet, release_dirname, resolve_onet_dir
from harness.taxonomy._patterns import AUGMENTATION, AUTOMATION, PATTERNS, pattern_mode
from harness.taxonomy._soc import SOC_MAJOR_GROUPS, major_group_of, normalise_statement
from harness.taxonomy._work_activity import base_node_id, build_work_activity_hierarchy

__all__ = [
    "AUGMENTATION",
    "AUTOMATION",
    "PATTERNS",
    "SOC_MAJOR_GROUPS",
    "FetchError",
    "Hierarchy",
    "Node",
    "OnetRelease",
    "base_node_id",
    "build_work_activity_hierarchy",
    "fetch_onet_release",
    "load_onet",
    "major_group_of",
    "normalise_statement",
    "pattern_mode",
    "release_dirname",
    "resolve_onet_dir",
]

# --- economic index exports (owned by the Economic Index loader; keep this block self-contained) ---
from harness.taxonomy._economic_index import (
    COLLABORATION_PATTERNS,
    EconomicIndexRelease,
    ReleaseName,
    SocCrosswalk,
    load_economic_index,
    load_soc_crosswalk,
    statements_to_soc_2019,
)

__all__ += [
    "COLLABORATION_PATTERNS",
    "EconomicIndexRelease",
    "ReleaseName",
    "SocCrosswalk",
    "load_economic_index",
    "load_soc_crosswalk",
    "statements_to_soc_2019",
]
# --- end economic index exports ---

# --- clio exports (owned by the Clio-style builder; keep this block self-contained) ---
from harness.taxonomy._clio import (  # noqa: E402
    ClioConfig,
    ClioPlan,
    abuild_clio_hierarchy,
    build_clio_hierarchy,
    clio_level_names,
    clio_level_sizes,
    plan_clio_build,
)
from harness.taxonomy._clio_common import DryRunLLM  # noqa: E402
from harness.taxonomy._clio_inspect import (  # noqa: E402
    HierarchyDiff,
    HierarchyStats,
    LevelDiff,
    LevelStats,
    ParentSample,
    diff_hierarchies,
    hierarchy_stats,
)
from harness.taxonomy._clio_vectors import (  # noqa: E402
    EmbedderVectoriser,
    TfidfSvdVectoriser,
    Vectoriser,
    make_vectoriser,
)

__all__ += [
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
# --- end clio exports ---
