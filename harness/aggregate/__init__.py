"""Aggregation: the privacy wall, task → occupation → major-group roll-ups, and the Economic Index analyses.

Public API:
    Privacy wall: :class:`PrivacyPolicy` (15 conversations / 5 accounts minimum, raise-only) and
    :class:`WalledTable` (every result records the policy it was produced under); :class:`CellSet` (cells by label).
    Across releases: :class:`ReleaseLedger` (``release(facts, links, policy=, source=)`` →
    :class:`LedgeredRelease`) keeps the wall consistent between releases of overlapping populations, refusing with
    :class:`ReleaseRefused` what it cannot; :func:`default_ledger_path`, :data:`LEDGER_NAME`.
    Roll-up of a fact table: :func:`aggregate_facts` → :class:`Aggregate`, :func:`explode_links` (fact tables are
    read and checked by :func:`harness.run.read_facts`); at scale, :class:`ColumnarFacts` aggregates a folder of
    Parquet parts in DuckDB to the same tables (:func:`partition_files` lists the parts).
    Analyses (each returns a :class:`WalledTable`): :func:`occupation_shares`, :func:`category_shares`,
    :func:`top_occupations`, :func:`top_tasks`, :func:`depth_of_use`, :func:`use_by_wage`,
    :func:`use_by_job_zone`, :func:`collaboration_overall`, :func:`automation_augmentation`,
    :func:`collaboration_by_task`, :func:`collaboration_by_group`, :func:`collaboration_from_tasks`,
    :func:`skills_distribution`, :func:`compare_shares`; figures ``plot_*``.
    Whole runs: :func:`analyze_release`, :func:`analyze_aggregate`, :func:`write_analysis`, :class:`Analysis`.
    Analysis registry (name → source kinds → tables + figures; see ``_registry.py``): :data:`ANALYSES`,
    :class:`AnalysisSpec`, :class:`AnalysisOutput`, :func:`register_analysis`, :func:`analysis_spec`,
    :func:`analyses_for`, :func:`run_analyses`, :data:`SOURCE_KINDS`.
    Waves v1..v5 (:func:`load_wave_set` → :class:`WaveSet`): :func:`pattern_counts`, :func:`collaboration_by_wave`,
    :func:`automation_by_wave`, :func:`consumer_vs_api`, :func:`wave_trend`, :func:`task_mix_by_wave`,
    :func:`concentration_by_wave`, :func:`concentration_measures`, :func:`gini`, :func:`power_law_by_wave`,
    :func:`fit_power_law` → :class:`PowerLawFit`.
    Long-format geography: :func:`geography_usage`, :func:`geography_fits`.
    Drift between two runs: :func:`resolve_run`, :func:`run_from_facts`, :func:`run_from_wave` → :class:`DriftRun`;
    :func:`drift`, :func:`drift_tables`, :data:`DRIFT_LEVELS`. Uncertainty helpers: :func:`linear_share_se`,
    :func:`benjamini_hochberg`.
    How far to trust released shares (``analyze --calibrate``): :func:`share_intervals` → :class:`ShareEstimate`
    (naive, classical and PPI++ intervals through ppi-python, Bonferroni over a level's shares),
    :func:`labels_for_halfwidth` (the label budget), :func:`load_labelled_set` → :class:`LabelledSet`,
    :func:`trust_report` → :class:`TrustReport`, :data:`TRUST_LEVELS`.
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
from harness.aggregate._calibrate import TRUST_LEVELS, LabelledSet, TrustReport, load_labelled_set, trust_report
from harness.aggregate._columnar import ColumnarFacts, partition_files
from harness.aggregate._concentration import (
    PowerLawFit,
    concentration_by_wave,
    concentration_measures,
    fit_power_law,
    gini,
    power_law_by_wave,
)
from harness.aggregate._drift import (
    DRIFT_LEVELS,
    DriftRun,
    drift,
    drift_tables,
    resolve_run,
    run_from_facts,
    run_from_wave,
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
from harness.aggregate._geography import geography_fits, geography_usage
from harness.aggregate._ledger import (
    LEDGER_NAME,
    LedgeredRelease,
    LedgerEntry,
    ReleaseLedger,
    ReleaseRefused,
    default_ledger_path,
)
from harness.aggregate._ppi import ShareEstimate, labels_for_halfwidth, share_intervals
from harness.aggregate._privacy import CellSet, PrivacyPolicy, WalledTable, wall_cells
from harness.aggregate._registry import (
    ANALYSES,
    SOURCE_KINDS,
    AnalysisOutput,
    AnalysisSpec,
    WaveSet,
    analyses_for,
    analysis_spec,
    register_analysis,
    run_analyses,
)
from harness.aggregate._rollup import Aggregate, aggregate_facts, explode_links
from harness.aggregate._run import PUBLISHED_2025_02_10, Analysis, analyze_aggregate, analyze_release, write_analysis
from harness.aggregate._stats import benjamini_hochberg, linear_share_se
from harness.aggregate._synthetic import synthetic_facts
from harness.aggregate._waves import (
    automation_by_wave,
    collaboration_by_wave,
    consumer_vs_api,
    load_wave_set,
    pattern_counts,
    task_mix_by_wave,
    wave_trend,
)

__all__ = [
    "ANALYSES",
    "DRIFT_LEVELS",
    "LEDGER_NAME",
    "PUBLISHED_2025_02_10",
    "SOURCE_KINDS",
    "TRUST_LEVELS",
    "Aggregate",
    "Analysis",
    "AnalysisOutput",
    "AnalysisSpec",
    "CellSet",
    "ColumnarFacts",
    "DriftRun",
    "LabelledSet",
    "LedgerEntry",
    "LedgeredRelease",
    "PowerLawFit",
    "PrivacyPolicy",
    "ReleaseLedger",
    "ReleaseRefused",
    "ShareEstimate",
    "TrustReport",
    "WalledTable",
    "WaveSet",
    "aggregate_facts",
    "analyses_for",
    "analysis_spec",
    "analyze_aggregate",
    "analyze_release",
    "automation_augmentation",
    "automation_by_wave",
    "benjamini_hochberg",
    "category_shares",
    "collaboration_by_group",
    "collaboration_by_task",
    "collaboration_by_wave",
    "collaboration_from_tasks",
    "collaboration_overall",
    "compare_shares",
    "concentration_by_wave",
    "concentration_measures",
    "consumer_vs_api",
    "default_ledger_path",
    "depth_of_use",
    "drift",
    "drift_tables",
    "explode_links",
    "fit_power_law",
    "geography_fits",
    "geography_usage",
    "gini",
    "labels_for_halfwidth",
    "linear_share_se",
    "load_labelled_set",
    "load_wave_set",
    "occupation_shares",
    "partition_files",
    "pattern_counts",
    "plot_category_shares",
    "plot_collaboration",
    "plot_collaboration_by_group",
    "plot_comparison",
    "plot_depth_of_use",
    "plot_job_zones",
    "plot_skills",
    "plot_top",
    "plot_use_by_wage",
    "power_law_by_wave",
    "register_analysis",
    "resolve_run",
    "run_analyses",
    "run_from_facts",
    "run_from_wave",
    "share_intervals",
    "skills_distribution",
    "synthetic_facts",
    "task_mix_by_wave",
    "top_occupations",
    "top_tasks",
    "trust_report",
    "use_by_job_zone",
    "use_by_wage",
    "wall_cells",
    "wave_trend",
    "write_analysis",
]
