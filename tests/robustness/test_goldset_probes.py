"""Bad input to ``harness goldset check``, ``new`` and ``search``.

``check`` lists every problem of a file on stdout (a labeller wants them all) and ends with one error line on
stderr, so it fails like every other command. An empty file is not a valid goldset.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.robustness.conftest import assert_clean_failure, run_cli

GOLD = FIXTURES / "goldsets" / "synthetic.jsonl"
SHAREGPT_MINI = FIXTURES / "conversations" / "sharegpt_mini.json"


def gold_lines() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


def as_jsonl(items: list[dict]) -> bytes:
    return "".join(json.dumps(item, ensure_ascii=False) + "\n" for item in items).encode("utf-8")


def check(path: Path, *extra: str):
    return run_cli(["goldset", "check", "--no-onet", str(path), *extra])


# ------------------------------------------------------------------------------------------ check

def _first_with(**fields) -> bytes:
    items = gold_lines()
    items[0].update(fields)
    return as_jsonl(items)


REFUSED = [
    pytest.param(b"", ("no items",), id="empty-file"),
    pytest.param(b"\n \n\t\n", ("no items",), id="only-blank-lines"),
    pytest.param(b"{not json\n", ("1 problem",), id="not-json"),
    pytest.param(as_jsonl(gold_lines())[:-40], ("1 problem",), id="cut-last-line"),
    pytest.param(b"[" * 100_000 + b"]" * 100_000 + b"\n", ("1 problem",), id="nested-100k-deep"),
    pytest.param(as_jsonl(gold_lines()).replace(b"billing", "caf\u00e9".encode("latin-1")), ("UTF-8",),
                 id="latin-1"),
    pytest.param(as_jsonl(gold_lines()).decode().encode("utf-16"), ("UTF-8",), id="utf-16"),
    pytest.param(_first_with(id=12), ("problem",), id="id-a-number"),
    pytest.param(_first_with(split="train"), ("problem",), id="split-unknown"),
    pytest.param(_first_with(labels="all good"), ("problem",), id="labels-a-string"),
    pytest.param(_first_with(conversation=[]), ("problem",), id="conversation-a-list"),
    pytest.param(as_jsonl([*gold_lines(), gold_lines()[0]]), ("problem",), id="duplicate-id"),
    pytest.param(b'"just a string"\n', ("1 problem",), id="a-json-string"),
]


@pytest.mark.parametrize(("content", "mentions"), REFUSED)
def test_check_refuses(tmp_path, content, mentions):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(content)
    assert_clean_failure(check(path), rc=1, mentions=("gold.jsonl", *mentions))


def test_check_missing_file(tmp_path):
    assert_clean_failure(check(tmp_path / "nope.jsonl"), rc=1, mentions=("nope.jsonl",))


def test_check_a_directory(tmp_path):
    assert_clean_failure(check(tmp_path), rc=1, mentions=(str(tmp_path),))


def test_check_good_and_bad_files_together(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"{oops\n")
    outcome = run_cli(["goldset", "check", "--no-onet", str(GOLD), str(bad)])
    assert_clean_failure(outcome, rc=1, mentions=("bad.jsonl",))
    assert f"{GOLD}: ok" in outcome.stdout  # the good file is still reported


def test_check_accepts_a_valid_goldset(tmp_path):
    outcome = check(GOLD)
    assert outcome.rc == 0, outcome.stderr
    assert "ok - 5 labelled items" in outcome.stdout


def test_check_accepts_crlf_line_ends(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(as_jsonl(gold_lines()).replace(b"\n", b"\r\n"))
    outcome = check(path)
    assert outcome.rc == 0, outcome.stderr
    assert "ok - 5 labelled items" in outcome.stdout


def test_check_allow_blank_on_an_empty_file_still_refuses(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_bytes(b"")
    assert_clean_failure(check(path, "--allow-blank"), rc=1, mentions=("no items",))


# ------------------------------------------------------------------------------------------ new

def new(out: Path, *extra: str):
    return run_cli(["goldset", "new", "--source", str(SHAREGPT_MINI), "--out", str(out), *extra])


NEW_USAGE = [
    pytest.param(["--n", "0"], "--n", id="n-0"),
    pytest.param(["--n", "-3"], "--n", id="n-negative"),
    pytest.param(["--test-fraction", "2"], "--test-fraction", id="test-fraction-2"),
    pytest.param(["--test-fraction", "nan"], "--test-fraction", id="test-fraction-nan"),
    pytest.param(["--min-turns", "0"], "--min-turns", id="min-turns-0"),
    pytest.param(["--min-turns", "3", "--max-turns", "2"], "--max-turns", id="max-below-min"),
    pytest.param(["--max-records", "-1"], "--max-records", id="max-records-negative"),
]


@pytest.mark.parametrize(("extra", "flag"), NEW_USAGE)
def test_new_bad_flag(tmp_path, extra, flag):
    out = tmp_path / "blank.jsonl"
    assert_clean_failure(new(out, *extra), rc=2, mentions=(flag,))
    assert not out.exists()


def test_new_refuses_to_overwrite(tmp_path):
    out = tmp_path / "labels.jsonl"
    out.write_text("three weeks of labelling\n")
    assert_clean_failure(new(out, "--n", "2"), rc=1, mentions=("labels.jsonl", "--force"))
    assert out.read_text() == "three weeks of labelling\n"


def test_new_out_a_directory(tmp_path):
    folder = tmp_path / "folder.jsonl"
    folder.mkdir()
    assert_clean_failure(new(folder, "--n", "2", "--force"), rc=1, mentions=("folder.jsonl",))


def test_new_out_below_a_file(tmp_path):
    (tmp_path / "plain").write_text("x")
    assert_clean_failure(new(tmp_path / "plain" / "blank.jsonl", "--n", "2"), rc=1, mentions=("plain",))


def test_new_out_on_a_read_only_file_system(read_only_dir):
    assert_clean_failure(new(read_only_dir / "blank.jsonl", "--n", "2"), rc=1, mentions=("Read-only file system",))


def test_new_more_than_the_source_holds(tmp_path):
    assert_clean_failure(new(tmp_path / "blank.jsonl", "--n", "500"), rc=1, mentions=("cannot draw 500",))


SOURCES = [
    pytest.param(b"", ("empty",), id="empty"),
    pytest.param(b"{}", ("array",), id="an-object"),
    pytest.param(b"[" * 100_000, ("nested",), id="nested-100k-deep"),
    pytest.param(b"[1, 2, 3]", ("only 0 conversations", "malformed 3"), id="array-of-numbers"),
    pytest.param(b"\xff\xfe[\x00]\x00", ("UTF-16",), id="utf-16"),
]


@pytest.mark.parametrize(("content", "mentions"), SOURCES)
def test_new_bad_source(tmp_path, content, mentions):
    source = tmp_path / "source.json"
    source.write_bytes(content)
    outcome = run_cli(["goldset", "new", "--source", str(source), "--n", "1", "--out", str(tmp_path / "b.jsonl")])
    assert_clean_failure(outcome, rc=1, mentions=("source.json", *mentions))
    assert not (tmp_path / "b.jsonl").exists()


def test_new_source_missing(tmp_path):
    outcome = run_cli(["goldset", "new", "--source", str(tmp_path / "nope.json"), "--n", "1", "--out",
                       str(tmp_path / "b.jsonl")])
    assert_clean_failure(outcome, rc=1, mentions=("nope.json",))


# ------------------------------------------------------------------------------------------ search

@pytest.mark.parametrize(("extra", "flag"), [
    (["code", "--limit", "0"], "--limit"), (["code", "--limit", "-5"], "--limit"),
    (["code", "--release", "99"], "--release"), (["", "--limit", "3"], "query"),
    (["   ", "--limit", "3"], "query"),
], ids=["limit-0", "limit-negative", "release-malformed", "empty-query", "blank-query"])
def test_search_bad_usage(extra, flag):
    assert_clean_failure(run_cli(["goldset", "search", *extra]), rc=2, mentions=(flag,))
