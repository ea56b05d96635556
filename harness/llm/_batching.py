"""Send a pipeline's model calls through the Message Batches API without changing the pipeline.

:class:`BatchingLLM` looks like any :class:`~harness.llm.LLM`: each ``complete()`` call waits for its answer. Behind
it, calls that arrive together (a classification step across all conversations in flight) are grouped and sent as
one Message Batch through :meth:`AnthropicLLM.run_batch`, at half the price and without rate-limit pressure. A
group is sent when no new call has arrived for ``window_s`` seconds or when it reaches ``max_batch`` calls. Each
group's state file is named after the group's request keys, so a process killed while a batch is in flight polls
the same batch again when re-run instead of paying for a second one. Put a :class:`CachedLLM` in front so
answered calls are never re-sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from harness.errors import clip_text
from harness.llm._anthropic import AnthropicLLM
from harness.llm._types import LLMError, LLMRequest, LLMRequestError, LLMResponse
from harness.paths import cache_dir

__all__ = ["BatchingLLM"]


class BatchingLLM:
    """Answers ``complete()`` calls through Message Batches (see the module docstring).

    Args:
        llm: The Anthropic backend that submits, polls and collects batches.
        state_dir: Folder for the batches' state files (default: ``<cache>/batches``).
        window_s: Quiet time that closes a group of calls.
        max_batch: Largest group sent as one batch.
        poll_interval_s: Seconds between status polls of a batch.
        max_wait_s: Give up on a batch after this long (its state is kept for a resume).
    """

    def __init__(
        self,
        llm: AnthropicLLM,
        *,
        state_dir: str | os.PathLike[str] | None = None,
        window_s: float = 0.5,
        max_batch: int = 10_000,
        poll_interval_s: float = 60.0,
        max_wait_s: float | None = None,
    ):
        if window_s <= 0 or max_batch < 1 or poll_interval_s <= 0:
            raise ValueError("window_s and poll_interval_s must be > 0 and max_batch >= 1")
        self.llm = llm
        self.state_dir = Path(state_dir) if state_dir is not None else cache_dir() / "batches"
        self.window_s = window_s
        self.max_batch = max_batch
        self.poll_interval_s = poll_interval_s
        self.max_wait_s = max_wait_s
        self.batches_sent = 0
        self._pending: list[tuple[LLMRequest, asyncio.Future[LLMResponse]]] = []
        self._last_arrival = 0.0
        self._flusher: asyncio.Task[None] | None = None

    @property
    def backend(self) -> str:
        # Same namespace as interactive calls: a batch answer and a direct answer to one request are the same.
        return self.llm.backend

    @property
    def model_id(self) -> str:
        return self.llm.model_id

    def __repr__(self) -> str:
        return f"BatchingLLM({self.llm!r}, window_s={self.window_s})"

    async def complete(self, request: LLMRequest) -> LLMResponse:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[LLMResponse] = loop.create_future()
        self._pending.append((request, future))
        self._last_arrival = loop.time()
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_when_quiet())
        return await future

    async def _flush_when_quiet(self) -> None:
        loop = asyncio.get_running_loop()
        while len(self._pending) < self.max_batch and loop.time() - self._last_arrival < self.window_s:
            await asyncio.sleep(self.window_s / 4)
        group, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        # calls arriving while this batch runs start the next group
        self._flusher = asyncio.create_task(self._flush_when_quiet()) if self._pending else None
        requests = [request for request, _ in group]
        keys = sorted({self.llm.custom_id(r) for r in requests})
        state = self.state_dir / f"batch-{hashlib.sha256(''.join(keys).encode()).hexdigest()[:20]}.json"
        state.parent.mkdir(parents=True, exist_ok=True)
        try:
            results = await self.llm.run_batch(
                requests, state, poll_interval_s=self.poll_interval_s, max_wait_s=self.max_wait_s
            )
        except Exception as exc:  # every waiting call learns why its batch failed
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches_sent += 1
        for (_, future), result in zip(group, results, strict=True):
            if future.done():
                continue
            if result.response is not None:
                future.set_result(result.response)
            else:
                future.set_exception(_entry_error(result.custom_id, result.error))


def _entry_error(custom_id: str, error: str | None) -> LLMError:
    """The error of one request of a batch that did not succeed.

    An ``errored`` entry concerns that request alone (:class:`LLMRequestError`); an entry that expired, was
    canceled or is missing means the batch as a whole did not finish, which concerns every request in it.
    """
    reason = clip_text(error or "no result")
    message = f"anthropic batch request {custom_id[:12]}… failed: {reason}"
    if reason in ("expired", "canceled", "missing from batch results", "no result"):
        return LLMError(message)
    return LLMRequestError(message, reason=reason)
