"""Per-prediction confidence: the signals, the calibration maps, the shipped map, and both backends."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from harness.classify import EmbeddingClassifier, EmbeddingConfig, LLMClassifier, LLMClassifierConfig
from harness.classify._confidence import (
    CalibrationMap,
    ConfidenceCalibration,
    agreement_share,
    fit_calibration_map,
    group_mass,
    shipped_calibration,
)
from harness.conversations import Conversation, Message
from harness.errors import InputError
from harness.llm import LLMRequest, LLMResponse, Usage
from tests.classify.test_llm_backend import Responder


def _calibration(scores, correct, method="platt") -> ConfidenceCalibration:
    fitted = fit_calibration_map(scores, correct, method=method)
    return ConfidenceCalibration("embedding:m", "digest", "h", "signal", "major_group", fitted, "test items",
                                 tuple(scores), tuple(correct))


# --------------------------------------------------------------------------------------------- signals


def test_group_mass_is_the_softmax_share_of_the_predicted_groups() -> None:
    members = np.array([[True, False], [False, True], [True, True], [False, False]])
    scores = np.array([1.0, 0.9, 0.5, -np.inf])
    weights = np.exp((scores[:3] - 1.0) / 0.1)
    # task 0 is in group 0, as is task 2 (which is in both groups)
    expected = (weights[0] + weights[2]) / weights.sum()
    assert group_mass(scores, 0, members, temperature=0.1) == pytest.approx(expected)
    assert group_mass(scores, 2, members, temperature=0.1) == pytest.approx(1.0)
    assert group_mass(scores, 3, members) is None  # a task in no group has no major group to be sure of


def test_agreement_share() -> None:
    assert agreement_share({"15"}, [{"15"}, {"43"}, set()]) == pytest.approx(1 / 3)
    assert agreement_share({"15", "11"}, [{"11"}]) == 1.0
    assert agreement_share({"15"}, []) is None and agreement_share(set(), [{"15"}]) is None


# --------------------------------------------------------------------------------------------- maps


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_fitted_maps_are_monotone_probabilities_and_round_trip(method) -> None:
    rng = np.random.default_rng(0)
    scores = rng.random(200)
    correct = rng.random(200) < scores
    fitted = fit_calibration_map(scores, correct, method=method)
    grid = np.linspace(0, 1, 101)
    probs = fitted.apply(grid)
    assert np.all((probs >= 0) & (probs <= 1)) and np.all(np.diff(probs) >= -1e-12)
    assert probs[-1] > probs[0]  # the signal carries information here, and the map keeps it
    again = CalibrationMap.from_json(json.loads(json.dumps(fitted.to_json())))
    np.testing.assert_allclose(again.apply(grid), probs)


def test_platt_map_recovers_a_known_logistic_link() -> None:
    rng = np.random.default_rng(1)
    scores = rng.uniform(0.02, 0.98, 20000)
    logit = np.log(scores / (1 - scores))
    correct = rng.random(scores.size) < 1 / (1 + np.exp(-(0.5 * logit + 0.3)))
    fitted = fit_calibration_map(scores, correct)
    assert fitted.slope == pytest.approx(0.5, abs=0.05) and fitted.intercept == pytest.approx(0.3, abs=0.05)


def test_fit_refuses_one_outcome_and_bad_scores() -> None:
    with pytest.raises(ValueError, match="both right and wrong"):
        fit_calibration_map([0.2, 0.9], [True, True])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        fit_calibration_map([0.2, 1.5], [True, False])
    with pytest.raises(ValueError, match="method"):
        CalibrationMap("beta")


def test_threshold_for_precision_matches_a_brute_force_search() -> None:
    rng = np.random.default_rng(2)
    scores = rng.random(80)
    correct = tuple(bool(v) for v in rng.random(80) < scores)
    calibration = _calibration(tuple(float(s) for s in scores), correct)
    conf = calibration.confidence(calibration.dev_scores)
    right = np.array(correct)
    for target in (0.6, 0.7, 0.8):
        feasible = [t for t in sorted(set(conf)) if (conf >= t).sum() >= 20 and right[conf >= t].mean() >= target]
        assert calibration.threshold_for_precision(target) == pytest.approx(min(feasible))
    with pytest.raises(ValueError, match="no confidence threshold reaches precision 1"):
        calibration.threshold_for_precision(1.0)


def test_calibration_file_errors_name_the_field() -> None:
    with pytest.raises(InputError, match="not a confidence calibration"):
        ConfidenceCalibration.from_json({"format": "other"})
    good = _calibration([0.1, 0.9, 0.5, 0.7], [False, True, False, True]).to_json()
    del good["map"]
    with pytest.raises(InputError) as info:
        ConfidenceCalibration.from_json(good)
    assert info.value.field == "map"


def test_the_shipped_map_belongs_to_the_default_configuration() -> None:
    """Changing the embedding default's settings without re-running scripts/fit_confidence_calibration.py would
    silently leave confidence empty; this fails first."""
    shipped = shipped_calibration(EmbeddingConfig().shipped_name)
    assert shipped is not None
    assert shipped.config_digest == EmbeddingConfig().digest()
    assert shipped.backend == "embedding:all-MiniLM-L6-v2" and shipped.target == "major_group"
    assert shipped.hierarchy_id.startswith("onet-wa-29.3-")
    assert len(shipped.dev_scores) == len(shipped.dev_correct) >= 50
    name = f"{EmbeddingConfig().shipped_name}.json"
    assert resources.files("harness.classify").joinpath("calibration", name).is_file()
    assert shipped_calibration("no-such-backend") is None


# --------------------------------------------------------------------------------------------- backends


def _ask(cid: str, text: str) -> Conversation:
    return Conversation(cid, f"acct-{cid}", (Message("user", text),))


def test_embedding_backend_gives_a_signal_and_only_a_matching_map(mini_hierarchy) -> None:
    clf = EmbeddingClassifier(mini_hierarchy)
    results = clf.classify([_ask("a", "Write a Python function that parses a CSV file"),
                            _ask("b", "Plan a lesson on fractions for my class")])
    assert all(r.confidence_score is not None and 0.0 <= r.confidence_score <= 1.0 for r in results)
    # the shipped map was fitted on the full O*NET hierarchy, not this one: no calibrated confidence here
    assert clf.calibration is None and all(r.confidence is None for r in results)
    assert "none shipped" in clf.describe()["confidence"]["calibration"]


def test_embedding_backend_applies_a_matching_map(mini_hierarchy, monkeypatch) -> None:
    clf = EmbeddingClassifier(mini_hierarchy)
    fitted = CalibrationMap("platt", slope=1.0, intercept=0.0)  # the identity on probabilities
    clf.calibration = ConfidenceCalibration(clf.spec, clf.config.digest(), mini_hierarchy.id, "s", "major_group",
                                            fitted, "test", (0.5,), (True,))
    [result] = clf.classify([_ask("a", "Write a Python function that parses a CSV file")])
    # the map clips probabilities 1e-6 from 0 and 1 before its logit, so a certain score reads 1 - 1e-6
    assert result.confidence == pytest.approx(result.confidence_score, abs=2e-6)


class _FakeLLM:
    """Answers every step like the tests' responder (the first option shown) and counts the calls."""

    backend, model_id = "fake", "m"

    def __init__(self) -> None:
        self.responder = Responder()
        self.calls = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        return LLMResponse(self.responder.answer(request.system), Usage(input_tokens=10, output_tokens=1), "m", 0.0,
                           cost_usd=0.001)


