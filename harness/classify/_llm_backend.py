"""The LLM backend: a model screens each conversation, walks the hierarchy and labels its facets.

Steps per conversation (each a versioned prompt template, see :mod:`harness.classify._prompts`):

1. **Summary** (optional, on by default) – the model reads the transcript once (the user's turns whole, long
   assistant replies shortened to their opening, ``max_reply_chars``) and writes a short summary that
   leaves out names and identifying details; the later steps read the summary instead of the transcript. The
   summary lives only in memory (and, like every answer, in the local answer cache when one is used); it is never
   put in a result, a log record or an error message.
2. **Screening** – could the request be part of someone's work? yes/no.
3. **Traversal** – top → … → base, the model picks one child of the current node at each level. Options are
   shown numbered in a shuffled order. The answer must name an option; near misses are recovered by normalised
   matching (:func:`~harness.classify._prompts.match_option`); an answer that still matches nothing gets one retry
   with a corrective note and is then recorded as invalid (``valid=False``, ``invalid_reason`` names the step),
   never raised. A node with a single child is taken without asking. With ``top_k > 1`` the base level asks for up
   to ``top_k`` options, best first. Skipped when screening says no, unless ``traverse_non_occupational``; run
   when screening itself was invalid (an unknown verdict is not a no).
4. **Collaboration pattern** – one of :data:`harness.taxonomy.PATTERNS`, for every conversation.
5. **Skills** – any subset of the given O*NET skills, or none; occupational (or unscreened) conversations only.

**Shuffling and prompt caching.** The long shared part of each request (instructions and option list) is the
system prompt, which backends prompt-cache; the per-item part (summary) is the user turn. A fresh random order per
conversation would make every system prompt unique and defeat the cache, so by default each option list has
``order_variants`` (4) seeded orders and every conversation draws one of them with a generator seeded by
``(seed, conversation id, node)``. ``order_variants=None`` gives every conversation its own order (no caching of
option lists). Either way the same seed gives the same requests.

**Failures.** Unmatched answers never raise. A model call rejected as a bad request (HTTP 400/413/422, e.g. a
prompt over the context limit), or one that got no readable answer after every retry
(:class:`~harness.llm.LLMRequestError`: malformed or cut-off replies, dropped connections, timeouts), marks that
conversation invalid and the others go on; any other :class:`~harness.llm.LLMError` (a rejected key, an API that
stays overloaded) propagates, since it would affect every conversation alike, and the conversations still in
flight are cancelled.

**Confidence (off by default).** With ``confidence_samples`` = k > 0 the traversal is asked k more times, each
with the next of the ``order_variants`` option orders after the one the conversation drew (so every request is
one the prompt cache has seen or will see again); ``confidence`` is the share of those repeats whose task lies in a
major group of the predicted task (:func:`~harness.classify._confidence.agreement_share`). It is uncalibrated: it
says how stable the answer is under reordering, and ``harness validate`` reports how well it tracks accuracy. Each
repeat costs one traversal (one call per level); its tokens count in the conversation's totals, a repeat that
gets no usable answer counts as a disagreement and never makes the conversation invalid, and
:attr:`LLMClassifier.confidence_usage` adds up what the repeats cost.

**Shortlist and fused first call (both off by default).** ``shortlist`` cuts each level's options to the ones the
offline embedding backend scores highest before the model picks (:mod:`harness.classify._shortlist`; the spec then
reads ``<scheme>:<model>+shortlist:<k>``); ``fuse_steps`` lets one call read the transcript and settle the summary,
screening, pattern, skills and the top level (:mod:`harness.classify._fused`). Neither changes a request of the
default configuration, so its answer-cache keys stay as they were.

Tokens (input, output, cache reads and writes), estimated cost and model latency are summed over every call made
for a conversation, retries included; answers served from the answer cache count zero tokens and zero cost.
"""

from __future__ import annotations

