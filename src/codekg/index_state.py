"""What an index was built from, kept beside its database so the next run can apply only a delta.

A SQLite file `<build>.state` next to the database file. Per file: its stat and content hash (to
tell what changed), a small summary (its outline for the global tables, the symbol-index keys its
resolution read, its counts), and three blobs loaded only when needed: its symbols, its nodes and
its derived edges. The state records the generation written into its database's IndexMeta: a state
that does not match the live database is ignored and the next run rebuilds from scratch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codekg import __version__
from codekg.graph import Graph
from codekg.language_table import LANGUAGES
from codekg.record_pickling import pickled_by_position
from codekg.resolve import RESOLUTION_VERSION
from codekg.resolve.dependencies import DependencyKey
from codekg.schema import SCHEMA_VERSION
from codekg.settings import Settings

if TYPE_CHECKING:  # the search file's readers import this module: not the extractors nor the resolver
    from codekg.resolve.symbols import FileOutline, FileSymbols

log = logging.getLogger(__name__)

STATE_SUFFIX = ".state"
STATE_FORMAT = "5"  # 3: warnings are records (pass, kind, message); 4: SQL statements and relations; 5: body reads (resolve/interface.py)
# Settings that change what the graph holds; any other setting (paths, cache sizes) does not.
GRAPH_SETTINGS = ("max_file_size", "python_source_roots", "extra_ignore", "use_git_ls_files", "ambiguity_limit",
                  "value_flow", "sql_dialect", "sql_folder_dialects")

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, content_hash TEXT NOT NULL, size_bytes INTEGER NOT NULL,"
    " mtime_ns INTEGER NOT NULL, summary BLOB NOT NULL, symbols BLOB NOT NULL, nodes BLOB NOT NULL, edges BLOB NOT NULL)",
    "CREATE TABLE IF NOT EXISTS unparsed (path TEXT PRIMARY KEY, content_hash TEXT NOT NULL, size_bytes INTEGER NOT NULL,"
    " mtime_ns INTEGER NOT NULL, reason TEXT NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class FileStat:
    content_hash: str
    size_bytes: int
    mtime_ns: int


@pickled_by_position  # every file's, read by every incremental run
@dataclass(slots=True)
class FileSummary:
    """The per-file facts every incremental run needs for every file."""

    outline: FileOutline
    dependencies: frozenset[DependencyKey]
    node_counts: dict[str, int]
    structure_edge_counts: dict[str, int]  # DEFINES / HAS_METHOD
    derived_edge_counts: dict[str, int]  # IMPORTS / EXTENDS / IMPLEMENTS / CALLS
    shared: dict[str, Any]  # the shared nodes and edges the file's edges need (passes/resolve.py, shared_nodes)
    call_outcomes: dict[str, int]
    warnings: list[dict[str, str]]  # {"pass", "kind", "message"}; the path is the file's


@dataclass(slots=True)
class FileRecord:
    """A file as this run derived it, to be written to the state."""

    stat: FileStat
    summary: FileSummary
    symbols: FileSymbols
    nodes: Graph | None  # its structure: nodes plus DEFINES/HAS_METHOD edges; None when written ahead
    edges: Graph  # its derived edges


@dataclass(slots=True)
class StateUpdate:
    """One run's changes to the state, written in one transaction."""

    generation: str
    module_table: dict[tuple[str, str], str | None]
    records: dict[str, FileRecord] = field(default_factory=dict)  # new or changed files
    rederived: dict[str, tuple[FileSummary, Graph]] = field(default_factory=dict)  # unchanged, edges derived again
    restamped: dict[str, FileStat] = field(default_factory=dict)  # unchanged content, new stat
    removed: set[str] = field(default_factory=set)  # files no longer indexed
    unparsed: dict[str, tuple[FileStat, str]] = field(default_factory=dict)  # files that failed to parse now
    removed_unparsed: set[str] = field(default_factory=set)
    facts: dict[str, Any] = field(default_factory=dict)  # the run's totals, for an unchanged re-run
    repo_root: str = ""  # the repository indexed: another one given the same --db is told of (pipeline.py)
    commit: str = ""  # the git HEAD the graph's metadata records ("" outside git)


