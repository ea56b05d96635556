"""The per-item table of a validation run: one row per goldset item, the input of the paired model comparison."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from harness.errors import InputError
from harness.run._schema import Column, TableSchema

__all__ = ["ITEM_COLUMNS", "ITEM_SCHEMA", "read_items_file", "write_items"]

ITEM_SCHEMA = TableSchema(
    name="items",
    version=1,
    columns=(
        Column("item_id", "string"),
        Column("split", "string"),
        Column("major_group", "string"),
        Column("pred_top", "string"),
        Column("pred_mid", "string"),
        Column("pred_base", "string"),
        Column("correct_top", "bool"),
        Column("correct_mid", "bool"),
        Column("correct_base", "bool"),
        Column("invalid", "bool"),
        Column("gold_pattern", "string"),
        Column("pred_pattern", "string"),
        Column("gold_occupational", "bool"),
        Column("pred_occupational", "bool"),
        Column("input_tokens", "int"),
        Column("output_tokens", "int"),
        Column("latency_s", "float"),
        Column("cost_usd", "float"),
    ),
    # hierarchies with more levels add pred_/correct_ columns for them
    families=(Column("pred_", "string", required=False), Column("correct_", "bool", required=False)),
)
"""Layout of ``items.parquet``: the gold and predicted labels of each item, per-level correctness (null for items
left out of hierarchy scoring) and what the item cost."""

ITEM_COLUMNS: tuple[str, ...] = ITEM_SCHEMA.names
"""Columns of ``items.parquet``, in writing order."""


def _check_ids(frame: pd.DataFrame, path: Path) -> None:
    if frame["item_id"].isna().any():
        raise InputError(path, "item_id must not be empty", field="item_id")
    duplicated = frame["item_id"][frame["item_id"].duplicated()]
    if len(duplicated):
        raise InputError(path, f"item_id repeats, e.g. {duplicated.iloc[0]!r}", field="item_id")


def write_items(items: pd.DataFrame, path: Path) -> Path:
    """Check the per-item table and write it as Parquet (through a rename) with its schema version."""
    _check_ids(items, path)
    return ITEM_SCHEMA.write_parquet(items, path)


def read_items_file(path: Path) -> pd.DataFrame:
    """Read ``items.parquet`` and check its version, columns, kinds and item ids.

    Raises:
        InputError: The file is missing or unreadable, lacks a column of :data:`ITEM_COLUMNS`, holds a value of
            the wrong kind, is newer than this harness, or repeats an item id.
    """
    if not path.is_file():
        raise InputError(path, "no per-item table here; `harness validate` writes items.parquet in its run directory")
    frame = ITEM_SCHEMA.read_parquet(path)
    _check_ids(frame, path)
    return frame
