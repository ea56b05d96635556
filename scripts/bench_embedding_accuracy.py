"""Accuracy of the offline embedding backend against the naive nearest-statement baseline, per goldset split.

The naive baseline embeds the user's turns and takes the nearest task statement (no activities, no domain cues);
the default adds the backend's documented signals; the last variant also turns on the optional Economic Index usage
prior (off by default, because it pulls prevalence estimates toward the released shares). All are scored by
`harness.evaluate.run_validation` (strict).

Usage: ``HARNESS_DATA_DIR=../shared/data python scripts/bench_embedding_accuracy.py``
"""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from harness.classify import EmbeddingClassifier, EmbeddingConfig, get_classifier
from harness.evaluate import default_goldset_path, run_validation
from harness.taxonomy import build_work_activity_hierarchy, load_onet

METRICS = ("hierarchy.top.accuracy", "hierarchy.mid.accuracy", "hierarchy.base.accuracy",
           "hierarchy.major_group.accuracy")


def main() -> None:
    release = load_onet()
    hierarchy = build_work_activity_hierarchy(release)
    naive = EmbeddingConfig(activity_weight=0.0, domain_boost=0.0)
    variants = {
        "naive nearest statement": EmbeddingClassifier(hierarchy, naive),
        "default": EmbeddingClassifier(hierarchy),
        "default + usage prior": get_classifier("embedding:all-MiniLM-L6-v2", hierarchy,
                                                prior="economic-index:2025_03_27:v2"),
    }
    print(f"{'variant':<26}{'split':<6}{'n':>5}" + "".join(f"{m.split('.')[1]:>13}" for m in METRICS))
    for split in ("dev", "test"):
        for name, classifier in variants.items():
            with tempfile.TemporaryDirectory() as out:
                scores = run_validation([default_goldset_path()], classifier, hierarchy, release, out,
                                        split=split, progress=False, n_bootstrap=200)
            n = scores.metrics[METRICS[0]].n
            row = "".join(f"{scores.metrics[m].value:>13.3f}" for m in METRICS)
            print(f"{name:<26}{split:<6}{n:>5}{row}")


if __name__ == "__main__":
    main()
