"""Hybrid search inside CozoDB (`codekg search --store cozo://…`): one CozoScript program finds,
scores, fuses and expands a query's candidates and returns them with their graph context; the final
order is search/ranking.py's, as for every store.

Takes: an open CozoStore (its search shelves: each searchable symbol's columns, words under Cozo's
full-text index, vector under an HNSW index and graph context; its `SymbolName` lookup and its graph
relations, all kept by every write: stores/cozo.py) and the user's query.
Returns: the same `SearchResult` as the search file's path (search/__init__.py).

The program:
- **shelves**: it reads the code's shelf first, and the shelf of tests, documentation and examples
  only when the code has fewer matches than the hits asked for: the final order puts those after
  the code anyway, and on fastapi they hold 8,777 of its 9,557 symbols;
- **keyword**: Cozo's full-text index over each symbol's words (`weighted_text`: name three times,
  qualified name twice, signature, docstring, path), the query's words OR-ed, TF-IDF scores;
- **semantic**: the HNSW index over the shelf's vectors (cosine), when the store holds vectors: every
  index run with embeddings copies what changed from the search file's embedding cache
  (`sync_vectors`); without them hybrid is keyword and graph expansion, and the result says so;
- **fusion**: each ranking's score divided by its best, summed (not RRF: a rank is a window
  function Datalog does not have);
- **expansion**: among the candidates, a symbol linked to others by CALLS, DEFINES or HAS_METHOD
  gains 0.01 × the mean score of those it is linked to (the tie-breaker of search/hybrid.py);
- the symbols the query names, or whose names start with it, case aside (`SymbolName`, at most 50:
  `named_candidates`), are candidates whatever their score, on either shelf; so are, for a query
  that is a name, the tests', docs' and examples' symbols whose qualified names hold it (a word of
  theirs, `name_words`: `secondary_names`): search ranks both before the code's other matches;
- **order of work**: the query's vector is computed in a thread while the engine runs the name
  lookups and the keyword ranking (`keyword_program`), whose rows the program then takes as given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codekg.errors import EmbeddingsUnavailableError, QueryError
from codekg.search.hybrid import NEIGHBOUR_BOOST, Context
from codekg.search.ranking import TIER_NAMES, SearchFilters, match_tier, name_query, name_spellings, ordered
from codekg.search.store import EXPANSION_EDGES, INDEXED_LABELS, Symbol
from codekg.search.tokens import STOPWORDS, name_token, split_identifier
from codekg.settings import Settings
from codekg.stores.cozo import CONTEXT_COLUMNS, SEARCH_COLUMNS, SEARCH_SHELVES

CANDIDATES = 20  # each ranking's depth, as search/hybrid.py's (four times as deep while filters drop too many)
MAX_DEPTH = 5120  # the deepest a filtered search reads
# The HNSW search's beam (`ef`), at least twice the depth asked for. On fastapi's code shelf (459
# vectors), 22 questions against the exact cosine top 20: ef 20 found 95.2% of them, 40 98.6%, 64
# 99.1%, 100 99.8% (on the 5,890 vectors of its tests and docs, 64 found 94.5%). The search costs
# about 1.7 ms at 20, 3.4 at 64 (docs/benchmarks.md §19b).
HNSW_EF = 40
# What a hit reads of its shelf row: the symbol's columns but its docstring, which ranks nothing
# here (the full-text index has it), then its graph context.
HIT_COLUMNS = tuple(column for column in SEARCH_COLUMNS[1:] if column != "docstring")


def fts_query(query: str) -> str | None:
    """The query's words (identifiers split, stop words dropped unless nothing else is left), OR-ed:
    only letters and digits reach Cozo's query parser."""
    words = list(dict.fromkeys(split_identifier(query)))
    kept = [word for word in words if word not in STOPWORDS] or words
    return " OR ".join(kept) if kept else None


def keyword_program(secondary: bool) -> str:
    """The CozoScript of the keyword ranking alone (parameters `q`, `k`): a hybrid search runs it
    while the query's vector is computed and hands its rows to `search_program` as `$keyword`."""
    shelves = [SEARCH_SHELVES[False], *([SEARCH_SHELVES[True]] if secondary else [])]
    return "\n".join([*(_fts_rule(text) for text, _ in shelves), "?[id, s] := fts[id, s]"])


def _fts_rule(text_relation: str) -> str:
    return f"fts[id, s] := ~{text_relation}:fts{{id | query: $q, k: $k, score_kind: 'tf_idf', bind_score: s}}"


