"""Drift between two runs: which tasks, occupations, major groups and patterns changed share, and by how much.

A *run* here is anything that yields walled task shares: a fact table of ``harness classify`` (aggregated behind
the privacy wall first), a version of a published release, or a wave (see :func:`resolve_run`). For each level the
share of every cell is computed in each run exactly as that run's own analyses compute it (task shares renormalised
over tasks that match a statement; a task listed under n occupations gives each 1/n; major groups by SOC prefix;
patterns over the five collaboration patterns), so the March 2025 V1 → V2 figures come out as published.

Privacy: a cell is compared only when it is released in *both* runs (a task withheld in one run is not compared,
and neither its name nor its share in the other run is shown as a change); how many cells were released in one run
only is reported as a count. The tables carry the stricter of the two runs' policies.

Uncertainty: each share's standard error is the multinomial one (:mod:`harness.aggregate._stats`) over the
conversations behind the run's matched tasks (exact for fact tables and long-format releases, implied for
published shares); the two runs are independent samples. Within each level the p-values form one family, and the
Benjamini–Hochberg procedure (statsmodels ``multipletests``) controls its false-discovery rate at ``alpha``: the
cells it keeps are the significant movers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from harness.aggregate._privacy import PrivacyPolicy, WalledTable
from harness.aggregate._registry import AnalysisOutput, AnalysisSpec, register_analysis
from harness.aggregate._rollup import aggregate_facts, explode_links
from harness.aggregate._stats import benjamini_hochberg, difference, linear_share_se
from harness.errors import UsageError
from harness.taxonomy import COLLABORATION_PATTERNS, SOC_MAJOR_GROUPS
from harness.taxonomy._waves import SPECIAL_TASKS, Wave

__all__ = ["DRIFT_LEVELS", "DriftRun", "drift", "drift_tables", "run_from_facts", "run_from_wave"]

DRIFT_LEVELS: tuple[str, ...] = ("task", "occupation", "major_group", "pattern")


@dataclass(frozen=True)
class DriftRun:
    """One side of a drift comparison.

    Attributes:
        name: Label recorded in every output (release and version, wave and platform, or the facts path).
        tasks: ``statement_key`` and ``pct`` (walled task shares; other rows such as "none" are ignored).
        patterns: ``pattern`` and ``count`` (or ``pct``) of the five patterns (others ignored), or ``None``.
        links: Task → occupation links (``statement_key``, ``soc_codes``; optional ``statement``).
        total: Conversations behind ``tasks`` (the denominator of ``pct``), or ``None`` (no intervals).
        policy: The privacy policy the shares were released under (``None`` for a published release).
        titles: Optional ``soc_code``, ``title`` for labels.
        links_source: Which taxonomy ``links`` is (compared between the runs).
    """

    name: str
    tasks: pd.DataFrame = field(repr=False)
    patterns: pd.DataFrame | None = field(repr=False)
    links: pd.DataFrame = field(repr=False)
    total: float | None
    policy: PrivacyPolicy | None
    titles: pd.DataFrame | None = field(default=None, repr=False)
    links_source: str = ""


def run_from_wave(wave: Wave, links: pd.DataFrame, *, titles: pd.DataFrame | None = None,
                  links_source: str = "") -> DriftRun:
    """A wave (or release version) as one side of a drift comparison."""
    from harness.aggregate._waves import pattern_counts

    patterns = pattern_counts(wave)
    name = f"{wave.wave} {wave.platform} (release_{wave.release}, {wave.origin})"
    return DriftRun(name, wave.task_shares[["statement_key", "pct"]], patterns, links, wave.sample_size, None,
                    titles, links_source)


def run_from_facts(facts: pd.DataFrame, links: pd.DataFrame, *, name: str, policy: PrivacyPolicy | None = None,
                   titles: pd.DataFrame | None = None, links_source: str = "") -> DriftRun:
    """A fact table, aggregated behind the privacy wall, as one side of a drift comparison."""
    aggregate = aggregate_facts(facts, links, policy=policy, source=name)
    tasks = aggregate.tasks.table[["statement_key", "pct"]]
    patterns = aggregate.patterns.table.rename(columns={"conversations": "count"})[["pattern", "count", "pct"]]
    return DriftRun(name, tasks, patterns, links, float(aggregate.released_conversations), aggregate.policy, titles,
                    links_source)


def _level_shares(run: DriftRun, level: str) -> pd.DataFrame:
    """``key``, ``share`` (fraction), ``se`` of every released cell of ``level`` in one run."""
    if level == "pattern":
        return _pattern_shares(run)
    tasks = run.tasks[~run.tasks["statement_key"].isin(SPECIAL_TASKS) & (run.tasks["pct"] > 0)]
    tasks = tasks[tasks["statement_key"].isin(set(run.links["statement_key"]))]
    matched = float(tasks["pct"].sum())
    if matched <= 0:
        return pd.DataFrame({"key": [], "share": [], "se": []})
    p = tasks.groupby("statement_key")["pct"].sum() / matched
    n = run.total * matched / 100.0 if run.total else None
    if level == "task":
        se = np.sqrt(p * (1 - p) / n) if n else p * np.nan
        return pd.DataFrame({"key": p.index, "share": p.to_numpy(), "se": np.asarray(se, dtype=float)})
    pairs = explode_links(run.links[run.links["statement_key"].isin(p.index)])
    column = "soc_code" if level == "occupation" else "major_group"
    pairs = pairs.rename(columns={"statement_key": "item", column: "group"})[["item", "group", "weight"]]
    share = (pairs["item"].map(p) * pairs["weight"]).groupby(pairs["group"]).sum()
    se = linear_share_se(pairs, p, n).reindex(share.index)
    return pd.DataFrame({"key": share.index, "share": share.to_numpy(), "se": se.to_numpy(dtype=float)})


def _pattern_shares(run: DriftRun) -> pd.DataFrame:
    if run.patterns is None:
        return pd.DataFrame({"key": [], "share": [], "se": []})
    column = "count" if "count" in run.patterns and run.patterns["count"].notna().all() else "pct"
    values = run.patterns.groupby("pattern")[column].sum().reindex(list(COLLABORATION_PATTERNS)).fillna(0.0)
    total = float(values.sum())
    if total <= 0:
        return pd.DataFrame({"key": [], "share": [], "se": []})
    p = values / total
    n = total if column == "count" else None
    se = np.sqrt(p * (1 - p) / n) if n else p * np.nan
    return pd.DataFrame({"key": p.index, "share": p.to_numpy(), "se": np.asarray(se, dtype=float)})


def _labels(a: DriftRun, b: DriftRun, level: str) -> dict[str, str]:
    if level == "task":
        labels: dict[str, str] = {}
        for run in (b, a):
            if "statement" in run.links.columns:
                labels.update(dict(zip(run.links["statement_key"], run.links["statement"], strict=False)))
        return labels
    if level == "occupation":
        labels = {}
        for run in (b, a):
            if run.titles is not None:
                labels.update(dict(zip(run.titles["soc_code"], run.titles["title"], strict=False)))
        return labels
    if level == "major_group":
        return dict(SOC_MAJOR_GROUPS)
    return {p: p.replace("_", " ") for p in COLLABORATION_PATTERNS}


def _policy(a: DriftRun, b: DriftRun) -> PrivacyPolicy | None:
    policies = [p for p in (a.policy, b.policy) if p is not None]
    if not policies:
        return None
    return PrivacyPolicy(max(p.min_conversations for p in policies), max(p.min_accounts for p in policies))


def drift(a: DriftRun, b: DriftRun, level: str, *, alpha: float = 0.05, confidence: float = 0.95) -> WalledTable:
    """Change of share from run ``a`` to run ``b`` at one level, cells released in both only.

    Returns:
        A table named ``drift_<level>``: ``key``, ``label``, ``share_a``, ``share_b`` (%), ``diff`` (b − a,
        percentage points), ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``q_value`` (Benjamini–Hochberg),
        ``significant`` (q below ``alpha``), sorted by absolute change. ``attrs`` of the frame hold
        ``only_in_a`` and ``only_in_b`` (counts of cells released in one run only).
    """
    if level not in DRIFT_LEVELS:
        raise ValueError(f"level must be one of {', '.join(DRIFT_LEVELS)}, got {level!r}")
    sa, sb = _level_shares(a, level), _level_shares(b, level)
    both = sa.merge(sb, on="key", suffixes=("_a", "_b"))
    test = difference(both["share_a"], both["se_a"], both["share_b"], both["se_b"], confidence=confidence)
    significant, q = benjamini_hochberg(test["p_value"], alpha=alpha)
    labels = _labels(a, b, level)
    out = pd.DataFrame({
        "key": both["key"].astype(str), "label": both["key"].map(labels).fillna(both["key"]).astype(str),
        "share_a": 100 * both["share_a"], "share_b": 100 * both["share_b"], "diff": 100 * test["diff"],
        "ci_low": 100 * test["ci_low"], "ci_high": 100 * test["ci_high"], "z": test["z"],
        "p_value": test["p_value"], "q_value": q, "significant": significant,
    })
    out = out.reindex(out["diff"].abs().sort_values(ascending=False, kind="stable").index).reset_index(drop=True)
    out.attrs["only_in_a"] = int((~sa["key"].isin(sb["key"])).sum())
    out.attrs["only_in_b"] = int((~sb["key"].isin(sa["key"])).sum())
    note = (f"Share in {b.name} minus share in {a.name}, percentage points; cells released in both runs only "
            f"({out.attrs['only_in_a']} released only in the first, {out.attrs['only_in_b']} only in the second); "
            f"{confidence:.0%} intervals; Benjamini–Hochberg FDR {alpha:g} within the level.")
    return WalledTable(f"drift_{level}", out, _policy(a, b), f"{a.name} vs {b.name}", None, note)


def drift_tables(a: DriftRun, b: DriftRun, *, alpha: float = 0.05, confidence: float = 0.95) -> dict[str, WalledTable]:
    """Every level's drift table, the list of significant movers across levels, and a per-level summary."""
    tables = {f"drift_{level}": drift(a, b, level, alpha=alpha, confidence=confidence) for level in DRIFT_LEVELS}
    first = next(iter(tables.values()))
    movers = pd.concat([t.table[t.table["significant"]].assign(level=level)
                        for level, t in zip(DRIFT_LEVELS, tables.values(), strict=True)], ignore_index=True)
    movers = movers[["level", "key", "label", "share_a", "share_b", "diff", "ci_low", "ci_high", "q_value"]]
    tables["drift_movers"] = first.with_table("drift_movers", movers, "Cells whose change survives FDR control, "
                                              "every level.")
    rows = [{"level": level, "run_a": a.name, "run_b": b.name, "cells_compared": len(t.table),
             "only_in_a": t.table.attrs.get("only_in_a", 0), "only_in_b": t.table.attrs.get("only_in_b", 0),
             "significant_movers": int(t.table["significant"].sum()), "alpha": alpha}
            for level, t in zip(DRIFT_LEVELS, list(tables.values())[:len(DRIFT_LEVELS)], strict=True)]
    tables["drift_summary"] = first.with_table("drift_summary", pd.DataFrame(rows), "What was compared per level.")
    return tables


