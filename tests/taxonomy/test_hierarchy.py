from __future__ import annotations

import json

import pytest

from harness.errors import InputError
from harness.taxonomy import Hierarchy, Node


def _tiny() -> Hierarchy:
    nodes = [
        Node("a", "top", "A"),
        Node("b", "top", "B"),
        Node("a1", "mid", "A1", parent="a"),
        Node("b1", "mid", "B1", parent="b"),
        Node("x", "base", "X", parent="a1", alternates=("b1",), meta={"task_ids": [1]}),
        Node("y", "base", "Y", parent="b1"),
    ]
    return Hierarchy(("top", "mid", "base"), nodes, name="tiny", metadata={"seed": 0})


def test_navigation():
    h = _tiny()
    assert [n.id for n in h.roots()] == ["a", "b"]
    assert [n.id for n in h.children("a")] == ["a1"]
    assert [n.id for n in h.ancestors("x")] == ["a1", "a"]
    assert h.path("x") == ("a", "a1", "x")
    assert h.at_level("x", "top") == "a"
    assert h.acceptable_at_level("x", "mid") == {"a1", "b1"}
    assert h.acceptable_at_level("x", "top") == {"a", "b"}
    assert h.acceptable_at_level("y", "top") == {"b"}
    assert h.sizes() == {"top": 2, "mid": 2, "base": 2}
    with pytest.raises(KeyError):
        h["nope"]


def test_id_derives_from_content_not_metadata():
    h = _tiny()
    same = Hierarchy(h.levels, list(h), name="tiny", metadata={"seed": 99, "build_seconds": 3})
    assert same.id == h.id
    renamed = [Node(n.id, n.level, n.name + "!" if n.id == "y" else n.name, n.description, n.parent,
                    n.alternates, n.meta) for n in h]
    assert Hierarchy(h.levels, renamed, name="tiny").id != h.id


def test_json_round_trip_is_stable(tmp_path):
    h = _tiny()
    path = h.save(tmp_path / "h.json")
    loaded = Hierarchy.load(path)
    assert loaded.id == h.id
    assert loaded.to_json() == h.to_json()
    assert dict(loaded["x"].meta) == {"task_ids": [1]}
    assert path.read_text() == loaded.save(tmp_path / "again.json").read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_edited_file_is_rejected(tmp_path):
    path = _tiny().save(tmp_path / "h.json")
    data = json.loads(path.read_text())
    data["nodes"][0]["name"] = "changed"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="does not match the content"):
        Hierarchy.load(path)


def test_invalid_trees_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="duplicate node id"):
        Hierarchy(("top",), [Node("a", "top", "A"), Node("a", "top", "A")])
    with pytest.raises(ValueError, match="is not a 'top' node"):
        Hierarchy(("top", "mid"), [Node("a", "top", "A"), Node("m", "mid", "M", parent="zzz")])
    with pytest.raises(ValueError, match="unknown level"):
        Hierarchy(("top",), [Node("a", "middle", "A")])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="line 1"):
        Hierarchy.load(bad)


def test_base_for_task_ids():
    assert _tiny().base_for_task_ids() == {1: "x"}
    assert Hierarchy(("top",), [Node("a", "top", "A")]).base_for_task_ids() == {}
