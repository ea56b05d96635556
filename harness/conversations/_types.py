"""The ``Conversation`` and ``Message`` types and small helpers over them.

Lone surrogates: JSON can spell a UTF-16 surrogate on its own (``"\\ud83d"``, half of an emoji cut in two by an
exporter), and Python then holds a string that is not valid Unicode: it cannot be written as UTF-8 and tokenizers
refuse it. A message's text keeps everything else, so such code points are replaced by U+FFFD (the replacement
character) when the :class:`Message` is made, and the readers say how many messages they repaired. Identifiers are
never repaired (two different ids could become one); the readers refuse them instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

__all__ = ["ROLES", "Conversation", "Message", "Role", "has_lone_surrogate", "n_turns", "user_text"]

Role = Literal["user", "assistant", "system"]
ROLES: tuple[str, ...] = get_args(Role)

# Any surrogate code point left in a str is unpaired: json and UTF-8 decoding join valid pairs into one character.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a surrogate code point, which no UTF-8 encoder or tokenizer accepts."""
    return _SURROGATE.search(text) is not None


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a conversation.

    Args:
        role: Who wrote it: ``"user"``, ``"assistant"`` or ``"system"``.
        content: The message text (may be empty). Lone surrogates are replaced by U+FFFD (see the module
            docstring), so the stored text is always valid Unicode.

    Raises:
        ValueError: On a role outside :data:`ROLES` or a content that is not a string.
    """

    role: Role
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}; got {self.role!r}")
        if not isinstance(self.content, str):
            raise ValueError(f"content must be a string; got {type(self.content).__name__}")
        if has_lone_surrogate(self.content):
            object.__setattr__(self, "content", _SURROGATE.sub("\ufffd", self.content))


@dataclass(frozen=True, slots=True)
class Conversation:
    """A conversation between a user and an AI model, the unit the pipeline classifies.

    Args:
        id: Identifier, unique within its source.
        account_id: The account the conversation belongs to. The privacy wall counts distinct accounts, so
            conversations of one person should share it. Sources without accounts must derive a synthetic id
            and say so (see :func:`harness.conversations.sharegpt_account_id`).
        messages: The messages in order (a list is accepted and stored as a tuple).
        model: The model that answered, when known.
        meta: Extra, source-specific facts (stored read-only; excluded from hashing).

    Raises:
        ValueError: On an empty id or account id, or a message that is not a :class:`Message`.
    """

    id: str
    account_id: str
    messages: tuple[Message, ...]
    model: str | None = None
    meta: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise ValueError(f"id must be a non-empty string; got {self.id!r}")
        if not isinstance(self.account_id, str) or not self.account_id:
            raise ValueError(f"account_id must be a non-empty string; got {self.account_id!r}")
        if self.model is not None and not isinstance(self.model, str):
            raise ValueError(f"model must be a string or None; got {type(self.model).__name__}")
        messages = tuple(self.messages)
        for i, message in enumerate(messages):
            if not isinstance(message, Message):
                raise ValueError(f"messages[{i}] must be a Message; got {type(message).__name__}")
        object.__setattr__(self, "messages", messages)
        # A private copy behind a read-only view, so the caller's dict cannot change a frozen object.
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    def user_messages(self) -> tuple[Message, ...]:
        """The user's messages, in order."""
        return tuple(m for m in self.messages if m.role == "user")


def user_text(conv: Conversation, *, max_chars: int | None = None, sep: str = "\n\n") -> str:
    """Join the user's turns into one text, the usual input for classification.

    Args:
        conv: The conversation.
        max_chars: Keep at most this many characters (the start of the text); ``None`` keeps all.
        sep: Separator placed between turns.

    Returns:
        The user's messages, stripped and joined; empty turns are left out. ``""`` when the user wrote nothing.

    Raises:
        ValueError: When ``max_chars`` is negative.
    """
    if max_chars is not None and max_chars < 0:
        raise ValueError(f"max_chars must be >= 0; got {max_chars}")
    text = sep.join(t for t in (m.content.strip() for m in conv.messages if m.role == "user") if t)
    return text if max_chars is None else text[:max_chars]


def n_turns(conv: Conversation) -> int:
    """Number of turns, counted as the number of user messages (a turn is a request and its reply)."""
    return sum(1 for m in conv.messages if m.role == "user")
