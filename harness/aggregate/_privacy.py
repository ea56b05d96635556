"""The privacy wall: which cells may be reported, and the type that carries walled results.

Every number the aggregation stage reports comes from a *cell* (a task, a task × pattern pair, a skill, ...)
that holds at least ``min_conversations`` conversations from at least ``min_accounts`` distinct accounts.
Cells below either threshold are withheld and their mass is reported only inside one residual total. The
residual itself must pass the wall (or be empty); when it does not, the smallest reported cells are moved into
it until it does (secondary suppression), so a single small cell can never be read off as "total minus the
rest". Coarser levels (occupations, major groups, overall shares) are sums of reported cells only, so
differences between levels reveal nothing that the reported cells do not already show.

That guarantee holds for one release. Two releases of overlapping populations can still be differenced (a task
withheld at 14 conversations and reported at 15 a conversation later shows its earlier count); a
:class:`CellSet` of cells to withhold whatever their support is how :mod:`harness.aggregate._ledger` closes that gap.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["CellSet", "PrivacyPolicy", "WalledTable", "wall_cells"]

_MIN_CONVERSATIONS = 15
_MIN_ACCOUNTS = 5


@dataclass(frozen=True)
class PrivacyPolicy:
    """Minimum support of every reported cell.

    Args:
        min_conversations: Conversations a cell needs (at least 15; may be raised, never lowered).
        min_accounts: Distinct accounts a cell needs (at least 5; may be raised, never lowered).

    Raises:
        ValueError: a threshold is not an integer or is below its default; the wall cannot be switched off.
    """

    min_conversations: int = _MIN_CONVERSATIONS
    min_accounts: int = _MIN_ACCOUNTS

    def __post_init__(self) -> None:
        for name, floor in (("min_conversations", _MIN_CONVERSATIONS), ("min_accounts", _MIN_ACCOUNTS)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if value < floor:
                raise ValueError(f"{name} may be raised but not lowered below {floor}; got {value}")

    def admits(self, conversations: float, accounts: float) -> bool:
        """Whether a cell with this support may be reported."""
        return conversations >= self.min_conversations and accounts >= self.min_accounts

    def as_dict(self) -> dict[str, int]:
        return {"min_conversations": int(self.min_conversations), "min_accounts": int(self.min_accounts)}


@dataclass(frozen=True)
class CellSet:
    """Cells of the three walls, named by label: tasks, task × pattern pairs and skills.

    Used both for the cells a release reported or withheld and for cells that must be withheld whatever their
    support (passed to :func:`harness.aggregate.aggregate_facts` as ``withhold``).

    Attributes:
        tasks: Statement keys.
        patterns: ``(statement_key, pattern)`` pairs.
        skills: Skill names.
    """

    tasks: frozenset[str] = frozenset()
    patterns: frozenset[tuple[str, str]] = frozenset()
    skills: frozenset[str] = frozenset()

    @classmethod
    def of(cls, tasks: Iterable[str] = (), patterns: Iterable[tuple[str, str]] = (),
           skills: Iterable[str] = ()) -> CellSet:
        """A cell set from any iterables (pairs given as lists, e.g. read from JSON, become tuples)."""
        return cls(frozenset(map(str, tasks)), frozenset((str(k), str(p)) for k, p in patterns),
                   frozenset(map(str, skills)))

    def __or__(self, other: CellSet) -> CellSet:
        return CellSet(self.tasks | other.tasks, self.patterns | other.patterns, self.skills | other.skills)

    def __and__(self, other: CellSet) -> CellSet:
        return CellSet(self.tasks & other.tasks, self.patterns & other.patterns, self.skills & other.skills)

    def __len__(self) -> int:
        return len(self.tasks) + len(self.patterns) + len(self.skills)

    def labels(self) -> list[str]:
        """Readable labels of every cell, sorted (for messages)."""
        return sorted([f"task {k!r}" for k in self.tasks] + [f"pattern {p!r} of task {k!r}" for k, p in self.patterns]
                      + [f"skill {s!r}" for s in self.skills])

    def as_json(self) -> dict[str, list[Any]]:
        return {"tasks": sorted(self.tasks), "patterns": [list(p) for p in sorted(self.patterns)],
                "skills": sorted(self.skills)}


@dataclass(frozen=True)
class WalledTable:
    """A table released from behind the privacy wall, with the policy that was applied.

    Attributes:
        name: Short identifier (also the file stem when written out).
        table: The rows; columns are documented by the function that produced it.
        policy: The policy applied, or ``None`` for numbers taken from a published release, which its publisher
            already walled (the source says which).
        source: Where the numbers come from, e.g. ``"facts"`` or ``"Economic Index release_2025_02_10 (v1)"``.
        withheld_conversations: Conversations in the single "not classified / below threshold" total, or
            ``None`` when that total is itself withheld or not applicable.
        note: How the table was computed, in a sentence or two.
    """

    name: str
    table: pd.DataFrame = field(repr=False)
    policy: PrivacyPolicy | None
    source: str
    withheld_conversations: float | None = None
    note: str = ""

    def with_table(self, name: str, table: pd.DataFrame, note: str = "") -> WalledTable:
        """A derived table that keeps this one's policy, source and withheld total."""
        return WalledTable(name, table, self.policy, self.source, self.withheld_conversations, note)

    def to_json_dict(self) -> dict[str, Any]:
        """JSON-ready form: metadata plus the rows (NaN written as null)."""
        rows = json.loads(self.table.to_json(orient="records", double_precision=10))
        return {
            "name": self.name,
            "source": self.source,
            "policy": None if self.policy is None else self.policy.as_dict(),
            "withheld_conversations": _jsonable(self.withheld_conversations),
            "note": self.note,
            "columns": list(map(str, self.table.columns)),
            "rows": rows,
        }


