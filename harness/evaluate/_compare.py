"""Model-swap comparison: is the candidate run safe to put in place of the baseline run?

Both runs scored the same goldset items, so every difference is tested *paired*. The decision follows the way a
non-inferiority trial is read:

1. **Primary metric, non-inferiority.** One metric is named primary, with a margin δ: the largest loss still
   acceptable. For an accuracy the test is Tango's score test of ``difference <= -δ`` (a McNemar-type test; see
   :mod:`harness.evaluate._noninferiority`) and the lower confidence bound is Tango's score bound; for kappa or
   macro-F1 both come from the paired bootstrap. Both are one-sided at level α.
2. **Secondary metrics, multiplicity.** Every other metric is tested for *any* change (two-sided): the mid-p McNemar
   test for accuracies, the paired bootstrap for the others, with Holm's step-down correction over the secondary
   family at level α, so that testing eight metrics does not turn chance into a finding.
3. **Verdict** in plain words: ``worse`` (a secondary is shown worse after Holm, or the primary is shown worse and
   not non-inferior), ``not shown non-inferior`` (a loss beyond δ cannot be ruled out), ``better`` (non-inferior and
   shown better on the primary), else ``safe to swap``. Superiority of the primary is tested only after its
   non-inferiority is shown, a fixed sequence that needs no further correction.

Items from the same account are not independent. When both tables carry ``account_id``, the paired bootstrap draws
whole accounts and the score test is widened by the design effect, so intervals and p-values are not overconfident.
Every metric also gets its minimum detectable difference at 80 % power, from the discordance actually observed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy import stats

from ._agreement import MODES, PATTERNS, macro_f1_codes, pattern_mode
from ._noninferiority import (
    cluster_codes,
    design_effect,
    discordant_counts,
    holm_adjust,
    mcnemar_mid_p,
    noninferiority_test,
    score_interval,
)
from ._power import (
    bootstrap_mde,
    minimum_detectable_difference,
    noninferiority_power,
    smallest_provable_margin,
)
from ._registry import metric_spec

__all__ = [
    "DEFAULT_MARGIN",
    "DEFAULT_PRIMARY",
    "VERDICTS",
    "BootstrapDifference",
    "Comparison",
    "McNemarResult",
    "MetricChange",
    "NonInferiority",
    "RunTotals",
    "Verdict",
    "compare_runs",
    "format_comparison",
    "mcnemar_test",
    "paired_bootstrap_difference",
    "paired_metric_names",
    "scored_share_of_default_goldset",
]

HIERARCHY_LEVELS: tuple[str, ...] = ("top", "mid", "base")
_EXACT_BELOW = 25  # discordant pairs below which McNemar uses the exact binomial test
DEFAULT_PRIMARY = "hierarchy.top.accuracy"
"""The primary metric when none is named: top-level accuracy is written for every run and hierarchy."""
DEFAULT_MARGIN = 0.05
"""The non-inferiority margin when none is given: a loss of five accuracy points."""
POWER = 0.8
"""The power at which minimum detectable differences are reported."""
CLUSTER_COLUMN = "account_id"


@dataclass(frozen=True)
class McNemarResult:
    """McNemar's test of paired correctness.

    Attributes:
        statistic: ``min(b, c)`` for the exact test; the continuity-corrected chi-square otherwise.
        p_value: Two-sided p-value (the mid-p value when ``mid_p``).
        b: Items right under A and wrong under B.
        c: Items wrong under A and right under B.
        n: Paired items.
        exact: Whether the exact binomial test was used.
        mid_p: Whether the p-value is the exact test's mid-p value.
    """

    statistic: float
    p_value: float
    b: int
    c: int
    n: int
    exact: bool
    mid_p: bool = False


def mcnemar_test(correct_a: Sequence[bool], correct_b: Sequence[bool], *, exact: bool | None = None,
                 mid_p: bool = False) -> McNemarResult:
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
        mid_p: With the exact test, report the mid-p value (half the probability of the observed count left
            out of the tail), whose level is close to nominal where the plain exact test is conservative.

    Returns:
        A :class:`McNemarResult`.

    Degenerate cases:
        * No discordant item (including empty input): statistic 0 and p-value 1 with either test.
        * ``b == c``: p-value 1 (the continuity correction is clipped at 0, so the chi-square statistic is 0).

    Raises:
        ValueError: When the sequences differ in length, or ``mid_p`` is asked of the chi-square test.
    """
    b, c, n = discordant_counts(correct_a, correct_b)
    discordant = b + c
    use_exact = discordant < _EXACT_BELOW if exact is None else bool(exact)
    if mid_p and exact is False:
        raise ValueError("mid_p applies to the exact test only")
    use_exact = use_exact or mid_p
    if discordant == 0:
        return McNemarResult(statistic=0.0, p_value=1.0, b=b, c=c, n=n, exact=use_exact, mid_p=mid_p)
    if mid_p:
        statistic, p_value = float(min(b, c)), mcnemar_mid_p(b, c)
    elif use_exact:
        statistic = float(min(b, c))
        p_value = min(1.0, 2.0 * float(stats.binom.cdf(min(b, c), discordant, 0.5)))
    else:
        statistic = max(0.0, abs(b - c) - 1.0) ** 2 / discordant
        p_value = float(stats.chi2.sf(statistic, 1))
    return McNemarResult(statistic=statistic, p_value=p_value, b=b, c=c, n=n, exact=use_exact, mid_p=mid_p)


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
        se: Standard deviation of the resampled differences (NaN when none is defined).
        p_value: Two-sided bootstrap p-value of no difference, ``2 min(P*(d <= 0), P*(d >= 0))`` with the add-one
            rule, the test the percentile interval inverts (1 when every resample gives 0).
        n_clusters: Clusters resampled (0 when items were resampled one by one).
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
    se: float = math.nan
    p_value: float = math.nan
    n_clusters: int = 0


