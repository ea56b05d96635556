"""How concentrated use is across tasks: top-10 share, HHI, Gini, and a power-law fit of the task counts.

Concentration (per wave and platform) is computed over the named tasks a release publishes: the special rows
"none" and "not_classified" are left out and cells below the release's 15-conversation floor are absent, so the
long tail is cut at the wall and the Gini is that of the *released* tasks. Intervals come from a parametric
bootstrap: the task counts are redrawn from a multinomial with the observed proportions and the wave's
conversation total, and each measure is recomputed (``n_boot`` draws, seeded); the interval is the basic
(reflected) bootstrap interval, because redrawing spreads the counts and so biases the redrawn Gini and HHI up.

Power law: the number of conversations per task is fitted by the Clauset–Shalizi–Newman method (SIAM Review 51,
2009) through the ``powerlaw`` package: x_min is the value that minimises the Kolmogorov–Smirnov distance between
the data above it and the fitted power law, alpha its maximum-likelihood exponent (discrete, since counts are
whole numbers; continuous on the shares when no counts can be had), sigma its standard error. The power law is
then compared with a lognormal and an exponential over the same tail by the normalised log-likelihood ratio R
(positive favours the power law) and its p-value; a p-value above 0.1 means the data cannot tell them apart.
Because the releases stop at 15 conversations, x_min is never below 15.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from harness.aggregate._privacy import WalledTable
from harness.aggregate._registry import AnalysisOutput, AnalysisSpec, WaveSet, register_analysis
from harness.taxonomy._waves import SPECIAL_TASKS, Wave, waves_source

__all__ = ["PowerLawFit", "concentration_by_wave", "concentration_measures", "fit_power_law", "gini",
           "power_law_by_wave"]


_MIN_FIT = 10  # fewest positive values a power-law fit is attempted on


def gini(values: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = all equal, → 1 = one value holds everything; NaN if empty)."""
    x = np.sort(np.asarray(values, dtype=float))
    n, total = x.size, x.sum()
    if n == 0 or total <= 0:
        return float("nan")
    return float(2.0 * np.sum(np.arange(1, n + 1) * x) / (n * total) - (n + 1) / n)


def concentration_measures(values: np.ndarray, *, top: int = 10) -> dict[str, float]:
    """Top-``top`` share (%), HHI (sum of squared shares, 0..1), effective number of tasks (1/HHI), Gini, count.

    Zero values are ignored (a task with no use is not a released cell).
    """
    x = np.asarray(values, dtype=float)
    x = x[x > 0]
    if x.size == 0:
        return {"top10_pct": np.nan, "hhi": np.nan, "effective_tasks": np.nan, "gini": np.nan, "n_tasks": 0}
    s = x / x.sum()
    hhi = float(np.sum(s**2))
    return {"top10_pct": float(100 * np.sort(s)[::-1][:top].sum()), "hhi": hhi, "effective_tasks": 1.0 / hhi,
            "gini": gini(x), "n_tasks": int(x.size)}


def _named(wave: Wave) -> pd.DataFrame:
    return wave.task_shares[~wave.task_shares["statement_key"].isin(SPECIAL_TASKS) & (wave.task_shares["pct"] > 0)]


def _lorenz(values: np.ndarray, points: int = 200) -> pd.DataFrame:
    x = np.sort(np.asarray(values, dtype=float))
    cum = np.r_[0.0, np.cumsum(x) / x.sum()]
    frac = np.linspace(0, 1, cum.size)
    keep = np.unique(np.linspace(0, cum.size - 1, min(points, cum.size)).round().astype(int))
    return pd.DataFrame({"task_fraction": frac[keep], "use_fraction": cum[keep]})


