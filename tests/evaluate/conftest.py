"""Shared helpers of the evaluate tests."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from harness.evaluate import PATTERNS


def make_items(seed: int, n: int = 200, skill: float = 0.7, gold_seed: int = 100) -> pd.DataFrame:
    """A synthetic items.parquet table; gold depends only on gold_seed, predictions on seed and skill."""
    gold_rng = np.random.default_rng(gold_seed)
    rng = np.random.default_rng(seed)
    gold_pattern = gold_rng.choice(PATTERNS, size=n)
    gold_occ = gold_rng.random(n) < 0.8
    right = {level: rng.random(n) < skill for level in ("top", "mid", "base")}
    pattern_right = rng.random(n) < skill
    pred_pattern = np.where(pattern_right, gold_pattern, rng.choice(PATTERNS, size=n)).astype(object)
    pred_pattern[rng.random(n) < 0.03] = None
    invalid = pd.isna(pred_pattern)
    pred_occ = np.where(rng.random(n) < skill + 0.1, gold_occ, ~gold_occ)
    return pd.DataFrame(
        {
            "item_id": [f"item-{i:04d}" for i in range(n)],
            "split": ["test"] * n,
            "major_group": gold_rng.choice(["11", "15", "43"], size=n),
            "pred_top": ["t"] * n,
            "pred_mid": ["m"] * n,
            "pred_base": ["b"] * n,
            "correct_top": right["top"],
            "correct_mid": right["mid"],
            "correct_base": right["base"],
            "invalid": invalid,
            "gold_pattern": gold_pattern,
            "pred_pattern": pred_pattern,
            "gold_occupational": gold_occ,
            "pred_occupational": pred_occ,
            "input_tokens": rng.integers(500, 1500, size=n),
            "output_tokens": rng.integers(50, 200, size=n),
            "latency_s": rng.random(n) * 3,
            "cost_usd": rng.random(n) * 0.01,
            # drawn from no generator, so the columns above stay as they were before confidence existed
            "confidence": np.where(right["top"], 0.7, 0.4),
        }
    )


@pytest.fixture
def synthetic_items() -> Callable[..., pd.DataFrame]:
    """The :func:`make_items` builder of synthetic ``items.parquet`` tables."""
    return make_items
