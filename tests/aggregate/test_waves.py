"""Wave analyses on the synthetic releases (numbers worked out by hand) and on the real data when present."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from harness.aggregate import (
    analyses_for,
    automation_by_wave,
    collaboration_by_wave,
    consumer_vs_api,
    load_wave_set,
    pattern_counts,
    run_analyses,
    task_mix_by_wave,
    wave_trend,
)
from harness.taxonomy import load_wave
from tests.support.long_format import long_format_data_dir

REAL = os.environ.get("HARNESS_DATA_DIR")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "economic_index" / "derived_third_party").is_dir(),
    reason="real Economic Index waves not available (set HARNESS_DATA_DIR)")


@pytest.fixture(scope="module")
def waves():
    return load_wave_set(data_dir=long_format_data_dir())


def test_the_set_holds_first_releases_and_the_long_format(waves) -> None:
    assert waves.names == ("v1 consumer", "v2 consumer", "v3 consumer", "v3 api")
    assert [w.origin for w in waves.waves] == ["official release"] * 2 + ["official long format"] * 2


def test_pattern_counts_published_and_derived(waves) -> None:
    consumer, api = waves.waves[2], waves.waves[3]
    published = pattern_counts(consumer).set_index("pattern")
    assert published.attrs["pattern_source"] == "published overall shares"
    assert published.loc["directive", "count"] == pytest.approx(4100)
    derived = pattern_counts(api).set_index("pattern")
    assert derived.attrs["pattern_source"] == "per-task mixes weighted by task counts"
    # 6000 × 0.9 + 3000 × 0.6 directive; the not_classified task row has no mix
    assert derived.loc["directive", "count"] == pytest.approx(7200)
    assert derived.loc["not_classified", "count"] == pytest.approx(400)
    assert derived["count"].sum() == pytest.approx(10000)


def test_automation_consumer_vs_api_and_trend(waves) -> None:
    auto = automation_by_wave(waves.waves)
    t = auto.table.set_index(["wave", "platform"])
    assert t.loc[("v3", "consumer"), "automation_pct"] == pytest.approx(100 * 4900 / 8100)
    assert t.loc[("v3", "consumer"), "directive_pct"] == pytest.approx(100 * 4100 / 9100)
    assert t.loc[("v3", "api"), "automation_pct"] == pytest.approx(100 * 7800 / 9000)
    assert t.loc[("v3", "api"), "directive_pct"] == pytest.approx(75.0)
    assert t.loc[("v1", "consumer"), "automation_pct"] == pytest.approx(100 * 40 / 90)
    assert t.loc[("v2", "consumer"), "automation_pct"] == pytest.approx(100 * 30 / 65)
    low, high = t.loc[("v3", "api"), ["automation_ci_low", "automation_ci_high"]]
    assert low < 100 * 7800 / 9000 < high and high - low < 2  # 9,000 conversations: about ±0.7 points
    assert auto.policy is None and "v3 (release_2025_09_15)" in auto.source
    versus = consumer_vs_api(auto).table.set_index("measure")
    assert versus.loc["automation_pct", "diff"] == pytest.approx(100 * (7800 / 9000 - 4900 / 8100))
    assert versus.loc["automation_pct", "p_value"] < 1e-10
    trend = wave_trend(auto).table
    assert list(zip(trend["from_wave"], trend["to_wave"], strict=True))[:4] == [("v1", "v2")] * 2 + [("v2", "v3")] * 2
    assert (trend["platform"] == "consumer").all()  # the API has one wave here: nothing to compare


def test_collaboration_by_pattern_sums_to_the_five(waves) -> None:
    table = collaboration_by_wave(waves.waves).table
    api = table[(table["wave"] == "v3") & (table["platform"] == "api")].set_index("pattern")
    assert api["pct_of_patterns"].sum() == pytest.approx(100.0)
    assert np.isnan(api.loc["none", "pct_of_patterns"]) and api.loc["none", "pct_of_classified"] == 6.25
    assert (table["release"].notna()).all()


def test_task_mix_by_major_group(waves) -> None:
    mix = task_mix_by_wave(waves).table
    c = mix[(mix["wave"] == "v3") & (mix["platform"] == "consumer")].set_index("major_group")
    p = 6000 / 8500  # both computing tasks are linked to major group 15 only
    assert c.loc["15", "pct"] == pytest.approx(100 * p)
    half = (c.loc["15", "ci_high"] - c.loc["15", "ci_low"]) / 2
    assert half == pytest.approx(100 * 1.959964 * np.sqrt(p * (1 - p) / 8500), rel=1e-4)
    assert c.loc["15", "matched_pct"] == pytest.approx(85.0)


def test_registered_wave_analyses_run_together(waves) -> None:
    assert {s.name for s in analyses_for("waves")} == {"collaboration", "task_mix", "concentration", "power_law"}
    analysis = run_analyses("waves", waves, name="waves", names=["collaboration", "task_mix"])
    assert set(analysis.tables) == {"wave_collaboration", "wave_automation", "wave_consumer_vs_api", "wave_trend",
                                    "wave_task_mix"}
    assert analysis.summary["collaboration"]["v3 api"]["automation_pct"] == pytest.approx(86.667, abs=1e-3)
    for name in analysis.figures:
        analysis.figures[name]().savefig(os.devnull, format="png")


@needs_real
def test_real_waves_directive_trend_and_the_api_gap() -> None:
    waves = load_wave_set(data_dir=REAL)
    t = automation_by_wave(waves.waves).table.set_index(["wave", "platform"])
    # the September 2025 report: directive conversations rose from 27% (v1) to 39% (v3) of Claude.ai traffic
    assert round(t.loc[("v1", "consumer"), "directive_pct"]) == 27
    assert round(t.loc[("v3", "consumer"), "directive_pct"]) == 39
    for wave in ("v3", "v4", "v5"):
        assert t.loc[(wave, "api"), "automation_pct"] > t.loc[(wave, "consumer"), "automation_pct"] + 25
    assert load_wave("v5", "api", data_dir=REAL).sample_size == 1_000_000
