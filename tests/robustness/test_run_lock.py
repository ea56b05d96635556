"""Two harness processes on one run directory: the second is turned away at once with one line naming the holder,
and a holder killed with SIGKILL leaves nothing that blocks the next run.

The holder is a real ``harness classify`` (replay backend), frozen with SIGSTOP as soon as it has taken the lock,
so the second process meets it mid-run however fast the run would otherwise be.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.conversations import Conversation, Message, write_jsonl
from harness.run import RunDir
from tests.robustness.conftest import assert_clean_failure, run_cli

N_CONVERSATIONS = 300


@dataclass(frozen=True)
class Holder:
    """A classify process frozen while it holds the lock of ``out``."""

    proc: subprocess.Popen
    out: Path
    command: list[str]
    env: dict[str, str]


def _command(tmp_path: Path, mini_onet_dir: Path) -> tuple[list[str], dict[str, str], Path]:
    data = tmp_path / "data"
    (data / "onet").mkdir(parents=True)
    (data / "onet" / "db_29_3_text").symlink_to(mini_onet_dir.resolve())
    convs = [Conversation(f"c{k:04d}", f"a{k % 5}", (Message("user", f"job {k}"),)) for k in range(N_CONVERSATIONS)]
    conversations = tmp_path / "conversations.jsonl"
    write_jsonl(convs, conversations)
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"conversation_id": c.id, "task_id": 101}) + "\n" for c in convs))
    out = tmp_path / "run"
    command = [sys.executable, "-m", "harness", "classify", "--input", str(conversations), "--out", str(out),
               "--backend", f"replay:{predictions}", "--no-progress"]
    return command, {**os.environ, "HARNESS_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}, out


@pytest.fixture
def holder(tmp_path: Path, mini_onet_dir: Path) -> Iterator[Holder]:
    """Start a classify run, freeze it once its pid is in the lock file, and kill it at the end."""
    command, env, out = _command(tmp_path, mini_onet_dir)
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = RunDir(out).lock_path
    deadline = time.monotonic() + 60
    try:
        while not (lock.is_file() and lock.read_text().strip() == str(proc.pid)):
            if proc.poll() is not None:
                pytest.fail(f"the holder ended before it could be frozen: {proc.stderr.read().decode()}")
            if time.monotonic() > deadline:
                pytest.fail("the holder never took the lock")
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGSTOP)
        yield Holder(proc, out, command, env)
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def test_a_second_process_is_turned_away_and_a_killed_holder_blocks_nothing(holder: Holder) -> None:
    partial = RunDir(holder.out).partial_path
    before = partial.read_bytes() if partial.exists() else b""
    expected = f"run directory {holder.out} is in use by another harness process (pid {holder.proc.pid})"

    started = time.monotonic()
    second = subprocess.run(holder.command, env=holder.env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 1, second.stderr
    lines = [line for line in second.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in second.stderr, second.stderr
    assert time.monotonic() - started < 20  # turned away before any slow work
    assert (partial.read_bytes() if partial.exists() else b"") == before  # and it wrote nothing

    # validate writes a run directory too, and takes the same lock (checked here in-process)
    outcome = run_cli(["validate", "--out", holder.out, "--bootstrap", "10"])
    assert_clean_failure(outcome, rc=1, mentions=(expected,))
    outcome = run_cli(["classify", "--input", holder.command[holder.command.index("--input") + 1], "--out",
                       holder.out])
    assert_clean_failure(outcome, rc=1, mentions=(expected,))

    # SIGKILL cannot run any clean-up, yet the operating system drops the lock: the next run resumes and finishes
    holder.proc.kill()
    holder.proc.wait()
    resumed = subprocess.run(holder.command, env=holder.env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{N_CONVERSATIONS} conversations:" in resumed.stdout
    facts = RunDir(holder.out).read_facts()
    assert list(facts["conversation_id"]) == [f"c{k:04d}" for k in range(N_CONVERSATIONS)]
