"""The evals run with no network: ``inspect eval evals/... --model mockllm/model`` must not fetch a tokenizer.

inspect gives a mock output that carries no usage a token count made with tiktoken's ``o200k_base`` encoding,
which tiktoken downloads on first use. These tests point tiktoken's cache at an empty folder and every HTTP proxy
variable at a closed local port, so a download attempt fails at once instead of finding a copy or the internet.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.llm import InspectLLM, LLMRequest

REPO = Path(__file__).resolve().parents[2]
_CLOSED_PORT = "http://127.0.0.1:9"  # the discard port: nothing listens there


@pytest.fixture
def offline(tmp_path, monkeypatch) -> dict[str, str]:
    """Environment in which a tiktoken download fails: empty cache folders, proxies at a closed local port."""
    empty = tmp_path / "tiktoken-cache"
    empty.mkdir()
    env = {"TIKTOKEN_CACHE_DIR": str(empty), "DATA_GYM_CACHE_DIR": str(empty)}
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"):
        env[name] = _CLOSED_PORT
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def test_a_mock_model_counts_tokens_without_tiktoken(offline):
    llm = InspectLLM("mockllm/model")  # default outputs: no usage, so inspect counts the tokens itself
    response = asyncio.run(llm.complete(LLMRequest("screening", "Options: A, B, C.", "Which option? " * 10)))
    assert response.usage.input_tokens > 0 and response.usage.output_tokens > 0
    assert not any(Path(offline["TIKTOKEN_CACHE_DIR"]).iterdir())


def test_inspect_eval_with_mockllm_needs_no_network(offline, data_dir, tmp_path):
    from inspect_ai.log import list_eval_logs, read_eval_log

    env = {**os.environ, **offline, "HARNESS_DATA_DIR": str(data_dir), "HARNESS_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "inspect_ai", "eval", "evals/collaboration.py", "--model", "mockllm/model",
               "--limit", "2", "--log-dir", str(tmp_path / "logs"), "--display", "none"]  # fmt: skip
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    [info] = list_eval_logs(str(tmp_path / "logs"))
    log = read_eval_log(info)
    assert log.status == "success", log.error
    assert len(log.samples) == 2 and log.stats.model_usage["mockllm/model"].input_tokens > 0
    assert not any(Path(offline["TIKTOKEN_CACHE_DIR"]).iterdir())
