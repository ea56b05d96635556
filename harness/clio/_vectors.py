"""Text vectorisers used by the Clio-style builder: a packaged sentence-transformers model, or TF-IDF + SVD.

Both return unit-normalised float32 rows, so a dot product is a cosine similarity. The sentence model is the
method's own choice (the paper used all-mpnet-base-v2; all-MiniLM-L6-v2 is the fast packaged default). TF-IDF + SVD
needs no neural model and embeds the whole release in a few seconds, which keeps tests and quick trials fast; it is
fitted on the first texts it sees (the base statements) and only transforms later texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from harness.llm import Runtime

__all__ = ["EmbedderVectoriser", "TfidfSvdVectoriser", "Vectoriser", "make_vectoriser"]


@runtime_checkable
class Vectoriser(Protocol):
    """Turns texts into unit-normalised vectors."""

    @property
    def name(self) -> str:
        """Identifier recorded in the build metadata (e.g. ``"all-MiniLM-L6-v2"``, ``"tfidf-svd-128"``)."""
        ...

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-normalised float32 row per text."""
        ...


class EmbedderVectoriser:
    """A packaged sentence-transformers model through :class:`harness.llm.Embedder` (disk-cached by text hash).

    Args:
        model: ``"all-MiniLM-L6-v2"`` / ``"minilm"`` or ``"all-mpnet-base-v2"`` / ``"mpnet"``.
        cache_root: Embedding cache directory (default: the harness cache directory).
        runtime: How the model runs (:data:`harness.llm.RUNTIMES`; default :data:`harness.llm.DEFAULT_RUNTIME`).
            The runtimes' vectors differ slightly, so the name (and with it the build's id) says which one ran.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, cache_root: Path | None = None,
                 runtime: Runtime | None = None):
        from harness.llm import DEFAULT_RUNTIME, Embedder

        self._embedder = Embedder(model, cache_root=cache_root, runtime=runtime or DEFAULT_RUNTIME)

    @property
    def name(self) -> str:
        return f"{self._embedder.model}@{self._embedder.runtime}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._embedder.encode_cached(list(texts))


class TfidfSvdVectoriser:
    """TF-IDF (words, English stop words removed) reduced by truncated SVD, then normalised.

    Args:
        dimension: SVD components (capped by the vocabulary and the number of fitting texts).
        seed: Seed of the randomised SVD.
    """

    def __init__(self, dimension: int = 128, *, seed: int = 0):
        if dimension < 2:
            raise ValueError(f"dimension must be >= 2, got {dimension}")
        self.dimension = dimension
        self.seed = seed
        self._tfidf = None
        self._svd = None

    @property
    def name(self) -> str:
        return f"tfidf-svd-{self.dimension}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._tfidf is None:
            self._tfidf = TfidfVectorizer(stop_words="english", min_df=1, sublinear_tf=True)
            matrix = self._tfidf.fit_transform(texts)
            components = max(1, min(self.dimension, matrix.shape[1] - 1, matrix.shape[0] - 1))
            self._svd = TruncatedSVD(n_components=components, random_state=self.seed)
            dense = self._svd.fit_transform(matrix)
        else:
            dense = self._svd.transform(self._tfidf.transform(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        out[:, : dense.shape[1]] = dense
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # A text with no known word maps to zero; give it a fixed direction so cosines stay defined.
        out[norms[:, 0] == 0, 0] = 1.0
        norms[norms == 0] = 1.0
        return out / norms


def make_vectoriser(spec: str, *, seed: int = 0, cache_root: Path | None = None,
                    runtime: Runtime | None = None) -> Vectoriser:
    """Vectoriser from a short name: ``minilm`` / ``mpnet`` (or their full names), or ``tfidf``.

    Args:
        spec: The name.
        seed: Seed of the TF-IDF vectoriser's SVD.
        cache_root: Embedding cache directory of a sentence model.
        runtime: Runtime of a sentence model (default :data:`harness.llm.DEFAULT_RUNTIME`); TF-IDF has none.

    Raises:
        ValueError: Unknown name or runtime, or a runtime for TF-IDF.
    """
    if spec.lower() in ("tfidf", "tfidf-svd"):
        if runtime is not None:
            raise ValueError("tfidf runs no neural model, so it takes no runtime")
        return TfidfSvdVectoriser(seed=seed)
    from harness.llm import canonical_model_name

    return EmbedderVectoriser(canonical_model_name(spec), cache_root=cache_root, runtime=runtime)