def _run_drift(pair: tuple[DriftRun, DriftRun], *, alpha: float = 0.05, confidence: float = 0.95,
               **_: object) -> AnalysisOutput:
    from harness.aggregate._wave_figures import plot_drift

    a, b = pair
    tables = drift_tables(a, b, alpha=alpha, confidence=confidence)
    figures = {}
    for level in DRIFT_LEVELS:
        table = tables[f"drift_{level}"]
        if len(table.table):
            figures[f"drift_{level}"] = lambda t=table: plot_drift(t, label="label")
    summary: dict[str, Any] = {"run_a": a.name, "run_b": b.name, "alpha": alpha,
                               "links": sorted({a.links_source, b.links_source} - {""})}
    if a.links_source and b.links_source and a.links_source != b.links_source:
        summary["warning"] = "the runs use different taxonomies; task and occupation keys rarely coincide"
    for row in tables["drift_summary"].table.itertuples():
        summary[row.level] = {"cells_compared": row.cells_compared, "significant_movers": row.significant_movers,
                              "only_in_a": row.only_in_a, "only_in_b": row.only_in_b}
    groups = tables["drift_major_group"].table.set_index("key")
    summary["major_groups"] = {k: {"a": round(float(r.share_a), 4), "b": round(float(r.share_b), 4)}
                               for k, r in groups.iterrows()}
    return AnalysisOutput(tables, figures, summary)


