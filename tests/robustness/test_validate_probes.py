"""Bad input to ``harness validate``: goldset files, replayed predictions and the command line, one probe a row.

Each probe runs ``validate`` in-process on the synthetic goldset (``tests/fixtures/goldsets/synthetic.jsonl``) with
the synthetic O*NET release and the ``replay:`` backend, after spoiling one thing. Bad input must fail cleanly
(exit 1 bad input, 2 bad usage, one line naming the file, line and field, no traceback); acceptable input must give
the metrics of the unspoilt run. The field probes are generated from the goldset format: for every field of an item,
its conversation and a rater's label, a value of a wrong type and the field left out.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES, write_mini_onet
from tests.robustness.conftest import Outcome, assert_clean_failure, run_cli

GOLDSET = FIXTURES / "goldsets" / "synthetic.jsonl"
ITEMS: list[dict[str, Any]] = [json.loads(line) for line in GOLDSET.read_text().splitlines() if line.strip()]
PREDICTIONS = [
    {"conversation_id": "g-1", "task_id": 101, "pattern": "directive", "occupational": True},
    {"conversation_id": "g-2", "task_id": 201, "pattern": "learning", "occupational": True},
    {"conversation_id": "g-3", "task_id": 202, "pattern": "validation", "occupational": False},
    {"conversation_id": "g-4", "task_id": 301, "pattern": "none", "occupational": False},
]


@dataclass
class Inputs:
    """What one probe may spoil: the goldset (items, or raw text/bytes), the predictions and the command line."""

    goldset: list[dict[str, Any]] | str | bytes
    predictions: list[dict[str, Any]] | str
    argv: list[str]


@dataclass(frozen=True)
class Probe:
    """One bad input to validate.

    Attributes:
        name: Test id.
        spoil: Changes the inputs in place.
        rc: Expected exit status of a clean failure.
        mentions: Words the message line must hold; ``{goldset}`` and ``{predictions}`` stand for the file paths.
        check: For acceptable input, a check of the outcome against the unspoilt run's metrics.
    """

    name: str
    spoil: Callable[[Inputs], None]
    rc: int | None = 1
    mentions: tuple[str, ...] = ()
    check: Callable[[Outcome, Path, dict[str, Any]], None] | None = None


def _same_metrics(outcome: Outcome, out: Path, plain: dict[str, Any]) -> None:
    """Acceptable input that means the same as the fixture: exit 0 and the same metric values."""
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == 0, outcome.stderr
    metrics = json.loads((out / "metrics.json").read_text())["metrics"]
    assert {k: v["value"] for k, v in metrics.items()} == plain


def _validates(outcome: Outcome, out: Path, plain: dict[str, Any]) -> None:
    """Acceptable input: exit 0 with a metrics file written."""
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == 0, outcome.stderr
    assert (out / "metrics.json").is_file()


def _item(index: int, *keys: str) -> Callable[[Inputs], dict[str, Any]]:
    """The object at ``keys`` inside goldset item ``index`` (e.g. ``conversation`` or ``labels``, 0)."""
    def get(inputs: Inputs) -> Any:
        obj: Any = inputs.goldset[index]
        for key in keys:
            obj = obj[key]
        return obj
    return get


def _set(where: Callable[[Inputs], Any], key: Any, value: Any) -> Callable[[Inputs], None]:
    return lambda inputs: where(inputs).__setitem__(key, value)


def _drop(where: Callable[[Inputs], Any], key: str) -> Callable[[Inputs], None]:
    return lambda inputs: where(inputs).pop(key)


def _text(content: Callable[[str], str | bytes]) -> Callable[[Inputs], None]:
    """Replace the goldset by raw content made from the fixture's text."""
    def spoil(inputs: Inputs) -> None:
        inputs.goldset = content(GOLDSET.read_text(encoding="utf-8"))
    return spoil


