"""Two blind raters, an adjudicator, the agreement dashboard, and an export that passes ``goldset check``."""

from __future__ import annotations

import json
import math

import pytest

from harness.cli import main
from harness.errors import InputError
from harness.evaluate import RaterLabel, load_goldset, rater_agreement, validate_goldset
from harness.label import (
    LabelStore,
    Workbench,
    agreement_summary,
    default_labels_dir,
    export_goldset,
    load_label_items,
)

CODE = {"occupational": True, "tasks": [101], "pattern": "directive", "confidence": "high"}
RECIPE = {"occupational": False, "tasks": [], "pattern": "learning", "confidence": "medium"}


def _label(bench: Workbench, item_id: str, draft: dict) -> dict:
    bench.save_draft(item_id, draft)
    return bench.commit(item_id)


@pytest.fixture
def session(items_file, mini_index):
    """alice and bob label three items each (disagreeing on one); returns (items, labels folder)."""
    items = load_label_items(goldset=items_file, onet_task_ids=mini_index.task_ids)
    labels = default_labels_dir(items_file)
    with LabelStore(labels, "alice") as store:
        alice = Workbench(items, store, mini_index)
        assert "errors" not in _label(alice, "item-c-code", CODE)
        assert "errors" not in _label(alice, "item-c-recipe", RECIPE)
        assert "errors" not in _label(alice, "item-c-sql", {**CODE, "tasks": [102, 101], "pattern": "validation"})
    with LabelStore(labels, "bob") as store:
        bob = Workbench(items, store, mini_index)
        assert bob.view("item-c-code")["others"] == []  # blind: nothing of alice's is shown
        _label(bob, "item-c-code", {**CODE, "confidence": "medium"})
        _label(bob, "item-c-recipe", RECIPE)
        _label(bob, "item-c-sql", {**CODE, "tasks": [301], "pattern": "directive"})
    return items, labels


def test_commit_applies_the_goldset_check(items_file, mini_index, tmp_path) -> None:
    items = load_label_items(goldset=items_file, onet_task_ids=mini_index.task_ids)
    with LabelStore(tmp_path / "labels", "carol") as store:
        bench = Workbench(items, store, mini_index)
        errors = _label(bench, "item-c-code", {**CODE, "tasks": []})["errors"]
        assert [e["field"] for e in errors] == ["tasks"]
        errors = _label(bench, "item-c-code", {**CODE, "tasks": [999999]})["errors"]
        assert "unknown O*NET Task ID" in errors[0]["message"]
        # notes that copy eight words of the conversation are refused, as goldset check refuses them
        copied = "my billing script crashes with a keyerror when a customer has no invoices"
        errors = _label(bench, "item-c-code", {**CODE, "notes": copied})["errors"]
        assert errors[0]["field"] == "notes" and "describe, do not copy" in errors[0]["message"]
        assert store.record("item-c-code")["committed"] is None
        # a non-occupational label is committed without the tasks the draft still lists; undo brings them back
        result = _label(bench, "item-c-code", {**RECIPE, "tasks": [101], "notes": "fixing an invoice bug"})
        assert result["record"]["committed"]["tasks"] == [] and result["record"]["draft"]["tasks"] == []
        undone = bench.undo("item-c-code")["record"]
        assert undone["committed"] is None and undone["draft"]["tasks"] == [101]


def test_agreement_figures(session, mini_index) -> None:
    items, labels = session
    with LabelStore(labels, "carol") as store:
        summary = Workbench(items, store, mini_index).dashboard()
    assert summary["progress"] == {"alice": 3, "bob": 3, "carol": 0}
    assert summary["n_multi"] == 3 and summary["disagreements"] == [] and summary["disagreements_hidden"]
    facets = {f["facet"]: f for f in summary["facets"]}
    expected = rater_agreement([["directive", "directive"], ["learning", "learning"], ["validation", "directive"]])
    assert facets["pattern"]["cohen_kappa"] == pytest.approx(expected.cohen_kappa, abs=1e-4)
    assert facets["pattern"]["percent_agreement"] == pytest.approx(2 / 3, abs=1e-4)
    assert facets["occupational"]["percent_agreement"] == 1.0
    # task overlap: code {101} vs {101} -> 1; sql {102, 101} vs {301} -> 0
    assert summary["task_overlap"] == pytest.approx(0.5) and summary["best_task_agreement"] == pytest.approx(0.5)
    assert summary["n_task_pairs"] == 2


def test_agreement_summary_without_pairs() -> None:
    label = RaterLabel("a", True, (1,), "directive", "high")
    summary = agreement_summary(1, {"i": {"a": label}}, task_soc={1: "15-1252.00"})
    assert summary.n_multi == 0 and math.isnan(summary.task_overlap)
    assert all(math.isnan(f.cohen_kappa) for f in summary.facets)


