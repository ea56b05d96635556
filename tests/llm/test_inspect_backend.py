"""InspectLLM with inspect's offline ``mockllm/model``.

Every mock output carries an explicit ``usage``: without one, inspect counts tokens with a tokenizer it would
try to download.
"""

from __future__ import annotations

import asyncio

import pytest
from inspect_ai.model import ModelOutput, ModelUsage

from harness.llm import AnswerCache, CachedLLM, InspectLLM, LLMError, LLMRequest, Usage, get_llm


def _output(text: str, *, stop_reason: str = "stop", **usage) -> ModelOutput:
    output = ModelOutput.from_content(model="mockllm", content=text, stop_reason=stop_reason)
    usage.setdefault("input_tokens", 10)
    usage.setdefault("output_tokens", 2)
    output.usage = ModelUsage(total_tokens=usage["input_tokens"] + usage["output_tokens"], **usage)
    return output


def _req(prompt: str = "Which option?", **kw) -> LLMRequest:
    return LLMRequest(step="screening", system="Options: A, B, C.", prompt=prompt, max_tokens=7, **kw)


def test_scripted_outputs_and_usage_mapping():
    llm = get_llm(
        "inspect:mockllm/model",
        custom_outputs=[
            _output("B", input_tokens=12, output_tokens=1, input_tokens_cache_read=300, input_tokens_cache_write=0),
            _output("C", stop_reason="max_tokens", input_tokens=5, output_tokens=7, input_tokens_cache_write=40),
        ],
    )

    async def run():
        return await llm.complete(_req()), await llm.complete(_req("next"))

    first, second = asyncio.run(run())
    assert (first.text, second.text) == ("B", "C")
    assert first.usage == Usage(input_tokens=12, output_tokens=1, cache_read_tokens=300, cache_write_tokens=0)
    assert second.usage == Usage(input_tokens=5, output_tokens=7, cache_read_tokens=0, cache_write_tokens=40)
    assert (first.stop_reason, second.stop_reason) == ("end_turn", "max_tokens")
    assert first.model == "mockllm" and not first.cached
    assert first.cost_usd is None  # a mock model has no price
    assert llm.usage_total == first.usage + second.usage and llm.calls == 2


def test_messages_and_generate_config_reach_the_model():
    seen = []

    def respond(messages, tools, tool_choice, config):
        seen.append(([(m.role, m.text) for m in messages], config.temperature, config.max_tokens))
        return _output("A")

    llm = InspectLLM("mockllm/model", custom_outputs=respond)
    asyncio.run(llm.complete(_req(temperature=0.0)))
    asyncio.run(llm.complete(LLMRequest("summary", "", "just a user turn")))
    assert seen[0] == ([("system", "Options: A, B, C."), ("user", "Which option?")], 0.0, 7)
    assert seen[1][0] == [("user", "just a user turn")]
    assert seen[1][1] is None


def test_provider_cost_is_used_for_unpriced_models():
    llm = InspectLLM("mockllm/model", custom_outputs=[_output("A", total_cost=0.0123)])
    assert asyncio.run(llm.complete(_req())).cost_usd == pytest.approx(0.0123)


def test_error_output_raises():
    failed = _output("")
    failed.error = "provider refused"
    llm = InspectLLM("mockllm/model", custom_outputs=[failed])
    with pytest.raises(LLMError, match="provider refused"):
        asyncio.run(llm.complete(_req()))


def test_cached_inspect_backend(tmp_path):
    backend = InspectLLM("mockllm/model", custom_outputs=[_output("B"), _output("C")])
    llm = CachedLLM(backend, AnswerCache(tmp_path / "answers.sqlite"))

    async def run():
        return [await llm.complete(_req(p)) for p in ("one", "one", "two")]

    a, b, c = asyncio.run(run())
    assert [x.text for x in (a, b, c)] == ["B", "B", "C"]
    assert [x.cached for x in (a, b, c)] == [False, True, False]
    assert backend.calls == 2
