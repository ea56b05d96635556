"""The run directory: every file name a run uses, and typed reading and writing of each file.

Stages never spell a file name; they ask a :class:`RunDir` for a path or, better, for the content. Layout::

    manifest.json         what produced the run (schema harness.run/1)
    run-identity.json     backend + hierarchy + classifier digest, checked before a resume
    facts.partial.jsonl   fact rows appended batch by batch while classifying
    facts.parquet         the finished facts table (also facts.jsonl)
    metrics.json          gate metrics and report sections (validate)
    items.parquet         one row per goldset item (validate)
    tables/<name>.csv     per-level and per-major-group accuracy (validate)
    hierarchy.json        the hierarchy the run used, when saved with it
    analysis/             Economic Index tables, figures and summary.json (see AnalysisDir)
    reconstruction/       cluster-vs-direct tables and figures (see ReconstructionDir)
"""

from __future__ import annotations

import json
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
    write_facts,
)
from harness.run._items import read_items_file, write_items
from harness.run._json import read_json_object, write_json_atomic
from harness.run._metrics import MetricEntry, MetricsFile, read_metrics_file, write_metrics

__all__ = ["RUN_SCHEMA", "AnalysisDir", "ReconstructionDir", "RunDir", "read_facts", "read_items"]

RUN_SCHEMA = "harness.run/1"
_RUN_SCHEMA_RE = re.compile(r"harness\.run/(\d+)")


def _as_path(obj: object, value: str | Path) -> None:
    object.__setattr__(obj, "path", Path(value))


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
        """Make the folder and its ``tables/`` and ``figures/``; returns self."""
        self.tables_dir.mkdir(parents=True, exist_ok=True)
        self.figures_dir.mkdir(parents=True, exist_ok=True)
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
        """Make the folder; returns self."""
        self.path.mkdir(parents=True, exist_ok=True)
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
        """Make the directory (and its parents); returns self."""
        self.path.mkdir(parents=True, exist_ok=True)
        return self

    # ----------------------------------------------------------------------------------------- manifest

    def write_manifest(self, manifest: Mapping[str, Any]) -> dict[str, Any]:
        """Write ``manifest.json`` (atomically), stamped with :data:`RUN_SCHEMA` and the facts layout version.

        Returns:
            The manifest as a reader of the file sees it (tuples as lists, other objects as text).
        """
        body = {"schema": RUN_SCHEMA, **dict(manifest), "schema_versions": {FACT_SCHEMA.name: FACT_SCHEMA.version}}
        write_json_atomic(self.manifest_path, body)
        return json.loads(json.dumps(body, default=str))

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
        """Read and check the facts table (``facts.parquet``, or ``facts.jsonl`` when ``jsonl``)."""
        if jsonl:
            return read_facts_jsonl(self.facts_jsonl_path, version=self.facts_version())
        return read_facts_parquet(self.facts_path)

    # ----------------------------------------------------------------------------------------- validation

    def write_items(self, items: pd.DataFrame) -> Path:
        """Write ``items.parquet`` (checked against its schema)."""
        return write_items(items, self.items_path)

    def read_items(self) -> pd.DataFrame:
        """Read and check ``items.parquet``."""
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
        """Read and check ``metrics.json``."""
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
    if path.suffix == ".jsonl":
        return read_facts_jsonl(path, version=RunDir(path.parent).facts_version())
    return read_facts_parquet(path)


def read_items(path: str | Path) -> pd.DataFrame:
    """Read and check ``items.parquet`` from a run directory (or the file itself)."""
    path = Path(path)
    return RunDir(path).read_items() if path.is_dir() else read_items_file(path)
