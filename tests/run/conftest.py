"""Shared builders of the run-directory tests: fact rows as the classify pipeline writes them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from harness.classify import Classification

LEVELS = ("top", "mid", "base")


def fact_rows(n: int = 4) -> list[dict[str, Any]]:
    """``n`` fact rows in input order: valid and invalid, occupational and not, priced and unpriced."""
    rows = []
    for seq in range(n):
        valid = seq % 3 != 2
        result = Classification(
            conversation_id=f"c-{seq}",
            account_id=f"a-{seq % 2}",
            occupational=None if seq == 3 else seq % 2 == 0,
            path=("top:1", "mid:1", "task:101") if valid else (),
            top_k=("task:101", "task:102") if valid else (),
            pattern="directive" if valid else None,
            skills=("Writing",) if seq % 2 else (),
            valid=valid,
            invalid_reason=None if valid else "traversal: no option matched",
            input_tokens=100 + seq,
            output_tokens=10,
            cost_usd=0.001 * seq if seq % 2 else None,
            latency_s=0.25,
            prompt_hashes={"traversal": "ab" * 8},
        )
        rows.append({"seq": seq, **result.to_row(LEVELS), "statement_key": "draft letters." if valid else None,
                     "retryable": False, "content_sha256": f"{seq:064x}"})
    return rows


@pytest.fixture
def make_fact_rows() -> Callable[..., list[dict[str, Any]]]:
    """The :func:`fact_rows` builder."""
    return fact_rows
