"""Model suggestions for the rater: a backend's best tasks and pattern, with how sure it is.

Suggestions anchor people, so the workbench hides them in blind mode until the rater has committed a label of
their own (the server, not only the page, withholds them). Items are classified on first request and the answer is
kept in memory; model backends also keep their answers in the harness's on-disk cache.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from harness.classify import Classification, Classifier
from harness.label._items import LabelItem
from harness.label._search import TaskIndex
from harness.label._select import uncertainty_scores
from harness.taxonomy import Hierarchy

__all__ = ["Suggester"]

_MAX_TASKS = 3


def _confidence_word(value: float) -> str:
    return "high" if value >= 2 / 3 else "medium" if value >= 1 / 3 else "low"


class Suggester:
    """Classifies items on request and describes the result for the rater.

    Args:
        classifier: The backend.
        hierarchy: The hierarchy it walks (its base nodes carry O*NET Task IDs).
        index: The task index, for statements and occupations.
    """

    def __init__(self, classifier: Classifier, hierarchy: Hierarchy, index: TaskIndex):
        self.classifier = classifier
        self.hierarchy = hierarchy
        self.index = index
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    @property
    def backend(self) -> str:
        """The backend spec."""
        return self.classifier.spec

    def suggest(self, item: LabelItem) -> dict[str, Any]:
        """The suggestion for ``item`` as a JSON object: backend, occupational, tasks, pattern, confidence."""
        with self._lock:
            cached = self._cache.get(item.id)
            if cached is None:
                conversation = dataclasses.replace(item.conversation, id=item.id)
                prediction = self.classifier.classify([conversation])[0]
                cached = self._cache[item.id] = self._describe(prediction)
            return dict(cached)

    def _describe(self, prediction: Classification) -> dict[str, Any]:
        sure = 1.0 - uncertainty_scores([[prediction]], self.hierarchy)[0]
        tasks = []
        for node_id in dict.fromkeys((*prediction.path[-1:], *prediction.top_k)):
            if node_id not in self.hierarchy or len(tasks) >= _MAX_TASKS:
                continue
            task_ids = self.hierarchy[node_id].meta.get("task_ids") or ()
            hit = self.index.task(int(task_ids[0])) if task_ids else None
            if hit is not None:
                tasks.append({**hit.to_json(), "n_occupations": len(task_ids)})
        return {
            "backend": self.backend,
            "valid": prediction.valid,
            "invalid_reason": prediction.invalid_reason,
            "occupational": prediction.occupational,
            "tasks": tasks,
            "pattern": prediction.pattern,
            "confidence": round(sure, 3),
            "confidence_word": _confidence_word(sure),
        }
