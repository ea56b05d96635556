"""Model backends behind one small protocol, the on-disk answer cache, and usage/cost accounting.

Every pipeline step talks to a model through :class:`LLM`: ``await llm.complete(LLMRequest(...))`` returns an
:class:`LLMResponse` with the text, token :class:`Usage`, a cost estimate and latency. Backends:

- ``anthropic:<model-id>`` – :class:`AnthropicLLM`, the Messages API through the official SDK, with its own
  retry loop, a concurrency limit, prompt caching of the shared ``system`` prefix, and Message Batches
  (:meth:`AnthropicLLM.run_batch`, resumable from a small JSON state file).
- ``inspect:<provider/model>`` – :class:`InspectLLM`, any model inspect-ai can reach (``inspect:mockllm/model``
  for offline tests).

Sentence-transformers models shipped inside PyPI packages are loaded offline by :class:`Embedder`, which also
caches embedding matrices on disk.

:class:`CachedLLM` puts an :class:`AnswerCache` (SQLite, shared by tasks and processes) in front of any backend;
:func:`get_llm` builds either from a spec string::

    llm = get_llm("anthropic:claude-haiku-4-5", cache=AnswerCache(), max_concurrency=16)
    response = await llm.complete(LLMRequest(step="screening", system=options_text, prompt=item_text))

Prices used for cost estimates are in :data:`PRICES` (USD per million tokens, dated by :data:`PRICES_AS_OF`).
"""

from __future__ import annotations

from typing import Any

from harness.llm._anthropic import (
    MAX_BATCH_REQUESTS,
    RETRYABLE_STATUS,
    AnthropicLLM,
    BatchResult,
    BatchStatus,
    RetryPolicy,
)
from harness.llm._batching import BatchingLLM
from harness.llm._cache import DEFAULT_CACHE_FILE, AnswerCache, CachedAnswer, CachedLLM, CacheStats
from harness.llm._embedding import EMBEDDING_MODELS, Embedder, canonical_model_name, model_path
from harness.llm._inspect import InspectLLM
from harness.llm._pricing import BATCH_DISCOUNT, PRICES, PRICES_AS_OF, ModelPrice, estimate_cost, price_for
from harness.llm._types import LLM, LLMError, LLMRequest, LLMResponse, Usage, request_key, sha256_text

__all__ = [
    "BACKENDS",
    "BATCH_DISCOUNT",
    "DEFAULT_CACHE_FILE",
    "EMBEDDING_MODELS",
    "LLM",
    "MAX_BATCH_REQUESTS",
    "PRICES",
    "PRICES_AS_OF",
    "RETRYABLE_STATUS",
    "AnswerCache",
    "AnthropicLLM",
    "BatchResult",
    "BatchStatus",
    "BatchingLLM",
    "CacheStats",
    "CachedAnswer",
    "CachedLLM",
    "Embedder",
    "InspectLLM",
    "LLMError",
    "LLMRequest",
    "LLMResponse",
    "ModelPrice",
    "RetryPolicy",
    "Usage",
    "canonical_model_name",
    "estimate_cost",
    "get_llm",
    "model_path",
    "price_for",
    "request_key",
    "sha256_text",
]

BACKENDS = ("anthropic", "anthropic-batch", "inspect")


def get_llm(spec: str, *, cache: AnswerCache | None = None, **options: Any) -> LLM:
    """Build a backend from a spec string.

    Args:
        spec: ``"anthropic:<model-id>"`` (e.g. ``"anthropic:claude-haiku-4-5"``), ``"anthropic-batch:<model-id>"``
            (the same model through Message Batches, see :class:`BatchingLLM`) or ``"inspect:<provider/model>"``
            (e.g. ``"inspect:mockllm/model"``).
        cache: When given, wrap the backend in a :class:`CachedLLM` using this cache.
        **options: Passed to the backend's constructor (:class:`AnthropicLLM` or :class:`InspectLLM`).

    Raises:
        ValueError: Unknown scheme or empty model name.
    """
    scheme, sep, name = spec.partition(":")
    if not sep or scheme not in BACKENDS:
        raise ValueError(
            f"unknown model spec {spec!r}: expected 'anthropic:<model-id>', 'anthropic-batch:<model-id>' or "
            "'inspect:<provider/model>'"
        )
    if not name:
        raise ValueError(f"model spec {spec!r} has no model name after '{scheme}:'")
    batch_keys = ("state_dir", "window_s", "max_batch", "poll_interval_s", "max_wait_s")
    batch_options = {k: options.pop(k) for k in batch_keys if k in options}
    llm: LLM
    if scheme == "inspect":
        llm = InspectLLM(name, **options)
    elif scheme == "anthropic-batch":
        llm = BatchingLLM(AnthropicLLM(name, **options), **batch_options)
    else:
        llm = AnthropicLLM(name, **options)
    return CachedLLM(llm, cache) if cache is not None else llm
