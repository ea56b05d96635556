"""The run directory's exclusive lock within one process: re-entry, a second thread, release, and bad paths."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from harness.errors import InputError
from harness.run import RunDir, RunDirInUseError


def _try_lock_elsewhere(run: RunDir) -> BaseException | None:
    """Take ``run``'s lock on another thread; the error that refused it, or None when it was granted."""
    outcome: list[BaseException | None] = [None]

    def attempt() -> None:
        try:
            with run.lock():
                pass
        except BaseException as exc:  # handed back to the test thread
            outcome[0] = exc

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(10)
    return outcome[0]


def test_the_holder_may_lock_again_and_others_are_refused_until_it_lets_go(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    with run.lock() as locked:
        assert locked is run and run.lock_path.is_file()
        with run.lock():  # validate holds the lock while its classify stage takes it again
            refused = _try_lock_elsewhere(run)
        assert isinstance(refused, RunDirInUseError)
        assert "in use by another run in this process" in str(refused) and str(run.path) in str(refused)
        assert isinstance(_try_lock_elsewhere(run), RunDirInUseError)  # still held by the outer block
    assert _try_lock_elsewhere(run) is None  # released


def test_the_lock_is_released_when_the_block_raises(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    with pytest.raises(KeyError), run.lock():
        raise KeyError("boom")
    assert _try_lock_elsewhere(run) is None


def test_an_output_path_that_is_a_file_is_bad_input(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.write_text("not a directory")
    (tmp_path / "analysis").write_text("not a directory either")
    with pytest.raises(InputError, match="not a directory") as info:
        RunDir(target).create()
    assert info.value.path == target
    with pytest.raises(InputError, match="not a directory"), RunDir(target).lock():
        pass
    with pytest.raises(InputError, match="is a file"):
        RunDir(target / "sub").create()
    with pytest.raises(InputError, match="not a directory"):
        RunDir(tmp_path).analysis.create()
