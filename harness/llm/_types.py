"""Request, response and usage types shared by every backend, and the ``LLM`` protocol."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.errors import HarnessError

__all__ = ["LLM", "LLMError", "LLMRequest", "LLMRequestError", "LLMResponse", "Usage", "request_key", "sha256_text"]


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a string (UTF-8); the hash used for prompt and input digests."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class LLMError(HarnessError):
    """A model call failed for good (after retries, or with a non-retryable error).

    The message names the backend, the model and what went wrong (HTTP status, error type, the server's
    message); it never carries credentials or prompt text.

    Attributes:
        status_code: HTTP status of the last attempt, when there was one.
        error_type: The API's error type (e.g. ``"overloaded_error"``), when known.
        attempts: How many attempts were made.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        error_type: str | None = None,
        attempts: int = 1,
    ):
        super().__init__(message)
        self.status_code = status_code
        self.error_type = error_type
        self.attempts = attempts


class LLMRequestError(LLMError):
    """One request got no usable answer, even after retries, for a reason tied to that request.

    Raised when every attempt ended in a reply that could not be read (malformed JSON, an HTML page, a body cut
    short or a message of the wrong shape), a connection dropped mid-answer, or a timeout; and for a failed entry
    of a Message Batch. A caller working through many items records the item as failed and goes on, whereas a
    plain :class:`LLMError` (a rejected key, an API that stays overloaded or out of reach) concerns every item.

    Attributes:
        reason: Short description of the last failure (e.g. ``"malformed JSON body"``); never response text.
    """

    def __init__(self, message: str, *, reason: str, attempts: int = 1, status_code: int | None = None):
        super().__init__(message, status_code=status_code, attempts=attempts)
        self.reason = reason


@dataclass(frozen=True)
class Usage:
    """Token counts of one or more calls.

    ``input_tokens`` are the uncached input tokens billed at the full rate; cache reads and cache writes are
    counted separately (as the Messages API reports them), so the whole prompt is the sum of the three.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"Usage.{name} must be a non-negative int, got {value!r}")

    def __add__(self, other: Usage) -> Usage:
        if not isinstance(other, Usage):
            return NotImplemented
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )

    @property
    def prompt_tokens(self) -> int:
        """All input tokens, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    @property
    def total_tokens(self) -> int:
        """Prompt plus output tokens."""
        return self.prompt_tokens + self.output_tokens

    def to_dict(self) -> dict[str, int]:
        """Plain dict, for JSON and the cache."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Usage:
        """Inverse of :meth:`to_dict`; missing counts are zero."""
        return cls(**{k: int(data.get(k) or 0) for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class LLMRequest:
    """One model call.

    Args:
        step: Pipeline step that asks (e.g. ``"screening"``); part of the cache key.
        system: The long prefix shared by many calls (instructions, option lists). Backends that support prompt
            caching mark it for caching.
        prompt: The per-item part (the user turn).
        max_tokens: Output token limit.
        temperature: Sampling temperature, or ``None`` (the default) for the model's own default. Claude 5-generation
            models reject any non-default sampling setting, so set it only for models that accept it.
        cache_prefix: Ask the backend to prompt-cache ``system``.
        prompt_hash: Digest of the prompt template version that produced ``system``/``prompt``. Defaults to the
            SHA-256 of ``system``.
        input_hash: Digest of the per-item input (conversation, shuffled options, seed). Defaults to the SHA-256
            of ``prompt``.
        metadata: Free-form labels for logs and bookkeeping (e.g. a conversation id); not sent to the model and
            not part of the cache key. Never put raw conversation text here.
    """

    step: str
    system: str
    prompt: str
    max_tokens: int = 1024
    temperature: float | None = None
    cache_prefix: bool = True
    prompt_hash: str = ""
    input_hash: str = ""
    metadata: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not self.step:
            raise ValueError("LLMRequest.step must be a non-empty string")
        if not isinstance(self.max_tokens, int) or self.max_tokens < 1:
            raise ValueError(f"LLMRequest.max_tokens must be a positive int, got {self.max_tokens!r}")
        if self.temperature is not None and not 0.0 <= self.temperature <= 2.0:
            raise ValueError(f"LLMRequest.temperature must be in [0, 2] or None, got {self.temperature!r}")
        if not self.prompt_hash:
            object.__setattr__(self, "prompt_hash", sha256_text(self.system))
        if not self.input_hash:
            object.__setattr__(self, "input_hash", sha256_text(self.prompt))

    def __repr__(self) -> str:
        # Prompts may contain conversation text: keep them out of reprs (and so out of logs and tracebacks).
        return (
            f"LLMRequest(step={self.step!r}, prompt_hash={self.prompt_hash[:12]!r}, "
            f"input_hash={self.input_hash[:12]!r}, max_tokens={self.max_tokens}, "
            f"temperature={self.temperature!r}, system_chars={len(self.system)}, prompt_chars={len(self.prompt)})"
        )


@dataclass(frozen=True)
class LLMResponse:
    """The answer to one :class:`LLMRequest`.

    Attributes:
        text: The model's text output (text blocks concatenated).
        usage: Tokens billed for *this* call; all zero when the answer came from the answer cache.
        model: Model id as reported by the backend.
        latency_s: Wall-clock seconds of this call (including retries, or the cache lookup).
        cached: True when served from the :class:`~harness.llm.AnswerCache`.
        stop_reason: Why generation stopped (``"end_turn"``, ``"max_tokens"``, ...), when known.
        cost_usd: Estimated cost of this call in USD (0 for cache hits); None when the model's price is unknown.
        original_usage: For cache hits, the usage recorded when the answer was first produced.
    """

    text: str
    usage: Usage
    model: str
    latency_s: float
    cached: bool = False
    stop_reason: str | None = None
    cost_usd: float | None = None
    original_usage: Usage | None = None

    def __repr__(self) -> str:
        # The answer text can paraphrase the conversation; show its size only.
        return (
            f"LLMResponse(model={self.model!r}, chars={len(self.text)}, cached={self.cached}, "
            f"stop_reason={self.stop_reason!r}, usage={self.usage!r}, cost_usd={self.cost_usd!r}, "
            f"latency_s={self.latency_s:.3f})"
        )


@runtime_checkable
class LLM(Protocol):
    """What the pipeline needs from a model backend."""

    @property
    def backend(self) -> str:
        """Short backend name (``"anthropic"``, ``"inspect"``); part of the cache key."""
        ...

    @property
    def model_id(self) -> str:
        """Model identifier within the backend; part of the cache key."""
        ...

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Answer one request (raises :class:`LLMError` when it cannot)."""
        ...


def request_key(backend: str, model_id: str, request: LLMRequest) -> str:
    """Cache key of a request for a given backend and model (64 hex characters).

    It covers the backend, model, step, prompt and input hashes, and every option that changes the answer
    (max_tokens, temperature). A digest of the exact system and prompt text is folded in as a safety net, so
    two requests that declare the same hashes but differ in text never share an answer. ``cache_prefix`` and
    ``metadata`` do not change the answer and are left out.
    """
    payload = {
        "v": 1,
        "backend": backend,
        "model": model_id,
        "step": request.step,
        "prompt_hash": request.prompt_hash,
        "input_hash": request.input_hash,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "text": sha256_text(request.system + "\x00" + request.prompt),
    }
    return sha256_text(json.dumps(payload, sort_keys=True, separators=(",", ":")))
