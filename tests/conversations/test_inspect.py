from __future__ import annotations

import pytest

from harness.conversations import Conversation, Message, from_inspect_messages, to_inspect_messages

inspect_model = pytest.importorskip("inspect_ai.model", reason="inspect-ai not installed")


def test_from_inspect_objects():
    messages = [
        inspect_model.ChatMessageSystem(content="Be concise."),
        inspect_model.ChatMessageUser(content="Summarise this memo."),
        inspect_model.ChatMessageAssistant(
            content=[inspect_model.ContentText(text="Part one."), inspect_model.ContentText(text="Part two.")]
        ),
        inspect_model.ChatMessageTool(content="tool output", tool_call_id="t1"),
        inspect_model.ChatMessageUser(content="Thanks."),
    ]
    conv = from_inspect_messages(messages, id="i-1", account_id="acct", model="mockllm/model")
    assert [m.role for m in conv.messages] == ["system", "user", "assistant", "user"]
    assert conv.messages[2].content == "Part one.\nPart two."
    assert conv.model == "mockllm/model"
    kept = from_inspect_messages(messages, id="i-1", account_id="acct", tool_messages="assistant")
    assert [m.role for m in kept.messages] == ["system", "user", "assistant", "assistant", "user"]
    assert kept.messages[3].content == "tool output"


def test_from_dict_forms_including_model_dump():
    dumped = [inspect_model.ChatMessageUser(content="hello").model_dump()]
    dicts = [
        *dumped,
        {"role": "assistant", "content": [{"type": "text", "text": "hi"}, {"type": "image", "image": "x.png"}]},
        {"role": "assistant", "content": None},
    ]
    conv = from_inspect_messages(dicts, id="d", account_id="a", meta={"k": 1})
    assert conv.messages == (Message("user", "hello"), Message("assistant", "hi"), Message("assistant", ""))
    assert conv.meta["k"] == 1


@pytest.mark.parametrize(
    ("messages", "kwargs", "match"),
    [
        ([{"role": "robot", "content": "x"}], {}, "role"),
        ([{"role": "user", "content": 5}], {}, "content"),
        ([{"role": "tool", "content": "x"}], {}, "no messages"),
        ([{"role": "user", "content": "x"}], {"tool_messages": "keep"}, "tool_messages"),
    ],
)
def test_from_inspect_errors(messages, kwargs, match):
    with pytest.raises(ValueError, match=match):
        from_inspect_messages(messages, id="x", account_id="a", **kwargs)


def test_round_trip_through_inspect():
    conv = Conversation("r", "a", (Message("system", "s"), Message("user", "question"), Message("assistant", "answer")))
    converted = to_inspect_messages(conv)
    assert [type(m).__name__ for m in converted] == ["ChatMessageSystem", "ChatMessageUser", "ChatMessageAssistant"]
    assert from_inspect_messages(converted, id="r", account_id="a") == conv
