"""Classification: screen each conversation, walk the hierarchy top → mid → base, and label its facets.

Public API:
    Result types: :class:`Classification`, the :class:`Classifier` protocol.
    Backends: :func:`get_classifier` builds one from a backend string; :class:`EmbeddingClassifier` with
    :class:`EmbeddingConfig` (offline default), :class:`LLMClassifier` (any :mod:`harness.llm` backend: summary,
    screening, traversal, pattern and skills steps with versioned prompt templates, see :func:`load_prompt`),
    :class:`ReplayClassifier` (predictions from a file).
    Runs: :func:`classify_conversations` (progress, resume, facts table + manifest), :func:`read_facts`.
    Conversation features and the documented pattern rules: :func:`extract_features`, :func:`rule_pattern`.
"""

from harness.classify._embedding_backend import EmbeddingClassifier, EmbeddingConfig
from harness.classify._factory import BACKEND_SCHEMES, DEFAULT_BACKEND, get_classifier
from harness.classify._features import ConversationFeatures, extract_features, rule_pattern
from harness.classify._llm_backend import LLMClassifier
from harness.classify._pipeline import (
    RunResult,
    classify_conversations,
    package_versions,
    read_facts,
    sha256_file,
    write_json_atomic,
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
from harness.classify._replay import ReplayClassifier
from harness.classify._types import Classification, Classifier

__all__ = [
    "BACKEND_SCHEMES",
    "DEFAULT_BACKEND",
    "PROMPT_VERSIONS",
    "STEPS",
    "Classification",
    "Classifier",
    "ConversationFeatures",
    "EmbeddingClassifier",
    "EmbeddingConfig",
    "LLMClassifier",
    "PromptTemplate",
    "ReplayClassifier",
    "RunResult",
    "classify_conversations",
    "extract_features",
    "get_classifier",
    "load_prompt",
    "match_option",
    "normalise_answer",
    "package_versions",
    "prompt_hashes",
    "read_facts",
    "rule_pattern",
    "sha256_file",
    "write_json_atomic",
]
