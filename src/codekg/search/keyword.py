"""Keyword search: BM25 over the FTS5 columns of `search.sqlite`, weighted name > qualified name >
signature > docstring > path.

Takes: an open SearchStore and the user's query text. Returns: (symbol rowid, BM25 score) pairs, best
first (ties broken by symbol id, so the order is the same whichever way the index was built).
"""

from __future__ import annotations

from codekg.search.store import COLUMN_WEIGHTS, SearchStore
from codekg.search.tokens import match_expression

_BM25 = f"bm25(symbols_fts, {', '.join(str(w) for w in COLUMN_WEIGHTS.values())})"


def keyword_search(store: SearchStore, query: str, limit: int) -> list[tuple[int, float]]:
    """The ``limit`` best rows for ``query``; the score is -BM25 (higher is better)."""
    expression = match_expression(query)
    if expression is None or limit <= 0:
        return []
    rows = store.connection.execute(
        f"SELECT f.rowid, {_BM25} AS score FROM symbols_fts f JOIN symbols s ON s.rowid = f.rowid "
        "WHERE symbols_fts MATCH ? ORDER BY score, s.id LIMIT ?",
        (expression, limit),
    ).fetchall()
    return [(rowid, -score) for rowid, score in rows]
