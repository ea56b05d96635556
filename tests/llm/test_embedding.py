"""The packaged embedding model, in every runtime: batch sizes and shared rows for repeated texts change nothing but
the time (up to float rounding, as padding does in torch), and a text's vector never depends on the texts encoded
beside it."""

from __future__ import annotations

import numpy as np
import pytest

from harness.llm import RUNTIMES, Embedder

TEXTS = ["continue", "Write a python function that parses a CSV file and averages each column, then plots them",
         "hi", "continue", "Draft a short wedding speech for my sister, funny but kind, about two minutes long",
         "Explain quantum computing in simple terms", "hi"]


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")  # one per module: the ONNX export is made once


@pytest.fixture(scope="module", params=RUNTIMES)
def embedder(request, root):
    return Embedder(cache_root=root, runtime=request.param)


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


def test_a_vector_does_not_depend_on_its_neighbours(embedder):
    """int8 quantises activations by the range of the whole input: were texts batched, a text's vector would move
    with the texts beside it (cosine ~0.99), and a conversation's label with the batch it was classified in."""
    alone = np.vstack([embedder.encode([text]) for text in TEXTS])
    together = embedder.encode(TEXTS[::-1])[::-1]
    assert np.abs(together - alone).max() < 1e-5
