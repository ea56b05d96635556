"""DuckDB over Parquet parts gives the tables of the pandas path, releases through the ledger as a DataFrame would,
and names the part and row of a bad value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.aggregate import (
    Aggregate,
    CellSet,
    ColumnarFacts,
    PrivacyPolicy,
    ReleaseLedger,
    aggregate_facts,
    partition_files,
    synthetic_facts,
)
from harness.errors import InputError

pytest.importorskip("duckdb")

PATTERNS = ["directive", "feedback_loop", "task_iteration", "learning", "validation", "none", None]
SKILLS = ["Writing", "Programming", "Speaking", "Mathematics"]


def _write_parts(facts: pd.DataFrame, folder: Path, parts: int) -> Path:
    """``facts`` cut into contiguous parts under hive-style folders, so sorted path order is row order."""
    for k, rows in enumerate(np.array_split(np.arange(len(facts)), parts)):
        (folder / f"shard={k:02d}").mkdir(parents=True, exist_ok=True)
        facts.iloc[rows].to_parquet(folder / f"shard={k:02d}" / "facts.parquet", index=False)
    return folder


def _assert_same(got: Aggregate, expected: Aggregate) -> None:
    for name, table in expected.tables().items():
        pd.testing.assert_frame_equal(got.tables()[name].table, table.table, check_exact=True, obj=name)
        assert got.tables()[name].to_json_dict() == table.to_json_dict()
    assert (got.released_conversations, got.released_accounts, got.withheld_conversations) == (
        expected.released_conversations, expected.released_accounts, expected.withheld_conversations)


def _random_case(seed: int) -> tuple[pd.DataFrame, pd.DataFrame, PrivacyPolicy, CellSet]:
    """Small, lopsided fact tables where secondary suppression, ties, withheld cells and abstentions all occur."""
    rng = np.random.default_rng(seed)
    n_tasks, n, n_accounts = int(rng.integers(1, 12)), int(rng.integers(1, 400)), int(rng.integers(1, 30))
    keys = [f"k{i}" for i in range(n_tasks)]
    links = pd.DataFrame({"statement_key": keys, "statement": [k.upper() for k in keys],
                          "soc_codes": [tuple(f"{11 + j % 3}-10{j}{i % 2}.00" for j in range(1 + i % 3))
                                        for i in range(n_tasks)]})
    weights = np.r_[1.0, rng.random(n_tasks - 1)]
    task = rng.choice(n_tasks, size=n, p=weights / weights.sum())
    occupational = rng.random(n) < 0.85
    facts = pd.DataFrame({
        "conversation_id": [f"c{i}" for i in range(n)],
        "account_id": [f"a{x}" for x in rng.integers(0, n_accounts, n)],
        "occupational": occupational,
        "statement_key": [keys[t] if o and rng.random() > 0.05 else None for t, o in zip(task, occupational,
                                                                                          strict=True)],
        "pattern": [PATTERNS[i] for i in rng.integers(0, len(PATTERNS), n)],
        "skills": [list(rng.choice(SKILLS, size=int(rng.integers(0, 3)))) for _ in range(n)],
        "abstained": rng.random(n) < 0.05,
    })
    withhold = CellSet.of(rng.choice(keys, size=int(rng.integers(0, 3))).tolist(),
                          [(keys[int(rng.integers(n_tasks))], PATTERNS[int(rng.integers(6))]) for _ in range(2)],
                          rng.choice(SKILLS, size=int(rng.integers(0, 2))).tolist())
    return facts, links, PrivacyPolicy(int(rng.integers(15, 25)), int(rng.integers(5, 8))), withhold


@pytest.mark.parametrize("seed", range(12))
def test_the_tables_equal_the_pandas_path(tmp_path, seed):
    facts, links, policy, withhold = _random_case(seed)
    folder = _write_parts(facts, tmp_path / "parts", parts=1 + seed % 3)
    with ColumnarFacts(folder) as columnar:
        assert len(columnar) == len(facts)
        got = columnar.aggregate(links, policy=policy, withhold=withhold, source="s")
    _assert_same(got, aggregate_facts(facts, links, policy=policy, withhold=withhold, source="s"))


def test_synthetic_facts_in_many_parts_equal_the_pandas_path(tmp_path):
    keys = [f"task {i}" for i in range(300)]
    links = pd.DataFrame({"statement_key": keys, "soc_codes": [
        tuple(f"{10 + (i + j) % 44:02d}-{(i * 7 + j) % 90 + 1000:04d}.00" for j in range(1 + i % 3))
        for i in range(300)]})
    facts = synthetic_facts(20_000, links, seed=1, n_accounts=2_000)
    folder = _write_parts(facts, tmp_path / "parts", parts=5)
    with ColumnarFacts(folder) as columnar:
        _assert_same(columnar.aggregate(links, source="facts"), aggregate_facts(facts, links))


def test_a_table_without_skills_or_rows_in_a_part(tmp_path, links, make_facts):
    facts = make_facts([("big a.", 20, ["u1", "u2", "u3", "u4", "u5"], ["directive"]),
                        (None, 16, ["u6", "u7", "u8", "u9", "u10"], ["learning"])]).drop(columns="skills")
    folder = _write_parts(facts, tmp_path / "parts", parts=2)
    facts.iloc[:0].to_parquet(folder / "shard=99.parquet", index=False)  # an empty part counts for nothing
    with ColumnarFacts(folder) as columnar:
        got = columnar.aggregate(links, source="facts")
    _assert_same(got, aggregate_facts(facts, links))
    assert got.skills.table.empty and got.released_conversations == 20


def test_a_release_through_the_ledger_is_the_release_of_the_dataframe(tmp_path, links, make_facts):
    facts = make_facts([("big a.", 30, ["u1", "u2", "u3", "u4", "u5", "u6"], ["directive", "learning"]),
                        ("big b.", 20, ["u1", "u2", "u3", "u4", "u5"], ["task_iteration"]),
                        ("small s1.", 9, ["u7", "u8"], ["directive"]), (None, 12, ["u9"], ["none"])])
    folder = _write_parts(facts, tmp_path / "parts", parts=3)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    expected = ReleaseLedger(tmp_path / "a" / "ledger.json").release(facts, links, source="facts")
    with ColumnarFacts(folder) as columnar:
        got = ReleaseLedger(tmp_path / "b" / "ledger.json").release(columnar, links, source="facts")
    _assert_same(got.aggregate, expected.aggregate)
    assert np.array_equal(got.entry.population, expected.entry.population)
    assert (got.entry.reported, got.entry.withheld) == (expected.entry.reported, expected.entry.withheld)
    assert got.entry.conversations == len(facts) and "small s1." in got.entry.withheld.tasks


def test_the_ledger_keeps_a_withheld_cell_withheld_for_parts_too(tmp_path, links, make_facts):
    """The differencing attack of the ledger's docstring, with the second release read from Parquet parts."""
    accounts = ["u1", "u2", "u3", "u4", "u5", "u6"]
    first = make_facts([("big a.", 40, accounts, ["directive"]), ("mid c.", 14, accounts, ["directive"]),
                        (None, 20, accounts, ["none"])])
    ledger = ReleaseLedger(tmp_path / "ledger.json")
    assert "mid c." in ledger.release(first, links).entry.withheld.tasks
    grown = pd.concat([first, first.iloc[[40]].assign(conversation_id="c-new")], ignore_index=True)
    with ColumnarFacts(_write_parts(grown, tmp_path / "parts", parts=2)) as columnar:
        second = ledger.release(columnar, links)
    assert "mid c." not in set(second.aggregate.tasks.table["statement_key"])  # 15 now, yet still withheld
    assert second.carried_over.tasks == {"mid c."} and second.related


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda f: f.assign(pattern=f["pattern"].where(f.index != 7, "delegation")), "pattern", "expected one of"),
    (lambda f: f.assign(account_id=f["account_id"].where(f.index != 7, None)), "account_id", "account_id is empty"),
    (lambda f: f.assign(conversation_id=f["conversation_id"].where(f.index != 7, "c2")), "conversation_id",
     "appears twice"),
    (lambda f: f.assign(statement_key=f["statement_key"].where(f.index != 7, "unknown task.")), "statement_key",
     "not in the links table"),
])
def test_a_bad_value_names_its_part_and_row(tmp_path, links, make_facts, change, field, message):
    facts = change(make_facts([("big a.", 12, ["u1", "u2"], ["directive"])]))
    folder = _write_parts(facts, tmp_path / "parts", parts=2)  # rows 0-5 and 6-11: row 7 is the 2nd of part 2
    with ColumnarFacts(folder) as columnar, pytest.raises(InputError, match=message) as info:
        columnar.aggregate(links)
    assert (info.value.path, info.value.line, info.value.field) == (folder / "shard=01" / "facts.parquet", 2, field)


