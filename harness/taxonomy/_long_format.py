"""The long-format Economic Index releases (September 2025 onwards): one metric value per row.

From ``release_2025_09_15`` on, the Economic Index publishes its data as long tables with the columns
``geo_id, geography, date_start, date_end, platform_and_product, facet, level, variable, cluster_name, value``
(documented in the release's ``data_documentation.md``). A *facet* is an analysis dimension (``onet_task``,
``collaboration``, ``request``, ``country`` ...); an *intersection* facet joins two or more with ``::``
(``onet_task::collaboration``) and its ``cluster_name`` joins the members the same way (``"<task>::directive"``).
Later releases add facets and variables without changing the layout, so the loader accepts any facet, level and
variable, and checks only what the documentation fixes:

- the header holds the ten documented columns (plus ``geo_name``, which the enriched files add), nothing else;
- ``geography`` is ``global``, ``country`` or ``state_us``; dates are ISO ``YYYY-MM-DD`` with start <= end;
- ``level`` is a non-negative integer; ``value`` a finite number, non-negative for ``*_count`` variables and
  within 0..100 for ``*_pct`` variables;
- a facet's parts are non-empty, and the ``cluster_name`` of an intersection facet has as many ``::``-separated
  parts as the facet (the last parts are split off, so a base name that itself holds ``::`` survives);
- one value per (geography, period, platform, facet, level, variable, cluster).

Any violation raises :class:`~harness.errors.InputError` naming the file, the 1-based line and the field.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import InputError, MissingDataError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._economic_index import _check, _read_csv

__all__ = [
    "GEOGRAPHIES",
    "LONG_FORMAT_COLUMNS",
    "LongFormatTable",
    "find_long_format_files",
    "load_aei_release",
    "load_long_format",
    "pattern_key",
    "platform_of",
]

LONG_FORMAT_COLUMNS: tuple[str, ...] = (
    "geo_id", "geography", "date_start", "date_end", "platform_and_product", "facet", "level", "variable",
    "cluster_name", "value",
)
# The enriched files add the place name; it is kept but never required.
_OPTIONAL_COLUMNS: tuple[str, ...] = ("geo_name",)
GEOGRAPHIES: tuple[str, ...] = ("global", "country", "state_us")
_DATE = r"\d{4}-\d{2}-\d{2}"
_KEY = ["geo_id", "geography", "date_start", "date_end", "platform_and_product", "facet", "level", "variable",
        "cluster_name"]


def platform_of(platform_and_product: str) -> str:
    """Short platform name of a ``platform_and_product`` label: ``"api"`` for first-party API traffic,
    ``"consumer"`` for Claude.ai (any plan), otherwise the label lower-cased with ``_`` for spaces."""
    label = str(platform_and_product).strip()
    if "api" in label.lower().split():
        return "api"
    if label.lower().startswith(("claude ai", "claude.ai")):
        return "consumer"
    return re.sub(r"\s+", "_", label.lower())


def pattern_key(name: str) -> str:
    """Collaboration pattern as the harness spells it (``"task iteration"`` → ``"task_iteration"``)."""
    return re.sub(r"[\s-]+", "_", str(name).strip().lower())


@dataclass(frozen=True)
class LongFormatTable:
    """One or more long-format files, checked and typed.

    Attributes:
        paths: The files read, in order.
        release: Release name (e.g. ``"2025_09_15"``) when known; recorded in every output.
        rows: One row per value: the ten documented columns (``date_start``/``date_end`` as datetimes, ``level``
            as int, ``value`` as float, an empty ``cluster_name`` as ``""``), ``geo_name`` when a file has it,
            ``platform`` (:func:`platform_of`), ``file`` (index into ``paths``) and ``line`` (1-based line of the
            record in its file).
    """

    paths: tuple[Path, ...]
    release: str | None
    rows: pd.DataFrame = field(repr=False)

    @property
    def facets(self) -> tuple[str, ...]:
        """Facets present, sorted."""
        return tuple(sorted(self.rows["facet"].unique()))

    @property
    def platforms(self) -> tuple[str, ...]:
        """Short platform names present, sorted."""
        return tuple(sorted(self.rows["platform"].unique()))

    @property
    def periods(self) -> tuple[tuple[str, str], ...]:
        """Distinct ``(date_start, date_end)`` pairs as ISO strings, sorted."""
        pairs = self.rows[["date_start", "date_end"]].drop_duplicates().sort_values(["date_start", "date_end"])
        return tuple((a.strftime("%Y-%m-%d"), b.strftime("%Y-%m-%d")) for a, b in pairs.itertuples(index=False))

    def select(self, *, facet: str | None = None, variable: str | Iterable[str] | None = None,
               geography: str | None = None, geo_id: str | None = None, level: int | None = None,
               platform: str | None = None) -> pd.DataFrame:
        """Rows matching every given criterion (``variable`` may be one name or several)."""
        mask = np.ones(len(self.rows), dtype=bool)
        for column, wanted in (("facet", facet), ("geography", geography), ("geo_id", geo_id), ("level", level),
                               ("platform", platform)):
            if wanted is not None:
                mask &= (self.rows[column] == wanted).to_numpy()
        if variable is not None:
            names = [variable] if isinstance(variable, str) else list(variable)
            mask &= self.rows["variable"].isin(names).to_numpy()
        return self.rows[mask]

    def values(self, facet: str, variable: str, *, platform: str | None = None, geo_id: str = "GLOBAL",
               level: int = 0) -> pd.Series:
        """``value`` by ``cluster_name`` for one facet, variable, place and level (empty when absent)."""
        rows = self.select(facet=facet, variable=variable, platform=platform, geo_id=geo_id, level=level)
        self._one_period(rows, f"{facet}/{variable}")
        return pd.Series(rows["value"].to_numpy(), index=pd.Index(rows["cluster_name"], name="cluster_name"),
                         name=variable)

    def intersection(self, facet: str, variable: str, *, platform: str | None = None, geo_id: str = "GLOBAL",
                     level: int = 0) -> pd.DataFrame:
        """An intersection facet (``a::b``) as a wide table: one row per base cluster, one column per category.

        Returns:
            Index ``base`` (the cluster name without its last part); columns the last parts; NaN where the
            release has no value.
        """
        if "::" not in facet:
            raise ValueError(f"{facet!r} is not an intersection facet (expected 'a::b')")
        rows = self.select(facet=facet, variable=variable, platform=platform, geo_id=geo_id, level=level)
        self._one_period(rows, f"{facet}/{variable}")
        parts = rows["cluster_name"].str.rsplit("::", n=1)
        frame = pd.DataFrame({"base": parts.str[0].to_numpy(), "category": parts.str[1].to_numpy(),
                              "value": rows["value"].to_numpy()})
        return frame.pivot(index="base", columns="category", values="value")

    def _one_period(self, rows: pd.DataFrame, what: str) -> None:
        # Two periods (or two files of one platform) would silently add up; make the caller pick one.
        dup = rows.duplicated(["cluster_name"], keep="first")
        if dup.any():
            line = int(rows["line"].to_numpy()[dup.to_numpy().argmax()])
            path = self.paths[int(rows["file"].to_numpy()[dup.to_numpy().argmax()])]
            raise InputError(path, f"{what}: cluster {rows['cluster_name'][dup].iloc[0]!r} appears for more than "
                             "one period or platform; select one", line=line, field="cluster_name")


def _fail_at(raw: pd.DataFrame, bad: pd.Series | np.ndarray, path: Path, column: str, message: str) -> None:
    mask = np.asarray(bad, dtype=bool)
    if mask.any():
        line = int(raw.index[mask.argmax()])
        value = raw[column][line]
        raise InputError(path, message.format(value=value), line=line, field=column)


def _text(raw: pd.DataFrame, column: str, path: Path, kind: str, *, pattern: str | None = None,
          allowed: Sequence[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A required text column, stripped, checked on its distinct values (a few per file for most columns).

    Returns:
        ``(codes, values)``: the distinct stripped values and each row's index into them.
    """
    _check(raw, column, path, kind=kind)
    codes, uniques = pd.factorize(raw[column])
    values = np.array([u.strip() for u in uniques], dtype=object)
    bad = np.zeros(len(values), dtype=bool)
    if pattern is not None:
        regex = re.compile(pattern)
        bad |= np.array([regex.fullmatch(v) is None for v in values], dtype=bool)
        _fail_at(raw, bad[codes], path, column, f"got {{value!r}}, expected {kind}")
    if allowed is not None:
        bad |= ~np.isin(values, list(allowed))
        _fail_at(raw, bad[codes], path, column, f"got {{value!r}}, expected one of {', '.join(allowed)}")
    return codes, values