def _taken(records: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each record, removed from ``records`` as it is handed out."""
    while records:
        yield records.popitem()


def graph_fingerprint(settings: Settings, project_configs_digest: str = "") -> str:
    """Two runs with the same fingerprint derive the same graph from the same files. The project
    configs (tsconfig.json) are not tracked per file, so their digest is part of it: a changed,
    added or removed config rebuilds the index."""
    facts = {
        "project_configs": project_configs_digest,
        "codekg": __version__,
        "schema": SCHEMA_VERSION,  # so a state from before `codekg migrate` is never trusted: its node graphs are old
        "state": STATE_FORMAT,
        "resolution": RESOLUTION_VERSION,
        "extractors": {name: language.version for name, language in sorted(LANGUAGES.items())},
        "settings": {name: getattr(settings, name) for name in GRAPH_SETTINGS},
    }
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str).encode()).hexdigest()


def state_path(db_dir: Path, graph_file: str) -> Path:
    return db_dir / (graph_file + STATE_SUFFIX)


class IndexState:
    """The state file of one build."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._connection = connection
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        self.fingerprint: str = meta.get("fingerprint", b"").decode()
        self.generation: str = meta.get("generation", b"").decode()
        self.saved_at_ns: int = int(meta.get("saved_at_ns", b"0"))
        self.repo_root: str = meta.get("repo_root", b"").decode()
        self.commit: str = meta.get("commit", b"").decode()  # what the graph's metadata says HEAD was
        # The live graph's file-system stamp when it was last checked to hold `generation`
        # (IndexDirectory.graph_stamp): while it is unchanged, a run need not open the graph to check again.
        self.checked_graph_stamp: str = meta.get("checked_graph_stamp", b"").decode()
        self._module_table_blob: bytes | None = meta.get("module_table")
        self._facts_blob: bytes | None = meta.get("facts")

    @classmethod
    def create(cls, db_dir: Path, graph_file: str, fingerprint: str) -> "IndexState":
        path = state_path(db_dir, graph_file)
        path.unlink(missing_ok=True)
        # a full build writes its records ahead on the main thread, the rest beside the load (pipeline.py)
        connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            connection.execute(statement)
        connection.execute("INSERT INTO meta VALUES ('fingerprint', ?)", (fingerprint.encode(),))
        return cls(path, connection)

    @classmethod
    def open(cls, db_dir: Path, graph_file: str, fingerprint: str) -> "IndexState | None":
        """The state of ``graph_file``, or None when it is missing, damaged or built another way."""
        path = state_path(db_dir, graph_file)
        if not path.is_file():
            return None
        try:
            connection = sqlite3.connect(path, isolation_level=None)
            state = cls(path, connection)
        except sqlite3.Error as error:
            log.warning("ignoring the unreadable index state %s (%s); rebuilding from scratch", path, error)
            return None
        if state.fingerprint != fingerprint or not state.generation:
            state.close()
            return None
        return state

    def close(self) -> None:
        self._connection.close()

    def discard(self) -> None:
        """Close and delete this state: a build that failed before its state was written whole."""
        self.close()
        for side in ("", "-wal", "-shm", "-journal"):
            self.path.with_name(self.path.name + side).unlink(missing_ok=True)

    # --- reading ---------------------------------------------------------------------------------

    def stats(self) -> dict[str, FileStat]:
        rows = self._connection.execute("SELECT path, content_hash, size_bytes, mtime_ns FROM files")
        return {path: FileStat(h, size, mtime) for path, h, size, mtime in rows}

    def unparsed(self) -> dict[str, tuple[FileStat, str]]:
        rows = self._connection.execute("SELECT path, content_hash, size_bytes, mtime_ns, reason FROM unparsed")
        return {path: (FileStat(h, size, mtime), reason) for path, h, size, mtime, reason in rows}

    def summaries(self) -> dict[str, FileSummary]:
        return {path: pickle.loads(blob) for path, blob in self._connection.execute("SELECT path, summary FROM files")}

    def module_table(self) -> dict[tuple[str, str], str | None]:
        return pickle.loads(self._module_table_blob) if self._module_table_blob else {}

    def facts(self) -> dict[str, Any]:
        """The totals of the run that wrote this state (see pipeline._stored_facts)."""
        return pickle.loads(self._facts_blob) if self._facts_blob else {}

    def symbols(self, path: str) -> FileSymbols:
        return self._blob("symbols", path)

    def node_graphs(self, paths: list[str]) -> Iterator[Graph]:
        return (self._blob("nodes", path) for path in paths)

    def edge_graphs(self, paths: list[str]) -> Iterator[Graph]:
        return (self._blob("edges", path) for path in paths)

    def _blob(self, column: str, path: str) -> Any:
        row = self._connection.execute(f"SELECT {column} FROM files WHERE path = ?", (path,)).fetchone()
        if row is None:
            raise KeyError(path)
        return pickle.loads(row[0])

    # --- writing ---------------------------------------------------------------------------------

    def write_ahead(self, records: dict[str, FileRecord], structures: dict[str, tuple[FileStat, Graph]]) -> None:
        """Write ``records``, and the nodes of files whose record comes later (``structures``), in the
        transaction that `write` commits, letting each go once its row is made: a large full build
        writes its files as it builds them instead of holding them all (passes/build_records.py)."""
        if not self._connection.in_transaction:
            self._connection.execute("BEGIN IMMEDIATE")
        try:
            self._connection.executemany(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, '', '', ?, '')",
                ((path, stat.content_hash, stat.size_bytes, stat.mtime_ns, pickle.dumps(nodes, 5))
                 for path, (stat, nodes) in _taken(structures)))
            self._insert_records(records)
        except BaseException:
            self._connection.execute("ROLLBACK")
            raise

    def write(self, update: StateUpdate) -> None:
        """Apply one run's changes (with any written ahead); all or nothing. Takes ``update.records``:
        each record is let go once its row is made, so a full build's heap shrinks while the load
        beside it grows."""
        dump = pickle.dumps
        connection = self._connection
        if not connection.in_transaction:
            connection.execute("BEGIN IMMEDIATE")
        try:
            connection.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in update.removed])
            connection.executemany("DELETE FROM unparsed WHERE path = ?", [(p,) for p in update.removed_unparsed])
            self._insert_records(update.records)
            connection.executemany(
                "UPDATE files SET summary = ?, edges = ? WHERE path = ?",
                ((dump(summary, 5), dump(edges, 5), path) for path, (summary, edges) in update.rederived.items()),
            )
            self._restamp(update.restamped)
            connection.executemany(
                "INSERT OR REPLACE INTO unparsed VALUES (?, ?, ?, ?, ?)",
                [(path, s.content_hash, s.size_bytes, s.mtime_ns, reason) for path, (s, reason) in update.unparsed.items()],
            )
            self.saved_at_ns = time.time_ns()
            self._module_table_blob = dump(update.module_table, 5)
            self._facts_blob = dump(update.facts, 5)
            connection.executemany(
                "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                [("generation", update.generation.encode()), ("saved_at_ns", str(self.saved_at_ns).encode()),
                 ("repo_root", update.repo_root.encode()), ("commit", update.commit.encode()),
                 ("module_table", self._module_table_blob), ("facts", self._facts_blob)],
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        self.generation, self.commit = update.generation, update.commit

    def _insert_records(self, records: dict[str, FileRecord]) -> None:
        dump = pickle.dumps
        nodes_written = [path for path, record in records.items() if record.nodes is None]
        self._connection.executemany(
            "UPDATE files SET content_hash = ?, size_bytes = ?, mtime_ns = ?, summary = ?, symbols = ?, edges = ? WHERE path = ?",
            ((r.stat.content_hash, r.stat.size_bytes, r.stat.mtime_ns, dump(r.summary, 5), dump(r.symbols, 5), dump(r.edges, 5), path)
             for path, r in ((path, records.pop(path)) for path in nodes_written)),
        )
        self._connection.executemany(
            "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((path, r.stat.content_hash, r.stat.size_bytes, r.stat.mtime_ns, dump(r.summary, 5), dump(r.symbols, 5),
              dump(r.nodes, 5), dump(r.edges, 5)) for path, r in _taken(records)),  # one row's blobs at a time
        )

    def record_commit(self, commit: str) -> None:
        """The graph's metadata now records ``commit`` as the HEAD it was built at."""
        self._connection.execute("INSERT OR REPLACE INTO meta VALUES ('commit', ?)", (commit.encode(),))
        self.commit = commit

    def record_checked_graph_stamp(self, stamp: str) -> None:
        """The live graph, with this file-system stamp, was opened and found to hold `generation`."""
        self._connection.execute("INSERT OR REPLACE INTO meta VALUES ('checked_graph_stamp', ?)", (stamp.encode(),))
        self.checked_graph_stamp = stamp

    def restamp(self, restamped: dict[str, FileStat]) -> None:
        """Record new stats of files whose content did not change (touched, or checked out again)."""
        if restamped:
            self._restamp(restamped)

    def _restamp(self, restamped: dict[str, FileStat]) -> None:
        self._connection.executemany(
            "UPDATE files SET size_bytes = ?, mtime_ns = ? WHERE path = ?",
            [(s.size_bytes, s.mtime_ns, path) for path, s in restamped.items()],
        )
