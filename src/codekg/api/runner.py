"""Runs an ASGI app (the HTTP API, the MCP server's Streamable HTTP app) with uvicorn until Ctrl-C/SIGTERM.

Takes: the app, a host and port, whether a token protects it, and the settings' request limits.
The socket is bound here, so a port in use is a one-line InputError, not a uvicorn log. A
non-loopback host without a token is refused. A signal stops the server gracefully (requests in flight finish), then
raises RunInterrupted: exit 130, as for `codekg watch`.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import uvicorn

from codekg.api.request_limits import guarded_app
from codekg.api.security import is_loopback
from codekg.errors import InputError, RunInterrupted
from codekg.service import GraphService
from codekg.settings import Settings

log = logging.getLogger("codekg.serve")


class _Server(uvicorn.Server):
    """uvicorn's server, remembering the signal that stopped it instead of re-raising it afterwards."""

    stopped_by: int | None = None
    announce: Callable[[], None] = staticmethod(lambda: None)

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.announce()  # only now: signals are handled and connections accepted

    @contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.stopped_by = sig
        super().handle_exit(sig, frame)


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto named: asyncio turns Nagle off (TCP_NODELAY) only on sockets that say TCP, and with Nagle
    # on, each answer on a kept-alive connection waited 40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as error:
        sock.close()
        raise InputError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.set_inheritable(True)
    return sock


def serve_app(app: Any, host: str, port: int, authenticated: bool, announce: Callable[[str], None],
              settings: Settings) -> None:
    """Serve ``app`` on ``host:port`` behind the request gate (request_limits.py) until a signal;
    ``announce`` gets the one line saying where. Beyond loopback a token is required: without one,
    anyone who can reach the address could read the index (or write to it with --allow-writes)."""
    if not is_loopback(host) and not authenticated:
        raise InputError(f"refusing to listen on {host} without a token: anyone who can reach it could read "
                         "the index; pass --token (or set CODEKG_API_TOKEN), or listen on 127.0.0.1")
    if host in ("0.0.0.0", "::", "[::]") and not settings.api_allowed_hosts:
        log.warning("listening on every address, but only requests whose Host is a loopback name are answered; "
                    "list the names clients use in api_allowed_hosts")
    sock = bind(host, port)
    bound_port = sock.getsockname()[1]
    server = _Server(uvicorn.Config(
        guarded_app(app, host, settings), log_level="warning", access_log=False, lifespan="on", http="h11",
        h11_max_incomplete_event_size=settings.api_max_header_bytes, limit_concurrency=settings.api_max_concurrency,
    ))
    server.announce = lambda: announce(f"http://{f'[{host}]' if ':' in host else host}:{bound_port}")
    server.run(sockets=[sock])
    if server.stopped_by is not None:
        raise RunInterrupted("interrupted: stopped serving")


@contextmanager
def watching(service: GraphService, report: Callable[[str], None]) -> Iterator[None]:
    """While active, a background thread per served repository keeps its index up to date (as
    `codekg watch` does), so the server's parse cache, pool and watcher metrics are live. On exit the
    watchers are told to stop; a batch in progress is finished first, never cut off."""
    from codekg.watch import BatchReport, watch_repository  # watchfiles is only needed here

    stop = threading.Event()

    def watch(name: str) -> None:
        repo = service.repositories[name]
        try:
            for event in watch_repository(repo.root, repo.db_dir, repo.settings, stop):
                if isinstance(event, BatchReport):
                    report(f"{name}: {event.line()}")
        except Exception as error:  # noqa: BLE001 - a watcher failing must not take the server down
            report(f"{name}: stopped watching: {error}")

    threads = [threading.Thread(target=watch, args=(name,), name=f"codekg-watch-{name}", daemon=True)
               for name in service.repositories]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join()
