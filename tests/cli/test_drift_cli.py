"""`harness drift RUN_A RUN_B` and `harness analyze --waves / --aei-release`, in process through harness.cli.main."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.aggregate import synthetic_facts
from harness.cli import main
from harness.taxonomy import load_economic_index
from tests.conftest import mini_economic_index
from tests.support.long_format import RELEASE, long_format_data_dir


def _cli(*argv: object) -> int:
    """Exit status of ``harness ARGV`` run in process (argparse's own usage errors exit through SystemExit)."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return int(exc.code or 0)


def test_drift_between_two_release_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = mini_economic_index()
    out = tmp_path / "drift"
    assert _cli("--data-dir", data, "drift", "release:2025_02_10", "release:2025_03_27:v2", "--out", out) == 0
    printed = capsys.readouterr().out
    assert "significant movers" in printed
    summary = json.loads((out / "summary.json").read_text())
    block = summary["drift"]
    assert block["run_a"].startswith("v1 consumer (release_2025_02_10") and block["major_group"]["only_in_a"] == 1
    for name in ("drift_task", "drift_occupation", "drift_major_group", "drift_pattern", "drift_movers",
                 "drift_summary"):
        sidecar = json.loads((out / "tables" / f"{name}.json").read_text())
        assert "release_2025_03_27" in sidecar["source"] and sidecar["policy"] is None
    assert (out / "figures" / "drift_major_group.png").read_bytes()[:4] == b"\x89PNG"


def test_drift_between_two_fact_tables_keeps_the_stricter_wall(tmp_path: Path) -> None:
    data = mini_economic_index()
    links = load_economic_index("2025_02_10", data_dir=data).statements
    paths = []
    for seed in (1, 2):
        path = tmp_path / f"facts{seed}.parquet"
        synthetic_facts(3000, links, n_accounts=200, seed=seed).to_parquet(path)
        paths.append(path)
    out = tmp_path / "drift"
    assert _cli("--data-dir", data, "drift", *paths, "--out", out, "--min-conversations", "20") == 0
    tasks = json.loads((out / "tables" / "drift_task.json").read_text())
    assert tasks["policy"] == {"min_conversations": 20, "min_accounts": 5}
    assert tasks["rows"] and all(0 <= row["share_a"] <= 100 for row in tasks["rows"])


@pytest.mark.parametrize(("argv", "code", "message"), [
    (["drift", "release:2025_02_10:v9", "release:2025_03_27:v2"], 2, "versions"),
    (["drift", "wave:v7", "release:2025_03_27:v2"], 2, "wave:vN"),
    (["drift", "no/such/run", "release:2025_03_27:v2"], 2, "not a run directory"),
    (["drift", "release:2025_02_10", "release:2025_03_27:v2", "--min-conversations", "3"], 1, "not lowered"),
    (["drift", "release:2025_02_10", "release:2025_03_27:v2", "--alpha", "1.5"], 2, "between 0 and 1"),
])
def test_drift_usage_errors_are_one_line(tmp_path: Path, capsys, argv, code, message) -> None:
    assert _cli("--data-dir", mini_economic_index(), *argv, "--out", tmp_path / "o") == code
    err = capsys.readouterr().err.strip()
    assert message in err and "Traceback" not in err


def test_analyze_waves_and_a_long_format_release(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = long_format_data_dir()
    out = tmp_path / "waves"
    assert _cli("--data-dir", data, "analyze", "--waves", "--aei-release", RELEASE, "--n-boot", "20",
                "--out", out) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary) == {"waves", f"release_{RELEASE}"}
    assert summary["waves"]["waves"]["v3 api"].endswith("official long format)")
    tables = {p.stem for p in (out / "tables").glob("*.csv")}
    assert {"wave_automation", "wave_consumer_vs_api", "wave_trend", "wave_task_mix", "wave_concentration",
            "wave_power_law", "geo_country_usage", "geo_state_us_fits", "aei_facets"} <= tables
    automation = json.loads((out / "tables" / "wave_automation.json").read_text())
    assert {row["release"] for row in automation["rows"]} == {"2025_02_10", "2025_03_27", RELEASE}
    assert {p.stem for p in (out / "figures").glob("*.png")} >= {"wave_automation_trend", "geo_usage_vs_gdp"}
    # one wave and one platform only
    assert _cli("--data-dir", data, "analyze", "--waves", "--wave", "v3", "--platform", "api", "--n-boot", "0",
                "--out", tmp_path / "one") == 0
    one = json.loads((tmp_path / "one" / "summary.json").read_text())
    assert list(one["waves"]) == ["v3 api"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--waves", "--facts", "x.parquet"], "do not combine with --facts"),
    (["--wave", "v3"], "need --waves"),
    (["--waves", "--n-boot", "-1"], "--n-boot"),
])
def test_analyze_waves_usage_errors(tmp_path: Path, capsys, extra, message) -> None:
    assert _cli("--data-dir", long_format_data_dir(), "analyze", *extra, "--out", tmp_path / "o") == 2
    assert message in capsys.readouterr().err


def test_analyze_an_absent_long_format_release_says_how_to_fetch(tmp_path: Path, capsys) -> None:
    assert _cli("--data-dir", mini_economic_index(), "analyze", "--aei-release", "2026_01_15", "--out",
                tmp_path / "o") == 1
    assert "harness data fetch --aei-release 2026_01_15" in capsys.readouterr().err


def _classify(tmp_path: Path, data: Path, name: str, tasks: list[int]) -> Path:
    from harness.conversations import Conversation, Message, write_jsonl

    convs = [Conversation(f"{name}{i}", f"acct-{i % 8}", (Message("user", "help with my program"),))
             for i in range(len(tasks))]
    write_jsonl(convs, tmp_path / f"{name}.jsonl")
    preds = tmp_path / f"{name}-preds.jsonl"
    preds.write_text("".join(json.dumps({"conversation_id": c.id, "task_id": t, "pattern": "directive",
                                         "occupational": True}) + "\n" for c, t in zip(convs, tasks, strict=True)))
    run = tmp_path / name
    assert _cli("--data-dir", data, "classify", "--input", tmp_path / f"{name}.jsonl", "--backend",
                f"replay:{preds}", "--out", run, "--no-progress") == 0
    return run


def test_drift_between_two_classify_runs_uses_their_onet_release(tmp_path: Path, mini_onet_dir, capsys) -> None:
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    first = _classify(tmp_path, data, "a", [101] * 40 + [201] * 20)
    second = _classify(tmp_path, data, "b", [101] * 20 + [201] * 40)
    out = tmp_path / "drift"
    assert _cli("--data-dir", data, "drift", first, second, "--out", out) == 0  # links: O*NET 29.3 (manifest)
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())["drift"]
    assert summary["links"] == ["O*NET 29.3"] and summary["task"]["cells_compared"] == 2
    tasks = json.loads((out / "tables" / "drift_task.json").read_text())
    assert tasks["policy"] == {"min_conversations": 15, "min_accounts": 5}
    shares = sorted((round(r["share_a"], 3), round(r["share_b"], 3)) for r in tasks["rows"])
    assert shares == [(33.333, 66.667), (66.667, 33.333)]
