"""Options of a Clio-style build, shared by the build driver and the model-backed level builder."""

from __future__ import annotations

from dataclasses import dataclass
from typing import get_args

from harness.clio._offline import OfflineMethod

__all__ = ["ClioConfig"]


@dataclass(frozen=True)
class ClioConfig:
    """Options of a Clio-style build (all recorded in the hierarchy's metadata).

    Args:
        levels: Number of levels, base included (3 → top, mid, base).
        top: Requested number of top-level nodes.
        seed: Seed of every random choice (k-means, SVD, option shuffles, the statement sample).
        tolerance: Allowed relative deviation of a level's size from its target.
        neighbourhood_size: Items per k-means neighbourhood when proposing candidates.
        contrast_items: Nearest items from outside a neighbourhood shown with it.
        overshoot: Candidates proposed per neighbourhood, relative to its share of the level's target.
        assign_options: Candidates (nearest by embedding) offered to each child.
        assign_batch: Children placed per assignment call: each keeps its own ``assign_options`` candidates in its
            own seeded order, and the batch's candidates are listed once (children with the same nearest
            candidate are batched together, so their lists overlap). 1 asks about each child alone.
        rename_max_children: Children shown when a parent is renamed (most central first).
        duplicate_similarity: Cosine similarity above which two candidates are merged even when the level has no
            more candidates than its target.
        offline_method: Offline grouping: ``"agglomerative"`` (Ward), ``"kmeans"``, or ``"auto"`` (Ward up to
            4,000 items, k-means above).
        sample: Build over a seeded random sample of this many statements (None: all of them).
        concurrency: Model calls in flight at once.
        threads: Cap on BLAS/OpenMP threads while the levels are built (clustering, naming, model stages); the base
            embedding is not capped. None keeps the libraries' default. On a busy machine one thread is often
            several times faster than oversubscribed defaults.

    Raises:
        ValueError: An option out of range.
    """

    levels: int = 3
    top: int = 12
    seed: int = 0
    tolerance: float = 0.25
    neighbourhood_size: int = 40
    contrast_items: int = 8
    overshoot: float = 1.5
    assign_options: int = 10
    assign_batch: int = 25
    rename_max_children: int = 30
    duplicate_similarity: float = 0.9
    offline_method: OfflineMethod = "auto"
    sample: int | None = None
    concurrency: int = 16
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.levels < 2:
            raise ValueError(f"levels must be >= 2 (base included), got {self.levels}")
        if self.top < 1:
            raise ValueError(f"top must be >= 1, got {self.top}")
        if not 0.0 <= self.tolerance < 1.0:
            raise ValueError(f"tolerance must be in [0, 1), got {self.tolerance}")
        for name in ("neighbourhood_size", "assign_options", "assign_batch", "rename_max_children", "concurrency"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.contrast_items < 0:
            raise ValueError(f"contrast_items must be >= 0, got {self.contrast_items}")
        if self.overshoot < 1.0:
            raise ValueError(f"overshoot must be >= 1, got {self.overshoot}")
        if not 0.0 < self.duplicate_similarity <= 1.0:
            raise ValueError(f"duplicate_similarity must be in (0, 1], got {self.duplicate_similarity}")
        if self.offline_method not in get_args(OfflineMethod):
            raise ValueError(f"offline_method must be one of {get_args(OfflineMethod)}, got {self.offline_method!r}")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be >= 1 or None, got {self.threads}")
        if self.sample is not None and self.sample < 2:
            raise ValueError(f"sample must be >= 2 or None, got {self.sample}")
