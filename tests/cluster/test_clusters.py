from __future__ import annotations

import math

import numpy as np
import pytest

from harness.classify import replies_with_code
from harness.cluster import CODE_REPLY_MARK, UserTurnSummary, assign_clusters, cluster_conversations
from harness.conversations import Conversation, Message
from tests.cluster._doubles import TOPICS, RecordingClassifier, TopicEmbedder


def _conversations(n: int, seed: int = 0) -> list[Conversation]:
    rng = np.random.default_rng(seed)
    convs = []
    for i in range(n):
        topic = TOPICS[int(rng.integers(len(TOPICS)))]
        first = f"{topic} request number {i} detail {rng.integers(1000)}"
        reply = "```python\nprint(1)\n```" if topic.startswith("python") else "reply"  # code replies on one topic
        messages = [Message("user", first), Message("assistant", reply), Message("user", f"follow-up {i}")]
        convs.append(Conversation(f"conv-{i}", f"acct-{i % 7}", tuple(messages)))
    return convs


@pytest.fixture(scope="module")
def convs():
    return _conversations(300)


def test_same_seed_same_clusters_and_different_seeds_differ(convs):
    embedder = TopicEmbedder()
    a = cluster_conversations(convs, sizes=[10, 50], embedder=embedder, seed=3)
    b = cluster_conversations(convs, sizes=[10, 50], embedder=embedder, seed=3)
    for la, lb in zip(a.levels, b.levels, strict=True):
        assert np.array_equal(la.labels, lb.labels)
        assert la.representatives == lb.representatives
        assert la.inertia == lb.inertia
    others = [cluster_conversations(convs, sizes=[10], embedder=embedder, seed=s).levels[0] for s in (4, 5, 6)]
    assert any(not np.array_equal(o.labels, a.levels[0].labels) for o in others)


@pytest.mark.parametrize("size", [1, 7, 10, 50, 299, 300, 5000])
def test_cluster_counts_follow_the_target_size(convs, size):
    level = cluster_conversations(convs, sizes=[size], embedder=TopicEmbedder(noise=2.0), seed=0).levels[0]
    n = len(convs)
    assert level.k == math.ceil(n / size) if size < n else level.k == 1
    assert sum(level.sizes) == n
    assert level.mean_cluster_size == pytest.approx(n / level.k)
    assert level.aggregation == f"size-{size}"
    assert sorted(set(level.labels.tolist())) == list(range(level.k))
    assert [int(np.sum(level.labels == c)) for c in range(level.k)] == list(level.sizes)
    assert level.method == ("identity" if size == 1 else "kmeans")
    with pytest.raises(ValueError):
        level.labels[0] = 1  # read-only


def test_representatives_are_the_members_nearest_the_centroid(convs):
    embedder = TopicEmbedder()
    clusters = cluster_conversations(convs, sizes=[20], embedder=embedder, seed=1, pool=4)
    level = clusters.levels[0]
    vectors = embedder.encode(["\n\n".join(UserTurnSummary()(c)) for c in convs])
    for c, reps in enumerate(level.representatives):
        members = np.flatnonzero(level.labels == c)
        assert set(reps) <= set(members.tolist())
        assert len(reps) == min(4, len(members))
        # The k-means centroid of a converged cluster is its members' mean.
        centre = vectors[members].mean(axis=0)
        distance = np.sum((vectors[members] - centre) ** 2, axis=1)
        assert reps[0] == members[np.argmin(distance)]


def test_topics_are_separated(convs):
    """Well separated topics: at five clusters every cluster holds one topic."""
    level = cluster_conversations(convs, sizes=[60], embedder=TopicEmbedder(noise=0.1), seed=0).levels[0]
    for c in range(level.k):
        topics = {convs[i].messages[0].content.split()[0] for i in np.flatnonzero(level.labels == c)}
        assert len(topics) == 1


def test_duplicate_conversations_do_not_break_kmeans():
    one = _conversations(1)[0]
    convs = [Conversation(f"d{i}", "a", one.messages) for i in range(30)]
    level = cluster_conversations(convs, sizes=[2], embedder=TopicEmbedder(), seed=0).levels[0]
    assert sum(level.sizes) == 30 and level.k >= 1