# ----------------------------------------------------------------------------------------- generated field probes
# field -> (its object in goldset item 0, wrong values, whether leaving it out is acceptable)
_ITEM, _CONV, _LABEL = _item(0), _item(0, "conversation"), _item(0, "labels", 0)
_FIELDS: dict[str, tuple[Callable[[Inputs], Any], str, tuple[Any, ...], bool]] = {
    "id": (_ITEM, "id", (5, ["g-1"]), False),
    "split": (_ITEM, "split", (1, "train"), False),
    "conversation": (_ITEM, "conversation", ("hello", [1]), False),
    "labels": (_ITEM, "labels", ({"rater": "a"}, "rater-a"), False),
    "sample": (_ITEM, "sample", ([1], "seed 0"), True),
    "conversation.source": (_CONV, "source", (3, ""), False),
    "conversation.source_id": (_CONV, "source_id", (4, None), False),
    "conversation.account_id": (_CONV, "account_id", ([], 7), False),
    "conversation.messages": (_CONV, "messages", ("hi", {"role": "user"}), False),
    "conversation.model": (_CONV, "model", (5, ["m"]), True),
    "conversation.meta": (_CONV, "meta", ("x", [1]), True),
    "labels[0].rater": (_LABEL, "rater", (7, ""), False),
    "labels[0].occupational": (_LABEL, "occupational", ("false", 1), False),
    "labels[0].tasks": (_LABEL, "tasks", ("101", 101), False),
    "labels[0].nodes": (_LABEL, "nodes", ([1], {"mini-h": "t1"}), True),
    "labels[0].pattern": (_LABEL, "pattern", (3, "Directive"), False),
    "labels[0].skills": (_LABEL, "skills", ("Programming", [1]), True),
    "labels[0].confidence": (_LABEL, "confidence", (0.9, "sure"), False),
    "labels[0].notes": (_LABEL, "notes", (5, ["a"]), True),
    "labels[0].date": (_LABEL, "date", (20261120, "20 Nov 2026"), True),
}


def _field_probes() -> list[Probe]:
    probes = []
    for name, (where, key, wrongs, missing_ok) in _FIELDS.items():
        for i, wrong in enumerate(wrongs):
            probes.append(Probe(f"goldset-{name}-wrong-{i}", _set(where, key, wrong),
                                mentions=("{goldset}", "line 1", name)))
        if key not in where(Inputs(ITEMS, [], [])):
            continue  # the fixture item leaves this optional field out already
        if missing_ok:
            probes.append(Probe(f"goldset-{name}-missing", _drop(where, key), check=_validates))
        else:
            probes.append(Probe(f"goldset-{name}-missing", _drop(where, key), mentions=("{goldset}", "line 1", name)))
    return probes


# ----------------------------------------------------------------------------------------- goldset file probes
def _only_dev(inputs: Inputs) -> None:
    inputs.goldset = [item for item in ITEMS if item["split"] == "dev"]
    inputs.argv += ["--split", "test"]


def _goldset_twice(inputs: Inputs) -> None:
    inputs.argv += ["--goldset", "{goldset}"]


def _goldset_path(replacement: str) -> Callable[[Inputs], None]:
    def spoil(inputs: Inputs) -> None:
        inputs.argv[inputs.argv.index("{goldset}")] = replacement
    return spoil


