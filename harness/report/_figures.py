"""Report figures. Each builder returns PNG bytes drawn with Matplotlib's Agg backend at a page-width size."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # headless: reports are written on CI machines without a display

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = [
    "DPI",
    "FIGSIZE",
    "accuracy_by_group_chart",
    "comparison_chart",
    "confusion_heatmap",
    "level_accuracy_chart",
    "mode_split_chart",
    "reconstruction_counts_chart",
    "reconstruction_metrics_chart",
    "reconstruction_scatter",
]

FIGSIZE: tuple[float, float] = (8.0, 4.5)
DPI = 110
_COLOURS = ("#3b6ea5", "#d98c2b", "#5a9e5a", "#b0474a", "#7d5ba6")
_RC = {"font.size": 10, "axes.titlesize": 12, "axes.labelsize": 10, "axes.spines.top": False,
       "axes.spines.right": False}


def _new(figsize: tuple[float, float] = FIGSIZE, ncols: int = 1, nrows: int = 1, **kwargs: object) -> tuple:
    with plt.rc_context(_RC):
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kwargs)
    return fig, axes


def _png(fig: Figure, *, layout: bool = True) -> bytes:
    buffer = io.BytesIO()
    if layout:
        fig.tight_layout()
    # No software/date metadata, so the same inputs give byte-identical files.
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def _errors(values: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Asymmetric error-bar lengths; 0 where an interval is unknown."""
    below = np.where(np.isnan(low), 0.0, np.clip(values - low, 0, None))
    above = np.where(np.isnan(high), 0.0, np.clip(high - values, 0, None))
    return np.vstack([below, above])


