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
    "KIND_RANGES",
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
        schema: The schema the document declares: :data:`METRICS_SCHEMA`, or the baseline schema for a file
            read by ``harness.evaluate.read_baseline_file``.
        run: What produced the metrics (backend, model, hierarchy, goldsets, versions, seed, times).
        metrics: The flat metric map the gate checks.
        sections: Every other top-level key (``hierarchy``, ``pattern``, ``screening``, ``raters``,
            ``reconstruction``, ...), as found; the report reads them.
    """

    schema: str
    run: Mapping[str, Any]
    metrics: Mapping[str, MetricEntry]
    sections: Mapping[str, Any] = field(default_factory=dict, repr=False)


KIND_RANGES: dict[str, tuple[float, float]] = {
    "proportion": (0.0, 1.0),
    "score": (0.0, 1.0),
    "kappa": (-1.0, 1.0),
    "correlation": (-1.0, 1.0),
    "error": (0.0, math.inf),
    "count": (0.0, math.inf),
    "cost": (0.0, 1e7),
}
"""The values each kind can take. Shares and scores lie in [0, 1] and coefficients in [-1, 1] by definition;
errors and counts cannot be negative. A cost is tokens or money *per item*: no model reads ten million tokens
for one item, so a value above that is a broken measurement (or a total written where a mean belongs), and
accepting it would let a baseline of 1e9 excuse any later cost."""

_ENTRY_KEYS = ("value", "kind", "n", "ci_low", "ci_high")
_SLACK = 1e-9  # floating-point noise at the ends of a range (an accuracy of 1.0000000000000002)


def _number(path: Path, field: str, raw: Any) -> float | None:
    """A JSON number as a float; None for null. NaN is kept (the reader decides whether it may stand)."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise InputError(path, f"expected a number or null, got {raw!r}", field=field)
    value = float(raw)
    if math.isinf(value):
        raise InputError(path, f"{raw!r} is not a finite number", field=field)
    return value


def _check_range(path: Path, field: str, value: float, kind: str, *, bound: bool = False) -> None:
    """Refuse a value outside its kind's range (and a fractional count; an interval ``bound`` of one may be)."""
    low, high = KIND_RANGES[kind]
    if not low - _SLACK <= value <= high + _SLACK:
        span = f"at least {low:g}" if math.isinf(high) else f"between {low:g} and {high:g}"
        raise InputError(path, f"a {kind} must be {span}, got {value!r}", field=field)
    if kind == "count" and not bound and not float(value).is_integer():
        raise InputError(path, f"a count must be a whole number, got {value!r}", field=field)


def _interval(path: Path, where: str, raw: dict[str, Any], kind: str) -> tuple[float | None, float | None]:
    """The entry's interval: both bounds or neither, finite, inside the kind's range and in order."""
    low = _number(path, f"{where}.ci_low", raw.get("ci_low"))
    high = _number(path, f"{where}.ci_high", raw.get("ci_high"))
    for key, bound in (("ci_low", low), ("ci_high", high)):
        if bound is not None and math.isnan(bound):
            raise InputError(path, "NaN is not an interval bound; write null when the interval is undefined",
                             field=f"{where}.{key}")
        if bound is not None:
            _check_range(path, f"{where}.{key}", bound, kind, bound=True)
    if (low is None) != (high is None):
        raise InputError(path, "an interval needs both ci_low and ci_high (or neither)", field=where)
    if low is not None and high is not None and low > high:
        raise InputError(path, f"ci_low {low!r} is above ci_high {high!r}", field=where)
    return low, high


def _entry(path: Path, where: str, raw: Any) -> MetricEntry:
    if not isinstance(raw, dict):
        raise InputError(path, "expected an object with value, kind and n", field=where)
    unknown = [key for key in raw if key not in _ENTRY_KEYS]
    if unknown:
        raise InputError(path, f"unknown field (expected {', '.join(_ENTRY_KEYS)})", field=f"{where}.{unknown[0]}")
    if "value" not in raw:
        raise InputError(path, "entry has no value (use null when undefined)", field=f"{where}.value")
    kind = raw.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        raise InputError(path, f"kind must be one of {', '.join(KINDS)}, got {kind!r}", field=f"{where}.kind")
    n = raw.get("n")
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 0):
        raise InputError(path, f"n must be a non-negative integer, got {n!r}", field=f"{where}.n")
    value = _number(path, f"{where}.value", raw["value"])
    value = math.nan if value is None else value  # null (or a NaN literal): undefined, which the gate fails
    if not math.isnan(value):
        _check_range(path, f"{where}.value", value, kind)
        if n == 0:
            raise InputError(path, f"a value of {value!r} measured on n = 0 items; an undefined metric is null",
                             field=f"{where}.n")
    ci_low, ci_high = _interval(path, where, raw, kind)
    return MetricEntry(value=value, kind=kind, n=n, ci_low=ci_low, ci_high=ci_high)


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

    Each entry is checked for its fields and their types, and its value and interval for the range of its kind
    (:data:`KIND_RANGES`): infinities, a NaN bound, half an interval, a reversed one, a value on ``n = 0`` items
    and fields the format does not have are refused. A null value (or a NaN literal) reads as undefined.

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
    if any(not str(name).strip() for name in metrics):
        raise InputError(path, "a metric has an empty name", field="metrics")
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
