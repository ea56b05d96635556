"""Versioned prompt templates of the LLM classification steps: loading, hashing, rendering, answer matching.

Each step has one template file per version under ``harness/classify/prompts/`` named ``<step>.<version>.txt``
(``traverse.v1.txt``). A file holds sections introduced by a line ``### <section>``:

* ``system`` – the long shared part (instructions and the option list); sent as the request's system prompt, so
  backends can prompt-cache it;
* ``user`` – the per-item part (the conversation summary or transcript and the question);
* ``retry`` – the corrective note appended to the user part when an answer matched no option (optional);
* ``options`` – fixed options of the step, one ``name: definition`` per line (optional; the pattern step).

Placeholders use :class:`string.Template` syntax (``$name``). The SHA-256 of the whole file is the template's
hash, recorded with every request and every result, so editing a template (even its option definitions) changes
the hash and the answer-cache keys. Never edit a released version in place: add ``<step>.v2.txt`` instead.
"""

from __future__ import annotations

import functools
import hashlib
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "PROMPT_DIR",
    "PROMPT_VERSIONS",
    "STEPS",
    "PromptTemplate",
    "load_prompt",
    "match_option",
    "normalise_answer",
    "prompt_hashes",
]

PROMPT_DIR = Path(__file__).resolve().parent / "prompts"
STEPS: tuple[str, ...] = ("summary", "screening", "traverse", "pattern", "skills")
# The versions the LLM classifier uses by default.
PROMPT_VERSIONS: Mapping[str, str] = MappingProxyType({step: "v1" for step in STEPS})

_SECTION = re.compile(r"^### (\w+)[ \t]*$", re.MULTILINE)
_SECTIONS = frozenset({"system", "user", "retry", "options"})


@dataclass(frozen=True)
class PromptTemplate:
    """One version of a step's prompt.

    Attributes:
        step: Step name (one of :data:`STEPS`).
        version: Version label, e.g. ``"v1"``.
        sha256: Hex SHA-256 of the template file's text.
        system, user, retry: Section texts (``retry`` may be empty).
        options: Fixed ``(name, definition)`` options from the ``options`` section (may be empty).
    """

    step: str
    version: str
    sha256: str
    system: str
    user: str
    retry: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @property
    def name(self) -> str:
        """``<step>.<version>``."""
        return f"{self.step}.{self.version}"

    def _render(self, section: str, fields: Mapping[str, object]) -> str:
        text = getattr(self, section)
        try:
            return string.Template(text).substitute({k: str(v) for k, v in fields.items()})
        except KeyError as exc:
            raise ValueError(f"prompt {self.name}: section {section!r} needs field {exc.args[0]!r}") from None

    def render_system(self, **fields: object) -> str:
        """The system section with ``fields`` filled in."""
        return self._render("system", fields)

    def render_user(self, **fields: object) -> str:
        """The user section with ``fields`` filled in."""
        return self._render("user", fields)

    def render_retry(self, **fields: object) -> str:
        """The corrective note with ``fields`` filled in (empty when the template has none)."""
        return self._render("retry", fields) if self.retry else ""


def _parse(step: str, version: str, text: str, source: Path) -> PromptTemplate:
    sections: dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    if not matches or text[: matches[0].start()].strip():
        raise ValueError(f"{source}: a prompt template must start with a '### system' line")
    for i, match in enumerate(matches):
        name = match.group(1)
        if name not in _SECTIONS or name in sections:
            raise ValueError(f"{source}: unknown or repeated section {name!r}")
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        sections[name] = text[match.end() : end].strip("\n")
    missing = {"system", "user"} - set(sections)
    if missing:
        raise ValueError(f"{source}: missing section(s) {sorted(missing)}")
    options = []
    for line in sections.get("options", "").splitlines():
        if line.strip():
            name, sep, definition = line.partition(":")
            if not sep or not name.strip():
                raise ValueError(f"{source}: option lines look like 'name: definition', got {line!r}")
            options.append((name.strip(), definition.strip()))
    return PromptTemplate(
        step=step,
        version=version,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        system=sections["system"],
        user=sections["user"],
        retry=sections.get("retry", ""),
        options=tuple(options),
    )


@functools.cache
def load_prompt(step: str, version: str | None = None) -> PromptTemplate:
    """Load (once per process) the template of ``step`` at ``version`` (default: :data:`PROMPT_VERSIONS`).

    Raises:
        ValueError: Unknown step, missing file, or a malformed template.
    """
    if step not in STEPS:
        raise ValueError(f"unknown classification step {step!r}; expected one of {STEPS}")
    version = version or PROMPT_VERSIONS[step]
    path = PROMPT_DIR / f"{step}.{version}.txt"
    if not path.is_file():
        raise ValueError(f"no prompt template {path.name} in {PROMPT_DIR}")
    return _parse(step, version, path.read_text(encoding="utf-8"), path)


def prompt_hashes(versions: Mapping[str, str] = PROMPT_VERSIONS) -> dict[str, str]:
    """Step → template hash for the given versions."""
    return {step: load_prompt(step, version).sha256 for step, version in versions.items()}


# -- answer matching ------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+")
_LEADING_NUMBER = re.compile(r"^\s*(?:option\s*)?[(\[]?\s*(\d{1,4})\s*[)\].:\-]?(?:\s+|$)", re.IGNORECASE)
_ANSWER_PREFIX = re.compile(r"^\s*(?:final\s+)?answer\s*[:\-]\s*", re.IGNORECASE)


def normalise_answer(text: str) -> str:
    """Case-fold, unify Unicode forms, turn punctuation/underscores into spaces and collapse whitespace."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_WORD.sub(" ", text).split())


def _candidates(answer: str) -> list[str]:
    """The whole answer, then its first non-empty line, without an ``Answer:`` prefix or wrapping markup."""
    out = []
    lines = [line for line in answer.splitlines() if line.strip()]
    for text in (answer, lines[0] if lines else ""):
        text = _ANSWER_PREFIX.sub("", text.strip()).strip().strip("*\"'`").strip()
        if text and text not in out:
            out.append(text)
    return out


def match_option(answer: str, options: Sequence[str]) -> int | None:
    """Index of the option an answer names, or None.

    Tries, in order: the exact text; the normalised text (:func:`normalise_answer`); the text after a leading
    option number (``"3. Analyze data"``, ``"(3) analyze data"``); a bare option number (1-based, as the options
    are numbered in the prompts). When two options normalise to the same text, the first one wins.
    """
    by_norm: dict[str, int] = {}
    for i, option in enumerate(options):
        by_norm.setdefault(normalise_answer(option), i)
    for text in _candidates(answer):
        if text in options:
            return list(options).index(text)
        norm = normalise_answer(text)
        if norm in by_norm:
            return by_norm[norm]
        numbered = _LEADING_NUMBER.match(text)
        if numbered:
            rest = normalise_answer(text[numbered.end() :])
            if rest:
                if rest in by_norm:
                    return by_norm[rest]
            elif 1 <= int(numbered.group(1)) <= len(options):
                return int(numbered.group(1)) - 1
    return None