def search_program(keyword: bool, semantic: bool, expansion: bool, secondary: bool = False,
                   keyword_given: bool = False) -> str:
    """The CozoScript of one search; parameters `q` (keyword), `v` (the query's vector), `k`, `ef`,
    `named` (the ids `named_candidates` and `secondary_names` found). It reads the code's shelf;
    with ``secondary`` the tests', documentation's and examples' too (stores/cozo.py
    `SEARCH_SHELVES`). With ``keyword_given`` the keyword ranking's rows are the parameter `keyword`
    (`keyword_program`'s). Each ranking's score is divided by its best; a symbol's score is their sum."""
    shelves = [SEARCH_SHELVES[False], *([SEARCH_SHELVES[True]] if secondary else [])]
    lines = ["named_given[id] <- $named", "named[id] := named_given[id]"]
    if keyword:
        lines += ["fts[id, s] <- $keyword"] if keyword_given else [_fts_rule(text) for text, _ in shelves]
        lines += ["fts_best[max(s)] := fts[_, s]",
                  "part[id, ranking, b] := fts[id, s], fts_best[m], b = s / m, ranking = 'keyword'"]
    if semantic:
        lines += [f"near_vec[id, s] := ~{vector}:hnsw{{id | query: vec($v), k: $k, ef: $ef, bind_distance: d}}, s = max(1 - d, 0.0)"
                  for _, vector in shelves]
        lines += ["vec_best[max(s)] := near_vec[_, s]",
                  "part[id, ranking, b] := near_vec[id, s], vec_best[m], m > 0, b = s / m, ranking = 'semantic'"]
    lines += ["fused[id, sum(b)] := part[id, _, b]",
              "cand[id, b] := fused[id, b]",
              "cand[id, b] := named[id], not fused[id, _], b = 0.0"]
    if expansion:
        lines += [f"link[a, b] := cand[a, _], *{rel}{{from: a, to: b}}, cand[b, _]" for rel in EXPANSION_EDGES]
        lines += [
            "near[a, b] := link[a, b], a != b",
            "near[a, b] := link[b, a], a != b",
            "boost[a, mean(s)] := near[a, b], cand[b, s]",
            f"scored[id, score] := cand[id, b], boost[id, x], score = b + {NEIGHBOUR_BOOST} * x",
            "scored[id, score] := cand[id, b], not boost[id, _], score = b",
        ]
    else:
        lines.append("scored[id, score] := cand[id, score]")
    # The rankings read the code's shelf unless ``secondary``: a ranked hit is looked up there, and
    # the tests', docs' and examples' shelf only for the named (on either shelf).
    columns = ", ".join([*HIT_COLUMNS, *CONTEXT_COLUMNS])
    code, other = SEARCH_SHELVES[False][0], SEARCH_SHELVES[True][0]
    lines += [f"?[id, score, {columns}] := scored[id, score], *{code}{{id, {columns}}}",
              f"?[id, score, {columns}] := scored[id, score], {'' if secondary else 'named[id], '}*{other}{{id, {columns}}}"]
    return "\n".join(lines)


