"""Running a classifier over many conversations: progress, resume, and the facts table.

Rows are appended to ``facts.partial.jsonl`` one batch at a time (flushed and fsynced). Each row carries
``content_sha256``, a hash of what the classifier read from the conversation (account, model, messages; never the
text itself), and ``retryable``, true when the row is invalid only because no usable answer came back from the
model (a timeout, a dropped connection, an unreadable reply).

A re-run with the same output directory reads the rows there (a trailing half-written line is cut off) and, for
each conversation of the input, decides:

* resumed – a row exists, its content hash matches and it is not retryable: the row is kept;
* re-classified – the content changed under the same id, or the row predates content hashes (a version-1 run,
  which is re-classified whole rather than trusted blindly; unchanged conversations come from the answer cache);
* retried – the row is retryable;
* new – no row yet.

Rows of conversations no longer in the input are left out of the facts (and counted) but stay in the partial file,
so a later run over the full input still finds them. Re-classified rows are appended; the last row of a
conversation wins. The finished ``facts.parquet`` and ``facts.jsonl`` follow the input order with ``seq`` set to the
input position, so a killed, edited or reordered run gives the same files as a fresh run of its final input (given
a deterministic classifier or a warm answer cache).

The whole call holds the run directory's lock, and the facts and manifest are committed together
(:meth:`harness.run.RunDir.finish`): until the manifest is back, readers see an unfinished run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import pandas as pd
from tqdm import tqdm

from harness.classify._llm_backend import NO_USABLE_ANSWER
from harness.classify._types import Classification, Classifier
from harness.conversations import Conversation
from harness.errors import InputError
from harness.run import RunDir
from harness.taxonomy import Hierarchy, normalise_statement

__all__ = ["Batch", "BatchEngine", "RunResult", "classify_batch", "classify_conversations", "facts_to_classifications",
           "package_versions", "sha256_file"]

log = logging.getLogger(__name__)

_Rows = dict[str, dict[str, Any]]  # fact rows by conversation id
_Todo = list[tuple[int, Conversation]]  # (input position, conversation) still to classify
_Redo = Literal["new", "changed", "unhashed", "retried"]

_PACKAGES = ("econ-index-harness", "anthropic", "inspect-ai", "sentence-transformers", "torch", "onnxruntime", "onnx",
             "tokenizers", "pandas", "numpy", "scikit-learn", "scipy", "pyarrow")


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
        n_resumed: Of those, kept from an earlier run.
        n_classified: Classified by this call (the sum of the four counts below).
        n_new: Classified for the first time.
        n_changed: Classified again because their content changed since.
        n_unhashed: Classified again because their earlier row had no content hash (a version-1 run).
        n_retried: Classified again because the earlier attempt got no usable answer from the model.
        n_dropped: Rows of an earlier run whose conversation is not in this input (left out of the facts).
        n_invalid: Rows marked invalid.
        n_retryable: Of the invalid rows, those a re-run will try again.
        seconds: Wall time of this call.
        n_abstained: Rows set aside because their confidence is below ``min_confidence`` (kept in the facts, left
            out of every share).
        min_confidence: The abstention threshold of this call, or None.
        facts: The facts table as written to ``facts.parquet`` (input order), so callers need not read it back.
        manifest: The manifest as written.
    """

    out_dir: Path
    n_total: int
    n_resumed: int
    n_classified: int
    n_new: int
    n_changed: int
    n_unhashed: int
    n_retried: int
    n_dropped: int
    n_invalid: int
    n_retryable: int
    seconds: float
    facts: pd.DataFrame = field(repr=False, compare=False)
    manifest: Mapping[str, Any] = field(repr=False, compare=False)
    n_abstained: int = 0
    min_confidence: float | None = None

    @property
    def run(self) -> RunDir:
        """The run directory, for its file paths and readers."""
        return RunDir(self.out_dir)

    @property
    def facts_path(self) -> Path:
        return self.run.facts_path

    def summary(self) -> str:
        """One line for the terminal: what was resumed, re-classified, new and invalid, the time and the table."""
        parts = [f"{self.n_resumed} resumed", f"{self.n_changed} re-classified (content changed)", f"{self.n_new} new"]
        if self.n_unhashed:
            parts.append(f"{self.n_unhashed} re-classified (no content hash: written by an older harness)")
        if self.n_retried:
            parts.append(f"{self.n_retried} retried (no usable answer last time)")
        if self.n_dropped:
            parts.append(f"{self.n_dropped} dropped (no longer in the input)")
        invalid = f"{self.n_invalid} invalid"
        if self.n_retryable:
            invalid += f" ({self.n_retryable} for lack of an answer; a re-run retries them)"
        if self.min_confidence is not None:
            invalid += f"; {self.n_abstained} abstained (confidence below {self.min_confidence:g})"
        return (f"{self.n_total} conversations: {', '.join(parts)}; {invalid}; {self.seconds:.1f} s "
                f"→ {self.facts_path}")


