"""Servers the sync tests start: a real `git daemon`, a fault-injecting TCP proxy in front of it, and
a local HTTP server answering the GitHub REST endpoints from a repository built with the git command line."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path


HOST = "127.0.0.1"
FIXTURE = Path(__file__).parent.parent / "fixtures" / "ontology"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def git(cwd: Path, *arguments: str) -> str:
    return subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *arguments], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def make_repository(path: Path, files: dict[str, str] | None = None) -> Path:
    """A repository with one commit on `main`: the ontology fixture (pages, RDF files, code) and ``files``."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    shutil.copytree(FIXTURE, path, dirs_exist_ok=True)
    for name, text in (files or {}).items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "first")
    return path


def commit(path: Path, message: str) -> None:
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)


class GitDaemon:
    """`git daemon` exporting every repository under ``base`` on a free port, as git://127.0.0.1:port/<name>."""

    def __init__(self, base: Path) -> None:
        self.base, self.port = base, free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "GitDaemon":
        self.process = subprocess.Popen(
            ["git", "daemon", "--reuseaddr", "--export-all", f"--base-path={self.base}", f"--listen={HOST}",
             f"--port={self.port}", str(self.base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("git daemon did not start")

    def url(self, name: str) -> str:
        return f"git://{HOST}:{self.port}/{name}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)


class FaultProxy:
    """A TCP proxy in front of ``target`` (host, port) that misbehaves on purpose. ``plan(n)`` says what
    the n-th connection (from 0) gets: "forward", "delay" (each chunk held ``delay`` seconds), "drop"
    (accepted, then never answered: the client times out) or "reset" (closed at once with an RST)."""

    def __init__(self, target: tuple[str, int], plan, delay: float = 0.2) -> None:
        import threading

        self.target, self.plan, self.delay = target, plan, delay
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((HOST, 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.connections: list[str] = []
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def url(self, name: str) -> str:
        return f"git://{HOST}:{self.port}/{name}"

    def _accept(self) -> None:
        import struct
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            mode = self.plan(len(self.connections))
            self.connections.append(mode)
            if mode == "reset":
                client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                client.close()
            elif mode == "drop":
                self._held.append(client)  # open, silent
            else:
                upstream = socket.create_connection(self.target)
                for a, b in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pipe, args=(a, b, mode == "delay"), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, slow: bool) -> None:
        try:
            while data := source.recv(65536):
                if slow:
                    time.sleep(self.delay)
                sink.sendall(data)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_WR)  # pass the half-close on: the other direction may still be talking
            except OSError:
                pass

    def close(self) -> None:
        self.server.close()
        for held in self._held:
            held.close()


class GitHubAPIServer:
    """The GitHub REST endpoints `codekg sync --api github` reads, answered from a local repository
    with the git command line: the repository, a branch's commit, a recursive tree, a blob; with ETags
    (a matching If-None-Match gets 304), and scripted rate-limit answers: ``limits`` is a list of
    (path substring, status, headers) served once each, in order, before the real answer."""

    def __init__(self, repository: Path, owner: str = "acme", name: str = "kb") -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.repository, self.prefix = repository, f"/repos/{owner}/{name}"
        self.limits: list[tuple[str, int, dict[str, str]]] = []
        self.requests: list[tuple[str, int, str]] = []  # (path, status, Authorization header)
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *arguments) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 - the http.server name
                status, headers, body = server.answer(self.path, self.headers.get("If-None-Match"))
                server.requests.append((self.path, status, self.headers.get("Authorization", "")))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                data = json.dumps(body).encode() if body is not None else b""
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        import json

        self.http = ThreadingHTTPServer((HOST, 0), Handler)
        self.url = f"http://{HOST}:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def answer(self, path: str, if_none_match: str | None) -> tuple[int, dict[str, str], object]:
        import base64

        for index, (part, status, headers) in enumerate(self.limits):
            if part in path:
                del self.limits[index]
                return status, headers, {"message": "API rate limit exceeded"}
        if not path.startswith(self.prefix):
            return 404, {}, {"message": "Not Found"}
        rest = path[len(self.prefix):]
        if rest == "":
            body, etag = {"default_branch": "main"}, '"repo"'
        elif rest.startswith("/commits/"):
            branch = rest.removeprefix("/commits/")
            try:
                commit = git(self.repository, "rev-parse", f"refs/heads/{branch}").strip()
            except subprocess.CalledProcessError:
                return 404, {}, {"message": "No commit found"}
            tree = git(self.repository, "rev-parse", f"{commit}^{{tree}}").strip()
            body, etag = {"sha": commit, "commit": {"tree": {"sha": tree}}}, f'"{commit}"'
        elif rest.startswith("/git/trees/"):
            sha = rest.removeprefix("/git/trees/").split("?")[0]
            entries = []
            for line in git(self.repository, "ls-tree", "-r", "-t", sha).splitlines():
                meta, entry_path = line.split("\t", 1)
                mode, kind, entry_sha = meta.split()
                entries.append({"path": entry_path, "mode": mode, "type": kind, "sha": entry_sha})
            body, etag = {"sha": sha, "tree": entries, "truncated": False}, f'"{sha}"'
        elif rest.startswith("/git/blobs/"):
            sha = rest.removeprefix("/git/blobs/")
            data = subprocess.run(["git", "cat-file", "blob", sha], cwd=self.repository, capture_output=True, check=True).stdout
            body, etag = {"sha": sha, "content": base64.b64encode(data).decode(), "encoding": "base64"}, f'"{sha}"'
        else:
            return 404, {}, {"message": "Not Found"}
        if if_none_match == etag:
            return 304, {"ETag": etag}, None
        return 200, {"ETag": etag, "Content-Type": "application/json"}, body

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()
