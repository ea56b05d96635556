"""Backend that runs requests through inspect-ai's model layer (any provider inspect supports).

inspect does its own retries and connection limits for real providers; this wrapper maps the request to a system
and a user message plus a ``GenerateConfig``, and maps the output back. Stop reasons are translated to the
Messages API vocabulary (``"stop"`` becomes ``"end_turn"``, ``"model_length"`` becomes ``"max_tokens"``, ...), so
callers see one set of values whatever the backend.

For offline tests use ``inspect:mockllm/model`` with ``custom_outputs``. A mock output without a ``usage`` gets one
from inspect, which counts tokens with tiktoken's ``o200k_base`` encoding, a file tiktoken downloads on first use;
so that a mock run needs no network (``inspect eval evals/... --model mockllm/model`` included), the mock models
this module wraps count about four characters per token instead. Their token counts are made up either way.
"""

from __future__ import annotations

import time
from typing import Any

from harness.errors import clip_text
from harness.llm._pricing import estimate_cost
from harness.llm._types import LLMError, LLMRequest, LLMResponse, Usage

__all__ = ["InspectLLM"]

_STOP_REASONS = {
    "stop": "end_turn",
    "max_tokens": "max_tokens",
    "model_length": "max_tokens",
    "tool_calls": "tool_use",
    "content_filter": "refusal",
}


async def _approx_text_tokens(text: str) -> int:
    """About four characters per token, at least one: the count the local Messages API test server uses too."""
    return max(1, (len(text) + 3) // 4)


def _count_mock_tokens_offline(model: Any) -> None:
    """Make a ``mockllm`` model count tokens without tiktoken (whose encoding file would be downloaded).

    inspect fills in the usage of a mock output that has none by counting the prompt's tokens through the model
    API's ``count_text_tokens``; only that one object is changed, real providers are left alone.
    """
    api = getattr(model, "api", None)
    if str(model).split("/", 1)[0] == "mockllm" and hasattr(api, "count_text_tokens"):
        api.count_text_tokens = _approx_text_tokens


class InspectLLM:
    """A model reached through ``inspect_ai.model.get_model``.

    Args:
        model: inspect model name, ``provider/model`` (e.g. ``"anthropic/claude-haiku-4-5"``, ``"mockllm/model"``),
            or an existing inspect ``Model`` (e.g. the active model of an eval, ``get_model()``).
        **model_args: Passed to ``get_model`` when ``model`` is a name (e.g. ``custom_outputs`` for ``mockllm``).

    Attributes:
        calls: Requests answered successfully.
        usage_total: Usage summed over successful requests.
    """

    backend = "inspect"

    def __init__(self, model: Any, **model_args: Any):
        from inspect_ai.model import Model, get_model  # deferred: inspect is slow to import

        if isinstance(model, Model):
            self.model_id = str(model)
            self._model = model
        else:
            if "/" not in model:
                raise ValueError(f"inspect model names look like 'provider/model', got {model!r}")
            self.model_id = model
            # memoize=False: each backend object owns its model (mock outputs must not leak between instances).
            self._model = get_model(model, memoize=False, **model_args)
        _count_mock_tokens_offline(self._model)
        self.calls = 0
        self.usage_total = Usage()

    def __repr__(self) -> str:
        return f"InspectLLM(model={self.model_id!r})"

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Generate one answer."""
        from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig

        messages: list[Any] = []
        if request.system:
            messages.append(ChatMessageSystem(content=request.system))
        messages.append(ChatMessageUser(content=request.prompt))
        config = GenerateConfig(
            temperature=request.temperature, max_tokens=request.max_tokens, cache_prompt=request.cache_prefix
        )
        start = time.perf_counter()
        output = await self._model.generate(messages, config=config)
        latency = time.perf_counter() - start
        if output.error:
            raise LLMError(f"inspect {self.model_id}: generation failed: {clip_text(str(output.error))}")
        u = output.usage
        usage = (
            Usage(
                input_tokens=u.input_tokens or 0,
                output_tokens=u.output_tokens or 0,
                cache_read_tokens=u.input_tokens_cache_read or 0,
                cache_write_tokens=u.input_tokens_cache_write or 0,
            )
            if u is not None
            else Usage()
        )
        cost = estimate_cost(self.model_id, usage)
        if cost is None and u is not None and u.total_cost is not None:
            cost = float(u.total_cost)
        stop = output.stop_reason if output.choices else None
        self.calls += 1
        self.usage_total = self.usage_total + usage
        return LLMResponse(
            text=output.completion,
            usage=usage,
            model=output.model or self.model_id,
            latency_s=latency,
            cached=False,
            stop_reason=_STOP_REASONS.get(stop, stop) if stop else None,
            cost_usd=cost,
        )
