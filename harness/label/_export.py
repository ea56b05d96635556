"""Gather every rater's committed labels of a session, and write them out as a goldset.

The labels of an item, in the order the goldset lists them: labels the items file already held (a rater's file
replaces that rater's earlier label: they relabelled it in the workbench), then each rater's file in name order,
and the adjudicated label last. An adjudicated label is a rater of its own; the link to the labels it resolved is
kept in the item's ``sample`` as ``{"adjudication": {"rater": ..., "resolves": [...]}}``, because the goldset label
format has no field for it and ``sample`` is the item's free-form provenance.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.evaluate import RaterLabel, validate_goldset, write_goldset
from harness.label._items import LabelItem
from harness.label._store import rater_file, read_label_files

__all__ = ["ExportSummary", "SessionLabels", "collect_labels", "export_goldset", "label_from_json"]


def label_from_json(obj: Mapping[str, Any]) -> RaterLabel:
    """A committed label (goldset label form) as a :class:`~harness.evaluate.RaterLabel`."""
    return RaterLabel(rater=obj["rater"], occupational=obj["occupational"], tasks=tuple(obj.get("tasks", ())),
                      pattern=obj["pattern"], confidence=obj["confidence"], notes=obj.get("notes") or "",
                      date=obj.get("date") or None)


@dataclass(frozen=True)
class SessionLabels:
    """The committed labels of a session.

    Attributes:
        labels: Item id → rater → label, in goldset order (see the module docstring).
        adjudicated: Item id → ``(adjudicating rater, raters resolved)``.
    """

    labels: Mapping[str, Mapping[str, RaterLabel]]
    adjudicated: Mapping[str, tuple[str, tuple[str, ...]]]


def collect_labels(items: Sequence[LabelItem], labels_dir: str | os.PathLike[str]) -> SessionLabels:
    """Every committed label of ``items``: the items file's own and those in the rater files of ``labels_dir``.

    Raises:
        InputError: When a rater file holds a label for an item id whose conversation is not the one it was made
            on (the items file changed under the labels), or a label that is not a valid label.
    """
    files = read_label_files(labels_dir)
    by_id = {item.id: item for item in items}
    labels: dict[str, dict[str, RaterLabel]] = {item.id: {lb.rater: lb for lb in item.labels} for item in items}
    adjudicated: dict[str, tuple[str, tuple[str, ...]]] = {}
    for rater in sorted(files, key=str.lower):
        for item_id, record in files[rater].items():
            committed = record.get("committed")
            if not committed or item_id not in by_id:
                continue
            where = rater_file(labels_dir, rater)
            if record.get("conversation_sha256") != by_id[item_id].digest:
                raise InputError(where, f"holds a label of item {item_id!r} made on a different conversation "
                                 "than the items file has now", field=f"records.{item_id}")
            try:
                label = label_from_json(committed)
            except (KeyError, TypeError, ValueError) as exc:
                raise InputError(where, f"bad committed label: {exc}", field=f"records.{item_id}") from None
            if record.get("resolves"):
                adjudicated[item_id] = (rater, tuple(record["resolves"]))
            labels[item_id].pop(rater, None)
            labels[item_id][rater] = label
    for item_id, (rater, _) in adjudicated.items():
        labels[item_id][rater] = labels[item_id].pop(rater)  # the adjudicated label goes last
    return SessionLabels(labels, adjudicated)


@dataclass(frozen=True)
class ExportSummary:
    """What :func:`export_goldset` wrote.

    Attributes:
        path: The goldset file.
        n_items: Items written (those with at least one label).
        n_unlabelled: Items left out because no rater has committed a label for them.
        n_labels: Labels written.
        raters: Every rater with a label in the file, in first-seen order.
        n_adjudicated: Items carrying an adjudicated label.
    """

    path: Path
    n_items: int
    n_unlabelled: int
    n_labels: int
    raters: tuple[str, ...]
    n_adjudicated: int


def export_goldset(
    items: Sequence[LabelItem],
    labels_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    onet_task_ids: Collection[int] | None = None,
) -> ExportSummary:
    """Write the session's labelled items as a goldset, and check it as ``harness goldset check`` does.

    The file is written under a temporary name and renamed into place, so an existing goldset is replaced only by a
    complete one.

    Raises:
        InputError: From :func:`collect_labels`, or when the written goldset fails the check (it should not: each
            label was checked when it was committed).
    """
    out = Path(out)
    session = collect_labels(items, labels_dir)
    gold = []
    raters: dict[str, None] = {}
    for item in items:
        labels = list(session.labels[item.id].values())
        if not labels:
            continue
        sample = dict(item.sample)
        if item.id in session.adjudicated:
            rater, resolves = session.adjudicated[item.id]
            sample["adjudication"] = {"rater": rater, "resolves": list(resolves)}
        gold.append(item.to_gold(labels, sample))
        raters.update(dict.fromkeys(lb.rater for lb in labels))
    tmp = out.with_name(f".{out.name}.tmp")
    write_goldset(gold, tmp)
    errors = validate_goldset(tmp, onet_task_ids=onet_task_ids)
    if errors:
        tmp.unlink(missing_ok=True)
        raise InputError(out, f"the exported goldset would fail `harness goldset check`: {errors[0]}")
    os.replace(tmp, out)
    return ExportSummary(out, len(gold), len(items) - len(gold), sum(len(g.labels) for g in gold), tuple(raters),
                         sum(1 for g in gold if g.id in session.adjudicated))
