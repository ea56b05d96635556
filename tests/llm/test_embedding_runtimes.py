"""The embedder's runtimes: the choice is checked when it is made, ONNX Runtime gives torch's vectors (int8: close
ones), the export is made once and atomically, and each runtime caches its vectors apart from the others'."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from harness.errors import HarnessError
from harness.llm import DEFAULT_RUNTIME, RUNTIMES, Embedder, _embedding

TEXTS = ["continue", "Write a python function that parses a CSV file and averages each column, then plots them",
         "hi", "Draft a short wedding speech for my sister, funny but kind, about two minutes long",
         "Explain quantum computing in simple terms", "Prepare budgets for approval, including those for funding.",
         "word " * 400]  # longer than the model's 256 tokens: cut the same way by both tokenisers


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    """One cache root for the module, so the ONNX export (a few seconds) is made once."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def reference(root) -> np.ndarray:
    return Embedder(cache_root=root, runtime="torch").encode(TEXTS, batch_size=3)


def test_unknown_runtime_is_refused_at_construction():
    with pytest.raises(ValueError, match="unknown embedding runtime 'tensorrt'.*torch, onnx, onnx-int8"):
        Embedder(runtime="tensorrt")  # type: ignore[arg-type]
    assert RUNTIMES == ("torch", "onnx", "onnx-int8")
    assert Embedder().runtime == DEFAULT_RUNTIME == "onnx-int8"  # passed the gate against torch (README)


def test_missing_onnxruntime_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "onnxruntime" else real(name, *a))
    with pytest.raises(HarnessError, match="'onnx-int8' needs the package.*pip install onnxruntime"):
        Embedder(runtime="onnx-int8")
    assert Embedder(runtime="torch").runtime == "torch"  # torch needs neither package


def test_each_runtime_has_its_own_cache_folder(tmp_path):
    folders = {runtime: Embedder(cache_root=tmp_path, runtime=runtime).cache_root for runtime in RUNTIMES}
    assert len(set(folders.values())) == len(RUNTIMES)
    # torch keeps the folder it had before runtimes existed, so caches already on disk stay valid
    assert folders["torch"] == tmp_path / "embeddings" / "all-MiniLM-L6-v2"


def test_onnx_matches_torch(root, reference):
    onnx = Embedder(cache_root=root, runtime="onnx")
    vectors = onnx.encode(TEXTS, batch_size=3)
    assert vectors.dtype == np.float32 and vectors.shape == reference.shape == (len(TEXTS), onnx.dimension)
    assert np.abs(vectors - reference).max() < 1e-5
    shared = onnx.encode([*TEXTS, "hi"], batch_size=2, distinct=True)
    assert np.allclose(shared[:-1], reference, atol=1e-5) and np.array_equal(shared[2], shared[-1])
    one_thread = Embedder(cache_root=root, runtime="onnx", threads=1).encode(TEXTS, batch_size=3)
    assert np.abs(one_thread - reference).max() < 1e-5


def test_int8_stays_close_to_torch(root, reference):
    vectors = Embedder(cache_root=root, runtime="onnx-int8").encode(TEXTS, batch_size=3)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    cosines = np.sum(vectors * reference, axis=1)
    assert cosines.min() > 0.95, cosines  # measured 0.9925 on average, 0.982 at worst over 3,000 task statements


def test_export_is_made_once_and_reused(root, reference, monkeypatch):
    Embedder(cache_root=root, runtime="onnx-int8").encode(["warm"])
    exports = sorted(p.name for p in (root / "models" / "onnx").iterdir())
    assert len(exports) == 2 and all(name.endswith(".onnx") for name in exports), exports  # no temporary left

    def no_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(_embedding, "_export_onnx", no_export)
    monkeypatch.setattr(_embedding, "_quantise_onnx", no_export)
    for runtime in ("onnx", "onnx-int8"):
        assert _embedding.onnx_file("minilm", runtime, root / "models" / "onnx").exists()


def test_a_failed_export_leaves_nothing_behind(tmp_path):
    def fail(path: Path) -> None:
        path.write_bytes(b"half a model")
        raise RuntimeError("export failed")

    with pytest.raises(RuntimeError):
        _embedding._write_atomically(tmp_path / "model.onnx", fail)
    assert list(tmp_path.iterdir()) == []


def test_cached_matrices_are_kept_per_runtime(root):
    texts = ["Analyze data to identify trends.", "Teach students to read."]
    torch_matrix = Embedder(cache_root=root, runtime="torch").encode_cached(texts)
    int8 = Embedder(cache_root=root, runtime="onnx-int8")
    int8_matrix = int8.encode_cached(texts)
    assert not np.array_equal(torch_matrix, int8_matrix)  # not torch's file read back
    assert len(list(int8.cache_root.glob("*.npy"))) == 1
    assert np.array_equal(int8.encode_cached(texts), int8_matrix)


def test_int8_weights_keep_seven_bits(root):
    """Without VNNI, ONNX Runtime sums pairs of uint8 x int8 products into 16 bits and saturates; 7-bit weights
    cannot overflow there, which keeps the int8 vectors the same on every x86 CPU."""
    import onnx
    from onnx import numpy_helper

    path = _embedding.onnx_file("minilm", "onnx-int8", root / "models" / "onnx")
    model = onnx.load(str(path))
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(weights) >= 36  # six layers' attention and feed-forward matrices
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64