def concentration_by_wave(waves: tuple[Wave, ...], *, n_boot: int = 200, seed: int = 0,
                          confidence: float = 0.95) -> tuple[WalledTable, WalledTable]:
    """Concentration of use per wave and platform, and the Lorenz curves.

    Returns:
        ``(measures, lorenz)``. ``measures``: ``wave``, ``platform``, ``release``, ``n_tasks``, ``top10_pct``,
        ``hhi``, ``effective_tasks``, ``gini`` and ``<measure>_ci_low``/``_ci_high`` for top-10, HHI and Gini
        (NaN without a sample size). ``lorenz``: ``wave``, ``platform``, ``task_fraction``, ``use_fraction``.
    """
    if n_boot < 0:
        raise ValueError(f"n_boot must be >= 0, got {n_boot}")
    rng = np.random.default_rng(seed)
    tail = (1 - confidence) / 2
    rows, curves = [], []
    for wave in waves:
        named = _named(wave)
        values = named["count"].to_numpy() if named["count"].notna().all() else named["pct"].to_numpy()
        row = {"wave": wave.wave, "platform": wave.platform, "release": wave.release,
               **concentration_measures(values)}
        total = int(np.rint(values.sum())) if named["count"].notna().all() else 0
        for key in ("top10_pct", "hhi", "gini"):
            row[f"{key}_ci_low"] = row[f"{key}_ci_high"] = np.nan
        if total and n_boot:
            draws = rng.multinomial(total, values / values.sum(), size=n_boot)
            stats = pd.DataFrame([concentration_measures(d) for d in draws])
            for key in ("top10_pct", "hhi", "gini"):
                # basic (reflected) interval: resampling noise spreads the counts, which biases the redrawn Gini
                # and HHI upwards; reflecting the quantiles around the estimate removes that first-order bias
                low, high = np.quantile(stats[key], [tail, 1 - tail])
                row[f"{key}_ci_low"], row[f"{key}_ci_high"] = 2 * row[key] - high, 2 * row[key] - low
        rows.append(row)
        curves.append(_lorenz(values).assign(wave=wave.wave, platform=wave.platform))
    source = waves_source(waves)
    measures = WalledTable("wave_concentration", pd.DataFrame(rows), None, source, None,
                           "Named released tasks only (none/not_classified left out; the tail stops at the "
                           f"15-conversation floor); {confidence:.0%} basic (bias-corrected) parametric-bootstrap "
                           f"intervals, {n_boot} draws, seed {seed}: sampling noise inflates the plug-in Gini and "
                           "HHI, so an interval may sit just below the estimate.")
    lorenz = pd.concat(curves, ignore_index=True)[["wave", "platform", "task_fraction", "use_fraction"]] \
        if curves else pd.DataFrame()
    return measures, measures.with_table("wave_lorenz", lorenz, "Lorenz curve of task use (sampled points).")


@dataclass(frozen=True)
class PowerLawFit:
    """A Clauset–Shalizi–Newman power-law fit and its likelihood-ratio tests.

    Attributes:
        alpha: Exponent of p(x) ∝ x^−alpha above ``xmin``.
        sigma: Standard error of ``alpha``.
        xmin: Lower bound of the power-law tail (chosen by minimum KS distance).
        n_tail: Observations at or above ``xmin``; ``n`` all observations.
        ks_distance: KS distance between the tail and the fit.
        lognormal_r / lognormal_p: Normalised log-likelihood ratio power law vs lognormal, and its p-value.
        exponential_r / exponential_p: The same against an exponential.
        discrete: Whether the discrete (count) form was fitted.
    """

    alpha: float
    sigma: float
    xmin: float
    n_tail: int
    n: int
    ks_distance: float
    lognormal_r: float
    lognormal_p: float
    exponential_r: float
    exponential_p: float
    discrete: bool

    @staticmethod
    def verdict(r: float, p: float, alternative: str, *, level: float = 0.1) -> str:
        """Which of the two the likelihood ratio favours at ``level``, in words."""
        if not np.isfinite(r) or not np.isfinite(p) or p >= level:
            return f"inconclusive vs {alternative}"
        return "power law favoured" if r > 0 else f"{alternative} favoured"


def fit_power_law(values: np.ndarray, *, discrete: bool = True, xmin: float | None = None) -> PowerLawFit:
    """Fit a power law to ``values`` (CSN method, ``powerlaw`` package) and test it against two alternatives.

    Args:
        values: Positive observations (conversations per task).
        discrete: Fit the discrete form (whole-number counts).
        xmin: Fix x_min instead of choosing it by minimum KS distance.

    Raises:
        ValueError: fewer than 10 positive values.
    """
    import powerlaw  # imported here: it is slow to import and only this analysis needs it

    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if x.size < _MIN_FIT:
        raise ValueError(f"a power-law fit needs at least {_MIN_FIT} positive values, got {x.size}")
    with warnings.catch_warnings():  # the package warns on every numerically awkward candidate fit
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            fit = powerlaw.Fit(x, discrete=discrete, xmin=xmin, verbose=False)
            r_ln, p_ln = fit.distribution_compare("power_law", "lognormal", normalized_ratio=True)
            r_ex, p_ex = fit.distribution_compare("power_law", "exponential", normalized_ratio=True)
    return PowerLawFit(alpha=float(fit.power_law.alpha), sigma=float(fit.power_law.sigma), xmin=float(fit.xmin),
                       n_tail=int(np.sum(x >= fit.xmin)), n=int(x.size), ks_distance=float(fit.power_law.D),
                       lognormal_r=float(r_ln), lognormal_p=float(p_ln), exponential_r=float(r_ex),
                       exponential_p=float(p_ex), discrete=discrete)


