"""Offline Clio-style build (no model) on the full O*NET 29.3 release, with the fast TF-IDF + SVD vectoriser."""

from __future__ import annotations

from collections import Counter

import pytest

from harness.clio import ClioConfig, TfidfSvdVectoriser, build_clio_hierarchy, diff_hierarchies, hierarchy_stats
from harness.taxonomy import Hierarchy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def offline(onet_release):
    config = ClioConfig(levels=3, top=12, seed=0, threads=1)
    return build_clio_hierarchy(onet_release, config=config, vectoriser=TfidfSvdVectoriser(seed=0))


def test_every_task_has_exactly_one_parent(offline, onet_release):
    h = offline
    base = h.level_nodes("base")
    assert len(base) == len(onet_release.statements) == 17_535
    covered = Counter(t for n in base for t in n.meta["task_ids"])
    assert sorted(covered) == sorted(onet_release.tasks["task_id"]) and max(covered.values()) == 1
    for node in base:
        assert node.parent is not None and h[node.parent].level == "mid"
        assert node.id == f"task:{min(node.meta['task_ids'])}"
    for node in h.level_nodes("mid"):
        assert h[node.parent].level == "top"


def test_no_empty_parents_and_sizes_within_tolerance(offline):
    h = offline
    stats = hierarchy_stats(h)
    assert stats.empty_parents == 0
    targets = h.metadata["level_targets"]
    assert targets == {"top": 12, "mid": 459, "base": 17_535}
    for level, size in h.sizes().items():
        assert abs(size - targets[level]) <= h.metadata["tolerance"] * targets[level]
    assert all(h.metadata["within_tolerance"].values())
    mid = next(s for s in stats.levels if s.level == "mid")
    assert mid.children_min >= 1 and mid.children_mean == pytest.approx(17_535 / h.sizes()["mid"], rel=1e-3)


def test_offline_is_labelled_and_names_come_from_members(offline, onet_release):
    h = offline
    assert h.metadata["builder"] == "clio-offline" and h.metadata["offline"] is True
    assert h.metadata["models"] == {"embedding": "tfidf-svd-128", "llm": None}
    assert h.id.startswith("clio-offline-29.3-")
    statements = set(onet_release.statements["statement"])
    for node in h.level_nodes("mid") + h.level_nodes("top"):
        assert node.name.startswith("[offline] ")
        assert node.meta["named_by"] == "offline" and len(node.meta["terms"]) >= 1
        central = h[node.meta["central_statement"]]
        # the central statement is one of the node's own base tasks, and its text leads the name
        assert node.id in h.path(central.id)
        assert central.name in statements
        assert node.name.removeprefix("[offline] ").startswith(central.name.rstrip(". "))
    assert "Grouped without a language model" in h.level_nodes("top")[0].description


def test_round_trip_and_determinism(offline, onet_release, tmp_path):
    path = offline.save(tmp_path / "clio.json")
    assert Hierarchy.load(path).id == offline.id
    # same seed, same result on a subset (the full release is covered by the fixture above)
    config = ClioConfig(levels=3, top=8, seed=3, sample=1500, threads=1)
    first = build_clio_hierarchy(onet_release, config=config)
    second = build_clio_hierarchy(onet_release, config=config)
    assert first.id == second.id
    other = build_clio_hierarchy(onet_release, config=ClioConfig(levels=3, top=8, seed=4, sample=1500, threads=1))
    assert other.id != first.id


def test_offline_against_the_work_activity_hierarchy(offline, wa_hierarchy):
    diff = diff_hierarchies(wa_hierarchy, offline, sample=3)
    assert diff.base_shared == 17_535 and diff.base_only_a == diff.base_only_b == 0
    mid, top = diff.levels
    assert (mid.level_a, mid.level_b, top.level_a, top.level_b) == ("mid", "mid", "top", "top")
    # two independent groupings: related (positive agreement) but far from identical
    assert 0.0 < mid.adjusted_rand < 0.9 and 0 < mid.moved < 17_535
    assert len(diff.sample) == 3 and all(s.children for s in diff.sample)
