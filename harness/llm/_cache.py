"""The on-disk answer cache and the wrapper that puts it in front of any backend.

The cache is one SQLite file in WAL mode. Every operation opens its own short-lived connection, so the same
cache can be used from several asyncio tasks (operations run in worker threads), several threads and several
processes at once; SQLite's locking serialises the writers. Only finished answers are written: a call that
fails, or a task that is cancelled mid-call, leaves nothing behind.

The cache stores answers, token counts and hashes, never the prompt text.
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from harness import paths
from harness.llm._types import LLM, LLMRequest, LLMResponse, Usage, request_key

__all__ = ["DEFAULT_CACHE_FILE", "AnswerCache", "CacheStats", "CachedAnswer", "CachedLLM"]

DEFAULT_CACHE_FILE = "llm_answers.sqlite"
_SCHEMA_VERSION = 1
_BUSY_TIMEOUT_S = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    step TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    response_model TEXT NOT NULL,
    stop_reason TEXT,
    usage TEXT NOT NULL,
    cost_usd REAL,
    latency_s REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class CachedAnswer:
    """One stored answer, as it was first produced."""

    key: str
    text: str
    model: str
    stop_reason: str | None
    usage: Usage
    cost_usd: float | None
    latency_s: float
    created_at: float


@dataclass(frozen=True)
class CacheStats:
    """Hit and miss counts of one :class:`AnswerCache` object (this process), and the stored entry count."""

    hits: int
    misses: int
    entries: int

    @property
    def hit_rate(self) -> float:
        """hits / (hits + misses); NaN before the first lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else float("nan")


class AnswerCache:
    """Model answers on disk, keyed by :func:`~harness.llm.request_key`.

    Args:
        path: SQLite file; defaults to ``llm_answers.sqlite`` in :func:`harness.paths.cache_dir`.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None):
        self.path = Path(path) if path is not None else paths.cache_dir() / DEFAULT_CACHE_FILE
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._hits = 0
        self._misses = 0
        with closing(self._connect()) as con, con:
            # WAL lets readers proceed while one writer commits; the mode is stored in the file.
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(_SCHEMA)
            con.execute("INSERT OR IGNORE INTO meta(name, value) VALUES ('schema_version', ?)", (str(_SCHEMA_VERSION),))
            (version,) = con.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()
        if int(version) != _SCHEMA_VERSION:
            raise ValueError(f"{self.path}: answer cache schema {version}, expected {_SCHEMA_VERSION}")

    def __repr__(self) -> str:
        return f"AnswerCache(path={str(self.path)!r})"

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_S, isolation_level="DEFERRED")
        con.execute("PRAGMA synchronous=NORMAL")
        return con

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer for ``key``, or None; counts a hit or a miss."""
        with closing(self._connect()) as con:
            row = con.execute(
                "SELECT key, text, response_model, stop_reason, usage, cost_usd, latency_s, created_at "
                "FROM answers WHERE key = ?",
                (key,),
            ).fetchone()
        with self._lock:
            if row is None:
                self._misses += 1
            else:
                self._hits += 1
        if row is None:
            return None
        key_, text, model, stop_reason, usage, cost, latency, created = row
        return CachedAnswer(key_, text, model, stop_reason, Usage.from_dict(json.loads(usage)), cost, latency, created)

    def put(self, key: str, backend: str, model_id: str, request: LLMRequest, response: LLMResponse) -> bool:
        """Store a freshly produced answer; the first answer stored under a key wins.

        Returns:
            True when stored, False when the key was already present.
        """
        usage = response.original_usage if response.cached and response.original_usage else response.usage
        with closing(self._connect()) as con, con:
            cur = con.execute(
                "INSERT OR IGNORE INTO answers(key, backend, model, step, prompt_hash, input_hash, text, "
                "response_model, stop_reason, usage, cost_usd, latency_s, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    backend,
                    model_id,
                    request.step,
                    request.prompt_hash,
                    request.input_hash,
                    response.text,
                    response.model,
                    response.stop_reason,
                    json.dumps(usage.to_dict()),
                    response.cost_usd,
                    response.latency_s,
                    time.time(),
                ),
            )
            return cur.rowcount == 1

    def __contains__(self, key: object) -> bool:
        with closing(self._connect()) as con:
            return con.execute("SELECT 1 FROM answers WHERE key = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        with closing(self._connect()) as con:
            return con.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def stats(self) -> CacheStats:
        """Hits and misses counted by this object, and the number of stored answers."""
        with self._lock:
            hits, misses = self._hits, self._misses
        return CacheStats(hits=hits, misses=misses, entries=len(self))


class CachedLLM:
    """An :class:`~harness.llm.LLM` that answers from an :class:`AnswerCache` when it can.

    A hit returns ``cached=True`` with zero ``usage`` and zero cost (nothing new was billed); the usage of the
    original call is in ``original_usage``. A miss calls the backend and stores the answer once it is complete.
    Identical requests that miss at the same moment each reach the backend (the first stored answer is kept);
    deduplicate requests upstream when that matters.

    Args:
        llm: The backend to call on a miss.
        cache: Where answers are kept.
        store_truncated: Also store answers cut off by ``max_tokens`` (off by default: a truncated answer usually
            means the request needs a larger limit, which is a different key anyway).
    """

    def __init__(self, llm: LLM, cache: AnswerCache, *, store_truncated: bool = False):
        self.llm = llm
        self.cache = cache
        self.store_truncated = store_truncated

    @property
    def backend(self) -> str:
        return self.llm.backend

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def __repr__(self) -> str:
        return f"CachedLLM({self.llm!r}, {self.cache!r})"

    def key(self, request: LLMRequest) -> str:
        """The cache key of ``request`` for the wrapped backend."""
        return request_key(self.llm.backend, self.llm.model_id, request)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Answer from the cache, or from the backend (then store the answer)."""
        start = time.perf_counter()
        key = self.key(request)
        hit = await asyncio.to_thread(self.cache.get, key)
        if hit is not None:
            return LLMResponse(
                text=hit.text,
                usage=Usage(),
                model=hit.model,
                latency_s=time.perf_counter() - start,
                cached=True,
                stop_reason=hit.stop_reason,
                cost_usd=0.0,
                original_usage=hit.usage,
            )
        response = await self.llm.complete(request)
        if self.store_truncated or response.stop_reason != "max_tokens":
            # One SQLite transaction: either the whole row lands or nothing does.
            await asyncio.to_thread(self.cache.put, key, self.llm.backend, self.llm.model_id, request, response)
        return response

    async def aclose(self) -> None:
        """Close the wrapped backend, if it holds resources."""
        closer = getattr(self.llm, "aclose", None)
        if closer is not None:
            await closer()
