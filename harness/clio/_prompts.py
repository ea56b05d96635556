"""Prompt templates of the Clio-style builder and the parsers that validate the model's answers.

Each template is a versioned constant; its SHA-256 is the request's ``prompt_hash`` (part of the answer-cache key),
so editing a template invalidates exactly the answers it produced. Parsers return ``None`` for an answer that cannot
be used; the builder then retries once and falls back to a documented rule.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from harness.llm import sha256_text

__all__ = [
    "ASSIGN_MANY_SYSTEM",
    "ASSIGN_SYSTEM",
    "MERGE_SYSTEM",
    "PROMPT_HASHES",
    "PROPOSE_SYSTEM",
    "RENAME_SYSTEM",
    "Candidate",
    "format_assign",
    "format_assign_many",
    "format_merge",
    "format_propose",
    "format_rename",
    "parse_assign",
    "parse_assign_many",
    "parse_candidates",
    "parse_named",
]

MAX_NAME_CHARS = 160
MAX_DESCRIPTION_CHARS = 600

PROPOSE_SYSTEM = """\
You are organising descriptions of work tasks into a hierarchy of broader task categories.

You will see a group of related items (task statements or existing categories) and, for contrast, a few nearby \
items that belong to other groups. Propose broader parent categories that together cover every item of the group. \
Each parent should be a task in its own right, phrased as an imperative activity ("Prepare and serve food and \
drinks"), specific enough that most items of the group clearly fit one parent and the contrast items mostly do not, \
yet broad enough to hold several items.

Answer with exactly the requested number of parents, each in this form and nothing else:
<candidate><name>short imperative name, at most 12 words</name><description>one or two sentences on what the \
category covers and what it leaves out</description></candidate>"""

MERGE_SYSTEM = """\
You are tidying a list of proposed task categories. Several proposals below were written independently and \
describe overlapping work. Write one category that covers all of them, phrased as an imperative activity.

Answer in this form and nothing else:
<name>short imperative name, at most 12 words</name><description>one or two sentences on what the category \
covers</description>"""

ASSIGN_SYSTEM = """\
You are placing a work task into the broader category that fits it best. Read the task and the numbered \
categories, and choose the single category that most specifically describes the task. Every task must go \
somewhere: when none is perfect, choose the closest.

Answer with the category number only, in this form: <answer>NUMBER</answer>"""

ASSIGN_MANY_SYSTEM = """\
You are placing work tasks into the broader categories that fit them best. Read the numbered categories, then \
each task with the numbers of the categories it may go to (listed in no particular order). For every task, choose \
among its own numbers only the single category that most specifically describes it. Every task must go somewhere: \
when none is perfect, choose the closest.

Answer with one line per task and nothing else, in this form: <answer task="TASK NUMBER">CATEGORY NUMBER</answer>"""

RENAME_SYSTEM = """\
You are naming a category of work tasks from the tasks it actually contains. Read the items and write a name \
and description that fit all of them (not only the first few), phrased as an imperative activity. Prefer the \
specific over the generic, but do not name only a subset.

