"""Read what a run directory holds, for the report. Every part is optional; malformed files are errors.

Every file is found and read through :class:`harness.run.RunDir`, which owns the names and checks the layouts.
Besides the shared formats (``manifest.json``, ``metrics.json``, ``items.parquet``, ``analysis/``), the report reads
an optional ``reconstruction/`` folder:

* ``reconstruction/scores.csv`` – one row per (level, aggregation) with the columns of
  :class:`harness.evaluate.Reconstruction` (``level, aggregation, pearson, spearman, kendall_tau_b, mse, n_direct,
  n_cluster, n_both, n_union``) and optionally ``mean_cluster_size``. Used when ``metrics.json`` has no
  ``reconstruction`` section.
* ``reconstruction/prevalence.csv`` (or ``.parquet``) – one row per (level, aggregation, item) with columns
  ``level, aggregation, item, direct, cluster``: the share of the item under each method (0 when that method did
  not find it). Drawn as scatter plots.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from harness.errors import InputError
from harness.run import AnalysisDir, MetricsFile, ReconstructionDir, RunDir, read_json_object

__all__ = ["AnalysisFolder", "ReconstructionData", "RunData", "load_run"]

SECTION_KEYS: tuple[str, ...] = ("hierarchy", "pattern", "screening", "raters", "reconstruction", "calibration")
PREVALENCE_COLUMNS: tuple[str, ...] = ("level", "aggregation", "item", "direct", "cluster")
SCORE_COLUMNS: tuple[str, ...] = (
    "level", "aggregation", "pearson", "spearman", "kendall_tau_b", "mse", "n_direct", "n_cluster", "n_both",
)


@dataclass(frozen=True)
class AnalysisFolder:
    """The output of :func:`harness.aggregate.write_analysis` found in a run's ``analysis/`` folder.

    Attributes:
        path: The folder.
        summary: ``summary.json``, when present.
        tables: ``tables/<name>.csv`` by name, sorted by name.
        notes: Per table, the ``note`` and ``source`` of its ``.json`` sidecar (already privacy-walled upstream).
        figures: ``figures/<name>.png`` bytes by name, sorted by name.
    """

    path: Path
    summary: Mapping[str, Any] | None
    tables: Mapping[str, pd.DataFrame] = field(repr=False)
    notes: Mapping[str, str] = field(repr=False)
    figures: Mapping[str, bytes] = field(repr=False)


@dataclass(frozen=True)
class ReconstructionData:
    """Cluster-vs-direct reconstruction results of a run.

    Attributes:
        scores: One row per (level, aggregation); see the module docstring. None when absent.
        prevalence: One row per (level, aggregation, item); None when absent.
        source: Where ``scores`` came from (``metrics.json`` or the CSV path).
    """

    scores: pd.DataFrame | None = field(repr=False)
    prevalence: pd.DataFrame | None = field(repr=False)
    source: str = ""


@dataclass(frozen=True)
class RunData:
    """Everything the report reads from one run directory.

    Attributes:
        path: The run directory.
        manifest: ``manifest.json`` (schema ``harness.run/1``), when present.
        metrics: The parsed ``metrics.json``, when present.
        sections: The optional sections of ``metrics.json`` beyond ``run`` and ``metrics`` (``hierarchy``,
            ``pattern``, ``screening``, ``raters``, ``reconstruction``), as found.
        items: ``items.parquet``, when present.
        analysis: The ``analysis/`` folder, when present.
        reconstruction: The reconstruction results, when present (from ``metrics.json`` or ``reconstruction/``).
    """

    path: Path
    manifest: Mapping[str, Any] | None = field(default=None, repr=False)
    metrics: MetricsFile | None = field(default=None, repr=False)
    sections: Mapping[str, Any] = field(default_factory=dict, repr=False)
    items: pd.DataFrame | None = field(default=None, repr=False)
    analysis: AnalysisFolder | None = field(default=None, repr=False)
    reconstruction: ReconstructionData | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        """The run directory's name."""
        return self.path.resolve().name

    @property
    def run_info(self) -> dict[str, Any]:
        """The ``run`` block of ``metrics.json`` (empty when absent)."""
        return dict(self.metrics.run) if self.metrics is not None else {}

    def has_anything(self) -> bool:
        """Whether the directory holds at least one file the report can use."""
        return any(
            x is not None for x in (self.manifest, self.metrics, self.items, self.analysis, self.reconstruction)
        )


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except Exception as exc:  # pandas/pyarrow raise many unrelated types for unreadable files
        raise InputError(path, f"cannot read the table: {exc}") from exc


