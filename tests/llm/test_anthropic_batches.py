"""Message Batches through AnthropicLLM: submit, poll, collect, and resume from the state file."""

from __future__ import annotations

import asyncio
import json

import pytest

from harness.errors import InputError
from harness.llm import AnswerCache, CachedLLM, LLMError, LLMRequest, Usage
from tests.support.messages_server import Reply


def _reqs(n: int) -> list[LLMRequest]:
    return [LLMRequest("screening", "Pick A, B or C.", f"item {i}", max_tokens=5) for i in range(n)]


def test_submit_poll_collect(server, make_llm):
    server.batch_polls_before_end = 2
    server.responder = lambda body: body["messages"][0]["content"].replace("item", "answer")
    llm = make_llm()
    requests = [*_reqs(3), LLMRequest("screening", "Pick A, B or C.", "hot", max_tokens=5, temperature=0.0)]

    async def run():
        batch_id = await llm.submit_batch(requests)
        statuses = [await llm.poll(batch_id) for _ in range(3)]
        return batch_id, statuses, await llm.collect(batch_id)

    batch_id, statuses, results = asyncio.run(run())
    assert [s.processing_status for s in statuses] == ["in_progress", "in_progress", "ended"]
    assert statuses[0].processing == 4 and statuses[-1].succeeded == 4 and statuses[-1].ended
    assert set(results) == {llm.custom_id(r) for r in requests}
    assert results[llm.custom_id(requests[1])].response.text == "answer 1"
    (create,) = server.requests_to("POST", "/v1/messages/batches")
    sent = create.body["requests"]
    assert [e["params"]["messages"][0]["content"] for e in sent] == ["item 0", "item 1", "item 2", "hot"]
    assert sent[3]["params"]["temperature"] == 0.0 and "temperature" not in sent[0]["params"]
    assert all(len(e["custom_id"]) == 64 for e in sent)
    assert batch_id.startswith("msgbatch_")


def test_run_batch_returns_in_order_at_half_price(server, make_llm, tmp_path):
    server.responder = lambda body: "B"
    llm = make_llm("claude-haiku-4-5")
    requests = _reqs(3)
    requests.append(requests[0])  # a duplicate is sent once and answered twice
    state = tmp_path / "batch.json"
    results = asyncio.run(llm.run_batch(requests, state, poll_interval_s=0.01))
    assert [r.response.text for r in results] == ["B"] * 4
    assert results[0].custom_id == results[3].custom_id
    (create,) = server.requests_to("POST", "/v1/messages/batches")
    assert len(create.body["requests"]) == 3
    usage = results[0].response.usage
    assert usage.output_tokens == 1 and usage.input_tokens > 0
    full = (usage.input_tokens * 1.0 + usage.output_tokens * 5.0) / 1e6
    assert results[0].response.cost_usd == pytest.approx(full / 2)
    saved = json.loads(state.read_text())
    assert saved["status"] == "collected" and saved["batch_id"].startswith("msgbatch_")
    assert saved["model"] == "claude-haiku-4-5" and len(saved["custom_ids"]) == 3


def test_killed_run_resumes_the_same_batch(server, make_llm, tmp_path):
    server.batch_polls_before_end = 1000  # stays in progress until the test lets it end
    server.responder = lambda body: "C"
    state = tmp_path / "batch.json"
    requests = _reqs(5)

    # First run gives up while the batch is still in flight (as if the process were killed).
    with pytest.raises(LLMError, match="resume"):
        asyncio.run(make_llm().run_batch(requests, state, poll_interval_s=0.01, max_wait_s=0.05))
    batch_id = json.loads(state.read_text())["batch_id"]
    assert json.loads(state.read_text())["status"] == "in_progress"

    server.batches[batch_id].polls_left = 1
    results = asyncio.run(make_llm().run_batch(requests, state, poll_interval_s=0.01))
    assert [r.response.text for r in results] == ["C"] * 5
    assert len(server.requests_to("POST", "/v1/messages/batches")) == 1  # not resubmitted
    assert json.loads(state.read_text())["batch_id"] == batch_id


def test_state_file_for_other_requests_is_refused(server, make_llm, tmp_path):
    state = tmp_path / "batch.json"
    asyncio.run(make_llm().run_batch(_reqs(2), state, poll_interval_s=0.01))
    with pytest.raises(InputError, match="other requests"):
        asyncio.run(make_llm().run_batch(_reqs(3), state, poll_interval_s=0.01))
    state.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        asyncio.run(make_llm().run_batch(_reqs(2), state, poll_interval_s=0.01))


def test_batch_uses_and_fills_the_answer_cache(server, make_llm, tmp_path):
    cache = AnswerCache(tmp_path / "answers.sqlite")
    server.script("A")
    requests = _reqs(3)
    asyncio.run(CachedLLM(make_llm(), cache).complete(requests[0]))  # answered before the batch
    server.responder = lambda body: "B"

    results = asyncio.run(make_llm().run_batch(requests, tmp_path / "b.json", cache=cache, poll_interval_s=0.01))
    assert [r.response.text for r in results] == ["A", "B", "B"]
    assert results[0].response.cached and results[0].response.usage == Usage()
    (create,) = server.requests_to("POST", "/v1/messages/batches")
    assert [e["params"]["messages"][0]["content"] for e in create.body["requests"]] == ["item 1", "item 2"]
    assert len(cache) == 3

    # Everything cached now: no second batch, and the interactive path hits the cache too.
    again = asyncio.run(make_llm().run_batch(requests, tmp_path / "b2.json", cache=cache, poll_interval_s=0.01))
    assert all(r.response.cached for r in again)
    assert len(server.requests_to("POST", "/v1/messages/batches")) == 1
    assert asyncio.run(CachedLLM(make_llm(), cache).complete(requests[2])).text == "B"


def test_errored_batch_items_carry_the_error(server, make_llm, tmp_path):
    server.script("A", Reply.overloaded(), "C")
    results = asyncio.run(make_llm().run_batch(_reqs(3), tmp_path / "b.json", poll_interval_s=0.01))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].response is None and results[1].error.startswith("overloaded_error")


def test_batch_api_errors_are_retried(server, make_llm, tmp_path):
    server.inject("POST", "/v1/messages/batches", Reply.overloaded())
    server.inject("GET", "/v1/messages/batches/", Reply.rate_limited(retry_after=0.01), Reply.server_error(502))
    llm = make_llm()
    results = asyncio.run(llm.run_batch(_reqs(2), tmp_path / "b.json", poll_interval_s=0.01))
    assert all(r.ok for r in results)
    assert len(server.requests_to("POST", "/v1/messages/batches")) == 2
    assert llm.retries == 3
    # An unknown batch id is a 404: reported at once, not retried.
    with pytest.raises(LLMError, match="HTTP 404"):
        asyncio.run(llm.poll("msgbatch_missing"))
    assert len(server.requests_to("GET", "/v1/messages/batches/msgbatch_missing")) == 1
