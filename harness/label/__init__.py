"""Labelling: a browser workbench for making human goldsets, blind double-labelling, adjudication, active selection.

Public API:
    Items: :class:`LabelItem`, :func:`load_label_items` (a goldset-format file with blank labels, or a
    conversations file), :func:`check_label` (the ``goldset check`` rules, for one label), :func:`default_labels_dir`.
    Storage: :class:`LabelStore` (one rater's file, rewritten atomically on every change, locked to one process),
    :func:`rater_file`, :func:`read_label_files`, :func:`check_rater`, :class:`RaterBusyError`.
    Task search: :class:`TaskIndex` (SQLite FTS5 in memory over task statements, occupations, DWAs and alternate
    titles; GWA → IWA → task browsing), :class:`TaskHit`.
    Agreement and export: :func:`agreement_summary` → :class:`AgreementSummary`; :func:`collect_labels`,
    :func:`export_goldset` → :class:`ExportSummary`.
    Active selection: :func:`select_for_labelling` → :class:`Selection` (inclusion probabilities),
    :func:`disagreement_scores`, :func:`uncertainty_scores`, :func:`classify_pool`, :func:`pool_scores`,
    :func:`write_queue`.
    The web application: :class:`Workbench` (the session's rules), :class:`Suggester`, :func:`create_app`,
    :func:`serve`, :func:`new_token`.
"""

from pathlib import Path

from harness.label._agreement import AgreementSummary, FacetAgreement, agreement_summary
from harness.label._app import create_app
from harness.label._export import ExportSummary, SessionLabels, collect_labels, export_goldset
from harness.label._items import LabelItem, check_label, conversation_sha256, load_label_items
from harness.label._queue import PoolPredictions, classify_pool, pool_scores, write_queue
from harness.label._search import TaskHit, TaskIndex, read_alternate_titles
from harness.label._select import (
    STRATEGIES,
    SelectedItem,
    Selection,
    Strategy,
    disagreement_scores,
    select_for_labelling,
    uncertainty_scores,
)
from harness.label._serve import new_token, serve
from harness.label._store import (
    LABEL_FILE_SCHEMA,
    LabelStore,
    RaterBusyError,
    check_rater,
    rater_file,
    read_label_file,
    read_label_files,
)
from harness.label._suggest import Suggester
from harness.label._workbench import GUIDE, Workbench


def default_labels_dir(items_path: str | Path) -> Path:
    """Where a session's label files go by default: ``<items file stem>.labels/`` beside the items file."""
    path = Path(items_path)
    return path.with_name(path.stem + ".labels")


__all__ = [
    "GUIDE",
    "LABEL_FILE_SCHEMA",
    "STRATEGIES",
    "AgreementSummary",
    "ExportSummary",
    "FacetAgreement",
    "LabelItem",
    "LabelStore",
    "PoolPredictions",
    "RaterBusyError",
    "SelectedItem",
    "Selection",
    "SessionLabels",
    "Strategy",
    "Suggester",
    "TaskHit",
    "TaskIndex",
    "Workbench",
    "agreement_summary",
    "check_label",
    "check_rater",
    "classify_pool",
    "collect_labels",
    "conversation_sha256",
    "create_app",
    "default_labels_dir",
    "disagreement_scores",
    "export_goldset",
    "load_label_items",
    "new_token",
    "pool_scores",
    "rater_file",
    "read_alternate_titles",
    "read_label_file",
    "read_label_files",
    "select_for_labelling",
    "serve",
    "uncertainty_scores",
    "write_queue",
]
