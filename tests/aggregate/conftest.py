"""Helpers for the aggregation tests: hand-made fact tables (exposed as fixtures)."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest

_LINKS = pd.DataFrame(
    {
        "statement_key": ["big a.", "big b.", "mid c.", "small s1.", "small s2."],
        "statement": ["Big A.", "Big B.", "Mid C.", "Small S1.", "Small S2."],
        "soc_codes": [("15-1131.00", "27-3043.00"), ("15-1131.00",), ("43-9061.00",), ("15-1132.00",),
                      ("27-3043.00",)],
    }
)


def _facts(cells: list[tuple[str | None, int, list[str], list[str]]]) -> pd.DataFrame:
    """``cells``: (statement_key or None for non-occupational, conversations, accounts, patterns) — accounts and
    patterns are cycled over the conversations."""
    rows = []
    for key, n, accounts, patterns in cells:
        acc, pat = itertools.cycle(accounts), itertools.cycle(patterns)
        for _ in range(n):
            rows.append({"account_id": next(acc), "occupational": key is not None, "statement_key": key,
                         "pattern": next(pat), "skills": ["Writing"] if key == "big a." else ["Programming"]})
    frame = pd.DataFrame(rows)
    frame.insert(0, "conversation_id", [f"c{i}" for i in range(len(frame))])
    return frame


@pytest.fixture
def links() -> pd.DataFrame:
    """Five tasks: two big, one mid and two small, linked to four occupations."""
    return _LINKS.copy()


@pytest.fixture
def make_facts():
    """Function building a fact table from (statement_key, conversations, accounts, patterns) cells."""
    return _facts
