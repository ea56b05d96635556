"""A local stand-in for the Anthropic Messages API, good enough for the real ``anthropic`` SDK.

Tests point a client (``AnthropicLLM(..., base_url=server.base_url, api_key=server.api_key)``) at it and then
script what it answers, inject faults, and inspect what it received. It speaks:

- ``POST /v1/messages`` – a ``message`` object (text content, stop reason, usage with cache token counts);
- ``POST /v1/messages/batches``, ``GET /v1/messages/batches/{id}`` (``in_progress`` for
  ``batch_polls_before_end`` polls, then ``ended``), ``GET /v1/messages/batches/{id}/results`` (JSONL).

What it answers, in order of precedence: the ``faults`` callable's reply when it returns one (given the parsed
request body and how many times the same body was received before, so a test can fail the first attempts of
chosen requests and let their retries through), else the next scripted :class:`Reply` (``server.script(...)``),
else the ``responder`` callable (given the parsed request body, returning a string or a :class:`Reply`), else
``"ok"``. Faults are replies too:

- HTTP errors: ``Reply.rate_limited(retry_after=...)`` (429), ``Reply.overloaded()`` (529),
  ``Reply.server_error()`` (500), ``Reply.unauthorized()`` (401), ``Reply.error(status)``;
- broken replies: ``Reply.connection_reset()`` (the socket is closed with a TCP reset instead of an answer),
  ``Reply.truncated_body()`` (a 200 whose body stops halfway, then the connection closes),
  ``Reply.malformed_json()`` (a 200 ``application/json`` body that does not parse), ``Reply.html()`` (an HTML
  page, as a proxy in front of the API sends), ``Reply.not_a_message()`` (valid JSON of the wrong shape);
- ``Reply.slow(delay_s, text)`` (to trip client timeouts); an off-list answer is simply
  ``Reply.answer("not an option")``.

``server.inject(method, path_prefix, *faults)`` puts faults in front of any endpoint, the batch ones included.
``server.fault_counts`` counts the faults sent, by kind.

Token counts are approximate (about four characters per token). Prompt caching is simulated: the system blocks
up to the last one carrying ``cache_control`` form a prefix; the first request with a given prefix reports it as
``cache_creation_input_tokens``, later ones as ``cache_read_input_tokens``.

Every request is recorded (:class:`RecordedRequest`) with its headers, the API key value replaced by
``"<redacted>"``, and its JSON body; ``max_concurrent`` is the largest number of requests handled at once.

Use it as a context manager (``with messages_server() as server: ...``) or as the pytest fixture
``messages_api`` (import it into a ``conftest.py``).
"""

from __future__ import annotations

import collections
import hashlib
import itertools
import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

__all__ = [
    "TEST_API_KEY",
    "Fault",
    "MessagesServer",
    "RecordedRequest",
    "Reply",
    "messages_api",
    "messages_server",
]

TEST_API_KEY = "sk-ant-test-0123456789-DO-NOT-LOG"
_SECRET_HEADERS = ("x-api-key", "authorization")
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    529: "overloaded_error",
}


Fault = Literal["connection_reset", "truncated_body", "malformed_json", "html", "not_a_message"]
_FAULTS = ("connection_reset", "truncated_body", "malformed_json", "html", "not_a_message")
_HTML_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    "<body><h1>502 Bad Gateway</h1><p>The upstream server did not answer.</p></body></html>\n"
)


