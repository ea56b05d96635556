"""Result types of classification and the ``Classifier`` protocol every backend implements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from harness.conversations import Conversation
from harness.taxonomy import PATTERNS

__all__ = ["Classification", "Classifier"]


@dataclass(frozen=True)
class Classification:
    """What a classifier concluded about one conversation. Never holds conversation text.

    Attributes:
        conversation_id: Id of the classified conversation.
        account_id: Its account (the privacy wall counts distinct accounts).
        occupational: Screening verdict: could this be part of someone's work? ``None`` when not screened.
        path: Node ids from the top level to the base level; empty when not classified or invalid.
        top_k: Best base-level node ids, best first (``path[-1]`` first when valid).
        pattern: Collaboration pattern (one of :data:`harness.taxonomy.PATTERNS`) or ``None``.
        skills: O*NET skill names the conversation shows (may be empty).
        valid: False when a step's answer could not be matched to its options after the retry.
        invalid_reason: Which step failed and why, when ``valid`` is False.
        input_tokens, output_tokens, cache_read_tokens, cache_write_tokens: Tokens billed for this conversation.
        cost_usd: Estimated cost, ``None`` when the backend has no price.
        latency_s: Wall time spent on model calls for this conversation.
        prompt_hashes: Step name → hash of the prompt template (or method configuration) used.
        confidence: Calibrated probability that the predicted SOC major group is right (what the released shares
            are counted in), or ``None`` when the backend has no calibrated signal (see
            :mod:`harness.classify._confidence`).
        confidence_score: The backend's raw signal behind ``confidence`` (a score-mass share for the embedding
            backend, an agreement share across option orders for the LLM backend), or ``None``.
    """

    conversation_id: str
    account_id: str
    occupational: bool | None
    path: tuple[str, ...] = ()
    top_k: tuple[str, ...] = ()
    pattern: str | None = None
    skills: tuple[str, ...] = ()
    valid: bool = True
    invalid_reason: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float | None = None
    latency_s: float = 0.0
    prompt_hashes: Mapping[str, str] = field(default_factory=dict)
    confidence: float | None = None
    confidence_score: float | None = None

    def __post_init__(self) -> None:
        if self.pattern is not None and self.pattern not in PATTERNS:
            raise ValueError(f"unknown pattern {self.pattern!r}; expected one of {PATTERNS}")
        for name in ("path", "top_k", "skills"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "prompt_hashes", MappingProxyType(dict(self.prompt_hashes)))

    def node_at(self, depth: int) -> str | None:
        """Predicted node at ``depth`` (0 = top), or ``None`` when the path is shorter."""
        return self.path[depth] if depth < len(self.path) else None

    def to_row(self, levels: Sequence[str]) -> dict[str, Any]:
        """One fact row: scalar columns, one column per hierarchy level, JSON-able lists."""
        row: dict[str, Any] = {
            "conversation_id": self.conversation_id,
            "account_id": self.account_id,
            "occupational": self.occupational,
        }
        for depth, level in enumerate(levels):
            row[f"node_{level}"] = self.node_at(depth)
        row.update(
            {
                "path": list(self.path),
                "top_k": list(self.top_k),
                "pattern": self.pattern,
                "skills": list(self.skills),
                "valid": self.valid,
                "invalid_reason": self.invalid_reason,
                "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens,
                "cache_read_tokens": self.cache_read_tokens,
                "cache_write_tokens": self.cache_write_tokens,
                "cost_usd": self.cost_usd,
                "latency_s": self.latency_s,
                "prompt_hashes": dict(self.prompt_hashes),
                "confidence": self.confidence,
                "confidence_score": self.confidence_score,
            }
        )
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Classification:
        """Inverse of :meth:`to_row` (level columns are derived from ``path``)."""
        return cls(
            conversation_id=str(row["conversation_id"]),
            account_id=str(row["account_id"]),
            occupational=row.get("occupational"),
            path=tuple(row.get("path") or ()),
            top_k=tuple(row.get("top_k") or ()),
            pattern=row.get("pattern"),
            skills=tuple(row.get("skills") or ()),
            valid=bool(row.get("valid", True)),
            invalid_reason=row.get("invalid_reason"),
            input_tokens=int(row.get("input_tokens") or 0),
            output_tokens=int(row.get("output_tokens") or 0),
            cache_read_tokens=int(row.get("cache_read_tokens") or 0),
            cache_write_tokens=int(row.get("cache_write_tokens") or 0),
            cost_usd=row.get("cost_usd"),
            latency_s=float(row.get("latency_s") or 0.0),
            prompt_hashes=row.get("prompt_hashes") or {},
            confidence=_optional_float(row.get("confidence")),
            confidence_score=_optional_float(row.get("confidence_score")),
        )


def _optional_float(value: Any) -> float | None:
    # a missing confidence arrives as None, NaN or pandas' NA depending on who wrote the row
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if number != number else number


@runtime_checkable
class Classifier(Protocol):
    """A backend that classifies conversations against one hierarchy.

    Implementations classify a batch at a time (embedding backends vectorise; LLM backends run the batch's
    conversations concurrently) and must be deterministic given their configuration, seed and cache.
    """

    @property
    def spec(self) -> str:
        """The backend string that built it, e.g. ``"embedding:all-MiniLM-L6-v2"``."""
        ...

    def describe(self) -> dict[str, Any]:
        """Provenance for the run manifest: model ids, configuration, seeds, prompt hashes."""
        ...

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        """Classify ``conversations`` (order preserved)."""
        ...
