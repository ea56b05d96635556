"""Model backends behind one small protocol, the on-disk answer cache, and usage/cost accounting.

Every pipeline step talks to a model through :class:`LLM`: ``await llm.complete(LLMRequest(...))`` returns an
:class:`LLMResponse` with the text, token :class:`Usage`, a cost estimate and latency. Backends:

- ``anthropic:<model-id>`` – :class:`AnthropicLLM`, the Messages API through the official SDK, with its own
  retry loop, a concurrency limit, prompt caching of the shared ``system`` prefix, and Message Batches
  (:meth:`AnthropicLLM.run_batch`, resumable from a small JSON state file).
- ``anthropic-batch:<model-id>`` – the same client behind :class:`BatchingLLM`, which groups concurrent calls
  into Message Batches.
- ``inspect:<provider/model>`` – :class:`InspectLLM`, any model inspect-ai can reach (``inspect:mockllm/model``
  for offline tests).

Sentence-transformers models shipped inside PyPI packages are loaded offline by :class:`Embedder`, which also
caches embedding matrices on disk; it runs them in PyTorch or, exported locally, in ONNX Runtime (:data:`RUNTIMES`).

:class:`CachedLLM` puts an :class:`AnswerCache` (SQLite, shared by tasks and processes) in front of any backend.
A spec string is read once into a :class:`BackendSpec` (:func:`parse_spec`, grammar in its module); the model
schemes live in :data:`LLM_BACKENDS` (:func:`parse_llm_spec` checks a spec against them) and :func:`get_llm` builds
a client, cached or not, from a spec::

    llm = get_llm("anthropic:claude-haiku-4-5", cache=AnswerCache(), max_concurrency=16)
    response = await llm.complete(LLMRequest(step="screening", system=options_text, prompt=item_text))

A call that fails for good raises :class:`LLMError`; its subclass :class:`LLMRequestError` marks a failure that
concerns that one request (no readable answer after every retry), so a caller can record the item and go on.

Prices used for cost estimates are in :data:`PRICES` (USD per million tokens, dated by :data:`PRICES_AS_OF`).
"""

from __future__ import annotations

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
from harness.llm._embedding import (
    DEFAULT_RUNTIME,
    EMBEDDING_MODELS,
    RUNTIMES,
    Embedder,
    Runtime,
    canonical_model_name,
    check_runtime,
    model_path,
    runtime_tag,
)
from harness.llm._inspect import InspectLLM
from harness.llm._pricing import BATCH_DISCOUNT, PRICES, PRICES_AS_OF, ModelPrice, estimate_cost, price_for
from harness.llm._registry import LLM_BACKENDS, LLMBackend, get_llm, parse_llm_spec
from harness.llm._spec import BackendSpec, parse_spec
from harness.llm._types import (
    LLM,
    LLMError,
    LLMRequest,
    LLMRequestError,
    LLMResponse,
    Usage,
    request_key,
    sha256_text,
)

__all__ = [
    "BACKENDS",
    "BATCH_DISCOUNT",
    "DEFAULT_CACHE_FILE",
    "DEFAULT_RUNTIME",
    "EMBEDDING_MODELS",
    "LLM",
    "LLM_BACKENDS",
    "MAX_BATCH_REQUESTS",
    "PRICES",
    "PRICES_AS_OF",
    "RETRYABLE_STATUS",
    "RUNTIMES",
    "AnswerCache",
    "AnthropicLLM",
    "BackendSpec",
    "BatchResult",
    "BatchStatus",
    "BatchingLLM",
    "CacheStats",
    "CachedAnswer",
    "CachedLLM",
    "Embedder",
    "InspectLLM",
    "LLMBackend",
    "LLMError",
    "LLMRequest",
    "LLMRequestError",
    "LLMResponse",
    "ModelPrice",
    "RetryPolicy",
    "Runtime",
    "Usage",
    "canonical_model_name",
    "check_runtime",
    "estimate_cost",
    "get_llm",
    "model_path",
    "parse_llm_spec",
    "parse_spec",
    "price_for",
    "request_key",
    "runtime_tag",
    "sha256_text",
]

# The model schemes, in the registry's order (kept under this name for existing callers).
BACKENDS = tuple(LLM_BACKENDS)
