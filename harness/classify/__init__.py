"""Classification: screen each conversation, walk the hierarchy top → mid → base, and label its facets.

Public API:
    Result types: :class:`Classification`, the :class:`Classifier` protocol.
    Backends: :func:`get_classifier` builds one from a backend spec, read once by :func:`parse_backend` into a
    :class:`BackendSpec`; :func:`backend_for` gives a scheme's registered :class:`Backend` (its config type and
    the options it takes; schemes in :data:`BACKEND_SCHEMES`). :class:`EmbeddingClassifier` with
    :class:`EmbeddingConfig` (offline default), :class:`LLMClassifier` with :class:`LLMClassifierConfig` (any
    :mod:`harness.llm` backend: summary, screening, traversal, pattern and skills steps with versioned prompt
    templates, see :func:`load_prompt`), :class:`ReplayClassifier` (predictions from a file), and
    ``majority-baseline:<goldset|default>`` (the goldset's most frequent answers, a floor to beat).
    Runs: :func:`classify_conversations` (progress, resume, facts table + manifest through
    :class:`harness.run.RunDir`), :func:`facts_to_classifications` (a facts table back into results).
    Engines (where batches are classified, :data:`ENGINES`): :class:`EngineConfig`, :func:`open_engine`,
    :class:`ClassifierRecipe` (how a worker builds the classifier), :class:`DaskEngine`.
    Conversation features and the documented pattern rules: :func:`extract_features`, :func:`rule_pattern`.
    Per-prediction confidence (``Classification.confidence``): :class:`ConfidenceCalibration` (a shipped or
    fitted map with its dev items, :func:`shipped_calibration`), :class:`CalibrationMap`,
    :func:`fit_calibration_map`.
"""

from harness.classify._confidence import (
    CalibrationMap,
    ConfidenceCalibration,
    fit_calibration_map,
    shipped_calibration,
)
from harness.classify._embedding_backend import EmbeddingClassifier, EmbeddingConfig, ScreeningInputs
from harness.classify._engine import ENGINES, ClassifierRecipe, DaskEngine, EngineConfig, open_engine
from harness.classify._features import ConversationFeatures, extract_features, replies_with_code, rule_pattern
from harness.classify._llm_backend import LLMClassifier, LLMClassifierConfig
from harness.classify._pipeline import (
    RunResult,
    classify_conversations,
    facts_to_classifications,
    package_versions,
    sha256_file,
)
from harness.classify._prompts import (
    PROMPT_VERSIONS,
    STEPS,
    PromptTemplate,
    load_prompt,
    match_option,
    normalise_answer,
    prompt_hashes,
)
from harness.classify._registry import (
    BACKEND_SCHEMES,
    DEFAULT_BACKEND,
    Backend,
    BuildContext,
    backend_for,
    get_classifier,
    parse_backend,
)
from harness.classify._replay import ReplayClassifier
from harness.classify._types import Classification, Classifier
from harness.llm import BackendSpec

__all__ = [
    "BACKEND_SCHEMES",
    "DEFAULT_BACKEND",
    "ENGINES",
    "PROMPT_VERSIONS",
    "STEPS",
    "Backend",
    "BackendSpec",
    "BuildContext",
    "CalibrationMap",
    "Classification",
    "Classifier",
    "ClassifierRecipe",
    "ConfidenceCalibration",
    "ConversationFeatures",
    "DaskEngine",
    "EmbeddingClassifier",
    "EmbeddingConfig",
    "EngineConfig",
    "LLMClassifier",
    "LLMClassifierConfig",
    "PromptTemplate",
    "ReplayClassifier",
    "RunResult",
    "ScreeningInputs",
    "backend_for",
    "classify_conversations",
    "extract_features",
    "facts_to_classifications",
    "fit_calibration_map",
    "get_classifier",
    "load_prompt",
    "match_option",
    "normalise_answer",
    "open_engine",
    "package_versions",
    "parse_backend",
    "prompt_hashes",
    "replies_with_code",
    "rule_pattern",
    "sha256_file",
    "shipped_calibration",
]
