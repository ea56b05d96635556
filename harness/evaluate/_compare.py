"""Model-swap comparison: paired tests of two runs over the same goldset items.

Both runs scored the same items, so differences are tested *paired*: McNemar's test on the items one run got right
and the other wrong, and a paired bootstrap (resampling items, scoring both runs on each resample) for the
confidence interval of any metric's difference.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from ._agreement import MODES, PATTERNS, macro_f1_codes, pattern_mode
from ._registry import MetricSpec, metric_spec

__all__ = [
    "BootstrapDifference",
    "Comparison",
    "McNemarResult",
    "MetricChange",
    "RunTotals",
    "compare_runs",
    "format_comparison",
    "mcnemar_test",
    "paired_bootstrap_difference",
]

HIERARCHY_LEVELS: tuple[str, ...] = ("top", "mid", "base")
_EXACT_BELOW = 25  # discordant pairs below which McNemar uses the exact binomial test


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of paired correctness.

    Attributes:
        statistic: ``min(b, c)`` for the exact test; the continuity-corrected chi-square otherwise.
        p_value: Two-sided p-value.
        b: Items right under A and wrong under B.
        c: Items wrong under A and right under B.
        n: Paired items.
        exact: Whether the exact binomial test was used.
    """

    statistic: float
    p_value: float
    b: int
    c: int
    n: int
    exact: bool


def mcnemar_test(correct_a: Sequence[bool], correct_b: Sequence[bool], *, exact: bool | None = None) -> McNemarResult:
    """McNemar's test for a change in accuracy between two paired runs.

    Only discordant items matter: ``b`` (A right, B wrong) and ``c`` (A wrong, B right). Under no change each
    discordant item is equally likely to fall either way.

    Args:
        correct_a: Per item, whether run A was right.
        correct_b: Per item, whether run B was right (same order).
        exact: ``True`` for the exact two-sided binomial test on ``min(b, c)`` out of ``b + c`` at 1/2,
            ``False`` for the chi-square test with continuity correction,
            ``max(0, |b - c| - 1)^2 / (b + c)`` on 1 degree of freedom; ``None`` (default) picks exact when
            ``b + c < 25``, where the chi-square approximation is poor.

    Returns:
        A :class:`McNemarResult`.

    Degenerate cases:
        * No discordant item (including empty input): statistic 0 and p-value 1 with either test.
        * ``b == c``: p-value 1 (the continuity correction is clipped at 0, so the chi-square statistic is 0).

    Raises:
        ValueError: When the sequences differ in length.
    """
    a = np.asarray(correct_a, dtype=bool)
    b_arr = np.asarray(correct_b, dtype=bool)
    if a.shape != b_arr.shape:
        raise ValueError(f"correct_a has {a.size} items but correct_b has {b_arr.size}")
    b = int(np.sum(a & ~b_arr))
    c = int(np.sum(~a & b_arr))
    discordant = b + c
    use_exact = discordant < _EXACT_BELOW if exact is None else bool(exact)
    if discordant == 0:
        return McNemarResult(statistic=0.0, p_value=1.0, b=b, c=c, n=int(a.size), exact=use_exact)
    if use_exact:
        statistic = float(min(b, c))
        p_value = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), discordant, 0.5)))
    else:
        statistic = max(0.0, abs(b - c) - 1.0) ** 2 / discordant
        p_value = float(stats.chi2.sf(statistic, 1))
    return McNemarResult(statistic=statistic, p_value=p_value, b=b, c=c, n=int(a.size), exact=use_exact)


@dataclass(frozen=True)
class BootstrapDifference:
    """Difference ``metric(B) - metric(A)`` with a paired percentile bootstrap interval.

    Attributes:
        baseline: ``metric(y_true, pred_a)`` on all items.
        candidate: ``metric(y_true, pred_b)`` on all items.
        difference: ``candidate - baseline``.
        ci_low, ci_high: Percentile interval of the resampled differences; NaN when undefined.
        n: Items.
        n_resamples: Resamples drawn.
        n_undefined: Resamples where the difference was NaN (e.g. kappa on a one-label resample); they are
            left out of the interval.
        confidence: Two-sided coverage of the interval.
    """

    baseline: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    n: int
    n_resamples: int
    n_undefined: int
    confidence: float


