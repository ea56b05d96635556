from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from harness.classify import EmbeddingClassifier, classify_conversations, facts_to_classifications
from harness.conversations import Conversation, Message, iter_sharegpt, write_jsonl
from harness.errors import InputError
from harness.run import RunDir, read_facts


def _comparable(path: Path) -> list[dict]:
    """Facts rows without the one measured column (wall-clock latency)."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row.pop("latency_s")
    return rows


def test_run_writes_facts_and_manifest(tmp_path, mini_hierarchy):
    convs = list(iter_sharegpt(12, english_only=True))
    result = classify_conversations(convs, EmbeddingClassifier(mini_hierarchy), tmp_path / "run",
                                    hierarchy=mini_hierarchy, batch_size=5, progress=False)
    assert (result.n_total, result.n_resumed, result.n_classified) == (12, 0, 12)
    frame = pd.read_parquet(result.facts_path)
    assert list(frame["conversation_id"]) == [c.id for c in convs]
    assert {"node_top", "node_mid", "node_base", "pattern", "valid", "input_tokens"} <= set(frame.columns)
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["hierarchy"]["id"] == mini_hierarchy.id
    assert manifest["classifier"]["model"] == "all-MiniLM-L6-v2"
    assert manifest["package_versions"]["torch"].startswith("2.13")
    assert manifest["package_versions"]["onnxruntime"] != "absent"  # the default runtime runs in it
    from_jsonl = facts_to_classifications(read_facts(tmp_path / "run" / "facts.jsonl"))
    from_parquet = facts_to_classifications(read_facts(result.facts_path))
    in_memory = facts_to_classifications(result.facts)
    assert [c.path for c in from_parquet] == [c.path for c in from_jsonl]
    # what validate scores in memory is exactly what a reader of the run directory gets
    assert in_memory == from_parquet
    assert manifest["schema"] == "harness.run/1" and manifest["schema_versions"] == {"facts": 3}
    assert result.manifest == manifest
    # no conversation text anywhere in the run directory
    blob = "".join(p.read_text(errors="ignore") for p in (tmp_path / "run").iterdir() if p.suffix != ".parquet")
    for conv in convs:
        text = conv.messages[0].content.strip()
        if len(text) > 40:
            assert text[:40] not in blob
    # a second run is a no-op resume
    again = classify_conversations(convs, EmbeddingClassifier(mini_hierarchy), tmp_path / "run",
                                   hierarchy=mini_hierarchy, progress=False)
    assert (again.n_resumed, again.n_classified) == (12, 0)


def test_torn_line_is_dropped_and_redone(tmp_path, mini_hierarchy):
    convs = list(iter_sharegpt(6, english_only=True))
    out = tmp_path / "run"
    classify_conversations(convs[:3], EmbeddingClassifier(mini_hierarchy), out, hierarchy=mini_hierarchy,
                           progress=False)
    partial = out / "facts.partial.jsonl"
    partial.write_bytes(partial.read_bytes() + b'{"seq": 3, "conversation_id": "half')
    result = classify_conversations(convs, EmbeddingClassifier(mini_hierarchy), out, hierarchy=mini_hierarchy,
                                    progress=False)
    assert (result.n_resumed, result.n_classified) == (3, 3)
    assert len(pd.read_parquet(result.facts_path)) == 6


def test_duplicate_ids_are_refused(tmp_path, mini_hierarchy):
    convs = list(iter_sharegpt(2, english_only=True))
    with pytest.raises(InputError, match=r"twice \(conversations 1 and 3\)") as info:
        classify_conversations([convs[0], convs[1], convs[0]], EmbeddingClassifier(mini_hierarchy), tmp_path,
                               hierarchy=mini_hierarchy, progress=False)
    assert info.value.field == "id"
    assert not (tmp_path / "facts.partial.jsonl").exists()  # refused before anything was written


def _data_dir_with_mini_release(tmp_path: Path, mini_onet_dir: Path) -> Path:
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir.resolve())
    return data


def test_killed_run_resumes_without_loss_or_duplicates(tmp_path, mini_onet_dir):
    """A real `harness classify` subprocess is SIGKILLed midway, resumed, and compared with a clean run.

    The replay backend keeps the subprocess cheap; one durable write per conversation (--batch-size 1) gives the
    kill many places to land.
    """
    data = _data_dir_with_mini_release(tmp_path, mini_onet_dir)
    convs = list(iter_sharegpt(4000))
    conversations = tmp_path / "conv.jsonl"
    write_jsonl(convs, conversations)
    predictions = tmp_path / "predictions.jsonl"
    tasks, patterns = (101, 102, 201, 202, 301), ("directive", "learning", "task_iteration")
    predictions.write_text("".join(
        json.dumps({"conversation_id": c.id, "task_id": tasks[k % 5], "pattern": patterns[k % 3]}) + "\n"
        for k, c in enumerate(convs)
    ))
    env = {**os.environ, "HARNESS_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}

    def command(out: Path) -> list[str]:
        return [sys.executable, "-m", "harness", "classify", "--input", str(conversations), "--out", str(out),
                "--backend", f"replay:{predictions}", "--batch-size", "1", "--no-progress"]

    killed = tmp_path / "killed"
    proc = subprocess.Popen(command(killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = killed / "facts.partial.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if partial.exists() and partial.stat().st_size > 0 and partial.read_text().count("\n") >= 50:
            break
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be interrupted")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = partial.read_text().count("\n")
    assert 50 <= done_before < len(convs) and not (killed / "facts.parquet").exists()

    subprocess.run(command(killed), env=env, check=True, capture_output=True)
    clean = tmp_path / "clean"
    subprocess.run(command(clean), env=env, check=True, capture_output=True)
    resumed_rows = _comparable(killed / "facts.jsonl")
    assert len(resumed_rows) == len(convs)
    assert len({r["conversation_id"] for r in resumed_rows}) == len(convs)
    assert resumed_rows == _comparable(clean / "facts.jsonl")
    manifest = json.loads((killed / "manifest.json").read_text())
    assert manifest["counts"]["resumed"] >= done_before


def test_resume_refuses_rows_of_another_configuration(tmp_path, mini_hierarchy):
    from harness.classify import EmbeddingConfig

    convs = list(iter_sharegpt(3, english_only=True))
    classify_conversations(convs, EmbeddingClassifier(mini_hierarchy), tmp_path, hierarchy=mini_hierarchy,
                           progress=False)
    other = EmbeddingClassifier(mini_hierarchy, EmbeddingConfig(beam_top=2))
    with pytest.raises(InputError, match="classifier_digest changed"):
        classify_conversations(convs, other, tmp_path, hierarchy=mini_hierarchy, progress=False)


def test_empty_input_still_writes_a_readable_table(tmp_path, mini_hierarchy):
    result = classify_conversations([], EmbeddingClassifier(mini_hierarchy), tmp_path, hierarchy=mini_hierarchy,
                                    progress=False)
    assert (result.n_total, result.n_invalid) == (0, 0)
    facts = RunDir(tmp_path).read_facts()
    assert len(facts) == 0 and {"conversation_id", "statement_key", "pattern"} <= set(facts.columns)


def test_unreadable_partial_row_names_its_line(tmp_path, mini_hierarchy):
    convs = list(iter_sharegpt(2, english_only=True))
    classify_conversations(convs[:1], EmbeddingClassifier(mini_hierarchy), tmp_path, hierarchy=mini_hierarchy,
                           progress=False)
    partial = RunDir(tmp_path).partial_path
    partial.write_text(partial.read_text() + "not json\n")
    with pytest.raises(InputError, match="start over") as info:
        classify_conversations(convs, EmbeddingClassifier(mini_hierarchy), tmp_path, hierarchy=mini_hierarchy,
                               progress=False)
    assert info.value.line == 2


def test_killed_run_resumes_a_changed_and_reordered_input_like_a_fresh_run(tmp_path, mini_onet_dir):
    """Kill a real run, then change one finished conversation, reorder the input and resume: the facts must equal
    a fresh run's over the final input (latency aside), with the change classified again."""
    data = _data_dir_with_mini_release(tmp_path, mini_onet_dir)
    convs = [Conversation(f"c{k:04d}", f"a{k % 7}", (Message("user", f"task number {k}"),)) for k in range(3000)]
    tasks, patterns = (101, 102, 201, 202, 301), ("directive", "learning", "task_iteration")
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(
        json.dumps({"conversation_id": c.id, "task_id": tasks[k % 5], "pattern": patterns[k % 3]}) + "\n"
        for k, c in enumerate(convs)
    ))
    env = {**os.environ, "HARNESS_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}

    def command(conversations: Path, out: Path) -> list[str]:
        return [sys.executable, "-m", "harness", "classify", "--input", str(conversations), "--out", str(out),
                "--backend", f"replay:{predictions}", "--batch-size", "1", "--no-progress"]

    original, killed = tmp_path / "original.jsonl", tmp_path / "killed"
    write_jsonl(convs, original)
    proc = subprocess.Popen(command(original, killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    partial = killed / "facts.partial.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (partial.exists() and partial.read_text().count("\n") >= 20):
        if proc.poll() is not None:
            pytest.fail("the run finished before it could be interrupted")
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (killed / "manifest.json").exists()

    final = [Conversation("c0000", "a0", (Message("user", "an edited first task"),)), *convs[1:]]
    final = final[1::2] + final[0::2]  # every other conversation first: a different order, same ids
    edited = tmp_path / "edited.jsonl"
    write_jsonl(final, edited)
    resumed = subprocess.run(command(edited, killed), env=env, check=True, capture_output=True, text=True)
    assert "1 re-classified (content changed)" in resumed.stdout
    clean = tmp_path / "clean"
    subprocess.run(command(edited, clean), env=env, check=True, capture_output=True)
    rows = _comparable(killed / "facts.jsonl")
    assert rows == _comparable(clean / "facts.jsonl")
    assert [r["seq"] for r in rows] == list(range(len(final)))
    assert [r["conversation_id"] for r in rows] == [c.id for c in final]
    counts = json.loads((killed / "manifest.json").read_text())["counts"]
    assert counts["changed"] == 1 and counts["resumed"] + counts["new"] + 1 == len(final)
