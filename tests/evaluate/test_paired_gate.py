"""The paired CI gate: the stored baseline run, what `make gate` runs, and a regression only the paired gate sees."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from harness.classify import ReplayClassifier
from harness.cli import main
from harness.evaluate import (
    acceptable_tasks,
    compare_runs,
    load_goldset,
    read_baseline,
    run_validation,
)
from harness.run import read_items

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ROOT / "goldsets" / "baselines"
STORED_ITEMS = BASELINES / "embedding-minilm.items.parquet"
STORED_METRICS = BASELINES / "embedding-minilm.json"
GOLDSET = ROOT / "goldsets" / "sharegpt_v1.jsonl"
PRIMARY = "hierarchy.major_group.accuracy"
# Columns the stored baseline may hold: ids, labels from the taxonomy, right/wrong, usage. Never conversation text.
ALLOWED_COLUMNS = {"item_id", "split", "account_id", "major_group", "invalid", "gold_pattern", "pred_pattern",
                   "gold_occupational", "pred_occupational", "input_tokens", "output_tokens", "latency_s",
                   "cost_usd", "pred_top", "pred_mid", "pred_base", "pred_major_group", "correct_top", "correct_mid",
                   "correct_base", "correct_major_group"}


# --------------------------------------------------------------------------------------------- the stored baseline


def test_stored_baseline_items_are_small_and_hold_no_text() -> None:
    items = read_items(STORED_ITEMS)
    assert STORED_ITEMS.stat().st_size < 64_000
    assert set(items.columns) <= ALLOWED_COLUMNS
    assert {"account_id", "correct_major_group"} <= set(items.columns)
    # a message that is only a number (a guessing game in the check split says "19") would match a major-group
    # code by coincidence; a number alone is not conversation text the baseline could leak
    goldset_text = {m.content for item in load_goldset(GOLDSET) for m in item.conversation.messages
                    if not m.content.strip().isdigit()}
    for column in items.columns:
        if items[column].dtype == object or str(items[column].dtype) in ("str", "string"):
            values = {str(v) for v in items[column].dropna()}
            assert max((len(v) for v in values), default=0) <= 40, column  # ids and codes, not prose
            assert not values & goldset_text, column
    node_ids = items[["pred_top", "pred_mid", "pred_base"]].stack()
    assert node_ids.str.fullmatch(r"(gwa|iwa|task):[\w.]+").all()


def test_stored_baseline_items_reproduce_the_stored_metrics() -> None:
    """The items file and the unpaired baseline describe one run: every accuracy recomputes to its entry."""
    items = read_items(STORED_ITEMS)
    baseline = read_baseline(STORED_METRICS)
    for level in ("top", "mid", "base", "major_group"):
        column = items[f"correct_{level}"].dropna().astype(bool)
        entry = baseline[f"hierarchy.{level}.accuracy"]
        assert len(column) == entry.n and column.mean() == pytest.approx(entry.value, abs=1e-12)
    assert (items["gold_pattern"] == items["pred_pattern"]).mean() == pytest.approx(baseline["pattern.accuracy"].value)
    assert items["account_id"].nunique() == 40  # the goldset's synthetic accounts


def test_the_stored_baseline_passes_its_own_paired_gate(capsys) -> None:
    """Identical predictions: zero difference everywhere, non-inferior, and the gate exits 0."""
    code = main(["compare", str(STORED_ITEMS), str(STORED_ITEMS), "--primary", PRIMARY,
                 "--non-inferiority-margin", "0.05", "--fail-unless-safe", "--n-resamples", "200"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "verdict: safe to swap" in out


def test_make_gate_runs_the_paired_gate_against_the_stored_baseline() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ngate:", 1)[1].split("\n\n", 1)[0].replace("\\\n", " ")
    compare = next(line for line in recipe.splitlines() if "harness compare" in line)
    assert "$(BASELINE).items.parquet runs/gate" in compare and "--fail-unless-safe" in compare
    assert f"--primary {PRIMARY}" in compare and "--non-inferiority-margin 0.05" in compare
    assert "BASELINE := goldsets/baselines/embedding-minilm" in makefile
    assert recipe.index("harness validate") < recipe.index("harness compare")
    assert re.search(r"^make gate$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.MULTILINE)


# --------------------------------------------------------------------------------------------- a replayed regression


def _replay_rows(items: pd.DataFrame, replace: dict[str, str] | None = None) -> list[dict]:
    """The stored run's predictions as a replay file, with some items' base node replaced."""
    replace = replace or {}
    rows = []
    for row in items.itertuples(index=False):
        record: dict = {"conversation_id": row.item_id, "pattern": row.pred_pattern,
                        "occupational": None if pd.isna(row.pred_occupational) else bool(row.pred_occupational)}
        base = replace.get(row.item_id, row.pred_base)
        if isinstance(base, str):
            record["base"] = base
        rows.append(record)
    return rows


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _wrong_group_bases(items: pd.DataFrame, release, hierarchy, k: int) -> dict[str, str]:
    """``k`` major-group-correct items, each given a base statement outside every acceptable gold major group."""
    gold = {item.id: item for item in load_goldset(GOLDSET)}
    task_soc = dict(zip(release.tasks["task_id"].astype(int), release.tasks["soc_code"], strict=True))
    right = items[items["correct_major_group"].fillna(False).astype(bool)].sort_values("item_id")
    bases = sorted(node.id for node in hierarchy.level_nodes(hierarchy.base))
    rng = np.random.default_rng(13)
    replace: dict[str, str] = {}
    for item_id in right["item_id"]:
        groups = {task_soc[t][:2] for t in acceptable_tasks(gold[item_id], scoring="strict") if t in task_soc}
        for candidate in rng.permutation(bases):
            if not {s[:2] for s in hierarchy[candidate].meta.get("soc_codes", ())} & groups:
                replace[item_id] = str(candidate)
                break
        if len(replace) == k:
            return replace
    raise AssertionError("not enough items to degrade")


@pytest.mark.real_data
def test_a_five_point_drop_fails_the_paired_gate_but_passes_the_unpaired_one(tmp_path, onet_release, wa_hierarchy,
                                                                              capsys) -> None:
    stored = read_items(STORED_ITEMS)
    n_scored = int(stored["correct_major_group"].notna().sum())
    k = math.ceil(0.05 * n_scored)  # 9 of 170 items: major-group accuracy 5.3 points lower
    runs = {}
    for name, replace in (("same", {}), ("worse", _wrong_group_bases(stored, onet_release, wa_hierarchy, k))):
        predictions = _write(tmp_path / f"{name}.jsonl", _replay_rows(stored, replace))
        run_validation([GOLDSET], ReplayClassifier(predictions, wa_hierarchy), wa_hierarchy, onet_release,
                       tmp_path / name, progress=False, n_bootstrap=200)
        runs[name] = tmp_path / name
    # the replay reproduces the stored run item for item
    same = read_items(runs["same"])
    for column in ("correct_top", "correct_mid", "correct_base", "correct_major_group", "pred_pattern"):
        pd.testing.assert_series_equal(same[column], stored[column], check_dtype=False)
    worse = json.loads((runs["worse"] / "metrics.json").read_text())["metrics"]
    base_value = read_baseline(STORED_METRICS)[PRIMARY].value
    assert worse[PRIMARY]["value"] == pytest.approx(base_value - k / n_scored)

    gate = ["gate", "--baseline", str(STORED_METRICS), "--metrics"]
    paired = ["compare", str(STORED_ITEMS), "--primary", PRIMARY, "--non-inferiority-margin", "0.05",
              "--fail-unless-safe", "--n-resamples", "300"]
    assert main([*gate, str(runs["same"] / "metrics.json")]) == 0
    assert main([*paired[:2], str(runs["same"]), *paired[2:]]) == 0
    capsys.readouterr()
    # the old unpaired gate lets the drop through: its margin at n ~ 280 is about 8 points
    assert main([*gate, str(runs["worse"] / "metrics.json")]) == 0
    table = capsys.readouterr().out
    row = (rf"{re.escape(PRIMARY)}\s+proportion\s+{base_value:.4f}\s+{base_value - k / n_scored:.4f}"
           r"\s+0\.0[6-9]\d+\s+PASS")
    assert re.search(row, table), table
    # the paired gate does not
    assert main([*paired[:2], str(runs["worse"]), *paired[2:]]) == 1
    out = capsys.readouterr().out
    assert "verdict: worse" in out and PRIMARY in out.split("\n\n")[1]
    comparison = compare_runs(stored, read_items(runs["worse"]), primary=PRIMARY, n_resamples=300)
    primary = comparison.metrics[0]
    assert (comparison.noninferiority.non_inferior, primary.change) == (False, "worse")
    assert dict(comparison.mcnemar)[PRIMARY].b == k and dict(comparison.mcnemar)[PRIMARY].c == 0
