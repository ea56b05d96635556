"""The Economic Index analyses, on walled task shares from a fact table or from a published release.

Each analysis takes a *task usage* table (a :class:`WalledTable` with ``statement_key`` and ``pct``) plus the
task → occupation links and returns a :class:`WalledTable` that keeps the input's policy and source.

Method (chosen because it reproduces the first report's published numbers from ``release_2025_02_10``):

- Shares are renormalised over tasks that match a statement of the taxonomy (the release's ``"none"`` row, 0.48%
  of conversations, is left out).
- A task statement listed under n occupations gives each occupation 1/n of its share (equal split). Without
  the split, Computer and Mathematical would get 31.0% instead of the published 37.2%.
- Occupations roll up to SOC major groups by the first two digits of their code.
- Depth of use: the universe is every occupation that lists at least one task statement in the taxonomy (974
  in O*NET 20.1, including those with no use); an occupation's tasks are its linked statements; a task is *in
  use* when its share is positive, i.e. it appears in the walled usage table at all. "At least x" is ``>=``.
  This gives 57.2% / 36.2% / 11.5% / 4.1% at 10% / 25% / 50% / 75% (published: about 57 / 36 / 11 / 4).
- Automation vs augmentation: shares are normalised over the five patterns, leaving out "none" and conversations
  filtered before pattern classification; automation = directive + feedback loop, augmentation = task iteration
  + learning + validation. The first release gives 57.4% augmentation / 42.6% automation (published 57 / 43).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from harness.aggregate._privacy import WalledTable
from harness.aggregate._rollup import explode_links
from harness.taxonomy import AUGMENTATION, AUTOMATION, COLLABORATION_PATTERNS, SOC_MAJOR_GROUPS, pattern_mode

__all__ = [
    "automation_augmentation",
    "category_shares",
    "collaboration_by_group",
    "collaboration_by_task",
    "collaboration_from_tasks",
    "collaboration_overall",
    "compare_shares",
    "depth_of_use",
    "occupation_shares",
    "skills_distribution",
    "top_occupations",
    "top_tasks",
    "use_by_job_zone",
    "use_by_wage",
]

# "none" is left out of both modes here: the analyses normalise over the five patterns only
_MODE = {p: pattern_mode(p) for p in COLLABORATION_PATTERNS}


def _matched(usage: WalledTable, links: pd.DataFrame) -> pd.DataFrame:
    """Usage rows whose task is in the links table, with ``pct`` renormalised to sum to 100."""
    table = usage.table
    rows = table[table["statement_key"].isin(set(links["statement_key"])) & (table["pct"] > 0)]
    rows = rows[["statement_key", "pct"]].copy()
    total = rows["pct"].sum()
    rows["pct"] = 100.0 * rows["pct"] / total if total else np.nan
    return rows


def occupation_shares(usage: WalledTable, links: pd.DataFrame, *, titles: pd.DataFrame | None = None) -> WalledTable:
    """Share of use per occupation.

    Returns:
        ``soc_code``, ``title`` (when ``titles`` with ``soc_code``/``title`` is given), ``major_group``, ``pct``
        (% of matched use; a task linked to n occupations gives each 1/n), ``n_tasks_used``.
    """
    rows = _matched(usage, links).merge(explode_links(links), on="statement_key")
    rows["share"] = rows["pct"] * rows["weight"]
    g = rows.groupby("soc_code")
    out = pd.DataFrame({"pct": g["share"].sum(), "n_tasks_used": g.size()}).reset_index()
    out.insert(1, "major_group", out["soc_code"].str[:2])
    if titles is not None:
        out.insert(1, "title", out["soc_code"].map(titles.drop_duplicates("soc_code").set_index("soc_code")["title"]))
    out = out.sort_values(["pct", "soc_code"], ascending=[False, True]).reset_index(drop=True)
    return usage.with_table("occupation_shares", out, "Task shares split equally among linked occupations.")


def category_shares(
    usage: WalledTable, links: pd.DataFrame, *, bls_employment: pd.DataFrame | None = None,
    major_groups: pd.DataFrame | None = None,
) -> WalledTable:
    """Share of use per SOC major group, beside its share of US employment.

    Returns:
        ``major_group``, ``title``, ``pct_use``, ``pct_employment`` (BLS May 2023, NaN without it),
        ``representation_ratio`` (use share / employment share). Every major group with links appears, with 0
        when unused.
    """
    occ = occupation_shares(usage, links).table
    groups = sorted(set(explode_links(links)["major_group"]))
    use = occ.groupby("major_group")["pct"].sum().reindex(groups, fill_value=0.0)
    names = dict(SOC_MAJOR_GROUPS)
    if major_groups is not None:
        names.update(dict(zip(major_groups["major_group"], major_groups["title"], strict=False)))
    out = pd.DataFrame({"major_group": groups, "title": [names.get(g, g) for g in groups],
                        "pct_use": use.to_numpy()})
    if bls_employment is not None:
        emp = bls_employment.set_index("major_group")["employment"]
        out["pct_employment"] = 100.0 * out["major_group"].map(emp) / emp.sum()
    else:
        out["pct_employment"] = np.nan
    out["representation_ratio"] = out["pct_use"] / out["pct_employment"]
    out = out.sort_values("pct_use", ascending=False).reset_index(drop=True)
    return usage.with_table("category_shares", out, "Occupation shares summed by SOC major group.")


def top_occupations(usage: WalledTable, links: pd.DataFrame, *, n: int = 15,
                    titles: pd.DataFrame | None = None) -> WalledTable:
    """The ``n`` occupations with the largest share of use (columns as :func:`occupation_shares`)."""
    occ = occupation_shares(usage, links, titles=titles).table.head(n)
    return usage.with_table("top_occupations", occ, f"Top {n} occupations by share of use.")


def top_tasks(usage: WalledTable, links: pd.DataFrame, *, n: int = 15) -> WalledTable:
    """The ``n`` task statements with the largest share of use.

    Returns:
        ``statement_key``, ``statement`` (O*NET casing when ``links`` has it), ``pct``, ``n_occupations``.
    """
    rows = _matched(usage, links).sort_values(["pct", "statement_key"], ascending=[False, True]).head(n)
    info = links.set_index("statement_key")
    if "statement" in info.columns:
        rows.insert(1, "statement", rows["statement_key"].map(info["statement"]))
    rows["n_occupations"] = rows["statement_key"].map(info["soc_codes"].map(len))
    return usage.with_table("top_tasks", rows.reset_index(drop=True), f"Top {n} tasks by share of use.")


def depth_of_use(usage: WalledTable, links: pd.DataFrame, *, thresholds: np.ndarray | None = None) -> WalledTable:
    """Share of occupations with at least a given fraction of their tasks in use, as a curve.

    Args:
        usage: Task usage.
        links: Links table; its occupations (every code in ``soc_codes``) are the universe.
        thresholds: Fractions in [0, 1] (default 0.00, 0.01, ..., 1.00 plus the published 0.10/0.25/0.50/0.75).

    Returns:
        ``threshold`` (fraction of an occupation's tasks), ``pct_occupations`` (% of all occupations with at
        least that fraction in use), ``n_occupations`` (the universe size, constant).
    """
    if thresholds is None:
        thresholds = np.unique(np.round(np.r_[np.linspace(0, 1, 101), 0.1, 0.25, 0.5, 0.75], 6))
    pairs = explode_links(links)
    used = set(_matched(usage, links)["statement_key"])
    pairs["used"] = pairs["statement_key"].isin(used)
    per_occ = pairs.groupby("soc_code")["used"].mean().to_numpy()
    # Compare with a small tolerance so that e.g. 1/10 counts as "at least 10%".
    pct = [100.0 * float(np.mean(per_occ >= t - 1e-12)) for t in thresholds]
    out = pd.DataFrame({"threshold": thresholds, "pct_occupations": pct, "n_occupations": len(per_occ)})
    return usage.with_table("depth_of_use", out, "Occupations with at least x of their tasks in use.")


def use_by_wage(usage: WalledTable, links: pd.DataFrame, wages: pd.DataFrame) -> WalledTable:
    """Share of use of each occupation beside its median annual wage.

    Returns:
        ``soc_code``, ``title``, ``major_group``, ``median_wage`` (USD a year), ``pct`` (0 for unused occupations
        with a wage), ``job_zone``. Occupations without a wage are left out.
    """
    occ = occupation_shares(usage, links).table[["soc_code", "pct"]]
    universe = pd.DataFrame({"soc_code": sorted(set(explode_links(links)["soc_code"]))})
    w = wages[["soc_code", "title", "median_wage", "job_zone"]]
    out = universe.merge(w, on="soc_code").merge(occ, on="soc_code", how="left").fillna({"pct": 0.0})
    out.insert(2, "major_group", out["soc_code"].str[:2])
    out = out.dropna(subset=["median_wage"]).sort_values("median_wage").reset_index(drop=True)
    return usage.with_table("use_by_wage", out, "Occupation shares against median annual wage.")


def use_by_job_zone(usage: WalledTable, links: pd.DataFrame, wages: pd.DataFrame) -> WalledTable:
    """Share of use per O*NET job zone with its representation ratio.

    Returns:
        ``job_zone`` (1–5), ``pct_use`` (% of use among occupations with a known zone), ``n_occupations``,
        ``pct_occupations`` (% of occupations in the universe with a known zone), ``representation_ratio``
        (``pct_use / pct_occupations``; above 1 means more use than the zone's share of occupations).
    """
    table = use_by_wage(usage, links, wages).table.dropna(subset=["job_zone"])
    g = table.groupby("job_zone")
    out = pd.DataFrame({"use": g["pct"].sum(), "n_occupations": g.size()}).reset_index()
    out["job_zone"] = out["job_zone"].astype(int)
    out["pct_use"] = 100.0 * out.pop("use") / table["pct"].sum()
    out["pct_occupations"] = 100.0 * out["n_occupations"] / out["n_occupations"].sum()
    out["representation_ratio"] = out["pct_use"] / out["pct_occupations"]
    return usage.with_table("use_by_job_zone", out[["job_zone", "pct_use", "n_occupations", "pct_occupations",
                                                    "representation_ratio"]],
                            "Use share by job zone relative to the zone's share of occupations.")


def collaboration_overall(collaboration: WalledTable) -> WalledTable:
    """Collaboration patterns normalised over the five patterns.

    Args:
        collaboration: ``pattern``, ``pct`` (any scale; "none", "filtered" and "withheld" rows are kept in the
            output for reference but excluded from the normalisation).

    Returns:
        ``pattern``, ``mode`` ("automation", "augmentation" or "excluded"), ``pct`` (as given),
        ``pct_of_patterns`` (% of the five patterns; NaN for excluded rows).
    """
    t = collaboration.table[["pattern", "pct"]].copy()
    t["mode"] = t["pattern"].map(_MODE).fillna("excluded")
    five = t["mode"] != "excluded"
    t["pct_of_patterns"] = np.where(five, 100.0 * t["pct"] / t.loc[five, "pct"].sum(), np.nan)
    order = {p: i for i, p in enumerate((*COLLABORATION_PATTERNS, "none", "filtered", "withheld"))}
    t = t.sort_values("pattern", key=lambda s: s.map(order).fillna(99)).reset_index(drop=True)
    return collaboration.with_table("collaboration", t[["pattern", "mode", "pct", "pct_of_patterns"]],
                                    "Pattern shares normalised over the five collaboration patterns.")


def automation_augmentation(collaboration: WalledTable) -> WalledTable:
    """Automation vs augmentation: ``mode``, ``pct`` (% of the five patterns; the two rows sum to 100).

    When no conversation of the five patterns is in the table (every pattern cell withheld by the wall, or none
    classified) there is nothing to split, and both shares are NaN rather than a made-up 0.
    """
    t = collaboration_overall(collaboration).table
    five = t[t["mode"] != "excluded"]
    if not (pd.to_numeric(five["pct"], errors="coerce") > 0).any():
        shares = [np.nan, np.nan]
    else:
        by_mode = five.groupby("mode")["pct_of_patterns"].sum()
        shares = [by_mode.get("augmentation", 0.0), by_mode.get("automation", 0.0)]
    out = pd.DataFrame({"mode": ["augmentation", "automation"], "pct": shares})
    return collaboration.with_table("automation_augmentation", out,
                                    "Automation = directive + feedback loop; augmentation = task iteration "
                                    "+ learning + validation; none/filtered excluded.")


def _pattern_fractions(by_task: pd.DataFrame) -> pd.DataFrame:
    """Per task, fractions of the five patterns among its pattern-classified conversations (NaN if none)."""
    five = by_task[list(COLLABORATION_PATTERNS)].astype(float)
    total = five.sum(axis=1)
    frac = five.div(total.where(total > 0), axis=0)
    frac.insert(0, "statement_key", by_task["statement_key"].to_numpy())
    frac["pattern_weight"] = total.to_numpy()
    return frac


def collaboration_by_task(by_task: pd.DataFrame, usage: WalledTable, links: pd.DataFrame) -> WalledTable:
    """Automation and augmentation share of each task.

    Args:
        by_task: ``statement_key`` and the five pattern columns (fractions or counts; other columns such as
            ``filtered``/``none``/``withheld`` are ignored).
        usage: Task usage (adds ``pct`` of use for weighting and sorting).
        links: Links table (only tasks in it are kept).

    Returns:
        ``statement_key``, the five pattern columns (fractions of the five), ``automation``, ``augmentation``
        (fractions summing to 1), ``pct`` (share of use). Tasks with no pattern-classified conversations are
        dropped.
    """
    frac = _pattern_fractions(by_task).dropna(subset=[COLLABORATION_PATTERNS[0]])
    frac = frac[frac["statement_key"].isin(set(links["statement_key"]))]
    frac["automation"] = frac[list(AUTOMATION)].sum(axis=1)
    frac["augmentation"] = frac[list(AUGMENTATION)].sum(axis=1)
    shares = _matched(usage, links).set_index("statement_key")["pct"]
    frac["pct"] = frac["statement_key"].map(shares).astype("float64").fillna(0.0)  # float even when empty
    frac = frac.drop(columns="pattern_weight").sort_values("pct", ascending=False).reset_index(drop=True)
    return usage.with_table("collaboration_by_task", frac, "Pattern mix of each task over the five patterns.")


def collaboration_by_group(
    by_task: pd.DataFrame, usage: WalledTable, links: pd.DataFrame, *, level: str = "major_group",
    major_groups: pd.DataFrame | None = None,
) -> WalledTable:
    """Automation and augmentation by occupation (``level="soc_code"``) or major group (``"major_group"``).

    Each task's pattern mix is weighted by its share of use, split 1/n among linked occupations, so the weights
    are the same as in :func:`occupation_shares`.

    Returns:
        ``soc_code`` or ``major_group`` (with ``title`` for major groups), the five pattern shares,
        ``automation``, ``augmentation`` (fractions of the five), ``pct`` (share of use covered).
    """
    if level not in ("soc_code", "major_group"):
        raise ValueError(f"level must be 'soc_code' or 'major_group', got {level!r}")
    frac = collaboration_by_task(by_task, usage, links).table
    rows = frac.merge(explode_links(links), on="statement_key")
    rows["w"] = rows["pct"] * rows["weight"]
    rows = rows[rows["w"] > 0]
    cols = [*COLLABORATION_PATTERNS, "automation", "augmentation"]
    weighted = rows[cols].mul(rows["w"], axis=0).groupby(rows[level]).sum()
    wsum = rows.groupby(level)["w"].sum()
    out = weighted.div(wsum, axis=0)
    out["pct"] = wsum
    out = out.reset_index().sort_values("pct", ascending=False).reset_index(drop=True)
    if level == "major_group":
        names = dict(SOC_MAJOR_GROUPS)
        if major_groups is not None:
            names.update(dict(zip(major_groups["major_group"], major_groups["title"], strict=False)))
        out.insert(1, "title", out["major_group"].map(names))
    name = "collaboration_by_category" if level == "major_group" else "collaboration_by_occupation"
    return usage.with_table(name, out, f"Pattern mix by {level}, weighted by share of use.")


def collaboration_from_tasks(by_task: pd.DataFrame, usage: WalledTable, links: pd.DataFrame) -> WalledTable:
    """Overall pattern shares implied by per-task pattern mixes weighted by task shares (``pattern``, ``pct``)."""
    frac = collaboration_by_task(by_task, usage, links).table
    totals = frac[list(COLLABORATION_PATTERNS)].mul(frac["pct"], axis=0).sum()
    out = pd.DataFrame({"pattern": totals.index, "pct": 100.0 * totals.to_numpy() / totals.sum()})
    return usage.with_table("collaboration_from_tasks", out, "Task pattern mixes weighted by task share of use.")


def skills_distribution(skills: WalledTable, *, n: int | None = None) -> WalledTable:
    """Skills by share of released conversations (``skill``, ``conversations``, ``accounts``, ``pct``)."""
    t = skills.table.sort_values("pct", ascending=False)
    if n is not None:
        t = t.head(n)
    return skills.with_table("skills_distribution", t.reset_index(drop=True), "Share of conversations per skill.")


def compare_shares(a: WalledTable, b: WalledTable, *, key: str, value: str = "pct",
                   labels: tuple[str, str] = ("a", "b")) -> WalledTable:
    """Compare one share column of two runs (or two release versions), cell by cell.

    Returns:
        ``key``, ``<value>_<label a>``, ``<value>_<label b>`` (0 where a run does not report the cell),
        ``in_<a>``, ``in_<b>`` (bool), ``diff`` (b − a, percentage points), ``ratio`` (b / a), sorted by
        absolute difference. Both inputs are walled, so their differences are too.
    """
    la, lb = labels
    ta = a.table[[key, value]].rename(columns={value: f"{value}_{la}"})
    tb = b.table[[key, value]].rename(columns={value: f"{value}_{lb}"})
    out = ta.merge(tb, on=key, how="outer", indicator=True)
    out[f"in_{la}"] = out["_merge"] != "right_only"
    out[f"in_{lb}"] = out["_merge"] != "left_only"
    out = out.drop(columns="_merge").fillna({f"{value}_{la}": 0.0, f"{value}_{lb}": 0.0})
    out["diff"] = out[f"{value}_{lb}"] - out[f"{value}_{la}"]
    out["ratio"] = out[f"{value}_{lb}"] / out[f"{value}_{la}"].replace(0.0, np.nan)
    out = out.reindex(out["diff"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    policy = a.policy if a.policy == b.policy else None
    source = f"{a.source} vs {b.source}"
    return WalledTable(f"compare_{key}", out, policy, source, None, f"{lb} minus {la} by {key}.")
