"""`harness gate` and `harness compare` through harness.cli.main."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from harness.cli import main

ItemsBuilder = Callable[..., pd.DataFrame]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "evaluate"


def test_gate_passes_on_identical_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["gate", "--metrics", str(FIXTURES / "metrics.json"), "--baseline", str(FIXTURES / "baseline.json")])
    out = capsys.readouterr().out
    assert code == 0
    assert "gate PASSED" in out and "pattern.cohen_kappa" in out


def test_gate_fails_on_degraded_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["gate", "--metrics", str(FIXTURES / "metrics_degraded.json"), "--baseline", str(FIXTURES / "baseline.json")]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "hierarchy.top.accuracy" in out
    # A huge z makes every drop look like noise (error and cost kinds still use their own tolerance).
    main([*args, "--z", "50"])
    out = capsys.readouterr().out
    assert "hierarchy.top.accuracy" in out
    assert all("FAIL" not in line for line in out.splitlines() if line.startswith("hierarchy."))


@pytest.mark.parametrize("value", [None, float("nan")])
def test_gate_fails_on_nan_and_missing(tmp_path: Path, value: float | None, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads((FIXTURES / "metrics.json").read_text())
    data["metrics"]["pattern.accuracy"]["value"] = value
    del data["metrics"]["screening.accuracy"]
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(data))  # json writes float NaN as the NaN literal, which the reader accepts
    assert main(["gate", "--metrics", str(path), "--baseline", str(FIXTURES / "baseline.json")]) == 1
    out = capsys.readouterr().out
    assert "NAN" in out and "MISSING" in out


def test_gate_reports_bad_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "metrics.json"
    bad.write_text(json.dumps({"schema": "harness.metrics/1", "metrics": {"a": {"value": 1, "kind": "nope"}}}))
    assert main(["gate", "--metrics", str(bad), "--baseline", str(FIXTURES / "baseline.json")]) == 1
    err = capsys.readouterr().err
    assert str(bad) in err and "metrics.a.kind" in err
    with pytest.raises(SystemExit) as info:
        main(["gate", "--metrics", str(bad), "--baseline", str(bad), "--z", "-1"])
    assert info.value.code == 2


def test_compare_prints_verdict(
    synthetic_items: ItemsBuilder, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, cand = tmp_path / "base", tmp_path / "cand"
    base.mkdir()
    cand.mkdir()
    synthetic_items(seed=1, skill=0.55).to_parquet(base / "items.parquet")
    synthetic_items(seed=2, skill=0.9).to_parquet(cand / "items.parquet")
    (cand / "metrics.json").write_text((FIXTURES / "metrics.json").read_text())
    assert main(["compare", str(base), str(cand), "--n-resamples", "200"]) == 0
    out = capsys.readouterr().out
    assert "verdict: better" in out
    assert "model=fixture-model" in out and "hierarchy.top.accuracy" in out
    # as a paired CI gate: the better candidate passes, the swapped (worse) one fails
    assert main(["compare", str(base), str(cand), "--n-resamples", "200", "--fail-if-worse"]) == 0
    assert main(["compare", str(cand), str(base), "--n-resamples", "200", "--fail-if-worse"]) == 1
    assert "verdict: worse" in capsys.readouterr().out


def test_compare_rejects_different_item_sets(
    synthetic_items, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, cand = tmp_path / "base", tmp_path / "cand"
    base.mkdir()
    cand.mkdir()
    synthetic_items(seed=1, n=40).to_parquet(base / "items.parquet")
    synthetic_items(seed=2, n=30).to_parquet(cand / "items.parquet")
    assert main(["compare", str(base), str(cand)]) == 1
    assert "different items" in capsys.readouterr().err
    assert main(["compare", str(base), str(tmp_path / "missing")]) == 1
