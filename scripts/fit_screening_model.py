"""Fit the embedded default's screening model on the goldset's dev split and write the shipped model file.

    python scripts/fit_screening_model.py [--repeats N] [--runtime R] [--check]

Reads only the dev items of the shipped goldset (the gold call is the majority label's ``occupational``); the
test and check items are never loaded into the fit, scored or printed. For each dev item it computes the features
the default embedding backend has at hand (:data:`harness.classify._screening.SCREENING_FEATURES`) and its query
embedding, then:

1. estimates, by ``--repeats`` × stratified 5-fold cross-validation, Cohen's κ, accuracy, balanced accuracy, ROC
   AUC, log loss and expected calibration error of the model, against the current screening rule on the same
   folds. The model's hyperparameters (number of principal components of the query embedding, L2 penalty) and its
   threshold are chosen inside each training fold (nested), so the figures are out-of-sample;
2. chooses the hyperparameters by repeated cross-validated log loss on all dev items, and the operating threshold
   as the one that maximises Cohen's κ over the cross-validated probabilities (mean over repeats);
3. fits on all dev items, folds the standardisation and projection into the weights, and writes
   ``harness/classify/calibration/screening-embedding-<model>-<runtime>.json`` (``--check`` prints without writing).

Re-run it whenever the embedding backend's configuration or the hierarchy changes: the file names the digest and
hierarchy it was fitted for, and the backend falls back to its rule for any other.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, log_loss, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.preprocessing import StandardScaler

from harness.classify import EmbeddingClassifier, EmbeddingConfig
from harness.classify._screening import SCREENING_FEATURES, ScreeningModel
from harness.evaluate import default_goldset_path, expected_calibration_error, load_goldset
from harness.evaluate._goldset import majority_label
from harness.llm import DEFAULT_RUNTIME, RUNTIMES
from harness.taxonomy import build_work_activity_hierarchy, load_onet

OUT_DIR = Path(__file__).resolve().parents[1] / "harness" / "classify" / "calibration"
PCA_DIMS = (0, 4, 8, 16, 32)  # principal components of the query embedding (0: the embedding is not used)
PENALTIES = (0.03, 0.1, 0.3, 1.0, 3.0)  # inverse L2 strength C of the logistic regression (standardised inputs)
THRESHOLDS = np.round(np.linspace(0.05, 0.95, 91), 2)
INNER_FOLDS = OUTER_FOLDS = 5


@dataclasses.dataclass(frozen=True)
class DevData:
    """The dev items' features, query embeddings, gold calls and the rule's calls."""

    x: np.ndarray
    queries: np.ndarray
    gold: np.ndarray
    rule: np.ndarray


def dev_data(classifier: EmbeddingClassifier) -> tuple[DevData, str]:
    """Features of the goldset's dev items (the other splits are dropped as soon as the file is read)."""
    path = default_goldset_path()
    items = [item for item in load_goldset(path) if item.split == "dev"]
    convs = [dataclasses.replace(item.conversation, id=item.id) for item in items]
    inputs = classifier.screening_inputs(convs)
    gold = np.array([majority_label(item).occupational for item in items], dtype=int)
    data = DevData(inputs.features, inputs.queries.astype(np.float64), gold, inputs.rule.astype(int))
    return data, f"{path.stem} dev split, {len(items)} items (majority label's occupational call)"


def kappas(gold: np.ndarray, calls: np.ndarray) -> np.ndarray:
    """Cohen's κ of each row of the 0/1 matrix ``calls`` against ``gold``."""
    calls = np.atleast_2d(calls)
    observed = (calls == gold).mean(1)
    share = calls.mean(1)
    chance = share * gold.mean() + (1 - share) * (1 - gold.mean())
    return np.where(chance < 1, (observed - chance) / np.where(chance < 1, 1 - chance, 1), 0.0)


def best_threshold(prob: np.ndarray, gold: np.ndarray) -> float:
    """The threshold (of :data:`THRESHOLDS`) with the highest κ; ``prob`` may hold one row per repeat."""
    prob = np.atleast_2d(prob)
    curve = np.mean([kappas(gold, (p[None, :] >= THRESHOLDS[:, None]).astype(int)) for p in prob], axis=0)
    return float(THRESHOLDS[int(np.argmax(curve))])


