"""Evidence the offline backend adds to its embedding scores: a BM25 word match and pooling over groups of tasks.

Both work on dense score matrices of shape (conversations, base tasks), so they cost a few array operations per
batch once :meth:`Bm25.__init__` and :class:`Membership` have indexed the hierarchy.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import CountVectorizer

__all__ = ["Bm25", "Membership"]

# Words of two or more characters that start with a letter; "c++", "c#" and "k8s" survive as tokens.
_TOKEN_PATTERN = r"(?u)\b[a-zA-Z][a-zA-Z0-9+#]+\b"


class Bm25:
    """Okapi BM25 of short queries against a fixed set of documents (English stop words removed).

    A query term counts once however often the query repeats it (the queries are user requests, where repetition
    says little). Each conversation's scores are divided by its best document's score, so the weight the backend
    gives them means the same for short and long requests; a query with no indexed word scores 0 everywhere.

    Args:
        documents: One text per document (here: per base task).
        k1: Term-frequency saturation.
        b: Length normalisation.
    """

    def __init__(self, documents: Sequence[str], *, k1: float = 1.2, b: float = 0.75):
        self._vectorizer = CountVectorizer(stop_words="english", token_pattern=_TOKEN_PATTERN)
        counts = self._vectorizer.fit_transform(documents).tocsc().astype(np.float64)
        n_docs = counts.shape[0]
        doc_freq = np.diff(counts.indptr)
        idf = np.log1p((n_docs - doc_freq + 0.5) / (doc_freq + 0.5))
        coo = counts.tocoo()
        lengths = np.asarray(counts.sum(axis=1)).ravel()
        norm = k1 * (1 - b + b * lengths[coo.row] / max(float(lengths.mean()), 1e-9))
        values = coo.data * (k1 + 1) / (coo.data + norm) * idf[coo.col]
        # (terms, documents): a query's binary term vector times this is its score for every document
        self._weights = sp.csr_matrix((values, (coo.col, coo.row)), shape=(counts.shape[1], n_docs))

    def scores(self, queries: Sequence[str]) -> np.ndarray:
        """Scores of every document for each query, scaled to a maximum of 1 per query (float32)."""
        terms = (self._vectorizer.transform(queries) > 0).astype(np.float64)
        raw = np.asarray((terms @ self._weights).todense(), dtype=np.float32)
        best = raw.max(axis=1, keepdims=True) if raw.size else raw
        return raw / np.where(best > 0, best, 1.0)


class Membership:
    """Which containers (occupations, work activities) each base task belongs to, for pooling scores over them.

    The (task, container) pairs are kept twice, grouped by container and grouped by task, so that pooling is one
    gather and one segmented reduction each way, whatever the widest container or the most shared task.

    Args:
        containers_of: For each base task, the indices of the containers it belongs to (may be empty).
        n_containers: Number of containers.
    """

    def __init__(self, containers_of: Sequence[Sequence[int]], n_containers: int):
        pairs = np.array([(t, c) for t, cs in enumerate(containers_of) for c in cs], dtype=np.int64).reshape(-1, 2)
        self._n_tasks = len(containers_of)
        self._n_containers = n_containers
        by_container = pairs[np.lexsort((pairs[:, 0], pairs[:, 1]))]
        self._task_of_pair = by_container[:, 0]
        self._sizes = np.bincount(by_container[:, 1], minlength=n_containers)
        self._container_starts = np.concatenate([[0], np.cumsum(self._sizes)[:-1]])
        by_task = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
        self._container_of_pair = by_task[:, 1]
        self._tasks_with = np.unique(by_task[:, 0])
        self._task_starts = np.flatnonzero(np.r_[True, np.diff(by_task[:, 0]) != 0]) if len(by_task) else by_task[:, 0]

    def pool(self, scores: np.ndarray, k: int) -> np.ndarray:
        """Each task's best container score, a container scoring the mean of its ``k`` best tasks.

        Args:
            scores: (conversations, tasks) scores.
            k: How many of a container's best tasks are averaged (all of them when it has fewer).

        Returns:
            (conversations, tasks) pooled scores; 0 for a task that belongs to no container.
        """
        out = np.zeros_like(scores)
        if scores.shape[0] == 0 or not len(self._task_of_pair):
            return out
        container = self._container_means(scores[:, self._task_of_pair], k)
        per_pair = container[:, self._container_of_pair]
        out[:, self._tasks_with] = np.maximum.reduceat(per_pair, self._task_starts, axis=1)
        return out

    def _container_means(self, values: np.ndarray, k: int) -> np.ndarray:
        """Top-``k`` mean of each container's values (grouped by container along axis 1); -inf when empty."""
        present = self._sizes > 0
        sums = np.full((values.shape[0], self._n_containers), -np.inf, dtype=np.float64)
        sums[:, present] = np.add.reduceat(values, self._container_starts[present], axis=1)
        # containers wider than k: only their k best count (few and wide, e.g. the 41 generalized activities)
        for c in np.flatnonzero(self._sizes > k):
            start = self._container_starts[c]
            block = values[:, start:start + self._sizes[c]]
            sums[:, c] = np.partition(block, block.shape[1] - k, axis=1)[:, -k:].sum(axis=1)
        return (sums / np.maximum(np.minimum(self._sizes, k), 1)).astype(values.dtype)
