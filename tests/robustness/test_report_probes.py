"""Bad input to ``harness report``: folders that are not runs, broken run files, bad outputs and flags.

Also the report's prompt table: a backend that sends no prompt (the embedding backend records its configuration
digest under every step name) must not be shown as if it had four prompts with one identical hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from tests.report.conftest import load_goldset_items, write_run
from tests.robustness.conftest import Outcome, assert_clean_failure, mounted_tmpfs, run_cli


@pytest.fixture(scope="module")
def gold() -> list[dict]:
    return load_goldset_items(40)


@pytest.fixture
def run(tmp_path, gold) -> Path:
    """A complete synthetic validation run (manifest, metrics, items) in its own folder."""
    return write_run(tmp_path / "run", gold, seed=1, skill=0.7, model="claude-x", reconstruction=False).path


def report(run_dir: Path | str, out: Path | str, *extra: str) -> Outcome:
    return run_cli(["report", str(run_dir), "--out", str(out), "--n-resamples", "50", *extra])


# ------------------------------------------------------------------------------------------ not a run

def test_run_dir_missing(tmp_path):
    assert_clean_failure(report(tmp_path / "nope", tmp_path / "out"), rc=1, mentions=("nope",))


def test_run_dir_a_file(tmp_path):
    (tmp_path / "a-file").write_text("x")
    assert_clean_failure(report(tmp_path / "a-file", tmp_path / "out"), rc=1, mentions=("a-file",))


def test_run_dir_empty(tmp_path):
    (tmp_path / "empty").mkdir()
    assert_clean_failure(report(tmp_path / "empty", tmp_path / "out"), rc=1, mentions=("empty", "nothing to report"))


def test_run_dir_holds_unrelated_files(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (folder / "notes.txt").write_text("hello")
    assert_clean_failure(report(folder, tmp_path / "out"), rc=1, mentions=("photos", "nothing to report"))


# ------------------------------------------------------------------------------------------ broken run files

DEEP = b"[" * 100_000 + b"]" * 100_000
BROKEN_FILES = [
    pytest.param("manifest.json", b"{not json", ("manifest.json", "line 1"), id="manifest-not-json"),
    pytest.param("manifest.json", b"", ("manifest.json",), id="manifest-empty"),
    pytest.param("manifest.json", b"[1, 2]", ("manifest.json", "object"), id="manifest-an-array"),
    pytest.param("manifest.json", DEEP, ("manifest.json", "nested"), id="manifest-nested-100k-deep"),
    pytest.param("manifest.json", '{"schema": "caf\u00e9"}'.encode("latin-1"), ("manifest.json", "UTF-8"),
                 id="manifest-latin-1"),
    pytest.param("manifest.json", json.dumps({"schema": "harness.run/9"}).encode(), ("manifest.json", "schema"),
                 id="manifest-from-the-future"),
    pytest.param("manifest.json", json.dumps({"schema": 5}).encode(), ("manifest.json", "schema"),
                 id="manifest-schema-a-number"),
    pytest.param("metrics.json", b"{\"metrics\": ", ("metrics.json",), id="metrics-cut"),
    pytest.param("metrics.json", DEEP, ("metrics.json", "nested"), id="metrics-nested-100k-deep"),
    pytest.param("metrics.json", b'{"metrics": [1, 2]}', ("metrics.json", "metrics"), id="metrics-a-list"),
    pytest.param("items.parquet", b"not parquet", ("items.parquet",), id="items-not-parquet"),
    pytest.param("items.parquet", b"", ("items.parquet",), id="items-empty"),
]


@pytest.mark.parametrize(("name", "content", "mentions"), BROKEN_FILES)
def test_broken_run_file(run, tmp_path, name, content, mentions):
    (run / name).write_bytes(content)
    assert_clean_failure(report(run, tmp_path / "out"), rc=1, mentions=mentions)
    assert not (tmp_path / "out" / "report.html").exists()


@pytest.mark.parametrize(("name", "content"), [
    ("summary.json", b"{broken"), ("summary.json", b"[]"), ("summary.json", DEEP),
], ids=["summary-not-json", "summary-an-array", "summary-nested-100k-deep"])
def test_broken_analysis_summary(run, tmp_path, name, content):
    (run / "analysis" / "tables").mkdir(parents=True)
    (run / "analysis" / name).write_bytes(content)
    assert_clean_failure(report(run, tmp_path / "out"), rc=1, mentions=("summary.json",))


def test_reconstruction_with_negative_shares(run, tmp_path):
    (run / "reconstruction").mkdir()
    (run / "reconstruction" / "prevalence.csv").write_text(
        "level,aggregation,item,direct,cluster\nbase,10,x,-0.5,0.1\n")
    assert_clean_failure(report(run, tmp_path / "out"), rc=1, mentions=("prevalence.csv", "'direct'"))


# ------------------------------------------------------------------------------------------ --compare

def test_compare_missing(run, tmp_path):
    assert_clean_failure(report(run, tmp_path / "out", "--compare", str(tmp_path / "nope")), rc=1,
                         mentions=("nope",))


def test_compare_not_a_run(run, tmp_path):
    (tmp_path / "empty").mkdir()
    assert_clean_failure(report(run, tmp_path / "out", "--compare", str(tmp_path / "empty")), rc=1,
                         mentions=("empty",))


def test_compare_a_file(run, tmp_path):
    (tmp_path / "a-file").write_text("x")
    assert_clean_failure(report(run, tmp_path / "out", "--compare", str(tmp_path / "a-file")), rc=1,
                         mentions=("a-file",))


def test_compare_with_a_broken_manifest(run, tmp_path, gold):
    other = write_run(tmp_path / "other", gold, seed=2, skill=0.5, model="m", reconstruction=False).path
    (other / "manifest.json").write_bytes(b"\xff\xfe{")
    assert_clean_failure(report(run, tmp_path / "out", "--compare", str(other)), rc=1, mentions=("manifest.json",))


# ------------------------------------------------------------------------------------------ outputs and flags

def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_out_names_a_file(run, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    assert_clean_failure(report(run, target), rc=1, mentions=("a-file",))
    assert target.read_text() == "keep me"


def test_out_below_a_file(run, tmp_path):
    (tmp_path / "plain").write_text("x")
    assert_clean_failure(report(run, tmp_path / "plain" / "out"), rc=1, mentions=("plain",))


def test_out_on_a_read_only_file_system(run, read_only_dir):
    assert_clean_failure(report(run, read_only_dir / "out"), rc=1, mentions=("Read-only file system",))


def test_out_on_a_full_disk(run, tmp_path):
    with mounted_tmpfs(tmp_path / "tiny", "size=16k") as disk:
        assert_clean_failure(report(run, disk / "out"), rc=1, mentions=("No space left",))


def test_out_inside_the_run(run):
    before = _digests(run)
    assert_clean_failure(report(run, run / "report"), rc=1, mentions=("inside",))
    assert _digests(run) == before


@pytest.mark.parametrize(("extra", "flag"), [
    (["--confidence", "1.5"], "--confidence"), (["--confidence", "abc"], "--confidence"),
    (["--confidence", "0"], "--confidence"), (["--n-resamples", "0"], "--n-resamples"),
    (["--n-resamples", "-10"], "--n-resamples"), (["--seed", "1.5"], "--seed"),
], ids=["confidence-1.5", "confidence-text", "confidence-0", "resamples-0", "resamples-negative", "seed-float"])
def test_bad_flag(run, tmp_path, extra, flag):
    assert_clean_failure(report(run, tmp_path / "out", *extra), rc=2, mentions=(flag,))


# ------------------------------------------------------------------------------------------ the prompt table

def _manifest_only_run(folder: Path, backend: str, classifier: dict) -> Path:
    folder.mkdir()
    manifest = {"schema": "harness.run/1", "command": "classify", "backend": backend, "classifier": classifier,
                "hierarchy": {"id": "h", "sizes": {"top": 1}}}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def test_embedding_run_shows_no_prompt_hashes(tmp_path):
    digest = "ab12" * 16
    run = _manifest_only_run(tmp_path / "emb", "embedding:all-MiniLM-L6-v2", {
        "backend": "embedding", "model": "all-MiniLM-L6-v2", "config_digest": digest,
        "prompt_hashes": {"traversal": digest, "screening": digest, "pattern": digest, "skills": digest}})
    outcome = report(run, tmp_path / "out")
    assert outcome.rc == 0, outcome.stderr
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "Prompt template hashes" not in markdown
    assert not (tmp_path / "out" / "tables" / "prompt_hashes.csv").exists()
    assert "no prompt" in markdown and digest[:12] in markdown  # says what the backend used instead


def test_llm_run_shows_its_prompt_hashes(tmp_path):
    hashes = {"traversal": "1" * 64, "screening": "2" * 64, "pattern": "3" * 64, "skills": "4" * 64}
    run = _manifest_only_run(tmp_path / "llm", "anthropic:claude-x", {
        "backend": "anthropic", "model": "claude-x", "prompt_hashes": hashes})
    outcome = report(run, tmp_path / "out")
    assert outcome.rc == 0, outcome.stderr
    table = (tmp_path / "out" / "tables" / "prompt_hashes.csv").read_text()
    assert all(h in table for h in hashes.values()) and table.count("\n") == 5
