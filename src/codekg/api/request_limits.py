"""The doors of `codekg serve` and `codekg mcp --http`: Host, Origin and body size, before any route runs.

Takes: the app (the HTTP API or the MCP Streamable HTTP app) and the settings' limits. Returns: an
ASGI app that answers, without calling the wrapped one:
- 403 `host_not_allowed` when the Host header is not a loopback name, the address served on, or a
  configured `api_allowed_hosts` entry: a web page that rebinds its own DNS name to 127.0.0.1 sends
  its own name as Host, so it never reaches the index;
- 403 `origin_not_allowed` when a browser sends an Origin that is neither the server's own nor in
  `api_cors_origins` (CORS answers for those origins are added only when the list is set);
- 431 `headers_too_large` when the request line and headers pass `api_max_header_bytes` (uvicorn's
  h11 limit, set to the same size in runner.py, stops headers that trickle in; this stops those
  that arrive at once);
- 413 `body_too_large` as soon as the declared or received body passes `api_max_body_bytes`: a body
  is kept in memory only up to the limit, so a flood of huge bodies costs the server nothing.
Concurrent connections are uvicorn's own limit (503 beyond it), set in runner.py.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codekg.api.security import is_loopback

async def send_json(send: Send, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    """A complete JSON response, for the gates that answer before the app does."""
    payload = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()),
        (b"connection", b"close"), *(headers or [])]})
    await send({"type": "http.response.body", "body": payload})


def host_name(host_header: str) -> str:
    """The name of a Host header value, without its port: `[::1]:8765` → `::1`, `Example.org.` → `example.org`."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


class RequestGate:
    """Host, Origin and body-size checks in front of ``app`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, served_host: str, allowed_hosts: list[str], cors_origins: list[str],
                 max_body_bytes: int, max_header_bytes: int) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.any_host = "*" in allowed_hosts
        self.allowed_hosts = {host_name(served_host)} | {host_name(h) for h in allowed_hosts}
        self.cors_origins = {origin.rstrip("/").lower() for origin in cors_origins}
        self.max_body_bytes = max_body_bytes
        # A body a little over the limit is read to its end (and dropped) before the 413, so the client,
        # still sending, is not reset before it reads the answer; a far larger one is cut off at once.
        self.drain_bytes = max(4 * max_body_bytes, 8 * 2**20)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = len(scope.get("raw_path") or b"") + len(scope.get("query_string") or b"") + sum(
            len(key) + len(value) + 4 for key, value in scope["headers"])
        if header_bytes > self.max_header_bytes:
            await send_json(send, 431, {"error": "request_refused", "reason": "headers_too_large",
                                        "message": f"the request line and headers take {header_bytes:,} bytes; at most "
                                                   f"{self.max_header_bytes:,} are accepted (api_max_header_bytes)"})
            return
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        host = headers.get("host", "")
        name = host_name(host)
        if not (self.any_host or name in self.allowed_hosts or is_loopback(name)):
            await send_json(send, 403, {"error": "request_refused", "reason": "host_not_allowed",
                                        "message": f"Host {host[:100]!r} is not served here; allow it with api_allowed_hosts"})
            return
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin, host):
            await send_json(send, 403, {"error": "request_refused", "reason": "origin_not_allowed",
                                        "message": f"requests from the web origin {origin[:100]!r} are not allowed; "
                                                   "allow it with api_cors_origins"})
            return
        declared = headers.get("content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > self.max_body_bytes):
            if declared.strip().isdigit() and int(declared) <= self.drain_bytes:
                await _drain(receive)
            await self._too_large(send)
            return
        body = await self._read_body(receive)
        if body is None:
            await self._too_large(send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _origin_allowed(self, origin: str, host: str) -> bool:
        normalized = origin.rstrip("/").lower()
        if normalized in self.cors_origins:
            return True
        parts = urlsplit(normalized)
        return parts.scheme in ("http", "https") and parts.netloc == host.strip().lower()  # the server's own pages

    async def _read_body(self, receive: Receive) -> list[Message] | None:
        """The request's body messages, or None once they pass the limit (the rest is never read)."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                return messages  # the client went away: the app sees the disconnect
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                if message.get("more_body", False):
                    await _drain(receive, self.drain_bytes - size)
                return None
            if not message.get("more_body", False):
                return messages

    async def _too_large(self, send: Send) -> None:
        await send_json(send, 413, {"error": "request_refused", "reason": "body_too_large",
                                    "message": f"the request body is larger than {self.max_body_bytes:,} bytes "
                                               "(api_max_body_bytes)"})


async def _drain(receive: Receive, budget: int | None = None) -> None:
    """Read and drop the rest of a refused body (up to ``budget`` bytes), so the 413 reaches the client."""
    while budget is None or budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        if budget is not None:
            budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that hands out the body already read, then waits on the connection as before."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def guarded_app(app: ASGIApp, served_host: str, settings: Any) -> ASGIApp:
    """``app`` behind CORS (only for configured origins) and the request gate."""
    if settings.api_cors_origins:
        from starlette.middleware.cors import CORSMiddleware

        app = CORSMiddleware(app, allow_origins=settings.api_cors_origins, allow_methods=["GET", "POST"],
                             allow_headers=["Authorization", "Content-Type", "Mcp-Session-Id"])
    return RequestGate(app, served_host, settings.api_allowed_hosts, settings.api_cors_origins,
                       settings.api_max_body_bytes, settings.api_max_header_bytes)
