"""Waves: implied sample sizes, the third-party extracts, the first releases and the long format as one type."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.errors import InputError, MissingDataError
from harness.taxonomy import (
    WAVE_PATTERNS,
    implied_sample_size,
    load_long_format,
    load_wave,
    load_waves,
    wave_from_long_format,
)
from tests.conftest import mini_economic_index
from tests.support.long_format import SOURCE, long_format_data_dir

REAL = os.environ.get("HARNESS_DATA_DIR")
THIRD = Path("economic_index") / "derived_third_party" / "theodorewright11"
needs_real = pytest.mark.skipif(not REAL or not (Path(REAL) / THIRD).is_dir(),
                                reason="third-party wave extracts not available (set HARNESS_DATA_DIR)")


def test_implied_sample_size_recovers_the_total_behind_whole_counts() -> None:
    counts = np.array([15, 17, 400, 9568])
    assert implied_sample_size(100 * counts / counts.sum()) == counts.sum()
    # the true total may be any multiple: the smallest one consistent with the floor is returned
    assert implied_sample_size(100 * np.array([30, 34, 800, 19136]) / 20000) == 10000
    assert implied_sample_size([33.3, 33.3, 33.4]) is None  # not whole counts of one total
    assert implied_sample_size([]) is None


def _third_party(root: Path, wave: str = "v3", api: bool = False, *, shares: str | None = None,
                 by_task: str | None = None) -> Path:
    folder = root / THIRD
    folder.mkdir(parents=True, exist_ok=True)
    infix = "_api" if api else ""
    (folder / f"task_pct{infix}_{wave}.csv").write_text(shares or (
        "task_name,pct\n\"write, update, and maintain computer programs.\",60\nfile records.,25\nnone,10\n"
        "not_classified,5\n"))
    (folder / f"automation_vs_augmentation_by_task{infix}_{wave}.csv").write_text(by_task or (
        "task,directive,feedback_loop,learning,none,not_classified,task_iteration,validation\n"
        "\"write, update, and maintain computer programs.\",0.5,,,,0.25,0.25,\n"
        "file records.,1.0,,,,,,\n"
        "none,,,,1.0,,,\n"))
    return root


def test_third_party_wave(tmp_path: Path) -> None:
    wave = load_wave("v3", "consumer", data_dir=_third_party(tmp_path))
    assert (wave.release, wave.origin) == ("2025_09_15", "third-party extract (theodorewright11)")
    assert wave.sample_size == 300  # 5% is the 15-conversation floor
    shares = wave.task_shares.set_index("statement_key")
    assert shares.loc["file records.", "count"] == 75
    mix = wave.collaboration_by_task.set_index("statement_key")
    assert list(mix.columns) == list(WAVE_PATTERNS)
    assert mix.loc["write, update, and maintain computer programs.", "task_iteration"] == 0.25
    assert mix.loc["file records."].sum() == 1.0 and wave.collaboration is None
    assert "third-party" in wave.source and "v3 consumer" in wave.source
    with pytest.raises(MissingDataError, match="--aei-release 2025_09_15"):
        load_wave("v3", "api", data_dir=tmp_path)
    assert [w.label for w in load_waves(data_dir=tmp_path, waves=["v3", "v4"])] == ["v3 consumer"]


@pytest.mark.parametrize(("shares", "by_task", "line", "message"), [
    ("task_name,pct\na.,50\nb.,40\n", None, None, "add up to 90"),
    ("task_name,pct\na.,50\nA.,50\n", None, 3, "listed twice"),
    (None, "task,directive,feedback_loop,learning,task_iteration,validation\nx.,0.5,0.2,,,\n", 2, "add up to 0.7"),
    (None, "task,directive,feedback_loop,learning,task_iteration,validation,oops\nx.,1,,,,,\n", 1, "unexpected"),
    (None, "task,directive,feedback_loop,learning,task_iteration\nx.,1,,,\n", 1, "missing column"),
    (None, "task,directive,feedback_loop,learning,task_iteration,validation\nx.,-1,2,,,\n", 2, ">= 0"),
])
def test_third_party_files_are_checked(tmp_path: Path, shares, by_task, line, message) -> None:
    _third_party(tmp_path, shares=shares, by_task=by_task)
    with pytest.raises(InputError, match=message) as info:
        load_wave("v3", data_dir=tmp_path)
    assert info.value.line == line


def test_first_releases_as_waves() -> None:
    v1 = load_wave("v1", data_dir=mini_economic_index())
    assert (v1.release, v1.origin) == ("2025_02_10", "official release")
    overall = v1.collaboration.set_index("pattern")["pct"]
    assert overall["not_classified"] == pytest.approx(100 - 95)  # the published file leaves 5% out
    v2 = load_wave("v2", data_dir=mini_economic_index())
    assert v2.collaboration is None and v2.collaboration_by_task is not None
    assert v2.collaboration_by_task.set_index("statement_key").loc["file records.", "not_classified"] == 1.0
    with pytest.raises(ValueError, match="consumer"):
        load_wave("v1", "api", data_dir=mini_economic_index())


def test_long_format_wave_has_exact_counts() -> None:
    wave = wave_from_long_format(load_long_format(SOURCE / "api_raw.csv", release="2025_09_15"), "api")
    assert (wave.wave, wave.origin, wave.sample_size) == ("v3", "official long format", 10000)
    assert wave.sample_size_note == "published onet_task_count"
    mix = wave.collaboration_by_task.set_index("statement_key")
    assert mix.loc["correct errors in programs.", "validation"] == pytest.approx(0.4)
    assert mix.loc["none", "none"] == 1.0 and wave.collaboration is None


def test_official_files_win_over_the_third_party_extract(tmp_path: Path) -> None:
    data = shutil.copytree(long_format_data_dir(), tmp_path / "data")
    _third_party(data, api=True)
    wave = load_wave("v3", "api", data_dir=data)
    assert wave.origin == "official long format" and wave.sample_size == 10000
    consumer = load_wave("v3", "consumer", data_dir=data)
    assert consumer.collaboration is not None  # the consumer file has the overall collaboration facet


@needs_real
def test_real_waves_recover_the_published_window_totals() -> None:
    sizes = {w.label: w.sample_size for w in load_waves(data_dir=REAL)}
    # the Claude.ai totals equal the release's country usage counts (964,494 and 999,875 conversations)
    assert sizes["v3 consumer"] == 964494 and sizes["v4 consumer"] == 999875
    assert sizes["v3 api"] == 944638 and sizes["v4 api"] == 971525
    assert set(sizes) == {"v1 consumer", "v2 consumer", "v3 consumer", "v3 api", "v4 consumer", "v4 api",
                          "v5 consumer", "v5 api"}
