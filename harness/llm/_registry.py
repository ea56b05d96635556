"""Model-client backends by scheme: which exist, which options each takes, and how to build one.

The classifier registry (:mod:`harness.classify`) and the Clio builder's command line both ask this table, so the
list of model schemes is written down once. Option names are read from the client constructors' signatures, so
the table cannot drift from what the constructors accept.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from harness.errors import UsageError
from harness.llm._anthropic import AnthropicLLM
from harness.llm._batching import BatchingLLM
from harness.llm._cache import AnswerCache, CachedLLM
from harness.llm._inspect import InspectLLM
from harness.llm._spec import BackendSpec, parse_spec
from harness.llm._types import LLM

__all__ = ["LLM_BACKENDS", "LLMBackend", "get_llm", "parse_llm_spec"]


def _keyword_options(constructor: Callable[..., Any], *skip: str) -> frozenset[str]:
    return frozenset(
        name for name, p in inspect.signature(constructor).parameters.items()
        if p.kind is inspect.Parameter.KEYWORD_ONLY and name not in skip
    )


@dataclass(frozen=True)
class LLMBackend:
    """One model-client scheme.

    Attributes:
        scheme: The spec's scheme, e.g. ``"anthropic"``.
        usage: How a spec of this scheme reads, for help texts (``"anthropic:<model-id>"``).
        build: ``(model name, options) -> LLM``.
        options: Option names the client takes.
        open_options: Whether other options are passed on as they are (inspect hands them to its provider).
    """

    scheme: str
    usage: str
    build: Callable[[str, dict[str, Any]], LLM]
    options: frozenset[str]
    open_options: bool = False

    def accepts(self, option: str) -> bool:
        """Whether ``option`` is one this client names (open options do not count: nothing is known of them)."""
        return option in self.options


_BATCH_OPTIONS = _keyword_options(BatchingLLM)


def _anthropic(model: str, options: dict[str, Any]) -> LLM:
    return AnthropicLLM(model, **options)


def _anthropic_batch(model: str, options: dict[str, Any]) -> LLM:
    batch = {key: options.pop(key) for key in _BATCH_OPTIONS if key in options}
    return BatchingLLM(AnthropicLLM(model, **options), **batch)


def _inspect(model: str, options: dict[str, Any]) -> LLM:
    return InspectLLM(model, **options)


LLM_BACKENDS: Mapping[str, LLMBackend] = MappingProxyType({
    "anthropic": LLMBackend("anthropic", "anthropic:<model-id>", _anthropic, _keyword_options(AnthropicLLM)),
    "anthropic-batch": LLMBackend("anthropic-batch", "anthropic-batch:<model-id>", _anthropic_batch,
                                  _keyword_options(AnthropicLLM) | _BATCH_OPTIONS),
    "inspect": LLMBackend("inspect", "inspect:<provider/model>", _inspect, frozenset(), open_options=True),
})


def parse_llm_spec(spec: str | BackendSpec) -> BackendSpec:
    """Read a model spec (``anthropic:<model-id>``, ``anthropic-batch:<model-id>``, ``inspect:<provider/model>``).

    Raises:
        UsageError: Unknown scheme or malformed spec; the message lists the model schemes.
    """
    return parse_spec(spec, {scheme: () for scheme in LLM_BACKENDS}, kind="model backend")


def get_llm(spec: str | BackendSpec, *, cache: AnswerCache | None = None, **options: Any) -> LLM:
    """Build a model client from a spec.

    Args:
        spec: ``"anthropic:<model-id>"`` (e.g. ``"anthropic:claude-haiku-4-5"``), ``"anthropic-batch:<model-id>"``
            (the same model through Message Batches, see :class:`BatchingLLM`) or ``"inspect:<provider/model>"``
            (e.g. ``"inspect:mockllm/model"``), or the :class:`BackendSpec` read from one.
        cache: When given, wrap the backend in a :class:`CachedLLM` using this cache.
        **options: Passed to the client's constructor (:class:`AnthropicLLM`, plus the :class:`BatchingLLM`
            options for ``anthropic-batch``; anything for :class:`InspectLLM`).

    Raises:
        UsageError: Unknown scheme, malformed spec, an option the client does not take, or a value the client
            rejects (e.g. an inspect name without a provider).
    """
    parsed = parse_llm_spec(spec)
    backend = LLM_BACKENDS[parsed.scheme]
    unknown = sorted(set(options) - backend.options)
    if unknown and not backend.open_options:
        raise UsageError(f"the {parsed.scheme} model backend takes no option {', '.join(map(repr, unknown))}; "
                         f"it takes {', '.join(sorted(backend.options))}")
    try:
        llm = backend.build(parsed.name, dict(options))
    except UsageError:
        raise
    except ValueError as exc:
        raise UsageError(f"{parsed}: {exc}") from None
    return CachedLLM(llm, cache) if cache is not None else llm
