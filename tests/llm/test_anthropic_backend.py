"""AnthropicLLM with the real SDK against the local Messages API server."""

from __future__ import annotations

import asyncio
import logging
import traceback

import pytest

from harness.llm import AnswerCache, CachedLLM, LLMError, LLMRequest, RetryPolicy, Usage
from tests.support.messages_server import Reply

LONG_SYSTEM = "Options:\n" + "".join(f"{i:04d}. an option that describes one kind of work\n" for i in range(50))


def _req(prompt: str = "Which option fits?", **kw) -> LLMRequest:
    kw.setdefault("max_tokens", 20)
    return LLMRequest(step="screening", system=LONG_SYSTEM, prompt=prompt, **kw)


def test_scripted_answers_and_request_shape(server, make_llm):
    server.script("B", "not one of the options")
    llm = make_llm()

    async def run():
        return await llm.complete(_req()), await llm.complete(_req("second item"))

    first, second = asyncio.run(run())
    assert (first.text, second.text) == ("B", "not one of the options")
    assert first.model == "claude-haiku-4-5" and first.stop_reason == "end_turn" and not first.cached
    body = server.message_requests()[0].body
    assert body["model"] == "claude-haiku-4-5"
    assert body["max_tokens"] == 20
    assert body["messages"] == [{"role": "user", "content": "Which option fits?"}]
    assert body["system"] == [{"type": "text", "text": LONG_SYSTEM, "cache_control": {"type": "ephemeral"}}]
    assert "temperature" not in body
    assert llm.calls == 2 and llm.retries == 0


def test_prompt_cache_marker_only_when_wanted(server, make_llm):
    llm = make_llm(prompt_cache_min_chars=100)

    async def run():
        await llm.complete(LLMRequest("s", "short system", "p"))
        await llm.complete(_req(cache_prefix=False))
        await llm.complete(LLMRequest("s", "", "no system at all"))
        await llm.complete(_req(temperature=0.0))

    asyncio.run(run())
    bodies = [r.body for r in server.message_requests()]
    assert bodies[0]["system"] == [{"type": "text", "text": "short system"}]
    assert "cache_control" not in bodies[1]["system"][0]
    assert "system" not in bodies[2]
    assert bodies[3]["temperature"] == 0.0
    assert bodies[3]["system"][0]["cache_control"] == {"type": "ephemeral"}


def test_token_and_cost_accounting_with_prompt_cache(server, make_llm):
    server.script("B", "C")
    llm = make_llm("claude-haiku-4-5")

    async def run():
        return await llm.complete(_req("item one")), await llm.complete(_req("item two"))

    first, second = asyncio.run(run())
    prefix = (len(LONG_SYSTEM) + 3) // 4  # the server's token count of the cached prefix
    assert first.usage == Usage(input_tokens=2, output_tokens=1, cache_read_tokens=0, cache_write_tokens=prefix)
    assert second.usage == Usage(input_tokens=2, output_tokens=1, cache_read_tokens=prefix, cache_write_tokens=0)
    assert (server.cache_writes, server.cache_reads) == (1, 1)
    # Haiku 4.5 in USD per million tokens: 1 input, 5 output, 1.25 cache write, 0.10 cache read.
    assert first.cost_usd == pytest.approx((2 * 1 + 1 * 5 + prefix * 1.25) / 1e6)
    assert second.cost_usd == pytest.approx((2 * 1 + 1 * 5 + prefix * 0.10) / 1e6)
    assert llm.usage_total == first.usage + second.usage


def test_unknown_model_has_no_cost(server, make_llm):
    response = asyncio.run(make_llm("claude-experimental-x").complete(_req()))
    assert response.cost_usd is None
    assert response.usage.output_tokens == 1


def test_truncated_answer_reports_max_tokens(server, make_llm):
    server.script("word " * 100)
    response = asyncio.run(make_llm().complete(_req(max_tokens=5)))
    assert response.stop_reason == "max_tokens"
    assert len(response.text) == 20 and response.usage.output_tokens == 5


@pytest.mark.parametrize(
    "fault",
    [Reply.rate_limited(retry_after=None), Reply.overloaded(), Reply.server_error(500), Reply.server_error(503)],
    ids=["429", "529", "500", "503"],
)
def test_transient_errors_are_retried(server, make_llm, fault):
    server.script(fault, fault, "B")
    llm = make_llm()
    response = asyncio.run(llm.complete(_req()))
    assert response.text == "B"
    assert len(server.message_requests()) == 3
    assert llm.retries == 2


def test_retry_after_is_honoured(server, make_llm):
    server.script(Reply.rate_limited(retry_after=0.3), "B")
    llm = make_llm(retry=RetryPolicy(max_attempts=3, base_delay_s=0.001, jitter=0.0))
    response = asyncio.run(llm.complete(_req()))
    first, second = server.message_requests()
    assert response.text == "B"
    assert second.received_at - first.received_at >= 0.29
    assert response.latency_s >= 0.29


