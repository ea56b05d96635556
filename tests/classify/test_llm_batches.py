"""The LLM classifier run through Message Batches (BatchingLLM) against the local Messages API server."""

from __future__ import annotations

import json

import pytest

from harness.classify import LLMClassifier, LLMClassifierConfig, get_classifier
from harness.llm import AnswerCache, BatchingLLM, CachedLLM
from tests.classify.test_llm_backend import Responder, conversation, make_llm, mini, server  # noqa: F401


def _convs():
    return [conversation(c, f"My {c} script crashes with a KeyError when billing runs.") for c in "abcd"]


def test_every_step_goes_through_batches(server, mini, tmp_path):  # noqa: F811
    hierarchy, skills = mini
    server.responder = Responder()
    direct = LLMClassifier(hierarchy, make_llm(server), LLMClassifierConfig(seed=1), skills=skills).classify(_convs())
    n_direct_calls = len(server.message_requests())
    # identical requests (same options order, same summary) are sent once per batch
    distinct = {json.dumps([r.body["system"], r.body["messages"]], sort_keys=True) for r in server.message_requests()}

    server.requests.clear()
    batching = BatchingLLM(make_llm(server), state_dir=tmp_path / "state", window_s=0.05, poll_interval_s=0.01)
    batched = LLMClassifier(hierarchy, batching, LLMClassifierConfig(seed=1), skills=skills).classify(_convs())
    assert server.message_requests() == []  # nothing went through the interactive endpoint
    created = server.requests_to("POST", "/v1/messages/batches")
    # conversations move through the steps together, so each step is one batch (not one per conversation)
    assert 1 < len(created) < n_direct_calls
    assert len(distinct) <= sum(len(r.body["requests"]) for r in created) <= n_direct_calls
    assert [(r.path, r.pattern, r.skills, r.occupational) for r in batched] == \
        [(r.path, r.pattern, r.skills, r.occupational) for r in direct]
    assert all(r.valid for r in batched)
    # batch answers are billed at the batch discount
    assert sum(r.cost_usd for r in batched) < sum(r.cost_usd for r in direct)


def test_cached_batches_are_not_resent(server, mini, tmp_path):  # noqa: F811
    hierarchy, skills = mini
    server.responder = Responder()
    cache = AnswerCache(tmp_path / "answers.sqlite")

    def run():
        batching = BatchingLLM(make_llm(server), state_dir=tmp_path / "state", window_s=0.05, poll_interval_s=0.01)
        return LLMClassifier(hierarchy, CachedLLM(batching, cache), skills=skills).classify(_convs())

    first = run()
    sent = len(server.requests_to("POST", "/v1/messages/batches"))
    again = run()
    assert len(server.requests_to("POST", "/v1/messages/batches")) == sent
    assert [r.path for r in again] == [r.path for r in first]


def test_factory_builds_the_batch_backend(mini, tmp_path, monkeypatch):  # noqa: F811
    hierarchy, _ = mini
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path))
    clf = get_classifier("anthropic-batch:claude-haiku-4-5", hierarchy, api_key="test", base_url="http://127.0.0.1:9")
    assert isinstance(clf, LLMClassifier)
    with pytest.raises(ValueError, match="window_s"):
        BatchingLLM(make_llm.__globals__["AnthropicLLM"]("m", api_key="k"), window_s=0)
