"""The search index file, `<db>/search.sqlite`: symbols with their FTS5 text, the call and containment
edges between them, and the embedding cache, stamped with the graph generation they mirror.

Takes: node rows (the graph's full property rows) and edges, whole or as a delta. Every change to
the rows and the generation stamp happens in one SQLite transaction, so the file always mirrors one
graph generation exactly; a reader compares the stamp with the live generation and rebuilds on a
mismatch (see `codekg.search.sync`). The embedding cache (`vectors`) is keyed by model and by the
hash of the text embedded, so it outlives the rows and survives rebuilds.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codekg.conventions import is_secondary_path
from codekg.schema import EXTERNAL_ID_PREFIX
from codekg.search.symbol_text import EMBEDDED_LABELS, SourceLines, symbol_embedding_text, text_hash
from codekg.search.tokens import indexed_text

SEARCH_FILE = "search.sqlite"
# A file of another format is rebuilt from the graph when next opened (search/sync.py). 2: enums
# and type aliases are searchable; 3: a symbol's rowid says its shelf.
FORMAT = "3"
# A symbol's rowid says its shelf: below this, the code itself; from it on, the tests', docs' and
# examples' symbols (`conventions.is_secondary_path`). Search orders those after the code, so each
# ranking reads the code first, by a rowid range that FTS5 and the vector matrix (ordered by rowid)
# cut without reading a row (search/__init__.py `_by_shelf`).
SECONDARY_ROWIDS = 1 << 40
SHELF_ROWS = {False: f"rowid < {SECONDARY_ROWIDS}", True: f"rowid >= {SECONDARY_ROWIDS}"}  # a WHERE term per shelf
UPGRADED_FORMATS = ("1", "2")  # earlier formats a writer upgrades in place, keeping the embedding cache
INDEXED_LABELS = ("Module", "Class", "Interface", "Enum", "Type", "Function", "Method", "Variable")
EXPANSION_EDGES = ("CALLS", "DEFINES", "HAS_METHOD")  # callers/callees, and the container of a symbol
# BM25 weight per FTS5 column, in column order.
COLUMN_WEIGHTS = {"name": 10.0, "qualified_name": 4.0, "signature": 3.0, "docstring": 2.0, "path": 1.0}
_SYMBOL_COLUMNS = ("id", "label", "name", "qualified_name", "file_path", "start_line", "end_line", "signature", "docstring")
TEXT_COLUMNS = _SYMBOL_COLUMNS[1:]  # what a symbol's vector text is made from (search/symbol_text.py)

_FTS_TABLE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS symbols_fts USING fts5({', '.join(COLUMN_WEIGHTS)}, "
              "tokenize='unicode61 remove_diacritics 2')")
# made again after the rows by replace_all, which is faster than keeping them up to date row by row
_SECONDARY_INDEXES = {
    "symbols_text_hash": "CREATE INDEX IF NOT EXISTS symbols_text_hash ON symbols (text_hash)",
    "edges_dst": "CREATE INDEX IF NOT EXISTS edges_dst ON edges (dst, type, src)",
    # `named`: a name or its start, case aside (LIKE 'x%' uses it; a file made before it has a scan)
    "symbols_name": "CREATE INDEX IF NOT EXISTS symbols_name ON symbols (name COLLATE NOCASE)",
}
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS symbols (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, label TEXT NOT NULL,"
    " name TEXT NOT NULL, qualified_name TEXT NOT NULL, file_path TEXT NOT NULL, start_line INTEGER NOT NULL,"
    " end_line INTEGER NOT NULL, signature TEXT NOT NULL, docstring TEXT NOT NULL, text_hash TEXT)",
    _FTS_TABLE,
    "CREATE TABLE IF NOT EXISTS edges (src TEXT NOT NULL, type TEXT NOT NULL, dst TEXT NOT NULL, PRIMARY KEY (src, type, dst)) WITHOUT ROWID",
    *_SECONDARY_INDEXES.values(),
    "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, text_hash TEXT NOT NULL, vector BLOB NOT NULL,"
    " PRIMARY KEY (model, text_hash)) WITHOUT ROWID",
)
_INSERT_SYMBOL = f"INSERT OR REPLACE INTO symbols (rowid, {', '.join(_SYMBOL_COLUMNS)}, text_hash) VALUES ({', '.join('?' * 11)})"
_INSERT_TEXT = "INSERT INTO symbols_fts (rowid, name, qualified_name, signature, docstring, path) VALUES (?, ?, ?, ?, ?, ?)"


@dataclass(frozen=True, slots=True)
class Symbol:
    rowid: int
    id: str
    label: str
    name: str
    qualified_name: str
    file_path: str
    start_line: int
    end_line: int
    signature: str
    docstring: str


class SearchStore:
    """One open `search.sqlite`. Writers go through ``transaction()``; readers see whole transactions (WAL)."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        if read_only:
            self._connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            for statement in _SCHEMA:
                self._connection.execute(statement)
            found = self.meta("format")
            if found in UPGRADED_FORMATS:
                self._upgrade()
            elif found not in ("", FORMAT):
                raise sqlite3.DatabaseError(f"search index format {found!r}, expected {FORMAT}")
            self._connection.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))

    def _upgrade(self) -> None:
        """A file of an earlier format: its rows go, unstamped, so the caller rebuilds them from the
        graph; the embedding cache stays (keyed by text, it is the same in every format), so nothing
        is embedded again."""
        with self.transaction():
            for statement in ("DELETE FROM symbols", "DELETE FROM symbols_fts", "DELETE FROM edges",
                              "DELETE FROM meta WHERE key IN ('generation', 'build', 'format')"):
                self._connection.execute(statement)
            self._connection.execute("INSERT INTO meta VALUES ('format', ?)", (FORMAT,))

    @property
    def connection(self) -> sqlite3.Connection:
        return self._connection

    def close(self) -> None:
        self._connection.close()

    # --- metadata --------------------------------------------------------------------------------

    def meta(self, key: str) -> str:
        row = self._connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""

    def set_meta(self, key: str, value: str) -> None:
        self._connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> str:
        return self.meta("generation")

    # --- writing (inside ``transaction``) --------------------------------------------------------

    def transaction(self) -> "_Transaction":
        return _Transaction(self._connection)

    def replace_all(self, symbols: Iterable[tuple[str, list[dict[str, Any]]]],
                    edges: Iterable[tuple[str, list[tuple[str, str]]]], source: SourceLines | None = None) -> None:
        """Every symbol and edge in place of the ones stored (a full build, a rebuild), the embedding
        cache kept. Both come as batches, (label, node rows) and (relationship type, pairs), written
        as they come: a full build holds one batch of rows at a time beside the graph's load. The FTS
        table and the secondary indexes are dropped first and the indexes made again after the rows,
        which is faster than keeping them up to date row by row. ``source``: the files, when the
        text hashes (what the embedding cache is keyed by) read the start of each body."""
        for statement in ("DROP TABLE IF EXISTS symbols_fts", *(f"DROP INDEX IF EXISTS {name}" for name in _SECONDARY_INDEXES),
                          "DELETE FROM symbols", "DELETE FROM edges"):
            self._connection.execute(statement)
        self._connection.execute(_FTS_TABLE)
        self.set_meta("vectors_epoch", uuid.uuid4().hex)  # new rowids: a vector matrix read before is stale
        next_rowids = {False: 1, True: SECONDARY_ROWIDS}
        for label, rows in symbols:
            if label not in INDEXED_LABELS:
                continue
            prepared = [_prepared(_take_rowid(next_rowids, row), row["id"], label, row, source) for row in rows]
            self._connection.executemany(_INSERT_SYMBOL, [symbol for symbol, _ in prepared])
            self._connection.executemany(_INSERT_TEXT, [text for _, text in prepared])
        for rel_type, pairs in edges:
            self.put_edges(rel_type, pairs)
        for statement in _SECONDARY_INDEXES.values():
            self._connection.execute(statement)

    def remove_symbols(self, ids: Iterable[str]) -> None:
        """Remove symbols and, as DETACH DELETE does in the graph, every edge that touches them."""
        rows = [(node_id,) for node_id in ids]
        self._connection.executemany(
            "DELETE FROM symbols_fts WHERE rowid = (SELECT rowid FROM symbols WHERE id = ?)", rows)
        self._connection.executemany("DELETE FROM symbols WHERE id = ?", rows)
        self._connection.executemany("DELETE FROM edges WHERE src = ?", rows)
        self._connection.executemany("DELETE FROM edges WHERE dst = ?", rows)

    def put_symbols(self, label: str, rows: Iterable[dict[str, Any]], source: SourceLines | None = None) -> None:
        """Insert or replace symbols from graph node rows of ``label`` (edges are left alone), a few
        statements per batch rather than per row: a full build writes tens of thousands. ``source``:
        as for replace_all."""
        if label not in INDEXED_LABELS:
            return
        prepared = {row["id"]: row for row in rows}
        existing = self._rowids(prepared)
        next_rowids = {secondary: (self._connection.execute(f"SELECT max(rowid) FROM symbols WHERE {where}").fetchone()[0]
                                   or (SECONDARY_ROWIDS - 1 if secondary else 0)) + 1 for secondary, where in SHELF_ROWS.items()}
        rows = [_prepared(existing[node_id] if node_id in existing else _take_rowid(next_rowids, row), node_id, label, row, source)
                for node_id, row in prepared.items()]
        self._connection.executemany("DELETE FROM symbols_fts WHERE rowid = ?", [(rowid,) for rowid in existing.values()])
        self._connection.executemany(_INSERT_SYMBOL, [symbol for symbol, _ in rows])
        self._connection.executemany(_INSERT_TEXT, [text for _, text in rows])

    def refresh_text_hashes(self, source: SourceLines | None, paths: Iterable[str] | None = None) -> None:
        """Compute again the text hash of every embedded symbol of ``paths`` (None: of all), from its
        row and, with ``source``, its body as the file is now: an edit inside a body that moves no
        line leaves the symbol's row as it was, and its vector would say the old body."""
        where, arguments = "", []
        if paths is not None:
            arguments = sorted(set(paths))
            if not arguments:
                return
        for start in range(0, max(len(arguments), 1), 500):
            chunk = arguments[start:start + 500]
            if paths is not None:
                where = f" AND file_path IN ({', '.join('?' * len(chunk))})"
            rows = self._connection.execute(
                f"SELECT rowid, {', '.join(TEXT_COLUMNS)} FROM symbols "
                f"WHERE label IN ({', '.join('?' * len(EMBEDDED_LABELS))}){where}", [*EMBEDDED_LABELS, *chunk]).fetchall()
            updates = []
            for rowid, *values in rows:
                row = dict(zip(TEXT_COLUMNS, values))
                updates.append((text_hash(symbol_embedding_text(row["label"], row, source)), rowid))
            self._connection.executemany("UPDATE symbols SET text_hash = ? WHERE rowid = ?", updates)

    def _rowids(self, ids: Iterable[str]) -> dict[str, int]:
        """The rowids of those of ``ids`` already stored (a replaced symbol keeps its rowid)."""
        wanted = list(ids)
        found: dict[str, int] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found.update(self._connection.execute(
                f"SELECT id, rowid FROM symbols WHERE id IN ({', '.join('?' * len(chunk))})", chunk).fetchall())
        return found

    def remove_edges(self, rel_type: str, pairs: Iterable[tuple[str, str]]) -> None:
        if rel_type in EXPANSION_EDGES:
            self._connection.executemany("DELETE FROM edges WHERE src = ? AND type = ? AND dst = ?",
                                         [(src, rel_type, dst) for src, dst in pairs])

    def put_edges(self, rel_type: str, pairs: Iterable[tuple[str, str]]) -> None:
        if rel_type in EXPANSION_EDGES:
            self._connection.executemany("INSERT OR IGNORE INTO edges VALUES (?, ?, ?)",
                                         [(src, rel_type, dst) for src, dst in pairs])

    def stamp(self, generation: str, build: str) -> None:
        """Record which graph generation (and build file) the rows now mirror."""
        self.set_meta("generation", generation)
        self.set_meta("build", build)

    # --- reading ---------------------------------------------------------------------------------

    def symbols(self, rowids: Iterable[int]) -> dict[int, Symbol]:
        wanted = list(dict.fromkeys(rowids))
        found: dict[int, Symbol] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in self._connection.execute(
                f"SELECT rowid, {', '.join(_SYMBOL_COLUMNS)} FROM symbols WHERE rowid IN ({', '.join('?' * len(chunk))})", chunk):
                found[row[0]] = Symbol(*row)
        return found

    def symbol_rows(self) -> Iterator[tuple]:
        """Every symbol as (id, label, name, …, docstring, text_hash), ordered by id: for comparisons."""
        yield from self._connection.execute(f"SELECT {', '.join(_SYMBOL_COLUMNS)}, text_hash FROM symbols ORDER BY id")

    def fts_rows(self) -> Iterator[tuple]:
        yield from self._connection.execute(
            "SELECT s.id, f.name, f.qualified_name, f.signature, f.docstring, f.path FROM symbols_fts f "
            "JOIN symbols s ON s.rowid = f.rowid ORDER BY s.id")

    def edge_rows(self) -> list[tuple[str, str, str]]:
        return self._connection.execute("SELECT src, type, dst FROM edges ORDER BY src, type, dst").fetchall()

    def neighbours(self, ids: list[str]) -> list[tuple[str, str, str]]:
        """(hit id, relation, other id) for callers, callees and containers of ``ids``, in one query."""
        if not ids:
            return []
        marks = ", ".join("?" * len(ids))
        return self._connection.execute(
            f"SELECT dst, 'caller', src FROM edges WHERE type = 'CALLS' AND dst IN ({marks}) "
            f"UNION ALL SELECT src, 'callee', dst FROM edges WHERE type = 'CALLS' AND src IN ({marks}) "
            f"UNION ALL SELECT dst, 'container', src FROM edges WHERE type IN ('DEFINES', 'HAS_METHOD') AND dst IN ({marks})",
            [*ids, *ids, *ids]).fetchall()

    def named(self, name: str, limit: int) -> list[int]:
        """Rowids of symbols called ``name`` or a name starting with it (case aside), that name first,
        then shorter names: the candidates a query naming a symbol must see whatever BM25 thinks."""
        pattern = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return [rowid for (rowid,) in self._connection.execute(
            "SELECT rowid FROM symbols WHERE name LIKE ? ESCAPE '\\' ORDER BY lower(name) != lower(?), length(name), id LIMIT ?",
            (pattern, name, limit))]

    def shelf_has_path(self, secondary: bool, pattern: str) -> bool:
        """Whether a symbol of one shelf (`SECONDARY_ROWIDS`) lives in a file matching ``pattern``, a
        shell pattern as search's `--path` takes it (`*` crosses folders): SQLite's GLOB, with
        fnmatch's `[!…]` written `[^…]`."""
        return self._connection.execute(f"SELECT 1 FROM symbols WHERE {SHELF_ROWS[secondary]} AND file_path GLOB ? LIMIT 1",
                                        (pattern.replace("[!", "[^"),)).fetchone() is not None

    def names_of(self, ids: Iterable[str]) -> dict[str, tuple[str, str]]:
        """(qualified name, file path) of symbols (by id); any other node (an External callee, a
        Decorator) by its id's tail and the file its id names."""
        wanted = list(dict.fromkeys(ids))
        names = {i: (id_name(i), id_file_path(i)) for i in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            names.update((node_id, (name, file_path)) for node_id, name, file_path in self._connection.execute(
                f"SELECT id, qualified_name, file_path FROM symbols WHERE id IN ({', '.join('?' * len(chunk))})", chunk))
        return names


def id_file_path(node_id: str) -> str:
    """The file a node's id names (`<label>:<file_path>:<qualified_name>`), "" for one that names none
    (`External:<name>`); a path holding a colon is cut at it."""
    if node_id.startswith(EXTERNAL_ID_PREFIX):
        return ""
    parts = node_id.split(":", 2)
    return parts[1] if len(parts) == 3 else ""


def id_name(node_id: str) -> str:
    """The qualified name a node's id ends with (an External's: all after its label)."""
    if node_id.startswith(EXTERNAL_ID_PREFIX):
        return node_id[len(EXTERNAL_ID_PREFIX):]
    return node_id.split(":", 2)[-1]


def _take_rowid(next_rowids: dict[bool, int], row: dict[str, Any]) -> int:
    """The next free rowid of the shelf ``row``'s file is on (`SECONDARY_ROWIDS`)."""
    secondary = is_secondary_path(row["file_path"])
    rowid = next_rowids[secondary]
    next_rowids[secondary] = rowid + 1
    return rowid


def _prepared(rowid: int, node_id: str, label: str, row: dict[str, Any], source: SourceLines | None) -> tuple[tuple, tuple]:
    """A symbol's row and its FTS row, from a graph node row; its text hash with the start of its
    body when ``source`` is given (search/symbol_text.py)."""
    digest = text_hash(symbol_embedding_text(label, row, source)) if label in EMBEDDED_LABELS else None
    symbol = (rowid, node_id, label, *(row[c] for c in _SYMBOL_COLUMNS[2:]), digest)
    text = (rowid, indexed_text(row["name"]), indexed_text(row["qualified_name"]), indexed_text(row["signature"]),
            indexed_text(row["docstring"]), indexed_text(row["file_path"]))
    return symbol, text


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception (KeyboardInterrupt included)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def __enter__(self) -> None:
        self._connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        if kind is None:
            self._connection.execute("COMMIT")
        else:
            self._connection.execute("ROLLBACK")
