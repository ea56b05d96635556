"""The summary every report opens with: what was validated, the headline figures, the verdict, caveats, what to do.

A reader who stops after these few lines should know what the run measured, how precisely, whether a model swap is
safe, and which limits of the evidence matter. Every point is built from aggregates the run already holds.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

from harness.evaluate import (
    Comparison,
    UnknownMetricError,
    default_goldset_path,
    metric_spec,
    plan_sample_size,
    wilson_interval,
)

from ._load import RunData

__all__ = ["summary_points"]

_LABELS = {"top": "top level", "mid": "mid level", "base": "task level", "major_group": "SOC major group"}
_ACTIONS = {
    "safe to swap": "the candidate can replace the baseline on this evidence",
    "better": "the candidate can replace the baseline, and improves on the primary metric",
    "worse": "do not swap",
    "not shown non-inferior": "do not swap yet",
}


def _interval(entry: Any) -> tuple[float, float] | None:
    """The entry's interval, or a Wilson interval for a proportion that was written without one."""
    if entry.ci_low is not None and entry.ci_high is not None:
        return float(entry.ci_low), float(entry.ci_high)
    if entry.kind == "proportion" and entry.n:
        return wilson_interval(round(entry.value * entry.n), int(entry.n))
    return None


def _label(name: str) -> str:
    parts = name.split(".")
    if parts[0] == "hierarchy":
        return _LABELS.get(parts[1], parts[1])
    return parts[0]


def headline_point(run: RunData) -> str | None:
    """The headline accuracies (registry ``headline``) with 95 % intervals and their n, strict scoring."""
    if run.metrics is None:
        return None
    shown = []
    for name, entry in run.metrics.metrics.items():
        try:
            headline = metric_spec(name).headline
        except UnknownMetricError:  # a metric written by another version of the harness
            continue
        if not headline or not math.isfinite(entry.value):
            continue
        ci = _interval(entry)
        interval = f" [{ci[0]:.2f}, {ci[1]:.2f}]" if ci else ""
        shown.append(f"{_label(name)} {entry.value:.2f}{interval} (n = {entry.n})")
    if not shown:
        return None
    return "Headline accuracy against the raters' majority, with 95% intervals: " + "; ".join(shown) + "."


def _rater_point(run: RunData) -> str | None:
    block = run.sections.get("per_rater")
    fields = {f.get("field"): f for f in block.get("fields", [])} if isinstance(block, Mapping) else {}
    top = fields.get("top")
    if not top or top.get("mean") is None or len(block.get("raters", [])) < 2:
        return None
    ceiling = top.get("ceiling")
    text = (f"Against each of the {len(block['raters'])} raters alone, top-level accuracy averages {top['mean']:.2f} "
            f"[{top['ci_low']:.2f}, {top['ci_high']:.2f}]")
    if ceiling is not None:
        text += f"; the raters agree with each other on {ceiling:.0%} of the items they share, the ceiling"
    return text + ". The gate and compare read the majority figures."


def _verdict_point(comparison: Comparison, baseline_name: str | None) -> str:
    ni, verdict = comparison.noninferiority, comparison.verdict
    text = (f"Model swap against {baseline_name or 'the baseline'}: {verdict} — {_ACTIONS[verdict]}. "
            f"Primary metric {ni.metric}: difference {ni.difference:+.3f}, lower bound {ni.lower_bound:+.3f} "
            f"against the margin -{ni.margin:g}.")
    primary = comparison.metrics[0]
    if verdict == "not shown non-inferior" and primary.discordance > 0 and comparison.n_items:
        plan = plan_sample_size(ni.margin, (primary.discordance,), alpha=ni.alpha, design_effect=primary.design_effect,
                                scored_share=primary.n / comparison.n_items)[0]
        if math.isfinite(plan.n_goldset):
            text += (f" To show non-inferiority at this margin with 80% power about {plan.n_goldset:.0f} goldset "
                     f"items are needed at the observed discordance (harness compare --plan).")
    return text


def _is_shipped_goldset(run: RunData) -> bool:
    recorded = {g.get("sha256") for g in run.run_info.get("goldsets", []) or [] if isinstance(g, Mapping)}
    if not recorded:
        return False
    try:
        shipped = hashlib.sha256(default_goldset_path().read_bytes()).hexdigest()
    except OSError:
        return False
    return shipped in recorded


def _caveats(run: RunData, comparison: Comparison | None) -> list[str]:
    out = []
    if _is_shipped_goldset(run):
        text = ("Caveat: the shipped goldset was labelled by AI raters, not people (goldsets/README.md); use these "
                "figures for regression checks and comparisons, not as published accuracy")
        if comparison is not None and comparison.clustered_by:
            text += "; its account ids are synthetic, so account-clustered intervals only widen the uncertainty there"
        out.append(text + ".")
    metrics = run.metrics.metrics if run.metrics is not None else {}
    top = metrics.get("hierarchy.top.accuracy")
    if top is not None and top.n and (ci := _interval(top)) is not None:
        half = (ci[1] - ci[0]) / 2
        out.append(f"Caveat: with {top.n} scored items an accuracy is known to about ±{100 * half:.0f} points; "
                   "smaller differences between runs need the paired comparison (harness compare).")
    invalid = (run.sections.get("counts") or {}).get("invalid") if isinstance(run.sections.get("counts"),
                                                                              Mapping) else None
    if isinstance(invalid, int) and invalid > 0:
        out.append(f"Caveat: {invalid} answers were invalid and are scored as wrong.")
    return out


def summary_points(run: RunData, facts: Mapping[str, str], comparison: Comparison | None,
                   baseline_name: str | None) -> tuple[str, ...]:
    """The report's opening points, in reading order; empty facts and sections are skipped, never invented."""
    what = [facts.get("Backend"), facts.get("Model(s)")]
    described = " / ".join(dict.fromkeys(v for v in what if v)) or run.name
    items = facts.get("Goldsets") or (f"{facts['Items scored']} items" if facts.get("Items scored") else None)
    scope = ", ".join(v for v in (items, f"hierarchy {facts['Hierarchy']}" if facts.get("Hierarchy") else None,
                                  f"O*NET {facts['O*NET release']}" if facts.get("O*NET release") else None) if v)
    points = [f"Validated {described}" + (f" on {scope}." if scope else ".")]
    for point in (headline_point(run), _rater_point(run)):
        if point:
            points.append(point)
    if comparison is not None:
        points.append(_verdict_point(comparison, baseline_name))
    points.extend(_caveats(run, comparison))
    if len(points) == 1:
        points.append("This run holds no validation metrics; the sections below say what it has.")
    return tuple(points)
