"""The body text of the search index, `<db>/bodies.sqlite`: what issues quote, scored with BM25.

Issues quote error messages, strings and comments, and use the words of a function's body; the
symbol index (`search.sqlite`) holds names, signatures and docstrings only. This file holds, in
SQLite FTS5 tables (BM25 inside SQLite, never a Python loop over documents):
- `files_fts`: each indexed code file's path and whole text (not markdown pages and ontology files:
  language_table.DOCUMENT_LANGUAGES);
- `symbols_fts`: each function's and method's text (its whole span, nested helpers included), and
  each class's and module's own lines (those no definition inside it holds: a module's top-level
  code, such as a compatibility shim or the imports of an `__init__.py`).
Every document is its raw text (identifiers kept whole: `_` is a token character) followed by the
words of its identifiers split on case and underscores (tokens.py).

It is brought in step with the graph by the first `locate` after an index run (a later one finds the
graph generation it recorded and reads nothing), keyed by each file's content hash: only files
added, changed or removed since are read (so an index run pays nothing for
it, and a re-index of one file costs one file here). A file whose bytes on disk no longer match the
index is left out until the next `codekg index`, and said so.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from codekg.api.security import confine_path
from codekg.errors import PathOutsideRootError
from codekg.language_table import DOCUMENT_LANGUAGES
from codekg.passes.load import GENERATION_KEY
from codekg.search.store import Symbol  # the search index's record of a symbol (signature and docstring empty here)
from codekg.search.tokens import expanded_body, expanded_text
from codekg.stores.base import GraphStore

BODIES_FILE = "bodies.sqlite"
FORMAT = "5"
BODY_LABELS = ("Module", "Class", "Interface", "Function", "Method")
# documents of their own lines only (not those of the definitions inside them)
OWN_LINES_LABELS = ("Module", "Class", "Interface")
# Porter stems (an issue's "pushed" finds `push`, "retries" `retry`) over unicode61 with `_` inside tokens
_TOKENIZER = "tokenize=\"porter unicode61 remove_diacritics 2 tokenchars '_'\""
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (rowid INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL)",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS files_fts USING fts5(path, body, {_TOKENIZER})",
    "CREATE TABLE IF NOT EXISTS symbols (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, label TEXT NOT NULL,"
    " name TEXT NOT NULL, qualified_name TEXT NOT NULL, file_path TEXT NOT NULL, start_line INTEGER NOT NULL,"
    " end_line INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS symbols_file ON symbols (file_path)",
    "CREATE INDEX IF NOT EXISTS symbols_name ON symbols (name)",
    f"CREATE VIRTUAL TABLE IF NOT EXISTS symbols_fts USING fts5(body, {_TOKENIZER})",
    "CREATE VIRTUAL TABLE IF NOT EXISTS files_vocab USING fts5vocab(files_fts, 'row')",
)
FILE_COLUMN_WEIGHTS = (2.0, 1.0)  # path, body


@dataclass(slots=True)
class Freshness:
    """What bringing the file in step did: files read, removed, and left out (changed on disk)."""

    read: int = 0
    removed: int = 0
    stale: list[str] | None = None


class BodyIndex:
    """One open `bodies.sqlite` (created when missing; a damaged one is made afresh: it is derived data)."""

    def __init__(self, db_dir: Path) -> None:
        self.path = db_dir / BODIES_FILE
        try:
            self._connection = self._open()
        except sqlite3.DatabaseError:
            for leftover in (self.path, self.path.with_name(self.path.name + "-wal")):
                leftover.unlink(missing_ok=True)
            self._connection = self._open()

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=60)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        for statement in _SCHEMA:
            connection.execute(statement)
        row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        if row is not None and row[0] != FORMAT:
            raise sqlite3.DatabaseError(f"bodies index format {row[0]!r}, expected {FORMAT}")
        connection.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))
        return connection

    @property
    def connection(self) -> sqlite3.Connection:
        return self._connection

    def close(self) -> None:
        self._connection.close()

    # --- in step with the graph ---------------------------------------------------------------------

    def bring_in_step(self, graph: GraphStore, root: Path) -> Freshness:
        """Read the files whose content hash differs from what this file holds; drop the ones gone."""
        generation = graph.read_metadata().get(GENERATION_KEY, "")
        if generation and self._meta("generation") == generation:
            return Freshness(stale=[])  # the graph has not changed since this file was brought in step
        wanted = {path: digest for path, digest, language in graph.reads.nodes("File", columns=("file_path", "content_hash", "language"))
                  if language is not None and language not in DOCUMENT_LANGUAGES}
        held = dict(self._connection.execute("SELECT path, content_hash FROM files").fetchall())
        gone = [path for path, digest in held.items() if wanted.get(path) != digest]
        fresh = [path for path, digest in wanted.items() if held.get(path) != digest]
        freshness = Freshness(removed=len([path for path in gone if path not in wanted]), stale=[])
        if not gone and not fresh:
            self._stamp(generation)
            return freshness
        symbols = _symbols_of(graph, fresh)
        self._connection.execute("BEGIN IMMEDIATE")
        try:
            self._remove(gone)
            for path in fresh:
                text = _text_if_unchanged(root, path, wanted[path])
                if text is None:
                    freshness.stale.append(path)
                    continue
                self._put(path, wanted[path], text, symbols.get(path, []))
                freshness.read += 1
            if not freshness.stale:  # else tried again by the next call, until an index run reads them
                self._stamp(generation)
            self._connection.execute("COMMIT")
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise
        return freshness

    def _meta(self, key: str) -> str:
        row = self._connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else ""

    def _stamp(self, generation: str) -> None:
        """Record the graph generation this file mirrors (nothing to stamp for a graph without one)."""
        self._connection.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))

    def _remove(self, paths: list[str]) -> None:
        for path in paths:
            row = self._connection.execute("SELECT rowid FROM files WHERE path = ?", (path,)).fetchone()
            if row is not None:
                self._connection.execute("DELETE FROM files_fts WHERE rowid = ?", row)
                self._connection.execute("DELETE FROM files WHERE rowid = ?", row)
            rowids = [r for (r,) in self._connection.execute("SELECT rowid FROM symbols WHERE file_path = ?", (path,))]
            self._connection.executemany("DELETE FROM symbols_fts WHERE rowid = ?", ((r,) for r in rowids))
            self._connection.execute("DELETE FROM symbols WHERE file_path = ?", (path,))

    def _put(self, path: str, content_hash: str, text: str, symbols: list[tuple[str, str, str, str, int, int]]) -> None:
        cursor = self._connection.execute("INSERT INTO files (path, content_hash) VALUES (?, ?)", (path, content_hash))
        self._connection.execute("INSERT INTO files_fts (rowid, path, body) VALUES (?, ?, ?)",
                                 (cursor.lastrowid, expanded_text(path), expanded_body(text)))
        lines = text.splitlines()
        for (label, node_id, name, qualified_name, start, end), own in zip(symbols, symbol_texts(lines, symbols)):
            cursor = self._connection.execute(
                "INSERT OR REPLACE INTO symbols (id, label, name, qualified_name, file_path, start_line, end_line) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", (node_id, label, name, qualified_name, path, start, end))
            self._connection.execute("INSERT INTO symbols_fts (rowid, body) VALUES (?, ?)", (cursor.lastrowid, expanded_body(own)))

    # --- reading ------------------------------------------------------------------------------------

    def file_count(self) -> int:
        return self._connection.execute("SELECT count(*) FROM files").fetchone()[0]

    def document_frequencies(self, words: Iterable[str]) -> dict[str, tuple[str, int]]:
        """Each word's stem (as this index's tokenizer makes it) and in how many files the stem occurs
        (0 for none): what makes a word of an issue telling. The words go through the same tokenizer,
        in a temporary FTS5 table, so the stems are exactly the index's."""
        wanted = list(dict.fromkeys(words))
        connection = self._connection
        connection.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.issue_words USING fts5(word, {_TOKENIZER})")
        connection.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.issue_stems USING fts5vocab(temp, issue_words, instance)")
        try:
            connection.executemany("INSERT INTO temp.issue_words (rowid, word) VALUES (?, ?)",
                                   ((index, word) for index, word in enumerate(wanted, start=1)))
            rows = connection.execute("SELECT i.doc, i.term, coalesce(v.doc, 0) FROM temp.issue_stems i "
                                      "LEFT JOIN files_vocab v ON v.term = i.term").fetchall()
        finally:
            connection.execute("DELETE FROM temp.issue_words")
        found: dict[str, tuple[str, int]] = {}
        for index, stem, count in rows:
            word = wanted[index - 1]
            if word not in found or count < found[word][1]:  # a word of several tokens: its rarest
                found[word] = (stem, count)
        return found

    def top_files(self, expression: str, limit: int) -> list[tuple[str, float]]:
        """Files by BM25 for an FTS5 MATCH ``expression``, best first (score: higher is better)."""
        rows = self._connection.execute(
            f"SELECT f.path, -bm25(files_fts, {FILE_COLUMN_WEIGHTS[0]}, {FILE_COLUMN_WEIGHTS[1]}) AS score "
            "FROM files_fts JOIN files f ON f.rowid = files_fts.rowid WHERE files_fts MATCH ? ORDER BY score DESC LIMIT ?",
            (expression, limit)).fetchall()
        return [(path, float(score)) for path, score in rows]

    def top_symbols(self, expression: str, limit: int, paths: list[str] | None = None) -> list[tuple[Symbol, float]]:
        """Classes, functions and methods by BM25 of their own text, best first (of ``paths`` only, if given)."""
        within = f" AND s.file_path IN ({', '.join('?' * len(paths))})" if paths else ""
        rows = self._connection.execute(
            "SELECT s.rowid, s.id, s.label, s.name, s.qualified_name, s.file_path, s.start_line, s.end_line, "
            "-bm25(symbols_fts) AS score FROM symbols_fts JOIN symbols s ON s.rowid = symbols_fts.rowid "
            f"WHERE symbols_fts MATCH ?{within} ORDER BY score DESC LIMIT ?", (expression, *(paths or ()), limit)).fetchall()
        return [(Symbol(*row[:8], "", ""), float(row[8])) for row in rows]

    def symbols_by_id(self, ids: Iterable[str]) -> dict[str, Symbol]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, Symbol] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            rows = self._connection.execute(
                "SELECT rowid, id, label, name, qualified_name, file_path, start_line, end_line FROM symbols "
                f"WHERE id IN ({', '.join('?' * len(chunk))})", chunk).fetchall()
            found.update((row[1], Symbol(*row, "", "")) for row in rows)
        return found

    def named(self, names: Iterable[str]) -> dict[str, list[Symbol]]:
        """The classes, functions and methods named exactly so, by name."""
        wanted = list(dict.fromkeys(names))
        found: dict[str, list[Symbol]] = {name: [] for name in wanted}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for row in self._connection.execute(
                    "SELECT rowid, id, label, name, qualified_name, file_path, start_line, end_line FROM symbols "
                    f"WHERE name IN ({', '.join('?' * len(chunk))})", chunk):
                found[row[3]].append(Symbol(*row, "", ""))
        return found

    def symbols_in(self, path: str) -> list[Symbol]:
        rows = self._connection.execute(
            "SELECT rowid, id, label, name, qualified_name, file_path, start_line, end_line FROM symbols "
            "WHERE file_path = ? ORDER BY start_line", (path,)).fetchall()
        return [Symbol(*row, "", "") for row in rows]

    def paths(self) -> list[str]:
        return [path for (path,) in self._connection.execute("SELECT path FROM files ORDER BY path")]