class Fitted:
    """Standardiser, optional projection of the query embedding and logistic regression, fitted on some items."""

    def __init__(self, data: DevData, rows: np.ndarray, dims: int, penalty: float):
        self.dims = dims
        self.pca = PCA(dims, random_state=0).fit(data.queries[rows]) if dims else None
        self.scaler = StandardScaler().fit(self._design(data, rows, scaled=False))
        self.model = LogisticRegression(C=penalty, max_iter=5000).fit(self._design(data, rows), data.gold[rows])

    def _design(self, data: DevData, rows: np.ndarray, *, scaled: bool = True) -> np.ndarray:
        parts = [data.x[rows]] + ([self.pca.transform(data.queries[rows])] if self.pca is not None else [])
        x = np.hstack(parts)
        return self.scaler.transform(x) if scaled else x

    def probability(self, data: DevData, rows: np.ndarray) -> np.ndarray:
        return self.model.predict_proba(self._design(data, rows))[:, 1]

    def folded(self) -> tuple[np.ndarray, float, np.ndarray]:
        """The same model as raw-feature weights, an intercept and weights on the query embedding itself."""
        w = self.model.coef_[0] / self.scaler.scale_
        intercept = float(self.model.intercept_[0] - w @ self.scaler.mean_)
        n = len(SCREENING_FEATURES)
        query = np.zeros(0)
        if self.pca is not None:
            query = self.pca.components_.T @ w[n:]
            intercept -= float(query @ self.pca.mean_)
        return w[:n], intercept, query


def cv_probabilities(data: DevData, rows: np.ndarray, seed: int) -> dict[tuple[int, float], np.ndarray]:
    """Out-of-fold probabilities of every (dims, penalty) pair over ``rows``, by stratified 5-fold CV."""
    folds = StratifiedKFold(INNER_FOLDS, shuffle=True, random_state=seed)
    out = {(d, c): np.zeros(len(rows)) for d in PCA_DIMS for c in PENALTIES}
    for fit_at, score_at in folds.split(rows, data.gold[rows]):
        for d in PCA_DIMS:
            for c in PENALTIES:
                out[(d, c)][score_at] = Fitted(data, rows[fit_at], d, c).probability(data, rows[score_at])
    return out


def choose(data: DevData, rows: np.ndarray, seeds: list[int]) -> tuple[tuple[int, float], float, np.ndarray]:
    """(dims, penalty) by mean CV log loss over ``seeds``, the κ-maximising threshold, and the chosen pair's CV
    probabilities (one row per seed)."""
    runs = [cv_probabilities(data, rows, s) for s in seeds]
    gold = data.gold[rows]
    loss = {key: np.mean([log_loss(gold, run[key], labels=[0, 1]) for run in runs]) for key in runs[0]}
    key = min(loss, key=loss.__getitem__)
    prob = np.array([run[key] for run in runs])
    return key, best_threshold(prob, gold), prob


def nested_cv(data: DevData, repeats: int) -> dict[str, list[float]]:
    """Per-fold and per-repeat figures of the rule and of the model (hyperparameters and threshold chosen inside
    each training fold)."""
    out: dict[str, list[float]] = {}
    chosen: Counter[tuple[int, float]] = Counter()
    items = np.arange(len(data.gold))

    def add(name: str, value: float) -> None:
        out.setdefault(name, []).append(float(value))

    for r in range(repeats):
        prob, calls = np.zeros(len(items)), np.zeros(len(items), dtype=int)
        for fit_at, score_at in StratifiedKFold(OUTER_FOLDS, shuffle=True, random_state=r).split(items, data.gold):
            key, threshold, _ = choose(data, fit_at, [1000 + r])
            chosen[key] += 1
            prob[score_at] = Fitted(data, fit_at, *key).probability(data, score_at)
            calls[score_at] = prob[score_at] >= threshold
            gold, rule = data.gold[score_at], data.rule[score_at]
            add("fold kappa rule", kappas(gold, rule)[0])
            add("fold kappa model", kappas(gold, calls[score_at])[0])
            add("fold kappa model-rule", out["fold kappa model"][-1] - out["fold kappa rule"][-1])
            add("fold auc model", roc_auc_score(gold, prob[score_at]))
            add("fold threshold", threshold)
        add("repeat kappa rule", kappas(data.gold, data.rule)[0])
        add("repeat kappa model", kappas(data.gold, calls)[0])
        add("repeat kappa model@0.5", kappas(data.gold, (prob >= 0.5).astype(int))[0])
        add("repeat accuracy rule", (data.rule == data.gold).mean())
        add("repeat accuracy model", (calls == data.gold).mean())
        add("repeat balanced accuracy rule", balanced_accuracy_score(data.gold, data.rule))
        add("repeat balanced accuracy model", balanced_accuracy_score(data.gold, calls))
        add("repeat auc model", roc_auc_score(data.gold, prob))
        add("repeat log loss model", log_loss(data.gold, prob))
        add("repeat ece model", expected_calibration_error(data.gold.astype(bool), prob))
        add("repeat occupational share model", calls.mean())
    print("hyperparameters chosen in the outer folds (dims, C):", dict(chosen.most_common()))
    return out


