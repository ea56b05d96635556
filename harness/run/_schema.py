"""Table schemas of a run: named columns with a value kind, a version, and the check every reader runs.

A Parquet table carries its schema version in the file's key-value metadata (``harness.schema_version``), so a
table moved out of its run directory still says how it was written. Tables written before versions existed have
no such key; they had the version-1 layout and are read as version 1. A version above the one this code knows is
refused rather than guessed at.

Kinds are checked loosely on purpose: the same column arrives as ``object``, ``str``, ``category`` or an Arrow
type depending on who wrote it (pandas, pyarrow, a synthetic frame), and a column whose every value is missing
fits any kind. Loose is not lax: a flag holds true/false or 0/1 (which the reader turns into true/false), never
"yes" or 2.5; a whole-number column may arrive as floats only when they have no fraction.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from pandas.api import types as ptypes

from harness.errors import InputError

__all__ = ["VALUE_KINDS", "Column", "TableSchema", "ValueKind"]

ValueKind = Literal["string", "bool", "int", "float", "list"]
VALUE_KINDS: tuple[str, ...] = get_args(ValueKind)
"""What a column holds: text, true/false, whole numbers, numbers, or lists."""

VERSION_KEY = b"harness.schema_version"
TABLE_KEY = b"harness.table"

def _is_flag(value: object) -> bool:
    """True/false, or the numbers 0 and 1 (how a flag arrives from tools without a boolean type)."""
    if isinstance(value, bool | np.bool_):
        return True
    return isinstance(value, int | float | np.integer | np.floating) and value in (0, 1)


def _is_whole(value: object) -> bool:
    """A whole number; a float with no fraction counts, since Parquet gives back an integer column with gaps
    as floats."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, int | np.integer):
        return True
    return isinstance(value, float | np.floating) and math.isfinite(value) and float(value).is_integer()


_FITS: dict[str, Callable[[object], bool]] = {
    "string": lambda v: isinstance(v, str),
    "bool": _is_flag,
    "int": _is_whole,
    "float": lambda v: isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_),
    "list": lambda v: isinstance(v, list | tuple | np.ndarray),
}
_KIND_WORDS = {"bool": "bool values (true/false or 0/1)", "int": "whole numbers"}


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        name: Column name, or a name prefix when the column is one of a family (``node_`` + level name).
        kind: One of :data:`VALUE_KINDS`.
        required: Whether a reader refuses a table without it.
        minimum: For numbers: the smallest value allowed; values must then also be finite (missing is allowed).
        choices: For text: the values allowed (missing is allowed); empty for free text.
    """

    name: str
    kind: ValueKind
    required: bool = True
    minimum: float | None = None
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in VALUE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(VALUE_KINDS)}, got {self.kind!r}")
        if self.minimum is not None and self.kind not in ("int", "float"):
            raise ValueError(f"{self.name}: only number columns take a minimum")
        if self.choices and self.kind != "string":
            raise ValueError(f"{self.name}: only text columns take choices")

    def value_problem(self, series: pd.Series) -> str | None:
        """Why a column already of the right kind holds a value this column does not allow, or None."""
        present = series[series.notna().to_numpy()]
        if self.choices:
            outside = present[~present.isin(self.choices).to_numpy()]
            if len(outside):
                return f"{outside.iloc[0]!r} is not one of {', '.join(self.choices)}"
        if self.minimum is not None:
            numbers = pd.to_numeric(present, errors="coerce").astype(float).to_numpy()
            bad = ~np.isfinite(numbers) | (numbers < self.minimum)
            if bad.any():
                return f"values must be finite and at least {self.minimum:g}, found {numbers[bad][0]!r}"
        return None


def _dtype_fits(series: pd.Series, kind: str) -> bool | None:
    """Whether the dtype alone settles the kind (True/False), or None when the values must be looked at."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return None
    if ptypes.is_bool_dtype(dtype):
        return kind == "bool"
    if ptypes.is_integer_dtype(dtype):
        return True if kind in ("int", "float") else (None if kind == "bool" else False)
    if ptypes.is_float_dtype(dtype):
        return True if kind == "float" else (None if kind in ("bool", "int") else False)
    if isinstance(dtype, pd.StringDtype):
        return kind == "string"
    return None  # object (and anything unusual): look at the values


def _kind_problem(series: pd.Series, kind: str) -> str | None:
    """Why ``series`` does not hold values of ``kind``, or None when it does."""
    values = series.cat.categories.to_series() if isinstance(series.dtype, pd.CategoricalDtype) else series
    fits = _dtype_fits(values, kind)
    if fits is True:
        return None
    present = values[values.notna().to_numpy()]
    if len(present) == 0:
        return None  # every value missing: fits any kind
    expected = _KIND_WORDS.get(kind, f"{kind} values")
    if fits is False:
        return f"expected {expected}, found dtype {series.dtype}"
    ok = present.map(_FITS[kind])
    if ok.all():
        return None
    bad = present[~ok.to_numpy()].iloc[0]
    return f"expected {expected}, found {bad!r} ({type(bad).__name__})"


