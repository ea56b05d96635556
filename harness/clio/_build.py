"""A Clio-style task hierarchy built bottom-up from the O*NET task statements of any release.

How a build runs (see ``_llm`` for the rules of each model step and ``_offline`` for the offline mode):

1. Every distinct task statement of the release (or a seeded sample of them) is a base node, with the same id as in
   the work-activity hierarchy (``task:<smallest Task ID>``), so goldset task labels map onto any hierarchy.
2. Statements are embedded (a packaged sentence-transformers model, cached on disk by model + text hash; or
   TF-IDF + SVD for fast offline runs).
3. Level sizes form a geometric series from the base count to the requested top count (:func:`clio_level_sizes`);
   a finished level may differ from its target by at most ``tolerance`` (relative), which is checked and recorded.
4. Each new level is built from the one below: with a model, neighbourhoods → candidate parents → deduplication →
   assignment of every child → renaming from the children received; offline, clustering into exactly the target
   number of groups with names made from the members. In model mode the new level is embedded from its names and
   descriptions before the next level is built; offline, a parent's vector is the normalised mean of its children's.
5. Parent ids are content-derived (``<level>:<first 12 hex of SHA-256 of the sorted child ids>``), so identical
   groupings get identical ids across builds and :func:`~harness.clio.diff_hierarchies` can line them up.

Every model call goes through the caller's :class:`~harness.llm.LLM` (wrap it in a :class:`~harness.llm.CachedLLM`
to make the build resumable: a re-run after a crash answers every finished call from the cache and, given the same
seed, produces the same hierarchy, id included; "same" assumes the same library versions and BLAS/OpenMP thread
count, which can break k-means ties differently). Build metadata records the release, models, seed, prompt hashes,
level targets and sizes, per-step call counts, tokens and cost, and per-stage timings; none of it is part of the id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from harness import __version__
from harness.clio._common import DryRunLLM, Item, ParentDraft, Timer, unit_rows
from harness.clio._config import ClioConfig
from harness.clio._llm import STEPS, LLMLevelBuilder
from harness.clio._offline import group_offline, name_offline
from harness.clio._prompts import PROMPT_HASHES
from harness.clio._vectors import EmbedderVectoriser, TfidfSvdVectoriser, Vectoriser
from harness.llm import LLM, CachedLLM, Usage
from harness.taxonomy import Hierarchy, Node, OnetRelease, base_node_id

__all__ = [
    "ClioPlan",
    "abuild_clio_hierarchy",
    "build_clio_hierarchy",
    "clio_level_names",
    "clio_level_sizes",
    "plan_clio_build",
]

log = logging.getLogger("harness.clio")


def clio_level_names(levels: int) -> tuple[str, ...]:
    """Level names, top first: 2 → (top, base); 3 → (top, mid, base); 4+ → (top, mid1, ..., midK, base)."""
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    if levels == 2:
        return ("top", "base")
    if levels == 3:
        return ("top", "mid", "base")
    return ("top", *(f"mid{i}" for i in range(1, levels - 1)), "base")


def clio_level_sizes(n_base: int, top: int, levels: int) -> tuple[int, ...]:
    """Target size of every level, top first: a geometric series from ``n_base`` down to ``top``.

    Level ``d`` steps above the base targets ``round(n_base * (top / n_base) ** (d / (levels - 1)))``, kept
    strictly between its neighbours (e.g. 17,535 statements, top 12, 3 levels → 12, 459, 17,535).

    Raises:
        ValueError: ``top`` is not smaller than ``n_base``, or the levels do not fit between them.
    """
    if levels < 2:
        raise ValueError(f"levels must be >= 2, got {levels}")
    if not 1 <= top < n_base:
        raise ValueError(f"top ({top}) must be at least 1 and smaller than the number of base items ({n_base})")
    if n_base - top < levels - 2:
        raise ValueError(f"{levels} levels do not fit between {n_base} base items and {top} top items")
    ratio = (top / n_base) ** (1.0 / (levels - 1))
    sizes = [n_base]
    for d in range(1, levels - 1):
        remaining = levels - 1 - d  # levels still to come above this one, top included
        size = round(n_base * ratio**d)
        sizes.append(max(top + remaining, min(sizes[-1] - 1, size)))
    sizes.append(top)
    return tuple(reversed(sizes))


@dataclass(frozen=True)
class ClioPlan:
    """What a model build would cost, from a dry run (:func:`plan_clio_build`).

    Attributes:
        model: The model the estimate is for.
        level_targets: Target size per level, top first.
        calls: Model calls per step (``propose``, ``merge``, ``assign``, ``rename``), retries excluded.
        usage: Approximate tokens per step (about four characters per token; output is a lower bound).
        cost_usd: Estimated cost at list prices, or None when the model's price is unknown.
    """

    model: str
    level_targets: dict[str, int]
    calls: dict[str, int]
    usage: dict[str, Usage]

    cost_usd: float | None

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @property
    def total_usage(self) -> Usage:
        total = Usage()
        for usage in self.usage.values():
            total = total + usage
        return total


def _select_statements(release: OnetRelease, config: ClioConfig):
    statements = release.statements.sort_values("statement_key", kind="stable").reset_index(drop=True)
    if config.sample is not None and config.sample < len(statements):
        rng = np.random.default_rng(config.seed)
        chosen = np.sort(rng.choice(len(statements), size=config.sample, replace=False))
        statements = statements.iloc[chosen].reset_index(drop=True)
    return statements


def _thread_limit(threads: int | None):
    """Cap BLAS/OpenMP threads (clustering) for the block, or do nothing."""
    if threads is None:
        return contextlib.nullcontext()
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def _parent_id(level: str, child_ids: Sequence[str]) -> str:
    digest = hashlib.sha256("\n".join(sorted(child_ids)).encode("utf-8")).hexdigest()
    return f"{level}:{digest[:12]}"


def build_clio_hierarchy(
    release: OnetRelease,
    *,
    llm: LLM | None = None,
    config: ClioConfig | None = None,
    vectoriser: Vectoriser | None = None,
    progress: bool = False,
) -> Hierarchy:
    """Build a Clio-style hierarchy of ``release`` (synchronous wrapper of :func:`abuild_clio_hierarchy`)."""
    return asyncio.run(abuild_clio_hierarchy(release, llm=llm, config=config, vectoriser=vectoriser,
                                             progress=progress))


async def abuild_clio_hierarchy(
    release: OnetRelease,
    *,
    llm: LLM | None = None,
    config: ClioConfig | None = None,
    vectoriser: Vectoriser | None = None,
    progress: bool = False,
) -> Hierarchy:
    """Build a Clio-style hierarchy of ``release`` (method in the module docstring).

    Args:
        release: The O*NET release whose task statements form the base level.
        llm: The model (wrap it in :class:`~harness.llm.CachedLLM` for a resumable build). ``None`` builds in
            offline mode: no model, ``builder="clio-offline"``, names prefixed ``[offline]``.
        config: Build options (defaults: 3 levels, 12 top nodes, seed 0).
        vectoriser: Text vectoriser; defaults to TF-IDF + SVD offline and all-MiniLM-L6-v2 with a model.
        progress: Show tqdm progress bars for the model stages (stage summaries are always logged).

    Returns:
        The hierarchy; its metadata records how it was built.

    Raises:
        harness.llm.LLMError: A model call failed for good; finished answers stay in the cache for the re-run.
        ValueError: The requested sizes do not fit the number of statements.
    """
    config = config or ClioConfig()
    started = time.perf_counter()
    offline = llm is None
    if vectoriser is None:
        vectoriser = TfidfSvdVectoriser(seed=config.seed) if offline else EmbedderVectoriser()
    if not offline and not isinstance(llm, CachedLLM | DryRunLLM):
        log.warning("clio: model answers are not cached (wrap the backend in CachedLLM); an interrupted build "
                    "will start again from scratch")
    statements = _select_statements(release, config)
    run = _BuildRun(
        config=config, names=clio_level_names(config.levels),
        targets=clio_level_sizes(len(statements), config.top, config.levels), vectoriser=vectoriser,
        builder=None if offline else LLMLevelBuilder(llm=llm, vectoriser=vectoriser, config=config,
                                                     progress=progress),
    )
    built = await run.build_levels(statements)
    nodes = _assemble(release, statements, run.names, built)
    metadata = run.metadata(release, statements, nodes, llm)
    metadata["timings_s"]["total"] = round(time.perf_counter() - started, 3)
    prefix = "clio-offline" if offline else "clio"
    return Hierarchy(run.names, nodes, name=f"{prefix}-{release.release}", metadata=metadata)


_Built = list[tuple[list[ParentDraft], np.ndarray]]
"""Per generated level, bottom-up: the parents' drafts and the parent index of every child."""


