from __future__ import annotations

import json

import pytest

from harness.classify import ReplayClassifier, get_classifier
from harness.conversations import Conversation, Message
from harness.errors import InputError


def _conv(cid: str) -> Conversation:
    return Conversation(cid, "acct-1", (Message("user", "hello"),))


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_task_id_base_and_path_are_accepted(tmp_path, mini_hierarchy):
    path = _write(tmp_path / "p.jsonl", [
        {"conversation_id": "a", "task_id": 103, "pattern": "directive", "occupational": True},
        {"conversation_id": "b", "base": "task:201", "skills": ["Writing"]},
        {"conversation_id": "c", "path": list(mini_hierarchy.path("task:301")), "input_tokens": 12},
    ])
    replay = get_classifier(f"replay:{path}", mini_hierarchy)
    assert isinstance(replay, ReplayClassifier)
    a, b, c, d = replay.classify([_conv("a"), _conv("b"), _conv("c"), _conv("d")])
    assert a.path == mini_hierarchy.path("task:102")  # Task ID 103 shares the statement of 102
    assert a.pattern == "directive" and a.occupational is True
    assert b.path[-1] == "task:201" and b.skills == ("Writing",)
    assert c.input_tokens == 12 and c.valid
    assert not d.valid and d.invalid_reason == "no prediction in the replay file"


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ({"conversation_id": "a", "task_id": 999}, "task_id", "Task ID 999 is not in"),
        ({"conversation_id": "a", "base": "task:999"}, "base", "unknown node"),
        ({"conversation_id": "a", "path": ["gwa:4.A.2.a.4", "iwa:4.A.3.b.1.I01", "task:101"]}, "path", "is not a path"),
        ({"conversation_id": "a", "task_id": 101, "pattern": "delegation"}, "pattern", "unknown pattern"),
        ({"task_id": 101}, "conversation_id", "missing conversation_id"),
    ],
)
def test_bad_predictions_name_line_and_field(tmp_path, mini_hierarchy, row, field, message):
    path = _write(tmp_path / "p.jsonl", [{"conversation_id": "ok", "task_id": 101}, row])
    with pytest.raises(InputError) as info:
        ReplayClassifier(path, mini_hierarchy)
    assert (info.value.line, info.value.field) == (2, field)
    assert message in str(info.value)


def test_duplicate_prediction_is_an_error(tmp_path, mini_hierarchy):
    path = _write(tmp_path / "p.jsonl", [{"conversation_id": "a", "task_id": 101}] * 2)
    with pytest.raises(InputError, match="second prediction"):
        ReplayClassifier(path, mini_hierarchy)


def test_unknown_backend_scheme(mini_hierarchy):
    with pytest.raises(ValueError, match="unknown backend"):
        get_classifier("openai:gpt", mini_hierarchy)
