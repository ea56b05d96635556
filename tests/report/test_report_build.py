"""harness report: contents of the written folder, optional sections, errors and the CLI."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_run

from harness.cli import main
from harness.errors import InputError
from harness.evaluate import compare_runs
from harness.report import Report, Section, Table, Text, build_report, load_run, render_html, write_report

SECTIONS = ("header", "hierarchy", "patterns", "raters", "reconstruction", "model-swap", "economic-index")


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_full_report_writes_every_file(full_report):
    report = full_report.report
    assert [s.id for s in report.sections] == list(SECTIONS)
    assert all(s.present for s in report.sections if s.id != "economic-index")
    out = full_report.out_dir
    assert sorted(p.name for p in (out / "figures").glob("*.png")) == sorted(f"{f.name}.png" for f in report.figures)
    assert sorted(p.name for p in (out / "tables").glob("*.csv")) == sorted(f"{t.name}.csv" for t in report.tables)
    for name in ("hierarchy_levels", "hierarchy_by_major_group", "pattern_confusion", "pattern_mode_split",
                 "reconstruction_metrics", "reconstruction_counts", "reconstruction_scatter_category",
                 "reconstruction_scatter_occupation", "reconstruction_scatter_task", "compare_metrics"):
        width, height = _png_size((out / "figures" / f"{name}.png").read_bytes())
        assert 600 <= width <= 1000 and 250 <= height <= 1400, (name, width, height)
    for name in ("run", "hierarchy_levels", "hierarchy_by_major_group", "hierarchy_confusions", "pattern_agreement",
                 "pattern_per_class", "pattern_confusion", "pattern_mode_split", "screening", "rater_agreement",
                 "reconstruction_scores", "reconstruction_counts", "compare_metrics", "compare_mcnemar",
                 "compare_usage", "compare_reported_metrics"):
        assert (out / "tables" / f"{name}.csv").is_file(), name


def test_html_is_self_contained(full_report):
    page = full_report.html.read_text(encoding="utf-8")
    assert page.count("<img ") == len(full_report.report.figures)
    assert page.count('src="data:image/png;base64,') == len(full_report.report.figures)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert "<script" not in page and "<link" not in page
    assert "Content-Security-Policy" in page
    for table in full_report.report.tables:
        assert f'data-name="{table.name}"' in page


def test_markdown_references_written_figures(full_report):
    text = full_report.markdown.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)", text)
    assert len(links) == len(full_report.report.figures)
    assert all((full_report.out_dir / link).is_file() for link in links)
    assert text.count("**Table ") == len(full_report.report.tables)
    assert "**Verdict: better" in text


def test_hierarchy_table_matches_metrics(full_report, run_pair):
    candidate, _ = run_pair
    table = pd.read_csv(full_report.out_dir / "tables" / "hierarchy_levels.csv")
    expected = pd.DataFrame(candidate.metrics["hierarchy"]["levels"])
    merged = table.merge(expected, on=["level", "scoring"], suffixes=("", "_in"))
    assert len(merged) == len(expected) == 6
    for column in ("n", "correct", "accuracy", "ci_low", "ci_high", "boot_low", "boot_high"):
        assert (merged[column] - merged[f"{column}_in"]).abs().max() < 1e-12, column
    assert list(table["level"]) == ["top", "top", "mid", "mid", "base", "base"]
    assert list(table["scoring"][:2]) == ["strict", "lenient"]


def test_pattern_tables_match_metrics(full_report, run_pair):
    candidate, _ = run_pair
    pattern = candidate.metrics["pattern"]
    confusion = pd.read_csv(full_report.out_dir / "tables" / "pattern_confusion.csv")
    assert confusion.drop(columns=confusion.columns[0]).to_numpy().tolist() == pattern["confusion"]
    agreement = pd.read_csv(full_report.out_dir / "tables" / "pattern_agreement.csv")
    assert math.isclose(agreement["cohen_kappa"][0], pattern["cohen_kappa"])
    assert math.isclose(agreement["accuracy"][2], pattern["binary"]["accuracy"])
    split = pd.read_csv(full_report.out_dir / "tables" / "pattern_mode_split.csv").set_index("mode")
    items = candidate.items
    gold_auto = items["gold_pattern"].isin(["directive", "feedback_loop"]).sum()
    assert split.loc["automation", "gold_items"] == gold_auto
    assert split["gold_items"].sum() == len(items)


def test_rater_agreement_beside_classifier(full_report, run_pair):
    candidate, _ = run_pair
    table = pd.read_csv(full_report.out_dir / "tables" / "rater_agreement.csv").set_index("field")
    assert table.loc["pattern", "raters_cohen"] == 0.62
    assert math.isclose(table.loc["pattern", "classifier_kappa"], candidate.metrics["pattern"]["cohen_kappa"])
    assert math.isclose(table.loc["occupational", "classifier_accuracy"], candidate.metrics["screening"]["accuracy"])
    assert math.isnan(table.loc["major_group", "classifier_kappa"])


def test_reconstruction_counts(full_report, run_pair):
    candidate, _ = run_pair
    counts = pd.read_csv(full_report.out_dir / "tables" / "reconstruction_counts.csv")
    assert (counts["direct_only"] + counts["cluster_only"] + counts["n_both"] == counts["n_union"]).all()
    assert len(counts) == len(candidate.metrics["reconstruction"]) == 12
    assert list(dict.fromkeys(counts["level"])) == ["category", "occupation", "task"]


def test_model_swap_uses_compare_runs(full_report, run_pair):
    candidate, baseline = run_pair
    expected = compare_runs(baseline.items, candidate.items, n_resamples=300, seed=1).to_frame()
    table = pd.read_csv(full_report.out_dir / "tables" / "compare_metrics.csv")
    pd.testing.assert_frame_equal(table[["name", "n", "baseline", "candidate", "change"]],
                                  expected[["name", "n", "baseline", "candidate", "change"]], check_dtype=False)
    assert (table["ci_low"] - expected["ci_low"]).abs().max() < 1e-12
    usage = pd.read_csv(full_report.out_dir / "tables" / "compare_usage.csv").set_index("quantity")
    assert math.isclose(usage.loc["cost (USD)", "candidate"], candidate.items["cost_usd"].sum())
    verdicts = [b for b in full_report.report.sections[5].blocks if isinstance(b, Text) and b.kind == "verdict"]
    assert len(verdicts) == 1 and verdicts[0].text.startswith("Verdict: better")
    page = full_report.html.read_text(encoding="utf-8")
    assert "claude-mythos-5" in page and "embedding:all-minilm-l6-v2" in page


def test_economic_index_from_real_release(full_report, analysis_dir):
    if analysis_dir is None:
        pytest.skip("reference data not available: set HARNESS_DATA_DIR for the Economic Index section")
    section = full_report.report.sections[-1]
    assert section.present
    names = {f.name for f in section.figures}
    assert names == {f"economic_index.{p.stem}" for p in (analysis_dir / "figures").glob("*.png")}
    summary = pd.read_csv(full_report.out_dir / "tables" / "economic_index_summary.csv").set_index("quantity")
    assert abs(summary.loc["v1.computer_and_mathematical_pct", "value"] - 37.2) < 0.1
    assert summary.loc["v1.computer_and_mathematical_pct", "published"] == 37.2
    shares = pd.read_csv(full_report.out_dir / "tables" / "economic_index.category_shares.csv")
    assert len(shares) == len(pd.read_csv(analysis_dir / "tables" / "category_shares.csv"))


def test_items_only_run_derives_sections(tmp_path, run_pair):
    candidate, _ = run_pair
    run_dir = tmp_path / "items_only"
    run_dir.mkdir()
    shutil.copy(candidate.path / "items.parquet", run_dir)
    files = write_report(run_dir, tmp_path / "out")
    present = {s.id: s.present for s in files.report.sections}
    assert present == {"header": True, "hierarchy": True, "patterns": True, "raters": False,
                       "reconstruction": False, "model-swap": False, "economic-index": False}
    levels = pd.read_csv(tmp_path / "out" / "tables" / "hierarchy_levels.csv").set_index("level")
    assert levels.loc["top", "correct"] == candidate.items["correct_top"].sum()
    assert levels.loc["top", "n"] == len(candidate.items)
    groups = pd.read_csv(tmp_path / "out" / "tables" / "hierarchy_by_major_group.csv", dtype={"major_group": str})
    assert groups["n"].sum() == 3 * candidate.items["major_group"].notna().sum()
    agreement = pd.read_csv(tmp_path / "out" / "tables" / "pattern_agreement.csv")
    assert math.isclose(agreement["cohen_kappa"][0], candidate.metrics["pattern"]["cohen_kappa"])
    page = files.html.read_text(encoding="utf-8")
    assert page.count('class="absent"') >= 4
    assert "(not in this run)" in page


def test_manifest_only_run_says_what_is_absent(tmp_path, run_pair):
    candidate, _ = run_pair
    run_dir = tmp_path / "manifest_only"
    run_dir.mkdir()
    shutil.copy(candidate.path / "manifest.json", run_dir)
    files = write_report(run_dir, tmp_path / "out", compare=candidate.path)
    assert [s.id for s in files.report.sections if s.present] == ["header"]
    swap = files.report.sections[5]
    assert "has no items.parquet" in swap.blocks[0].text
    facts = pd.read_csv(tmp_path / "out" / "tables" / "run.csv").set_index("field")["value"]
    assert facts["Hierarchy sizes (nodes per level)"] == "top 37, mid 332, base 18,796"
    assert facts["Goldsets"] == "sharegpt_v1 (80 items)"
    assert files.figures == ()


def test_reconstruction_from_folder_only(tmp_path, run_pair):
    """Scores come from reconstruction/scores.csv when metrics.json has no section."""
    candidate, _ = run_pair
    run_dir = tmp_path / "recon"
    shutil.copytree(candidate.path / "reconstruction", run_dir / "reconstruction")
    scores = pd.DataFrame(candidate.metrics["reconstruction"]).drop(columns=["mean_cluster_size", "n_union"])
    scores.to_csv(run_dir / "reconstruction" / "scores.csv", index=False)
    run = load_run(run_dir)
    assert run.reconstruction is not None and run.reconstruction.source.endswith("scores.csv")
    report = build_report(run)
    section = report.sections[4]
    assert section.present
    assert {f.name for f in section.figures} >= {"reconstruction_metrics", "reconstruction_scatter_task"}
    table = next(t for t in section.tables if t.name == "reconstruction_scores")
    assert (table.frame["n_union"] == scores["n_direct"] + scores["n_cluster"] - scores["n_both"]).all()


def test_errors_name_the_file(tmp_path, run_pair):
    candidate, _ = run_pair
    with pytest.raises(InputError, match="not a directory"):
        load_run(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="nothing to report"):
        load_run(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "metrics.json").write_text('{"schema": "harness.metrics/1", "metrics": {}, "pattern": [1]}')
    with pytest.raises(InputError, match="metrics.json.*'pattern'"):
        load_run(bad)
    (bad / "metrics.json").write_text("{not json")
    with pytest.raises(InputError, match="line 1"):
        load_run(bad)
    recon = tmp_path / "recon"
    (recon / "reconstruction").mkdir(parents=True)
    pd.DataFrame({"level": ["task"], "aggregation": ["k=5"], "item": ["a"], "direct": [0.5]}).to_csv(
        recon / "reconstruction" / "prevalence.csv", index=False)
    with pytest.raises(InputError, match="'cluster'"):
        load_run(recon)
    pd.DataFrame({"level": ["task"], "aggregation": ["k=5"], "item": ["a"], "direct": [0.5],
                  "cluster": [-1.0]}).to_csv(recon / "reconstruction" / "prevalence.csv", index=False)
    with pytest.raises(InputError, match="non-negative"):
        load_run(recon)
    with pytest.raises(InputError, match="inside the run directory"):
        write_report(candidate.path, candidate.path / "report")


def test_compare_with_other_items_is_an_error(tmp_path, run_pair, gold_items):
    candidate, _ = run_pair
    other = write_run(tmp_path / "other", gold_items[:40], seed=5, skill=0.6, model="m", reconstruction=False)
    with pytest.raises(InputError, match="different items"):
        write_report(candidate.path, tmp_path / "out", compare=other.path, n_resamples=50)


def test_document_model_rejects_bad_names():
    with pytest.raises(ValueError, match="file name"):
        Table("Bad Name", "t", pd.DataFrame())
    with pytest.raises(ValueError, match="kind"):
        Text("x", "shout")  # type: ignore[arg-type]
    table = Table("same", "t", pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="named 'same'"):
        Report("r", "", (Section("a", "A", (table,)), Section("b", "B", (table,))))


def test_render_escapes_markup():
    table = Table("t", "<b>title</b>", pd.DataFrame({"<col>": ["<script>alert(1)</script>"], "x": [math.nan]}))
    page = render_html(Report("R & D", "", (Section("s", "S", (Text("a < b"), table)),)))
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "R &amp; D" in page and "a &lt; b" in page and "—" in page


def test_cli_report(tmp_path, run_pair, capsys):
    candidate, baseline = run_pair
    out = tmp_path / "cli"
    code = main(["report", str(candidate.path), "--compare", str(baseline.path), "--out", str(out),
                 "--n-resamples", "100", "--title", "Appendix B"])
    assert code == 0
    printed = capsys.readouterr().out
    assert str(out / "report.html") in printed
    assert "<title>Appendix B</title>" in (out / "report.html").read_text(encoding="utf-8")
    assert main(["report", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")]) == 1
    assert "not a directory" in capsys.readouterr().err


def test_metrics_json_round_trip_fields(run_pair):
    """The fixture follows the shared metrics.json layout the report reads (guards the fixture itself)."""
    candidate, _ = run_pair
    body = json.loads((candidate.path / "metrics.json").read_text())
    assert {"run", "metrics", "hierarchy", "pattern", "screening", "raters", "reconstruction"} <= set(body)
    assert set(body["hierarchy"]) == {"scoring", "levels", "by_major_group", "confusions"}
    run = load_run(candidate.path)
    assert run.items is not None and run.reconstruction is not None and run.reconstruction.prevalence is not None
    assert Path(run.path) == candidate.path
