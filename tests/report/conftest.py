"""Synthetic but realistic run directories for the report tests.

Items are real goldset items (ids and gold labels from ``goldsets/sharegpt_v1.jsonl``, whose conversations are real
text), predictions are simulated, and every metrics.json section is computed from them with the evaluate
functions. Conversation text is deliberately planted where a careless report would echo it (an extra items column,
free-text fields in the manifest and in metrics.json), so the privacy test has something to catch.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.evaluate import (
    PATTERNS,
    pattern_agreement,
    reconstruction_scores,
    wilson_interval,
)
from harness.taxonomy import SOC_MAJOR_GROUPS

REPO = Path(__file__).resolve().parents[2]
GOLDSET = REPO / "goldsets" / "sharegpt_v1.jsonl"
N_ITEMS = 80
LEVELS = ("top", "mid", "base")
GROUPS = ("11", "13", "15", "25", "27", "43")
# Invented node names (the report shows names only, never conversation text).
NODE_NAMES = (
    "Develop and test software", "Analyse data and report findings", "Draft written materials",
    "Teach and explain concepts", "Plan marketing activities", "Prepare financial statements",
    "Design visual layouts", "Answer customer enquiries",
)


def load_goldset_items(n: int = N_ITEMS) -> list[dict]:
    """The first ``n`` items of the shipped goldset (real conversations)."""
    items = []
    with GOLDSET.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                items.append(json.loads(line))
            if len(items) == n:
                break
    return items


def conversation_texts(items: list[dict]) -> list[str]:
    """All message contents of the items."""
    return [m["content"] for item in items for m in item["conversation"]["messages"] if m.get("content")]


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def conversation_spans(texts: list[str], k: int = 8) -> set[tuple[str, ...]]:
    """Every ``k``-word span of the texts (lower-cased words)."""
    spans: set[tuple[str, ...]] = set()
    for text in texts:
        words = _words(text)
        spans.update(tuple(words[i : i + k]) for i in range(len(words) - k + 1))
    return spans


def leaked_spans(text: str, spans: set[tuple[str, ...]], k: int = 8) -> list[str]:
    """The ``k``-word spans of ``text`` found in ``spans``."""
    words = _words(text)
    return [" ".join(words[i : i + k]) for i in range(len(words) - k + 1) if tuple(words[i : i + k]) in spans]


def _majority_pattern(item: dict) -> str:
    votes = [label["pattern"] for label in item["labels"]]
    return max(PATTERNS, key=lambda p: (votes.count(p), -PATTERNS.index(p)))


def make_items(gold: list[dict], *, seed: int, skill: float) -> pd.DataFrame:
    """items.parquet rows for the goldset items, with predictions of the given skill."""
    n = len(gold)
    rng = np.random.default_rng(seed)
    gold_rng = np.random.default_rng(7)  # gold-side columns must not depend on the run
    gold_pattern = np.array([_majority_pattern(item) for item in gold], dtype=object)
    gold_occ = np.array([bool(item["labels"][0]["occupational"]) for item in gold])
    right = {lv: rng.random(n) < skill * f for lv, f in zip(LEVELS, (1.0, 0.8, 0.55), strict=True)}
    pattern_right = rng.random(n) < skill
    pred_pattern = np.where(pattern_right, gold_pattern, rng.choice(PATTERNS, size=n)).astype(object)
    pred_pattern[rng.random(n) < 0.04] = None
    pred_occ = np.where(rng.random(n) < skill + 0.15, gold_occ, ~gold_occ)
    frame = pd.DataFrame({
        "item_id": [item["id"] for item in gold],
        "split": [item["split"] for item in gold],
        "major_group": gold_rng.choice(GROUPS, size=n).astype(object),
        "pred_top": [f"top-{i % 7}" for i in range(n)],
        "pred_mid": [f"mid-{i % 23}" for i in range(n)],
        "pred_base": [str(16000 + i) for i in range(n)],
        "correct_top": right["top"], "correct_mid": right["mid"], "correct_base": right["base"],
        "invalid": pd.isna(pred_pattern),
        "gold_pattern": gold_pattern, "pred_pattern": pred_pattern,
        "gold_occupational": gold_occ, "pred_occupational": pred_occ,
        "input_tokens": rng.integers(800, 3000, size=n), "output_tokens": rng.integers(40, 300, size=n),
        "latency_s": rng.gamma(2.0, 0.6 + (1 - skill), size=n), "cost_usd": rng.random(n) * (0.002 + skill / 100),
    })
    frame.loc[frame.index[:3], "major_group"] = None  # items without a gold task
    # Planted: a careless report that dumped the per-item table would leak conversation text.
    frame["first_user_message"] = [item["conversation"]["messages"][0]["content"] for item in gold]
    return frame


def _prevalence(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    aggregations = (("k=2000", 6.0), ("k=500", 24.0), ("k=100", 120.0), ("k=20", 600.0))
    for level, n_items in (("category", 22), ("occupation", 120), ("task", 400)):
        direct = rng.dirichlet(np.full(n_items, 0.4))
        for j, (name, _) in enumerate(aggregations):
            noise = rng.lognormal(0.0, 0.25 + 0.35 * j, size=n_items)
            cluster = direct * noise
            cluster[rng.random(n_items) < 0.05 + 0.12 * j] = 0.0  # coarse clusters miss small items
            cluster /= cluster.sum()
            for i in range(n_items):
                if direct[i] > 1e-4 or cluster[i] > 0:
                    rows.append({"level": level, "aggregation": name, "item": f"{level}-{i}",
                                 "direct": float(direct[i]) if direct[i] > 1e-4 else 0.0,
                                 "cluster": float(cluster[i])})
    return pd.DataFrame(rows), dict(aggregations)


@dataclass(frozen=True)
class SyntheticRun:
    """A written run directory and the inputs it was made from."""

    path: Path
    items: pd.DataFrame
    metrics: dict


def write_run(path: Path, gold: list[dict], *, seed: int, skill: float, model: str,
              analysis_dir: Path | None = None, reconstruction: bool = True) -> SyntheticRun:
    """Write manifest.json, metrics.json (every section), items.parquet and reconstruction/ under ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    items = make_items(gold, seed=seed, skill=skill)
    items.to_parquet(path / "items.parquet", index=False)
    rng = np.random.default_rng(seed + 1)
    secret = gold[0]["conversation"]["messages"][1]["content"]

    levels, flat = [], {}
    for level in LEVELS:
        strict = items[f"correct_{level}"].astype(bool).to_numpy()
        lenient = strict | (rng.random(len(items)) < 0.12)
        for scoring, right in (("strict", strict), ("lenient", lenient)):
            k, n = int(right.sum()), len(right)
            low, high = wilson_interval(k, n)
            levels.append({"level": level, "scoring": scoring, "n": n, "correct": k, "accuracy": k / n,
                           "ci_low": low, "ci_high": high, "boot_low": low + 0.01, "boot_high": high - 0.01,
                           "invalid": int(items["invalid"].sum())})
            if scoring == "strict":
                flat[f"hierarchy.{level}.accuracy"] = {"value": k / n, "n": n, "ci_low": low, "ci_high": high,
                                                       "kind": "proportion"}
    by_group = []
    for group in GROUPS:
        subset = items[items["major_group"] == group]
        for level in LEVELS:
            k, n = int(subset[f"correct_{level}"].sum()), len(subset)
            low, high = wilson_interval(k, n)
            by_group.append({"major_group": group, "title": SOC_MAJOR_GROUPS[group], "level": level, "n": n,
                             "correct": k, "accuracy": k / n if n else None, "ci_low": low, "ci_high": high})
    confusions = [{"level": level, "gold_name": NODE_NAMES[i], "pred_name": NODE_NAMES[(i + 3) % 8],
                   "count": int(rng.integers(1, 6))} for level in LEVELS for i in range(6)]

    gold_p = list(items["gold_pattern"])
    pred_p = [p if isinstance(p, str) else None for p in items["pred_pattern"]]
    agreement = pattern_agreement(gold_p, pred_p)
    pattern = {
        "labels": list(PATTERNS), "n": agreement.patterns.n, "accuracy": agreement.accuracy,
        "cohen_kappa": agreement.cohen_kappa,
        "per_class": [{"label": c.label, "precision": c.precision, "recall": c.recall, "f1": c.f1,
                       "support": c.support} for c in agreement.patterns.per_class],
        "confusion": [list(map(int, r)) for r in agreement.patterns.confusion],
        "binary": {"labels": ["automation", "augmentation"], "n": agreement.binary.n,
                   "excluded": agreement.binary_excluded, "accuracy": agreement.binary.accuracy,
                   "cohen_kappa": agreement.binary.cohen_kappa,
                   "confusion": [list(map(int, r)) for r in agreement.binary.confusion]},
        "three_way": {"labels": ["automation", "augmentation", "none"], "n": agreement.modes.n,
                      "accuracy": agreement.modes.accuracy, "cohen_kappa": agreement.modes.cohen_kappa,
                      "confusion": [list(map(int, r)) for r in agreement.modes.confusion]},
    }
    flat["pattern.accuracy"] = {"value": agreement.accuracy, "n": agreement.patterns.n, "kind": "proportion"}
    flat["pattern.cohen_kappa"] = {"value": agreement.cohen_kappa, "n": agreement.patterns.n, "kind": "kappa"}
    screen_right = items["gold_occupational"] == items["pred_occupational"]
    screening = {"n": len(items), "accuracy": float(screen_right.mean()), "cohen_kappa": 0.41, "precision": 0.9,
                 "recall": 0.93}
    flat["screening.accuracy"] = {"value": screening["accuracy"], "n": len(items), "kind": "proportion"}
    flat["usage.cost_usd"] = {"value": float(items["cost_usd"].sum()), "kind": "cost"}
    raters = {"n_items": 30, "raters": ["rater-a", "rater-b"], "fields": {
        "pattern": {"n_items": 30, "pairwise_agreement": 0.7, "cohen_kappa": 0.62, "fleiss_kappa": 0.61,
                    "krippendorff_alpha": 0.62},
        "occupational": {"n_items": 30, "pairwise_agreement": 0.93, "cohen_kappa": 0.8, "fleiss_kappa": 0.8,
                         "krippendorff_alpha": 0.8},
        "major_group": {"n_items": 28, "pairwise_agreement": 0.82, "cohen_kappa": 0.77, "fleiss_kappa": 0.77,
                        "krippendorff_alpha": 0.78}}}

    body = {
        "schema": "harness.metrics/1",
        "run": {"backend": "anthropic" if "claude" in model else "embedding", "model": model,
                "hierarchy_id": "onet-wa-29.3", "hierarchy_sizes": {"top": 37, "mid": 332, "base": 18796},
                "onet_release": "29.3", "goldsets": [{"name": "sharegpt_v1", "n_items": len(gold)}],
                "n_items": len(gold), "package_versions": {"harness": "0.1.0", "pandas": pd.__version__},
                "prompt_hashes": {"screening": "3f1c" * 16, "traversal": "9ab0" * 16},
                "seed": seed, "started": "2026-11-22T10:00:00Z", "finished": "2026-11-22T10:12:00Z",
                "comment": secret},  # planted free text: must not be echoed
        "metrics": flat,
        "hierarchy": {"scoring": {"strict": "against the majority label", "lenient": "any rater's label accepts"},
                      "levels": levels, "by_major_group": by_group, "confusions": confusions},
        "pattern": pattern,
        "screening": screening,
        "raters": raters,
    }
    if reconstruction:
        prevalence, sizes = _prevalence(seed)
        (path / "reconstruction").mkdir(exist_ok=True)
        prevalence.to_csv(path / "reconstruction" / "prevalence.csv", index=False)
        scores = []
        for (level, agg), rows in prevalence.groupby(["level", "aggregation"], sort=False):
            direct = {r.item: r.direct for r in rows.itertuples() if r.direct > 0}
            cluster = {r.item: r.cluster for r in rows.itertuples() if r.cluster > 0}
            result = reconstruction_scores(direct, cluster, level=level, aggregation=agg)
            scores.append({"level": level, "aggregation": agg, "mean_cluster_size": sizes[agg],
                           "pearson": result.pearson, "spearman": result.spearman,
                           "kendall_tau_b": result.kendall_tau_b, "mse": result.mse, "n_direct": result.n_direct,
                           "n_cluster": result.n_cluster, "n_both": result.n_both, "n_union": result.n_union})
        body["reconstruction"] = scores
    (path / "metrics.json").write_text(json.dumps(body, indent=1), encoding="utf-8")
    manifest = {
        "schema": "harness.run/1", "command": "harness validate --goldset goldsets/sharegpt_v1.jsonl",
        "backend": body["run"]["backend"],
        "classifier": {"model": model, "prompt_hashes": body["run"]["prompt_hashes"], "seed": seed,
                       "notes": secret},
        "hierarchy": {"id": "onet-wa-29.3", "sizes": {"top": 37, "mid": 332, "base": 18796}, "onet_release": "29.3"},
        "input": {"path": "goldsets/sharegpt_v1.jsonl", "sha256": "0" * 64, "n": len(gold)},
        "goldsets": [{"name": "sharegpt_v1", "path": "goldsets/sharegpt_v1.jsonl", "n_items": len(gold),
                      "sha256": "0" * 64}],
        "package_versions": body["run"]["package_versions"], "python": "3.11.7",
        "started": body["run"]["started"], "finished": body["run"]["finished"], "counts": {"items": len(gold)},
    }
    (path / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    if analysis_dir is not None:
        import shutil

        shutil.copytree(analysis_dir, path / "analysis")
    return SyntheticRun(path, items, body)


@pytest.fixture(scope="session")
def gold_items() -> list[dict]:
    """Real goldset items (with their conversations)."""
    return load_goldset_items()


@pytest.fixture(scope="session")
def analysis_dir(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """``harness.aggregate`` output for the real 2025_02_10 release, or None without HARNESS_DATA_DIR."""
    value = os.environ.get("HARNESS_DATA_DIR")
    if not value or not (Path(value) / "economic_index" / "release_2025_02_10").is_dir():
        return None
    from harness.aggregate import analyze_release, write_analysis

    out = tmp_path_factory.mktemp("analysis") / "analysis"
    write_analysis(analyze_release("2025_02_10", data_dir=value), out)
    return out


@pytest.fixture(scope="session")
def run_pair(tmp_path_factory: pytest.TempPathFactory, gold_items: list[dict],
             analysis_dir: Path | None) -> tuple[SyntheticRun, SyntheticRun]:
    """(candidate, baseline): two runs over the same goldset items; the candidate has analysis/ when available."""
    root = tmp_path_factory.mktemp("runs")
    candidate = write_run(root / "candidate", gold_items, seed=11, skill=0.8, model="claude-mythos-5",
                          analysis_dir=analysis_dir)
    baseline = write_run(root / "baseline", gold_items, seed=3, skill=0.55, model="embedding:all-minilm-l6-v2",
                         reconstruction=False)
    return candidate, baseline


@pytest.fixture(scope="session")
def full_report(tmp_path_factory: pytest.TempPathFactory, run_pair: tuple[SyntheticRun, SyntheticRun]):
    """The report of the candidate run compared with the baseline (written once per session)."""
    from harness.report import write_report

    candidate, baseline = run_pair
    out = tmp_path_factory.mktemp("reports") / "full"
    return write_report(candidate.path, out, compare=baseline.path, n_resamples=300, seed=1)
