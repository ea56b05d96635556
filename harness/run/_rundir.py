"""The run directory: every file name a run uses, and typed reading and writing of each file.

Stages never spell a file name; they ask a :class:`RunDir` for a path or, better, for the content. Layout::

    manifest.json         what produced the run (schema harness.run/1); written last, it marks the run finished
    run-identity.json     backend + hierarchy + classifier digest, checked before a resume
    .harness.lock         held (flock) by the one process working on the run
    facts.partial.jsonl   fact rows appended batch by batch while classifying
    facts.parquet         the finished facts table (also facts.jsonl)
    metrics.json          gate metrics and report sections (validate)
    items.parquet         one row per goldset item (validate)
    tables/<name>.csv     per-level and per-major-group accuracy (validate)
    hierarchy.json        the hierarchy the run used, when saved with it
    analysis/             Economic Index tables, figures and summary.json (see AnalysisDir)
    reconstruction/       cluster-vs-direct tables and figures (see ReconstructionDir)

A run is *unfinished* while it holds rows in ``facts.partial.jsonl`` but no ``manifest.json``: a classify run
removes the manifest before it changes anything (see :meth:`RunDir.begin_update`) and writes it back as the last
step of :meth:`RunDir.finish`, so a kill at any point leaves either the earlier finished run or an unfinished one
that a re-run completes, never new facts beside an old manifest. Readers refuse an unfinished run.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import InputError
from harness.run._facts import (
    FACT_SCHEMA,
    PartialAppender,
    append_rows,
    read_facts_jsonl,
    read_facts_parquet,
    read_partial_rows,
    stage_facts,
    write_facts,
)
from harness.run._items import read_items_file, write_items
from harness.run._json import read_json_object, stage_json, write_json_atomic
from harness.run._lock import hold_lock
from harness.run._metrics import MetricEntry, MetricsFile, read_metrics_file, write_metrics

__all__ = ["RUN_SCHEMA", "AnalysisDir", "ReconstructionDir", "RunDir", "read_facts", "read_items"]

RUN_SCHEMA = "harness.run/1"
_RUN_SCHEMA_RE = re.compile(r"harness\.run/(\d+)")


def _as_path(obj: object, value: str | Path) -> None:
    object.__setattr__(obj, "path", Path(value))


def _make_dir(path: Path) -> None:
    """``mkdir -p``, with a path that is a file or cannot be made reported as bad input rather than a traceback."""
    if path.exists() and not path.is_dir():
        raise InputError(path, "exists and is not a directory; name a directory for the output")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(path, "exists and is not a directory; name a directory for the output") from None
    except NotADirectoryError:
        raise InputError(path, "a part of this path is a file, not a directory") from None
    except OSError as exc:
        raise InputError(path, f"cannot create the directory: {exc.strerror or exc}") from None


def _fsync(path: Path) -> None:
    """Flush a file (or a directory's entries) to disk, so a rename made after it survives a power cut too."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class AnalysisDir:
    """The folder :func:`harness.aggregate.write_analysis` fills: ``tables/``, ``figures/`` and ``summary.json``.

    Attributes:
        path: The folder (``<run>/analysis``, or any ``--out`` of ``harness analyze``).
    """

    path: Path

    def __post_init__(self) -> None:
        _as_path(self, self.path)

    @property
    def summary_path(self) -> Path:
        return self.path / "summary.json"

    @property
    def tables_dir(self) -> Path:
        return self.path / "tables"

    @property
    def figures_dir(self) -> Path:
        return self.path / "figures"

    def table_csv(self, name: str) -> Path:
        """``tables/<name>.csv``."""
        return self.tables_dir / f"{name}.csv"

    def table_sidecar(self, name: str) -> Path:
        """``tables/<name>.json``: the walled table with its policy, source and note."""
        return self.tables_dir / f"{name}.json"

    def figure_png(self, name: str) -> Path:
        """``figures/<name>.png``."""
        return self.figures_dir / f"{name}.png"

    def create(self) -> AnalysisDir:
        """Make the folder and its ``tables/`` and ``figures/``; returns self.

        Raises:
            InputError: The path (or a part of it) is a file, or the folder cannot be made.
        """
        _make_dir(self.tables_dir)
        _make_dir(self.figures_dir)
        return self


@dataclass(frozen=True)
class ReconstructionDir:
    """The ``reconstruction/`` folder of a run (cluster-vs-direct prevalence).

    Attributes:
        path: The folder.
    """

    path: Path

    def __post_init__(self) -> None:
        _as_path(self, self.path)

    @property
    def scores_csv(self) -> Path:
        return self.path / "scores.csv"

    @property
    def summary_json(self) -> Path:
        return self.path / "reconstruction.json"

    @property
    def prevalence_csv(self) -> Path:
        return self.path / "prevalence.csv"

    @property
    def prevalence_parquet(self) -> Path:
        return self.path / "prevalence.parquet"

    @property
    def clusters_csv(self) -> Path:
        return self.path / "clusters.csv"

    @property
    def figure_png(self) -> Path:
        return self.path / "correlations.png"

    def pairs_csv(self, level: str, aggregation: str) -> Path:
        """``pairs_<level>_<aggregation>.csv``."""
        return self.path / f"pairs_{level}_{aggregation}.csv"

    def create(self) -> ReconstructionDir:
        """Make the folder; returns self.

        Raises:
            InputError: The path (or a part of it) is a file, or the folder cannot be made.
        """
        _make_dir(self.path)
        return self


@dataclass(frozen=True)
class RunDir:
    """One run directory and the only place its file names are spelled.

    Attributes:
        path: The directory (need not exist until :meth:`create` or a write).
    """

    path: Path

    def __post_init__(self) -> None:
        _as_path(self, self.path)

    # ----------------------------------------------------------------------------------------- paths

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    @property
    def identity_path(self) -> Path:
        return self.path / "run-identity.json"

    @property
    def partial_path(self) -> Path:
        return self.path / "facts.partial.jsonl"

    @property
    def facts_path(self) -> Path:
        return self.path / "facts.parquet"

    @property
    def facts_jsonl_path(self) -> Path:
        return self.path / "facts.jsonl"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def items_path(self) -> Path:
        return self.path / "items.parquet"

    @property
    def tables_dir(self) -> Path:
        return self.path / "tables"

    @property
    def hierarchy_path(self) -> Path:
        return self.path / "hierarchy.json"

    @property
    def analysis(self) -> AnalysisDir:
        return AnalysisDir(self.path / "analysis")

    @property
    def reconstruction(self) -> ReconstructionDir:
        return ReconstructionDir(self.path / "reconstruction")

    def create(self) -> RunDir:
        """Make the directory (and its parents); returns self.

        Raises:
            InputError: The path (or a part of it) is a file, or the directory cannot be made.
        """
        _make_dir(self.path)
        return self

    @property
    def lock_path(self) -> Path:
        return self.path / ".harness.lock"

    @contextmanager
    def lock(self) -> Iterator[RunDir]:
        """Hold the run's exclusive lock for the ``with`` block (the directory is created first).

        The lock is released when the block ends or the process dies; the same thread may take it again inside.

        Raises:
            RunDirInUseError: Another process holds it (raised at once; the message names the holder's pid).
        """
        self.create()
        with hold_lock(self.path, self.lock_path):
            yield self

    # ----------------------------------------------------------------------------------------- finishing

    def is_unfinished(self) -> bool:
        """Whether a classify run started here and has not finished: partial rows but no manifest."""
        return self.partial_path.exists() and not self.manifest_path.exists()

    def check_finished(self) -> None:
        """Refuse to read results of an unfinished run.

        Raises:
            InputError: The run holds partial rows but no manifest (it was interrupted or is still running).
        """
        if self.is_unfinished():
            raise InputError(self.path, "unfinished run (rows in facts.partial.jsonl but no manifest.json: it was "
                             "interrupted or is still running); re-run the same command with this --out to finish it")

    def begin_update(self) -> None:
        """Mark the run unfinished before its facts change: make sure the partial file exists, then remove
        ``manifest.json`` and ``metrics.json``.

        The metrics summarise the facts, so they would be stale once the facts change; :meth:`finish` writes the
        manifest again as its last step. The partial file comes first so that at no instant does the directory
        hold old facts with neither a manifest nor the mark of an unfinished run.
        """
        self.partial_path.touch(exist_ok=True)
        for path in (self.manifest_path, self.metrics_path):
            path.unlink(missing_ok=True)

    def finish(
        self, rows: Sequence[dict[str, Any]], manifest: Mapping[str, Any]
    ) -> tuple[pd.DataFrame, dict[str, Any]]:
        """Write ``facts.parquet``, ``facts.jsonl`` and ``manifest.json`` with one commit point.

        All three are written under temporary names first and then renamed, the manifest last. Until that last
        rename the run reads as unfinished (after :meth:`begin_update`), so a kill at any step leaves a run a
        re-run completes rather than new facts beside an old manifest.

        Returns:
            The facts table and the manifest as a reader of the file sees it.
        """
        frame, staged = stage_facts(rows, self.facts_path, self.facts_jsonl_path)
        body = self._manifest_body(manifest)
        staged.append((stage_json(self.manifest_path, body), self.manifest_path))
        for tmp, _ in staged:
            _fsync(tmp)
        for tmp, final in staged:
            os.replace(tmp, final)
        _fsync(self.path)
        return frame, json.loads(json.dumps(body, default=str))

    # ----------------------------------------------------------------------------------------- manifest

    def write_manifest(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Write ``manifest.json`` (atomically), stamped with :data:`RUN_SCHEMA` and the facts layout version.

        Returns:
            The manifest as a reader of the file sees it (tuples as lists, other objects as text).
        """
        body = self._manifest_body(manifest)
        write_json_atomic(self.manifest_path, body)
        return json.loads(json.dumps(body, default=str))

    @staticmethod
    def _manifest_body(manifest: Mapping[str, Any]) -> dict[str, Any]:
        return {"schema": RUN_SCHEMA, **dict(manifest), "schema_versions": {FACT_SCHEMA.name: FACT_SCHEMA.version}}

    def read_manifest(self) -> dict[str, Any]:
        """Read ``manifest.json``; a manifest without ``schema`` is taken as version 1.

        Raises:
            InputError: Missing, not a JSON object, or written by a newer harness.
        """
        manifest = read_json_object(self.manifest_path)
        schema = manifest.get("schema", RUN_SCHEMA)
        match = _RUN_SCHEMA_RE.fullmatch(schema) if isinstance(schema, str) else None
        if match is None:
            raise InputError(self.manifest_path, f"expected schema {RUN_SCHEMA!r}, got {schema!r}", field="schema")
        if int(match.group(1)) > 1:
            raise InputError(self.manifest_path, f"schema {schema!r} is newer than this harness reads "
                             f"({RUN_SCHEMA}); upgrade the harness", field="schema")
        return manifest

    # ----------------------------------------------------------------------------------------- identity

    def read_identity(self) -> dict[str, Any] | None:
        """The recorded run identity, or None when there is none yet."""
        return read_json_object(self.identity_path) if self.identity_path.is_file() else None

    def write_identity(self, identity: Mapping[str, Any]) -> Path:
        """Record the identity of the run that is writing rows here."""
        return write_json_atomic(self.identity_path, dict(identity))

    # ----------------------------------------------------------------------------------------- facts

    def has_partial(self) -> bool:
        """Whether an earlier (possibly interrupted) run left fact rows here."""
        return self.partial_path.exists()

    def read_partial(self) -> dict[str, dict[str, Any]]:
        """Rows already classified, keyed by conversation id (a torn last line is cut off the file)."""
        return read_partial_rows(self.partial_path)

    @contextmanager
    def append_partial(self) -> Iterator[PartialAppender]:
        """Open the partial file for durable appends: ``with run.append_partial() as out: out.append(rows)``."""
        with append_rows(self.partial_path) as appender:
            yield appender

    def write_facts(self, rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
        """Write ``facts.parquet`` and ``facts.jsonl`` from rows in their final order; returns the table."""
        return write_facts(rows, self.facts_path, self.facts_jsonl_path)

    def facts_version(self) -> int:
        """The facts layout version recorded in the manifest (1 for runs that predate the record)."""
        if not self.manifest_path.is_file():
            return 1
        version = self.read_manifest().get("schema_versions", {}).get(FACT_SCHEMA.name, 1)
        if isinstance(version, bool) or not isinstance(version, int):
            raise InputError(self.manifest_path, f"expected an integer, got {version!r}",
                             field=f"schema_versions.{FACT_SCHEMA.name}")
        return version

    def read_facts(self, *, jsonl: bool = False) -> pd.DataFrame:
        """Read and check the facts table (``facts.parquet``, or ``facts.jsonl`` when ``jsonl``).

        Raises:
            InputError: The run is unfinished (see :meth:`check_finished`), or the table fails its checks.
        """
        self.check_finished()
        if jsonl:
            return read_facts_jsonl(self.facts_jsonl_path, version=self.facts_version())
        return read_facts_parquet(self.facts_path)

    # ----------------------------------------------------------------------------------------- validation

    def write_items(self, items: pd.DataFrame) -> Path:
        """Write ``items.parquet`` (checked against its schema)."""
        return write_items(items, self.items_path)

    def read_items(self) -> pd.DataFrame:
        """Read and check ``items.parquet`` (refused while the run is unfinished)."""
        self.check_finished()
        return read_items_file(self.items_path)

    def write_metrics(
        self,
        metrics: Mapping[str, MetricEntry],
        *,
        run: Mapping[str, Any] | None = None,
        sections: Mapping[str, Any] | None = None,
    ) -> Path:
        """Write ``metrics.json`` once: run summary, metric map, then the report sections."""
        return write_metrics(self.metrics_path, metrics, run=run, sections=sections)

    def read_metrics(self) -> MetricsFile:
        """Read and check ``metrics.json`` (refused while the run is unfinished)."""
        self.check_finished()
        return read_metrics_file(self.metrics_path)

    def write_tables(self, tables: Mapping[str, pd.DataFrame]) -> Path:
        """Write each table as ``tables/<name>.csv``; returns the folder."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.to_csv(self.tables_dir / f"{name}.csv", index=False)
        return self.tables_dir


def read_facts(path: str | Path) -> pd.DataFrame:
    """Read and check a facts table: a run directory, its ``facts.parquet``, ``facts.jsonl``, or any Parquet file.

    Returns:
        The table, with every column of :data:`~harness.run.FACT_COLUMNS` and values of the expected kinds.

    Raises:
        InputError: Naming the file and field: missing or unreadable file, missing column, wrong kind, newer
            schema version, repeated conversation, empty account or unknown pattern.
    """
    path = Path(path)
    if path.is_dir():
        return RunDir(path).read_facts()
    run = RunDir(path.parent)
    if path.name in (run.facts_path.name, run.facts_jsonl_path.name):
        run.check_finished()
    if path.suffix == ".jsonl":
        return read_facts_jsonl(path, version=RunDir(path.parent).facts_version())
    return read_facts_parquet(path)


def read_items(path: str | Path) -> pd.DataFrame:
    """Read and check ``items.parquet`` from a run directory (or the file itself)."""
    path = Path(path)
    if path.is_dir():
        return RunDir(path).read_items()
    RunDir(path.parent).check_finished()
    return read_items_file(path)
