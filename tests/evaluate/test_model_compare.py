"""Model swap: McNemar, paired bootstrap and the run comparison."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.metrics import cohen_kappa_score

from harness.errors import InputError
from harness.evaluate import (
    PATTERNS,
    compare_runs,
    format_comparison,
    mcnemar_test,
    paired_bootstrap_difference,
)
from harness.run import ITEM_COLUMNS, read_items

# --------------------------------------------------------------------------------------------- McNemar


ItemsBuilder = Callable[..., pd.DataFrame]


@pytest.mark.parametrize(("b", "c"), [(3, 9), (0, 6), (7, 7), (1, 0), (12, 4)])
def test_mcnemar_exact_matches_binomtest(b: int, c: int) -> None:
    a = [True] * b + [False] * c + [True] * 20 + [False] * 5
    bb = [False] * b + [True] * c + [True] * 20 + [False] * 5
    result = mcnemar_test(a, bb, exact=True)
    assert (result.b, result.c, result.n, result.exact) == (b, c, b + c + 25, True)
    assert result.p_value == pytest.approx(stats.binomtest(b, b + c, 0.5).pvalue)
    assert result.statistic == min(b, c)


@pytest.mark.parametrize(("b", "c"), [(30, 50), (100, 60), (40, 40), (41, 40)])
def test_mcnemar_chi_square_matches_direct(b: int, c: int) -> None:
    a = np.array([True] * b + [False] * c)
    result = mcnemar_test(a, ~a)
    assert not result.exact  # b + c >= 25 picks the approximation
    statistic = max(0.0, abs(b - c) - 1.0) ** 2 / (b + c)
    assert result.statistic == pytest.approx(statistic)
    assert result.p_value == pytest.approx(stats.chi2.sf(statistic, df=1))


def test_mcnemar_degenerate() -> None:
    for exact in (None, True, False):
        same = mcnemar_test([True, False, True], [True, False, True], exact=exact)
        assert (same.statistic, same.p_value, same.b, same.c) == (0.0, 1.0, 0, 0)
        empty = mcnemar_test([], [], exact=exact)
        assert empty.p_value == 1.0 and empty.n == 0
    assert mcnemar_test([True] * 5 + [False] * 5, [False] * 5 + [True] * 5).p_value == 1.0
    with pytest.raises(ValueError):
        mcnemar_test([True], [True, False])


# --------------------------------------------------------------------------------------------- bootstrap


def _accuracy(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(t == p))


def test_paired_bootstrap_basic_properties() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 3, size=300)
    a = np.where(rng.random(300) < 0.5, truth, (truth + 1) % 3)
    # b fixes a quarter of a's mistakes and breaks nothing: a paired improvement.
    b = np.where(rng.random(300) < 0.25, truth, a)
    result = paired_bootstrap_difference(_accuracy, truth, a, b, n_resamples=2000, seed=3)
    assert result.difference == pytest.approx(_accuracy(truth, b) - _accuracy(truth, a))
    assert result.ci_low < result.difference < result.ci_high
    assert result.ci_low > 0
    # The half-width agrees with the normal approximation of a paired difference of proportions.
    fixed = int(np.sum((a != truth) & (b == truth)))
    broken = int(np.sum((a == truth) & (b != truth)))
    se = math.sqrt(fixed + broken - (fixed - broken) ** 2 / 300) / 300
    assert (result.ci_high - result.ci_low) / 2 == pytest.approx(1.96 * se, rel=0.15)
    assert result == paired_bootstrap_difference(_accuracy, truth, a, b, n_resamples=2000, seed=3)
    # Kappa through the same machinery.
    kappa = paired_bootstrap_difference(cohen_kappa_score, truth, a, b, n_resamples=200, seed=0)
    assert kappa.difference == pytest.approx(cohen_kappa_score(truth, b) - cohen_kappa_score(truth, a))
    # Identical predictions: exactly zero everywhere.
    none = paired_bootstrap_difference(_accuracy, truth, a, a.copy(), n_resamples=200)
    assert (none.difference, none.ci_low, none.ci_high) == (0.0, 0.0, 0.0)


def test_paired_bootstrap_degenerate() -> None:
    empty = paired_bootstrap_difference(_accuracy, [], [], [])
    assert empty.n == 0 and math.isnan(empty.difference) and math.isnan(empty.ci_low)

    def undefined(t: np.ndarray, p: np.ndarray) -> float:
        return math.nan

    nan = paired_bootstrap_difference(undefined, [1, 2], [1, 2], [1, 1], n_resamples=50)
    assert nan.n_undefined == 50 and math.isnan(nan.ci_low)
    with pytest.raises(ValueError):
        paired_bootstrap_difference(_accuracy, [1], [1], [1, 2])
    with pytest.raises(ValueError):
        paired_bootstrap_difference(_accuracy, [1], [1], [1], n_resamples=0)


# --------------------------------------------------------------------------------------------- compare_runs


def test_identical_runs_are_safe_to_swap(synthetic_items: ItemsBuilder) -> None:
    items = synthetic_items(seed=1)
    result = compare_runs(items, items.sample(frac=1.0, random_state=0), n_resamples=300)
    assert result.verdict == "safe to swap"
    assert result.noninferiority.non_inferior and result.noninferiority.difference == 0.0
    assert all(m.difference == 0 and m.change == "none" for m in result.metrics)
    names = [m.name for m in result.metrics]
    assert names[:3] == ["hierarchy.top.accuracy", "hierarchy.mid.accuracy", "hierarchy.base.accuracy"]
    assert [m.role for m in result.metrics] == ["primary"] + ["secondary"] * (len(names) - 1)
    assert {"pattern.accuracy", "pattern.mode.accuracy", "pattern.cohen_kappa", "screening.accuracy"} <= set(names)
    assert [name for name, _ in result.mcnemar][:3] == names[:3]
    assert result.baseline_totals == result.candidate_totals
    assert result.baseline_totals.input_tokens == pytest.approx(float(items["input_tokens"].sum()))
    assert result.n_items == len(items)
    assert result.clustered_by is None  # the synthetic tables carry no account ids


def test_better_and_worse_candidates(synthetic_items: ItemsBuilder) -> None:
    weak = synthetic_items(seed=1, skill=0.55)
    strong = synthetic_items(seed=2, skill=0.9)
    better = compare_runs(weak, strong, n_resamples=300)
    assert better.verdict == "better"
    top = next(m for m in better.metrics if m.name == "hierarchy.top.accuracy")
    assert top.difference == pytest.approx(strong["correct_top"].mean() - weak["correct_top"].mean())
    assert top.change == "better" and top.p_value < 0.05 and top.ci_low > 0
    mcnemar_top = dict(better.mcnemar)["hierarchy.top.accuracy"]
    assert mcnemar_top == mcnemar_test(
        weak.sort_values("item_id")["correct_top"].to_numpy(), strong.sort_values("item_id")["correct_top"].to_numpy(),
        exact=True, mid_p=True,
    )
    worse = compare_runs(strong, weak, n_resamples=300)
    assert worse.verdict == "worse" and "hierarchy.top.accuracy" in worse.reason
    assert "cost" in worse.reason and "latency" in worse.reason
    text = format_comparison(worse)
    assert text.startswith("verdict: worse") and "hierarchy.base.accuracy" in text and "input tokens" in text


def _with_correctness(items: pd.DataFrame, column: str, values: np.ndarray) -> pd.DataFrame:
    out = items.copy()
    out[column] = values
    return out


def test_verdict_rules(synthetic_items: ItemsBuilder) -> None:
    """Each verdict from a controlled paired table on the primary metric (top-level accuracy), others unchanged."""
    base = synthetic_items(seed=1, n=400)
    right = base["correct_top"].to_numpy()
    wrong_idx, right_idx = np.flatnonzero(~right), np.flatnonzero(right)

    def flipped(lose: int, gain: int) -> pd.DataFrame:
        values = right.copy()
        values[right_idx[:lose]] = False
        values[wrong_idx[:gain]] = True
        return _with_correctness(base, "correct_top", values)

    cases = {
        "safe to swap": flipped(3, 2),  # tiny churn: a 5-point loss is ruled out
        "not shown non-inferior": flipped(40, 34),  # much churn, little net change: a 5-point loss is possible
        "worse": flipped(40, 0),  # 10 points lower
        "better": flipped(0, 40),
    }
    for verdict, candidate in cases.items():
        result = compare_runs(base, candidate, n_resamples=200, margin=0.05)
        assert result.verdict == verdict, (verdict, result.reason)
    not_shown = compare_runs(base, cases["not shown non-inferior"], n_resamples=200)
    assert "not ruled out" in not_shown.reason and "power" in not_shown.reason
    # detectably lower but within the margin is still safe: the margin is the loss the user accepts
    within = compare_runs(base, flipped(12, 0), n_resamples=200, margin=0.1)
    assert within.metrics[0].change == "worse" and within.verdict == "safe to swap"
    assert "less than the margin" in within.reason


def test_a_secondary_metric_shown_worse_after_holm_makes_the_swap_worse(synthetic_items: ItemsBuilder) -> None:
    base = synthetic_items(seed=1, n=400)
    screening = base["gold_occupational"].to_numpy()
    candidate = base.copy()
    right = (base["pred_occupational"] == base["gold_occupational"]).to_numpy()
    lose = np.flatnonzero(right)[:40]
    candidate.loc[candidate.index[lose], "pred_occupational"] = ~screening[lose]
    result = compare_runs(base, candidate, n_resamples=200)
    row = next(m for m in result.metrics if m.name == "screening.accuracy")
    assert row.role == "secondary" and row.change == "worse" and row.p_adjusted < 0.05
    assert result.verdict == "worse" and "screening.accuracy (Holm p" in result.reason


def test_a_nominal_secondary_p_that_fails_holm_is_no_change(synthetic_items: ItemsBuilder) -> None:
    """The issue's case: one secondary at p ≈ 0.04 among eight is not a finding once corrected."""
    base = synthetic_items(seed=1, n=400)
    right = base["correct_mid"].to_numpy()
    values = right.copy()
    values[np.flatnonzero(~right)[:14]] = True  # 14 gained, 4 lost: mid-p about 0.03
    values[np.flatnonzero(right)[:4]] = False
    candidate = _with_correctness(base, "correct_mid", values)
    result = compare_runs(base, candidate, n_resamples=200)
    mid = next(m for m in result.metrics if m.name == "hierarchy.mid.accuracy")
    assert 0.01 < mid.p_value < 0.05 and mid.p_adjusted > 0.05 and mid.change == "none"
    assert result.verdict == "safe to swap"