import asyncio
import functools
import random
import re
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from harness.classify._confidence import agreement_share
from harness.classify._fused import fused_pipeline, load_fused_prompt
from harness.classify._prompts import (
    PROMPT_VERSIONS,
    STEPS,
    PromptTemplate,
    load_prompt,
    match_option,
    normalise_answer,
)
from harness.classify._shortlist import Shortlister, ShortlistScores, format_shortlist, parse_shortlist
from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.llm import LLM, LLMError, LLMRequest, LLMRequestError, LLMResponse, Usage
from harness.taxonomy import PATTERNS, Hierarchy, Node

__all__ = ["METHOD_VERSION", "NO_USABLE_ANSWER", "LLMClassifier", "LLMClassifierConfig"]

METHOD_VERSION = "llm-traversal/1"
# Marks a failure of the transport rather than of the model's judgement: the classify pipeline retries such
# conversations when a run is resumed (see harness.classify._pipeline), whereas a bad answer stays as recorded.
NO_USABLE_ANSWER = "no usable answer from the model"
_T = TypeVar("_T")
# The settings describe() records, in the order it has always recorded them.
_DESCRIBED = ("summarise", "top_k", "traverse_non_occupational", "traverse", "order_variants", "max_transcript_chars",
              "max_reply_chars", "description_chars", "temperature", "max_concurrency")
# Rejections that concern this one request; everything else (auth, exhausted retries) concerns the whole run.
_PER_REQUEST_STATUS = frozenset({400, 413, 422})
_RULE_ONE = "Reply with the title of exactly one option as written in the list (without its number), and nothing else."
_RULE_MANY = (
    "Reply with up to {k} option titles, best first, one per line, each as written in the list (without its "
    "number), and nothing else."
)


@dataclass
class _Run:
    """Book-keeping of one conversation's classification (mutable, never leaves this module)."""

    conversation_id: str
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    cost_unknown: bool = False
    latency_s: float = 0.0
    calls: int = 0
    step: str = ""
    failures: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)

    def add(self, response: LLMResponse) -> None:
        self.calls += 1
        self.usage = self.usage + response.usage
        self.latency_s += response.latency_s
        if response.cost_usd is None:
            self.cost_unknown = True
        else:
            self.cost_usd += response.cost_usd


def _transcript(conv: Conversation, max_chars: int, max_reply_chars: int) -> str:
    """The conversation as ``Role: text`` paragraphs; long assistant replies shortened, then the middle cut out
    when the whole is longer than ``max_chars``."""
    parts = []
    for m in conv.messages:
        content = m.content.strip()
        if not content:
            continue
        if m.role == "assistant" and len(content) > max_reply_chars:
            # The user's turns carry the request and how they steer; the replies only give context.
            left_out = len(content) - max_reply_chars
            content = f"{content[:max_reply_chars]} [... {left_out} more characters of this reply left out ...]"
        parts.append(f"{m.role.capitalize()}: {content}")
    text = "\n\n".join(parts)
    if len(text) <= max_chars:
        return text
    # The opening states the task and the end shows how it went; the middle is what can go.
    head, tail = max_chars * 2 // 3, max_chars // 3
    return f"{text[:head]}\n\n[... {len(text) - head - tail} characters left out ...]\n\n{text[-tail:]}"


def _excerpt(text: str, limit: int = 160) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return cut + " …"


def _numbered(labels: Sequence[str], details: Sequence[str] = ()) -> str:
    lines = []
    for i, label in enumerate(labels, 1):
        lines.append(f"{i}. {label}")
        if i - 1 < len(details) and details[i - 1]:
            lines.append(f"   {details[i - 1]}")
    return "\n".join(lines)


def _parse_yes_no(text: str) -> bool | None:
    words = normalise_answer(text).split()
    if words and words[0] in ("yes", "no"):
        return words[0] == "yes"
    return None


_LIST_SPLIT = re.compile(r"[\n;,]+")


