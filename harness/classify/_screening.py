"""Screening as a calibrated classifier: the probability that a conversation is plausibly paid work.

The embedding backend used to screen by a rule (a domain cue or a high task similarity, and few personal cues).
:class:`ScreeningModel` replaces the rule by a logistic regression over numbers the backend already computes for
each conversation (:data:`SCREENING_FEATURES`, built by :func:`screening_features`) plus a linear read-out of the
conversation's query embedding, and returns a probability. ``occupational`` is that probability at or above the
model's stated operating threshold; callers who weigh the two errors differently can apply their own threshold to
the probability, and :meth:`ScreeningModel.dev_metrics` says what another threshold would have cost on the
cross-validated dev items.

How it is fitted (``scripts/fit_screening_model.py``, dev split of the shipped goldset only, the gold call being
the majority label's ``occupational``): the features are standardised, the query embedding is projected onto its
first principal components (fitted on the same items), and an L2-penalised logistic regression is fitted over both.
The penalty and the number of components are chosen by cross-validated log loss; the operating threshold is the one
that maximises Cohen's κ against the gold calls over the cross-validated probabilities. The standardisation and the
projection are linear, so they are folded into the shipped weights: the model is one intercept, one weight per
feature (on the feature's own scale) and one weight per embedding dimension.

Like the confidence map (:mod:`harness.classify._confidence`), the file names the backend, the configuration
digest and the hierarchy it was fitted for: scores of another configuration or hierarchy mean something else, so
:func:`screening_model_for` returns None for them and the backend keeps its rule.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from harness.classify._confidence import fitted_for, shipped_file
from harness.run import read_json_object

__all__ = [
    "SCREENING_FEATURES",
    "ScreeningModel",
    "load_screening_model",
    "screening_features",
    "screening_model_for",
    "shipped_screening",
]

SCREENING_FEATURES: tuple[str, ...] = (
    "base_similarity",
    "best_score",
    "domain_cues",
    "personal_cues",
    "has_code",
    "replies_with_code",
    "log_user_turns",
    "log_first_turn_chars",
    "asks_deliverable",
    "opens_with_question",
)
"""The model's per-conversation features, in the order :func:`screening_features` returns them."""

_FORMAT = "harness screening model"


def screening_features(
    *,
    base_similarity: float,
    best_score: float,
    domain_cues: int,
    personal_cues: int,
    has_code: bool,
    replies_with_code: bool,
    n_user_turns: int,
    first_turn_chars: int,
    asks_deliverable: bool,
    opens_with_question: bool,
) -> np.ndarray:
    """One conversation's feature vector, in the order of :data:`SCREENING_FEATURES`.

    Args:
        base_similarity: Best plain cosine similarity of the query to a base task's text.
        best_score: Best final base-task score (similarity, activities, cues, lexical and pooled evidence).
        domain_cues: Number of SOC major groups cued (user's words, plus the reply-code cue when enabled).
        personal_cues: Cues of personal or recreational use in the user's turns.
        has_code: The user's turns hold code.
        replies_with_code: An assistant reply holds a fenced code block.
        n_user_turns: Non-empty user turns.
        first_turn_chars: Characters of the first user turn.
        asks_deliverable: The opening asks for a deliverable.
        opens_with_question: The opening is a question.

    Returns:
        A float vector; counts of turns and characters enter as ``log(1 + n)`` (both are heavy-tailed).
    """
    return np.array([
        float(base_similarity), float(best_score), float(domain_cues), float(personal_cues), float(has_code),
        float(replies_with_code), math.log1p(max(n_user_turns, 0)), math.log1p(max(first_turn_chars, 0)),
        float(asks_deliverable), float(opens_with_question),
    ])


def _finite(values: Sequence[float], name: str) -> tuple[float, ...]:
    out = tuple(float(v) for v in values)
    if not all(math.isfinite(v) for v in out):
        raise ValueError(f"{name} must be finite numbers")
    return out