@dataclass
class _BuildRun:
    """The state of one build while its levels are grouped bottom-up (mutable; private to this module)."""

    config: ClioConfig
    names: tuple[str, ...]
    targets: tuple[int, ...]
    vectoriser: Vectoriser
    builder: LLMLevelBuilder | None  # None: offline grouping and naming
    timer: Timer = field(default_factory=Timer)
    offline_methods: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    base_ids: list[str] = field(default_factory=list)
    base_vectors: np.ndarray | None = None

    async def build_levels(self, statements) -> _Built:
        """Embed the statements, then group every level above the base, from the bottom up."""
        t0 = time.perf_counter()
        self.texts = list(statements["statement"])
        self.base_ids = [base_node_id(ids) for ids in statements["task_ids"]]
        items = [Item(id=bid, name=text, description="", base=(i,))
                 for i, (bid, text) in enumerate(zip(self.base_ids, self.texts, strict=True))]
        log.info("clio: embedding %d statements with %s", len(self.texts), self.vectoriser.name)
        self.base_vectors = vectors = self.vectoriser.encode(self.texts)
        self.timer.add("embed.base", t0)

        built: _Built = []
        with _thread_limit(self.config.threads):  # the base embedding above keeps its own threads
            for step in range(1, self.config.levels):
                level, target = self.names[-1 - step], self.targets[-1 - step]
                log.info("clio: level %s from %d %s items (target %d)", level, len(items), self.names[-step], target)
                if self.builder is not None:
                    drafts, assignment = await self.builder.build_level(items, vectors, target, level, step)
                else:
                    drafts, assignment = self._offline_level(items, vectors, target, step)
                built.append((drafts, assignment))
                parents = [
                    Item(id=f"{level}#{p}", name=draft.name, description=draft.description,
                         base=tuple(sorted(b for c in np.flatnonzero(assignment == p) for b in items[c].base)))
                    for p, draft in enumerate(drafts)
                ]
                t0 = time.perf_counter()
                if self.builder is not None:
                    vectors = self.vectoriser.encode([p.text for p in parents])
                else:  # offline, a parent sits at the normalised mean of its children
                    vectors = unit_rows(np.stack([vectors[assignment == p].mean(axis=0)
                                                  for p in range(len(parents))]))
                self.timer.add(f"{level}.embed", t0)
                items = parents
        return built

    def _offline_level(
        self, items: Sequence[Item], vectors: np.ndarray, target: int, step: int
    ) -> tuple[list[ParentDraft], np.ndarray]:
        level, child_level = self.names[-1 - step], self.names[-step]
        t0 = time.perf_counter()
        assignment, self.offline_methods[level] = group_offline(
            vectors, target, method=self.config.offline_method, seed=self.config.seed + step
        )
        groups = [np.flatnonzero(assignment == p).tolist() for p in range(int(assignment.max()) + 1)]
        base_groups = [sorted(b for c in g for b in items[c].base) for g in groups]
        drafts = name_offline(groups, base_groups, self.texts, self.base_vectors, self.base_ids, child_level)
        self.timer.add(f"{level}.group_and_name", t0)
        return drafts, assignment

    def metadata(self, release: OnetRelease, statements, nodes: Sequence[Node], llm: LLM | None) -> dict[str, Any]:
        """How the build ran: release, models, seed, level targets and sizes, calls and timings (not in the id)."""
        config, names, offline = self.config, self.names, self.builder is None
        sizes = {lvl: sum(1 for n in nodes if n.level == lvl) for lvl in names}
        level_targets = dict(zip(names, self.targets, strict=True))
        within = {lvl: abs(sizes[lvl] - level_targets[lvl]) <= config.tolerance * level_targets[lvl]
                  for lvl in names}
        for lvl, ok in within.items():
            if not ok:
                log.warning("clio: level %s has %d nodes, outside %.0f%% of its target %d",
                            lvl, sizes[lvl], 100 * config.tolerance, level_targets[lvl])
        metadata: dict[str, Any] = {
            "builder": "clio-offline" if offline else "clio",
            "offline": offline,
            "harness_version": __version__,
            "onet_release": release.release,
            "n_statements_in_release": len(release.statements),
            "n_base": len(statements),
            "seed": config.seed,
            "seed_rule": "k-means/SVD random_state = seed + level step; option order "
                         "random.Random(f'{seed}:{level}:{child id}'), batch list order "
                         "random.Random(f'{seed}:{level}:batch:{first child id}'); sample numpy default_rng(seed)",
            "config": asdict(config),
            "models": {"embedding": self.vectoriser.name,
                       "llm": None if offline else f"{llm.backend}:{llm.model_id}"},
            "level_targets": level_targets,
            "level_sizes": sizes,
            "tolerance": config.tolerance,
            "within_tolerance": within,
        }
        if offline:
            metadata["offline_methods"] = self.offline_methods
            metadata["naming"] = "[offline] most central statement | top class-based TF-IDF terms"
        else:
            metadata["prompt_hashes"] = dict(PROMPT_HASHES)
            metadata["calls"] = {step: self.builder.stats[step].to_dict() for step in STEPS}
            metadata["dedupe"] = self.builder.dedupe
            self.timer.seconds.update(self.builder.timer.seconds)
        metadata["timings_s"] = self.timer.seconds
        return metadata


