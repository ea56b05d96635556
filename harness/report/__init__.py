"""Reports: the appendix-style validation report of a run directory, as HTML, Markdown, PNG figures and CSV tables.

Public API:
    :func:`write_report` – read a run directory (and optionally a baseline run) and write ``report.html``
    (self-contained), ``report.md``, ``figures/*.png`` and ``tables/*.csv``.
    :func:`load_run` → :class:`RunData` (with :class:`AnalysisFolder`, :class:`ReconstructionData`);
    :func:`build_report` → :class:`Report` (sections of :class:`Text`, :class:`Table`, :class:`Figure`);
    :func:`render_html`, :func:`render_markdown`.

Every section is optional: the report renders what the run has and says what is absent. Only aggregates are shown.
"""

from ._load import AnalysisFolder, ReconstructionData, RunData, load_run
from ._model import Figure, Report, Section, Table, Text
from ._render import ReportFiles, render_html, render_markdown, write_report
from ._sections import build_report

__all__ = [
    "AnalysisFolder",
    "Figure",
    "ReconstructionData",
    "Report",
    "ReportFiles",
    "RunData",
    "Section",
    "Table",
    "Text",
    "build_report",
    "load_run",
    "render_html",
    "render_markdown",
    "write_report",
]
