"""Resume keyed on content: changed, reordered, dropped, older and retryable rows, and a finish killed at every step.

A small deterministic classifier stands in for a backend: its answer depends on the conversation's text, so a run
that kept a stale row after the text changed would show it in the facts, and it records every conversation it was
asked about, so a test can tell what was classified again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from harness.classify import Classification, classify_conversations
from harness.classify._llm_backend import NO_USABLE_ANSWER
from harness.conversations import Conversation, Message
from harness.errors import InputError
from harness.run import RunDir, read_facts
from harness.taxonomy import PATTERNS, Hierarchy


class TextClassifier:
    """Picks a base node and a pattern from a hash of the conversation's text; fails the ids it is told to."""

    spec = "stub:text"

    def __init__(self, hierarchy: Hierarchy, *, no_answer: Sequence[str] = (), bad_answer: Sequence[str] = ()):
        self.hierarchy = hierarchy
        self.no_answer = set(no_answer)
        self.bad_answer = set(bad_answer)
        self.seen: list[str] = []

    def describe(self) -> dict[str, Any]:
        return {"model": "text-hash"}

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        self.seen.extend(conv.id for conv in conversations)
        return [self._one(conv) for conv in conversations]

    def _one(self, conv: Conversation) -> Classification:
        if conv.id in self.no_answer:
            return Classification(conv.id, conv.account_id, None, valid=False,
                                  invalid_reason=f"screening: {NO_USABLE_ANSWER} (timed out)")
        if conv.id in self.bad_answer:
            return Classification(conv.id, conv.account_id, None, valid=False,
                                  invalid_reason="traversal: answer matched no option, also after one retry")
        number = int(hashlib.sha256(conv.messages[0].content.encode()).hexdigest(), 16)
        base = self.hierarchy.level_nodes(self.hierarchy.base)
        node = base[number % len(base)]
        return Classification(conv.id, conv.account_id, occupational=number % 2 == 0,
                              path=self.hierarchy.path(node.id), top_k=(node.id,),
                              pattern=PATTERNS[number % len(PATTERNS)], latency_s=0.001)


def _conversations(n: int) -> list[Conversation]:
    return [Conversation(f"c{k:03d}", f"a{k % 4}", (Message("user", f"please help with job {k}"),
                                                  Message("assistant", "sure"))) for k in range(n)]


def _edit(conv: Conversation, text: str) -> Conversation:
    return dataclasses.replace(conv, messages=(Message("user", text), *conv.messages[1:]))


def _run(convs, out: Path, hierarchy: Hierarchy, **kwargs):
    classifier = kwargs.pop("classifier", None) or TextClassifier(hierarchy)
    result = classify_conversations(convs, classifier, out, hierarchy=hierarchy, progress=False, batch_size=4,
                                    **kwargs)
    return result, classifier


def _rows(out: Path) -> list[dict[str, Any]]:
    """The facts as JSON rows, without the one measured column (latency)."""
    rows = [json.loads(line) for line in RunDir(out).facts_jsonl_path.read_text().splitlines()]
    for row in rows:
        row.pop("latency_s")
    return rows


def _fresh(convs, tmp_path: Path, hierarchy: Hierarchy, name: str = "fresh", **kwargs) -> list[dict[str, Any]]:
    _run(convs, tmp_path / name, hierarchy, **kwargs)
    return _rows(tmp_path / name)


def test_changed_content_is_classified_again_and_the_rest_resumed(tmp_path, mini_hierarchy):
    convs = _conversations(10)
    out = tmp_path / "run"
    _run(convs, out, mini_hierarchy)
    edited = [*convs[:3], _edit(convs[3], "write a sonnet about tax law"), *convs[4:]]
    result, classifier = _run(edited, out, mini_hierarchy)
    assert classifier.seen == ["c003"]
    assert (result.n_resumed, result.n_changed, result.n_new, result.n_classified) == (9, 1, 0, 1)
    assert "9 resumed, 1 re-classified (content changed), 0 new" in result.summary()
    assert result.manifest["counts"]["changed"] == 1
    assert _rows(out) == _fresh(edited, tmp_path, mini_hierarchy)
    # the account is part of the content too
    moved = [*edited[:5], dataclasses.replace(edited[5], account_id="someone-else"), *edited[6:]]
    result, classifier = _run(moved, out, mini_hierarchy)
    assert classifier.seen == ["c005"] and read_facts(out)["account_id"].iloc[5] == "someone-else"