def test_bad_arguments(convs):
    embedder = TopicEmbedder()
    for sizes in ([], [0], [10, 10], [2.5]):
        with pytest.raises(ValueError):
            cluster_conversations(convs, sizes=sizes, embedder=embedder, seed=0)
    with pytest.raises(ValueError, match="algorithm"):
        cluster_conversations(convs, sizes=[10], embedder=embedder, seed=0, algorithm="dbscan")  # type: ignore
    with pytest.raises(ValueError, match="unique"):
        cluster_conversations([convs[0], convs[0]], sizes=[1], embedder=embedder, seed=0)
    with pytest.raises(ValueError, match="no conversations"):
        cluster_conversations([], sizes=[1], embedder=embedder, seed=0)


def test_minibatch_is_seeded_too(convs):
    embedder = TopicEmbedder()
    a = cluster_conversations(convs, sizes=[30], embedder=embedder, seed=2, algorithm="minibatch").levels[0]
    b = cluster_conversations(convs, sizes=[30], embedder=embedder, seed=2, algorithm="minibatch").levels[0]
    assert a.method == "minibatch-kmeans" and np.array_equal(a.labels, b.labels)
    assert sum(a.sizes) == len(convs)


def test_assignments_table_has_no_text(convs):
    clusters = cluster_conversations(convs, sizes=[10, 100], embedder=TopicEmbedder(), seed=0)
    frame = clusters.to_frame()
    assert list(frame.columns) == ["conversation_id", "aggregation", "target_size", "cluster"]
    assert len(frame) == 2 * len(convs)
    assert clusters.summary == "user-turns:allx2000" and clusters.embedding_model == "topic-test-encoder"
    assert not hasattr(clusters, "summaries")


def test_user_turn_summary_cuts_turns_and_characters():
    conv = Conversation("x", "a", (
        Message("system", "ignored"), Message("user", "  abcdef  "), Message("assistant", "no"),
        Message("user", ""), Message("user", "ghijkl"), Message("user", "mnop"),
    ))
    assert UserTurnSummary(max_turns=2, max_chars=4)(conv) == ("  ab", "ghij")
    assert UserTurnSummary()(conv) == ("  abcdef  ", "ghijkl", "mnop")
    with pytest.raises(ValueError):
        UserTurnSummary(max_turns=0)


def test_assign_clusters_shows_only_the_representative(convs):
    embedder = TopicEmbedder(noise=0.1)
    clusters = cluster_conversations(convs, sizes=[1, 60], embedder=embedder, seed=0)
    classifier = RecordingClassifier()
    assigned = assign_clusters(convs, clusters, classifier)
    assert [len(a.classifications) for a in assigned] == [len(convs), assigned[1].level.k]
    assert len(classifier.seen) == len(convs) + assigned[1].level.k
    by_id = {c.id: c for c in classifier.seen}
    for entry in assigned:
        level = entry.level
        assert entry.weights.tolist() == list(level.sizes)
        for index, result in enumerate(entry.classifications):
            assert result.conversation_id == f"cluster:{level.aggregation}:{index}"
            shown = by_id[result.conversation_id]
            member = convs[level.representatives[index][0]]
            users = [m for m in shown.messages if m.role == "user"]
            assert [m.content for m in users] == list(UserTurnSummary()(member))
            # of the replies only whether one held code is shown, as an empty fenced block
            assert [m.content for m in shown.messages[len(users):]] == (
                [CODE_REPLY_MARK] if replies_with_code(member) else [])
    # At size 1 each cluster is its member: the assignment equals classifying the members themselves.
    direct = RecordingClassifier().classify(convs)
    assert [c.path for c in assigned[0].classifications] == [c.path for c in direct]


def test_pooled_representative_and_custom_summariser(convs):
    clusters = cluster_conversations(convs, sizes=[60], embedder=TopicEmbedder(noise=0.1), seed=0,
                                     summarise=lambda c: c.messages[0].content)
    classifier = RecordingClassifier()
    assigned = assign_clusters(convs, clusters, classifier, summarise=lambda c: c.messages[0].content,
                               representative="pooled", pool=3)
    level = assigned[0].level
    for index, shown in enumerate(classifier.seen):
        pooled = level.representatives[index][:3]
        code = sum(replies_with_code(convs[m]) for m in pooled) * 2 > len(pooled)  # the pooled members' majority
        expected = [convs[m].messages[0].content for m in pooled] + ([CODE_REPLY_MARK] if code else [])
        assert [m.content for m in shown.messages] == expected
    assert any(m.content == CODE_REPLY_MARK for shown in classifier.seen for m in shown.messages)
    with pytest.raises(ValueError, match="representative"):
        assign_clusters(convs, clusters, classifier, representative="centroid")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="differ"):
        assign_clusters(convs[::-1], clusters, classifier)