def test_adjudication_sees_both_and_links_what_it_resolves(session, mini_index) -> None:
    items, labels = session
    with LabelStore(labels, "judge") as store:
        judge = Workbench(items, store, mini_index, adjudicate=True)
        queue = judge.queue()
        assert [row["id"] for row in queue["items"]] == ["item-c-code", "item-c-recipe", "item-c-sql"]
        flags = {row["id"]: row["disagrees"] for row in queue["items"]}
        assert flags["item-c-sql"] == ["pattern", "major_group", "tasks"] and flags["item-c-code"] == []
        view = judge.view("item-c-sql")
        assert [o["rater"] for o in view["others"]] == ["alice", "bob"]
        assert {"101", "102", "301"} <= set(view["task_info"])
        assert judge.dashboard()["disagreements"] == [{"item": "item-c-sql", "facets": ["pattern", "major_group",
                                                                                        "tasks"]}]
        result = _label(judge, "item-c-sql", {**CODE, "tasks": [101]})
        assert result["record"]["resolves"] == ["alice", "bob"]
        dashboard = judge.dashboard()
    assert dashboard["adjudicated"] == ["item-c-sql"]
    assert dashboard["progress"]["judge"] == 1 and "judge" not in dashboard["raters"]  # left out of the figures


def test_export_passes_goldset_check(session, mini_index, mini_data, tmp_path, capsys) -> None:
    items, labels = session
    with LabelStore(labels, "judge") as store:
        _label(Workbench(items, store, mini_index, adjudicate=True), "item-c-sql", {**CODE, "tasks": [101]})
    out = tmp_path / "gold.jsonl"
    summary = export_goldset(items, labels, out, onet_task_ids=mini_index.task_ids)
    assert (summary.n_items, summary.n_unlabelled, summary.n_labels) == (3, 3, 7)
    assert summary.raters == ("alice", "bob", "judge") and summary.n_adjudicated == 1
    assert validate_goldset(out, onet_task_ids=mini_index.task_ids) == []
    gold = {item.id: item for item in load_goldset(out, onet_task_ids=mini_index.task_ids)}
    assert gold["item-c-sql"].raters == ("alice", "bob", "judge")  # the adjudicated label last
    assert gold["item-c-sql"].sample["adjudication"] == {"rater": "judge", "resolves": ["alice", "bob"]}
    assert gold["item-c-code"].conversation.messages == items[0].conversation.messages
    # the same through the command line, then `harness goldset check` on its output
    cli_out = tmp_path / "cli-gold.jsonl"
    data = ["--data-dir", str(mini_data)]
    assert main([*data, "label", "export", "--goldset", str(labels.with_name("queue.jsonl")),
                 "--out", str(cli_out)]) == 0
    assert "wrote 3 labelled items (7 labels from alice, bob, judge raters; 1 adjudicated)" in capsys.readouterr().out
    assert main([*data, "goldset", "check", str(cli_out)]) == 0
    assert main([*data, "label", "export", "--goldset", str(labels.with_name("queue.jsonl")), "--out",
                 str(cli_out)]) == 1  # exists
    assert "pass --force" in capsys.readouterr().err


def test_labels_never_attach_to_another_conversation(session, mini_index, tmp_path) -> None:
    _, labels = session
    changed = tmp_path / "changed.jsonl"
    lines = [json.loads(line) for line in labels.with_name("queue.jsonl").read_text().splitlines()]
    lines[0]["conversation"]["messages"][0]["content"] = "A different request altogether."
    changed.write_text("".join(json.dumps(obj) + "\n" for obj in lines))
    other = load_label_items(goldset=changed)
    with pytest.raises(InputError, match="different conversation"):
        export_goldset(other, labels, tmp_path / "gold.jsonl")
    with LabelStore(labels, "alice") as store, pytest.raises(InputError, match="different conversation"):
        Workbench(other, store, mini_index)


def test_a_conversations_file_is_labelled_and_exported_too(mini_index, mini_data, tmp_path, capsys) -> None:
    from ._support import CONVERSATIONS

    items = load_label_items(conversations=CONVERSATIONS, test_fraction=0.5)
    assert [item.id for item in items][:2] == ["c-code", "c-xss"]
    assert items == load_label_items(conversations=CONVERSATIONS, test_fraction=0.5)  # splits fixed by the ids
    assert {item.split for item in load_label_items(conversations=CONVERSATIONS, test_fraction=1.0)} == {"test"}
    labels = tmp_path / "labels"
    with LabelStore(labels, "alice") as store:
        _label(Workbench(items, store, mini_index), "c-email", {**CODE, "tasks": [301]})
    out = tmp_path / "gold.jsonl"
    assert main(["--data-dir", str(mini_data), "label", "export", "--conversations", str(CONVERSATIONS), "--labels",
                 str(labels), "--out", str(out)]) == 0
    assert "wrote 1 labelled items" in capsys.readouterr().out
    (item,) = load_goldset(out, onet_task_ids=mini_index.task_ids)
    assert item.id == "c-email" and item.conversation.account_id == "acct-6"


def test_labels_of_the_items_file_are_kept_and_hidden(items_file, mini_index, tmp_path) -> None:
    lines = [json.loads(line) for line in items_file.read_text().splitlines()]
    lines[0]["labels"] = [{"rater": "rater-a", **CODE}]
    items_file.write_text("".join(json.dumps(obj) + "\n" for obj in lines))
    items = load_label_items(goldset=items_file, onet_task_ids=mini_index.task_ids)
    labels = default_labels_dir(items_file)
    with LabelStore(labels, "alice") as store:
        bench = Workbench(items, store, mini_index)
        assert bench.view("item-c-code")["record"] is None and bench.view("item-c-code")["others"] == []
        _label(bench, "item-c-code", RECIPE)
    summary = export_goldset(items, labels, tmp_path / "gold.jsonl", onet_task_ids=mini_index.task_ids)
    assert summary.n_items == 1 and summary.raters == ("rater-a", "alice")
