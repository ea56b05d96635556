"""The facts and items tables: round trips, the schema checked on read, versions old and new."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.classify import facts_to_classifications
from harness.errors import InputError
from harness.run import FACT_COLUMNS, FACT_SCHEMA, ITEM_COLUMNS, ITEM_SCHEMA, Column, RunDir, read_facts, read_items
from tests.evaluate.conftest import make_items


def _write_with_version(frame: pd.DataFrame, path: Path, table: str, version: str | None) -> Path:
    """Parquet written by hand, with a chosen version stamp (None: no stamp, as before versions existed)."""
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    metadata = dict(arrow.schema.metadata or {})
    if version is not None:
        metadata[b"harness.table"] = table.encode()
        metadata[b"harness.schema_version"] = version.encode()
    pq.write_table(arrow.replace_schema_metadata(metadata), path)
    return path


# --------------------------------------------------------------------------------------------- facts


def test_facts_round_trip_parquet_jsonl_and_memory(tmp_path: Path, make_fact_rows) -> None:
    run = RunDir(tmp_path)
    rows = make_fact_rows(5)
    written = run.write_facts(rows)
    assert not list(tmp_path.glob("*.tmp"))
    parquet, jsonl = run.read_facts(), run.read_facts(jsonl=True)
    assert list(parquet["conversation_id"]) == [r["conversation_id"] for r in rows]
    assert list(parquet.columns) == list(rows[0])
    from_disk = facts_to_classifications(parquet)
    assert from_disk == facts_to_classifications(jsonl) == facts_to_classifications(written)
    assert from_disk[2].valid is False and from_disk[2].path == () and from_disk[2].cost_usd is None
    assert from_disk[3].occupational is None and from_disk[1].skills == ("Writing",)
    assert dict(from_disk[0].prompt_hashes) == {"traversal": "ab" * 8}
    assert pq.read_schema(run.facts_path).metadata[b"harness.schema_version"] == str(FACT_SCHEMA.version).encode()
    assert [json.loads(line)["seq"] for line in run.facts_jsonl_path.read_text().splitlines()] == list(range(5))


def test_read_facts_accepts_a_directory_or_a_file(tmp_path: Path, make_fact_rows) -> None:
    RunDir(tmp_path).write_facts(make_fact_rows(3))
    assert len(read_facts(tmp_path)) == len(read_facts(tmp_path / "facts.parquet")) == 3
    assert len(read_facts(tmp_path / "facts.jsonl")) == 3


def test_unversioned_facts_read_as_version_1(tmp_path: Path, make_fact_rows) -> None:
    from harness.run import facts_frame

    path = _write_with_version(facts_frame(make_fact_rows(3)), tmp_path / "facts.parquet", "facts", None)
    assert pq.read_schema(path).metadata.get(b"harness.schema_version") is None
    assert len(read_facts(path)) == 3


def test_a_version_1_table_without_the_resume_columns_reads(tmp_path: Path, make_fact_rows) -> None:
    """Version 2 added content_sha256 and retryable; tables written before them stay readable."""
    from harness.run import facts_frame

    frame = facts_frame(make_fact_rows(3)).drop(columns=["content_sha256", "retryable"])
    path = _write_with_version(frame, tmp_path / "facts.parquet", "facts", "1")
    facts = read_facts(path)
    assert len(facts) == 3 and "content_sha256" not in facts.columns
    assert facts_to_classifications(facts)[0].conversation_id == "c-0"


def test_a_minimal_fact_table_is_enough(tmp_path: Path) -> None:
    """Producers other than classify (synthetic tables, other tools) need only the roll-up columns."""
    from harness.aggregate import synthetic_facts

    links = pd.DataFrame({"statement_key": ["t1.", "t2."], "soc_codes": [("15-0001.00",), ("27-0001.00",)]})
    synthetic_facts(50, links, n_accounts=5, seed=1).to_parquet(tmp_path / "facts.parquet")
    facts = read_facts(tmp_path / "facts.parquet")
    assert set(FACT_COLUMNS) <= set(facts.columns) and len(facts) == 50


@pytest.mark.parametrize("column", FACT_COLUMNS)
def test_facts_missing_column_names_file_and_field(tmp_path: Path, make_fact_rows, column: str) -> None:
    from harness.run import facts_frame

    frame = facts_frame(make_fact_rows(3)).drop(columns=[column])
    path = _write_with_version(frame, tmp_path / "facts.parquet", "facts", "1")
    with pytest.raises(InputError, match="facts.parquet") as info:
        read_facts(path)
    assert info.value.field == column


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("occupational", ["yes", "no", "yes"]),  # text where true/false belongs
        ("input_tokens", ["100", "101", "102"]),  # numbers stored as text
        ("latency_s", [True, False, True]),  # booleans are not numbers here
        ("path", ["top:1/mid:1", "", "x"]),  # a string where a list belongs
        ("node_base", [1, 2, 3]),  # a node column (family) holding numbers
        ("account_id", [1, 2, 3]),
        ("retryable", ["no", "no", "yes"]),
        ("content_sha256", [1, 2, 3]),
    ],
)
def test_facts_wrong_kind_names_file_and_field(tmp_path: Path, make_fact_rows, column: str, values: list) -> None:
    from harness.run import facts_frame

    frame = facts_frame(make_fact_rows(3))
    frame[column] = values
    path = _write_with_version(frame, tmp_path / "facts.parquet", "facts", "1")
    with pytest.raises(InputError, match="expected") as info:
        read_facts(path)
    assert info.value.field == column and info.value.path == path


def test_facts_newer_version_is_refused(tmp_path: Path, make_fact_rows) -> None:
    from harness.run import facts_frame

    path = _write_with_version(facts_frame(make_fact_rows(2)), tmp_path / "facts.parquet", "facts",
                               str(FACT_SCHEMA.version + 1))
    with pytest.raises(InputError, match="newer") as info:
        read_facts(path)
    assert info.value.field == "schema_version" and info.value.path == path


def test_facts_jsonl_version_comes_from_the_manifest(tmp_path: Path, make_fact_rows) -> None:
    run = RunDir(tmp_path)
    run.write_facts(make_fact_rows(2))
    run.write_manifest({"backend": "replay:x"})
    assert len(read_facts(run.facts_jsonl_path)) == 2
    manifest = json.loads(run.manifest_path.read_text())
    manifest["schema_versions"]["facts"] = FACT_SCHEMA.version + 1
    run.manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(InputError, match="newer"):
        read_facts(run.facts_jsonl_path)
    run.manifest_path.unlink()  # an old run without a manifest record: version 1
    assert len(read_facts(run.facts_jsonl_path)) == 2


def test_facts_values_are_checked_on_write_and_read(tmp_path: Path, make_fact_rows) -> None:
    rows = make_fact_rows(3)
    rows[2]["conversation_id"] = rows[0]["conversation_id"]
    with pytest.raises(InputError, match="appears twice") as info:
        RunDir(tmp_path).write_facts(rows)
    assert info.value.line == 3
    rows = make_fact_rows(3)
    rows[1]["pattern"] = "delegation"
    with pytest.raises(InputError) as info:
        RunDir(tmp_path).write_facts(rows)
    assert info.value.field == "pattern"


def test_facts_not_parquet_or_missing(tmp_path: Path) -> None:
    (tmp_path / "facts.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="Parquet"):
        read_facts(tmp_path / "facts.parquet")
    with pytest.raises(InputError, match="not found"):
        read_facts(tmp_path / "nowhere" / "facts.parquet")
    (tmp_path / "bad.jsonl").write_text('{"conversation_id": "a"}\n{oops\n')
    with pytest.raises(InputError) as info:
        read_facts(tmp_path / "bad.jsonl")
    assert info.value.line == 2


# --------------------------------------------------------------------------------------------- items


def test_items_round_trip_with_version(tmp_path: Path) -> None:
    items = make_items(seed=1, n=25)
    run = RunDir(tmp_path)
    run.write_items(items)
    assert pq.read_schema(run.items_path).metadata[b"harness.schema_version"] == b"1"
    loaded = read_items(tmp_path)
    assert list(loaded.columns) == list(ITEM_COLUMNS)
    pd.testing.assert_frame_equal(loaded, run.read_items())
    assert loaded["correct_top"].tolist() == items["correct_top"].tolist()


def test_unversioned_items_read_as_version_1(tmp_path: Path) -> None:
    make_items(seed=2, n=10).to_parquet(tmp_path / "items.parquet")  # as written before versions existed
    assert len(read_items(tmp_path)) == 10


def test_items_with_nulls_and_extra_columns_are_read(tmp_path: Path) -> None:
    items = make_items(seed=3, n=6)
    items["correct_mid"] = pd.array([True, None, False, None, True, True], dtype="boolean")
    items["pred_occupational"] = [True, None, False, True, None, False]
    items["cost_usd"] = None  # a backend without prices
    items["note"] = "anything"  # columns the schema does not name are left alone
    RunDir(tmp_path).write_items(items)
    loaded = read_items(tmp_path)
    assert loaded["cost_usd"].isna().all() and loaded["correct_mid"].isna().sum() == 2


def test_items_of_every_goldset_split_are_read_and_others_refused(tmp_path: Path) -> None:
    items = make_items(seed=7, n=6)
    items["split"] = ["dev", "test", "check", "check", "dev", "test"]
    RunDir(tmp_path).write_items(items)
    assert read_items(tmp_path)["split"].tolist() == ["dev", "test", "check", "check", "dev", "test"]
    items["split"] = "holdout"
    path = _write_with_version(items, tmp_path / "items.parquet", "items", "1")
    with pytest.raises(InputError, match="holdout") as info:
        read_items(path)
    assert info.value.field == "split"


@pytest.mark.parametrize(
    ("column", "value"),
    [("correct_base", "yes"), ("input_tokens", 1.5), ("item_id", 7), ("latency_s", "fast")],
)
def test_items_wrong_kind_names_field(tmp_path: Path, column: str, value: object) -> None:
    items = make_items(seed=4, n=5)
    items[column] = [value] * 5 if column != "item_id" else list(range(5))
    path = _write_with_version(items, tmp_path / "items.parquet", "items", "1")
    with pytest.raises(InputError, match="expected") as info:
        read_items(path)
    assert info.value.field == column


def test_items_newer_version_or_other_table_is_refused(tmp_path: Path, make_fact_rows) -> None:
    path = _write_with_version(make_items(seed=5, n=5), tmp_path / "items.parquet", "items",
                               str(ITEM_SCHEMA.version + 1))
    with pytest.raises(InputError, match="newer") as info:
        read_items(tmp_path)
    assert info.value.field == "schema_version"
    _write_with_version(make_items(seed=5, n=5), path, "items", "two")
    with pytest.raises(InputError, match="unreadable schema version"):
        read_items(tmp_path)
    RunDir(tmp_path).write_facts(make_fact_rows(2))
    (tmp_path / "facts.parquet").replace(path)
    with pytest.raises(InputError, match="holds a facts table"):
        read_items(tmp_path)


def test_items_missing_column_and_repeated_ids(tmp_path: Path) -> None:
    items = make_items(seed=6, n=8)
    with pytest.raises(InputError) as info:
        RunDir(tmp_path).write_items(items.drop(columns=["pred_mid"]))
    assert info.value.field == "pred_mid"
    with pytest.raises(InputError, match="repeats"):
        RunDir(tmp_path).write_items(pd.concat([items, items.iloc[:1]]))
    assert not (tmp_path / "items.parquet").exists()


def test_column_kind_is_checked() -> None:
    with pytest.raises(ValueError, match="kind must be one of"):
        Column("x", "text")  # type: ignore[arg-type]
