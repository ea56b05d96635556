"""Wave analyses: collaboration patterns consumer vs API, the v1 → v5 trend, and task mix by major group.

Method:

- Pattern counts of a wave: the published overall shares when the wave has them (v1; the long-format releases'
  ``collaboration`` facet), otherwise the per-task pattern mixes weighted by the tasks' conversation counts
  (``sum_task count × fraction``), which is what the releases' own task × pattern intersection counts add up to.
  Tasks without a mix and withheld task × pattern cells count as ``not_classified``.
- Three normalisations are reported: of all conversations; of *classified* conversations (the five patterns plus
  "none"; the convention of the September 2025 report, e.g. "directive 27% → 39%"); and of the five patterns (the
  convention of the first report's 57% augmentation / 43% automation and of the rest of this harness).
  Automation = directive + feedback loop; augmentation = task iteration + learning + validation.
- Intervals are Wilson intervals over the conversations behind each normalisation (exact counts for long-format
  releases, implied ones otherwise; see :func:`harness.taxonomy.implied_sample_size`); wave-to-wave and
  consumer-vs-API differences use independent normal intervals (:mod:`harness.aggregate._stats`).
- Task mix: task shares renormalised over tasks that match an O*NET 20.1 statement, split equally among the
  statement's occupations, summed by SOC major group (the method of :func:`harness.aggregate.category_shares`);
  the interval of a group share is the multinomial one of a linear combination.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from harness.aggregate import _analyses as A
from harness.aggregate._privacy import WalledTable
from harness.aggregate._registry import AnalysisOutput, AnalysisSpec, WaveSet, register_analysis
from harness.aggregate._rollup import explode_links
from harness.aggregate._stats import difference, linear_share_se, wilson, z_value
from harness.taxonomy import AUGMENTATION, AUTOMATION, COLLABORATION_PATTERNS, pattern_mode
from harness.taxonomy._waves import SPECIAL_TASKS, WAVE_PATTERNS, Wave, waves_source

__all__ = ["automation_by_wave", "collaboration_by_wave", "consumer_vs_api", "load_wave_set", "pattern_counts",
           "task_mix_by_wave", "wave_trend"]

_FIVE = COLLABORATION_PATTERNS
_ORDER = {"v1": 1, "v2": 2, "v3": 3, "v4": 4, "v5": 5}


def _walled(name: str, table: pd.DataFrame, waves: Sequence[Wave], note: str) -> WalledTable:
    # Published releases were walled by their publisher (15 conversations per cell); the tables say so by policy None.
    return WalledTable(name, table.reset_index(drop=True), None, waves_source(waves), None, note)


def pattern_counts(wave: Wave) -> pd.DataFrame | None:
    """Conversations per pattern of one wave.

    Returns:
        ``pattern`` (:data:`~harness.taxonomy.WAVE_PATTERNS`), ``pct`` (of all conversations), ``count`` (NaN
        when the sample size is unknown), and the attribute ``attrs["pattern_source"]``; ``None`` when the wave
        has neither overall shares nor per-task mixes.
    """
    if wave.collaboration is not None:
        pct = wave.collaboration.groupby("pattern")["pct"].sum().reindex(list(WAVE_PATTERNS), fill_value=0.0)
        how = "published overall shares"
    elif wave.collaboration_by_task is not None:
        mix = wave.collaboration_by_task.set_index("statement_key")[list(WAVE_PATTERNS)]
        weight = wave.task_shares.set_index("statement_key")["pct"].reindex(mix.index).fillna(0.0)
        pct = mix.mul(weight, axis=0).sum()
        pct["not_classified"] += max(0.0, 100.0 - float(weight.sum()))  # tasks with no published mix
        how = "per-task mixes weighted by task counts"
    else:
        return None
    out = pd.DataFrame({"pattern": list(WAVE_PATTERNS), "pct": pct.reindex(list(WAVE_PATTERNS)).to_numpy()})
    out["count"] = out["pct"] * wave.sample_size / 100.0 if wave.sample_size else np.nan
    out.attrs["pattern_source"] = how
    return out


def collaboration_by_wave(waves: tuple[Wave, ...], *, confidence: float = 0.95) -> WalledTable:
    """Pattern shares of every wave and platform, with Wilson intervals over the five patterns.

    Returns:
        ``wave``, ``platform``, ``release``, ``pattern``, ``mode``, ``pct_of_all``, ``pct_of_classified`` (NaN for
        not_classified), ``pct_of_patterns`` (the five only), ``ci_low``, ``ci_high`` (of ``pct_of_patterns``),
        ``n_patterns`` (conversations with one of the five), ``pattern_source``.
    """
    rows = []
    for wave in waves:
        counts = pattern_counts(wave)
        if counts is None:
            continue
        c = counts.set_index("pattern")
        five = float(c.loc[list(_FIVE), "pct"].sum())
        classified = five + float(c.loc["none", "pct"])
        n_five = five * wave.sample_size / 100.0 if wave.sample_size else np.nan
        for pattern in WAVE_PATTERNS:
            pct = float(c.loc[pattern, "pct"])
            in_five = pattern in _FIVE
            low, high = wilson(c.loc[pattern, "count"], n_five, confidence=confidence) if in_five else (np.nan,) * 2
            rows.append({"wave": wave.wave, "platform": wave.platform, "release": wave.release, "pattern": pattern,
                         "mode": pattern_mode(pattern) if pattern in _FIVE or pattern == "none" else "excluded",
                         "pct_of_all": pct,
                         "pct_of_classified": 100 * pct / classified if pattern != "not_classified" else np.nan,
                         "pct_of_patterns": 100 * pct / five if in_five else np.nan,
                         "ci_low": 100 * float(low), "ci_high": 100 * float(high), "n_patterns": n_five,
                         "pattern_source": counts.attrs["pattern_source"]})
    return _walled("wave_collaboration", pd.DataFrame(rows), waves,
                   f"Pattern shares per wave; {confidence:.0%} Wilson intervals over the five patterns.")


def automation_by_wave(waves: tuple[Wave, ...], *, confidence: float = 0.95) -> WalledTable:
    """Automation, augmentation and directive share per wave and platform.

    Returns:
        ``wave``, ``platform``, ``release``, ``window``, ``origin``, ``automation_pct`` (of the five patterns),
        ``automation_ci_low``/``_high``, ``augmentation_pct``, ``automation_pct_of_classified`` (five + none),
        ``directive_pct`` (of classified), ``directive_ci_low``/``_high``, ``n_patterns``, ``n_classified``,
        ``pattern_source``.
    """
    rows = []
    for wave in waves:
        counts = pattern_counts(wave)
        if counts is None:
            continue
        pct = counts.set_index("pattern")["pct"]
        five = float(pct[list(_FIVE)].sum())
        classified = five + float(pct["none"])
        auto = float(pct[list(AUTOMATION)].sum())
        n = wave.sample_size or np.nan
        n_five, n_cls = five * n / 100.0, classified * n / 100.0
        a_low, a_high = wilson(auto * n / 100.0, n_five, confidence=confidence)
        d_low, d_high = wilson(pct["directive"] * n / 100.0, n_cls, confidence=confidence)
        rows.append({"wave": wave.wave, "platform": wave.platform, "release": wave.release, "window": wave.window,
                     "origin": wave.origin, "automation_pct": 100 * auto / five,
                     "automation_ci_low": 100 * float(a_low), "automation_ci_high": 100 * float(a_high),
                     "augmentation_pct": 100 * float(pct[list(AUGMENTATION)].sum()) / five,
                     "automation_pct_of_classified": 100 * auto / classified,
                     "directive_pct": 100 * float(pct["directive"]) / classified,
                     "directive_ci_low": 100 * float(d_low), "directive_ci_high": 100 * float(d_high),
                     "n_patterns": n_five, "n_classified": n_cls, "pattern_source": counts.attrs["pattern_source"]})
    return _walled("wave_automation", pd.DataFrame(rows), waves,
                   "Automation = directive + feedback loop (of the five patterns); directive share of classified "
                   f"conversations (five patterns + none); {confidence:.0%} Wilson intervals.")


def _se(pct: float, n: float) -> float:
    p = pct / 100.0
    return float(np.sqrt(p * (1 - p) / n)) if n and n > 0 else np.nan


def _diff_row(a: pd.Series, b: pd.Series, column: str, n_column: str, confidence: float) -> dict[str, float]:
    d = difference(np.array([a[column] / 100]), np.array([_se(a[column], a[n_column])]),
                   np.array([b[column] / 100]), np.array([_se(b[column], b[n_column])]), confidence=confidence)
    row = d.iloc[0]
    return {"diff": 100 * row["diff"], "ci_low": 100 * row["ci_low"], "ci_high": 100 * row["ci_high"],
            "p_value": row["p_value"]}


def consumer_vs_api(automation: WalledTable, *, confidence: float = 0.95) -> WalledTable:
    """API minus consumer, per wave that has both, for automation (of five) and directive (of classified).

    Returns:
        ``wave``, ``release``, ``measure`` (``automation_pct``/``directive_pct``), ``consumer``, ``api``,
        ``diff`` (percentage points), ``ci_low``, ``ci_high``, ``p_value``.
    """
    t = automation.table
    rows = []
    for wave, group in t.groupby("wave", sort=False):
        by = group.set_index("platform")
        if not {"consumer", "api"} <= set(by.index):
            continue
        for measure, n_col in (("automation_pct", "n_patterns"), ("directive_pct", "n_classified")):
            rows.append({"wave": wave, "release": by.loc["api", "release"], "measure": measure,
                         "consumer": by.loc["consumer", measure], "api": by.loc["api", measure],
                         **_diff_row(by.loc["consumer"], by.loc["api"], measure, n_col, confidence)})
    return automation.with_table("wave_consumer_vs_api", pd.DataFrame(rows),
                                 f"API minus consumer in percentage points; {confidence:.0%} normal intervals.")


def wave_trend(automation: WalledTable, *, confidence: float = 0.95) -> WalledTable:
    """Change of automation and directive share from each wave to the next one of the same platform.

    Returns:
        ``platform``, ``from_wave``, ``to_wave``, ``measure``, ``from_pct``, ``to_pct``, ``diff``, ``ci_low``,
        ``ci_high``, ``p_value``.
    """
    rows = []
    t = automation.table.assign(order=automation.table["wave"].map(_ORDER)).sort_values(["platform", "order"])
    for platform, group in t.groupby("platform", sort=False):
        records = [r for _, r in group.iterrows()]
        for a, b in itertools.pairwise(records):
            for measure, n_col in (("automation_pct", "n_patterns"), ("directive_pct", "n_classified")):
                rows.append({"platform": platform, "from_wave": a["wave"], "to_wave": b["wave"], "measure": measure,
                             "from_pct": a[measure], "to_pct": b[measure],
                             **_diff_row(a, b, measure, n_col, confidence)})
    return automation.with_table("wave_trend", pd.DataFrame(rows),
                                 "Wave-to-wave change in percentage points (later minus earlier).")


def task_mix_by_wave(source: WaveSet, *, confidence: float = 0.95) -> WalledTable:
    """Share of use per SOC major group for every wave and platform, with multinomial intervals.

    Returns:
        ``wave``, ``platform``, ``release``, ``major_group``, ``title``, ``pct`` (of matched use), ``ci_low``,
        ``ci_high``, ``matched_pct`` (share of the wave's conversations on tasks matching a statement).
    """
    pairs = explode_links(source.links)
    pairs = pairs.rename(columns={"statement_key": "item", "major_group": "group"})[["item", "group", "weight"]]
    z = z_value(confidence)
    frames = []
    for wave in source.waves:
        shares = wave.task_shares[~wave.task_shares["statement_key"].isin(SPECIAL_TASKS)]
        usage = WalledTable("usage", shares.assign(matched=True)[["statement_key", "pct", "matched"]], None,
                            wave.source)
        cat = A.category_shares(usage, source.links, major_groups=source.major_groups).table
        matched = shares[shares["statement_key"].isin(set(source.links["statement_key"])) & (shares["pct"] > 0)]
        matched_pct = float(matched["pct"].sum())
        proportions = matched.set_index("statement_key")["pct"] / matched_pct
        n = wave.sample_size * matched_pct / 100.0 if wave.sample_size else None
        se = 100 * linear_share_se(pairs[pairs["item"].isin(proportions.index)], proportions, n)
        cat["ci_low"] = cat["pct_use"] - z * cat["major_group"].map(se).astype(float)
        cat["ci_high"] = cat["pct_use"] + z * cat["major_group"].map(se).astype(float)
        frames.append(pd.DataFrame({"wave": wave.wave, "platform": wave.platform, "release": wave.release,
                                    "major_group": cat["major_group"], "title": cat["title"], "pct": cat["pct_use"],
                                    "ci_low": cat["ci_low"].clip(lower=0), "ci_high": cat["ci_high"],
                                    "matched_pct": matched_pct}))
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return _walled("wave_task_mix", table, source.waves,
                   "Task shares over tasks matching an O*NET 20.1 statement, split equally among its occupations, "
                   f"summed by SOC major group; {confidence:.0%} multinomial intervals. Links: {source.links_source}.")


def load_wave_set(*, data_dir: str | Path | None = None, waves: Sequence[str] | None = None,
                  platforms: Sequence[str] = ("consumer", "api")) -> WaveSet:
    """Every wave the data directory holds, with the O*NET 20.1 links of the Economic Index releases.

    Args:
        data_dir: Data directory.
        waves: Wave names (default all of :data:`harness.taxonomy.WAVES`).
        platforms: Platforms to load.

    Raises:
        MissingDataError: no wave, or no release folder with the O*NET 20.1 task statements, is present.
    """
    from harness.errors import MissingDataError
    from harness.taxonomy import load_economic_index
    from harness.taxonomy._waves import load_waves

    loaded = load_waves(data_dir=data_dir, waves=waves, platforms=platforms)
    if not loaded:
        raise MissingDataError("no Economic Index wave found in the data directory (expected economic_index/"
                               "release_2025_02_10, release_2025_03_27, derived_third_party/ or long-format files)")
    release = None
    for name in ("2025_03_27", "2025_02_10"):
        try:
            release = load_economic_index(name, data_dir=data_dir)  # type: ignore[arg-type]
            break
        except MissingDataError:
            continue
    if release is None:
        raise MissingDataError("the wave analyses need the O*NET 20.1 task statements of release_2025_03_27 or "
                               "release_2025_02_10 to link tasks to occupations")
    return WaveSet(loaded, release.statements, release.major_groups,
                   f"O*NET 20.1 task statements of release_{release.name}")


def _run_collaboration(source: WaveSet, *, confidence: float = 0.95, **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_automation_trend, plot_pattern_mix

    patterns = collaboration_by_wave(source.waves, confidence=confidence)
    automation = automation_by_wave(source.waves, confidence=confidence)
    versus = consumer_vs_api(automation, confidence=confidence)
    trend = wave_trend(automation, confidence=confidence)
    summary = {f"{r.wave} {r.platform}": {"automation_pct": round(r.automation_pct, 3),
                                          "automation_pct_of_classified": round(r.automation_pct_of_classified, 3),
                                          "directive_pct": round(r.directive_pct, 3),
                                          "pattern_source": r.pattern_source}
               for r in automation.table.itertuples()}
    tables = {t.name: t for t in (patterns, automation, versus, trend)}
    figures = {"wave_pattern_mix": lambda: plot_pattern_mix(patterns),
               "wave_automation_trend": lambda: plot_automation_trend(automation)}
    return AnalysisOutput(tables, figures, summary)


def _run_task_mix(source: WaveSet, *, confidence: float = 0.95, **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_task_mix

    mix = task_mix_by_wave(source, confidence=confidence)
    summary = {}
    for (wave, platform), group in mix.table.groupby(["wave", "platform"], sort=False):
        top = group.sort_values("pct", ascending=False).iloc[0]
        summary[f"{wave} {platform}"] = {"top_group": str(top["title"]), "top_group_pct": round(float(top["pct"]), 3),
                                         "computer_and_mathematical_pct": round(
                                             float(group.loc[group["major_group"] == "15", "pct"].sum()), 3)}
    return AnalysisOutput({mix.name: mix}, {"wave_task_mix": lambda: plot_task_mix(mix)}, summary)


register_analysis(AnalysisSpec("collaboration", frozenset({"waves"}), _run_collaboration,
                               "pattern mix, automation and directive share per wave, consumer vs API, "
                               "wave-to-wave trend"))
register_analysis(AnalysisSpec("task_mix", frozenset({"waves"}), _run_task_mix,
                               "share of use by SOC major group per wave and platform"))
