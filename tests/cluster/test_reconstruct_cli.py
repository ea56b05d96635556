"""``harness reconstruct`` on the synthetic mini release and twelve invented conversations."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main
from harness.conversations import read_jsonl

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cluster"


@pytest.fixture(scope="module")
def mini_hierarchy_file(mini_onet_dir, tmp_path_factory):
    from harness.taxonomy import build_work_activity_hierarchy, load_onet

    path = tmp_path_factory.mktemp("mini") / "hierarchy.json"
    build_work_activity_hierarchy(load_onet(mini_onet_dir, release="0.0")).save(path)
    return path


def _args(hierarchy: Path, onet: Path, out: Path, *extra: str) -> list[str]:
    return ["reconstruct", "--input", str(FIXTURES / "conversations.jsonl"), "--hierarchy", str(hierarchy),
            "--onet", str(onet), "--out", str(out), *extra]


def test_cli_writes_the_reconstruction(mini_hierarchy_file, mini_onet_dir, tmp_path, cache_dir, capsys,
                                       monkeypatch):
    monkeypatch.setenv("HARNESS_CACHE_DIR", str(cache_dir))
    code = main(_args(mini_hierarchy_file, mini_onet_dir, tmp_path, "--sizes", "1,4,50", "--seed", "3"))
    assert code == 0, capsys.readouterr().err
    out = tmp_path / "reconstruction"
    scores = pd.read_csv(out / "scores.csv")
    assert sorted(set(scores["aggregation"])) == ["size-1", "size-4", "size-50"]
    size_one = scores[scores["aggregation"] == "size-1"]
    assert (size_one["mse"].abs() < 1e-15).all()
    assert size_one["n_both"].eq(size_one["n_union"]).all()
    payload = json.loads((out / "reconstruction.json").read_text())
    assert payload["run"]["seed"] == 3 and payload["run"]["backend"] == "embedding:all-MiniLM-L6-v2"
    assert payload["run"]["n_conversations"] == 12
    occupations = pd.read_csv(out / "pairs_occupation_size-4.csv")
    mini_titles = {"Software Developers", "Software Quality Assurance Analysts and Testers", "Writers and Authors",
                   "Office Clerks, General", "Chief Executives"}
    assert set(occupations["item"]) <= mini_titles
    written = "\n".join(p.read_text() for p in out.iterdir() if p.suffix in {".csv", ".json"})
    for conv in read_jsonl(FIXTURES / "conversations.jsonl"):
        assert conv.messages[0].content not in written
    printed = capsys.readouterr().out
    assert "size-4" in printed and "wrote" in printed


@pytest.mark.parametrize(
    ("extra", "message", "code"),
    [
        (["--sizes", "10,x"], "--sizes", 2),  # a malformed flag is bad usage too
        (["--sizes", "0"], "--sizes", 2),
        (["--backend", "nosuch:model"], "unknown backend scheme", 2),  # usage errors exit 2
        (["--backend", "embedding:not-a-model"], "unknown embedding model", 2),
    ],
)
def test_cli_bad_arguments_are_one_clear_error(mini_hierarchy_file, mini_onet_dir, tmp_path, extra, message, code,
                                               capsys):
    assert main(_args(mini_hierarchy_file, mini_onet_dir, tmp_path, *extra)) == code
    err = capsys.readouterr().err
    assert "harness: error:" in err and message in err and "Traceback" not in err
