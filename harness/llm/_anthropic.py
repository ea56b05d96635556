"""Anthropic Messages API backend: retries, concurrency limit, prompt caching, usage and cost, Message Batches.

The SDK's own retries are switched off (``max_retries=0``) so that one loop, with documented behaviour, decides
what is retried and for how long: HTTP 408/429/500/502/503/504/529, connection errors and timeouts, and replies
that cannot be read (a 200 whose body is malformed JSON, an HTML page, cut short, or not shaped like the endpoint's
object), with exponential backoff and jitter, never sooner than the server's ``retry-after``.

When the retries run out, what is raised says whose problem it is. A request that only ever got unreadable
replies, dropped connections or timeouts raises :class:`~harness.llm.LLMRequestError` (the caller can record that
one item as failed and go on); an API that stays overloaded or unreachable raises a plain
:class:`~harness.llm.LLMError`, as does any other rejection. A rejected key (HTTP 401) is remembered: every
request of the same backend object, in flight or later, then fails at once with the same message instead of
retrying or warning.

The API key comes from the ``api_key`` argument or ``ANTHROPIC_API_KEY``. It is only read when a request is
about to be sent (a run served entirely from the answer cache needs no key), and it never appears in a repr, a
log record or an error message. Server messages repeated in errors are cut to about 200 characters.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import os
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from harness.errors import InputError, clip_text
from harness.llm._cache import AnswerCache
from harness.llm._pricing import estimate_cost
from harness.llm._types import LLMError, LLMRequest, LLMRequestError, LLMResponse, Usage, request_key

if TYPE_CHECKING:
    import anthropic

__all__ = [
    "MAX_BATCH_REQUESTS",
    "RETRYABLE_STATUS",
    "AnthropicLLM",
    "BatchResult",
    "BatchStatus",
    "RetryPolicy",
]

log = logging.getLogger("harness.llm")

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504, 529})
MAX_BATCH_REQUESTS = 100_000  # the API's per-batch limit; split larger jobs into shards


class _DropRequestBodies(logging.Filter):
    """Drop the SDK's debug record that dumps whole request bodies (prompts carry conversation text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Request options")


logging.getLogger("anthropic._base_client").addFilter(_DropRequestBodies())
_BATCH_STATE_SCHEMA = "harness.llm.batch/1"
_T = TypeVar("_T")
# How the SDK's connection failures read in messages, by the transport exception's class name (the SDK has used
# both httpx and a fork of it, so names are compared rather than classes).
_TRANSPORT_REASONS = {
    "ConnectError": "cannot connect",
    "ReadError": "connection reset",
    "WriteError": "connection reset",
    "RemoteProtocolError": "response cut short or connection closed",
}


class _UnreadableReply(Exception):
    """A 2xx reply whose body is not the object the endpoint returns; retried, and never leaves this module."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class _Reply:
    """The parts of a ``message`` object the harness uses, read and checked inside the retry loop."""

    text: str
    usage: Usage
    model: str
    stop_reason: str | None


def _read_message(message: Any) -> _Reply:
    """Check and read a ``message`` object; raise :class:`_UnreadableReply` when it is not one."""
    if isinstance(message, str | bytes):
        # The SDK hands back the raw text when the body was not JSON (an HTML error page from a proxy, say).
        raise _UnreadableReply("the body is not JSON")
    try:
        u = message.usage
        usage = Usage(
            input_tokens=u.input_tokens or 0,
            output_tokens=u.output_tokens or 0,
            cache_read_tokens=u.cache_read_input_tokens or 0,
            cache_write_tokens=u.cache_creation_input_tokens or 0,
        )
        text = "".join(block.text for block in message.content if block.type == "text")
        model, stop_reason = message.model, message.stop_reason
    except (AttributeError, TypeError, ValueError):
        raise _UnreadableReply("the body is not a message object") from None
    if not isinstance(model, str) or not isinstance(stop_reason, str | None):
        raise _UnreadableReply("the body is not a message object")
    return _Reply(text, usage, model, stop_reason)


def _read_batch(batch: Any) -> BatchStatus:
    """Check and read a ``message_batch`` object; raise :class:`_UnreadableReply` when it is not one."""
    try:
        c = batch.request_counts
        status = BatchStatus(
            batch.id, batch.processing_status, c.processing, c.succeeded, c.errored, c.canceled, c.expired
        )
    except AttributeError:
        raise _UnreadableReply("the body is not a message batch object") from None
    if not isinstance(status.batch_id, str) or not isinstance(status.processing_status, str):
        raise _UnreadableReply("the body is not a message batch object")
    return status


def _read_result(item: Any) -> tuple[str, _Reply | None, str | None]:
    """``(custom_id, reply, error)`` of one line of a batch's results."""
    try:
        custom_id, result = item.custom_id, item.result
        kind = result.type
        if kind == "succeeded":
            return custom_id, _read_message(result.message), None
        if kind == "errored":
            err = result.error.error
            return custom_id, None, clip_text(f"{err.type}: {err.message}")
        return custom_id, None, clip_text(str(kind))
    except AttributeError:
        raise _UnreadableReply("a line of the batch results is not a result object") from None


