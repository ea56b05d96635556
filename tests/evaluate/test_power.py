"""Power, minimum detectable differences and the sample-size planner, checked against simulation and each other.

The simulation here is the small, fast version; ``scripts/bench_compare_stats.py`` runs the full one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from harness.cli import main
from harness.evaluate import (
    minimum_detectable_difference,
    noninferiority_power,
    noninferiority_sample_size,
    plan_sample_size,
)
from harness.evaluate._noninferiority import score_statistic
from harness.evaluate._power import change_power, smallest_provable_margin


def _simulate(n: int, discordance: float, difference: float, margin: float, alpha: float, reps: int,
              seed: int) -> float:
    """Share of simulated paired tables in which the score test shows non-inferiority."""
    rng = np.random.default_rng(seed)
    p_b, p_c = (discordance - difference) / 2, (discordance + difference) / 2
    counts = rng.multinomial(n, [p_b, p_c, 1 - discordance], size=reps)
    z = np.array([score_statistic(float(b), float(c), n, -margin) for b, c, _ in counts])
    return float(np.mean(stats.norm.sf(z) < alpha))


@pytest.mark.parametrize(("n", "discordance", "margin"), [(170, 0.2, 0.05), (300, 0.1, 0.03)])
def test_type_one_error_and_power_match_simulation(n: int, discordance: float, margin: float) -> None:
    reps = 2000
    size = _simulate(n, discordance, -margin, margin, 0.05, reps, seed=1)
    assert size <= 0.05 + 0.02  # 0.02: four Monte Carlo standard errors at 2000 replications
    power = _simulate(n, discordance, 0.0, margin, 0.05, reps, seed=2)
    assert noninferiority_power(n, margin=margin, discordance=discordance) == pytest.approx(power, abs=0.05)


def test_sample_size_inverts_power() -> None:
    for discordance in (0.05, 0.1, 0.2, 0.4):
        n = noninferiority_sample_size(0.03, discordance=discordance, power=0.8)
        assert noninferiority_power(n, margin=0.03, discordance=discordance) >= 0.8
        assert noninferiority_power(n - 1, margin=0.03, discordance=discordance) < 0.8
    # more disagreement between the runs needs more items; a true loss needs more, a true gain fewer
    sizes = [noninferiority_sample_size(0.03, discordance=d) for d in (0.05, 0.1, 0.2)]
    assert sizes == sorted(sizes)
    assert noninferiority_sample_size(0.03, discordance=0.2, difference=-0.01) > sizes[2]
    assert noninferiority_sample_size(0.03, discordance=0.2, difference=0.01) < sizes[2]
    assert math.isinf(noninferiority_sample_size(0.03, discordance=0.2, difference=-0.03))


def test_sample_size_agrees_with_the_closed_form_at_a_symmetric_null() -> None:
    """With no true difference and a small margin, the score test's null variance is about the discordance, so n is
    close to ``ψ (z_α + z_β)² / δ²``, the familiar formula for a paired mean difference."""
    n = noninferiority_sample_size(0.01, discordance=0.3)
    closed = 0.3 * (stats.norm.ppf(0.95) + stats.norm.ppf(0.8)) ** 2 / 0.01**2
    assert n == pytest.approx(closed, rel=0.02)


def test_minimum_detectable_difference() -> None:
    mde = minimum_detectable_difference(170, discordance=0.2)
    assert change_power(170, discordance=0.2, difference=mde) == pytest.approx(0.8, abs=1e-6)
    # the stricter level of a Holm family makes the detectable change larger; more items make it smaller
    assert minimum_detectable_difference(170, discordance=0.2, alpha=0.05 / 8) > mde
    assert minimum_detectable_difference(680, discordance=0.2) == pytest.approx(mde / 2, rel=0.1)
    assert math.isnan(minimum_detectable_difference(170, discordance=0.0))
    assert math.isnan(minimum_detectable_difference(0, discordance=0.2))
    assert math.isnan(minimum_detectable_difference(5, discordance=0.01))  # unreachable with so few items
    margin = smallest_provable_margin(170, discordance=0.2)
    assert noninferiority_power(170, margin=margin, discordance=0.2) == pytest.approx(0.8, abs=1e-6)


def test_planner_rows_and_goldset_scaling() -> None:
    rows = plan_sample_size(0.03, (0.1, 0.2), scored_share=0.5)
    assert [r.discordance for r in rows] == [0.1, 0.2]
    for row in rows:
        assert row.n_goldset == math.ceil(row.n_scored / 0.5)
    with pytest.raises(ValueError, match="scored_share"):
        plan_sample_size(0.03, (0.1,), scored_share=0.0)
    with pytest.raises(ValueError, match="discordance"):
        noninferiority_power(100, margin=0.03, discordance=0.05, difference=0.1)


def test_compare_plan_command(capsys) -> None:
    assert main(["compare", "--plan", "--delta", "0.03"]) == 0
    out = capsys.readouterr().out
    assert "margin 0.03" in out and "hierarchy.top.accuracy" in out
    expected = noninferiority_sample_size(0.03, discordance=0.2)
    assert f"0.200  {expected:>12.0f}" in out
    assert main(["compare", "--plan", "--delta", "0.03", "--discordance", "0.1", "--primary", "pattern.accuracy"]) == 0
    out = capsys.readouterr().out
    n = noninferiority_sample_size(0.03, discordance=0.1)
    assert "every goldset item is scored" in out and out.count(f" {n:.0f}") == 2  # items scored = goldset items
