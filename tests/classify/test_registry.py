"""The backend registry: one grammar for every spec, one table of schemes, configs checked when built."""

from __future__ import annotations

import dataclasses

import pytest

from harness.classify import (
    BACKEND_SCHEMES,
    BackendSpec,
    EmbeddingClassifier,
    LLMClassifier,
    LLMClassifierConfig,
    ReplayClassifier,
    backend_for,
    get_classifier,
    parse_backend,
)
from harness.errors import UsageError
from harness.llm import BACKENDS, CachedLLM, get_llm, parse_llm_spec


@pytest.mark.parametrize(
    ("text", "scheme", "name", "modifiers"),
    [
        ("embedding:all-MiniLM-L6-v2", "embedding", "all-MiniLM-L6-v2", ()),
        ("embedding:all-MiniLM-L6-v2+prior:economic-index:2025_03_27", "embedding", "all-MiniLM-L6-v2",
         (("prior", "economic-index:2025_03_27"),)),
        # the form manifests record when the prior is on
        ("embedding:all-MiniLM-L6-v2+prior:economic-index-2025_03_27-v2", "embedding", "all-MiniLM-L6-v2",
         (("prior", "economic-index-2025_03_27-v2"),)),
        ("anthropic:claude-haiku-4-5", "anthropic", "claude-haiku-4-5", ()),
        ("anthropic-batch:claude-haiku-4-5", "anthropic-batch", "claude-haiku-4-5", ()),
        ("inspect:mockllm/model", "inspect", "mockllm/model", ()),
        ("inspect:ollama/llama3:8b", "inspect", "ollama/llama3:8b", ()),  # a colon inside the name is kept
        ("replay:/runs/a+b/preds.jsonl", "replay", "/runs/a+b/preds.jsonl", ()),  # '+' is a modifier only if declared
        ("majority-baseline:default", "majority-baseline", "default", ()),
    ],
)
def test_specs_parse_into_typed_values_and_print_back_unchanged(text, scheme, name, modifiers):
    spec = parse_backend(text)
    assert (spec.scheme, spec.name, spec.modifiers) == (scheme, name, modifiers)
    assert str(spec) == text
    assert parse_backend(spec) is spec and parse_backend(str(spec)) == spec
    assert backend_for(text) is backend_for(scheme)


