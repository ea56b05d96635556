"""Strict reading of tab-separated release files, from a directory or from a zip archive.

O*NET text releases are UTF-8, tab-separated, with a header row and no quoting. We parse them ourselves rather
than with ``pandas.read_csv`` so that every problem can be reported with its file and line: a bad byte sequence,
a row with the wrong number of fields, a missing column or a value of the wrong kind.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.errors import InputError, MissingDataError

__all__ = ["ReleaseSource", "check_column", "parse_tsv"]


class ReleaseSource:
    """A release's files, either unpacked in a directory or inside the official zip.

    Args:
        root: A directory holding the ``.txt`` files, or a ``.zip`` whose members hold them (possibly under one
            top-level folder, as in the official ``db_29_3_text.zip``).
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        if not self.root.exists():
            raise MissingDataError(f"{self.root}: O*NET release not found (run `harness data fetch`)")
        self._members: dict[str, str] = {}
        if self.root.is_file():
            if not zipfile.is_zipfile(self.root):
                raise InputError(self.root, "expected a directory of O*NET text files or the official .zip")
            with zipfile.ZipFile(self.root) as zf:
                self._members = {Path(n).name: n for n in zf.namelist() if not n.endswith("/")}

    @property
    def is_zip(self) -> bool:
        return bool(self._members) or self.root.is_file()

    def location(self, name: str) -> Path:
        """Path used in messages for file ``name`` (``archive.zip/member`` for zips)."""
        if self.is_zip:
            return self.root / self._members.get(name, name)
        return self.root / name

    def has(self, name: str) -> bool:
        return name in self._members if self.is_zip else (self.root / name).is_file()

    def read_bytes(self, name: str) -> bytes:
        if not self.has(name):
            raise MissingDataError(
                f"{self.location(name)}: required file missing; is {self.root} a complete O*NET text release?"
            )
        if self.is_zip:
            with zipfile.ZipFile(self.root) as zf:
                return zf.read(self._members[name])
        return (self.root / name).read_bytes()

    def table(self, name: str, required: Sequence[str]) -> pd.DataFrame:
        """Read file ``name`` as a table of strings, checking that ``required`` columns are present."""
        return parse_tsv(self.read_bytes(name), self.location(name), required=required)


def parse_tsv(data: bytes, path: Path, *, required: Sequence[str] = ()) -> pd.DataFrame:
    """Parse tab-separated ``data`` (header row, no quoting) into a DataFrame of strings.

    Empty cells become ``None``. The DataFrame index is the 1-based line number of each row in the file, so later
    checks can point at the line.

    Raises:
        InputError: on invalid UTF-8, an empty file, missing required columns or a row with the wrong field count.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path, f"bad encoding: byte 0x{data[exc.start]:02x} is not valid UTF-8 (expected a UTF-8 text file)",
            line=line,
        ) from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        raise InputError(path, "file is empty (expected a header row)", line=1)
    header = lines[0].rstrip("\r").split("\t")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(
            path,
            f"missing column(s) {missing}; found {header}. Is this the right file of an O*NET text release?",
            line=1,
        )
    width = len(header)
    rows: list[list[str | None]] = []
    linenos: list[int] = []
    for lineno, raw in enumerate(lines[1:], start=2):
        fields = raw.rstrip("\r").split("\t")
        if len(fields) != width:
            if len(fields) == 1 and not fields[0].strip():
                continue  # blank line
            raise InputError(
                path, f"expected {width} tab-separated fields ({', '.join(header)}), found {len(fields)}", line=lineno
            )
        rows.append([f if f != "" else None for f in fields])
        linenos.append(lineno)
    return pd.DataFrame(rows, columns=header, index=pd.Index(linenos, name="line"), dtype=object)


def check_column(
    frame: pd.DataFrame, column: str, path: Path, *, pattern: str | None = None, kind: str = "", required: bool = True
) -> None:
    """Check every value of ``column`` (non-empty, matching ``pattern``); raise naming the first bad line."""
    values = frame[column]
    if required:
        empty = values.isna()
        if empty.any():
            line = int(values.index[empty.to_numpy().argmax()])
            raise InputError(path, f"empty value (expected {kind or 'a value'})", line=line, field=column)
    if pattern is not None:
        regex = re.compile(pattern)
        present = values.dropna()
        ok = present.map(lambda v: regex.fullmatch(v) is not None)
        if not ok.all():
            bad = present[~ok]
            raise InputError(
                path, f"got {bad.iloc[0]!r}, expected {kind or 'a value matching ' + pattern}",
                line=int(bad.index[0]), field=column,
            )