def cozo_search(store: Any, settings: Settings, query: str, limit: int, mode: str,
                filters: SearchFilters, whole: bool = False) -> tuple[list[Any], list[str]]:
    """(hits, notes) for ``query`` on a CozoDB store (see the module docstring): the ``limit`` best,
    or with ``whole`` every candidate in order (search/__init__.py `search_result`)."""
    from codekg.search import NO_EMBEDDINGS, SearchHit

    notes: list[str] = []
    vector_soon = None  # the query's vector, computed while the keyword ranking and the name lookup run
    if mode != "keyword":
        spec, model_id = store.vector_model()
        if not model_id:
            if mode == "semantic":
                raise EmbeddingsUnavailableError("this CozoDB store has no symbol vectors: run `codekg index --embeddings` first")
            notes.append(NO_EMBEDDINGS.format(where="CozoDB store"))
        else:
            from codekg.search.embeddings import query_vector_soon

            api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
            vector_soon = query_vector_soon(spec, api_key, query)
    expression = fts_query(query) if mode != "semantic" else None
    keyword_first = expression is not None and vector_soon is not None
    name = name_query(query)
    token = name_token(name) if name else ""
    depth, secondary = max(limit, CANDIDATES), False
    try:
        named = [[node_id] for node_id in dict.fromkeys(node_id for spelling in name_spellings(name)
                                                         for node_id in named_candidates(store, spelling))]
        named_first = named + secondary_names(store, token, depth)  # before the code's shelf proves too thin
        vector = None
        while True:
            scores: dict[str, float] = {}
            rows: list[list[Any]] = []
            keyword_rows = store.run(keyword_program(secondary), {"q": expression, "k": depth}) if keyword_first else []
            if vector_soon is not None and vector is None:
                vector = vector_soon.result()
            if expression is not None or vector is not None or named_first:
                program = search_program(expression is not None, vector is not None, mode == "hybrid", secondary, keyword_first)
                rows = store.run(program, {"q": expression or "", "v": vector or [], "k": depth, "ef": max(HNSW_EF, 2 * depth),
                                           "named": named if secondary else named_first, "keyword": keyword_rows})
                scores = {row[0]: float(row[1]) for row in rows}
            width = 2 + len(HIT_COLUMNS)  # id, score, the hit's columns; then its context
            symbols = {row[0]: Symbol(position, row[0], *row[2:width], docstring="") for position, row in enumerate(rows)}
            contexts = {row[0]: Context(*row[width:]) for row in rows}
            kept = {i: s for i, s in symbols.items() if filters.keeps(s)}
            if len(kept) >= limit:
                break
            if not secondary:  # the code has too few matches: its tests, docs and examples come next
                secondary = True
                continue
            if len(scores) < depth or not filters.active or depth >= MAX_DEPTH:
                break
            depth *= 4
    except QueryError:
        store.check_search_shelves()  # a store written before the search shelves says so
        raise
    by_rowid = {symbol.rowid: symbol for symbol in kept.values()}
    ranking = ordered(query, {symbol.rowid: scores[symbol.id] for symbol in kept.values()}, by_rowid)[: None if whole else limit]
    chosen = [by_rowid[rowid] for rowid, _ in ranking]
    hits = []
    for (rowid, score), symbol in zip(ranking, chosen):
        context = contexts[symbol.id]
        hits.append(SearchHit(symbol.id, symbol.label, symbol.name, symbol.qualified_name, symbol.file_path,
                              symbol.start_line, symbol.end_line, symbol.signature, round(score, 6),
                              TIER_NAMES[match_tier(name, symbol)], context.container, context.callers, context.callees))
    return hits, notes


def secondary_names(store: Any, token: str, k: int) -> list[list[str]]:
    """Ids (as rows) of the tests', docs' and examples' symbols whose qualified names hold the query's
    name (``token`` among their `name_words`): search ranks them before the code's other matches.
    Its own query: inside the search program, Cozo took 15 ms where this takes 1 (fastapi,
    "websocket")."""
    if not token:
        return []
    return store.run(f"?[id] := ~{SEARCH_SHELVES[True][0]}:names{{id | query: $token, k: $k}}", {"token": token, "k": k})


def named_candidates(store: Any, name: str) -> list[str]:
    """Ids of the searchable symbols called ``name`` or a name starting with it, case aside: that name
    first, then shorter names, at most NAMED_CANDIDATES (the search file's `named`). On both shelves:
    search ranks such a symbol before every match by words or meaning, tests' too."""
    from codekg.search import NAMED_CANDIDATES

    if not name:
        return []
    rows = store.run("?[name, id] := *SymbolName{folded, name, id, label}, starts_with(folded, lowercase($name)), "
                     "is_in(label, $labels)", {"name": name, "labels": list(INDEXED_LABELS)})
    rows.sort(key=lambda row: (row[0].lower() != name.lower(), len(row[0]), row[1]))
    return [node_id for _, node_id in rows[:NAMED_CANDIDATES]]


def sync_vectors(db_dir: Path, settings: Settings) -> dict[str, Any]:
    """Copy the search file's symbol vectors (its embedding cache: search/sync.py computes them) into
    the CozoDB store's `SymbolVector`, what changed only; the store's vectors go when the index has
    none. Called by every index run on a `cozo://` store, after the graph is live."""
    from codekg.search.store import SearchStore
    from codekg.search.sync import embedding_spec, search_path
    from codekg.stores import open_index

    current: dict[str, tuple[str, list[float]]] = {}
    spec = model_id = ""
    path = search_path(db_dir)
    if path.exists():
        import numpy as np

        search = SearchStore(path, read_only=True)
        try:
            spec, model_id = embedding_spec(search)
            if model_id:
                rows = search.connection.execute(
                    "SELECT s.id, s.text_hash, v.vector FROM symbols s JOIN vectors v ON v.model = ? AND v.text_hash = s.text_hash",
                    (model_id,)).fetchall()
                current = {node_id: (text_hash, np.frombuffer(blob, dtype=np.float32).tolist()) for node_id, text_hash, blob in rows}
        finally:
            search.close()
    graph = open_index(db_dir, settings)
    try:
        return graph.sync_vectors(spec, model_id, current)  # type: ignore[attr-defined]
    finally:
        graph.close()