def _members(codes: np.ndarray) -> list[np.ndarray]:
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return np.split(order, bounds)


def _bootstrap_draws(metric_fn: Callable[[np.ndarray, np.ndarray], float], truth: np.ndarray, a: np.ndarray,
                     b: np.ndarray, *, n_resamples: int, seed: int, clusters: np.ndarray | None) -> np.ndarray:
    """The resampled differences ``metric(B) - metric(A)``, items (or whole clusters) drawn with replacement."""
    rng = np.random.default_rng(seed)
    members = _members(clusters) if clusters is not None else None
    diffs = np.empty(n_resamples)
    n = len(truth)
    for r in range(n_resamples):
        if members is None:
            idx = rng.integers(0, n, size=n)
        else:
            idx = np.concatenate([members[g] for g in rng.integers(0, len(members), size=len(members))])
        t = truth[idx]
        diffs[r] = float(metric_fn(t, b[idx])) - float(metric_fn(t, a[idx]))
    return diffs


def paired_bootstrap_difference(
    metric_fn: Callable[[np.ndarray, np.ndarray], float],
    y_true: Sequence[object],
    pred_a: Sequence[object],
    pred_b: Sequence[object],
    *,
    n_resamples: int = 2000,
    seed: int = 0,
    confidence: float = 0.95,
    clusters: Sequence[object] | None = None,
) -> BootstrapDifference:
    """Paired percentile bootstrap of the difference of a metric between two prediction sets.

    Each resample draws items with replacement and scores *both* prediction sets on the same draw, so the
    interval reflects the paired design (much narrower than two independent intervals when the runs agree on
    most items). With ``clusters`` the resample draws whole clusters (e.g. accounts) with replacement, the
    cluster bootstrap, so that items which are not independent are not counted as if they were.

    Args:
        metric_fn: ``metric_fn(y_true, y_pred) -> float`` on numpy arrays (object arrays unless the inputs were
            already typed numpy arrays).
        y_true: Gold per item.
        pred_a: Baseline predictions.
        pred_b: Candidate predictions.
        n_resamples: Number of resamples (>= 1).
        seed: Seed of the resampling generator.
        confidence: Two-sided coverage, strictly between 0 and 1.
        clusters: Optional cluster id per item; a missing id makes the item a cluster of its own.

    Returns:
        A :class:`BootstrapDifference`.

    Degenerate cases:
        * No items: every value is NaN.
        * Resamples where the metric is undefined are counted in ``n_undefined`` and ignored; if all are
          undefined the interval is NaN.
        * Identical prediction sets: difference 0, interval (0, 0) and p-value 1.

    Raises:
        ValueError: When lengths differ, ``n_resamples < 1`` or ``confidence`` is outside (0, 1).
    """
    result, _ = _bootstrap(metric_fn, y_true, pred_a, pred_b, n_resamples=n_resamples, seed=seed,
                           confidence=confidence, clusters=clusters)
    return result


