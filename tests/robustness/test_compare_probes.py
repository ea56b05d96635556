"""Bad input to ``harness compare``: the two runs' ``items.parquet`` (and ``metrics.json``), one probe a row.

Every probe writes a baseline and a candidate run directory holding a small, valid per-item table, spoils one thing
and runs the comparison in-process. Bad input must fail cleanly (exit 1, one line naming the file and the column);
acceptable input must give the right answer. The column probes are generated from :data:`harness.run.ITEM_SCHEMA`:
for every column, the column left out and the column holding values of a wrong type.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from harness.evaluate import PATTERNS
from harness.run import ITEM_SCHEMA
from tests.robustness.conftest import Outcome, assert_clean_failure, run_cli

N_ITEMS = 40
RESAMPLES = "200"


def make_items(seed: int, skill: float) -> pd.DataFrame:
    """A valid per-item table as ``harness validate`` writes it; the gold labels are the same for every seed."""
    gold = np.random.default_rng(7)
    rng = np.random.default_rng(seed)
    gold_pattern = gold.choice(PATTERNS, size=N_ITEMS)
    gold_occ = gold.random(N_ITEMS) < 0.8
    major = gold.choice(["11", "15", "43"], size=N_ITEMS)

    def right() -> np.ndarray:
        return rng.random(N_ITEMS) < skill

    pred_pattern = np.where(right(), gold_pattern, rng.choice(PATTERNS, size=N_ITEMS)).astype(object)
    correct = {level: pd.array(np.where(gold_occ, right(), None), dtype="boolean") for level in ("top", "mid", "base")}
    return pd.DataFrame({
        "item_id": [f"item-{i:03d}" for i in range(N_ITEMS)],
        "split": ["test"] * N_ITEMS,
        "account_id": [f"acct-{i % 13}" for i in range(N_ITEMS)],
        "major_group": major,
        "invalid": np.zeros(N_ITEMS, dtype=bool),
        "gold_pattern": gold_pattern,
        "pred_pattern": pred_pattern,
        "gold_occupational": gold_occ,
        "pred_occupational": np.where(right(), gold_occ, ~gold_occ),
        "input_tokens": rng.integers(500, 1500, size=N_ITEMS),
        "output_tokens": rng.integers(50, 200, size=N_ITEMS),
        "latency_s": rng.random(N_ITEMS) * 3,
        "cost_usd": rng.random(N_ITEMS) * 0.01,
        **{f"pred_{level}": [f"{level}-node"] * N_ITEMS for level in ("top", "mid", "base")},
        **{f"correct_{level}": values for level, values in correct.items()},
        "pred_major_group": np.where(right(), major, "99").astype(object),
        "confidence": np.linspace(0.1, 0.9, N_ITEMS),  # no draw, so the columns above stay as they were
    })


Frames = dict[str, Any]  # "baseline"/"candidate": a DataFrame, or bytes/str written as the file's raw content


@dataclass(frozen=True)
class Probe:
    """One bad input to compare.

    Attributes:
        name: Test id.
        spoil: Changes the two tables in place (or replaces one with raw content).
        argv: Extra command-line words after the two run directories.
        rc: Expected exit status of a clean failure.
        mentions: Words the message line must hold; ``{candidate}``/``{baseline}`` stand for the items files.
        check: For acceptable input, a check of the outcome (given the outcome of the unspoilt comparison).
        setup: Further changes to the two run directories (e.g. a metrics.json beside the table).
    """

    name: str
    spoil: Callable[[Frames], None] = lambda frames: None
    argv: tuple[str, ...] = ()
    rc: int | None = 1
    mentions: tuple[str, ...] = ()
    check: Callable[[Outcome, Outcome], None] | None = None
    setup: Callable[[Path, Path], None] | None = None


def _column(which: str, name: str, values: Any) -> Callable[[Frames], None]:
    def spoil(frames: Frames) -> None:
        frame = frames[which]
        frame[name] = values(frame) if callable(values) else values
    return spoil


def _both_columns(name: str, values: Any) -> Callable[[Frames], None]:
    def spoil(frames: Frames) -> None:
        for which in ("baseline", "candidate"):
            _column(which, name, values)(frames)
    return spoil


def _same_answer(outcome: Outcome, plain: Outcome) -> None:
    """The spoilt input is acceptable and means the same as the plain one: the same report, word for word."""
    assert outcome.traceback is None, outcome.traceback
    assert outcome.rc == plain.rc == 0, outcome.stderr
    assert outcome.stdout == plain.stdout


def _exit_zero_and(*words: str) -> Callable[[Outcome, Outcome], None]:
    def check(outcome: Outcome, plain: Outcome) -> None:
        assert outcome.traceback is None, outcome.traceback
        assert outcome.rc == 0, outcome.stderr
        for word in words:
            assert word in outcome.stdout, outcome.stdout
    return check


# ----------------------------------------------------------------------------------------- generated column probes
_WRONG_BY_KIND: dict[str, Any] = {
    "string": lambda f: np.arange(len(f)),                                     # numbers where text belongs
    "bool": lambda f: np.where(np.arange(len(f)) % 2 == 0, "yes", "no"),      # the "yes"/"no"
    "int": lambda f: ["many"] * len(f),
    "float": lambda f: ["slow"] * len(f),
}


def _column_probes() -> list[Probe]:
    probes = []
    for column in ITEM_SCHEMA.columns:
        def drop(frames: Frames, name: str = column.name) -> None:
            frames["candidate"].drop(columns=name, inplace=True)

        if column.required:
            probes.append(Probe(f"missing-{column.name}", drop, mentions=("{candidate}", column.name)))
        else:  # an optional column may be left out (tables written before it existed)
            probes.append(Probe(f"missing-{column.name}", drop, check=_exit_zero_and("verdict:")))
        probes.append(Probe(f"wrong-type-{column.name}", _column("candidate", column.name, _WRONG_BY_KIND[column.kind]),
                            mentions=("{candidate}", column.name)))
    return probes


# ----------------------------------------------------------------------------------------- value probes
def _alternate(a: Any, b: Any) -> Callable[[pd.DataFrame], list[Any]]:
    return lambda f: [a if i % 2 == 0 else b for i in range(len(f))]


def _value_probes() -> list[Probe]:
    c = "{candidate}"
    nan_everywhere = _alternate(np.nan, np.nan)
    return [
        Probe("correct-yes-no-both-runs", _both_columns("correct_top", _alternate("yes", "no")),
              mentions=("{baseline}", "correct_top")),
        Probe("correct-2.5", _column("candidate", "correct_top", _alternate(2.5, 0.0)), mentions=(c, "correct_top")),
        Probe("correct-int-2", _column("candidate", "correct_mid", _alternate(2, 0)), mentions=(c, "correct_mid")),
        Probe("correct-negative-one", _column("candidate", "invalid", _alternate(-1, 0)), mentions=(c, "invalid")),
        Probe("correct-true-string", _column("candidate", "gold_occupational", _alternate("True", "False")),
              mentions=(c, "gold_occupational")),
        Probe("correct-category", _column("candidate", "correct_base",
                                          lambda f: pd.Categorical(_alternate("yes", "no")(f))),
              mentions=(c, "correct_base")),
        # 0/1 stored as integers (or as floats, as Parquet gives back an integer column with gaps) mean false/true
        Probe("correct-as-0-1-ints", _both_columns("pred_occupational",
                                                   lambda f: f["pred_occupational"].astype(int)), check=_same_answer),
        Probe("correct-as-0-1-floats-with-gaps",
              _both_columns("correct_top", lambda f: f["correct_top"].astype("Float64").astype(float)),
              check=_same_answer),
        # the primary metric (hierarchy.top.accuracy by default) with nothing to compare: refused, not judged
        Probe("correct-all-nan-both", _both_columns("correct_top", nan_everywhere),
              mentions=(c, "no comparable items", "hierarchy.top.accuracy")),
        Probe("secondary-all-nan-both", _both_columns("correct_mid", nan_everywhere),
              check=_exit_zero_and("no comparable items", "hierarchy.mid.accuracy")),
        Probe("everything-nan-both", _nothing_comparable, mentions=("no comparable items",)),
        Probe("empty-tables", lambda fr: [fr[w].drop(fr[w].index, inplace=True) for w in ("baseline", "candidate")],
              mentions=("{baseline}", "no items")),
        Probe("duplicated-item-id", _column("candidate", "item_id", lambda f: ["same"] * len(f)),
              mentions=(c, "item_id")),
        Probe("null-item-id", _column("candidate", "item_id", lambda f: [None, *f["item_id"][1:]]),
              mentions=(c, "item_id")),
        Probe("empty-item-id", _column("candidate", "item_id", lambda f: ["", *f["item_id"][1:]]),
              mentions=(c, "item_id")),
        Probe("different-item-sets", lambda fr: fr["candidate"].drop(index=[0, 1], inplace=True),
              mentions=(c, "different items")),
        Probe("different-splits", _column("candidate", "split", lambda f: ["dev"] * len(f)), mentions=(c, "split")),
        Probe("split-not-a-split", _both_columns("split", lambda f: ["holdout"] * len(f)),
              mentions=("{baseline}", "split")),
        Probe("gold-pattern-differs", _column("candidate", "gold_pattern", lambda f: ["none"] * len(f)),
              mentions=(c, "gold_pattern")),
        Probe("gold-pattern-unknown", _both_columns("gold_pattern", lambda f: ["dancing"] * len(f)),
              mentions=("{baseline}", "gold_pattern")),
        Probe("gold-occupational-differs", _column("candidate", "gold_occupational", lambda f: ~f["gold_occupational"]),
              mentions=(c, "gold_occupational")),
        Probe("major-group-differs", _column("candidate", "major_group", lambda f: ["51"] * len(f)),
              mentions=(c, "major_group")),
        Probe("pred-pattern-unknown", _column("candidate", "pred_pattern", lambda f: ["dancing"] * len(f)),
              check=_exit_zero_and("verdict: worse")),
        Probe("tokens-negative", _column("candidate", "input_tokens", lambda f: -f["input_tokens"]),
              mentions=(c, "input_tokens")),
        Probe("tokens-fractional", _column("candidate", "output_tokens", _alternate(1.5, 2.0)),
              mentions=(c, "output_tokens")),
        Probe("tokens-with-gaps", _column("candidate", "output_tokens", _alternate(np.nan, 100.0)),
              check=_exit_zero_and("verdict:")),
        Probe("cost-negative", _column("candidate", "cost_usd", lambda f: -f["cost_usd"]), mentions=(c, "cost_usd")),
        Probe("cost-infinite", _column("candidate", "cost_usd", _alternate(np.inf, 0.01)), mentions=(c, "cost_usd")),
        Probe("latency-nan-literal-text", _column("candidate", "latency_s", _alternate("NaN", "1.0")),
              mentions=(c, "latency_s")),
        Probe("cost-missing-values", _column("candidate", "cost_usd", _alternate(np.nan, np.nan)),
              check=_exit_zero_and("verdict:")),
        Probe("extra-column", _column("candidate", "notes", lambda f: ["x"] * len(f)), check=_same_answer),
        Probe("nullable-boolean-dtype",
              _both_columns("gold_occupational", lambda f: f["gold_occupational"].astype("boolean")),
              check=_same_answer),
    ]


def _nothing_comparable(frames: Frames) -> None:
    for which in ("baseline", "candidate"):
        frame = frames[which]
        for column in ("correct_top", "correct_mid", "correct_base", "gold_occupational", "gold_pattern",
                       "major_group"):
            frame[column] = [None] * len(frame)


# ----------------------------------------------------------------------------------------- file probes
def _with_metadata(which: str, **metadata: str) -> Callable[[Frames], None]:
    def spoil(frames: Frames) -> None:
        table = pa.Table.from_pandas(frames[which], preserve_index=False)
        extra = {k.replace("_", ".", 1).encode(): v.encode() for k, v in metadata.items()}
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **extra})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        frames[which] = sink.getvalue().to_pybytes()
    return spoil


def _goldset_block(sha: str) -> dict[str, Any]:
    return {"schema": "harness.metrics/1", "run": {"goldsets": [{"name": "g", "sha256": sha, "n_items": N_ITEMS}],
                                                   "split": "test"}, "metrics": {}}


def _file_probes() -> list[Probe]:
    c = "{candidate}"

    def metrics_beside(baseline_sha: str, candidate_sha: str) -> Callable[[Path, Path], None]:
        def setup(base: Path, cand: Path) -> None:
            (base / "metrics.json").write_text(json.dumps(_goldset_block(baseline_sha)))
            (cand / "metrics.json").write_text(json.dumps(_goldset_block(candidate_sha)))
        return setup

    def broken_metrics(base: Path, cand: Path) -> None:
        (cand / "metrics.json").write_text('{"schema": "harness.metrics/1", "metrics": {')

    def unfinished(base: Path, cand: Path) -> None:
        (cand / "facts.partial.jsonl").write_text('{"conversation_id": "x"}\n')

    return [
        Probe("items-not-parquet", lambda fr: fr.update(candidate="item_id,split\nx,test\n"), mentions=(c, "Parquet")),
        Probe("items-empty-file", lambda fr: fr.update(candidate=b""), mentions=(c, "Parquet")),
        Probe("items-of-another-table", _with_metadata("candidate", harness_table="facts"),
              mentions=(c, "facts")),
        Probe("items-newer-version", _with_metadata("candidate", harness_schema_version="99"),
              mentions=(c, "99")),
        Probe("items-bad-version", _with_metadata("candidate", harness_schema_version="two"),
              mentions=(c, "version")),
        Probe("different-goldsets", setup=metrics_beside("a" * 64, "b" * 64), mentions=("goldset",)),
        Probe("same-goldset-recorded", setup=metrics_beside("a" * 64, "a" * 64), check=_exit_zero_and("verdict:")),
        Probe("broken-metrics-beside", setup=broken_metrics, mentions=("metrics.json",)),
        Probe("unfinished-candidate", setup=unfinished, mentions=("unfinished",)),
    ]


# ----------------------------------------------------------------------------------------- command-line probes
def _usage_probes() -> list[Probe]:
    probes = [Probe(f"confidence-{v}", argv=("--confidence", v), rc=2, mentions=("--confidence",))
              for v in ("0", "1", "1.5", "-0.5", "nan", "abc")]
    probes += [Probe(f"n-resamples-{v}", argv=("--n-resamples", v), rc=2, mentions=("--n-resamples",))
               for v in ("0", "-5", "abc", "2.5")]
    probes += [Probe(f"seed-{v}", argv=("--seed", v), rc=2, mentions=("--seed",)) for v in ("-1", "abc")]
    probes += [
        Probe("same-run-twice", argv=("SAME",), check=_not_worse),
        Probe("fail-if-worse", lambda fr: fr.update(candidate=make_items(seed=3, skill=0.2)),
              argv=("--fail-if-worse",), check=_worse_fails),
    ]
    return probes


def _not_worse(outcome: Outcome, plain: Outcome) -> None:
    assert outcome.traceback is None and outcome.rc == 0, outcome.stderr
    verdict = next(line for line in outcome.stdout.splitlines() if line.startswith("verdict:"))
    assert "worse" not in verdict and "better" not in verdict, verdict


def _worse_fails(outcome: Outcome, plain: Outcome) -> None:
    assert outcome.traceback is None and outcome.rc == 1, outcome.stderr
    assert "verdict: worse" in outcome.stdout


PROBES: list[Probe] = [*_column_probes(), *_value_probes(), *_file_probes(), *_usage_probes()]


def _write(folder: Path, content: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "items.parquet"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content)
    else:
        content.to_parquet(path, index=False)
    return path


def _compare(base: Path, cand: Path, argv: tuple[str, ...]) -> Outcome:
    if argv[:1] == ("SAME",):
        return run_cli(["compare", base, base, "--n-resamples", RESAMPLES])
    return run_cli(["compare", base, cand, "--n-resamples", RESAMPLES, *argv])


def run_probe(probe: Probe, tmp_path: Path) -> None:
    """Write the two runs, spoil them as ``probe`` says, compare them and judge the outcome."""
    frames: Frames = {"baseline": make_items(seed=1, skill=0.6), "candidate": make_items(seed=2, skill=0.6)}
    base, cand = tmp_path / "base", tmp_path / "cand"
    plain = None
    if probe.check is not None:
        _write(base, frames["baseline"])
        _write(cand, frames["candidate"])
        plain = _compare(base, cand, ())
    probe.spoil(frames)
    paths = {"baseline": _write(base, frames["baseline"]), "candidate": _write(cand, frames["candidate"])}
    if probe.setup is not None:
        probe.setup(base, cand)
    outcome = _compare(base, cand, probe.argv)
    if probe.check is not None:
        probe.check(outcome, plain)
        return
    assert_clean_failure(outcome, rc=probe.rc, mentions=tuple(w.format(**paths) for w in probe.mentions))


@pytest.mark.parametrize("probe", PROBES, ids=[p.name for p in PROBES])
def test_compare_probe(probe: Probe, tmp_path: Path) -> None:
    run_probe(probe, tmp_path)
