from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.conversations import (
    Conversation,
    Message,
    ReadReport,
    conversation_from_dict,
    conversation_to_dict,
    iter_jsonl,
    n_turns,
    read_jsonl,
    user_text,
    write_jsonl,
)
from harness.errors import InputError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conversations"


def _conv(*pairs: tuple[str, str], **kw) -> Conversation:
    return Conversation("c", "a", tuple(Message(r, t) for r, t in pairs), **kw)


def test_message_rejects_unknown_role_and_non_string_content():
    with pytest.raises(ValueError, match="role"):
        Message("robot", "x")
    with pytest.raises(ValueError, match="content"):
        Message("user", 3)


def test_conversation_is_frozen_and_copies_inputs():
    meta = {"k": 1}
    conv = Conversation("c", "a", [Message("user", "hi")], meta=meta)
    assert isinstance(conv.messages, tuple)
    meta["k"] = 2
    assert conv.meta["k"] == 1
    with pytest.raises(TypeError):
        conv.meta["k"] = 3
    with pytest.raises(AttributeError):
        conv.id = "other"
    assert hash(conv) == hash(Conversation("c", "a", (Message("user", "hi"),), meta={"other": True}))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"id": ""}, "id"), ({"account_id": ""}, "account_id"), ({"model": 5}, "model")],
)
def test_conversation_validates_fields(kwargs, match):
    base = {"id": "c", "account_id": "a", "messages": (Message("user", "x"),)}
    with pytest.raises(ValueError, match=match):
        Conversation(**{**base, **kwargs})


def test_user_text_and_turns():
    conv = _conv(("system", "sys"), ("user", "  first  "), ("assistant", "reply"), ("user", ""), ("user", "second"))
    assert user_text(conv) == "first\n\nsecond"
    assert user_text(conv, max_chars=3) == "fir"
    assert user_text(conv, sep=" | ") == "first | second"
    assert n_turns(conv) == 3
    assert user_text(_conv(("assistant", "only me"))) == ""
    assert n_turns(_conv(("assistant", "only me"))) == 0
    with pytest.raises(ValueError):
        user_text(conv, max_chars=-1)


def test_read_jsonl_fixture():
    convs = read_jsonl(FIXTURES / "tiny.jsonl")
    assert [c.id for c in convs] == ["c-1", "42", "c-3"]
    first, second, _ = convs
    assert first.model == "model-x" and first.account_id == "acct-1"
    assert [m.role for m in first.messages] == ["system", "user", "assistant", "user", "assistant"]
    assert n_turns(first) == 2
    # Integer ids become strings; unknown top-level keys are kept in meta beside "meta" itself.
    assert dict(second.meta) == {"channel": "web", "lang": "en"}
    assert second.model is None


def test_jsonl_round_trip(tmp_path):
    convs = read_jsonl(FIXTURES / "tiny.jsonl")
    out = tmp_path / "sub" / "out.jsonl"
    assert write_jsonl(convs, out) == 3
    assert read_jsonl(out) == convs
    assert conversation_from_dict(conversation_to_dict(convs[1])) == convs[1]
    # Non-ASCII text is written as is.
    conv = _conv(("user", "héllo — 你好"))
    write_jsonl([conv], out)
    assert "你好" in out.read_text(encoding="utf-8")


# line -> field of each bad line in bad.jsonl (None: whole-line problem)
BAD_LINES = {
    2: None,
    3: "account_id",
    4: "messages[1].role",
    5: "messages[0].content",
    6: "messages",
    7: None,
    8: "id",
    9: "model",
}


def test_jsonl_raise_names_file_line_and_field():
    with pytest.raises(InputError) as info:
        read_jsonl(FIXTURES / "bad.jsonl")
    err = info.value
    assert err.line == 2 and err.path.name == "bad.jsonl"
    assert "bad.jsonl, line 2" in str(err) and "not valid JSON" in str(err)


def test_jsonl_iter_yields_good_records_before_the_error():
    got = []
    with pytest.raises(InputError):
        for conv in iter_jsonl(FIXTURES / "bad.jsonl"):
            got.append(conv.id)
    assert got == ["c-1"]


def test_jsonl_skip_reports_every_bad_line():
    report = ReadReport()
    convs = read_jsonl(FIXTURES / "bad.jsonl", on_error="skip", report=report)
    assert [c.id for c in convs] == ["c-1", "c-10"]
    assert {e.line: e.field for e in report.errors} == BAD_LINES
    assert report.n_read == 2 and report.n_skipped == len(BAD_LINES)
    assert report.skipped == {"invalid": len(BAD_LINES)}
    dup = next(e for e in report.errors if e.line == 8)
    assert "duplicate" in str(dup) and "line 1" in str(dup)


def test_jsonl_bad_options_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="on_error"):
        read_jsonl(FIXTURES / "tiny.jsonl", on_error="ignore")
    with pytest.raises(InputError, match="cannot read"):
        read_jsonl(tmp_path / "absent.jsonl")


def test_jsonl_single_error_cases(tmp_path):
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({"id": "x", "account_id": "a", "messages": "hello"}) + "\n")
    with pytest.raises(InputError) as info:
        read_jsonl(path)
    assert info.value.field == "messages" and info.value.line == 1
    path.write_text("\n\n" + json.dumps({"id": "  ", "account_id": "a", "messages": []}) + "\n")
    with pytest.raises(InputError) as info:
        read_jsonl(path)
    assert info.value.field == "id" and info.value.line == 3
