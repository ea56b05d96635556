"""Internal types shared by the Clio-style builder's stages: level items, parent drafts, call bookkeeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from harness.llm import LLMRequest, LLMResponse, Usage

__all__ = ["CallStats", "DryRunLLM", "Item", "ParentDraft", "Timer", "nearest_to_centroid", "run_all", "unit_rows"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Item:
    """One node of the level being grouped: its id, what a model is shown, and the base statements under it."""

    id: str
    name: str
    description: str
    base: tuple[int, ...]  # indices of the base statements below (itself for a base item)

    @property
    def text(self) -> str:
        return f"{self.name}: {self.description}" if self.description else self.name


@dataclass(frozen=True)
class ParentDraft:
    """A parent on the new level before ids are assigned: its name, description and JSON-ready meta."""

    name: str
    description: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return f"{self.name}: {self.description}" if self.description else self.name


@dataclass
class CallStats:
    """Model calls of one step (mutable while the build runs; reported as a dict in the metadata)."""

    calls: int = 0
    cache_hits: int = 0
    invalid: int = 0
    retried: int = 0
    fallbacks: int = 0
    usage: Usage = field(default_factory=Usage)
    usage_including_cached: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0

    def record(self, response: LLMResponse) -> None:
        self.calls += 1
        self.cache_hits += int(response.cached)
        self.usage = self.usage + response.usage
        self.usage_including_cached = self.usage_including_cached + (response.original_usage or response.usage)
        self.cost_usd += response.cost_usd or 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls, "cache_hits": self.cache_hits, "invalid": self.invalid, "retried": self.retried,
            "fallbacks": self.fallbacks, "usage": self.usage.to_dict(),
            "usage_including_cached": self.usage_including_cached.to_dict(), "cost_usd": round(self.cost_usd, 6),
        }


def _approx_tokens(text: str) -> int:
    return (len(text) + 3) // 4


class DryRunLLM:
    """A stand-in model for dry runs: answers each request with the builder's own fallback answer.

    Nothing leaves the machine. The build runs through every stage with valid answers, so the number of calls is
    exact for the planned structure and the token counts approximate (about four characters per token; the
    placeholder answers are shorter than a model's would be, so output tokens are a lower bound).

    Args:
        model_id: The model the real build would use (recorded and used for the cost estimate).
    """

    backend = "dry-run"

    def __init__(self, model_id: str = "claude-haiku-4-5"):
        self.model_id = model_id

    async def complete(self, request: LLMRequest) -> LLMResponse:
        from harness.llm import estimate_cost

        text = str(request.metadata.get("fallback_answer", ""))
        usage = Usage(input_tokens=_approx_tokens(request.system + request.prompt), output_tokens=_approx_tokens(text))
        return LLMResponse(text=text, usage=usage, model=self.model_id, latency_s=0.0,
                           cost_usd=estimate_cost(self.model_id, usage))


async def run_all(
    factories: Sequence[Callable[[], Awaitable[_T]]], *, limit: int, desc: str, progress: bool
) -> list[_T]:
    """Run coroutines with at most ``limit`` in flight; results in input order.

    The first failure cancels the rest and is raised as itself (not wrapped in an exception group), so a model
    error reaches the CLI's error handler; answers already stored in the cache stay there for the re-run.
    """
    from tqdm import tqdm

    results: list[Any] = [None] * len(factories)
    semaphore = asyncio.Semaphore(max(1, limit))
    bar = tqdm(total=len(factories), desc=desc, disable=not progress, leave=False)

    async def one(i: int) -> None:
        async with semaphore:
            results[i] = await factories[i]()
        bar.update(1)

    try:
        async with asyncio.TaskGroup() as group:
            for i in range(len(factories)):
                group.create_task(one(i))
    except BaseExceptionGroup as failure:
        first: BaseException = failure
        while isinstance(first, BaseExceptionGroup):
            first = first.exceptions[0]
        raise first from None
    finally:
        bar.close()
    return results


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are)."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (matrix / norms).astype(np.float32, copy=False)


def nearest_to_centroid(vectors: np.ndarray, indices: Sequence[int]) -> list[int]:
    """``indices`` ordered by cosine similarity to their own centroid, most central first (ties: lower index)."""
    idx = np.asarray(indices, dtype=int)
    centroid = unit_rows(vectors[idx].mean(axis=0, keepdims=True))[0]
    scores = vectors[idx] @ centroid
    order = sorted(range(len(idx)), key=lambda j: (-float(scores[j]), int(idx[j])))
    return [int(idx[j]) for j in order]


class Timer:
    """Seconds per named stage, accumulated."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def add(self, name: str, started: float) -> None:
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.perf_counter() - started, 3)
