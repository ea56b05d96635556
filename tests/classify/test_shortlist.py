"""The embedding shortlist (``+shortlist:<k>``) and the fused first call (``fuse_steps``) of the LLM backend.

Runs the real anthropic SDK against the local Messages API server on the miniature release (four top-level
activities; the programming activity has two tasks). The server's stand-in reads the prompts like a model would.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

import numpy as np
import pytest

from harness.classify import get_classifier, parse_backend
from harness.classify._fused import load_fused_prompt, parse_fused
from harness.classify._llm_backend import LLMClassifier, LLMClassifierConfig
from harness.classify._prompts import STEPS, load_prompt
from harness.classify._shortlist import (
    Shortlister,
    ShortlistScores,
    format_shortlist,
    gold_ranks,
    parse_shortlist,
    shortlist_recall,
)
from harness.conversations import Conversation, Message
from harness.errors import UsageError
from harness.llm import AnthropicLLM, LLMResponse, RetryPolicy, Usage, request_key
from tests.support.messages_server import messages_server

MODEL = "claude-haiku-4-5"
_OPENINGS = {**{step: load_prompt(step).system[:40] for step in STEPS}, "facets": load_fused_prompt().system[:40]}
_NUMBERED = re.compile(r"^\d+\. (.+)$", re.MULTILINE)


def _texts(body: dict[str, Any]) -> tuple[str, str, bool]:
    blocks = body.get("system") or []
    system = "".join(b.get("text", "") for b in blocks)
    return system, body["messages"][0]["content"], any(b.get("cache_control") for b in blocks)


class Model:
    """A stand-in that picks the option naming programming work when shown (else the first); records requests."""

    def __init__(self, fused: str | None = None):
        self.fused, self.seen = fused, []

    @staticmethod
    def _choose(options: list[str]) -> str:
        return next((o for o in options if "Computers" in o or "computer programs" in o), options[0])

    def __call__(self, body: dict[str, Any]) -> str:
        system, user, marked = _texts(body)
        step = next(s for s, o in _OPENINGS.items() if system.startswith(o))
        options = _NUMBERED.findall(system) or _NUMBERED.findall(user.rpartition("</conversation>")[2])
        self.seen.append((step, options, marked))
        if step == "facets":
            return self.fused if self.fused is not None else (
                "SUMMARY: The user debugs a billing program at work.\nWORK: yes\nPATTERN: feedback_loop\n"
                f"SKILLS: Programming\nACTIVITY: {self._choose(options)}")
        return {"summary": "The user debugs a billing program at work.", "screening": "yes",
                "pattern": "feedback_loop", "skills": "Programming"}.get(step) or self._choose(options)


def _conversation(cid: str = "c1") -> Conversation:
    return Conversation(cid, f"acct-{cid}", (
        Message("user", "My Python billing program crashes; please debug this function and fix the code."),
        Message("assistant", "The loop reads past the end of the list."),
        Message("user", "Now it raises a TypeError on line 12."),
    ))


def _classifier(server, hierarchy, skills, **config: Any) -> LLMClassifier:
    llm = AnthropicLLM(MODEL, api_key=server.api_key, base_url=server.base_url, prompt_cache_min_chars=10,
                       retry=RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0, jitter=0.0))
    return LLMClassifier(hierarchy, llm, LLMClassifierConfig(**config), skills=skills)


@pytest.fixture(scope="module")
def skills(mini_release) -> list[tuple[str, str]]:
    return list(zip(mini_release.skill_reference["skill"], mini_release.skill_reference["description"],
                    strict=True))


# -- the setting and the spec ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "caps"), [("30", (30,)), ("15,10,40", (15, 10, 40)), (" 4 , 2 ", (4, 2)),
                                            (7, (7,)), ((3, 5), (3, 5))])
def test_shortlist_settings_read_and_print_back(text, caps):
    assert parse_shortlist(text) == caps
    assert parse_shortlist(format_shortlist(caps)) == caps


@pytest.mark.parametrize("text", ["", "1", "0", "a", "3,x", "2.5", True, -3])
def test_bad_shortlist_settings_are_refused(text):
    with pytest.raises(ValueError, match="shortlist"):
        parse_shortlist(text)


def test_spec_records_the_shortlist_and_leaves_other_specs_alone(mini_hierarchy, mini_release, tmp_path):
    spec = parse_backend("anthropic:claude-haiku-4-5+shortlist:2,2,3")
    assert (spec.name, spec.modifiers) == (MODEL, (("shortlist", "2,2,3"),))
    assert str(parse_backend("anthropic:claude-haiku-4-5")) == "anthropic:claude-haiku-4-5"
    options = {"release": mini_release, "cache_path": tmp_path / "a.sqlite", "api_key": "k",
               "base_url": "http://127.0.0.1:9"}
    short = get_classifier("anthropic:claude-haiku-4-5+shortlist:2,2,3", mini_hierarchy, **options)
    assert short.spec == "anthropic:claude-haiku-4-5+shortlist:2,2,3" and short.config.shortlist == (2, 2, 3)
    assert short.describe()["config"]["shortlist"]["caps"] == {"top": 2, "mid": 2, "base": 3}
    # the option form is the same request as the modifier
    assert get_classifier("anthropic:claude-haiku-4-5", mini_hierarchy, shortlist=2, **options).spec == \
        "anthropic:claude-haiku-4-5+shortlist:2"
    plain = get_classifier("anthropic:claude-haiku-4-5", mini_hierarchy, **options)
    assert plain.spec == "anthropic:claude-haiku-4-5" and plain.shortlister is None
    assert not {"shortlist", "fuse_steps"} & set(plain.describe()["config"])  # the default describes itself as before
    for bad in ("+shortlist:1", "+shortlist:x", "+shortlist:2,2"):  # too small, not a number, caps for two levels
        with pytest.raises(UsageError):
            get_classifier(f"anthropic:claude-haiku-4-5{bad}", mini_hierarchy, **options)


# -- the cut --------------------------------------------------------------------------------------------------


def test_cut_keeps_the_best_scoring_options_in_their_given_order(mini_hierarchy):
    shortlister = Shortlister(mini_hierarchy, (2,))
    scores = shortlister.score([_conversation()])[0]
    top = mini_hierarchy.children(None)
    kept = shortlister.cut(scores, 0, top)
    assert len(top) == 4 and len(kept) == 2
    assert [n.id for n in kept] == [n.id for n in top if n in kept]  # order as given, not by score
    row = scores.levels[0]
    position = {n.id: i for i, n in enumerate(mini_hierarchy.level_nodes("top"))}
    best = sorted(top, key=lambda n: -row[position[n.id]])[:2]
    assert {n.id for n in kept} == {n.id for n in best}
    assert "gwa:4.A.3.b.1" in {n.id for n in kept}  # "Working with Computers" for a programming request
    two = mini_hierarchy.children("iwa:4.A.3.b.1.I01")
    assert shortlister.cut(scores, 2, two) == two  # a list within the cap is left whole


def test_gold_ranks_follow_the_gold_tasks_paths(mini_hierarchy):
    shortlister = Shortlister(mini_hierarchy, (2,))
    top = [n.id for n in mini_hierarchy.level_nodes("top")]
    # scores favour the first top node; the gold task hangs under the third
    scores = ShortlistScores((np.array([4.0, 3.0, 2.0, 1.0]), np.zeros(4), np.arange(5, dtype=float)))
    mid = mini_hierarchy.children(top[2])[0].id
    task = mini_hierarchy.children(mid)[0].id
    ranks = gold_ranks(shortlister, [scores], [{task}])
    assert ranks[0] == [((2, 4),)] and ranks[1] == [((0, 1),)] and ranks[2] == [((0, 1),)]
    assert shortlist_recall(ranks[0], 2) == 0.0 and shortlist_recall(ranks[0], 3) == 1.0
    # two gold tasks on different paths: at the top the better path counts, below each parent counts half
    other = mini_hierarchy.children(mini_hierarchy.children(top[0])[0].id)[0].id
    two = gold_ranks(shortlister, [scores], [{task, other}])
    assert two[0] == [((0, 4),)] and len(two[1][0]) == 2 and shortlist_recall(two[1], 1) == 1.0
    assert gold_ranks(shortlister, [scores], [set()]) == [[], [], []]  # no gold task: not counted
    assert shortlist_recall([], 3) != shortlist_recall([], 3)  # NaN without items


# -- the walk -------------------------------------------------------------------------------------------------


def test_a_shortlisted_walk_shows_k_options_without_a_cache_mark(mini_hierarchy, skills):
    model = Model()
    with messages_server(responder=model) as server:
        result = _classifier(server, mini_hierarchy, skills, shortlist=2).classify([_conversation()])[0]
        plain = Model()
        server.responder = plain
        _classifier(server, mini_hierarchy, skills).classify([_conversation()])
    top = [(options, marked) for step, options, marked in model.seen if step == "traverse" and len(options) > 1]
    assert len(top[0][0]) == 2 and top[0][1] is False  # cut to two, sent without cache_control
    assert result.valid and result.path[-1] == "task:101"
    full = [(options, marked) for step, options, marked in plain.seen if step == "traverse" and len(options) > 2]
    assert len(full[0][0]) == 4 and full[0][1] is True  # the default list is whole and cache-marked


def test_default_requests_are_unchanged(mini_hierarchy, skills):
    """The default configuration's requests (hence its answer-cache keys) are pinned: a change here re-bills runs."""

    class Recorder:
        backend, model_id = "anthropic", MODEL

        def __init__(self):
            self.keys: list[str] = []

        async def complete(self, request):
            self.keys.append(request_key(self.backend, self.model_id, request) + str(request.cache_prefix))
            options = _NUMBERED.findall(request.system)
            text = options[0] if options else {"screening": "yes", "pattern": "learning",
                                               "skills": "Writing"}.get(request.step, "a summary")
            return LLMResponse(text=text, usage=Usage(), model=MODEL, latency_s=0.0)

    recorder = Recorder()
    LLMClassifier(mini_hierarchy, recorder, skills=skills).classify([_conversation("a"), _conversation("b")])
    digest = hashlib.sha256("".join(sorted(recorder.keys)).encode()).hexdigest()[:16]
    assert (len(recorder.keys), digest) == (12, DEFAULT_DIGEST)


