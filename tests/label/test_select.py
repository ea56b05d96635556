"""Active selection: exact inclusion probabilities, Horvitz–Thompson weighting back to the pool, and the CLI."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from harness.classify import Classification
from harness.cli import main
from harness.evaluate import validate_goldset, weighted_accuracy_score
from harness.label import disagreement_scores, load_label_items, select_for_labelling, uncertainty_scores
from harness.taxonomy import build_work_activity_hierarchy

from ._support import CONVERSATIONS

IDS = [f"c{i:03d}" for i in range(40)]


def test_random_strategy_gives_every_conversation_n_over_n() -> None:
    selection = select_for_labelling(IDS, None, n=10, strategy="random", seed=3)
    assert len(selection.items) == 10 and len({s.conversation_id for s in selection.items}) == 10
    assert all(s.stratum == "random" and s.inclusion_probability == pytest.approx(10 / 40) for s in selection.items)


def test_ranked_part_is_certain_and_the_rest_shares_the_random_places() -> None:
    scores = [float(i) for i in range(40)]  # c039 scores highest
    selection = select_for_labelling(IDS, scores, n=10, strategy="disagreement", random_share=0.3, seed=1)
    ranked = [s for s in selection.items if s.stratum == "ranked"]
    drawn = [s for s in selection.items if s.stratum == "random"]
    assert [s.conversation_id for s in ranked] == [f"c{i:03d}" for i in range(39, 32, -1)]
    assert all(s.inclusion_probability == 1.0 for s in ranked)
    assert len(drawn) == 3 and all(s.inclusion_probability == pytest.approx(3 / 33) for s in drawn)
    assert selection.random_probability == pytest.approx(3 / 33)


def test_inclusion_probabilities_match_the_frequencies_of_the_design() -> None:
    """Repeat the draw many times: each conversation is chosen as often as its recorded probability says."""
    rng = np.random.default_rng(0)
    scores = [float(v) for v in rng.integers(0, 4, size=40)]  # many ties at the cut-off
    counts: Counter[str] = Counter()
    recorded: dict[str, float] = {}
    draws = 3000
    for seed in range(draws):
        selection = select_for_labelling(IDS, scores, n=12, strategy="uncertainty", random_share=0.25, seed=seed)
        for item in selection.items:
            counts[item.conversation_id] += 1
            previous = recorded.setdefault(item.conversation_id, item.inclusion_probability)
            assert previous == pytest.approx(item.inclusion_probability)  # a property of the unit, not the draw
    for cid in IDS:
        assert counts[cid] / draws == pytest.approx(recorded.get(cid, 0.0), abs=0.035), cid


def test_horvitz_thompson_weighting_recovers_pool_accuracy() -> None:
    """Hard conversations (where backends disagree) are over-sampled; 1/π weights undo that, plain accuracy cannot."""
    rng = np.random.default_rng(5)
    n_pool = 400
    hard = rng.random(n_pool) < 0.3
    correct = np.where(hard, rng.random(n_pool) < 0.3, rng.random(n_pool) < 0.9)
    scores = [float(h) + 0.01 * rng.random() for h in hard]
    ids = [f"p{i}" for i in range(n_pool)]
    truth = float(correct.mean())
    weighted, plain = [], []
    for seed in range(300):
        selection = select_for_labelling(ids, scores, n=80, strategy="disagreement", random_share=0.4, seed=seed)
        idx = [int(s.conversation_id[1:]) for s in selection.items]
        flags = [bool(correct[i]) for i in idx]
        weights = [1 / s.inclusion_probability for s in selection.items]
        weighted.append(weighted_accuracy_score([True] * len(flags), flags, sample_weight=weights))
        plain.append(float(np.mean(flags)))
    assert np.mean(weighted) == pytest.approx(truth, abs=0.02)
    assert np.mean(plain) < truth - 0.1  # the selection is far from representative without the weights


def test_design_options_are_checked() -> None:
    with pytest.raises(ValueError, match="random share above 0"):
        select_for_labelling(IDS, [1.0] * 40, n=5, strategy="disagreement", random_share=0.0)
    with pytest.raises(ValueError, match="one score per pool"):
        select_for_labelling(IDS, [1.0] * 3, n=5, strategy="uncertainty")
    with pytest.raises(ValueError, match="strategy"):
        select_for_labelling(IDS, None, n=5, strategy="clever")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unique"):
        select_for_labelling(["a", "a"], None, n=1, strategy="random")
    whole = select_for_labelling(IDS[:3], [1.0, 2.0, 3.0], n=10, strategy="disagreement", random_share=0.5)
    assert len(whole.items) == 3 and all(s.inclusion_probability == 1.0 for s in whole.items)


def _prediction(cid: str, path: tuple[str, ...], *, occupational=True, pattern="directive", top_k=(), valid=True):
    return Classification(cid, "a", occupational, path=path, top_k=top_k or path[-1:], pattern=pattern, valid=valid)


def test_disagreement_and_uncertainty_scores(mini_release) -> None:
    hierarchy = build_work_activity_hierarchy(mini_release)
    base_a, base_b = [n.id for n in hierarchy.level_nodes(hierarchy.base)][:2]
    path_a, path_b = hierarchy.path(base_a), hierarchy.path(base_b)
    same = [_prediction("x", path_a), _prediction("x", path_a)]
    apart = [_prediction("x", path_a), _prediction("x", path_b, occupational=False, pattern="learning")]
    broken = [_prediction("x", path_a), _prediction("x", (), valid=False)]
    scores = disagreement_scores([[same[0], apart[0], broken[0]], [same[1], apart[1], broken[1]]])
    assert scores[0] == 0.0 and scores[1] > 0.6 and scores[2] > 0.3
    with pytest.raises(ValueError, match="two backends"):
        disagreement_scores([[same[0]]])
    sure = _prediction("x", path_a, top_k=(base_a, base_a))
    unsure = _prediction("x", path_a, top_k=(base_a, base_b))
    invalid = _prediction("x", (), valid=False)
    doubt = uncertainty_scores([[sure, unsure, invalid]], hierarchy)
    assert doubt[0] == 0.0 and doubt[2] == 1.0
    assert doubt[1] == (1.0 if path_a[0] != path_b[0] else 0.0)


def test_queue_cli_writes_a_weighted_labelling_file(tmp_path, mini_data, capsys) -> None:
    conversations = [json.loads(line) for line in CONVERSATIONS.read_text().splitlines()]
    rows_a = [{"conversation_id": c["id"], "task_id": 101, "pattern": "directive", "occupational": True}
              for c in conversations]
    rows_b = [{**row, "task_id": 301 if k % 2 else 101, "pattern": "learning" if k % 3 else "directive"}
              for k, row in enumerate(rows_a)]
    for name, rows in (("a.jsonl", rows_a), ("b.jsonl", rows_b)):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "queue.jsonl"
    rc = main(["--data-dir", str(mini_data), "label", "queue", "--pool", str(CONVERSATIONS), "--backends",
               f"replay:{tmp_path / 'a.jsonl'},replay:{tmp_path / 'b.jsonl'}", "--strategy", "disagreement",
               "--n", "4", "--random-share", "0.5", "--out", str(out), "--no-progress"])
    assert rc == 0, capsys.readouterr().err
    assert "chose 4 of 6 conversations (2 by disagreement, 2 at random" in capsys.readouterr().out
    assert validate_goldset(out, allow_blank=True) == []
    items = load_label_items(goldset=out)
    probabilities = sorted(item.sample["inclusion_probability"] for item in items)
    assert probabilities == pytest.approx([0.5, 0.5, 1.0, 1.0])
    assert {item.sample["strategy"] for item in items} == {"disagreement"}
    assert len({item.sample["pool_sha256"] for item in items}) == 1
    manifest = json.loads(out.with_name("queue.manifest.json").read_text())
    assert manifest["design"]["n_ranked"] == 2 and len(manifest["backends"]) == 2
    assert (tmp_path / "queue.runs").is_dir()  # each backend's resumable run


def test_queue_cli_usage_errors(tmp_path, mini_data, capsys) -> None:
    base = ["--data-dir", str(mini_data), "label", "queue", "--pool", str(CONVERSATIONS), "--n", "3",
            "--out", str(tmp_path / "q.jsonl")]
    assert main([*base, "--strategy", "disagreement", "--backends", "replay:x.jsonl"]) == 2
    assert "needs at least 2 backend" in capsys.readouterr().err
    assert main([*base, "--strategy", "uncertainty", "--backends", "replay:x.jsonl", "--random-share", "0"]) == 2
    assert "random-share" in capsys.readouterr().err
    assert main([*base, "--strategy", "random"]) == 0
    items = load_label_items(goldset=tmp_path / "q.jsonl")
    assert [item.sample["inclusion_probability"] for item in items] == pytest.approx([0.5] * 3)
