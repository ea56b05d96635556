"""Conversations from and to inspect-ai style message lists.

Accepted inputs are inspect-ai ``ChatMessage`` objects (``ChatMessageUser``, ``ChatMessageAssistant``,
``ChatMessageSystem``, ``ChatMessageTool``) and their dict forms (``{"role": ..., "content": ...}`` as produced by
``model_dump()`` or written in eval logs). Content may be a string or a list of content parts; the text parts
are joined with newlines and other parts (images, audio, reasoning) are left out. Tool messages are not the
user's or the assistant's words: by default they are dropped, or they can be kept as assistant messages.
inspect-ai is only imported when converting *to* its types, so reading dicts does not need it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

from harness.conversations._types import ROLES, Conversation, Message
from harness.errors import clip_text

__all__ = ["ToolMessages", "from_inspect_messages", "to_inspect_messages"]

ToolMessages = Literal["drop", "assistant"]
_TOOL_MESSAGES: tuple[str, ...] = get_args(ToolMessages)


def _part_text(part: Any) -> str | None:
    """Text of one content part (object or dict); ``None`` for non-text parts."""
    if isinstance(part, str):
        return part
    if isinstance(part, Mapping):
        return part.get("text") if part.get("type", "text") == "text" else None
    if getattr(part, "type", None) == "text":
        return getattr(part, "text", None)
    return None


def _content_text(content: Any, where: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(t for t in (_part_text(p) for p in content) if t)
    raise ValueError(f"{where}.content must be a string or a list of content parts; got {type(content).__name__}")


def from_inspect_messages(
    messages: Iterable[Any],
    *,
    id: str,
    account_id: str,
    model: str | None = None,
    tool_messages: ToolMessages = "drop",
    meta: Mapping[str, Any] | None = None,
) -> Conversation:
    """Build a :class:`Conversation` from inspect-ai messages or their dict forms.

    Args:
        messages: ``ChatMessage`` objects or dicts with ``role`` and ``content``.
        id: Conversation id.
        account_id: Account id.
        model: Model that answered, when known.
        tool_messages: ``"drop"`` leaves tool results out; ``"assistant"`` keeps them as assistant messages.
        meta: Extra facts for ``Conversation.meta``.

    Raises:
        ValueError: On an unknown role, bad content, an unknown ``tool_messages`` or no messages left.
    """
    if tool_messages not in _TOOL_MESSAGES:
        raise ValueError(f"tool_messages must be one of {', '.join(_TOOL_MESSAGES)}; got {tool_messages!r}")
    out: list[Message] = []
    for i, message in enumerate(messages):
        where = f"messages[{i}]"
        if isinstance(message, Mapping):
            role, content = message.get("role"), message.get("content")
        else:
            role, content = getattr(message, "role", None), getattr(message, "content", None)
        if role == "tool":
            if tool_messages == "drop":
                continue
            role = "assistant"
        if not isinstance(role, str) or role not in ROLES:
            raise ValueError(f"{where}.role must be one of {', '.join((*ROLES, 'tool'))}; "
                             f"got {clip_text(repr(role), 120)}")
        out.append(Message(role, _content_text(content, where)))
    if not out:
        raise ValueError("no messages to build a conversation from")
    return Conversation(id, account_id, tuple(out), model=model, meta=dict(meta or {}))


def to_inspect_messages(conv: Conversation) -> list[Any]:
    """The conversation as inspect-ai ``ChatMessage`` objects (needs ``inspect_ai`` installed)."""
    from inspect_ai.model import ChatMessageAssistant, ChatMessageSystem, ChatMessageUser

    types = {"user": ChatMessageUser, "assistant": ChatMessageAssistant, "system": ChatMessageSystem}
    return [types[m.role](content=m.content) for m in conv.messages]
