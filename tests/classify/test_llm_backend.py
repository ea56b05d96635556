"""LLMClassifier end to end: the real anthropic SDK against the local Messages API server, and inspect's mockllm.

The server's responder reads each request like a model would: it recognises the step from the system prompt
(the opening words of each template), parses the numbered or named options out of it, and answers as the test
asks (by default the first option shown, "yes" for screening, a fixed summary text).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness.classify._llm_backend import LLMClassifier, LLMClassifierConfig
from harness.classify._prompts import (
    PROMPT_DIR,
    STEPS,
    load_prompt,
    match_option,
    normalise_answer,
    prompt_hashes,
)
from harness.conversations import Conversation, Message
from harness.llm import (
    AnswerCache,
    AnthropicLLM,
    CachedLLM,
    InspectLLM,
    LLMError,
    LLMRequest,
    LLMResponse,
    RetryPolicy,
    Usage,
    request_key,
)
from harness.taxonomy import PATTERNS, Hierarchy, Node, build_work_activity_hierarchy, load_onet
from tests.support.messages_server import MessagesServer, Reply, messages_server

FAST_RETRY = RetryPolicy(max_attempts=5, base_delay_s=0.01, max_delay_s=0.05, jitter=0.1)
SECRET = "ZEBRA-4471"  # a token that must never leave the summary step
SUMMARY = "The user wants help fixing a failing program at work; they paste errors back over several turns."
_STEP_OPENINGS = {step: load_prompt(step).system[:40] for step in STEPS}


# -- a model stand-in that reads the prompts -------------------------------------------------------------------


def _system_text(body: dict[str, Any]) -> str:
    system = body.get("system") or ""
    return system if isinstance(system, str) else "".join(b.get("text", "") for b in system)


def _user_text(body: dict[str, Any]) -> str:
    content = body["messages"][0]["content"]
    return content if isinstance(content, str) else "".join(c.get("text", "") for c in content)


def parse_request(system: str) -> tuple[str, list[str]]:
    """(step key, options shown) of a request, e.g. ("traverse.top", [...]) or ("pattern", [...])."""
    step = next(s for s, opening in _STEP_OPENINGS.items() if system.startswith(opening))
    if step == "traverse":
        level = re.search(r'options at the "(\w+)" level', system).group(1)
        return f"traverse.{level}", re.findall(r"^\d+\. (.+)$", system, re.MULTILINE)
    if step in ("pattern", "skills"):
        return step, re.findall(r"^([A-Za-z_][\w ,]*?): ", system, re.MULTILINE)
    return step, []


class Responder:
    """Answers requests by step; ``answers[step]`` is a fixed string or ``f(options) -> str``."""

    def __init__(self, answers: dict[str, str | Callable[[list[str]], str]] | None = None):
        self.answers = answers or {}
        self.steps: list[str] = []

    def answer(self, system: str) -> str:
        step, options = parse_request(system)
        self.steps.append(step)
        wanted = self.answers.get(step)
        if callable(wanted):
            return wanted(options)
        if wanted is not None:
            return wanted
        return {"summary": SUMMARY, "screening": "yes"}.get(step) or options[0]

    def __call__(self, body: dict[str, Any]) -> str:
        return self.answer(_system_text(body))


def pick(text: str) -> Callable[[list[str]], str]:
    """Answer with the option containing ``text`` (fails loudly when the option is not shown)."""

    def choose(options: list[str]) -> str:
        matches = [o for o in options if text in o]
        assert matches, f"{text!r} not among {options}"
        return matches[0]

    return choose


# -- fixtures ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mini(mini_onet_dir) -> tuple[Hierarchy, list[tuple[str, str]]]:
    release = load_onet(mini_onet_dir)
    skills = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    return build_work_activity_hierarchy(release), skills


@pytest.fixture
def server() -> Iterator[MessagesServer]:
    with messages_server() as srv:
        yield srv


def make_llm(server: MessagesServer, **options: Any) -> AnthropicLLM:
    options.setdefault("retry", FAST_RETRY)
    options.setdefault("timeout_s", 5.0)
    return AnthropicLLM("claude-haiku-4-5", api_key=server.api_key, base_url=server.base_url, seed=0, **options)


def conversation(cid: str = "c1", text: str = f"My billing script {SECRET} crashes with KeyError.") -> Conversation:
    return Conversation(
        id=cid,
        account_id=f"acct-{cid}",
        messages=[
            Message("user", text),
            Message("assistant", "The dictionary lacks the key; load the customer first."),
            Message("user", "Now it says TypeError on line 12."),
        ],
    )


# -- prompt templates and matching ------------------------------------------------------------------------------


def test_templates_load_and_hash_the_file_text():
    hashes = prompt_hashes()
    assert set(hashes) == set(STEPS)
    for step in STEPS:
        template = load_prompt(step)
        raw = (PROMPT_DIR / f"{step}.v1.txt").read_bytes()
        assert template.sha256 == hashlib.sha256(raw).hexdigest() == hashes[step]
        assert template.system and template.user
    assert [name for name, _ in load_prompt("pattern").options] == list(PATTERNS)
    with pytest.raises(ValueError, match="needs field 'item'"):
        load_prompt("screening").render_user()
    with pytest.raises(ValueError, match="unknown classification step"):
        load_prompt("nope")
    with pytest.raises(ValueError, match="no prompt template"):
        load_prompt("screening", "v99")


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("Working with Computers", 1),
        ("  working with computers.  ", 1),
        ("2. Working with computers", 1),
        ("(2) WORKING  WITH COMPUTERS", 1),
        ("Answer: **Working with Computers**", 1),
        ("Working with Computers\nBecause the user writes code.", 1),
        ("3", 2),
        ("7", None),
        ("Working with computer", None),
        ("", None),
        ("1. Documenting/Recording Information", 2),
        ("documenting recording information", 2),
    ],
)
def test_match_option(answer, expected):
    options = ["Getting Information", "Working with Computers", "Documenting/Recording Information"]
    assert match_option(answer, options) == expected


def test_normalise_answer():
    assert normalise_answer("Feedback_Loop!") == normalise_answer("feedback loop") == "feedback loop"
    assert match_option("Task iteration", list(PATTERNS)) == PATTERNS.index("task_iteration")


def test_bad_options_raise(mini):
    hierarchy, _ = mini
    llm = InspectLLM("mockllm/model")
    for kwargs in ({"top_k": 0}, {"max_concurrency": 0}, {"order_variants": 0}, {"max_transcript_chars": 10},
                   {"max_reply_chars": 50}, {"description_chars": -1}, {"top_k": True}):
        with pytest.raises(ValueError):
            LLMClassifierConfig(**kwargs)
    with pytest.raises(ValueError, match="distinct"):
        LLMClassifier(hierarchy, llm, skills=[("A", ""), ("A", "")])
    with pytest.raises(ValueError, match="unknown steps"):
        LLMClassifierConfig(prompt_versions={"nope": "v1"})


# -- the full pipeline through the anthropic SDK ----------------------------------------------------------------


def test_full_pipeline_against_local_server(server, mini):
    hierarchy, skills = mini
    responder = Responder(
        {
            "traverse.top": pick("Working with Computers"),
            "traverse.base": pick("Write and debug"),
            "pattern": "feedback_loop",
            "skills": "Programming",
        }
    )
    server.responder = responder
    llm = make_llm(server)
    clf = LLMClassifier(hierarchy, llm, LLMClassifierConfig(seed=3), skills=skills)
    [result] = clf.classify([conversation()])

    assert result.valid and result.invalid_reason is None
    assert result.occupational is True
    assert result.path == ("gwa:4.A.3.b.1", "iwa:4.A.3.b.1.I01", "task:101")
    assert result.top_k == ("task:101",)
    assert result.pattern == "feedback_loop"
    assert result.skills == ("Programming",)
    assert dict(result.prompt_hashes) == prompt_hashes()
    # The mid level has a single child under this GWA: taken without a call.
    assert responder.steps == ["summary", "screening", "traverse.top", "traverse.base", "pattern", "skills"]

    requests = server.message_requests()
    assert len(requests) == 6
    # The transcript is read once; every later step sees the summary instead.
    assert SECRET in _user_text(requests[0].body)
    for req in requests[1:]:
        assert SECRET not in _user_text(req.body) and SECRET not in _system_text(req.body)
        assert SUMMARY in _user_text(req.body)
    # Option lists live in the system prompt (cacheable); the summary in the user turn.
    traverse_top = requests[2].body
    assert "Working with Computers" in _system_text(traverse_top)
    assert "Working with Computers" not in _user_text(traverse_top)
    assert all(r.body["model"] == "claude-haiku-4-5" for r in requests)

    # Token accounting: the classification holds exactly what the server billed for its six calls.
    assert llm.calls == 6
    assert result.input_tokens == llm.usage_total.input_tokens > 0
    assert result.output_tokens == llm.usage_total.output_tokens > 0
    assert result.cache_write_tokens == llm.usage_total.cache_write_tokens
    assert result.cache_read_tokens == llm.usage_total.cache_read_tokens
    assert result.cost_usd is not None and result.cost_usd > 0
    assert result.latency_s > 0

    # Nothing of the conversation or the summary reaches the fact row.
    row = json.dumps(result.to_row(hierarchy.levels), default=str)
    assert SECRET not in row and "billing" not in row and SUMMARY not in row


def test_token_accounting_matches_server_usage(server, mini):
    hierarchy, skills = mini
    server.responder = Responder()
    llm = make_llm(server, prompt_cache_min_chars=10)
    clf = LLMClassifier(hierarchy, llm, LLMClassifierConfig(order_variants=1), skills=skills)
    results = clf.classify([conversation("a"), conversation("b"), conversation("c")])
    # With one option order per list, the second and third conversations read the cached system prompts.
    assert server.cache_reads > 0 and server.cache_writes > 0
    assert sum(r.cache_read_tokens for r in results) > 0
    total_in = sum(r.input_tokens + r.cache_read_tokens + r.cache_write_tokens for r in results)
    assert total_in == llm.usage_total.prompt_tokens
    assert sum(r.output_tokens for r in results) == llm.usage_total.output_tokens


def test_screening_no_skips_traversal_and_skills(server, mini):
    hierarchy, skills = mini
    responder = Responder({"screening": "No."})
    server.responder = responder
    [result] = LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert result.occupational is False and result.valid
    assert result.path == () and result.top_k == () and result.skills == ()
    assert result.pattern in PATTERNS
    assert responder.steps == ["summary", "screening", "pattern"]
    assert "traverse" not in result.prompt_hashes

    responder.steps.clear()
    clf = LLMClassifier(hierarchy, make_llm(server), LLMClassifierConfig(traverse_non_occupational=True), skills=skills)
    [result] = clf.classify([conversation()])
    assert result.occupational is False and len(result.path) == 3 and result.skills
    assert "traverse.top" in responder.steps and "skills" in responder.steps


# -- transient errors, off-list answers, rejected requests ------------------------------------------------------


def test_transient_errors_are_retried(server, mini):
    hierarchy, skills = mini
    server.responder = Responder()
    server.inject("POST", "/v1/messages", Reply.rate_limited(retry_after=0), Reply.overloaded(), Reply.server_error())
    llm = make_llm(server)
    [result] = LLMClassifier(hierarchy, llm, skills=skills).classify([conversation()])
    assert result.valid and len(result.path) == 3
    assert llm.retries == 3
    statuses = len(server.message_requests())
    assert statuses == llm.calls + 3  # three failed attempts plus one answered request per call


def test_near_miss_answer_is_recovered_without_retry(server, mini):
    hierarchy, skills = mini

    def sloppy(options: list[str]) -> str:
        k = next(i for i, o in enumerate(options) if o.startswith("Write fiction"))
        return f"{k + 1}. write fiction or nonfiction prose, such as short stories or novels"

    responder = Responder({"traverse.top": pick("Interpreting"), "traverse.base": sloppy, "pattern": "Task Iteration"})
    server.responder = responder
    [result] = LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert result.valid
    assert result.path[-1] == "task:201"
    assert result.pattern == "task_iteration"
    assert len(server.message_requests()) == 5  # top, (single mid), nothing retried; mini has one base option here


def test_invalid_answer_gets_one_retry_then_is_recorded(server, mini):
    hierarchy, skills = mini
    responder = Responder({"traverse.top": "banana"})
    server.responder = responder
    [result] = LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert not result.valid
    assert result.invalid_reason.startswith("traverse.top:")
    assert result.path == () and result.top_k == ()
    assert result.occupational is True and result.pattern in PATTERNS  # other steps still ran
    assert responder.steps.count("traverse.top") == 2
    first, retry = [r for r in server.message_requests() if "options at the" in _system_text(r.body)]
    assert _system_text(first.body) == _system_text(retry.body)  # same cached prefix
    assert "banana" not in _user_text(first.body)
    assert "did not match any option" in _user_text(retry.body) and '"banana"' in _user_text(retry.body)


def test_invalid_then_valid_on_retry(server, mini):
    hierarchy, skills = mini
    answers = iter(["I am not sure.", "Working with Computers"])
    server.responder = Responder({"traverse.top": lambda options: next(answers), "traverse.base": pick("Write and")})
    [result] = LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert result.valid and result.path[-1] == "task:101"


def test_invalid_screening_and_skills(server, mini):
    hierarchy, skills = mini
    server.responder = Responder({"screening": "It depends.", "skills": "Juggling"})
    [result] = LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert not result.valid and result.occupational is None
    assert "screening:" in result.invalid_reason and "skills:" in result.invalid_reason
    assert len(result.path) == 3  # an unknown screening verdict is not a no
    assert result.skills == ()


def test_rejected_request_marks_the_conversation_invalid(server, mini):
    hierarchy, skills = mini
    server.responder = Responder()
    server.inject("POST", "/v1/messages", Reply.error(400, "invalid_request_error"))
    clf = LLMClassifier(hierarchy, make_llm(server), LLMClassifierConfig(max_concurrency=1), skills=skills)
    results = clf.classify([conversation("a"), conversation("b")])
    assert not results[0].valid and results[0].invalid_reason.startswith("summary: model call rejected (HTTP 400")
    assert results[1].valid


def test_authentication_failure_propagates(server, mini):
    hierarchy, _ = mini
    llm = AnthropicLLM("claude-haiku-4-5", api_key="wrong-key", base_url=server.base_url, retry=FAST_RETRY)
    with pytest.raises(LLMError, match="401") as info:
        LLMClassifier(hierarchy, llm).classify([conversation()])
    assert "wrong-key" not in str(info.value)


# -- caching, seeding, concurrency ------------------------------------------------------------------------------


def test_rerun_is_served_from_the_answer_cache(server, mini, tmp_path):
    hierarchy, skills = mini
    server.responder = Responder()
    convs = [conversation(f"c{i}") for i in range(4)]
    cache = AnswerCache(tmp_path / "answers.sqlite")
    first = LLMClassifier(hierarchy, CachedLLM(make_llm(server), cache), skills=skills).classify(convs)
    sent = len(server.message_requests())
    assert sent > 0
    before = cache.stats()
    again = LLMClassifier(hierarchy, CachedLLM(make_llm(server), cache), skills=skills).classify(convs)
    assert len(server.message_requests()) == sent  # no new request reached the server
    for a, b in zip(first, again, strict=True):
        assert (a.path, a.pattern, a.skills, a.occupational, a.valid) == (b.path, b.pattern, b.skills, b.occupational,
                                                                         b.valid)  # fmt: skip
        assert a.input_tokens > 0 and b.input_tokens == b.output_tokens == b.cache_read_tokens == 0
        assert b.cost_usd == 0.0
    after = cache.stats()
    # The second run looks up exactly the requests the first made, and finds every one.
    assert after.misses == before.misses and after.hits - before.hits == before.hits + before.misses


def _request_log(server: MessagesServer) -> list[tuple[str, str]]:
    return sorted((_system_text(r.body), _user_text(r.body)) for r in server.message_requests())


@pytest.mark.parametrize("order_variants", [4, None])
def test_shuffling_is_seeded(mini, order_variants):
    hierarchy, skills = mini
    convs = [conversation(f"c{i}") for i in range(6)]
    logs = []
    for seed in (7, 7, 8):
        with messages_server(responder=Responder()) as srv:
            clf = LLMClassifier(hierarchy, make_llm(srv), LLMClassifierConfig(seed=seed, order_variants=order_variants),
                                skills=skills)
            clf.classify(convs)
            assert clf.describe()["seed"] == seed
            logs.append(_request_log(srv))
    assert logs[0] == logs[1]  # same seed, same requests
    assert logs[0] != logs[2]  # another seed shows other orders
    tops = {s for s, _ in logs[0] if 'the "top" level' in s}
    assert len(tops) > 1
    if order_variants is not None:
        assert len(tops) <= order_variants  # a few shared, cacheable orders
    # With ten options, distinct orders over 40 conversations: about 40 without variants, at most 4 with.
    orders = {tuple(clf._permutation("traverse|x", f"c{i}", 10)) for i in range(40)}
    assert len(orders) == (40 if order_variants is None else 4)


def test_conversations_run_concurrently(server, mini):
    hierarchy, skills = mini
    responder = Responder()
    server.responder = lambda body: Reply.answer(responder(body), delay_s=0.05)
    convs = [conversation(f"c{i}") for i in range(6)]
    # a generous timeout: a request abandoned by the client on a loaded machine would still count at the server
    llm = make_llm(server, timeout_s=60.0)
    clf = LLMClassifier(hierarchy, llm, LLMClassifierConfig(max_concurrency=3), skills=skills)
    results = clf.classify(convs)
    assert [r.conversation_id for r in results] == [c.id for c in convs]
    assert 1 < server.max_concurrent <= 3


def test_top_k_and_no_summary_on_a_real_onet_subtree(server, wa_hierarchy):
    # A slice of the real work-activity hierarchy: two GWAs, three IWAs each, up to six tasks per IWA.
    nodes: list[Node] = []
    for gwa in wa_hierarchy.roots()[:2]:
        nodes.append(gwa)
        for iwa in wa_hierarchy.children(gwa.id)[:3]:
            nodes.append(iwa)
            nodes.extend(
                Node(t.id, t.level, t.name, t.description, t.parent) for t in wa_hierarchy.children(iwa.id)[:6]
            )
    sub = Hierarchy(wa_hierarchy.levels, nodes, name="wa-slice")
    responder = Responder({"traverse.base": lambda options: "\n".join(options[:3])})
    server.responder = responder
    clf = LLMClassifier(sub, make_llm(server), LLMClassifierConfig(top_k=2, summarise=False))
    [result] = clf.classify([conversation()])
    assert result.valid and len(result.top_k) == 2 and result.top_k[0] == result.path[-1]
    assert all(sub[n].parent == result.path[1] for n in result.top_k)
    assert "summary" not in result.prompt_hashes and "summary" not in responder.steps
    # Without the summary step every request carries the transcript itself.
    assert all(SECRET in _user_text(r.body) for r in server.message_requests())
    assert "up to 2 option titles" in _system_text(server.message_requests()[-2].body)


def test_describe_and_spec(mini):
    hierarchy, skills = mini
    clf = LLMClassifier(hierarchy, InspectLLM("mockllm/model"), LLMClassifierConfig(seed=5, top_k=2), skills=skills)
    assert clf.spec == "inspect:mockllm/model"
    info = clf.describe()
    assert info["seed"] == 5 and info["hierarchy_id"] == hierarchy.id and info["config"]["top_k"] == 2
    assert info["prompt_hashes"] == prompt_hashes() and info["prompt_versions"]["traverse"] == "v1"
    json.dumps(info)


def test_nothing_private_reaches_the_logs(server, mini, caplog):
    hierarchy, skills = mini
    server.responder = Responder()
    server.inject("POST", "/v1/messages", Reply.overloaded())
    with caplog.at_level(logging.DEBUG):
        LLMClassifier(hierarchy, make_llm(server), skills=skills).classify([conversation()])
    assert caplog.records  # the retry was logged...
    assert SECRET not in caplog.text and SUMMARY not in caplog.text  # ...without conversation or summary text


# -- inspect backend --------------------------------------------------------------------------------------------


def test_inspect_backend_with_mockllm(mini):
    from inspect_ai.model import ModelOutput, ModelUsage

    hierarchy, skills = mini
    responder = Responder({"traverse.top": pick("Working with"), "traverse.base": pick("Write and")})

    def respond(messages, tools, tool_choice, config):
        system = next(m.text for m in messages if m.role == "system")
        output = ModelOutput.from_content(model="mockllm", content=responder.answer(system))
        output.usage = ModelUsage(input_tokens=100, output_tokens=5, total_tokens=105, input_tokens_cache_read=40)
        return output

    clf = LLMClassifier(hierarchy, InspectLLM("mockllm/model", custom_outputs=respond), skills=skills)
    [result] = clf.classify([conversation()])
    assert result.valid and result.path[-1] == "task:101"
    assert len(responder.steps) == 6
    assert (result.input_tokens, result.output_tokens, result.cache_read_tokens) == (600, 30, 240)
    assert result.cost_usd is None  # the mock model has no price

    async def from_a_running_loop():
        return clf.classify([conversation("d")]), await clf.aclassify([conversation("e")])

    sync_result, async_result = asyncio.run(from_a_running_loop())
    assert sync_result[0].path == async_result[0].path == result.path


def test_traverse_off_runs_the_facets_only(server, mini):
    hierarchy, skills = mini
    responder = Responder()
    server.responder = responder
    clf = LLMClassifier(hierarchy, make_llm(server), LLMClassifierConfig(traverse=False), skills=skills)
    [result] = clf.classify([conversation()])
    assert result.valid and result.path == () and result.occupational is True and result.skills
    assert responder.steps == ["summary", "screening", "pattern", "skills"]


class _RecordingLLM:
    """Answers like :class:`Responder` and records the answer-cache key of every request."""

    backend, model_id = "fake", "m"

    def __init__(self) -> None:
        self.responder = Responder()
        self.keys: list[str] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.keys.append(request_key(self.backend, self.model_id, request))
        return LLMResponse(self.responder.answer(request.system), Usage(input_tokens=1, output_tokens=1), "m", 0.0)


def test_the_config_object_keeps_requests_and_manifest_as_they_were(mini):
    """Answer-cache keys and the recorded configuration were pinned before LLMClassifierConfig replaced the
    keyword arguments; a change here makes every cached answer and resumable run stale."""
    hierarchy, skills = mini
    llm = _RecordingLLM()
    convs = [Conversation(f"c{i}", "a", (Message("user", f"My billing script number {i} crashes with KeyError."),
                                          Message("assistant", "x" * 2000))) for i in range(4)]
    config = LLMClassifierConfig(seed=7, top_k=2, traverse_non_occupational=True, order_variants=3)
    clf = LLMClassifier(hierarchy, llm, config, skills=skills)
    clf.classify(convs)
    assert len(llm.keys) == 21
    digest = hashlib.sha256(json.dumps(llm.keys).encode()).hexdigest()
    assert digest == "f9de14afb544e58f5ed46c297c4a401395cf80ecb7ecb4fefdf1a82496a3d93d"
    described = clf.describe()
    assert described["seed"] == 7
    recorded = [("summarise", True), ("top_k", 2), ("traverse_non_occupational", True), ("traverse", True),
                ("order_variants", 3), ("max_transcript_chars", 24000), ("max_reply_chars", 1200),
                ("description_chars", 200), ("temperature", None), ("max_concurrency", 8), ("n_skills", 2)]
    assert list(described["config"].items()) == recorded  # keys, values and their order


def test_config_is_frozen_hashable_and_normalised():
    config = LLMClassifierConfig(prompt_versions={"summary": "v1"}, summarise=0)
    assert config.prompt_versions == (("summary", "v1"),) and config.summarise is False
    assert hash(config) == hash(LLMClassifierConfig(prompt_versions={"summary": "v1"}, summarise=False))
    with pytest.raises(AttributeError):
        config.top_k = 3  # type: ignore[misc]