def _unreadable_reason(exc: Exception) -> str:
    if isinstance(exc, _UnreadableReply):
        return exc.reason
    if isinstance(exc, json.JSONDecodeError):
        return "malformed JSON body"
    if isinstance(exc, UnicodeDecodeError):
        return "the body is not valid UTF-8"
    return "the body failed validation"


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before retrying a failed request.

    The wait before retry ``n`` (1-based) is ``min(max_delay_s, base_delay_s * 2**(n-1))`` scaled by a random
    factor in ``[1 - jitter, 1 + jitter]``, and never less than the server's ``retry-after``.

    Args:
        max_attempts: Attempts in total, the first included.
        base_delay_s: Wait before the first retry (before jitter).
        max_delay_s: Cap of the exponential part.
        jitter: Relative spread of the random factor, in [0, 1).
    """

    max_attempts: int = 8
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0
    jitter: float = 0.25

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {self.max_attempts}")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("base_delay_s and max_delay_s must be >= 0")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError(f"jitter must be in [0, 1), got {self.jitter}")

    def backoff(self, retry: int, rng: random.Random) -> float:
        """Wait in seconds before retry number ``retry`` (1-based), ignoring ``retry-after``."""
        delay = min(self.max_delay_s, self.base_delay_s * 2 ** (retry - 1))
        return delay * (1.0 + self.jitter * (2.0 * rng.random() - 1.0))


def _retry_after_s(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms``, or ``retry-after`` as seconds or HTTP date)."""
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed is not None else None