@dataclass(frozen=True)
class ScreeningModel:
    """A fitted screening model for one backend configuration (module docstring has the method).

    ``logit = intercept + coefficients · features + query_weights · query``, the probability is its sigmoid, and a
    conversation is occupational when the probability reaches ``threshold``.

    Attributes:
        backend: Backend spec it applies to, e.g. ``"embedding:all-MiniLM-L6-v2"``.
        config_digest: Digest of the backend configuration it was fitted for.
        hierarchy_id: Hierarchy whose scores it reads.
        feature_names: Names of the features, equal to :data:`SCREENING_FEATURES`.
        coefficients: Weight of each feature on its own scale.
        intercept: The logit's constant.
        query_weights: Weight of each dimension of the unit-length query embedding (empty: not used).
        threshold: The operating threshold on the probability.
        operating_point: How the threshold was chosen, in words.
        fitted_on: Which items the model was fitted on, in words.
        cv: Cross-validated figures of the model and of the rule it replaces (name → value).
        dev_probability: Each dev item's cross-validated probability (for choosing another threshold).
        dev_occupational: Each dev item's gold call.

    Raises:
        ValueError: On mismatched lengths, non-finite weights or a threshold outside (0, 1).
    """

    backend: str
    config_digest: str
    hierarchy_id: str
    feature_names: tuple[str, ...]
    coefficients: tuple[float, ...]
    intercept: float
    query_weights: tuple[float, ...]
    threshold: float
    operating_point: str
    fitted_on: str
    cv: Mapping[str, float] = field(default_factory=dict, hash=False)
    dev_probability: tuple[float, ...] = ()
    dev_occupational: tuple[bool, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "feature_names", tuple(str(n) for n in self.feature_names))
        object.__setattr__(self, "coefficients", _finite(self.coefficients, "coefficients"))
        object.__setattr__(self, "query_weights", _finite(self.query_weights, "query_weights"))
        object.__setattr__(self, "intercept", _finite([self.intercept], "intercept")[0])
        object.__setattr__(self, "cv", MappingProxyType({str(k): float(v) for k, v in self.cv.items()}))
        object.__setattr__(self, "dev_probability", tuple(float(v) for v in self.dev_probability))
        object.__setattr__(self, "dev_occupational", tuple(bool(v) for v in self.dev_occupational))
        if len(self.coefficients) != len(self.feature_names):
            raise ValueError(f"{len(self.coefficients)} coefficients for {len(self.feature_names)} features")
        if not 0.0 < float(self.threshold) < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {self.threshold!r}")
        if len(self.dev_probability) != len(self.dev_occupational):
            raise ValueError("dev_probability and dev_occupational differ in length")

    def probability(self, features: np.ndarray | Sequence[float], query: np.ndarray | Sequence[float] | None = None,
                    ) -> np.ndarray:
        """Probabilities that conversations are occupational.

        Args:
            features: One feature vector (:func:`screening_features`) or a matrix with one row per conversation.
            query: The matching unit-length query embedding(s); required when the model has query weights.

        Returns:
            A scalar array for one vector, else one probability per row.

        Raises:
            ValueError: A feature vector or query of the wrong length, or a missing query.
        """
        x = np.asarray(features, dtype=float)
        if x.shape[-1] != len(self.coefficients):
            raise ValueError(f"expected {len(self.coefficients)} features ({', '.join(self.feature_names)}), "
                             f"got {x.shape[-1]}")
        logit = x @ np.asarray(self.coefficients) + self.intercept
        if self.query_weights:
            if query is None:
                raise ValueError("this screening model reads the query embedding; pass query=")
            q = np.asarray(query, dtype=float)
            if q.shape[-1] != len(self.query_weights):
                raise ValueError(f"expected a query embedding of {len(self.query_weights)} dimensions, "
                                 f"got {q.shape[-1]}")
            logit = logit + q @ np.asarray(self.query_weights)
        return 1.0 / (1.0 + np.exp(-logit))

    def occupational(self, probability: float | np.ndarray) -> bool | np.ndarray:
        """The screening call at the model's operating threshold."""
        decided = np.asarray(probability) >= self.threshold
        return bool(decided) if decided.ndim == 0 else decided

    def dev_metrics(self, threshold: float | None = None) -> dict[str, float]:
        """Cohen's κ, accuracy, balanced accuracy and occupational share of the cross-validated dev items at
        ``threshold`` (default: the model's own)."""
        t = self.threshold if threshold is None else float(threshold)
        p = np.asarray(self.dev_probability)
        y = np.asarray(self.dev_occupational, dtype=bool)
        if not y.size:
            raise ValueError("this screening model keeps no dev items")
        pred = p >= t
        po = float((pred == y).mean())
        pe = float(pred.mean() * y.mean() + (1 - pred.mean()) * (1 - y.mean()))
        recalls = [float(pred[y == v].mean()) if (y == v).any() else math.nan for v in (True, False)]
        return {"threshold": t, "kappa": (po - pe) / (1 - pe) if pe < 1 else 0.0, "accuracy": po,
                "balanced_accuracy": (recalls[0] + (1 - recalls[1])) / 2, "occupational_share": float(pred.mean())}

    def to_json(self) -> dict[str, Any]:
        return {"format": _FORMAT, "version": 1, "backend": self.backend, "config_digest": self.config_digest,
                "hierarchy_id": self.hierarchy_id, "feature_names": list(self.feature_names),
                "coefficients": list(self.coefficients), "intercept": self.intercept,
                "query_weights": [round(v, 8) for v in self.query_weights], "threshold": self.threshold,
                "operating_point": self.operating_point, "fitted_on": self.fitted_on, "cv": dict(self.cv),
                "dev": {"probability": [round(v, 6) for v in self.dev_probability],
                        "occupational": list(self.dev_occupational)}}

    @classmethod
    def from_json(cls, obj: Any, source: str | Path = "<screening model>") -> ScreeningModel:
        """Read a screening model file's object.

        Raises:
            InputError: Not a screening model, fitted for other features, or a field is missing or malformed.
        """
        from harness.errors import InputError

        if not isinstance(obj, dict) or obj.get("format") != _FORMAT:
            raise InputError(source, f"not a screening model (expected format {_FORMAT!r})", field="format")
        if obj.get("feature_names") != list(SCREENING_FEATURES):
            raise InputError(source, f"fitted for other features; this harness computes {list(SCREENING_FEATURES)}",
                             field="feature_names")
        try:
            dev = obj.get("dev", {})
            return cls(str(obj["backend"]), str(obj["config_digest"]), str(obj["hierarchy_id"]),
                       tuple(obj["feature_names"]), tuple(obj["coefficients"]), float(obj["intercept"]),
                       tuple(obj.get("query_weights", ())), float(obj["threshold"]), str(obj["operating_point"]),
                       str(obj["fitted_on"]), dict(obj.get("cv", {})), tuple(dev.get("probability", ())),
                       tuple(dev.get("occupational", ())))
        except KeyError as exc:
            raise InputError(source, "missing field", field=str(exc.args[0])) from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(source, f"malformed screening model: {exc}") from None

    def sha256(self) -> str:
        """Digest of the model's content (for manifests)."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()[:16]


def load_screening_model(path: str | Path) -> ScreeningModel:
    """Read a screening model file.

    Raises:
        InputError: The file cannot be read, is not valid JSON (with its line; see
            :func:`harness.run.read_json_object`) or is not a screening model.
    """
    return ScreeningModel.from_json(read_json_object(path), path)


def shipped_screening(name: str) -> ScreeningModel | None:
    """The model shipped as ``harness/classify/calibration/screening-<name>.json``, or None when there is none.

    Raises:
        InputError: As :func:`load_screening_model`.
    """
    path = shipped_file(f"screening-{name}.json")
    return None if path is None else load_screening_model(path)


def screening_model_for(name: str, *, backend: str, config_digest: str, hierarchy_id: str) -> ScreeningModel | None:
    """The shipped model ``name`` when it was fitted for exactly this backend, configuration and hierarchy, else
    None (the caller then keeps its rule)."""
    return fitted_for(shipped_screening(name), backend=backend, config_digest=config_digest, hierarchy_id=hierarchy_id)
