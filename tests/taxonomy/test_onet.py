from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from harness.errors import InputError, MissingDataError
from harness.taxonomy import load_onet, major_group_of, normalise_statement, resolve_onet_dir


def test_real_release_counts(onet_release):
    summary = onet_release.summary()
    assert summary["tasks"] == 18796
    assert summary["occupations_with_tasks"] == 923
    assert summary["major_groups_with_tasks"] == 22
    assert (summary["iwas"], summary["dwas"], summary["gwas"]) == (332, 2087, 37)
    assert summary["tasks_without_dwa"] == 301
    assert 3400 < summary["tasks_with_several_iwas"] < 3600
    assert summary["skills"] == 35
    assert len(onet_release.skill_names) == 35


def test_real_release_typed_columns(onet_release):
    tasks = onet_release.tasks
    assert tasks["task_id"].dtype.kind == "i"
    assert set(tasks["task_type"].dropna()) == {"Core", "Supplemental"}
    assert tasks["soc_code"].str.fullmatch(r"\d{2}-\d{4}\.\d{2}").all()
    skills = onet_release.skills
    assert skills["importance"].between(1, 5).all()
    assert skills["level"].between(0, 7).all()
    assert onet_release.job_zones["job_zone"].between(1, 5).all()
    assert (onet_release.task_dwas["iwa_id"].str.rsplit(".", n=1).str[0] == onet_release.task_dwas["gwa_id"]).all()


def test_identical_statements_are_one_statement(onet_release):
    statements = onet_release.statements
    shared = statements[statements["statement_key"] == normalise_statement("Act as advisers to student organizations.")]
    assert len(shared) == 1
    row = shared.iloc[0]
    assert row["n_occupations"] > 1 and len(row["task_ids"]) == row["n_occupations"]
    # every Task ID belongs to exactly one statement
    assert sum(len(t) for t in statements["task_ids"]) == len(onet_release.tasks)


def test_mini_release_from_directory_and_zip(mini_onet_dir, tmp_path):
    from_dir = load_onet(mini_onet_dir)
    archive = tmp_path / "db_29_3_text.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in mini_onet_dir.glob("*.txt"):
            zf.write(path, f"db_29_3_text/{path.name}")
    from_zip = load_onet(archive)
    assert from_zip.release == "29.3"
    assert from_zip.summary() == from_dir.summary()
    assert from_dir.tasks.equals(from_zip.tasks)
    key = normalise_statement("Review code written by other developers.")
    shared = from_dir.statements.set_index("statement_key").loc[key]
    assert shared["task_ids"] == (102, 103)
    assert shared["soc_codes"] == ("15-1252.00", "15-1253.00")


def test_major_group_of():
    assert major_group_of("15-1252.00") == "15"
    assert major_group_of("27-3043") == "27"
    with pytest.raises(ValueError, match="not an O\\*NET-SOC code"):
        major_group_of("1512-52")


def test_resolve_missing_release_says_how_to_fetch(tmp_path):
    with pytest.raises(MissingDataError, match="harness data fetch --release 29.3"):
        resolve_onet_dir("29.3", tmp_path)


def _copy_release(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest


def test_missing_file_is_named(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    (release / "Tasks to DWAs.txt").unlink()
    with pytest.raises(MissingDataError, match="Tasks to DWAs.txt: required file missing"):
        load_onet(release)


def test_wrong_layout_names_missing_columns(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    path = release / "Task Statements.txt"
    text = path.read_text().replace("Task ID", "TaskIdentifier", 1)
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_onet(release)
    assert info.value.path == path and info.value.line == 1
    assert "missing column(s) ['Task ID']" in str(info.value)


def test_malformed_row_names_line(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    path = release / "Task Statements.txt"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("\t", " ", 1)  # line 4 loses a field
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        load_onet(release)
    assert info.value.line == 4
    assert "expected 8 tab-separated fields" in str(info.value)


def test_bad_value_names_line_and_field(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    path = release / "Task Statements.txt"
    path.write_text(path.read_text().replace("\t102\t", "\tX102\t"))
    with pytest.raises(InputError) as info:
        load_onet(release)
    assert (info.value.line, info.value.field) == (3, "Task ID")
    assert "'X102'" in str(info.value)


def test_bad_encoding_names_line(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    path = release / "Occupation Data.txt"
    data = path.read_bytes().replace(b"Write text.", b"Write t\xe9xt.")  # Latin-1 byte in a UTF-8 file
    path.write_bytes(data)
    with pytest.raises(InputError) as info:
        load_onet(release)
    assert info.value.path == path and info.value.line == 4
    assert "not valid UTF-8" in str(info.value)


def test_dangling_dwa_reference(mini_onet_dir, tmp_path):
    release = _copy_release(mini_onet_dir, tmp_path / "rel")
    path = release / "Tasks to DWAs.txt"
    path.write_text(path.read_text().replace("4.A.3.b.6.I01.D01\tFile", "4.A.3.b.6.I01.D09\tFile"))
    with pytest.raises(InputError, match=r"line 8, field 'DWA ID': DWA ID not in DWA Reference"):
        load_onet(release)


def test_not_a_zip(tmp_path):
    bogus = tmp_path / "db_29_3_text.zip"
    bogus.write_bytes(b"this is not a zip")
    with pytest.raises(InputError, match="expected a directory of O\\*NET text files or the official .zip"):
        load_onet(bogus)
