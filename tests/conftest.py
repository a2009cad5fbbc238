"""Shared test helpers: fixture repositories copied to a temp dir and indexed into a real database."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from codekg.pipeline import IndexSummary, index_repository
from codekg.settings import Settings, load_settings
from codekg.stores.base import QueryResult
from codekg.stores import open_index

FIXTURES = Path(__file__).parent / "fixtures"


class IndexedRepo:
    """A fixture repository indexed into ``db``; ``rows`` runs read queries against the live index."""

    def __init__(self, repo: Path, db: Path, settings: Settings, summary: IndexSummary) -> None:
        self.repo, self.db, self.settings, self.summary = repo, db, settings, summary

    def query(self, cypher: str) -> QueryResult:
        store = open_index(self.db, self.settings)
        try:
            return store.query(cypher)
        finally:
            store.close()

    def rows(self, cypher: str) -> list[tuple]:
        return [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in self.query(cypher).rows]


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        copies = len(list(tmp_path.glob("copy-*")))
        target = tmp_path / f"copy-{copies + 1}" / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def index_fixture(copy_fixture: Callable[[str], Path], tmp_path: Path) -> Callable[..., IndexedRepo]:
    def index(name: str, **overrides: object) -> IndexedRepo:
        repo = copy_fixture(name)
        db = repo.parent / f"{repo.name}-db"
        settings = load_settings(repo, **overrides)
        summary = index_repository(repo, db, settings)
        return IndexedRepo(repo, db, settings, summary)

    return index
