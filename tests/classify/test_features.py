from __future__ import annotations

import pytest

from harness.classify import extract_features, rule_pattern
from harness.conversations import Conversation, Message


def _conv(*user_turns: str) -> Conversation:
    messages = []
    for turn in user_turns:
        messages += [Message("user", turn), Message("assistant", "Here you go.")]
    return Conversation("c", "a", tuple(messages))


@pytest.mark.parametrize(
    ("turns", "expected"),
    [
        (("Write a Python script that renames files by date.",
          "I get this error: Traceback (most recent call last): FileNotFoundError: x"), "feedback_loop"),
        (("Can you proofread my cover letter below?",), "validation"),
        (("Draft a product announcement email.", "Make it shorter and more formal."), "task_iteration"),
        (("What is the difference between a mutex and a semaphore?",), "learning"),
        (("Generate ten names for a bakery.",), "directive"),
        (("hello there",), "directive"),  # no cue: a lone request is taken as delegated
        (("hello there", "and then the next part"), "task_iteration"),
        (("my manager said the report is late, thoughts?",), "learning"),
    ],
)
def test_rules(turns, expected):
    assert rule_pattern(extract_features(_conv(*turns))) == expected


def test_features_count_only_user_turns():
    conv = Conversation("c", "a", (Message("user", "Explain recursion"), Message("assistant", "Traceback error: x")))
    features = extract_features(conv)
    assert features.n_user_turns == 1 and not features.any_error


def test_no_user_text_is_none():
    conv = Conversation("c", "a", (Message("assistant", "Hello! How can I help?"),))
    assert rule_pattern(extract_features(conv)) == "none"
