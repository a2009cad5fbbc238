"""The analysis tests' fixture: an index built and opened read-only, closed at the end."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index


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


@pytest.fixture
def pyrepo(copy_fixture, open_store):
    """tests/fixtures/pyrepo copied, indexed and open: (repository, store)."""
    repo = copy_fixture("pyrepo")
    return repo, open_store(repo)