def _dates(raw: pd.DataFrame, path: Path) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for column in ("date_start", "date_end"):
        codes, values = _text(raw, column, path, "an ISO date YYYY-MM-DD", pattern=_DATE)
        parsed = pd.to_datetime(pd.Series(values), format="%Y-%m-%d", errors="coerce").to_numpy()
        _fail_at(raw, pd.isna(parsed)[codes], path, column, "got {value!r}, which is not a calendar date")
        out.append(parsed[codes])
    _fail_at(raw, out[0] > out[1], path, "date_end", "got {value!r}, which is before date_start")
    return out[0], out[1]


def _facets(raw: pd.DataFrame, path: Path) -> np.ndarray:
    """Facet of every row, checked; intersection rows must name a cluster for every part."""
    codes, facets = _text(raw, "facet", path, "a facet name")
    parts = [f.split("::") for f in facets]
    empty = np.array([any(not s.strip() for s in p) for p in parts], dtype=bool)
    _fail_at(raw, empty[codes], path, "facet",
             "got {value!r}: a facet and each part of an intersection must be non-empty")
    n_parts = np.array([len(p) for p in parts])[codes]
    multi = n_parts > 1
    if multi.any():
        cluster = raw["cluster_name"][multi].fillna("")
        split = cluster.str.rsplit("::", n=1)
        short = (cluster.str.count("::") + 1 < n_parts[multi]) | (split.str.len() < 2) | \
            (split.str[0].str.strip() == "") | (split.str[-1].str.strip() == "")
        bad = np.zeros(len(raw), dtype=bool)
        bad[np.flatnonzero(multi)] = short.to_numpy()
        _fail_at(raw, bad, path, "cluster_name",
                 "got {value!r}: an intersection facet needs a cluster name 'base::category' with non-empty parts")
    return facets[codes]


