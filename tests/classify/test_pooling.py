"""The offline backend's word match (BM25) and pooled evidence, against plain reference computations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from harness.classify._pooling import Bm25, Membership

DOCS = [
    "Write, update, and maintain computer programs or software packages.",
    "Prepare lesson plans and course materials for students.",
    "Write articles, bulletins and press releases for publication.",
    "Maintain computer networks and servers.",
]


def _reference_bm25(docs: list[list[str]], query: set[str], k1: float = 1.2, b: float = 0.75) -> list[float]:
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    out = []
    for d in docs:
        score = 0.0
        for term in query:
            tf = d.count(term)
            if not tf:
                continue
            df = sum(term in other for other in docs)
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            score += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
        out.append(score)
    return out


def test_bm25_matches_the_textbook_formula_up_to_the_per_query_scale():
    index = Bm25(DOCS)
    analyse = index._vectorizer.build_analyzer()
    tokenised = [analyse(d) for d in DOCS]
    query = "please maintain my computer program"
    expected = np.array(_reference_bm25(tokenised, set(analyse(query))))
    got = index.scores([query])[0]
    np.testing.assert_allclose(got, expected / expected.max(), rtol=1e-5)
    assert got.max() == pytest.approx(1.0)


def test_bm25_counts_a_repeated_query_word_once_and_scores_unknown_words_zero():
    index = Bm25(DOCS)
    once, twice, unknown = index.scores(["lesson plans", "lesson lesson plans plans", "zzz qqq"])
    np.testing.assert_allclose(once, twice)
    assert not unknown.any()
    assert int(np.argmax(once)) == 1


def test_bm25_keeps_language_names_with_symbols():
    index = Bm25(["Write C++ code for embedded systems.", "Write C# services.", "Cook meals."])
    scores = index.scores(["a c++ question"])[0]
    assert int(np.argmax(scores)) == 0 and scores[1] == 0


def _reference_pool(scores: np.ndarray, containers_of: list[list[int]], n_containers: int, k: int) -> np.ndarray:
    means = []
    for c in range(n_containers):
        members = [t for t, cs in enumerate(containers_of) if c in cs]
        means.append(np.array([np.sort(row[members])[::-1][:k].mean() for row in scores]) if members else None)
    out = np.zeros_like(scores)
    for t, cs in enumerate(containers_of):
        found = [means[c] for c in cs if means[c] is not None]
        if found:
            out[:, t] = np.max(found, axis=0)
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 50])
def test_pool_is_the_best_containers_top_k_mean(k):
    rng = np.random.default_rng(k)
    containers_of = [[0], [0, 2], [1], [], [2], [0, 1], [3]]
    scores = rng.normal(size=(70, len(containers_of))).astype(np.float32)  # > one chunk of rows
    got = Membership(containers_of, 5).pool(scores, k)  # container 4 is empty
    np.testing.assert_allclose(got, _reference_pool(scores, containers_of, 5, k), rtol=1e-5, atol=1e-6)


def test_pool_gives_zero_to_a_task_in_no_container_and_keeps_the_dtype():
    scores = np.array([[0.3, 0.9, 0.1]], dtype=np.float32)
    got = Membership([[0], [0], []], 1).pool(scores, 5)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, [[0.6, 0.6, 0.0]])


def test_pool_of_no_rows_is_empty():
    assert Membership([[0]], 1).pool(np.zeros((0, 1), dtype=np.float32), 3).shape == (0, 1)
