"""Conversation features and the documented rules the offline backend uses for screening and patterns.

The rules read only the shape and wording of the *user's* turns:

* ``feedback_loop`` – a later user turn relays what the environment returned: an error trace, a compiler or
  runtime message, or program output pasted back ("I get this error", ``Traceback``, ``Exception``...). Also
  when the *opening* turn pastes such a message over several lines (``Error:``, ``Traceback``, "I'm getting this
  exception" followed by the output): the user starts by relaying what the environment said, which is how the
  pattern's definition reads, whether or not they add code.
* ``validation`` – the user asks to check, review, proofread or correct their own work ("is this correct",
  "check my", "proofread", "review my", "any mistakes").
* ``learning`` (follow-up questions) – the opening turn is a question and *every* later user turn is a question
  too: a user who keeps asking is trying to understand, even when a word such as "write" or "list" appears.
* ``task_iteration`` – two or more user turns where later turns refine an output ("make it shorter",
  "change", "instead", "rewrite", "add", "more ...") **or** are short follow-ups (under
  :data:`SHORT_FOLLOW_UP_CHARS` characters, not a question: "Reduce to 30 words", "More", "in Spanish"), after an
  opening that asks for a deliverable. Short follow-ups do not count when the opening sets up a role or a standing
  instruction ("act as ...", "I want you to ...", "from now on ..."): there the short turns are the *input* the
  set-up asked for (a topic, an answer to an interviewer), the user still hands the whole task over, which is
  ``directive``.
* ``learning`` – the opening turn seeks understanding (starts with what/why/how/explain/difference..., or is a
  question) and does not ask for a deliverable.
* ``directive`` – the opening turn asks for a deliverable (write, create, generate, draft, build...).
* When no cue fires: ``learning`` if the opening turn asks a question (a question mark in its first 500
  characters), else ``task_iteration`` for two or more user turns, else ``directive``; ``none`` only when the user
  wrote nothing. (On the goldset's dev split, "no cue" items were mostly directive, learning or iteration, and
  rarely "none"; this fallback raised dev accuracy from 0.55 to 0.68.)

Rules are checked in that order.

How rules version 2 (:data:`PATTERN_RULES_VERSION`) was chosen. The first version was written while reading the
goldset's first 120 dev items (rater a); on the 100 dev items added later (rater e) it reached Cohen's kappa
0.36 against 0.51 on the items it was written on. Nine candidate changes, each a generic reading of the pattern
definitions (short follow-ups; role set-ups; an error pasted in the opening; all-question follow-ups; stricter
error and validation cues; "how to"/"explain" before deliverable words; polite "can you ..." requests; long
unrelated later requests; chit-chat as ``none``), were chosen among by greedy forward selection (a change is kept
when it raises dev kappa by more than 0.005). The selection procedure itself was cross-validated: 10 repeats of
stratified 5-fold CV on the 220 dev items, selecting on the training folds only, gave pooled out-of-fold kappa
0.469 (sd 0.020 over repeats; accuracy 0.636) against 0.438 for version 1 (accuracy 0.623); on the 100 items the
first version was not written on, 0.481 (sd 0.021) against 0.360, better in 86% of the folds (mean per-fold gain
+0.12, sd 0.08). On all 220 dev items the three changes kept give kappa 0.511 (0.515 on the first 120, 0.506 on
the later 100). A multinomial logistic regression (nested CV for its penalty) over the version-1 features, its
output and conversation-shape features reached 0.42 on the same folds, 0.45 with a few principal components of
the opening turn's embedding: no better than version 1 beyond the fold spread and below the selected rules, so
the rules stay rules. Test and check items were not read or scored for any of this.

Screening (is this plausibly work?) combines the embedding similarity to the
nearest task statement with cues of personal or recreational use; its threshold is a parameter of
:class:`~harness.classify.EmbeddingClassifier`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.conversations import Conversation

__all__ = [
    "DOMAIN_CUES", "PATTERN_RULES_VERSION", "SHORT_FOLLOW_UP_CHARS", "ConversationFeatures", "domain_cues",
    "extract_features", "replies_with_code", "rule_pattern",
]

PATTERN_RULES_VERSION = "pattern-rules/2"
"""Name and version of :func:`rule_pattern` (version 2 added the short follow-up, role set-up, opening error
paste and follow-up question rules; see the module docstring)."""
SHORT_FOLLOW_UP_CHARS = 120
"""A later user turn shorter than this, with no question mark, counts as a follow-up on the previous output."""

_ERROR_RE = re.compile(
    r"traceback \(most recent call last\)|\b\w*(error|exception)\b\s*[:(]|\berror\b.*\b(line|got|get|getting|shows?)\b"
    r"|\bi (get|got|am getting|'m getting)\b.*\b(error|warning|exception|output)\b|\bstack ?trace\b"
    r"|\bundefined\b|\bnot working\b|\bdoesn'?t work\b|\bfailed\b|\bsegmentation fault\b|^\s*at [\w.$]+\(",
    re.IGNORECASE | re.MULTILINE,
)
# An error message in the form a program prints it (a weaker cue such as "undefined" or "failed" is left out: in an
# opening turn those words are mostly part of a question, not a paste).
_PASTED_ERROR_RE = re.compile(
    r"traceback \(most recent call last\)|\b\w*(error|exception)\b\s*[:(]|\bstack ?trace\b|segmentation fault"
    r"|^\s*at [\w.$]+\(|\bi (get|got|am getting|'m getting)\b.*\b(error|warning|exception)\b",
    re.IGNORECASE | re.MULTILINE,
)
# Openings that set up a role or a standing instruction, after which short turns supply input rather than refine.
_SETUP_RE = re.compile(
    r"\b(act as|acts as|you are (a|an|now)\b|i want you to|from now on|starting (from )?now|you will (act|be)|pretend)",
    re.IGNORECASE,
)
_VALIDATION_RE = re.compile(
    r"\b(is (this|it|that) (correct|right|good|ok)|check (my|this|if|whether|the following)|proof-?read"
    r"|review (my|this|the following)|any (mistakes|errors)|correct (my|the) (grammar|spelling|mistakes)"
    r"|grammar check|feedback on (my|this)|improve (my|this)|fix (my|the) grammar|evaluate (my|this))\b",
    re.IGNORECASE,
)
_REFINE_RE = re.compile(
    r"\b(make it|make this|shorter|longer|more (formal|casual|concise|detailed)|less|instead|rewrite|rephrase"
    r"|change|add|remove|update|modify|revise|again|another (version|one)|can you (also|now)|now (make|add|write)"
    r"|continue|expand|simplify|edit)\b",
    re.IGNORECASE,
)
_QUESTION_START_RE = re.compile(
    r"^\s*(what|why|how|when|where|which|who|is|are|can|could|does|do|should|explain|tell me about|describe"
    r"|difference between|what's|whats|define|compare)\b",
    re.IGNORECASE,
)
_DELIVERABLE_RE = re.compile(
    r"\b(write|create|generate|draft|compose|build|make|design|develop|implement|produce|prepare|give me|list"
    r"|suggest|translate|summari[sz]e|convert|code|plan|outline)\b",
    re.IGNORECASE,
)
_PERSONAL_RE = re.compile(
    r"\b(my (girlfriend|boyfriend|wife|husband|mom|dad|friend|kids?|son|daughter|crush)|birthday|joke|poem about me"
    r"|role-?play|pretend (you are|to be)|let'?s play|game|dating|tinder|horoscope|dream|i feel|lonely|recipe"
    r"|jailbreak|dan mode|ignore (all|previous) instructions|song lyrics)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ConversationFeatures:
    """Countable facts about a conversation's user turns (no text is kept).

    The last four fields (added with rules version 2) have defaults so that features built by hand in older code
    still construct: ``opening_pastes_error`` – the opening turn holds an error message over three or more lines;
    ``short_follow_ups`` – later turns under :data:`SHORT_FOLLOW_UP_CHARS` characters, with no question mark and no
    refinement cue; ``opening_sets_up_role`` – the opening sets up a role or standing instruction;
    ``later_all_questions`` – there are later turns and every one is a question.
    """

    n_user_turns: int
    first_turn_chars: int
    later_error_turns: int
    any_error: bool
    validation_request: bool
    refinement_turns: int
    opens_with_question: bool
    opening_has_question_mark: bool
    asks_deliverable: bool
    personal_cues: int
    has_code: bool
    opening_pastes_error: bool = False
    short_follow_ups: int = 0
    opening_sets_up_role: bool = False
    later_all_questions: bool = False


def extract_features(conversation: Conversation) -> ConversationFeatures:
    """Compute :class:`ConversationFeatures` from the user's turns."""
    turns = [m.content for m in conversation.messages if m.role == "user" and m.content.strip()]
    first = turns[0] if turns else ""
    later = turns[1:]
    opening = first[:400]
    return ConversationFeatures(
        n_user_turns=len(turns),
        first_turn_chars=len(first),
        later_error_turns=sum(1 for t in later if _ERROR_RE.search(t)),
        any_error=any(_ERROR_RE.search(t) for t in turns),
        validation_request=any(_VALIDATION_RE.search(t[:600]) for t in turns),
        refinement_turns=sum(1 for t in later if _REFINE_RE.search(t[:300])),
        opens_with_question=bool(_QUESTION_START_RE.search(opening)) or opening.rstrip().endswith("?"),
        opening_has_question_mark="?" in first[:500],
        asks_deliverable=bool(_DELIVERABLE_RE.search(opening)),
        personal_cues=sum(len(_PERSONAL_RE.findall(t[:1000])) for t in turns),
        has_code="```" in "".join(turns) or bool(re.search(r"[{};]\s*\n", "".join(turns))),
        opening_pastes_error=bool(_PASTED_ERROR_RE.search(first)) and first.count("\n") >= 2,
        short_follow_ups=sum(
            1 for t in later if len(t) < SHORT_FOLLOW_UP_CHARS and "?" not in t and not _REFINE_RE.search(t[:300])
        ),
        opening_sets_up_role=bool(_SETUP_RE.search(first[:300])),
        later_all_questions=bool(later) and all("?" in t or _QUESTION_START_RE.search(t[:200]) for t in later),
    )


