"""Helpers for the analysis tests: small repositories written into a temp dir, git, and an open index."""

from __future__ import annotations

import subprocess
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index


def write_files(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=codekg", "-c", "user.email=codekg@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def git_repo(root: Path) -> Path:
    """``root`` as a git repository on branch main with everything committed (the index dir ignored)."""
    with open(root / ".gitignore", "a") as ignore:
        ignore.write("\n.codekg/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


@pytest.fixture
def open_store() -> Iterator[Callable]:
    """``open_store(repo)`` indexes ``repo`` (or brings its index up to date) and opens it read-only;
    every store is closed at the end, and ``open_store.close_all()`` closes them before a re-index."""
    stores = []

    def open_(repo: Path):
        close_all()
        settings = load_settings(repo)
        index_repository(repo, repo / ".codekg", settings)
        store = open_index(repo / ".codekg", settings)
        stores.append(store)
        return store

    def close_all() -> None:
        while stores:
            stores.pop().close()

    open_.close_all = close_all
    yield open_
    close_all()
