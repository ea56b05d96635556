"""The labelling session behind the web pages: items, the rater's store, search, suggestions, agreement.

Everything the HTTP layer (:mod:`harness.label._app`) answers comes from a :class:`Workbench` method returning a
JSON-able object, so the session's rules live here and can be tested without a server:

* blind mode: a rater sees neither the labels the items file already holds nor other raters' labels, and model
  suggestions only once they have committed a label of their own;
* adjudication mode: the adjudicator works through the items that two or more raters labelled, sees their labels
  side by side, and the label they commit records the raters it resolves;
* a commit is checked exactly as ``harness goldset check`` checks a goldset (:func:`check_label`); a
  non-occupational label is committed without tasks, whatever the draft still lists.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.evaluate import RaterLabel
from harness.label._agreement import agreement_summary, disagreeing_facets
from harness.label._export import collect_labels
from harness.label._items import LabelItem, check_label, today
from harness.label._search import TaskIndex
from harness.label._store import LabelStore
from harness.label._suggest import Suggester

__all__ = ["GUIDE", "Workbench"]

_PREVIEW_CHARS = 140

# The labelling guidelines (goldsets/README.md), in short, for the page.
GUIDE: dict[str, Any] = {
    "occupational": "Yes when the conversation is plausibly part of someone's paid work (coding, business writing, "
                    "analysis, teaching material, research, running one's own business). No for personal life, "
                    "entertainment, curiosity, job seeking and a student's own schoolwork.",
    "tasks": "One to three O*NET task statements, best first: what the user is trying to get done, in the "
             "occupation most likely to be doing it. None when not occupational.",
    "patterns": [
        {"key": "1", "pattern": "directive", "text": "hands over a complete task with little back-and-forth"},
        {"key": "2", "pattern": "feedback_loop", "text": "relays output from their environment (an error, a "
                                                         "tool's result) to get it fixed"},
        {"key": "3", "pattern": "task_iteration", "text": "refines an output together with the model over turns"},
        {"key": "4", "pattern": "learning", "text": "wants knowledge or an explanation, including how-to questions"},
        {"key": "5", "pattern": "validation", "text": "asks for a check of, or improvements to, their own work"},
        {"key": "6", "pattern": "none", "text": "no task: banter, tests of the model, set-up without a request"},
    ],
    "confidence": "How sure you are of the occupational call and the best task together: high, medium, low.",
    "notes": "Describe the conversation in your own words; never copy it (notes that repeat eight words of it "
             "in a row are refused).",
}


@dataclass
class Workbench:
    """One rater's labelling session.

    Args:
        items: The items, in queue order.
        store: The rater's label store (owns the rater's file).
        index: The task search index.
        suggester: Model suggestions, when a backend was given.
        blind: Withhold suggestions until the rater's first commit of an item.
        adjudicate: Adjudication mode (see the module docstring).
        title: A name for the session shown on the page (e.g. the items file name).
    """

    items: Sequence[LabelItem]
    store: LabelStore
    index: TaskIndex
    suggester: Suggester | None = None
    blind: bool = True
    adjudicate: bool = False
    title: str = ""
    _by_id: dict[str, int] = field(init=False, repr=False)
    _digests: dict[str, str] = field(init=False, repr=False)
    _task_soc: dict[int, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {item.id: k for k, item in enumerate(self.items)}
        if len(self._by_id) != len(self.items):
            raise ValueError("item ids must be unique")
        self._digests = {item.id: item.digest for item in self.items}
        self._task_soc = {t: hit.soc_code for t in self.index.task_ids if (hit := self.index.task(t)) is not None}
        for item_id, record in self.store.records().items():
            digest = self._digests.get(item_id)
            if digest is not None and record.get("conversation_sha256") not in (None, digest):
                raise InputError(self.store.path, f"holds labels of item {item_id!r} made on a different "
                                 "conversation than the items file has now", field=f"records.{item_id}")

    @property
    def rater(self) -> str:
        """The rater's name."""
        return self.store.rater

    @property
    def labels_dir(self) -> Path:
        """The folder of every rater's label file."""
        return self.store.labels_dir

    def item(self, item_id: str) -> LabelItem:
        """The item with this id.

        Raises:
            KeyError: On an unknown id.
        """
        return self.items[self._by_id[item_id]]

    # ------------------------------------------------------------------------------------------------ queue

    def _others(self) -> dict[str, dict[str, RaterLabel]]:
        """Item id → rater → committed label of every rater but this one (items file labels included)."""
        session = collect_labels(self.items, self.labels_dir)
        return {item: {r: lb for r, lb in by_rater.items() if r != self.rater}
                for item, by_rater in session.labels.items()}

    def _queue_ids(self) -> list[str]:
        if not self.adjudicate:
            return [item.id for item in self.items]
        others = self._others()
        return [item.id for item in self.items if len(others[item.id]) >= 2]

    def queue(self) -> dict[str, Any]:
        """The queue page: this rater's progress and one row per item (adjudication: the multiply labelled ones)."""
        records = self.store.records()
        ids = self._queue_ids()
        rows = []
        flags = self._disagreements() if self.adjudicate else {}
        for item_id in ids:
            item = self.item(item_id)
            record = records.get(item_id) or {}
            first_user = next((m.content for m in item.conversation.messages if m.role == "user"), "")
            rows.append({"id": item_id, "split": item.split, "turns": sum(m.role == "user" for m in
                                                                           item.conversation.messages),
                         "status": "committed" if record.get("committed") else "draft" if record else "new",
                         "preview": first_user[:_PREVIEW_CHARS], "disagrees": list(flags.get(item_id, ()))})
        done = sum(1 for r in rows if r["status"] == "committed")
        return {"rater": self.rater, "title": self.title, "blind": self.blind, "adjudicate": self.adjudicate,
                "suggest": self.suggester.backend if self.suggester else None, "done": done, "total": len(rows),
                "items": rows, "progress": self.progress()}

    def progress(self) -> dict[str, int]:
        """Committed labels per rater, the items file's own included (counts only: no label is revealed)."""
        counts: dict[str, int] = {self.rater: 0}
        for by_rater in collect_labels(self.items, self.labels_dir).labels.values():
            for rater in by_rater:
                counts[rater] = counts.get(rater, 0) + 1
        return dict(sorted(counts.items()))

    def _disagreements(self) -> dict[str, tuple[str, ...]]:
        return {item_id: found for item_id, by_rater in self._others().items()
                if len(by_rater) >= 2 and (found := disagreeing_facets(list(by_rater.values()), self._task_soc))}

    # ------------------------------------------------------------------------------------------------ an item

    def _task_info(self, task_ids: Sequence[int]) -> dict[str, Any]:
        return {str(t): hit.to_json() for t in dict.fromkeys(task_ids) if (hit := self.index.task(t)) is not None}

    def _record_view(self, item_id: str) -> dict[str, Any] | None:
        record = self.store.record(item_id)
        if record is None:
            return None
        return {k: record.get(k) for k in ("draft", "committed", "blind", "updated", "resolves")}

    def view(self, item_id: str) -> dict[str, Any]:
        """The item page: the conversation, this rater's record, and what the mode allows them to see."""
        item = self.item(item_id)
        ids = self._queue_ids()
        position = ids.index(item_id) if item_id in ids else self._by_id[item_id]
        record = self._record_view(item_id)
        committed_ids = self.store.committed_ids()
        later = ids[position + 1:] + ids[:position]
        task_ids = [t for part in ("draft", "committed") for t in ((record or {}).get(part) or {}).get("tasks", [])]
        out: dict[str, Any] = {
            "id": item.id, "split": item.split, "position": position, "total": len(ids),
            "previous": ids[position - 1] if position > 0 else None,
            "next": ids[position + 1] if position + 1 < len(ids) else None,
            "next_unlabelled": next((i for i in later if i not in committed_ids), None),
            "messages": [{"role": m.role, "content": m.content} for m in item.conversation.messages],
            "record": record, "can_undo": self.store.can_undo(item_id),
            "suggestions": self.suggestions(item_id), "others": [],
        }
        if self.adjudicate:
            others = self._others()[item_id]
            out["others"] = [{"rater": r, "occupational": lb.occupational, "tasks": list(lb.tasks),
                              "pattern": lb.pattern, "confidence": lb.confidence, "notes": lb.notes}
                             for r, lb in others.items()]
            task_ids += [t for lb in others.values() for t in lb.tasks]
        out["task_info"] = self._task_info(task_ids)
        return out

    def suggestions(self, item_id: str) -> dict[str, Any] | None:
        """The backend's suggestion, ``{"hidden": True}`` while blind mode withholds it, or None without a backend."""
        if self.suggester is None:
            return None
        record = self.store.record(item_id) or {}
        if self.blind and not record.get("committed"):
            return {"hidden": True, "backend": self.suggester.backend}
        if not record.get("committed"):
            self.store.mark_seen(item_id, conversation_sha256=self._digests[item_id])
        return self.suggester.suggest(self.item(item_id))

    def save_draft(self, item_id: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Store the rater's current fields of an item (every change is saved at once).

        Raises:
            KeyError: On an unknown item.
            InputError: On a field of the wrong type.
        """
        self.item(item_id)
        self.store.save_draft(item_id, fields, conversation_sha256=self._digests[item_id])
        return {"record": self._record_view(item_id), "can_undo": self.store.can_undo(item_id)}

    def commit(self, item_id: str) -> dict[str, Any]:
        """Commit the item's draft as this rater's label, after the goldset check.

        Returns:
            ``{"errors": [...]}`` when the label fails the check, else the new record and (in blind mode, now
            revealed) the suggestion.

        Raises:
            KeyError: On an unknown item.
        """
        item = self.item(item_id)
        record = self.store.record(item_id)
        draft = dict((record or {}).get("draft") or {})
        label: dict[str, Any] = {"rater": self.rater, "occupational": draft.get("occupational"),
                                 "tasks": list(draft.get("tasks") or []) if draft.get("occupational") else [],
                                 "pattern": draft.get("pattern") or "", "confidence": draft.get("confidence") or ""}
        if (draft.get("notes") or "").strip():
            label["notes"] = draft["notes"].strip()
        label["date"] = today()
        errors = check_label(item, label, onet_task_ids=self.index.task_ids)
        if errors:
            return {"errors": [_describe_error(e) for e in errors]}
        resolves = list(self._others()[item_id]) if self.adjudicate else []
        self.store.commit(item_id, label, conversation_sha256=self._digests[item_id], resolves=resolves,
                          blind=self.blind or self.suggester is None)
        return {"record": self._record_view(item_id), "can_undo": self.store.can_undo(item_id),
                "suggestions": self.suggestions(item_id)}

    def undo(self, item_id: str) -> dict[str, Any]:
        """Return the item to its state before the rater's last change of it.

        Raises:
            KeyError: On an unknown item.
            ValueError: When there is nothing to undo.
        """
        self.item(item_id)
        try:
            self.store.undo(item_id)
        except KeyError:
            raise ValueError(f"nothing to undo for item {item_id!r}") from None
        record = self._record_view(item_id)
        task_ids = [t for part in ("draft", "committed") for t in ((record or {}).get(part) or {}).get("tasks", [])]
        return {"record": record, "can_undo": self.store.can_undo(item_id), "task_info": self._task_info(task_ids),
                "suggestions": self.suggestions(item_id)}

    # ------------------------------------------------------------------------------------------------ search

    def search(self, query: str, *, major_group: str | None = None, occupation: str | None = None,
               limit: int = 20) -> dict[str, Any]:
        """Task search results and the time the index took, in milliseconds.

        Raises:
            ValueError: On an unknown filter or a bad limit.
        """
        started = time.perf_counter()
        hits = self.index.search(query, major_group=major_group, occupation=occupation, limit=limit)
        return {"hits": [h.to_json() for h in hits], "ms": round((time.perf_counter() - started) * 1000, 2)}

    def browse(self, *, gwa: str | None = None, iwa: str | None = None, major_group: str | None = None,
               occupation: str | None = None) -> dict[str, Any]:
        """One step of GWA → IWA → task browsing: the GWAs, the IWAs of ``gwa``, or the (filtered) tasks of ``iwa``.

        Raises:
            KeyError: On an unknown GWA or IWA.
        """
        if iwa is not None:
            hits = self.index.iwa_tasks(iwa, major_group=major_group, occupation=occupation)
            return {"level": "task", "parent": iwa, "title": self.index.work_activity_title(iwa),
                    "entries": [h.to_json() for h in hits]}
        if gwa is not None:
            return {"level": "iwa", "parent": gwa, "title": self.index.work_activity_title(gwa),
                    "entries": self.index.iwas(gwa)}
        return {"level": "gwa", "parent": None, "title": "Generalized work activities", "entries": self.index.gwas()}

    def dashboard(self) -> dict[str, Any]:
        """Progress and agreement figures; the items raters disagree on are listed only in adjudication mode."""
        session = collect_labels(self.items, self.labels_dir)
        adjudicated = {item: rater for item, (rater, _) in session.adjudicated.items()}
        summary = agreement_summary(len(self.items), session.labels, adjudicated=adjudicated,
                                    task_soc=self._task_soc).to_json()
        if not self.adjudicate:
            summary["disagreements"] = []
            summary["disagreements_hidden"] = True
        summary.update({"rater": self.rater, "adjudicate": self.adjudicate, "progress": self.progress()})
        return summary


def _describe_error(error: InputError) -> dict[str, str]:
    """A goldset-check problem as the page shows it: the label field (without ``labels[0].``) and the message."""
    field_name = (error.field or "").removeprefix("labels[0].")
    return {"field": field_name, "message": error.detail}

