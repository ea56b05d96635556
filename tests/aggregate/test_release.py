"""Reproduce the first Economic Index report from release_2025_02_10, and analyse release_2025_03_27."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from harness.aggregate import (
    WalledTable,
    analyze_release,
    automation_augmentation,
    category_shares,
    collaboration_by_group,
    compare_shares,
    depth_of_use,
    occupation_shares,
)
from harness.cli import main
from harness.taxonomy import load_economic_index
from tests.conftest import mini_economic_index

FIXTURE = mini_economic_index()
REAL = os.environ.get("HARNESS_DATA_DIR")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "economic_index" / "release_2025_02_10").is_dir(),
    reason="real Economic Index data not available (set HARNESS_DATA_DIR to the shared data directory)",
)


def _usage(release, version="v1") -> WalledTable:
    return WalledTable("usage", release.shares(version), None, "fixture")


def test_fixture_analyses_by_hand() -> None:
    release = load_economic_index("2025_02_10", data_dir=FIXTURE)
    usage, links = _usage(release), release.statements
    # "none" (10%) dropped and renormalised over 90; the shared task (30) splits 15/15.
    occ = occupation_shares(usage, links).table.set_index("soc_code")["pct"]
    assert occ["15-1131.00"] == pytest.approx(100 * 55 / 90)
    assert occ["15-1132.00"] == pytest.approx(100 * 15 / 90)
    cat = category_shares(usage, links, bls_employment=release.bls_employment).table.set_index("major_group")
    assert cat.loc["15", "pct_use"] == pytest.approx(100 * 70 / 90)
    assert cat.loc["43", "pct_use"] == 0.0 and cat.loc["43", "pct_employment"] == pytest.approx(80.0)
    assert cat.loc["27", "representation_ratio"] == pytest.approx((100 * 20 / 90) / 10)
    depth = depth_of_use(usage, links).table.set_index("threshold")["pct_occupations"]
    # Task fractions in use: 15-1131 2/2, 15-1132 1/2, 27-3043 1/2, 43-9061 0/2.
    assert depth[0.5] == 75.0 and depth[0.75] == 25.0 and depth[0.01] == 75.0 and depth[0.0] == 100.0
    modes = automation_augmentation(WalledTable("c", release.collaboration, None, "fixture")).table
    assert modes.set_index("mode")["pct"]["automation"] == pytest.approx(100 * 40 / 90)


def test_fixture_second_release_and_comparison() -> None:
    release = load_economic_index("2025_03_27", data_dir=FIXTURE)
    analysis = analyze_release(release, reference=load_economic_index("2025_02_10", data_dir=FIXTURE))
    v2 = analysis.summary["v2"]
    # By-task mixes weighted by v2 shares: programs 50 × (0.4+0.2 auto of 0.8), errors 25 × (all augmentation).
    auto = 50 * 0.6 / 0.8
    assert v2["automation_pct"] == pytest.approx(round(100 * auto / 75, 4))
    by_cat = collaboration_by_group(release.collaboration_by_task, _usage(release, "v2"), release.statements)
    assert set(by_cat.table["major_group"]) == {"15"}  # file records. is fully filtered
    cmp = compare_shares(analysis.tables["v1_category_shares"], analysis.tables["v2_category_shares"],
                         key="major_group", value="pct_use", labels=("v1", "v2")).table.set_index("major_group")
    assert cmp.loc["43", "diff"] == pytest.approx(25.0)
    assert "what_changed" in analysis.tables


@needs_real
def test_reproduces_published_first_report() -> None:
    s = analyze_release("2025_02_10", data_dir=REAL).summary["v1"]
    assert round(s["augmentation_pct"]) == 57 and round(s["automation_pct"]) == 43
    assert round(s["computer_and_mathematical_pct"], 1) == 37.2
    assert round(s["arts_design_entertainment_sports_media_pct"], 1) == 10.3
    assert [round(s[f"occupations_with_{x}pct_tasks_pct"]) for x in (10, 25, 50, 75)] == [57, 36, 11, 4]


@needs_real
def test_cli_writes_tables_figures_and_summary(tmp_path: Path) -> None:
    assert main(["--data-dir", REAL, "analyze", "--release", "2025_03_27", "--out", str(tmp_path)]) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert "automation_vs_augmentation_v2.csv" in summary["missing_files"]
    assert summary["v1"]["computer_and_mathematical_pct"] == pytest.approx(37.2249, abs=1e-3)
    assert summary["v2"]["tasks_with_use"] == 3364
    for name in ("v2_collaboration_by_task", "what_changed", "compare_category_shares", "v1_depth_of_use"):
        assert (tmp_path / "tables" / f"{name}.csv").stat().st_size > 0
        assert json.loads((tmp_path / "tables" / f"{name}.json").read_text())["rows"]
    assert (tmp_path / "figures" / "v2_category_shares.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_fact_table_behind_the_wall(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from harness.aggregate import synthetic_facts

    release = load_economic_index("2025_02_10", data_dir=FIXTURE)
    facts_path = tmp_path / "facts.parquet"
    synthetic_facts(3000, release.statements, n_accounts=200, seed=3).to_parquet(facts_path)
    out = tmp_path / "out"
    args = ["--data-dir", str(FIXTURE), "analyze", "--facts", str(facts_path), "--out", str(out)]
    assert main([*args, "--min-conversations", "20"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["policy"] == {"min_conversations": 20, "min_accounts": 5}
    assert summary["released_conversations"] + summary["not_classified_or_below_threshold"] == 3000
    tasks = json.loads((out / "tables" / "tasks.json").read_text())
    assert tasks["policy"]["min_conversations"] == 20
    assert all(row["conversations"] >= 20 for row in tasks["rows"])
    capsys.readouterr()
    assert main([*args, "--min-conversations", "10"]) == 2  # asking for a lower wall is bad usage
    assert "may be raised but not lowered" in capsys.readouterr().err
