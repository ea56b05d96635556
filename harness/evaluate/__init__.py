"""Evaluation: goldsets, metric functions, validation scoring, model-swap comparison and the CI gate.

Metrics are plain functions in the scikit-learn manner (``xxx(y_true, y_pred, *, options)``) returning floats or
frozen dataclasses; each documents its degenerate cases (empty input, one class, constant vectors).

* Hierarchy accuracy: :func:`set_accuracy_score`, :func:`level_accuracy`, :func:`wilson_interval`.
* Accuracy weighted back to a pool (Horvitz–Thompson, for actively selected goldsets):
  :func:`weighted_accuracy_score`, :func:`inclusion_weights` → :class:`InclusionWeights`.
* Classifier agreement: :func:`classification_agreement`, :func:`pattern_agreement`, :func:`binary_agreement`,
  :func:`pattern_mode`, :data:`PATTERNS` and :data:`MODES`; :func:`macro_f1_score`.
* Per-rater reading: :func:`rater_readings` (accuracy against each rater alone, its mean with an interval, the
  raters' agreement as the ceiling), :func:`format_rater_readings`.
* Calibration of per-prediction confidence: :func:`expected_calibration_error`, :func:`calibration_error_interval`,
  :func:`reliability_table`, :func:`selective_accuracy_curve`, :func:`abstention_sweep`,
  :func:`calibration_section` (the ``calibration`` section of ``metrics.json``).
* Rater agreement: :func:`rater_agreement`, :func:`cohen_kappa_score`, :func:`fleiss_kappa`,
  :func:`krippendorff_alpha`.
* Cluster reconstruction: :func:`reconstruction_scores`.
* Model swap: :func:`compare_runs` (non-inferiority of a primary metric, Holm over the rest, a verdict in
  :data:`VERDICTS`), :func:`mcnemar_test`, :func:`paired_bootstrap_difference` (optionally account-clustered),
  :func:`noninferiority_test` / :func:`score_interval` (Tango), :func:`mcnemar_mid_p`, :func:`design_effect`,
  :func:`holm_adjust`.
* Power and planning: :func:`minimum_detectable_difference`, :func:`noninferiority_power`,
  :func:`noninferiority_sample_size`, :func:`plan_sample_size`.
* Metric registry: :data:`METRICS` (one :class:`MetricSpec` per metric: name, kind, direction, facet),
  :func:`metric_spec`, :func:`metric_names`, :func:`metric_direction`.
* CI gate: :func:`gate`, :func:`read_metrics`, :func:`read_baseline` / :func:`read_baseline_file`,
  :func:`check_baseline_matches` / :func:`check_same_goldsets`, :func:`write_baseline` / :func:`baseline_run`,
  :func:`format_gate_table`.
* Goldsets: :class:`GoldItem` / :class:`RaterLabel`, :func:`default_goldset_path`, :func:`load_goldset`,
  :func:`validate_goldset`, :func:`write_goldset`, the accepted answers (``acceptable_*``, :func:`majority_label`).
* Validation: :func:`run_validation`, :func:`score_goldset` → :class:`ValidationScores`; :func:`pattern_metrics_section`
  (the pattern section's layout, shared with the report).
"""

