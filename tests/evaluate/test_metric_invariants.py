"""Invariants every metric must respect, run over all of them.

* Order invariance: permuting the items (consistently across the inputs) leaves the result unchanged.
* Symmetry: swapping the two sides leaves symmetric metrics unchanged (kappa, correlations, MSE, agreement) and
  mirrors the directional ones (McNemar swaps b and c, paired differences change sign).
* Degenerate inputs (empty, one item, constant) never raise and give the documented values.

The suite must cover every public metric function of :mod:`harness.evaluate`;
``test_every_public_metric_is_covered`` fails when one is added without a case here (or a reason it needs none).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

import harness.evaluate
from harness.evaluate import (
    PATTERNS,
    MetricEntry,
    abstention_sweep,
    binary_agreement,
    classification_agreement,
    cohen_kappa_score,
    compare_runs,
    expected_calibration_error,
    fleiss_kappa,
    gate,
    krippendorff_alpha,
    level_accuracy,
    macro_f1_score,
    mcnemar_test,
    paired_bootstrap_difference,
    pattern_agreement,
    rater_agreement,
    reconstruction_scores,
    reliability_table,
    selective_accuracy_curve,
    set_accuracy_score,
    weighted_accuracy_score,
)

NAN = math.nan
Inputs = tuple[Any, ...]


@dataclass(frozen=True)
class Case:
    """One metric under test.

    ``make(rng, n)`` returns per-item inputs as equal-length sequences; ``run(*inputs)`` returns a tuple of
    numbers (the metric projected to what the invariants speak about). ``swap`` maps a result to what the
    swapped inputs must give (identity for symmetric metrics); ``None`` means no symmetry to test.
    """

    name: str
    make: Callable[[np.random.Generator, int], Inputs]
    run: Callable[..., tuple[float, ...]]
    swap: Callable[[tuple[float, ...]], tuple[float, ...]] | None = None
    degenerate: dict[str, tuple[Inputs, tuple[float, ...]]] = field(default_factory=dict)
    covers: tuple[str, ...] = ()  # further public functions that ``run`` exercises (e.g. thin wrappers)


def _same(result: tuple[float, ...]) -> tuple[float, ...]:
    return result


# ------------------------------------------------------------------------------------------------ generators


def _labels(rng: np.random.Generator, n: int, k: int = 4) -> tuple[list[str], list[str]]:
    a = [f"c{v}" for v in rng.integers(0, k, size=n)]
    b = [x if rng.random() < 0.6 else f"c{rng.integers(0, k)}" for x in a]
    return a, b


def _make_sets(rng: np.random.Generator, n: int) -> Inputs:
    nodes = [f"n{i}" for i in range(6)]
    y_true = [set(rng.choice(nodes, size=2, replace=False).tolist()) for _ in range(n)]
    y_pred = [None if rng.random() < 0.1 else str(rng.choice(nodes)) for _ in range(n)]
    groups = [str(rng.choice(["11", "15", "43"])) for _ in range(n)]
    return y_true, y_pred, groups


def _make_patterns(rng: np.random.Generator, n: int) -> Inputs:
    gold = [str(p) for p in rng.choice(PATTERNS, size=n)]
    pred = [g if rng.random() < 0.5 else str(rng.choice(PATTERNS)) for g in gold]
    return gold, pred


def _make_groups(rng: np.random.Generator, n: int) -> Inputs:
    """SOC-like major groups, skewed so that some groups are rare; no invalid predictions (see the symmetry)."""
    groups = ["11", "13", "15", "25", "27", "43"]
    gold = [str(g) for g in rng.choice(groups, size=n, p=[0.3, 0.25, 0.2, 0.15, 0.07, 0.03])]
    pred = [g if rng.random() < 0.6 else str(rng.choice(groups)) for g in gold]
    return gold, pred


def _make_weighted(rng: np.random.Generator, n: int) -> Inputs:
    """Patterns with Horvitz-Thompson weights (1/inclusion probability)."""
    gold, pred = _make_patterns(rng, n)
    return gold, pred, [float(w) for w in 1 / rng.uniform(0.05, 1.0, size=n)]


def _make_bools(rng: np.random.Generator, n: int) -> Inputs:
    a = [bool(v) for v in rng.random(n) < 0.6]
    b = [x if rng.random() < 0.7 else not x for x in a]
    return a, b


def _make_raters(rng: np.random.Generator, n: int) -> Inputs:
    """Three raters as three per-item sequences, with some ratings missing."""
    truth = rng.integers(0, 3, size=n)
    cols = []
    for _ in range(3):
        col = [int(t) if rng.random() < 0.7 else int(rng.integers(0, 3)) for t in truth]
        cols.append([None if rng.random() < 0.1 else v for v in col])
    return tuple(cols)


def _make_shares(rng: np.random.Generator, n: int) -> Inputs:
    items = [f"t{i}" for i in range(n)]
    x = rng.random(n)
    y = x + rng.normal(0, 0.3, size=n)
    # Items with share 0 are left out of the mapping, as a method that found none of them would.
    return items, [float(v) if v > 0.1 else None for v in x], [float(abs(v)) if v > 0.1 else None for v in y]


def _make_items(rng: np.random.Generator, n: int) -> Inputs:
    gold = [str(p) for p in rng.choice(PATTERNS, size=n)]
    occ = [bool(v) for v in rng.random(n) < 0.8]

    groups = [None if rng.random() < 0.15 else str(g) for g in rng.choice(["11", "15", "27", "43"], size=n)]

    def run(skill: float) -> dict[str, list[Any]]:
        return {
            "pred_major_group": [None if rng.random() < 0.05 else g if g is not None and rng.random() < skill
                                 else str(rng.choice(["11", "15", "27", "43"])) for g in groups],
            "correct_top": [bool(v) for v in rng.random(n) < skill],
            "correct_mid": [bool(v) for v in rng.random(n) < skill - 0.1],
            "correct_base": [bool(v) for v in rng.random(n) < skill - 0.2],
            "pred_pattern": [g if rng.random() < skill else str(rng.choice(PATTERNS)) for g in gold],
            "pred_occupational": [o if rng.random() < skill else not o for o in occ],
            "cost_usd": list(rng.random(n) * 0.01),
        }

    ids = [f"item-{i:03d}" for i in range(n)]
    return ids, gold, occ, groups, run(0.6), run(0.8)


# ------------------------------------------------------------------------------------------------ runners


def _frame(ids: list[str], gold: list[str], occ: list[bool], groups: list[str | None],
           run: dict[str, list[Any]]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame(
        {
            "item_id": ids,
            "split": ["test"] * n,
            "major_group": groups,
            "pred_top": [None] * n,
            "pred_mid": [None] * n,
            "pred_base": [None] * n,
            "invalid": [False] * n,
            "gold_pattern": gold,
            "gold_occupational": occ,
            "input_tokens": [100] * n,
            "output_tokens": [10] * n,
            "latency_s": [1.0] * n,
            **run,
        }
    )


def _run_compare(ids, gold, occ, groups, run_a, run_b) -> tuple[float, ...]:
    # Item order is irrelevant because runs are matched (and sorted) by item_id before resampling; the candidate
    # table is reversed here to exercise that matching.
    a = _frame(ids, gold, occ, groups, run_a)
    b = _frame(ids, gold, occ, groups, run_b).iloc[::-1]
    result = compare_runs(a, b, n_resamples=100, seed=1)
    assert "major_group.macro_f1" in [m.name for m in result.metrics]
    # the verdict itself is not symmetric (non-inferiority is one-sided); the per-metric changes are
    verdict = sum({"worse": -1.0, "none": 0.0, "better": 1.0}[m.change] for m in result.metrics)
    return (verdict, *(v for m in result.metrics for v in (m.difference, m.ci_low, m.ci_high, m.p_value)))


def _mirror_compare(result: tuple[float, ...]) -> tuple[float, ...]:
    verdict, rest = result[0], result[1:]
    out = [-verdict]
    for i in range(0, len(rest), 4):
        diff, low, high, p = rest[i : i + 4]
        out.extend((-diff, -high, -low, p))
    return tuple(out)


def _run_reconstruction(items, x, y) -> tuple[float, ...]:
    direct = {i: v for i, v in zip(items, x, strict=True) if v is not None}
    cluster = {i: v for i, v in zip(items, y, strict=True) if v is not None}
    r = reconstruction_scores(direct, cluster, level="task", aggregation="x")
    return (r.pearson, r.spearman, r.kendall_tau_b, r.mse, r.n_both, r.n_union)


def _swap_reconstruction(result: tuple[float, ...]) -> tuple[float, ...]:
    return result


def _run_level(y_true, y_pred, groups) -> tuple[float, ...]:
    r = level_accuracy(y_true, y_pred, level="top", n_bootstrap=300, seed=4, groups=groups)
    fields = (r.n, r.correct, r.accuracy, r.ci_low, r.ci_high, r.boot_low, r.boot_high, r.invalid)
    return fields + tuple(v for g in r.by_group for v in (g.n, g.correct, g.boot_low, g.boot_high))


def _run_pattern(gold, pred) -> tuple[float, ...]:
    r = pattern_agreement(gold, pred)
    return (r.accuracy, r.cohen_kappa, r.modes.accuracy, r.modes.cohen_kappa, r.binary.cohen_kappa, r.binary_excluded)


def _run_binary(a, b) -> tuple[float, ...]:
    r = binary_agreement(a, b)
    return (r.accuracy, r.cohen_kappa, r.macro_f1)


def _run_classification(a, b) -> tuple[float, ...]:
    r = classification_agreement(a, b, labels=["c0", "c1", "c2", "c3"])
    return (r.accuracy, r.cohen_kappa, r.macro_f1)


def _run_mcnemar(a, b) -> tuple[float, ...]:
    r = mcnemar_test(a, b)
    return (r.statistic, r.p_value, r.b, r.c)


def _swap_mcnemar(result: tuple[float, ...]) -> tuple[float, ...]:
    statistic, p, b, c = result
    return (statistic, p, c, b)


def _accuracy(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(t == p)) if t.size else NAN


def _run_bootstrap_point(truth, a, b) -> tuple[float, ...]:
    r = paired_bootstrap_difference(_accuracy, truth, a, b, n_resamples=200, seed=2)
    return (r.baseline, r.candidate, r.difference)


def _run_raters(*cols) -> tuple[float, ...]:
    ratings = list(zip(*cols, strict=True))
    r = rater_agreement(ratings)
    return (
        r.percent_agreement,
        r.cohen_kappa,
        r.fleiss_kappa,
        r.krippendorff_alpha,
        fleiss_kappa(ratings),
        krippendorff_alpha(ratings),
        r.n_pairable,
        r.n_complete,
    )


def _make_confidence(rng: np.random.Generator, n: int) -> Inputs:
    """Right/wrong flags and confidences that track them loosely."""
    prob = rng.random(n)
    return [bool(v) for v in rng.random(n) < prob], [float(p) for p in prob]


def _run_ece(y, p) -> tuple[float, ...]:
    table = reliability_table(y, p, n_bins=10)
    full = table[table["n"] > 0]
    # the table and the ECE are one computation: the count-weighted gaps of the table give the ECE back
    gaps = float((full["n"] * (full["accuracy"] - full["confidence"]).abs()).sum() / full["n"].sum()) if len(
        full) else NAN
    return (expected_calibration_error(y, p, n_bins=10), float(table["n"].sum()), gaps)


def _run_selective(y, p) -> tuple[float, ...]:
    curve = selective_accuracy_curve(y, p)
    return (float(curve["accuracy"].mean()) if len(curve) else NAN, float(curve["n"].sum()))


def _make_sweep(rng: np.random.Generator, n: int) -> Inputs:
    gold, pred = _make_groups(rng, n)
    return gold, pred, [float(v) for v in rng.random(n)]


def _run_sweep(gold, pred, conf) -> tuple[float, ...]:
    rows = abstention_sweep(gold, pred, conf)
    return tuple(NAN if r[key] is None else float(r[key]) for r in rows for key in ("kept", "accuracy",
                                                                                   "total_variation"))


def _make_two_raters(rng: np.random.Generator, n: int) -> Inputs:
    a, b = _labels(rng, n)
    return [None if rng.random() < 0.1 else v for v in a], b


CASES = [
    Case(
        "set_accuracy_score",
        lambda rng, n: _make_sets(rng, n)[:2],
        lambda t, p: (set_accuracy_score(t, p),),
        degenerate={
            "empty": (([], []), (NAN,)),
            "single": (([{"a"}], ["a"]), (1.0,)),
            "constant": (([{"a"}] * 4, [None] * 4), (0.0,)),
        },
    ),
    Case(
        "weighted_accuracy_score",
        _make_weighted,
        lambda t, p, w: (weighted_accuracy_score(t, p, sample_weight=w),),
        swap=_same,
        degenerate={
            "empty": (([], [], []), (NAN,)),
            "single": ((["learning"], ["directive"], [7.0]), (0.0,)),
            # Equal weights give plain accuracy.
            "constant": ((["none"] * 4, ["none", "learning", "none", "learning"], [2.5] * 4), (0.5,)),
        },
    ),
    Case(
        "level_accuracy",
        _make_sets,
        _run_level,
        degenerate={
            "empty": (([], [], []), (0, 0, NAN, NAN, NAN, NAN, NAN, 0)),
            # Wilson upper bound for 0/1 at 95 %: z²/(1 + z²) = 0.7935; one group with the same counts.
            "single": (
                ([{"a"}], ["b"], ["11"]),
                (1, 0, 0.0, 0.0, pytest.approx(0.7935, abs=1e-4), 0.0, 0.0, 0, 1, 0, 0.0, 0.0),
            ),
            # 3/3 right: Wilson lower bound 3/(3 + z²) = 0.4385, bootstrap collapses to 1.
            "constant": (
                ([{"a"}] * 3, ["a"] * 3, ["11"] * 3),
                (3, 3, 1.0, pytest.approx(0.4385, abs=1e-4), 1.0, 1.0, 1.0, 0, 3, 3, 1.0, 1.0),
            ),
        },
    ),
    Case(
        "pattern_agreement",
        _make_patterns,
        _run_pattern,
        swap=_same,
        degenerate={
            "empty": (([], []), (NAN, NAN, NAN, NAN, NAN, 0)),
            "single": ((["learning"], ["learning"]), (1.0, NAN, 1.0, NAN, NAN, 0)),
            "constant": ((["directive"] * 3, ["directive"] * 3), (1.0, NAN, 1.0, NAN, NAN, 0)),
        },
    ),
    Case(
        "binary_agreement",
        _make_bools,
        _run_binary,
        swap=_same,
        degenerate={
            "empty": (([], []), (NAN, NAN, NAN)),
            "single": (([True], [False]), (0.0, pytest.approx(0.0), 0.0)),
            "constant": (([True] * 4, [True] * 4), (1.0, NAN, 1.0)),
        },
    ),
    Case(
        "classification_agreement",
        _labels,
        _run_classification,
        swap=_same,
        degenerate={
            "empty": (([], []), (NAN, NAN, NAN)),
            "single": ((["c0"], ["c0"]), (1.0, NAN, 1.0)),
            # Always the same wrong label: chance agreement is 0, so kappa is 0 like the accuracy.
            "constant": ((["c1"] * 3, ["c2"] * 3), (0.0, 0.0, 0.0)),
        },
    ),
    Case(
        "macro_f1_score",
        _make_groups,
        lambda t, p: (macro_f1_score(t, p), macro_f1_score(t, p, labels=["11", "13", "15", "25", "27", "43", "99"])),
        swap=_same,
        degenerate={
            # Empty: NaN (undefined). One right item: 1 over its one label; with the fixed label list the six
            # absent labels score 0 (scikit-learn's zero_division), so 1/7.
            "empty": (([], []), (NAN, NAN)),
            "single": ((["15"], ["15"]), (1.0, pytest.approx(1 / 7))),
            # Constant gold, constant wrong prediction: both labels score 0.
            "constant": ((["11"] * 4, ["43"] * 4), (0.0, 0.0)),
        },
    ),
    Case(
        "cohen_kappa_score",
        _make_two_raters,
        lambda a, b: (cohen_kappa_score(a, b),),
        swap=_same,
        degenerate={
            "empty": (([], []), (NAN,)),
            "single": ((["a"], ["a"]), (NAN,)),
            "constant": ((["a"] * 5, ["a"] * 5), (NAN,)),
        },
    ),
    Case(
        "rater_agreement",
        _make_raters,
        _run_raters,
        covers=("fleiss_kappa", "krippendorff_alpha"),
        # Reordering the raters is the symmetry of multi-rater coefficients.
        swap=_same,
        degenerate={
            "empty": (([], [], []), (NAN, NAN, NAN, NAN, NAN, NAN, 0, 0)),
            # One item, ratings a, a, b: pairwise kappas NaN, 0, 0 (Light's mean 0); Fleiss -0.5; alpha 0.
            "single": ((["a"], ["a"], ["b"]), (pytest.approx(1 / 3), 0.0, pytest.approx(-0.5), 0.0, -0.5, 0.0, 1, 1)),
            "constant": ((["a"] * 3, ["a"] * 3, ["a"] * 3), (1.0, NAN, NAN, NAN, NAN, NAN, 3, 3)),
        },
    ),
    Case(
        "reconstruction_scores",
        _make_shares,
        _run_reconstruction,
        swap=_swap_reconstruction,
        degenerate={
            "empty": (([], [], []), (NAN, NAN, NAN, NAN, 0, 0)),
            "single": ((["a"], [0.2], [0.5]), (NAN, NAN, NAN, pytest.approx(0.09), 1, 1)),
            "constant": ((["a", "b", "c"], [0.3, 0.3, 0.3], [0.1, 0.5, 0.2]), (NAN, NAN, NAN, None, 3, 3)),
        },
    ),
    Case(
        "mcnemar_test",
        _make_bools,
        _run_mcnemar,
        swap=_swap_mcnemar,
        degenerate={
            "empty": (([], []), (0.0, 1.0, 0, 0)),
            "single": (([True], [False]), (0.0, 1.0, 1, 0)),
            "constant": (([True] * 5, [True] * 5), (0.0, 1.0, 0, 0)),
        },
    ),
    Case(
        "paired_bootstrap_difference",
        lambda rng, n: (_make_bools(rng, n)[0], *_make_bools(rng, n)),
        _run_bootstrap_point,
        swap=lambda r: (r[1], r[0], -r[2]),
        degenerate={
            "empty": (([], [], []), (NAN, NAN, NAN)),
            "single": (([True], [True], [False]), (1.0, 0.0, -1.0)),
            "constant": (([True] * 4, [True] * 4, [True] * 4), (1.0, 1.0, 0.0)),
        },
    ),
    Case(
        "expected_calibration_error",
        _make_confidence,
        _run_ece,
        covers=("reliability_table",),
        degenerate={
            "empty": (([], []), (NAN, 0.0, NAN)),
            "single": (([True], [0.7]), (pytest.approx(0.3), 1.0, pytest.approx(0.3))),
            # One bin holds everything: |3/4 - 0.6|.
            "constant": (([True, False, True, True], [0.6] * 4), (pytest.approx(0.15), 4.0, pytest.approx(0.15))),
        },
    ),
    Case(
        "selective_accuracy_curve",
        _make_confidence,
        _run_selective,
        degenerate={
            "empty": (([], []), (NAN, 0.0)),
            "single": (([True], [0.3]), (1.0, 10.0)),
            # Every confidence tied: every coverage keeps all four items.
            "constant": (([True, False, False, False], [0.5] * 4), (0.25, 40.0)),
        },
    ),
    Case(
        "abstention_sweep",
        _make_sweep,
        _run_sweep,
        swap=_same,  # accuracy and total variation distance do not care which side is gold
        degenerate={
            "empty": (([], [], []), (0.0, NAN, NAN) * 7),
            # Kept up to threshold 0.5, then nothing is left.
            "single": ((["11"], ["11"], [0.5]), (1.0, 1.0, 0.0) * 4 + (0.0, NAN, NAN) * 3),
            "constant": ((["11"] * 4, ["15"] * 4, [0.9] * 4), (4.0, 0.0, 1.0) * 7),
        },
    ),
    Case(
        "compare_runs",
        _make_items,
        _run_compare,
        swap=_mirror_compare,
    ),
]


def _permute(inputs: Inputs, order: np.ndarray) -> Inputs:
    out = []
    for seq in inputs:
        if isinstance(seq, dict):  # a per-run column table
            out.append({k: [v[i] for i in order] for k, v in seq.items()})
        else:
            out.append([seq[i] for i in order])
    return tuple(out)


def _swap(case: Case, inputs: Inputs) -> Inputs:
    if case.name == "rater_agreement":
        return inputs[::-1]
    if case.name in {"paired_bootstrap_difference", "compare_runs"}:
        return (*inputs[:-2], inputs[-1], inputs[-2])
    if case.name == "reconstruction_scores":
        return (inputs[0], inputs[2], inputs[1])
    if case.name in {"weighted_accuracy_score", "abstention_sweep"}:
        # gold and prediction swap; the weights (confidences) stay with their items
        return (inputs[1], inputs[0], inputs[2])
    return inputs[::-1]


def _assert_same(got: tuple[float, ...], want: tuple[float, ...]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        if w is None:
            continue
        if isinstance(w, float) and math.isnan(w):
            assert isinstance(g, float) and math.isnan(g), (got, want)
        else:
            assert g == (w if not isinstance(w, float) else pytest.approx(w, rel=1e-9, abs=1e-12)), (got, want)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_order_invariance(case: Case, seed: int) -> None:
    rng = np.random.default_rng(seed)
    inputs = case.make(rng, 60)
    order = rng.permutation(60)
    _assert_same(case.run(*_permute(inputs, order)), case.run(*inputs))


@pytest.mark.parametrize("case", [c for c in CASES if c.swap is not None], ids=lambda c: c.name)
@pytest.mark.parametrize("seed", [0, 1])
def test_symmetry(case: Case, seed: int) -> None:
    inputs = case.make(np.random.default_rng(seed), 60)
    assert case.swap is not None
    _assert_same(case.run(*_swap(case, inputs)), case.swap(case.run(*inputs)))


@pytest.mark.parametrize(
    ("case", "kind"),
    [(c, kind) for c in CASES for kind in c.degenerate],
    ids=lambda v: v.name if isinstance(v, Case) else v,
)
def test_degenerate_inputs(case: Case, kind: str) -> None:
    inputs, expected = case.degenerate[kind]
    result = case.run(*inputs)  # must not raise
    if expected is not None:
        _assert_same(result, expected)


def test_every_case_covers_the_degenerate_kinds() -> None:
    for case in CASES:
        if case.name != "compare_runs":  # needs at least a table; its degenerate cases live in its own tests
            assert set(case.degenerate) == {"empty", "single", "constant"}, case.name


def test_gate_is_order_invariant() -> None:
    names = [f"m{i}" for i in range(8)]
    rng = np.random.default_rng(0)
    base = {n: MetricEntry(float(rng.random()), "proportion", n=100) for n in names}
    cur = {n: MetricEntry(float(rng.random()), "proportion", n=100) for n in names}
    forward = {r.name: (r.status, r.margin) for r in gate(cur, base).rows}
    shuffled_base = {n: base[n] for n in reversed(names)}
    shuffled_cur = {n: cur[n] for n in rng.permutation(names)}
    assert {r.name: (r.status, r.margin) for r in gate(shuffled_cur, shuffled_base).rows} == forward


# Public functions of harness.evaluate that need no case here, and why. A new public function must be added to a
# case above or here; the test below fails until it is.
NOT_METRICS = {
    "wilson_interval": "takes counts (k, n), not per-item inputs; its closed form is checked in test_level_accuracy",
    "gate": "compares metric maps; its order invariance is tested above (test_gate_is_order_invariant)",
    "format_gate_table": "renders a gate result",
    "format_comparison": "renders a comparison",
    "read_metrics": "reads a file",
    "read_baseline": "reads a file",
    "read_metrics_file": "reads a file",
    "write_metrics": "writes a file",
    "write_baseline": "writes a file",
    "read_baseline_file": "reads a file",
    "baseline_run": "picks the run facts a baseline records",
    "check_baseline_matches": "refuses a baseline that cannot be compared; see tests/robustness/test_gate_probes",
    "check_same_goldsets": "refuses runs of other goldsets or splits; see tests/robustness/test_gate_probes",
    "read_items": "reads a file",
    "score_goldset": "composes the metrics above per facet; its names are checked in test_metric_registry",
    "run_validation": "classifies and writes a run; see test_validate",
    "gold_nodes_at_level": "a gold-label rule, not a metric",
    "pattern_metrics_section": "the metrics.json layout of pattern_agreement's result",
    "inclusion_weights": "reads the items' inclusion probabilities into weights; see test_weighted_accuracy",
    "paired_metric_names": "lists metric names",
    "scored_share_of_default_goldset": "reads the shipped goldset",
    "calibration_error_interval": "a seeded bootstrap of expected_calibration_error (resamples by position); see "
                                  "tests/evaluate/test_calibration.py",
    "calibration_section": "the metrics.json layout of the calibration functions above",
}
_METRIC_MODULES = ("_accuracy", "_agreement", "_raters", "_reconstruction", "_compare", "_gate", "_scoring",
                   "_validate", "_weighting", "_calibration")


def test_every_public_metric_is_covered() -> None:
    """Like scikit-learn's common tests: no public metric function escapes the invariance suite."""
    covered = {c.name for c in CASES} | {name for c in CASES for name in c.covers}
    public = {
        name for name in harness.evaluate.__all__
        if inspect.isfunction(fn := getattr(harness.evaluate, name))
        and fn.__module__.rsplit(".", 1)[-1] in _METRIC_MODULES
    }
    forgotten = sorted(public - covered - set(NOT_METRICS))
    assert not forgotten, f"public metric functions without an invariance case: {forgotten}"
    assert "macro_f1_score" in public and "level_accuracy" in public  # the filter itself finds metrics
    stale = sorted(name for name in covered if not hasattr(harness.evaluate, name))
    assert not stale, f"cases name functions harness.evaluate does not export: {stale}"
