"""Helpers of the search tests (not a conftest: a second `conftest` module would shadow the top one): the search index of a directory as comparable rows."""

from __future__ import annotations

from pathlib import Path

from codekg.search.store import SearchStore
from codekg.search.sync import search_path


def snapshot(db: Path) -> dict[str, list]:
    """Every symbol (without rowid), FTS row and edge of ``db``'s search index, sorted."""
    store = SearchStore(search_path(db), read_only=True)
    try:
        return {"symbols": list(store.symbol_rows()), "fts": list(store.fts_rows()), "edges": store.edge_rows()}
    finally:
        store.close()


def rowids(db: Path) -> dict[str, int]:
    store = SearchStore(search_path(db), read_only=True)
    try:
        return dict(store.connection.execute("SELECT id, rowid FROM symbols"))
    finally:
        store.close()