def test_parts_are_every_parquet_file_but_only_the_facts_of_a_run(tmp_path, make_facts):
    facts = make_facts([("big a.", 4, ["u1"], ["directive"])])
    facts.to_parquet(tmp_path / "b.parquet")
    run = tmp_path / "runs" / "r1"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text("{}")
    facts.to_parquet(run / "facts.parquet")
    facts.to_parquet(run / "items.parquet")
    assert partition_files(tmp_path) == [tmp_path / "b.parquet", run / "facts.parquet"]
    (run / "manifest.json").unlink()
    (run / "facts.partial.jsonl").write_text("")
    with pytest.raises(InputError, match="unfinished run"):
        partition_files(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no Parquet parts"):
        partition_files(tmp_path / "empty")
    (tmp_path / "empty" / "x.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="cannot read as Parquet"):
        ColumnarFacts(tmp_path / "empty")


def test_a_part_without_a_required_column_is_refused(tmp_path, make_facts):
    make_facts([("big a.", 4, ["u1"], ["directive"])]).drop(columns="pattern").to_parquet(tmp_path / "p.parquet")
    with pytest.raises(InputError, match="lacks column") as info:
        ColumnarFacts(tmp_path)
    assert info.value.field == "pattern"


def test_analyze_aggregates_a_folder_of_parts_through_the_ledger(tmp_path, data_dir, mini_onet_dir, capsys):
    from harness.cli import main

    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    (data / "economic_index").symlink_to(data_dir / "economic_index")
    from harness.taxonomy import load_onet

    keys = list(load_onet(mini_onet_dir).statements["statement_key"])[:3]
    # 40 conversations on one task, and 16 others (12 unclassified, 4 on small tasks) to make the withheld total
    rows = [{"conversation_id": f"c{i}", "account_id": f"u{i % 7}", "occupational": i < 40 or i >= 52,
             "statement_key": keys[0] if i < 40 else keys[1 + i % 2], "pattern": "directive", "skills": ["Writing"]}
            for i in range(56)]
    facts = pd.DataFrame(rows)
    _write_parts(facts, tmp_path / "parts", parts=3)
    facts.to_parquet(tmp_path / "facts.parquet")
    for name, source in (("from_parts", tmp_path / "parts"), ("from_file", tmp_path / "facts.parquet")):
        assert main(["--data-dir", str(data), "analyze", "--facts", str(source), "--onet-release", "29.3",
                     "--ledger", str(tmp_path / f"{name}.ledger.json"), "--out", str(tmp_path / name)]) == 0
    summaries = [json.loads((tmp_path / name / "summary.json").read_text()) for name in ("from_parts", "from_file")]
    for summary in summaries:
        summary.pop("name")
        summary["release_ledger"].pop("release_id")
    assert summaries[0] == summaries[1] and summaries[0]["released_conversations"] == 40
    for table in ("tasks", "occupations", "patterns_by_task", "skills"):
        assert (tmp_path / "from_parts" / "tables" / f"{table}.csv").read_text() == \
            (tmp_path / "from_file" / "tables" / f"{table}.csv").read_text()
    assert json.loads((tmp_path / "from_parts.ledger.json").read_text())["releases"][0]["conversations"] == 56
    capsys.readouterr()
