"""Figures of the wave, concentration, power-law, drift and geography analyses (Agg backend).

Each takes a walled table and draws only what the table holds; the caption names the source.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from harness.aggregate._figures import _caption, _short
from harness.aggregate._privacy import WalledTable
from harness.taxonomy import COLLABORATION_PATTERNS

__all__ = [
    "plot_automation_trend",
    "plot_concentration",
    "plot_drift",
    "plot_geography",
    "plot_pattern_mix",
    "plot_power_law",
    "plot_task_mix",
]

_PLATFORM_STYLE = {"consumer": ("#4f81bd", "o", "-"), "api": ("#c0504d", "s", "--")}
_WAVE_ORDER = {"v1": 1, "v2": 2, "v3": 3, "v4": 4, "v5": 5}


def _style(platform: str) -> tuple[str, str, str]:
    return _PLATFORM_STYLE.get(platform, ("#777777", "^", ":"))


def _err(t: pd.DataFrame, value: str, low: str, high: str) -> np.ndarray:
    return np.vstack([(t[value] - t[low]).clip(lower=0).fillna(0), (t[high] - t[value]).clip(lower=0).fillna(0)])


def plot_automation_trend(table: WalledTable) -> Figure:
    """Automation (of the five patterns) and directive share (of classified) by wave, one line per platform."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    t = table.table.assign(order=table.table["wave"].map(_WAVE_ORDER)).sort_values("order")
    for ax, (value, low, high, title) in zip(axes, (
            ("automation_pct", "automation_ci_low", "automation_ci_high", "Automation (% of the five patterns)"),
            ("directive_pct", "directive_ci_low", "directive_ci_high", "Directive (% of classified)")), strict=True):
        for platform, group in t.groupby("platform", sort=False):
            colour, marker, line = _style(str(platform))
            ax.errorbar(group["order"], group[value], yerr=_err(group, value, low, high), color=colour,
                        marker=marker, linestyle=line, capsize=3, label=str(platform))
        ax.set_xticks(sorted(t["order"].unique()), [f"v{i}" for i in sorted(t["order"].unique())])
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("%")
        ax.legend(fontsize=8)
    fig.suptitle("Collaboration by wave (bars: intervals)")
    _caption(fig, table)
    return fig