def _require(path: Path, frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    for column in columns:
        if column not in frame.columns:
            raise InputError(path, "column missing", field=column)
    return frame


def _load_analysis(folder: AnalysisDir) -> AnalysisFolder | None:
    if not folder.path.is_dir():
        return None
    summary = read_json_object(folder.summary_path) if folder.summary_path.is_file() else None
    tables: dict[str, pd.DataFrame] = {}
    notes: dict[str, str] = {}
    for csv in sorted(folder.tables_dir.glob("*.csv")):
        tables[csv.stem] = _read_table(csv)
        sidecar = folder.table_sidecar(csv.stem)
        if sidecar.is_file():
            meta = read_json_object(sidecar)
            text = " ".join(str(meta[k]) for k in ("note", "source") if meta.get(k))
            if text:
                notes[csv.stem] = text
    figures = {png.stem: png.read_bytes() for png in sorted(folder.figures_dir.glob("*.png"))}
    if summary is None and not tables and not figures:
        return None
    return AnalysisFolder(path=folder.path, summary=summary, tables=tables, notes=notes, figures=figures)


def _load_reconstruction(folder: ReconstructionDir, section: Any, metrics_path: Path) -> ReconstructionData | None:
    scores: pd.DataFrame | None = None
    source = ""
    if section is not None:
        if not isinstance(section, list) or not all(isinstance(row, dict) for row in section):
            raise InputError(metrics_path, "expected a list of objects", field="reconstruction")
        if section:
            scores = _require(metrics_path, pd.DataFrame(section), SCORE_COLUMNS)
            source = metrics_path.name
    if scores is None and folder.scores_csv.is_file():
        scores = _require(folder.scores_csv, _read_table(folder.scores_csv), SCORE_COLUMNS)
        source = str(folder.scores_csv)
    prevalence = None
    for candidate in (folder.prevalence_parquet, folder.prevalence_csv):
        if candidate.is_file():
            prevalence = _require(candidate, _read_table(candidate), PREVALENCE_COLUMNS)
            for column in ("direct", "cluster"):
                values = pd.to_numeric(prevalence[column], errors="coerce")
                if values.isna().any() or (values < 0).any() or not all(math.isfinite(v) for v in values):
                    raise InputError(candidate, "shares must be finite, non-negative numbers", field=column)
                prevalence[column] = values
            break
    if scores is None and prevalence is None:
        return None
    return ReconstructionData(scores=scores, prevalence=prevalence, source=source)


def load_run(run_dir: str | Path) -> RunData:
    """Read a run directory for the report.

    Args:
        run_dir: A directory written by ``harness classify`` / ``harness validate`` (and optionally
            ``harness analyze`` into ``analysis/`` and the clustering stage into ``reconstruction/``).

    Returns:
        A :class:`RunData`; parts the directory lacks are None.

    Raises:
        InputError: When the path is not a directory, holds nothing the report can use, or a file is malformed
            (the message names the file and field).
    """
    folder = RunDir(run_dir)
    path = folder.path
    if not path.is_dir():
        raise InputError(path, "not a directory; expected a run directory written by `harness validate`")
    manifest = folder.read_manifest() if folder.manifest_path.is_file() else None
    metrics = folder.read_metrics() if folder.metrics_path.is_file() else None
    sections: dict[str, Any] = {}
    if metrics is not None:
        sections = {key: metrics.sections[key] for key in SECTION_KEYS if metrics.sections.get(key) is not None}
        for key in ("hierarchy", "pattern", "screening", "raters"):
            if key in sections and not isinstance(sections[key], dict):
                raise InputError(folder.metrics_path, "expected an object", field=key)
    items = folder.read_items() if folder.items_path.is_file() else None
    run = RunData(
        path=path,
        manifest=manifest,
        metrics=metrics,
        sections=sections,
        items=items,
        analysis=_load_analysis(folder.analysis),
        reconstruction=_load_reconstruction(folder.reconstruction, sections.get("reconstruction"),
                                            folder.metrics_path),
    )
    if not run.has_anything():
        raise InputError(
            path,
            "nothing to report: expected manifest.json, metrics.json, items.parquet, analysis/ or reconstruction/",
        )
    return run
