"""Aggregation: the privacy wall, task → occupation → major-group roll-ups, and the Economic Index analyses.

Public API:
    Privacy wall: :class:`PrivacyPolicy` (15 conversations / 5 accounts minimum, raise-only) and
    :class:`WalledTable` (every result records the policy it was produced under).
    Roll-up of a fact table: :func:`aggregate_facts` → :class:`Aggregate`, :func:`explode_links` (fact tables are
    read and checked by :func:`harness.run.read_facts`).
    Analyses (each returns a :class:`WalledTable`): :func:`occupation_shares`, :func:`category_shares`,
    :func:`top_occupations`, :func:`top_tasks`, :func:`depth_of_use`, :func:`use_by_wage`,
    :func:`use_by_job_zone`, :func:`collaboration_overall`, :func:`automation_augmentation`,
    :func:`collaboration_by_task`, :func:`collaboration_by_group`, :func:`collaboration_from_tasks`,
    :func:`skills_distribution`, :func:`compare_shares`; figures ``plot_*``.
    Whole runs: :func:`analyze_release`, :func:`analyze_aggregate`, :func:`write_analysis`, :class:`Analysis`.
"""

from harness.aggregate._analyses import (
    automation_augmentation,
    category_shares,
    collaboration_by_group,
    collaboration_by_task,
    collaboration_from_tasks,
    collaboration_overall,
    compare_shares,
    depth_of_use,
    occupation_shares,
    skills_distribution,
    top_occupations,
    top_tasks,
    use_by_job_zone,
    use_by_wage,
)
from harness.aggregate._figures import (
    plot_category_shares,
    plot_collaboration,
    plot_collaboration_by_group,
    plot_comparison,
    plot_depth_of_use,
    plot_job_zones,
    plot_skills,
    plot_top,
    plot_use_by_wage,
)
from harness.aggregate._privacy import PrivacyPolicy, WalledTable, wall_cells
from harness.aggregate._rollup import Aggregate, aggregate_facts, explode_links
from harness.aggregate._run import PUBLISHED_2025_02_10, Analysis, analyze_aggregate, analyze_release, write_analysis
from harness.aggregate._synthetic import synthetic_facts

__all__ = [
    "PUBLISHED_2025_02_10",
    "Aggregate",
    "Analysis",
    "PrivacyPolicy",
    "WalledTable",
    "aggregate_facts",
    "analyze_aggregate",
    "analyze_release",
    "automation_augmentation",
    "category_shares",
    "collaboration_by_group",
    "collaboration_by_task",
    "collaboration_from_tasks",
    "collaboration_overall",
    "compare_shares",
    "depth_of_use",
    "explode_links",
    "occupation_shares",
    "plot_category_shares",
    "plot_collaboration",
    "plot_collaboration_by_group",
    "plot_comparison",
    "plot_depth_of_use",
    "plot_job_zones",
    "plot_skills",
    "plot_top",
    "plot_use_by_wage",
    "skills_distribution",
    "synthetic_facts",
    "top_occupations",
    "top_tasks",
    "use_by_job_zone",
    "use_by_wage",
    "wall_cells",
    "write_analysis",
]