@dataclass(frozen=True)
class BatchStatus:
    """Progress of a Message Batch."""

    batch_id: str
    processing_status: str
    processing: int
    succeeded: int
    errored: int
    canceled: int
    expired: int

    @property
    def ended(self) -> bool:
        """True once every request has finished one way or another."""
        return self.processing_status == "ended"


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one request of a batch: a response, or an error description."""

    custom_id: str
    response: LLMResponse | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.response is not None


class AnthropicLLM:
    """A model served by the Anthropic Messages API, through the official ``anthropic`` SDK.

    Args:
        model: Model id, e.g. ``"claude-haiku-4-5"``.
        api_key: API key; defaults to ``ANTHROPIC_API_KEY`` (read at the first request).
        base_url: API root; defaults to the SDK's (``ANTHROPIC_BASE_URL`` or the public endpoint).
        timeout_s: Per-attempt timeout in seconds, given to the SDK client (a finite number > 0); a timed-out
            attempt is retried.
        max_concurrency: Requests in flight at once (per event loop).
        retry: Retry policy.
        prompt_cache_min_chars: Mark ``system`` for prompt caching when it has at least this many characters.
            The API quietly declines to cache prefixes shorter than the model's minimum, so erring low is free.
        seed: Seed of the jitter generator (for reproducible tests).

    Attributes:
        calls: Requests answered successfully.
        retries: Retries made.
        usage_total: Usage summed over successful requests.
    """

    backend = "anthropic"

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout_s: float = 120.0,
        max_concurrency: int = 8,
        retry: RetryPolicy | None = None,
        prompt_cache_min_chars: int = 1000,
        seed: int | None = None,
    ):
        if not model:
            raise ValueError("AnthropicLLM needs a model id, e.g. 'claude-haiku-4-5'")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if isinstance(timeout_s, bool) or not isinstance(timeout_s, int | float) or not math.isfinite(timeout_s):
            raise ValueError(f"timeout_s must be a finite number of seconds, got {timeout_s!r}")
        if timeout_s <= 0:
            raise ValueError(f"timeout_s must be > 0, got {timeout_s}")
        self.model_id = model
        self.base_url = base_url
        self.timeout_s = timeout_s
        self.max_concurrency = max_concurrency
        self.retry = retry or RetryPolicy()
        self.prompt_cache_min_chars = prompt_cache_min_chars
        self._api_key = api_key
        self._rng = random.Random(seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._sdk: anthropic.AsyncAnthropic | None = None
        self._semaphore: asyncio.Semaphore | None = None
        self._key_rejected: str | None = None  # the message of the 401 that stops every request of this object
        self.calls = 0
        self.retries = 0
        self.usage_total = Usage()

    def __repr__(self) -> str:
        return f"AnthropicLLM(model={self.model_id!r}, base_url={self.base_url!r})"

    # -- plumbing -------------------------------------------------------------------------------------------

    def _client(self) -> tuple[anthropic.AsyncAnthropic, asyncio.Semaphore]:
        import anthropic  # deferred: the SDK takes about a second to import

        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._sdk is None or self._semaphore is None:
            # A new event loop (e.g. a second asyncio.run) cannot reuse the old loop's connections or semaphore.
            key = self._api_key or os.environ.get("ANTHROPIC_API_KEY")
            if not key:
                raise LLMError("no Anthropic API key: set ANTHROPIC_API_KEY or pass api_key=")
            self._sdk = anthropic.AsyncAnthropic(
                api_key=key, base_url=self.base_url, max_retries=0, timeout=self.timeout_s
            )
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
            self._loop = loop
        return self._sdk, self._semaphore

    async def aclose(self) -> None:
        """Close the HTTP client of the current event loop."""
        if self._sdk is not None and self._loop is asyncio.get_running_loop():
            await self._sdk.close()
        self._sdk, self._semaphore, self._loop = None, None, None

    async def _with_retries(self, what: str, call: Callable[[anthropic.AsyncAnthropic], Awaitable[_T]]) -> _T:
        """Run ``call(client)`` under the concurrency limit, retrying transient failures.

        ``call`` sends the request and reads the reply; a reply it cannot read (see :func:`_read_message`) is
        retried like a 5xx.
        """
        import anthropic

        attempt = 0
        while True:
            attempt += 1
            self._stop_if_key_rejected(attempt)
            client, semaphore = self._client()
            failure: LLMError | None = None
            wait = self.retry.backoff(attempt, self._rng)
            try:
                async with semaphore:
                    self._stop_if_key_rejected(attempt)  # the key may have been rejected while this call queued
                    return await call(client)
            except anthropic.APIStatusError as exc:
                reason, failure, retry_after = self._status_failure(what, exc, attempt)
                wait = max(wait, retry_after or 0.0)
            except anthropic.APIConnectionError as exc:
                reason, failure = self._connection_failure(what, exc, attempt)
            except (
                _UnreadableReply,
                json.JSONDecodeError,
                UnicodeDecodeError,
                anthropic.APIResponseValidationError,
            ) as exc:
                reason = _unreadable_reason(exc)
                if attempt >= self.retry.max_attempts:
                    failure = self._request_failure(what, reason, attempt)
            if failure is None and self._key_rejected is not None:
                # Another request's 401 stops this one too; its failure was a side effect, not worth a warning.
                failure = self._key_error(attempt)
            # Raised outside the except blocks so the SDK exception (whose request object carries the auth
            # headers) is not chained onto ours.
            if failure is not None:
                raise failure
            self.retries += 1
            log.warning(
                "anthropic %s (%s): %s on attempt %d/%d; retrying in %.2fs",
                what, self.model_id, reason, attempt, self.retry.max_attempts, wait,
            )  # fmt: skip
            await asyncio.sleep(wait)

    def _key_error(self, attempts: int) -> LLMError:
        return LLMError(self._key_rejected or "", status_code=401, error_type="authentication_error", attempts=attempts)

    def _stop_if_key_rejected(self, attempt: int) -> None:
        if self._key_rejected is not None:
            raise self._key_error(attempt)

    def _request_failure(self, what: str, reason: str, attempts: int) -> LLMRequestError:
        return LLMRequestError(
            f"anthropic {what} ({self.model_id}) got no usable answer after {attempts} attempt(s): {reason}",
            reason=reason,
            attempts=attempts,
        )

    def _status_failure(
        self, what: str, exc: anthropic.APIStatusError, attempt: int
    ) -> tuple[str, LLMError | None, float | None]:
        """Reason, final error (None to retry) and the server's ``retry-after`` of an HTTP error reply."""
        reason = clip_text(f"HTTP {exc.status_code} {exc.type or ''}".rstrip(), 100)
        if exc.status_code == 401:
            # Every other request would get the same answer: remember it, so they stop instead of retrying.
            self._key_rejected = (
                f"the Anthropic API rejected the API key (HTTP 401 authentication_error) for {self.model_id}: "
                "check ANTHROPIC_API_KEY (or the api_key given); no further requests are sent"
            )
            return reason, self._key_error(attempt), None
        if exc.status_code in RETRYABLE_STATUS and attempt < self.retry.max_attempts:
            return reason, None, _retry_after_s(exc.response.headers)
        detail = f": {clip_text(str(exc.api_message))}" if exc.api_message else ""
        failure = LLMError(
            f"anthropic {what} ({self.model_id}) failed after {attempt} attempt(s): {reason}{detail}",
            status_code=exc.status_code,
            error_type=exc.type,
            attempts=attempt,
        )
        return reason, failure, None

    def _connection_failure(
        self, what: str, exc: anthropic.APIConnectionError, attempt: int
    ) -> tuple[str, LLMError | None]:
        """Reason and final error (None to retry) of a request that got no complete HTTP reply."""
        import anthropic

        if isinstance(exc, anthropic.APITimeoutError):
            reason = f"timeout (no answer within {self.timeout_s:g}s)"
        else:
            reason = _TRANSPORT_REASONS.get(type(exc.__cause__).__name__, "connection error")
        if attempt < self.retry.max_attempts:
            return reason, None
        if reason == "cannot connect":
            # An API out of reach concerns every request, not this one.
            message = f"anthropic {what} ({self.model_id}) failed after {attempt} attempt(s): {reason}"
            return reason, LLMError(message, attempts=attempt)
        return reason, self._request_failure(what, reason, attempt)

    def _params(self, request: LLMRequest) -> dict[str, Any]:
        params: dict[str, Any] = {
            "model": self.model_id,
            "max_tokens": request.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        if request.system:
            block: dict[str, Any] = {"type": "text", "text": request.system}
            if request.cache_prefix and len(request.system) >= self.prompt_cache_min_chars:
                block["cache_control"] = {"type": "ephemeral"}
            params["system"] = [block]
        if request.temperature is not None:
            params["temperature"] = request.temperature
        return params

    def _response(self, reply: _Reply, latency_s: float, *, batch: bool) -> LLMResponse:
        cost = estimate_cost(self.model_id, reply.usage, batch=batch)
        if cost is None:
            cost = estimate_cost(reply.model, reply.usage, batch=batch)
        self.calls += 1
        self.usage_total = self.usage_total + reply.usage
        return LLMResponse(
            text=reply.text,
            usage=reply.usage,
            model=reply.model,
            latency_s=latency_s,
            cached=False,
            stop_reason=reply.stop_reason,
            cost_usd=cost,
        )

    # -- single requests ------------------------------------------------------------------------------------

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Send one request (with retries) and return its answer."""
        params = self._params(request)
        if "temperature" in params:
            # The SDK has no temperature argument any more (current models reject non-default sampling
            # settings); older models still accept the field in the request body.
            params["extra_body"] = {"temperature": params.pop("temperature")}

        async def create(client: anthropic.AsyncAnthropic) -> _Reply:
            return _read_message(await client.messages.create(**params))

        start = time.perf_counter()
        reply = await self._with_retries("messages.create", create)
        return self._response(reply, time.perf_counter() - start, batch=False)

    # -- Message Batches ------------------------------------------------------------------------------------

    def custom_id(self, request: LLMRequest) -> str:
        """Batch ``custom_id`` of a request: its cache key (64 hex characters, as the API allows)."""
        return request_key(self.backend, self.model_id, request)

    async def submit_batch(self, requests: Sequence[LLMRequest]) -> str:
        """Create a Message Batch (identical requests are sent once) and return its id."""
        entries = {self.custom_id(r): {"custom_id": self.custom_id(r), "params": self._params(r)} for r in requests}
        if not entries:
            raise ValueError("submit_batch needs at least one request")
        if len(entries) > MAX_BATCH_REQUESTS:
            raise ValueError(f"a Message Batch holds at most {MAX_BATCH_REQUESTS} requests, got {len(entries)}")

        async def create(client: anthropic.AsyncAnthropic) -> BatchStatus:
            return _read_batch(await client.messages.batches.create(requests=list(entries.values())))

        batch = await self._with_retries("batches.create", create)
        log.info("anthropic batch %s submitted: %d requests (%s)", batch.batch_id, len(entries), self.model_id)
        return batch.batch_id

    async def poll(self, batch_id: str) -> BatchStatus:
        """Current status of a batch."""

        async def retrieve(client: anthropic.AsyncAnthropic) -> BatchStatus:
            return _read_batch(await client.messages.batches.retrieve(batch_id))

        return await self._with_retries("batches.retrieve", retrieve)

    async def collect(self, batch_id: str) -> dict[str, BatchResult]:
        """Results of an ended batch, by ``custom_id``."""

        async def fetch(client: anthropic.AsyncAnthropic) -> list[tuple[str, _Reply | None, str | None]]:
            return [_read_result(item) async for item in await client.messages.batches.results(batch_id)]

        results: dict[str, BatchResult] = {}
        for custom_id, reply, error in await self._with_retries("batches.results", fetch):
            response = self._response(reply, 0.0, batch=True) if reply is not None else None
            results[custom_id] = BatchResult(custom_id, response, error)
        return results

    async def _cached_batch_results(self, ids: Sequence[str], cache: AnswerCache | None) -> dict[str, BatchResult]:
        """Answers already in ``cache``: they are not submitted again."""
        results: dict[str, BatchResult] = {}
        if cache is None:
            return results
        for cid in dict.fromkeys(ids):
            hit = await asyncio.to_thread(cache.get, cid)
            if hit is not None:
                response = LLMResponse(
                    hit.text, Usage(), hit.model, 0.0, True, hit.stop_reason, 0.0, original_usage=hit.usage
                )
                results[cid] = BatchResult(cid, response)
        return results

    async def _submit_or_resume(
        self, pending: Sequence[LLMRequest], pending_ids: set[str], state_path: Path
    ) -> str:
        """The id of the batch answering ``pending``: the one recorded in ``state_path``, or a new submission."""
        state = _read_state(state_path)
        if state is not None:
            if state.get("model") != self.model_id or not pending_ids <= set(state.get("custom_ids", [])):
                raise InputError(
                    state_path,
                    f"records batch {state.get('batch_id')} for other requests or another model; "
                    "use a new state file for this set of requests",
                    field="custom_ids",
                )
            log.info("anthropic batch %s: resuming from %s", state["batch_id"], state_path)
            return state["batch_id"]
        batch_id = await self.submit_batch(pending)
        _write_state(
            state_path,
            {
                "schema": _BATCH_STATE_SCHEMA,
                "backend": self.backend,
                "model": self.model_id,
                "batch_id": batch_id,
                "custom_ids": sorted(pending_ids),
                "submitted_at": time.time(),
                "status": "in_progress",
            },
        )
        return batch_id

    async def run_batch(
        self,
        requests: Sequence[LLMRequest],
        state_path: str | os.PathLike[str],
        *,
        poll_interval_s: float = 60.0,
        max_wait_s: float | None = None,
        cache: AnswerCache | None = None,
    ) -> list[BatchResult]:
        """Answer many requests through one Message Batch, resumably.

        Requests already in ``cache`` are answered from it and not submitted. The batch id is written to
        ``state_path`` (JSON) right after submission, so a process killed while the batch is in flight resumes
        polling the same batch when called again with the same requests, instead of paying for a second one.
        Successful answers are stored in ``cache`` (except truncated ones, as :class:`CachedLLM` does).

        Args:
            requests: The requests; results come back in the same order.
            state_path: JSON file recording the in-flight batch.
            poll_interval_s: Seconds between status polls.
            max_wait_s: Give up (raising :class:`LLMError`, state kept for a later resume) after this long.
            cache: Optional answer cache, read before submitting and written after collecting.

        Returns:
            One :class:`BatchResult` per request; batch answers carry ``latency_s=0.0`` and half-price costs.

        Raises:
            InputError: ``state_path`` is not a state file, or records a batch for other requests or another
                model.
            LLMError: The API failed for good, or ``max_wait_s`` passed.
        """
        state_path = Path(state_path)
        ids = [self.custom_id(r) for r in requests]
        results = await self._cached_batch_results(ids, cache)
        pending = [r for r, cid in zip(requests, ids, strict=True) if cid not in results]
        if pending:
            batch_id = await self._submit_or_resume(pending, set(ids) - set(results), state_path)
            started = time.monotonic()
            while not (status := await self.poll(batch_id)).ended:
                if max_wait_s is not None and time.monotonic() - started > max_wait_s:
                    raise LLMError(
                        f"anthropic batch {batch_id} still {status.processing_status} after {max_wait_s:.0f}s; "
                        f"rerun with the same state file ({state_path}) to resume"
                    )
                await asyncio.sleep(poll_interval_s)
            collected = await self.collect(batch_id)
            for request, cid in zip(requests, ids, strict=True):
                result = collected.get(cid)
                if result is None or cid in results:
                    continue
                results[cid] = result
                if cache is not None and result.response is not None and result.response.stop_reason != "max_tokens":
                    await asyncio.to_thread(cache.put, cid, self.backend, self.model_id, request, result.response)
            _write_state(state_path, {**(_read_state(state_path) or {}), "status": "collected"})
            log.info(
                "anthropic batch %s collected: %d succeeded, %d errored, %d canceled, %d expired",
                batch_id, status.succeeded, status.errored, status.canceled, status.expired,
            )  # fmt: skip
        return [results.get(cid) or BatchResult(cid, None, "missing from batch results") for cid in ids]


def _read_state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"batch state file is not valid JSON ({exc.msg})", line=exc.lineno) from exc
    if not isinstance(state, dict) or state.get("schema") != _BATCH_STATE_SCHEMA or "batch_id" not in state:
        raise InputError(path, f"not a batch state file (expected schema {_BATCH_STATE_SCHEMA!r})", field="schema")
    return state


def _write_state(path: Path, state: dict[str, Any]) -> None:
    # Write-then-rename so a crash never leaves a half-written state file.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
