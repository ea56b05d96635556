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
import os
import platform
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
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
from harness.taxonomy import Hierarchy, normalise_statement

__all__ = ["RunResult", "classify_conversations", "package_versions", "read_facts", "write_json_atomic"]

log = logging.getLogger(__name__)

PARTIAL = "facts.partial.jsonl"
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


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON through a temporary file and a rename, so readers never see half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@dataclass(frozen=True)
class RunResult:
    """Outcome of :func:`classify_conversations`."""

    out_dir: Path
    n_total: int
    n_resumed: int
    n_classified: int
    n_invalid: int
    seconds: float

    @property
    def facts_path(self) -> Path:
        return self.out_dir / "facts.parquet"


def _read_partial(path: Path) -> dict[str, dict[str, Any]]:
    """Rows already written, keyed by conversation id; a torn last line is cut off the file."""
    if not path.exists():
        return {}
    raw = path.read_bytes()
    good_end = raw.rfind(b"\n") + 1
    if good_end < len(raw):
        log.warning("%s: dropping a half-written last line from an interrupted run", path)
        with path.open("r+b") as fh:
            fh.truncate(good_end)
    rows: dict[str, dict[str, Any]] = {}
    for lineno, line in enumerate(raw[:good_end].splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, f"unreadable row ({exc.msg}); delete the file to start over", line=lineno) from None
        rows[row["conversation_id"]] = row
    return rows


def _identity(classifier: Classifier, hierarchy: Hierarchy) -> dict[str, str]:
    described = json.dumps(classifier.describe(), sort_keys=True, default=str)
    return {"backend": classifier.spec, "hierarchy": hierarchy.id,
            "classifier_digest": hashlib.sha256(described.encode()).hexdigest()}


def _check_identity(out: Path, classifier: Classifier, hierarchy: Hierarchy) -> None:
    """Refuse to resume rows that a different classifier, configuration or hierarchy produced."""
    path = out / "run-identity.json"
    current = _identity(classifier, hierarchy)
    if path.exists() and (out / PARTIAL).exists():
        recorded = json.loads(path.read_text(encoding="utf-8"))
        if recorded != current:
            changed = sorted(k for k in current if recorded.get(k) != current[k])
            raise InputError(path, f"{out} holds rows from a different run ({', '.join(changed)} changed); "
                             "use a fresh output directory to avoid mixing results")
    write_json_atomic(path, current)


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
        manifest_extra: Extra provenance merged into ``manifest.json`` (e.g. the input file and its hash).

    Raises:
        InputError: duplicate conversation ids, or an unreadable partial file.
    """
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    items = list(conversations)
    seen: set[str] = set()
    for conv in items:
        if conv.id in seen:
            raise InputError(out, f"conversation id {conv.id!r} appears twice in the input", field="id")
        seen.add(conv.id)
    def statement_key(result: Classification) -> str | None:
        # the roll-up to occupations joins on the task statement (see harness.aggregate)
        if not result.path or "task_ids" not in hierarchy[result.path[-1]].meta:
            return None
        return normalise_statement(hierarchy[result.path[-1]].name)

    partial = out / PARTIAL
    _check_identity(out, classifier, hierarchy)
    done = _read_partial(partial)
    stale = set(done) - seen
    if stale:
        raise InputError(partial, f"{len(stale)} rows belong to another input (e.g. {sorted(stale)[0]!r}); "
                         "use a fresh output directory")
    todo = [(seq, conv) for seq, conv in enumerate(items) if conv.id not in done]
    n_resumed = len(items) - len(todo)
    if n_resumed:
        log.info("resuming: %d of %d conversations already classified", n_resumed, len(items))
    bar = tqdm(total=len(items), initial=n_resumed, disable=not progress, unit="conv", desc="classify")
    with partial.open("a", encoding="utf-8") as fh:
        for start in range(0, len(todo), batch_size):
            chunk = todo[start : start + batch_size]
            results = classifier.classify([conv for _, conv in chunk])
            if len(results) != len(chunk):
                raise RuntimeError(f"{classifier.spec} returned {len(results)} results for {len(chunk)} inputs")
            for (seq, conv), result in zip(chunk, results, strict=True):
                if result.conversation_id != conv.id:
                    raise RuntimeError(f"{classifier.spec} answered for {result.conversation_id!r}, not {conv.id!r}")
                row = {"seq": seq, **result.to_row(hierarchy.levels), "statement_key": statement_key(result)}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                done[conv.id] = row
            fh.flush()
            os.fsync(fh.fileno())
            bar.update(len(chunk))
    bar.close()

    rows = sorted(done.values(), key=lambda r: r["seq"])
    frame = facts_frame(rows)
    frame.to_parquet(out / "facts.parquet", index=False)
    with (out / "facts.jsonl.tmp").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    os.replace(out / "facts.jsonl.tmp", out / "facts.jsonl")
    n_invalid = int((~frame["valid"]).sum()) if len(frame) else 0
    seconds = time.perf_counter() - started
    manifest = {
        "schema": "harness.run/1",
        "backend": classifier.spec,
        "classifier": classifier.describe(),
        "hierarchy": {
            "id": hierarchy.id,
            "sizes": hierarchy.sizes(),
            "onet_release": hierarchy.metadata.get("onet_release"),
            "builder": hierarchy.metadata.get("builder"),
        },
        "package_versions": package_versions(),
        "started": started_at,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "counts": {
            "conversations": len(items),
            "resumed": n_resumed,
            "classified_now": len(todo),
            "invalid": n_invalid,
            "occupational": int(frame["occupational"].fillna(False).astype(bool).sum()) if len(frame) else 0,
        },
        **(manifest_extra or {}),
    }
    write_json_atomic(out / "manifest.json", manifest)
    return RunResult(out, len(items), n_resumed, len(todo), n_invalid, seconds)


def facts_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Facts rows as a DataFrame with stable dtypes (lists stay lists, ``prompt_hashes`` is JSON text)."""
    frame = pd.DataFrame(list(rows))
    if len(frame) == 0:
        return frame
    frame["prompt_hashes"] = frame["prompt_hashes"].map(lambda d: json.dumps(d, sort_keys=True))
    frame["occupational"] = frame["occupational"].astype("boolean")
    frame["cost_usd"] = frame["cost_usd"].astype("float64")
    return frame


def read_facts(path: str | Path) -> list[Classification]:
    """Read a facts table (Parquet or JSONL) back into :class:`Classification` objects."""
    path = Path(path)
    if path.suffix == ".parquet":
        frame = pd.read_parquet(path)
        rows = frame.to_dict("records")
        for row in rows:
            for key, value in row.items():
                if not isinstance(value, list | tuple | np.ndarray) and pd.isna(value):
                    row[key] = None  # Parquet gives NaN/NA for missing scalars
            row["prompt_hashes"] = json.loads(row.get("prompt_hashes") or "{}")
            for key in ("path", "top_k", "skills"):
                row[key] = list(row.get(key) if row.get(key) is not None else [])
    else:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Classification.from_row(r) for r in rows]


def sha256_file(path: str | Path) -> str:
    """SHA-256 of a file's bytes (recorded in manifests)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