def rule_pattern(features: ConversationFeatures) -> str:
    """Collaboration pattern by the ordered rules in the module docstring (version :data:`PATTERN_RULES_VERSION`)."""
    if features.later_error_turns > 0 or (features.n_user_turns == 1 and features.any_error and features.has_code):
        return "feedback_loop"
    if features.opening_pastes_error:
        return "feedback_loop"
    if features.validation_request:
        return "validation"
    if features.n_user_turns >= 2 and features.opens_with_question and features.later_all_questions:
        return "learning"
    # short follow-ups after a role set-up are the input the set-up asked for, not refinements
    follow_ups = 0 if features.opening_sets_up_role else features.short_follow_ups
    if features.n_user_turns >= 2 and features.refinement_turns + follow_ups >= 1 and features.asks_deliverable:
        return "task_iteration"
    if features.opens_with_question and not features.asks_deliverable:
        return "learning"
    if features.asks_deliverable:
        return "directive"
    if features.opens_with_question or features.opening_has_question_mark:
        return "learning"
    if features.n_user_turns >= 2:
        return "task_iteration"
    return "directive" if features.n_user_turns else "none"


# Words that tie a request to the work of one SOC major group. Written from general knowledge of each field (not
# fitted to any labelled item); the embedding backend boosts tasks of the cued groups, because sentence embeddings
# match a request's *topic* ("sort", "filter", "routes") to unrelated statements that share the word.
DOMAIN_CUES: dict[str, re.Pattern[str]] = {
    "15": re.compile(
        r"```|\b(python|javascript|typescript|java|c\+\+|c#|golang|rust|php|ruby|sql|mysql|postgres\w*|mongodb|api|json"
        r"|yaml|html|css|react|angular|vue|node\.?js|django|flask|spring|docker|kubernetes|aws|azure|gcp|linux|bash"
        r"|shell|git|github|regex|function|class|method|variable|array|string|integer|loop|compile|debug|bug"
        r"|stack ?trace|exception|server|database|query|script|code|coding|program|algorithm|framework|library|npm"
        r"|pip|webpack|excel formula|vba|macro|iptables|nginx|terraform|endpoint|frontend|backend|deploy\w*)\b",
        re.IGNORECASE,
    ),
    "25": re.compile(
        r"\b(lesson plans?|curriculum|syllabus|classroom|students?|teach(ing|er)?|homework|worksheet|quiz(zes)?"
        r"|exam questions|grade \d+|\d+(st|nd|rd|th) grade|lecture|course outline|tutor)\b",
        re.IGNORECASE,
    ),
    "27": re.compile(
        r"\b(story|stories|novel|poem|poetry|lyrics|song|screenplay|scene|chapter|blog post|article|headline|slogan"
        r"|caption|copywrit\w*|logo|illustration|video script|youtube|podcast|tweet|instagram|tiktok"
        r"|social media post|press release|newsletter)\b",
        re.IGNORECASE,
    ),
    "13": re.compile(
        r"\b(marketing|market research|seo|business plan|budget|financ\w+|accounting|invoice|tax(es)?|invest\w*"
        r"|pricing|sales (strategy|pitch|funnel)|kpis?|roi|revenue|customer (acquisition|segment\w*)|audit)\b",
        re.IGNORECASE,
    ),
    "11": re.compile(
        r"\b(strategy|strategic|stakeholders?|okrs?|roadmap|project plan|hiring|recruit\w*|manage (a|my) team"
        r"|leadership|company vision|board meeting)\b",
        re.IGNORECASE,
    ),
    "23": re.compile(
        r"\b(contract|lawsuit|legal|clause|attorney|lawyer|court|plaintiff|defendant|statute|liability|gdpr"
        r"|terms of service)\b",
        re.IGNORECASE,
    ),
    "29": re.compile(
        r"\b(patients?|diagnos\w+|clinical|medication|symptoms?|nurs(e|ing)|physician|therapy|dosage)\b",
        re.IGNORECASE,
    ),
}


def domain_cues(conversation: Conversation, *, max_chars: int = 2000) -> frozenset[str]:
    """SOC major groups whose cue words appear in the user's turns (each turn cut to ``max_chars``)."""
    text = " ".join(m.content[:max_chars] for m in conversation.messages if m.role == "user")
    return frozenset(group for group, pattern in DOMAIN_CUES.items() if pattern.search(text))


def replies_with_code(conversation: Conversation) -> bool:
    """Whether an assistant turn holds a fenced code block: the shape of a programming conversation.

    A user who asks for a login form or a data pipeline often describes the domain ("patients", "invoices") rather
    than the technology; the reply's code block says the work is programming whatever the topic words are.
    """
    return any("```" in m.content for m in conversation.messages if m.role == "assistant")
