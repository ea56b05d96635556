"""Level sizes, options, answer parsers, offline naming rules, stats and diff on hand-made hierarchies."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

from harness.clio import (
    ClioConfig,
    DryRunLLM,
    TfidfSvdVectoriser,
    clio_level_names,
    clio_level_sizes,
    diff_hierarchies,
    hierarchy_stats,
    make_vectoriser,
    plan_clio_build,
)
from harness.clio._offline import compact_labels, distinctive_terms, group_offline, seeded_kmeans
from harness.clio._prompts import (
    Candidate,
    format_assign_many,
    parse_assign,
    parse_assign_many,
    parse_candidates,
    parse_named,
)
from harness.taxonomy import Hierarchy

FIXTURES = Path(__file__).parents[1] / "fixtures" / "clio"


@pytest.mark.parametrize(
    ("n", "top", "levels", "expected"),
    [
        (17_535, 12, 3, (12, 459, 17_535)),  # sqrt(17535 * 12) = 458.7
        (19_530, 12, 3, (12, 484, 19_530)),  # the paper's base count: 474 mid there, within 3%
        (300, 6, 3, (6, 42, 300)),
        (1000, 10, 4, (10, 46, 215, 1000)),
        (100, 10, 2, (10, 100)),
        (20, 12, 4, (12, 14, 17, 20)),
        (6, 2, 5, (2, 3, 4, 5, 6)),  # crowded: every level still strictly between its neighbours
    ],
)
def test_level_sizes_are_geometric(n, top, levels, expected):
    sizes = clio_level_sizes(n, top, levels)
    assert sizes == expected
    assert all(a < b for a, b in itertools.pairwise(sizes))


def test_level_sizes_reject_impossible_requests():
    for args in ((10, 10, 3), (10, 0, 3), (10, 3, 1), (5, 3, 5)):
        with pytest.raises(ValueError):
            clio_level_sizes(*args)


def test_level_names():
    assert clio_level_names(2) == ("top", "base")
    assert clio_level_names(3) == ("top", "mid", "base")
    assert clio_level_names(5) == ("top", "mid1", "mid2", "mid3", "base")
    with pytest.raises(ValueError):
        clio_level_names(1)


@pytest.mark.parametrize(
    "bad",
    [{"levels": 1}, {"top": 0}, {"tolerance": 1.0}, {"overshoot": 0.5}, {"offline_method": "spectral"},
     {"sample": 1}, {"duplicate_similarity": 0.0}, {"assign_options": 0}, {"threads": 0}, {"contrast_items": -1},
     {"assign_batch": 0}],
)
def test_config_checks_options(bad):
    with pytest.raises(ValueError):
        ClioConfig(**bad)


def test_parse_assign():
    assert parse_assign("<answer>3</answer>", 5) == 2
    assert parse_assign("  4 ", 5) == 3
    assert parse_assign("I pick <answer> 1 </answer> because", 5) == 0
    for bad in ("<answer>0</answer>", "<answer>6</answer>", "<answer>1</answer><answer>2</answer>", "three", ""):
        assert parse_assign(bad, 5) is None


def test_batched_assignment_prompt_and_answers():
    prompt = format_assign_many(["Cook meals", "Fix brakes"], [[2, 1], [3, 1]], ["Food work", "Other", "Cars"],
                                retry=False)
    assert "1. Food work\n2. Other\n3. Cars" in prompt
    assert "Task 1: Cook meals\nOptions: 2, 1\nTask 2: Fix brakes\nOptions: 3, 1" in prompt
    options = [[2, 1], [3, 1], [1, 2]]
    text = ('<answer task="1">1</answer>\n<answer task=2>2</answer>\n'  # task 2 names a number not its own
            '<answer task="3">2</answer><answer task="3">1</answer>')  # task 3 answers twice
    assert parse_assign_many(text, options) == {0: 1}
    assert parse_assign_many("<ANSWER TASK='2'> 3 </ANSWER>", options) == {1: 3}
    assert parse_assign_many("no answers", options) == {}


def test_seeded_kmeans_is_deterministic_and_finds_planted_groups():
    rng = np.random.default_rng(1)
    centres = rng.normal(size=(6, 8))
    points = np.concatenate([c + 0.05 * rng.normal(size=(15, 8)) for c in centres]).astype(np.float32)
    labels = seeded_kmeans(points, 6, seed=3, n_init=2)
    assert labels.tolist() == seeded_kmeans(points, 6, seed=3, n_init=2).tolist()
    assert all(len(set(labels[i * 15:(i + 1) * 15])) == 1 for i in range(6)) and len(set(labels)) == 6


def test_parse_named_and_candidates():
    assert parse_named("<name> Cook  food </name><description>Meals\n and snacks</description>") == Candidate(
        "Cook food", "Meals and snacks")
    assert parse_named("<name>Only a name</name>") == Candidate("Only a name", "")
    for bad in ("no tags", "<name></name>", "<name>a</name><name>b</name>", f"<name>{'x' * 200}</name>"):
        assert parse_named(bad) is None
    text = ("<candidate><name>A</name></candidate> junk <candidate><description>no name</description></candidate>"
            "<candidate><name>B</name><description>d</description></candidate>"
            "<candidate><name>C</name></candidate>")
    assert parse_candidates(text, limit=2) == [Candidate("A"), Candidate("B", "d")]
    assert parse_candidates("nothing here", limit=3) is None


def test_offline_grouping_fills_every_group():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8))
    points = np.concatenate([c + 0.05 * rng.normal(size=(20, 8)) for c in centres])
    for method in ("agglomerative", "kmeans"):
        labels, used = group_offline(points, 5, method=method, seed=0)
        assert used == method and sorted(set(labels)) == list(range(5))
        # the five planted blobs are recovered exactly
        assert all(len(set(labels[i * 20:(i + 1) * 20])) == 1 for i in range(5))
    labels, used = group_offline(points[:10], 50, method="auto", seed=0)
    assert used == "agglomerative" and sorted(set(labels)) == list(range(10))  # k capped at n
    assert compact_labels(np.array([7, 7, 3, 9, 3])).tolist() == [0, 0, 1, 2, 1]


def test_distinctive_terms_prefer_what_sets_a_group_apart():
    docs = ["cook food cook meals kitchen food", "repair engines repair brakes engines", "food engines"]
    terms = distinctive_terms(docs)
    assert terms[0][0] == "cook" and terms[1][0] == "repair"
    assert distinctive_terms(["the and of", "to be"]) == [[], []]


def test_tfidf_vectoriser_is_unit_and_fitted_once():
    v = TfidfSvdVectoriser(dimension=4, seed=0)
    base = v.encode(["cook food in a kitchen", "repair car engines", "cook meals", "repair brakes"])
    assert base.shape == (4, 4) and np.allclose(np.linalg.norm(base, axis=1), 1.0, atol=1e-5)
    later = v.encode(["cook", "zzzz unknown"])  # transform only; an unknown word still gets a unit vector
    assert np.allclose(np.linalg.norm(later, axis=1), 1.0, atol=1e-5)
    assert float(later[0] @ base[0]) > float(later[0] @ base[1])
    assert make_vectoriser("tfidf").name == "tfidf-svd-128"
    with pytest.raises(ValueError):
        make_vectoriser("word2vec")
    with pytest.raises(ValueError, match="no runtime"):
        make_vectoriser("tfidf", runtime="onnx-int8")
    with pytest.raises(ValueError, match="unknown embedding runtime"):
        make_vectoriser("minilm", runtime="tensorrt")  # type: ignore[arg-type]


def test_dry_run_counts_calls_without_a_model(onet_release):
    plan = plan_clio_build(onet_release, model="claude-haiku-4-5",
                           config=ClioConfig(levels=3, top=5, sample=200, threads=1), vectoriser=TfidfSvdVectoriser())
    assert plan.level_targets == {"top": 5, "mid": 32, "base": 200}
    # children are placed 25 per call on each level (200 base + the mid nodes), no retries with valid answers
    assert 200 // 25 < plan.calls["assign"] <= 200 // 25 + math.ceil(1.25 * plan.level_targets["mid"] / 25)
    one_by_one = plan_clio_build(onet_release, model="claude-haiku-4-5", vectoriser=TfidfSvdVectoriser(),
                                 config=ClioConfig(levels=3, top=5, sample=200, threads=1, assign_batch=1))
    assert one_by_one.calls["assign"] >= 200 + 0.75 * 32
    assert plan.usage["assign"].input_tokens < 0.5 * one_by_one.usage["assign"].input_tokens
    assert plan.calls["propose"] == round(200 / 40) + 1
    assert plan.total_usage.input_tokens > 0 and plan.total_usage.output_tokens > 0
    assert plan.cost_usd is not None and plan.cost_usd > 0
    assert DryRunLLM().backend == "dry-run"


def test_stats_on_hand_made_hierarchy():
    stats = hierarchy_stats(Hierarchy.load(FIXTURES / "tiny_a.json"))
    top, mid, base = stats.levels
    assert (top.nodes, mid.nodes, base.nodes) == (2, 4, 8)
    assert (top.children_min, top.children_max, top.empty) == (2, 2, 0)
    assert (mid.children_min, mid.children_max, mid.empty, mid.children_median) == (0, 3, 1, 2.5)
    assert stats.empty_parents == 1 and top.base_per_node_median == 4.0


def test_diff_on_hand_made_hierarchies():
    a, b = Hierarchy.load(FIXTURES / "tiny_a.json"), Hierarchy.load(FIXTURES / "tiny_b.json")
    diff = diff_hierarchies(a, b, sample=10)
    assert (diff.base_shared, diff.base_only_a, diff.base_only_b) == (7, 1, 1)
    mid, top = diff.levels
    assert (mid.moved, mid.adjusted_rand) == (2, pytest.approx(0.2125, abs=1e-4))
    assert (top.moved, top.adjusted_rand) == (0, 1.0)
    by_id = {s.id_a: s for s in diff.sample}
    assert by_id["mid:M1"].id_b == "mid:N1" and by_id["mid:M1"].shared == 2
    assert by_id["mid:M2"].id_b == "mid:N1"  # tie broken towards the smaller id
    assert by_id["mid:M4"].id_b is None and by_id["mid:M4"].children == ()
    same = diff_hierarchies(a, a)
    assert all(level.moved == 0 and level.adjusted_rand == 1.0 for level in same.levels)


@pytest.mark.parametrize("runtime", ["torch", "onnx-int8"])
def test_sentence_model_vectoriser_caches_on_disk(onet_release, tmp_path, monkeypatch, runtime):
    from harness.clio import EmbedderVectoriser, build_clio_hierarchy

    vectoriser = EmbedderVectoriser("minilm", cache_root=tmp_path, runtime=runtime)
    assert vectoriser.name == f"all-MiniLM-L6-v2@{runtime}"
    h = build_clio_hierarchy(onet_release, config=ClioConfig(levels=2, top=4, sample=40, threads=1),
                             vectoriser=vectoriser)
    files = list((tmp_path / "embeddings").rglob("*.npy"))
    assert len(files) == 1 and np.load(files[0]).shape == (40, 384)
    assert h.metadata["models"]["embedding"] == vectoriser.name and h.sizes() == {"top": 4, "base": 40}
    # a second build reads the matrix back instead of encoding again, and gives the same hierarchy
    from harness.llm import Embedder

    monkeypatch.setattr(Embedder, "encode", lambda self, texts: pytest.fail("encoded again despite the cache"))
    again = build_clio_hierarchy(onet_release, config=ClioConfig(levels=2, top=4, sample=40, threads=1),
                                 vectoriser=EmbedderVectoriser("minilm", cache_root=tmp_path, runtime=runtime))
    assert again.id == h.id and len(list(files[0].parent.glob("*.npy"))) == 1
