from __future__ import annotations

from harness.taxonomy import Hierarchy, build_work_activity_hierarchy, load_onet


def test_every_statement_has_one_home(onet_release, wa_hierarchy):
    h = wa_hierarchy
    assert h.sizes() == {"top": 37, "mid": 332, "base": len(onet_release.statements)}
    base = h.level_nodes("base")
    covered = sorted(t for n in base for t in n.meta["task_ids"])
    assert covered == sorted(onet_release.tasks["task_id"])  # every Task ID reachable, none twice
    for node in base:
        path = h.path(node.id)
        assert len(path) == 3
        assert [h[p].level for p in path] == ["top", "mid", "base"]
        assert node.parent not in node.alternates


def test_rules_are_applied(onet_release, wa_hierarchy):
    base = wa_hierarchy.level_nodes("base")
    placed = [n for n in base if n.meta.get("placed_by") == "tfidf-nearest-iwa"]
    unlinked_ids = set(onet_release.tasks["task_id"]) - set(onet_release.task_dwas["task_id"])
    # statements whose every Task ID lacks a DWA link are exactly the placed ones
    assert {t for n in placed for t in n.meta["task_ids"]} <= unlinked_ids
    assert 250 <= len(placed) <= 301
    with_alternates = [n for n in base if n.alternates]
    assert 3000 < len(with_alternates) < 3600
    # the primary parent holds at least as many DWA links as any alternate
    links = onet_release.task_dwas.groupby("task_id")["iwa_id"].value_counts()
    for node in with_alternates[:200]:
        counts = {}
        for task_id in node.meta["task_ids"]:
            if task_id in links.index.get_level_values(0):
                for iwa, c in links.loc[task_id].items():
                    counts[f"iwa:{iwa}"] = counts.get(f"iwa:{iwa}", 0) + c
        assert counts[node.parent] == max(counts.values())


def test_no_empty_parents(wa_hierarchy):
    for level in ("top", "mid"):
        for node in wa_hierarchy.level_nodes(level):
            assert wa_hierarchy.children(node.id), node.id


def test_round_trip_of_real_hierarchy(wa_hierarchy, tmp_path):
    loaded = Hierarchy.load(wa_hierarchy.save(tmp_path / "wa.json"))
    assert loaded.id == wa_hierarchy.id
    assert loaded.acceptable_at_level("task:8823", "top") == wa_hierarchy.acceptable_at_level("task:8823", "top")


def test_deterministic(mini_onet_dir):
    release = load_onet(mini_onet_dir)
    assert build_work_activity_hierarchy(release).id == build_work_activity_hierarchy(release).id

