"""Label storage: one file per rater, atomic rewrites, undo, the per-rater lock, and a SIGKILLed server."""

from __future__ import annotations

import json
import os

import pytest

from harness.errors import InputError
from harness.label import LabelStore, RaterBusyError, check_rater, rater_file, read_label_file, read_label_files

from ._support import Server

LABEL = {"rater": "alice", "occupational": True, "tasks": [101], "pattern": "directive", "confidence": "high"}
DRAFT = {"occupational": True, "tasks": [101], "pattern": "directive", "confidence": "", "notes": ""}


def test_every_change_is_on_disk_at_once(tmp_path) -> None:
    with LabelStore(tmp_path, "alice") as store:
        store.save_draft("i-1", DRAFT, conversation_sha256="h1")
        on_disk = read_label_file(store.path)
        assert on_disk["records"]["i-1"]["draft"]["tasks"] == [101]
        store.commit("i-1", LABEL, conversation_sha256="h1")
        assert read_label_file(store.path)["records"]["i-1"]["committed"] == LABEL
    assert not list(tmp_path.glob("*.tmp"))  # no temporary file is left behind


def test_a_failed_write_leaves_the_previous_file_whole(tmp_path, monkeypatch) -> None:
    with LabelStore(tmp_path, "alice") as store:
        store.commit("i-1", LABEL, conversation_sha256="h1")
        before = store.path.read_bytes()

        def broken_replace(src, dst):
            raise OSError("disk full")

        monkeypatch.setattr(os, "replace", broken_replace)
        with pytest.raises(OSError, match="disk full"):
            store.commit("i-2", LABEL, conversation_sha256="h2")
        monkeypatch.undo()
        assert store.path.read_bytes() == before
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_undo_walks_back_one_change_of_the_item(tmp_path) -> None:
    with LabelStore(tmp_path, "alice") as store:
        store.save_draft("i-1", {**DRAFT, "pattern": "learning"}, conversation_sha256="h1")
        store.save_draft("i-2", DRAFT, conversation_sha256="h2")
        store.save_draft("i-1", {**DRAFT, "pattern": "validation"}, conversation_sha256="h1")
        store.save_draft("i-1", {**DRAFT, "pattern": "validation"}, conversation_sha256="h1")  # no change: no step
        assert store.undo("i-1")["draft"]["pattern"] == "learning"
        assert store.record("i-2")["draft"] == DRAFT  # another item's change is untouched
        assert store.undo("i-1") is None and store.record("i-1") is None
        with pytest.raises(KeyError):
            store.undo("i-1")
        assert read_label_file(store.path)["records"].keys() == {"i-2"}


def test_two_raters_never_share_a_file(tmp_path) -> None:
    with LabelStore(tmp_path, "alice") as alice, LabelStore(tmp_path, "bob") as bob:
        assert alice.path != bob.path
        alice.commit("i-1", LABEL, conversation_sha256="h1")
        bob.commit("i-1", {**LABEL, "rater": "bob", "pattern": "learning"}, conversation_sha256="h1")
    files = read_label_files(tmp_path)
    assert files["alice"]["i-1"]["committed"]["pattern"] == "directive"
    assert files["bob"]["i-1"]["committed"]["pattern"] == "learning"
    # a name differing only in case maps to the same file, which records its owner: refused
    with pytest.raises(InputError, match="belongs to rater 'alice'"):
        LabelStore(tmp_path, "Alice")
    assert rater_file(tmp_path, "Alice") == rater_file(tmp_path, "alice")


def test_one_rater_one_server(tmp_path) -> None:
    with LabelStore(tmp_path, "alice"), pytest.raises(RaterBusyError, match="already being served"):
        LabelStore(tmp_path, "alice")
    with LabelStore(tmp_path, "alice"):  # released on close
        pass


@pytest.mark.parametrize("name", ["", "../etc", "a/b", "majority", "-x", "x" * 65, "é"])
def test_rater_names_that_cannot_name_a_file_are_refused(name) -> None:
    with pytest.raises(ValueError):
        check_rater(name)


def test_a_label_file_of_another_kind_is_refused(tmp_path) -> None:
    path = rater_file(tmp_path, "alice")
    path.write_text(json.dumps({"schema": "something-else"}))
    with pytest.raises(InputError, match="not a label file"):
        LabelStore(tmp_path, "alice")
    path.write_text("{not json")
    with pytest.raises(InputError, match="cannot read label file"):
        read_label_file(path)


def _commit(server: Server, item: str, draft: dict) -> None:
    status, body = server.request("PUT", f"/api/items/{item}/draft", draft)
    assert status == 200, body
    status, body = server.request("POST", f"/api/items/{item}/commit", {})
    assert status == 200, body


def test_sigkill_loses_no_committed_label(items_file, mini_data, tmp_path) -> None:
    args = ["--goldset", str(items_file), "--rater", "alice"]
    with Server(args, data_dir=mini_data) as server:
        _commit(server, "item-c-code", {"occupational": True, "tasks": [101], "pattern": "directive",
                                        "confidence": "high"})
        _commit(server, "item-c-recipe", {"occupational": False, "tasks": [], "pattern": "learning",
                                          "confidence": "medium"})
        status, _ = server.request("PUT", "/api/items/item-c-sql/draft", {"occupational": True, "tasks": [101]})
        assert status == 200
        server.kill()  # SIGKILL right after the last acknowledged change
    with Server(args, data_dir=mini_data) as server:  # the lock died with the process: restart works at once
        status, queue = server.request("GET", "/api/queue")
        assert status == 200
        by_id = {row["id"]: row["status"] for row in queue["items"]}
        assert by_id["item-c-code"] == by_id["item-c-recipe"] == "committed"
        assert by_id["item-c-sql"] == "draft"
        _, item = server.request("GET", "/api/items/item-c-code")
        assert item["record"]["committed"]["tasks"] == [101]
        _, sql = server.request("GET", "/api/items/item-c-sql")
        assert sql["record"]["draft"]["tasks"] == [101] and sql["record"]["committed"] is None
    files = read_label_files(items_file.with_name("queue.labels"))
    assert set(files) == {"alice"}