def _values(raw: pd.DataFrame, variable: np.ndarray, path: Path) -> np.ndarray:
    _check(raw, "value", path, kind="a number")
    value = pd.to_numeric(raw["value"], errors="coerce").to_numpy(dtype=float, copy=True)
    retry = np.isnan(value)
    if retry.any():  # surrounding spaces are the only thing the fast path does not forgive
        value[retry] = pd.to_numeric(raw["value"][retry].str.strip(), errors="coerce").to_numpy(dtype=float)
    _fail_at(raw, ~np.isfinite(value), path, "value", "got {value!r}, expected a finite number")
    counts = np.char.endswith(variable.astype(str), "_count")
    pcts = np.char.endswith(variable.astype(str), "_pct")
    _fail_at(raw, counts & (value < 0), path, "value", "got {value!r}, expected a count >= 0 for a *_count variable")
    _fail_at(raw, pcts & ((value < 0) | (value > 100 + 1e-6)), path, "value",
             "got {value!r}, expected a percentage within 0..100 for a *_pct variable")
    return value


def _read_one(path: Path) -> pd.DataFrame:
    """Read and check one file; the frame keeps the 1-based line of every record."""
    raw = _read_csv(path, list(LONG_FORMAT_COLUMNS))
    extra = [c for c in raw.columns if c not in LONG_FORMAT_COLUMNS and c not in _OPTIONAL_COLUMNS]
    if extra:
        hint = (" (this looks like the later schema with category_name/metric_id; it is not supported)"
                if {"metric_id", "category_name"} & set(raw.columns) else "")
        raise InputError(path, f"unexpected column(s) {extra}; the long format has exactly "
                         f"{', '.join(LONG_FORMAT_COLUMNS)} (and optionally geo_name){hint}", line=1, field=extra[0])
    columns = {}
    for column, kind in (("geo_id", "a geographic identifier"), ("platform_and_product", "a platform label"),
                         ("variable", "a variable name")):
        codes, values = _text(raw, column, path, kind)
        columns[column] = values[codes]
    codes, values = _text(raw, "geography", path, "a geography", allowed=GEOGRAPHIES)
    columns["geography"] = values[codes]
    columns["date_start"], columns["date_end"] = _dates(raw, path)
    codes, values = _text(raw, "level", path, "a non-negative integer level", pattern=r"\d+(\.0+)?")
    columns["level"] = np.array([int(float(v)) for v in values], dtype=np.int64)[codes]
    columns["facet"] = _facets(raw, path)
    columns["cluster_name"] = raw["cluster_name"].fillna("").to_numpy()
    columns["value"] = _values(raw, columns["variable"], path)
    out = pd.DataFrame({c: columns[c] for c in LONG_FORMAT_COLUMNS})
    if "geo_name" in raw.columns:
        out["geo_name"] = raw["geo_name"].to_numpy()
    out["line"] = raw.index.to_numpy()
    dup = out.duplicated(_KEY)
    if dup.any():
        at = int(dup.to_numpy().argmax())
        raise InputError(path, f"a second value for {out['facet'][at]}/{out['variable'][at]}/"
                         f"{out['cluster_name'][at]!r} at {out['geo_id'][at]}", line=int(out['line'][at]),
                         field="value")
    return out


