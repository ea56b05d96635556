"""Power, minimum detectable differences and sample sizes for paired accuracy comparisons.

In a paired design the precision of an accuracy difference depends on the *discordance* ψ, the share of items on
which the two runs disagree about right and wrong, not on the accuracies themselves: two runs that agree on 95 % of
the items compare far more precisely than two that agree on 60 %. Every function here takes ψ (and, for clustered
items, the design effect) and follows the normal approximation of the score test in
:mod:`harness.evaluate._noninferiority` (Nam 1997; Tango 1998):

``power = Φ((√n (θ + δ) − z_α σ₀) / σ₁)``, with ``σ₁² = ψ − θ²`` the variance of the per-item difference at the
true difference θ and ``σ₀² = 2x̃ − δ − δ²`` its variance under the null ``θ = −δ`` (``x̃`` the constrained
estimate the test itself uses), both multiplied by the design effect.

``scripts/bench_compare_stats.py`` checks these formulas against simulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import optimize, stats

from ._noninferiority import restricted_discordance

__all__ = [
    "SamplePlan",
    "bootstrap_mde",
    "change_power",
    "format_sample_plan",
    "minimum_detectable_difference",
    "noninferiority_power",
    "noninferiority_sample_size",
    "plan_sample_size",
    "smallest_provable_margin",
]


def _check(discordance: float, difference: float, margin: float, alpha: float, design_effect: float) -> None:
    if not 0.0 <= discordance <= 1.0:
        raise ValueError(f"discordance must lie in [0, 1], got {discordance!r}")
    if abs(difference) > discordance + 1e-12:
        raise ValueError(f"a true difference of {difference} needs at least that much discordance, got {discordance}")
    if not 0.0 <= margin < 1.0:
        raise ValueError(f"margin must lie in [0, 1), got {margin!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, got {alpha!r}")
    if not design_effect >= 1.0:
        raise ValueError(f"design_effect must be >= 1, got {design_effect!r}")


def _sigmas(discordance: float, difference: float, margin: float) -> tuple[float, float]:
    """``(σ₀, σ₁)``: per-item standard deviations of the difference under the null and at the truth."""
    p_b = (discordance - difference) / 2.0  # share right under the baseline only
    p_c = (discordance + difference) / 2.0  # share right under the candidate only
    x = restricted_discordance(p_b, p_c, 1.0, -margin)
    sigma0 = math.sqrt(max(2.0 * x - margin - margin * margin, 0.0))
    sigma1 = math.sqrt(max(discordance - difference * difference, 0.0))
    return sigma0, sigma1


def noninferiority_power(n: float, *, margin: float, discordance: float, difference: float = 0.0,
                         alpha: float = 0.05, design_effect: float = 1.0) -> float:
    """Approximate power of the one-sided non-inferiority score test at level ``alpha`` with ``n`` paired items.

    Args:
        n: Paired items (the metric's denominator, e.g. the occupational items for hierarchy accuracy).
        margin: Non-inferiority margin δ in (0, 1).
        discordance: Expected share ψ of discordant items.
        difference: True candidate-minus-baseline difference θ (``|θ| <= ψ``).
        alpha: One-sided level.
        design_effect: Variance inflation for clustered items (>= 1).

    Degenerate cases: no discordance at all gives power 1 when ``θ > −δ`` (the estimate then equals the truth).

    Raises:
        ValueError: On arguments outside their ranges.
    """
    _check(discordance, difference, margin, alpha, design_effect)
    if n <= 0:
        return math.nan
    sigma0, sigma1 = _sigmas(discordance, difference, margin)
    shift = math.sqrt(n) * (difference + margin) - float(stats.norm.ppf(1.0 - alpha)) * sigma0 * math.sqrt(
        design_effect)
    if sigma1 == 0.0:
        return 1.0 if shift > 0 else 0.0
    return float(stats.norm.cdf(shift / (sigma1 * math.sqrt(design_effect))))


def change_power(n: float, *, discordance: float, difference: float, alpha: float = 0.05,
                 design_effect: float = 1.0) -> float:
    """Approximate power of the two-sided test of no change (McNemar's, at level ``alpha``) to detect ``difference``.

    The far tail (a change detected in the wrong direction) is ignored, as is usual.
    """
    _check(discordance, difference, 0.0, alpha, design_effect)
    if n <= 0:
        return math.nan
    sigma0, sigma1 = math.sqrt(discordance), math.sqrt(max(discordance - difference * difference, 0.0))
    shift = math.sqrt(n) * abs(difference) - float(stats.norm.ppf(1.0 - alpha / 2.0)) * sigma0 * math.sqrt(
        design_effect)
    if sigma1 == 0.0:
        return 1.0 if shift > 0 else 0.0
    return float(stats.norm.cdf(shift / (sigma1 * math.sqrt(design_effect))))


def minimum_detectable_difference(n: float, *, discordance: float, alpha: float = 0.05, power: float = 0.8,
                                  design_effect: float = 1.0) -> float:
    """The smallest accuracy change the two-sided test of no change detects with the given power.

    The discordance is held at ``discordance`` (in practice the one observed), so the answer reads: "with this many
    items, and runs that disagree this often, a change of this size would have been flagged 80 % of the time".

    Degenerate cases: NaN when there are no items or no discordance (nothing to extrapolate from), or when even a
    change as large as the discordance itself would not reach the power.
    """
    _check(discordance, 0.0, 0.0, alpha, design_effect)
    if n <= 0 or discordance <= 0.0:
        return math.nan

    def gap(theta: float) -> float:
        return change_power(n, discordance=discordance, difference=theta, alpha=alpha,
                            design_effect=design_effect) - power

    if gap(discordance) < 0:
        return math.nan
    return float(optimize.brentq(gap, 0.0, discordance, xtol=1e-9))


def smallest_provable_margin(n: float, *, discordance: float, alpha: float = 0.05, power: float = 0.8,
                             design_effect: float = 1.0) -> float:
    """The smallest margin whose non-inferiority the test shows with the given power when nothing changed.

    Degenerate cases: NaN without items; when the power cannot be reached below a margin of 0.5, NaN.
    """
    if n <= 0:
        return math.nan

    def gap(margin: float) -> float:
        return noninferiority_power(n, margin=margin, discordance=discordance, alpha=alpha,
                                    design_effect=design_effect) - power

    if gap(0.5) < 0:
        return math.nan
    return float(optimize.brentq(gap, 1e-9, 0.5, xtol=1e-9))


def noninferiority_sample_size(margin: float, *, discordance: float, difference: float = 0.0, alpha: float = 0.05,
                               power: float = 0.8, design_effect: float = 1.0) -> float:
    """Paired items the non-inferiority test needs to reach ``power`` (rounded up).

    ``n = D ((z_α σ₀ + z_β σ₁) / (θ + δ))²``, the inverse of :func:`noninferiority_power`.

    Degenerate cases: ``inf`` when ``θ <= −δ`` (a true loss at least the margin can never be shown non-inferior);
    1 when there is no discordance at all.

    Raises:
        ValueError: On a margin outside (0, 1), or other arguments outside their ranges.
    """
    if not 0.0 < margin < 1.0:
        raise ValueError(f"margin must lie strictly between 0 and 1, got {margin!r}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must lie strictly between 0 and 1, got {power!r}")
    _check(discordance, difference, margin, alpha, design_effect)
    if difference + margin <= 0:
        return math.inf
    sigma0, sigma1 = _sigmas(discordance, difference, margin)
    z_alpha, z_beta = float(stats.norm.ppf(1.0 - alpha)), float(stats.norm.ppf(power))
    n = design_effect * ((z_alpha * sigma0 + z_beta * sigma1) / (difference + margin)) ** 2
    return float(max(1, math.ceil(n - 1e-9)))


def bootstrap_mde(standard_error: float, *, alpha: float = 0.05, power: float = 0.8) -> float:
    """Minimum detectable difference of a metric judged by its bootstrap interval: ``(z_{1−α/2} + z_β) · SE``.

    NaN when the standard error is NaN or 0 (identical runs give no spread to extrapolate from).
    """
    if math.isnan(standard_error) or standard_error <= 0:
        return math.nan
    return (float(stats.norm.ppf(1.0 - alpha / 2.0)) + float(stats.norm.ppf(power))) * standard_error


@dataclass(frozen=True)
class SamplePlan:
    """One row of the sample-size planner.

    Attributes:
        discordance: Assumed share of discordant items.
        difference: Assumed true difference.
        margin: Non-inferiority margin.
        alpha: One-sided level.
        power: Target power.
        design_effect: Assumed variance inflation for clustering.
        n_scored: Paired items the metric must be computed on.
        n_goldset: Goldset items to label, when the metric uses only a share of them (else equal to ``n_scored``).
    """

    discordance: float
    difference: float
    margin: float
    alpha: float
    power: float
    design_effect: float
    n_scored: float
    n_goldset: float


def plan_sample_size(margin: float, discordances: tuple[float, ...], *, difference: float = 0.0,
                     alpha: float = 0.05, power: float = 0.8, design_effect: float = 1.0,
                     scored_share: float = 1.0) -> tuple[SamplePlan, ...]:
    """Items needed to show non-inferiority at ``margin``, for each assumed discordance.

    Args:
        margin: Non-inferiority margin δ.
        discordances: Discordances to plan for (each at least ``|difference|``).
        difference: Assumed true difference (0: the candidate is as good).
        alpha: One-sided level.
        power: Target power.
        design_effect: Assumed variance inflation for clustering.
        scored_share: Share of goldset items the metric is computed on (e.g. the occupational share for
            hierarchy accuracy), in (0, 1].

    Raises:
        ValueError: On arguments outside their ranges.
    """
    if not 0.0 < scored_share <= 1.0:
        raise ValueError(f"scored_share must lie in (0, 1], got {scored_share!r}")
    rows = []
    for psi in discordances:
        n = noninferiority_sample_size(margin, discordance=psi, difference=difference, alpha=alpha, power=power,
                                       design_effect=design_effect)
        goldset = n if math.isinf(n) else float(math.ceil(n / scored_share - 1e-9))
        rows.append(SamplePlan(psi, difference, margin, alpha, power, design_effect, n, goldset))
    return tuple(rows)


def format_sample_plan(rows: tuple[SamplePlan, ...], *, metric: str, share_source: str) -> str:
    """The planner's answer as text: one line of settings, then items needed per assumed discordance."""
    if not rows:
        return "no plan: no discordance to plan for"
    first = rows[0]
    lines = [
        f"sample size to show non-inferiority of {metric} at margin {first.margin:g} "
        f"(one-sided alpha {first.alpha:g}, power {first.power:.0%}, true difference {first.difference:+g}, "
        f"design effect {first.design_effect:.2f})",
        f"scored share of goldset items: {share_source}",
        "",
    ]
    header = ("discordance", "items scored", "goldset items")
    body = [(f"{r.discordance:.3f}", _count(r.n_scored), _count(r.n_goldset)) for r in rows]
    widths = [max(len(x[i]) for x in (header, *body)) for i in range(3)]
    lines.append("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in body)
    lines += ["", "discordance: share of items on which exactly one of the two runs is right; two runs that agree "
              "more need fewer items."]
    return "\n".join(lines)


def _count(value: float) -> str:
    return "never" if math.isinf(value) else f"{value:.0f}"
