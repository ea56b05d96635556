"""Run directories: the one owner of every file a run writes and of the layout of each.

Public API:
    :class:`RunDir` – a run directory: the path of each file (``manifest.json``, ``run-identity.json``,
    ``facts.partial.jsonl``, ``facts.parquet``/``.jsonl``, ``metrics.json``, ``items.parquet``, ``tables/``) and
    checked reading and writing of each; its exclusive lock (:meth:`RunDir.lock`, refused with
    :class:`RunDirInUseError` while another process holds it) and its single commit point
    (:meth:`RunDir.begin_update`, :meth:`RunDir.finish`; readers refuse an unfinished run).
    :class:`AnalysisDir` (``analysis/``) and :class:`ReconstructionDir` (``reconstruction/``) name the files of
    the two optional folders.
    Tables: :func:`read_facts` (any facts file or run directory → checked DataFrame), :func:`facts_frame`,
    :func:`validate_facts`, :data:`FACT_SCHEMA` / :data:`FACT_COLUMNS`; :func:`read_items`,
    :data:`ITEM_SCHEMA` / :data:`ITEM_COLUMNS`, :func:`check_paired_items` (two runs' tables fit a paired
    comparison); :data:`SPLITS` / :data:`Split`, the goldset splits (the one list of them), and
    :data:`SPLIT_CHOICES` / :data:`SplitChoice`, the same plus ``"all"``; :class:`TableSchema` and
    :class:`Column` describe a layout and its version. Tables written before versions were recorded read as
    version 1; newer ones are refused.
    Metrics: :class:`MetricEntry`, :data:`KINDS`, :class:`MetricsFile`, :func:`read_metrics_file`,
    :func:`write_metrics`, :func:`parse_metric_entries`.
    JSON: :func:`write_json_atomic`, :func:`read_json_object`, :func:`parse_json` (strict: no repeated keys).
"""

from harness.run._facts import FACT_COLUMNS, FACT_SCHEMA, facts_frame, validate_facts
from harness.run._items import (
    ITEM_COLUMNS,
    ITEM_SCHEMA,
    SPLIT_CHOICES,
    SPLITS,
    Split,
    SplitChoice,
    check_paired_items,
)
from harness.run._json import parse_json, read_json_object, write_json_atomic
from harness.run._lock import RunDirInUseError
from harness.run._metrics import (
    KINDS,
    METRICS_SCHEMA,
    Kind,
    MetricEntry,
    MetricsFile,
    parse_metric_entries,
    read_metrics_file,
    write_metrics,
)
from harness.run._rundir import RUN_SCHEMA, AnalysisDir, ReconstructionDir, RunDir, read_facts, read_items
from harness.run._schema import VALUE_KINDS, Column, TableSchema, ValueKind

__all__ = [
    "FACT_COLUMNS",
    "FACT_SCHEMA",
    "ITEM_COLUMNS",
    "ITEM_SCHEMA",
    "KINDS",
    "METRICS_SCHEMA",
    "RUN_SCHEMA",
    "SPLITS",
    "SPLIT_CHOICES",
    "VALUE_KINDS",
    "AnalysisDir",
    "Column",
    "Kind",
    "MetricEntry",
    "MetricsFile",
    "ReconstructionDir",
    "RunDir",
    "RunDirInUseError",
    "Split",
    "SplitChoice",
    "TableSchema",
    "ValueKind",
    "check_paired_items",
    "facts_frame",
    "parse_json",
    "parse_metric_entries",
    "read_facts",
    "read_items",
    "read_json_object",
    "read_metrics_file",
    "validate_facts",
    "write_json_atomic",
    "write_metrics",
]
