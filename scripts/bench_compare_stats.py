"""Simulated type-I error and power of compare's non-inferiority test, beside the power the harness reports.

Usage: python scripts/bench_compare_stats.py [--reps 5000] [--seed 20261130] [--alpha 0.05]
       [--runs BASELINE_ITEMS CANDIDATE_RUN]

Two classifiers are simulated on n paired items with a known true difference θ and discordance ψ (the share of
items exactly one of them gets right). For each setting:

* type-I error: the share of replications in which the test claims non-inferiority although the candidate is
  exactly δ worse (θ = −δ, the edge of the null); it should not exceed α;
* simulated power: the share of replications in which non-inferiority is shown when nothing changed (θ = 0);
* reported power: what :func:`harness.evaluate.noninferiority_power` predicts for that setting.

A second table clusters the items in 40 accounts whose discordant items lean the same way, and compares the test
that treats items as independent with the one widened by the estimated design effect (what compare does when the
items carry account ids).

With ``--runs`` the script also prints, for a real pair of runs, each metric's minimum detectable difference at 80 %
power from the observed discordance (the ``mde80`` column of ``harness compare``).

Replications are seeded; the figures are printed, never asserted (tests/evaluate/test_power.py runs a small
version with tolerances).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from scipy import stats

from harness.evaluate import design_effect, noninferiority_power, noninferiority_test
from harness.evaluate._noninferiority import score_statistic

SETTINGS = [(n, psi, delta) for n in (100, 170, 300, 500) for psi in (0.06, 0.1, 0.2, 0.3)
            for delta in (0.03, 0.05, 0.1) if delta < psi]


def _rate(n: int, psi: float, theta: float, delta: float, alpha: float, reps: int, rng: np.random.Generator) -> float:
    counts = rng.multinomial(n, [(psi - theta) / 2, (psi + theta) / 2, 1 - psi], size=reps)
    z = np.array([score_statistic(float(b), float(c), n, -delta) for b, c, _ in counts])
    return float(np.mean(stats.norm.sf(z) < alpha))


def independent_table(reps: int, alpha: float, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for n, psi, delta in SETTINGS:
        size = _rate(n, psi, -delta, delta, alpha, reps, rng)
        power = _rate(n, psi, 0.0, delta, alpha, reps, rng)
        reported = noninferiority_power(n, margin=delta, discordance=psi, alpha=alpha)
        rows.append((n, psi, delta, size, power, reported, abs(power - reported)))
    return rows


def _clustered_items(n: int, n_accounts: int, psi: float, theta: float, lean: float,
                     rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-item correctness of two runs; each account's discordant items lean one way by ``lean``."""
    accounts = np.arange(n) % n_accounts
    tilt = np.where(rng.random(n_accounts) < 0.5, -lean, lean)[accounts]
    share_c = (psi + theta + tilt) / 2  # P(only the candidate right)
    share_b = (psi - theta - tilt) / 2  # P(only the baseline right)
    u = rng.random(n)
    only_b, only_c = u < share_b, (u >= share_b) & (u < share_b + share_c)
    both = ~(only_b | only_c) & (rng.random(n) < 0.5)
    a = only_b | both
    b = only_c | both
    return a, b, accounts


def clustered_table(reps: int, alpha: float, seed: int) -> list[tuple]:
    rng = np.random.default_rng(seed)
    rows = []
    for n, psi, delta, lean in ((300, 0.2, 0.05, 0.15), (300, 0.3, 0.05, 0.25), (500, 0.2, 0.03, 0.15)):
        naive = adjusted = 0
        effects = []
        for _ in range(reps):
            a, b, accounts = _clustered_items(n, 40, psi, -delta, lean, rng)
            effect = design_effect(a, b, accounts)
            effects.append(effect)
            naive += noninferiority_test(a, b, margin=delta).p_value < alpha
            adjusted += noninferiority_test(a, b, margin=delta, design_effect=effect).p_value < alpha
        rows.append((n, psi, delta, lean, float(np.mean(effects)), naive / reps, adjusted / reps))
    return rows


def _print_mde(baseline: str, candidate: str) -> None:
    from harness.evaluate import compare_runs
    from harness.run import read_items

    result = compare_runs(read_items(baseline), read_items(candidate), n_resamples=2000)
    print(f"\nminimum detectable difference at 80% power, {baseline} vs {candidate} ({result.n_items} items, "
          f"{'clustered by ' + result.clustered_by if result.clustered_by else 'independent items'})")
    print(f"{'metric':32} {'role':9} {'n':>4} {'discordance':>11} {'difference':>10} {'mde80':>6}")
    for m in result.metrics:
        print(f"{m.name:32} {m.role:9} {m.n:>4} {m.discordance:>11.3f} {m.difference:>+10.3f} {m.mde:>6.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5000, help="replications per setting (default 5000)")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--runs", nargs=2, metavar=("BASELINE", "CANDIDATE"), default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    rows = independent_table(args.reps, args.alpha, args.seed)
    print(f"non-inferiority score test, one-sided alpha {args.alpha:g}, {args.reps} seeded replications per cell")
    print(f"{'n':>4} {'psi':>5} {'delta':>5}  {'type I':>6}  {'power sim':>9}  {'reported':>8}  {'|gap|':>5}")
    for n, psi, delta, size, power, reported, gap in rows:
        print(f"{n:>4} {psi:>5.2f} {delta:>5.2f}  {size:>6.3f}  {power:>9.3f}  {reported:>8.3f}  {gap:>5.3f}")
    print(f"max type I {max(r[3] for r in rows):.4f} (limit alpha + 0.01 = {args.alpha + 0.01:.2f}); "
          f"max |power gap| {max(r[6] for r in rows):.3f} (limit 0.05); "
          f"Monte Carlo SE at alpha: {np.sqrt(args.alpha * (1 - args.alpha) / args.reps):.4f}")
    reps = max(500, args.reps // 4)
    print(f"\nclustered items (40 accounts whose discordant items lean one way), type I at theta = -delta, "
          f"{reps} replications")
    print(f"{'n':>4} {'psi':>5} {'delta':>5} {'lean':>5}  {'mean deff':>9}  {'naive':>6}  {'adjusted':>8}")
    for n, psi, delta, lean, effect, naive, adjusted in clustered_table(reps, args.alpha, args.seed + 1):
        print(f"{n:>4} {psi:>5.2f} {delta:>5.2f} {lean:>5.2f}  {effect:>9.2f}  {naive:>6.3f}  {adjusted:>8.3f}")
    print(f"\n({time.perf_counter() - started:.1f} s)")
    if args.runs:
        _print_mde(*args.runs)


if __name__ == "__main__":
    main()