def test_the_hash_is_stored_never_the_text(tmp_path, mini_hierarchy):
    convs = _conversations(3)
    result, _ = _run(convs, tmp_path / "run", mini_hierarchy)
    digests = list(result.facts["content_sha256"])
    assert len(set(digests)) == 3 and all(len(d) == 64 for d in digests)
    blob = "".join(p.read_text(errors="ignore") for p in (tmp_path / "run").iterdir() if p.is_file())
    assert "please help with job" not in blob
    # the same content under another id hashes the same; meta, which no classifier reads, does not count
    twin = dataclasses.replace(convs[0], id="twin", meta={"source": "elsewhere"})
    again, _ = _run([twin], tmp_path / "twin", mini_hierarchy)
    assert again.facts["content_sha256"].iloc[0] == digests[0]


def test_a_lone_surrogate_hashes_without_error(tmp_path, mini_hierarchy):
    conv = Conversation("odd", "a", (Message("user", "broken \ud800 text"),))
    result, _ = _run([conv], tmp_path / "run", mini_hierarchy, classifier=_SafeClassifier(mini_hierarchy))
    assert len(result.facts["content_sha256"].iloc[0]) == 64


class _SafeClassifier(TextClassifier):
    """TextClassifier that does not encode the text (a lone surrogate cannot be UTF-8 encoded)."""

    def _one(self, conv: Conversation) -> Classification:
        return Classification(conv.id, conv.account_id, occupational=False)


def test_a_reordered_input_gives_facts_in_input_order(tmp_path, mini_hierarchy):
    convs = _conversations(9)
    out = tmp_path / "run"
    _run(convs, out, mini_hierarchy)
    shuffled = [convs[k] for k in (4, 0, 8, 2, 6, 1, 3, 7, 5)]
    result, classifier = _run(shuffled, out, mini_hierarchy)
    assert classifier.seen == [] and result.n_resumed == 9
    facts = read_facts(out)
    assert list(facts["conversation_id"]) == [c.id for c in shuffled]
    assert list(facts["seq"]) == list(range(9))
    assert _rows(out) == _fresh(shuffled, tmp_path, mini_hierarchy)


def test_rows_no_longer_in_the_input_are_dropped_but_kept_for_later(tmp_path, mini_hierarchy):
    convs = _conversations(8)
    out = tmp_path / "run"
    _run(convs, out, mini_hierarchy)
    result, classifier = _run(convs[2:6], out, mini_hierarchy)
    assert (result.n_total, result.n_resumed, result.n_dropped) == (4, 4, 4) and classifier.seen == []
    assert "4 dropped (no longer in the input)" in result.summary()
    assert list(read_facts(out)["conversation_id"]) == [c.id for c in convs[2:6]]
    # the dropped rows were not thrown away: the full input resumes them all
    result, classifier = _run(convs, out, mini_hierarchy)
    assert (result.n_resumed, result.n_dropped, classifier.seen) == (8, 0, [])
    assert _rows(out) == _fresh(convs, tmp_path, mini_hierarchy)


def test_duplicate_ids_name_both_positions(tmp_path, mini_hierarchy):
    convs = _conversations(4)
    with pytest.raises(InputError, match=r"'c001' twice \(conversations 2 and 4\)"):
        _run([convs[0], convs[1], convs[2], _edit(convs[1], "other")], tmp_path / "run", mini_hierarchy)


def test_rows_of_a_version_1_run_are_classified_again(tmp_path, mini_hierarchy):
    """A run written before content hashes existed cannot vouch for its rows, so all are classified again."""
    convs = _conversations(5)
    out = tmp_path / "run"
    _run(convs, out, mini_hierarchy)
    run = RunDir(out)
    old_rows = [json.loads(line) for line in run.partial_path.read_text().splitlines()]
    run.partial_path.write_text("".join(
        json.dumps({k: v for k, v in row.items() if k not in ("content_sha256", "retryable")}) + "\n"
        for row in old_rows))
    result, classifier = _run(convs, out, mini_hierarchy)
    assert classifier.seen == [c.id for c in convs]
    assert (result.n_resumed, result.n_unhashed) == (0, 5)
    assert "5 re-classified (no content hash" in result.summary()
    assert _rows(out) == _fresh(convs, tmp_path, mini_hierarchy)


