"""One level of the Clio-style build with a language model: neighbourhoods → candidates → dedupe → assign → rename.

Rules the model cannot override (so every level is complete and the build is deterministic given seed + cache):

* **Neighbourhoods**: k-means (seeded, best of three starts) over the level's vectors with
  ``round(n / neighbourhood_size)`` clusters. Each proposal request shows the neighbourhood (most central first)
  and the ``contrast_items`` nearest items outside it, and asks for ``max(1, round(target * |nb| / n * overshoot))``
  candidates.
* **Deduplication**: candidates whose names are equal after lower-casing and dropping punctuation are the same
  candidate. The rest are clustered by cosine similarity of their embedded text (average linkage): into exactly
  ``target`` clusters when there are more candidates than that, else only pairs closer than
  ``duplicate_similarity``. The model writes one category for each cluster of two or more (the "merge" step).
* **Assignment**: each child chooses among the ``assign_options`` candidates nearest to it, shown in an order
  shuffled by ``random.Random(f"{seed}:{level}:{child id}")`` (the child id is the base node id, or
  ``<level>#<index>`` for a child on a generated level, whose final id is only known once its parents are).
  Children are asked ``assign_batch`` at a time: sorted by their nearest candidate (then by position), cut into
  batches, and each batch lists the union of its children's candidates once, numbered in an order shuffled by
  ``random.Random(f"{seed}:{level}:batch:{first child id}")``; each child names one number from its own list.
  A child whose answer is missing or not one of its own numbers is asked again (in one retry request with the
  others of its batch that failed), then falls back. ``assign_batch=1`` asks about each child alone.
* **Message Batches**: with a model client that sends its calls as Message Batches (``anthropic-batch:``), every
  request of a stage is put in flight at once, so a stage is one batch rather than one per ``concurrency`` calls.
* **Answers**: an unreadable or out-of-range answer is retried once with a note on the format (a different
  request, so it is cached separately); if the retry fails too, the fallback rule applies: proposals → the
  requested number of members spread over the neighbourhood (most central first, then farthest-point), verbatim;
  merge → the candidate nearest the cluster centroid; assignment → the nearest candidate by cosine; rename →
  the working name is kept. Counts of invalid answers, retries and fallbacks go into the build metadata.
* **Renaming** shows each parent the children it actually received (up to ``rename_max_children``, most central
  first). Parents that received no child are dropped. Two parents left with the same name get " (2)", " (3)"...
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from harness.clio._common import CallStats, Item, ParentDraft, Timer, nearest_to_centroid, run_all, unit_rows
from harness.clio._config import ClioConfig
from harness.clio._offline import compact_labels, seeded_kmeans
from harness.clio._prompts import (
    ASSIGN_MANY_SYSTEM,
    ASSIGN_SYSTEM,
    MAX_NAME_CHARS,
    MERGE_SYSTEM,
    PROMPT_HASHES,
    PROPOSE_SYSTEM,
    RENAME_SYSTEM,
    Candidate,
    format_assign,
    format_assign_many,
    format_merge,
    format_propose,
    format_rename,
    parse_assign,
    parse_assign_many,
    parse_candidates,
    parse_named,
)
from harness.clio._vectors import Vectoriser
from harness.llm import LLM, LLMRequest

__all__ = ["STEPS", "LLMLevelBuilder"]

log = logging.getLogger("harness.clio")
_T = TypeVar("_T")
STEPS = ("propose", "merge", "assign", "rename")
_MAX_TOKENS = {"merge": 300, "assign": 16, "rename": 300}


def _normalise_name(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", name.lower()).split())


def _short(text: str, limit: int = MAX_NAME_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0]


def _named_answer(candidate: Candidate) -> str:
    return f"<name>{_short(candidate.name)}</name><description>{candidate.description}</description>"


@dataclass
class LLMLevelBuilder:
    """Builds levels with a model; keeps per-step call statistics and stage timings across levels."""

    llm: LLM
    vectoriser: Vectoriser
    config: ClioConfig
    progress: bool = False
    stats: dict[str, CallStats] = field(default_factory=lambda: {s: CallStats() for s in STEPS})
    timer: Timer = field(default_factory=Timer)
    dedupe: dict[str, dict[str, int]] = field(default_factory=dict)

    async def _ask(
        self, step: str, system: str, prompt_for: Callable[[bool], str], parse: Callable[[str], _T | None],
        fallback_answer: str, max_tokens: int,
    ) -> _T | None:
        """Ask, validate, retry once; None means "apply the fallback rule"."""
        stats = self.stats[step]
        for retry in (False, True):
            request = LLMRequest(
                step=f"clio.{step}", system=system, prompt=prompt_for(retry), max_tokens=max_tokens,
                prompt_hash=PROMPT_HASHES[step], metadata={"fallback_answer": fallback_answer},
            )
            response = await self.llm.complete(request)
            stats.record(response)
            value = parse(response.text)
            if value is not None:
                return value
            stats.invalid += 1
            stats.retried += int(not retry)
        stats.fallbacks += 1
        return None

    async def _gather(self, factories: Sequence[Callable[[], Any]], desc: str) -> list[Any]:
        # a client that sends Message Batches gets the whole stage at once: one batch, not one per `concurrency`
        limit = len(factories) if _sends_batches(self.llm) else self.config.concurrency
        return await run_all(factories, limit=limit, desc=desc, progress=self.progress)

    async def build_level(
        self, items: Sequence[Item], vectors: np.ndarray, target: int, level: str, level_index: int
    ) -> tuple[list[ParentDraft], np.ndarray]:
        """Parents for ``items`` and the parent index of each item (every parent has at least one child)."""
        cfg = self.config
        n = len(items)
        started = time.perf_counter()
        neighbourhoods = self._neighbourhoods(vectors, seed=cfg.seed + level_index)
        self.timer.add(f"{level}.neighbourhoods", started)

        started = time.perf_counter()
        log.info("clio %s: proposing candidates in %d neighbourhoods of %d items", level, len(neighbourhoods), n)
        proposals = await self._gather(
            [self._propose_factory(items, vectors, nb, target, n) for nb in neighbourhoods],
            desc=f"{level}: propose",
        )
        candidates = [c for group in proposals for c in group]
        self.timer.add(f"{level}.propose", started)

        started = time.perf_counter()
        final = await self._deduplicate(candidates, target, level)
        self.timer.add(f"{level}.dedupe", started)

        started = time.perf_counter()
        log.info("clio %s: assigning %d items to %d candidates", level, n, len(final))
        parent_vectors = self.vectoriser.encode([c.text for c in final])
        assignment = await self._assign(items, vectors @ parent_vectors.T, final, level)
        self.timer.add(f"{level}.assign", started)

        started = time.perf_counter()
        used = sorted(set(assignment.tolist()))
        remap = {old: new for new, old in enumerate(used)}
        assignment = np.asarray([remap[a] for a in assignment], dtype=int)
        members = [np.flatnonzero(assignment == p).tolist() for p in range(len(used))]
        log.info("clio %s: renaming %d parents (%d candidates got no child)", level, len(used), len(final) - len(used))
        renamed = await self._gather(
            [self._rename_factory(final[old], items, vectors, members[new]) for new, old in enumerate(used)],
            desc=f"{level}: rename",
        )
        self.timer.add(f"{level}.rename", started)
        return _disambiguate(renamed), assignment

    # -- stages -----------------------------------------------------------------------------------------------

    def _neighbourhoods(self, vectors: np.ndarray, *, seed: int) -> list[list[int]]:
        n = vectors.shape[0]
        k = max(1, min(n, round(n / self.config.neighbourhood_size)))
        if k == 1:
            return [list(range(n))]
        labels = compact_labels(seeded_kmeans(vectors, k, seed=seed, n_init=3))
        return [np.flatnonzero(labels == j).tolist() for j in range(int(labels.max()) + 1)]

    def _propose_factory(
        self, items: Sequence[Item], vectors: np.ndarray, nb: list[int], target: int, n: int
    ) -> Callable[[], Any]:
        cfg = self.config
        ordered = nearest_to_centroid(vectors, nb)
        centroid = unit_rows(vectors[nb].mean(axis=0, keepdims=True))[0]
        inside = set(nb)
        scores = vectors @ centroid
        outside = [int(j) for j in np.argsort(-scores, kind="stable") if int(j) not in inside][: cfg.contrast_items]
        n_candidates = max(1, round(target * len(nb) / n * cfg.overshoot))
        fallback = _fallback_candidates(items, vectors, ordered, n_candidates)
        fallback_answer = "\n".join(f"<candidate>{_named_answer(c)}</candidate>" for c in fallback)
        members_text = [items[i].text for i in ordered]
        contrast_text = [items[i].text for i in outside]

        async def run() -> list[Candidate]:
            found = await self._ask(
                "propose", PROPOSE_SYSTEM,
                lambda retry: format_propose(members_text, contrast_text, n_candidates, retry=retry),
                lambda text: parse_candidates(text, limit=2 * n_candidates),
                fallback_answer, max_tokens=150 * n_candidates + 100,
            )
            return found if found is not None else fallback

        return run

    async def _deduplicate(self, candidates: list[Candidate], target: int, level: str) -> list[Candidate]:
        unique: dict[str, Candidate] = {}
        for candidate in candidates:
            unique.setdefault(_normalise_name(candidate.name), candidate)
        pool = list(unique.values())
        report = {"proposed": len(candidates), "exact_duplicates": len(candidates) - len(pool)}
        if len(pool) <= 1:
            self.dedupe[level] = {**report, "merged_clusters": 0, "final": len(pool)}
            return pool
        vectors = self.vectoriser.encode([c.text for c in pool])
        from sklearn.cluster import AgglomerativeClustering

        if len(pool) > target:
            model = AgglomerativeClustering(n_clusters=target, metric="cosine", linkage="average")
        else:
            model = AgglomerativeClustering(
                n_clusters=None, distance_threshold=1.0 - self.config.duplicate_similarity,
                metric="cosine", linkage="average",
            )
        labels = compact_labels(model.fit_predict(vectors))
        clusters = [np.flatnonzero(labels == j).tolist() for j in range(int(labels.max()) + 1)]
        log.info("clio %s: %d candidates (%d exact duplicates) → %d after merging",
                 level, len(candidates), report["exact_duplicates"], len(clusters))

        def factory(cluster: list[int]) -> Callable[[], Any]:
            members = [pool[i] for i in cluster]
            fallback = pool[nearest_to_centroid(vectors, cluster)[0]]

            async def run() -> Candidate:
                if len(members) == 1:
                    return members[0]
                merged = await self._ask(
                    "merge", MERGE_SYSTEM, lambda retry: format_merge(members, retry=retry), parse_named,
                    _named_answer(fallback), max_tokens=_MAX_TOKENS["merge"],
                )
                return merged if merged is not None else fallback

            return run

        final = await self._gather([factory(c) for c in clusters], desc=f"{level}: merge")
        self.dedupe[level] = {
            **report, "merged_clusters": sum(1 for c in clusters if len(c) > 1), "final": len(final),
        }
        return final

    async def _assign(
        self, items: Sequence[Item], similarity: np.ndarray, candidates: Sequence[Candidate], level: str
    ) -> np.ndarray:
        """The candidate each item goes to (rules in the module docstring)."""
        n, batch = len(items), self.config.assign_batch
        if batch == 1:
            choices = await self._gather(
                [self._assign_factory(items[i], similarity[i], candidates, level) for i in range(n)],
                desc=f"{level}: assign",
            )
            return np.asarray(choices, dtype=int)
        m = min(self.config.assign_options, len(candidates))
        nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :m]
        assignment = nearest[:, 0].astype(int)
        if m == 1:
            return assignment
        order = sorted(range(n), key=lambda i: (int(nearest[i, 0]), i))
        batches = [order[start : start + batch] for start in range(0, n, batch)]
        picked = await self._gather(
            [self._assign_batch_factory(items, nearest, candidates, level, b) for b in batches], desc=f"{level}: assign"
        )
        for members, choices in zip(batches, picked, strict=True):
            assignment[members] = choices
        return assignment

    def _assign_batch_factory(
        self, items: Sequence[Item], nearest: np.ndarray, candidates: Sequence[Candidate], level: str,
        batch: list[int],
    ) -> Callable[[], Any]:
        seed = self.config.seed
        own = {}
        for i in batch:  # each child's options in its own seeded order, exactly as when it is asked alone
            own[i] = [int(j) for j in nearest[i]]
            random.Random(f"{seed}:{level}:{items[i].id}").shuffle(own[i])
        pool = sorted({j for i in batch for j in own[i]})
        random.Random(f"{seed}:{level}:batch:{items[batch[0]].id}").shuffle(pool)
        number = {j: k for k, j in enumerate(pool, start=1)}
        categories = [candidates[j].text for j in pool]
        stats = self.stats["assign"]

        async def ask(todo: list[int], retry: bool) -> dict[int, int]:
            options = [[number[j] for j in own[i]] for i in todo]
            fallback = "\n".join(f'<answer task="{t}">{number[int(nearest[i, 0])]}</answer>'
                                 for t, i in enumerate(todo, start=1))
            request = LLMRequest(
                step="clio.assign", system=ASSIGN_MANY_SYSTEM, max_tokens=20 * len(todo) + 50,
                prompt=format_assign_many([items[i].text for i in todo], options, categories, retry=retry),
                prompt_hash=PROMPT_HASHES["assign_many"], metadata={"fallback_answer": fallback},
            )
            response = await self.llm.complete(request)
            stats.record(response)
            return {todo[t]: pool[shown - 1] for t, shown in parse_assign_many(response.text, options).items()}

        async def run() -> list[int]:
            chosen: dict[int, int] = {}
            todo = list(batch)
            for retry in (False, True):
                chosen.update(await ask(todo, retry))
                todo = [i for i in todo if i not in chosen]
                stats.invalid += len(todo)
                if not todo:
                    break
                stats.retried += len(todo) * (not retry)
            stats.fallbacks += len(todo)
            return [chosen.get(i, int(nearest[i, 0])) for i in batch]

        return run

    def _assign_factory(
        self, child: Item, similarity: np.ndarray, candidates: Sequence[Candidate], level: str
    ) -> Callable[[], Any]:
        m = min(self.config.assign_options, len(candidates))
        nearest = [int(j) for j in np.argsort(-similarity, kind="stable")[:m]]
        shown = list(nearest)
        random.Random(f"{self.config.seed}:{level}:{child.id}").shuffle(shown)
        options = [candidates[j].text for j in shown]
        fallback_answer = f"<answer>{shown.index(nearest[0]) + 1}</answer>"

        async def run() -> int:
            if m == 1:
                return nearest[0]
            choice = await self._ask(
                "assign", ASSIGN_SYSTEM, lambda retry: format_assign(child.text, options, retry=retry),
                lambda text: parse_assign(text, m), fallback_answer, max_tokens=_MAX_TOKENS["assign"],
            )
            return shown[choice] if choice is not None else nearest[0]

        return run

    def _rename_factory(
        self, current: Candidate, items: Sequence[Item], vectors: np.ndarray, children: list[int]
    ) -> Callable[[], Any]:
        ordered = nearest_to_centroid(vectors, children)[: self.config.rename_max_children]
        shown = [items[i].text for i in ordered]

        async def run() -> ParentDraft:
            renamed = await self._ask(
                "rename", RENAME_SYSTEM,
                lambda retry: format_rename(current, shown, len(children), retry=retry), parse_named,
                _named_answer(current), max_tokens=_MAX_TOKENS["rename"],
            )
            chosen = renamed if renamed is not None else current
            return ParentDraft(
                name=chosen.name, description=chosen.description,
                meta={"named_by": "model" if renamed is not None else "fallback-candidate",
                      "candidate": current.name},
            )

        return run


def _sends_batches(llm: Any) -> bool:
    """Whether a (possibly cached) model client answers through Message Batches."""
    from harness.llm import BatchingLLM

    while llm is not None:
        if isinstance(llm, BatchingLLM):
            return True
        llm = getattr(llm, "llm", None)
    return False


def _fallback_candidates(items: Sequence[Item], vectors: np.ndarray, ordered: list[int], k: int) -> list[Candidate]:
    """``k`` members spread over the neighbourhood, used verbatim: the most central one, then repeatedly the member
    least similar to those already picked (greedy farthest-point selection)."""
    picks = [ordered[0]]
    best = vectors[ordered] @ vectors[ordered[0]]
    while len(picks) < min(k, len(ordered)):
        j = int(np.argmin(best))  # first minimum: the more central member wins ties
        picks.append(ordered[j])
        best = np.maximum(best, vectors[ordered] @ vectors[ordered[j]])
    return [Candidate(_short(items[i].name), items[i].description) for i in picks]


def _disambiguate(drafts: list[ParentDraft]) -> list[ParentDraft]:
    seen: dict[str, int] = {}
    out = []
    for draft in drafts:
        key = _normalise_name(draft.name)
        seen[key] = seen.get(key, 0) + 1
        if seen[key] > 1:
            draft = ParentDraft(f"{draft.name} ({seen[key]})", draft.description, draft.meta)
        out.append(draft)
    return out