from ._accuracy import LevelAccuracy, level_accuracy, set_accuracy_score, wilson_interval
from ._agreement import (
    MODES,
    PATTERNS,
    Agreement,
    ClassScores,
    PatternAgreement,
    binary_agreement,
    classification_agreement,
    macro_f1_score,
    pattern_agreement,
    pattern_mode,
)
from ._calibration import (
    abstention_sweep,
    calibration_error_interval,
    calibration_section,
    expected_calibration_error,
    reliability_table,
    selective_accuracy_curve,
)
from ._compare import (
    DEFAULT_MARGIN,
    DEFAULT_PRIMARY,
    VERDICTS,
    BootstrapDifference,
    Comparison,
    McNemarResult,
    MetricChange,
    NonInferiority,
    RunTotals,
    compare_runs,
    format_comparison,
    mcnemar_test,
    paired_bootstrap_difference,
    paired_metric_names,
    scored_share_of_default_goldset,
)
from ._gate import (
    KINDS,
    GateResult,
    GateRow,
    MetricEntry,
    baseline_run,
    check_baseline_matches,
    check_same_goldsets,
    format_gate_table,
    gate,
    read_baseline,
    read_baseline_file,
    read_metrics,
    write_baseline,
)
from ._goldset import (
    CONFIDENCES,
    SPLITS,
    Confidence,
    GoldItem,
    RaterLabel,
    Scoring,
    Split,
    TieBreak,
    acceptable_nodes,
    acceptable_occupational,
    acceptable_patterns,
    acceptable_tasks,
    best_task,
    blank_gold_item,
    default_goldset_path,
    gold_item_to_dict,
    load_goldset,
    majority_label,
    search_tasks,
    validate_goldset,
    write_goldset,
)
from ._noninferiority import (
    NonInferiorityTest,
    design_effect,
    holm_adjust,
    mcnemar_mid_p,
    noninferiority_test,
    score_interval,
)
from ._power import (
    SamplePlan,
    format_sample_plan,
    minimum_detectable_difference,
    noninferiority_power,
    noninferiority_sample_size,
    plan_sample_size,
)
from ._rater_accuracy import format_rater_readings, rater_readings
from ._raters import RaterAgreement, RaterPair, cohen_kappa_score, fleiss_kappa, krippendorff_alpha, rater_agreement
from ._reconstruction import Reconstruction, reconstruction_scores
from ._registry import METRICS, MetricSpec, UnknownMetricError, metric_direction, metric_names, metric_spec
from ._scoring import pattern_metrics_section
from ._validate import ValidationScores, gold_nodes_at_level, run_validation, score_goldset
from ._weighting import InclusionWeights, inclusion_weights, weighted_accuracy_score

__all__ = [
    "CONFIDENCES",
    "DEFAULT_MARGIN",
    "DEFAULT_PRIMARY",
    "KINDS",
    "METRICS",
    "MODES",
    "PATTERNS",
    "SPLITS",
    "VERDICTS",
    "Agreement",
    "BootstrapDifference",
    "ClassScores",
    "Comparison",
    "Confidence",
    "GateResult",
    "GateRow",
    "GoldItem",
    "InclusionWeights",
    "LevelAccuracy",
    "McNemarResult",
    "MetricChange",
    "MetricEntry",
    "MetricSpec",
    "NonInferiority",
    "NonInferiorityTest",
    "PatternAgreement",
    "RaterAgreement",
    "RaterLabel",
    "RaterPair",
    "Reconstruction",
    "RunTotals",
    "SamplePlan",
    "Scoring",
    "Split",
    "TieBreak",
    "UnknownMetricError",
    "ValidationScores",
    "abstention_sweep",
    "acceptable_nodes",
    "acceptable_occupational",
    "acceptable_patterns",
    "acceptable_tasks",
    "baseline_run",
    "best_task",
    "binary_agreement",
    "blank_gold_item",
    "calibration_error_interval",
    "calibration_section",
    "check_baseline_matches",
    "check_same_goldsets",
    "classification_agreement",
    "cohen_kappa_score",
    "compare_runs",
    "default_goldset_path",
    "design_effect",
    "expected_calibration_error",
    "fleiss_kappa",
    "format_comparison",
    "format_gate_table",
    "format_rater_readings",
    "format_sample_plan",
    "gate",
    "gold_item_to_dict",
    "gold_nodes_at_level",
    "holm_adjust",
    "inclusion_weights",
    "krippendorff_alpha",
    "level_accuracy",
    "load_goldset",
    "macro_f1_score",
    "majority_label",
    "mcnemar_mid_p",
    "mcnemar_test",
    "metric_direction",
    "metric_names",
    "metric_spec",
    "minimum_detectable_difference",
    "noninferiority_power",
    "noninferiority_sample_size",
    "noninferiority_test",
    "paired_bootstrap_difference",
    "paired_metric_names",
    "pattern_agreement",
    "pattern_metrics_section",
    "pattern_mode",
    "plan_sample_size",
    "rater_agreement",
    "rater_readings",
    "read_baseline",
    "read_baseline_file",
    "read_metrics",
    "reconstruction_scores",
    "reliability_table",
    "run_validation",
    "score_goldset",
    "score_interval",
    "scored_share_of_default_goldset",
    "search_tasks",
    "selective_accuracy_curve",
    "set_accuracy_score",
    "validate_goldset",
    "weighted_accuracy_score",
    "wilson_interval",
    "write_baseline",
    "write_goldset",
]