def _match_many(text: str, labels: Sequence[str], limit: int) -> tuple[int, ...] | None:
    """Up to ``limit`` distinct options named one per line (unmatched lines are skipped); None if none match."""
    found: list[int] = []
    for line in text.splitlines():
        if line.strip():
            index = match_option(line, labels)
            if index is not None and index not in found:
                found.append(index)
    return tuple(found[:limit]) or None


def _parse_skills(text: str, names: Sequence[str]) -> tuple[int, ...] | None:
    """Indices of the skills named (one per line, or separated by commas/semicolons); () for "none"."""
    if normalise_answer(text) in ("none", "no skills", "none of them", "none of the listed skills"):
        return ()
    found: list[int] = []
    for part in _LIST_SPLIT.split(text):
        if not part.strip() or normalise_answer(part) == "none":
            continue
        index = match_option(part, names)
        if index is None:
            return None  # any unknown name makes the whole answer suspect: ask again
        if index not in found:
            found.append(index)
    return tuple(found) if found else None


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


@dataclass(frozen=True)
class LLMClassifierConfig:
    """Settings of :class:`LLMClassifier` (the module docstring says what each step does).

    Attributes:
        seed: Seed of the option orders (recorded in the manifest).
        summarise: Run the summary step and feed the summary, not the transcript, to the later steps.
        top_k: Options to ask for at the base level (best first); 1 asks for a single answer.
        max_concurrency: Conversations classified at once (the model client may limit requests further).
        traverse_non_occupational: Walk the hierarchy (and pick skills) even when screening says no.
        traverse: Walk the hierarchy at all; False leaves ``path`` empty (for facet-only evaluations).
        order_variants: Seeded option orders per option list that conversations draw from; ``None`` for a
            separate order per conversation (see the module docstring for why the default is 4).
        max_transcript_chars: Longer transcripts lose their middle before the model reads them.
        max_reply_chars: Assistant replies are cut to their first ``max_reply_chars`` characters in the transcript
            the model reads (the user's turns are kept whole); ``None`` keeps them whole.
        description_chars: Option descriptions above the base level are cut to about this length.
        temperature: Sampling temperature, or None for the model's default (current models accept only that).
        prompt_versions: Step → template version, overriding :data:`~harness.classify._prompts.PROMPT_VERSIONS`
            (a mapping, kept as sorted ``(step, version)`` pairs).
        confidence_samples: Repeated traversals under other option orders whose agreement gives ``confidence``
            (0: none, the default; at most ``order_variants`` - 1 so every repeat sees a different order).
        shortlist: Cut each level's options to the embedding backend's best ``k`` before the model picks (see
            :mod:`harness.classify._shortlist`): one cap for every level or one per level, top first, as numbers
            or as the spec's text (``"30"``, ``"12,6,30"``); empty (the default) shows every option.
        fuse_steps: One call reads the transcript and settles the summary, screening, pattern, skills and the top
            level of the walk (see :mod:`harness.classify._fused`); needs ``summarise``. Off by default.

    Raises:
        ValueError: A value out of range or a prompt version for a step that does not exist.
    """

    seed: int = 0
    summarise: bool = True
    top_k: int = 1
    max_concurrency: int = 8
    traverse_non_occupational: bool = False
    traverse: bool = True
    order_variants: int | None = 4
    max_transcript_chars: int = 24_000
    max_reply_chars: int | None = 1_200
    description_chars: int = 200
    temperature: float | None = None
    prompt_versions: Mapping[str, str] | tuple[tuple[str, str], ...] = ()
    confidence_samples: int = 0
    shortlist: tuple[int, ...] | str | int = ()
    fuse_steps: bool = False

    def __post_init__(self) -> None:
        if not _positive_int(self.top_k):
            raise ValueError(f"top_k must be a positive int, got {self.top_k!r}")
        if not _positive_int(self.max_concurrency):
            raise ValueError(f"max_concurrency must be a positive int, got {self.max_concurrency!r}")
        if self.order_variants is not None and not _positive_int(self.order_variants):
            raise ValueError(f"order_variants must be None or a positive int, got {self.order_variants!r}")
        if self.max_transcript_chars < 1000:
            raise ValueError(f"max_transcript_chars must be >= 1000, got {self.max_transcript_chars}")
        if self.max_reply_chars is not None and self.max_reply_chars < 100:
            raise ValueError(f"max_reply_chars must be None or >= 100, got {self.max_reply_chars}")
        if self.description_chars < 0:
            raise ValueError(f"description_chars must be >= 0, got {self.description_chars}")
        samples = self.confidence_samples
        if isinstance(samples, bool) or not isinstance(samples, int) or samples < 0:
            raise ValueError(f"confidence_samples must be a non-negative int, got {samples!r}")
        if self.order_variants is not None and samples > self.order_variants - 1:
            raise ValueError(f"confidence_samples must be at most order_variants - 1 = {self.order_variants - 1} "
                             f"(each repeat needs another option order), got {samples}")
        # kept as sorted (step, version) pairs so the config stays hashable and cannot be changed behind its back
        versions = tuple(sorted(dict(self.prompt_versions).items()))
        unknown = {step for step, _ in versions} - set(STEPS)
        if unknown:
            raise ValueError(f"unknown steps in prompt_versions: {sorted(unknown)}; steps are {STEPS}")
        for name in ("summarise", "traverse_non_occupational", "traverse"):
            object.__setattr__(self, name, bool(getattr(self, name)))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "prompt_versions", versions)
        shortlist = () if self.shortlist in ((), "", None) else parse_shortlist(self.shortlist)
        object.__setattr__(self, "shortlist", shortlist)
        object.__setattr__(self, "fuse_steps", bool(self.fuse_steps))
        if self.fuse_steps and not self.summarise:
            raise ValueError("fuse_steps needs summarise: the fused call writes the summary the walk reads")


