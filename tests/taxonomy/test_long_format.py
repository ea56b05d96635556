"""The strict long-format loader: any facet, level and variable; intersections; schema violations named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import InputError, MissingDataError
from harness.taxonomy import (
    LONG_FORMAT_COLUMNS,
    find_long_format_files,
    load_aei_release,
    load_long_format,
    pattern_key,
    platform_of,
)
from tests.support.long_format import API, CONSUMER, RELEASE, SOURCE, long_format_data_dir

HEADER = ",".join(LONG_FORMAT_COLUMNS)
GOOD = "GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_pct,file records.,12.5"


def _file(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "aei.csv"
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


def test_fixture_loads_with_every_facet_and_the_optional_column() -> None:
    table = load_long_format([SOURCE / "consumer_enriched.csv", SOURCE / "api_raw.csv"], release="x")
    assert table.platforms == ("api", "consumer")
    assert set(table.facets) == {"onet_task", "onet_task::collaboration", "collaboration", "country", "state_us"}
    assert table.periods == (("2025-08-04", "2025-08-11"),)
    pct = table.values("onet_task", "onet_task_pct", platform="consumer")
    assert pct["file records."] == pytest.approx(10.0) and pct.sum() == pytest.approx(100.0)
    wide = table.intersection("onet_task::collaboration", "onet_task_collaboration_pct", platform="consumer")
    assert wide.loc["correct errors in programs.", "learning"] == 50.0
    assert wide.loc["file records."].dropna().to_dict() == {"directive": 100.0}
    us = table.select(geography="country", geo_id="US", variable="usage_count")
    assert us["geo_name"].iloc[0] == "United States" and us["value"].iloc[0] == 4000.0
    assert table.rows["line"].min() == 2  # the header is line 1


def test_any_new_facet_level_and_variable_is_accepted(tmp_path: Path) -> None:
    rows = ["GLOBAL,global,2026-01-01,2026-01-07,Claude AI (Free and Pro),task_success::autonomy,2,"
            "task_success_autonomy_mean,succeeded::high,0.8",
            "GLOBAL,global,2026-01-01,2026-01-07,Claude AI (Free and Pro),human_only_time,0,human_only_time_mean,"
            "x,3.5"]
    table = load_long_format(_file(tmp_path, *rows))
    assert table.facets == ("human_only_time", "task_success::autonomy")
    wide = table.intersection("task_success::autonomy", "task_success_autonomy_mean", level=2)
    assert wide.loc["succeeded", "high"] == 0.8


@pytest.mark.parametrize(("line", "field", "message"), [
    ("GLOBAL,planet,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_pct,x,1", "geography", "expected one of"),
    ("GLOBAL,global,2025-13-04,2025-08-11,1P API,onet_task,0,onet_task_pct,x,1", "date_start", "calendar date"),
    ("GLOBAL,global,08/04/2025,2025-08-11,1P API,onet_task,0,onet_task_pct,x,1", "date_start", "YYYY-MM-DD"),
    ("GLOBAL,global,2025-08-12,2025-08-11,1P API,onet_task,0,onet_task_pct,x,1", "date_end", "before date_start"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,-1,onet_task_pct,x,1", "level", "integer level"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_pct,x,abc", "value", "finite number"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_pct,x,inf", "value", "finite number"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_count,x,-3", "value", "count >= 0"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task,0,onet_task_pct,x,100.5", "value", "within 0..100"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task::collaboration,0,v,x,1", "cluster_name", "base::category"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task::collaboration,0,v,x::,1", "cluster_name", "non-empty"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,onet_task::,0,v,x::y,1", "facet", "non-empty"),
    ("GLOBAL,global,2025-08-04,2025-08-11,1P API,,0,v,x,1", "facet", "empty value"),
    (",global,2025-08-04,2025-08-11,1P API,onet_task,0,v,x,1", "geo_id", "empty value"),
])
def test_schema_violations_name_file_line_and_field(tmp_path: Path, line: str, field: str, message: str) -> None:
    path = _file(tmp_path, GOOD, line)
    with pytest.raises(InputError, match=message) as info:
        load_long_format(path)
    assert (info.value.path, info.value.line, info.value.field) == (path, 3, field)


def test_header_problems(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing column") as info:
        load_long_format(_file(tmp_path, header=HEADER.replace(",value", "")))
    assert info.value.field == "value" and info.value.line == 1
    with pytest.raises(InputError, match="unexpected column") as info:
        load_long_format(_file(tmp_path, GOOD + ",1", header=HEADER + ",extra"))
    assert info.value.field == "extra"
    later = "geo_id,geography,date_start,date_end,platform_and_product,category_name,metric_id,node_name," \
            "hierarchy_level,value,facet,level,variable,cluster_name"
    with pytest.raises(InputError, match="later schema"):
        load_long_format(_file(tmp_path, header=later))


def test_a_repeated_cell_is_refused_in_one_file_and_across_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="second value") as info:
        load_long_format(_file(tmp_path, GOOD, GOOD.replace("12.5", "13")))
    assert info.value.line == 3
    other = tmp_path / "other.csv"
    other.write_text(HEADER + "\n" + GOOD + "\n")
    with pytest.raises(InputError, match="earlier file") as info:
        load_long_format([_file(tmp_path, GOOD), other])
    assert info.value.path == other


def test_two_periods_must_be_selected_apart(tmp_path: Path) -> None:
    table = load_long_format(_file(tmp_path, GOOD, GOOD.replace("2025-08-04,2025-08-11", "2025-11-13,2025-11-20")))
    assert len(table.periods) == 2
    with pytest.raises(InputError, match="more than one period"):
        table.values("onet_task", "onet_task_pct")


def test_release_folder_discovery_prefers_the_enriched_file(tmp_path: Path) -> None:
    data = long_format_data_dir()
    files = find_long_format_files(RELEASE, data_dir=data)
    assert files["consumer"].name == Path(CONSUMER).name and files["api"].name == Path(API).name
    raw = data / "economic_index" / f"release_{RELEASE}" / "data" / "intermediate" / "aei_raw_claude_ai_x.csv"
    try:
        raw.write_text(HEADER + "\n")
        assert find_long_format_files(RELEASE, data_dir=data)["consumer"].name == Path(CONSUMER).name
    finally:
        raw.unlink()
    table = load_aei_release(RELEASE, data_dir=data)
    assert table.release == RELEASE and len(table.paths) == 2
    with pytest.raises(MissingDataError, match="harness data fetch --aei-release 2026_01_15"):
        load_aei_release("2026_01_15", data_dir=data)


def test_names() -> None:
    assert platform_of("1P API") == "api"
    assert platform_of("Claude AI (Free, Pro and Max)") == "consumer"
    assert platform_of("Claude Code") == "claude_code"
    assert pattern_key("Task Iteration") == "task_iteration" and pattern_key("feedback loop") == "feedback_loop"