def paired_bootstrap_difference(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true: Sequence[object],
    pred_a: Sequence[object],
    pred_b: Sequence[object],
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
) -> BootstrapDifference:
    """Paired percentile bootstrap of the difference of a metric between two prediction sets.

    Each resample draws items with replacement and scores *both* prediction sets on the same draw, so the
    interval reflects the paired design (much narrower than two independent intervals when the runs agree on
    most items).

    Args:
        metric_fn: ``metric_fn(y_true, y_pred) -> float`` on numpy arrays (object arrays unless the inputs were
            already typed numpy arrays).
        y_true: Gold per item.
        pred_a: Baseline predictions.
        pred_b: Candidate predictions.
        n_resamples: Number of resamples (>= 1).
        seed: Seed of the resampling generator.
        confidence: Two-sided coverage, strictly between 0 and 1.

    Returns:
        A :class:`BootstrapDifference`.

    Degenerate cases:
        * No items: every value is NaN.
        * Resamples where the metric is undefined are counted in ``n_undefined`` and ignored; if all are
          undefined the interval is NaN.
        * Identical prediction sets: difference 0 and interval (0, 0).

    Raises:
        ValueError: When lengths differ, ``n_resamples < 1`` or ``confidence`` is outside (0, 1).
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    truth, a, b = (
        x if isinstance(x, np.ndarray) else np.asarray(list(x), dtype=object) for x in (y_true, pred_a, pred_b)
    )
    if not len(truth) == len(a) == len(b):
        raise ValueError(f"lengths differ: y_true {len(truth)}, pred_a {len(a)}, pred_b {len(b)}")
    n = len(truth)
    if n == 0:
        nan = math.nan
        return BootstrapDifference(nan, nan, nan, nan, nan, 0, n_resamples, n_resamples, confidence)
    base = float(metric_fn(truth, a))
    cand = float(metric_fn(truth, b))
    rng = np.random.default_rng(seed)
    diffs = np.empty(n_resamples)
    for r in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        t = truth[idx]
        diffs[r] = float(metric_fn(t, b[idx])) - float(metric_fn(t, a[idx]))
    defined = diffs[~np.isnan(diffs)]
    alpha = 1.0 - confidence
    if defined.size:
        low, high = (float(v) for v in np.quantile(defined, [alpha / 2.0, 1.0 - alpha / 2.0]))
    else:
        low = high = math.nan
    return BootstrapDifference(
        baseline=base,
        candidate=cand,
        difference=cand - base,
        ci_low=low,
        ci_high=high,
        n=n,
        n_resamples=n_resamples,
        n_undefined=int(n_resamples - defined.size),
        confidence=confidence,
    )


# --------------------------------------------------------------------------------------------- comparing runs


@dataclass(frozen=True)
class MetricChange:
    """One metric in both runs.

    Attributes:
        name: Metric name as in ``metrics.json`` (e.g. ``"hierarchy.top.accuracy"``).
        kind: The registered kind: ``"proportion"``, ``"kappa"`` or ``"score"``.
        n: Items the metric is computed on.
        baseline, candidate, difference: Values and ``candidate - baseline``.
        ci_low, ci_high: Paired bootstrap interval of the difference.
        p_value: McNemar p-value for accuracies; NaN for metrics judged by the bootstrap interval alone.
        change: ``"better"``, ``"worse"`` or ``"none"`` (no detectable change): for accuracies McNemar's
            p-value below ``1 - confidence``, for the others an interval that excludes 0; which sign is better
            is the metric's registered direction.
    """

    name: str
    kind: str
    n: int
    baseline: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    change: Literal["better", "worse", "none"]


@dataclass(frozen=True)
class RunTotals:
    """Usage totals of one run over the compared items (NaN when the column is empty)."""

    n_items: int
    invalid: int
    input_tokens: float
    output_tokens: float
    cost_usd: float
    latency_s: float

    @property
    def mean_latency_s(self) -> float:
        """Mean latency per item."""
        return self.latency_s / self.n_items if self.n_items else math.nan


Verdict = Literal["better", "no detectable change", "worse"]


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_runs`.

    Attributes:
        n_items: Items matched between the runs.
        confidence: Coverage of the intervals; ``1 - confidence`` is the test level.
        metrics: One :class:`MetricChange` per metric.
        mcnemar: ``(metric name, McNemarResult)`` for each accuracy metric, hierarchy levels first.
        baseline_totals, candidate_totals: Token, cost and latency totals.
        verdict: ``"worse"`` when any metric got detectably worse (even if another improved), ``"better"`` when
            at least one improved and none got worse, else ``"no detectable change"``.
        reason: One readable sentence explaining the verdict, with the cost change.
    """

    n_items: int
    confidence: float
    metrics: tuple[MetricChange, ...]
    mcnemar: tuple[tuple[str, McNemarResult], ...]
    baseline_totals: RunTotals
    candidate_totals: RunTotals
    verdict: Verdict
    reason: str

    def to_frame(self) -> pd.DataFrame:
        """Metrics as a table: name, kind, n, baseline, candidate, difference, ci_low, ci_high, p_value, change."""
        return pd.DataFrame([m.__dict__ for m in self.metrics])


