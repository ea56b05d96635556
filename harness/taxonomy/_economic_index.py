"""The Anthropic Economic Index release folders and the O*NET-SOC 2010→2019 crosswalk.

The first two Economic Index releases (``release_2025_02_10`` and ``release_2025_03_27``) classify
conversations against O*NET 20.1 task statements, whose occupation codes follow the O*NET-SOC 2010 taxonomy.
Their task-share files name tasks by their lower-cased statement text only, so the loader joins them to the
statements through :func:`~harness.taxonomy.normalise_statement`. A statement text that O*NET lists under
several occupations is one statement linked to all of them (the ``statements`` table), exactly as the O*NET
loader does for 29.3.

Files are looked up under ``<data_dir>/economic_index/release_<name>/`` and ``<data_dir>/onet/crosswalks/``.
Required files raise :class:`~harness.errors.MissingDataError`; optional ones (several files of the
second release were never mirrored publicly) are recorded in :attr:`EconomicIndexRelease.missing_files` instead.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np
import pandas as pd

from harness.errors import InputError, MissingDataError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._patterns import PATTERNS
from harness.taxonomy._soc import normalise_statement, statements_table

__all__ = [
    "COLLABORATION_PATTERNS",
    "EconomicIndexRelease",
    "ReleaseName",
    "SocCrosswalk",
    "load_economic_index",
    "load_soc_crosswalk",
    "statements_to_soc_2019",
]

ReleaseName = Literal["2025_02_10", "2025_03_27"]
RELEASES: tuple[str, ...] = get_args(ReleaseName)

#: The five collaboration patterns, in a fixed order (automation first, then augmentation); "none" left out.
COLLABORATION_PATTERNS: tuple[str, ...] = tuple(p for p in PATTERNS if p != "none")

_SOC = r"\d{2}-\d{4}\.\d{2}"
_MAJOR = r"\d{2}-0000"
# Hourly rates below this are treated as hourly (O*NET reports hourly medians for a few performing-arts jobs).
_HOURLY_CEILING = 200.0
_HOURS_PER_YEAR = 2080.0


@dataclass(frozen=True)
class _FileSpec:
    name: str
    required: bool
    kind: str  # which table the file feeds


_RELEASE_FILES: dict[str, tuple[_FileSpec, ...]] = {
    "2025_02_10": (
        _FileSpec("onet_task_statements.csv", True, "task_statements"),
        _FileSpec("SOC_Structure.csv", True, "soc_structure"),
        _FileSpec("onet_task_mappings.csv", True, "task_shares:v1"),
        _FileSpec("automation_vs_augmentation.csv", False, "collaboration:v1"),
        _FileSpec("bls_employment_may_2023.csv", False, "bls_employment"),
        _FileSpec("wage_data.csv", False, "wages"),
    ),
    "2025_03_27": (
        _FileSpec("onet_task_statements.csv", True, "task_statements"),
        _FileSpec("SOC_Structure.csv", True, "soc_structure"),
        _FileSpec("task_pct_v1.csv", True, "task_shares:v1"),
        _FileSpec("task_pct_v2.csv", False, "task_shares:v2"),
        _FileSpec("automation_vs_augmentation_v1.csv", False, "collaboration:v1"),
        _FileSpec("automation_vs_augmentation_v2.csv", False, "collaboration:v2"),
        _FileSpec("automation_vs_augmentation_by_task.csv", False, "collaboration_by_task"),
        _FileSpec("task_thinking_fractions.csv", False, "unused"),
        _FileSpec("cluster_level_data/cluster_level_dataset.tsv", False, "unused"),
    ),
}


@dataclass(frozen=True)
class EconomicIndexRelease:
    """One Economic Index release folder as typed tables (pandas DataFrames; column → meaning).

    Attributes:
        name: Release name, e.g. ``"2025_02_10"``.
        path: The release folder.
        task_statements: O*NET 20.1 task statements, one row per Task ID: ``task_id`` (int), ``soc_code``
            (O*NET-SOC 2010 code), ``title`` (occupation title), ``statement``, ``statement_key``
            (normalised text), ``task_type`` ("Core", "Supplemental", or missing).
        statements: One row per distinct statement: ``statement_key``, ``statement``, ``task_ids`` and
            ``soc_codes`` (sorted tuples), ``n_occupations``. Same layout as ``OnetRelease.statements``, so
            it serves as the task → occupation links table of the aggregation stage.
        occupations: ``soc_code``, ``title``, ``major_group`` (2 digits), ``n_tasks`` (Task IDs listed
            for it).
        soc_structure: The SOC hierarchy in long form: ``code``, ``level`` ("major", "minor", "broad",
            "detailed", "onet"), ``title``, ``major_group`` (2 digits).
        major_groups: ``major_group`` (2 digits), ``code`` ("15-0000"), ``title``.
        task_shares: Share of conversations per task, long form: ``version`` ("v1", "v2"), ``task_name`` (as
            published), ``statement_key``, ``pct`` (percent of that version's conversations), ``matched`` (the
            key is an O*NET 20.1 statement; the published ``"none"`` row is not).
        collaboration: Overall collaboration shares: ``version``, ``pattern`` (one of
            :data:`COLLABORATION_PATTERNS`, or "none"), ``pct`` (percent, as published).
        collaboration_by_task: Per task (2025_03_27 only): ``task_name``, ``statement_key``, the five pattern
            columns and ``filtered`` (fractions of that task's conversations, summing to 1).
        bls_employment: May 2023 BLS employment: ``major_group``, ``title``, ``employment`` (int).
        wages: ``soc_code``, ``title``, ``job_family``, ``job_zone`` (nullable Int64, 1–5), ``median_wage``
            (USD a year; hourly medians converted at 2,080 hours), ``median_wage_reported`` (as published),
            ``wage_is_hourly`` (bool), ``job_forecast`` (nullable Int64), ``chance_auto`` (nullable float).
        missing_files: Optional files of this release that are absent locally (paths relative to ``path``).
    """

    name: str
    path: Path
    task_statements: pd.DataFrame = field(repr=False)
    statements: pd.DataFrame = field(repr=False)
    occupations: pd.DataFrame = field(repr=False)
    soc_structure: pd.DataFrame = field(repr=False)
    major_groups: pd.DataFrame = field(repr=False)
    task_shares: pd.DataFrame = field(repr=False)
    collaboration: pd.DataFrame = field(repr=False)
    collaboration_by_task: pd.DataFrame | None = field(repr=False)
    bls_employment: pd.DataFrame | None = field(repr=False)
    wages: pd.DataFrame | None = field(repr=False)
    missing_files: tuple[str, ...] = ()

    @property
    def versions(self) -> tuple[str, ...]:
        """Task-share versions present (``("v1",)`` or ``("v1", "v2")``)."""
        return tuple(sorted(self.task_shares["version"].unique()))

    def shares(self, version: str = "v1") -> pd.DataFrame:
        """Task shares of one version: ``statement_key``, ``task_name``, ``pct``, ``matched``."""
        if version not in self.versions:
            raise ValueError(f"release {self.name} has task-share versions {self.versions}, not {version!r}")
        out = self.task_shares[self.task_shares["version"] == version]
        return out.drop(columns="version").reset_index(drop=True)


@dataclass(frozen=True)
class SocCrosswalk:
    """The O*NET-SOC 2010 → 2019 taxonomy crosswalk.

    Attributes:
        table: ``soc_2010``, ``title_2010``, ``soc_2019``, ``title_2019``; one row per link (a 2010 code may
            map to several 2019 codes and several 2010 codes may merge into one 2019 code).
        occupations_2010: ``soc_code``, ``title``, ``description`` of the 2010 taxonomy, when the file
            is present.
    """

    table: pd.DataFrame = field(repr=False)
    occupations_2010: pd.DataFrame | None = field(default=None, repr=False)

    def to_2019(self, codes: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Map each 2010 code to its sorted 2019 codes (an unknown code maps to ``()``)."""
        grouped = self.table.groupby("soc_2010")["soc_2019"].agg(lambda s: tuple(sorted(set(s))))
        return {code: grouped.get(code, ()) for code in codes}


# ------------------------------------------------------------------------------------------------------------
# Reading


def _read_csv(path: Path, required: Sequence[str], *, delimiter: str = ",") -> pd.DataFrame:
    """Read a quoted CSV into strings (empty → None), index = 1-based line where each record starts."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raw = path.read_bytes()
        raise InputError(
            path,
            f"bad encoding: byte 0x{raw[exc.start]:02x} is not valid UTF-8 (expected a UTF-8 CSV file)",
            line=raw[: exc.start].count(b"\n") + 1,
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(path, "file is empty (expected a header row)", line=1) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(path, f"missing column(s) {missing}; found {header}", line=1, field=missing[0])
    rows: list[list[str | None]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                start = reader.line_num + 1
                continue
            if len(record) != len(header):
                raise InputError(
                    path,
                    f"expected {len(header)} comma-separated fields ({', '.join(header)}), found {len(record)}",
                    line=start,
                )
            rows.append([v if v != "" else None for v in record])
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
    return pd.DataFrame(rows, columns=header, index=pd.Index(lines, name="line"), dtype=object)


def _check(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    pattern: str | None = None,
    kind: str,
    required: bool = True,
) -> None:
    values = frame[column]
    if required and values.isna().any():
        line = int(values.index[values.isna().to_numpy().argmax()])
        raise InputError(path, f"empty value (expected {kind})", line=line, field=column)
    if pattern is not None:
        regex = re.compile(pattern)
        present = values.dropna()
        bad = present[~present.map(lambda v: regex.fullmatch(v.strip()) is not None)]
        if len(bad):
            raise InputError(
                path, f"got {bad.iloc[0]!r}, expected {kind}", line=int(bad.index[0]), field=column
            )


def _numbers(
    frame: pd.DataFrame,
    column: str,
    path: Path,
    *,
    kind: str = "a number",
    minimum: float | None = None,
    required: bool = True,
) -> pd.Series:
    values = frame[column]
    _check(frame, column, path, kind=kind, required=required)
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna() & values.notna()
    if bad.any():
        line = int(values.index[bad.to_numpy().argmax()])
        raise InputError(path, f"got {values[line]!r}, expected {kind}", line=line, field=column)
    if minimum is not None:
        low = parsed < minimum
        if low.any():
            line = int(values.index[low.to_numpy().argmax()])
            raise InputError(
                path, f"got {values[line]!r}, expected {kind} >= {minimum:g}", line=line, field=column
            )
    return parsed.astype(float)


def _taskstatements_table(path: Path) -> pd.DataFrame:
    raw = _read_csv(path, ["O*NET-SOC Code", "Title", "Task ID", "Task", "Task Type"])
    _check(raw, "O*NET-SOC Code", path, pattern=_SOC, kind="an O*NET-SOC code like 15-1252.00")
    _check(raw, "Task ID", path, pattern=r"\d+", kind="an integer Task ID")
    _check(raw, "Task", path, kind="a task statement")
    _check(raw, "Title", path, kind="an occupation title")
    _check(
        raw,
        "Task Type",
        path,
        pattern="Core|Supplemental",
        kind="Core, Supplemental or empty",
        required=False,
    )
    dup = raw["Task ID"].duplicated()
    if dup.any():
        line = int(raw.index[dup.to_numpy().argmax()])
        raise InputError(path, f"Task ID {raw['Task ID'][line]} appears twice", line=line, field="Task ID")
    return pd.DataFrame(
        {
            "task_id": raw["Task ID"].astype(np.int64).to_numpy(),
            "soc_code": raw["O*NET-SOC Code"].str.strip().to_numpy(),
            "title": raw["Title"].str.strip().to_numpy(),
            "statement": raw["Task"].str.strip().to_numpy(),
            "statement_key": raw["Task"].map(normalise_statement).to_numpy(),
            "task_type": raw["Task Type"].to_numpy(),
        }
    )




def _occupations(tasks: pd.DataFrame) -> pd.DataFrame:
    grouped = tasks.groupby("soc_code", sort=True)
    frame = pd.DataFrame({"title": grouped["title"].first(), "n_tasks": grouped.size().astype(np.int64)})
    frame = frame.reset_index()
    frame.insert(2, "major_group", frame["soc_code"].str[:2])
    return frame


_LEVELS = (
    ("Major Group", "major"),
    ("Minor Group", "minor"),
    ("Broad Occupation", "broad"),
    ("Detailed Occupation", "detailed"),
    ("Detailed O*NET-SOC", "onet"),
)


def _soc_structure(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    title_col = "SOC or O*NET-SOC 2019 Title"
    raw = _read_csv(path, [c for c, _ in _LEVELS] + [title_col])
    _check(raw, title_col, path, kind="a SOC title")
    codes = raw[[c for c, _ in _LEVELS]]
    filled = codes.notna().sum(axis=1)
    if (filled != 1).any():
        line = int(raw.index[(filled != 1).to_numpy().argmax()])
        raise InputError(path, "expected exactly one code column filled per row", line=line)
    level_idx = codes.notna().to_numpy().argmax(axis=1)
    code = codes.bfill(axis=1).iloc[:, 0].str.strip()
    bad = ~code.str.fullmatch(r"\d{2}-\d{4}(\.\d{2})?")
    if bad.any():
        line = int(raw.index[bad.to_numpy().argmax()])
        raise InputError(
            path,
            f"got {code[line]!r}, expected a SOC code",
            line=line,
            field=_LEVELS[level_idx[bad.to_numpy().argmax()]][0],
        )
    long = pd.DataFrame(
        {
            "code": code.to_numpy(),
            "level": [_LEVELS[i][1] for i in level_idx],
            "title": raw[title_col].str.strip().to_numpy(),
            "major_group": code.str[:2].to_numpy(),
        }
    )
    majors = long[long["level"] == "major"]
    _check(raw[level_idx == 0], "Major Group", path, pattern=_MAJOR, kind="a major group code like 15-0000")
    major_groups = pd.DataFrame(
        {
            "major_group": majors["major_group"].to_numpy(),
            "code": majors["code"].to_numpy(),
            "title": majors["title"].to_numpy(),
        }
    )
    return long, major_groups


def _task_shares(path: Path, version: str, known_keys: set[str]) -> pd.DataFrame:
    raw = _read_csv(path, ["task_name", "pct"])
    _check(raw, "task_name", path, kind="a task name")
    pct = _numbers(raw, "pct", path, kind="a percentage", minimum=0.0)
    keys = raw["task_name"].map(normalise_statement)
    dup = keys.duplicated()
    if dup.any():
        line = int(raw.index[dup.to_numpy().argmax()])
        raise InputError(path, f"task {raw['task_name'][line]!r} listed twice", line=line, field="task_name")
    return pd.DataFrame(
        {
            "version": version,
            "task_name": raw["task_name"].to_numpy(),
            "statement_key": keys.to_numpy(),
            "pct": pct.to_numpy(),
            "matched": keys.isin(known_keys).to_numpy(),
        }
    )


def _pattern_name(value: str) -> str:
    return value.strip().lower().replace(" ", "_")


def _collaboration(path: Path, version: str) -> pd.DataFrame:
    raw = _read_csv(path, ["interaction_type", "pct"])
    _check(raw, "interaction_type", path, kind="an interaction type")
    pct = _numbers(raw, "pct", path, kind="a percentage", minimum=0.0)
    patterns = raw["interaction_type"].map(_pattern_name)
    allowed = (*COLLABORATION_PATTERNS, "none")
    bad = ~patterns.isin(allowed)
    if bad.any():
        line = int(raw.index[bad.to_numpy().argmax()])
        raise InputError(
            path,
            f"got {raw['interaction_type'][line]!r}, expected one of {allowed}",
            line=line,
            field="interaction_type",
        )
    return pd.DataFrame({"version": version, "pattern": patterns.to_numpy(), "pct": pct.to_numpy()})


def _collaboration_by_task(path: Path) -> pd.DataFrame:
    columns = [*COLLABORATION_PATTERNS, "filtered"]
    raw = _read_csv(path, ["task_name", *columns])
    _check(raw, "task_name", path, kind="a task name")
    out = pd.DataFrame(
        {
            "task_name": raw["task_name"].to_numpy(),
            "statement_key": raw["task_name"].map(normalise_statement).to_numpy(),
        }
    )
    for column in columns:
        out[column] = _numbers(raw, column, path, kind="a fraction between 0 and 1", minimum=0.0).to_numpy()
    return out


def _bls(path: Path, major_groups: pd.DataFrame) -> pd.DataFrame:
    title_col = "SOC or O*NET-SOC 2019 Title"
    raw = _read_csv(path, [title_col, "bls_distribution"])
    employment = _numbers(raw, "bls_distribution", path, kind="an employment count", minimum=0.0)
    by_title = dict(zip(major_groups["title"], major_groups["major_group"], strict=True))
    groups = raw[title_col].str.strip().map(by_title)
    if groups.isna().any():
        line = int(raw.index[groups.isna().to_numpy().argmax()])
        raise InputError(
            path,
            f"got {raw[title_col][line]!r}, expected a SOC major group title",
            line=line,
            field=title_col,
        )
    return pd.DataFrame(
        {
            "major_group": groups.to_numpy(),
            "title": raw[title_col].str.strip().to_numpy(),
            "employment": employment.round().astype(np.int64).to_numpy(),
        }
    )


def _wages(path: Path) -> pd.DataFrame:
    raw = _read_csv(
        path, ["SOCcode", "JobName", "JobFamily", "JobZone", "MedianSalary", "JobForecast", "ChanceAuto"]
    )
    _check(raw, "SOCcode", path, pattern=_SOC, kind="an O*NET-SOC code like 15-1252.00")
    reported = _numbers(raw, "MedianSalary", path, kind="a median wage in USD", minimum=0.0)
    zone = _numbers(raw, "JobZone", path, kind="a job zone 1-5 (or -1 when unknown)")
    bad = ~zone.isin([-1, 1, 2, 3, 4, 5])
    if bad.any():
        line = int(raw.index[bad.to_numpy().argmax()])
        raise InputError(
            path, f"got {raw['JobZone'][line]!r}, expected a job zone 1-5 or -1", line=line, field="JobZone"
        )
    forecast = _numbers(raw, "JobForecast", path, kind="a job-openings forecast", required=False)
    chance = _numbers(raw, "ChanceAuto", path, kind="a percentage or -1", required=False)
    hourly = reported < _HOURLY_CEILING
    return pd.DataFrame(
        {
            "soc_code": raw["SOCcode"].str.strip().to_numpy(),
            "title": raw["JobName"].to_numpy(),
            "job_family": raw["JobFamily"].to_numpy(),
            "job_zone": pd.array(zone.where(zone > 0).to_numpy(), dtype="Int64"),
            "median_wage": np.where(hourly, reported * _HOURS_PER_YEAR, reported),
            "median_wage_reported": reported.to_numpy(),
            "wage_is_hourly": hourly.to_numpy(),
            "job_forecast": pd.array(forecast.to_numpy(), dtype="Int64"),
            "chance_auto": chance.where(chance >= 0).to_numpy(),
        }
    )


# ------------------------------------------------------------------------------------------------------------
# Public loaders


def load_economic_index(release: ReleaseName, *, data_dir: str | Path | None = None) -> EconomicIndexRelease:
    """Load one Economic Index release folder.

    Args:
        release: ``"2025_02_10"`` (first report) or ``"2025_03_27"`` (Claude 3.7 Sonnet report).
        data_dir: Data directory; default by :func:`harness.paths.data_dir` (flag, ``HARNESS_DATA_DIR``, user
            directory). The release is read from ``<data_dir>/economic_index/release_<release>/``.

    Returns:
        The release's tables. Optional files that are absent are listed in ``missing_files``; the tables
        they feed
        are ``None`` (or lack that version's rows).

    Raises:
        ValueError: ``release`` is not a known release name.
        MissingDataError: the folder or one of its required files is absent (the message names the path).
        InputError: a file is malformed (the message names file, line and field).
    """
    if release not in RELEASES:
        raise ValueError(f"release must be one of {RELEASES}, got {release!r}")
    folder = resolve_data_dir(data_dir) / "economic_index" / f"release_{release}"
    if not folder.is_dir():
        raise MissingDataError(
            f"{folder}: Economic Index release folder not found; download release_{release} of the "
            "Anthropic/EconomicIndex dataset there, or point --data-dir / HARNESS_DATA_DIR at a directory holding it"
        )
    present: dict[str, Path] = {}
    missing: list[str] = []
    for spec in _RELEASE_FILES[release]:
        path = folder / spec.name
        if path.is_file():
            present[spec.kind] = path
        elif spec.required:
            raise MissingDataError(f"{path}: required file of Economic Index release {release} is missing")
        else:
            missing.append(spec.name)

    task_statements = _taskstatements_table(present["task_statements"])
    statements = statements_table(task_statements)
    soc_structure, major_groups = _soc_structure(present["soc_structure"])
    known = set(statements["statement_key"])
    shares = [
        _task_shares(present[f"task_shares:{v}"], v, known)
        for v in ("v1", "v2")
        if f"task_shares:{v}" in present
    ]
    collab = [
        _collaboration(present[f"collaboration:{v}"], v)
        for v in ("v1", "v2")
        if f"collaboration:{v}" in present
    ]
    collaboration = (
        pd.concat(collab, ignore_index=True)
        if collab
        else pd.DataFrame({"version": [], "pattern": [], "pct": []})
    )
    return EconomicIndexRelease(
        name=release,
        path=folder,
        task_statements=task_statements,
        statements=statements,
        occupations=_occupations(task_statements),
        soc_structure=soc_structure,
        major_groups=major_groups,
        task_shares=pd.concat(shares, ignore_index=True),
        collaboration=collaboration,
        collaboration_by_task=(
            _collaboration_by_task(present["collaboration_by_task"])
            if "collaboration_by_task" in present
            else None
        ),
        bls_employment=_bls(present["bls_employment"], major_groups) if "bls_employment" in present else None,
        wages=_wages(present["wages"]) if "wages" in present else None,
        missing_files=tuple(missing),
    )


def load_soc_crosswalk(*, data_dir: str | Path | None = None) -> SocCrosswalk:
    """Load the O*NET-SOC 2010 → 2019 crosswalk from ``<data_dir>/onet/crosswalks/``.

    Reads ``onet_soc_2010_to_2019_crosswalk.csv`` (required) and ``onet_soc_2010_occupations.csv`` (optional).

    Raises:
        MissingDataError: the crosswalk file is absent.
        InputError: a row is malformed (file, line and field named).
    """
    folder = resolve_data_dir(data_dir) / "onet" / "crosswalks"
    path = folder / "onet_soc_2010_to_2019_crosswalk.csv"
    if not path.is_file():
        raise MissingDataError(f"{path}: O*NET-SOC 2010→2019 crosswalk not found")
    cols = ["O*NET-SOC 2010 Code", "O*NET-SOC 2010 Title", "O*NET-SOC 2019 Code", "O*NET-SOC 2019 Title"]
    raw = _read_csv(path, cols)
    for col in (cols[0], cols[2]):
        _check(raw, col, path, pattern=_SOC, kind="an O*NET-SOC code like 15-1252.00")
    table = pd.DataFrame(
        {
            "soc_2010": raw[cols[0]].str.strip().to_numpy(),
            "title_2010": raw[cols[1]].to_numpy(),
            "soc_2019": raw[cols[2]].str.strip().to_numpy(),
            "title_2019": raw[cols[3]].to_numpy(),
        }
    )
    occupations = None
    occ_path = folder / "onet_soc_2010_occupations.csv"
    if occ_path.is_file():
        occ_cols = ["O*NET-SOC 2010 Code", "O*NET-SOC 2010 Title", "O*NET-SOC 2010 Description"]
        occ = _read_csv(occ_path, occ_cols)
        _check(occ, occ_cols[0], occ_path, pattern=_SOC, kind="an O*NET-SOC code like 15-1252.00")
        occupations = pd.DataFrame(
            {
                "soc_code": occ[occ_cols[0]].str.strip().to_numpy(),
                "title": occ[occ_cols[1]].to_numpy(),
                "description": occ[occ_cols[2]].to_numpy(),
            }
        )
    return SocCrosswalk(table=table, occupations_2010=occupations)


def statements_to_soc_2019(statements: pd.DataFrame, crosswalk: SocCrosswalk) -> pd.DataFrame:
    """Rewrite a statements (links) table's 2010 ``soc_codes`` into O*NET-SOC 2019 codes.

    A 2010 code that splits maps to all its 2019 successors; codes absent from the crosswalk are kept as
    they are
    (and counted in the ``unmapped_codes`` column) so no task loses its occupations silently.
    """
    mapping = crosswalk.to_2019(sorted({c for codes in statements["soc_codes"] for c in codes}))
    out = statements.copy()
    out["soc_codes"] = [
        tuple(sorted({new for c in codes for new in (mapping[c] or (c,))}))
        for codes in statements["soc_codes"]
    ]
    out["unmapped_codes"] = [sum(1 for c in codes if not mapping[c]) for codes in statements["soc_codes"]]
    out["n_occupations"] = out["soc_codes"].map(len).astype(np.int64)
    return out