def content_sha256(conv: Conversation) -> str:
    """SHA-256 of what a classifier reads from ``conv``: its account, model and messages (roles and text).

    The id is left out (it is the key the hash is filed under) and so is ``meta``, which no classifier reads. JSON
    with sorted keys, fixed separators and ASCII escapes gives every conversation exactly one serialisation, a lone
    surrogate in the text included.
    """
    payload = {"account_id": conv.account_id, "model": conv.model,
               "messages": [[m.role, m.content] for m in conv.messages]}
    blob = json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("ascii")).hexdigest()


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
    first: dict[str, int] = {}
    for position, conv in enumerate(items, start=1):
        if conv.id in first:
            raise InputError(out, f"the input holds conversation id {conv.id!r} twice (conversations "
                             f"{first[conv.id]} and {position}); ids must be unique", field="id")
        first[conv.id] = position
    return set(first)


def _redo_reason(row: Mapping[str, Any] | None, digest: str) -> _Redo | None:
    """Why a conversation must be classified (again), or None when its earlier row stands."""
    if row is None:
        return "new"
    if row.get("content_sha256") is None:
        return "unhashed"
    if row["content_sha256"] != digest:
        return "changed"
    if row.get("retryable") is True:
        return "retried"
    return None


@dataclass
class _Plan:
    """What a call must do: the rows kept from earlier runs, the conversations to classify, and the counts."""

    done: _Rows
    todo: _Todo
    counts: dict[str, int]


def _plan(run: RunDir, items: Sequence[Conversation], ids: set[str], digests: Sequence[str]) -> _Plan:
    """Match the rows already written against the input by id and content hash."""
    earlier = run.read_partial()
    done: _Rows = {}
    todo: _Todo = []
    counts = dict.fromkeys(("new", "changed", "unhashed", "retried"), 0)
    for seq, conv in enumerate(items):
        row = earlier.get(conv.id)
        reason = _redo_reason(row, digests[seq])
        if reason is None:
            done[conv.id] = row
        else:
            todo.append((seq, conv))
            counts[reason] += 1
    dropped = [cid for cid in earlier if cid not in ids]
    counts.update(resumed=len(done), dropped=len(dropped))
    if done:
        log.info("resuming: %d of %d conversations already classified", len(done), len(items))
    if counts["changed"]:
        example = next(c.id for s, c in todo if _redo_reason(earlier.get(c.id), digests[s]) == "changed")
        log.warning("%d conversation(s) changed since they were classified (e.g. %r); classifying them again",
                    counts["changed"], example)
    if counts["unhashed"]:
        log.warning("%d row(s) were written by an older harness without content hashes; classifying those "
                    "conversations again (unchanged ones come from the answer cache)", counts["unhashed"])
    if dropped:
        log.warning("%d classified conversation(s) are not in this input (e.g. %r); they are left out of the facts "
                    "but kept in %s", len(dropped), dropped[0], run.partial_path.name)
    return _Plan(done, todo, counts)


