"""The run directory: file names, manifest, identity, partial rows and metrics.json."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.run import (
    FACT_SCHEMA,
    METRICS_SCHEMA,
    RUN_SCHEMA,
    MetricEntry,
    RunDir,
    read_json_object,
    read_metrics_file,
    write_json_atomic,
)


def test_every_file_lives_under_the_run_directory(tmp_path: Path) -> None:
    run = RunDir(str(tmp_path / "r"))
    assert isinstance(run.path, Path)
    named = {
        run.manifest_path: "manifest.json", run.identity_path: "run-identity.json",
        run.partial_path: "facts.partial.jsonl", run.facts_path: "facts.parquet",
        run.facts_jsonl_path: "facts.jsonl", run.metrics_path: "metrics.json", run.items_path: "items.parquet",
        run.hierarchy_path: "hierarchy.json",
    }
    for path, name in named.items():
        assert path == run.path / name
    assert run.analysis.summary_path == run.path / "analysis" / "summary.json"
    assert run.analysis.table_csv("tasks") == run.path / "analysis" / "tables" / "tasks.csv"
    assert run.analysis.figure_png("top") == run.path / "analysis" / "figures" / "top.png"
    assert run.reconstruction.prevalence_csv == run.path / "reconstruction" / "prevalence.csv"
    assert run.reconstruction.pairs_csv("task", "size-3") == run.path / "reconstruction" / "pairs_task_size-3.csv"
    assert not run.path.exists()
    assert run.create().path.is_dir() and run.analysis.create().tables_dir.is_dir()


def test_manifest_is_stamped_and_checked(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    written = run.write_manifest({"backend": "replay:x", "counts": {"conversations": 2}})
    assert written["schema"] == RUN_SCHEMA and written["schema_versions"] == {"facts": FACT_SCHEMA.version}
    assert run.read_manifest() == written
    assert next(iter(written)) == "schema"
    body = json.loads(run.manifest_path.read_text())
    del body["schema"]  # runs from before the schema key read as version 1
    run.manifest_path.write_text(json.dumps(body))
    assert run.read_manifest()["backend"] == "replay:x"
    run.manifest_path.write_text(json.dumps({**body, "schema": "harness.run/2"}))
    with pytest.raises(InputError, match="newer") as info:
        run.read_manifest()
    assert info.value.field == "schema"
    run.manifest_path.write_text(json.dumps({**body, "schema": "harness.metrics/1"}))
    with pytest.raises(InputError, match="expected schema"):
        run.read_manifest()
    run.manifest_path.write_text("[1, 2]")
    with pytest.raises(InputError, match="JSON object"):
        run.read_manifest()


def test_identity_round_trip(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    assert run.read_identity() is None
    run.write_identity({"backend": "b", "hierarchy": "h", "classifier_digest": "d"})
    assert run.read_identity() == {"backend": "b", "hierarchy": "h", "classifier_digest": "d"}


def test_partial_rows_are_durable_and_a_torn_line_is_cut(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    assert not run.has_partial() and run.read_partial() == {}
    with run.append_partial() as partial:
        partial.append([{"seq": 0, "conversation_id": "a"}, {"seq": 1, "conversation_id": "b"}])
    assert run.has_partial()
    run.partial_path.write_bytes(run.partial_path.read_bytes() + b'{"seq": 2, "conversation_id": "c')
    assert set(run.read_partial()) == {"a", "b"}
    assert run.partial_path.read_bytes().endswith(b"\n")  # the torn line was cut off the file
    with run.append_partial() as partial:
        partial.append([{"seq": 2, "conversation_id": "c"}])
    assert list(run.read_partial()) == ["a", "b", "c"]


def test_metrics_written_once_with_sections(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    metrics = {"pattern.accuracy": MetricEntry(0.5, "proportion", n=10, ci_low=0.2, ci_high=0.8),
               "screening.cohen_kappa": MetricEntry(math.nan, "kappa", n=10)}
    sections = {"hierarchy": {"levels": []}, "raters": {"n_items": 0}}
    run.write_metrics(metrics, run={"backend": "replay"}, sections=sections)
    raw = json.loads(run.metrics_path.read_text())
    assert list(raw) == ["schema", "run", "metrics", "hierarchy", "raters"]
    assert raw["schema"] == METRICS_SCHEMA and raw["metrics"]["screening.cohen_kappa"]["value"] is None
    loaded = run.read_metrics()
    assert loaded.run == {"backend": "replay"} and loaded.sections == sections
    assert loaded.metrics["pattern.accuracy"] == metrics["pattern.accuracy"]
    assert math.isnan(loaded.metrics["screening.cohen_kappa"].value)
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(ValueError, match="may not be named"):
        run.write_metrics(metrics, sections={"metrics": {}})


def test_metrics_file_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"schema": METRICS_SCHEMA, "metrics": {"x": {"value": 1, "kind": "vibes"}}}))
    with pytest.raises(InputError) as info:
        read_metrics_file(path)
    assert info.value.field == "metrics.x.kind"
    path.write_text(json.dumps({"schema": "harness.metrics/2", "metrics": {}}))
    with pytest.raises(InputError) as info:
        read_metrics_file(path)
    assert info.value.field == "schema"


def test_json_helpers(tmp_path: Path) -> None:
    path = write_json_atomic(tmp_path / "x.json", {"a": [1, 2], "when": Path("p")})
    assert read_json_object(path) == {"a": [1, 2], "when": "p"}
    (tmp_path / "bad.json").write_text("{\n  oops")
    with pytest.raises(InputError) as info:
        read_json_object(tmp_path / "bad.json")
    assert info.value.line == 2
    with pytest.raises(InputError, match="not found"):
        read_json_object(tmp_path / "missing.json")