def _assemble(
    release: OnetRelease, statements, names: tuple[str, ...], built: list[tuple[list[ParentDraft], np.ndarray]]
) -> list[Node]:
    """Nodes with content-derived parent ids, computed bottom-up."""
    occ_title = dict(zip(release.occupations["soc_code"], release.occupations["title"], strict=True))
    ids: list[list[str]] = [[base_node_id(t) for t in statements["task_ids"]]]
    base_count: list[list[int]] = [[1] * len(ids[0])]
    for step, (drafts, assignment) in enumerate(built, start=1):
        level = names[-1 - step]
        children = [np.flatnonzero(assignment == p).tolist() for p in range(len(drafts))]
        ids.append([_parent_id(level, [ids[-1][c] for c in kids]) for kids in children])
        base_count.append([sum(base_count[-1][c] for c in kids) for kids in children])

    nodes: list[Node] = []
    base_parent = built[0][1] if built else None
    for i, (statement, task_ids, soc_codes) in enumerate(
        statements[["statement", "task_ids", "soc_codes"]].itertuples(index=False)
    ):
        nodes.append(Node(
            id=ids[0][i], level=names[-1], name=statement,
            description="Occupations: " + "; ".join(occ_title.get(c, c) for c in soc_codes),
            parent=ids[1][int(base_parent[i])] if base_parent is not None else None,
            meta={"task_ids": list(task_ids), "soc_codes": list(soc_codes)},
        ))
    for step, (drafts, assignment) in enumerate(built, start=1):
        level = names[-1 - step]
        above = built[step][1] if step < len(built) else None
        for p, draft in enumerate(drafts):
            nodes.append(Node(
                id=ids[step][p], level=level, name=draft.name, description=draft.description,
                parent=ids[step + 1][int(above[p])] if above is not None else None,
                meta={**draft.meta, "n_children": int((assignment == p).sum()), "n_base": base_count[step][p]},
            ))
    return nodes


def plan_clio_build(
    release: OnetRelease,
    *,
    model: str = "claude-haiku-4-5",
    config: ClioConfig | None = None,
    vectoriser: Vectoriser | None = None,
) -> ClioPlan:
    """Count the calls and tokens a model build would need, without calling a model (see :class:`DryRunLLM`).

    The statements are embedded for real (that is how neighbourhoods and options are found), so a dry run costs
    the embedding time, which the embedding cache then saves for the real build.
    """
    config = config or ClioConfig()
    dry = DryRunLLM(model)
    hierarchy = build_clio_hierarchy(release, llm=dry, config=config, vectoriser=vectoriser)
    calls = hierarchy.metadata["calls"]
    usage = {step: Usage.from_dict(calls[step]["usage"]) for step in STEPS}
    from harness.llm import estimate_cost

    costs = [estimate_cost(model, u) for u in usage.values()]
    return ClioPlan(
        model=model,
        level_targets=dict(hierarchy.metadata["level_targets"]),
        calls={step: int(calls[step]["calls"]) for step in STEPS},
        usage=usage,
        cost_usd=None if any(c is None for c in costs) else round(sum(costs), 4),
    )
