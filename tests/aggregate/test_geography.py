"""Geography analyses of the long format, on the synthetic release (figures worked out by hand)."""

from __future__ import annotations

import os

import numpy as np
import pytest

from harness.aggregate import geography_fits, geography_usage, run_analyses
from harness.taxonomy import load_aei_release
from tests.support.long_format import RELEASE, long_format_data_dir


@pytest.fixture(scope="module")
def release():
    return load_aei_release(RELEASE, data_dir=long_format_data_dir())


def test_country_usage_index_by_hand(release) -> None:
    usage = geography_usage(release, "country")
    t = usage.table.set_index("geo_id")
    assert "LI" not in t.index  # 150 conversations: below the documented 200 for a country
    assert t["usage_count"].sum() == 9200
    pops = {"US": 210, "GB": 42, "DE": 54, "IN": 950, "BR": 145, "FR": 42}
    assert t.loc["US", "usage_index"] == pytest.approx((4000 / 9200) / (210 / sum(pops.values())))
    assert t.loc["IN", "usage_per_capita"] == pytest.approx(1500 / 950e6)
    assert t.loc["US", "geo_name"] == "United States"
    assert usage.table["usage_index"].is_monotonic_decreasing
    assert "release_2025_09_15" in usage.source and usage.policy is None


def test_state_level_and_a_raised_floor(release) -> None:
    states = geography_usage(release, "state_us").table
    assert set(states["geo_id"]) == {"CA", "NY", "TX", "WA"}  # WY (50) is below 100
    raised = geography_usage(release, "state_us", min_conversations=600).table
    assert set(raised["geo_id"]) == {"CA", "NY", "TX"}
    with pytest.raises(ValueError, match="geography"):
        geography_usage(release, "county")


def test_log_log_fits(release) -> None:
    fits = geography_fits(geography_usage(release, "country")).table.set_index("y")
    row = fits.loc["usage_index"]
    t = geography_usage(release, "country").table
    slope = np.polyfit(np.log(t["gdp_per_working_age_capita"]), np.log(t["usage_index"]), 1)[0]
    assert row["slope"] == pytest.approx(slope) and row["slope"] > 0 and row["n"] == 6
    assert row["slope_ci_low"] < row["slope"] < row["slope_ci_high"]
    assert fits.loc["usage_count", "x"] == "working_age_pop"


def test_registered_long_format_analyses(release) -> None:
    analysis = run_analyses("long_format", release, name="release")
    assert {"aei_facets", "geo_country_usage", "geo_country_fits", "geo_state_us_usage"} <= set(analysis.tables)
    assert analysis.summary["geography"]["country"]["places"] == 6
    assert "onet_task::collaboration" in analysis.summary["facets"]["facets"]
    analysis.figures["geo_usage_vs_gdp"]().savefig(os.devnull, format="png")
