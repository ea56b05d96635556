"""Economic Index release loader and O*NET-SOC crosswalk: small fixtures, bad input, and the real releases."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from harness.errors import InputError, MissingDataError
from harness.taxonomy import (
    EconomicIndexRelease,
    load_economic_index,
    load_soc_crosswalk,
    statements_to_soc_2019,
)
from tests.conftest import mini_economic_index

FIXTURE = mini_economic_index()
REAL = os.environ.get("HARNESS_DATA_DIR")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "economic_index" / "release_2025_02_10").is_dir(),
    reason="real Economic Index data not available (set HARNESS_DATA_DIR to the shared data directory)",
)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A writable copy of the fixture data directory."""
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target


def test_fixture_release_tables() -> None:
    release = load_economic_index("2025_02_10", data_dir=FIXTURE)
    assert isinstance(release, EconomicIndexRelease)
    assert release.missing_files == ()
    assert len(release.task_statements) == 8
    # "Correct errors in programs." appears under two occupations (with odd spacing once): one statement.
    shared = release.statements.set_index("statement_key").loc["correct errors in programs."]
    assert shared["soc_codes"] == ("15-1131.00", "15-1132.00")
    assert shared["task_ids"] == (2, 3)
    assert len(release.statements) == 7
    shares = release.shares("v1")
    assert shares.set_index("task_name")["matched"].to_dict() == {
        "write, update, and maintain computer programs.": True,
        "correct errors in programs.": True,
        "write fiction or nonfiction.": True,
        "none": False,
    }
    assert pd.isna(release.task_statements.set_index("task_id").loc[6, "task_type"])
    assert list(release.major_groups["major_group"]) == ["15", "27", "43"]
    assert set(release.soc_structure["level"]) == {"major", "minor", "broad", "detailed", "onet"}
    assert release.bls_employment.set_index("major_group")["employment"].to_dict() == {"15": 100, "27": 100,
                                                                                      "43": 800}
    collab = release.collaboration.set_index("pattern")["pct"]
    assert collab["feedback_loop"] == 10.0 and collab["task_iteration"] == 25.0
    wages = release.wages.set_index("soc_code")
    assert wages.loc["27-3043.00", "wage_is_hourly"]
    assert wages.loc["27-3043.00", "median_wage"] == pytest.approx(30.0 * 2080)
    assert pd.isna(wages.loc["27-3043.00", "job_zone"])
    assert wages.loc["15-1131.00", "job_zone"] == 4
    assert release.occupations.set_index("soc_code")["n_tasks"].to_dict()["15-1132.00"] == 2


def test_optional_files_are_reported_missing() -> None:
    release = load_economic_index("2025_03_27", data_dir=FIXTURE)
    assert release.versions == ("v1", "v2")
    assert "automation_vs_augmentation_v2.csv" in release.missing_files
    assert "automation_vs_augmentation_v1.csv" in release.missing_files
    assert release.bls_employment is None and release.wages is None
    assert release.collaboration.empty
    by_task = release.collaboration_by_task.set_index("statement_key")
    assert by_task.loc["file records.", "filtered"] == 1.0
    with pytest.raises(ValueError, match="v3"):
        release.shares("v3")


def test_unknown_release_name() -> None:
    with pytest.raises(ValueError, match="release must be one of"):
        load_economic_index("2024_01_01", data_dir=FIXTURE)  # type: ignore[arg-type]


def test_missing_required_file_names_the_path(data: Path) -> None:
    target = data / "economic_index" / "release_2025_02_10" / "onet_task_mappings.csv"
    target.unlink()
    with pytest.raises(MissingDataError, match="onet_task_mappings.csv"):
        load_economic_index("2025_02_10", data_dir=data)


def test_missing_release_folder(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="release_2025_02_10"):
        load_economic_index("2025_02_10", data_dir=tmp_path)