def _ccdf(values: np.ndarray, points: int = 300) -> pd.DataFrame:
    """Empirical P(X >= x) at up to ``points`` distinct values spread evenly on a log scale (the tail kept whole)."""
    x = np.sort(np.asarray(values, dtype=float))
    unique, first = np.unique(x, return_index=True)
    ccdf = 1.0 - first / x.size
    grid = np.geomspace(unique[0], unique[-1], points)
    keep = np.unique(np.r_[np.searchsorted(unique, grid).clip(max=unique.size - 1), unique.size - 1])
    return pd.DataFrame({"x": unique[keep], "ccdf": ccdf[keep]})


def power_law_by_wave(waves: tuple[Wave, ...], *, confidence: float = 0.95) -> tuple[WalledTable, WalledTable]:
    """Power-law fit of conversations per task for every wave and platform.

    Returns:
        ``(fits, ccdf)``. ``fits``: ``wave``, ``platform``, ``release``, the :class:`PowerLawFit` fields,
        ``alpha_ci_low``/``_high`` (alpha ± z·sigma), ``vs_lognormal``, ``vs_exponential`` (verdicts at 0.1).
        ``ccdf``: ``wave``, ``platform``, ``x``, ``ccdf`` (empirical P(X ≥ x), sampled on a log grid).
    """
    from harness.aggregate._stats import z_value

    z = z_value(confidence)
    rows, curves = [], []
    for wave in waves:
        named = _named(wave)
        counted = bool(named["count"].notna().all())
        values = (named["count"] if counted else named["pct"]).to_numpy()
        row: dict[str, object] = {"wave": wave.wave, "platform": wave.platform, "release": wave.release}
        if np.sum(values > 0) < _MIN_FIT:  # too few released tasks to say anything about a tail
            row.update({k: np.nan for k in PowerLawFit.__dataclass_fields__}, n=int(np.sum(values > 0)),
                       discrete=counted, alpha_ci_low=np.nan, alpha_ci_high=np.nan,
                       vs_lognormal="too few tasks", vs_exponential="too few tasks")
        else:
            fit = fit_power_law(values, discrete=counted)
            row.update(asdict(fit), alpha_ci_low=fit.alpha - z * fit.sigma, alpha_ci_high=fit.alpha + z * fit.sigma,
                       vs_lognormal=fit.verdict(fit.lognormal_r, fit.lognormal_p, "lognormal"),
                       vs_exponential=fit.verdict(fit.exponential_r, fit.exponential_p, "exponential"))
        rows.append(row)
        curves.append(_ccdf(values).assign(wave=wave.wave, platform=wave.platform))
    source = waves_source(waves)
    fits = WalledTable("wave_power_law", pd.DataFrame(rows), None, source, None,
                       "Clauset–Shalizi–Newman fit (powerlaw package) of conversations per named task; x_min by "
                       "minimum KS distance; R > 0 favours the power law, p < 0.1 needed for a verdict.")
    ccdf = pd.concat(curves, ignore_index=True)[["wave", "platform", "x", "ccdf"]] if curves else pd.DataFrame()
    return fits, fits.with_table("wave_ccdf", ccdf, "Empirical CCDF of conversations per task (log-sampled points).")


def _run_concentration(source: WaveSet, *, n_boot: int = 200, seed: int = 0, confidence: float = 0.95,
                       **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_concentration

    measures, lorenz = concentration_by_wave(source.waves, n_boot=n_boot, seed=seed, confidence=confidence)
    summary = {f"{r.wave} {r.platform}": {"top10_pct": round(r.top10_pct, 3), "hhi": round(r.hhi, 5),
                                          "gini": round(r.gini, 4), "n_tasks": int(r.n_tasks)}
               for r in measures.table.itertuples()}
    return AnalysisOutput({measures.name: measures, lorenz.name: lorenz},
                          {"wave_concentration": lambda: plot_concentration(measures, lorenz)}, summary)


def _run_power_law(source: WaveSet, *, confidence: float = 0.95, **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_power_law

    fits, ccdf = power_law_by_wave(source.waves, confidence=confidence)
    keys = ("alpha", "sigma", "xmin", "n_tail", "lognormal_r", "lognormal_p", "exponential_r", "exponential_p")
    summary = {f"{r['wave']} {r['platform']}": {k: None if pd.isna(r[k]) else round(float(r[k]), 4) for k in keys}
               for r in fits.table.to_dict("records")}
    return AnalysisOutput({fits.name: fits, ccdf.name: ccdf}, {"wave_power_law": lambda: plot_power_law(fits, ccdf)},
                          summary)


register_analysis(AnalysisSpec("concentration", frozenset({"waves"}), _run_concentration,
                               "top-10 task share, HHI and Gini per wave, bootstrap intervals, Lorenz curves"))
register_analysis(AnalysisSpec("power_law", frozenset({"waves"}), _run_power_law,
                               "Clauset–Shalizi–Newman power-law fit of conversations per task, LR tests vs "
                               "lognormal and exponential"))