def test_llm_confidence_is_agreement_across_other_option_orders(mini_hierarchy) -> None:
    convs = [_ask(f"c{i}", f"My billing script number {i} crashes with KeyError.") for i in range(6)]
    plain, asked = _FakeLLM(), _FakeLLM()
    base = LLMClassifier(mini_hierarchy, plain, LLMClassifierConfig(summarise=False))
    sampled = LLMClassifier(mini_hierarchy, asked, LLMClassifierConfig(summarise=False, confidence_samples=2))
    without, with_conf = base.classify(convs), sampled.classify(convs)
    assert all(r.confidence is None for r in without)
    # the predictions themselves are untouched by the repeats
    assert [r.path for r in without] == [r.path for r in with_conf]
    for before, after in zip(without, with_conf, strict=True):
        assert after.confidence in (0.0, 0.5, 1.0) and after.confidence == after.confidence_score
        assert after.input_tokens > before.input_tokens and after.valid
    extra = asked.calls - plain.calls
    assert extra > 0 and sampled.confidence_usage["calls"] == extra
    assert sampled.confidence_usage["input_tokens"] == 10 * extra
    assert sampled.confidence_usage["cost_usd"] == pytest.approx(0.001 * extra)
    assert "confidence_samples" not in base.describe()["config"]
    assert sampled.describe()["config"]["confidence_samples"] == 2


def test_confidence_samples_need_distinct_orders() -> None:
    with pytest.raises(ValueError, match="at most order_variants - 1"):
        LLMClassifierConfig(confidence_samples=4)
    with pytest.raises(ValueError, match="non-negative int"):
        LLMClassifierConfig(confidence_samples=-1)
    LLMClassifierConfig(confidence_samples=5, order_variants=None)  # every conversation has its own orders anyway
