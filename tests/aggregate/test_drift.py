"""Drift between two runs: shares per level as each run computes them, cells released in both only, BH movers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.aggregate import DRIFT_LEVELS, PrivacyPolicy, drift, drift_tables, resolve_run, run_from_facts
from harness.errors import UsageError
from tests.conftest import mini_economic_index

REAL = os.environ.get("HARNESS_DATA_DIR")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "economic_index" / "release_2025_03_27").is_dir(),
    reason="real Economic Index data not available (set HARNESS_DATA_DIR)")


def test_release_versions_on_the_fixture_by_hand() -> None:
    data = mini_economic_index()
    a, b = resolve_run("release:2025_03_27:v1", data_dir=data), resolve_run("release:2025_03_27:v2", data_dir=data)
    groups = drift(a, b, "major_group").table.set_index("key")
    # v1: 70 of 90 matched points on group 15; v2: 75 of 100. Groups 27 and 43 are released in one run only.
    assert list(groups.index) == ["15"]
    assert groups.loc["15", "share_a"] == pytest.approx(100 * 70 / 90)
    assert groups.loc["15", "share_b"] == pytest.approx(75.0)
    assert groups.loc["15", "diff"] == pytest.approx(75 - 700 / 9)
    table = drift(a, b, "major_group").table
    assert (table.attrs["only_in_a"], table.attrs["only_in_b"]) == (1, 1)
    # the fixture's second release has no overall v1 patterns: no pattern cell is released in both
    assert drift(a, b, "pattern").table.empty and drift(a, b, "pattern").table.attrs["only_in_b"] == 5
    patterns = drift(resolve_run("release:2025_02_10", data_dir=data), b, "pattern").table.set_index("key")
    assert patterns.loc["directive", "share_a"] == pytest.approx(100 * 30 / 90)  # the published v1 file
    assert patterns.loc["directive", "share_b"] == pytest.approx(100 * 20 / 65)  # v2: from the per-task mixes
    assert "v1 consumer (release_2025_03_27" in drift(a, b, "task").source


def test_facts_runs_compare_only_cells_released_in_both(links, make_facts) -> None:
    many = [f"u{i}" for i in range(8)]
    # 20 non-occupational conversations keep the withheld total above the wall (no secondary suppression)
    run_a = make_facts([("big a.", 60, many, ["directive"]), ("big b.", 40, many, ["learning"]),
                        ("small s1.", 10, many, ["directive"]), (None, 20, many, ["none"])])
    run_b = make_facts([("big a.", 30, many, ["directive"]), ("big b.", 70, many, ["learning"]),
                        ("small s1.", 20, many, ["directive"]), (None, 20, many, ["none"])])
    a = run_from_facts(run_a, links, name="A")
    b = run_from_facts(run_b, links, name="B", policy=PrivacyPolicy(20, 5))
    tasks = drift(a, b, "task")
    assert set(tasks.table["key"]) == {"big a.", "big b."}  # small s1. passes the wall in B only
    assert tasks.table.attrs["only_in_b"] == 1 and tasks.table.attrs["only_in_a"] == 0
    assert tasks.policy == PrivacyPolicy(20, 5)  # the stricter of the two walls
    row = tasks.table.set_index("key").loc["big a."]
    assert row["share_a"] == pytest.approx(60.0) and row["share_b"] == pytest.approx(100 * 30 / 120)
    assert row["significant"] and row["q_value"] < 0.05
    assert "small s1." not in drift_tables(a, b)["drift_movers"].table["key"].tolist()


def test_a_change_within_noise_is_not_a_mover(links, make_facts) -> None:
    many = [f"u{i}" for i in range(8)]
    a = run_from_facts(make_facts([("big a.", 50, many, ["directive"]), ("big b.", 50, many, ["learning"])]),
                       links, name="A")
    b = run_from_facts(make_facts([("big a.", 52, many, ["directive"]), ("big b.", 48, many, ["learning"])]),
                       links, name="B")
    tables = drift_tables(a, b)
    assert tables["drift_movers"].table.empty
    summary = tables["drift_summary"].table.set_index("level")
    assert list(summary.index) == list(DRIFT_LEVELS) and (summary["significant_movers"] == 0).all()


def test_specs_are_checked(tmp_path: Path) -> None:
    data = mini_economic_index()
    with pytest.raises(UsageError, match="versions"):
        resolve_run("release:2025_02_10:v2", data_dir=data)
    with pytest.raises(UsageError, match="wave:vN"):
        resolve_run("wave:v1:api", data_dir=data)
    with pytest.raises(UsageError, match="not a run directory"):
        resolve_run(str(tmp_path / "missing"), data_dir=data)


@needs_real
def test_march_2025_v1_to_v2_figures_reproduce_through_drift() -> None:
    a = resolve_run("release:2025_03_27:v1", data_dir=REAL)
    b = resolve_run("release:2025_03_27:v2", data_dir=REAL)
    groups = drift(a, b, "major_group").table.set_index("key")
    assert round(groups.loc["15", "share_a"], 1) == 37.2 and round(groups.loc["15", "share_b"], 1) == 40.2
    assert round(groups.loc["27", "share_a"], 1) == 10.3 and round(groups.loc["27", "share_b"], 1) == 9.6
    assert groups.loc["15", "significant"] and groups.loc["15", "ci_low"] > 0
