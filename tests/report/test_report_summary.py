"""The report's opening summary and the model-swap section: verdict first, margin line, minimum detectable changes."""

from __future__ import annotations

import re

import pandas as pd

from harness.evaluate import VERDICTS, compare_runs
from harness.report import Text, build_report, load_run, write_report


def test_every_report_opens_with_a_summary(full_report, run_pair, tmp_path):
    report = full_report.report
    candidate, baseline = run_pair
    assert len(report.summary) >= 3
    what, headline = report.summary[0], report.summary[1]
    assert what.startswith("Validated ") and "claude-mythos-5" in what
    # headline figures carry their intervals and n
    assert re.search(r"top level 0\.\d\d \[0\.\d\d, 0\.\d\d\] \(n = \d+\)", headline), headline
    verdict = next(p for p in report.summary if p.startswith("Model swap against"))
    expected = compare_runs(baseline.items, candidate.items, n_resamples=300, seed=1)
    assert f": {expected.verdict} — " in verdict
    assert any(p.startswith("Caveat: with") for p in report.summary)
    # rendered before the contents, in both formats
    page = full_report.html.read_text(encoding="utf-8")
    assert page.index('id="summary"') < page.index("<nav>") and all(
        p.replace("'", "&#x27;") in page for p in report.summary)
    text = full_report.markdown.read_text(encoding="utf-8")
    assert text.index("## Summary") < text.index("## Contents")
    # a report without a comparison still opens with a summary, and has no verdict in it
    alone = build_report(load_run(candidate.path))
    assert alone.summary and not any(p.startswith("Model swap") for p in alone.summary)


def test_model_swap_section_shows_the_verdict_first(full_report):
    swap = next(s for s in full_report.report.sections if s.id == "model-swap")
    first = swap.blocks[0]
    assert isinstance(first, Text) and first.kind == "verdict"
    assert any(first.text.startswith(f"Verdict: {v} — ") for v in VERDICTS)
    kinds = [type(b).__name__ for b in swap.blocks]
    assert kinds.index("Figure") < kinds.index("Table")  # the forest plot comes before the tables
    assert swap.figures[0].name == "compare_metrics" and "margin" in swap.figures[0].title


def test_minimum_detectable_difference_per_metric(full_report, run_pair):
    candidate, baseline = run_pair
    expected = compare_runs(baseline.items, candidate.items, n_resamples=300, seed=1)
    table = pd.read_csv(full_report.out_dir / "tables" / "compare_mde.csv")
    assert list(table["metric"]) == [m.name for m in expected.metrics]
    assert (table["mde_80"] - [m.mde for m in expected.metrics]).abs().max() < 1e-12
    assert table.loc[0, "role"] == "primary" and table.loc[0, "tested_at"] == 0.05
    assert (table.loc[1:, "tested_at"] == 0.05 / (len(table) - 1)).all()


def test_shipped_goldset_caveat(tmp_path, run_pair):
    """A run on the shipped goldset says its labels were not made by people."""
    import hashlib
    import json

    from harness.evaluate import default_goldset_path

    candidate, _ = run_pair
    run = tmp_path / "run"
    run.mkdir()
    for name in ("metrics.json", "items.parquet"):
        (run / name).write_bytes((candidate.path / name).read_bytes())
    metrics = json.loads((run / "metrics.json").read_text())
    sha = hashlib.sha256(default_goldset_path().read_bytes()).hexdigest()
    metrics["run"]["goldsets"] = [{"name": "sharegpt_v1", "sha256": sha, "n_items": 300}]
    (run / "metrics.json").write_text(json.dumps(metrics))
    files = write_report(run, tmp_path / "out")
    assert any("not people" in p for p in files.report.summary)
