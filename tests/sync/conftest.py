"""A real `git daemon` serving repositories the tests build with the git command line."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

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


@pytest.fixture
def git_daemon(tmp_path):
    daemon = GitDaemon(tmp_path / "served")
    daemon.base.mkdir()
    yield daemon
    daemon.stop()
