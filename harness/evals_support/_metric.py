"""Inspect metrics whose value comes from a :mod:`harness.evaluate` function."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from inspect_ai.scorer import Metric, SampleScore, metric

__all__ = ["make_metric"]


def make_metric(name: str, compute: Callable[[list[dict[str, Any]]], float]) -> Metric:
    """A metric called ``name`` whose value is ``compute(score metadata of every sample)``.

    The scorers put each sample's gold and predicted values in the score's metadata; ``compute`` is where the
    :mod:`harness.evaluate` function is called on them, so an eval reports the same number ``harness validate``
    would. Undefined values (no samples, a single class for kappa) stay NaN.
    """

    @metric(name=name)
    def factory() -> Metric:
        def value(scores: list[SampleScore]) -> float:
            result = compute([dict(s.score.metadata or {}) for s in scores])
            return float("nan") if result is None or math.isnan(result) else float(result)

        return value

    return factory()
