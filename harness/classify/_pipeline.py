"""Running a classifier over many conversations: progress, resume after a kill, and the facts table.

Rows are appended to ``facts.partial.jsonl`` one batch at a time (flushed and fsynced), each tagged with the
conversation's position in the input (``seq``). A re-run with the same output directory reads what is there, drops a
trailing half-written line, skips conversations already done and continues; the final ``facts.parquet`` and
``facts.jsonl`` are written in input order, one row per conversation, so a killed-and-resumed run produces the same
files as an uninterrupted one (given a deterministic classifier or a warm answer cache).
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from harness.classify._types import Classification, Classifier
from harness.conversations import Conversation
from harness.errors import InputError
from harness.run import RunDir
from harness.taxonomy import Hierarchy, normalise_statement

__all__ = ["RunResult", "classify_conversations", "facts_to_classifications", "package_versions", "sha256_file"]

log = logging.getLogger(__name__)

_Rows = dict[str, dict[str, Any]]  # fact rows by conversation id

_PACKAGES = ("econ-index-harness", "anthropic", "inspect-ai", "sentence-transformers", "torch", "pandas", "numpy",
             "scikit-learn", "scipy", "pyarrow")


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape results (``"absent"`` when not installed)."""
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


@dataclass(frozen=True)
class RunResult:
    """Outcome of :func:`classify_conversations`.

    Attributes:
        out_dir: The run directory.
        n_total: Conversations in the input.
        n_resumed: Of those, already classified by an earlier run.
        n_classified: Classified by this call.
        n_invalid: Rows marked invalid.
        seconds: Wall time of this call.
        facts: The facts table as written to ``facts.parquet`` (input order), so callers need not read it back.
        manifest: The manifest as written.
    """

    out_dir: Path
    n_total: int
    n_resumed: int
    n_classified: int
    n_invalid: int
    seconds: float
    facts: pd.DataFrame = field(repr=False, compare=False)
    manifest: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def run(self) -> RunDir:
        """The run directory, for its file paths and readers."""
        return RunDir(self.out_dir)

    @property
    def facts_path(self) -> Path:
        return self.run.facts_path


def _identity(classifier: Classifier, hierarchy: Hierarchy) -> dict[str, str]:
    described = json.dumps(classifier.describe(), sort_keys=True, default=str)
    return {"backend": classifier.spec, "hierarchy": hierarchy.id,
            "classifier_digest": hashlib.sha256(described.encode()).hexdigest()}


def _check_identity(run: RunDir, classifier: Classifier, hierarchy: Hierarchy) -> None:
    """Refuse to resume rows that a different classifier, configuration or hierarchy produced."""
    current = _identity(classifier, hierarchy)
    recorded = run.read_identity() if run.has_partial() else None
    if recorded is not None and recorded != current:
        changed = sorted(k for k in current if recorded.get(k) != current[k])
        raise InputError(run.identity_path, f"{run.path} holds rows from a different run ({', '.join(changed)} "
                         "changed); use a fresh output directory to avoid mixing results")
    run.write_identity(current)


def _check_unique_ids(items: Sequence[Conversation], out: Path) -> set[str]:
    seen: set[str] = set()
    for conv in items:
        if conv.id in seen:
            raise InputError(out, f"conversation id {conv.id!r} appears twice in the input", field="id")
        seen.add(conv.id)
    return seen


def _resume(run: RunDir, items: Sequence[Conversation], ids: set[str]) -> tuple[_Rows, list[tuple[int, Conversation]]]:
    """Rows already written (by conversation id) and the (input position, conversation) pairs still to do."""
    done = run.read_partial()
    stale = set(done) - ids
    if stale:
        raise InputError(run.partial_path, f"{len(stale)} rows belong to another input (e.g. {sorted(stale)[0]!r}); "
                         "use a fresh output directory")
    todo = [(seq, conv) for seq, conv in enumerate(items) if conv.id not in done]
    if len(items) > len(todo):
        log.info("resuming: %d of %d conversations already classified", len(items) - len(todo), len(items))
    return done, todo


def _fact_row(seq: int, result: Classification, hierarchy: Hierarchy) -> dict[str, Any]:
    """One fact row: the input position, the classification's columns and the statement key of its task."""
    key = None
    # the roll-up to occupations joins on the task statement (see harness.aggregate)
    if result.path and "task_ids" in hierarchy[result.path[-1]].meta:
        key = normalise_statement(hierarchy[result.path[-1]].name)
    return {"seq": seq, **result.to_row(hierarchy.levels), "statement_key": key}


