"""Where a run's batches are classified: in this process (``local``) or on a Dask cluster (``dask``).

Why Dask and not Ray. Both are existing engines that schedule Python functions on a pool of worker processes on
one machine or many. Dask's ``distributed`` scheduler is a pure-Python install of a few megabytes (its wheels and
their dependencies: tornado, msgpack, cloudpickle, toolz, zict, tblib), starts a local two-worker cluster in about
two seconds on a two-core box, and its workers are plain Python processes that import this package like any
other. Ray's wheel alone is about 80 MB, bundles its own object store and control processes (GCS, raylet,
dashboard agent), and takes several times as long to start a local cluster, which is most of the time budget of a
test on a 2-core CI machine. The harness needs no actor model or GPU scheduling, only "run this function on that
batch, over there", which Dask's futures give directly.

How a distributed run keeps the facts of a local run. The driver (:func:`harness.classify.classify_conversations`)
still does everything that makes a run resumable and safe: it holds the run directory's lock, plans the resume
by content hash, cuts the same batches as a local run, appends every finished batch to the partial file and
commits facts and manifest together. Workers only turn a batch into fact rows (with the same
:func:`~harness.classify._pipeline.classify_batch` a local run calls) and send the rows back: there is one writer.
Each worker builds the classifier once from a :class:`ClassifierRecipe` (the spec and everything
:func:`harness.classify.get_classifier` needs), sent to every worker once, and keeps it for the following batches.
Batches may finish in any order; the finished table follows the input order, so it is the same table.

A bounded number of batches is in flight at a time (``batches_in_flight`` per worker), so a corpus of any size
streams through the cluster without the driver holding more than a few batches of results, and a killed run
loses only those batches: a re-run resumes from the partial file like a local run.
"""

from __future__ import annotations

import itertools
import logging
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from harness.classify._pipeline import Batch, BatchEngine, classify_batch
from harness.classify._types import Classifier
from harness.errors import HarnessError, InputError
from harness.taxonomy import Hierarchy

if TYPE_CHECKING:
    from harness.taxonomy import OnetRelease

__all__ = ["ENGINES", "ClassifierRecipe", "DaskEngine", "EngineConfig", "EngineKind", "open_engine"]

log = logging.getLogger(__name__)

EngineKind = Literal["local", "dask"]
ENGINES: tuple[str, ...] = get_args(EngineKind)

_CONNECT_TIMEOUT_S = 30.0  # reaching a scheduler that was named on the command line
_WORKERS_TIMEOUT_S = 120.0  # for the workers asked for to join it


@dataclass(frozen=True)
class EngineConfig:
    """Where to classify.

    Attributes:
        kind: ``"local"`` (this process) or ``"dask"`` (a Dask cluster).
        workers: Worker processes: started on this machine for a local cluster, or waited for on the cluster at
            ``scheduler``. Only ``1`` for ``"local"``.
        scheduler: Address of a running Dask scheduler (``tcp://host:8786``); ``None`` starts a local cluster of
            ``workers`` processes for the run and stops it afterwards.
        batches_in_flight: Batches queued per worker at a time (enough to keep it busy while results travel).

    Raises:
        ValueError: Unknown kind, fewer than one worker or batch in flight, or cluster options for ``"local"``.
    """

    kind: EngineKind = "local"
    workers: int = 1
    scheduler: str | None = None
    batches_in_flight: int = 2

    def __post_init__(self) -> None:
        if self.kind not in ENGINES:
            raise ValueError(f"unknown engine {self.kind!r}; expected one of {', '.join(ENGINES)}")
        if self.workers < 1 or self.batches_in_flight < 1:
            raise ValueError("workers and batches_in_flight must be at least 1")
        if self.kind == "local" and (self.workers != 1 or self.scheduler is not None):
            raise ValueError("the local engine classifies in this process: workers and a scheduler need the dask "
                             "engine")

    def describe(self) -> dict[str, Any]:
        """What the manifest records about where the run was classified."""
        return {"kind": self.kind, "workers": self.workers,
                "scheduler": None if self.kind == "local" else (self.scheduler or "local cluster")}


@dataclass(frozen=True)
class ClassifierRecipe:
    """What a worker needs to build the run's classifier itself: the arguments of
    :func:`harness.classify.get_classifier`.

    It travels to every worker once (pickled); ``key`` tells a worker that kept a classifier from an earlier run
    that this is a different one.
    """

    spec: str
    hierarchy: Hierarchy = field(repr=False)
    release: OnetRelease | None = field(default=None, repr=False)
    seed: int = 0
    data_dir: str | Path | None = None
    cache_path: str | Path | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    key: str = field(default_factory=lambda: uuid.uuid4().hex, compare=False)

    def build(self) -> Classifier:
        """The classifier, built as the driver built its own."""
        from harness.classify._registry import get_classifier

        return get_classifier(self.spec, self.hierarchy, release=self.release, seed=self.seed,
                              data_dir=self.data_dir, cache_path=self.cache_path, **dict(self.options))


# ------------------------------------------------------------------------------------------------ on a worker

_BUILT: dict[str, Classifier] = {}  # the classifier of the current run, per worker process
_BUILDING = threading.Lock()


