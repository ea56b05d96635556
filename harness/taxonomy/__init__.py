"""Taxonomy: O*NET and Economic Index reference data, and the task hierarchies classification walks.

Public API:
    Loading an O*NET release (text directory or the official zip): :func:`load_onet`, :class:`OnetRelease`.
    Major groups of the SOC: :data:`SOC_MAJOR_GROUPS`, :func:`major_group_of`.
    Hierarchy model: :class:`Hierarchy`, :class:`Node`, and the offline work-activity builder
    :func:`build_work_activity_hierarchy` (the Clio-style builder lives in :mod:`harness.clio`).
    Collaboration patterns and their modes: :data:`PATTERNS`, :data:`AUTOMATION`, :data:`AUGMENTATION`,
    :func:`pattern_mode`.
    Data location and download: :func:`fetch_onet_release`, :func:`resolve_onet_dir`.
    The Economic Index release folders and the O*NET-SOC 2010→2019 crosswalk: :func:`load_economic_index`,
    :func:`load_soc_crosswalk`, :func:`statements_to_soc_2019`.
"""

from harness.taxonomy._economic_index import (
    COLLABORATION_PATTERNS,
    EconomicIndexRelease,
    ReleaseName,
    SocCrosswalk,
    load_economic_index,
    load_soc_crosswalk,
    statements_to_soc_2019,
)
from harness.taxonomy._fetch import FetchError, fetch_onet_release
from harness.taxonomy._hierarchy import Hierarchy, Node
from harness.taxonomy._onet import OnetRelease, load_onet, release_dirname, resolve_onet_dir
from harness.taxonomy._patterns import AUGMENTATION, AUTOMATION, PATTERNS, Mode, Pattern, pattern_mode
from harness.taxonomy._soc import SOC_MAJOR_GROUPS, major_group_of, normalise_statement
from harness.taxonomy._work_activity import base_node_id, build_work_activity_hierarchy

__all__ = [
    "AUGMENTATION",
    "AUTOMATION",
    "COLLABORATION_PATTERNS",
    "PATTERNS",
    "SOC_MAJOR_GROUPS",
    "EconomicIndexRelease",
    "FetchError",
    "Hierarchy",
    "Mode",
    "Node",
    "OnetRelease",
    "Pattern",
    "ReleaseName",
    "SocCrosswalk",
    "base_node_id",
    "build_work_activity_hierarchy",
    "fetch_onet_release",
    "load_economic_index",
    "load_onet",
    "load_soc_crosswalk",
    "major_group_of",
    "normalise_statement",
    "pattern_mode",
    "release_dirname",
    "resolve_onet_dir",
    "statements_to_soc_2019",
]