Answer in this form and nothing else:
<name>short imperative name, at most 12 words</name><description>one or two sentences on what the category \
covers</description>"""

PROMPT_HASHES: dict[str, str] = {
    "propose": sha256_text(PROPOSE_SYSTEM),
    "merge": sha256_text(MERGE_SYSTEM),
    "assign": sha256_text(ASSIGN_SYSTEM),
    "assign_many": sha256_text(ASSIGN_MANY_SYSTEM),
    "rename": sha256_text(RENAME_SYSTEM),
}

RETRY_NOTE = (
    "\n\nYour previous answer to this request could not be read. Follow the answer format exactly this time."
)


@dataclass(frozen=True)
class Candidate:
    """A proposed (or renamed) parent category."""

    name: str
    description: str = ""

    @property
    def text(self) -> str:
        """What gets embedded and shown as an option."""
        return f"{self.name}: {self.description}" if self.description else self.name


def _bullets(items: Sequence[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


def format_propose(members: Sequence[str], contrast: Sequence[str], n_candidates: int, *, retry: bool) -> str:
    """User turn of a proposal request for one neighbourhood."""
    text = (
        f"Items of the group ({len(members)}):\n{_bullets(members)}\n\n"
        f"Nearby items from other groups (for contrast only):\n{_bullets(contrast) if contrast else '- (none)'}\n\n"
        f"Propose {n_candidates} parent categor{'y' if n_candidates == 1 else 'ies'} for the group."
    )
    return text + (RETRY_NOTE if retry else "")


def format_merge(candidates: Sequence[Candidate], *, retry: bool) -> str:
    """User turn asking for one category that covers several overlapping proposals."""
    listed = "\n".join(f"- {c.text}" for c in candidates)
    return f"Overlapping proposals:\n{listed}" + (RETRY_NOTE if retry else "")


def format_assign(child: str, options: Sequence[str], *, retry: bool) -> str:
    """User turn of an assignment request; options are shown numbered from 1 in the given order."""
    numbered = "\n".join(f"{i}. {option}" for i, option in enumerate(options, start=1))
    return f"Task:\n{child}\n\nCategories:\n{numbered}" + (RETRY_NOTE if retry else "")


def format_assign_many(tasks: Sequence[str], options: Sequence[Sequence[int]], categories: Sequence[str], *,
                       retry: bool) -> str:
    """User turn of a batched assignment: the categories numbered from 1 once, then each task (numbered from 1)
    with the category numbers it may choose, in the order given."""
    numbered = "\n".join(f"{i}. {category}" for i, category in enumerate(categories, start=1))
    listed = "\n".join(f"Task {t}: {task}\nOptions: {', '.join(str(o) for o in allowed)}"
                        for t, (task, allowed) in enumerate(zip(tasks, options, strict=True), start=1))
    return f"Categories:\n{numbered}\n\nTasks ({len(tasks)}):\n{listed}" + (RETRY_NOTE if retry else "")


def format_rename(current: Candidate, children: Sequence[str], n_total: int, *, retry: bool) -> str:
    """User turn of a rename request: the working name and (a sample of) the children it received."""
    shown = f"{len(children)} of {n_total}" if len(children) < n_total else str(n_total)
    return (
        f"Working name: {current.text}\n\nItems in the category ({shown}):\n{_bullets(children)}"
        + (RETRY_NOTE if retry else "")
    )


_CANDIDATE_RE = re.compile(r"<candidate>(.*?)</candidate>", re.S | re.I)
_NAME_RE = re.compile(r"<name>(.*?)</name>", re.S | re.I)
_DESCRIPTION_RE = re.compile(r"<description>(.*?)</description>", re.S | re.I)
_ANSWER_RE = re.compile(r"<answer>\s*(\d+)\s*</answer>", re.I)
_TASK_ANSWER_RE = re.compile(r"<answer\s+task\s*=\s*[\"']?(\d+)[\"']?\s*>\s*(\d+)\s*</answer>", re.I)


def _clean(text: str) -> str:
    return " ".join(text.split())


def parse_named(text: str) -> Candidate | None:
    """A ``<name>`` (required, non-empty, at most 160 characters) and optional ``<description>``; else None."""
    names = _NAME_RE.findall(text)
    if len(names) != 1:
        return None
    name = _clean(names[0])
    if not name or len(name) > MAX_NAME_CHARS or "<" in name:
        return None
    described = _DESCRIPTION_RE.findall(text)
    description = _clean(described[0])[:MAX_DESCRIPTION_CHARS] if described else ""
    return Candidate(name, description)


def parse_candidates(text: str, *, limit: int) -> list[Candidate] | None:
    """Every well-formed ``<candidate>`` block (at most ``limit``); None when there is none."""
    out = []
    for block in _CANDIDATE_RE.findall(text):
        candidate = parse_named(block)
        if candidate is not None:
            out.append(candidate)
    return out[:limit] or None


def parse_assign(text: str, n_options: int) -> int | None:
    """The chosen option as a 0-based index, or None when the answer is missing, ambiguous or out of range.

    Accepts ``<answer>N</answer>`` or a bare number as the whole answer.
    """
    found = _ANSWER_RE.findall(text)
    if len(found) == 1:
        value = int(found[0])
    elif not found and text.strip().isdigit():
        value = int(text.strip())
    else:
        return None
    return value - 1 if 1 <= value <= n_options else None


def parse_assign_many(text: str, options: Sequence[Sequence[int]]) -> dict[int, int]:
    """The usable answers of a batched assignment: 0-based task index → the chosen category number as shown.

    A task's answer counts when it appears exactly once and names one of that task's own options; tasks without
    such an answer are left out (they are asked again, then fall back).
    """
    found: dict[int, list[int]] = {}
    for task, category in _TASK_ANSWER_RE.findall(text):
        found.setdefault(int(task), []).append(int(category))
    out = {}
    for task, allowed in enumerate(options, start=1):
        answers = found.get(task, [])
        if len(answers) == 1 and answers[0] in allowed:
            out[task - 1] = answers[0]
    return out
