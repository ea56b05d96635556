"""Clio-style build with a model: the real anthropic SDK against the local Messages API server, scripted answers.

The scripted model answers from the request content only (never from arrival order), so a build is reproducible
however the concurrent calls interleave. It proposes duplicate candidates across neighbourhoods, gives invalid
answers that are fixed on retry and some that never are (fallback rules), and can fail for good midway (crash).
Children are placed ``assign_batch`` (25) per call by default; one test keeps the one-call-per-child form.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import threading

import pytest

from harness.clio import ClioConfig, TfidfSvdVectoriser, abuild_clio_hierarchy, build_clio_hierarchy
from harness.clio._prompts import (
    ASSIGN_MANY_SYSTEM,
    ASSIGN_SYSTEM,
    MERGE_SYSTEM,
    PROPOSE_SYSTEM,
    RENAME_SYSTEM,
    RETRY_NOTE,
)
from harness.llm import AnswerCache, AnthropicLLM, BatchingLLM, CachedLLM, LLMError, RetryPolicy
from tests.support.messages_server import Reply, messages_server

FAST_RETRY = RetryPolicy(max_attempts=2, base_delay_s=0.0, max_delay_s=0.0, jitter=0.0)
CONFIG = ClioConfig(levels=3, top=6, seed=7, sample=300, threads=1, concurrency=8)
STOP = {"and", "or", "the", "of", "to", "for", "in", "with", "a", "an", "on", "as", "such", "other", "using", "by"}


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if w not in STOP and len(w) > 2]


class ScriptedModel:
    """Answers by request content; counts what it saw; can be switched into permanent failure."""

    def __init__(self, fail_after: int | None = None):
        self.fail_after = fail_after
        self.seen = 0
        self.kinds: dict[str, int] = {}
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> str | Reply:
        system = "".join(b["text"] for b in body.get("system", []))
        prompt = body["messages"][0]["content"]
        with self.lock:
            self.seen += 1
            if self.fail_after is not None and self.seen > self.fail_after:
                return Reply.server_error(500)
        retry = prompt.endswith(RETRY_NOTE)
        h = _digest(prompt.removesuffix(RETRY_NOTE))
        kind = {PROPOSE_SYSTEM: "propose", MERGE_SYSTEM: "merge", ASSIGN_SYSTEM: "assign",
                ASSIGN_MANY_SYSTEM: "assign_many", RENAME_SYSTEM: "rename"}[system]
        with self.lock:
            self.kinds[kind] = self.kinds.get(kind, 0) + 1
        return getattr(self, kind)(prompt, h, retry)

    def propose(self, prompt: str, h: int, retry: bool) -> str:
        if h % 5 == 0 and not retry:
            return "Here are some ideas, but I forgot the format."  # invalid; the retry answers properly
        want = int(re.search(r"Propose (\d+) parent", prompt).group(1))
        group = prompt.split("Nearby items")[0]
        counts: dict[str, int] = {}
        for word in _words(group):
            counts[word] = counts.get(word, 0) + 1
        common = sorted(counts, key=lambda w: (-counts[w], w))
        # Every neighbourhood proposes the same first candidate, in varying case and punctuation: exact duplicates.
        spelled = ["Coordinate general operations", "coordinate General Operations!", "Coordinate general operations."]
        names = [spelled[h % 3]] + [f"Handle {w} tasks" for w in common[: want - 1]]
        return "\n".join(
            f"<candidate><name>{n}</name><description>Work about {n.lower()}.</description></candidate>" for n in names
        )

    def merge(self, prompt: str, h: int, retry: bool) -> str:
        first = prompt.split("\n")[1].removeprefix("- ").split(":")[0]
        return f"<name>{first} (merged)</name><description>Several proposals about {first.lower()}.</description>"

    def assign(self, prompt: str, h: int, retry: bool) -> str:
        if h % 23 == 0:
            return "<answer>0</answer>"  # never valid: fallback to the nearest candidate
        if h % 7 == 0 and not retry:
            return "<answer>99</answer>"  # out of range; fixed on retry
        task = set(_words(prompt.split("Categories:")[0]))
        options = re.findall(r"^(\d+)\. (.*)$", prompt.split("Categories:")[1], flags=re.M)
        best = max(options, key=lambda o: (len(task & set(_words(o[1]))), -int(o[0])))
        return f"<answer>{best[0]}</answer>"

    def assign_many(self, prompt: str, h: int, retry: bool) -> str:
        categories = dict(re.findall(r"^(\d+)\. (.*)$", prompt.split("Tasks (")[0], flags=re.M))
        tasks = re.findall(r"^Task (\d+): (.*)\nOptions: ([\d, ]+)$", prompt, flags=re.M)
        lines = []
        for t, (number, text, options) in enumerate(tasks):
            allowed = options.split(", ")
            if _digest(text) % 23 == 0:
                lines.append(f'<answer task="{number}">0</answer>')  # never valid: fallback to the nearest
                continue
            if h % 3 == 0 and not retry and t == len(tasks) - 1:
                continue  # the last task is left out; the retry asks about it again
            words = set(_words(text))
            # ties go to the option the child lists first (its own shuffled order), as with one child per call
            best = max(allowed, key=lambda o: (len(words & set(_words(categories[o]))), -allowed.index(o)))
            lines.append(f'<answer task="{number}">{best}</answer>')
        return "\n".join(lines)

    def rename(self, prompt: str, h: int, retry: bool) -> str:
        if h % 11 == 0:
            return "no tags at all"  # never valid: the working name stays
        working = prompt.split("\n")[0].removeprefix("Working name: ").split(":")[0]
        n = int(re.search(r"Items in the category \((?:\d+ of )?(\d+)\)", prompt).group(1))
        return f"<name>{working} (renamed)</name><description>Holds {n} items.</description>"


def _run(release, server, cache_path, config: ClioConfig = CONFIG, **build) -> tuple:
    llm = CachedLLM(
        AnthropicLLM("claude-haiku-4-5", api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY,
                     timeout_s=10.0, seed=0),
        AnswerCache(cache_path),
    )
    hierarchy = build_clio_hierarchy(release, llm=llm, config=config, vectoriser=TfidfSvdVectoriser(seed=config.seed),
                                     **build)
    return hierarchy, llm


@pytest.fixture(scope="module")
def reference(onet_release, tmp_path_factory):
    """An uninterrupted build with a fresh cache."""
    model = ScriptedModel()
    with messages_server(responder=model) as server:
        hierarchy, _ = _run(onet_release, server, tmp_path_factory.mktemp("ref") / "answers.sqlite")
    return hierarchy, model


def test_build_is_complete_and_recorded(reference, onet_release):
    h, model = reference
    assert h.levels == ("top", "mid", "base")
    sizes, targets = h.sizes(), h.metadata["level_targets"]
    assert sizes["base"] == 300 and targets == {"top": 6, "mid": 42, "base": 300}
    assert all(h.metadata["within_tolerance"].values())
    for level in ("top", "mid"):
        assert abs(sizes[level] - targets[level]) <= 0.25 * targets[level]
    # every base task exactly one parent, every parent non-empty, ids follow the work-activity convention
    base = h.level_nodes("base")
    task_of = dict(zip(onet_release.statements["statement"], onet_release.statements["task_ids"], strict=True))
    for node in base:
        assert node.id == f"task:{min(task_of[node.name])}"
        assert h[node.parent].level == "mid"
    assert len({n.id for n in base}) == 300
    for node in h.level_nodes("mid") + h.level_nodes("top"):
        assert h.children(node.id), node.id
        assert node.meta["n_base"] == sum(1 for b in base if node.id in h.path(b.id))
    meta = h.metadata
    assert meta["builder"] == "clio" and meta["offline"] is False
    assert meta["models"] == {"embedding": "tfidf-svd-128", "llm": "anthropic:claude-haiku-4-5"}
    assert meta["seed"] == 7 and meta["onet_release"] == "29.3"
    assert set(meta["prompt_hashes"]) == {"propose", "merge", "assign", "assign_many", "rename"}
    assert set(meta["timings_s"]) >= {"embed.base", "mid.propose", "mid.assign", "top.rename", "total"}
    # no parent name is the offline kind
    assert not any(n.name.startswith("[offline]") for n in h.level_nodes("mid"))
    assert sum(model.kinds.values()) == sum(meta["calls"][s]["calls"] for s in meta["calls"])


def test_duplicates_invalid_answers_and_fallbacks(reference):
    h, _ = reference
    calls, dedupe = h.metadata["calls"], h.metadata["dedupe"]
    # the shared first candidate of every neighbourhood collapses to one
    assert dedupe["mid"]["exact_duplicates"] >= 7
    names = [n.name for n in h.level_nodes("mid")]
    assert sum("coordinate general operations" in n.lower() for n in names) <= 1
    assert dedupe["mid"]["merged_clusters"] >= 1 and calls["merge"]["calls"] >= 1
    # invalid answers were retried; those that stayed invalid fell back
    assert calls["propose"]["retried"] >= 1 and calls["propose"]["fallbacks"] == 0
    assert calls["assign"]["retried"] >= 1 and calls["assign"]["fallbacks"] >= 1
    assert calls["assign"]["invalid"] == calls["assign"]["retried"] + calls["assign"]["fallbacks"]
    assert calls["rename"]["fallbacks"] >= 1
    named = [n.meta["named_by"] for n in h.level_nodes("mid")]
    assert "model" in named and "fallback-candidate" in named
    # children were asked about 25 at a time: one call per batch, plus one retry call for a batch with failures
    batches = math.ceil(300 / 25) + math.ceil(h.sizes()["mid"] / 25)
    assert batches < calls["assign"]["calls"] <= 2 * batches
    assert calls["assign"]["calls"] + calls["propose"]["calls"] + calls["rename"]["calls"] < 300


def test_renaming_uses_received_children(reference):
    h, _ = reference
    for node in h.level_nodes("mid"):
        if node.meta["named_by"] == "model":
            assert node.description == f"Holds {len(h.children(node.id))} items."


def test_crash_and_resume_gives_the_same_hierarchy(reference, onet_release, tmp_path):
    expected, full = reference
    cache = tmp_path / "answers.sqlite"
    crashing = ScriptedModel(fail_after=sum(full.kinds.values()) // 2)
    with messages_server(responder=crashing) as server, pytest.raises(LLMError):
        _run(onet_release, server, cache)
    stored = len(AnswerCache(cache))
    assert 0 < stored < sum(full.kinds.values())
    resumed_model = ScriptedModel()
    with messages_server(responder=resumed_model) as server:
        resumed, _ = _run(onet_release, server, cache)
    assert resumed.id == expected.id
    assert sum(resumed.metadata["calls"][s]["cache_hits"] for s in resumed.metadata["calls"]) == stored
    assert sum(resumed_model.kinds.values()) < sum(full.kinds.values())
    # a third run is served entirely from the cache: no request reaches the server
    with messages_server(responder=ScriptedModel(fail_after=0)) as server:
        again, _ = _run(onet_release, server, cache)
        assert server.message_requests() == []
    assert again.id == expected.id


def test_async_entry_point_and_shuffled_options(onet_release, tmp_path):
    model = ScriptedModel()
    small = ClioConfig(levels=2, top=4, seed=1, sample=60, threads=1)
    with messages_server(responder=model) as server:
        llm = CachedLLM(AnthropicLLM("claude-haiku-4-5", api_key=server.api_key, base_url=server.base_url,
                                     retry=FAST_RETRY), AnswerCache(tmp_path / "a.sqlite"))
        h = asyncio.run(abuild_clio_hierarchy(onet_release, llm=llm, config=small,
                                              vectoriser=TfidfSvdVectoriser(seed=1)))
        prompts = [r.body["messages"][0]["content"] for r in server.message_requests()
                   if r.body["system"][0]["text"] == ASSIGN_MANY_SYSTEM]
    assert h.levels == ("top", "base") and h.sizes()["base"] == 60
    assert all(n.parent is not None for n in h.level_nodes("base"))
    assert len(prompts) >= math.ceil(60 / 25)
    # each child has its own options, shuffled: which category comes first differs between children
    firsts = set()
    for prompt in prompts:
        categories = dict(re.findall(r"^(\d+)\. (.*)$", prompt.split("Tasks (")[0], flags=re.M))
        options = re.findall(r"^Options: ([\d, ]+)$", prompt, flags=re.M)
        assert options and all(len(o.split(", ")) == min(CONFIG.assign_options, 4) for o in options)
        firsts |= {categories[o.split(", ")[0]] for o in options}
    assert len(firsts) > 1


def test_inspect_backend_with_unusable_answers_falls_back_everywhere(onet_release, tmp_path):
    from inspect_ai.model import ModelOutput, ModelUsage

    from harness.llm import get_llm

    def unusable(messages, tools, tool_choice, config):
        output = ModelOutput.from_content(model="mockllm", content="I would rather not answer that.")
        output.usage = ModelUsage(input_tokens=50, output_tokens=8, total_tokens=58)  # no tokenizer download
        return output

    # every answer is unreadable: each call is retried once, then the step's fallback rule applies
    llm = get_llm("inspect:mockllm/model", cache=AnswerCache(tmp_path / "a.sqlite"), custom_outputs=unusable)
    h = build_clio_hierarchy(onet_release, llm=llm, config=ClioConfig(levels=2, top=4, sample=40, seed=3, threads=1),
                             vectoriser=TfidfSvdVectoriser(seed=3))
    calls = h.metadata["calls"]
    assert h.metadata["models"]["llm"] == "inspect:mockllm/model"
    for step in ("propose", "rename"):
        assert calls[step]["calls"] == 2 * calls[step]["fallbacks"] > 0
        assert calls[step]["invalid"] == calls[step]["calls"]
    # a batch of children that all fail is asked once more (one call), then each child falls back
    assert calls["assign"]["calls"] == 2 * math.ceil(40 / 25)
    assert calls["assign"]["fallbacks"] == 40 and calls["assign"]["invalid"] == 80
    # fallback names are member statements, used verbatim; every task still has a parent
    statements = set(onet_release.statements["statement"])
    tops = h.level_nodes("top")
    assert all(n.meta["named_by"] == "fallback-candidate" for n in tops)
    assert all(any(s.startswith(n.name) for s in statements) for n in tops)  # verbatim, at most cut to length
    assert all(n.parent for n in h.level_nodes("base")) and h.sizes()["base"] == 40


def test_one_call_per_child_when_asked(onet_release, tmp_path):
    model = ScriptedModel()
    config = ClioConfig(levels=2, top=4, seed=2, sample=50, threads=1, assign_batch=1)
    with messages_server(responder=model) as server:
        h, _ = _run(onet_release, server, tmp_path / "a.sqlite", config=config)
    calls = h.metadata["calls"]["assign"]
    assert model.kinds.get("assign_many", 0) == 0 and model.kinds["assign"] == calls["calls"]
    assert calls["calls"] == 50 + calls["retried"] and calls["invalid"] == calls["retried"] + calls["fallbacks"]


def test_message_batches_send_each_stage_at_once_and_build_the_same_hierarchy(reference, onet_release, tmp_path):
    expected, full = reference
    model = ScriptedModel()
    with messages_server(responder=model) as server:
        batching = BatchingLLM(
            AnthropicLLM("claude-haiku-4-5", api_key=server.api_key, base_url=server.base_url, retry=FAST_RETRY,
                         timeout_s=10.0, seed=0),
            state_dir=tmp_path / "batches", window_s=0.05, poll_interval_s=0.01,
        )
        llm = CachedLLM(batching, AnswerCache(tmp_path / "answers.sqlite"))
        h = build_clio_hierarchy(onet_release, llm=llm, config=CONFIG,
                                 vectoriser=TfidfSvdVectoriser(seed=CONFIG.seed))
        assert server.message_requests() == []  # nothing went through the one-at-a-time endpoint
    assert h.id == expected.id
    # one batch per stage of each level, plus one per round of retries: far fewer than the calls
    assert batching.batches_sent <= 2 * 2 * 4 < sum(full.kinds.values())
