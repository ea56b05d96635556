"""Shared pieces of the inspect-ai evaluation tasks: goldset samples, the classifying solver, model adapter.

The solver runs :class:`harness.classify.LLMClassifier` with the eval's active model (``inspect_ai.model.get_model()``
wrapped as a :class:`harness.llm.LLM`), so every model call shows up in the inspect transcript with its usage, and
stores the prediction (node ids, pattern, skills, validity, tokens; never conversation text) in the sample store.
Scorers put the gold and predicted values of each sample in the score's metadata; the metrics read them back and
call the metric functions of :mod:`harness.evaluate` over all samples.
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import Model, ModelOutput, get_model
from inspect_ai.scorer import Metric, SampleScore, metric
from inspect_ai.solver import Generate, Solver, TaskState, solver

from harness.classify._llm_backend import LLMClassifier
from harness.conversations import to_inspect_messages
from harness.evaluate import GoldItem, load_goldset
from harness.llm import InspectLLM
from harness.taxonomy import Hierarchy, Node, OnetRelease, build_work_activity_hierarchy, load_onet

__all__ = [
    "DEFAULT_GOLDSET",
    "NO_HIERARCHY",
    "ModelLLM",
    "classify_solver",
    "gold_samples",
    "make_metric",
    "onet_context",
    "prediction",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_GOLDSET = str(REPO_ROOT / "goldsets" / "sharegpt_v1.jsonl")
_STORE_KEY = "harness_prediction"
# Facet-only tasks (screening, collaboration) never walk a hierarchy; the classifier still needs one to hold.
NO_HIERARCHY = Hierarchy(("top",), [Node("unused", "top", "unused")], name="no-traversal")


class ModelLLM(InspectLLM):
    """An :class:`~harness.llm.InspectLLM` around an existing inspect ``Model`` (e.g. the eval's active model)."""

    def __init__(self, model: Model):
        super().__init__(model)


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
    return _context(data_dir or os.environ.get("HARNESS_DATA_DIR"), onet_source)


def gold_samples(
    goldset: str, split: str | None, keep: Callable[[GoldItem], bool] = lambda item: True
) -> tuple[MemoryDataset, dict[str, GoldItem]]:
    """Samples (input: the conversation's messages, id: the item id) and the items by id.

    Args:
        goldset: Goldset JSONL path.
        split: ``"dev"``, ``"test"`` or None for all items.
        keep: Filter on items (e.g. occupational ones only for the hierarchy task).
    """
    if split not in (None, "dev", "test"):
        raise ValueError(f"split must be 'dev', 'test' or None, got {split!r}")
    items = [i for i in load_goldset(goldset) if (split is None or i.split == split) and keep(i)]
    samples = [
        Sample(
            id=item.id,
            input=to_inspect_messages(item.conversation),
            metadata={"split": item.split, "raters": list(item.raters)},
        )
        for item in items
    ]
    name = f"{Path(goldset).stem}{'-' + split if split else ''}"
    return MemoryDataset(samples, name=name, location=goldset), {item.id: item for item in items}


@solver
def classify_solver(
    hierarchy: Hierarchy, items: dict[str, GoldItem], skills: Sequence[tuple[str, str]] = (), **options: Any
) -> Solver:
    """Classify the sample's conversation with :class:`LLMClassifier` on the active model.

    Args:
        hierarchy: Hierarchy to walk.
        items: Gold items by sample id (the conversation comes from here, not from the chat messages).
        skills: Skill options (empty skips the skills step).
        **options: Passed to :class:`LLMClassifier` (``seed``, ``summarise``, ``top_k``, ``traverse``, ...).
    """

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        model = get_model()
        classifier = LLMClassifier(hierarchy, ModelLLM(model), skills=skills, **options)
        result = await classifier.aclassify_one(items[str(state.sample_id)].conversation)
        row = result.to_row(hierarchy.levels)
        state.store.set(_STORE_KEY, row)
        summary = {k: row[k] for k in ("occupational", "path", "pattern", "skills", "valid", "invalid_reason")}
        state.output = ModelOutput.from_content(model=str(model), content=json.dumps(summary))
        return state

    return solve


def prediction(state: TaskState) -> dict[str, Any]:
    """The prediction row :func:`classify_solver` stored (a fact row of :class:`~harness.classify.Classification`)."""
    row = state.store.get(_STORE_KEY)
    if row is None:
        raise RuntimeError("no prediction in the sample store: run classify_solver before scoring")
    return row


def make_metric(name: str, compute: Callable[[list[dict[str, Any]]], float]) -> Metric:
    """A metric called ``name`` whose value is ``compute(score metadata of every sample)``.

    ``compute`` is where a :mod:`harness.evaluate` function is called; this wrapper only gathers its inputs.
    Undefined values (no samples, one class for kappa) stay NaN.
    """

    @metric(name=name)
    def factory() -> Metric:
        def value(scores: list[SampleScore]) -> float:
            result = compute([dict(s.score.metadata or {}) for s in scores])
            return float("nan") if result is None or math.isnan(result) else float(result)

        return value

    return factory()
