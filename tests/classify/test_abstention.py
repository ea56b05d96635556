"""Abstention: predictions below ``min_confidence`` stay in the facts marked ``abstained`` and are counted."""

from __future__ import annotations

import json

import pytest

from harness.classify import ReplayClassifier, classify_conversations
from harness.conversations import Conversation, Message
from harness.run import read_facts
from tests.robustness.conftest import assert_clean_failure, run_cli

CONFIDENCES = [0.9, 0.2, None, 0.55, 0.7]


@pytest.fixture
def replay(tmp_path, mini_hierarchy):
    path = tmp_path / "predictions.jsonl"
    rows = [{"conversation_id": f"c{i}", "task_id": 101, "pattern": "directive", "occupational": True,
             **({} if c is None else {"confidence": c})} for i, c in enumerate(CONFIDENCES)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ReplayClassifier(path, mini_hierarchy)


def _convs() -> list[Conversation]:
    return [Conversation(f"c{i}", f"a{i}", (Message("user", f"request {i}"),)) for i in range(len(CONFIDENCES))]


def test_rows_below_the_threshold_abstain_and_are_counted(tmp_path, replay, mini_hierarchy) -> None:
    result = classify_conversations(_convs(), replay, tmp_path / "run", hierarchy=mini_hierarchy, progress=False,
                                    min_confidence=0.6)
    facts = read_facts(tmp_path / "run")
    # a row without a confidence never abstains (there is nothing to judge it by); the manifest counts those
    assert facts["abstained"].tolist() == [False, True, False, True, False]
    assert facts["confidence"].tolist()[:2] == [0.9, 0.2] and len(facts) == len(CONFIDENCES)
    assert result.n_abstained == 2 and "2 abstained (confidence below 0.6)" in result.summary()
    assert result.manifest["abstention"] == {"min_confidence": 0.6, "abstained": 2, "without_confidence": 1}
    assert result.manifest["counts"]["abstained"] == 2


def test_a_rerun_with_another_threshold_re_marks_every_row(tmp_path, replay, mini_hierarchy) -> None:
    classify_conversations(_convs(), replay, tmp_path / "run", hierarchy=mini_hierarchy, progress=False,
                           min_confidence=0.6)
    again = classify_conversations(_convs(), replay, tmp_path / "run", hierarchy=mini_hierarchy, progress=False,
                                   min_confidence=0.3)
    assert again.n_resumed == len(CONFIDENCES) and again.n_classified == 0  # nothing classified again
    assert read_facts(tmp_path / "run")["abstained"].tolist() == [False, True, False, False, False]
    none = classify_conversations(_convs(), replay, tmp_path / "run", hierarchy=mini_hierarchy, progress=False)
    assert none.n_abstained == 0 and "abstained" not in none.summary()


@pytest.mark.parametrize(("flags", "mentions"), [
    (("--target-precision", "0.8"), ("--target-precision", "calibrat")),
    (("--min-confidence", "0.5", "--target-precision", "0.8"), ("not allowed with",)),
    (("--min-confidence", "1.5"), ("--min-confidence",)),
    (("--confidence-samples", "2"), ("--confidence-samples", "anthropic")),  # LLM backends only
])
def test_command_line_refusals(tmp_path, flags, mentions, mini_onet_dir) -> None:
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    predictions = tmp_path / "p.jsonl"
    predictions.write_text(json.dumps({"conversation_id": "c0", "task_id": 101}) + "\n")
    conversations = tmp_path / "in.jsonl"
    conversations.write_text(json.dumps({"id": "c0", "account_id": "a", "messages": [
        {"role": "user", "content": "hello"}]}) + "\n")
    outcome = run_cli(["--data-dir", data, "classify", "--input", conversations, "--backend",
                       f"replay:{predictions}", "--out", tmp_path / "run", "--no-progress", *flags])
    assert_clean_failure(outcome, rc=2, mentions=mentions)
