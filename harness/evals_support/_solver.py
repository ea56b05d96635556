"""The solver every task shares: classify the sample's conversation with the eval's active model."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Sequence
from typing import Any

from inspect_ai.model import ModelOutput, get_model
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.classify import LLMClassifier, LLMClassifierConfig
from harness.evaluate import GoldItem
from harness.llm import InspectLLM
from harness.paths import DATA_ENV
from harness.taxonomy import Hierarchy, Node, OnetRelease, build_work_activity_hierarchy, load_onet

__all__ = ["NO_HIERARCHY", "classify_solver", "onet_context", "prediction"]

_STORE_KEY = "harness_prediction"
# Facet-only tasks (screening, collaboration) never walk a hierarchy; the classifier still needs one to hold.
NO_HIERARCHY = Hierarchy(("top",), [Node("unused", "top", "unused")], name="no-traversal")


@functools.cache
def _context(data_dir: str | None, onet_source: str | None) -> tuple[OnetRelease, Hierarchy]:
    release = load_onet(onet_source) if onet_source else load_onet(data_dir=data_dir)
    return release, build_work_activity_hierarchy(release)


def onet_context(data_dir: str | None = None, onet_source: str | None = None) -> tuple[OnetRelease, Hierarchy]:
    """The O*NET release and its offline work-activity hierarchy (built once per process).

    Args:
        data_dir: Data directory (default ``HARNESS_DATA_DIR``, then the user data directory).
        onet_source: A release directory or zip to use instead.
    """
    return _context(data_dir or os.environ.get(DATA_ENV), onet_source)


@solver
def classify_solver(
    hierarchy: Hierarchy, items: dict[str, GoldItem], skills: Sequence[tuple[str, str]] = (), **options: Any
) -> Solver:
    """Classify the sample's conversation with :class:`~harness.classify.LLMClassifier` on the active model.

    Every model call goes through inspect, so the transcript shows each step with its usage.

    Args:
        hierarchy: Hierarchy to walk.
        items: Gold items by sample id (the conversation comes from here, not from the chat messages).
        skills: Skill options (empty skips the skills step).
        **options: Fields of :class:`~harness.classify.LLMClassifierConfig` (``seed``, ``summarise``, ``top_k``, ...).
    """

    config = LLMClassifierConfig(**options)  # checked once, when the task is built

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        classifier = LLMClassifier(hierarchy, InspectLLM(model), config, skills=skills)
        result = await classifier.aclassify_one(items[str(state.sample_id)].conversation)
        row = result.to_row(hierarchy.levels)
        state.store.set(_STORE_KEY, row)
        summary = {k: row[k] for k in ("occupational", "path", "pattern", "skills", "valid", "invalid_reason")}
        state.output = ModelOutput.from_content(model=str(model), content=json.dumps(summary))
        return state

    return solve


def prediction(state: TaskState) -> dict[str, Any]:
    """The prediction row :func:`classify_solver` stored (a fact row of :class:`~harness.classify.Classification`).

    Raises:
        RuntimeError: The solver did not run on this sample.
    """
    row = state.store.get(_STORE_KEY)
    if row is None:
        raise RuntimeError("no prediction in the sample store: run classify_solver before scoring")
    return row
