"""Evaluation: metric functions, model-swap comparison and the CI gate.

Metrics are plain functions in the scikit-learn manner (``xxx(y_true, y_pred, *, options)``) returning floats or
frozen dataclasses; each documents its degenerate cases (empty input, one class, constant vectors).

* Hierarchy accuracy: :func:`set_accuracy_score`, :func:`level_accuracy`, :func:`wilson_interval`.
* Classifier agreement: :func:`classification_agreement`, :func:`pattern_agreement`, :func:`binary_agreement`,
  :func:`pattern_mode` and the pattern constants.
* Rater agreement: :func:`rater_agreement`, :func:`cohen_kappa_score`, :func:`fleiss_kappa`,
  :func:`krippendorff_alpha`.
* Cluster reconstruction: :func:`reconstruction_scores`.
* Model swap: :func:`mcnemar_test`, :func:`paired_bootstrap_difference`, :func:`compare_runs`.
* CI gate: :func:`gate`, :func:`read_metrics`, :func:`read_baseline`, :func:`format_gate_table`.
"""

from ._accuracy import LevelAccuracy, level_accuracy, set_accuracy_score, wilson_interval
from ._agreement import (
    AUGMENTATION,
    AUTOMATION,
    MODES,
    PATTERNS,
    Agreement,
    ClassScores,
    PatternAgreement,
    binary_agreement,
    classification_agreement,
    pattern_agreement,
    pattern_mode,
)
from ._compare import (
    ITEM_COLUMNS,
    BootstrapDifference,
    Comparison,
    McNemarResult,
    MetricChange,
    RunTotals,
    compare_runs,
    format_comparison,
    mcnemar_test,
    paired_bootstrap_difference,
    read_items,
)
from ._gate import (
    KINDS,
    GateResult,
    GateRow,
    MetricEntry,
    MetricsFile,
    format_gate_table,
    gate,
    read_baseline,
    read_metrics,
    read_metrics_file,
    write_baseline,
    write_metrics,
)
from ._raters import (
    RaterAgreement,
    RaterPair,
    cohen_kappa_score,
    fleiss_kappa,
    krippendorff_alpha,
    rater_agreement,
)
from ._reconstruction import Reconstruction, reconstruction_scores

__all__ = [
    "AUGMENTATION",
    "AUTOMATION",
    "ITEM_COLUMNS",
    "KINDS",
    "MODES",
    "PATTERNS",
    "Agreement",
    "BootstrapDifference",
    "ClassScores",
    "Comparison",
    "GateResult",
    "GateRow",
    "LevelAccuracy",
    "McNemarResult",
    "MetricChange",
    "MetricEntry",
    "MetricsFile",
    "PatternAgreement",
    "RaterAgreement",
    "RaterPair",
    "Reconstruction",
    "RunTotals",
    "binary_agreement",
    "classification_agreement",
    "cohen_kappa_score",
    "compare_runs",
    "fleiss_kappa",
    "format_comparison",
    "format_gate_table",
    "gate",
    "krippendorff_alpha",
    "level_accuracy",
    "mcnemar_test",
    "paired_bootstrap_difference",
    "pattern_agreement",
    "pattern_mode",
    "rater_agreement",
    "read_baseline",
    "read_items",
    "read_metrics",
    "read_metrics_file",
    "reconstruction_scores",
    "set_accuracy_score",
    "wilson_interval",
    "write_baseline",
    "write_metrics",
]

# --- goldset (owned by the goldset module; its exports are added below this line) ---

# --- goldset exports ---
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
    gold_item_to_dict,
    load_goldset,
    majority_label,
    search_tasks,
    validate_goldset,
    write_goldset,
)

__all__ += [
    "CONFIDENCES",
    "SPLITS",
    "Confidence",
    "GoldItem",
    "RaterLabel",
    "Scoring",
    "Split",
    "TieBreak",
    "acceptable_nodes",
    "acceptable_occupational",
    "acceptable_patterns",
    "acceptable_tasks",
    "best_task",
    "blank_gold_item",
    "gold_item_to_dict",
    "load_goldset",
    "majority_label",
    "search_tasks",
    "validate_goldset",
    "write_goldset",
]
# --- end goldset exports ---

# --- validation exports (scoring a run against goldsets) ---
from ._validate import ValidationScores, gold_nodes_at_level, run_validation, score_goldset  # noqa: E402

__all__ += ["ValidationScores", "gold_nodes_at_level", "run_validation", "score_goldset"]
