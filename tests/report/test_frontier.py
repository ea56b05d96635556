"""The cost-accuracy frontier section (``harness report RUN --frontier RUN...``)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import write_run

from harness.cli import main
from harness.report import build_report, load_run, write_report
from harness.report._frontier import FRONTIER_LEVELS, frontier_frame, frontier_section


@pytest.fixture(scope="module")
def three_runs(tmp_path_factory, gold_items):
    """A cheap weak run, a dear strong one and a dear weak one (dominated at every level)."""
    root = tmp_path_factory.mktemp("frontier")
    cheap = write_run(root / "cheap", gold_items, seed=3, skill=0.3, model="embedding:all-minilm-l6-v2",
                      reconstruction=False)
    strong = write_run(root / "strong", gold_items, seed=11, skill=0.9, model="claude-mythos-5",
                       reconstruction=False)
    weak = write_run(root / "dear-weak", gold_items, seed=5, skill=0.2, model="claude-mythos-5",
                     reconstruction=False)
    # make the costs plain: free, 4 and 6 dollars per 1,000 conversations
    for run, usd in ((cheap, 0.0), (strong, 0.004), (weak, 0.006)):
        items = run.items.assign(cost_usd=usd)
        items.to_parquet(run.path / "items.parquet", index=False)
        metrics = json.loads((run.path / "metrics.json").read_text())
        metrics["metrics"]["cost.usd_per_item"] = {"value": usd, "kind": "cost"}
        (run.path / "metrics.json").write_text(json.dumps(metrics))
    return cheap.path, strong.path, weak.path


def test_frame_prices_each_run_and_marks_the_undominated(three_runs):
    frame = frontier_frame([load_run(p) for p in three_runs])
    assert list(frame["run"]) == ["cheap", "strong", "dear-weak"]
    assert np.allclose(frame["usd_per_1000"], [0.0, 4.0, 6.0])
    assert frame["accuracy_major_group"].isna().all()  # these runs record no major-group accuracy
    for level in ("top", "mid", "base"):
        cheap, strong, weak = frame[f"accuracy_{level}"]
        assert strong > weak  # the dear weak run is dominated by the strong one
        assert not frame.loc[2, f"frontier_{level}"] and frame.loc[0, f"frontier_{level}"]
        assert frame.loc[1, f"frontier_{level}"] == (strong > cheap)
    assert frame["configuration"].str.startswith(("anthropic", "embedding")).all()


def test_section_has_table_and_figure_and_says_when_it_has_too_little(three_runs):
    runs = [load_run(p) for p in three_runs]
    section = frontier_section(runs[0], runs[1:])
    assert section.present and [t.name for t in section.tables] == ["frontier"]
    assert [f.name for f in section.figures] == ["frontier"] and section.figures[0].png.startswith(b"\x89PNG")
    table = section.tables[0].frame
    assert list(table["number"]) == [1, 2, 3] and "dear-weak" in set(table["run"])
    assert table.loc[table["run"] == "dear-weak", "on_frontier"].item() == ""
    alone = frontier_section(runs[0])
    assert not alone.present and "--frontier" in alone.blocks[0].text


def test_a_run_answered_from_the_cache_is_not_priced_as_free(three_runs, tmp_path):
    runs = [load_run(p) for p in three_runs]
    strong = runs[1]
    # no metrics.json: cost and accuracy come from items.parquet, where every answer cost nothing
    cached = type(strong)(strong.path, manifest={**strong.manifest, "backend": "anthropic:claude-haiku-4-5"},
                          items=strong.items.assign(cost_usd=0.0))
    frame = frontier_frame([runs[0], cached])
    assert frame.loc[1, "accuracy_top"] == strong.items["correct_top"].mean()
    assert frame.loc[1, "cost_note"] and not frame.loc[1, [f"frontier_{lvl}" for lvl in FRONTIER_LEVELS]].any()


def test_report_adds_the_section_only_when_frontier_runs_are_given(three_runs, tmp_path, capsys):
    cheap, strong, weak = three_runs
    plain = build_report(load_run(strong), baseline=load_run(cheap), n_resamples=50)
    assert "frontier" not in [s.id for s in plain.sections]
    files = write_report(strong, tmp_path / "r1", compare=cheap, frontier=[weak, strong, cheap], n_resamples=50)
    section = next(s for s in files.report.sections if s.id == "frontier")
    assert len(section.tables[0].frame) == 3  # the run and the baseline named again are not counted twice
    assert (tmp_path / "r1" / "tables" / "frontier.csv").is_file()
    assert (tmp_path / "r1" / "figures" / "frontier.png").is_file()
    assert main(["report", str(strong), "--frontier", str(cheap), str(weak), "--out", str(tmp_path / "r2")]) == 0
    assert "Cost and accuracy" in capsys.readouterr().out
