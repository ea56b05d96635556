"""Geography analyses of a long-format release: usage share and per-capita usage index by country and US state,
against GDP per working-age person and working-age population, with log-log fits.

Method (the September 2025 report's definitions, recomputed from counts so that raw files serve too):

- Places below the documented minimum (200 conversations per country, 100 per US state) are left out, as the
  report does; the remaining places are the universe of every share.
- usage share = the place's conversations / all kept places' conversations (%);
  usage per capita = conversations / working-age population (ages 15–64);
  usage index = usage share / working-age population share (1 = use in proportion to population).
  A published ``usage_per_capita_index`` is kept beside it for comparison when the file has one.
- Fits: ordinary least squares of log(usage index) and log(usage per capita) on log(GDP per working-age person),
  and of log(conversations) on log(working-age population), with the slope's confidence interval (statsmodels).
  A slope of 1 in the last fit means use grows in proportion to population.

Population and GDP come with the enriched files (``working_age_pop``, ``gdp_per_working_age_capita``); with a raw
file only the usage shares can be had, and the tables say which columns are missing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.aggregate._privacy import WalledTable
from harness.aggregate._registry import AnalysisOutput, AnalysisSpec, register_analysis
from harness.errors import InputError
from harness.taxonomy._long_format import LongFormatTable

__all__ = ["MIN_CONVERSATIONS", "geography_fits", "geography_usage"]

#: Documented minimum conversations for a place to be reported.
MIN_CONVERSATIONS: dict[str, int] = {"country": 200, "state_us": 100}
_VARIABLES = ("usage_count", "usage_per_capita_index", "working_age_pop", "gdp_per_working_age_capita")


def _wide(table: LongFormatTable, geography: str, platform: str) -> pd.DataFrame:
    rows = table.select(geography=geography, platform=platform, variable=_VARIABLES)
    # prefer the facet named after the geography; other facets must not repeat a variable for one place
    own = rows[rows["facet"] == geography]
    rows = pd.concat([own, rows[~rows["variable"].isin(own["variable"].unique())]])
    dup = rows.duplicated(["geo_id", "variable"])
    if dup.any():
        at = rows[dup].iloc[0]
        raise InputError(table.paths[int(at["file"])], f"{at['variable']} of {at['geo_id']} is given more than once "
                         "(several facets or periods); load one period", line=int(at["line"]), field="variable")
    wide = rows.pivot(index="geo_id", columns="variable", values="value")
    names = rows.dropna(subset=["geo_name"]).drop_duplicates("geo_id").set_index("geo_id")["geo_name"]
    wide = wide.reindex(columns=list(_VARIABLES))
    wide.insert(0, "geo_name", wide.index.map(names))
    return wide.reset_index()


def geography_usage(table: LongFormatTable, geography: str, *, platform: str = "consumer",
                    min_conversations: int | None = None) -> WalledTable:
    """Usage share, per-capita use and usage index of every place of one geography level.

    Args:
        table: A long-format release.
        geography: ``"country"`` or ``"state_us"``.
        platform: Platform whose rows to use.
        min_conversations: Places below this are left out (default :data:`MIN_CONVERSATIONS`).

    Returns:
        ``geography``, ``geo_id``, ``geo_name``, ``usage_count``, ``usage_pct``, ``working_age_pop``,
        ``usage_per_capita``, ``usage_index``, ``published_usage_index``, ``gdp_per_working_age_capita``; sorted
        by ``usage_index`` (then ``usage_count``), largest first. Empty when the release has no such rows.
    """
    if geography not in MIN_CONVERSATIONS:
        raise ValueError(f"geography must be one of {', '.join(MIN_CONVERSATIONS)}, got {geography!r}")
    floor = MIN_CONVERSATIONS[geography] if min_conversations is None else min_conversations
    wide = _wide(table, geography, platform)
    wide = wide[wide["usage_count"].fillna(0) >= floor].copy()
    total = wide["usage_count"].sum()
    wide["usage_pct"] = 100.0 * wide["usage_count"] / total if total else np.nan
    pop = wide["working_age_pop"].where(wide["working_age_pop"] > 0)
    wide["usage_per_capita"] = wide["usage_count"] / pop
    pop_share = 100.0 * pop / pop.sum() if pop.notna().any() else np.nan
    wide["usage_index"] = wide["usage_pct"] / pop_share
    out = pd.DataFrame({
        "geography": geography, "geo_id": wide["geo_id"], "geo_name": wide["geo_name"],
        "usage_count": wide["usage_count"], "usage_pct": wide["usage_pct"], "working_age_pop": wide["working_age_pop"],
        "usage_per_capita": wide["usage_per_capita"], "usage_index": wide["usage_index"],
        "published_usage_index": wide["usage_per_capita_index"],
        "gdp_per_working_age_capita": wide["gdp_per_working_age_capita"],
    }).sort_values(["usage_index", "usage_count"], ascending=False, na_position="last")
    source = f"Economic Index release_{table.release or 'unknown'} long format ({platform}, {geography})"
    return WalledTable(f"geo_{geography}_usage", out.reset_index(drop=True), None, source, None,
                       f"Places with at least {floor} conversations; usage index = usage share / working-age "
                       "population share.")


def _ols(x: pd.Series, y: pd.Series, confidence: float) -> dict[str, float]:
    import statsmodels.api as sm

    ok = (x > 0) & (y > 0) & x.notna() & y.notna()
    lx, ly = np.log(x[ok].astype(float)), np.log(y[ok].astype(float))
    if len(lx) < 3:
        return {"slope": np.nan, "slope_ci_low": np.nan, "slope_ci_high": np.nan, "intercept": np.nan,
                "r2": np.nan, "p_value": np.nan, "n": len(lx)}
    model = sm.OLS(ly.to_numpy(), sm.add_constant(lx.to_numpy())).fit()
    low, high = model.conf_int(alpha=1 - confidence)[1]
    return {"slope": float(model.params[1]), "slope_ci_low": float(low), "slope_ci_high": float(high),
            "intercept": float(model.params[0]), "r2": float(model.rsquared), "p_value": float(model.pvalues[1]),
            "n": len(lx)}


def geography_fits(usage: WalledTable, *, confidence: float = 0.95) -> WalledTable:
    """Log-log fits of one :func:`geography_usage` table.

    Returns:
        ``geography``, ``y``, ``x``, ``slope``, ``slope_ci_low``, ``slope_ci_high``, ``intercept``, ``r2``,
        ``p_value``, ``n`` (places with both values positive); one row per (y, x) pair.
    """
    t = usage.table
    rows = []
    for y, x in (("usage_index", "gdp_per_working_age_capita"), ("usage_per_capita", "gdp_per_working_age_capita"),
                 ("usage_count", "working_age_pop")):
        geography = t["geography"].iloc[0] if len(t) else ""
        rows.append({"geography": geography, "y": y, "x": x, **_ols(t[x], t[y], confidence)})
    name = usage.name.replace("_usage", "_fits")
    return usage.with_table(name, pd.DataFrame(rows), f"OLS on logs; {confidence:.0%} intervals of the slope.")


def _run_geography(source: LongFormatTable, *, confidence: float = 0.95, platform: str = "consumer",
                   **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_geography

    tables: dict[str, WalledTable] = {}
    usage_tables, fit_tables = [], []
    summary: dict[str, object] = {"release": source.release}
    for geography in MIN_CONVERSATIONS:
        usage = geography_usage(source, geography, platform=platform)
        if usage.table.empty:
            summary[geography] = "no rows"
            continue
        fits = geography_fits(usage, confidence=confidence)
        tables[usage.name], tables[fits.name] = usage, fits
        usage_tables.append(usage)
        fit_tables.append(fits)
        gdp = fits.table[fits.table["y"] == "usage_index"].iloc[0]
        summary[geography] = {"places": len(usage.table), "index_vs_gdp_slope": round(float(gdp["slope"]), 4),
                              "index_vs_gdp_r2": round(float(gdp["r2"]), 4),
                              "top_by_index": usage.table["geo_id"].head(5).tolist()}
    figures = {}
    if usage_tables:
        points = usage_tables[0].with_table("geo_points", pd.concat([u.table for u in usage_tables]))
        fits_all = usage_tables[0].with_table("geo_fits", pd.concat([f.table for f in fit_tables]))
        figures["geo_usage_vs_gdp"] = lambda: plot_geography(points, fits_all)
    return AnalysisOutput(tables, figures, summary)


def _run_facets(source: LongFormatTable, **_: object) -> AnalysisOutput:
    rows = source.rows.groupby(["platform", "geography", "facet", "level", "variable"], sort=True).size()
    table = rows.rename("rows").reset_index()
    walled = WalledTable("aei_facets", table, None, f"Economic Index release_{source.release or 'unknown'} long "
                         "format", None, "Rows per platform, geography, facet, level and variable.")
    summary = {"facets": list(source.facets), "platforms": list(source.platforms),
               "periods": [list(p) for p in source.periods]}
    return AnalysisOutput({walled.name: walled}, {}, summary)


register_analysis(AnalysisSpec("facets", frozenset({"long_format"}), _run_facets,
                               "what a long-format release holds: rows per platform, facet, level and variable"))
register_analysis(AnalysisSpec("geography", frozenset({"long_format"}), _run_geography,
                               "usage share and per-capita usage index by country and US state vs GDP per "
                               "working-age person, log-log fits"))
