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
_CHUNK = 32  # conversations per pooling step: bounds the (rows, containers, members) temporary


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

    Args:
        containers_of: For each base task, the indices of the containers it belongs to (may be empty).
        n_containers: Number of containers.
    """

    def __init__(self, containers_of: Sequence[Sequence[int]], n_containers: int):
        n_tasks = len(containers_of)
        members: list[list[int]] = [[] for _ in range(n_containers)]
        for task, containers in enumerate(containers_of):
            for c in containers:
                members[c].append(task)
        # padded index matrices; the pad points at an extra column that holds -inf
        self._by_container = _padded(members, pad=n_tasks)
        self._by_task = _padded([list(c) for c in containers_of], pad=n_containers)
        self._sizes = np.array([len(m) for m in members])

    def pool(self, scores: np.ndarray, k: int) -> np.ndarray:
        """Each task's best container score, a container scoring the mean of its ``k`` best tasks.

        Args:
            scores: (conversations, tasks) scores.
            k: How many of a container's best tasks are averaged (all of them when it has fewer).

        Returns:
            (conversations, tasks) pooled scores; 0 for a task that belongs to no container.
        """
        out = np.empty_like(scores)
        for start in range(0, scores.shape[0], _CHUNK):
            out[start:start + _CHUNK] = self._pool_chunk(scores[start:start + _CHUNK], k)
        return out

    def _pool_chunk(self, scores: np.ndarray, k: int) -> np.ndarray:
        rows = scores.shape[0]
        padded = np.concatenate([scores, np.full((rows, 1), -np.inf, dtype=scores.dtype)], axis=1)
        values = padded[:, self._by_container]  # (rows, containers, widest container)
        width = values.shape[2]
        keep = min(k, width)
        best = np.partition(values, width - keep, axis=2)[:, :, width - keep:]
        real = np.isfinite(best)
        container = np.where(real, best, 0).sum(axis=2) / np.maximum(real.sum(axis=2), 1)
        container = np.where(self._sizes > 0, container, -np.inf)
        padded_c = np.concatenate([container, np.full((rows, 1), -np.inf, dtype=scores.dtype)], axis=1)
        pooled = padded_c[:, self._by_task].max(axis=2)
        return np.where(np.isfinite(pooled), pooled, 0).astype(scores.dtype)


def _padded(lists: Sequence[Sequence[int]], *, pad: int) -> np.ndarray:
    width = max((len(x) for x in lists), default=0) or 1
    out = np.full((len(lists), width), pad, dtype=np.int64)
    for i, x in enumerate(lists):
        out[i, : len(x)] = x
    return out