def test_primary_metric_choice_and_errors(synthetic_items: ItemsBuilder) -> None:
    a, b = synthetic_items(seed=3), synthetic_items(seed=4)
    result = compare_runs(a, b, primary="pattern.cohen_kappa", n_resamples=200)
    assert result.metrics[0].name == "pattern.cohen_kappa" and result.noninferiority.method == "paired bootstrap"
    assert result.primary == "pattern.cohen_kappa"
    with pytest.raises(ValueError, match="cannot be compared item by item"):
        compare_runs(a, b, primary="hierarchy.top.accuracy_lenient")
    with pytest.raises(ValueError, match="correct_major_group"):
        compare_runs(a, b, primary="hierarchy.major_group.accuracy")
    with pytest.raises(ValueError, match="margin"):
        compare_runs(a, b, margin=0.0)


def test_account_clusters_are_used_when_present(synthetic_items: ItemsBuilder) -> None:
    a, b = synthetic_items(seed=3), synthetic_items(seed=4)
    accounts = [f"acct-{i % 20}" for i in range(len(a))]
    clustered = compare_runs(a.assign(account_id=accounts), b.assign(account_id=accounts), n_resamples=300)
    plain = compare_runs(a, b, n_resamples=300)
    assert (clustered.clustered_by, clustered.n_clusters) == ("account_id", 20)
    assert all(m.design_effect >= 1.0 for m in clustered.metrics)
    assert [m.difference for m in clustered.metrics] == [m.difference for m in plain.metrics]
    assert "20 accounts" in format_comparison(clustered)
    off = compare_runs(a.assign(account_id=accounts), b.assign(account_id=accounts), cluster_column=None,
                       n_resamples=300)
    assert off.clustered_by is None and off.to_frame().equals(plain.to_frame())
    with pytest.raises(ValueError, match="account_id differs"):
        compare_runs(a.assign(account_id=accounts), b.assign(account_id=accounts[::-1]))


