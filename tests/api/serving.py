"""A real `codekg serve` / `codekg mcp --http` process on a free loopback port, for real HTTP clients."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

TOKEN = "test-token-3f9a"



def codekg(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=timeout,
                          env=os.environ.copy())


class ServerProcess:
    def __init__(self, process: subprocess.Popen, url: str, first_line: str) -> None:
        self.process, self.url, self.first_line = process, url, first_line

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"} if token else {}, timeout=30)

    def stop(self, sig: int = signal.SIGINT) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return self.process.returncode, self.first_line + err


@contextmanager
def running(*args: str) -> Iterator[ServerProcess]:
    """Start `codekg <args> --port 0`, wait for its `… on http://host:port` line, stop it with Ctrl-C after."""
    process = subprocess.Popen([sys.executable, "-m", "codekg", *args, "--port", "0"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=os.environ.copy())
    lines = []
    while True:
        line = process.stderr.readline()
        lines.append(line)
        found = re.search(r" on (http://[^ ;/]+)", line)
        if found or not line:
            break
    if not found:
        process.kill()
        pytest.fail(f"the server did not start: {''.join(lines)}{process.stderr.read()}")
    server = ServerProcess(process, found.group(1), "".join(lines))
    try:
        yield server
    finally:
        server.stop()


FIXTURES = Path(__file__).parent.parent / "fixtures"