def approx_tokens(text: str) -> int:
    """The server's token count of a text: about four characters per token, at least one for non-empty text."""
    return (len(text) + 3) // 4


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the server.

    Attributes:
        text: Answer text (for status 200).
        status: HTTP status; anything but 200 sends an API error body.
        error_type: Error ``type`` in the body; defaults by status (429 ``rate_limit_error``, 529
            ``overloaded_error``, ...).
        retry_after: Seconds to put in the ``retry-after`` header.
        delay_s: Wait this long before answering.
        stop_reason: Stop reason for a 200 answer (``"max_tokens"`` is also set when ``text`` is longer than the
            request's ``max_tokens`` allows; the text is then cut).
        fault: How the reply is broken, if it is (see the module docstring); ``status`` still applies to
            ``"html"``.
        message: The error message of a non-200 reply (default: names the scripted error type).
    """

    text: str = "ok"
    status: int = 200
    error_type: str | None = None
    retry_after: float | None = None
    delay_s: float = 0.0
    stop_reason: str = "end_turn"
    fault: Fault | None = None
    message: str | None = None

    def __post_init__(self) -> None:
        if self.fault is not None and self.fault not in _FAULTS:
            raise ValueError(f"unknown fault {self.fault!r}; expected one of {_FAULTS}")

    @property
    def kind(self) -> str:
        """Short name of what this reply does (``"answer"``, ``"http-529"``, ``"malformed_json"``, ...)."""
        if self.fault is not None:
            return self.fault
        if self.status != 200:
            return f"http-{self.status}"
        return "slow" if self.delay_s else "answer"

    @classmethod
    def answer(cls, text: str, *, delay_s: float = 0.0) -> Reply:
        """A normal answer."""
        return cls(text=text, delay_s=delay_s)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0) -> Reply:
        """HTTP 429 with a ``retry-after`` header."""
        return cls(status=429, retry_after=retry_after)

    @classmethod
    def overloaded(cls, retry_after: float | None = None) -> Reply:
        """HTTP 529 ``overloaded_error``."""
        return cls(status=529, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        """A 5xx ``api_error``."""
        return cls(status=status)

    @classmethod
    def error(cls, status: int, error_type: str | None = None, message: str | None = None) -> Reply:
        """Any API error."""
        return cls(status=status, error_type=error_type, message=message)

    @classmethod
    def slow(cls, delay_s: float, text: str = "ok") -> Reply:
        """An answer that arrives after ``delay_s`` seconds (to trip client timeouts)."""
        return cls(text=text, delay_s=delay_s)

    @classmethod
    def unauthorized(cls) -> Reply:
        """HTTP 401 ``authentication_error``, as for a wrong key."""
        return cls(status=401)

    @classmethod
    def connection_reset(cls) -> Reply:
        """No answer: the server closes the connection with a TCP reset after reading the request."""
        return cls(fault="connection_reset")

    @classmethod
    def truncated_body(cls, text: str = "ok") -> Reply:
        """A 200 that announces the whole body but sends only its first half, then closes the connection."""
        return cls(text=text, fault="truncated_body")

    @classmethod
    def malformed_json(cls) -> Reply:
        """A 200 ``application/json`` reply whose body is not valid JSON."""
        return cls(fault="malformed_json")

    @classmethod
    def html(cls, status: int = 200) -> Reply:
        """An HTML error page (``text/html``) with this status, as a proxy in front of the API may send."""
        return cls(status=status, fault="html")

    @classmethod
    def not_a_message(cls) -> Reply:
        """A 200 with valid JSON that is not a ``message`` object."""
        return cls(fault="not_a_message")


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float

    @property
    def system_blocks(self) -> list[dict[str, Any]]:
        """The request's ``system`` as a list of blocks (empty when absent)."""
        system = self.body.get("system") if isinstance(self.body, dict) else None
        if system is None:
            return []
        return [{"type": "text", "text": system}] if isinstance(system, str) else list(system)


@dataclass
class _Batch:
    id: str
    requests: list[dict[str, Any]]
    created_at: datetime
    polls_left: int
    results: list[dict[str, Any]] = field(default_factory=list)


class _Listener(ThreadingHTTPServer):
    # the socketserver default of 5 pending connections is far below a client with 16 or more requests in flight:
    # the kernel then resets the surplus connections, and the client's retries hide it
    request_queue_size = 128


class MessagesServer:
    """The server object: start with :meth:`start` (or use :func:`messages_server`).

    Args:
        api_key: The key clients must send (``x-api-key`` or ``Authorization: Bearer``); otherwise HTTP 401.
        responder: Default answer function, called with the parsed request body when no scripted reply is queued.
        batch_polls_before_end: How many status reads of a batch report ``in_progress`` before ``ended``.
        prompt_cache_min_tokens: Prefixes shorter than this are not cached (like the real minimums).
        faults: Called for every ``POST /v1/messages`` with the parsed body and the number of earlier requests
            with the same body; a :class:`Reply` it returns is sent instead of the normal answer, None lets the
            request through.
    """

    def __init__(
        self,
        *,
        api_key: str = TEST_API_KEY,
        responder: Callable[[dict[str, Any]], str | Reply] | None = None,
        batch_polls_before_end: int = 1,
        prompt_cache_min_tokens: int = 0,
        faults: Callable[[dict[str, Any], int], Reply | None] | None = None,
    ):
        self.api_key = api_key
        self.responder = responder
        self.faults = faults
        self.fault_counts: collections.Counter[str] = collections.Counter()
        self._seen_bodies: collections.Counter[str] = collections.Counter()
        self.batch_polls_before_end = batch_polls_before_end
        self.prompt_cache_min_tokens = prompt_cache_min_tokens
        self.requests: list[RecordedRequest] = []
        self.max_concurrent = 0
        self.cache_reads = 0
        self.cache_writes = 0
        self.batches: dict[str, _Batch] = {}
        self._script: collections.deque[Reply] = collections.deque()
        self._faults: dict[tuple[str, str], collections.deque[Reply]] = {}
        self._cached_prefixes: set[str] = set()
        self._lock = threading.Lock()
        self._active = 0
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- control from tests ---------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Root URL to give the SDK (``http://127.0.0.1:<port>``)."""
        if self._httpd is None:
            raise RuntimeError("server not started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *replies: Reply | str) -> None:
        """Queue replies for the next requests to ``/v1/messages`` (strings are plain answers)."""
        with self._lock:
            self._script.extend(Reply.answer(r) if isinstance(r, str) else r for r in replies)

    def inject(self, method: str, path_prefix: str, *faults: Reply) -> None:
        """Answer the next requests with this method and path prefix with ``faults`` (errors or delays) first.

        Works for every endpoint (e.g. ``inject("POST", "/v1/messages/batches", Reply.overloaded())``); a fault
        with status 200 only delays the normal answer.
        """
        with self._lock:
            self._faults.setdefault((method, path_prefix), collections.deque()).extend(faults)

    def _take_fault(self, method: str, path: str) -> Reply | None:
        with self._lock:
            for (m, prefix), queue in self._faults.items():
                if m == method and path.startswith(prefix) and queue:
                    return queue.popleft()
        return None

    def message_requests(self) -> list[RecordedRequest]:
        """Recorded ``POST /v1/messages`` requests, in arrival order."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == "/v1/messages"]

    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        """Recorded requests with this method whose path starts with ``path_prefix``."""
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def start(self) -> MessagesServer:
        """Bind to a free port on 127.0.0.1 and serve in a background thread."""
        handler = type("_Handler", (_Handler,), {"api": self})
        self._httpd = _Listener(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        # A short poll interval keeps shutdown (test teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="messages-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (slow replies in progress are cut short)."""
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # -- request handling -----------------------------------------------------------------------------------

    def _planned_fault(self, body: dict[str, Any]) -> Reply | None:
        """The ``faults`` callable's reply for this request, counting the request as one more attempt."""
        if self.faults is None:
            return None
        digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            earlier = self._seen_bodies[digest]
            self._seen_bodies[digest] += 1
        return self.faults(body, earlier)

    def _count(self, reply: Reply) -> None:
        """Count a fault when it is chosen (a slow reply may never be sent: the client gives up first)."""
        if reply.kind != "answer":
            with self._lock:
                self.fault_counts[reply.kind] += 1

    def _next_reply(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            reply = self.responder(body)
            return Reply.answer(reply) if isinstance(reply, str) else reply
        return Reply()

    def _message(self, body: dict[str, Any], reply: Reply) -> dict[str, Any]:
        """The Messages API ``message`` object answering ``body`` with ``reply``."""
        system = body.get("system") or []
        blocks = [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
        last_marked = max((i for i, b in enumerate(blocks) if b.get("cache_control")), default=-1)
        prefix_text = "".join(b.get("text", "") for b in blocks[: last_marked + 1])
        rest_text = "".join(b.get("text", "") for b in blocks[last_marked + 1 :])
        for message in body.get("messages", []):
            content = message.get("content", "")
            rest_text += content if isinstance(content, str) else "".join(c.get("text", "") for c in content)
        prefix_tokens = approx_tokens(prefix_text)
        cache_read = cache_write = 0
        if last_marked >= 0 and prefix_tokens >= max(1, self.prompt_cache_min_tokens):
            digest = hashlib.sha256(f"{body.get('model')}\x00{prefix_text}".encode()).hexdigest()
            with self._lock:
                if digest in self._cached_prefixes:
                    cache_read = prefix_tokens
                    self.cache_reads += 1
                else:
                    self._cached_prefixes.add(digest)
                    cache_write = prefix_tokens
                    self.cache_writes += 1
            input_tokens = approx_tokens(rest_text)
        else:
            input_tokens = approx_tokens(prefix_text + rest_text)
        text, stop_reason = reply.text, reply.stop_reason
        max_tokens = int(body.get("max_tokens") or 1)
        if approx_tokens(text) > max_tokens:
            text, stop_reason = text[: 4 * max_tokens], "max_tokens"
        return {
            "id": f"msg_test_{next(self._ids):06d}",
            "type": "message",
            "role": "assistant",
            "model": body.get("model", "unknown"),
            "content": [{"type": "text", "text": text}],
            "stop_reason": stop_reason,
            "stop_sequence": None,
            "usage": {
                "input_tokens": input_tokens,
                "output_tokens": max(1, approx_tokens(text)),
                "cache_creation_input_tokens": cache_write,
                "cache_read_input_tokens": cache_read,
            },
        }

    def _batch_json(self, batch: _Batch) -> dict[str, Any]:
        ended = batch.polls_left <= 0
        counts = collections.Counter(r["result"]["type"] for r in batch.results) if ended else {}
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": {
                "processing": 0 if ended else len(batch.requests),
                "succeeded": counts.get("succeeded", 0),
                "errored": counts.get("errored", 0),
                "canceled": counts.get("canceled", 0),
                "expired": counts.get("expired", 0),
            },
            "created_at": batch.created_at.isoformat().replace("+00:00", "Z"),
            "expires_at": (batch.created_at + timedelta(hours=24)).isoformat().replace("+00:00", "Z"),
            "ended_at": batch.created_at.isoformat().replace("+00:00", "Z") if ended else None,
            "archived_at": None,
            "cancel_initiated_at": None,
            "results_url": f"{self.base_url}/v1/messages/batches/{batch.id}/results" if ended else None,
        }

    def _create_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        batch = _Batch(
            id=f"msgbatch_test_{next(self._ids):06d}",
            requests=list(body.get("requests", [])),
            created_at=datetime.now(UTC).replace(microsecond=0),
            polls_left=self.batch_polls_before_end,
        )
        for entry in batch.requests:
            reply = self._next_reply(entry["params"])
            if reply.status == 200:
                result = {"type": "succeeded", "message": self._message(entry["params"], reply)}
            else:
                result = {"type": "errored", "error": _error_body(reply)}
            batch.results.append({"custom_id": entry["custom_id"], "result": result})
        with self._lock:
            self.batches[batch.id] = batch
        return self._batch_json(batch)

    def _read_batch(self, batch_id: str) -> dict[str, Any] | None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                return None
            snapshot = self._batch_json(batch)
            batch.polls_left -= 1
        return snapshot


def _error_body(reply: Reply) -> dict[str, Any]:
    error_type = reply.error_type or _ERROR_TYPES.get(reply.status, "api_error")
    return {
        "type": "error",
        "error": {"type": error_type, "message": reply.message or f"scripted {error_type} (HTTP {reply.status})"},
        "request_id": "req_test",
    }


class _Handler(BaseHTTPRequestHandler):
    api: MessagesServer  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output quiet

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", "req_test")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        api = self.api
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): ("<redacted>" if k.lower() in _SECRET_HEADERS else v) for k, v in self.headers.items()}
        with api._lock:
            api.requests.append(RecordedRequest(method, path, headers, body, time.monotonic()))
            api._active += 1
            api.max_concurrent = max(api.max_concurrent, api._active)
        try:
            # SDK releases differ in where they put the key: ``x-api-key`` or ``Authorization: Bearer``.
            sent = {self.headers.get("x-api-key"), (self.headers.get("authorization") or "").removeprefix("Bearer ")}
            if api.api_key not in sent:
                self._send_json(401, _error_body(Reply.error(401)))
            else:
                self._route(method, path, body)
        except OSError:
            pass  # the client gave up (e.g. a timeout test), or a fault closed the connection
        finally:
            with api._lock:
                api._active -= 1

    def _send_error(self, reply: Reply) -> None:
        headers = {"retry-after": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
        self._send_json(reply.status, _error_body(reply), headers)

    def _send_raw(self, status: int, content_type: str, data: bytes, *, announced: int | None = None) -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(data) if announced is None else announced))
        self.send_header("request-id", "req_test")
        self.end_headers()
        self.wfile.write(data)

    def _reset_connection(self) -> None:
        # SO_LINGER with a zero timeout makes close() send a TCP reset instead of an orderly shutdown.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def _send_fault(self, reply: Reply, payload: Any) -> None:
        """Send ``reply``'s fault in place of ``payload`` (the JSON the endpoint would have answered)."""
        data = json.dumps(payload).encode()
        if reply.fault == "connection_reset":
            self._reset_connection()
        elif reply.fault == "truncated_body":
            self._send_raw(200, "application/json", data[: len(data) // 2], announced=len(data))
            self.close_connection = True
        elif reply.fault == "malformed_json":
            self._send_raw(200, "application/json", data[: max(1, len(data) // 2)] + b"\x00}")
        elif reply.fault == "html":
            self._send_raw(reply.status, "text/html; charset=utf-8", _HTML_PAGE.encode())
        else:  # not_a_message
            self._send_json(200, {"type": "message", "content": "no list here", "usage": None})

    def _send_reply(self, reply: Reply, payload: Any) -> None:
        """Send a scripted reply: its fault, its HTTP error, or ``payload`` as the answer."""
        if reply.fault is not None:
            self._send_fault(reply, payload)
        elif reply.status != 200:
            self._send_error(reply)
        else:
            self._send_json(200, payload)

    def _route(self, method: str, path: str, body: Any) -> None:
        api = self.api
        fault = api._take_fault(method, path)
        if fault is not None:
            api._count(fault)
            if fault.delay_s and api._stop.wait(fault.delay_s):
                return
            if fault.status != 200 or fault.fault is not None:
                self._send_reply(fault, {"type": "error", "error": {"type": "api_error", "message": "injected"}})
                return
        if method == "POST" and path == "/v1/messages":
            reply = api._planned_fault(body) or api._next_reply(body)
            api._count(reply)
            if reply.delay_s and api._stop.wait(reply.delay_s):
                return
            # the answer is built (and counted for prompt caching) only when some of it is sent
            sent = reply.status == 200 and reply.fault in (None, "truncated_body", "malformed_json")
            self._send_reply(reply, api._message(body, reply) if sent else None)
        elif method == "POST" and path == "/v1/messages/batches":
            self._send_json(200, api._create_batch(body))
        elif method == "GET" and path.startswith("/v1/messages/batches/"):
            parts = path.removeprefix("/v1/messages/batches/").split("/")
            with api._lock:
                batch = api.batches.get(parts[0])
            if batch is None:
                self._send_json(404, _error_body(Reply.error(404)))
            elif len(parts) == 1:
                self._send_json(200, api._read_batch(parts[0]))
            elif parts[1:] == ["results"] and batch.polls_left <= 0:
                data = "".join(json.dumps(r) + "\n" for r in batch.results).encode()
                self.send_response(200)
                self.send_header("content-type", "application/binary")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._send_json(404, _error_body(Reply.error(404)))
        else:
            self._send_json(404, _error_body(Reply.error(404)))

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")


@contextmanager
def messages_server(**options: Any) -> Iterator[MessagesServer]:
    """Run a :class:`MessagesServer` for the duration of a ``with`` block (options as for the class)."""
    server = MessagesServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def messages_api() -> Iterator[MessagesServer]:
    """A fresh :class:`MessagesServer` per test."""
    with messages_server() as server:
        yield server
