"""CI gate: fail a change when a metric drops by more than its sampling noise.

Each baseline metric is compared with the current run. A drop fails only when it exceeds a margin derived from the
sample sizes, so a 150-item goldset does not fail on a one-item wobble while a large one still catches real
regressions. Missing or undefined metrics always fail: a metric that silently disappears is a regression too.

This gate is *unpaired*: it sees two summary numbers, not which items changed, so its margins are those of two
independent samples (about ten points for an accuracy on 170 items). When the baseline's per-item results are
stored, the paired gate (``harness compare BASELINE CANDIDATE --fail-unless-safe``,
:func:`harness.evaluate.compare_runs`) sees far smaller regressions on the same items; ``make gate`` runs both and
the paired one decides on regressions, while this one still catches a metric that went missing or undefined.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from scipy import stats

from harness.errors import InputError
from harness.evaluate._registry import KINDS, metric_direction
from harness.run import MetricEntry, MetricsFile, parse_metric_entries, read_json_object, read_metrics_file

__all__ = [
    "KINDS",
    "GateResult",
    "GateRow",
    "MetricEntry",
    "baseline_run",
    "check_baseline_matches",
    "check_same_goldsets",
    "format_gate_table",
    "gate",
    "read_baseline",
    "read_baseline_file",
    "read_metrics",
    "write_baseline",
]

BASELINE_SCHEMA = "harness.baseline/1"
_FROM_INTERVALS = frozenset({"error", "cost"})  # kinds whose margin is read from intervals, else a tolerance
_TOLERANCE = 1e-9  # absorbs float noise so identical values never fail
_FISHER_CLIP = 0.9999  # keeps atanh finite for |r| == 1 when n is unknown


# --------------------------------------------------------------------------------------------- reading/writing
# The metrics.json format (MetricEntry, MetricsFile, read_metrics_file, write_metrics) belongs to harness.run;
# a baseline is the same metric map under its own schema.


def read_metrics(path: str | Path) -> dict[str, MetricEntry]:
    """The metric map of a ``metrics.json``; see :func:`read_metrics_file`."""
    return dict(read_metrics_file(path).metrics)


def read_baseline_file(path: str | Path) -> MetricsFile:
    """Read and check a ``baseline.json`` (schema ``harness.baseline/1``): its metric map and the run it records.

    Raises:
        InputError: As :func:`read_metrics_file`, and when the baseline lists no metrics (a gate that checks
            nothing would always pass).
    """
    path = Path(path)
    run, entries = parse_metric_entries(path, read_json_object(path), BASELINE_SCHEMA)
    if not entries:
        raise InputError(path, "the baseline lists no metrics, so the gate would check nothing", field="metrics")
    return MetricsFile(schema=BASELINE_SCHEMA, run=run, metrics=entries)


def read_baseline(path: str | Path) -> dict[str, MetricEntry]:
    """The metric map of a ``baseline.json``; see :func:`read_baseline_file`."""
    return dict(read_baseline_file(path).metrics)


def _goldset_digests(run: Mapping[str, Any]) -> list[str] | None:
    """The sha256 of each goldset a run was scored on, sorted; None when the run does not record them."""
    goldsets = run.get("goldsets")
    if not isinstance(goldsets, list) or not goldsets:
        return None
    digests = [g.get("sha256") for g in goldsets if isinstance(g, dict)]
    if len(digests) != len(goldsets) or not all(isinstance(d, str) for d in digests):
        return None
    return sorted(digests)


def check_baseline_matches(
    metrics: MetricsFile, baseline: MetricsFile, metrics_path: str | Path, baseline_path: str | Path
) -> None:
    """Refuse a gate whose two sides cannot be compared, before any metric is judged.

    Three mismatches would otherwise end in a wrong or meaningless verdict: a baseline none of whose metrics the
    run reports (another producer, another hierarchy's levels), and a baseline recorded on other goldset files
    or another split than the run (the numbers measure different items). The goldsets and split are compared
    only when both sides record them; baselines written before they were recorded are compared on their metrics
    alone.

    Raises:
        InputError: Naming the baseline file and what differs.
    """
    shared = set(baseline.metrics) & set(metrics.metrics)
    if not shared:
        example = next(iter(baseline.metrics))
        raise InputError(baseline_path, f"none of its {len(baseline.metrics)} metrics (e.g. {example!r}) is in "
                         f"{metrics_path}: the baseline belongs to another metric set", field="metrics")
    check_same_goldsets(metrics.run, baseline.run, metrics_path, baseline_path)


def check_same_goldsets(
    run: Mapping[str, Any], other: Mapping[str, Any], path: str | Path, other_path: str | Path
) -> None:
    """Refuse two runs (or a run and a baseline) recorded on different goldset files or splits.

    Each side's ``run`` block lists its goldsets with their sha256 and its split; a side that does not record
    them is not judged.

    Raises:
        InputError: Naming ``other_path`` and the field that differs.
    """
    ours, theirs = _goldset_digests(run), _goldset_digests(other)
    if ours is not None and theirs is not None and ours != theirs:
        raise InputError(other_path, f"recorded on other goldset files (sha256 {', '.join(d[:12] for d in theirs)}"
                         f") than {path} ({', '.join(d[:12] for d in ours)}); compare like with like, or record a "
                         "new baseline for a changed goldset", field="run.goldsets")
    split, other_split = run.get("split"), other.get("split")
    if isinstance(split, str) and isinstance(other_split, str) and split != other_split:
        raise InputError(other_path, f"recorded on the {other_split!r} split, but {path} scored the {split!r} split",
                         field="run.split")


_RECORDED_RUN = ("backend", "model", "hierarchy_id", "onet_release", "split")


def baseline_run(run: Mapping[str, Any]) -> dict[str, Any]:
    """What a baseline records of the run it came from: backend, model, hierarchy, release, split and goldsets.

    The goldsets (name, sha256, items) and split let :func:`check_baseline_matches` refuse a later run scored
    on other items; the rest tells a reviewer what the baseline stands for.
    """
    recorded = {key: run[key] for key in _RECORDED_RUN if run.get(key) is not None}
    goldsets = run.get("goldsets")
    if isinstance(goldsets, list):
        recorded["goldsets"] = [{k: g[k] for k in ("name", "sha256", "n_items") if k in g}
                                for g in goldsets if isinstance(g, dict)]
    return recorded


def write_baseline(
    path: str | Path, metrics: Mapping[str, MetricEntry], *, run: Mapping[str, Any] | None = None
) -> Path:
    """Write ``baseline.json`` from a metric map (e.g. a reviewed run's metrics) in one go, through a rename.

    Undefined (NaN) metrics are left out: a baseline value is something to compare against, and an undefined
    one would fail every later gate.

    Args:
        path: The file to write; its folder must exist.
        metrics: The metric map.
        run: What the baseline records of its run (see :func:`baseline_run`); left out when None.

    Returns:
        ``path``.

    Raises:
        InputError: ``path`` is a directory, its folder does not exist, it cannot be written, or no metric is
            defined.
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(path, "is a directory; give the baseline's file name (e.g. baseline.json)")
    if not path.parent.is_dir():
        raise InputError(path, f"folder {path.parent} does not exist")
    defined = {k: v.to_dict() for k, v in metrics.items() if not math.isnan(v.value)}
    if not defined:
        raise InputError(path, "no metric has a defined value, so the baseline would check nothing")
    body: dict[str, Any] = {"schema": BASELINE_SCHEMA}
    if run:
        body["run"] = dict(run)
    body["metrics"] = defined
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InputError(path, f"cannot write the baseline: {exc.strerror or exc}") from None
    return path


# --------------------------------------------------------------------------------------------- the gate

Status = Literal["pass", "fail", "missing", "nan"]


@dataclass(frozen=True)
class GateRow:
    """The gate's decision on one baseline metric.

    Attributes:
        name: Metric name.
        kind: The baseline's kind.
        baseline: Baseline value.
        current: Current value (NaN when missing).
        margin: How far the metric may move in the worse direction before failing; NaN when not computed.
        status: ``"pass"``, ``"fail"`` (worse by more than the margin, or kind changed), ``"missing"`` (absent
            from the current metrics) or ``"nan"`` (current or baseline value undefined).
        reason: Readable explanation.
    """

    name: str
    kind: str
    baseline: float
    current: float
    margin: float
    status: Status
    reason: str


@dataclass(frozen=True)
class GateResult:
    """All gate rows (in baseline order) and the settings used.

    Attributes:
        rows: One :class:`GateRow` per baseline metric.
        z: One-sided critical value used for the margins.
        extra: Current metrics absent from the baseline (not gated; listed so they can be added).
    """

    rows: tuple[GateRow, ...]
    z: float
    extra: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every row passed."""
        return all(row.status == "pass" for row in self.rows)

    @property
    def failures(self) -> tuple[GateRow, ...]:
        """Rows that did not pass."""
        return tuple(row for row in self.rows if row.status != "pass")


def _variance_proportion(p: float, n: int | None) -> float:
    if not n or n <= 0:
        return 0.0
    # Add-half smoothing keeps p(1-p) > 0 at p = 0 or 1, where the plain estimate claims zero noise.
    smoothed = (n * min(max(p, 0.0), 1.0) + 0.5) / (n + 1.0)
    return smoothed * (1.0 - smoothed) / n


def _variance_kappa(kappa: float, n: int | None) -> float:
    if not n or n <= 0:
        return 0.0
    k = min(max(kappa, -1.0), 1.0)
    return max(1.0 - k * k, 1.0 / n) / n


def _fisher_variance(n: int | None) -> float:
    if not n or n <= 0:
        return 0.0
    return 1.0 / max(n - 3, 1)


def _ci_se(entry: MetricEntry) -> float | None:
    if entry.ci_low is None or entry.ci_high is None or math.isnan(entry.ci_low) or math.isnan(entry.ci_high):
        return None
    return (entry.ci_high - entry.ci_low) / (2.0 * float(stats.norm.ppf(0.975)))


def _margin(base: MetricEntry, cur: MetricEntry, z: float, rel_tol: float) -> tuple[float, str]:
    """How far ``cur`` may move in the worse direction from ``base``; and how that was derived."""
    kind = base.kind
    if kind == "proportion":
        se = math.sqrt(_variance_proportion(base.value, base.n) + _variance_proportion(cur.value, cur.n))
        return z * se, "binomial SE"
    if kind == "kappa":
        se_base, se_cur = _ci_se(base), _ci_se(cur)
        if se_base is not None and se_cur is not None:
            return z * math.hypot(se_base, se_cur), "SE from CIs"
        se = math.sqrt(_variance_kappa(base.value, base.n) + _variance_kappa(cur.value, cur.n))
        return z * se, "kappa SE"
    if kind == "correlation":
        spread = z * math.sqrt(_fisher_variance(base.n) + _fisher_variance(cur.n))
        # |r| = 1 would put atanh at infinity; the clip shrinks it by the resolution a sample of n allows.
        clip = 1.0 - 1.0 / (base.n + 1.0) if base.n else _FISHER_CLIP
        r0 = min(max(base.value, -clip), clip)
        return base.value - math.tanh(math.atanh(r0) - spread), "Fisher z"
    if kind == "score":
        se_base, se_cur = _ci_se(base), _ci_se(cur)
        if se_base is not None and se_cur is not None:
            return z * math.hypot(se_base, se_cur), "SE from CIs"
        se = math.sqrt(_variance_proportion(base.value, base.n) + _variance_proportion(cur.value, cur.n))
        return z * se, "binomial SE (no intervals)"
    if kind in _FROM_INTERVALS:
        se_base, se_cur = _ci_se(base), _ci_se(cur)
        if se_base is not None and se_cur is not None:
            return z * math.hypot(se_base, se_cur), "SE from CIs"
        return rel_tol * abs(base.value), f"{rel_tol:.0%} tolerance"
    return math.nan, "informational"


def gate(
    metrics: Mapping[str, MetricEntry],
    baseline: Mapping[str, MetricEntry],
    *,
    z: float = 1.96,
    rel_tol: float = 0.10,
) -> GateResult:
    """Compare current metrics with a baseline and decide pass/fail per metric.

    A metric fails when it is worse than the baseline by more than ``margin``. Margins by kind:

    * ``proportion``: ``z * sqrt(v0 + v1)`` with ``v = p~(1 - p~) / n`` and the add-half estimate
      ``p~ = (n·p + 0.5) / (n + 1)``, a one-sided test of the drop under the binomial standard error of the
      difference. The smoothing is the floor that keeps p = 0 or 1 from claiming zero noise. A side without a
      usable ``n`` (missing or 0) contributes no variance, i.e. it is treated as exact, which makes the gate
      stricter, never looser.
    * ``kappa``: when both entries carry a 95 % interval (e.g. a bootstrap one), the standard errors are read
      from the interval widths. Otherwise the same form as proportions with ``v = max(1 - kappa², 1/n) / n``,
      which is Cohen's large-sample variance ``p_o(1 - p_o) / (n (1 - p_e)²)`` evaluated at chance agreement
      ``p_e = 1/2`` (the entry does not carry ``p_e``). With many balanced classes chance agreement is lower and
      the true variance smaller, so this margin errs on the lenient side; report intervals to tighten it. The
      ``1/n`` floor keeps kappa = ±1 from claiming zero noise.
    * ``correlation``: Fisher's z, ``atanh(r)`` with variance ``1 / (n - 3)`` (``n - 3`` floored at 1,
      ``|r|`` clipped at ``1 - 1/(n + 1)`` so a perfect baseline on a few items does not forbid any drop); the
      margin is reported back on the correlation scale.
    * ``error`` and ``cost`` (higher is worse): when both entries carry a 95 % interval, the standard errors
      are read from the interval widths and combined as above; otherwise a relative tolerance ``rel_tol`` of
      the baseline value.
    * ``score`` (a bounded score such as macro-F1): the standard errors are read from the intervals when both
      entries carry one; otherwise the proportion form, which understates the noise of a macro average and so
      errs strict.
    * ``count``: informational; passes whenever the value is defined.

    Which way is worse comes from the metric registry (:func:`harness.evaluate._registry.metric_direction`):
    the registered direction of the metric, or for a name the registry does not know the usual direction of its
    kind (lower is better for ``error`` and ``cost``, higher for the rest). Metrics registered as informational
    always pass.

    Current metrics absent from the baseline (e.g. a metric added since the baseline was recorded) are not
    gated; they are listed in ``extra`` so they can be added. Any baseline metric missing from ``metrics`` fails
    (status ``"missing"``); an undefined (NaN) or infinite value on either side fails (status ``"nan"``); a metric
    whose kind changed fails. ``z = 1.96`` gives a one-sided 2.5 % false-alarm rate per metric when nothing
    changed.

    Args:
        metrics: Current metric map (from :func:`read_metrics`).
        baseline: Baseline metric map (from :func:`read_baseline`).
        z: One-sided critical value (> 0).
        rel_tol: Relative tolerance for error/cost metrics without intervals (>= 0).

    Returns:
        A :class:`GateResult`; ``result.passed`` is the overall decision.

    Raises:
        ValueError: When ``z <= 0`` or ``rel_tol < 0``.
    """
    if not z > 0:
        raise ValueError(f"z must be positive, got {z!r}")
    if not rel_tol >= 0:
        raise ValueError(f"rel_tol must be non-negative, got {rel_tol!r}")
    rows = [_gate_row(name, base, metrics.get(name), z, rel_tol) for name, base in baseline.items()]
    extra = tuple(name for name in metrics if name not in baseline)
    return GateResult(rows=tuple(rows), z=z, extra=extra)


def _gate_row(name: str, base: MetricEntry, cur: MetricEntry | None, z: float, rel_tol: float) -> GateRow:
    """The decision on one baseline metric (see :func:`gate`)."""
    if cur is None:
        return GateRow(name, base.kind, base.value, math.nan, math.nan, "missing", "not in current metrics")
    if not (math.isfinite(base.value) and math.isfinite(cur.value)):
        side = "baseline" if math.isfinite(cur.value) else "current"
        return GateRow(name, base.kind, base.value, cur.value, math.nan, "nan", f"{side} value is not finite")
    if cur.kind != base.kind:
        return GateRow(name, base.kind, base.value, cur.value, math.nan, "fail", f"kind changed to {cur.kind!r}")
    margin, how = _margin(base, cur, z, rel_tol)
    direction = metric_direction(name, base.kind)
    if base.kind == "count" or direction == "none":
        return GateRow(name, base.kind, base.value, cur.value, margin, "pass", "informational")
    worse_by = cur.value - base.value if direction == "lower" else base.value - cur.value
    failed = worse_by > margin + _TOLERANCE
    word = "higher" if direction == "lower" else "lower"
    if failed:
        reason = f"{worse_by:.4g} {word} than baseline, beyond the margin ({how})"
    elif worse_by > _TOLERANCE:
        reason = f"{worse_by:.4g} {word}, within the margin ({how})"
    else:
        reason = f"not worse ({how})"
    return GateRow(name, base.kind, base.value, cur.value, margin, "fail" if failed else "pass", reason)


def _cell(value: float) -> str:
    if math.isnan(value):
        return "-"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{value:.0f}"
    # Small errors (e.g. an MSE of 0.0004) need significant digits, not fixed decimals.
    return f"{value:.3g}" if 0 < abs(value) < 0.01 else f"{value:.4f}"


def format_gate_table(result: GateResult) -> str:
    """Render a :class:`GateResult` as an aligned text table with a closing PASSED/FAILED line."""
    header = ("metric", "kind", "baseline", "current", "margin", "status", "reason")
    rows = [
        (r.name, r.kind, _cell(r.baseline), _cell(r.current), _cell(r.margin), r.status.upper(), r.reason)
        for r in result.rows
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if result.extra:
        lines.append(f"new, not gated (absent from the baseline): {', '.join(result.extra)}")
    failures = len(result.failures)
    verdict = "PASSED" if result.passed else f"FAILED ({failures} of {len(result.rows)} metrics)"
    lines.append(f"gate {verdict} at z = {result.z:g}")
    return "\n".join(lines)
