"""Typed tables of an official O*NET release (text layout, unpacked or zipped)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from harness.errors import InputError, MissingDataError
from harness.paths import data_dir as resolve_data_dir
from harness.taxonomy._soc import SOC_MAJOR_GROUPS, normalise_statement, statements_table
from harness.taxonomy._tables import ReleaseSource, check_column

__all__ = ["OnetRelease", "load_onet", "release_dirname", "resolve_onet_dir"]

_SOC = r"\d{2}-\d{4}\.\d{2}"
_RELEASE_RE = re.compile(r"db_(\d+)_(\d+)_text")


def release_dirname(release: str) -> str:
    """Folder (and zip stem) name O*NET uses for a release, e.g. ``"29.3"`` → ``"db_29_3_text"``."""
    if not re.fullmatch(r"\d+\.\d+", release):
        raise ValueError(f"release must look like '29.3', got {release!r}")
    major, minor = release.split(".")
    return f"db_{major}_{minor}_text"


def resolve_onet_dir(release: str = "29.3", data_dir: str | Path | None = None) -> Path:
    """Find release ``release`` under the data directory.

    Looks for ``<data>/onet/db_X_Y_text/``, ``<data>/db_X_Y_text/`` and the same names with ``.zip``.

    Raises:
        MissingDataError: when none exists; the message lists where it looked and how to fetch the release.
    """
    base = resolve_data_dir(data_dir)
    name = release_dirname(release)
    candidates = [base / "onet" / name, base / name, base / "onet" / f"{name}.zip", base / f"{name}.zip"]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise MissingDataError(
        f"O*NET {release} not found (looked in {looked}). Run `harness data fetch --release {release}` on a "
        f"machine that is online, or point --data-dir / HARNESS_DATA_DIR at a directory that holds it."
    )


@dataclass(frozen=True)
class OnetRelease:
    """One O*NET release as typed tables.

    Tables (pandas DataFrames; column → meaning):

    - ``tasks``: one row per Task ID. ``task_id`` (int), ``soc_code``, ``occupation_title``, ``statement``,
      ``statement_key`` (normalised text; equal keys are the same statement), ``task_type`` ("Core",
      "Supplemental" or None).
    - ``statements``: one row per distinct statement. ``statement_key``, ``statement``, ``task_ids`` and
      ``soc_codes`` (tuples, sorted), ``n_occupations``.
    - ``occupations``: ``soc_code``, ``title``, ``description``, ``major_group`` (2 digits), ``n_tasks``.
    - ``major_groups``: ``major_group``, ``title``, ``n_occupations`` (with tasks), ``n_tasks``.
    - ``task_dwas``: ``task_id``, ``soc_code``, ``dwa_id``, ``iwa_id``, ``gwa_id``.
    - ``dwas``: ``dwa_id``, ``title``, ``iwa_id``.  ``iwas``: ``iwa_id``, ``title``, ``gwa_id``.
    - ``gwas``: ``gwa_id``, ``title``, ``description`` (only GWAs that have IWAs).
    - ``job_zones``: ``soc_code``, ``job_zone`` (int 1–5).
    - ``skills``: ``soc_code``, ``element_id``, ``skill``, ``importance`` (1–5), ``level`` (0–7).
    - ``skill_reference``: ``element_id``, ``skill``, ``description`` for every rated skill.
    """

    release: str
    source: Path
    tasks: pd.DataFrame = field(repr=False)
    statements: pd.DataFrame = field(repr=False)
    occupations: pd.DataFrame = field(repr=False)
    major_groups: pd.DataFrame = field(repr=False)
    task_dwas: pd.DataFrame = field(repr=False)
    dwas: pd.DataFrame = field(repr=False)
    iwas: pd.DataFrame = field(repr=False)
    gwas: pd.DataFrame = field(repr=False)
    job_zones: pd.DataFrame = field(repr=False)
    skills: pd.DataFrame = field(repr=False)
    skill_reference: pd.DataFrame = field(repr=False)

    @property
    def skill_names(self) -> tuple[str, ...]:
        """The O*NET skill element names (35 in current releases), in element-id order."""
        frame = self.skills.drop_duplicates("element_id").sort_values("element_id")
        return tuple(frame["skill"])

    def summary(self) -> dict[str, int]:
        """Row counts worth checking against the release notes."""
        return {
            "tasks": len(self.tasks),
            "distinct_statements": len(self.statements),
            "statements_shared_by_occupations": int((self.statements["n_occupations"] > 1).sum()),
            "occupations": len(self.occupations),
            "occupations_with_tasks": int((self.occupations["n_tasks"] > 0).sum()),
            "major_groups_with_tasks": int((self.major_groups["n_tasks"] > 0).sum()),
            "task_dwa_links": len(self.task_dwas),
            "tasks_with_dwa": int(self.task_dwas["task_id"].nunique()),
            "tasks_without_dwa": int((~self.tasks["task_id"].isin(self.task_dwas["task_id"])).sum()),
            "tasks_with_several_iwas": int((self.task_dwas.groupby("task_id")["iwa_id"].nunique() > 1).sum()),
            "dwas": len(self.dwas),
            "iwas": len(self.iwas),
            "gwas": len(self.gwas),
            "job_zones": len(self.job_zones),
            "skills": int(self.skills["element_id"].nunique()),
            "skill_ratings": len(self.skills),
        }


def _release_from_name(path: Path) -> str | None:
    match = _RELEASE_RE.search(path.name)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def load_onet(
    source: str | Path | None = None, *, release: str = "29.3", data_dir: str | Path | None = None
) -> OnetRelease:
    """Load an O*NET text release.

    Args:
        source: A directory of the release's ``.txt`` files or the official zip. When omitted, the release is found
            under the data directory with :func:`resolve_onet_dir`.
        release: Release number, used to find the files when ``source`` is omitted and recorded otherwise
            (the folder name ``db_X_Y_text`` takes precedence when present).
        data_dir: Data directory override (else ``HARNESS_DATA_DIR``, else the user data directory).

    Raises:
        MissingDataError: a required file is absent.
        InputError: a file has a bad encoding, a missing column, a malformed row or an invalid value.
    """
    path = Path(source) if source is not None else resolve_onet_dir(release, data_dir)
    files = ReleaseSource(path)
    release = _release_from_name(path) or release

    tasks = _load_tasks(files)
    statements = statements_table(tasks)
    occupations = _load_occupations(files, tasks)
    major_groups = _major_groups(occupations, tasks)
    dwas, iwas, gwas = _load_work_activities(files)
    task_dwas = _load_task_dwas(files, tasks, dwas)
    skills = _load_skills(files)
    return OnetRelease(
        release=release,
        source=path,
        tasks=tasks,
        statements=statements,
        occupations=occupations,
        major_groups=major_groups,
        task_dwas=task_dwas,
        dwas=dwas,
        iwas=iwas,
        gwas=gwas,
        job_zones=_load_job_zones(files),
        skills=skills,
        skill_reference=_skill_reference(files, skills),
    )


def _load_tasks(files: ReleaseSource) -> pd.DataFrame:
    name = "Task Statements.txt"
    raw = files.table(name, ["O*NET-SOC Code", "Title", "Task ID", "Task", "Task Type"])
    where = files.location(name)
    check_column(raw, "O*NET-SOC Code", where, pattern=_SOC, kind="an O*NET-SOC code like 15-1252.00")
    check_column(raw, "Task ID", where, pattern=r"\d+", kind="an integer Task ID")
    check_column(raw, "Task", where, kind="a task statement")
    check_column(raw, "Task Type", where, pattern="Core|Supplemental", kind="Core, Supplemental or empty",
                 required=False)
    dup = raw["Task ID"].duplicated()
    if dup.any():
        line = int(raw.index[dup.to_numpy().argmax()])
        raise InputError(where, f"Task ID {raw['Task ID'][line]} appears twice", line=line, field="Task ID")
    return pd.DataFrame(
        {
            "task_id": raw["Task ID"].astype(np.int64).to_numpy(),
            "soc_code": raw["O*NET-SOC Code"].to_numpy(),
            "occupation_title": raw["Title"].to_numpy(),
            "statement": raw["Task"].str.strip().to_numpy(),
            "statement_key": raw["Task"].map(normalise_statement).to_numpy(),
            "task_type": raw["Task Type"].to_numpy(),
        }
    )




def _load_occupations(files: ReleaseSource, tasks: pd.DataFrame) -> pd.DataFrame:
    name = "Occupation Data.txt"
    raw = files.table(name, ["O*NET-SOC Code", "Title", "Description"])
    check_column(raw, "O*NET-SOC Code", files.location(name), pattern=_SOC, kind="an O*NET-SOC code")
    counts = tasks.groupby("soc_code").size()
    frame = pd.DataFrame(
        {
            "soc_code": raw["O*NET-SOC Code"].to_numpy(),
            "title": raw["Title"].to_numpy(),
            "description": raw["Description"].to_numpy(),
        }
    )
    frame["major_group"] = frame["soc_code"].str[:2]
    frame["n_tasks"] = frame["soc_code"].map(counts).fillna(0).astype(np.int64)
    unknown = sorted(set(tasks["soc_code"]) - set(frame["soc_code"]))
    if unknown:
        raise InputError(files.location("Task Statements.txt"),
                         f"{len(unknown)} occupation code(s) not in Occupation Data.txt, e.g. {unknown[0]}",
                         field="O*NET-SOC Code")
    return frame


def _major_groups(occupations: pd.DataFrame, tasks: pd.DataFrame) -> pd.DataFrame:
    task_groups = tasks["soc_code"].str[:2].value_counts()
    with_tasks = occupations[occupations["n_tasks"] > 0].groupby("major_group").size()
    codes = sorted(SOC_MAJOR_GROUPS)
    return pd.DataFrame(
        {
            "major_group": codes,
            "title": [SOC_MAJOR_GROUPS[c] for c in codes],
            "n_occupations": [int(with_tasks.get(c, 0)) for c in codes],
            "n_tasks": [int(task_groups.get(c, 0)) for c in codes],
        }
    )


def _load_work_activities(files: ReleaseSource) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    dwa_name, iwa_name, cm_name = "DWA Reference.txt", "IWA Reference.txt", "Content Model Reference.txt"
    dwa_raw = files.table(dwa_name, ["Element ID", "IWA ID", "DWA ID", "DWA Title"])
    iwa_raw = files.table(iwa_name, ["Element ID", "IWA ID", "IWA Title"])
    cm_raw = files.table(cm_name, ["Element ID", "Element Name", "Description"])
    for col in ("Element ID", "IWA ID", "DWA ID", "DWA Title"):
        check_column(dwa_raw, col, files.location(dwa_name))
    for col in ("Element ID", "IWA ID", "IWA Title"):
        check_column(iwa_raw, col, files.location(iwa_name))
    dwas = pd.DataFrame(
        {"dwa_id": dwa_raw["DWA ID"].to_numpy(), "title": dwa_raw["DWA Title"].to_numpy(),
         "iwa_id": dwa_raw["IWA ID"].to_numpy()}
    )
    iwas = pd.DataFrame(
        {"iwa_id": iwa_raw["IWA ID"].to_numpy(), "title": iwa_raw["IWA Title"].to_numpy(),
         "gwa_id": iwa_raw["Element ID"].to_numpy()}
    )
    orphan = ~dwas["iwa_id"].isin(iwas["iwa_id"])
    if orphan.any():
        line = int(dwa_raw.index[orphan.to_numpy().argmax()])
        raise InputError(files.location(dwa_name), "IWA ID not in IWA Reference.txt", line=line, field="IWA ID")
    content = cm_raw.set_index("Element ID")
    used = sorted(set(iwas["gwa_id"]))
    missing = [g for g in used if g not in content.index]
    if missing:
        raise InputError(files.location(cm_name), f"GWA element(s) {missing[:3]} used by IWAs are not described")
    gwas = pd.DataFrame(
        {
            "gwa_id": used,
            "title": [content.at[g, "Element Name"] for g in used],
            "description": [content.at[g, "Description"] for g in used],
        }
    )
    return dwas, iwas, gwas


def _load_task_dwas(files: ReleaseSource, tasks: pd.DataFrame, dwas: pd.DataFrame) -> pd.DataFrame:
    name = "Tasks to DWAs.txt"
    raw = files.table(name, ["O*NET-SOC Code", "Task ID", "DWA ID"])
    where = files.location(name)
    check_column(raw, "Task ID", where, pattern=r"\d+", kind="an integer Task ID")
    check_column(raw, "DWA ID", where, kind="a DWA ID")
    frame = pd.DataFrame(
        {
            "task_id": raw["Task ID"].astype(np.int64).to_numpy(),
            "soc_code": raw["O*NET-SOC Code"].to_numpy(),
            "dwa_id": raw["DWA ID"].to_numpy(),
        },
        index=raw.index,
    )
    unknown_task = ~frame["task_id"].isin(tasks["task_id"])
    if unknown_task.any():
        line = int(frame.index[unknown_task.to_numpy().argmax()])
        raise InputError(where, "Task ID not in Task Statements.txt", line=line, field="Task ID")
    dwa_to_iwa = dwas.set_index("dwa_id")["iwa_id"]
    frame["iwa_id"] = frame["dwa_id"].map(dwa_to_iwa)
    unknown_dwa = frame["iwa_id"].isna()
    if unknown_dwa.any():
        line = int(frame.index[unknown_dwa.to_numpy().argmax()])
        raise InputError(where, "DWA ID not in DWA Reference.txt", line=line, field="DWA ID")
    frame["gwa_id"] = frame["iwa_id"].str.rsplit(".", n=1).str[0]
    return frame.reset_index(drop=True)


def _skill_reference(files: ReleaseSource, skills: pd.DataFrame) -> pd.DataFrame:
    content = files.table("Content Model Reference.txt", ["Element ID", "Element Name", "Description"])
    described = content.set_index("Element ID")["Description"]
    frame = skills.drop_duplicates("element_id").sort_values("element_id")[["element_id", "skill"]]
    frame["description"] = frame["element_id"].map(described).fillna("")
    return frame.reset_index(drop=True)


def _load_job_zones(files: ReleaseSource) -> pd.DataFrame:
    name = "Job Zones.txt"
    raw = files.table(name, ["O*NET-SOC Code", "Job Zone"])
    check_column(raw, "Job Zone", files.location(name), pattern=r"[1-5]", kind="a job zone 1-5")
    return pd.DataFrame(
        {"soc_code": raw["O*NET-SOC Code"].to_numpy(), "job_zone": raw["Job Zone"].astype(np.int64).to_numpy()}
    )


def _load_skills(files: ReleaseSource) -> pd.DataFrame:
    name = "Skills.txt"
    raw = files.table(name, ["O*NET-SOC Code", "Element ID", "Element Name", "Scale ID", "Data Value"])
    where = files.location(name)
    check_column(raw, "Scale ID", where, pattern="IM|LV", kind="scale IM or LV")
    check_column(raw, "Data Value", where, pattern=r"-?\d+(\.\d+)?", kind="a number")
    long = pd.DataFrame(
        {
            "soc_code": raw["O*NET-SOC Code"].to_numpy(),
            "element_id": raw["Element ID"].to_numpy(),
            "skill": raw["Element Name"].to_numpy(),
            "scale": raw["Scale ID"].to_numpy(),
            "value": raw["Data Value"].astype(float).to_numpy(),
        }
    )
    wide = long.pivot_table(index=["soc_code", "element_id", "skill"], columns="scale", values="value",
                            aggfunc="first")
    wide = wide.rename(columns={"IM": "importance", "LV": "level"}).reset_index()
    wide.columns.name = None
    return wide[["soc_code", "element_id", "skill", "importance", "level"]]
