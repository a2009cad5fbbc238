"""Keyword search: BM25 over the FTS5 columns of `search.sqlite`, weighted name > qualified name >
signature > docstring > path.

Takes: an open SearchStore and the user's query text. Returns: (symbol rowid, score) pairs, best
first. Rows holding every query word come first (an AND query, which touches few rows and so is
fast), then, when they are fewer than asked for, rows holding some of the words (the OR query,
which must score every row sharing a common word such as `test`). Within each group BM25 decides,
ties broken by symbol id, so the order is the same whichever way the index was built. One shelf at
a time: the code's symbols, or the tests', docs' and examples' (a rowid range: search/store.py
`SECONDARY_ROWIDS`).
"""

from __future__ import annotations

from codekg.search.ranking import NO_FILTERS, SearchFilters, filtered_top
from codekg.search.store import COLUMN_WEIGHTS, SHELF_ROWS, SearchStore
from codekg.search.tokens import match_expression

_BM25 = f"bm25(symbols_fts, {', '.join(str(w) for w in COLUMN_WEIGHTS.values())})"
_SLACK = 16  # extra rows fetched so that ties at the cut are ordered by id, not by rowid


def keyword_search(store: SearchStore, query: str, limit: int, filters: SearchFilters = NO_FILTERS,
                   secondary: bool = False) -> list[tuple[int, float]]:
    """The ``limit`` best rows for ``query`` on one shelf (the code's; with ``secondary`` the tests',
    docs' and examples') that ``filters`` keep; the score is -BM25 (higher is better)."""
    any_word = match_expression(query)
    if any_word is None or limit <= 0:
        return []
    every_word = match_expression(query, all_words=True)
    found = _kept(store, every_word, limit, filters, secondary)
    if len(found) < limit and every_word != any_word:
        seen = {rowid for rowid, _ in found}
        found += [row for row in _kept(store, any_word, limit + len(found), filters, secondary) if row[0] not in seen][: limit - len(found)]
    return found


def _kept(store: SearchStore, expression: str, limit: int, filters: SearchFilters, secondary: bool) -> list[tuple[int, float]]:
    return filtered_top(lambda depth: _ranked(store, expression, depth, secondary), limit, filters, store)


def _ranked(store: SearchStore, expression: str, limit: int, secondary: bool) -> list[tuple[int, float]]:
    rows = store.connection.execute(
        f"SELECT rowid, {_BM25} AS score FROM symbols_fts WHERE symbols_fts MATCH ? AND {SHELF_ROWS[secondary]} "
        "ORDER BY score LIMIT ?", (expression, limit + _SLACK)).fetchall()
    if not rows:
        return []
    ids = dict(store.connection.execute(
        f"SELECT rowid, id FROM symbols WHERE rowid IN ({', '.join('?' * len(rows))})", [r for r, _ in rows]).fetchall())
    rows.sort(key=lambda row: (round(row[1], 9), ids[row[0]]))
    return [(rowid, -score) for rowid, score in rows[:limit]]
