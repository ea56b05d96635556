"""Run the ``hierarchy`` inspect task with mockllm on a few goldset items (real O*NET hierarchy)."""

from __future__ import annotations

from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval

from evals.hierarchy import hierarchy
from harness.evaluate import level_accuracy
from tests.evals._mock import mock_model

pytestmark = pytest.mark.real_data


def test_hierarchy_task_scores_and_writes_a_log(data_dir, tmp_path):
    model, responder = mock_model()
    [log] = inspect_eval(hierarchy(data_dir=str(data_dir)), model=model, limit=4, log_dir=str(tmp_path),
                         display="none")  # fmt: skip
    assert log.status == "success", log.error
    assert Path(log.location).is_file() and Path(log.location).parent == tmp_path
    metrics = {name: m.value for s in log.results.scores for name, m in s.metrics.items()}
    assert set(metrics) == {"top_accuracy", "mid_accuracy", "base_accuracy", "invalid"}
    assert all(0.0 <= v <= 1.0 for v in metrics.values())
    assert len(log.samples) == 4
    # The metrics are level_accuracy over the per-sample predictions and acceptable sets in the log.
    scores = [s.scores["hierarchy"].metadata for s in log.samples]
    for level in ("top", "mid", "base"):
        expected = level_accuracy([s["acceptable"][level] for s in scores], [s["pred"][level] for s in scores],
                                  level=level).accuracy  # fmt: skip
        assert metrics[f"{level}_accuracy"] == pytest.approx(expected)
    assert all(s["pred"]["top"] is not None for s in scores)  # the stand-in always answers with an option
    # Every classification step went through the eval's model and was recorded with its usage.
    assert "summary" in responder.steps and "traverse.base" in responder.steps
    assert log.stats.model_usage and next(iter(log.stats.model_usage.values())).input_tokens > 0
