"""End to end on 200 real ShareGPT conversations and ~220 real task statements with the offline classifier."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from harness.cluster import RECONSTRUCTION_COLUMNS, prevalence, reconstruct
from harness.evaluate import reconstruction_scores
from tests.cluster._doubles import TopicEmbedder

SIZES = [1, 10, 50]


@pytest.fixture(scope="module")
def direct(sharegpt_200, small_classifier):
    return small_classifier.classify(sharegpt_200)


@pytest.fixture(scope="module")
def result(sharegpt_200, small_classifier, small_hierarchy, embedder, direct, summary):
    return reconstruct(sharegpt_200, small_classifier, small_hierarchy, sizes=SIZES, seed=0, embedder=embedder,
                       direct=direct, summarise=summary)


def test_size_one_reproduces_the_direct_distribution(result):
    rows = [s for s in result.scores if s.aggregation == "size-1"]
    assert {s.level for s in rows} == {"category", "occupation", "task"}
    for s in rows:
        assert s.pearson == pytest.approx(1.0)
        assert s.spearman == pytest.approx(1.0)
        assert s.kendall_tau_b == pytest.approx(1.0)
        assert s.mse == pytest.approx(0.0, abs=1e-15)
        assert s.n_direct == s.n_cluster == s.n_both == s.n_union


def test_scores_match_the_metric_on_the_stored_distributions(result, small_hierarchy, direct):
    for level in ("task", "occupation", "category"):
        pd.testing.assert_series_equal(result.direct[level], prevalence(direct, small_hierarchy, level=level))
    for s in result.scores:
        again = reconstruction_scores(result.direct[s.level].to_dict(), result.cluster[(s.level, s.aggregation)]
                                      .to_dict(), level=s.level, aggregation=s.aggregation)
        assert again == s
    for shares in result.cluster.values():
        assert shares.sum() == pytest.approx(1.0)


def test_coarser_clusters_find_fewer_tasks(result):
    table = result.table()
    task = table[table["level"] == "task"].set_index("aggregation")
    assert task.loc["size-1", "n_cluster"] >= task.loc["size-10", "n_cluster"] >= task.loc["size-50", "n_cluster"]
    assert task.loc["size-50", "n_cluster"] <= math.ceil(200 / 50)
    assert result.mean_cluster_sizes["size-1"] == 1.0
    assert result.mean_cluster_sizes["size-10"] == pytest.approx(200 / 20)
    # Categories are coarser than tasks, so agreement there is at least as good in MSE terms per item... and the
    # category level never has more items than there are major groups.
    assert (table[table["level"] == "category"]["n_union"] <= 23).all()


def test_table_and_rows_follow_the_metrics_schema(result):
    table = result.table()
    assert list(table.columns) == [*RECONSTRUCTION_COLUMNS, "note"]
    assert len(table) == 3 * len(SIZES)
    rows = result.rows()
    assert all(list(r) == list(RECONSTRUCTION_COLUMNS) for r in rows)
    json.dumps(rows, allow_nan=False)  # NaN became null
    metrics = result.metrics()
    assert len(metrics) == 4 * len(rows)
    entry = metrics["reconstruction.task.size-1.pearson"]
    assert entry["value"] == pytest.approx(1.0) and entry["kind"] == "correlation" and entry["n"] > 0
    assert metrics["reconstruction.category.size-50.mse"]["kind"] == "error"
    assert result.info["n_conversations"] == 200 and result.info["sizes"] == SIZES


def test_written_outputs_and_no_conversation_text(result, sharegpt_200, tmp_path):
    out = result.write(tmp_path)
    assert out == tmp_path / "reconstruction"
    names = {p.name for p in out.iterdir()}
    for level in ("task", "occupation", "category"):
        for size in SIZES:
            assert f"pairs_{level}_size-{size}.csv" in names
    assert {"scores.csv", "reconstruction.json", "clusters.csv", "correlations.png"} <= names
    pairs = pd.read_csv(out / "pairs_occupation_size-10.csv", dtype={"item_id": str})
    assert list(pairs.columns) == ["item_id", "item", "direct", "cluster"]
    assert pairs["direct"].sum() == pytest.approx(1.0) and pairs["cluster"].sum() == pytest.approx(1.0)
    assert not pairs["item"].str.fullmatch(r"\d\d-\d{4}\.\d\d").all()  # titles, not only codes
    payload = json.loads((out / "reconstruction.json").read_text())
    assert payload["schema"] == "harness.reconstruction/1" and len(payload["reconstruction"]) == 9
    clusters = pd.read_csv(out / "clusters.csv")
    assert clusters.groupby("aggregation")["size"].sum().eq(200).all()
    written = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in {".csv", ".json"})
    snippets = {
        m.content.strip()[:40]
        for conv in sharegpt_200 for m in conv.messages
        if m.role == "user" and len(m.content.strip()) >= 40
    }
    assert snippets
    leaked = [s for s in snippets if s in written]
    assert not leaked, f"conversation text in outputs: {leaked[:2]}"


def test_given_facts_table_is_reused(sharegpt_200, small_classifier, small_hierarchy, direct):
    facts = pd.DataFrame([c.to_row(small_hierarchy.levels) for c in direct]).iloc[::-1]  # any row order
    again = reconstruct(sharegpt_200, small_classifier, small_hierarchy, sizes=[200], seed=0,
                        embedder=TopicEmbedder(), direct=facts)
    for level in ("task", "occupation", "category"):
        pd.testing.assert_series_equal(again.direct[level], prevalence(direct, small_hierarchy, level=level))
    # One cluster: its single task gets all the weight.
    assert len(again.cluster[("task", "size-200")]) == 1
    with pytest.raises(ValueError, match="no direct result"):
        reconstruct(sharegpt_200, small_classifier, small_hierarchy, sizes=[200], seed=0,
                    embedder=TopicEmbedder(), direct=facts.iloc[1:])
    with pytest.raises(ValueError, match="levels"):
        reconstruct(sharegpt_200, small_classifier, small_hierarchy, sizes=[200], seed=0, levels=["industry"])
