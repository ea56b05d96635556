"""The local Messages API test server on its own, driven by the plain SDK clients."""

from __future__ import annotations

import anthropic
import pytest

from tests.support.messages_server import Reply, approx_tokens, messages_server


def _client(server, **kw) -> anthropic.Anthropic:
    kw.setdefault("api_key", server.api_key)
    return anthropic.Anthropic(base_url=server.base_url, max_retries=0, timeout=5.0, **kw)


def test_sync_sdk_parses_replies_and_responder_sees_the_request(server):
    seen = []

    def responder(body):
        seen.append(body)
        return f"echo {body['messages'][0]['content']}"

    server.responder = responder
    message = _client(server).messages.create(
        model="claude-haiku-4-5", max_tokens=50, messages=[{"role": "user", "content": "hello there"}]
    )
    assert message.content[0].text == "echo hello there"
    assert message.role == "assistant" and message.type == "message" and message.stop_reason == "end_turn"
    assert message.usage.input_tokens == approx_tokens("hello there")
    assert message.usage.cache_read_input_tokens == 0
    assert seen[0]["max_tokens"] == 50


def test_wrong_key_gets_401_and_headers_are_redacted(server):
    with pytest.raises(anthropic.AuthenticationError):
        _client(server, api_key="sk-wrong").messages.create(
            model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    (request,) = server.requests
    assert "sk-wrong" not in str(request.headers)
    assert "<redacted>" in request.headers.values()


def test_scripted_faults_map_to_sdk_errors(server):
    server.script(Reply.rate_limited(retry_after=7), Reply.overloaded(), Reply.server_error(500))
    client = _client(server)
    call = {"model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(**call)
    assert info.value.response.headers["retry-after"] == "7"
    with pytest.raises(anthropic.OverloadedError):
        client.messages.create(**call)
    with pytest.raises(anthropic.InternalServerError):
        client.messages.create(**call)
    assert client.messages.create(**call).content[0].text == "ok"


def test_prompt_cache_simulation_respects_the_minimum_and_the_prefix():
    with messages_server(prompt_cache_min_tokens=100) as server:
        client = _client(server)

        def send(system_text):
            return client.messages.create(
                model="m",
                max_tokens=5,
                system=[{"type": "text", "text": system_text, "cache_control": {"type": "ephemeral"}}],
                messages=[{"role": "user", "content": "q"}],
            ).usage

        short = send("too short to cache")
        assert (short.cache_creation_input_tokens, short.cache_read_input_tokens) == (0, 0)
        long_text = "x" * 800
        first, second, other = send(long_text), send(long_text), send("y" * 800)
        assert (first.cache_creation_input_tokens, first.cache_read_input_tokens) == (200, 0)
        assert (second.cache_creation_input_tokens, second.cache_read_input_tokens) == (0, 200)
        assert other.cache_creation_input_tokens == 200
        assert (server.cache_writes, server.cache_reads) == (2, 1)


def test_unknown_paths_are_404(messages_api):
    client = _client(messages_api)
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_nope")
