"""Concentration measures and the power-law fit (CSN method through the powerlaw package)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from harness.aggregate import (
    PowerLawFit,
    concentration_by_wave,
    concentration_measures,
    fit_power_law,
    gini,
    load_wave_set,
    power_law_by_wave,
)
from tests.support.long_format import long_format_data_dir

REAL = os.environ.get("HARNESS_DATA_DIR")
needs_real = pytest.mark.skipif(
    not REAL or not (Path(REAL) / "economic_index" / "derived_third_party").is_dir(),
    reason="real Economic Index waves not available (set HARNESS_DATA_DIR)")


def test_gini_and_concentration_by_hand() -> None:
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.r_[np.zeros(9), 1.0]) == pytest.approx(0.9)  # one of ten holds everything: (n - 1) / n
    assert gini(np.array([1.0, 3.0])) == pytest.approx(0.25)
    assert np.isnan(gini(np.array([])))
    m = concentration_measures(np.r_[np.full(10, 5.0), np.full(40, 1.0), 0.0])
    assert m["n_tasks"] == 50 and m["top10_pct"] == pytest.approx(50 / 90 * 100)
    assert m["hhi"] == pytest.approx(10 * (5 / 90) ** 2 + 40 * (1 / 90) ** 2)
    assert m["effective_tasks"] == pytest.approx(1 / m["hhi"])


def test_concentration_per_wave_with_bootstrap_intervals() -> None:
    waves = load_wave_set(data_dir=long_format_data_dir())
    measures, lorenz = concentration_by_wave(waves.waves, n_boot=100, seed=1)
    api = measures.table.set_index(["wave", "platform"]).loc[("v3", "api")]
    assert api["n_tasks"] == 2 and api["top10_pct"] == 100.0  # named tasks only: none/not_classified left out
    assert api["gini"] == pytest.approx(gini(np.array([6000.0, 3000.0])))
    for key in ("hhi", "gini"):
        assert api[f"{key}_ci_low"] <= api[key] <= api[f"{key}_ci_high"]
    again, _ = concentration_by_wave(waves.waves, n_boot=100, seed=1)
    assert again.table.equals(measures.table)  # seeded
    assert lorenz.table.groupby(["wave", "platform"])["use_fraction"].max().eq(1.0).all()
    with pytest.raises(ValueError, match="n_boot"):
        concentration_by_wave(waves.waves, n_boot=-1)


def test_power_law_fit_recovers_a_known_exponent() -> None:
    rng = np.random.default_rng(7)
    # discrete power law with alpha 2.2 above 20, by inverse transform of the continuous one, plus a lighter head
    tail = np.floor(20 * (1 - rng.random(3000)) ** (-1 / 1.2))
    head = rng.integers(1, 20, size=1000)
    fit = fit_power_law(np.r_[tail, head])
    assert fit.alpha == pytest.approx(2.2, abs=0.12)
    assert 10 <= fit.xmin <= 40 and fit.n == 4000 and fit.discrete
    assert fit.exponential_r > 0 and fit.exponential_p < 0.01
    assert PowerLawFit.verdict(fit.exponential_r, fit.exponential_p, "exponential") == "power law favoured"
    assert PowerLawFit.verdict(-3.0, 0.5, "lognormal") == "inconclusive vs lognormal"
    assert PowerLawFit.verdict(-3.0, 0.01, "lognormal") == "lognormal favoured"
    with pytest.raises(ValueError, match="at least 10"):
        fit_power_law(np.arange(1, 5))


@needs_real
def test_real_task_counts_are_heavy_tailed() -> None:
    waves = load_wave_set(data_dir=REAL, waves=["v3", "v5"])
    fits, ccdf = power_law_by_wave(waves.waves)
    t = fits.table.set_index(["wave", "platform"])
    assert ((t["alpha"] > 1.5) & (t["alpha"] < 2.5)).all()
    assert (t["xmin"] >= 15).all()  # the releases stop at the 15-conversation floor
    assert (t["vs_exponential"] == "power law favoured").all()
    assert set(ccdf.table["platform"]) == {"consumer", "api"}
