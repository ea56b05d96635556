"""Bad input to ``harness gate``: metrics.json and baseline files, one probe per row.

Every probe starts from the two fixture documents (``tests/fixtures/evaluate/metrics.json`` and ``baseline.json``,
which pass the gate together), spoils one thing, and runs the gate in-process. A probe either expects a clean
failure (exit 1 for bad input, 2 for bad usage, one line naming the file and field, no traceback) or, where the input
is acceptable, checks the gate's verdict. The field probes are generated from the entry schema: for each field of a
metric entry, a value of each wrong type and the field left out, in the metrics file and in the baseline.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.robustness.conftest import Outcome, assert_clean_failure, run_cli

FIXTURES = Path(__file__).parents[1] / "fixtures" / "evaluate"
METRICS = json.loads((FIXTURES / "metrics.json").read_text())
BASELINE = json.loads((FIXTURES / "baseline.json").read_text())
_METRICS_TEXT = json.dumps(METRICS)
_BASELINE_TEXT = json.dumps(BASELINE)

Docs = dict[str, Any]  # {"metrics": document or raw text/bytes, "baseline": ...}


@dataclass(frozen=True)
class Probe:
    """One bad input to the gate.

    Attributes:
        name: Test id.
        spoil: Changes the documents in place (keys ``metrics`` and ``baseline``; a ``str``/``bytes`` value is
            written as the file's raw content).
        argv: Builds the command line from the two file paths; the plain gate call by default.
        rc: Expected exit status (1 bad input, 2 bad usage).
        mentions: Words the one message line must hold; ``{metrics}``/``{baseline}`` stand for the file paths.
        check: For acceptable input, a check of the outcome instead of a clean failure.
    """

    name: str
    spoil: Callable[[Docs], None] = lambda docs: None
    argv: Callable[[Path, Path], list[str]] | None = None
    rc: int | None = 1
    mentions: tuple[str, ...] = ()
    check: Callable[[Outcome, Path, Path], None] | None = field(default=None)


def _gate_argv(metrics: Path, baseline: Path) -> list[str]:
    return ["gate", "--metrics", metrics, "--baseline", baseline]


def _set(which: str, name: str, key: str, value: Any) -> Callable[[Docs], None]:
    def spoil(docs: Docs) -> None:
        docs[which]["metrics"][name][key] = value
    return spoil


def _drop(which: str, name: str, key: str) -> Callable[[Docs], None]:
    def spoil(docs: Docs) -> None:
        del docs[which]["metrics"][name][key]
    return spoil


def _raw(which: str, content: str | bytes) -> Callable[[Docs], None]:
    def spoil(docs: Docs) -> None:
        docs[which] = content
    return spoil


def _both(*spoils: Callable[[Docs], None]) -> Callable[[Docs], None]:
    def spoil(docs: Docs) -> None:
        for one in spoils:
            one(docs)
    return spoil


def _passes(outcome: Outcome, metrics: Path, baseline: Path) -> None:
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == 0, outcome.stderr + outcome.stdout
    assert "gate PASSED" in outcome.stdout


def _fails_on(metric: str, status: str) -> Callable[[Outcome, Path, Path], None]:
    def check(outcome: Outcome, metrics: Path, baseline: Path) -> None:
        assert outcome.traceback is None, outcome.traceback
        assert outcome.rc == 1, outcome.stderr + outcome.stdout
        row = next(line for line in outcome.stdout.splitlines() if line.startswith(metric + " "))
        assert status in row, row
        assert "gate FAILED" in outcome.stdout
    return check


# ----------------------------------------------------------------------------------------- generated field probes
# The fields of one metric entry, what each must hold, and wrong values for it. A field whose absence is acceptable
# has missing_ok; its probe then expects the gate to pass (the fixture documents are otherwise identical).
_WRONG_TYPES: dict[str, tuple[Any, ...]] = {
    "value": ("0.5", True, [0.5], {"v": 0.5}),
    "kind": (5, None, ["proportion"], "Proportion"),
    "n": ("150", 1.5, True, -3),
    "ci_low": ("0.5", False, [0.5], {"v": 0.5}),
    "ci_high": ("0.7", True, [0.7], {"v": 0.7}),
}
_MISSING_OK = {"value": False, "kind": False, "n": True, "ci_low": False, "ci_high": False}
_ENTRY = "hierarchy.top.accuracy"  # carries every field in the metrics fixture


def _field_probes() -> list[Probe]:
    probes = []
    for which in ("metrics", "baseline"):
        for key, wrongs in _WRONG_TYPES.items():
            for i, wrong in enumerate(wrongs):
                probes.append(Probe(f"{which}-{key}-wrong-type-{i}", _set(which, _ENTRY, key, wrong),
                                    mentions=(f"{{{which}}}", f"metrics.{_ENTRY}.{key}")))
            if which == "baseline" and key.startswith("ci_"):
                continue  # the baseline fixture's entry has no interval: nothing to leave out
            name = f"{which}-{key}-missing"
            if _MISSING_OK[key]:
                probes.append(Probe(name, _drop(which, _ENTRY, key), check=_passes))
            elif key.startswith("ci_"):
                # one bound without the other is no interval at all
                probes.append(Probe(name, _drop(which, _ENTRY, key), mentions=(f"{{{which}}}", f"metrics.{_ENTRY}")))
            else:
                probes.append(Probe(name, _drop(which, _ENTRY, key),
                                    mentions=(f"{{{which}}}", f"metrics.{_ENTRY}.{key}")))
    return probes


# ----------------------------------------------------------------------------------------- whole-file probes
_DEEP = "[" * 100_000 + "]" * 100_000


def _file_probes() -> list[Probe]:
    probes = []
    for which in ("metrics", "baseline"):
        w = f"{{{which}}}"
        probes += [
            Probe(f"{which}-empty-file", _raw(which, ""), mentions=(w, "JSON")),
            Probe(f"{which}-not-json", _raw(which, "metrics: yes\n"), mentions=(w, "line 1")),
            Probe(f"{which}-truncated", _raw(which, '{"schema": "harness.metrics/1", "metrics": {'), mentions=(w,)),
            Probe(f"{which}-top-level-array", _raw(which, "[1, 2]"), mentions=(w, "object")),
            Probe(f"{which}-latin1", _raw(which, '{"schema": "caf\xe9"}'.encode("latin-1")), mentions=(w, "UTF-8")),
            Probe(f"{which}-utf16", _raw(which, json.dumps(METRICS).encode("utf-16")), mentions=(w, "UTF-8")),
            Probe(f"{which}-deep-nesting", _raw(which, _DEEP), mentions=(w, "deep")),
            Probe(f"{which}-nan-top-level", _raw(which, "NaN"), mentions=(w, "object")),
            Probe(f"{which}-schema-missing", lambda d, w_=which: d[w_].pop("schema"), mentions=(w, "schema")),
            Probe(f"{which}-schema-number", lambda d, w_=which: d[w_].update(schema=1), mentions=(w, "schema")),
            Probe(f"{which}-metrics-list", lambda d, w_=which: d[w_].update(metrics=[]), mentions=(w, "metrics")),
            Probe(f"{which}-metrics-missing", lambda d, w_=which: d[w_].pop("metrics"), mentions=(w, "metrics")),
            Probe(f"{which}-entry-is-number", lambda d, w_=which: d[w_]["metrics"].update({_ENTRY: 0.61}),
                  mentions=(w, f"metrics.{_ENTRY}")),
            Probe(f"{which}-entry-is-null", lambda d, w_=which: d[w_]["metrics"].update({_ENTRY: None}),
                  mentions=(w, f"metrics.{_ENTRY}")),
            Probe(f"{which}-entry-unknown-field", _set(which, _ENTRY, "ci_hihg", 0.7),
                  mentions=(w, f"metrics.{_ENTRY}.ci_hihg")),
            Probe(f"{which}-run-not-object", lambda d, w_=which: d[w_].update(run=[1]), mentions=(w, "run")),
        ]
    probes += [
        Probe("metrics-is-a-baseline", lambda d: d["metrics"].update(schema="harness.baseline/1"),
              mentions=("{metrics}", "schema")),
        Probe("baseline-is-metrics", lambda d: d["baseline"].update(schema="harness.metrics/1"),
              mentions=("{baseline}", "schema")),
        Probe("baseline-empty-metrics", lambda d: d["baseline"].update(metrics={}), mentions=("{baseline}", "metrics")),
        Probe("metrics-empty-metric-name", lambda d: d["metrics"]["metrics"].update({"": {"value": 0.5,
                                                                                         "kind": "proportion"}}),
              mentions=("{metrics}", "empty name")),
        # duplicated keys: json keeps the last one silently, which may hide the value a reviewer saw
        Probe("metrics-duplicate-value-key", _raw("metrics", _METRICS_TEXT.replace('"value": 0.61',
                                                                                  '"value": 0.99, "value": 0.61', 1)),
              mentions=("{metrics}", "value", "twice")),
        Probe("baseline-duplicate-metric-name",
              _raw("baseline", _BASELINE_TEXT.replace('"metrics": {', '"metrics": {"pattern.accuracy": {"value": 0.1, '
                                                                      '"kind": "proportion", "n": 150}, ', 1)),
              mentions=("{baseline}", "pattern.accuracy", "twice")),
        Probe("metrics-duplicate-metrics-block",
              _raw("metrics", _METRICS_TEXT.replace('"metrics": {', '"metrics": {}, "metrics": {', 1)),
              mentions=("{metrics}", "metrics", "twice")),
        Probe("baseline-duplicate-schema",
              _raw("baseline", _BASELINE_TEXT.replace('"schema"', '"schema": "x", "schema"', 1)),
              mentions=("{baseline}", "schema", "twice")),
    ]
    return probes


# ----------------------------------------------------------------------------------------- values out of range
def _range_probes() -> list[Probe]:
    m = "{metrics}"
    probes = [
        Probe("proportion-7.5", _set("metrics", "pattern.accuracy", "value", 7.5),
              mentions=(m, "metrics.pattern.accuracy.value")),
        Probe("proportion-negative", _set("baseline", "pattern.accuracy", "value", -0.1),
              mentions=("{baseline}", "metrics.pattern.accuracy.value")),
        Probe("kappa-1.5", _set("metrics", "pattern.cohen_kappa", "value", 1.5),
              mentions=(m, "metrics.pattern.cohen_kappa.value")),
        Probe("kappa-minus-2", _set("baseline", "pattern.cohen_kappa", "value", -2.0),
              mentions=("{baseline}", "metrics.pattern.cohen_kappa.value")),
        Probe("correlation-1.01", _set("metrics", "reconstruction.task.pearson", "value", 1.01),
              mentions=(m, "metrics.reconstruction.task.pearson.value")),
        Probe("error-negative", _set("metrics", "reconstruction.task.mse", "value", -0.001),
              mentions=(m, "metrics.reconstruction.task.mse.value")),
        Probe("cost-negative", _set("metrics", "usage.cost_usd", "value", -1.0),
              mentions=(m, "metrics.usage.cost_usd.value")),
        Probe("cost-1e9-current", _set("metrics", "usage.cost_usd", "value", 1e9),
              mentions=(m, "metrics.usage.cost_usd.value")),
        Probe("cost-1e9-baseline", _set("baseline", "usage.cost_usd", "value", 1e9),
              mentions=("{baseline}", "metrics.usage.cost_usd.value")),
        Probe("count-negative", _set("metrics", "goldset.items", "value", -5),
              mentions=(m, "metrics.goldset.items.value")),
        Probe("count-fractional", _set("metrics", "goldset.items", "value", 2.5),
              mentions=(m, "metrics.goldset.items.value")),
        Probe("value-infinity", _raw("metrics", json.dumps(METRICS).replace('"value": 0.61', '"value": Infinity', 1)),
              mentions=(m, "value")),
        Probe("value-1e999", _raw("metrics", json.dumps(METRICS).replace('"value": 0.61', '"value": 1e999', 1)),
              mentions=(m, "value")),
        Probe("n-zero-with-value", _set("metrics", "pattern.accuracy", "n", 0),
              mentions=(m, "metrics.pattern.accuracy.n")),
        Probe("ci-reversed", _both(_set("metrics", _ENTRY, "ci_low", 0.7), _set("metrics", _ENTRY, "ci_high", 0.5)),
              mentions=(m, f"metrics.{_ENTRY}")),
        Probe("ci-outside-range", _set("metrics", _ENTRY, "ci_high", 1.5), mentions=(m, f"metrics.{_ENTRY}.ci_high")),
    ]
    # The case: a kappa drop from 0.414 to -0.9 passed when an interval was infinite (a margin of infinity).
    kappa = "pattern.cohen_kappa"
    for bound in ("Infinity", "-Infinity", "NaN"):
        def spoil(docs: Docs, bound: str = bound) -> None:
            docs["baseline"]["metrics"][kappa].update(value=0.414, ci_low=0.3, ci_high=0.5)
            docs["metrics"]["metrics"][kappa].update(value=-0.9, ci_low=-1.0, ci_high="BOUND")
            docs["metrics"] = json.dumps(docs["metrics"]).replace('"BOUND"', bound)
        probes.append(Probe(f"kappa-drop-ci-{bound}", spoil, mentions=(m, f"metrics.{kappa}.ci_high")))
    return probes


# ----------------------------------------------------------------------------------------- gate semantics
def _semantic_probes() -> list[Probe]:
    def other_metric_set(docs: Docs) -> None:
        docs["baseline"]["metrics"] = {"reconstruction.gwa.mean.pearson": {"value": 0.9, "kind": "correlation",
                                                                          "n": 40}}

    def kind_changed(docs: Docs) -> None:
        docs["metrics"]["metrics"]["pattern.cohen_kappa"]["kind"] = "proportion"

    def goldset_changed(docs: Docs) -> None:
        docs["metrics"]["run"]["goldsets"] = [{"name": "gold", "sha256": "a" * 64, "n_items": 150}]
        docs["baseline"]["run"] = {"goldsets": [{"name": "gold", "sha256": "b" * 64, "n_items": 150}]}

    def split_changed(docs: Docs) -> None:
        docs["metrics"]["run"]["split"] = "dev"
        docs["baseline"]["run"] = {"split": "test"}

    return [
        Probe("baseline-from-another-metric-set", other_metric_set, mentions=("{baseline}", "metrics")),
        Probe("kind-changed", kind_changed, check=_fails_on("pattern.cohen_kappa", "FAIL")),
        Probe("current-value-null", _set("metrics", "pattern.accuracy", "value", None),
              check=_fails_on("pattern.accuracy", "NAN")),
        Probe("baseline-value-null", _set("baseline", "pattern.accuracy", "value", None),
              check=_fails_on("pattern.accuracy", "NAN")),
        Probe("current-value-nan-literal",
              _raw("metrics", json.dumps(METRICS).replace('"value": 0.55', '"value": NaN', 1)),
              check=_fails_on("pattern.accuracy", "NAN")),
        Probe("metric-missing-from-current", lambda d: d["metrics"]["metrics"].pop("screening.accuracy"),
              check=_fails_on("screening.accuracy", "MISSING")),
        Probe("n-zero-with-null-value", _both(_set("metrics", "pattern.accuracy", "value", None),
                                              _set("metrics", "pattern.accuracy", "n", 0)),
              check=_fails_on("pattern.accuracy", "NAN")),
        Probe("different-goldsets", goldset_changed, mentions=("{baseline}", "goldset")),
        Probe("different-splits", split_changed, mentions=("{baseline}", "split")),
        Probe("byte-order-mark", _raw("metrics", "\ufeff" + json.dumps(METRICS)), check=_passes),
        Probe("crlf-line-ends", _raw("baseline", json.dumps(BASELINE, indent=1).replace("\n", "\r\n")),
              check=_passes),
    ]


# ----------------------------------------------------------------------------------------- command-line probes
def _usage_probes() -> list[Probe]:
    def with_z(z: str) -> Callable[[Path, Path], list[str]]:
        return lambda m, b: [*_gate_argv(m, b), "--z", z]

    def written(outcome: Outcome, metrics: Path, baseline: Path) -> None:
        assert outcome.traceback is None and outcome.rc == 0, outcome.stderr
        again = run_cli(_gate_argv(metrics, baseline.parent / "new.json"))
        assert again.rc == 0 and "gate PASSED" in again.stdout, again.stdout + again.stderr

    probes = [Probe(f"z-{z}", argv=with_z(z), rc=2, mentions=("--z",)) for z in ("0", "-1", "nan", "inf", "abc")]
    probes += [
        Probe("no-baseline-option", argv=lambda m, b: ["gate", "--metrics", m], rc=2),
        Probe("both-baseline-options", argv=lambda m, b: [*_gate_argv(m, b), "--write-baseline", b], rc=2),
        Probe("no-metrics-option", argv=lambda m, b: ["gate", "--baseline", b], rc=2, mentions=("--metrics",)),
        Probe("metrics-missing-file", argv=lambda m, b: _gate_argv(m.parent / "nope.json", b),
              mentions=("nope.json", "not found")),
        Probe("metrics-is-a-directory", argv=lambda m, b: _gate_argv(m.parent, b), mentions=("directory",)),
        Probe("baseline-is-a-directory", argv=lambda m, b: _gate_argv(m, b.parent), mentions=("directory",)),
        Probe("write-baseline-to-directory", argv=lambda m, b: ["gate", "--metrics", m, "--write-baseline", m.parent],
              mentions=("directory",)),
        Probe("write-baseline-missing-folder",
              argv=lambda m, b: ["gate", "--metrics", m, "--write-baseline", m.parent / "no" / "such" / "b.json"],
              mentions=("b.json",)),
        Probe("write-baseline-over-the-metrics", argv=lambda m, b: ["gate", "--metrics", m, "--write-baseline", m],
              rc=2, mentions=("--metrics",)),
        Probe("write-baseline-from-bad-metrics", _set("metrics", _ENTRY, "value", 7.5),
              argv=lambda m, b: ["gate", "--metrics", m, "--write-baseline", b.parent / "new.json"],
              mentions=("{metrics}", f"metrics.{_ENTRY}.value")),
        Probe("write-baseline-round-trip",
              argv=lambda m, b: ["gate", "--metrics", m, "--write-baseline", b.parent / "new.json"], check=written),
    ]
    return probes


PROBES: list[Probe] = [*_field_probes(), *_file_probes(), *_range_probes(), *_semantic_probes(), *_usage_probes()]


def _write(path: Path, content: Any) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8", newline="")
    else:
        path.write_text(json.dumps(content, indent=1), encoding="utf-8")
    return path


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_gate_probe(probe: Probe, tmp_path: Path) -> None:
    docs: Docs = {"metrics": copy.deepcopy(METRICS), "baseline": copy.deepcopy(BASELINE)}
    probe.spoil(docs)
    metrics = _write(tmp_path / "metrics.json", docs["metrics"])
    (tmp_path / "base").mkdir()
    baseline = _write(tmp_path / "base" / "baseline.json", docs["baseline"])
    outcome = run_cli((probe.argv or _gate_argv)(metrics, baseline))
    if probe.check is not None:
        probe.check(outcome, metrics, baseline)
        return
    mentions = tuple(w.format(metrics=metrics, baseline=baseline) for w in probe.mentions)
    assert_clean_failure(outcome, rc=probe.rc, mentions=mentions)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through any permission")
def test_write_baseline_into_unwritable_folder(tmp_path: Path) -> None:
    metrics = _write(tmp_path / "metrics.json", METRICS)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        outcome = run_cli(["gate", "--metrics", metrics, "--write-baseline", locked / "b.json"])
    finally:
        locked.chmod(0o700)
    assert_clean_failure(outcome, rc=1, mentions=("b.json",))