def test_backoff_grows_exponentially_and_is_capped():
    import random

    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=3.0, jitter=0.0)
    rng = random.Random(0)
    assert [policy.backoff(n, rng) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    jittered = RetryPolicy(base_delay_s=1.0, jitter=0.25)
    waits = [jittered.backoff(1, rng) for _ in range(200)]
    assert 0.75 <= min(waits) < max(waits) <= 1.25
    with pytest.raises(ValueError, match="jitter"):
        RetryPolicy(jitter=1.5)
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)


def test_gives_up_after_max_attempts(server, make_llm):
    server.script(*[Reply.overloaded()] * 3)
    llm = make_llm(retry=RetryPolicy(max_attempts=3, base_delay_s=0.001))
    with pytest.raises(LLMError, match="after 3 attempt") as info:
        asyncio.run(llm.complete(_req()))
    assert info.value.status_code == 529 and info.value.error_type == "overloaded_error"
    assert info.value.attempts == 3
    assert len(server.message_requests()) == 3


def test_client_errors_are_not_retried(server, make_llm):
    server.script(Reply.error(400), "never sent")
    with pytest.raises(LLMError, match="HTTP 400 invalid_request_error") as info:
        asyncio.run(make_llm().complete(_req()))
    assert info.value.status_code == 400 and info.value.attempts == 1
    assert len(server.message_requests()) == 1


def test_timeout_then_success(server, make_llm):
    server.script(Reply.slow(2.0, "too late"), "B")
    llm = make_llm(timeout_s=0.3)
    response = asyncio.run(llm.complete(_req()))
    assert response.text == "B"
    assert llm.retries == 1
    assert len(server.message_requests()) == 2


def test_concurrency_limit_is_respected(server, make_llm):
    server.responder = lambda body: Reply.answer("B", delay_s=0.05)
    llm = make_llm(max_concurrency=3)

    async def run():
        return await asyncio.gather(*(llm.complete(_req(f"item {i}")) for i in range(12)))

    answers = asyncio.run(run())
    assert [a.text for a in answers] == ["B"] * 12
    assert 2 <= server.max_concurrent <= 3


def test_cache_hit_never_reaches_the_server(server, make_llm, tmp_path):
    cache = AnswerCache(tmp_path / "answers.sqlite")
    server.script("B")
    llm = CachedLLM(make_llm(), cache)

    async def run():
        return await llm.complete(_req()), await llm.complete(_req())

    first, second = asyncio.run(run())
    assert len(server.message_requests()) == 1
    assert second.cached and second.text == "B" and second.usage == Usage() and second.cost_usd == 0.0
    assert second.original_usage == first.usage
    # A fully cached rerun needs no API key at all.
    keyless = CachedLLM(make_llm(), cache)
    keyless.llm._api_key = None
    assert asyncio.run(keyless.complete(_req())).cached


def test_missing_api_key_is_reported_at_first_request(monkeypatch):
    from harness.llm import AnthropicLLM

    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    llm = AnthropicLLM("claude-haiku-4-5", base_url="http://127.0.0.1:9")  # constructing needs no key
    with pytest.raises(LLMError, match="ANTHROPIC_API_KEY"):
        asyncio.run(llm.complete(_req()))


def test_key_from_environment(server, make_llm, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
    llm = make_llm()
    llm._api_key = None
    assert asyncio.run(llm.complete(_req())).text == "ok"


def test_instance_works_across_event_loops(server, make_llm):
    llm = make_llm()
    assert asyncio.run(llm.complete(_req("a"))).text == "ok"
    assert asyncio.run(llm.complete(_req("b"))).text == "ok"


def test_api_key_and_prompts_never_reach_logs_errors_or_reprs(server, make_llm, caplog):
    caplog.set_level(logging.DEBUG)  # everything, the SDK's and httpx's debug records included
    secret_prompt = "my private conversation about my diagnosis"
    server.script(Reply.rate_limited(retry_after=0.01), "B", Reply.error(401))
    llm = make_llm()
    asyncio.run(llm.complete(_req(secret_prompt)))
    with pytest.raises(LLMError) as info:
        asyncio.run(llm.complete(_req(secret_prompt)))
    texts = [
        caplog.text,
        str(info.value),
        repr(info.value),
        "".join(traceback.format_exception(info.value)),
        repr(llm),
        repr(_req(secret_prompt)),
    ]
    assert any("retrying" in record.getMessage() for record in caplog.records)
    for text in texts:
        assert server.api_key not in text
        assert secret_prompt not in text
    assert info.value.__context__ is None and info.value.__cause__ is None
    # The key did reach the server, where the recorder redacted it.
    assert all(server.api_key not in str(r.headers) for r in server.requests)
    assert any("<redacted>" in r.headers.values() for r in server.requests)
