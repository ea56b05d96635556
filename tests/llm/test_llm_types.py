"""Types, cache keys, the backend factory and the price table."""

from __future__ import annotations

import re
from datetime import date

import pytest

from harness.errors import UsageError
from harness.llm import (
    LLM,
    LLM_BACKENDS,
    PRICES,
    PRICES_AS_OF,
    AnthropicLLM,
    BatchingLLM,
    CachedLLM,
    InspectLLM,
    LLMRequest,
    RetryPolicy,
    Usage,
    estimate_cost,
    get_llm,
    parse_llm_spec,
    price_for,
    request_key,
    sha256_text,
)


def test_usage_adds_fieldwise_and_rejects_negative_counts():
    total = Usage(10, 2, 300, 0) + Usage(1, 1, 0, 50)
    assert total == Usage(input_tokens=11, output_tokens=3, cache_read_tokens=300, cache_write_tokens=50)
    assert total.prompt_tokens == 361
    assert total.total_tokens == 364
    assert sum([Usage(1, 1), Usage(2, 2)], Usage()) == Usage(3, 3)
    assert Usage.from_dict(total.to_dict()) == total
    with pytest.raises(ValueError, match="input_tokens"):
        Usage(input_tokens=-1)


def test_request_defaults_hashes_from_text_and_validates():
    req = LLMRequest(step="screening", system="options", prompt="item")
    assert req.prompt_hash == sha256_text("options")
    assert req.input_hash == sha256_text("item")
    assert req.temperature is None
    assert LLMRequest("s", "a", "b", prompt_hash="p1", input_hash="i1").prompt_hash == "p1"
    with pytest.raises(ValueError, match="max_tokens"):
        LLMRequest("s", "a", "b", max_tokens=0)
    with pytest.raises(ValueError, match="temperature"):
        LLMRequest("s", "a", "b", temperature=3.0)
    with pytest.raises(ValueError, match="step"):
        LLMRequest("", "a", "b")


def test_request_repr_hides_prompt_text():
    req = LLMRequest("summary", "SYSTEM-SECRET-TEXT", "user said something private")
    assert "private" not in repr(req)
    assert "SYSTEM-SECRET" not in repr(req)
    assert "summary" in repr(req)


def test_request_key_changes_with_everything_that_changes_the_answer():
    base = LLMRequest("screening", "sys", "item", max_tokens=10, prompt_hash="p", input_hash="i")
    key = request_key("anthropic", "claude-haiku-4-5", base)
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    variants = [
        request_key("inspect", "claude-haiku-4-5", base),
        request_key("anthropic", "claude-sonnet-4-5", base),
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("other", "sys", "item", 10, None, True, "p", "i")),
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("screening", "sys", "item", 11, None, True, "p", "i")),
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("screening", "sys", "item", 10, 0.0, True, "p", "i")),
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("screening", "sys", "item", 10, None, True, "p2", "i")),
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("screening", "sys", "item", 10, None, True, "p", "i2")),
        # Same declared hashes but different text: the text digest keeps them apart.
        request_key("anthropic", "claude-haiku-4-5", LLMRequest("screening", "sys", "ITEM", 10, None, True, "p", "i")),
    ]
    assert len({key, *variants}) == len(variants) + 1
    # Options that do not change the answer do not change the key.
    same = LLMRequest("screening", "sys", "item", 10, None, False, "p", "i", metadata={"conversation_id": "c1"})
    assert request_key("anthropic", "claude-haiku-4-5", same) == key


def test_get_llm_parses_specs():
    llm = get_llm("anthropic:claude-haiku-4-5", api_key="k", retry=RetryPolicy(max_attempts=2))
    assert isinstance(llm, AnthropicLLM)
    assert (llm.backend, llm.model_id, llm.retry.max_attempts) == ("anthropic", "claude-haiku-4-5", 2)
    assert isinstance(llm, LLM)
    mock = get_llm("inspect:mockllm/model")
    assert isinstance(mock, InspectLLM)
    assert (mock.backend, mock.model_id) == ("inspect", "mockllm/model")


