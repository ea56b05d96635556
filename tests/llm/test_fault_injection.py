"""Faults of the Messages API, injected by the local test server, and what the harness makes of them.

Unit level: every kind of broken reply is retried like a 5xx and, when it persists, ends in an
:class:`LLMRequestError` that says why without echoing the reply; a rejected key stops every request of the
backend at once. Command level: ``harness classify`` over 30 goldset conversations under a mix of faults accounts
for every conversation exactly once, exits 0, resumes, and never prints a traceback or the API key.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import threading
import time
from typing import Any

import pytest

from harness.cli import main
from harness.errors import InputError, clip_text
from harness.llm import AnthropicLLM, BatchingLLM, LLMError, LLMRequest, LLMRequestError, RetryPolicy
from tests.classify.test_llm_backend import Responder, parse_request
from tests.conftest import FIXTURES
from tests.support.messages_server import TEST_API_KEY, MessagesServer, Reply, messages_server

GOLDSET = FIXTURES.parents[1] / "goldsets" / "sharegpt_v1.jsonl"
FAST = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.05, jitter=0.1)
BROKEN_REPLIES = {
    "malformed_json": Reply.malformed_json(),
    "html": Reply.html(),
    "truncated_body": Reply.truncated_body("a longer answer that is cut in the middle"),
    "connection_reset": Reply.connection_reset(),
    "not_a_message": Reply.not_a_message(),
    "slow": Reply.slow(2.0),
}


def _req(prompt: str = "Which option fits?") -> LLMRequest:
    return LLMRequest(step="screening", system="Options: A, B, C.", prompt=prompt, max_tokens=20)


# -- the backend, one request at a time ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BROKEN_REPLIES))
def test_a_broken_reply_is_retried_like_a_5xx(server, make_llm, kind, caplog):
    server.script(BROKEN_REPLIES[kind], "B")
    llm = make_llm(retry=FAST, timeout_s=0.5)
    response = asyncio.run(llm.complete(_req()))
    assert response.text == "B" and llm.retries == 1 and llm.calls == 1
    assert len(server.message_requests()) == 2
    assert server.fault_counts[kind] == 1
    [warning] = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert "attempt 1/4" in warning


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("malformed_json", "malformed JSON body"),
        ("html", "the body is not JSON"),
        ("truncated_body", "response cut short"),
        ("connection_reset", "connection reset"),
        ("not_a_message", "not a message object"),
        ("slow", "timeout"),
    ],
)
def test_a_reply_that_stays_broken_fails_that_request_only(server, make_llm, kind, reason):
    server.script(*[BROKEN_REPLIES[kind]] * 3)
    llm = make_llm(retry=RetryPolicy(max_attempts=3, base_delay_s=0.01), timeout_s=0.5)
    with pytest.raises(LLMRequestError, match=f"no usable answer after 3 attempt.*{reason}") as info:
        asyncio.run(llm.complete(_req()))
    assert reason in info.value.reason and info.value.attempts == 3
    assert info.value.__cause__ is None and info.value.__context__ is None
    assert "<html" not in str(info.value) and "502 Bad Gateway" not in str(info.value)
    # the backend is still usable for the next request
    assert asyncio.run(llm.complete(_req("next"))).text == "ok"


def test_an_api_that_stays_overloaded_or_out_of_reach_concerns_the_whole_run(server, make_llm):
    server.script(*[Reply.overloaded()] * 3)
    llm = make_llm(retry=RetryPolicy(max_attempts=3, base_delay_s=0.01))
    with pytest.raises(LLMError) as info:
        asyncio.run(llm.complete(_req()))
    assert not isinstance(info.value, LLMRequestError) and info.value.status_code == 529
    port_without_server = AnthropicLLM(
        "claude-haiku-4-5", api_key="k", base_url="http://127.0.0.1:9", retry=RetryPolicy(1), timeout_s=2
    )
    with pytest.raises(LLMError, match="cannot connect") as info:
        asyncio.run(port_without_server.complete(_req()))
    assert not isinstance(info.value, LLMRequestError)


def test_a_rejected_key_stops_requests_in_flight_and_later_without_warnings(server, make_llm, caplog):
    caplog.set_level(logging.DEBUG)
    # The first request is refused; the three sent beside it come back overloaded only after that refusal, when
    # retrying them (and saying so) would be pointless.
    server.responder = lambda body: Reply.unauthorized() if _user(body) == "the one" else Reply(status=529, delay_s=0.2)
    llm = make_llm(retry=FAST, max_concurrency=4)

    async def run() -> list[Any]:
        tasks = [asyncio.create_task(llm.complete(_req("the one")))]
        tasks += [asyncio.create_task(llm.complete(_req(f"item {i}"))) for i in range(10)]
        return await asyncio.gather(*tasks, return_exceptions=True)

    started = time.monotonic()
    outcomes = asyncio.run(run())
    assert all(isinstance(o, LLMError) and o.status_code == 401 for o in outcomes)
    assert "rejected the API key" in str(outcomes[0]) and "ANTHROPIC_API_KEY" in str(outcomes[0])
    assert {str(o) for o in outcomes} == {str(outcomes[0])}  # one message, whichever request met the refusal
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]
    assert time.monotonic() - started < 2.0
    sent_before = len(server.message_requests())
    assert sent_before == 4  # the seven requests still waiting for a slot were never sent
    with pytest.raises(LLMError, match="rejected the API key"):
        asyncio.run(llm.complete(_req("later")))
    assert len(server.message_requests()) == sent_before  # not even sent
    for text in [caplog.text, *map(str, outcomes), *map(repr, outcomes)]:
        assert TEST_API_KEY not in text


def test_echoed_server_messages_and_input_values_are_cut(server, make_llm):
    huge = "x" * 50_000_000
    server.script(Reply.error(400, message="prompt is too long: " + "y" * 100_000))
    with pytest.raises(LLMError) as info:
        asyncio.run(make_llm().complete(_req()))
    assert "prompt is too long" in str(info.value) and len(str(info.value)) < 500
    error = InputError("conversations.jsonl", f"field 'id' must be a string, got {huge!r}", line=3, field="id")
    assert len(str(error)) < 500 and "characters left out" in str(error)
    assert str(error).startswith("conversations.jsonl, line 3, field 'id': field 'id' must be a string, got 'xxx")
    assert str(error).endswith("xxx'")
    assert len(str(InputError("f.json", "bad", field="k" * 10_000))) < 300
    assert clip_text("short") == "short" and len(clip_text("z" * 1000, 200)) < 240


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), True, "30"])
def test_timeout_must_be_a_finite_positive_number(bad):
    with pytest.raises(ValueError, match="timeout_s"):
        AnthropicLLM("claude-haiku-4-5", timeout_s=bad)


def test_timeout_reaches_the_sdk_client(server, make_llm):
    llm = make_llm(timeout_s=7.5)

    async def sdk_timeout() -> Any:
        return llm._client()[0].timeout

    assert asyncio.run(sdk_timeout()) == 7.5


# -- Message Batches ----------------------------------------------------------------------------------------------


def test_batch_endpoints_retry_broken_replies_and_an_errored_entry_fails_alone(server, make_llm, tmp_path):
    server.inject("POST", "/v1/messages/batches", Reply.html(), Reply.truncated_body())
    server.inject("GET", "/v1/messages/batches/", Reply.malformed_json(), Reply.not_a_message())
    server.script("B", Reply.error(400, message="this one is malformed"))
    batching = BatchingLLM(make_llm(retry=FAST), state_dir=tmp_path, window_s=0.05, poll_interval_s=0.01)

    async def run() -> list[Any]:
        return await asyncio.gather(
            batching.complete(_req("first")), batching.complete(_req("second")), return_exceptions=True
        )

    answer, failure = asyncio.run(run())
    assert answer.text == "B"
    assert isinstance(failure, LLMRequestError) and "this one is malformed" in str(failure)
    assert sum(server.fault_counts.values()) == 4


# -- `harness classify` end to end -------------------------------------------------------------------------------

FIRST_ATTEMPT_FAULTS = [
    Reply.malformed_json(),
    Reply.html(),
    Reply.truncated_body("cut"),
    Reply.connection_reset(),
    Reply.rate_limited(retry_after=0.05),
    Reply.server_error(500),
    Reply.overloaded(),
    Reply.slow(2.0),
]
DOOMED = {0: Reply.malformed_json(), 1: Reply.html(), 2: Reply.connection_reset()}  # by position in the input


def _user(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)


def _system(body: dict[str, Any]) -> str:
    system = body.get("system") or ""
    return system if isinstance(system, str) else "".join(b.get("text", "") for b in system)


def _opening(text: str) -> str:
    return " ".join(text.split())[:50]


class Model(Responder):
    """The prompt-reading stand-in of the classifier tests, with a summary that names the conversation's opening.

    Every later request of a conversation then differs from the other conversations' (so none is answered from the
    answer cache), and a fault plan can tell whose request it is.
    """

    def __call__(self, body: dict[str, Any]) -> str:
        step, _ = parse_request(_system(body))
        if step != "summary":
            return super().__call__(body)
        self.steps.append(step)
        opening = re.search(r"^User: (.*)$", _user(body), re.MULTILINE | re.DOTALL).group(1)
        return f"The user asks: {_opening(opening)}"


@pytest.fixture
def conversations(tmp_path) -> tuple[Any, list[str], list[str]]:
    """30 goldset conversations as a conversations file, their ids and their openings."""
    items = [json.loads(line) for line in GOLDSET.read_text(encoding="utf-8").splitlines()[:30]]
    path = tmp_path / "conversations.jsonl"
    rows = [{"id": i["id"], "account_id": i["conversation"]["account_id"], "messages": i["conversation"]["messages"]}
            for i in items]  # fmt: skip
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    openings = [_opening(next(m["content"] for m in r["messages"] if m["role"] == "user")) for r in rows]
    for position in DOOMED:  # a doomed conversation's opening must not start another conversation too
        assert sum(o.startswith(openings[position]) for o in openings) == 1
    return path, [r["id"] for r in rows], openings


def mixed_faults(openings: list[str]):
    """Fail the first attempt of about half the requests (a fault chosen by the request's hash) and every attempt
    of the screening request of the conversations in :data:`DOOMED`."""

    def plan(body: dict[str, Any], earlier: int) -> Reply | None:
        system, user = _system(body), _user(body)
        if parse_request(system)[0] == "screening":
            for position, fault in DOOMED.items():
                if openings[position] in " ".join(user.split()):
                    return fault
        if earlier:
            return None
        bucket = int(hashlib.sha256((system + user).encode()).hexdigest()[:8], 16) % (2 * len(FIRST_ATTEMPT_FAULTS))
        return FIRST_ATTEMPT_FAULTS[bucket] if bucket < len(FIRST_ATTEMPT_FAULTS) else None

    return plan


@pytest.fixture
def classify(tmp_path, data_dir, monkeypatch):
    """Run ``harness classify`` with the anthropic backend against a server; returns (exit code, out, err)."""
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    # Fast retries and a short timeout; the CLI has no flags for them (yet), so the backend's defaults are changed.
    monkeypatch.setitem(AnthropicLLM.__init__.__kwdefaults__, "retry", FAST)
    monkeypatch.setitem(AnthropicLLM.__init__.__kwdefaults__, "timeout_s", 0.5)

    def run(server: MessagesServer, conversations_file, out, capsys, *extra: str) -> tuple[int, str, str]:
        code = main(["--data-dir", str(data_dir), "classify", "--input", str(conversations_file), "--out", str(out),
                     "--backend", "anthropic:claude-haiku-4-5", "--base-url", server.base_url, "--no-progress",
                     "--batch-size", "10", *extra])  # fmt: skip
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def _facts(out) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "facts.jsonl").read_text(encoding="utf-8").splitlines()]


def _without_latency(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "latency_s"} for row in facts]


def _resumed(stdout: str) -> int:
    return int(re.search(r"(\d+) resumed", stdout).group(1))


def _assert_clean(texts: list[str], *keys: str) -> None:
    for text in texts:
        assert "Traceback" not in text
        for key in keys:
            assert key not in text


def test_classify_accounts_for_every_conversation_under_a_mix_of_faults(
    classify, conversations, tmp_path, monkeypatch, capsys, caplog
):
    path, ids, openings = conversations
    out = tmp_path / "run"
    with messages_server(responder=Model(), faults=mixed_faults(openings)) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
        code, stdout, stderr = classify(server, path, out, capsys)
        assert code == 0, stderr
        assert set(server.fault_counts) >= {r.kind for r in FIRST_ATTEMPT_FAULTS}  # every kind was met
        facts = _facts(out)
        assert [f["conversation_id"] for f in facts] == ids  # each exactly once, in input order
        invalid = {f["conversation_id"]: f["invalid_reason"] for f in facts if not f["valid"]}
        assert set(invalid) == {ids[p] for p in DOOMED}
        assert all(reason.startswith("screening: no usable answer from the model (") for reason in invalid.values())
        assert all(f["retryable"] == (not f["valid"]) for f in facts)
        # a re-run resumes the rest and retries only the conversations that got no answer (here they fail again)
        sent = len(server.message_requests())
        code, stdout_again, stderr_again = classify(server, path, out, capsys)
        assert code == 0 and _resumed(stdout_again) == 30 - len(DOOMED)
        assert f"{len(DOOMED)} retried" in stdout_again
        retried = server.message_requests()[sent:]
        assert retried and all(parse_request(_system(r.body))[0] == "screening" for r in retried)
        # the others are kept as they were; the retried ones end as before (their usage now counts cache hits)
        again = _facts(out)
        kept = [f for f in facts if f["valid"]]
        assert _without_latency([f for f in again if f["valid"]]) == _without_latency(kept)
        verdict = ("conversation_id", "valid", "invalid_reason", "retryable", "path", "content_sha256")
        assert [[f[k] for k in verdict] for f in again] == [[f[k] for k in verdict] for f in facts]
    files = [p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in (".json", ".jsonl")]
    _assert_clean([stdout, stderr, stdout_again, stderr_again, caplog.text, *files], server.api_key)


def test_a_key_rejected_mid_run_stops_it_with_one_message_and_a_rerun_resumes(
    classify, conversations, tmp_path, monkeypatch, capsys, caplog
):
    path, ids, _ = conversations
    out = tmp_path / "run"
    revoked = threading.Event()
    # a generous timeout: on a loaded machine a slow answer must not read as a retry warning
    monkeypatch.setitem(AnthropicLLM.__init__.__kwdefaults__, "timeout_s", 30.0)

    def revoke_after(body: dict[str, Any], earlier: int) -> Reply | None:
        # the key stops working once the first ten conversations (one batch) are through
        if len(server.message_requests()) > 100:
            revoked.set()
        return Reply.unauthorized() if revoked.is_set() else Reply.answer(Model()(body), delay_s=0.05)

    with messages_server(faults=revoke_after) as server:
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
        started = time.monotonic()
        code, stdout, stderr = classify(server, path, out, capsys)
        assert code == 1 and time.monotonic() - started < 30
        [line] = stderr.splitlines()
        assert line.startswith("harness: error: the Anthropic API rejected the API key (HTTP 401")
        assert not [r for r in caplog.records if "retrying" in r.getMessage()]
        unauthorized = server.fault_counts["http-401"]
        assert 1 <= unauthorized <= 8  # the requests already in flight at most; nothing new after the first 401
        done = (out / "facts.partial.jsonl").read_text(encoding="utf-8").splitlines()
        assert 10 <= len(done) < 30
        # with a working key again, a re-run picks up where the first stopped
        revoked.clear()
        server.faults = lambda body, earlier: None
        server.responder = Model()
        code, stdout_again, stderr_again = classify(server, path, out, capsys)
        assert code == 0, stderr_again
        assert _resumed(stdout_again) == len(done)
        assert [f["conversation_id"] for f in _facts(out)] == ids
    _assert_clean([stdout, stderr, stdout_again, stderr_again, caplog.text], server.api_key)
