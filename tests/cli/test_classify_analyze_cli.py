"""A classify run feeds the privacy-walled analyses: `harness classify` then `harness analyze --facts`."""

from __future__ import annotations

import json

from harness.cli import main
from harness.conversations import Conversation, Message, write_jsonl


def test_classify_then_analyze_behind_the_wall(tmp_path, data_dir, mini_onet_dir, capsys):
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir)
    (data / "economic_index").symlink_to(data_dir / "economic_index")
    # 40 conversations over 8 accounts on task 101; 8 + 8 on tasks 201 and 301, each below the wall (3 accounts),
    # though together (16 conversations, 6 accounts) large enough to be reported as one withheld total
    convs = [Conversation(f"c{i}", f"acct-{i % 8}", (Message("user", "debug my billing program"),)) for i in range(40)]
    convs += [Conversation(f"w{i}", f"acct-w{i % 6}", (Message("user", "a chapter of my novel"),)) for i in range(16)]
    write_jsonl(convs, tmp_path / "conv.jsonl")
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(
        json.dumps({"conversation_id": c.id, "task_id": 101 if c.id.startswith("c") else (201, 301)[i % 2],
                    "pattern": "directive" if i % 2 else "task_iteration", "occupational": True}) + "\n"
        for i, c in enumerate(convs)
    ))
    run = tmp_path / "run"
    assert main(["--data-dir", str(data), "classify", "--input", str(tmp_path / "conv.jsonl"), "--backend",
                 f"replay:{preds}", "--out", str(run), "--no-progress"]) == 0
    out = tmp_path / "analysis"
    assert main(["--data-dir", str(data), "analyze", "--facts", str(run / "facts.parquet"), "--onet-release", "29.3",
                 "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["released_conversations"] == 40 and summary["not_classified_or_below_threshold"] == 16
    assert summary["reported_tasks"] == 1
    everything = "".join(p.read_text(errors="ignore") for p in out.rglob("*") if p.suffix in (".csv", ".json"))
    assert "Write fiction" not in everything and "File records" not in everything  # small tasks stay hidden
    capsys.readouterr()
