"""inspect task ``hierarchy``: per-level accuracy of the LLM hierarchy walk on the goldset's occupational items.

A prediction is right at a level when its node there is an ancestor (by primary or alternate parent) of one of the
acceptable gold tasks, or is listed as acceptable for that level. ``scoring="strict"`` takes the majority label's
tasks, ``"lenient"`` any rater's. Screening is not scored here: the walk runs even when the model's screening says
no, so this measures the traversal alone (see the ``screening`` task for that step).

Metrics (computed by :func:`harness.evaluate.level_accuracy`): ``<level>_accuracy`` for every level and
``invalid`` (share of items without a valid path). The hierarchy is the offline work-activity hierarchy built from the
O*NET release in the data directory (``HARNESS_DATA_DIR``) when the task is constructed.

Usage: ``inspect eval evals/hierarchy.py --model anthropic/claude-haiku-4-5 -T split=test``
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from harness.evals_support import classify_solver, gold_samples, make_metric, onet_context, prediction
from harness.evaluate import GoldItem, Scoring, acceptable_tasks, gold_nodes_at_level, level_accuracy
from harness.taxonomy import Hierarchy


def acceptable_at_levels(item: GoldItem, hierarchy: Hierarchy, scoring: Scoring) -> dict[str, list[str]]:
    """Level → node ids counted correct for ``item`` (sorted, for the log)."""
    return {level: sorted(gold_nodes_at_level(item, hierarchy, level, scoring=scoring)) for level in hierarchy.levels}


def _accuracy(level: str):
    def compute(rows: list[dict]) -> float:
        return level_accuracy(
            [r["acceptable"][level] for r in rows], [r["pred"][level] for r in rows], level=level, n_bootstrap=1
        ).accuracy

    return make_metric(f"{level}_accuracy", compute)


def _invalid(rows: list[dict]) -> float:
    return sum(bool(r["invalid"]) for r in rows) / len(rows) if rows else float("nan")


def hierarchy_scorer(hierarchy: Hierarchy, acceptable: dict[str, dict[str, list[str]]]) -> Scorer:
    metrics = [_accuracy(level) for level in hierarchy.levels] + [make_metric("invalid", _invalid)]

    @scorer(metrics=metrics, name="hierarchy")
    def build() -> Scorer:
        async def score(state: TaskState, target: Target) -> Score:
            row = prediction(state)
            ok = acceptable[str(state.sample_id)]
            pred = {level: row[f"node_{level}"] for level in hierarchy.levels}
            correct = {level: pred[level] is not None and pred[level] in ok[level] for level in hierarchy.levels}
            return Score(
                value=float(correct[hierarchy.base]),
                answer=str(pred[hierarchy.base]),
                explanation=row["invalid_reason"] or "",
                metadata={"pred": pred, "acceptable": ok, "correct": correct, "invalid": not row["valid"]},
            )

        return score

    return build()


@task
def hierarchy(
    goldset: str | None = None,
    split: str | None = None,
    scoring: str = "strict",
    data_dir: str | None = None,
    onet_source: str | None = None,
    seed: int = 0,
    summarise: bool = True,
    top_k: int = 1,
) -> Task:
    """Hierarchy accuracy at each level (see the module docstring)."""
    if scoring not in ("strict", "lenient"):
        raise ValueError(f"scoring must be 'strict' or 'lenient', got {scoring!r}")
    _, tree = onet_context(data_dir, onet_source)
    dataset, items = gold_samples(goldset, split, keep=lambda item: bool(acceptable_tasks(item, scoring=scoring)))
    acceptable = {item_id: acceptable_at_levels(item, tree, scoring) for item_id, item in items.items()}
    return Task(
        dataset=dataset,
        solver=classify_solver(
            tree, items, seed=seed, summarise=summarise, top_k=top_k, traverse_non_occupational=True
        ),
        scorer=hierarchy_scorer(tree, acceptable),
        metadata={"hierarchy_id": tree.id, "scoring": scoring, "seed": seed},
    )