def _file_probes() -> list[Probe]:
    g = "{goldset}"
    first_message = '"content": "My unit test fails'
    return [
        Probe("goldset-empty-file", _text(lambda text: ""), mentions=(g, "no items")),
        Probe("goldset-blank-lines-only", _text(lambda text: "\n  \n\n"), mentions=(g, "no items")),
        Probe("split-without-items", _only_dev, mentions=(g, "test")),
        Probe("split-check-without-items", _flag("--split", "check"), mentions=(g, "'check' split", "split")),
        Probe("goldset-split-check", _set(_ITEM, "split", "check"), check=_validates),
        Probe("goldset-latin1", _text(lambda text: text.replace("billing", "caf\xe9").encode("latin-1")),
              mentions=(g, "UTF-8")),
        Probe("goldset-utf16", _text(lambda text: text.encode("utf-16")), mentions=(g, "UTF-8")),
        Probe("goldset-byte-order-mark", _text(lambda text: "\ufeff" + text), check=_same_metrics),
        Probe("goldset-crlf", _text(lambda text: text.replace("\n", "\r\n")), check=_same_metrics),
        Probe("goldset-deep-nesting", _text(lambda text: text + "[" * 100_000 + "]" * 100_000 + "\n"),
              mentions=(g, "line 6")),
        Probe("goldset-duplicate-key",
              _text(lambda text: text.replace('"split": "dev"', '"split": "test", "split": "dev"', 1)),
              mentions=(g, "line 1", "split")),
        Probe("goldset-duplicate-id", _set(_item(1), "id", "g-1"), mentions=(g, "line 2", "id")),
        Probe("goldset-given-twice", _goldset_twice, mentions=(g, "g-1")),
        Probe("goldset-missing-file", _goldset_path("/nonexistent/gold.jsonl"), mentions=("gold.jsonl",)),
        Probe("goldset-is-a-directory", _goldset_path(str(FIXTURES / "goldsets")), mentions=("goldsets",)),
        Probe("goldset-not-json-lines", _text(lambda text: "id,split\ng-1,dev\n"), mentions=(g, "line 1")),
        Probe("goldset-array-line", _text(lambda text: "[1, 2]\n" + text), mentions=(g, "line 1")),
        # a lone surrogate is not Unicode; message readers replace it by U+FFFD (with a warning), as for classify
        Probe("goldset-lone-surrogate", _text(lambda text: text.replace(first_message, first_message + " \\ud800", 1)),
              check=_validates),
        Probe("goldset-nan-task", _text(lambda text: text.replace('"tasks": [101]', '"tasks": [NaN]', 1)),
              mentions=(g, "line 1", "tasks")),
        Probe("goldset-float-task", _set(_LABEL, "tasks", [101.0]), mentions=(g, "line 1", "tasks")),
        Probe("goldset-unknown-task", _set(_LABEL, "tasks", [10 ** 30]), mentions=(g, "line 1", "tasks")),
        Probe("goldset-bad-role", _set(_item(0, "conversation", "messages", 0), "role", "robot"),
              mentions=(g, "line 1", "conversation.messages")),
        Probe("goldset-content-number", _set(_item(0, "conversation", "messages", 0), "content", 5),
              mentions=(g, "line 1", "conversation.messages")),
        Probe("goldset-unknown-field", _set(_ITEM, "lables", []), mentions=(g, "line 1", "lables")),
        Probe("goldset-no-user-text", _set(_item(0, "conversation", "messages", 0), "content", "   "),
              mentions=(g, "line 1", "conversation.messages")),
    ]


# ----------------------------------------------------------------------------------------- predictions and usage
def _predictions(content: Callable[[list[dict[str, Any]]], list[dict[str, Any]] | str]) -> Callable[[Inputs], None]:
    def spoil(inputs: Inputs) -> None:
        inputs.predictions = content(copy.deepcopy(PREDICTIONS))
    return spoil


def _flag(*words: str) -> Callable[[Inputs], None]:
    return lambda inputs: inputs.argv.extend(words)


