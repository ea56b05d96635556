"""The ``metrics.json`` format: a run summary, a flat map of gate metrics, and optional report sections.

A metric entry is ``{"value", "kind", "n", "ci_low", "ci_high"}``; ``value`` is ``null`` when the metric is
undefined (never omitted, so a missing metric and an undefined one stay distinguishable). The same entries make
up a gate baseline (``harness.evaluate.read_baseline``), which is why their parser is shared.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

from harness.errors import InputError
from harness.run._json import read_json_object, write_json_atomic

__all__ = [
    "KINDS",
    "METRICS_SCHEMA",
    "Kind",
    "MetricEntry",
    "MetricsFile",
    "parse_metric_entries",
    "read_metrics_file",
    "write_metrics",
]

Kind = Literal["proportion", "kappa", "score", "correlation", "error", "count", "cost"]
KINDS: tuple[str, ...] = get_args(Kind)
"""Metric kinds: how a metric is bounded and which direction is worse. The metric registry
(``harness/evaluate/_registry.py``) says what each kind means and gives every metric its kind."""
METRICS_SCHEMA = "harness.metrics/1"
_ENVELOPE = ("schema", "run", "metrics")


@dataclass(frozen=True)
class MetricEntry:
    """One metric of ``metrics.json`` / ``baseline.json``.

    Attributes:
        value: The metric; NaN when undefined (JSON ``null`` or ``NaN``).
        kind: One of :data:`KINDS`.
        n: Sample size behind the value, when known.
        ci_low, ci_high: Confidence interval, when reported.
    """

    value: float
    kind: Kind
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {self.kind!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; NaN values become ``null`` and unset optional fields are left out."""
        out: dict[str, Any] = {"value": None if math.isnan(self.value) else self.value, "kind": self.kind}
        if self.n is not None:
            out["n"] = self.n
        for key in ("ci_low", "ci_high"):
            bound = getattr(self, key)
            if bound is not None:
                out[key] = None if math.isnan(bound) else bound
        return out


@dataclass(frozen=True)
class MetricsFile:
    """Contents of ``metrics.json``.

    Attributes:
        schema: Always :data:`METRICS_SCHEMA`.
        run: What produced the metrics (backend, model, hierarchy, goldsets, versions, seed, times).
        metrics: The flat metric map the gate checks.
        sections: Every other top-level key (``hierarchy``, ``pattern``, ``screening``, ``raters``,
            ``reconstruction``, ...), as found; the report reads them.
    """

    schema: str
    run: Mapping[str, Any]
    metrics: Mapping[str, MetricEntry]
    sections: Mapping[str, Any] = field(default_factory=dict, repr=False)


def _number(path: Path, field: str, raw: Any, *, optional: bool) -> float | None:
    if raw is None:
        return None if optional else math.nan
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(path, f"expected a number or null, got {raw!r}", field=field)
    return float(raw)


def _entry(path: Path, where: str, raw: Any) -> MetricEntry:
    if not isinstance(raw, dict):
        raise InputError(path, "expected an object with value, kind and n", field=where)
    if "value" not in raw:
        raise InputError(path, "entry has no value (use null when undefined)", field=f"{where}.value")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise InputError(path, f"kind must be one of {', '.join(KINDS)}, got {kind!r}", field=f"{where}.kind")
    n = raw.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise InputError(path, f"n must be a non-negative integer, got {n!r}", field=f"{where}.n")
    value = _number(path, f"{where}.value", raw["value"], optional=False)
    return MetricEntry(
        value=math.nan if value is None else value,
        kind=kind,
        n=n,
        ci_low=_number(path, f"{where}.ci_low", raw.get("ci_low"), optional=True),
        ci_high=_number(path, f"{where}.ci_high", raw.get("ci_high"), optional=True),
    )


def parse_metric_entries(
    path: str | Path, data: Mapping[str, Any], schema: str
) -> tuple[Mapping[str, Any], dict[str, MetricEntry]]:
    """Check the ``schema``, ``run`` and ``metrics`` keys of a metrics or baseline document.

    Args:
        path: The file ``data`` came from (named in errors).
        data: The parsed top-level object.
        schema: The schema string the document must declare.

    Returns:
        The ``run`` block (empty when absent) and the metric map.

    Raises:
        InputError: Naming the file and field of the first problem.
    """
    path = Path(path)
    if data.get("schema") != schema:
        raise InputError(path, f"expected schema {schema!r}, got {data.get('schema')!r}", field="schema")
    metrics = data.get("metrics")
    if not isinstance(metrics, dict):
        raise InputError(path, "expected an object mapping metric names to entries", field="metrics")
    run = data.get("run", {})
    if not isinstance(run, dict):
        raise InputError(path, "expected an object", field="run")
    return run, {str(name): _entry(path, f"metrics.{name}", raw) for name, raw in metrics.items()}


def read_metrics_file(path: str | Path) -> MetricsFile:
    """Read and check a ``metrics.json`` (schema ``harness.metrics/1``).

    Raises:
        InputError: Naming the file and the offending field when the file is missing, not JSON, of another
            schema, or has a malformed entry.
    """
    path = Path(path)
    data = read_json_object(path)
    run, entries = parse_metric_entries(path, data, METRICS_SCHEMA)
    sections = {key: value for key, value in data.items() if key not in _ENVELOPE}
    return MetricsFile(schema=METRICS_SCHEMA, run=run, metrics=entries, sections=sections)


def write_metrics(
    path: str | Path,
    metrics: Mapping[str, MetricEntry],
    *,
    run: Mapping[str, Any] | None = None,
    sections: Mapping[str, Any] | None = None,
) -> Path:
    """Write ``metrics.json`` in one go (through a rename); NaN metric values become ``null``.

    Args:
        path: Destination file.
        metrics: The flat metric map.
        run: The run summary.
        sections: Further top-level blocks for the report, written after the metric map; they may not reuse the
            names ``schema``, ``run`` or ``metrics``.

    Returns:
        ``path``.
    """
    clash = sorted(set(sections or {}) & set(_ENVELOPE))
    if clash:
        raise ValueError(f"sections may not be named {', '.join(clash)}")
    body = {"schema": METRICS_SCHEMA, "run": dict(run or {}), "metrics": {k: v.to_dict() for k, v in metrics.items()},
            **dict(sections or {})}
    return write_json_atomic(path, body)