def _bool_or_none(value: object) -> bool | None:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return bool(value)


def _kappa_codes(truth: np.ndarray, pred: np.ndarray) -> float:
    """Cohen's kappa on integer codes where the largest code marks an invalid prediction (never in gold)."""
    n = truth.size
    if n == 0:
        return math.nan
    k = int(max(truth.max(), pred.max())) + 1
    observed = float(np.mean(truth == pred))
    chance = float(np.dot(np.bincount(truth, minlength=k), np.bincount(pred, minlength=k))) / (n * n)
    return math.nan if math.isclose(chance, 1.0, abs_tol=1e-12) else (observed - chance) / (1.0 - chance)


def _accuracy_codes(truth: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean(truth == pred)) if truth.size else math.nan


def _totals(frame: pd.DataFrame) -> RunTotals:
    def total(column: str) -> float:
        values = pd.to_numeric(frame[column], errors="coerce")
        return float(values.sum()) if values.notna().any() else math.nan

    return RunTotals(
        n_items=len(frame),
        invalid=int(frame["invalid"].fillna(False).astype(bool).sum()),
        input_tokens=total("input_tokens"),
        output_tokens=total("output_tokens"),
        cost_usd=total("cost_usd"),
        latency_s=total("latency_s"),
    )


def _match(baseline: pd.DataFrame, candidate: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    for name, frame in (("baseline", baseline), ("candidate", candidate)):
        if "item_id" not in frame.columns:
            raise ValueError(f"{name} items have no item_id column")
        if frame["item_id"].duplicated().any():
            raise ValueError(f"{name} items repeat item_id {frame['item_id'][frame['item_id'].duplicated()].iloc[0]!r}")
    ids_a, ids_b = set(baseline["item_id"]), set(candidate["item_id"])
    if ids_a != ids_b:
        only_a, only_b = sorted(map(str, ids_a - ids_b)), sorted(map(str, ids_b - ids_a))
        raise ValueError(
            "the runs scored different items, so they cannot be compared pairwise: "
            f"{len(only_a)} only in baseline (e.g. {only_a[:3]}), {len(only_b)} only in candidate (e.g. {only_b[:3]})"
        )
    a = baseline.set_index("item_id").sort_index()
    b = candidate.set_index("item_id").loc[a.index]
    for column in ("gold_pattern", "gold_occupational"):
        if column in a.columns and column in b.columns:
            left = a[column].astype(object).where(a[column].notna(), None)
            right = b[column].astype(object).where(b[column].notna(), None)
            differs = [i for i, x, y in zip(a.index, left, right, strict=True) if x != y]
            if differs:
                raise ValueError(f"gold {column} differs between the runs (e.g. item {differs[0]!r}); same goldset?")
    return a, b


@dataclass(frozen=True)
class _Paired:
    """The settings every paired test of one comparison shares, and the two tests themselves."""

    confidence: float
    n_resamples: int
    seed: int
    exact: bool | None

    def accuracy(self, name: str, right_a: np.ndarray, right_b: np.ndarray) -> tuple[MetricChange, McNemarResult]:
        """McNemar's test on per-item correctness, with the paired bootstrap interval of the accuracy change."""
        ones = np.ones(right_a.size, dtype=bool)
        boot = paired_bootstrap_difference(_accuracy_codes, ones, right_a, right_b, n_resamples=self.n_resamples,
                                           seed=self.seed, confidence=self.confidence)
        test = mcnemar_test(right_a, right_b, exact=self.exact)
        return self._change(name, int(right_a.size), boot, test.p_value), test

    def bootstrap(self, name: str, metric_fn: Callable[[np.ndarray, np.ndarray], float], truth: np.ndarray,
                  pred_a: np.ndarray, pred_b: np.ndarray) -> tuple[MetricChange, None]:
        """A change judged by its paired bootstrap interval alone."""
        boot = paired_bootstrap_difference(metric_fn, truth, pred_a, pred_b, n_resamples=self.n_resamples,
                                           seed=self.seed, confidence=self.confidence)
        return self._change(name, int(truth.size), boot, math.nan), None

    def _change(self, name: str, n: int, boot: BootstrapDifference, p_value: float) -> MetricChange:
        spec = metric_spec(name)
        return MetricChange(
            name=name, kind=spec.kind, n=n, baseline=boot.baseline, candidate=boot.candidate,
            difference=boot.difference, ci_low=boot.ci_low, ci_high=boot.ci_high, p_value=p_value,
            change=_judge(spec, boot, p_value, 1.0 - self.confidence),
        )


def _judge(spec: MetricSpec, boot: BootstrapDifference, p_value: float, alpha: float) -> str:
    """Better, worse or none: McNemar's p-value for the metrics the registry tests that way, else the interval."""
    if spec.paired_test == "mcnemar":
        significant = not math.isnan(p_value) and p_value < alpha
    else:
        significant = not math.isnan(boot.ci_low) and (boot.ci_low > 0 or boot.ci_high < 0)
    difference = boot.difference
    if not significant or math.isnan(difference) or difference == 0 or spec.direction == "none":
        return "none"
    return "better" if (difference > 0) == (spec.direction == "higher") else "worse"


Tested = list[tuple[MetricChange, McNemarResult | None]]


def _hierarchy_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Tested:
    """Accuracy per level from ``correct_<level>``; items with a null value in either run are left out."""
    out: Tested = []
    for level in HIERARCHY_LEVELS:
        name = metric_spec("hierarchy.{level}.accuracy").format(level=level)
        column = f"correct_{level}"
        pairs = [(_bool_or_none(x), _bool_or_none(y)) for x, y in zip(a[column], b[column], strict=True)]
        kept = [(x, y) for x, y in pairs if x is not None and y is not None]
        out.append(paired.accuracy(name, np.array([x for x, _ in kept], dtype=bool),
                                   np.array([y for _, y in kept], dtype=bool)))
    return out


def _pattern_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Tested:
    """Pattern and mode accuracy and pattern kappa on items with a gold pattern; a missing prediction is wrong."""
    has_gold = a["gold_pattern"].notna().to_numpy()
    gold = [str(g) for g in a["gold_pattern"][has_gold]]
    code = {p: i for i, p in enumerate(PATTERNS)}
    invalid_code = len(PATTERNS)

    def pattern_codes(values: pd.Series) -> np.ndarray:
        return np.array([code.get(v, invalid_code) if isinstance(v, str) else invalid_code for v in values[has_gold]])

    gold_codes = np.array([code.get(g, invalid_code) for g in gold])
    if np.any(gold_codes == invalid_code):
        raise ValueError(f"unknown gold pattern in {sorted(set(gold) - set(PATTERNS))}")
    pred_a, pred_b = pattern_codes(a["pred_pattern"]), pattern_codes(b["pred_pattern"])
    mode_of = np.array([MODES.index(pattern_mode(p)) for p in PATTERNS] + [len(MODES)])
    return [
        paired.accuracy("pattern.accuracy", pred_a == gold_codes, pred_b == gold_codes),
        paired.accuracy("pattern.mode.accuracy", mode_of[pred_a] == mode_of[gold_codes],
                        mode_of[pred_b] == mode_of[gold_codes]),
        paired.bootstrap("pattern.cohen_kappa", _kappa_codes, gold_codes, pred_a, pred_b),
    ]


def _screening_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Tested:
    """Screening accuracy on items with a gold occupational flag; a missing prediction is wrong."""
    gold_occ = a["gold_occupational"].map(_bool_or_none)
    screened = gold_occ.notna().to_numpy()
    truth = gold_occ[screened].astype(bool).to_numpy()

    def right(frame: pd.DataFrame) -> np.ndarray:
        pred = frame["pred_occupational"][screened]
        return np.array([_bool_or_none(p) == t for p, t in zip(pred, truth, strict=True)], dtype=bool)

    return [paired.accuracy("screening.accuracy", right(a), right(b))]


def _major_group_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Tested:
    """Macro-F1 over SOC major groups on items with a primary gold group; skipped for runs without the column."""
    spec = metric_spec("major_group.macro_f1")
    if any(column not in frame.columns for frame in (a, b) for column in spec.columns):
        return []  # a run written before items.parquet had pred_major_group
    gold_a, gold_b = (frame["major_group"].astype(object).where(frame["major_group"].notna(), None) for frame in (a, b))
    differs = [i for i, x, y in zip(a.index, gold_a, gold_b, strict=True) if x != y]
    if differs:
        raise ValueError(f"gold major_group differs between the runs (e.g. item {differs[0]!r}); same O*NET release?")
    has = gold_a.notna().to_numpy()
    preds = [frame["pred_major_group"][has] for frame in (a, b)]
    labels = sorted({str(g) for g in gold_a[has]} | {str(p) for pred in preds for p in pred if isinstance(p, str)})
    index = {label: i for i, label in enumerate(labels)}
    truth = np.array([index[str(g)] for g in gold_a[has]], dtype=np.int64)
    pred_a, pred_b = (np.array([index.get(p, -1) if isinstance(p, str) else -1 for p in pred], dtype=np.int64)
                      for pred in preds)

    def macro_f1(t: np.ndarray, p: np.ndarray) -> float:
        # Labels absent from a sample's gold and predictions are undefined there and left out, as in validate.
        return macro_f1_codes(t, p, len(labels), zero_division=math.nan)

    return [paired.bootstrap(spec.name, macro_f1, truth, pred_a, pred_b)]


_COMPARERS: tuple[Callable[[pd.DataFrame, pd.DataFrame, _Paired], Tested], ...] = (
    _hierarchy_changes, _pattern_changes, _screening_changes, _major_group_changes,
)
"""One function per facet; together they test every registered metric with a ``paired_test``."""


def _verdict(changes: Sequence[MetricChange], totals_a: RunTotals, totals_b: RunTotals, alpha: float,
             n_items: int) -> tuple[Verdict, str]:
    worse = [m.name for m in changes if m.change == "worse"]
    better = [m.name for m in changes if m.change == "better"]
    level = f"at the {alpha:g} level"
    verdict: Verdict
    if worse:
        verdict = "worse"
        reason = f"detectably worse on {', '.join(worse)} {level}"
        if better:
            reason += f" (though better on {', '.join(better)})"
    elif better:
        verdict = "better"
        reason = f"detectably better on {', '.join(better)} {level}, and worse on none"
    else:
        verdict = "no detectable change"
        reason = f"no metric changed detectably {level} over {n_items} items"
    if totals_a.cost_usd > 0 and not math.isnan(totals_b.cost_usd):
        reason += f"; cost {100.0 * (totals_b.cost_usd / totals_a.cost_usd - 1.0):+.1f}%"
    return verdict, reason


def compare_runs(
    baseline_items: pd.DataFrame,
    candidate_items: pd.DataFrame,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    exact: bool | None = None,
) -> Comparison:
    """Compare two runs of the classifier over the same goldset items.

    Every metric the registry gives a paired test is compared (names as in ``metrics.json``):
        * ``hierarchy.{top,mid,base}.accuracy`` from ``correct_*`` (items with a null value in either run are
          left out of that level);
        * ``pattern.accuracy``, ``pattern.mode.accuracy`` (automation/augmentation/none) and
          ``pattern.cohen_kappa`` on items with a gold pattern; a missing or unknown predicted pattern is wrong;
        * ``screening.accuracy`` on items with a gold occupational flag; a missing prediction is wrong;
        * ``major_group.macro_f1`` on items with a gold ``major_group``, when both tables have
          ``pred_major_group`` (runs written before that column existed are compared without it).

    Accuracies are tested with :func:`mcnemar_test` and get a paired bootstrap interval; kappa and macro-F1 are
    judged by their paired bootstrap interval. No correction for testing several metrics is applied, so with eight
    metrics a spurious "better"/"worse" is more likely than ``1 - confidence``; read the p-values, not just the
    verdict.

    Args:
        baseline_items: Per-item table of the baseline run (columns :data:`ITEM_COLUMNS`).
        candidate_items: Per-item table of the candidate run.
        confidence: Coverage of the intervals; the tests use level ``1 - confidence``.
        n_resamples: Bootstrap resamples per metric.
        seed: Seed of the bootstrap (each metric uses the same seed, so they resample the same items).
        exact: Passed to :func:`mcnemar_test`.

    Returns:
        A :class:`Comparison`.

    Raises:
        ValueError: When the item sets differ, an item_id repeats, or gold labels differ between the runs.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    a, b = _match(baseline_items, candidate_items)
    paired = _Paired(confidence, n_resamples, seed, exact)
    tested = [result for comparer in _COMPARERS for result in comparer(a, b, paired)]
    changes = tuple(change for change, _ in tested)
    totals_a, totals_b = _totals(a), _totals(b)
    verdict, reason = _verdict(changes, totals_a, totals_b, 1.0 - confidence, len(a))
    return Comparison(
        n_items=len(a),
        confidence=confidence,
        metrics=changes,
        mcnemar=tuple((change.name, test) for change, test in tested if test is not None),
        baseline_totals=totals_a,
        candidate_totals=totals_b,
        verdict=verdict,
        reason=reason,
    )


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def format_comparison(comparison: Comparison) -> str:
    """Render a :class:`Comparison` as a plain-text table followed by usage totals and the verdict."""
    header = ("metric", "n", "baseline", "candidate", "diff", "ci", "p", "change")
    rows = [
        (
            m.name,
            str(m.n),
            _fmt(m.baseline),
            _fmt(m.candidate),
            f"{m.difference:+.3f}" if not math.isnan(m.difference) else "nan",
            f"[{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]",
            _fmt(m.p_value, 4),
            m.change,
        )
        for m in comparison.metrics
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    usage_header = ("usage", "baseline", "candidate")
    ta, tb = comparison.baseline_totals, comparison.candidate_totals
    usage = [
        ("invalid answers", str(ta.invalid), str(tb.invalid)),
        ("input tokens", _fmt(ta.input_tokens, 0), _fmt(tb.input_tokens, 0)),
        ("output tokens", _fmt(ta.output_tokens, 0), _fmt(tb.output_tokens, 0)),
        ("cost (USD)", _fmt(ta.cost_usd, 4), _fmt(tb.cost_usd, 4)),
        ("latency total (s)", _fmt(ta.latency_s, 1), _fmt(tb.latency_s, 1)),
        ("latency mean (s)", _fmt(ta.mean_latency_s, 2), _fmt(tb.mean_latency_s, 2)),
    ]
    uw = [max(len(r[i]) for r in [usage_header, *usage]) for i in range(3)]
    lines.extend("  ".join(c.ljust(w) for c, w in zip(r, uw, strict=True)).rstrip() for r in [usage_header, *usage])
    lines.append("")
    lines.append(f"verdict: {comparison.verdict} ({comparison.reason})")
    return "\n".join(lines)
