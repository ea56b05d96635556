"""Matplotlib figures (Agg backend) for the analyses; each takes the analysis table and returns a Figure.

Figures are drawn only from walled tables, so they show nothing the tables do not.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from harness.aggregate._privacy import WalledTable
from harness.taxonomy import COLLABORATION_PATTERNS

__all__ = [
    "plot_category_shares",
    "plot_collaboration",
    "plot_collaboration_by_group",
    "plot_comparison",
    "plot_depth_of_use",
    "plot_job_zones",
    "plot_skills",
    "plot_top",
    "plot_use_by_wage",
]

_AUTO, _AUG, _GREY = "#c0504d", "#4f81bd", "#999999"


def _short(text: str, width: int = 60) -> str:
    text = str(text).removesuffix(" Occupations")
    return text if len(text) <= width else text[: width - 1] + "…"


def _caption(fig: Figure, table: WalledTable) -> None:
    wall = "published release" if table.policy is None else (
        f"wall: ≥{table.policy.min_conversations} conversations, ≥{table.policy.min_accounts} accounts per cell")
    fig.text(0.01, 0.005, f"Source: {table.source}; {wall}", fontsize=7, color="#555555")


def plot_category_shares(table: WalledTable) -> Figure:
    """Horizontal bars: % of use vs % of US employment for each SOC major group."""
    t = table.table.sort_values("pct_use")
    fig, ax = plt.subplots(figsize=(9, 7), layout="constrained")
    y = np.arange(len(t))
    ax.barh(y + 0.2, t["pct_use"], height=0.4, color=_AUG, label="Share of AI use")
    if t["pct_employment"].notna().any():
        ax.barh(y - 0.2, t["pct_employment"], height=0.4, color=_GREY, label="Share of US employment (BLS 2023)")
    ax.set_yticks(y, [_short(s, 60) for s in t["title"]], fontsize=8)
    ax.set_xlabel("Share (%)")
    ax.set_title("Use by occupational category vs. US employment")
    ax.legend(loc="lower right", fontsize=8)
    _caption(fig, table)
    return fig


def plot_top(table: WalledTable, *, label: str, title: str) -> Figure:
    """Horizontal bars of the top rows of ``table`` (``label`` column vs ``pct``)."""
    t = table.table.iloc[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(t) + 1.5), layout="constrained")
    ax.barh(np.arange(len(t)), t["pct"], color=_AUG)
    ax.set_yticks(np.arange(len(t)), [_short(s) for s in t[label]], fontsize=8)
    ax.set_xlabel("Share of use (%)")
    ax.set_title(title)
    _caption(fig, table)
    return fig


def plot_depth_of_use(table: WalledTable) -> Figure:
    """Curve: % of occupations with at least x of their tasks in use."""
    t = table.table
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    ax.plot(100 * t["threshold"], t["pct_occupations"], color=_AUG)
    for x in (0.10, 0.25, 0.50, 0.75):
        row = t.iloc[(t["threshold"] - x).abs().argmin()]
        ax.annotate(f"{row['pct_occupations']:.0f}%", (100 * x, row["pct_occupations"]),
                    textcoords="offset points", xytext=(5, 5), fontsize=8)
        ax.plot([100 * x], [row["pct_occupations"]], "o", color=_AUTO, markersize=4)
    ax.set_xlabel("Tasks of the occupation in use, at least (%)")
    ax.set_ylabel(f"Occupations (% of {int(t['n_occupations'].iloc[0])})")
    ax.set_title("Depth of AI use across occupations")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    _caption(fig, table)
    return fig


def plot_use_by_wage(table: WalledTable) -> Figure:
    """Scatter: share of use (log) against median annual wage, one point per occupation in use."""
    t = table.table[table.table["pct"] > 0]
    fig, ax = plt.subplots(figsize=(8, 5), layout="constrained")
    ax.scatter(t["median_wage"] / 1000, t["pct"], s=10, alpha=0.6, color=_AUG)
    ax.set_yscale("log")
    ax.set_xlabel("Median annual wage (thousand USD)")
    ax.set_ylabel("Share of use (%, log scale)")
    ax.set_title("AI use by occupational median wage")
    ax.grid(alpha=0.3)
    _caption(fig, table)
    return fig


def plot_job_zones(table: WalledTable) -> Figure:
    """Bars: share of use and share of occupations per job zone, with the representation ratio."""
    t = table.table
    fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
    x = t["job_zone"].to_numpy()
    ax.bar(x - 0.2, t["pct_use"], width=0.4, color=_AUG, label="Share of use")
    ax.bar(x + 0.2, t["pct_occupations"], width=0.4, color=_GREY, label="Share of occupations")
    for xi, top, ratio in zip(x, t[["pct_use", "pct_occupations"]].max(axis=1), t["representation_ratio"],
                              strict=True):
        ax.text(xi, top + 1, f"×{ratio:.2f}", ha="center", fontsize=8)
    ax.set_xticks(x, [f"Zone {z}" for z in x])
    ax.set_xlabel("O*NET job zone (1 = little preparation, 5 = extensive)")
    ax.set_ylabel("Share (%)")
    ax.set_title("AI use by job zone (label: representation ratio)")
    ax.legend(fontsize=8)
    _caption(fig, table)
    return fig


def plot_collaboration(table: WalledTable) -> Figure:
    """Bars of the five collaboration patterns (% of the five), coloured by automation/augmentation."""
    t = table.table[table.table["mode"] != "excluded"]
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    colors = [_AUTO if m == "automation" else _AUG for m in t["mode"]]
    ax.bar([p.replace("_", " ") for p in t["pattern"]], t["pct_of_patterns"], color=colors)
    auto = t.loc[t["mode"] == "automation", "pct_of_patterns"].sum()
    ax.set_ylabel("Share of conversations with a pattern (%)")
    ax.set_xlabel("Collaboration pattern")
    ax.set_title(f"Collaboration patterns: automation {auto:.0f}% / augmentation {100 - auto:.0f}%")
    _caption(fig, table)
    return fig


def plot_collaboration_by_group(table: WalledTable, *, label: str, n: int = 22) -> Figure:
    """Stacked bars of the five patterns per occupation or category."""
    t = table.table.head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(t) + 1.5), layout="constrained")
    left = np.zeros(len(t))
    cmap = {"directive": "#c0504d", "feedback_loop": "#e6a09e", "task_iteration": "#4f81bd",
            "learning": "#8fb0d8", "validation": "#c5d5ea"}
    for p in COLLABORATION_PATTERNS:
        ax.barh(np.arange(len(t)), 100 * t[p], left=left, color=cmap[p], label=p.replace("_", " "))
        left += 100 * t[p].to_numpy()
    ax.set_yticks(np.arange(len(t)), [_short(s, 45) for s in t[label]], fontsize=8)
    ax.set_xlabel("Share of conversations with a pattern (%)")
    ax.set_xlim(0, 100)
    ax.set_title("Collaboration patterns by " + ("category" if label == "title" else "occupation"))
    ax.legend(fontsize=7, ncols=5, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    _caption(fig, table)
    return fig


def plot_skills(table: WalledTable, *, n: int = 25) -> Figure:
    """Horizontal bars of the most frequent skills."""
    t = table.table.head(n).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8, 0.3 * max(len(t), 3) + 1.5), layout="constrained")
    ax.barh(np.arange(len(t)), t["pct"], color=_AUG)
    ax.set_yticks(np.arange(len(t)), list(t["skill"]), fontsize=8)
    ax.set_xlabel("Conversations exercising the skill (%)")
    ax.set_title("Skills exhibited in conversations")
    _caption(fig, table)
    return fig


def plot_comparison(table: WalledTable, *, label: str, value: str, labels: tuple[str, str], n: int = 20) -> Figure:
    """Dumbbell chart of the cells whose share changed most between two runs."""
    t = table.table.head(n).iloc[::-1]
    la, lb = labels
    fig, ax = plt.subplots(figsize=(10, 0.35 * len(t) + 1.5), layout="constrained")
    y = np.arange(len(t))
    ax.hlines(y, t[f"{value}_{la}"], t[f"{value}_{lb}"], color=_GREY)
    ax.plot(t[f"{value}_{la}"], y, "o", color=_GREY, label=la)
    ax.plot(t[f"{value}_{lb}"], y, "o", color=_AUG, label=lb)
    ax.set_yticks(y, [_short(s) for s in t[label]], fontsize=8)
    ax.set_xlabel("Share of use (%)")
    ax.set_title(f"Largest changes, {la} → {lb}")
    ax.legend(fontsize=8)
    _caption(fig, table)
    return fig
