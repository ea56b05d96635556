"""inspect task ``collaboration``: agreement of the model's collaboration pattern with the raters'.

Runs the summary, screening and pattern steps (no hierarchy walk). ``scoring="strict"`` scores against the
majority pattern; ``"lenient"`` counts a prediction right when any rater chose it.

Metrics (from :func:`harness.evaluate.pattern_agreement`): ``accuracy`` and ``cohen_kappa`` over the six
patterns ("none" included), ``mode_accuracy`` over automation / augmentation / none, ``binary_accuracy`` and
``binary_kappa`` over automation vs augmentation (items where either side says "none" left out), and ``invalid``.

Usage: ``inspect eval evals/collaboration.py --model anthropic/claude-haiku-4-5 -T split=test``
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from harness.evals_support import NO_HIERARCHY, classify_solver, gold_samples, make_metric, prediction
from harness.evaluate import GoldItem, acceptable_patterns, majority_label, pattern_agreement


def _agreement(rows: list[dict]):
    return pattern_agreement([r["gold"] for r in rows], [r["pred"] for r in rows])


METRICS = [
    make_metric("accuracy", lambda rows: _agreement(rows).accuracy),
    make_metric("cohen_kappa", lambda rows: _agreement(rows).cohen_kappa),
    make_metric("mode_accuracy", lambda rows: _agreement(rows).modes.accuracy),
    make_metric("binary_accuracy", lambda rows: _agreement(rows).binary.accuracy),
    make_metric("binary_kappa", lambda rows: _agreement(rows).binary.cohen_kappa),
    make_metric("invalid", lambda rows: _agreement(rows).patterns.invalid / len(rows) if rows else float("nan")),
]


@scorer(metrics=METRICS, name="collaboration")
def collaboration_scorer(items: dict[str, GoldItem], scoring: str = "strict") -> Scorer:
    """Per sample: the gold pattern (majority, or the prediction itself when lenient and some rater chose it)."""

    async def score(state: TaskState, target: Target) -> Score:
        item = items[str(state.sample_id)]
        pred = prediction(state)["pattern"]
        gold = majority_label(item).pattern
        if scoring == "lenient" and pred in acceptable_patterns(item, scoring="lenient"):
            gold = pred
        return Score(value=float(pred == gold), answer=str(pred), metadata={"gold": gold, "pred": pred})

    return score


@task
def collaboration(goldset: str | None = None, split: str | None = None, scoring: str = "strict", seed: int = 0,
                  summarise: bool = True) -> Task:  # fmt: skip
    """Collaboration-pattern agreement (see the module docstring)."""
    if scoring not in ("strict", "lenient"):
        raise ValueError(f"scoring must be 'strict' or 'lenient', got {scoring!r}")
    dataset, items = gold_samples(goldset, split)
    return Task(
        dataset=dataset,
        solver=classify_solver(NO_HIERARCHY, items, seed=seed, summarise=summarise, traverse=False),
        scorer=collaboration_scorer(items, scoring),
        metadata={"scoring": scoring, "seed": seed},
    )
