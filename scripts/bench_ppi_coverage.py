"""Do prediction-powered intervals cover the true shares when the classifier is biased? A seeded simulation.

    python scripts/bench_ppi_coverage.py [--items RUN/items.parquet] [--replications 500] [--corpus 2000]
                                         [--labelled 300] [--seed 0]

The classifier's errors come from a real confusion matrix: the SOC major groups the embedded default predicted for
the occupational goldset items of a validation run, against their gold groups (default: the stored baseline run,
``goldsets/baselines/embedding-minilm.items.parquet``). Each row of the matrix is that gold group's predicted
groups, smoothed by half an item spread like the overall predictions (most rows hold a handful of items). The true
shares are the gold groups' shares among the items.

Each replication draws a corpus (``--corpus`` conversations) and a labelled set (``--labelled``) from the same
population: true groups from the true shares, predictions from the true group's row. For every group it computes
the naive interval (the corpus predictions alone), the classical one (the labelled set alone) and the PPI++ one
(``harness.aggregate.share_intervals``, i.e. ``ppi_py.ppi_mean_ci``), at 95% per share, and again as ``harness
analyze --calibrate`` does: Bonferroni over the supported groups (at least 10 labelled items with the group as
gold label). It prints, per group with a true share of at least 2%, how often each interval covered
the truth and its mean width, then the same averaged over those groups, and how often the corrected intervals
covered every supported group at once (and every group, unsupported ones included, to show why support matters).

Expected: PPI++ covers about 95% of the time (within two points), the classical interval too but wider, and the
naive interval far less, because the classifier's errors do not cancel. Figures are printed, never asserted; the
fast version lives in ``tests/aggregate/test_ppi.py``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from harness.aggregate import share_intervals

DEFAULT_ITEMS = Path(__file__).resolve().parents[1] / "goldsets" / "baselines" / "embedding-minilm.items.parquet"
KINDS = ("naive", "classical", "ppi")


def confusion(items_path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Groups, true shares and the smoothed row-stochastic confusion matrix P(predicted | gold)."""
    items = pd.read_parquet(items_path)
    scored = items[items["correct_major_group"].notna() & items["major_group"].notna()]
    gold = scored["major_group"].astype(str)
    pred = scored["pred_major_group"].fillna("none").astype(str)
    groups = sorted(set(gold) | set(pred))
    counts = pd.crosstab(gold, pred).reindex(index=groups, columns=groups, fill_value=0).to_numpy(dtype=float)
    overall = counts.sum(axis=0) / counts.sum()
    rows = counts + 0.5 * overall  # half an item spread like the overall predictions
    truth = counts.sum(axis=1) / counts.sum()
    return groups, truth, rows / rows.sum(axis=1, keepdims=True)


def one_replication(rng: np.random.Generator, truth: np.ndarray, matrix: np.ndarray, n_corpus: int,
                    n_labelled: int, correction: str, min_support: int = 0) -> dict[str, np.ndarray]:
    """Coverage flags and widths per group and kind for one simulated corpus and labelled set."""
    k = len(truth)
    true_labels = rng.choice(k, size=n_corpus + n_labelled, p=truth)
    cumulative = matrix.cumsum(axis=1)
    draws = rng.random(true_labels.size)[:, None]
    predicted = np.minimum((draws > cumulative[true_labels]).sum(axis=1), k - 1)
    eye = np.eye(k)
    y, f = eye[true_labels[:n_labelled]], eye[predicted[:n_labelled]]
    fu = eye[predicted[n_labelled:]]
    estimates = share_intervals(y, f, fu, [str(j) for j in range(k)], alpha=0.05, correction=correction,
                                min_support=min_support)
    out = {"supported": np.array([e.supported for e in estimates])}
    for kind in KINDS:
        low = np.array([getattr(e, f"{kind}_low") for e in estimates])
        high = np.array([getattr(e, f"{kind}_high") for e in estimates])
        out[f"{kind}_covered"] = (low <= truth) & (truth <= high)
        out[f"{kind}_width"] = high - low
    return out


def simulate(truth: np.ndarray, matrix: np.ndarray, *, replications: int, n_corpus: int, n_labelled: int,
             seed: int, correction: str = "none", min_support: int = 0) -> dict[str, np.ndarray]:
    """Stacked results of ``replications`` seeded replications (one row per replication, one column per group)."""
    runs = [one_replication(np.random.default_rng([seed, r]), truth, matrix, n_corpus, n_labelled, correction,
                            min_support) for r in range(replications)]
    return {key: np.vstack([run[key] for run in runs]) for key in runs[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=Path, default=DEFAULT_ITEMS)
    parser.add_argument("--replications", type=int, default=500)
    parser.add_argument("--corpus", type=int, default=2000)
    parser.add_argument("--labelled", type=int, default=300)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    groups, truth, matrix = confusion(args.items)
    accuracy = float((truth * np.diag(matrix)).sum())
    print(f"confusion matrix of {args.items.name}: {len(groups)} major groups, accuracy {accuracy:.3f} after "
          f"smoothing; corpus {args.corpus}, labelled {args.labelled}, {args.replications} replications")
    started = time.perf_counter()
    single = simulate(truth, matrix, replications=args.replications, n_corpus=args.corpus,
                      n_labelled=args.labelled, seed=args.seed)
    joint = simulate(truth, matrix, replications=args.replications, n_corpus=args.corpus,
                     n_labelled=args.labelled, seed=args.seed, correction="bonferroni", min_support=10)
    predicted_share = truth @ matrix
    shown = np.flatnonzero(truth >= 0.02)
    print(f"\n{'group':<7}{'true %':>8}{'pred %':>8}  " + "".join(f"{k + ' cover':>16}{k + ' width':>16}"
                                                                 for k in KINDS))
    for j in shown:
        cells = "".join(f"{single[f'{k}_covered'][:, j].mean():>16.3f}{100 * single[f'{k}_width'][:, j].mean():>16.2f}"
                        for k in KINDS)
        print(f"{groups[j]:<7}{100 * truth[j]:>8.1f}{100 * predicted_share[j]:>8.1f}  {cells}")
    cells = "".join(f"{single[f'{k}_covered'][:, shown].mean():>16.3f}"
                    f"{100 * single[f'{k}_width'][:, shown].mean():>16.2f}" for k in KINDS)
    print(f"{'mean':<7}{'':>8}{'':>8}  {cells}")
    supported = joint["supported"]
    print(f"\nBonferroni over the supported groups ({supported.sum(axis=1).mean():.1f} of {len(groups)} on "
          "average), every supported group covered at once: " + ", ".join(
              f"{k} {(joint[f'{k}_covered'] | ~supported).all(axis=1).mean():.3f}" for k in KINDS))
    print("the same intervals, every group covered at once (unsupported ones too): " + ", ".join(
        f"{k} {joint[f'{k}_covered'].all(axis=1).mean():.3f}" for k in KINDS))
    print(f"({time.perf_counter() - started:.1f} s; coverage per share at 95%, widths in points)")


if __name__ == "__main__":
    main()