def load_long_format(paths: str | Path | Sequence[str | Path], *, release: str | None = None) -> LongFormatTable:
    """Load one or more long-format files (raw or enriched, Claude.ai or API) into one checked table.

    Args:
        paths: A file or several; files of different platforms and periods may be combined.
        release: Release name recorded with the table (e.g. ``"2025_09_15"``).

    Raises:
        MissingDataError: a file is absent.
        InputError: a file breaks the documented schema (the message names file, line and field), or two files
            give a value for the same cell.
    """
    files = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    if not files:
        raise ValueError("no long-format file given")
    frames = []
    for index, path in enumerate(files):
        if not path.is_file():
            raise MissingDataError(f"{path}: long-format Economic Index file not found")
        frame = _read_one(path)
        frame["file"] = index
        frames.append(frame)
    rows = pd.concat(frames, ignore_index=True)
    if "geo_name" not in rows.columns:
        rows["geo_name"] = None
    rows["platform"] = rows["platform_and_product"].map(platform_of)
    dup = rows.duplicated(_KEY)
    if dup.any():
        at = int(dup.to_numpy().argmax())
        raise InputError(files[int(rows["file"][at])], f"{rows['facet'][at]}/{rows['variable'][at]}/"
                         f"{rows['cluster_name'][at]!r} at {rows['geo_id'][at]} is also given by an earlier file; "
                         "load each platform and period once (an enriched file already holds its raw file's rows)",
                         line=int(rows["line"][at]), field="value")
    return LongFormatTable(paths=tuple(files), release=release, rows=rows)


def find_long_format_files(release: str, *, data_dir: str | Path | None = None) -> dict[str, Path]:
    """The long-format files of a release folder, one per platform.

    Looks under ``<data_dir>/economic_index/release_<release>/`` (any depth) for ``aei_raw_*.csv`` and
    ``aei_enriched_*.csv``. The enriched file of a platform holds every row of its raw file plus derived ones, so
    it is preferred when both are present.

    Returns:
        ``{"consumer": path, "api": path}`` for the platforms found (empty when none).
    """
    folder = resolve_data_dir(data_dir) / "economic_index" / f"release_{release}"
    found: dict[str, Path] = {}
    for kind in ("raw", "enriched"):  # enriched last, so it replaces raw
        for path in sorted(folder.rglob(f"aei_{kind}_*.csv")) if folder.is_dir() else []:
            platform = "api" if "_1p_api_" in path.name or "_api_" in path.name else "consumer"
            found[platform] = path
    return found


def load_aei_release(release: str, *, data_dir: str | Path | None = None,
                     platforms: Sequence[str] | None = None) -> LongFormatTable:
    """Load the long-format files of a release folder (see :func:`find_long_format_files`).

    Raises:
        MissingDataError: the folder holds no long-format file (the message says how to fetch them).
    """
    found = find_long_format_files(release, data_dir=data_dir)
    if platforms is not None:
        found = {k: v for k, v in found.items() if k in platforms}
    if not found:
        folder = resolve_data_dir(data_dir) / "economic_index" / f"release_{release}"
        raise MissingDataError(f"{folder}: no long-format file (aei_raw_*.csv or aei_enriched_*.csv) of release "
                               f"{release}; `harness data fetch --aei-release {release}` downloads them")
    return load_long_format([found[k] for k in sorted(found)], release=release)
