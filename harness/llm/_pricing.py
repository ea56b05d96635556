"""Per-model prices and the cost estimate of a call.

Prices are USD per million tokens as listed on Anthropic's public pricing page
(https://platform.claude.com/docs/en/about-claude/pricing), checked on :data:`PRICES_AS_OF`. ``cache_write`` is
the 5-minute prompt-cache write rate (the only TTL this harness requests). The Message Batches API bills half of
every rate. A model that is not in the table gets a cost of ``None``: the harness never guesses a price.

Update the table (and the date) when prices change; costs recorded in earlier run manifests are not recomputed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.llm._types import Usage

__all__ = ["BATCH_DISCOUNT", "PRICES", "PRICES_AS_OF", "ModelPrice", "estimate_cost", "price_for"]

PRICES_AS_OF = "2026-11-22"
BATCH_DISCOUNT = 0.5


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model.

    Attributes:
        input: Uncached input tokens.
        output: Output tokens.
        cache_write: Prompt-cache writes (5-minute TTL).
        cache_read: Prompt-cache reads (hits and refreshes).
        long_prompt_threshold: For models priced by prompt length, the prompt size (input + cache read + cache
            write tokens) above which ``long_prompt`` rates apply to the whole request.
        long_prompt: The rates above the threshold.
    """

    input: float
    output: float
    cache_write: float
    cache_read: float
    long_prompt_threshold: int | None = None
    long_prompt: ModelPrice | None = None


def _standard(input_: float, output: float, cache_read: float | None = None) -> ModelPrice:
    # Cache writes cost 1.25x input on every listed model; reads are 0.1x unless the page says otherwise.
    return ModelPrice(input_, output, input_ * 1.25, input_ * 0.1 if cache_read is None else cache_read)


# Keys are model ids without a date suffix (see price_for).
PRICES: dict[str, ModelPrice] = {
    "claude-fable-5-1": _standard(10.0, 50.0, cache_read=0.25),
    "claude-fable-5": _standard(10.0, 50.0),
    "claude-mythos-5-1": _standard(10.0, 50.0, cache_read=0.25),
    "claude-mythos-5": _standard(10.0, 50.0),
    "claude-opus-5-5": _standard(4.0, 20.0, cache_read=0.20),
    "claude-opus-5": _standard(5.0, 25.0),
    "claude-opus-4-8": _standard(5.0, 25.0),
    "claude-opus-4-7": _standard(5.0, 25.0),
    "claude-opus-4-6": _standard(5.0, 25.0),
    "claude-opus-4-5": _standard(5.0, 25.0),
    "claude-opus-4-1": _standard(15.0, 75.0),
    "claude-opus-4": _standard(15.0, 75.0),
    "claude-opus-4-0": _standard(15.0, 75.0),
    # Sonnet 5.5 cache reads were cut from 0.20 to 0.10 USD/MTok on 2026-10-07 (older copies of the model page
    # still show 0.20).
    "claude-sonnet-5-5": _standard(2.0, 10.0, cache_read=0.10),
    "claude-sonnet-5": _standard(2.0, 10.0),
    "claude-sonnet-4-6": _standard(3.0, 15.0),
    "claude-sonnet-4-5": _standard(3.0, 15.0),
    "claude-sonnet-4": _standard(3.0, 15.0),
    "claude-sonnet-4-0": _standard(3.0, 15.0),
    "claude-3-7-sonnet": _standard(3.0, 15.0),
    # Haiku 5.5 is priced by prompt length: prompts over 100,000 tokens pay the higher rates on every token.
    "claude-haiku-5-5": ModelPrice(
        0.10, 0.50, 0.125, 0.01, long_prompt_threshold=100_000, long_prompt=ModelPrice(0.50, 2.50, 0.625, 0.05)
    ),
    "claude-haiku-4-5": _standard(1.0, 5.0),
    "claude-3-5-haiku": ModelPrice(0.80, 4.0, 1.0, 0.08),
    "claude-3-haiku": ModelPrice(0.25, 1.25, 0.30, 0.03),
}

_DATE_SUFFIX = re.compile(r"-(\d{8}|latest)$")


def price_for(model: str) -> ModelPrice | None:
    """Price of a model id, or None when unknown.

    Accepts dated ids (``claude-haiku-4-5-20251001``), ``-latest`` aliases and provider-prefixed names
    (``anthropic/claude-haiku-4-5``). Matching is exact after that normalisation: a prefix match would price
    ``claude-opus-4-5`` as ``claude-opus-4``.
    """
    name = model.strip().lower()
    if "/" in name:
        provider, _, name = name.partition("/")
        if provider != "anthropic":
            return None
    return PRICES.get(_DATE_SUFFIX.sub("", name))


def estimate_cost(model: str, usage: Usage, *, batch: bool = False) -> float | None:
    """Estimated USD cost of ``usage`` on ``model``.

    Args:
        model: Model id (see :func:`price_for`).
        usage: Token counts of one call (the long-prompt tier, where a model has one, is decided per call).
        batch: Billed through the Message Batches API (half price).

    Returns:
        The cost in USD, or None when the model is not in :data:`PRICES`.
    """
    price = price_for(model)
    if price is None:
        return None
    long_threshold = price.long_prompt_threshold
    if price.long_prompt is not None and long_threshold is not None and usage.prompt_tokens > long_threshold:
        price = price.long_prompt
    cost = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_write_tokens * price.cache_write
        + usage.cache_read_tokens * price.cache_read
    ) / 1_000_000
    return cost * BATCH_DISCOUNT if batch else cost
