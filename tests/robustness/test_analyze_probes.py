"""Bad input to ``harness analyze``: fact tables of the wrong shape or kind, and bad flags.

A fact table whose values have the wrong JSON type (``occupational: "false"``) must be refused on read, not
coerced: a string is true to Python, so it used to be counted as occupational. The summary must be valid JSON with
``null`` (and a reason) wherever a number cannot be computed, never a bare ``NaN`` or a made-up 0.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from harness.taxonomy import normalise_statement
from tests.conftest import mini_economic_index
from tests.robustness.conftest import Outcome, assert_clean_failure, mounted_tmpfs, run_cli

TASK_101 = normalise_statement("Write and debug computer programs for business applications.")


def fact(i: int = 0, **fields) -> dict:
    """A valid fact row on task 101 (``...`` drops a field)."""
    row = {"conversation_id": f"c{i}", "account_id": f"acct-{i % 10}", "occupational": True,
           "pattern": ("directive", "task_iteration")[i % 2], "statement_key": TASK_101}
    row.update(fields)
    return {k: v for k, v in row.items() if v is not ...}


def released(n: int = 40) -> list[dict]:
    """Rows that clear the wall: 40 conversations over 10 accounts on one task, 20 (5 accounts) per pattern."""
    return [fact(i) for i in range(n)]


def jsonl(rows, end: str = "\n") -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + end for r in rows).encode("utf-8")


@dataclass(frozen=True)
class Env:
    data: Path

    def analyze(self, facts: Path | str, out: Path, *extra: str) -> Outcome:
        return run_cli(["--data-dir", str(self.data), "analyze", "--facts", str(facts), "--onet-release", "29.3",
                        "--out", str(out), *extra])


@pytest.fixture(scope="module")
def env(tmp_path_factory, mini_onet_dir) -> Env:
    data = tmp_path_factory.mktemp("analyze-probes") / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    (data / "economic_index").symlink_to(mini_economic_index() / "economic_index")
    return Env(data)


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


# ------------------------------------------------------------------------------------------ refused fact tables

REFUSED_JSONL = [
    pytest.param(jsonl([fact(0, occupational="false"), *released()[1:]]), ("line 1", "'occupational'"),
                 id="occupational-string-false"),
    pytest.param(jsonl([*released()[:3], fact(3, occupational="true")]), ("line 4", "'occupational'"),
                 id="occupational-string-true"),
    pytest.param(jsonl([fact(0, occupational=2)]), ("'occupational'",), id="occupational-2"),
    pytest.param(jsonl([fact(0, occupational=0.5)]), ("'occupational'",), id="occupational-0.5"),
    pytest.param(jsonl([fact(0, occupational=[])]), ("'occupational'",), id="occupational-a-list"),
    pytest.param(jsonl([fact(0, cost_usd="abc")]), ("'cost_usd'",), id="cost-text"),
    pytest.param(jsonl([fact(0, cost_usd="1.5")]), ("'cost_usd'",), id="cost-a-numeric-string"),
    pytest.param(jsonl([fact(0, cost_usd=True)]), ("'cost_usd'",), id="cost-a-bool"),
    pytest.param(jsonl([fact(0), fact(1), fact(0)]), ("'conversation_id'",), id="conversation-twice"),
    pytest.param(jsonl([fact(0, conversation_id=...)]), ("line 1", "'conversation_id'"), id="conversation-missing"),
    pytest.param(jsonl([fact(0, conversation_id=7)]), ("'conversation_id'",), id="conversation-a-number"),
    pytest.param(jsonl([fact(0, account_id=None)]), ("'account_id'",), id="account-null"),
    pytest.param(jsonl([fact(0, account_id=...)]), ("'account_id'",), id="account-missing"),
    pytest.param(jsonl([fact(0, pattern="bogus")]), ("'pattern'", "bogus"), id="pattern-unknown"),
    pytest.param(jsonl([fact(0, pattern=5)]), ("'pattern'",), id="pattern-a-number"),
    pytest.param(jsonl([fact(0, statement_key=...)]), ("'statement_key'",), id="statement-key-missing"),
    pytest.param(jsonl([fact(0, statement_key=["x"])]), ("'statement_key'",), id="statement-key-a-list"),
    pytest.param(jsonl([fact(0, skills="Programming")]), ("'skills'",), id="skills-a-string"),
    pytest.param(jsonl([fact(0)]) + b"{not json\n", ("line 2",), id="not-json"),
    pytest.param(jsonl([fact(0)]) + b"[" * 100_000 + b"]" * 100_000 + b"\n", ("line 2",), id="nested-100k-deep"),
    pytest.param(jsonl([fact(0)]) + json.dumps(fact(1, account_id="caf\u00e9"), ensure_ascii=False).encode(
        "latin-1") + b"\n", ("line 2", "UTF-8"), id="latin-1"),
    pytest.param(jsonl([fact(0)]) + b'"a string"\n', ("line 2",), id="a-string-line"),
    pytest.param(b"", ("no rows",), id="empty-file"),
    pytest.param(b"\n\n", ("no rows",), id="only-blank-lines"),
]


@pytest.mark.parametrize(("content", "mentions"), REFUSED_JSONL)
def test_refused_facts_jsonl(env, tmp_path, content, mentions):
    facts = write(tmp_path, "facts.jsonl", content)
    outcome = env.analyze(facts, tmp_path / "analysis")
    assert_clean_failure(outcome, rc=1, mentions=("facts.jsonl", *mentions))
    assert not (tmp_path / "analysis" / "summary.json").exists()


def _parquet(folder: Path, frame: pd.DataFrame) -> Path:
    path = folder / "facts.parquet"
    frame.to_parquet(path)
    return path


REFUSED_PARQUET = [
    pytest.param(lambda: pd.DataFrame(released()).assign(occupational="false"), "'occupational'",
                 id="occupational-strings"),
    pytest.param(lambda: pd.DataFrame(released()).assign(occupational=2), "'occupational'", id="occupational-2"),
    pytest.param(lambda: pd.DataFrame(released()).drop(columns="account_id"), "'account_id'", id="account-missing"),
    pytest.param(lambda: pd.DataFrame(released()).assign(pattern="everything"), "'pattern'", id="pattern-unknown"),
    pytest.param(lambda: pd.DataFrame(released()).iloc[:0], "no rows", id="no-rows"),
]


@pytest.mark.parametrize(("frame", "mention"), REFUSED_PARQUET)
def test_refused_facts_parquet(env, tmp_path, frame, mention):
    facts = _parquet(tmp_path, frame())
    assert_clean_failure(env.analyze(facts, tmp_path / "analysis"), rc=1, mentions=("facts.parquet", mention))


@pytest.mark.parametrize("content", [b"", b"not parquet at all", b"PAR1\x00\x00PAR1"],
                         ids=["empty", "text", "fake-magic"])
def test_unreadable_parquet(env, tmp_path, content):
    facts = write(tmp_path, "facts.parquet", content)
    assert_clean_failure(env.analyze(facts, tmp_path / "analysis"), rc=1, mentions=("facts.parquet",))


def test_facts_missing(env, tmp_path):
    assert_clean_failure(env.analyze(tmp_path / "nope.parquet", tmp_path / "analysis"), rc=1,
                         mentions=("nope.parquet",))


def test_facts_a_folder_that_is_not_a_run(env, tmp_path):
    folder = tmp_path / "not-a-run"
    folder.mkdir()
    assert_clean_failure(env.analyze(folder, tmp_path / "analysis"), rc=1, mentions=("not-a-run",))


# ------------------------------------------------------------------------------------------ flags and outputs

def _good(tmp_path: Path) -> Path:
    return write(tmp_path, "facts.jsonl", jsonl(released()))


BAD_FLAGS = [
    pytest.param(["--onet-release", "99"], 2, ("--onet-release", "99"), id="onet-release-malformed"),
    pytest.param(["--onet-release", "99.9"], 1, ("99.9",), id="onet-release-absent"),
    pytest.param(["--min-conversations", "3"], 2, ("--min-conversations",), id="min-conversations-below-floor"),
    pytest.param(["--min-accounts", "0"], 2, ("--min-accounts",), id="min-accounts-0"),
    pytest.param(["--min-accounts", "five"], 2, ("--min-accounts",), id="min-accounts-text"),
    pytest.param(["--release", "2030_01_01"], 2, ("--release",), id="release-unknown"),
]


@pytest.mark.parametrize(("extra", "rc", "mentions"), BAD_FLAGS)
def test_bad_flag(env, tmp_path, extra, rc, mentions):
    argv = ["--data-dir", str(env.data), "analyze", "--facts", str(_good(tmp_path)), "--out",
            str(tmp_path / "analysis"), *extra]
    assert_clean_failure(run_cli(argv), rc=rc, mentions=mentions)


def test_onet_release_without_facts(env, tmp_path):
    argv = ["--data-dir", str(env.data), "analyze", "--onet-release", "29.3", "--out", str(tmp_path / "a")]
    assert_clean_failure(run_cli(argv), rc=2, mentions=("--onet-release", "--facts"))


def test_out_names_a_file(env, tmp_path):
    target = write(tmp_path, "a-file", b"keep me")
    assert_clean_failure(env.analyze(_good(tmp_path), target), rc=1, mentions=("a-file",))
    assert target.read_bytes() == b"keep me"


def test_out_below_a_file(env, tmp_path):
    write(tmp_path, "plain", b"x")
    assert_clean_failure(env.analyze(_good(tmp_path), tmp_path / "plain" / "analysis"), rc=1, mentions=("plain",))


def test_out_on_a_read_only_file_system(env, tmp_path, read_only_dir):
    assert_clean_failure(env.analyze(_good(tmp_path), read_only_dir / "analysis"), rc=1,
                         mentions=("Read-only file system",))


def test_out_on_a_full_disk(env, tmp_path):
    with mounted_tmpfs(tmp_path / "tiny", "size=16k") as disk:
        assert_clean_failure(env.analyze(_good(tmp_path), disk / "analysis"), rc=1, mentions=("No space left",))


def test_bad_facts_leave_an_earlier_analysis_alone(env, tmp_path):
    out = tmp_path / "analysis"
    assert env.analyze(_good(tmp_path), out).rc == 0
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()}
    bad = write(tmp_path, "bad.jsonl", jsonl([fact(0, occupational="false")]))
    assert_clean_failure(env.analyze(bad, out), rc=1, mentions=("bad.jsonl",))
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*")) if p.is_file()} == before


# ------------------------------------------------------------------------------------------ acceptable input

def _summary(out: Path) -> dict:
    # parse_constant rejects NaN/Infinity: the file must be strict JSON
    def refuse(name):
        raise AssertionError(f"summary.json holds a bare {name}")

    return json.loads((out / "summary.json").read_text(), parse_constant=refuse)


def test_nothing_released_gives_nulls_with_reasons(env, tmp_path):
    rows = [fact(i, occupational=False, statement_key=None, account_id=f"a{i % 3}") for i in range(20)]
    outcome = env.analyze(write(tmp_path, "facts.jsonl", jsonl(rows)), tmp_path / "analysis")
    assert outcome.rc == 0, outcome.stderr
    summary = _summary(tmp_path / "analysis")
    assert summary["released_conversations"] == 0
    for key in ("automation_pct", "augmentation_pct", "patterns_withheld_pct"):
        assert summary[key] is None, key
        assert summary["why_null"][key], key
    assert "NaN" not in outcome.stdout


def test_released_facts_give_numbers(env, tmp_path):
    outcome = env.analyze(_good(tmp_path), tmp_path / "analysis")
    assert outcome.rc == 0, outcome.stderr
    summary = _summary(tmp_path / "analysis")
    assert summary["released_conversations"] == 40
    assert summary["automation_pct"] == pytest.approx(50.0) and summary["augmentation_pct"] == pytest.approx(50.0)


def test_crlf_and_blank_lines_are_fine(env, tmp_path):
    content = b"\r\n" + jsonl(released(), end="\r\n\r\n")
    outcome = env.analyze(write(tmp_path, "facts.jsonl", content), tmp_path / "analysis")
    assert outcome.rc == 0, outcome.stderr
    assert _summary(tmp_path / "analysis")["released_conversations"] == 40


def test_flags_given_as_0_and_1_are_read_as_false_and_true(env, tmp_path):
    """The schema's convention (tools without a boolean type write 0/1): 1 is occupational, 0 is not."""
    rows = [*(fact(i, occupational=1) for i in range(40)), *(fact(100 + i, occupational=0) for i in range(20))]
    outcome = env.analyze(write(tmp_path, "facts.jsonl", jsonl(rows)), tmp_path / "analysis")
    assert outcome.rc == 0, outcome.stderr
    summary = _summary(tmp_path / "analysis")
    assert summary["released_conversations"] == 40 and summary["not_classified_or_below_threshold"] == 20


def test_null_occupational_counts_as_not_occupational(env, tmp_path):
    rows = [*released(), *(fact(100 + i, occupational=None) for i in range(20))]  # 20 more over 10 accounts
    outcome = env.analyze(write(tmp_path, "facts.jsonl", jsonl(rows)), tmp_path / "analysis")
    assert outcome.rc == 0, outcome.stderr
    summary = _summary(tmp_path / "analysis")
    assert summary["released_conversations"] == 40 and summary["not_classified_or_below_threshold"] == 20