def _jsonable(value: float | None) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return float(value)


def wall_cells(
    cells: pd.Series, accounts: pd.Series, policy: PrivacyPolicy, *, residual_mask: pd.Series | None = None
) -> tuple[pd.Index, tuple[int, int] | None]:
    """Decide which cells of a one-row-per-conversation table may be reported.

    Args:
        cells: Cell label of each row (NaN = the row belongs to the residual from the start, e.g. unclassified).
        accounts: Account of each row (any hashable; integer codes are fastest).
        policy: Thresholds to apply.
        residual_mask: Optional extra rows (True) that always count towards the residual.

    Returns:
        The labels of the reportable cells, and ``(conversations, accounts)`` of the residual, or ``None`` when the
        residual could not be made to pass the wall (then no cell is reportable either).
    """
    frame = pd.DataFrame({"cell": cells.to_numpy(), "account": accounts.to_numpy()})
    in_residual = frame["cell"].isna().to_numpy()
    if residual_mask is not None:
        in_residual = in_residual | residual_mask.to_numpy(dtype=bool)  # a new array: to_numpy() may be read-only
    labelled = frame[~in_residual]
    grouped = labelled.groupby("cell", observed=True, sort=False)["account"]
    support = pd.DataFrame({"conversations": grouped.size(), "accounts": grouped.nunique()})
    ok = (support["conversations"] >= policy.min_conversations) & (support["accounts"] >= policy.min_accounts)
    kept = support[ok].sort_values(["conversations", "accounts"], kind="stable")
    residual_cells = set(support.index[~ok])
    base = frame[in_residual]
    while True:
        withheld = pd.concat([base, labelled[labelled["cell"].isin(residual_cells)]])
        n_conv, n_acc = len(withheld), withheld["account"].nunique()
        if n_conv == 0 or policy.admits(n_conv, n_acc):
            return kept.index, (int(n_conv), int(n_acc))
        if kept.empty:
            return kept.index, None
        # Secondary suppression: withhold the smallest reported cell too, so the residual is not one small cell.
        residual_cells.add(kept.index[0])
        kept = kept.iloc[1:]