def test_transport_failures_are_retried_and_bad_answers_kept(tmp_path, mini_hierarchy):
    convs = _conversations(6)
    out = tmp_path / "run"
    flaky = TextClassifier(mini_hierarchy, no_answer=["c001", "c004"], bad_answer=["c002"])
    first, _ = _run(convs, out, mini_hierarchy, classifier=flaky)
    assert (first.n_invalid, first.n_retryable) == (3, 2)
    assert "3 invalid (2 for lack of an answer; a re-run retries them)" in first.summary()
    facts = read_facts(out)
    assert list(facts["retryable"]) == [False, True, False, False, True, False]
    # the network is back; the model's own bad answer is not asked again
    second, classifier = _run(convs, out, mini_hierarchy,
                              classifier=TextClassifier(mini_hierarchy, bad_answer=["c002"]))
    assert classifier.seen == ["c001", "c004"]
    assert (second.n_retried, second.n_resumed, second.n_invalid, second.n_retryable) == (2, 4, 1, 0)
    facts = read_facts(out)
    assert list(facts["valid"]) == [True, True, False, True, True, True] and not facts["retryable"].any()


_REAL_REPLACE = os.replace


def _count_replaces(monkeypatch, action) -> int:
    calls = []

    def counting(src, dst):
        calls.append(dst)
        return _REAL_REPLACE(src, dst)

    monkeypatch.setattr(os, "replace", counting)
    action()
    monkeypatch.setattr(os, "replace", _REAL_REPLACE)
    return len(calls)


class _Crash(Exception):
    pass


def _crash_at(monkeypatch, step: int) -> None:
    """Make the ``step``-th os.replace (0-based) raise, as a kill at that instant would stop the run."""
    seen = [0]

    def replace(src, dst):
        seen[0] += 1
        if seen[0] - 1 == step:
            raise _Crash(f"killed before renaming {Path(src).name}")
        return _REAL_REPLACE(src, dst)

    monkeypatch.setattr(os, "replace", replace)


@pytest.mark.parametrize("scenario", ["fresh", "update"])
def test_a_crash_between_any_two_steps_of_finishing_leaves_a_resumable_run(tmp_path, mini_hierarchy, monkeypatch,
                                                                          scenario):
    """Every rename of a run (identity, facts, manifest) is a step; a crash at each leaves either the earlier
    finished run or an unfinished one that readers refuse and a re-run completes, never new facts beside an old
    manifest."""
    before = _conversations(6)
    after = [_edit(before[0], "a brand new question"), *before[1:]] if scenario == "update" else before
    expected = _fresh(after, tmp_path, mini_hierarchy)

    def prepare(out: Path) -> None:
        if scenario == "update":
            _run(before, out, mini_hierarchy)

    probe = tmp_path / "probe"
    prepare(probe)
    steps = _count_replaces(monkeypatch, lambda: _run(after, probe, mini_hierarchy))
    assert steps >= 4  # identity, facts.parquet, facts.jsonl, manifest.json
    for step in range(steps):
        out = tmp_path / f"crash-{step}"
        prepare(out)
        _crash_at(monkeypatch, step)
        with pytest.raises(_Crash):
            _run(after, out, mini_hierarchy)
        monkeypatch.setattr(os, "replace", _REAL_REPLACE)
        run = RunDir(out)
        if run.manifest_path.exists():  # the crash came before anything changed: the old run stands whole
            assert _rows(out) == _fresh(before, tmp_path, mini_hierarchy, name=f"old-{step}")
        else:  # unfinished (or, for a fresh run, not begun): no reader gets facts
            with pytest.raises(InputError, match="unfinished run" if run.partial_path.exists() else "not found"):
                read_facts(out)
        result, _ = _run(after, out, mini_hierarchy)
        assert _rows(out) == expected, f"crash at step {step}"
        manifest = run.read_manifest()
        assert manifest["counts"]["conversations"] == 6 and manifest == result.manifest
        assert not list(out.glob("*.tmp"))  # the crash's leftovers were overwritten and renamed
        assert pd.read_parquet(run.facts_path)["conversation_id"].tolist() == [c.id for c in after]


def test_an_unfinished_run_is_refused_by_readers(tmp_path, mini_hierarchy):
    out = tmp_path / "run"
    _run(_conversations(3), out, mini_hierarchy)
    run = RunDir(out)
    run.begin_update()
    for read in (lambda: read_facts(out), lambda: read_facts(run.facts_path), lambda: read_facts(run.facts_jsonl_path),
                 run.read_metrics):
        with pytest.raises(InputError, match="unfinished run") as info:
            read()
        assert "re-run" in str(info.value)
