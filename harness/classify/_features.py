"""Conversation features and the documented rules the offline backend uses for screening and patterns.

The rules read only the shape and wording of the *user's* turns:

* ``feedback_loop`` – a later user turn relays what the environment returned: an error trace, a compiler or
  runtime message, or program output pasted back ("I get this error", ``Traceback``, ``Exception``...).
* ``validation`` – the user asks to check, review, proofread or correct their own work ("is this correct",
  "check my", "proofread", "review my", "any mistakes").
* ``task_iteration`` – two or more user turns where later turns refine an output ("make it shorter",
  "change", "instead", "rewrite", "add", "more ...").
* ``learning`` – the opening turn seeks understanding (starts with what/why/how/explain/difference..., or is a
  question) and does not ask for a deliverable.
* ``directive`` – the opening turn asks for a deliverable (write, create, generate, draft, build...).
* When no cue fires: ``learning`` if the opening turn asks a question (a question mark in its first 500
  characters), else ``task_iteration`` for two or more user turns, else ``directive``; ``none`` only when the user
  wrote nothing. (On the goldset's dev split, "no cue" items were mostly directive, learning or iteration, and
  rarely "none"; this fallback raised dev accuracy from 0.55 to 0.68.)

Rules are checked in that order. Screening (is this plausibly work?) combines the embedding similarity to the
nearest task statement with cues of personal or recreational use; its threshold is a parameter of
:class:`~harness.classify.EmbeddingClassifier`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.conversations import Conversation

__all__ = [
    "DOMAIN_CUES", "ConversationFeatures", "domain_cues", "extract_features", "replies_with_code", "rule_pattern",
]

_ERROR_RE = re.compile(
    r"traceback \(most recent call last\)|\b\w*(error|exception)\b\s*[:(]|\berror\b.*\b(line|got|get|getting|shows?)\b"
    r"|\bi (get|got|am getting|'m getting)\b.*\b(error|warning|exception|output)\b|\bstack ?trace\b"
    r"|\bundefined\b|\bnot working\b|\bdoesn'?t work\b|\bfailed\b|\bsegmentation fault\b|^\s*at [\w.$]+\(",
    re.IGNORECASE | re.MULTILINE,
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
    """Countable facts about a conversation's user turns (no text is kept)."""

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
    )


def rule_pattern(features: ConversationFeatures) -> str:
    """Collaboration pattern by the ordered rules in the module docstring."""
    if features.later_error_turns > 0 or (features.n_user_turns == 1 and features.any_error and features.has_code):
        return "feedback_loop"
    if features.validation_request:
        return "validation"
    if features.n_user_turns >= 2 and features.refinement_turns >= 1 and features.asks_deliverable:
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