def symbol_texts(lines: list[str], symbols: list[tuple[str, str, str, str, int, int]]) -> list[str]:
    """Each symbol's text: a function's or method's whole span (its nested helpers are part of what it
    does); a class's own lines, those no method or nested class holds (else every class would carry
    the words of all its methods)."""
    owner = [-1] * (len(lines) + 2)
    order = sorted(range(len(symbols)), key=lambda i: (symbols[i][4], -symbols[i][5]))  # outermost first
    for index in order:
        start, end = max(symbols[index][4], 1), min(symbols[index][5], len(lines))
        for line in range(start, end + 1):
            owner[line] = index
    own: list[list[str]] = [[] for _ in symbols]
    for line in range(1, len(lines) + 1):
        if owner[line] >= 0:
            own[owner[line]].append(lines[line - 1])
    return ["\n".join(own[index]) if label in OWN_LINES_LABELS else "\n".join(lines[max(start, 1) - 1:end])
            for index, (label, _, _, _, start, end) in enumerate(symbols)]


def _symbols_of(graph: GraphStore, paths: list[str]) -> dict[str, list[tuple[str, str, str, str, int, int]]]:
    """The classes, functions and methods of ``paths`` from the graph, by file."""
    found: dict[str, list[tuple[str, str, str, str, int, int]]] = {}
    for label in BODY_LABELS:  # one table at a time: an unlabelled match scans every table
        for start in range(0, len(paths), 2000):
            rows = graph.reads.nodes(label, where={"file_path": paths[start:start + 2000]})
            for _, node_id, name, qualified_name, file_path, start_line, end_line in rows:
                found.setdefault(file_path, []).append(
                    (label, node_id, name or "", qualified_name or "", int(start_line or 0), int(end_line or 0)))
    return found


def _text_if_unchanged(root: Path, path: str, content_hash: str) -> str | None:
    """The file's text when its bytes are still those the index read; None when changed, gone or outside the root."""
    try:
        data = confine_path(root, path).read_bytes()
    except (OSError, PathOutsideRootError):
        return None
    if hashlib.sha256(data).hexdigest() != content_hash:
        return None
    return data.decode("utf-8", errors="replace")