def test_kappa_and_pattern_metrics_match_direct_computation(synthetic_items: ItemsBuilder) -> None:
    a, b = synthetic_items(seed=3), synthetic_items(seed=4)
    result = compare_runs(a, b, n_resamples=100)
    got = {m.name: m for m in result.metrics}
    invalid = "<invalid>"

    def kappa(items: pd.DataFrame) -> float:
        pred = [p if isinstance(p, str) else invalid for p in items["pred_pattern"]]
        return cohen_kappa_score(list(items["gold_pattern"]), pred, labels=[*PATTERNS, invalid])

    assert got["pattern.cohen_kappa"].baseline == pytest.approx(kappa(a))
    assert got["pattern.cohen_kappa"].candidate == pytest.approx(kappa(b))
    assert got["pattern.accuracy"].baseline == pytest.approx(np.mean(a["gold_pattern"] == a["pred_pattern"]))
    assert got["screening.accuracy"].candidate == pytest.approx(
        np.mean(b["gold_occupational"] == b["pred_occupational"])
    )


def test_null_correctness_is_left_out_of_that_level(synthetic_items: ItemsBuilder) -> None:
    a, b = synthetic_items(seed=5, n=50), synthetic_items(seed=6, n=50)
    a["correct_base"] = a["correct_base"].astype(object)
    a.loc[a.index[:10], "correct_base"] = None
    result = compare_runs(a, b, n_resamples=50)
    base = next(m for m in result.metrics if m.name == "hierarchy.base.accuracy")
    assert base.n == 40


