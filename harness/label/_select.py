"""Active selection: which pool conversations to label, and the chance each one had of being chosen.

Labelling effort is best spent where classifiers go wrong, but a goldset chosen that way no longer represents the
pool: accuracy on it is too low. Recording each item's inclusion probability repairs that: weighting every labelled
item by 1/probability (Horvitz–Thompson) estimates accuracy on the whole pool again, which is what
``harness validate`` does when a goldset carries the probabilities.

The design, for a pool of N conversations, a sample of n and a random share r:

* ``random``: a simple random sample of n; every conversation has probability n / N.
* ``disagreement`` / ``uncertainty``: n_random = round(n·r) conversations form a simple random sample; the other
  n_ranked = n − n_random are the highest-scoring ones. The ranked part is taken first; the random part is then
  drawn from the N − n_ranked conversations left, each with probability q = n_random / (N − n_ranked). A
  conversation above the cut-off score therefore has probability 1 and one below it q. Conversations tied at the
  cut-off share the remaining ranked places at random: with k places for m tied conversations each has probability
  k/m + (1 − k/m)·q. Every probability is exact, and all are positive as long as r > 0, which is why a ranked
  strategy needs a random share.

Scores (higher = more worth labelling):

* disagreement, between two or more backends: per pair, the mean of three parts (the occupational verdicts differ;
  the share of hierarchy levels whose predicted nodes differ, all of them when either answer is invalid; the
  patterns differ), averaged over pairs.
* uncertainty, per backend then averaged: 1 for an invalid answer; otherwise the share of the backend's runner-up
  answers (``top_k`` after the first) that lie under a different top-level node than its best answer. The backends
  rank alternatives rather than report probabilities, so how far the runners-up stray is the sign of doubt they
  give; a backend with no runners-up counts as sure.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal, get_args

from harness.classify import Classification
from harness.taxonomy import Hierarchy

__all__ = [
    "STRATEGIES",
    "SelectedItem",
    "Selection",
    "Strategy",
    "disagreement_scores",
    "select_for_labelling",
    "uncertainty_scores",
]

Strategy = Literal["disagreement", "uncertainty", "random"]
STRATEGIES: tuple[str, ...] = get_args(Strategy)


@dataclass(frozen=True)
class SelectedItem:
    """One chosen conversation.

    Attributes:
        conversation_id: Its id in the pool.
        stratum: ``"ranked"`` (chosen for its score) or ``"random"`` (drawn at random).
        score: Its score under the strategy (None for ``random``).
        inclusion_probability: Probability the design had of choosing it, in (0, 1].
    """

    conversation_id: str
    stratum: Literal["ranked", "random"]
    score: float | None
    inclusion_probability: float


@dataclass(frozen=True)
class Selection:
    """The outcome of :func:`select_for_labelling`.

    Attributes:
        items: The chosen conversations: the ranked ones by score, then the random ones in draw order.
        strategy: The strategy used.
        n_pool: Conversations in the pool.
        n_ranked: Places filled by score.
        n_random: Places filled at random.
        random_probability: Probability q of each conversation outside the ranked part.
        seed: Seed of the random draw and of tie-breaking.
    """

    items: tuple[SelectedItem, ...]
    strategy: str
    n_pool: int
    n_ranked: int
    n_random: int
    random_probability: float
    seed: int

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {self.strategy!r}")


def _path_disagreement(a: Classification, b: Classification) -> float:
    if not (a.valid and b.valid and a.path and b.path):
        return 1.0
    depth = max(len(a.path), len(b.path))
    return sum(a.node_at(d) != b.node_at(d) for d in range(depth)) / depth


def disagreement_scores(predictions: Sequence[Sequence[Classification]]) -> list[float]:
    """Per conversation, how much two or more backends disagree (0 = not at all, 1 = on everything).

    Args:
        predictions: One sequence per backend, aligned by position (same conversations, same order).

    Raises:
        ValueError: With fewer than two backends or sequences of different lengths.
    """
    if len(predictions) < 2:
        raise ValueError("disagreement needs the predictions of at least two backends")
    lengths = {len(p) for p in predictions}
    if len(lengths) != 1:
        raise ValueError(f"backends classified different numbers of conversations: {sorted(lengths)}")
    scores = []
    for row in zip(*predictions, strict=True):
        parts = [((a.occupational != b.occupational) + _path_disagreement(a, b) + (a.pattern != b.pattern)) / 3
                 for a, b in combinations(row, 2)]
        scores.append(sum(parts) / len(parts))
    return scores


def _doubt(prediction: Classification, hierarchy: Hierarchy) -> float:
    if not prediction.valid or not prediction.path:
        return 1.0
    runners_up = [node for node in prediction.top_k[1:] if node in hierarchy]
    if not runners_up:
        return 0.0
    top = prediction.path[0]
    return sum(hierarchy.path(node)[0] != top for node in runners_up) / len(runners_up)


def uncertainty_scores(predictions: Sequence[Sequence[Classification]], hierarchy: Hierarchy) -> list[float]:
    """Per conversation, how unsure the backends are (0 = sure, 1 = invalid or runners-up all elsewhere).

    Raises:
        ValueError: Without predictions or with sequences of different lengths.
    """
    if not predictions:
        raise ValueError("uncertainty needs the predictions of at least one backend")
    if len({len(p) for p in predictions}) != 1:
        raise ValueError("backends classified different numbers of conversations")
    return [sum(_doubt(p, hierarchy) for p in row) / len(row) for row in zip(*predictions, strict=True)]


def _check_design(n_pool: int, n: int, random_share: float, strategy: str, scores: Sequence[float] | None) -> None:
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(STRATEGIES)}; got {strategy!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}")
    if not 0.0 <= random_share <= 1.0 or math.isnan(random_share):
        raise ValueError(f"random_share must lie in [0, 1]; got {random_share}")
    if strategy != "random":
        if scores is None or len(scores) != n_pool:
            raise ValueError(f"the {strategy} strategy needs one score per pool conversation")
        if random_share == 0.0:
            raise ValueError("a ranked strategy needs a random share above 0: otherwise most of the pool has no "
                             "chance of selection and accuracy cannot be weighted back to it")


def select_for_labelling(
    conversation_ids: Sequence[str],
    scores: Sequence[float] | None,
    *,
    n: int,
    strategy: Strategy,
    random_share: float = 0.3,
    seed: int = 0,
) -> Selection:
    """Choose up to ``n`` conversations of a pool by the design in the module docstring.

    Args:
        conversation_ids: The pool, unique ids.
        scores: One score per conversation (higher = more worth labelling); ignored (may be None) for ``random``.
        n: Sample size (the whole pool when it is smaller).
        strategy: ``disagreement``, ``uncertainty`` (the scores say which) or ``random``.
        random_share: Share of ``n`` drawn at random under a ranked strategy; must be above 0 there.
        seed: Seed of the draw and of tie-breaking.

    Raises:
        ValueError: On a bad option, a missing or misaligned score list, or repeated ids.
    """
    ids = list(conversation_ids)
    if len(set(ids)) != len(ids):
        raise ValueError("pool conversation ids must be unique")
    _check_design(len(ids), n, random_share, strategy, scores)
    rng = random.Random(seed)
    n = min(n, len(ids))
    n_random = n if strategy == "random" else round(n * random_share)
    n_ranked = n - n_random
    ranked: list[SelectedItem] = []
    rest = len(ids) - n_ranked
    q = n_random / rest if rest else 0.0
    tied_left: set[int] = set()
    tie_probability = q
    if n_ranked:
        assert scores is not None
        order = sorted(range(len(ids)), key=lambda i: -scores[i])
        position = {i: k for k, i in enumerate(order)}
        cutoff = scores[order[n_ranked - 1]]
        above = [i for i in order if scores[i] > cutoff]
        tied = [i for i in order if scores[i] == cutoff]
        places = n_ranked - len(above)
        chosen_tied = rng.sample(tied, places)
        share = places / len(tied)
        tie_probability = share + (1 - share) * q
        ranked = [SelectedItem(ids[i], "ranked", float(scores[i]), 1.0) for i in above]
        ranked += [SelectedItem(ids[i], "ranked", float(scores[i]), tie_probability)
                   for i in sorted(chosen_tied, key=position.__getitem__)]
        tied_left = set(tied) - set(chosen_tied)
    taken = {item.conversation_id for item in ranked}
    remaining = [i for i in range(len(ids)) if ids[i] not in taken]
    drawn = [
        SelectedItem(ids[i], "random", None if strategy == "random" or scores is None else float(scores[i]),
                     tie_probability if i in tied_left else q)
        for i in rng.sample(remaining, n_random)
    ]
    return Selection(tuple(ranked + drawn), strategy, len(ids), n_ranked, n_random, q, seed)
