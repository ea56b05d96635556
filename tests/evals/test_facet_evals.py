"""Run the ``screening``, ``collaboration`` and ``skills`` inspect tasks with mockllm on a few goldset items."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from inspect_ai import eval as inspect_eval
from inspect_ai.log import read_eval_log

from evals.collaboration import collaboration
from evals.screening import screening
from evals.skills import occupation_profile, skills
from harness.evaluate import binary_agreement, pattern_agreement
from tests.evals._mock import mock_model


def _run(task, tmp_path, answers=None, limit=5):
    model, responder = mock_model(answers)
    [log] = inspect_eval(task, model=model, limit=limit, log_dir=str(tmp_path), display="none")
    assert log.status == "success", log.error
    assert Path(log.location).is_file() and Path(log.location).parent == tmp_path
    metrics = {name: m.value for s in log.results.scores for name, m in s.metrics.items()}
    return log, metrics, responder


def test_screening_task(tmp_path):
    log, metrics, responder = _run(screening(), tmp_path, {"screening": "no"})
    assert set(metrics) == {"accuracy", "cohen_kappa", "precision", "recall", "invalid"}
    rows = [s.scores["screening"].metadata for s in log.samples]
    assert all(r["pred"] is False for r in rows)
    expected = binary_agreement([r["gold"] for r in rows], [r["pred"] for r in rows])
    assert metrics["accuracy"] == pytest.approx(expected.accuracy)
    assert metrics["accuracy"] == pytest.approx(sum(not r["gold"] for r in rows) / len(rows))
    assert metrics["invalid"] == 0.0
    assert "traverse.top" not in responder.steps and "skills" not in responder.steps
    # The log on disk holds the same results.
    assert read_eval_log(log.location).results.scores[0].metrics["accuracy"].value == metrics["accuracy"]


def test_collaboration_task(tmp_path):
    log, metrics, _ = _run(collaboration(split="dev"), tmp_path, {"pattern": "learning"})
    assert {"accuracy", "cohen_kappa", "binary_accuracy", "mode_accuracy", "invalid"} <= set(metrics)
    rows = [s.scores["collaboration"].metadata for s in log.samples]
    assert len(rows) == 5 and all(r["pred"] == "learning" for r in rows)
    expected = pattern_agreement([r["gold"] for r in rows], [r["pred"] for r in rows])
    assert metrics["accuracy"] == pytest.approx(expected.accuracy)
    assert metrics["mode_accuracy"] == pytest.approx(expected.modes.accuracy)
    assert all(log.samples[i].metadata["split"] == "dev" for i in range(5))


def test_a_task_over_the_check_split_of_the_shipped_goldset(tmp_path):
    log, _, _ = _run(screening(split="check"), tmp_path, {"screening": "no"}, limit=3)
    assert len(log.samples) == 3 and {s.metadata["split"] for s in log.samples} == {"check"}
    assert {s.metadata["raters"][0] for s in log.samples} == {"rater-c"}


def test_collaboration_lenient_scoring_never_scores_lower(tmp_path):
    _, strict, _ = _run(collaboration(), tmp_path / "s", {"pattern": "directive"}, limit=5)
    _, lenient, _ = _run(collaboration(scoring="lenient"), tmp_path / "l", {"pattern": "directive"}, limit=5)
    assert lenient["accuracy"] >= strict["accuracy"]
    with pytest.raises(ValueError, match="scoring"):
        collaboration(scoring="loose")


def test_invalid_answers_are_counted(tmp_path):
    _, metrics, _ = _run(collaboration(), tmp_path, {"pattern": "something else"}, limit=3)
    assert metrics["invalid"] == 1.0 and metrics["accuracy"] == 0.0


@pytest.mark.real_data
def test_skills_task(data_dir, tmp_path, onet_release):
    log, metrics, responder = _run(skills(data_dir=str(data_dir)), tmp_path, {"skills": "Programming\nWriting"})
    assert set(metrics) == {"precision", "recall", "f1", "invalid"}
    rows = [s.scores["skills"].metadata for s in log.samples]
    assert all(r["pred"] == ["Programming", "Writing"] for r in rows)
    assert all(r["gold_source"] == "onet-occupation-profile" and len(r["gold"]) == 5 for r in rows)
    hits = sum(("Programming" in r["gold"]) + ("Writing" in r["gold"]) for r in rows)
    assert metrics["precision"] == pytest.approx(hits / (2 * len(rows)))
    assert metrics["recall"] == pytest.approx(hits / (5 * len(rows)))
    assert not math.isnan(metrics["f1"]) or hits == 0
    assert responder.steps.count("skills") == len(rows)
    # The profile is the top-rated skills of the task's occupation(s).
    profile = occupation_profile(onet_release, 8823, 5)
    assert len(profile) == 5 and set(profile) <= set(onet_release.skill_names)
