"""The workbench's HTTP layer: a small Starlette application in front of a :class:`Workbench`.

Guarding a local tool that shows third-party text and writes files:

* every request must carry the session token (``?token=`` on page loads, the ``X-Label-Token`` header on API
  calls; changes are accepted with the header only, so a link or a form on another site cannot make one) and a
  ``Host`` header naming the address the server was started on (against DNS rebinding); anything else is 403;
* only the routes below exist, and the page's own files are served from a fixed table, never by a path taken from
  the URL, so no path outside the application can be reached;
* responses forbid inline script and any other origin (Content-Security-Policy), are never cached, and send no
  referrer, so the token does not leak;
* the page builds every piece of conversation text with ``textContent`` (see ``workbench.js``), so markup in a
  conversation is shown, not run.
"""

from __future__ import annotations

import hmac
import importlib.resources
import json
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers, QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from harness.errors import InputError
from harness.label._workbench import GUIDE, Workbench

__all__ = ["TOKEN_HEADER", "create_app"]

TOKEN_HEADER = "x-label-token"
_MAX_BODY = 256 * 1024
_STATIC = {  # URL name → (package file, media type)
    "workbench.js": ("workbench.js", "text/javascript; charset=utf-8"),
    "workbench.css": ("workbench.css", "text/css; charset=utf-8"),
}
# A tiny icon of our own, so the browser does not ask for /favicon.ico (which, without the token, is refused).
_ICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
         'fill="#2454a6"/><path d="M4 8.5l2.5 2.5L12 5" stroke="#fff" stroke-width="2" fill="none"/></svg>')
_SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                 b"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
]


def _package_text(name: str) -> str:
    return importlib.resources.files("harness.label").joinpath(name).read_text(encoding="utf-8")


class _Guard:
    """ASGI middleware: Host and token checks, a body size limit, and the security headers on every response."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: Collection[str] | None):
        self.app = app
        self.token = token.encode()
        self.hosts = None if hosts is None else frozenset(h.lower() for h in hosts)

    def _refusal(self, scope: Scope) -> str | None:
        headers = Headers(scope=scope)
        host = headers.get("host", "").lower()
        hostname = host[1:].split("]", 1)[0] if host.startswith("[") else host.rsplit(":", 1)[0]
        if self.hosts is not None and hostname not in self.hosts:
            return "unexpected Host header"
        supplied = headers.get(TOKEN_HEADER, "")
        if not supplied and scope["method"] in ("GET", "HEAD"):
            supplied = QueryParams(scope.get("query_string", b"").decode("latin-1")).get("token", "")
        if not hmac.compare_digest(supplied.encode(), self.token):
            return "missing or wrong session token"
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > _MAX_BODY):
            return "request body too large"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        reason = self._refusal(scope)
        if reason is not None:
            await JSONResponse({"error": reason}, status_code=403)(scope, receive, send_secured)
            return
        await self.app(scope, receive, send_secured)


Handler = Callable[[Request], Awaitable[Response]]


def _guarded(call: Callable[[Request], Awaitable[Any]]) -> Handler:
    """An endpoint whose result is JSON; bad input becomes 400/422 and an unknown item 404, without a traceback."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await call(request)
        except KeyError as exc:
            return JSONResponse({"error": f"not found: {exc.args[0] if exc.args else ''}"}, status_code=404)
        except InputError as exc:
            return JSONResponse({"errors": [{"field": exc.field or "", "message": exc.detail}]}, status_code=422)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if isinstance(result, Response):
            return result
        status = 422 if isinstance(result, dict) and "errors" in result else 200
        return JSONResponse(result, status_code=status)

    return endpoint


async def _json_body(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise ValueError("send JSON (Content-Type: application/json)")
    try:
        body = json.loads(await request.body())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the body is not valid JSON: {exc}") from None
    if not isinstance(body, dict):
        raise ValueError("the body must be a JSON object")
    return body


def _optional(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value or None


def create_app(
    bench: Workbench, *, token: str, hosts: Collection[str] | None = ("127.0.0.1", "localhost")
) -> ASGIApp:
    """The web application of one labelling session.

    Args:
        bench: The session.
        token: The secret every request must carry.
        hosts: Host names the ``Host`` header may carry (the address the server listens on); None accepts any,
            for a server listening on every interface.
    """
    page = _package_text("workbench.html")

    async def index(request: Request) -> Response:
        # The token is hex from secrets.token_hex, so inserting it into the page cannot inject markup.
        html = page.replace("{{TOKEN}}", token)
        return Response(html, media_type="text/html; charset=utf-8")

    async def static(request: Request) -> Response:
        if request.path_params["name"] == "icon.svg":
            return Response(_ICON, media_type="image/svg+xml")
        entry = _STATIC.get(request.path_params["name"])
        if entry is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return Response(_package_text(entry[0]), media_type=entry[1])

    async def queue(request: Request) -> Any:
        return await run_in_threadpool(bench.queue)

    async def guide(request: Request) -> Any:
        return {"guide": GUIDE, "major_groups": bench.index.major_groups()}

    async def item(request: Request) -> Any:
        return await run_in_threadpool(bench.view, request.path_params["item_id"])

    async def draft(request: Request) -> Any:
        body = await _json_body(request)
        return await run_in_threadpool(bench.save_draft, request.path_params["item_id"], body)

    async def commit(request: Request) -> Any:
        await _json_body(request)
        return await run_in_threadpool(bench.commit, request.path_params["item_id"])

    async def undo(request: Request) -> Any:
        await _json_body(request)
        return await run_in_threadpool(bench.undo, request.path_params["item_id"])

    async def search(request: Request) -> Any:
        limit = request.query_params.get("limit", "20")
        if not limit.isdigit():
            raise ValueError("limit must be a whole number")
        return await run_in_threadpool(bench.search, request.query_params.get("q", ""),
                                       major_group=_optional(request, "major_group"),
                                       occupation=_optional(request, "occupation"), limit=min(int(limit), 100))

    async def occupations(request: Request) -> Any:
        return {"occupations": bench.index.occupations(request.path_params["group"])}

    async def browse(request: Request) -> Any:
        return bench.browse(gwa=_optional(request, "gwa"), iwa=_optional(request, "iwa"),
                            major_group=_optional(request, "major_group"), occupation=_optional(request, "occupation"))

    async def dashboard(request: Request) -> Any:
        return await run_in_threadpool(bench.dashboard)

    routes = [
        Route("/", index, methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/queue", _guarded(queue), methods=["GET"]),
        Route("/api/guide", _guarded(guide), methods=["GET"]),
        Route("/api/items/{item_id}", _guarded(item), methods=["GET"]),
        Route("/api/items/{item_id}/draft", _guarded(draft), methods=["PUT"]),
        Route("/api/items/{item_id}/commit", _guarded(commit), methods=["POST"]),
        Route("/api/items/{item_id}/undo", _guarded(undo), methods=["POST"]),
        Route("/api/search", _guarded(search), methods=["GET"]),
        Route("/api/occupations/{group}", _guarded(occupations), methods=["GET"]),
        Route("/api/browse", _guarded(browse), methods=["GET"]),
        Route("/api/dashboard", _guarded(dashboard), methods=["GET"]),
    ]
    return _Guard(Starlette(routes=routes), token=token, hosts=hosts)
