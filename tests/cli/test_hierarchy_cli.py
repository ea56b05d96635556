"""``harness hierarchy build/show/stats/diff`` with both builders, on the real 29.3 release."""

from __future__ import annotations

import json

import pytest

from harness.cli import main
from tests.clio.test_llm_build import ScriptedModel
from tests.support.messages_server import messages_server

FAST = ["--embedder", "tfidf", "--threads", "1"]


@pytest.fixture(scope="module")
def built(data_dir, tmp_path_factory):
    """A work-activity build and an offline clio build over a 400-statement sample."""
    root = tmp_path_factory.mktemp("hier")
    wa, clio = root / "wa.json", root / "clio.json"
    assert main(["--data-dir", str(data_dir), "hierarchy", "build", "--out", str(wa)]) == 0
    assert main(["--data-dir", str(data_dir), "hierarchy", "build", "--builder", "clio", "--offline", "--levels", "3",
                 "--top", "5", "--seed", "2", "--sample", "400", *FAST, "--out", str(clio)]) == 0
    return wa, clio


def test_offline_build_writes_a_labelled_hierarchy(built, capsys):
    _, clio = built
    data = json.loads(clio.read_text())
    assert data["metadata"]["builder"] == "clio-offline" and data["metadata"]["seed"] == 2
    assert data["sizes"] == {"top": 5, "mid": 45, "base": 400}
    assert main(["hierarchy", "show", str(clio)]) == 0
    out = capsys.readouterr().out
    assert data["id"] in out and "[offline]" in out and "top (5) > mid (45) > base (400)" in out


def test_stats(built, capsys):
    wa, clio = built
    assert main(["hierarchy", "stats", str(clio)]) == 0
    out = capsys.readouterr().out
    assert "builder : clio-offline" in out and "empty parents: 0" in out
    assert main(["hierarchy", "stats", str(wa)]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    assert lines["top"][1] == "37" and lines["mid"][1] == "332" and lines["base"][1] == "17,535"


def test_diff(built, capsys):
    wa, clio = built
    assert main(["hierarchy", "diff", str(wa), str(clio), "--sample", "2"]) == 0
    out = capsys.readouterr().out
    assert "400 shared, 17,135 only in A, 0 only in B" in out
    assert "mid vs mid: 332 vs 45 nodes" in out and "adjusted Rand" in out
    assert out.count("\n- ") == 2
    assert main(["hierarchy", "diff", str(clio), str(clio)]) == 0
    out = capsys.readouterr().out
    assert "0 shared tasks moved parent (0.0%); adjusted Rand 1.000" in out


def test_dry_run_prints_the_plan(data_dir, capsys):
    assert main(["--data-dir", str(data_dir), "hierarchy", "build", "--builder", "clio", "--dry-run", "--sample",
                 "200", "--top", "5", "--backend", "anthropic:claude-haiku-4-5", *FAST]) == 0
    out = capsys.readouterr().out
    assert "level targets : top 5 > mid 32 > base 200" in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    # children are placed 25 per call: 8 calls for the 200 tasks, one or two for the mid level
    assert int(rows["propose"][1]) == 6 and 200 // 25 < int(rows["assign"][1].replace(",", "")) <= 200 // 25 + 2
    assert "about $" in out


def test_model_build_through_the_cli_resumes_from_the_cache(data_dir, tmp_path, monkeypatch, capsys):
    model = ScriptedModel()
    out1, out2, cache = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "answers.sqlite"
    args = ["--data-dir", str(data_dir), "hierarchy", "build", "--builder", "clio", "--backend",
            "anthropic:claude-haiku-4-5", "--levels", "2", "--top", "4", "--sample", "60", "--cache", str(cache), *FAST]
    with messages_server(responder=model) as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", server.api_key)
        assert main([*args, "--out", str(out1)]) == 0
        first = len(server.message_requests())
        assert main([*args, "--out", str(out2)]) == 0
        assert len(server.message_requests()) == first  # the second build is served from the cache
    a, b = json.loads(out1.read_text()), json.loads(out2.read_text())
    assert a["id"] == b["id"] and a["metadata"]["builder"] == "clio"
    assert a["metadata"]["models"]["llm"] == "anthropic:claude-haiku-4-5"
    assert server.api_key not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--builder", "clio", "--out", "x.json"], "needs --backend"),
        (["--top", "5", "--out", "x.json"], "--top only apply to --builder clio"),
        (["--builder", "clio", "--offline", "--dry-run"], "makes none"),
        (["--builder", "clio", "--offline", "--backend", "anthropic:m", "--out", "x.json"], "not both"),
        (["--builder", "clio", "--offline"], "--out is required"),
        (["--builder", "clio", "--offline", "--levels", "1", "--out", "x.json"], "levels must be >= 2"),
        (["--builder", "clio", "--offline", "--embedder", "word2vec", "--out", "x.json"], "unknown embedding model"),
        (["--builder", "clio", "--offline", "--runtime", "gpu", "--out", "x.json"], "unknown embedding runtime 'gpu'"),
        (["--builder", "clio", "--offline", "--embedder", "tfidf", "--runtime", "onnx", "--out", "x.json"],
         "takes no runtime"),
        (["--runtime", "onnx", "--out", "x.json"], "--runtime only apply to --builder clio"),
        (["--builder", "clio", "--backend", "openai:gpt", "--cache", "c.sqlite", "--out", "x.json"],
         "unknown model backend scheme 'openai' in 'openai:gpt'; known schemes: anthropic, anthropic-batch, inspect"),
    ],
)
def test_bad_arguments_are_one_clear_error(data_dir, tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert main(["--data-dir", str(data_dir), "hierarchy", "build", *argv]) == 2  # usage errors
    err = capsys.readouterr().err
    assert "harness: error:" in err and message in err and "Traceback" not in err
