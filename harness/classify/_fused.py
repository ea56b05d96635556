"""The LLM backend's fused first call (``LLMClassifierConfig(fuse_steps=True)``, off by default).

Without it, the model reads the transcript once to summarise it, and then screening, the top level of the walk,
the collaboration pattern and the skills each read that summary in a call of their own, each call repeating the
summary and its instructions. With it, one call reads the transcript and answers all five: the summary (for the
levels below the top), the screening verdict, the pattern, the skills and the top-level work activity. Its system
prompt (the instructions, the pattern definitions and the skills, and the top-level options when they are not
shortlisted) is the same for every conversation that draws the same option order, so it is prompt-cached like the
other steps' option lists; a shortlist of top-level options is particular to the conversation and goes in the
user turn instead.

Every answer of the fused call is read on its own: one that is missing or names no option (or a summary cut short
by the output limit) is asked again by the step it replaces, exactly as without fusing (with its own retry), so a
malformed reply costs calls, never a wrong label. The fused call has its own template (``facets.v1``) and step
name, so the cache keys of the unfused configuration are untouched.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from harness.classify._prompts import PROMPT_DIR, PromptTemplate, _parse, match_option
from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.taxonomy import Node

if TYPE_CHECKING:
    from harness.classify._llm_backend import LLMClassifier, _Run

__all__ = ["FUSED_STEP", "FUSED_VERSION", "FusedAnswer", "fused_pipeline", "load_fused_prompt", "parse_fused"]

FUSED_STEP = "facets"
FUSED_VERSION = "v1"
_FIELDS = ("SUMMARY", "WORK", "PATTERN", "SKILLS", "ACTIVITY")
_LABEL = re.compile(r"^[\s*_#>-]*(" + "|".join(_FIELDS) + r")[\s*_]*:[\s*_]*", re.IGNORECASE | re.MULTILINE)
_ACTIVITY_RULE = (
    "\nACTIVITY – the work activity in the numbered list (the top level of a hierarchy derived from O*NET) that best "
    "describes the work the user wanted help with, judged by the activity itself rather than by the tools involved "
    "or the user's wording; if none fits well, the closest. The numbers are for reference only; the order is "
    "random and means nothing.\n"
)


def load_fused_prompt(version: str = FUSED_VERSION) -> PromptTemplate:
    """The fused call's template (kept out of :data:`~harness.classify.STEPS`, whose templates every configuration
    records).

    Raises:
        ValueError: No such version, or a malformed template.
    """
    path = PROMPT_DIR / f"{FUSED_STEP}.{version}.txt"
    if not path.is_file():
        raise ValueError(f"no prompt template {path.name} in {PROMPT_DIR}")
    return _parse(FUSED_STEP, version, path.read_text(encoding="utf-8"), path)


@dataclass(frozen=True)
class FusedAnswer:
    """What one reply of the fused call settles; ``None`` marks an answer to ask again in its own step."""

    summary: str | None = None
    occupational: bool | None = None
    pattern: str | None = None
    skills: tuple[str, ...] | None = None
    activity: int | None = None


def _fields(text: str) -> dict[str, str]:
    """Label → text up to the next label (the first occurrence of a label wins)."""
    marks = list(_LABEL.finditer(text))
    out: dict[str, str] = {}
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        out.setdefault(mark.group(1).upper(), text[mark.end() : end].strip())
    return out


def parse_fused(
    text: str, *, patterns: Sequence[str], skills: Sequence[str], activities: Sequence[str], complete: bool = True
) -> FusedAnswer:
    """Read a fused reply against the options shown (names as shown; ``activities`` empty when none were asked).

    Args:
        text: The model's reply.
        patterns, skills, activities: The option names of each question.
        complete: False when the reply stopped at the output limit: its summary may be cut, so it is not used.
    """
    from harness.classify._llm_backend import _parse_skills, _parse_yes_no

    found = _fields(text)
    summary = found.get("SUMMARY") or None
    work = _parse_yes_no(found["WORK"]) if "WORK" in found else None
    pattern = match_option(found["PATTERN"], patterns) if "PATTERN" in found else None
    chosen = _parse_skills(found["SKILLS"], skills) if "SKILLS" in found else None
    activity = match_option(found["ACTIVITY"], activities) if activities and "ACTIVITY" in found else None
    return FusedAnswer(
        summary=summary if complete else None,
        occupational=work,
        pattern=patterns[pattern] if pattern is not None else None,
        skills=tuple(skills[i] for i in chosen) if chosen is not None else None,
        activity=activity,
    )


def _orders(clf: LLMClassifier, conversation_id: str, sizes: dict[str, int]) -> dict[str, list[int]]:
    """Seeded orders of the fused call's lists, all drawn from one variant so the system prompt has at most
    ``order_variants`` forms (the prompt cache then holds a handful of prefixes, not their product)."""
    seed, variants = clf.config.seed, clf.config.order_variants
    own = random.Random(f"{seed}|{conversation_id}|{FUSED_STEP}")
    tag = str(own.randrange(variants)) if variants is not None else f"own|{conversation_id}"
    orders = {}
    for name, n in sizes.items():
        order = list(range(n))
        random.Random(f"{seed}|{FUSED_STEP}|{tag}|{name}").shuffle(order)
        orders[name] = order
    return orders


def _top_options(clf: LLMClassifier, conv: Conversation) -> tuple[list[Node], bool]:
    """The top level's options as the walk would show them, and whether a shortlist cut them; none when the walk
    will not ask (no walk, or a single option)."""
    if not clf.config.traverse or len(clf.hierarchy.levels) < 2:
        return [], False
    children = clf.hierarchy.children(None)
    shown = clf._shortlisted(conv, 0, children)
    return (shown, len(shown) < len(children)) if len(shown) > 1 else ([], False)


async def _fused_call(
    clf: LLMClassifier, run: _Run, conv: Conversation, transcript: str
) -> tuple[FusedAnswer, Node | None]:
    """Ask the fused question; the answers it settles and the top-level node it chose (if any)."""
    t = clf.fused_template
    pattern_options = clf.templates["pattern"].options
    top, cut = _top_options(clf, conv)
    orders = _orders(clf, conv.id, {"pattern": len(pattern_options), "skills": len(clf.skills), "top": len(top)})
    patterns = [pattern_options[i] for i in orders["pattern"]]
    skills = [clf.skills[i] for i in orders["skills"]]
    shown_top = [top[i] for i in orders["top"]]
    block = ""
    from harness.classify._llm_backend import _numbered, _shorten

    if shown_top:
        details = [_shorten(o.description, clf.config.description_chars) for o in shown_top] \
            if clf.config.description_chars else []
        block = _numbered([o.name for o in shown_top], details) + "\n"
    fields = {
        "patterns": "\n".join(f"{name}: {definition}" for name, definition in patterns),
        "skills": "\n".join(f"{name}: {_shorten(d, 300)}" for name, d in skills) or "(none to choose)",
        "activity_rule": _ACTIVITY_RULE if shown_top else "",
        "activity_line": "ACTIVITY: <the title of one option, without its number>" if shown_top else "",
    }
    # one system prompt per option order (the top-level options join it only when every conversation sees them)
    key = (f"{FUSED_STEP}|{'cut' if cut else 'full'}", tuple(orders["pattern"] + orders["skills"]
                                                            + ([] if cut else orders["top"])))
    system = clf._system(key, lambda: t.render_system(**fields, system_activities="" if cut else block))
    user = t.render_user(transcript=transcript, user_activities=block if cut else "")
    run.hashes[FUSED_STEP] = t.sha256
    response = await clf._call(run, conv, FUSED_STEP, t, system, user, max_tokens=600)
    answer = parse_fused(response.text, patterns=[n for n, _ in patterns], skills=[n for n, _ in skills],
                         activities=[o.name for o in shown_top], complete=response.stop_reason != "max_tokens")
    pick = shown_top[answer.activity] if answer.activity is not None else None
    return answer, pick


async def _screen(clf: LLMClassifier, run: _Run, conv: Conversation, item: str) -> bool | None:
    """The screening step, for a fused reply without a usable verdict (the same request as without fusing)."""
    from harness.classify._llm_backend import _parse_yes_no

    t = clf.templates["screening"]
    run.hashes["screening"] = t.sha256
    return await clf._ask(run, conv, "screening", t, t.render_system(), t.render_user(item=item), _parse_yes_no,
                          max_tokens=8)


async def fused_pipeline(clf: LLMClassifier, conv: Conversation, run: _Run) -> Classification:
    """Classify one conversation with the fused first call; each unsettled answer is asked in its own step."""
    from harness.classify._llm_backend import _transcript

    limit = clf.config.max_transcript_chars
    transcript = _transcript(conv, limit, clf.config.max_reply_chars or limit)
    answer, top = await _fused_call(clf, run, conv, transcript)
    item = f"<summary>\n{answer.summary}\n</summary>" if answer.summary else \
        f"<conversation>\n{transcript}\n</conversation>"
    del transcript

    occupational = answer.occupational
    if occupational is None:
        occupational = await _screen(clf, run, conv, item)
    path: tuple[str, ...] = ()
    top_k: tuple[str, ...] = ()
    go_on = occupational is not False or clf.config.traverse_non_occupational
    if go_on and clf.config.traverse:
        run.hashes["traverse"] = clf.templates["traverse"].sha256
        path, top_k = await clf._traverse(run, conv, item, first=top)
    pattern = answer.pattern if answer.pattern is not None else await clf._pattern(run, conv, item)
    skills: tuple[str, ...] = ()
    if clf.skills and go_on:
        if answer.skills is None:
            skills = await clf._skills(run, conv, item)
        else:  # canonical order, not the shown one, as the skills step gives them
            skills = tuple(name for name, _ in clf.skills if name in set(answer.skills))
    confidence = await clf._agreement(run, conv, item, path) if clf.config.confidence_samples and path else None
    return clf._result(conv, run, occupational=occupational, path=path, top_k=top_k, pattern=pattern,
                       skills=skills, confidence=confidence)
