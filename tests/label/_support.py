"""Helpers of the labelling tests: the fixture conversations as a labelling file, and a real server process.

Imported relatively (``from ._support import ...``): ``tests`` is not a package, and a package of that name in
site-packages would shadow it.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
CONVERSATIONS = FIXTURES / "label" / "conversations.jsonl"


def write_items(path: Path, *, splits: tuple[str, ...] = ("dev", "test")) -> Path:
    """The fixture conversations as a goldset-format file with no labels yet (ids ``item-<conversation id>``)."""
    from harness.conversations import read_jsonl
    from harness.evaluate import blank_gold_item, write_goldset

    conversations = read_jsonl(CONVERSATIONS)
    items = [blank_gold_item(c, id=f"item-{c.id}", split=splits[k % len(splits)], raters=())  # type: ignore[arg-type]
             for k, c in enumerate(conversations)]
    write_goldset(items, path)
    return path


class Server:
    """``harness label serve`` in a child process; ``url`` is the address it printed (token included)."""

    def __init__(self, args: list[str], *, data_dir: Path | None = None, timeout: float = 60.0):
        env = dict(os.environ)
        if data_dir is not None:
            env["HARNESS_DATA_DIR"] = str(data_dir)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "harness", "label", "serve", *args], cwd=ROOT, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self._timeout = timeout
        self._url: str | None = None

    @property
    def url(self) -> str:
        """The session URL the server printed; waits for it (so other work can overlap the start-up)."""
        if self._url is None:
            self._url = self._wait_for_url(self._timeout)
        return self._url

    @property
    def base(self) -> str:
        parts = urlparse(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token(self) -> str:
        return urlparse(self.url).query.removeprefix("token=")

    def _wait_for_url(self, timeout: float) -> str:
        # A thread reads stdout line by line (select() on a buffered pipe misses lines already buffered).
        assert self.process.stdout is not None
        lines: queue.Queue[str] = queue.Queue()
        stdout = self.process.stdout
        threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            seen.append(line)
            if line.startswith("open http"):
                return line.split()[1]
        self.process.kill()
        _, err = self.process.communicate(timeout=30)
        raise RuntimeError(f"the server did not start: {''.join(seen)}{err}")

    def request(self, method: str, path: str, body: Any = None, *, token: bool = True,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Send a request; returns (status, parsed JSON or text)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("X-Label-Token", self.token)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        try:
            return status, json.loads(raw)
        except json.JSONDecodeError:
            return status, raw.decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no clean-up, no flush, nothing but what is already on disk survives."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def __enter__(self) -> Server:
        self.url  # noqa: B018 - wait for the start-up
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()