def _retryable(result: Classification) -> bool:
    """Whether ``result`` is invalid only for want of an answer (a transport failure), which a re-run may cure."""
    return not result.valid and NO_USABLE_ANSWER in (result.invalid_reason or "")


def _fact_row(seq: int, result: Classification, hierarchy: Hierarchy, digest: str) -> dict[str, Any]:
    """One fact row: the input position, the classification's columns, the statement key of its task, whether a
    re-run should try again, and the hash of the content classified."""
    key = None
    # the roll-up to occupations joins on the task statement (see harness.aggregate)
    if result.path and "task_ids" in hierarchy[result.path[-1]].meta:
        key = normalise_statement(hierarchy[result.path[-1]].name)
    return {"seq": seq, **result.to_row(hierarchy.levels), "statement_key": key, "retryable": _retryable(result),
            "content_sha256": digest}


Batch = Sequence[tuple[int, Conversation, str]]
"""One batch of work: (input position, conversation, content hash) per conversation."""


class BatchEngine(Protocol):
    """Classifies batches somewhere else (e.g. on a cluster) and hands their fact rows back to the driver."""

    def classify_batches(self, batches: Iterable[Batch]) -> Iterator[list[dict[str, Any]]]:
        """The fact rows of each batch (as :func:`classify_batch` makes them), in any order, as batches finish."""
        ...


def classify_batch(classifier: Classifier, hierarchy: Hierarchy, batch: Batch) -> list[dict[str, Any]]:
    """Classify one batch and return its fact rows; the same function runs in this process and on a worker.

    Raises:
        RuntimeError: The classifier answered with the wrong number of results or for another conversation.
    """
    results = classifier.classify([conv for _, conv, _ in batch])
    if len(results) != len(batch):
        raise RuntimeError(f"{classifier.spec} returned {len(results)} results for {len(batch)} inputs")
    rows = []
    for (seq, conv, digest), result in zip(batch, results, strict=True):
        if result.conversation_id != conv.id:
            raise RuntimeError(f"{classifier.spec} answered for {result.conversation_id!r}, not {conv.id!r}")
        rows.append(_fact_row(seq, result, hierarchy, digest))
    return rows


def _classify_pending(
    plan: _Plan,
    digests: Sequence[str],
    classifier: Classifier,
    hierarchy: Hierarchy,
    run: RunDir,
    *,
    batch_size: int,
    bar: tqdm,
    engine: BatchEngine | None = None,
) -> None:
    """Classify ``plan.todo`` batch by batch, appending each batch's rows durably to the partial file and to
    ``plan.done``.

    With an ``engine`` the batches are classified elsewhere, in any order; this process alone writes their rows
    (one writer, so the lock, the resume and the final commit are the same as for a local run). The batches are the
    same either way, so a classifier whose answers depend on a batch's other members still agrees with itself.
    """
    batches = ([(seq, conv, digests[seq]) for seq, conv in plan.todo[start : start + batch_size]]
               for start in range(0, len(plan.todo), batch_size))
    if engine is None:
        finished = (classify_batch(classifier, hierarchy, batch) for batch in batches)
    else:
        finished = engine.classify_batches(batches)
    with run.append_partial() as partial:
        for rows in finished:
            partial.append(rows)
            plan.done.update((row["conversation_id"], row) for row in rows)
            bar.update(len(rows))


def _manifest(classifier: Classifier, hierarchy: Hierarchy, *, started: str, counts: Mapping[str, int],
              extra: Mapping[str, Any] | None) -> dict[str, Any]:
    """Provenance of a run: backend, classifier, hierarchy, package versions, times and counts."""
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
        "counts": dict(counts),
        **(extra or {}),
    }


