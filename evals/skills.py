"""inspect task ``skills``: which O*NET skills the model says a conversation calls upon, against a reference.

The reference is the raters' skill labels where an item has them (majority for ``scoring="strict"``, any rater's
for ``"lenient"``). Items without skill labels (currently all of ``sharegpt_v1``) fall back to the O*NET skill
profile of the occupation(s) behind the item's best gold task: the ``profile_size`` skills with the highest mean
importance rating. That profile describes the occupation, not the conversation, so read its scores as agreement
with a proxy, not as accuracy; each sample's score metadata says which reference it used (``gold_source``).
Only occupational items (majority label) are used; the classifier's skills step runs on each of them.

Metrics (micro-averaged over item × skill decisions with :func:`harness.evaluate.binary_agreement`, "skill
present" as the positive class): ``precision``, ``recall``, ``f1``, and ``invalid`` (share of unparseable answers).

Usage: ``inspect eval evals/skills.py --model anthropic/claude-haiku-4-5``
"""

from __future__ import annotations

from inspect_ai import Task, task
from inspect_ai.scorer import Score, Scorer, Target, scorer
from inspect_ai.solver import TaskState

from harness.evals_support import NO_HIERARCHY, classify_solver, gold_samples, make_metric, onet_context, prediction
from harness.evaluate import GoldItem, Scoring, best_task, binary_agreement, majority_label
from harness.taxonomy import OnetRelease


def occupation_profile(release: OnetRelease, task_id: int, size: int) -> list[str]:
    """The ``size`` skills with the highest mean importance over the occupations that perform ``task_id``."""
    socs = set(release.tasks.loc[release.tasks["task_id"] == task_id, "soc_code"])
    ratings = release.skills[release.skills["soc_code"].isin(socs)]
    if ratings.empty:
        return []
    mean = ratings.groupby("skill")["importance"].mean().reset_index()
    ranked = mean.sort_values(["importance", "skill"], ascending=[False, True])
    return list(ranked["skill"].head(size))


def reference_skills(item: GoldItem, release: OnetRelease, scoring: Scoring, size: int) -> tuple[list[str], str]:
    """(reference skills, source) for one item: rater labels when present, else the occupation profile."""
    if any(label.skills for label in item.labels):
        if scoring == "strict":
            return sorted(majority_label(item).skills), "raters"
        return sorted({s for label in item.labels for s in label.skills}), "raters"
    task_id = best_task(item)
    return (occupation_profile(release, task_id, size) if task_id is not None else []), "onet-occupation-profile"


def _pairs(rows: list[dict]):
    """Binary agreement over every (item, skill) decision."""
    y_true, y_pred = [], []
    for row in rows:
        gold, pred = set(row["gold"]), set(row["pred"])
        for skill in row["options"]:
            y_true.append(skill in gold)
            y_pred.append(skill in pred)
    return binary_agreement(y_true, y_pred)


METRICS = [
    make_metric("precision", lambda rows: _pairs(rows).per_class[0].precision),
    make_metric("recall", lambda rows: _pairs(rows).per_class[0].recall),
    make_metric("f1", lambda rows: _pairs(rows).per_class[0].f1),
    make_metric("invalid", lambda rows: sum(r["invalid"] for r in rows) / len(rows) if rows else float("nan")),
]


@scorer(metrics=METRICS, name="skills")
def skills_scorer(reference: dict[str, tuple[list[str], str]], options: list[str]) -> Scorer:
    """Per sample: the reference and predicted skill sets (value: 1 when they are identical)."""

    async def score(state: TaskState, target: Target) -> Score:
        gold, source = reference[str(state.sample_id)]
        row = prediction(state)
        pred = sorted(row["skills"])
        invalid = bool(row["invalid_reason"] and "skills:" in row["invalid_reason"])
        return Score(
            value=float(set(pred) == set(gold)),
            answer=", ".join(pred) or "none",
            metadata={"gold": gold, "pred": pred, "gold_source": source, "options": options, "invalid": invalid},
        )

    return score


@task
def skills(
    goldset: str | None = None,
    split: str | None = None,
    scoring: str = "strict",
    profile_size: int = 5,
    data_dir: str | None = None,
    onet_source: str | None = None,
    seed: int = 0,
    summarise: bool = True,
) -> Task:
    """Skills agreement (see the module docstring)."""
    if scoring not in ("strict", "lenient"):
        raise ValueError(f"scoring must be 'strict' or 'lenient', got {scoring!r}")
    release, _ = onet_context(data_dir, onet_source)
    options = list(zip(release.skill_reference["skill"], release.skill_reference["description"], strict=True))
    dataset, items = gold_samples(goldset, split, keep=lambda item: majority_label(item).occupational)
    reference = {item_id: reference_skills(item, release, scoring, profile_size) for item_id, item in items.items()}
    return Task(
        dataset=dataset,
        solver=classify_solver(
            NO_HIERARCHY,
            items,
            skills=options,
            seed=seed,
            summarise=summarise,
            traverse=False,
            traverse_non_occupational=True,
        ),
        scorer=skills_scorer(reference, [name for name, _ in options]),
        metadata={"scoring": scoring, "seed": seed, "profile_size": profile_size},
    )
