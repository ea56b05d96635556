"""The SQLite answer cache and the CachedLLM wrapper."""

from __future__ import annotations

import asyncio
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from harness.llm import AnswerCache, CachedLLM, LLMError, LLMRequest, LLMResponse, Usage, request_key


class CountingLLM:
    """A backend that answers ``"answer to <prompt>"`` and counts its calls (optionally slowly or failing)."""

    backend = "fake"
    model_id = "fake-1"

    def __init__(self, *, delay_s: float = 0.0, fail: bool = False, stop_reason: str = "end_turn"):
        self.calls = 0
        self.delay_s = delay_s
        self.fail = fail
        self.stop_reason = stop_reason

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise LLMError("backend down")
        return LLMResponse(
            text=f"answer to {request.prompt}",
            usage=Usage(input_tokens=len(request.prompt), output_tokens=3, cache_read_tokens=7),
            model="fake-1-20260101",
            latency_s=self.delay_s,
            stop_reason=self.stop_reason,
            cost_usd=0.5,
        )


def _req(prompt: str = "q1", **kw) -> LLMRequest:
    return LLMRequest(step="screening", system="options A B C", prompt=prompt, max_tokens=5, **kw)


def test_put_get_and_counters(tmp_path):
    cache = AnswerCache(tmp_path / "answers.sqlite")
    req = _req()
    key = request_key("fake", "fake-1", req)
    assert cache.get(key) is None
    response = LLMResponse("B", Usage(10, 1), "fake-1", 0.2, stop_reason="end_turn", cost_usd=0.01)
    assert cache.put(key, "fake", "fake-1", req, response) is True
    assert cache.put(key, "fake", "fake-1", req, response) is False  # first answer wins
    hit = cache.get(key)
    assert (hit.text, hit.model, hit.stop_reason, hit.usage, hit.cost_usd) == (
        "B",
        "fake-1",
        "end_turn",
        Usage(10, 1),
        0.01,
    )
    stats = cache.stats()
    assert (stats.hits, stats.misses, stats.entries) == (1, 1, 1)
    assert stats.hit_rate == 0.5
    assert key in cache and "0" * 64 not in cache


def test_cache_survives_reopen_and_stores_no_prompt_text(tmp_path):
    path = tmp_path / "answers.sqlite"
    req = _req("a private sentence from a conversation")
    key = request_key("fake", "fake-1", req)
    AnswerCache(path).put(key, "fake", "fake-1", req, LLMResponse("C", Usage(1, 1), "m", 0.1))
    reopened = AnswerCache(path)
    assert reopened.get(key).text == "C"
    assert len(reopened) == 1
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        dump = "\n".join(con.iterdump())
    assert "private sentence" not in dump


def test_default_path_is_under_the_harness_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cachedir"))
    cache = AnswerCache()
    assert cache.path == (tmp_path / "cachedir").resolve() / "llm_answers.sqlite"
    assert cache.path.exists()


def test_cached_llm_second_call_never_reaches_backend(tmp_path):
    backend = CountingLLM()
    llm = CachedLLM(backend, AnswerCache(tmp_path / "c.sqlite"))

    async def run():
        return await llm.complete(_req()), await llm.complete(_req()), await llm.complete(_req("q2"))

    first, second, other = asyncio.run(run())
    assert backend.calls == 2
    assert not first.cached and first.usage == Usage(2, 3, 7) and first.cost_usd == 0.5
    assert second.cached and second.text == first.text == "answer to q1"
    assert second.usage == Usage() and second.cost_usd == 0.0  # nothing new billed
    assert second.original_usage == first.usage
    assert second.model == "fake-1-20260101" and second.stop_reason == "end_turn"
    assert other.text == "answer to q2" and not other.cached
    assert (llm.backend, llm.model_id) == ("fake", "fake-1")


def test_failed_or_cancelled_calls_leave_nothing(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")

    with pytest.raises(LLMError):
        asyncio.run(CachedLLM(CountingLLM(fail=True), cache).complete(_req()))
    assert len(cache) == 0

    async def cancel_midway():
        task = asyncio.create_task(CachedLLM(CountingLLM(delay_s=5.0), cache).complete(_req()))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_midway())
    assert len(cache) == 0


def test_truncated_answers_are_not_stored_unless_asked(tmp_path):
    cache = AnswerCache(tmp_path / "c.sqlite")
    asyncio.run(CachedLLM(CountingLLM(stop_reason="max_tokens"), cache).complete(_req()))
    assert len(cache) == 0
    asyncio.run(CachedLLM(CountingLLM(stop_reason="max_tokens"), cache, store_truncated=True).complete(_req()))
    assert len(cache) == 1


def test_many_tasks_share_one_cache(tmp_path):
    backend = CountingLLM(delay_s=0.001)
    llm = CachedLLM(backend, AnswerCache(tmp_path / "c.sqlite"))

    async def run():
        return await asyncio.gather(*(llm.complete(_req(f"q{i % 25}")) for i in range(100)))

    asyncio.run(run())
    first_round = backend.calls
    assert 25 <= first_round <= 100  # concurrent misses on one key may each call the backend
    answers = asyncio.run(run())
    assert backend.calls == first_round  # everything is cached now
    assert all(a.cached for a in answers)
    assert [a.text for a in answers] == [f"answer to q{i % 25}" for i in range(100)]


def _write_many(path: str, worker: int, n: int) -> None:
    cache = AnswerCache(path)
    for i in range(n):
        req = _req(f"w{worker}-{i}")
        key = request_key("fake", "fake-1", req)
        cache.put(key, "fake", "fake-1", req, LLMResponse(f"{worker}:{i}", Usage(1, 1), "m", 0.0))
        # Every worker also writes a shared key, to collide on the primary key.
        shared = _req(f"shared-{i}")
        cache.put(request_key("fake", "fake-1", shared), "fake", "fake-1", shared, LLMResponse("s", Usage(), "m", 0))


def test_concurrent_writer_processes_do_not_corrupt(tmp_path):
    path = str(tmp_path / "c.sqlite")
    AnswerCache(path)
    ctx = multiprocessing.get_context("fork")
    workers = [ctx.Process(target=_write_many, args=(path, w, 150)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(timeout=120)
    assert [p.exitcode for p in workers] == [0, 0, 0, 0]
    cache = AnswerCache(path)
    assert len(cache) == 4 * 150 + 150
    with sqlite3.connect(path) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    req = _req("w3-149")
    assert cache.get(request_key("fake", "fake-1", req)).text == "3:149"


def test_cache_refuses_a_foreign_schema(tmp_path):
    path = Path(tmp_path / "c.sqlite")
    AnswerCache(path)
    with sqlite3.connect(path) as con:
        con.execute("UPDATE meta SET value = '99' WHERE name = 'schema_version'")
    with pytest.raises(ValueError, match="schema 99"):
        AnswerCache(path)
