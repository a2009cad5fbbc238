"""Search over an index: keyword (BM25 over FTS5), semantic (embeddings, exact cosine) and hybrid
(reciprocal-rank fusion of both, then graph expansion).

``search(db_dir, settings, query, limit, mode)`` is the one entry point the CLI, the HTTP API and
the MCP server share. The index lives in `<db>/search.sqlite`, kept in step with the graph by every
index run (`codekg.search.sync`); modules: `tokens` (identifier words, safe FTS5 queries), `store`
(the file), `keyword`, `embeddings` (models and the vector cache), `vectors` (numpy cosine),
`hybrid` (fusion, expansion and each hit's graph context), `ranking` (the final order, the same in
every mode: symbols the query names first, source before tests; and the filters).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from codekg.errors import EmbeddingsUnavailableError, InputError
from codekg.search.hybrid import CANDIDATES, Context, expand_and_rerank, graph_contexts, reciprocal_rank_fusion
from codekg.search.keyword import keyword_search
from codekg.search.ranking import (NO_FILTERS, TIER_NAMES, SearchFilters, filtered_top, match_tier, name_query,
                                   name_spellings, ordered)
from codekg.search.store import SearchStore, Symbol
from codekg.search.sync import embedding_spec, open_for_search
from codekg.settings import Settings

Mode = Literal["keyword", "semantic", "hybrid"]
NAMED_CANDIDATES = 50  # symbols whose name is or starts with the name a query gives, whatever their score
MODES: tuple[str, ...] = ("keyword", "semantic", "hybrid")


@dataclass(slots=True)
class SearchHit:
    id: str
    label: str
    name: str
    qualified_name: str
    file_path: str
    start_line: int
    end_line: int
    signature: str
    score: float  # the mode's own score (BM25, cosine, fused); the order is search/ranking.py's
    # how the query names the symbol, the first key of the order: exact, exact-case-aside, prefix,
    # in-qualified-name, or text (by the mode's score alone)
    match: str
    # the graph around the hit: the symbol that defines it, its first callers and callees
    container: str = ""
    callers: list[str] = field(default_factory=list)
    callees: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class SearchResult:
    """Hits plus how they were found: the mode actually used and notes for the reader (e.g. that
    hybrid ran without embeddings)."""

    query: str
    mode: str
    hits: list[SearchHit]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "mode": self.mode, "notes": self.notes, "results": [h.to_dict() for h in self.hits]}


def search(db_dir: Path, settings: Settings, query: str, limit: int = 10, mode: str = "hybrid",
           filters: SearchFilters = NO_FILTERS) -> list[SearchHit]:
    """The ``limit`` best symbols for ``query`` in the index at ``db_dir``."""
    return search_result(db_dir, settings, query, limit, mode, filters).hits


def search_result(db_dir: Path, settings: Settings, query: str, limit: int = 10, mode: str = "hybrid",
                  filters: SearchFilters = NO_FILTERS) -> SearchResult:
    """``search`` with the mode used and notes. Raises EmbeddingsUnavailableError for a semantic
    search of an index without vectors."""
    if mode not in MODES:
        raise InputError(f"unknown search mode {mode!r}: use {', '.join(MODES)}")
    if not query.strip():
        raise InputError("empty search query: give a name, words or a question")
    if not any(character.isalnum() for character in query):  # "!!!": any vector is nearest to something
        raise InputError(f"search query {query.strip()[:40]!r} has no letter or digit: give a name, words or a question")
    if limit < 1:
        raise InputError("--limit must be at least 1")
    if limit <= CANDIDATES:
        return _ranked(db_dir, settings, query, limit, mode, filters)
    # A larger --limit never reorders the hits a limit up to CANDIDATES shows: the rankings read deeper
    # for it, which changes the scores (a named symbol's, a fused one's), so the CANDIDATES-deep search
    # gives every hit it ordered first, in that order, and the deeper one only what comes after.
    head = _ranked(db_dir, settings, query, CANDIDATES, mode, filters, whole=True)
    deep = _ranked(db_dir, settings, query, limit, mode, filters)
    shown = {hit.id for hit in head.hits}
    return SearchResult(query, mode, (head.hits + [hit for hit in deep.hits if hit.id not in shown])[:limit], deep.notes)


def _ranked(db_dir: Path, settings: Settings, query: str, limit: int, mode: str, filters: SearchFilters,
            whole: bool = False) -> SearchResult:
    """One search whose rankings read ``limit`` deep (CANDIDATES at least): its ``limit`` best hits,
    or with ``whole`` every candidate it ordered."""
    from codekg.stores import query_language

    if query_language(settings) == "cozoscript":  # CozoDB searches inside the engine (search/cozo.py)
        from codekg.search.cozo import cozo_search
        from codekg.stores import open_index

        graph = open_index(db_dir, settings)
        try:
            hits, notes = cozo_search(graph, settings, query, limit, mode, filters, whole)
        finally:
            graph.close()
        return SearchResult(query, mode, hits, notes)
    store, notes = open_for_search(db_dir, settings)
    try:
        return _search(store, settings, query, limit, mode, notes, filters, whole)
    finally:
        store.close()


NO_EMBEDDINGS = "no embeddings in this {where}: hybrid is keyword + graph expansion (codekg index --embeddings adds them)"
NO_EMBEDDINGS_NOTE = NO_EMBEDDINGS.format(where="index")


def says_no_embeddings(note: str) -> bool:
    """Whether ``note`` is the one a hybrid search without embeddings gives (either store's)."""
    return note.startswith(NO_EMBEDDINGS.partition("{")[0])


def _search(store: SearchStore, settings: Settings, query: str, limit: int, mode: str, notes: list[str],
            filters: SearchFilters, whole: bool = False) -> SearchResult:
    """Each mode scores its candidates; the symbols the query names are candidates whatever their
    score (search/ranking.py orders them first); every hit gets its graph context. Every mode reads
    its rankings at least CANDIDATES deep (hybrid fuses that many of each), so any --limit up to
    that orders the same scores."""
    depth = max(limit, CANDIDATES)
    name = name_query(query)
    shelves = _shelves(store, filters)
    if filters.path and not shelves:
        notes.append(f"no indexed file's path matches {filters.path!r} (a repository-relative shell pattern; "
                     "* crosses folders; a path without a wildcard is a file or a folder)")
    keyword = _by_shelf(lambda secondary: keyword_search(store, query, depth, filters, secondary), depth, shelves) if mode != "semantic" else []
    semantic = _semantic(store, settings, query, depth, filters, shelves, required=mode == "semantic") if mode != "keyword" else None
    if mode == "hybrid" and semantic is None:
        notes.append(NO_EMBEDDINGS_NOTE)
    if mode == "keyword":
        scores = dict(keyword)
    elif mode == "semantic":
        scores = dict(semantic or [])
    else:
        scores = reciprocal_rank_fusion([[rowid for rowid, _ in ranking] for ranking in (keyword, semantic or []) if ranking])
        if scores:
            scores, _ = expand_and_rerank(store, scores)
    for spelling in name_spellings(name):
        for rowid in store.named(spelling, NAMED_CANDIDATES):
            scores.setdefault(rowid, 0.0)
    symbols = store.symbols(scores)
    if filters.active:
        scores = {rowid: score for rowid, score in scores.items() if filters.keeps(symbols[rowid])}
    ranking = ordered(query, scores, symbols)[: None if whole else limit]
    chosen = {rowid: symbols[rowid] for rowid, _ in ranking}
    tiers = {rowid: TIER_NAMES[match_tier(name, symbol)] for rowid, symbol in chosen.items()}
    return SearchResult(query, mode, _hits(chosen, ranking, graph_contexts(store, chosen), tiers), notes)


def _shelves(store: SearchStore, filters: SearchFilters) -> tuple[bool, ...]:
    """The shelves a search reads (False: the code's, True: the tests', docs' and examples'): both,
    but one whose files `--path` matches none of (`--path 'tests/*'` ranked the whole code shelf for
    nothing, twice as slow)."""
    return tuple(secondary for secondary in (False, True)
                 if not filters.path or any(store.shelf_has_path(secondary, glob) for glob in filters.path_globs()))


def _by_shelf(rank: Callable[[bool], list[tuple[int, float]]], depth: int, shelves: tuple[bool, ...]) -> list[tuple[int, float]]:
    """A ranking of the code's symbols, then of the tests', docs' and examples' (``rank(secondary)``)
    when the code has fewer than ``depth`` matches. Search orders them after the code but for the
    symbols a query names (their names are it or start with it), which `SearchStore.named` finds on
    either shelf (search/ranking.py); ranked together with the code they crowded it out of the
    candidates (fastapi, hybrid: "openapi schema" gave four tests in its top five, "response model"
    five)."""
    rows = rank(False) if False in shelves else []
    if True in shelves and len(rows) < depth:
        rows += rank(True)
    return rows


def _semantic(store: SearchStore, settings: Settings, query: str, limit: int, filters: SearchFilters,
              shelves: tuple[bool, ...], required: bool) -> list[tuple[int, float]] | None:
    """Cosine ranking of the query's embedding (the ``limit`` best that ``filters`` keep), or None
    when the index has no vectors (an error when ``required``)."""
    spec, model_id = embedding_spec(store)
    if not spec:
        if required:
            raise EmbeddingsUnavailableError("this index has no embeddings: run `codekg index --embeddings` first")
        return None
    from codekg.search.embeddings import load_embedder
    from codekg.search.vectors import cosine_top_k, load_matrix

    matrix = load_matrix(store, model_id)
    if len(matrix) == 0:
        if required:
            raise EmbeddingsUnavailableError("this index has no vectors yet: run `codekg index --embeddings`")
        return None
    api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    vector = load_embedder(spec, api_key).embed([query])[0]
    return _by_shelf(lambda secondary: filtered_top(lambda depth: cosine_top_k(matrix.shelf(secondary), vector, depth),
                                                    limit, filters, store), limit, shelves)


def _hits(symbols: dict[int, Symbol], ranked: list[tuple[int, float]], contexts: dict[int, Context],
          tiers: dict[int, str]) -> list[SearchHit]:
    hits = []
    for rowid, score in ranked:
        s = symbols[rowid]
        context = contexts.get(rowid, Context())
        hits.append(SearchHit(s.id, s.label, s.name, s.qualified_name, s.file_path, s.start_line, s.end_line,
                              s.signature, round(score, 6), tiers[rowid], context.container, context.callers, context.callees))
    return hits


__all__ = ["MODES", "SearchFilters", "SearchHit", "SearchResult", "search", "search_result"]
