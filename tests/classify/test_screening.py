"""The screening model: features, probabilities, the shipped file and its errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from harness.classify import EmbeddingConfig
from harness.classify._screening import (
    SCREENING_FEATURES,
    ScreeningModel,
    load_screening_model,
    screening_features,
    screening_model_for,
    shipped_screening,
)
from harness.errors import InputError

SHIPPED = EmbeddingConfig().shipped_name


def _features(**changes: float) -> np.ndarray:
    values = dict(base_similarity=0.4, best_score=8.0, domain_cues=1, personal_cues=0, has_code=False,
                  replies_with_code=True, n_user_turns=2, first_turn_chars=120, asks_deliverable=True,
                  opens_with_question=False)
    values.update(changes)
    return screening_features(**values)  # type: ignore[arg-type]


def _model(query_dims: int = 3, **changes: object) -> ScreeningModel:
    fields: dict[str, object] = dict(
        backend="embedding:m", config_digest="digest", hierarchy_id="h", feature_names=SCREENING_FEATURES,
        coefficients=tuple(np.linspace(-1, 1, len(SCREENING_FEATURES))), intercept=0.2,
        query_weights=tuple(np.linspace(0.5, -0.5, query_dims)), threshold=0.5, operating_point="max kappa",
        fitted_on="test", cv={"repeat_kappa_model_mean": 0.5}, dev_probability=(0.1, 0.6, 0.8, 0.3),
        dev_occupational=(False, True, True, True))
    fields.update(changes)
    return ScreeningModel(**fields)  # type: ignore[arg-type]


def test_features_follow_the_declared_order() -> None:
    x = _features(n_user_turns=3, first_turn_chars=99)
    assert x.shape == (len(SCREENING_FEATURES),)
    named = dict(zip(SCREENING_FEATURES, x, strict=True))
    assert named["best_score"] == 8.0 and named["replies_with_code"] == 1.0 and named["has_code"] == 0.0
    assert named["log_user_turns"] == pytest.approx(math.log(4)) and named["log_first_turn_chars"] == pytest.approx(
        math.log(100))


def test_probability_is_the_documented_logistic() -> None:
    model = _model()
    x, q = _features(), np.array([0.6, 0.0, 0.8])
    logit = x @ np.array(model.coefficients) + model.intercept + q @ np.array(model.query_weights)
    assert float(model.probability(x, q)) == pytest.approx(1 / (1 + math.exp(-logit)))
    batch = model.probability(np.vstack([x, x]), np.vstack([q, q]))
    assert batch.shape == (2,) and np.allclose(batch, float(model.probability(x, q)))
    assert model.occupational(0.5) is True and model.occupational(0.49) is False
    with pytest.raises(ValueError, match="query="):
        model.probability(x)
    with pytest.raises(ValueError, match="10 features"):
        model.probability(x[:4], q)


@pytest.mark.parametrize("source", ["synthetic", "shipped"])
def test_probability_rises_with_a_positively_weighted_feature(source: str) -> None:
    model = _model() if source == "synthetic" else shipped_screening(SHIPPED)
    assert model is not None
    j = int(np.argmax(model.coefficients))
    assert model.coefficients[j] > 0
    query = np.zeros(len(model.query_weights))
    query[:1] = 1.0
    rows = np.tile(_features(), (5, 1))
    rows[:, j] = np.arange(5)
    probs = model.probability(rows, np.tile(query, (5, 1)) if len(query) else None)
    assert np.all(np.diff(probs) > 0)


def test_round_trip_and_digest() -> None:
    model = _model()
    again = ScreeningModel.from_json(json.loads(json.dumps(model.to_json())))
    assert again.sha256() == model.sha256()
    x, q = _features(), np.array([0.0, 1.0, 0.0])
    assert float(again.probability(x, q)) == pytest.approx(float(model.probability(x, q)))
    assert _model(intercept=0.3).sha256() != model.sha256()


def test_dev_metrics_at_another_threshold() -> None:
    model = _model()
    at_half = model.dev_metrics()
    assert at_half["accuracy"] == 0.75 and at_half["occupational_share"] == 0.5
    assert at_half["balanced_accuracy"] == pytest.approx((2 / 3 + 1) / 2)
    assert model.dev_metrics(0.05)["occupational_share"] == 1.0 and model.dev_metrics(0.05)["kappa"] == 0.0


def test_shipped_model_belongs_to_the_default_configuration() -> None:
    """Changing the embedding default's settings without re-running scripts/fit_screening_model.py would
    silently bring back the rule; this fails first."""
    shipped = shipped_screening(SHIPPED)
    assert shipped is not None
    assert shipped.config_digest == EmbeddingConfig().digest()
    assert shipped.backend == "embedding:all-MiniLM-L6-v2" and shipped.hierarchy_id.startswith("onet-wa-29.3-")
    assert shipped.feature_names == SCREENING_FEATURES and 0 < shipped.threshold < 1
    assert len(shipped.dev_probability) == len(shipped.dev_occupational) >= 200
    assert "dev split" in shipped.fitted_on and len(shipped.sha256()) == 16


def test_other_configuration_or_hierarchy_gets_no_model() -> None:
    shipped = shipped_screening(SHIPPED)
    assert shipped is not None
    mine = dict(backend=shipped.backend, config_digest=shipped.config_digest, hierarchy_id=shipped.hierarchy_id)
    assert screening_model_for(SHIPPED, **mine) == shipped
    assert screening_model_for(SHIPPED, **{**mine, "config_digest": "0" * 16}) is None
    assert screening_model_for(SHIPPED, **{**mine, "hierarchy_id": "onet-wa-28.0-x"}) is None
    assert screening_model_for(SHIPPED, **{**mine, "backend": shipped.backend + "+prior:p"}) is None
    assert screening_model_for("no-such-model", **mine) is None


def test_bad_json_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "screening.json"
    path.write_text('{\n "format": "harness screening model",\n "backend": \n}\n', encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON") as info:
        load_screening_model(path)
    assert info.value.line == 4 and info.value.path == path


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"format": "other"}, "format", "not a screening model"),
    ({"feature_names": ["base_similarity"]}, "feature_names", "other features"),
    ({"threshold": None}, "threshold", "missing field"),
    ({"threshold": 1.5}, None, "threshold must be in"),
    ({"coefficients": [1.0] * 3}, None, "3 coefficients for 10 features"),
])
def test_malformed_model_names_the_problem(tmp_path, change: dict, field: str | None, message: str) -> None:
    obj = _model().to_json()
    for key, value in change.items():
        if value is None:
            del obj[key]
        else:
            obj[key] = value
    path = tmp_path / "screening.json"
    path.write_text(json.dumps(obj), encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_screening_model(path)
    assert info.value.field == field and str(path) in str(info.value)


def _conversations() -> list:
    from harness.conversations import Conversation, Message

    texts = ["Write a Python function that parses a CSV file for our billing system",
             "What should I cook for my kids tonight? Something fun", "Plan a lesson on fractions for my class",
             "hi"]
    return [Conversation(f"c{i}", f"acct-{i}", (Message("user", t), Message("assistant", "ok")))
            for i, t in enumerate(texts)]


def test_the_backend_screens_on_the_inputs_the_fit_reads(mini_hierarchy) -> None:
    """scripts/fit_screening_model.py fits on screening_inputs; the backend must decide on exactly those, with the
    rule when no model applies and with the model when one does."""
    from harness.classify import EmbeddingClassifier

    clf = EmbeddingClassifier(mini_hierarchy)
    convs = _conversations()
    inputs = clf.screening_inputs(convs)
    assert inputs.features.shape == (len(convs), len(SCREENING_FEATURES))
    assert inputs.queries.shape == (len(convs), clf.embedder.dimension) and inputs.rule.dtype == bool
    assert clf.screening is None  # fitted for the full O*NET hierarchy, not this one
    assert [r.occupational for r in clf.classify(convs)] == inputs.rule.tolist()
    model = _model(query_dims=clf.embedder.dimension, threshold=0.5)
    clf.screening = model
    expected = model.probability(inputs.features, inputs.queries) >= 0.5
    assert expected.tolist() != inputs.rule.tolist()  # else the model's use would go unseen
    assert [r.occupational for r in clf.classify(convs)] == expected.tolist()
    with pytest.raises(ValueError, match="no conversations"):
        clf.screening_inputs([])