def test_get_llm_wraps_in_cache(tmp_path):
    from harness.llm import AnswerCache

    llm = get_llm("anthropic:claude-haiku-4-5", cache=AnswerCache(tmp_path / "c.sqlite"))
    assert isinstance(llm, CachedLLM)
    assert (llm.backend, llm.model_id) == ("anthropic", "claude-haiku-4-5")


@pytest.mark.parametrize("spec", ["openai:gpt-4", "claude-haiku-4-5", "anthropic:", "inspect:", ":model",
                                  "embedding:minilm", "inspect:no-provider"])
def test_get_llm_rejects_bad_specs(spec):
    with pytest.raises(UsageError, match=r"unknown model backend scheme|malformed model backend spec|provider/model"):
        get_llm(spec)


def test_get_llm_takes_a_parsed_spec_and_checks_its_options():
    spec = parse_llm_spec("anthropic-batch:claude-haiku-4-5")
    assert (spec.scheme, spec.name, str(spec)) == ("anthropic-batch", "claude-haiku-4-5",
                                                   "anthropic-batch:claude-haiku-4-5")
    llm = get_llm(spec, api_key="k", window_s=0.1, max_concurrency=2)
    assert isinstance(llm, BatchingLLM) and llm.window_s == 0.1 and llm.llm.max_concurrency == 2
    assert LLM_BACKENDS["anthropic-batch"].accepts("window_s") and not LLM_BACKENDS["anthropic"].accepts("window_s")
    with pytest.raises(UsageError, match="takes no option 'temperature'"):
        get_llm("anthropic:claude-haiku-4-5", temperature=0.5)
    with pytest.raises(UsageError, match="max_concurrency must be >= 1"):
        get_llm("anthropic:claude-haiku-4-5", max_concurrency=0)


def test_inspect_model_name_needs_provider():
    with pytest.raises(ValueError, match="provider/model"):
        InspectLLM("mockllm")


def test_prices_are_dated_and_lookups_normalise_ids():
    assert date.fromisoformat(PRICES_AS_OF) <= date.today()
    haiku = price_for("claude-haiku-4-5")
    assert haiku is not None and (haiku.input, haiku.output) == (1.0, 5.0)
    assert price_for("claude-haiku-4-5-20251001") == haiku
    assert price_for("anthropic/claude-haiku-4-5") == haiku
    assert price_for("claude-opus-4-1-20250805").input == 15.0
    # No prefix guessing: Opus 4.5 is not priced like Opus 4.
    assert price_for("claude-opus-4-5").input == 5.0
    assert price_for("claude-opus-4-20250514").input == 15.0
    assert price_for("claude-unknown-9") is None
    assert price_for("openai/gpt-4o") is None
    for name, price in PRICES.items():
        assert 0 < price.cache_read < price.input < price.cache_write < price.output, name


def test_estimate_cost_by_hand():
    usage = Usage(input_tokens=1_000, output_tokens=200, cache_read_tokens=10_000, cache_write_tokens=2_000)
    # Haiku 4.5: 1 in, 5 out, 1.25 write, 0.10 read (USD per million tokens).
    expected = (1_000 * 1.0 + 200 * 5.0 + 2_000 * 1.25 + 10_000 * 0.10) / 1e6
    assert estimate_cost("claude-haiku-4-5", usage) == pytest.approx(expected)
    assert estimate_cost("claude-haiku-4-5", usage, batch=True) == pytest.approx(expected / 2)
    assert estimate_cost("some-local-model", usage) is None
    assert estimate_cost("claude-haiku-4-5", Usage()) == 0.0


def test_long_prompt_tier_applies_to_whole_request():
    short = Usage(input_tokens=100_000, output_tokens=1_000)
    long = Usage(input_tokens=60_000, output_tokens=1_000, cache_read_tokens=40_001)
    assert estimate_cost("claude-haiku-5-5", short) == pytest.approx((100_000 * 0.10 + 1_000 * 0.50) / 1e6)
    assert estimate_cost("claude-haiku-5-5", long) == pytest.approx(
        (60_000 * 0.50 + 1_000 * 2.50 + 40_001 * 0.05) / 1e6
    )