register_analysis(AnalysisSpec("drift", frozenset({"pair"}), _run_drift,
                               "change in share per task, occupation, major group and pattern between two runs, "
                               "with intervals and a Benjamini–Hochberg list of significant movers"))


# ------------------------------------------------------------------------------------------------ resolving runs


def _ei_links(data_dir: str | Path | None) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    from harness.errors import MissingDataError
    from harness.taxonomy import load_economic_index

    for name in ("2025_03_27", "2025_02_10"):
        try:
            release = load_economic_index(name, data_dir=data_dir)  # type: ignore[arg-type]
        except MissingDataError:
            continue
        return release.statements, release.occupations, f"O*NET 20.1 (release_{name})"
    raise MissingDataError("the Economic Index task statements (release_2025_03_27 or release_2025_02_10) are "
                           "needed to link release and wave tasks to occupations")


def resolve_run(spec: str, *, data_dir: str | Path | None = None, onet_release: str | None = None,
                policy: PrivacyPolicy | None = None) -> DriftRun:
    """Turn a command-line run spec into a :class:`DriftRun`.

    Specs:
        ``release:NAME[:vN]`` – a version of a first-format release (default v1), e.g. ``release:2025_03_27:v2``;
        ``wave:vN[:consumer|api]`` – a wave (default consumer) from the best source on hand;
        anything else – a run directory or facts file of ``harness classify`` (links: O*NET ``onet_release``
        when given, else the release the run's manifest records for its hierarchy, else the Economic Index O*NET
        20.1 statements, as ``harness analyze --facts`` does).

    Raises:
        UsageError: a malformed spec (unknown version, wave or platform).
    """
    from harness.taxonomy import load_economic_index
    from harness.taxonomy._waves import WAVES, load_wave, wave_from_release

    scheme, _, rest = spec.partition(":")
    if scheme == "release" and rest:
        name, _, version = rest.partition(":")
        release = load_economic_index(name, data_dir=data_dir)  # type: ignore[arg-type]
        version = version or "v1"
        if version not in release.versions:
            raise UsageError(f"{spec}: release {name} has versions {', '.join(release.versions)}, not {version!r}")
        return run_from_wave(wave_from_release(release, version), release.statements, titles=release.occupations,
                             links_source=f"O*NET 20.1 (release_{release.name})")
    if scheme == "wave" and rest:
        name, _, platform = rest.partition(":")
        platform = platform or "consumer"
        if name not in WAVES or platform not in WAVES[name].platforms:
            raise UsageError(f"{spec}: expected wave:vN[:platform] with one of "
                             + ", ".join(f"{w}:{'/'.join(i.platforms)}" for w, i in WAVES.items()))
        links, titles, source = _ei_links(data_dir)
        return run_from_wave(load_wave(name, platform, data_dir=data_dir), links, titles=titles, links_source=source)
    return _facts_run(spec, data_dir=data_dir, onet_release=onet_release, policy=policy)