# computed with the pipeline as it was before the shortlist and the fused call were added
DEFAULT_DIGEST = "45007ba4f4d63679"


# -- the fused call -------------------------------------------------------------------------------------------


def test_fused_call_settles_four_steps_in_one(mini_hierarchy, skills):
    fused_model, plain_model = Model(), Model()
    with messages_server(responder=fused_model) as server:
        fused = _classifier(server, mini_hierarchy, skills, fuse_steps=True).classify([_conversation()])[0]
        server.responder = plain_model
        plain = _classifier(server, mini_hierarchy, skills).classify([_conversation()])[0]
    steps = [step for step, _, _ in fused_model.seen]
    assert steps == ["facets", "traverse"]  # top level in the fused call; the mid level has one child; then base
    assert fused_model.seen[0][2] is True  # the fused system prompt is the same for many conversations: cached
    assert (fused.path, fused.pattern, fused.skills, fused.occupational) == \
        (plain.path, plain.pattern, plain.skills, plain.occupational)
    assert fused.valid and "facets" in fused.prompt_hashes and len(plain_model.seen) == 6
    described = _classifier(server, mini_hierarchy, skills, fuse_steps=True).describe()["config"]
    assert described["fuse_steps"]["template"] == "facets.v1"
    with pytest.raises(ValueError, match="summarise"):
        LLMClassifierConfig(fuse_steps=True, summarise=False)


