"""The packaged embedding model: small length-sorted batches and shared rows for repeated texts change nothing but
the time (up to float rounding, as padding does)."""

from __future__ import annotations

import numpy as np
import pytest

from harness.llm import Embedder

TEXTS = ["continue", "Write a python function that parses a CSV file and averages each column, then plots them",
         "hi", "continue", "Draft a short wedding speech for my sister, funny but kind, about two minutes long",
         "Explain quantum computing in simple terms", "hi"]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    return Embedder(cache_root=tmp_path_factory.mktemp("cache"))


def test_small_batches_and_shared_rows_give_the_same_vectors(embedder):
    plain = embedder.encode(TEXTS)
    fast = embedder.encode(TEXTS, batch_size=2, distinct=True)
    assert fast.shape == plain.shape == (len(TEXTS), embedder.dimension)
    assert np.allclose(fast, plain, atol=1e-5)
    assert np.array_equal(fast[0], fast[3]) and np.array_equal(fast[2], fast[6])  # one encode, one row, shared
    assert np.allclose(np.linalg.norm(fast, axis=1), 1, atol=1e-5)


def test_shared_rows_follow_the_input_order(embedder):
    vectors = embedder.encode(["b", "a", "b"], distinct=True)
    alone = embedder.encode(["a"])
    assert np.allclose(vectors[1], alone[0], atol=1e-5) and np.array_equal(vectors[0], vectors[2])
    assert embedder.encode([], distinct=True).shape == (0, embedder.dimension)