def _bootstrap(metric_fn: Callable[[np.ndarray, np.ndarray], float], y_true: Sequence[object],
               pred_a: Sequence[object], pred_b: Sequence[object], *, n_resamples: int, seed: int,
               confidence: float, clusters: Sequence[object] | None) -> tuple[BootstrapDifference, np.ndarray]:
    """:func:`paired_bootstrap_difference` and the defined resampled differences behind it."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence!r}")
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    truth, a, b = (
        x if isinstance(x, np.ndarray) else np.asarray(list(x), dtype=object) for x in (y_true, pred_a, pred_b)
    )
    if not len(truth) == len(a) == len(b):
        raise ValueError(f"lengths differ: y_true {len(truth)}, pred_a {len(a)}, pred_b {len(b)}")
    if clusters is not None and len(clusters) != len(truth):
        raise ValueError(f"lengths differ: {len(truth)} items but {len(clusters)} cluster ids")
    n = len(truth)
    if n == 0:
        nan = math.nan
        return BootstrapDifference(nan, nan, nan, nan, nan, 0, n_resamples, n_resamples, confidence), np.empty(0)
    codes = cluster_codes(clusters) if clusters is not None else None
    base, cand = float(metric_fn(truth, a)), float(metric_fn(truth, b))
    diffs = _bootstrap_draws(metric_fn, truth, a, b, n_resamples=n_resamples, seed=seed, clusters=codes)
    defined = diffs[~np.isnan(diffs)]
    alpha = 1.0 - confidence
    low = high = se = p_value = math.nan
    if defined.size:
        low, high = (float(v) for v in np.quantile(defined, [alpha / 2.0, 1.0 - alpha / 2.0]))
        se = float(np.std(defined, ddof=1)) if defined.size > 1 else 0.0
        tail = min(np.sum(defined <= 0), np.sum(defined >= 0))
        p_value = min(1.0, 2.0 * (1.0 + float(tail)) / (1.0 + defined.size))
    result = BootstrapDifference(
        baseline=base, candidate=cand, difference=cand - base, ci_low=low, ci_high=high, n=n,
        n_resamples=n_resamples, n_undefined=int(n_resamples - defined.size), confidence=confidence, se=se,
        p_value=p_value, n_clusters=0 if codes is None else int(codes.max()) + 1,
    )
    return result, defined


# --------------------------------------------------------------------------------------------- result types


Change = Literal["better", "worse", "none"]
Role = Literal["primary", "secondary"]
Verdict = Literal["safe to swap", "not shown non-inferior", "worse", "better"]
VERDICTS: tuple[str, ...] = get_args(Verdict)
"""The four verdicts, in plain words."""


@dataclass(frozen=True)
class MetricChange:
    """One metric in both runs.

    Attributes:
        name: Metric name as in ``metrics.json`` (e.g. ``"hierarchy.top.accuracy"``).
        kind: The registered kind: ``"proportion"``, ``"kappa"`` or ``"score"``.
        role: ``"primary"`` (judged for non-inferiority) or ``"secondary"`` (tested for any change, with Holm).
        n: Items the metric is computed on.
        baseline, candidate, difference: Values and ``candidate - baseline``.
        ci_low, ci_high: Paired bootstrap interval of the difference (account-clustered when accounts are known).
        p_value: Two-sided p-value of no change: McNemar's mid-p for accuracies, the bootstrap p-value otherwise.
        p_adjusted: Holm-adjusted p-value within the secondary family (the plain p-value for the primary).
        change: ``"better"``, ``"worse"`` or ``"none"``: whether the (adjusted) p-value is below α, and which way
            the registered direction reads the sign.
        mde: Minimum detectable difference at 80 % power at the level this metric is tested at (α for the
            primary, α divided by the family size for a secondary, Holm's first step), from the observed
            discordance (accuracies) or the bootstrap spread (others); NaN when the runs never disagree.
        discordance: Share of items on which exactly one run is right (NaN for kappa and macro-F1).
        design_effect: Variance inflation from account clustering (1 when items are independent).
    """

    name: str
    kind: str
    role: Role
    n: int
    baseline: float
    candidate: float
    difference: float
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    change: Change
    mde: float
    discordance: float
    design_effect: float


@dataclass(frozen=True)
class NonInferiority:
    """The non-inferiority test of the primary metric.

    Attributes:
        metric: Primary metric name.
        margin: δ, the largest acceptable loss.
        alpha: One-sided level.
        difference: Candidate minus baseline.
        lower_bound: One-sided ``1 - alpha`` lower confidence bound of the difference (Tango's score bound for
            accuracies, the bootstrap percentile otherwise).
        p_value: One-sided p-value of ``difference <= -margin``.
        method: How it was tested, in words.
        non_inferior: ``p_value < alpha``: a loss of δ or more is ruled out.
        n: Paired items.
        power_if_unchanged: Power this test had to show non-inferiority had nothing changed (observed discordance).
        smallest_margin: Smallest margin the test would show with 80 % power had nothing changed.
    """

    metric: str
    margin: float
    alpha: float
    difference: float
    lower_bound: float
    p_value: float
    method: str
    non_inferior: bool
    n: int
    power_if_unchanged: float
    smallest_margin: float


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


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`compare_runs`.

    Attributes:
        n_items: Items matched between the runs.
        confidence: Coverage of the bootstrap intervals in :attr:`metrics`.
        alpha: Level of the tests (one-sided for non-inferiority, family-wise two-sided for the secondaries).
        primary: Name of the primary metric.
        noninferiority: The primary metric's non-inferiority test.
        metrics: One :class:`MetricChange` per metric, the primary first.
        mcnemar: ``(metric name, McNemarResult)`` for each accuracy metric (mid-p), in :attr:`metrics` order.
        baseline_totals, candidate_totals: Token, cost and latency totals.
        clustered_by: The column whose values group items (``"account_id"``), or None for independent items.
        n_clusters: Distinct clusters among the matched items (0 when not clustered).
        verdict: One of :data:`VERDICTS`.
        reason: Readable sentences explaining the verdict, with the cost and latency change.
    """

    n_items: int
    confidence: float
    alpha: float
    primary: str
    noninferiority: NonInferiority
    metrics: tuple[MetricChange, ...]
    mcnemar: tuple[tuple[str, McNemarResult], ...]
    baseline_totals: RunTotals
    candidate_totals: RunTotals
    clustered_by: str | None
    n_clusters: int
    verdict: Verdict
    reason: str

    def to_frame(self) -> pd.DataFrame:
        """Metrics as a table, one row per :class:`MetricChange` (columns are its fields)."""
        return pd.DataFrame([m.__dict__ for m in self.metrics])


# --------------------------------------------------------------------------------------------- matching runs


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
class _Outcome:
    """One metric compared: the bootstrap, and for accuracies the per-item correctness and the McNemar test."""

    name: str
    boot: BootstrapDifference
    draws: np.ndarray
    mcnemar: McNemarResult | None
    design_effect: float
    discordance: float


@dataclass(frozen=True)
class _Paired:
    """The settings every paired test of one comparison shares, and the two kinds of test."""

    confidence: float
    n_resamples: int
    seed: int
    clusters: np.ndarray | None  # one cluster id per matched item, or None

    def _clusters(self, keep: np.ndarray) -> np.ndarray | None:
        return None if self.clusters is None else self.clusters[keep]

    def accuracy(self, name: str, right_a: np.ndarray, right_b: np.ndarray, keep: np.ndarray) -> _Outcome:
        """McNemar's mid-p test on per-item correctness, with the paired bootstrap interval of the change."""
        clusters = self._clusters(keep)
        ones = np.ones(right_a.size, dtype=bool)
        boot, draws = _bootstrap(_accuracy_codes, ones, right_a, right_b, n_resamples=self.n_resamples,
                                 seed=self.seed, confidence=self.confidence, clusters=clusters)
        test = mcnemar_test(right_a, right_b, exact=True, mid_p=True)
        effect = 1.0 if clusters is None else design_effect(right_a, right_b, clusters)
        discordance = (test.b + test.c) / test.n if test.n else math.nan
        return _Outcome(name, boot, draws, test, effect, discordance)

    def bootstrap(self, name: str, metric_fn: Callable[[np.ndarray, np.ndarray], float], truth: np.ndarray,
                  pred_a: np.ndarray, pred_b: np.ndarray, keep: np.ndarray) -> _Outcome:
        """A change judged by its paired bootstrap alone."""
        boot, draws = _bootstrap(metric_fn, truth, pred_a, pred_b, n_resamples=self.n_resamples, seed=self.seed,
                                 confidence=self.confidence, clusters=self._clusters(keep))
        return _Outcome(name, boot, draws, None, 1.0, math.nan)


Compared = list[_Outcome]


def _hierarchy_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Compared:
    """Accuracy per level from ``correct_<level>``; items with a null value in either run are left out."""
    out: Compared = []
    for level in HIERARCHY_LEVELS:
        name = metric_spec("hierarchy.{level}.accuracy").format(level=level)
        out.append(_correctness_change(name, f"correct_{level}", a, b, paired))
    return out


def _correctness_change(name: str, column: str, a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> _Outcome:
    """An accuracy read from a per-item correctness column; items null in either run are left out."""
    left = np.array([_bool_or_none(x) for x in a[column]], dtype=object)
    right = np.array([_bool_or_none(y) for y in b[column]], dtype=object)
    keep = np.array([x is not None and y is not None for x, y in zip(left, right, strict=True)], dtype=bool)
    return paired.accuracy(name, left[keep].astype(bool), right[keep].astype(bool), keep)


def _major_group_accuracy_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Compared:
    """SOC major-group accuracy from ``correct_major_group``; skipped for runs written before that column."""
    if any("correct_major_group" not in frame.columns for frame in (a, b)):
        return []
    return [_correctness_change("hierarchy.major_group.accuracy", "correct_major_group", a, b, paired)]


def _pattern_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Compared:
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
        paired.accuracy("pattern.accuracy", pred_a == gold_codes, pred_b == gold_codes, has_gold),
        paired.accuracy("pattern.mode.accuracy", mode_of[pred_a] == mode_of[gold_codes],
                        mode_of[pred_b] == mode_of[gold_codes], has_gold),
        paired.bootstrap("pattern.cohen_kappa", _kappa_codes, gold_codes, pred_a, pred_b, has_gold),
    ]


def _screening_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Compared:
    """Screening accuracy on items with a gold occupational flag; a missing prediction is wrong."""
    gold_occ = a["gold_occupational"].map(_bool_or_none)
    screened = gold_occ.notna().to_numpy()
    truth = gold_occ[screened].astype(bool).to_numpy()

    def right(frame: pd.DataFrame) -> np.ndarray:
        pred = frame["pred_occupational"][screened]
        return np.array([_bool_or_none(p) == t for p, t in zip(pred, truth, strict=True)], dtype=bool)

    return [paired.accuracy("screening.accuracy", right(a), right(b), screened)]


def _major_group_changes(a: pd.DataFrame, b: pd.DataFrame, paired: _Paired) -> Compared:
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

    return [paired.bootstrap(spec.name, macro_f1, truth, pred_a, pred_b, has)]


_COMPARERS: tuple[Callable[[pd.DataFrame, pd.DataFrame, _Paired], Compared], ...] = (
    _hierarchy_changes, _major_group_accuracy_changes, _pattern_changes, _screening_changes, _major_group_changes,
)
"""One function per facet; together they test every registered metric with a ``paired_test``."""


def paired_metric_names(levels: Sequence[str] = HIERARCHY_LEVELS) -> tuple[str, ...]:
    """The metrics compare can test (and so name as primary), in the order it reports them."""
    return (
        *(f"hierarchy.{level}.accuracy" for level in levels),
        "hierarchy.major_group.accuracy", "pattern.accuracy", "pattern.mode.accuracy", "pattern.cohen_kappa",
        "screening.accuracy", "major_group.macro_f1",
    )


def scored_share_of_default_goldset(metric: str) -> tuple[float, str]:
    """Share of the shipped goldset's items ``metric`` is computed on, and where that share came from.

    Hierarchy and major-group metrics score only the items the majority calls occupational; the pattern and
    screening metrics score every item.
    """
    from ._goldset import acceptable_occupational, default_goldset_path, load_goldset

    if not metric.startswith(("hierarchy.", "major_group.")):
        return 1.0, "every goldset item is scored"
    items = load_goldset(default_goldset_path())
    scored = sum(acceptable_occupational(item, scoring="strict") == {True} for item in items)
    return scored / len(items), f"{scored} of the shipped goldset's {len(items)} items are occupational"


# --------------------------------------------------------------------------------------------- the decision


def _direction(name: str, difference: float, significant: bool) -> Change:
    spec = metric_spec(name)
    if not significant or math.isnan(difference) or difference == 0 or spec.direction == "none":
        return "none"
    return "better" if (difference > 0) == (spec.direction == "higher") else "worse"


def _noninferiority(outcome: _Outcome, margin: float, alpha: float) -> NonInferiority:
    """Tango's score test for an accuracy, the bootstrap for the others; with the power the test had."""
    boot = outcome.boot
    if outcome.mcnemar is not None and outcome.mcnemar.n:
        t = outcome.mcnemar
        correct_a = np.r_[np.ones(t.b, bool), np.zeros(t.c, bool), np.ones(t.n - t.b - t.c, bool)]
        correct_b = np.r_[np.zeros(t.b, bool), np.ones(t.c, bool), np.ones(t.n - t.b - t.c, bool)]
        test = noninferiority_test(correct_a, correct_b, margin=margin, design_effect=outcome.design_effect)
        lower = score_interval(t.b, t.c, t.n, confidence=1.0 - 2.0 * alpha, design_effect=outcome.design_effect)[0]
        power = noninferiority_power(t.n, margin=margin, discordance=outcome.discordance, alpha=alpha,
                                     design_effect=outcome.design_effect)
        smallest = smallest_provable_margin(t.n, discordance=outcome.discordance, alpha=alpha, power=POWER,
                                            design_effect=outcome.design_effect)
        method = "Tango's score test"
        if outcome.design_effect > 1.0:
            method += f", widened for account clustering (design effect {outcome.design_effect:.2f})"
        return NonInferiority(outcome.name, margin, alpha, test.difference, lower, test.p_value, method,
                              bool(test.p_value < alpha), t.n, power, smallest)
    draws = outcome.draws
    if draws.size == 0:
        return NonInferiority(outcome.name, margin, alpha, boot.difference, math.nan, math.nan,
                              "paired bootstrap", False, boot.n, math.nan, math.nan)
    p_value = (1.0 + float(np.sum(draws <= -margin))) / (1.0 + draws.size)
    z_alpha, se = float(stats.norm.ppf(1.0 - alpha)), boot.se
    power = float(stats.norm.cdf(margin / se - z_alpha)) if se > 0 else 1.0
    smallest = (z_alpha + float(stats.norm.ppf(POWER))) * se if se > 0 else math.nan
    method = "paired bootstrap" + (" over accounts" if boot.n_clusters else "")
    return NonInferiority(outcome.name, margin, alpha, boot.difference, float(np.quantile(draws, alpha)), p_value,
                          method, bool(p_value < alpha), boot.n, power, smallest)


def _p_value(outcome: _Outcome) -> float:
    return outcome.mcnemar.p_value if outcome.mcnemar is not None else outcome.boot.p_value


def _mde(outcome: _Outcome, level: float) -> float:
    if outcome.mcnemar is not None:
        return minimum_detectable_difference(outcome.mcnemar.n, discordance=outcome.discordance, alpha=level,
                                             power=POWER, design_effect=outcome.design_effect) \
            if not math.isnan(outcome.discordance) else math.nan
    return bootstrap_mde(outcome.boot.se, alpha=level, power=POWER)


def _changes(outcomes: Sequence[_Outcome], primary: str, alpha: float) -> tuple[MetricChange, ...]:
    """Primary first, then the secondaries with Holm-adjusted p-values and the minimum detectable differences."""
    first = next(o for o in outcomes if o.name == primary)
    rest = [o for o in outcomes if o.name != primary]
    reject, adjusted = holm_adjust([_p_value(o) for o in rest], alpha)
    rows = []
    for outcome, role, p_adj, significant, level in (
        (first, "primary", _p_value(first), _p_value(first) < alpha, alpha),
        *((o, "secondary", adj, bool(rej), alpha / max(len(rest), 1))
          for o, rej, adj in zip(rest, reject, adjusted, strict=True)),
    ):
        boot = outcome.boot
        rows.append(MetricChange(
            name=outcome.name, kind=metric_spec(outcome.name).kind, role=role, n=boot.n, baseline=boot.baseline,
            candidate=boot.candidate, difference=boot.difference, ci_low=boot.ci_low, ci_high=boot.ci_high,
            p_value=_p_value(outcome), p_adjusted=float(p_adj), change=_direction(outcome.name, boot.difference,
                                                                                  bool(significant)),
            mde=_mde(outcome, level), discordance=outcome.discordance, design_effect=outcome.design_effect,
        ))
    return tuple(rows)


def _usage_change(totals_a: RunTotals, totals_b: RunTotals) -> str:
    parts = []
    if totals_a.cost_usd > 0 and not math.isnan(totals_b.cost_usd):
        parts.append(f"cost {100.0 * (totals_b.cost_usd / totals_a.cost_usd - 1.0):+.1f}%")
    if totals_a.latency_s > 0 and not math.isnan(totals_b.latency_s):
        parts.append(f"mean latency {100.0 * (totals_b.latency_s / totals_a.latency_s - 1.0):+.1f}%")
    return "; ".join(parts)


def _verdict(ni: NonInferiority, changes: Sequence[MetricChange], totals_a: RunTotals,
             totals_b: RunTotals) -> tuple[Verdict, str]:
    """The verdict and its reason (rules in the module docstring)."""
    primary, secondaries = changes[0], changes[1:]
    worse = [m for m in secondaries if m.change == "worse"]
    better = [m for m in secondaries if m.change == "better"]
    bound = (f"{ni.metric} {ni.difference:+.3f}, one-sided {1 - ni.alpha:.0%} lower bound {ni.lower_bound:+.3f} "
             f"against the margin -{ni.margin:g} ({ni.method}, p = {ni.p_value:.3g})")
    family = f"Holm's correction over {len(secondaries)} secondary metrics at {ni.alpha:g}"
    verdict: Verdict
    if worse or (primary.change == "worse" and not ni.non_inferior):
        verdict = "worse"
        shown = ([f"{primary.name} (p = {primary.p_value:.3g})"] if primary.change == "worse" and
                 not ni.non_inferior else []) + [f"{m.name} (Holm p = {m.p_adjusted:.3g})" for m in worse]
        reason = f"shown worse on {', '.join(shown)}; {bound}"
    elif not ni.non_inferior:
        verdict = "not shown non-inferior"
        reason = (f"{bound}: a loss larger than the margin is not ruled out. Had nothing changed, this comparison "
                  f"had {ni.power_if_unchanged:.0%} power to show it; no secondary metric shows a loss after {family}")
    else:
        verdict = "better" if primary.change == "better" else "safe to swap"
        reason = f"non-inferior: {bound}"
        if verdict == "better":
            reason += f", and better (McNemar mid-p = {primary.p_value:.3g})"
        elif primary.change == "worse":
            reason += "; detectably lower, but by less than the margin"
        reason += f"; no secondary metric shows a loss after {family}"
    if better:
        reason += f"; secondary metrics shown better: {', '.join(m.name for m in better)}"
    usage = _usage_change(totals_a, totals_b)
    return verdict, reason + (f"; {usage}" if usage else "")


def _clusters(a: pd.DataFrame, b: pd.DataFrame, cluster_column: str | None) -> np.ndarray | None:
    """Cluster codes per matched item from both tables' ``cluster_column``; None when either lacks real ids."""
    if cluster_column is None or any(cluster_column not in frame.columns for frame in (a, b)):
        return None
    left = a[cluster_column].astype(object).where(a[cluster_column].notna(), None)
    right = b[cluster_column].astype(object).where(b[cluster_column].notna(), None)
    differs = [i for i, x, y in zip(a.index, left, right, strict=True) if x != y]
    if differs:
        raise ValueError(f"{cluster_column} differs between the runs (e.g. item {differs[0]!r}); same goldset?")
    if left.isna().all():
        return None
    codes = cluster_codes(list(left))
    # one item per cluster is no clustering at all; report the items as independent
    return codes if int(codes.max()) + 1 < len(codes) else None


def _check_primary(primary: str, margin: float, alpha: float, confidence: float) -> None:
    if primary not in paired_metric_names():
        raise ValueError(f"primary metric {primary!r} cannot be compared item by item; choose one of "
                         f"{', '.join(paired_metric_names())}")
    if metric_spec(primary).direction != "higher":
        raise ValueError(f"primary metric {primary!r} must be one where higher is better")
    for name, value in (("margin", margin), ("alpha", alpha), ("confidence", confidence)):
        if not 0.0 < value < 1.0:
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    if alpha >= 0.5:
        raise ValueError(f"alpha must be below 0.5 for a one-sided test, got {alpha!r}")


def compare_runs(
    baseline_items: pd.DataFrame,
    candidate_items: pd.DataFrame,
    *,
    primary: str = DEFAULT_PRIMARY,
    margin: float = DEFAULT_MARGIN,
    alpha: float = 0.05,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
    cluster_column: str | None = CLUSTER_COLUMN,
) -> Comparison:
    """Decide whether the candidate run may replace the baseline run, from their per-item tables.

    Every metric the registry gives a paired test is compared (names as in ``metrics.json``):
        * ``hierarchy.{top,mid,base}.accuracy`` from ``correct_*`` and ``hierarchy.major_group.accuracy`` from
          ``correct_major_group`` (items with a null value in either run are left out; the major-group accuracy
          is skipped for runs written before that column existed);
        * ``pattern.accuracy``, ``pattern.mode.accuracy`` (automation/augmentation/none) and
          ``pattern.cohen_kappa`` on items with a gold pattern; a missing or unknown predicted pattern is wrong;
        * ``screening.accuracy`` on items with a gold occupational flag; a missing prediction is wrong;
        * ``major_group.macro_f1`` on items with a gold ``major_group``, when both tables have
          ``pred_major_group``.

    The primary metric is tested for non-inferiority at ``margin``; the others for any change with Holm's
    correction; the verdict follows the rules in the module docstring.

    Args:
        baseline_items: Per-item table of the baseline run (``items.parquet``).
        candidate_items: Per-item table of the candidate run.
        primary: The metric the swap is judged on (one of :func:`paired_metric_names`).
        margin: Non-inferiority margin δ on the primary metric's scale, in (0, 1).
        alpha: Level of the tests: one-sided for non-inferiority, family-wise for the secondary metrics.
        confidence: Coverage of the reported bootstrap intervals.
        n_resamples: Bootstrap resamples per metric.
        seed: Seed of the bootstrap (each metric uses the same seed, so they resample the same items).
        cluster_column: Column grouping items that are not independent (default ``account_id``); ignored when
            absent from either table, empty, or holding one item per value. None resamples items one by one.

    Returns:
        A :class:`Comparison`.

    Raises:
        ValueError: When the item sets differ, an item_id repeats, gold labels or account ids differ between the
            runs, the primary metric is unknown or was not computed for these runs, or an option is out of range.
    """
    _check_primary(primary, margin, alpha, confidence)
    a, b = _match(baseline_items, candidate_items)
    clusters = _clusters(a, b, cluster_column)
    paired = _Paired(confidence, n_resamples, seed, clusters)
    outcomes = [outcome for comparer in _COMPARERS for outcome in comparer(a, b, paired)]
    by_name = {o.name: o for o in outcomes}
    if primary not in by_name:
        raise ValueError(f"primary metric {primary!r} is not in these runs' items (runs written before "
                         "items.parquet had correct_major_group cannot be judged on it); choose another --primary")
    ni = _noninferiority(by_name[primary], margin, alpha)
    changes = _changes(outcomes, primary, alpha)
    totals_a, totals_b = _totals(a), _totals(b)
    verdict, reason = _verdict(ni, changes, totals_a, totals_b)
    return Comparison(
        n_items=len(a), confidence=confidence, alpha=alpha, primary=primary, noninferiority=ni, metrics=changes,
        mcnemar=tuple((m.name, by_name[m.name].mcnemar) for m in changes if by_name[m.name].mcnemar is not None),
        baseline_totals=totals_a, candidate_totals=totals_b,
        clustered_by=None if clusters is None else cluster_column,
        n_clusters=0 if clusters is None else int(clusters.max()) + 1,
        verdict=verdict, reason=reason,
    )


# --------------------------------------------------------------------------------------------- text


def _fmt(value: float, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def _signed(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:+.3f}"


def _aligned(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def format_comparison(comparison: Comparison) -> str:
    """Render a :class:`Comparison`: the verdict first, the primary test, the metric table, then usage totals."""
    ni, c = comparison.noninferiority, comparison
    lines = [f"verdict: {c.verdict} ({c.reason})", ""]
    lines.append(f"primary: {ni.metric}, non-inferiority margin {ni.margin:g}, alpha {ni.alpha:g} (one-sided)")
    lines.append(f"  difference {_signed(ni.difference)}, lower bound {_signed(ni.lower_bound)}, "
                 f"p = {_fmt(ni.p_value, 4)} ({ni.method}); power had nothing changed {_fmt(ni.power_if_unchanged, 2)}"
                 f"; smallest margin provable at 80% power {_fmt(ni.smallest_margin)}")
    cluster = (f"bootstrap over {c.n_clusters} accounts ({c.clustered_by})" if c.clustered_by
               else "items treated as independent (no account ids)")
    lines.append(f"  intervals: {c.confidence:.0%} paired bootstrap, {cluster}; secondary p-values Holm-adjusted")
    lines.append("")
    header = ("metric", "role", "n", "baseline", "candidate", "diff", "ci", "p", "p_holm", "mde80", "change")
    rows = [
        (m.name, m.role, str(m.n), _fmt(m.baseline), _fmt(m.candidate), _signed(m.difference),
         f"[{_fmt(m.ci_low)}, {_fmt(m.ci_high)}]", _fmt(m.p_value, 4),
         _fmt(m.p_adjusted, 4) if m.role == "secondary" else "", _fmt(m.mde), m.change)
        for m in comparison.metrics
    ]
    lines += _aligned(header, rows)
    lines.append("")
    ta, tb = comparison.baseline_totals, comparison.candidate_totals
    usage = [
        ("invalid answers", str(ta.invalid), str(tb.invalid)),
        ("input tokens", _fmt(ta.input_tokens, 0), _fmt(tb.input_tokens, 0)),
        ("output tokens", _fmt(ta.output_tokens, 0), _fmt(tb.output_tokens, 0)),
        ("cost (USD)", _fmt(ta.cost_usd, 4), _fmt(tb.cost_usd, 4)),
        ("latency total (s)", _fmt(ta.latency_s, 1), _fmt(tb.latency_s, 1)),
        ("latency mean (s)", _fmt(ta.mean_latency_s, 2), _fmt(tb.mean_latency_s, 2)),
    ]
    lines += _aligned(("usage", "baseline", "candidate"), usage)
    return "\n".join(lines)
