"""Fit the embedded default's confidence map on the goldset's dev split and write the shipped calibration file.

    python scripts/fit_confidence_calibration.py [--method platt|isotonic] [--runtime R] [--check]

Classifies the shipped goldset with the default embedding backend, takes the occupational dev items (strict
scoring), fits a map from the raw signal (``confidence_score``) to whether the predicted SOC major group is right,
and writes ``harness/classify/calibration/embedding-<model>-<runtime>.json``. It then prints the ROC AUC of the
signal and the expected calibration error of the map on the dev items (in-sample) and on the test items
(out-of-sample). The test split is only reported, never used for the fit. ``--check`` prints without writing.

Re-run it whenever the embedding backend's configuration changes: the file names the configuration digest it was
fitted for, and the backend leaves ``confidence`` empty for any other configuration.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

from harness.classify import ConfidenceCalibration, EmbeddingClassifier, EmbeddingConfig, fit_calibration_map
from harness.classify._confidence import EMBEDDING_SIGNAL
from harness.evaluate import default_goldset_path, expected_calibration_error, load_goldset, score_goldset
from harness.llm import DEFAULT_RUNTIME, RUNTIMES
from harness.taxonomy import build_work_activity_hierarchy, load_onet

OUT_DIR = Path(__file__).resolve().parents[1] / "harness" / "classify" / "calibration"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=("platt", "isotonic"), default="platt")
    parser.add_argument("--check", action="store_true", help="print the fit without writing the file")
    parser.add_argument("--runtime", choices=RUNTIMES, default=DEFAULT_RUNTIME,
                        help="the embedding runtime whose configuration the file is fitted for")
    args = parser.parse_args()
    release = load_onet(release="29.3")
    hierarchy = build_work_activity_hierarchy(release)
    classifier = EmbeddingClassifier(hierarchy, EmbeddingConfig(runtime=args.runtime))
    goldset = default_goldset_path()
    items = load_goldset(goldset)
    preds = classifier.classify([dataclasses.replace(item.conversation, id=item.id) for item in items])
    table = score_goldset(items, preds, hierarchy, release, n_bootstrap=1).items
    scores = np.array([np.nan if p.confidence_score is None else p.confidence_score for p in preds])
    scored = table["correct_major_group"].notna().to_numpy() & np.isfinite(scores)
    correct = table["correct_major_group"].fillna(False).astype(bool).to_numpy()
    split = table["split"].to_numpy()
    dev = scored & (split == "dev")
    fitted = fit_calibration_map(scores[dev], correct[dev], method=args.method)
    calibration = ConfidenceCalibration(
        backend=classifier.spec, config_digest=classifier.config.digest(), hierarchy_id=hierarchy.id,
        signal=EMBEDDING_SIGNAL,
        target="major_group", map=fitted,
        fitted_on=f"{goldset.stem} dev split, {int(dev.sum())} occupational items (strict scoring)",
        dev_scores=tuple(float(v) for v in scores[dev]), dev_correct=tuple(bool(v) for v in correct[dev]))
    for name in ("dev", "test"):
        keep = scored & (split == name)
        prob = calibration.confidence(scores[keep])
        print(f"{name}: n={int(keep.sum())} accuracy={correct[keep].mean():.3f} "
              f"AUC={roc_auc_score(correct[keep], scores[keep]):.3f} "
              f"ECE={expected_calibration_error(correct[keep], prob):.3f} mean confidence={prob.mean():.3f}")
    print(json.dumps(fitted.to_json()))
    if not args.check:
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / f"{classifier.config.shipped_name}.json"
        path.write_text(json.dumps(calibration.to_json(), indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
