"""`harness validate` / `compare` end to end with the real anthropic SDK against the local Messages API server."""

from __future__ import annotations

import json

import pandas as pd

from harness.cli import main
from tests.classify.test_llm_backend import Responder
from tests.conftest import FIXTURES
from tests.support.messages_server import messages_server

GOLDSET = FIXTURES.parents[1] / "goldsets" / "sharegpt_v1.jsonl"


def test_validate_and_compare_with_an_llm_backend(tmp_path, data_dir, monkeypatch, capsys):
    subset = tmp_path / "gold.jsonl"
    subset.write_text("".join(GOLDSET.read_text().splitlines(keepends=True)[:6]))
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(tmp_path / "cache"))
    with messages_server() as server:
        server.responder = Responder()
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
        args = ["--data-dir", str(data_dir), "validate", "--goldset", str(subset), "--backend",
                "anthropic:claude-haiku-4-5", "--base-url", server.base_url, "--no-progress", "--bootstrap", "50"]
        assert main([*args, "--out", str(tmp_path / "llm")]) == 0
        first_calls = len(server.message_requests())
        assert first_calls >= 6 * 3  # summary, screening and pattern at least, for every item
        # a second validation of the same goldset is answered from the cache
        assert main([*args, "--out", str(tmp_path / "llm-again")]) == 0
        assert len(server.message_requests()) == first_calls
    metrics = json.loads((tmp_path / "llm" / "metrics.json").read_text())
    assert metrics["run"]["backend"] == "anthropic:claude-haiku-4-5"
    assert metrics["metrics"]["cost.input_tokens_per_item"]["value"] > 0
    assert server.api_key not in (tmp_path / "llm" / "manifest.json").read_text()
    items = pd.read_parquet(tmp_path / "llm" / "items.parquet")
    assert len(items) == 6 and (items["input_tokens"] > 0).all()
    capsys.readouterr()
    # the same goldset through the offline replay of the gold labels, compared as a model swap
    preds = tmp_path / "gold-preds.jsonl"
    preds.write_text("".join(
        json.dumps({"conversation_id": json.loads(line)["id"],
                    "task_id": (json.loads(line)["labels"][0]["tasks"] or [8823])[0],
                    "pattern": json.loads(line)["labels"][0]["pattern"],
                    "occupational": json.loads(line)["labels"][0]["occupational"]}) + "\n"
        for line in subset.read_text().splitlines()
    ))
    assert main(["--data-dir", str(data_dir), "validate", "--goldset", str(subset), "--backend", f"replay:{preds}",
                 "--out", str(tmp_path / "gold"), "--no-progress", "--bootstrap", "50"]) == 0
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "llm"), str(tmp_path / "gold")]) == 0
    out = capsys.readouterr().out
    assert "verdict" in out.lower()