def _classify_pending(
    todo: Sequence[tuple[int, Conversation]],
    classifier: Classifier,
    hierarchy: Hierarchy,
    run: RunDir,
    done: _Rows,
    *,
    batch_size: int,
    bar: tqdm,
) -> None:
    """Classify ``todo`` batch by batch, appending each batch's rows durably to the partial file and to ``done``."""
    with run.append_partial() as partial:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            results = classifier.classify([conv for _, conv in chunk])
            if len(results) != len(chunk):
                raise RuntimeError(f"{classifier.spec} returned {len(results)} results for {len(chunk)} inputs")
            rows = []
            for (seq, conv), result in zip(chunk, results, strict=True):
                if result.conversation_id != conv.id:
                    raise RuntimeError(f"{classifier.spec} answered for {result.conversation_id!r}, not {conv.id!r}")
                rows.append(_fact_row(seq, result, hierarchy))
            partial.append(rows)
            done.update((row["conversation_id"], row) for row in rows)
            bar.update(len(chunk))


def _manifest(classifier: Classifier, hierarchy: Hierarchy, frame: pd.DataFrame, *, started: str,
              counts: Mapping[str, int], extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Provenance of a run: backend, classifier, hierarchy, package versions, times and counts."""
    occupational = int(frame["occupational"].fillna(False).astype(bool).sum()) if len(frame) else 0
    return {
        "backend": classifier.spec,
        "classifier": classifier.describe(),
        "hierarchy": {
            "id": hierarchy.id,
            "sizes": hierarchy.sizes(),
            "onet_release": hierarchy.metadata.get("onet_release"),
            "builder": hierarchy.metadata.get("builder"),
        },
        "package_versions": package_versions(),
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {**counts, "occupational": occupational},
        **(extra or {}),
    }


def classify_conversations(
    conversations: Iterable[Conversation],
    classifier: Classifier,
    out_dir: str | Path,
    *,
    hierarchy: Hierarchy,
    batch_size: int = 32,
    progress: bool = True,
    manifest_extra: dict[str, Any] | None = None,
) -> RunResult:
    """Classify ``conversations`` into ``out_dir`` (facts + manifest), resuming from earlier partial output.

    Args:
        conversations: The input; ids must be unique.
        classifier: Any :class:`~harness.classify.Classifier`.
        out_dir: Run directory (created).
        hierarchy: The hierarchy the classifier walks (its levels name the facts' node columns).
        batch_size: Conversations per classifier call and per durable write.
        progress: Show a progress bar on stderr.
        manifest_extra: Extra provenance merged into the manifest (e.g. the input file and its hash).

    Raises:
        InputError: duplicate conversation ids, or an unreadable partial file.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    run = RunDir(out_dir).create()
    items = list(conversations)
    ids = _check_unique_ids(items, run.path)
    _check_identity(run, classifier, hierarchy)
    done, todo = _resume(run, items, ids)
    n_resumed = len(items) - len(todo)
    bar = tqdm(total=len(items), initial=n_resumed, disable=not progress, unit="conv", desc="classify")
    _classify_pending(todo, classifier, hierarchy, run, done, batch_size=batch_size, bar=bar)
    bar.close()

    frame = run.write_facts(sorted(done.values(), key=lambda r: r["seq"]))
    n_invalid = int((~frame["valid"].astype(bool)).sum()) if len(frame) else 0
    counts = {"conversations": len(items), "resumed": n_resumed, "classified_now": len(todo), "invalid": n_invalid}
    manifest = _manifest(classifier, hierarchy, frame, started=started_at, counts=counts, extra=manifest_extra)
    return RunResult(run.path, len(items), n_resumed, len(todo), n_invalid, time.perf_counter() - started,
                     facts=frame, manifest=run.write_manifest(manifest))


def facts_to_classifications(facts: pd.DataFrame) -> list[Classification]:
    """Turn a facts table (as :func:`harness.run.read_facts` returns it) back into :class:`Classification` objects.

    Missing scalars come back as ``None`` whether the table held NaN, NA or None, and list columns as lists
    whether they were lists or arrays, so a table read from Parquet, from JSONL or still in memory gives the
    same objects.
    """
    out = []
    for row in facts.to_dict("records"):
        for key, value in row.items():
            if not isinstance(value, list | tuple | np.ndarray) and pd.isna(value):
                row[key] = None
        hashes = row.get("prompt_hashes")
        row["prompt_hashes"] = json.loads(hashes) if isinstance(hashes, str) else (hashes or {})
        for key in ("path", "top_k", "skills"):
            row[key] = list(row.get(key) if row.get(key) is not None else [])
        out.append(Classification.from_row(row))
    return out


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded in manifests)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
