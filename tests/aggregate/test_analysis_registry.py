"""The analysis registry: specs are checked, names are unique, and runs gather every registered analysis."""

from __future__ import annotations

import pandas as pd
import pytest

from harness.aggregate import (
    ANALYSES,
    SOURCE_KINDS,
    AnalysisOutput,
    AnalysisSpec,
    WalledTable,
    analyses_for,
    analysis_spec,
    register_analysis,
    run_analyses,
)


def _output(name: str) -> AnalysisOutput:
    return AnalysisOutput({name: WalledTable(name, pd.DataFrame({"x": [1]}), None, "test")}, {}, {"n": 1})


def test_specs_are_checked() -> None:
    with pytest.raises(ValueError, match="applies_to"):
        AnalysisSpec("x", frozenset(), lambda s, **_: _output("x"))
    with pytest.raises(ValueError, match="applies_to"):
        AnalysisSpec("x", frozenset({"nonsense"}), lambda s, **_: _output("x"))
    with pytest.raises(ValueError, match="already registered"):
        register_analysis(AnalysisSpec("drift", frozenset({"pair"}), lambda s, **_: _output("x")))
    with pytest.raises(KeyError, match="registered: "):
        analysis_spec("no-such-analysis")
    with pytest.raises(ValueError, match="kind"):
        analyses_for("nope")


def test_every_registered_analysis_names_a_known_kind() -> None:
    assert {"collaboration", "task_mix", "concentration", "power_law", "geography", "facets", "drift"} <= set(ANALYSES)
    for spec in ANALYSES.values():
        assert spec.applies_to <= set(SOURCE_KINDS) and spec.description


def test_run_gathers_outputs_and_refuses_clashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.aggregate._registry.ANALYSES", {})
    register_analysis(AnalysisSpec("one", frozenset({"facts"}), lambda s, **o: _output(f"t_{o['tag']}")))
    register_analysis(AnalysisSpec("two", frozenset({"facts", "release"}), lambda s, **_: _output("t_two")))
    analysis = run_analyses("facts", object(), name="run", tag="a", summary={"source": "x"})
    assert set(analysis.tables) == {"t_a", "t_two"}
    assert analysis.summary == {"name": "run", "kind": "facts", "source": "x", "one": {"n": 1}, "two": {"n": 1}}
    assert set(run_analyses("release", object(), name="r").tables) == {"t_two"}
    with pytest.raises(ValueError, match="does not apply"):
        run_analyses("release", object(), name="r", names=["one"], tag="a")
    register_analysis(AnalysisSpec("three", frozenset({"facts"}), lambda s, **_: _output("t_two")))
    with pytest.raises(ValueError, match="reuses output name"):
        run_analyses("facts", object(), name="run", tag="a")
