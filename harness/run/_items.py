"""The per-item table of a validation run: one row per goldset item, the input of the paired model comparison."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import pandas as pd

from harness.errors import InputError
from harness.run._schema import Column, TableSchema
from harness.taxonomy import PATTERNS

__all__ = [
    "ITEM_COLUMNS",
    "ITEM_SCHEMA",
    "SPLITS",
    "SPLIT_CHOICES",
    "Split",
    "SplitChoice",
    "check_paired_items",
    "read_items_file",
    "write_items",
]

# The one list of goldset splits: the goldset format, `harness validate --split`, the majority baseline, the
# calibration of `harness analyze` and the inspect-ai dataset all take theirs from here (this is the lowest
# layer that every one of them may import). "check" holds items labelled later, by other raters, that nothing was
# tuned on.
Split = Literal["dev", "test", "check"]
SPLITS: tuple[str, ...] = get_args(Split)
"""The goldset splits, in the order reports list them."""
SplitChoice = Literal[Split, "all"]
SPLIT_CHOICES: tuple[str, ...] = get_args(SplitChoice)
"""What a ``--split`` option accepts: one split, or ``"all"`` for every item."""

# Columns that describe the goldset item rather than a run's answer: two runs compared item by item must agree on
# them, or they scored different goldsets.
_GOLD_COLUMNS = ("split", "major_group", "gold_pattern", "gold_occupational")

ITEM_SCHEMA = TableSchema(
    name="items",
    version=1,
    columns=(
        Column("item_id", "string"),
        Column("split", "string", choices=SPLITS),
        Column("major_group", "string"),
        Column("pred_top", "string"),
        Column("pred_mid", "string"),
        Column("pred_base", "string"),
        Column("correct_top", "bool"),
        Column("correct_mid", "bool"),
        Column("correct_base", "bool"),
        Column("invalid", "bool"),
        Column("gold_pattern", "string", choices=PATTERNS),
        Column("pred_pattern", "string"),
        Column("gold_occupational", "bool"),
        Column("pred_occupational", "bool"),
        Column("input_tokens", "int", minimum=0),
        Column("output_tokens", "int", minimum=0),
        Column("latency_s", "float", minimum=0),
        Column("cost_usd", "float", minimum=0),
        # the prediction's confidence (harness.classify._confidence); absent from runs written before it existed
        Column("confidence", "float", required=False),
    ),
    # hierarchies with more levels add pred_/correct_ columns for them
    families=(Column("pred_", "string", required=False), Column("correct_", "bool", required=False)),
)
"""Layout of ``items.parquet``: the gold and predicted labels of each item, per-level correctness (null for items
left out of hierarchy scoring) and what the item cost."""

ITEM_COLUMNS: tuple[str, ...] = ITEM_SCHEMA.names
"""Columns of ``items.parquet``, in writing order."""


def _check_ids(frame: pd.DataFrame, path: Path) -> None:
    ids = frame["item_id"]
    if ids.isna().any() or (ids.astype(str).str.strip() == "").any():
        raise InputError(path, "item_id must not be empty", field="item_id")
    duplicated = ids[ids.duplicated()]
    if len(duplicated):
        raise InputError(path, f"item_id repeats, e.g. {duplicated.iloc[0]!r}", field="item_id")


def write_items(items: pd.DataFrame, path: Path) -> Path:
    """Check the per-item table and write it as Parquet (through a rename) with its schema version."""
    _check_ids(items, path)
    return ITEM_SCHEMA.write_parquet(items, path)


def read_items_file(path: Path) -> pd.DataFrame:
    """Read ``items.parquet`` and check its version, columns, kinds, values and item ids.

    Raises:
        InputError: The file is missing or unreadable, lacks a column of :data:`ITEM_COLUMNS`, holds a value of
            the wrong kind or outside its column's range, is newer than this harness, holds no item, or repeats
            an item id.
    """
    if not path.is_file():
        raise InputError(path, "no per-item table here; `harness validate` writes items.parquet in its run directory")
    frame = ITEM_SCHEMA.read_parquet(path)
    if frame.empty:
        raise InputError(path, "the per-item table holds no items")
    _check_ids(frame, path)
    return frame


def _gold_values(frame: pd.DataFrame, column: str) -> pd.Series:
    values = frame[column].astype(object)
    return values.where(values.notna(), None)


def check_paired_items(baseline: pd.DataFrame, candidate: pd.DataFrame, baseline_path: Path,
                       candidate_path: Path) -> None:
    """Refuse two per-item tables that cannot be compared item by item.

    They must hold the same item ids with the same goldset facts about each item (split, gold pattern, gold
    occupational flag, major group); anything else means the runs scored different goldsets or splits, and a
    paired test between them would compare unlike things. Each table must also hold something comparable: a
    per-level correctness, a gold pattern or a gold occupational flag for at least one item.

    Raises:
        InputError: Naming the candidate's table (or the table with nothing to compare) and the column.
    """
    ids_a, ids_b = set(baseline["item_id"]), set(candidate["item_id"])
    if ids_a != ids_b:
        only_a, only_b = sorted(map(str, ids_a - ids_b)), sorted(map(str, ids_b - ids_a))
        raise InputError(candidate_path, f"the runs scored different items ({len(only_a)} only in {baseline_path}, "
                         f"e.g. {only_a[:3]}; {len(only_b)} only here, e.g. {only_b[:3]}): same goldset and split?",
                         field="item_id")
    a = baseline.set_index("item_id")
    b = candidate.set_index("item_id").loc[a.index]
    for column in _GOLD_COLUMNS:
        if column not in a.columns or column not in b.columns:
            continue
        left, right = _gold_values(a, column), _gold_values(b, column)
        differs = [i for i, x, y in zip(a.index, left, right, strict=True) if x != y]
        if differs:
            raise InputError(candidate_path, f"{column} of item {differs[0]!r} differs from {baseline_path} "
                             f"({left[differs[0]]!r} there, {right[differs[0]]!r} here): same goldset and split?",
                             field=column)
    for frame, path in ((baseline, baseline_path), (candidate, candidate_path)):
        judged = [c for c in frame.columns if str(c).startswith("correct_")] + ["gold_pattern", "gold_occupational"]
        if not any(frame[c].notna().any() for c in judged if c in frame.columns):
            raise InputError(path, "no comparable items: no item has a per-level correctness, a gold pattern or a "
                             "gold occupational flag", field=judged[0] if judged else None)