class WorkerInputError(Exception):
    """An :class:`~harness.errors.InputError` raised on a worker, in a form that survives pickling (the original's
    keyword-only arguments do not); the driver raises the original again."""

    def to_input_error(self) -> InputError:
        path, detail, line, fld = self.args
        return InputError(path, detail, line=line, field=fld)


def classify_on_worker(recipe: ClassifierRecipe, batch: Batch) -> list[dict[str, Any]]:
    """Classify one batch with this worker's classifier (built on its first batch) and return the fact rows."""
    try:
        with _BUILDING:  # one build per worker process, even with several threads
            classifier = _BUILT.get(recipe.key)
            if classifier is None:
                _BUILT.clear()  # a long-lived worker keeps only the current run's classifier
                classifier = _BUILT[recipe.key] = recipe.build()
        return classify_batch(classifier, recipe.hierarchy, batch)
    except InputError as exc:
        raise WorkerInputError(str(exc.path), exc.detail, exc.line, exc.field) from None


# ------------------------------------------------------------------------------------------------ on the driver


class DaskEngine:
    """Classifies batches on a Dask cluster; use as a context manager (the cluster is started and stopped with it).

    Args:
        config: A ``"dask"`` :class:`EngineConfig`.
        recipe: How workers build the classifier.
    """

    def __init__(self, config: EngineConfig, recipe: ClassifierRecipe):
        if config.kind != "dask":
            raise ValueError(f"DaskEngine needs a dask engine config, got {config.kind!r}")
        self.config = config
        self.recipe = recipe
        self._client = None
        self._cluster = None
        self._recipe_future = None
        self._log_level = logging.NOTSET

    def __enter__(self) -> DaskEngine:
        # the scheduler of a local cluster runs in this process: its start-up chatter is not the run's news
        self._log_level = logging.getLogger("distributed").level
        logging.getLogger("distributed").setLevel(logging.WARNING)
        try:
            self._connect()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def _connect(self) -> None:
        """Start or reach the cluster and send the recipe to every worker.

        Raises:
            HarnessError: The scheduler cannot be reached, or too few workers joined it in time.
        """
        from distributed import Client, LocalCluster

        if self.config.scheduler is None:
            # one thread per worker process: the classifier's own numeric libraries use the core; the status
            # page goes to a free loopback port, so two runs on one machine never fight over the default one
            self._cluster = LocalCluster(n_workers=self.config.workers, threads_per_worker=1, processes=True,
                                         dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
            self._client = Client(self._cluster)
        else:
            try:
                self._client = Client(self.config.scheduler, timeout=_CONNECT_TIMEOUT_S)
                self._client.wait_for_workers(self.config.workers, timeout=_WORKERS_TIMEOUT_S)
            except (OSError, TimeoutError) as exc:
                raise HarnessError(f"Dask scheduler {self.config.scheduler}: {exc or type(exc).__name__} (needs "
                                   f"{self.config.workers} worker(s) within {_WORKERS_TIMEOUT_S:.0f} s)") from None
        # the recipe (hierarchy and release included) is sent to each worker once, not with every batch
        self._recipe_future = self._client.scatter(self.recipe, broadcast=True, hash=False)

    def __exit__(self, *exc_info: object) -> None:
        for closable in (self._client, self._cluster):
            if closable is not None:
                closable.close()
        self._client = self._cluster = self._recipe_future = None
        logging.getLogger("distributed").setLevel(self._log_level)

    def classify_batches(self, batches: Iterable[Batch]) -> Iterator[list[dict[str, Any]]]:
        """Send batches to the workers, a bounded number at a time, and yield each batch's rows as it finishes.

        Raises:
            InputError: A worker found bad input (raised again here as the worker raised it).
            RuntimeError: The engine is not open.
            Exception: Whatever else a worker raised; the batches still in flight are cancelled.
        """
        from distributed import as_completed

        if self._client is None:
            raise RuntimeError("open the engine first: with DaskEngine(...) as engine")
        pending = iter(batches)
        running = as_completed()

        def submit(count: int) -> None:
            for batch in itertools.islice(pending, count):
                running.add(self._client.submit(classify_on_worker, self._recipe_future, list(batch), pure=False))

        submit(self.config.workers * self.config.batches_in_flight)
        try:
            for future in running:
                try:
                    rows = future.result()
                except WorkerInputError as exc:
                    raise exc.to_input_error() from None
                submit(1)
                yield rows
        finally:
            for future in list(running.futures):  # after a failure: no work left running for nobody
                future.cancel()
            running.clear()


@contextmanager
def open_engine(config: EngineConfig, recipe: ClassifierRecipe | None = None) -> Iterator[BatchEngine | None]:
    """The engine for ``config`` while the block runs: ``None`` for ``"local"`` (classify in this process), an open
    :class:`DaskEngine` for ``"dask"``.

    Raises:
        ValueError: A ``"dask"`` config without a recipe.
    """
    if config.kind == "local":
        yield None
        return
    if recipe is None:
        raise ValueError("the dask engine needs a ClassifierRecipe so that workers can build the classifier")
    with DaskEngine(config, recipe) as engine:
        log.info("classifying on Dask: %s", engine.config.describe())
        yield engine