def _as_flags(series: pd.Series) -> pd.Series:
    """A checked flag column given as 0/1 numbers, as true/false (missing stays missing)."""
    return series.map(lambda v: None if pd.isna(v) else bool(v)).astype(object)


@dataclass(frozen=True)
class TableSchema:
    """The layout of one table of a run: its columns, their kinds, and the layout version.

    Attributes:
        name: Table name (``"facts"``, ``"items"``), recorded in the Parquet metadata beside the version.
        version: Layout version this code writes and the highest it reads.
        columns: Columns by exact name, in writing order.
        families: Columns matched by name prefix (e.g. one ``node_<level>`` column per hierarchy level).
    """

    name: str
    version: int
    columns: tuple[Column, ...]
    families: tuple[Column, ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the columns every table of this schema must have."""
        return tuple(c.name for c in self.columns if c.required)

    @property
    def names(self) -> tuple[str, ...]:
        """Names of all the exact-name columns, required or not."""
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column | None:
        """The schema's column for ``name`` (exact name first, then a family prefix); None when unknown."""
        for column in self.columns:
            if column.name == name:
                return column
        return next((c for c in self.families if name.startswith(c.name)), None)

    def check_version(self, version: int, source: str | Path) -> None:
        """Refuse a table written with a layout newer than this code knows."""
        if version > self.version:
            raise InputError(source, f"{self.name} table has schema version {version}, newer than the "
                             f"{self.version} this harness reads; upgrade the harness", field="schema_version")
        if version < 1:
            raise InputError(source, f"schema version must be a positive integer, got {version}",
                             field="schema_version")

    def check(self, frame: pd.DataFrame, source: str | Path) -> None:
        """Check that ``frame`` has every required column and that known columns hold values of their kind.

        Columns the schema does not name are allowed and left alone. A column's ``minimum`` and ``choices`` are
        checked too.

        Raises:
            InputError: Naming ``source`` and the first missing or ill-typed column.
        """
        missing = [name for name in self.required if name not in frame.columns]
        if missing:
            raise InputError(source, f"{self.name} table lacks column(s) {missing}", field=missing[0])
        for name in frame.columns:
            column = self.column(str(name))
            if column is None:
                continue
            problem = _kind_problem(frame[name], column.kind) or column.value_problem(frame[name])
            if problem is not None:
                raise InputError(source, problem, field=str(name))

    def write_parquet(self, frame: pd.DataFrame, path: str | Path) -> Path:
        """Check ``frame`` and write it to ``path`` (through a rename) with this schema's name and version."""
        path = Path(path)
        os.replace(self.stage_parquet(frame, path), path)
        return path

    def stage_parquet(self, frame: pd.DataFrame, path: str | Path) -> Path:
        """Check ``frame`` and write it beside ``path`` under a temporary name, for the caller to rename.

        Returns:
            The temporary file (``path`` + ``.tmp``); ``path`` itself is not touched.
        """
        path = Path(path)
        self.check(frame, path)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        metadata = {**(table.schema.metadata or {}), TABLE_KEY: self.name.encode(),
                    VERSION_KEY: str(self.version).encode()}
        tmp = path.with_suffix(path.suffix + ".tmp")
        pq.write_table(table.replace_schema_metadata(metadata), tmp)
        return tmp

    def read_parquet(self, path: str | Path) -> pd.DataFrame:
        """Read a Parquet table of this schema and check its version, columns and kinds.

        Raises:
            InputError: The file is missing or not Parquet, holds another table, or fails :meth:`check` or
                :meth:`check_version`.
        """
        path = Path(path)
        if not path.is_file():
            raise InputError(path, f"file not found; expected a {self.name} table")
        try:
            metadata = pq.read_schema(path).metadata or {}
            frame = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several unrelated types for a file that is not Parquet
            raise InputError(path, f"cannot read as Parquet: {exc}") from None
        table = metadata.get(TABLE_KEY)
        if table is not None and table.decode() != self.name:
            raise InputError(path, f"holds a {table.decode()} table, expected {self.name}", field="harness.table")
        raw = metadata.get(VERSION_KEY, b"1")
        try:
            version = int(raw)
        except ValueError:
            raise InputError(path, f"unreadable schema version {raw!r}", field="schema_version") from None
        self.check_version(version, path)
        self.check(frame, path)
        return self._with_flags(frame)

    def _with_flags(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The frame with every flag column that arrived as 0/1 numbers turned into true/false."""
        for name in frame.columns:
            column = self.column(str(name))
            series = frame[name]
            if column is None or column.kind != "bool" or ptypes.is_bool_dtype(series.dtype):
                continue
            if not series.dropna().map(lambda v: isinstance(v, bool | np.bool_)).all():
                frame[name] = _as_flags(series)
        return frame