@pytest.mark.parametrize(
    ("file", "old", "new", "line", "field"),
    [
        ("onet_task_mappings.csv", "30.0", "thirty", 3, "pct"),
        ("onet_task_mappings.csv", "30.0", "-3.0", 3, "pct"),
        ("onet_task_statements.csv", "15-1132.00,", "15-113X.00,", 4, "O*NET-SOC Code"),
        ("onet_task_statements.csv", ",Core,20.0,07/2014,Incumbent\n27", ",Essential,20.0,07/2014,Incumbent\n27",
         5, "Task Type"),
        ("automation_vs_augmentation.csv", "learning", "guessing", 4, "interaction_type"),
        ("wage_data.csv", ",2,35000.0", ",7,35000.0", 5, "JobZone"),
        ("bls_employment_may_2023.csv", "Office and Administrative", "Clerical", 4,
         "SOC or O*NET-SOC 2019 Title"),
    ],
)
def test_malformed_field_names_file_line_field(data: Path, file: str, old: str, new: str, line: int,
                                               field: str) -> None:
    path = data / "economic_index" / "release_2025_02_10" / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(InputError) as info:
        load_economic_index("2025_02_10", data_dir=data)
    assert info.value.path == path
    assert info.value.line == line
    assert info.value.field == field


def test_wrong_field_count_and_missing_column(data: Path) -> None:
    path = data / "economic_index" / "release_2025_02_10" / "onet_task_mappings.csv"
    path.write_text("task_name,pct\na,1.0\nb,2.0,extra\n")
    with pytest.raises(InputError) as info:
        load_economic_index("2025_02_10", data_dir=data)
    assert info.value.line == 3
    path.write_text("task,pct\na,1.0\n")
    with pytest.raises(InputError) as info:
        load_economic_index("2025_02_10", data_dir=data)
    assert info.value.line == 1 and info.value.field == "task_name"


def test_bad_encoding(data: Path) -> None:
    path = data / "economic_index" / "release_2025_02_10" / "onet_task_mappings.csv"
    path.write_bytes(b"task_name,pct\na,1.0\n\xff\xfe,2.0\n")
    with pytest.raises(InputError, match="UTF-8") as info:
        load_economic_index("2025_02_10", data_dir=data)
    assert info.value.line == 3


def test_crosswalk_and_statement_mapping() -> None:
    crosswalk = load_soc_crosswalk(data_dir=FIXTURE)
    assert crosswalk.occupations_2010 is None
    assert crosswalk.to_2019(["15-1132.00", "99-9999.00"]) == {
        "15-1132.00": ("15-1252.00", "15-1253.00"),
        "99-9999.00": (),
    }
    release = load_economic_index("2025_02_10", data_dir=FIXTURE)
    mapped = statements_to_soc_2019(release.statements, crosswalk).set_index("statement_key")
    assert mapped.loc["correct errors in programs.", "soc_codes"] == ("15-1251.00", "15-1252.00", "15-1253.00")
    # 43-9061.00 is not in the fixture crosswalk: kept as is and counted, never dropped.
    assert mapped.loc["file records.", "soc_codes"] == ("43-9061.00",)
    assert mapped.loc["file records.", "unmapped_codes"] == 1


def test_crosswalk_missing(tmp_path: Path) -> None:
    with pytest.raises(MissingDataError, match="crosswalk"):
        load_soc_crosswalk(data_dir=tmp_path)


@needs_real
def test_real_releases() -> None:
    first = load_economic_index("2025_02_10", data_dir=REAL)
    assert len(first.task_statements) == 19530
    assert first.task_statements["soc_code"].nunique() == 974
    assert (first.statements["n_occupations"] > 1).sum() == 272
    assert first.missing_files == ()
    shares = first.shares("v1")
    assert shares["matched"].sum() == 3513 and shares.loc[~shares["matched"], "task_name"].tolist() == ["none"]
    assert shares["pct"].sum() == pytest.approx(100.0)
    assert len(first.bls_employment) == 22 and len(first.major_groups) == 23
    second = load_economic_index("2025_03_27", data_dir=REAL)
    assert second.versions == ("v1", "v2")
    assert "automation_vs_augmentation_v2.csv" in second.missing_files
    assert second.collaboration_by_task["statement_key"].isin(second.statements["statement_key"]).all()


@needs_real
def test_real_crosswalk_covers_release_codes() -> None:
    crosswalk = load_soc_crosswalk(data_dir=REAL)
    assert len(crosswalk.table) == 1164
    release = load_economic_index("2025_02_10", data_dir=REAL)
    mapped = statements_to_soc_2019(release.statements, crosswalk)
    assert mapped["unmapped_codes"].sum() == 0