class LLMClassifier:
    """Classify conversations with a language model (the method is described in the module docstring).

    Args:
        hierarchy: The hierarchy to walk (any number of levels).
        llm: The model backend (:func:`harness.llm.get_llm`; wrap it in :class:`~harness.llm.CachedLLM` so re-runs
            are free and a killed run resumes).
        config: The method's settings (default: :class:`LLMClassifierConfig` as it comes).
        skills: ``(name, description)`` pairs of the skills to choose from, e.g. the 35 rows of
            ``load_onet(...).skill_reference``; empty disables the skills step.

    Raises:
        ValueError: Duplicate or empty skill names, or prompt templates that do not define the patterns.
    """

    def __init__(
        self,
        hierarchy: Hierarchy,
        llm: LLM,
        config: LLMClassifierConfig | None = None,
        *,
        skills: Sequence[tuple[str, str]] = (),
    ):
        config = config or LLMClassifierConfig()
        names = [name for name, _ in skills]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError("skill names must be non-empty and distinct")
        versions = {**PROMPT_VERSIONS, **dict(config.prompt_versions)}
        self.hierarchy = hierarchy
        self.llm = llm
        self.config = config
        self.skills: tuple[tuple[str, str], ...] = tuple((str(n), str(d)) for n, d in skills)
        self.templates: dict[str, PromptTemplate] = {step: load_prompt(step, versions[step]) for step in STEPS}
        pattern_names = tuple(name for name, _ in self.templates["pattern"].options)
        if set(pattern_names) != set(PATTERNS):
            raise ValueError(f"prompt {self.templates['pattern'].name} must define exactly the patterns {PATTERNS}")
        self._systems: dict[tuple[str, tuple[int, ...]], str] = {}
        self.shortlister = Shortlister(hierarchy, config.shortlist) if config.shortlist else None
        self._scores: dict[str, ShortlistScores] = {}  # of the conversations in flight, when shortlisting
        self.fused_template = load_fused_prompt() if config.fuse_steps else None
        self.confidence_usage: dict[str, Any] = {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost_usd": 0.0}
        """What the confidence repeats cost so far in this process (calls, tokens, dollars or None if unknown)."""

    # -- Classifier protocol ------------------------------------------------------------------------------------

    @property
    def spec(self) -> str:
        shortlist = f"+shortlist:{format_shortlist(self.config.shortlist)}" if self.config.shortlist else ""
        return f"{self.llm.backend}:{self.llm.model_id}{shortlist}"

    def describe(self) -> dict[str, Any]:
        return {
            "backend": self.llm.backend,
            "model": self.llm.model_id,
            "method": METHOD_VERSION,
            "hierarchy_id": self.hierarchy.id,
            "seed": self.config.seed,
            # the manifest's layout predates LLMClassifierConfig; it stays as it was so old runs compare
            "config": {
                **{name: getattr(self.config, name) for name in _DESCRIBED},
                "n_skills": len(self.skills),
                # recorded only when on, so the default configuration describes itself as it always did
                **({"confidence_samples": self.config.confidence_samples} if self.config.confidence_samples else {}),
                **({"shortlist": self.shortlister.describe()} if self.shortlister is not None else {}),
                **({"fuse_steps": {"template": self.fused_template.name, "sha256": self.fused_template.sha256}}
                   if self.fused_template is not None else {}),
            },
            "prompt_versions": {step: t.version for step, t in self.templates.items()},
            "prompt_hashes": self.prompt_hashes(),
        }

    def prompt_hashes(self) -> dict[str, str]:
        """Step → SHA-256 of the template in use."""
        return {step: t.sha256 for step, t in self.templates.items()}

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        """Classify ``conversations`` (order preserved), running up to ``max_concurrency`` of them at once.

        Synchronous wrapper around :meth:`aclassify`; from async code (e.g. an inspect solver) await
        :meth:`aclassify` instead.
        """
        conversations = list(conversations)
        if not conversations:
            return []

        async def main() -> list[Classification]:
            try:
                return await self.aclassify(conversations)
            finally:
                closer = getattr(self.llm, "aclose", None)
                if closer is not None:
                    await closer()  # the HTTP client is tied to this event loop

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(main())
        with ThreadPoolExecutor(max_workers=1) as pool:  # called from inside a running loop: use a fresh one
            return pool.submit(asyncio.run, main()).result()

    async def aclassify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        """Async :meth:`classify` (order preserved)."""
        semaphore = asyncio.Semaphore(self.config.max_concurrency)
        if self.shortlister is not None:  # one embedding pass for the batch rather than one per conversation
            todo = [c for c in conversations if c.id not in self._scores]
            self._scores.update(zip([c.id for c in todo], self.shortlister.score(todo), strict=True))

        async def one(conv: Conversation) -> Classification:
            async with semaphore:
                return await self.aclassify_one(conv)

        tasks = [asyncio.ensure_future(one(c)) for c in conversations]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            # A failure that ends the run (a rejected key, say) must stop the other conversations before the
            # caller closes the client; left running, they would fail on the closed connection and log retries.
            pending = [t for t in tasks if not t.done()]
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def aclassify_one(self, conv: Conversation) -> Classification:
        """Classify one conversation."""
        run = _Run(conv.id)
        try:
            return await self._pipeline(conv, run)
        except LLMRequestError as exc:
            # no readable answer even after retries (garbled replies, dropped connections, timeouts)
            run.failures.append(f"{run.step}: {NO_USABLE_ANSWER} ({exc.reason})")
            return self._result(conv, run, occupational=None)
        except LLMError as exc:
            if exc.status_code not in _PER_REQUEST_STATUS:
                raise
            run.failures.append(f"{run.step}: model call rejected (HTTP {exc.status_code} {exc.error_type or ''})")
            return self._result(conv, run, occupational=None)
        finally:
            self._scores.pop(conv.id, None)

    # -- steps --------------------------------------------------------------------------------------------------

    async def _pipeline(self, conv: Conversation, run: _Run) -> Classification:
        if self.fused_template is not None:
            return await fused_pipeline(self, conv, run)
        limit = self.config.max_transcript_chars
        transcript = _transcript(conv, limit, self.config.max_reply_chars or limit)
        item = f"<conversation>\n{transcript}\n</conversation>"
        if self.config.summarise:
            t = self.templates["summary"]
            run.hashes["summary"] = t.sha256
            response = await self._call(
                run, conv, "summary", t, t.render_system(), t.render_user(transcript=transcript), max_tokens=400
            )
            summary = response.text.strip()
            if summary and response.stop_reason != "max_tokens":
                item = f"<summary>\n{summary}\n</summary>"
        del transcript

        t = self.templates["screening"]
        run.hashes["screening"] = t.sha256
        occupational = await self._ask(
            run, conv, "screening", t, t.render_system(), t.render_user(item=item), _parse_yes_no, max_tokens=8
        )

        path: tuple[str, ...] = ()
        top_k: tuple[str, ...] = ()
        go_on = occupational is not False or self.config.traverse_non_occupational
        if go_on and self.config.traverse:
            run.hashes["traverse"] = self.templates["traverse"].sha256
            path, top_k = await self._traverse(run, conv, item)

        pattern = await self._pattern(run, conv, item)

        skills: tuple[str, ...] = ()
        if self.skills and go_on:
            skills = await self._skills(run, conv, item)
        confidence = await self._agreement(run, conv, item, path) if self.config.confidence_samples and path else None
        return self._result(
            conv, run, occupational=occupational, path=path, top_k=top_k, pattern=pattern, skills=skills,
            confidence=confidence,
        )

    async def _agreement(self, run: _Run, conv: Conversation, item: str, path: tuple[str, ...]) -> float | None:
        """Ask the traversal again under other option orders; the share of repeats that agree on the major group."""
        repeats: list[set[str]] = []
        for shift in range(1, self.config.confidence_samples + 1):
            extra = _Run(conv.id)
            try:
                other, _ = await self._traverse(extra, conv, item, shift=shift)
            except LLMError as exc:
                if not isinstance(exc, LLMRequestError) and exc.status_code not in _PER_REQUEST_STATUS:
                    raise
                other = ()  # no usable answer: counted as a disagreement, never as a failure of the conversation
            run.usage = run.usage + extra.usage
            run.latency_s += extra.latency_s
            run.calls += extra.calls
            run.cost_unknown |= extra.cost_unknown
            run.cost_usd += extra.cost_usd
            spent = self.confidence_usage
            spent["calls"] += extra.calls
            spent["input_tokens"] += extra.usage.input_tokens
            spent["output_tokens"] += extra.usage.output_tokens
            spent["cost_usd"] = None if spent["cost_usd"] is None or extra.cost_unknown else \
                spent["cost_usd"] + extra.cost_usd
            repeats.append(self._major_groups(other[-1]) if other else set())
        return agreement_share(self._major_groups(path[-1]), repeats)

    def _major_groups(self, node_id: str) -> set[str]:
        return {soc[:2] for soc in self.hierarchy[node_id].meta.get("soc_codes", ())}

    async def _traverse(self, run: _Run, conv: Conversation, item: str,
                        shift: int = 0, first: Node | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Walk from the top (``first``: the top-level pick is already made, by the fused call)."""
        t = self.templates["traverse"]
        levels = self.hierarchy.levels
        parent: str | None = None
        chosen: list[Node] = []
        ranked: tuple[str, ...] = ()
        for depth, level in enumerate(levels):
            step = f"traverse.{level}"
            children = self.hierarchy.children(parent)
            if not children:
                run.failures.append(f"{step}: node {parent} has no children to choose from")
                return (), ()
            shown = self._shortlisted(conv, depth, children)
            cut, children = len(shown) < len(children), shown
            k = self.config.top_k if depth == len(levels) - 1 else 1
            if len(children) == 1 or (depth == 0 and first is not None):
                pick = first if depth == 0 and first is not None else children[0]
                ranked = (pick.id,)
            else:
                order = self._permutation(f"traverse|{parent or '<root>'}", conv.id, len(children), shift=shift)
                options = [children[i] for i in order]
                labels = [o.name for o in options]
                rule = _RULE_ONE if k == 1 else _RULE_MANY.format(k=k)
                base = depth == len(levels) - 1
                details = [] if base else [_shorten(o.description, self.config.description_chars) for o in options]
                if self.config.description_chars == 0:
                    details = []
                trail = " > ".join(n.name for n in chosen) or "nothing yet (this is the first level)"
                fields = {"chosen": trail, "level": level, "options": _numbered(labels, details), "answer_rule": rule}
                render = functools.partial(t.render_system, **fields)
                # a shortlist is this conversation's own: neither kept for reuse nor marked for the prompt cache
                system = render() if cut else self._system((f"traverse|{parent}|{k}", tuple(order)), render)
                user = t.render_user(item=item, level=level, answer_rule=rule)
                parse: Callable[[str], Any] = (
                    functools.partial(match_option, options=labels)
                    if k == 1
                    else functools.partial(_match_many, labels=labels, limit=k)
                )
                answer = await self._ask(run, conv, step, t, system, user, parse, max_tokens=60 + 90 * k,
                                         retry_fields={"answer_rule": rule}, cache_prefix=not cut)  # fmt: skip
                if answer is None:
                    return (), ()
                picks = [options[answer]] if k == 1 else [options[i] for i in answer]
                pick, ranked = picks[0], tuple(p.id for p in picks)
            chosen.append(pick)
            parent = pick.id
        return tuple(n.id for n in chosen), ranked

    async def _pattern(self, run: _Run, conv: Conversation, item: str) -> str | None:
        """The collaboration-pattern step: the patterns with their definitions in a seeded order, one pick."""
        t = self.templates["pattern"]
        run.hashes["pattern"] = t.sha256
        names = [name for name, _ in t.options]
        order = self._permutation("pattern", conv.id, len(names))
        labels = [names[i] for i in order]
        shown = "\n".join(f"{name}: {definition}" for name, definition in (t.options[i] for i in order))
        system = self._system(("pattern", tuple(order)), lambda: t.render_system(options=shown))
        choice = await self._ask(
            run, conv, "pattern", t, system, t.render_user(item=item), lambda a: match_option(a, labels), max_tokens=16
        )
        return labels[choice] if choice is not None else None

    async def _skills(self, run: _Run, conv: Conversation, item: str) -> tuple[str, ...]:
        t = self.templates["skills"]
        run.hashes["skills"] = t.sha256
        order = self._permutation("skills", conv.id, len(self.skills))
        shown = [self.skills[i] for i in order]
        labels = [name for name, _ in shown]
        system = self._system(
            ("skills", tuple(order)),
            lambda: t.render_system(options="\n".join(f"{n}: {_shorten(d, 300)}" for n, d in shown)),
        )
        answer = await self._ask(
            run,
            conv,
            "skills",
            t,
            system,
            t.render_user(item=item),
            lambda a: _parse_skills(a, labels),
            max_tokens=120,
        )
        if not answer:
            return ()
        picked = {labels[i] for i in answer}
        return tuple(name for name, _ in self.skills if name in picked)  # canonical order, not the shown one

    # -- plumbing -----------------------------------------------------------------------------------------------

    def _permutation(self, key: str, conversation_id: str, n: int, *, shift: int = 0) -> list[int]:
        """A seeded order of ``n`` options for this conversation (see "Shuffling" in the module docstring).

        ``shift`` > 0 gives the order ``shift`` variants after the conversation's own (the confidence repeats).
        """
        # String seeds are hashed with SHA-512 by ``random``, so orders are stable across processes and platforms.
        draw = random.Random(f"{self.config.seed}|{conversation_id}|{key}" + (f"|{shift}" if shift else ""))
        if self.config.order_variants is None:
            rng = draw
        else:
            own = random.Random(f"{self.config.seed}|{conversation_id}|{key}").randrange(self.config.order_variants)
            rng = random.Random(f"{self.config.seed}|{key}|{(own + shift) % self.config.order_variants}")
        order = list(range(n))
        rng.shuffle(order)
        return order

    def _shortlisted(self, conv: Conversation, depth: int, children: list[Node]) -> list[Node]:
        """The options shown at ``depth``: all ``children``, or the shortlist's cut of them."""
        if self.shortlister is None:
            return children
        scores = self._scores.get(conv.id)
        if scores is None:  # a conversation classified alone (aclassify_one), not through aclassify
            scores = self._scores[conv.id] = self.shortlister.score([conv])[0]
        return self.shortlister.cut(scores, depth, children)

    def _system(self, key: tuple[str, tuple[int, ...]], render: Callable[[], str]) -> str:
        if self.config.order_variants is None:
            return render()
        text = self._systems.get(key)
        if text is None:
            text = self._systems[key] = render()
        return text

    async def _call(
        self, run: _Run, conv: Conversation, step: str, template: PromptTemplate, system: str, user: str,
        *, max_tokens: int, cache_prefix: bool = True,
    ) -> LLMResponse:  # fmt: skip
        run.step = step
        request = LLMRequest(
            step=step,
            system=system,
            prompt=user,
            max_tokens=max_tokens,
            temperature=self.config.temperature,
            cache_prefix=cache_prefix,
            prompt_hash=template.sha256,
            metadata={"conversation_id": conv.id, "seed": self.config.seed, "template": template.name},
        )
        response = await self.llm.complete(request)
        run.add(response)
        return response

    async def _ask(
        self,
        run: _Run,
        conv: Conversation,
        step: str,
        template: PromptTemplate,
        system: str,
        user: str,
        parse: Callable[[str], _T | None],
        *,
        max_tokens: int,
        retry_fields: Mapping[str, str] | None = None,
        cache_prefix: bool = True,
    ) -> _T | None:
        """Ask, parse, retry once with a corrective note; None (and a recorded failure) when still unparseable."""
        response = await self._call(run, conv, step, template, system, user, max_tokens=max_tokens,
                                    cache_prefix=cache_prefix)
        value = parse(response.text)
        if value is not None:
            return value
        note = template.render_retry(previous=_excerpt(response.text), **(retry_fields or {}))
        response = await self._call(run, conv, step, template, system, f"{user}\n\n{note}", max_tokens=max_tokens,
                                    cache_prefix=cache_prefix)
        value = parse(response.text)
        if value is None:
            run.failures.append(f"{step}: answer matched no option, also after one retry")
        return value

    def _result(
        self,
        conv: Conversation,
        run: _Run,
        *,
        occupational: bool | None,
        path: tuple[str, ...] = (),
        top_k: tuple[str, ...] = (),
        pattern: str | None = None,
        skills: tuple[str, ...] = (),
        confidence: float | None = None,
    ) -> Classification:
        return Classification(
            conversation_id=conv.id,
            account_id=conv.account_id,
            occupational=occupational,
            path=path,
            top_k=top_k,
            pattern=pattern,
            skills=skills,
            valid=not run.failures,
            invalid_reason="; ".join(run.failures) or None,
            input_tokens=run.usage.input_tokens,
            output_tokens=run.usage.output_tokens,
            cache_read_tokens=run.usage.cache_read_tokens,
            cache_write_tokens=run.usage.cache_write_tokens,
            cost_usd=None if run.cost_unknown else run.cost_usd,
            latency_s=run.latency_s,
            prompt_hashes=run.hashes,
            confidence=confidence,
            confidence_score=confidence,
        )
