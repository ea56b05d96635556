"""Taxonomy: O*NET and Economic Index reference data, and the task hierarchies classification walks.

Public API:
    Loading an O*NET release (text directory or the official zip): :func:`load_onet`, :class:`OnetRelease`.
    Major groups of the SOC: :data:`SOC_MAJOR_GROUPS`, :func:`major_group_of`.
    Hierarchy model: :class:`Hierarchy`, :class:`Node`, and :func:`build_work_activity_hierarchy`.
    Data location and download: :func:`fetch_onet_release`, :func:`resolve_onet_dir`.
    The Economic Index release folders and the O*NET-SOC 2010→2019 crosswalk (see ``_economic_index``).
"""

from harness.taxonomy._onet import OnetRelease, load_onet, release_dirname, resolve_onet_dir
from harness.taxonomy._soc import SOC_MAJOR_GROUPS, major_group_of, normalise_statement

__all__ = [
    "SOC_MAJOR_GROUPS",
    "OnetRelease",
    "load_onet",
    "major_group_of",
    "normalise_statement",
    "release_dirname",
    "resolve_onet_dir",
]

# --- economic index exports (owned by the Economic Index loader; keep this block self-contained) ---
# --- end economic index exports ---