def summary(figures: dict[str, list[float]]) -> dict[str, float]:
    """Print mean, standard deviation and range of each figure; return the means and deviations."""
    out = {}
    for name, values in figures.items():
        v = np.asarray(values)
        extra = f"  share > 0: {np.mean(v > 0):.2f}" if name.endswith("model-rule") else ""
        print(f"  {name:34s} mean {v.mean():.3f}  sd {v.std(ddof=1):.3f}  range {v.min():.3f} .. {v.max():.3f}{extra}")
        out[name.replace(" ", "_") + "_mean"] = round(float(v.mean()), 4)
        out[name.replace(" ", "_") + "_sd"] = round(float(v.std(ddof=1)), 4)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="repeats of the 5-fold cross-validation")
    parser.add_argument("--check", action="store_true", help="print the fit without writing the file")
    parser.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME,
                        help="the embedding runtime whose configuration the file is fitted for")
    args = parser.parse_args()
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    warnings.filterwarnings("ignore", category=FutureWarning)
    hierarchy = build_work_activity_hierarchy(load_onet(release="29.3"))
    classifier = EmbeddingClassifier(hierarchy, EmbeddingConfig(runtime=args.runtime))
    data, fitted_on = dev_data(classifier)
    print(f"{fitted_on}: {int(data.gold.sum())} occupational")
    print(f"nested cross-validation, {args.repeats} x {OUTER_FOLDS} folds (fold: {len(data.gold) // OUTER_FOLDS} "
          "items; repeat: all items' out-of-fold calls pooled):")
    cv = summary(nested_cv(data, args.repeats))
    items = np.arange(len(data.gold))
    (dims, penalty), threshold, prob = choose(data, items, list(range(2000, 2000 + args.repeats)))
    fitted = Fitted(data, items, dims, penalty)
    weights, intercept, query = fitted.folded()
    model = ScreeningModel(
        backend=classifier.spec, config_digest=classifier.config.digest(), hierarchy_id=hierarchy.id,
        feature_names=SCREENING_FEATURES, coefficients=tuple(weights), intercept=intercept,
        query_weights=tuple(query), threshold=threshold,
        operating_point=(f"threshold maximising Cohen's kappa over the {args.repeats}x{INNER_FOLDS}-fold "
                         "cross-validated dev probabilities"),
        fitted_on=f"{fitted_on}; {dims} principal components of the query embedding, L2 C={penalty}",
        cv=cv, dev_probability=tuple(prob.mean(0)), dev_occupational=tuple(bool(v) for v in data.gold))
    # the folded weights must reproduce the fitted pipeline
    np.testing.assert_allclose(model.probability(data.x, data.queries), fitted.probability(data, items), atol=1e-6)
    print(f"chosen on all dev items: {dims} components, C={penalty}, threshold {threshold} "
          f"(cross-validated dev: {json.dumps({k: round(v, 3) for k, v in model.dev_metrics().items()})})")
    print("standardised weights:", {n: round(float(w), 3) for n, w in
                                     zip(SCREENING_FEATURES, fitted.model.coef_[0][: len(SCREENING_FEATURES)],
                                         strict=True)})
    if not args.check:
        path = OUT_DIR / f"screening-{classifier.config.shipped_name}.json"
        path.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path} ({model.sha256()})")


if __name__ == "__main__":
    main()