def level_accuracy_chart(levels: pd.DataFrame, *, confidence: float = 0.95) -> bytes:
    """Grouped bars of accuracy by hierarchy level (one bar per scoring rule) with interval error bars.

    Args:
        levels: Columns ``level, scoring, accuracy, ci_low, ci_high, n``; levels in display order.
        confidence: Coverage of the intervals, for the caption.
    """
    level_order = list(dict.fromkeys(levels["level"]))
    scorings = list(dict.fromkeys(levels["scoring"]))
    fig, axes = _new()
    ax = axes[0, 0]
    width = 0.8 / max(1, len(scorings))
    x = np.arange(len(level_order))
    for i, scoring in enumerate(scorings):
        rows = levels[levels["scoring"] == scoring].set_index("level").reindex(level_order)
        acc = rows["accuracy"].astype(float).to_numpy()
        err = _errors(acc, rows["ci_low"].astype(float).to_numpy(), rows["ci_high"].astype(float).to_numpy())
        pos = x + (i - (len(scorings) - 1) / 2) * width
        ax.bar(pos, np.nan_to_num(acc), width, yerr=err, capsize=4, color=_COLOURS[i % len(_COLOURS)],
               label=f"{scoring} scoring")
        for p, a, top, n in zip(pos, acc, acc + err[1], rows["n"], strict=True):
            if not math.isnan(a):  # label above the error bar so the two never overlap
                ax.text(p, top + 0.015, f"{a:.2f}\nn={int(n)}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, [str(level) for level in level_order])
    ax.set_ylim(0, 1.3)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel("Hierarchy level")
    ax.set_ylabel("Accuracy (share of items, 0–1)")
    ax.set_title(f"Classification accuracy by hierarchy level ({confidence:.0%} Wilson intervals)")
    ax.legend(loc="upper center", ncol=len(scorings), frameon=False)
    return _png(fig)


def accuracy_by_group_chart(groups: pd.DataFrame, *, level: str) -> bytes:
    """Horizontal bars of accuracy per SOC major group at one level, with interval error bars.

    Args:
        groups: Columns ``major_group, title, accuracy, ci_low, ci_high, n``.
        level: The hierarchy level, for the title.
    """
    data = groups.sort_values("major_group", ascending=False)
    height = max(3.0, 0.28 * len(data) + 1.2)
    fig, axes = _new((8.0, height))
    ax = axes[0, 0]
    acc = data["accuracy"].astype(float).to_numpy()
    err = _errors(acc, data["ci_low"].astype(float).to_numpy(), data["ci_high"].astype(float).to_numpy())
    labels = [f"{g} {t.removesuffix(' Occupations')}"[:52] if isinstance(t, str) and t else str(g)
              for g, t in zip(data["major_group"], data["title"], strict=True)]
    y = np.arange(len(data))
    ax.barh(y, np.nan_to_num(acc), xerr=err, capsize=3, color=_COLOURS[0])
    for yi, n in zip(y, data["n"], strict=True):
        ax.text(1.01, yi, f"n={int(n)}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("Accuracy (share of items, 0–1)")
    ax.set_title(f"Accuracy by SOC major group of the gold task ({level} level)")
    return _png(fig)


def confusion_heatmap(labels: Sequence[str], matrix: Sequence[Sequence[int]], *, title: str,
                      gold_axis: str, pred_axis: str) -> bytes:
    """A confusion matrix as an annotated heat-map (rows gold, columns predicted; colour = item count)."""
    counts = np.asarray(matrix, dtype=float)
    side = max(4.5, 0.7 * len(labels) + 2.0)
    fig, axes = _new((min(8.0, side + 1.5), side))
    ax = axes[0, 0]
    image = ax.imshow(counts, cmap="Blues", vmin=0)
    top = counts.max() if counts.size else 0
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(j, i, f"{int(counts[i, j])}", ha="center", va="center", fontsize=9,
                    color="white" if top and counts[i, j] > 0.6 * top else "black")
    names = [str(label).replace("_", " ") for label in labels]
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel(pred_axis)
    ax.set_ylabel(gold_axis)
    ax.set_title(title)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="Items (count)")
    return _png(fig)


def mode_split_chart(labels: Sequence[str], gold: Sequence[int], predicted: Sequence[int], *,
                     extra_label: str | None = None, extra: int = 0) -> bytes:
    """Share of items per mode (automation / augmentation / none) in the gold labels and in the predictions.

    Args:
        labels: Mode names.
        gold: Gold count per mode.
        predicted: Predicted count per mode.
        extra_label: Name of a predicted-only category (e.g. invalid answers), drawn when ``extra > 0``.
        extra: Its count.
    """
    names = [str(label) for label in labels]
    g = np.asarray(gold, dtype=float)
    p = np.asarray(predicted, dtype=float)
    if extra_label and extra:
        names.append(extra_label)
        g = np.append(g, 0.0)
        p = np.append(p, float(extra))
    g_share = 100 * g / g.sum() if g.sum() else g
    p_share = 100 * p / p.sum() if p.sum() else p
    fig, axes = _new()
    ax = axes[0, 0]
    x = np.arange(len(names))
    for offset, share, label, colour in ((-0.2, g_share, "gold labels", _COLOURS[0]),
                                         (0.2, p_share, "classifier", _COLOURS[1])):
        ax.bar(x + offset, share, 0.4, label=label, color=colour)
        for xi, v in zip(x + offset, share, strict=True):
            ax.text(xi, v + 1, f"{v:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, names)
    ax.set_ylim(0, max(100.0, float(np.max(np.concatenate([g_share, p_share])) + 10)) if len(x) else 100)
    ax.set_xlabel("Collaboration mode")
    ax.set_ylabel("Share of items (%)")
    ax.set_title("Automation / augmentation split: gold labels vs classifier")
    ax.legend(frameon=False)
    return _png(fig)


def reconstruction_scatter(prevalence: pd.DataFrame, *, level: str, scores: pd.DataFrame | None = None,
                           order: Sequence[str] | None = None) -> bytes:
    """Direct vs cluster-based share of each item, one panel per aggregation level, with the identity line.

    Args:
        prevalence: Rows of one level: ``aggregation, direct, cluster`` (shares 0–1).
        level: ``"category"``, ``"occupation"`` or ``"task"``, for the title.
        scores: Optional score rows of that level, to print Pearson r in each panel title.
        order: Aggregation levels in display order (default: order of appearance).
    """
    aggs = list(order) if order is not None else list(dict.fromkeys(prevalence["aggregation"]))
    aggs = [a for a in aggs if (prevalence["aggregation"] == a).any()]
    ncols = min(4, max(1, len(aggs)))
    nrows = math.ceil(len(aggs) / ncols) if aggs else 1
    fig, axes = _new((8.0, max(3.0, 2.9 * nrows + 0.6)), ncols=ncols, nrows=nrows)
    for k, ax in enumerate(axes.flat):
        if k >= len(aggs):
            ax.set_visible(False)
            continue
        rows = prevalence[prevalence["aggregation"] == aggs[k]]
        x, y = 100 * rows["direct"].to_numpy(float), 100 * rows["cluster"].to_numpy(float)
        top = float(max(x.max(initial=0), y.max(initial=0))) * 1.05 or 1.0
        ax.plot([0, top], [0, top], color="#888888", lw=1, ls="--", label="equal shares")
        ax.scatter(x, y, s=12, alpha=0.7, color=_COLOURS[k % len(_COLOURS)])
        ax.set_xlim(0, top)
        ax.set_ylim(0, top)
        title = str(aggs[k])
        if scores is not None:
            match = scores[scores["aggregation"].astype(str) == str(aggs[k])]
            if len(match) and not pd.isna(match["pearson"].iloc[0]):
                title += f" (r = {float(match['pearson'].iloc[0]):.2f})"
        ax.set_title(title, fontsize=9)
        ax.tick_params(labelsize=8)
        if k % ncols == 0:
            ax.set_ylabel("Cluster-based share (%)", fontsize=9)
        if k >= len(aggs) - ncols:
            ax.set_xlabel("Direct share (%)", fontsize=9)
    fig.suptitle(f"Prevalence per {level}: direct classification vs clusters, by aggregation level", fontsize=11)
    return _png(fig)


def _aggregation_axis(scores: pd.DataFrame) -> tuple[list[str], str]:
    """Aggregation levels in display order (by mean cluster size when known) and the axis label."""
    if "mean_cluster_size" in scores.columns and scores["mean_cluster_size"].notna().all():
        ordered = scores.groupby("aggregation", sort=False)["mean_cluster_size"].mean().sort_values()
        return [str(a) for a in ordered.index], "Aggregation level (ordered by mean cluster size)"
    return [str(a) for a in dict.fromkeys(scores["aggregation"])], "Aggregation level"


def reconstruction_metrics_chart(scores: pd.DataFrame) -> bytes:
    """Pearson, Spearman, Kendall τ-b (left panels, one per level) and MSE (right panel) across aggregations."""
    aggs, xlabel = _aggregation_axis(scores)
    levels = list(dict.fromkeys(scores["level"]))
    fig, axes = _new((8.0, 4.5), ncols=2)
    corr_ax, mse_ax = axes[0, 0], axes[0, 1]
    x = np.arange(len(aggs))
    styles = {"pearson": "-", "spearman": "--", "kendall_tau_b": ":"}
    for i, level in enumerate(levels):
        rows = scores[scores["level"] == level].assign(aggregation=lambda f: f["aggregation"].astype(str))
        rows = rows.set_index("aggregation").reindex(aggs)
        colour = _COLOURS[i % len(_COLOURS)]
        for metric, style in styles.items():
            corr_ax.plot(x, rows[metric].astype(float), style, marker="o", ms=4, color=colour,
                         label=f"{level}: {metric.replace('_tau_b', ' τ-b')}")
        mse_ax.plot(x, rows["mse"].astype(float), marker="o", color=colour, label=level)
    for ax in (corr_ax, mse_ax):
        ax.set_xticks(x, aggs, rotation=30, ha="right", fontsize=8)
        ax.set_xlabel(xlabel, fontsize=9)
    lowest = float(np.nanmin(scores[list(styles)].astype(float).to_numpy(), initial=0.0))
    corr_ax.set_ylim(min(-0.05, lowest - 0.05), 1.05)
    corr_ax.set_ylabel("Correlation (−1 to 1)")
    corr_ax.set_title("Correlation of shares")
    # Colour encodes the level and line style the statistic: two short legends instead of one per line.
    handles = [Line2D([], [], color=_COLOURS[i % len(_COLOURS)], lw=2, label=str(level))
               for i, level in enumerate(levels)]
    handles += [Line2D([], [], color="#333333", ls=style, label=metric.replace("_tau_b", " τ-b"))
                for metric, style in styles.items()]
    fig.legend(handles=handles, loc="lower center", ncol=len(handles), fontsize=8, frameon=False)
    positive = scores["mse"].astype(float)
    if (positive > 0).all():
        mse_ax.set_yscale("log")
    mse_ax.set_ylabel("Mean squared error (share², lower is better)")
    mse_ax.set_title("MSE of shares")
    fig.suptitle("Reconstruction quality across aggregation levels", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return _png(fig, layout=False)


def reconstruction_counts_chart(scores: pd.DataFrame) -> bytes:
    """Stacked bars per level and aggregation: items found by both methods, by direct only, by clusters only."""
    aggs, xlabel = _aggregation_axis(scores)
    levels = list(dict.fromkeys(scores["level"]))
    fig, axes = _new((8.0, 4.5), ncols=len(levels))
    for ax, level in zip(axes.flat, levels, strict=True):
        rows = scores[scores["level"] == level].assign(aggregation=lambda f: f["aggregation"].astype(str))
        rows = rows.set_index("aggregation").reindex(aggs)
        both = rows["n_both"].astype(float).fillna(0).to_numpy()
        direct_only = (rows["n_direct"].astype(float).fillna(0) - rows["n_both"].astype(float).fillna(0)).to_numpy()
        cluster_only = (rows["n_cluster"].astype(float).fillna(0)
                        - rows["n_both"].astype(float).fillna(0)).to_numpy()
        x = np.arange(len(aggs))
        ax.bar(x, both, color=_COLOURS[0], label="both methods")
        ax.bar(x, direct_only, bottom=both, color=_COLOURS[1], label="direct only")
        ax.bar(x, cluster_only, bottom=both + direct_only, color=_COLOURS[2], label="clusters only")
        ax.set_xticks(x, aggs, rotation=30, ha="right", fontsize=8)
        ax.set_title(str(level), fontsize=10)
        ax.set_xlabel(xlabel if len(levels) == 1 else "Aggregation level", fontsize=8)
    axes[0, 0].set_ylabel("Items found (count)")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=8, frameon=False)
    fig.suptitle("Items found by each method, per level and aggregation", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _png(fig, layout=False)


def comparison_chart(frame: pd.DataFrame, *, confidence: float, margin: float | None = None,
                     primary: str | None = None) -> bytes:
    """Forest plot of candidate − baseline per metric with the paired bootstrap interval and the margin line.

    Args:
        frame: Columns ``name, difference, ci_low, ci_high, change`` (as :meth:`Comparison.to_frame`).
        confidence: Interval coverage, for the axis label.
        margin: Non-inferiority margin δ; a dashed line at −δ marks the largest acceptable loss.
        primary: Name of the primary metric, labelled as such (it is the one the margin applies to).
    """
    data = frame.iloc[::-1]
    fig, axes = _new((8.0, max(3.0, 0.45 * len(data) + 1.7)))
    ax = axes[0, 0]
    y = np.arange(len(data))
    diff = data["difference"].astype(float).to_numpy()
    err = _errors(diff, data["ci_low"].astype(float).to_numpy(), data["ci_high"].astype(float).to_numpy())
    colours = [{"better": _COLOURS[2], "worse": _COLOURS[3]}.get(c, "#555555") for c in data["change"]]
    ax.axvline(0, color="#888888", lw=1)
    if margin is not None:
        ax.axvline(-margin, color=_COLOURS[3], lw=1.2, ls="--")
        ax.annotate(f"margin −{margin:g}", xy=(-margin, 1.0), xycoords=("data", "axes fraction"), xytext=(3, -3),
                    textcoords="offset points", ha="left", va="top", fontsize=8, color=_COLOURS[3])
    for yi, d, lo, hi, c in zip(y, diff, err[0], err[1], colours, strict=True):
        ax.errorbar(d, yi, xerr=[[lo], [hi]], fmt="o", color=c, capsize=4)
    labels = [f"{name} (primary)" if name == primary else str(name) for name in data["name"]]
    ax.set_yticks(y, labels, fontsize=8)
    for tick, name in zip(ax.get_yticklabels(), data["name"], strict=True):
        if name == primary:
            tick.set_fontweight("bold")
    ax.set_xlabel(f"Candidate − baseline (accuracy, κ or F1; {confidence:.0%} paired bootstrap interval)")
    ax.set_title("Model swap: change per metric (green better, red worse, grey no change shown)", fontsize=10)
    return _png(fig)