def _facts_run(spec: str, *, data_dir: str | Path | None, onet_release: str | None,
               policy: PrivacyPolicy | None) -> DriftRun:
    from harness.run import read_facts

    path = Path(spec)
    if not path.exists():
        raise UsageError(f"{spec}: not a run directory or facts file, nor a spec release:NAME[:vN] or "
                         "wave:vN[:consumer|api]")
    facts = read_facts(path)
    onet_release = onet_release or _manifest_onet_release(path)
    if onet_release:
        from harness.taxonomy import load_onet

        onet = load_onet(release=onet_release, data_dir=data_dir)
        links, titles, source = onet.statements, onet.occupations, f"O*NET {onet_release}"
    else:
        links, titles, source = _ei_links(data_dir)
    return run_from_facts(facts, links, name=str(path), policy=policy, titles=titles, links_source=source)


def _manifest_onet_release(path: Path) -> str | None:
    """The O*NET release a classify run's hierarchy was built from, as its manifest records it (None if unknown)."""
    from harness.run import RunDir

    run = RunDir(path if path.is_dir() else path.parent)
    if not run.manifest_path.is_file():
        return None
    hierarchy = run.read_manifest().get("hierarchy")
    release = hierarchy.get("onet_release") if isinstance(hierarchy, dict) else None
    return str(release) if release else None
