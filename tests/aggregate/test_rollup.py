"""Roll-up of a hand-made fact table: equal split among linked occupations, account counts, patterns."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.aggregate import aggregate_facts, explode_links, synthetic_facts
from harness.errors import InputError

LINKS = pd.DataFrame({"statement_key": ["t1.", "t2."], "soc_codes": [("15-0001.00", "27-0001.00"), ("15-0001.00",)]})
A5 = [f"a{i}" for i in range(1, 6)]
A6 = [f"a{i}" for i in range(1, 7)]


def _facts(facts) -> pd.DataFrame:
    return facts([
        ("t1.", 20, A5, ["directive"]),
        ("t2.", 16, A6, ["learning"]),
        ("t2.", 14, ["b1", "b2", "b3"], ["validation"]),
    ])


def test_task_occupation_and_group_rollup(make_facts) -> None:
    agg = aggregate_facts(_facts(make_facts), LINKS)
    tasks = agg.tasks.table.set_index("statement_key")
    assert tasks.loc["t1.", "conversations"] == 20 and tasks.loc["t2.", "conversations"] == 30
    assert tasks.loc["t2.", "accounts"] == 9
    assert tasks["pct"].sum() == pytest.approx(100.0)
    assert tasks.loc["t2.", "pct_accounts"] == pytest.approx(100 * 9 / 9)
    occ = agg.occupations.table.set_index("soc_code")
    assert occ.loc["15-0001.00", "conversations"] == pytest.approx(40.0)  # 20/2 + 30
    assert occ.loc["27-0001.00", "conversations"] == pytest.approx(10.0)
    assert occ.loc["15-0001.00", "accounts"] == 9 and occ.loc["27-0001.00", "accounts"] == 5
    assert occ["pct"].sum() == pytest.approx(100.0)
    groups = agg.major_groups.table.set_index("major_group")
    assert groups.loc["15", "pct"] == pytest.approx(80.0) and groups.loc["27", "pct"] == pytest.approx(20.0)
    assert agg.withheld_conversations == 0


def test_pattern_breakdown_withheld_when_its_remainder_is_small(make_facts) -> None:
    agg = aggregate_facts(_facts(make_facts), LINKS)
    by_task = agg.patterns_by_task.table.set_index("statement_key")
    assert by_task.loc["t1.", "directive"] == 20 and by_task.loc["t1.", "withheld"] == 0
    # t2: learning (16 from 6 accounts) would pass, but then validation (14) would be readable as the rest.
    assert by_task.loc["t2.", "learning"] == 0 and by_task.loc["t2.", "withheld"] == 30
    overall = agg.patterns.table.set_index("pattern")["conversations"]
    assert overall["directive"] == 20 and overall["withheld"] == 30 and overall.sum() == 50


def test_skills_cells(make_facts) -> None:
    agg = aggregate_facts(_facts(make_facts), LINKS)
    assert agg.skills.table.set_index("skill")["conversations"].to_dict() == {"Programming": 50}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda f: f.drop(columns="pattern"), "pattern"),
        (lambda f: f.assign(conversation_id="same"), "conversation_id"),
        (lambda f: f.assign(statement_key="unknown task."), "statement_key"),
        (lambda f: f.assign(pattern="collaborative"), "pattern"),
        (lambda f: f.assign(account_id=None), "account_id"),
    ],
)
def test_bad_fact_tables(mutate, field: str, make_facts) -> None:
    with pytest.raises(InputError) as info:
        aggregate_facts(mutate(_facts(make_facts)), LINKS)
    assert info.value.field == field


def test_links_helper_and_synthetic_facts() -> None:
    rows = explode_links(LINKS)
    assert rows.groupby("statement_key")["weight"].sum().tolist() == [1.0, 1.0]
    synthetic = synthetic_facts(5000, LINKS, seed=1)
    agg = aggregate_facts(synthetic, LINKS)
    assert agg.released_conversations + agg.withheld_conversations == 5000
    assert (synthetic["statement_key"].isna() == ~synthetic["occupational"]).all()
