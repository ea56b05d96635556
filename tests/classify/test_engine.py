"""The Dask engine: a run classified on a local two-worker cluster gives the facts of a local run, resumes like one,
and reports a worker's bad input as the input error it is."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from harness.classify import (
    ClassifierRecipe,
    DaskEngine,
    EngineConfig,
    classify_conversations,
    get_classifier,
    open_engine,
)
from harness.cli import main
from harness.conversations import Conversation, Message, write_jsonl
from harness.errors import HarnessError, InputError

distributed = pytest.importorskip("distributed")

TASKS = (101, 102, 201, 301)
PATTERNS = ("directive", "task_iteration", "learning", None)


def _conversations(n: int, *, edited: int | None = None) -> list[Conversation]:
    return [Conversation(f"c{i:03d}", f"acct-{i % 7}",
                         (Message("user", f"request {i}" + (" (edited)" if i == edited else "")),))
            for i in range(n)]


def _predictions(path: Path, n: int) -> Path:
    """Replay predictions for conversations 0..n-1; every ninth has none (an invalid row), latencies vary."""
    rows = [{"conversation_id": f"c{i:03d}", "task_id": TASKS[i % 4], "pattern": PATTERNS[i % 4],
             "occupational": i % 5 != 0, "latency_s": 0.01 * i, "input_tokens": i}
            for i in range(n) if i % 9 != 4]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A local two-worker Dask cluster (worker processes), shared by the tests of this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HARNESS_CACHE_DIR", str(tmp_path_factory.mktemp("worker-cache")))
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR) as local:
            yield local.scheduler_address


@pytest.fixture
def replay(tmp_path, mini_hierarchy):
    preds = _predictions(tmp_path / "preds.jsonl", 60)
    spec = f"replay:{preds}"
    return spec, get_classifier(spec, mini_hierarchy), ClassifierRecipe(spec, mini_hierarchy)


def _run(convs, classifier, out, hierarchy, engine=None):
    return classify_conversations(convs, classifier, out, hierarchy=hierarchy, batch_size=7, progress=False,
                                  engine=engine)


def _same_files(a: Path, b: Path) -> None:
    for name in ("facts.parquet", "facts.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_a_dask_run_writes_the_facts_of_a_local_run(tmp_path, mini_hierarchy, replay, cluster):
    _, classifier, recipe = replay
    convs = _conversations(60)
    local = _run(convs, classifier, tmp_path / "local", mini_hierarchy)
    with DaskEngine(EngineConfig("dask", workers=2, scheduler=cluster), recipe) as engine:
        remote = _run(convs, classifier, tmp_path / "dask", mini_hierarchy, engine)
    # replay's latencies come from its file, so even the timing column agrees: the files are byte for byte equal
    _same_files(tmp_path / "local", tmp_path / "dask")
    assert (remote.n_classified, remote.n_invalid) == (60, local.n_invalid) and local.n_invalid > 0
    partial = (tmp_path / "dask" / "facts.partial.jsonl").read_text().splitlines()
    assert len(partial) == 60  # one row per conversation: no batch was written twice


def test_a_dask_run_resumes_an_interrupted_local_run(tmp_path, mini_hierarchy, replay, cluster):
    _, classifier, recipe = replay
    out = tmp_path / "run"
    _run(_conversations(30), classifier, out, mini_hierarchy)  # an earlier, smaller input
    final = _conversations(60, edited=3)
    with DaskEngine(EngineConfig("dask", workers=2, scheduler=cluster), recipe) as engine:
        result = _run(final, classifier, out, mini_hierarchy, engine)
    assert (result.n_resumed, result.n_changed, result.n_new) == (29, 1, 30)
    _run(final, classifier, tmp_path / "fresh", mini_hierarchy)
    _same_files(out, tmp_path / "fresh")


class _Interrupted(Exception):
    pass


class _StopsAfter:
    """An engine that passes on the first ``n`` finished batches of a real one, then fails like a killed run."""

    def __init__(self, engine: DaskEngine, n: int):
        self.engine, self.n = engine, n

    def classify_batches(self, batches):
        for k, rows in enumerate(self.engine.classify_batches(batches)):
            if k == self.n:
                raise _Interrupted
            yield rows


def test_an_interrupted_dask_run_resumes_without_redoing_finished_batches(tmp_path, mini_hierarchy, replay, cluster):
    _, classifier, recipe = replay
    convs, out = _conversations(60), tmp_path / "run"
    with DaskEngine(EngineConfig("dask", workers=2, scheduler=cluster), recipe) as engine:
        with pytest.raises(_Interrupted):
            _run(convs, classifier, out, mini_hierarchy, _StopsAfter(engine, 3))
        assert not (out / "manifest.json").exists()  # unfinished, as after a kill
        result = _run(convs, classifier, out, mini_hierarchy, engine)
    assert (result.n_resumed, result.n_new) == (21, 39)  # three batches of seven were kept
    _run(convs, classifier, tmp_path / "fresh", mini_hierarchy)
    _same_files(out, tmp_path / "fresh")


def test_bad_input_found_on_a_worker_is_an_input_error(tmp_path, mini_hierarchy, cluster):
    recipe = ClassifierRecipe(f"replay:{tmp_path / 'missing.jsonl'}", mini_hierarchy)
    config = EngineConfig("dask", workers=2, scheduler=cluster)
    with DaskEngine(config, recipe) as engine, pytest.raises(InputError, match="predictions file not found") as info:
        list(engine.classify_batches([[(0, _conversations(1)[0], "digest")]]))
    assert info.value.path == tmp_path / "missing.jsonl"


def test_an_unreachable_scheduler_is_one_clear_error(mini_hierarchy, monkeypatch):
    from harness.classify import _engine

    monkeypatch.setattr(_engine, "_CONNECT_TIMEOUT_S", 1.0)
    config = EngineConfig("dask", workers=1, scheduler="tcp://127.0.0.1:9")
    with pytest.raises(HarnessError, match=r"Dask scheduler tcp://127\.0\.0\.1:9"):
        DaskEngine(config, ClassifierRecipe("replay:x", mini_hierarchy)).__enter__()


@pytest.mark.parametrize(("options", "message"), [
    ({"kind": "ray"}, "unknown engine"),
    ({"kind": "dask", "workers": 0}, "at least 1"),
    ({"kind": "local", "workers": 2}, "need the dask engine"),
    ({"kind": "local", "scheduler": "tcp://x:1"}, "need the dask engine"),
])
def test_engine_config_is_checked_when_built(options, message):
    with pytest.raises(ValueError, match=message):
        EngineConfig(**options)


def test_the_local_engine_is_this_process(mini_hierarchy):
    with open_engine(EngineConfig()) as engine:
        assert engine is None
    with pytest.raises(ValueError, match="needs a ClassifierRecipe"), open_engine(EngineConfig("dask")):
        pass


def _cli_data(tmp_path: Path, mini_onet_dir: Path) -> Path:
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    return data


def test_classify_engine_dask_on_the_command_line(tmp_path, mini_onet_dir, capsys):
    data = _cli_data(tmp_path, mini_onet_dir)
    write_jsonl(_conversations(40), tmp_path / "conv.jsonl")
    preds = _predictions(tmp_path / "preds.jsonl", 40)
    common = ["--data-dir", str(data), "classify", "--input", str(tmp_path / "conv.jsonl"), "--backend",
              f"replay:{preds}", "--batch-size", "6", "--no-progress"]
    assert main([*common, "--out", str(tmp_path / "local")]) == 0
    assert main([*common, "--out", str(tmp_path / "dask"), "--engine", "dask", "--workers", "2"]) == 0
    _same_files(tmp_path / "local", tmp_path / "dask")
    manifest = json.loads((tmp_path / "dask" / "manifest.json").read_text())
    assert manifest["engine"] == {"kind": "dask", "workers": 2, "scheduler": "local cluster"}
    assert json.loads((tmp_path / "local" / "manifest.json").read_text())["engine"]["kind"] == "local"
    capsys.readouterr()
    assert main([*common, "--out", str(tmp_path / "x"), "--workers", "2"]) == 2
    assert "need --engine dask" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()  # refused before anything was made
