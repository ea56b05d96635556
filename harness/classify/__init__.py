"""Classification: screen each conversation, walk the hierarchy top → mid → base, and label its facets.

Public API:
    Result types: :class:`Classification`, the :class:`Classifier` protocol.
    Backends: :class:`EmbeddingClassifier` with :class:`EmbeddingConfig` (offline default).
    Conversation features and the documented pattern rules: :func:`extract_features`, :func:`rule_pattern`.
"""

from harness.classify._embedding_backend import EmbeddingClassifier, EmbeddingConfig
from harness.classify._features import ConversationFeatures, extract_features, rule_pattern
from harness.classify._types import FACT_COLUMNS, Classification, Classifier

__all__ = [
    "FACT_COLUMNS",
    "Classification",
    "Classifier",
    "ConversationFeatures",
    "EmbeddingClassifier",
    "EmbeddingConfig",
    "extract_features",
    "rule_pattern",
]
