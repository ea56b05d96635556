"""What the conversation readers do with text that is not plain UTF-8 JSON: byte-order marks, other encodings,
odd line ends, lone surrogates, NUL bytes, duplicate keys and absurd nesting."""

from __future__ import annotations

import json
import logging

import pytest

from harness.conversations import Message, ReadReport, iter_sharegpt, read_jsonl, sample_sharegpt
from harness.conversations._types import has_lone_surrogate
from harness.errors import InputError


def record(i: int, content: str = "hello") -> dict:
    return {"id": f"c{i}", "account_id": "a", "messages": [{"role": "user", "content": content}]}


def lines(*records, end: str = "\n") -> bytes:
    return "".join(json.dumps(r) + end for r in records).encode("utf-8")


def test_message_replaces_lone_surrogates_and_keeps_real_characters():
    message = Message("user", "half \ud83d of an emoji, a whole one \U0001f600, a low half \udc00")
    assert message.content == "half \ufffd of an emoji, a whole one \U0001f600, a low half \ufffd"
    message.content.encode("utf-8")  # valid Unicode now
    assert not has_lone_surrogate(message.content) and has_lone_surrogate("\ud800")


def test_jsonl_repairs_surrogates_in_text_and_says_where(tmp_path, caplog):
    path = tmp_path / "c.jsonl"
    path.write_bytes(lines(record(0), record(1, "cut \ud83d"), record(2, "\udfff")))
    report = ReadReport()
    with caplog.at_level(logging.WARNING):
        convs = read_jsonl(path, report=report)
    assert [c.messages[0].content for c in convs] == ["hello", "cut \ufffd", "\ufffd"]
    assert report.repaired == 2 and report.first_repair == "line 2, messages[0].content"
    assert any("2 message(s)" in r.getMessage() and "line 2" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("field", ["id", "account_id", "model"])
def test_jsonl_refuses_surrogates_in_identifiers(tmp_path, field):
    path = tmp_path / "c.jsonl"
    path.write_bytes(lines({**record(0), field: "x\ud800"}))
    with pytest.raises(InputError, match="surrogate") as err:
        read_jsonl(path)
    assert err.value.line == 1 and err.value.field == field


@pytest.mark.parametrize("end", ["\r\n", "\r", "\n"])
def test_jsonl_line_ends_and_utf8_bom(tmp_path, end):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + lines(record(0), record(1), end=end))
    assert [c.id for c in read_jsonl(path)] == ["c0", "c1"]


@pytest.mark.parametrize(("encoding", "match"), [("utf-16", "UTF-16"), ("utf-32", "UTF-32"),
                                                  ("utf-16-le", "NUL bytes")])
def test_jsonl_other_encodings_are_named(tmp_path, encoding, match):
    path = tmp_path / "c.jsonl"
    path.write_bytes(lines(record(0)).decode().encode(encoding))
    with pytest.raises(InputError, match=match):
        read_jsonl(path)


def test_jsonl_bad_utf8_line_is_skippable(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(lines(record(0)) + b'{"id": "caf\xe9"}\n' + lines(record(2)))
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_jsonl(path)
    assert err.value.line == 2
    report = ReadReport()
    assert [c.id for c in read_jsonl(path, on_error="skip", report=report)] == ["c0", "c2"]
    assert report.skipped == {"invalid": 1}


def test_jsonl_deep_nesting_and_duplicate_keys(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    with pytest.raises(InputError, match="nested too deeply"):
        read_jsonl(path)
    path.write_bytes(b'{"id": "a", "id": "b", "account_id": "x", "messages": [{"role": "user", "content": "y"}]}\n')
    with pytest.raises(InputError, match="twice") as err:
        read_jsonl(path)
    assert err.value.field == "id"


def test_jsonl_echoed_values_are_cut(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_bytes(lines({**record(0), "messages": [{"role": "r" * 1_000_000, "content": "x"}]}))
    with pytest.raises(InputError) as err:
        read_jsonl(path)
    assert len(str(err.value)) < 500 and "left out" in str(err.value)


def test_sharegpt_source_in_utf16_or_deeply_nested(tmp_path):
    source = tmp_path / "s.json"
    source.write_bytes("[]".encode("utf-16"))
    with pytest.raises(InputError, match="UTF-16"):
        list(iter_sharegpt(source=source))
    source.write_bytes(b"[" * 100_000)
    with pytest.raises(InputError, match="nested too deeply"):
        list(iter_sharegpt(source=source))


def test_sharegpt_utf8_bom_and_surrogates(tmp_path):
    records = [{"id": "a_0", "conversations": [{"from": "human", "value": "explain \ud83d this"}]}]
    source = tmp_path / "s.json"
    source.write_bytes(b"\xef\xbb\xbf" + json.dumps(records).encode())
    report = ReadReport()
    convs = list(iter_sharegpt(source=source, report=report))
    assert convs[0].messages[0].content == "explain \ufffd this" and report.repaired == 1


def test_sample_says_why_too_few_conversations_passed(tmp_path):
    source = tmp_path / "s.json"
    source.write_text("[1, 2, 3]")
    with pytest.raises(ValueError, match=r"only 0 conversations pass the filters \(malformed 3 left out\)"):
        sample_sharegpt(1, seed=0, source=source)
