from __future__ import annotations

import pytest

from harness.classify import ConversationFeatures, extract_features, rule_pattern
from harness.classify._features import PATTERN_RULES_VERSION
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
        # rules version 2
        (("Draft a product announcement email.", "Reduce to 30 words"), "task_iteration"),  # short follow-up
        (("Write a poem about rain.", "Who wrote the best rain poems?"), "directive"),  # a question is no follow-up
        (("I want you to act as an essay writer. Write an essay on the topic I give you.", "food"), "directive"),
        (("Can you list the main causes of inflation?", "Why does that happen?", "What about wages?"), "learning"),
        (("When I run vagrant up I see this:\nBringing machine 'default' up...\nError: box could not be found",),
         "feedback_loop"),
        (("What does undefined mean in JavaScript?\nI see it\nin my logs",), "learning"),  # weak word, no paste
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


def test_version_two_features():
    features = extract_features(_conv(
        "Act as a travel agent and plan a trip.", "Paris", "Is it expensive?", "make it cheaper please",
    ))
    assert features.opening_sets_up_role
    assert features.short_follow_ups == 1  # "Paris"; the question and the refinement cue are counted elsewhere
    assert features.refinement_turns == 1
    assert not features.later_all_questions
    assert not features.opening_pastes_error


def test_role_setup_still_iterates_on_refinement_cues():
    # the set-up only discounts bare short inputs; an explicit refinement still makes it iteration
    conv = _conv("I want you to act as a copywriter and write a slogan for my bakery.", "make it shorter")
    assert rule_pattern(extract_features(conv)) == "task_iteration"


def test_features_built_by_hand_keep_working():
    # the fields added in version 2 have defaults, so version-1 style construction still classifies
    features = ConversationFeatures(
        n_user_turns=2, first_turn_chars=30, later_error_turns=0, any_error=False, validation_request=False,
        refinement_turns=1, opens_with_question=False, opening_has_question_mark=False, asks_deliverable=True,
        personal_cues=0, has_code=False,
    )
    assert rule_pattern(features) == "task_iteration"
    assert PATTERN_RULES_VERSION == "pattern-rules/2"