def test_fused_answers_that_cannot_be_read_are_asked_again_step_by_step(mini_hierarchy, skills):
    model = Model(fused="SUMMARY: The user debugs a billing program.\nWORK: maybe\nPATTERN: nonsense\nSKILLS: Juggling")
    with messages_server(responder=model) as server:
        result = _classifier(server, mini_hierarchy, skills, fuse_steps=True, shortlist=2).classify(
            [_conversation()])[0]
    steps = [step for step, _, _ in model.seen]
    assert steps[0] == "facets" and {"screening", "pattern", "skills"} <= set(steps)
    assert steps.count("traverse") == 2  # no activity in the reply: the walk starts at the top (cut to two)
    assert result.valid and result.occupational is True and result.pattern == "feedback_loop"
    assert result.skills == ("Programming",) and result.path[-1] == "task:101"


def test_parse_fused_reads_each_answer_on_its_own():
    answer = parse_fused("**SUMMARY:** A user writes code.\nWORK: yes\nPATTERN: Directive\nSKILLS: writing; none\n"
                         "ACTIVITY: 2. Working with Computers", patterns=["directive", "learning"],
                         skills=["Writing", "Programming"], activities=["Analyzing Data", "Working with Computers"])
    assert (answer.summary, answer.occupational, answer.pattern, answer.skills, answer.activity) == \
        ("A user writes code.", True, "directive", ("Writing",), 1)
    cut = parse_fused("SUMMARY: half a sente", patterns=["directive"], skills=[], activities=[], complete=False)
    assert cut.summary is None and cut.occupational is None and cut.pattern is None and cut.skills is None
