"""Run a labelling session's web application on a local port with uvicorn."""

from __future__ import annotations

import ipaddress
import secrets
import socket
from collections.abc import Callable

from harness.errors import UsageError
from harness.label._app import create_app
from harness.label._workbench import Workbench

__all__ = ["new_token", "serve"]


def new_token() -> str:
    """A fresh session token: 128 random bits as hex (safe in a URL and in the page)."""
    return secrets.token_hex(16)


def _allowed_hosts(host: str) -> set[str] | None:
    """Host names the ``Host`` header may carry; None (any) when listening on every interface."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a host name rather than an address
        return {host}
    if address.is_unspecified:  # 0.0.0.0 or ::, reached under whatever name the network gives it: the token guards
        return None
    return {host, "localhost", "127.0.0.1"} if address.is_loopback else {host}


def serve(
    bench: Workbench,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    token: str | None = None,
    on_ready: Callable[[str], None] = print,
) -> None:
    """Serve ``bench`` until interrupted.

    The socket is bound before the URL is announced, so a port of 0 (any free port) works and the URL handed to
    ``on_ready`` is the one that answers.

    Args:
        bench: The session.
        host: Address to listen on; the default keeps the workbench private to this machine.
        port: Port, or 0 for any free one.
        token: Session token (default: a fresh random one).
        on_ready: Called with the session URL (token included) once the socket listens.

    Raises:
        UsageError: When the address cannot be listened on (e.g. the port is taken).
    """
    import uvicorn

    token = token or new_token()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    bound_port = sock.getsockname()[1]
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    app = create_app(bench, token=token, hosts=_allowed_hosts(host))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", server_header=False)
    server = uvicorn.Server(config)
    on_ready(f"http://{shown}:{bound_port}/?token={token}")
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
