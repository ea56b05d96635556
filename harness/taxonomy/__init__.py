"""Taxonomy: O*NET and Economic Index reference data, and the task hierarchies classification walks.

Public API:
    Loading an O*NET release (text directory or the official zip): :func:`load_onet`, :class:`OnetRelease`.
    Major groups of the SOC: :data:`SOC_MAJOR_GROUPS`, :func:`major_group_of`.
    Hierarchy model: :class:`Hierarchy`, :class:`Node`, and the offline work-activity builder
    :func:`build_work_activity_hierarchy` (the Clio-style builder lives in :mod:`harness.clio`).
    Collaboration patterns and their modes: :data:`PATTERNS`, :data:`AUTOMATION`, :data:`AUGMENTATION`,
    :func:`pattern_mode`.
    Data location and download: :func:`fetch_onet_release`, :func:`resolve_onet_dir`; the later Economic Index
    releases: :func:`fetch_aei_release` (:data:`AEI_RELEASE_FILES`).
    Long-format releases (Sept 2025 on; any facet, level, variable, ``a::b`` intersections): :func:`load_long_format`,
    :func:`load_aei_release`, :func:`find_long_format_files` → :class:`LongFormatTable`; :func:`platform_of`,
    :func:`pattern_key`, :data:`LONG_FORMAT_COLUMNS`, :data:`GEOGRAPHIES`.
    Waves v1..v5 (consumer and API task shares and collaboration): :data:`WAVES`, :class:`WaveInfo`,
    :func:`load_wave`, :func:`load_waves`, :func:`wave_from_release`, :func:`wave_from_long_format` → :class:`Wave`;
    :func:`implied_sample_size`, :data:`WAVE_PATTERNS`.
    The Economic Index release folders and the O*NET-SOC 2010→2019 crosswalk: :func:`load_economic_index`,
    :func:`load_soc_crosswalk`, :func:`statements_to_soc_2019`.
"""

from harness.taxonomy._aei_fetch import AEI_RELEASE_FILES, fetch_aei_release
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
from harness.taxonomy._long_format import (
    GEOGRAPHIES,
    LONG_FORMAT_COLUMNS,
    LongFormatTable,
    find_long_format_files,
    load_aei_release,
    load_long_format,
    pattern_key,
    platform_of,
)
from harness.taxonomy._onet import OnetRelease, load_onet, release_dirname, resolve_onet_dir
from harness.taxonomy._patterns import AUGMENTATION, AUTOMATION, PATTERNS, Mode, Pattern, pattern_mode
from harness.taxonomy._soc import SOC_MAJOR_GROUPS, major_group_of, normalise_statement
from harness.taxonomy._waves import (
    WAVE_PATTERNS,
    WAVES,
    Wave,
    WaveInfo,
    implied_sample_size,
    load_wave,
    load_waves,
    wave_from_long_format,
    wave_from_release,
)
from harness.taxonomy._work_activity import base_node_id, build_work_activity_hierarchy

__all__ = [
    "AEI_RELEASE_FILES",
    "AUGMENTATION",
    "AUTOMATION",
    "COLLABORATION_PATTERNS",
    "GEOGRAPHIES",
    "LONG_FORMAT_COLUMNS",
    "PATTERNS",
    "SOC_MAJOR_GROUPS",
    "WAVES",
    "WAVE_PATTERNS",
    "EconomicIndexRelease",
    "FetchError",
    "Hierarchy",
    "LongFormatTable",
    "Mode",
    "Node",
    "OnetRelease",
    "Pattern",
    "ReleaseName",
    "SocCrosswalk",
    "Wave",
    "WaveInfo",
    "base_node_id",
    "build_work_activity_hierarchy",
    "fetch_aei_release",
    "fetch_onet_release",
    "find_long_format_files",
    "implied_sample_size",
    "load_aei_release",
    "load_economic_index",
    "load_long_format",
    "load_onet",
    "load_soc_crosswalk",
    "load_wave",
    "load_waves",
    "major_group_of",
    "normalise_statement",
    "pattern_key",
    "pattern_mode",
    "platform_of",
    "release_dirname",
    "resolve_onet_dir",
    "statements_to_soc_2019",
    "wave_from_long_format",
    "wave_from_release",
]
