"""The report shows the wave, drift and geography sections when the run's analysis/ folder has their tables."""

from __future__ import annotations

from pathlib import Path

from harness.cli import main
from harness.report import build_report, load_run
from tests.conftest import mini_economic_index
from tests.support.long_format import RELEASE, long_format_data_dir


def _run_with_analysis(tmp_path: Path, *argv: str) -> Path:
    run = tmp_path / "run"
    assert main(["--data-dir", str(long_format_data_dir()), *argv, "--out", str(run / "analysis")]) == 0
    return run


def test_wave_and_geography_sections_appear_once(tmp_path: Path, capsys) -> None:
    run = _run_with_analysis(tmp_path, "analyze", "--waves", "--aei-release", RELEASE, "--n-boot", "10")
    capsys.readouterr()
    report = build_report(load_run(run))
    ids = [s.id for s in report.sections]
    assert ids[-2:] == ["waves", "geography"] and "drift" not in ids
    waves = next(s for s in report.sections if s.id == "waves")
    assert {t.name for t in waves.tables} >= {"waves.wave_automation", "waves.wave_consumer_vs_api",
                                             "waves.wave_power_law"}
    assert {f.name for f in waves.figures} >= {"waves.wave_automation_trend", "waves.wave_power_law"}
    automation = next(t for t in waves.tables if t.name == "waves.wave_automation")
    assert "official long format" in automation.note  # the table's source travels with it
    generic = next(s for s in report.sections if s.id == "economic-index")
    assert not [b for b in (*generic.tables, *generic.figures) if "wave_" in b.name or "geo_" in b.name]


def test_drift_section(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["--data-dir", str(mini_economic_index()), "drift", "release:2025_02_10", "release:2025_03_27:v2",
                 "--out", str(run / "analysis")]) == 0
    capsys.readouterr()
    sections = {s.id: s for s in build_report(load_run(run)).sections}
    assert "drift" in sections and "waves" not in sections
    assert [t.name for t in sections["drift"].tables][:2] == ["drift.drift_summary", "drift.drift_major_group"]


def test_no_later_sections_without_their_tables(tmp_path: Path, capsys) -> None:
    run = tmp_path / "run"
    assert main(["--data-dir", str(mini_economic_index()), "analyze", "--release", "2025_02_10",
                 "--out", str(run / "analysis")]) == 0
    capsys.readouterr()
    ids = [s.id for s in build_report(load_run(run)).sections]
    assert not {"waves", "drift", "geography"} & set(ids)