def _counts(plan: _Plan, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """The manifest's counts: what this call did with each conversation, and what the finished rows hold."""
    return {
        "conversations": len(rows), "resumed": plan.counts["resumed"], "classified_now": len(plan.todo),
        **{key: plan.counts[key] for key in ("new", "changed", "unhashed", "retried", "dropped")},
        "invalid": sum(1 for row in rows if not row["valid"]),
        "retryable": sum(1 for row in rows if row.get("retryable") is True),
        "occupational": sum(1 for row in rows if row["occupational"] is True),
        "abstained": sum(1 for row in rows if row.get("abstained") is True),
    }


def _abstained(row: Mapping[str, Any], min_confidence: float | None) -> bool:
    """Whether the row's prediction is set aside: its confidence is below the threshold (rows without a confidence
    are never set aside; the manifest counts them)."""
    confidence = row.get("confidence")
    return min_confidence is not None and confidence is not None and confidence < min_confidence


def classify_conversations(
    conversations: Iterable[Conversation],
    classifier: Classifier,
    out_dir: str | Path,
    *,
    hierarchy: Hierarchy,
    batch_size: int = 32,
    progress: bool = True,
    manifest_extra: dict[str, Any] | None = None,
    engine: BatchEngine | None = None,
    min_confidence: float | None = None,
) -> RunResult:
    """Classify ``conversations`` into ``out_dir`` (facts + manifest), resuming from earlier partial output.

    Holds the run directory's exclusive lock throughout. See the module docstring for what is resumed, classified
    again or dropped.

    Args:
        conversations: The input; ids must be unique.
        classifier: Any :class:`~harness.classify.Classifier`.
        out_dir: Run directory (created).
        hierarchy: The hierarchy the classifier walks (its levels name the facts' node columns).
        batch_size: Conversations per classifier call and per durable write.
        progress: Show a progress bar on stderr.
        manifest_extra: Extra provenance merged into the manifest (e.g. the input file and its hash).
        engine: Where the batches are classified (see :mod:`harness.classify._engine`); default this process.
            The facts are the same either way: the same batches, written by this process in input order.
        min_confidence: Mark rows whose ``confidence`` is below this as ``abstained`` (they stay in the facts; the
            roll-ups leave them out of every share). Decided afresh on every call, resumed rows included, so a
            re-run with another threshold re-marks the whole table without classifying anything again.

    Raises:
        InputError: Duplicate conversation ids, rows of another classifier or hierarchy in ``out_dir``, or an
            unreadable partial file.
        RunDirInUseError: Another process is working on ``out_dir``.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    with RunDir(out_dir).lock() as run:
        items = list(conversations)
        ids = _check_unique_ids(items, run.path)
        digests = [content_sha256(conv) for conv in items]
        _check_identity(run, classifier, hierarchy)
        plan = _plan(run, items, ids, digests)
        run.begin_update()
        bar = tqdm(total=len(items), initial=len(plan.done), disable=not progress, unit="conv", desc="classify")
        _classify_pending(plan, digests, classifier, hierarchy, run, batch_size=batch_size, bar=bar, engine=engine)
        bar.close()
        rows = [{**plan.done[conv.id], "seq": seq} for seq, conv in enumerate(items)]
        for row in rows:
            row["abstained"] = _abstained(row, min_confidence)
        counts = _counts(plan, rows)
        abstention = {"min_confidence": min_confidence, "abstained": counts["abstained"],
                      "without_confidence": sum(1 for row in rows if row.get("confidence") is None)}
        manifest = _manifest(classifier, hierarchy, started=started_at, counts=counts,
                             extra={**(manifest_extra or {}), "abstention": abstention})
        frame, written = run.finish(rows, manifest)
    return RunResult(run.path, len(items), plan.counts["resumed"], len(plan.todo), n_new=plan.counts["new"],
                     n_changed=plan.counts["changed"], n_unhashed=plan.counts["unhashed"],
                     n_retried=plan.counts["retried"], n_dropped=plan.counts["dropped"], n_invalid=counts["invalid"],
                     n_retryable=counts["retryable"], seconds=time.perf_counter() - started, facts=frame,
                     manifest=written, n_abstained=counts["abstained"], min_confidence=min_confidence)


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
