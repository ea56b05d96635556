"""inspect task ``screening``: does the model's yes/no screening agree with the raters' "occupational" label?

Runs the summary and screening steps only (plus the pattern step the classifier always runs). ``scoring="strict"``
scores against the majority label; ``"lenient"`` counts a prediction right when any rater gave that answer.

Metrics (from :func:`harness.evaluate.binary_agreement`, "occupational" as the positive class): ``accuracy``,
``cohen_kappa``, ``precision``, ``recall``, and ``invalid`` (share of unparseable screening answers).

Usage: ``inspect eval evals/screening.py --model anthropic/claude-haiku-4-5 -T split=test``
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from harness.evals_support import NO_HIERARCHY, classify_solver, gold_samples, make_metric, prediction
from harness.evaluate import GoldItem, acceptable_occupational, binary_agreement, majority_label


def _agreement(rows: list[dict]):
    return binary_agreement([r["gold"] for r in rows], [r["pred"] for r in rows])


METRICS = [
    make_metric("accuracy", lambda rows: _agreement(rows).accuracy),
    make_metric("cohen_kappa", lambda rows: _agreement(rows).cohen_kappa),
    make_metric("precision", lambda rows: _agreement(rows).per_class[0].precision),
    make_metric("recall", lambda rows: _agreement(rows).per_class[0].recall),
    make_metric("invalid", lambda rows: _agreement(rows).invalid / len(rows) if rows else float("nan")),
]


@scorer(metrics=METRICS, name="screening")
def screening_scorer(items: dict[str, GoldItem], scoring: str = "strict") -> Scorer:
    """Per sample: the gold answer (majority, or the prediction itself when lenient and some rater agreed)."""

    async def score(state: TaskState, target: Target) -> Score:
        item = items[str(state.sample_id)]
        pred = prediction(state)["occupational"]
        gold = majority_label(item).occupational
        if scoring == "lenient" and pred in acceptable_occupational(item, scoring="lenient"):
            gold = pred
        return Score(
            value=float(pred is not None and pred == gold),
            answer=str(pred),
            metadata={"gold": gold, "pred": pred},
        )

    return score


@task
def screening(goldset: str | None = None, split: str | None = None, scoring: str = "strict", seed: int = 0,
              summarise: bool = True) -> Task:  # fmt: skip
    """Screening agreement (see the module docstring)."""
    if scoring not in ("strict", "lenient"):
        raise ValueError(f"scoring must be 'strict' or 'lenient', got {scoring!r}")
    dataset, items = gold_samples(goldset, split)
    return Task(
        dataset=dataset,
        solver=classify_solver(NO_HIERARCHY, items, seed=seed, summarise=summarise, traverse=False),
        scorer=screening_scorer(items, scoring),
        metadata={"scoring": scoring, "seed": seed},
    )
