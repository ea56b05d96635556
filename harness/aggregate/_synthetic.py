"""Synthetic fact tables for benchmarks and tests (no conversation text, only the fact columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.taxonomy import COLLABORATION_PATTERNS

__all__ = ["synthetic_facts"]

_SKILLS = ("Programming", "Writing", "Critical Thinking", "Reading Comprehension", "Mathematics",
           "Active Learning", "Complex Problem Solving", "Speaking")


def synthetic_facts(n: int, links: pd.DataFrame, *, n_accounts: int | None = None, seed: int = 0,
                    occupational_rate: float = 0.9) -> pd.DataFrame:
    """A fact table of ``n`` conversations with Zipf-like task popularity over the tasks in ``links``.

    Columns: ``conversation_id``, ``account_id`` (categorical), ``occupational``, ``statement_key``
    (categorical, null when not occupational), ``pattern``, ``skills`` (list of names).
    """
    rng = np.random.default_rng(seed)
    keys = links["statement_key"].to_numpy()
    weights = 1.0 / np.arange(1, len(keys) + 1) ** 1.1
    weights = rng.permutation(weights / weights.sum())
    n_accounts = n_accounts or max(n // 20, 1)
    occupational = rng.random(n) < occupational_rate
    task_idx = rng.choice(len(keys), size=n, p=weights)
    patterns = np.array([*COLLABORATION_PATTERNS, "none"], dtype=object)
    skill_sets = [list(rng.choice(_SKILLS, size=k, replace=False)) for k in rng.integers(0, 4, size=256)]
    return pd.DataFrame(
        {
            "conversation_id": np.arange(n).astype(str),
            "account_id": pd.Categorical.from_codes(rng.integers(0, n_accounts, size=n),
                                                    [f"acct-{i}" for i in range(n_accounts)]),
            "occupational": occupational,
            "statement_key": pd.Categorical(np.where(occupational, keys[task_idx], None)),
            "pattern": patterns[rng.choice(len(patterns), size=n, p=[0.25, 0.12, 0.28, 0.2, 0.05, 0.1])],
            "skills": [skill_sets[i] for i in rng.integers(0, len(skill_sets), size=n)],
        }
    )
