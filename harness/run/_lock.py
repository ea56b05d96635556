"""An exclusive lock on a run directory, so that two harness processes never write one run at the same time.

Two ``harness classify`` processes given the same ``--out`` would append to one partial file and overwrite each
other's facts; one of them would then cut the other's half-written line as torn. The lock is an ``flock`` on a
small file inside the run directory. The operating system releases it when its holder exits, however it exits (a
crash or SIGKILL included), so a lock never outlives its process and there is nothing to clean up by hand. The
holder writes its pid into the file, so that a refused process can say who is in the way.

A process may take a lock it already holds (``harness validate`` holds it for the whole command while the classify
stage inside takes it again). ``flock`` alone would refuse that: two opens of one file conflict even within one
process, so holdings are counted per thread here and the file is locked once.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from harness.errors import HarnessError, InputError

__all__ = ["RunDirInUseError", "hold_lock"]

log = logging.getLogger(__name__)

# Filesystems that cannot lock at all (some network mounts); a run there goes ahead unguarded, with a warning.
_NO_LOCKING = frozenset({errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS})

_guard = threading.Lock()
_held: dict[tuple[Path, int], list[int]] = {}  # (lock file, thread) -> [file descriptor or -1, depth]


class RunDirInUseError(HarnessError):
    """Another process (or another thread of this one) holds the lock of a run directory.

    Attributes:
        path: The run directory.
        pid: The holder's process id, when it could be read from the lock file.
    """

    def __init__(self, path: Path, pid: int | None):
        self.path = path
        self.pid = pid
        if pid is not None and pid == os.getpid():
            holder = f"another run in this process (pid {pid})"
        else:
            holder = f"another harness process (pid {pid if pid is not None else 'unknown'})"
        super().__init__(f"run directory {path} is in use by {holder}; wait for it to finish or choose another "
                         "--out")


def _holder_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _acquire(directory: Path, lock_file: Path) -> int:
    """Open and lock ``lock_file``; its file descriptor, or -1 when the filesystem cannot lock."""
    try:
        fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise InputError(lock_file, f"cannot open the run's lock file: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _holder_pid(fd)
        os.close(fd)
        raise RunDirInUseError(directory, pid) from None
    except OSError as exc:
        os.close(fd)
        if exc.errno not in _NO_LOCKING:
            raise InputError(lock_file, f"cannot lock the run directory: {exc.strerror or exc}") from None
        log.warning("%s: this filesystem cannot lock files; make sure no other process writes this run", directory)
        return -1
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return fd


@contextmanager
def hold_lock(directory: Path, lock_file: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``directory`` (through ``lock_file``, which is created) for the ``with`` block.

    Raises:
        RunDirInUseError: Another process or thread holds it; raised at once, without waiting.
        InputError: The lock file cannot be created or locked.
    """
    key = (lock_file.resolve(), threading.get_ident())
    with _guard:
        entry = _held.get(key)
        if entry is None:
            entry = _held[key] = [_acquire(directory, lock_file), 0]
        entry[1] += 1
    try:
        yield
    finally:
        with _guard:
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                if entry[0] >= 0:
                    os.close(entry[0])  # closing the descriptor releases the lock