def _usage_probes() -> list[Probe]:
    p = "{predictions}"
    probes = [Probe(f"bootstrap-{v}", _flag("--bootstrap", v), rc=2, mentions=("--bootstrap",))
              for v in ("0", "-5", "abc", "1.5")]
    probes += [
        Probe("split-unknown", _flag("--split", "train"), rc=2, mentions=("--split",)),
        Probe("seed-negative", _flag("--seed", "-1"), rc=2, mentions=("--seed",)),
        Probe("seed-text", _flag("--seed", "abc"), rc=2, mentions=("--seed",)),
        Probe("out-is-a-file", lambda inputs: inputs.argv.__setitem__(inputs.argv.index("--out") + 1, str(GOLDSET)),
              mentions=("synthetic.jsonl",)),
        Probe("hierarchy-missing", _flag("--hierarchy", "/nonexistent/h.json"), mentions=("h.json",)),
        Probe("release-unknown", _flag("--release", "99"), rc=None, mentions=("99",)),
        Probe("predictions-missing-id", _predictions(lambda rows: [{k: v for k, v in rows[0].items()
                                                                    if k != "conversation_id"}]),
              mentions=(p, "conversation_id")),
        Probe("predictions-not-json", _predictions(lambda rows: "conversation_id=g-1\n"), mentions=(p, "line 1")),
        Probe("predictions-duplicate-id", _predictions(lambda rows: [*rows, rows[0]]), mentions=(p, "line 5")),
        Probe("predictions-unknown-pattern", _predictions(lambda rows: [{**rows[0], "pattern": "dancing"}]),
              mentions=(p, "pattern")),
        Probe("predictions-unknown-task", _predictions(lambda rows: [{**rows[0], "task_id": 999999}]),
              mentions=(p, "task_id")),
        Probe("predictions-occupational-text",
              _predictions(lambda rows: [{**r, "occupational": str(r["occupational"]).lower()} for r in rows]),
              check=_same_metrics),
    ]
    return probes


PROBES: list[Probe] = [*_field_probes(), *_file_probes(), *_usage_probes()]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the synthetic O*NET release as 29.3."""
    root = tmp_path_factory.mktemp("validate-probes")
    write_mini_onet(root / "data" / "onet" / "db_29_3_text")
    return root / "data"


def _write_inputs(inputs: Inputs, folder: Path) -> dict[str, Path]:
    gold, preds = folder / "gold.jsonl", folder / "preds.jsonl"
    if isinstance(inputs.goldset, bytes):
        gold.write_bytes(inputs.goldset)
    elif isinstance(inputs.goldset, str):
        gold.write_text(inputs.goldset, encoding="utf-8", newline="")
    else:
        gold.write_text("".join(json.dumps(item) + "\n" for item in inputs.goldset), encoding="utf-8")
    content = inputs.predictions
    preds.write_text(content if isinstance(content, str) else "".join(json.dumps(r) + "\n" for r in content))
    return {"goldset": gold, "predictions": preds}


def _run(inputs: Inputs, folder: Path, data: Path) -> tuple[Outcome, dict[str, Path]]:
    paths = _write_inputs(inputs, folder)
    argv = [word.format(**paths) for word in inputs.argv]
    return run_cli(["--data-dir", data, *argv]), paths


def _inputs(folder: Path) -> Inputs:
    return Inputs(goldset=copy.deepcopy(ITEMS), predictions=copy.deepcopy(PREDICTIONS),
                  argv=["validate", "--goldset", "{goldset}", "--backend", "replay:{predictions}", "--out",
                        str(folder / "run"), "--no-progress", "--bootstrap", "20"])


_PLAIN: dict[str, dict[str, Any]] = {}


def _plain_metrics(tmp: Path, data: Path) -> dict[str, Any]:
    """Metric values of the unspoilt run (computed once per process)."""
    if "metrics" not in _PLAIN:
        folder = tmp / "plain"
        folder.mkdir()
        outcome, _ = _run(_inputs(folder), folder, data)
        assert outcome.rc == 0, outcome.stderr
        metrics = json.loads((folder / "run" / "metrics.json").read_text())["metrics"]
        _PLAIN["metrics"] = {k: v["value"] for k, v in metrics.items()}
        shutil.rmtree(folder)
    return _PLAIN["metrics"]


def run_probe(probe: Probe, tmp_path: Path, data: Path) -> None:
    """Spoil the inputs as ``probe`` says, run validate and judge the outcome."""
    plain = _plain_metrics(tmp_path, data) if probe.check is not None else {}
    inputs = _inputs(tmp_path)
    probe.spoil(inputs)
    outcome, paths = _run(inputs, tmp_path, data)
    if probe.check is not None:
        probe.check(outcome, tmp_path / "run", plain)
        return
    assert_clean_failure(outcome, rc=probe.rc, mentions=tuple(w.format(**paths) for w in probe.mentions))


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_validate_probe(probe: Probe, tmp_path: Path, data_root: Path) -> None:
    run_probe(probe, tmp_path, data_root)