def test_a_spec_is_frozen_and_modifiers_are_set_once():
    spec = parse_backend("embedding:minilm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        spec.name = "mpnet"  # type: ignore[misc]
    with_prior = spec.with_modifier("prior", "economic-index:2025_03_27")
    assert str(with_prior) == "embedding:minilm+prior:economic-index:2025_03_27" and spec.modifier("prior") is None
    assert with_prior.with_modifier("prior", "economic-index:2025_03_27") == with_prior
    with pytest.raises(UsageError, match="already sets prior"):
        with_prior.with_modifier("prior", "economic-index:2025_02_10")


def _one_line_listing_every_scheme(message: str, schemes=BACKEND_SCHEMES) -> None:
    assert "\n" not in message
    assert all(scheme in message for scheme in schemes)


@pytest.mark.parametrize("text", ["foo:bar", "openai:gpt-4o", "Embedding:minilm", "embeddings:minilm"])
def test_an_unknown_scheme_is_a_usage_error_naming_the_known_ones(text):
    with pytest.raises(UsageError, match="unknown backend scheme") as caught:
        parse_backend(text)
    _one_line_listing_every_scheme(str(caught.value))
    with pytest.raises(ValueError):  # callers that caught the old ValueError still do
        parse_backend(text)


@pytest.mark.parametrize("text", ["embedding", ":minilm", "embedding:", "anthropic:", "embedding:+prior:x",
                                  "embedding:minilm+prior", "embedding:minilm+prior:",
                                  "embedding:minilm+prior:a+prior:b"])
def test_a_malformed_spec_is_a_usage_error_naming_the_known_schemes(text):
    with pytest.raises(UsageError, match="malformed backend spec") as caught:
        parse_backend(text)
    _one_line_listing_every_scheme(str(caught.value))


def test_a_modifier_the_scheme_does_not_take_is_refused():
    with pytest.raises(UsageError, match="unknown modifier 'seed'.*embedding takes only runtime, prior"):
        parse_backend("embedding:minilm+seed:3")


def test_every_registered_backend_is_complete():
    """No backend is registered without a usage text, a frozen config and a factory; the model schemes of the
    classifier registry are exactly those of the model-client registry."""
    assert set(BACKEND_SCHEMES) >= {"embedding", "anthropic", "anthropic-batch", "inspect", "replay",
                                    "majority-baseline"}
    for scheme in BACKEND_SCHEMES:
        backend = backend_for(scheme)
        assert backend.scheme == scheme and backend.usage.startswith(f"{scheme}:")
        assert dataclasses.is_dataclass(backend.config_type) and backend.config_type.__dataclass_params__.frozen
        backend.config_type()  # the defaults form a valid config
        assert callable(backend.factory)
    assert tuple(s for s in BACKEND_SCHEMES if backend_for(s).calls_model) == BACKENDS


@pytest.mark.parametrize(
    ("scheme", "option", "applies"),
    [
        ("embedding", "prior", True), ("embedding", "prior_weight", True), ("embedding", "max_concurrency", False),
        ("embedding", "base_url", False), ("embedding", "traverse_non_occupational", False),
        ("anthropic", "base_url", True), ("anthropic", "max_concurrency", True), ("anthropic", "prior", False),
        ("anthropic", "traverse_non_occupational", True), ("anthropic-batch", "base_url", True),
        ("anthropic-batch", "window_s", True), ("anthropic", "window_s", False),
        ("inspect", "max_concurrency", True), ("inspect", "base_url", False),
        ("replay", "max_concurrency", False), ("replay", "prior", False),
        ("majority-baseline", "split", True), ("majority-baseline", "max_concurrency", False),
    ],
)
def test_the_registry_says_which_options_apply(scheme, option, applies):
    assert backend_for(scheme).accepts(option) is applies


def test_options_reach_the_config_and_the_model_client(mini_hierarchy, mini_release, tmp_path):
    clf = get_classifier("anthropic:claude-haiku-4-5", mini_hierarchy, release=mini_release, seed=4,
                         cache_path=tmp_path / "c.sqlite", api_key="k", base_url="http://127.0.0.1:9",
                         max_concurrency=3, top_k=2)
    assert isinstance(clf, LLMClassifier) and isinstance(clf.llm, CachedLLM)
    assert clf.config == LLMClassifierConfig(seed=4, max_concurrency=3, top_k=2)
    client = clf.llm.llm
    assert (client.max_concurrency, client.base_url) == (3, "http://127.0.0.1:9")  # the limit bounds both
    assert clf.spec == "anthropic:claude-haiku-4-5" and len(clf.skills) == len(mini_release.skill_reference)
    # inspect's client takes provider options, but never the pipeline's concurrency
    mock = get_classifier("inspect:mockllm/model", mini_hierarchy, cache_path=tmp_path / "c.sqlite",
                          max_concurrency=2)
    assert mock.config.max_concurrency == 2 and mock.spec == "inspect:mockllm/model"
    with pytest.raises(TypeError, match="takes no option 'base_url'"):
        get_classifier("replay:x.jsonl", mini_hierarchy, base_url="http://x")


def test_config_values_are_checked_when_the_backend_is_built(mini_hierarchy, tmp_path):
    with pytest.raises(UsageError, match="unknown embedding model"):
        get_classifier("embedding:not-a-model", mini_hierarchy)
    with pytest.raises(UsageError, match="max_concurrency must be a positive int"):
        get_classifier("anthropic:claude-haiku-4-5", mini_hierarchy, cache_path=tmp_path / "c", max_concurrency=0)
    with pytest.raises(UsageError, match="split must be one of dev, test, check, all"):
        get_classifier("majority-baseline:default", mini_hierarchy, split="train")
    with pytest.raises(UsageError, match="prior weight needs a prior"):
        get_classifier("embedding:minilm", mini_hierarchy, prior_weight=0.3)
    with pytest.raises(UsageError, match="unknown prior 'bls:2023'"):
        get_classifier("embedding:minilm+prior:bls:2023", mini_hierarchy)
    with pytest.raises(UsageError, match="inspect model names look like 'provider/model'"):
        get_classifier("inspect:no-provider", mini_hierarchy, cache_path=tmp_path / "c")


def test_the_embedding_and_replay_backends_build_from_a_spec_value(mini_hierarchy, tmp_path):
    clf = get_classifier(BackendSpec("embedding", "minilm"), mini_hierarchy)
    assert isinstance(clf, EmbeddingClassifier) and clf.spec == "embedding:all-MiniLM-L6-v2"
    preds = tmp_path / "p+1.jsonl"
    preds.write_text('{"conversation_id": "c1", "base": "task:101"}\n')
    replay = get_classifier(f"replay:{preds}", mini_hierarchy)
    assert isinstance(replay, ReplayClassifier) and replay.spec == f"replay:{preds}"


def test_model_specs_have_their_own_table():
    assert parse_llm_spec("anthropic:claude-haiku-4-5") == BackendSpec("anthropic", "claude-haiku-4-5")
    with pytest.raises(UsageError, match="unknown model backend scheme 'embedding'") as caught:
        parse_llm_spec("embedding:minilm")  # a classifier, not a model client
    _one_line_listing_every_scheme(str(caught.value), BACKENDS)
    with pytest.raises(UsageError, match="takes no option 'window_s'"):
        get_llm("anthropic:claude-haiku-4-5", api_key="k", window_s=1.0)
