"""Evaluation: goldsets, metric functions, validation scoring, model-swap comparison and the CI gate.

Metrics are plain functions in the scikit-learn manner (``xxx(y_true, y_pred, *, options)``) returning floats or
frozen dataclasses; each documents its degenerate cases (empty input, one class, constant vectors).

* Hierarchy accuracy: :func:`set_accuracy_score`, :func:`level_accuracy`, :func:`wilson_interval`.
* Classifier agreement: :func:`classification_agreement`, :func:`pattern_agreement`, :func:`binary_agreement`,
  :func:`pattern_mode`, :data:`PATTERNS` and :data:`MODES`; :func:`macro_f1_score`.
* Rater agreement: :func:`rater_agreement`, :func:`cohen_kappa_score`, :func:`fleiss_kappa`,
  :func:`krippendorff_alpha`.
* Cluster reconstruction: :func:`reconstruction_scores`.
* Model swap: :func:`mcnemar_test`, :func:`paired_bootstrap_difference`, :func:`compare_runs`.
* Metric registry: :data:`METRICS` (one :class:`MetricSpec` per metric: name, kind, direction, facet),
  :func:`metric_spec`, :func:`metric_names`, :func:`metric_direction`.
* CI gate: :func:`gate`, :func:`read_metrics`, :func:`read_baseline`, :func:`format_gate_table`.
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
from ._compare import (
    BootstrapDifference,
    Comparison,
    McNemarResult,
    MetricChange,
    RunTotals,
    compare_runs,
    format_comparison,
    mcnemar_test,
    paired_bootstrap_difference,
)
from ._gate import (
    KINDS,
    GateResult,
    GateRow,
    MetricEntry,
    format_gate_table,
    gate,
    read_baseline,
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
from ._raters import RaterAgreement, RaterPair, cohen_kappa_score, fleiss_kappa, krippendorff_alpha, rater_agreement
from ._reconstruction import Reconstruction, reconstruction_scores
from ._registry import METRICS, MetricSpec, UnknownMetricError, metric_direction, metric_names, metric_spec
from ._scoring import pattern_metrics_section
from ._validate import ValidationScores, gold_nodes_at_level, run_validation, score_goldset

__all__ = [
    "CONFIDENCES",
    "KINDS",
    "METRICS",
    "MODES",
    "PATTERNS",
    "SPLITS",
    "Agreement",
    "BootstrapDifference",
    "ClassScores",
    "Comparison",
    "Confidence",
    "GateResult",
    "GateRow",
    "GoldItem",
    "LevelAccuracy",
    "McNemarResult",
    "MetricChange",
    "MetricEntry",
    "MetricSpec",
    "PatternAgreement",
    "RaterAgreement",
    "RaterLabel",
    "RaterPair",
    "Reconstruction",
    "RunTotals",
    "Scoring",
    "Split",
    "TieBreak",
    "UnknownMetricError",
    "ValidationScores",
    "acceptable_nodes",
    "acceptable_occupational",
    "acceptable_patterns",
    "acceptable_tasks",
    "best_task",
    "binary_agreement",
    "blank_gold_item",
    "classification_agreement",
    "cohen_kappa_score",
    "compare_runs",
    "default_goldset_path",
    "fleiss_kappa",
    "format_comparison",
    "format_gate_table",
    "gate",
    "gold_item_to_dict",
    "gold_nodes_at_level",
    "krippendorff_alpha",
    "level_accuracy",
    "load_goldset",
    "macro_f1_score",
    "majority_label",
    "mcnemar_test",
    "metric_direction",
    "metric_names",
    "metric_spec",
    "paired_bootstrap_difference",
    "pattern_agreement",
    "pattern_metrics_section",
    "pattern_mode",
    "rater_agreement",
    "read_baseline",
    "read_metrics",
    "reconstruction_scores",
    "run_validation",
    "score_goldset",
    "search_tasks",
    "set_accuracy_score",
    "validate_goldset",
    "wilson_interval",
    "write_baseline",
    "write_goldset",
]
