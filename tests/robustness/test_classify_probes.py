"""Bad input to ``harness classify``: conversation files a hostile user could hand it, and bad flags.

Every probe either fails cleanly (exit 1 for bad input, 2 for bad usage, one line naming the file, line and field,
no traceback) or, where the input is acceptable, produces the right facts. The probes run on the synthetic
miniature O*NET release with the ``replay:`` backend (no model), so each takes a fraction of a second; the one
probe that needs a real tokenizer (a lone surrogate in a message) uses the default embedding backend.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from tests.robustness.conftest import Outcome, assert_clean_failure, mounted_tmpfs, run_cli

N_GOOD = 6  # conversations in a good input


def conv(i: int = 0, **fields) -> dict:
    """A valid conversation record, with ``fields`` replaced (a value of ``...`` drops the field)."""
    record = {"id": f"c{i}", "account_id": f"acct-{i % 3}",
              "messages": [{"role": "user", "content": "please debug my billing program"},
                           {"role": "assistant", "content": "Sure."}]}
    record.update(fields)
    return {k: v for k, v in record.items() if v is not ...}


def message(**fields) -> dict:
    """A conversation whose first message has ``fields`` replaced (``...`` drops one)."""
    first = {"role": "user", "content": "hello"}
    first.update(fields)
    return conv(0, messages=[{k: v for k, v in first.items() if v is not ...}])


def jsonl(*records, end: str = "\n") -> bytes:
    """Records as JSON Lines (UTF-8; text that is not valid Unicode, such as a lone surrogate, as a JSON escape)."""
    lines = []
    for record in records:
        text = json.dumps(record, ensure_ascii=False)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            text = json.dumps(record)
        lines.append(text + end)
    return "".join(lines).encode("utf-8")


def good(n: int = N_GOOD, end: str = "\n") -> bytes:
    return jsonl(*(conv(i) for i in range(n)), end=end)


@dataclass(frozen=True)
class Env:
    """A data directory holding the miniature O*NET release, and a replay file covering ids c0..c199."""

    root: Path
    data: Path
    preds: Path

    def argv(self, source: str | Path, out: Path, *extra: str) -> list[str]:
        return ["--data-dir", str(self.data), "classify", "--input", str(source), "--out", str(out),
                "--backend", f"replay:{self.preds}", "--no-progress", *extra]

    def classify(self, content: bytes, folder: Path, name: str = "conv", *extra: str) -> tuple[Outcome, Path]:
        """Write ``content`` to ``folder/<name>.jsonl`` and classify it into ``folder/run``."""
        source = folder / f"{name}.jsonl"
        source.write_bytes(content)
        out = folder / "run"
        return run_cli(self.argv(source, out, *extra)), out


@pytest.fixture(scope="module")
def env(tmp_path_factory, mini_onet_dir) -> Env:
    root = tmp_path_factory.mktemp("classify-probes")
    data = root / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    preds = root / "preds.jsonl"
    preds.write_text("".join(json.dumps({"conversation_id": f"c{i}", "task_id": (101, 201, 301)[i % 3],
                                         "pattern": "directive", "occupational": True}) + "\n" for i in range(200)))
    return Env(root, data, preds)


def facts_ids(out: Path) -> list[str]:
    return list(pd.read_parquet(out / "facts.parquet")["conversation_id"])


# ------------------------------------------------------------------------------------------ refused input files

LONG = "x" * 5_000_000

REFUSED_FILES = [
    # encodings
    pytest.param(json.dumps(message(content="caf\u00e9"), ensure_ascii=False).encode("latin-1") + b"\n",
                 ("line 1", "UTF-8"), id="latin-1"),
    pytest.param(good(2).decode().encode("utf-16"), ("UTF-16",), id="utf-16-with-bom"),
    pytest.param(good(2).decode().encode("utf-16-le"), ("line 1", "UTF-16"), id="utf-16-without-bom"),
    pytest.param(good(1).decode().encode("utf-32"), ("UTF-32",), id="utf-32-with-bom"),
    pytest.param(good(1) + b"\xff\xfe\xfa garbage\n", ("line 2", "UTF-8"), id="binary-garbage-line"),
    pytest.param(jsonl(conv(0)) + b'{"id": "c1", "account_id": "a", "messages": [{"role": "user", "content": '
                 b'"\xed\xa0\x80"}]}\n', ("line 2", "UTF-8"), id="raw-surrogate-bytes"),
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ("line 1",), id="a-png-file"),
    # structure of a line
    pytest.param(b"[" * 100_000 + b"]" * 100_000 + b"\n", ("line 1", "nested"), id="nested-100k-deep"),
    pytest.param(jsonl(conv(0)) + b'{"id": "c1", "account_id": "a", "messages": [' + b"{" * 50_000 + b"\n",
                 ("line 2",), id="deep-and-cut"),
    pytest.param(b"", ("no conversations",), id="empty-file"),
    pytest.param(b"\n  \n\t\n", ("no conversations",), id="only-blank-lines"),
    pytest.param(good(2) + b'{"id": "c9", "account_id": "a", "mess', ("line 3", "JSON"), id="cut-last-line"),
    pytest.param(good(1)[:-1] + b" trailing garbage\n", ("line 1", "JSON"), id="trailing-garbage"),
    pytest.param(good(1) + b"}\n", ("line 2", "JSON"), id="stray-brace"),
    pytest.param(json.dumps([conv(0), conv(1)]).encode() + b"\n", ("line 1", "object"), id="a-json-array"),
    pytest.param(b'"just a string"\n', ("line 1", "object"), id="a-json-string"),
    pytest.param(b"42\n", ("line 1", "object"), id="a-json-number"),
    pytest.param(b"null\n", ("line 1", "object"), id="json-null"),
    pytest.param(b"{'id': 'c0'}\n", ("line 1", "JSON"), id="python-repr"),
    pytest.param(b'{"id": "c0", "account_id": "a", "messages": [], }\n', ("line 1", "JSON"), id="trailing-comma"),
    # messages
    pytest.param(jsonl(conv(0, messages="hello")), ("line 1", "'messages'", "list"), id="messages-a-string"),
    pytest.param(jsonl(conv(0, messages={"role": "user"})), ("'messages'",), id="messages-an-object"),
    pytest.param(jsonl(conv(0, messages=[])), ("'messages'", "at least one"), id="messages-empty"),
    pytest.param(jsonl(conv(0, messages=...)), ("'messages'",), id="messages-missing"),
    pytest.param(jsonl(conv(0, messages=None)), ("'messages'",), id="messages-null"),
    pytest.param(jsonl(conv(0, messages=["hello"])), ("'messages[0]'",), id="message-a-string"),
    pytest.param(jsonl(conv(0, messages=[None])), ("'messages[0]'",), id="message-null"),
    pytest.param(jsonl(message(role="bot")), ("'messages[0].role'", "'bot'"), id="role-unknown"),
    pytest.param(jsonl(message(role="USER")), ("'messages[0].role'",), id="role-upper-case"),
    pytest.param(jsonl(message(role=...)), ("'messages[0].role'",), id="role-missing"),
    pytest.param(jsonl(message(role=1)), ("'messages[0].role'",), id="role-a-number"),
    pytest.param(jsonl(message(role=["user"])), ("'messages[0].role'",), id="role-a-list"),
    pytest.param(jsonl(message(role=LONG)), ("'messages[0].role'", "left out"), id="role-5-mb-long"),
    pytest.param(jsonl(message(content=7)), ("'messages[0].content'", "int"), id="content-a-number"),
    pytest.param(jsonl(message(content=None)), ("'messages[0].content'",), id="content-null"),
    pytest.param(jsonl(message(content=...)), ("'messages[0].content'",), id="content-missing"),
    pytest.param(jsonl(message(content=[{"type": "text", "text": "hi"}])), ("'messages[0].content'",),
                 id="content-a-list-of-parts"),
    pytest.param(jsonl(message(content={"text": "hi"})), ("'messages[0].content'",), id="content-an-object"),
    # ids and other fields
    pytest.param(jsonl(conv(0, id=...)), ("line 1", "'id'", "missing"), id="id-missing"),
    pytest.param(jsonl(conv(0, id=None)), ("'id'",), id="id-null"),
    pytest.param(jsonl(conv(0, id="")), ("'id'",), id="id-empty"),
    pytest.param(jsonl(conv(0, id="   ")), ("'id'",), id="id-blank"),
    pytest.param(jsonl(conv(0, id=True)), ("'id'", "bool"), id="id-a-bool"),
    pytest.param(jsonl(conv(0, id=1.5)), ("'id'", "float"), id="id-a-float"),
    pytest.param(jsonl(conv(0, id=["c0"])), ("'id'",), id="id-a-list"),
    pytest.param(jsonl(conv(0, id="c\ud800")), ("'id'", "surrogate"), id="id-with-a-lone-surrogate"),
    pytest.param(jsonl(conv(0), conv(1), conv(0)), ("line 3", "'id'", "duplicate", "line 1"), id="id-duplicate"),
    pytest.param(jsonl(conv(0, id=LONG), conv(1, id=LONG)), ("line 2", "duplicate", "left out"),
                 id="id-duplicate-5-mb-long"),
    pytest.param(jsonl(conv(0, account_id=...)), ("'account_id'",), id="account-missing"),
    pytest.param(jsonl(conv(0, account_id=[1])), ("'account_id'",), id="account-a-list"),
    pytest.param(jsonl(conv(0, account_id="")), ("'account_id'",), id="account-empty"),
    pytest.param(jsonl(conv(0, model=3)), ("'model'",), id="model-a-number"),
    pytest.param(jsonl(conv(0, meta=[1, 2])), ("'meta'",), id="meta-a-list"),
    pytest.param(jsonl(conv(0), conv(1, messages=[{"role": "user", "content": 1}])), ("line 2",),
                 id="bad-second-line"),
    pytest.param(b'{"id": "c0", "id": "c1", "account_id": "a", "messages": [{"role": "user", "content": "x"}]}\n',
                 ("line 1", "'id'", "twice"), id="duplicate-key-id"),
    pytest.param(b'{"id": "c0", "account_id": "a", "messages": [{"role": "user", "content": "x", "content": "y"}]}\n',
                 ("line 1", "'content'", "twice"), id="duplicate-key-content"),
]


@pytest.mark.parametrize(("content", "mentions"), REFUSED_FILES)
def test_refused_input_file(env, tmp_path, content, mentions):
    outcome, out = env.classify(content, tmp_path, "refused")
    assert_clean_failure(outcome, rc=1, mentions=("refused.jsonl", *mentions))
    # refused before anything was written: no half-made run directory is left behind
    assert not (out / "facts.parquet").exists() and not (out / "facts.partial.jsonl").exists()


# ------------------------------------------------------------------------------------------ acceptable files

ACCEPTED_FILES = [
    pytest.param(b"\xef\xbb\xbf" + good(), id="utf-8-bom"),
    pytest.param(good(end="\r\n"), id="crlf-line-ends"),
    pytest.param(good(end="\r"), id="cr-line-ends"),
    pytest.param(b"\n\n" + good().replace(b"\n", b"\n  \n\t\n") + b"\n\n", id="blank-lines-between"),
    pytest.param(good()[:-1], id="no-newline-at-the-end"),
    pytest.param(jsonl(*(conv(i, extra_field={"kept": True}, model=None) for i in range(N_GOOD))),
                 id="unknown-fields-and-null-model"),
    pytest.param(jsonl(*(conv(i, messages=[{"role": "user", "content": "x" * 2_000_000}]) for i in range(N_GOOD))),
                 id="2-mb-messages"),
    pytest.param(jsonl(*(conv(i, messages=[{"role": "user", "content": "caf\u00e9 \u2603 \U0001f600 \u0000"}])
                         for i in range(N_GOOD))), id="non-ascii-and-nul-in-text"),
    pytest.param(jsonl(*(conv(i, messages=[{"role": "user", "content": ""}]) for i in range(N_GOOD))),
                 id="empty-user-text"),
    pytest.param(jsonl(*(conv(i, messages=[{"role": "assistant", "content": "hi"}]) for i in range(N_GOOD))),
                 id="no-user-message"),
]


@pytest.mark.parametrize("content", ACCEPTED_FILES)
def test_accepted_input_file(env, tmp_path, content):
    outcome, out = env.classify(content, tmp_path)
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == 0, outcome.stderr
    assert facts_ids(out) == [f"c{i}" for i in range(N_GOOD)]


def test_integer_ids_are_strings(env, tmp_path):
    outcome, out = env.classify(jsonl(*(conv(i, id=i) for i in range(3))), tmp_path)
    assert outcome.rc == 0, outcome.stderr
    assert facts_ids(out) == ["0", "1", "2"]


def test_lone_surrogate_in_a_message_is_replaced(env, tmp_path, caplog):
    """A lone surrogate (half an emoji cut by an exporter) is not text: it is replaced by U+FFFD, with a warning."""
    content = jsonl(*(conv(i, messages=[{"role": "user", "content": f"debug my code \ud83d {i}"}]) for i in range(3)))
    source = tmp_path / "surrogate.jsonl"
    source.write_bytes(content)
    out = tmp_path / "surrogate"
    argv = ["--data-dir", str(env.data), "classify", "--input", str(source), "--out", str(out), "--no-progress"]
    outcome = run_cli(argv)  # the default embedding backend: its tokenizer refused such text with a TypeError
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == 0, outcome.stderr
    assert facts_ids(out) == ["c0", "c1", "c2"]
    assert any("surrogate" in r.getMessage() and "line 1" in r.getMessage() for r in caplog.records)  # the warning


# ------------------------------------------------------------------------------------------ paths

def test_input_is_a_directory(env, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    assert_clean_failure(run_cli(env.argv(folder, tmp_path / "run")), rc=1, mentions=("a-folder",))


def test_input_missing(env, tmp_path):
    missing = tmp_path / "nope.jsonl"
    assert_clean_failure(run_cli(env.argv(missing, tmp_path / "missing-run")), rc=1, mentions=("nope.jsonl",))


def test_input_dev_null(env, tmp_path):
    assert_clean_failure(run_cli(env.argv("/dev/null", tmp_path / "null-run")), rc=1,
                         mentions=("no conversations",))


def test_input_symlink_is_followed(env, tmp_path):
    target = tmp_path / "target.jsonl"
    target.write_bytes(good())
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    outcome = run_cli(env.argv(link, tmp_path / "link-run"))
    assert outcome.rc == 0, outcome.stderr
    assert len(facts_ids(tmp_path / "link-run")) == N_GOOD


def test_input_dangling_symlink(env, tmp_path):
    link = tmp_path / "dangling.jsonl"
    link.symlink_to(tmp_path / "gone.jsonl")
    assert_clean_failure(run_cli(env.argv(link, tmp_path / "dangling-run")), rc=1, mentions=("dangling.jsonl",))


def test_input_symlink_loop(env, tmp_path):
    loop = tmp_path / "loop.jsonl"
    loop.symlink_to(loop)
    assert_clean_failure(run_cli(env.argv(loop, tmp_path / "loop-run")), rc=1, mentions=("loop.jsonl",))


def test_input_unreadable(env, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("running as root: chmod 000 does not stop root from reading the file")
    source = tmp_path / "locked.jsonl"
    source.write_bytes(good())
    source.chmod(0)
    try:
        assert_clean_failure(run_cli(env.argv(source, tmp_path / "locked-run")), rc=1, mentions=("locked.jsonl",))
    finally:
        source.chmod(0o644)


# ------------------------------------------------------------------------------------------ flags

BAD_FLAGS = [
    pytest.param(["--batch-size", "0"], ("--batch-size",), id="batch-size-0"),
    pytest.param(["--batch-size", "-1"], ("--batch-size",), id="batch-size-negative"),
    pytest.param(["--batch-size", "ten"], ("--batch-size",), id="batch-size-text"),
    pytest.param(["--max-concurrency", "-1"], ("--max-concurrency",), id="max-concurrency-negative"),
    pytest.param(["--max-concurrency", "0"], ("--max-concurrency",), id="max-concurrency-0"),
    pytest.param(["--timeout", "-5"], ("--timeout",), id="timeout-negative"),
    pytest.param(["--timeout", "nan"], ("--timeout",), id="timeout-nan"),
    pytest.param(["--release", "99"], ("--release", "99"), id="release-malformed"),
    pytest.param(["--release", "../../etc"], ("--release",), id="release-a-path"),
    pytest.param(["--backend", "foo:bar"], ("foo",), id="backend-unknown"),
    pytest.param(["--seed", "x"], ("--seed",), id="seed-text"),
]


@pytest.mark.parametrize(("extra", "mentions"), BAD_FLAGS)
def test_bad_flag(env, tmp_path, extra, mentions):
    outcome, out = env.classify(good(), tmp_path, "conv", *extra)
    assert_clean_failure(outcome, rc=2, mentions=mentions)
    assert not (out / "facts.parquet").exists()


SHAREGPT_SPECS = ["sharegpt:abc", "sharegpt:-5", "sharegpt:0", "sharegpt:", "sharegpt:1.5", "sharegpt: 3"]


@pytest.mark.parametrize("spec", SHAREGPT_SPECS)
def test_bad_sharegpt_count(env, tmp_path, spec):
    assert_clean_failure(run_cli(env.argv(spec, tmp_path / "sharegpt-run")), rc=2, mentions=("sharegpt:N",))


def test_release_that_is_not_there(env, tmp_path):
    outcome, _ = env.classify(good(), tmp_path, "conv", "--release", "99.9")
    assert_clean_failure(outcome, rc=1, mentions=("99.9",))


@pytest.mark.parametrize("text", ["{not json", "[]", ""], ids=["not-json", "an-array", "empty"])
def test_bad_hierarchy_file(env, tmp_path, text):
    hierarchy = tmp_path / "hierarchy.json"
    hierarchy.write_text(text)
    outcome, _ = env.classify(good(), tmp_path, "conv", "--hierarchy", str(hierarchy))
    assert_clean_failure(outcome, rc=1, mentions=("hierarchy.json",))


# ------------------------------------------------------------------------------------------ outputs

def test_out_names_a_file(env, tmp_path):
    target = tmp_path / "a-file"
    target.write_text("keep me")
    (tmp_path / "good.jsonl").write_bytes(good())
    assert_clean_failure(run_cli(env.argv(tmp_path / "good.jsonl", target)), rc=1, mentions=("a-file",))
    assert target.read_text() == "keep me"


def test_out_below_a_file(env, tmp_path):
    (tmp_path / "plain").write_text("x")
    (tmp_path / "good.jsonl").write_bytes(good())
    assert_clean_failure(run_cli(env.argv(tmp_path / "good.jsonl", tmp_path / "plain" / "run")), rc=1,
                         mentions=("plain",))


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_bad_input_into_a_finished_run_loses_nothing(env, tmp_path):
    outcome, out = env.classify(good(), tmp_path, "kept")
    assert outcome.rc == 0, outcome.stderr
    before = _digests(out)
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(good(3) + b"\xe9\n")
    for argv in (env.argv(broken, out), env.argv(tmp_path / "kept.jsonl", out, "--batch-size", "-1"),
                 env.argv("sharegpt:abc", out)):
        assert_clean_failure(run_cli(argv))
        assert _digests(out) == before


def test_out_on_a_read_only_file_system(env, tmp_path, read_only_dir):
    (tmp_path / "good.jsonl").write_bytes(good())
    outcome = run_cli(env.argv(tmp_path / "good.jsonl", read_only_dir / "run"))
    assert_clean_failure(outcome, rc=1, mentions=("Read-only file system",))


@pytest.fixture
def tiny_disk(env):
    """A 64 KiB tmpfs, or a skip where none can be mounted."""
    with mounted_tmpfs(env.root / "tiny-disk", "size=64k") as point:
        yield point


def test_disk_full_fails_cleanly_and_resumes(env, tiny_disk):
    many = jsonl(*(conv(i, messages=[{"role": "user", "content": "debug my program " * 20}]) for i in range(200)))
    source = env.root / "many.jsonl"
    source.write_bytes(many)
    out = tiny_disk / "run"
    outcome = run_cli(env.argv(source, out, "--batch-size", "5"))
    assert_clean_failure(outcome, rc=1, mentions=("No space left",))
    partial = out / "facts.partial.jsonl"
    kept = sum(1 for line in partial.read_bytes().split(b"\n")[:-1] if line.strip()) if partial.exists() else 0
    assert kept > 0  # batches written before the disk filled are still there
    remount = subprocess.run(["mount", "-o", "remount,size=16m", str(tiny_disk)], capture_output=True, check=False)
    if remount.returncode != 0:
        pytest.skip("cannot grow the tmpfs to check the resume")
    resumed = run_cli(env.argv(source, out, "--batch-size", "5"))
    assert resumed.rc == 0, resumed.stderr
    assert f"{kept} resumed" in resumed.stdout
    assert facts_ids(out) == [f"c{i}" for i in range(200)]
