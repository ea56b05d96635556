"""Fixtures of the harness.llm tests: a local Messages API server and a backend pointed at it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    import tests.support  # noqa: F401
except ModuleNotFoundError:  # pytest put tests/, not the repository root, on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from harness.llm import AnthropicLLM, RetryPolicy

# Importing the ``messages_api`` fixture into a conftest is how any test package gets the server.
from tests.support.messages_server import MessagesServer, messages_api, messages_server  # noqa: F401

# Fast retries: the retry tests check the order of waits, not their real-world length.
FAST_RETRY = RetryPolicy(max_attempts=5, base_delay_s=0.01, max_delay_s=0.05, jitter=0.1)


@pytest.fixture
def server() -> Iterator[MessagesServer]:
    """A fresh local Messages API server."""
    with messages_server() as srv:
        yield srv


@pytest.fixture
def make_llm(server: MessagesServer):
    """Factory of AnthropicLLM objects talking to ``server``."""

    def make(model: str = "claude-haiku-4-5", **options) -> AnthropicLLM:
        options.setdefault("retry", FAST_RETRY)
        options.setdefault("timeout_s", 5.0)
        options.setdefault("seed", 0)
        return AnthropicLLM(model, api_key=server.api_key, base_url=server.base_url, **options)

    return make
