"""Prevalence distributions: the share of conversations per task, occupation or SOC major group.

A classification contributes its weight (1 per conversation, or a cluster's size) to the base node of its path.
Rolling up to occupations splits a task's weight evenly over the occupations whose statement it is (``1/n`` each
for a statement shared by ``n`` O*NET-SOC codes, from ``meta["soc_codes"]`` of the base node); major groups then
sum their occupations. Classifications without a path (invalid, or not classified) are left out, and the shares
are normalised over what remains.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal, get_args

import numpy as np
import pandas as pd

from harness.classify import Classification
from harness.taxonomy import SOC_MAJOR_GROUPS, Hierarchy, major_group_of

__all__ = ["PREVALENCE_LEVELS", "PrevalenceLevel", "item_names", "prevalence"]

PrevalenceLevel = Literal["task", "occupation", "category"]
PREVALENCE_LEVELS: tuple[str, ...] = get_args(PrevalenceLevel)


def _base_nodes(source: Sequence[Classification] | pd.DataFrame, hierarchy: Hierarchy) -> list[str | None]:
    """Base node id of each classification or fact row (``None`` when it has none)."""
    if isinstance(source, pd.DataFrame):
        column = f"node_{hierarchy.base}"
        if column in source.columns:
            nodes = [None if pd.isna(v) else str(v) for v in source[column]]
        elif "path" in source.columns:
            nodes = [str(p[-1]) if p is not None and len(p) else None for p in source["path"]]
        else:
            raise ValueError(f"a facts table needs a {column!r} or 'path' column; it has {list(source.columns)}")
        if "valid" in source.columns:
            nodes = [n if bool(v) else None for n, v in zip(nodes, source["valid"], strict=True)]
        return nodes
    return [c.path[-1] if (c.valid and c.path) else None for c in source]


def _soc_codes(hierarchy: Hierarchy, node_id: str) -> list[str]:
    codes = list(hierarchy[node_id].meta.get("soc_codes") or ())
    if not codes:
        raise ValueError(
            f"base node {node_id!r} of {hierarchy.id} has no meta['soc_codes']; occupation and category "
            "prevalence need base nodes linked to O*NET-SOC codes (as in the work-activity hierarchy)"
        )
    return [str(c) for c in codes]


def prevalence(
    source: Sequence[Classification] | pd.DataFrame,
    hierarchy: Hierarchy,
    *,
    level: PrevalenceLevel,
    weights: Sequence[float] | np.ndarray | None = None,
) -> pd.Series:
    """Share of the (weighted) conversations at each item of ``level``.

    Args:
        source: Classifications, or a facts table with a ``node_<base level>`` or ``path`` column (and optionally
            ``valid``; rows with ``valid`` false are left out).
        hierarchy: The hierarchy the paths refer to.
        level: ``"task"`` (base node id), ``"occupation"`` (O*NET-SOC code; a statement shared by ``n``
            occupations gives each ``1/n`` of its weight) or ``"category"`` (2-digit SOC major group).
        weights: One non-negative weight per classification/row (default 1 each), e.g. cluster sizes.

    Returns:
        A float Series indexed by item id (sorted), named ``level``, summing to 1; empty when nothing has a path
        or all weights are zero.

    Raises:
        ValueError: On an unknown level, weights of the wrong length or negative/non-finite, a node missing from
            the hierarchy, or (occupation/category) a base node without ``meta["soc_codes"]``.
    """
    if level not in PREVALENCE_LEVELS:
        raise ValueError(f"level must be one of {PREVALENCE_LEVELS}, got {level!r}")
    nodes = _base_nodes(source, hierarchy)
    w = np.ones(len(nodes)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(nodes),):
        raise ValueError(f"weights must have one entry per classification ({len(nodes)}), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("weights must be finite and non-negative")
    totals: dict[str, float] = {}
    for node_id, weight in zip(nodes, w, strict=True):
        if node_id is None or weight == 0:
            continue
        if node_id not in hierarchy:
            raise ValueError(f"node {node_id!r} is not in hierarchy {hierarchy.id}")
        if level == "task":
            totals[node_id] = totals.get(node_id, 0.0) + float(weight)
            continue
        codes = _soc_codes(hierarchy, node_id)
        part = float(weight) / len(codes)
        for code in codes:
            key = code if level == "occupation" else major_group_of(code)
            totals[key] = totals.get(key, 0.0) + part
    series = pd.Series(totals, dtype=float, name=level).sort_index()
    total = float(series.sum())
    if total > 0:
        series = series / total
    series.index.name = "item_id"
    return series


_OCCUPATIONS_RE = re.compile(r"^Occupations:\s*(.*)$", re.S)


def item_names(
    items: Iterable[str],
    hierarchy: Hierarchy,
    *,
    level: PrevalenceLevel,
    occupation_titles: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Readable names of prevalence items: task statements, occupation titles, major-group titles.

    Occupation titles come from ``occupation_titles`` (e.g. ``OnetRelease.occupations``) when given, else from
    the base nodes' descriptions of the work-activity hierarchy (``"Occupations: A; B"``, in ``soc_codes``
    order); an item with no known name keeps its id.
    """
    items = list(items)
    if level == "task":
        return {i: hierarchy[i].name if i in hierarchy else i for i in items}
    if level == "category":
        return {i: SOC_MAJOR_GROUPS.get(i, i) for i in items}
    titles = dict(occupation_titles or {})
    wanted = set(items) - set(titles)
    if wanted:
        for node in hierarchy.level_nodes(hierarchy.base):
            codes = list(node.meta.get("soc_codes") or ())
            match = _OCCUPATIONS_RE.match(node.description or "")
            if not codes or not match or not wanted.intersection(codes):
                continue
            names = [s.strip() for s in match.group(1).split(";")]
            if len(names) == len(codes):  # a title containing ';' would misalign; keep ids then
                for code, name in zip(codes, names, strict=True):
                    titles.setdefault(code, name)
            wanted -= set(titles)
            if not wanted:
                break
    return {i: titles.get(i, i) for i in items}
