"""Fact table → walled task, occupation, major-group, pattern and skill tables.

The fact table has one row per conversation (see :data:`harness.run.FACT_COLUMNS`; read one with
:func:`harness.run.read_facts`). Task → occupation links come from a
*links table* with columns ``statement_key`` and ``soc_codes`` (a tuple of O*NET-SOC codes), the layout of both
``OnetRelease.statements`` (O*NET 29.3) and ``EconomicIndexRelease.statements`` (O*NET 20.1), so the same
roll-up works with either taxonomy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from harness.aggregate._privacy import CellSet, PrivacyPolicy, WalledTable, wall_cells
from harness.errors import InputError
from harness.run import validate_facts
from harness.taxonomy import COLLABORATION_PATTERNS

__all__ = ["Aggregate", "aggregate_facts", "classified_rows", "explode_links"]

_PATTERNS = (*COLLABORATION_PATTERNS, "none")


@dataclass(frozen=True)
class Aggregate:
    """Everything the aggregation stage may report about a fact table, behind one privacy policy.

    Attributes:
        policy: The thresholds applied.
        tasks: ``statement_key``, ``statement``, ``conversations``, ``accounts``, ``pct`` (share of released
            conversations, %), ``pct_accounts`` (share of released accounts that used the task, %).
        occupations: ``soc_code``, ``major_group``, ``conversations`` (a task linked to n occupations gives each
            1/n of its conversations), ``accounts`` (distinct accounts with a conversation on a linked task),
            ``pct`` (share of released conversations, %).
        major_groups: ``major_group``, ``conversations``, ``accounts``, ``pct``.
        patterns: ``pattern``, ``conversations``, ``pct`` over released conversations; the row ``"withheld"``
            holds task × pattern cells that did not pass the wall.
        patterns_by_task: ``statement_key`` and one column per pattern plus ``withheld`` (conversations).
        skills: ``skill``, ``conversations``, ``accounts``, ``pct`` (share of released conversations, %).
        released_conversations: Conversations behind the reported task cells.
        released_accounts: Distinct accounts behind them.
        withheld_conversations: The single "not classified / below threshold" total (non-occupational,
            unclassified and below-threshold conversations together), or ``None`` when it is itself withheld.
    """

    policy: PrivacyPolicy
    tasks: WalledTable = field(repr=False)
    occupations: WalledTable = field(repr=False)
    major_groups: WalledTable = field(repr=False)
    patterns: WalledTable = field(repr=False)
    patterns_by_task: WalledTable = field(repr=False)
    skills: WalledTable = field(repr=False)
    released_conversations: int
    released_accounts: int
    withheld_conversations: int | None

    def tables(self) -> dict[str, WalledTable]:
        return {
            t.name: t
            for t in (self.tasks, self.occupations, self.major_groups, self.patterns, self.patterns_by_task,
                      self.skills)
        }


def explode_links(links: pd.DataFrame) -> pd.DataFrame:
    """Links table → one row per (statement_key, soc_code) with ``weight`` = 1 / number of occupations."""
    if not {"statement_key", "soc_codes"} <= set(links.columns):
        raise ValueError("links table needs columns statement_key and soc_codes (tuple of O*NET-SOC codes)")
    exploded = links[["statement_key", "soc_codes"]].explode("soc_codes").dropna(subset=["soc_codes"])
    exploded = exploded.rename(columns={"soc_codes": "soc_code"})
    n = exploded.groupby("statement_key")["soc_code"].transform("size")
    exploded["weight"] = 1.0 / n
    exploded["major_group"] = exploded["soc_code"].str[:2]
    return exploded.reset_index(drop=True)


def _released_share(count: pd.Series, total: float) -> pd.Series:
    return 100.0 * count / total if total else count * np.nan


def aggregate_facts(
    facts: pd.DataFrame,
    links: pd.DataFrame,
    *,
    policy: PrivacyPolicy | None = None,
    source: str = "facts",
    withhold: CellSet | None = None,
) -> Aggregate:
    """Aggregate a fact table behind the privacy wall and roll tasks up to occupations and major groups.

    Args:
        facts: One row per conversation with :data:`harness.run.FACT_COLUMNS` (and optionally ``skills``, a list
            of skill names). ``statement_key`` is the normalised base-task statement, null when not classified.
        links: Task → occupation links (``statement_key``, ``soc_codes``; optional ``statement``).
        policy: Privacy thresholds (default :class:`PrivacyPolicy()`, the minimum allowed).
        source: Label recorded in every output table.
        withhold: Cells to withhold whatever their support (the cells an earlier release of an overlapping
            population withheld, see :class:`harness.aggregate.ReleaseLedger`); they join the residual like any
            cell below the wall.

    Returns:
        The walled :class:`Aggregate`.

    Raises:
        InputError: the fact table lacks a column, repeats a conversation, or names a task not in ``links``.
    """
    policy = policy or PrivacyPolicy()
    withhold = withhold or CellSet()
    validate_facts(facts)
    released = _release_tasks(facts, links, policy, source, withhold.tasks)
    rel, n_rel = released.rows, len(released.rows)
    n_rel_accounts = int(rel["account"].nunique())

    def table(name: str, frame: pd.DataFrame, note: str) -> WalledTable:
        return WalledTable(name, frame.reset_index(drop=True), policy, source, released.withheld, note)

    tasks = _task_table(released, links, n_rel, n_rel_accounts)
    levels = _occupation_tables(released, explode_links(links), tasks, n_rel)
    patterns_by_task, patterns = _pattern_tables(released, policy, n_rel, withhold.patterns)
    # Skills: each skill is a cell; the withheld skills form one residual that must pass the wall too.
    skills = _skills(facts, released.mask, released.account_codes, policy, n_rel, withhold.skills)
    return Aggregate(
        policy=policy,
        tasks=table("tasks", tasks, "Reported task cells; shares are of released conversations."),
        occupations=table("occupations", levels["soc_code"],
                          "Task conversations split equally among the task's linked occupations."),
        major_groups=table("major_groups", levels["major_group"], "Sum of occupation shares by SOC major group."),
        patterns=table("patterns", patterns, "Collaboration patterns of released conversations."),
        patterns_by_task=table("patterns_by_task", patterns_by_task,
                               "Conversations by task and collaboration pattern."),
        skills=table("skills", skills, "Conversations (released tasks only) that exercise each skill."),
        released_conversations=n_rel,
        released_accounts=n_rel_accounts,
        withheld_conversations=released.withheld,
    )


@dataclass(frozen=True)
class _Released:
    """The conversations whose task cell passed the wall, as integer codes (fast group-bys on millions of rows).

    Attributes:
        rows: One row per released conversation: ``task`` and ``account`` codes, ``pattern``.
        mask: Which fact rows were released.
        task_labels: Statement key of each task code.
        account_codes: Account code of every fact row.
        withheld: The single residual total, or None when it is withheld itself.
    """

    rows: pd.DataFrame
    mask: np.ndarray
    task_labels: pd.Index
    account_codes: np.ndarray
    withheld: int | None

    def statement_keys(self, codes: np.ndarray) -> np.ndarray:
        return np.asarray(self.task_labels, dtype=object)[codes]


def _release_tasks(facts: pd.DataFrame, links: pd.DataFrame, policy: PrivacyPolicy, source: str,
                   withhold: frozenset[str] = frozenset()) -> _Released:
    """Apply the wall to task cells (occupational, classified conversations); every other row is residual."""
    keys = facts["statement_key"].astype("object")
    classified = classified_rows(facts)
    unknown = classified & ~keys.isin(set(links["statement_key"])).to_numpy()
    if unknown.any():
        row = int(np.argmax(unknown))
        raise InputError(source, f"task {keys.iloc[row]!r} is not in the links table", line=row + 1,
                         field="statement_key")
    task_codes, task_labels = pd.factorize(keys.where(classified))
    account_codes, _ = pd.factorize(facts["account_id"])
    cells = pd.Series(np.where(task_codes >= 0, task_codes, np.nan))
    forced = pd.Series(keys.isin(withhold).to_numpy() & classified)
    kept_codes, residual = wall_cells(cells, pd.Series(account_codes), policy, residual_mask=forced)
    mask = np.isin(task_codes, np.asarray(kept_codes, dtype=np.int64))
    rows = pd.DataFrame(
        {
            "task": task_codes[mask],
            "account": account_codes[mask],
            "pattern": facts["pattern"].astype("object").to_numpy()[mask],
        }
    )
    return _Released(rows, mask, pd.Index(task_labels), account_codes, None if residual is None else residual[0])


def classified_rows(facts: pd.DataFrame) -> np.ndarray:
    """Rows that may count in a task cell: occupational, with a task, and not abstained.

    An abstained row (its confidence fell below the run's ``--min-confidence``) joins the residual like an
    unclassified one; tables without an ``abstained`` column have none.
    """
    keys = facts["statement_key"].astype("object")
    occupational = facts["occupational"].fillna(False).astype(bool).to_numpy()
    mask = occupational & keys.notna().to_numpy()
    if "abstained" in facts.columns:
        mask &= ~facts["abstained"].fillna(False).astype(bool).to_numpy()
    return mask


def _task_table(released: _Released, links: pd.DataFrame, n_rel: int, n_rel_accounts: int) -> pd.DataFrame:
    g = released.rows.groupby("task", sort=False)["account"]
    tasks = pd.DataFrame({"conversations": g.size(), "accounts": g.nunique()})
    tasks.insert(0, "statement_key", released.statement_keys(tasks.index.to_numpy()))
    if "statement" in links.columns:
        tasks.insert(1, "statement", tasks["statement_key"].map(links.set_index("statement_key")["statement"]))
    tasks["pct"] = _released_share(tasks["conversations"], n_rel)
    tasks["pct_accounts"] = _released_share(tasks["accounts"], n_rel_accounts)
    return tasks.sort_values(["conversations", "statement_key"], ascending=[False, True])


def _occupation_tables(
    released: _Released, link_rows: pd.DataFrame, tasks: pd.DataFrame, n_rel: int
) -> dict[str, pd.DataFrame]:
    """Occupations and major groups: weighted conversations from reported tasks; distinct accounts side by side."""
    task_links = link_rows.merge(tasks[["statement_key", "conversations"]], on="statement_key", how="inner")
    task_links["task"] = released.task_labels.get_indexer(task_links["statement_key"])
    pairs = released.rows[["task", "account"]].drop_duplicates()
    pair_links = pairs.merge(task_links[["task", "soc_code", "major_group"]], on="task")
    levels = {}
    for level in ("soc_code", "major_group"):
        conv = (task_links["conversations"] * task_links["weight"]).groupby(task_links[level]).sum()
        acc = pair_links[[level, "account"]].drop_duplicates().groupby(level).size()
        levels[level] = level_frame(conv, acc, level, n_rel)
    return levels


def level_frame(conversations: pd.Series, accounts: pd.Series, level: str, n_released: float) -> pd.DataFrame:
    """One roll-up level's table: conversations (1/n-weighted), accounts and share, largest first.

    Shared by the pandas and the columnar roll-ups, so both give the same table layout and order.
    """
    frame = pd.DataFrame({"conversations": conversations,
                          "accounts": accounts.reindex(conversations.index).fillna(0).astype(int)})
    frame["pct"] = _released_share(frame["conversations"], n_released)
    frame = frame.rename_axis(level).reset_index().sort_values(["conversations", level], ascending=[False, True])
    if level == "soc_code":
        frame.insert(1, "major_group", frame["soc_code"].str[:2])
    return frame


def _pattern_tables(released: _Released, policy: PrivacyPolicy, n_rel: int,
                    withhold: frozenset[tuple[str, str]] = frozenset()) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Patterns by task (wide) and overall.

    A task's breakdown is reported only if its withheld part passes the wall too; otherwise the whole breakdown of
    that task is withheld (the task total is public already).
    """
    rel = released.rows
    pat = rel.dropna(subset=["pattern"])
    pg = pat.groupby(["task", "pattern"], sort=False)["account"]
    pcells = pd.DataFrame({"conversations": pg.size(), "accounts": pg.nunique()}).reset_index()
    pcells["ok"] = (pcells["conversations"] >= policy.min_conversations) & (
        pcells["accounts"] >= policy.min_accounts
    )
    if withhold:
        pairs = zip(released.statement_keys(pcells["task"].to_numpy()), pcells["pattern"], strict=True)
        pcells.loc[[pair in withhold for pair in pairs], "ok"] = False
    task_total = rel.groupby("task").size()
    ok_total = pcells[pcells["ok"]].groupby("task")["conversations"].sum().reindex(task_total.index).fillna(0)
    res_conv = task_total - ok_total
    bad_pairs = pcells.loc[~pcells["ok"], ["task", "pattern"]]
    res_rows = pd.concat([
        rel[rel["pattern"].isna()][["task", "account"]],
        rel.merge(bad_pairs, on=["task", "pattern"])[["task", "account"]],
    ])
    res_acc = res_rows.groupby("task")["account"].nunique().reindex(task_total.index).fillna(0)
    res_ok = (res_conv == 0) | ((res_conv >= policy.min_conversations) & (res_acc >= policy.min_accounts))
    pcells.loc[~pcells["task"].map(res_ok).fillna(False).astype(bool).to_numpy(), "ok"] = False
    wide = pcells[pcells["ok"]].pivot_table(index="task", columns="pattern", values="conversations",
                                            aggfunc="sum", fill_value=0)
    wide = wide.reindex(index=task_total.index, columns=list(_PATTERNS), fill_value=0).astype(np.int64)
    wide["withheld"] = task_total - wide.sum(axis=1)
    wide.insert(0, "statement_key", released.statement_keys(wide.index.to_numpy()))
    overall = wide[[*_PATTERNS, "withheld"]].sum()
    patterns = pd.DataFrame({"pattern": overall.index, "conversations": overall.to_numpy()})
    patterns["pct"] = _released_share(patterns["conversations"], n_rel)
    return wide, patterns


def _skills(facts: pd.DataFrame, released_mask: np.ndarray, account_codes: np.ndarray,
            policy: PrivacyPolicy, n_rel: int, withhold: frozenset[str] = frozenset()) -> pd.DataFrame:
    empty = pd.DataFrame({"skill": [], "conversations": [], "accounts": [], "pct": []})
    if "skills" not in facts.columns or not released_mask.any():
        return empty
    frame = pd.DataFrame({"skill": facts["skills"].to_numpy()[released_mask],
                          "account": account_codes[released_mask]})
    frame = frame.explode("skill").dropna(subset=["skill"])
    if frame.empty:
        return empty
    kept, residual = wall_cells(frame["skill"], frame["account"], policy,
                                residual_mask=frame["skill"].isin(withhold))
    if residual is None:
        return empty
    frame = frame[frame["skill"].isin(kept)]
    g = frame.groupby("skill")["account"]
    out = pd.DataFrame({"conversations": g.size(), "accounts": g.nunique()}).reset_index()
    out["pct"] = _released_share(out["conversations"], n_rel)
    return out.sort_values(["conversations", "skill"], ascending=[False, True]).reset_index(drop=True)
