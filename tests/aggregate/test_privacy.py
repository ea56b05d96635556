"""The privacy wall: policy limits, secondary suppression, and attempts to recover a withheld cell."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from harness.aggregate import PrivacyPolicy, aggregate_facts, analyze_aggregate, wall_cells, write_analysis

ACC = [f"u{i}" for i in range(12)]


def test_policy_defaults_and_raise_only() -> None:
    assert PrivacyPolicy() == PrivacyPolicy(15, 5)
    assert PrivacyPolicy(30, 10).admits(30, 10) and not PrivacyPolicy(30, 10).admits(29, 10)
    for bad in ({"min_conversations": 14}, {"min_accounts": 4}, {"min_conversations": 0},
                {"min_accounts": True}, {"min_conversations": 15.5}):
        with pytest.raises(ValueError):
            PrivacyPolicy(**bad)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PrivacyPolicy().min_conversations = 1  # type: ignore[misc]


def test_wall_cells_secondary_suppression() -> None:
    # One big cell, one mid cell, one small cell and nothing else: the residual would be exactly the small cell,
    # so the smallest reported cell must join it.
    cells = pd.Series(["a"] * 40 + ["c"] * 20 + ["s"] * 10)
    accounts = pd.Series([f"u{i % 10}" for i in range(40)] + [f"v{i % 6}" for i in range(20)]
                         + [f"w{i % 3}" for i in range(10)])
    kept, residual = wall_cells(cells, accounts, PrivacyPolicy())
    assert list(kept) == ["a"]
    assert residual == (30, 9)
    # Rows outside any cell (e.g. unclassified) start in the residual and are protected the same way.
    kept, residual = wall_cells(cells.where(cells != "s"), accounts, PrivacyPolicy())
    assert list(kept) == ["a"] and residual == (30, 9)
    # Nothing can be reported at all: the residual is withheld too.
    kept, residual = wall_cells(pd.Series(["s"] * 10), pd.Series(["x"] * 10), PrivacyPolicy())
    assert len(kept) == 0 and residual is None


def _base(facts, s1: int, s2: int, s1_occupational: bool = True) -> pd.DataFrame:
    cells = [
        ("big a.", 100, ACC, ["directive", "learning", "task_iteration"]),
        ("big b.", 60, ACC[:8], ["directive"]),
        ("mid c.", 40, ACC[2:10], ["feedback_loop", "validation"]),
        ("small s1." if s1_occupational else None, s1, ACC[9:12], ["learning"]),
        ("small s2.", s2, ACC[:2], ["validation"]),
        (None, 20, ACC[3:9], ["none"]),
    ]
    return facts([c for c in cells if c[1]])


def _outputs(frame: pd.DataFrame, links: pd.DataFrame, out: Path) -> dict[str, bytes]:
    agg = aggregate_facts(frame, links)
    write_analysis(analyze_aggregate(agg, links), out)
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_suppressed_cells_cannot_be_recovered(tmp_path: Path, make_facts, links) -> None:
    """Moving mass between withheld cells, or into 'not classified', must not change any output at all."""
    reference = _outputs(_base(make_facts, 10, 6), links, tmp_path / "d1")
    swapped = _outputs(_base(make_facts, 6, 10), links, tmp_path / "d2")
    reclassified = _outputs(_base(make_facts, 10, 6, s1_occupational=False), links, tmp_path / "d3")
    assert {"summary.json", "tables/tasks.csv", "tables/occupations.csv", "tables/major_groups.csv",
            "tables/patterns.csv", "figures/depth_of_use.png", "figures/collaboration.png"} <= set(reference)
    assert swapped.keys() == reference.keys() == reclassified.keys()
    for name, data in reference.items():
        assert swapped[name] == data, f"{name} reveals how withheld mass splits between cells"
        assert reclassified[name] == data, f"{name} reveals a withheld task apart from 'not classified'"
    for name, data in reference.items():
        if name.endswith((".csv", ".json")):
            text = data.decode()
            assert "small s1." not in text and "small s2." not in text, name
    # The only trace of the withheld mass is one combined total.
    agg = aggregate_facts(_base(make_facts, 10, 6), links)
    assert agg.withheld_conversations == 10 + 6 + 20
    assert agg.released_conversations + agg.withheld_conversations == len(_base(make_facts, 10, 6))


def test_lone_small_cell_is_protected_by_secondary_suppression(tmp_path: Path, make_facts, links) -> None:
    """With no other withheld mass, the residual alone would equal the small cell; it must not."""
    def frame(small: int, mid: int) -> pd.DataFrame:
        return make_facts([("big a.", 100, ACC, ["directive"]), ("mid c.", mid, ACC[2:10], ["learning"]),
                      ("small s1.", small, ACC[9:12], ["learning"])])

    agg = aggregate_facts(frame(10, 40), links)
    assert agg.withheld_conversations != 10
    assert agg.withheld_conversations >= 15
    assert set(agg.tasks.table["statement_key"]) == {"big a."}
    # The small cell's size cannot be told apart from the mid cell's once both are withheld.
    assert _outputs(frame(10, 40), links, tmp_path / "a") == _outputs(frame(12, 38), links, tmp_path / "b")


def test_every_reported_cell_meets_the_policy(make_facts, links) -> None:
    policy = PrivacyPolicy(20, 6)
    agg = aggregate_facts(_base(make_facts, 10, 6), links, policy=policy)
    for table in agg.tables().values():
        assert table.policy == policy
    tasks = agg.tasks.table
    assert (tasks["conversations"] >= 20).all() and (tasks["accounts"] >= 6).all()
    assert set(tasks["statement_key"]) == {"big a.", "big b.", "mid c."}
    assert (agg.occupations.table["accounts"] >= 6).all()
    assert (agg.skills.table["conversations"] >= 20).all()