def test_mismatched_items_raise_clear_errors(synthetic_items: ItemsBuilder) -> None:
    a = synthetic_items(seed=1, n=30)
    with pytest.raises(ValueError, match="different items"):
        compare_runs(a, a.iloc[:-2])
    with pytest.raises(ValueError, match="repeat"):
        compare_runs(pd.concat([a, a.iloc[:1]]), a)
    other_gold = synthetic_items(seed=1, n=30, gold_seed=7)
    with pytest.raises(ValueError, match="gold"):
        compare_runs(a, other_gold)


def test_read_items_checks_layout(synthetic_items: ItemsBuilder, tmp_path) -> None:
    items = synthetic_items(seed=1, n=20)
    items.to_parquet(tmp_path / "items.parquet")
    loaded = read_items(tmp_path)
    assert list(loaded.columns) == list(ITEM_COLUMNS)
    assert len(loaded) == 20
    items.drop(columns=["cost_usd"]).to_parquet(tmp_path / "items.parquet")
    with pytest.raises(InputError) as info:
        read_items(tmp_path)
    assert info.value.field == "cost_usd"
    pd.concat([items, items.iloc[:1]]).to_parquet(tmp_path / "items.parquet")
    with pytest.raises(InputError, match="repeats"):
        read_items(tmp_path)
    with pytest.raises(InputError, match="items.parquet"):
        read_items(tmp_path / "missing")
    (tmp_path / "bad.parquet").write_text("not parquet")
    with pytest.raises(InputError, match="Parquet"):
        read_items(tmp_path / "bad.parquet")