def plot_pattern_mix(table: WalledTable) -> Figure:
    """Stacked bars of the five patterns per wave and platform."""
    t = table.table[table.table["pattern"].isin(COLLABORATION_PATTERNS)]
    wide = t.pivot_table(index=["wave", "platform"], columns="pattern", values="pct_of_patterns", sort=False)
    wide = wide.reindex(columns=list(COLLABORATION_PATTERNS)).fillna(0.0)
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(wide) + 2), layout="constrained")
    left = np.zeros(len(wide))
    colours = ["#c0504d", "#e6a09e", "#4f81bd", "#9bbb59", "#8064a2"]
    for pattern, colour in zip(COLLABORATION_PATTERNS, colours, strict=True):
        ax.barh(np.arange(len(wide)), wide[pattern], left=left, color=colour, label=pattern.replace("_", " "))
        left += wide[pattern].to_numpy()
    ax.set_yticks(np.arange(len(wide)), [f"{w} {p}" for w, p in wide.index], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("% of conversations with one of the five patterns")
    ax.legend(fontsize=8, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.set_title("Collaboration patterns by wave and platform")
    _caption(fig, table)
    return fig


def plot_task_mix(table: WalledTable) -> Figure:
    """Share of use per SOC major group: one marker per wave and platform, with intervals."""
    t = table.table
    order = t.groupby("title")["pct"].max().sort_values().index
    fig, ax = plt.subplots(figsize=(10, 0.32 * len(order) + 2), layout="constrained")
    y = {title: i for i, title in enumerate(order)}
    series = list(t.groupby(["wave", "platform"], sort=False))
    for k, ((wave, platform), group) in enumerate(series):
        colour, marker, _ = _style(str(platform))
        shade = 0.35 + 0.65 * (_WAVE_ORDER.get(str(wave), 5) / 5)
        offset = (k - len(series) / 2) * 0.06
        ax.errorbar(group["pct"], group["title"].map(y) + offset, xerr=_err(group, "pct", "ci_low", "ci_high"),
                    fmt=marker, color=colour, alpha=shade, markersize=4, capsize=2, label=f"{wave} {platform}")
    ax.set_yticks(list(y.values()), [_short(s, 50) for s in y], fontsize=8)
    ax.set_xlabel("Share of use (%)")
    ax.set_title("Task mix by SOC major group, per wave")
    ax.legend(fontsize=7, ncol=2)
    _caption(fig, table)
    return fig


def plot_concentration(table: WalledTable, lorenz: WalledTable) -> Figure:
    """Lorenz curves of task shares per wave, and the top-10 share / Gini with intervals."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5), layout="constrained")
    for (wave, platform), group in lorenz.table.groupby(["wave", "platform"], sort=False):
        colour, _, line = _style(str(platform))
        alpha = 0.35 + 0.65 * (_WAVE_ORDER.get(str(wave), 5) / 5)
        left.plot(group["task_fraction"], group["use_fraction"], color=colour, linestyle=line, alpha=alpha,
                  label=f"{wave} {platform}")
    left.plot([0, 1], [0, 1], color="#999999", linewidth=0.8)
    left.set_xlabel("Fraction of tasks (least used first)")
    left.set_ylabel("Fraction of use")
    left.set_title("Lorenz curves", fontsize=10)
    left.legend(fontsize=7)
    t = table.table.reset_index(drop=True)
    x = np.arange(len(t))
    colours = [_style(str(p))[0] for p in t["platform"]]
    right.bar(x, t["top10_pct"], color=colours, yerr=_err(t, "top10_pct", "top10_pct_ci_low", "top10_pct_ci_high"),
              capsize=3)
    right.set_xticks(x, [f"{w}\n{p}" for w, p in zip(t["wave"], t["platform"], strict=True)], fontsize=7)
    right.set_ylabel("Top-10 task share (%)")
    right.set_title("Top-10 share (Gini above bars)", fontsize=10)
    for xi, (top, gini) in enumerate(zip(t["top10_pct"], t["gini"], strict=True)):
        right.annotate(f"{gini:.2f}", (xi, top), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    _caption(fig, table)
    return fig


def plot_power_law(table: WalledTable, ccdf: WalledTable) -> Figure:
    """Empirical CCDF of conversations per task (log-log) with the fitted power law above x_min, per platform."""
    platforms = list(dict.fromkeys(ccdf.table["platform"]))
    fig, axes = plt.subplots(1, max(1, len(platforms)), figsize=(5.5 * max(1, len(platforms)), 4.5),
                             layout="constrained", squeeze=False)
    fits = table.table.set_index(["wave", "platform"])
    for ax, platform in zip(axes[0], platforms, strict=False):
        for wave, group in ccdf.table[ccdf.table["platform"] == platform].groupby("wave", sort=False):
            shade = 0.35 + 0.65 * (_WAVE_ORDER.get(str(wave), 5) / 5)
            line = ax.loglog(group["x"], group["ccdf"], drawstyle="steps-post", alpha=shade, label=str(wave))[0]
            if (wave, platform) in fits.index and np.isfinite(fits.loc[(wave, platform), "xmin"]):
                fit = fits.loc[(wave, platform)]
                xs = np.logspace(np.log10(fit["xmin"]), np.log10(group["x"].max()), 50)
                at = group.loc[group["x"] >= fit["xmin"], "ccdf"].max()
                ax.loglog(xs, at * (xs / fit["xmin"]) ** (1 - fit["alpha"]), color=line.get_color(), linestyle=":")
        ax.set_xlabel("Conversations per task")
        ax.set_ylabel("P(X ≥ x)")
        ax.set_title(f"{platform}: CCDF, dotted = power-law fit above x_min", fontsize=9)
        ax.legend(fontsize=8)
    _caption(fig, table)
    return fig


def plot_drift(table: WalledTable, *, label: str, n: int = 20) -> Figure:
    """Change in share (b − a, percentage points) of the cells that moved most, with intervals; FDR movers dark."""
    t = table.table.reindex(table.table["diff"].abs().sort_values(ascending=False).index).head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(t) + 1.8), layout="constrained")
    y = np.arange(len(t))
    colours = np.where(t["significant"].fillna(False).astype(bool), "#c0504d", "#999999")
    ax.errorbar(t["diff"], y, xerr=_err(t, "diff", "ci_low", "ci_high"), fmt="none", ecolor="#bbbbbb", capsize=2)
    ax.scatter(t["diff"], y, color=colours, zorder=3)
    ax.axvline(0, color="#555555", linewidth=0.8)
    ax.set_yticks(y, [_short(s) for s in t[label].astype(str)], fontsize=8)
    ax.set_xlabel("Change in share (percentage points); red = significant after FDR control")
    ax.set_title(f"Largest movers: {table.name}")
    _caption(fig, table)
    return fig


def plot_geography(points: WalledTable, fits: WalledTable) -> Figure:
    """Log-log scatter of the usage index against GDP per working-age capita, with the fitted line."""
    levels = list(dict.fromkeys(points.table["geography"]))
    fig, axes = plt.subplots(1, max(1, len(levels)), figsize=(5.5 * max(1, len(levels)), 4.5),
                             layout="constrained", squeeze=False)
    for ax, level in zip(axes[0], levels, strict=False):
        t = points.table[(points.table["geography"] == level) & points.table["usage_index"].gt(0)
                         & points.table["gdp_per_working_age_capita"].gt(0)]
        ax.scatter(t["gdp_per_working_age_capita"], t["usage_index"], s=14, color="#4f81bd")
        for _, row in t.nlargest(8, "usage_index").iterrows():
            ax.annotate(str(row["geo_id"]), (row["gdp_per_working_age_capita"], row["usage_index"]), fontsize=7)
        fit = fits.table[(fits.table["geography"] == level) & (fits.table["y"] == "usage_index")]
        if len(fit) and len(t):
            f = fit.iloc[0]
            xs = np.logspace(np.log10(t["gdp_per_working_age_capita"].min()),
                             np.log10(t["gdp_per_working_age_capita"].max()), 20)
            ax.plot(xs, np.exp(f["intercept"]) * xs ** f["slope"], color="#c0504d",
                    label=f"slope {f['slope']:.2f} [{f['slope_ci_low']:.2f}, {f['slope_ci_high']:.2f}]")
            ax.legend(fontsize=8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("GDP per working-age person (USD)")
        ax.set_ylabel("Usage per capita index")
        ax.set_title(level, fontsize=10)
    _caption(fig, points)
    return fig
