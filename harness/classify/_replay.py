"""``replay:<file>``: validate predictions produced elsewhere as if they came from a backend.

The file is JSON Lines (or CSV/Parquet with the same columns), one prediction per conversation:

- ``conversation_id`` (required);
- the hierarchy position, as either ``path`` (node ids top → base), ``base`` (a base node id) or ``task_id``
  (an O*NET Task ID, mapped to the base node that holds it);
- optional ``occupational`` (bool), ``pattern`` (one of the six patterns), ``skills`` (list of names),
  ``top_k`` (base node ids), ``input_tokens``, ``output_tokens``, ``cost_usd``, ``latency_s``, ``confidence``
  (the probability, in [0, 1], that the predicted major group is right; validation then reports its calibration).

Conversations without a prediction come back invalid ("no prediction in the replay file"), so a partial file
lowers accuracy instead of silently shrinking the evaluation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.classify._types import Classification
from harness.conversations import Conversation
from harness.errors import InputError
from harness.taxonomy import PATTERNS, Hierarchy

__all__ = ["ReplayClassifier", "ReplayConfig"]


def _records(path: Path) -> list[tuple[int, dict[str, Any]]]:
    if not path.exists():
        raise InputError(path, "predictions file not found")
    if path.suffix in (".parquet", ".csv"):
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, dtype=str)
        return [(i + 2, {k: v for k, v in row.items() if not _missing(v)}) for i, row in
                enumerate(frame.to_dict("records"))]
    out = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"not valid JSON ({exc.msg})", line=lineno) from None
        if not isinstance(record, dict):
            raise InputError(path, "expected a JSON object per line", line=lineno)
        out.append((lineno, record))
    return out


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@dataclass(frozen=True)
class ReplayConfig:
    """Replay has no settings: the spec names the file and the file holds everything else."""


class ReplayClassifier:
    """Serves predictions from a file (format in the module docstring), checked against ``hierarchy``."""

    def __init__(self, path: str | Path, hierarchy: Hierarchy):
        self.path = Path(path)
        self.hierarchy = hierarchy
        task_to_base = hierarchy.base_for_task_ids()
        self._predictions: dict[str, Classification] = {}
        for lineno, record in _records(self.path):
            cid = record.get("conversation_id")
            if cid is None or cid == "":
                raise InputError(self.path, "missing conversation_id", line=lineno, field="conversation_id")
            cid = str(cid)
            if cid in self._predictions:
                raise InputError(self.path, f"second prediction for {cid!r}", line=lineno, field="conversation_id")
            self._predictions[cid] = self._parse(record, cid, lineno, task_to_base)

    def _parse(self, record: dict[str, Any], cid: str, lineno: int, task_to_base: dict[int, str]) -> Classification:
        path: tuple[str, ...] = ()
        if record.get("path"):
            raw = record["path"]
            path = tuple(json.loads(raw) if isinstance(raw, str) else raw)
            field = "path"
        elif record.get("base"):
            base, field = str(record["base"]), "base"
            if base not in self.hierarchy:
                raise InputError(self.path, f"unknown node {base!r} in {self.hierarchy.id}", line=lineno, field=field)
            path = self.hierarchy.path(base)
        elif record.get("task_id") not in (None, ""):
            field = "task_id"
            try:
                base = task_to_base[int(record["task_id"])]
            except (KeyError, ValueError):
                raise InputError(self.path, f"Task ID {record['task_id']!r} is not in {self.hierarchy.id}",
                                 line=lineno, field=field) from None
            path = self.hierarchy.path(base)
        else:
            field = "path"
        if path:
            unknown = [n for n in path if n not in self.hierarchy]
            if unknown or self.hierarchy.path(path[-1]) != path:
                raise InputError(self.path, f"{list(path)} is not a path of {self.hierarchy.id}", line=lineno,
                                 field=field)
        pattern = record.get("pattern")
        if pattern is not None and pattern not in PATTERNS:
            raise InputError(self.path, f"unknown pattern {pattern!r}; expected one of {PATTERNS}", line=lineno,
                             field="pattern")
        occupational = record.get("occupational")
        if isinstance(occupational, str):
            occupational = occupational.strip().lower() in ("true", "1", "yes")
        skills = record.get("skills") or ()
        if isinstance(skills, str):
            skills = json.loads(skills) if skills.startswith("[") else [s for s in skills.split(";") if s]
        return Classification(
            conversation_id=cid,
            account_id=str(record.get("account_id", "")) or "unknown",
            occupational=None if occupational is None else bool(occupational),
            path=path,
            top_k=tuple(record.get("top_k") or (path[-1:] if path else ())),
            pattern=pattern,
            skills=tuple(skills),
            valid=bool(path) or record.get("valid") is True,
            invalid_reason=None if path else "no hierarchy position in the replay file",
            input_tokens=int(record.get("input_tokens") or 0),
            output_tokens=int(record.get("output_tokens") or 0),
            cost_usd=None if _missing(record.get("cost_usd")) else float(record["cost_usd"]),
            latency_s=float(record.get("latency_s") or 0.0),
            confidence=self._confidence(record, lineno),
        )

    def _confidence(self, record: dict[str, Any], lineno: int) -> float | None:
        value = record.get("confidence")
        if _missing(value):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not 0.0 <= number <= 1.0:
            raise InputError(self.path, f"confidence must be a number in [0, 1], got {value!r}", line=lineno,
                             field="confidence")
        return number

    @property
    def spec(self) -> str:
        return f"replay:{self.path}"

    def describe(self) -> dict[str, Any]:
        return {"backend": "replay", "model": self.path.name, "path": str(self.path),
                "n_predictions": len(self._predictions), "hierarchy_id": self.hierarchy.id, "prompt_hashes": {}}

    def classify(self, conversations: Sequence[Conversation]) -> list[Classification]:
        out = []
        for conv in conversations:
            found = self._predictions.get(conv.id)
            if found is None:
                out.append(Classification(conv.id, conv.account_id, None, valid=False,
                                           invalid_reason="no prediction in the replay file"))
            else:
                # the account comes from the input, which is authoritative for the privacy wall
                out.append(Classification(**{**found.__dict__, "account_id": conv.account_id}))
        return out
