"""CozoDB (`cozo://PATH`, `cozo://mem`): the graph in an embedded Datalog engine, queried in CozoScript.

Every label of schema.py is a stored relation keyed by its primary key; every relationship type is
one relation keyed by (`from`, `to`) that also records its endpoints' labels (ids carry their label,
so one pair has one edge of a type, as `graph_delta` counts them).

Publishing is atomic the way the embedded index's is: PATH is a directory whose `CURRENT` names the
live database (`graph-*.cozo-sqlite`, a SQLite file, or `graph-*.cozo-rocksdb`, a RocksDB folder).
A whole new graph is written into a new database in one transaction, then `CURRENT` is switched by a
rename, so a load that fails or is killed leaves the previous graph live and queryable, and readers
never wait for it. A delta is applied to the live database in one transaction: killed half-way, it
rolls back. `cozo://mem` keeps the graph in this process only (tests, `compare-stores`); a whole
graph replaces the old one in one transaction there.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codekg.errors import IndexNotFoundError, QueryError, StoreError
from codekg.graph import EMPTY_VALUES, EdgeKey, Graph, GraphDelta, GraphTables
from codekg.schema import NODE_LABEL_BY_NAME, NODE_LABELS, REL_TYPE_BY_NAME, REL_TYPES, PropType
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult, TableLoad
from codekg.stores.batches import WriteStats
from codekg.stores.uri import StoreLocation

if TYPE_CHECKING:
    from pycozo.client import Client

    from codekg.stores.reads_cozo import CozoReads

log = logging.getLogger(__name__)

METADATA_LABEL = "IndexMeta"
BUILD_SUFFIX = ".cozo-"  # + the engine: graph-<time>-<pid>.cozo-sqlite
PUT_BATCH_ROWS = 5000  # rows per `:put`: one statement's parameters stay a few MB
VECTOR_BATCH_ROWS = 500  # vectors per `:put` (384 floats each)
# The HNSW graph of the symbol vectors: Cozo 0.7.6 builds it at 2-5 ms a vector on this machine (3,000
# random 384-float vectors: 15.4 s at m 16 / ef_construction 50, 5.6 s at 8 / 20); between the two.
HNSW_M = 12
HNSW_EF_CONSTRUCTION = 32
LOCKED_WAIT_SECONDS = 10.0  # how long a reader or writer waits for a SQLite file another process is writing
_COZO_TYPES = {
    PropType.STRING: "String",
    PropType.INT64: "Int",
    PropType.DOUBLE: "Float",
    PropType.BOOLEAN: "Bool",
    PropType.STRING_LIST: "[String]",
}
_CYPHER_START = re.compile(r"\s*(MATCH|OPTIONAL|CALL|RETURN|UNWIND|WITH|CREATE|MERGE|EXPLAIN|PROFILE)\b", re.IGNORECASE)
_EMPTY_LITERALS = {"String": '""', "Int": "0", "Float": "0.0", "Bool": "false", "[String]": "[]"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_memory_clients: dict[str, "Client"] = {}  # cozo://mem: one engine per name, for the life of the process
_memory_lock = threading.Lock()


def _literal(value: Any) -> str:
    """A default value in CozoScript."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '""' if not value else repr(value)
    if isinstance(value, list):
        return "[]"
    return repr(value)


def _columns(properties: Iterable[Any]) -> list[str]:
    return [f"{p.name}: {_COZO_TYPES[p.type]} default {_literal(EMPTY_VALUES[p.type])}" for p in properties]


def node_relation_ddl(label: str) -> str:
    """`:create` of the relation holding ``label``'s nodes, keyed by its primary key."""
    key, *rest = NODE_LABEL_BY_NAME[label].properties
    return f":create {label} {{{key.name}: {_COZO_TYPES[key.type]} => {', '.join(_columns(rest))}}}"


def edge_relation_ddl(rel_type: str) -> str:
    """`:create` of the relation holding ``rel_type``'s edges, keyed by their endpoints."""
    columns = ["from_label: String", "to_label: String", *_columns(REL_TYPE_BY_NAME[rel_type].properties)]
    return f":create {rel_type} {{from: String, to: String => {', '.join(columns)}}}"


def relation_ddl() -> list[str]:
    """Every relation of the schema, in schema order, then an index on each relationship's `to`:
    the edges entering a node (callers, importers) are looked up, not scanned."""
    return ([node_relation_ddl(label.name) for label in NODE_LABELS] + [edge_relation_ddl(rel.name) for rel in REL_TYPES]
            + [f"::index create {rel.name}:by_to {{to, from}}" for rel in REL_TYPES] + list(LOOKUP_DDL))


# Relations of codekg's own beside the schema's, kept by every write (stores/reads_cozo.py and
# search/cozo.py read them): SymbolName finds a node by its name without scanning every label (an
# index on a non-key column joined back to its relation returns no rows in Cozo 0.7.6);
# a search shelf is each searchable symbol's columns a hit shows (SEARCH_COLUMNS) and its words
# (search/tokens.py `weighted_text`) under Cozo's full-text index, and its vector (`sync_vectors`)
# under an HNSW index. Two shelves: the code itself, and its tests, documentation and examples
# (`conventions.is_secondary_path`), which search orders after the code, so it reads them only when
# the code has too few matches. Cozo's full-text search reads every posting of a query's words
# (fastapi: 8,777 of its 9,557 symbols live in tests and docs_src; "response model" reads 3,592
# postings over all, 300 on the code shelf).
SEARCH_SHELVES = {False: ("SearchText", "SymbolVector"), True: ("SearchTextSecondary", "SymbolVectorSecondary")}
TEXT_RELATIONS = tuple(text for text, _ in SEARCH_SHELVES.values())
VECTOR_RELATIONS = tuple(vector for _, vector in SEARCH_SHELVES.values())
LOOKUP_DDL = (
    # keyed by the lower-cased name first: a name, or a name's start, is found case aside by a range
    # read (search's named candidates, as the search file's `named`), and an exact name by its prefix
    ":create SymbolName {folded: String, name: String, id: String => label: String}",
    ":create SearchMeta {key: String => value: String}",  # the symbol vectors' model (`sync_vectors`)
    *(ddl for text in TEXT_RELATIONS for ddl in (
        f":create {text} {{id: String => label: String, name: String, qualified_name: String, file_path: String, "
        "start_line: Int, end_line: Int, signature: String, docstring: String, text: String, names: String, "
        "container: String default '', callers: [String] default [], callees: [String] default []}",
        f"::fts create {text}:fts {{extractor: text, tokenizer: Simple, filters: [Lowercase, Stemmer('english')]}}",
        f"::fts create {text}:names {{extractor: names, tokenizer: Simple, filters: [Lowercase]}}")),
)
SEARCH_COLUMNS = ("id", "label", "name", "qualified_name", "file_path", "start_line", "end_line", "signature", "docstring")
# A shelf row also holds its symbol's graph context as a search hit shows it (search/hybrid.py
# `Context`): kept by every write (`_refresh_contexts`), so a search reads it with the hit instead
# of following the edges of every hit (`Depends` has 170 callers in fastapi: 6 ms of a 20 ms search).
CONTEXT_COLUMNS = ("container", "callers", "callees")
CONTEXT_EDGES = (("container", "DEFINES", "in"), ("container", "HAS_METHOD", "in"), ("caller", "CALLS", "in"),
                 ("callee", "CALLS", "out"))
_DEFINITION_NUMBER = re.compile(r"#\d+$")
NAMED_LABELS = frozenset(label.name for label in NODE_LABELS if "name" in {p.name for p in label.properties})


def node_fields(label: str) -> list[str]:
    return [p.name for p in NODE_LABEL_BY_NAME[label].properties]


def edge_fields(rel_type: str) -> list[str]:
    return ["from", "to", "from_label", "to_label", *(p.name for p in REL_TYPE_BY_NAME[rel_type].properties)]


def cozo_error(error: BaseException) -> str:
    """The engine's message on one line, without its terminal colours."""
    response = getattr(error, "resp", None) or (error.args[0] if error.args else None)
    text = response.get("message") or str(response) if isinstance(response, dict) else str(error)
    return " ".join(_ANSI.sub("", text).split())


def cozo_unavailable() -> str | None:
    """None when the engine imports and opens; else why not, for the fallback notice (load_settings)."""
    try:
        from pycozo.client import Client

        Client("mem", "", dataframe=False).close()
    except ImportError as error:
        return f"the CozoDB engine is not installed ({error.name or error})"
    except BaseException as error:  # a Rust panic in the engine is a BaseException
        if isinstance(error, (KeyboardInterrupt, SystemExit)):
            raise
        return f"the CozoDB engine does not open ({cozo_error(error)})"
    return None


class CozoDirectory:
    """PATH of `cozo://PATH`: `CURRENT` names the live database; builds are published by a rename."""

    def __init__(self, path: Path) -> None:
        from codekg.stores.ladybug import IndexDirectory

        self.path = path
        self.pointer = IndexDirectory(path)  # the same atomic pointer, stale-build sweep and writer lock

    def current(self) -> Path | None:
        return self.pointer.current_graph()

    def engine_of(self, build: Path) -> str:
        return build.name.rsplit(BUILD_SUFFIX, 1)[-1]

    def new_build(self, engine: str) -> Path:
        return self.pointer.new_build_path().with_suffix(BUILD_SUFFIX + engine)

    def publish(self, build: Path) -> None:
        self.pointer.publish(build)

    def writer_lock(self) -> Any:
        """One writer per CozoDB location (index runs from two index directories may share it)."""
        return nullcontext() if self.pointer.holds_writer_lock() else self.pointer.writer_lock()

    def check_is_cozo(self) -> None:
        """PATH must not be an embedded index directory: their `CURRENT` pointers would clash."""
        current = self.current()
        if current is not None and BUILD_SUFFIX not in current.name:
            raise StoreError(f"{self.path} holds an embedded codekg index, not a CozoDB store; give cozo:// another directory")

    def remove(self, build: Path) -> None:
        """A build that was never published (or its leftovers)."""
        if build.is_dir():
            shutil.rmtree(build, ignore_errors=True)
        else:
            build.unlink(missing_ok=True)


def open_client(engine: str, path: str) -> "Client":
    """An embedded engine on ``path``; waits a while for a file another process is writing."""
    from pycozo.client import Client

    deadline = time.monotonic() + LOCKED_WAIT_SECONDS
    while True:
        try:
            with _rust_panics_silenced():
                return Client(engine, path, dataframe=False)
        except BaseException as error:  # the engine reports a locked file as a Rust panic (BaseException)
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            message = cozo_error(error)
            # SQLite: "database is locked" while another process writes. RocksDB: "lock hold by
            # current process" while a client this process closed still releases its lock.
            if "lock" in message and time.monotonic() < deadline:
                time.sleep(0.05)
                continue
            found = _RUST_MESSAGE.search(message)
            reason = found.group(1) if found else message.replace("called `Result::unwrap()` on an `Err` value: ", "")
            raise StoreError(f"cannot open the CozoDB database {path}: {reason}; `codekg index --full` with this "
                             "--store builds a new one") from None


def _shelf_labels_now() -> str:
    """The kinds of symbol a full write puts on the search shelves."""
    from codekg.search.store import INDEXED_LABELS

    return ",".join(INDEXED_LABELS)


def _stamp_shelf_labels(run: Any) -> None:
    """Which kinds of symbol the shelves hold (`check_search_shelves` refuses a store with others)."""
    run("?[key, value] <- [['shelf_labels', $labels]] :put SearchMeta {key => value}", {"labels": _shelf_labels_now()})


_RUST_MESSAGE = re.compile(r'message: Some\("([^"]*)"\)')  # SQLite's error inside a Rust `Result::unwrap` panic


@contextmanager
def _rust_panics_silenced() -> Iterator[None]:
    """The engine reports a file it cannot open as a Rust panic, whose hook writes a backtrace notice
    to file descriptor 2 before Python sees the error: that notice is dropped (the error is reported)."""
    saved = os.dup(2)
    quiet = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(quiet, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(quiet)


class _SharedClients:
    """The engine on each live SQLite database, opened once per process and shared by every store on
    it until a newer build is published and its last user closes: a fresh engine starts with a cold
    page cache, and a hybrid search on fastapi paid 8 of its 27 ms (p50) re-reading pages. A RocksDB
    database is not shared (one engine per store, as before: it is opened once per CLI process)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[Path, list[Any]] = {}  # build -> [client, users]

    def acquire(self, engine: str, build: Path) -> "Client":
        with self.lock:
            entry = self.entries.get(build)
            if entry is None:
                for other, (client, users) in list(self.entries.items()):
                    if other.parent == build.parent and users == 0:  # an earlier build of the same store
                        client.close()
                        del self.entries[other]
                entry = self.entries[build] = [open_client(engine, str(build)), 0]
            entry[1] += 1
            return entry[0]

    def release(self, build: Path, current: Path | None) -> None:
        """One user fewer; the engine closes when it was the last and ``build`` is no longer ``current``."""
        with self.lock:
            entry = self.entries.get(build)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] <= 0 and build != current:
                entry[0].close()
                del self.entries[build]


_shared_clients = _SharedClients()


class CozoStore:
    """A graph in CozoDB. ``read_only`` limits `query` to reads (`immutable` scripts); the store's own
    writes (replace_graph, apply_delta, migrations) always run."""

    query_language = "cozoscript"

    def __init__(self, location: StoreLocation, settings: Settings, db_dir: Path | None = None,
                 read_only: bool = True) -> None:
        self.location, self.settings, self.read_only = location, settings, read_only
        self.display = location.display
        self.query_timeout: float | None = None
        self.write_stats = WriteStats()  # rows and statements written, as a server store counts them
        self.directory = None if location.in_memory else CozoDirectory(location.path)  # type: ignore[arg-type]
        if self.directory is not None:
            self.directory.check_is_cozo()
        self.client: "Client | None" = None  # opened on first use: a full build never needs the live database
        self._shared_build: Path | None = None  # the build whose shared engine `client` is (_SharedClients)
        self._touched: set[str] = set()  # symbols whose shelf context a write in progress may have changed

    # --- opening ---------------------------------------------------------------------------------

    def _open_live(self) -> "Client | None":
        """The live database, or None when this location holds none yet."""
        if self.directory is None:
            with _memory_lock:
                name = self.location.graph
                if name not in _memory_clients:
                    client = open_client("mem", "")
                    for statement in relation_ddl():
                        client.run(statement)
                    _memory_clients[name] = client
                return _memory_clients[name]
        current = self.directory.current()
        if current is None:
            return None
        engine = self.directory.engine_of(current)
        if engine != "sqlite":
            return open_client(engine, str(current))
        client = _shared_clients.acquire(engine, current)
        self._shared_build = current
        return client

    def _live(self) -> "Client":
        if self.client is None:
            self.client = self._open_live()
        if self.client is None:
            raise IndexNotFoundError(f"no codekg index in {self.display}; run `codekg index --store {self.display}` first")
        return self.client

    # --- writing ---------------------------------------------------------------------------------

    def replace_graph(self, tables: GraphTables, metadata: Graph) -> LoadReport:
        """Make the store hold exactly ``tables`` and ``metadata``, published in one step."""
        if self.directory is None:
            client = self._live()
            with self._transaction(client) as run:
                for relation in [label.name for label in NODE_LABELS] + [rel.name for rel in REL_TYPES]:
                    run(self._clear_statement(relation), {})
                run("?[folded, name, id] := *SymbolName{folded, name, id} :rm SymbolName {folded, name, id}", {})
                for text in TEXT_RELATIONS:
                    run(f"?[id] := *{text}{{id}} :rm {text} {{id}}", {})
                report = self._put_tables(run, tables)
                self._put_graph(run, metadata)
                self._refresh_contexts(run, None)
                _stamp_shelf_labels(run)
            return report
        with self.directory.writer_lock():
            return self._replace_in_new_build(tables, metadata)

    def _replace_in_new_build(self, tables: GraphTables, metadata: Graph) -> LoadReport:
        assert self.directory is not None
        engine = self.location.graph or "sqlite"
        build = self.directory.new_build(engine)
        try:
            client = open_client(engine, str(build))
            try:
                for statement in relation_ddl():
                    client.run(statement)
                with self._transaction(client) as run:
                    report = self._put_tables(run, tables)
                    self._put_graph(run, metadata)
                    self._refresh_contexts(run, None)
                    _stamp_shelf_labels(run)
            finally:
                client.close()
            self.close()
            self.directory.publish(build)
        except BaseException:
            self.directory.remove(build)
            raise
        return report

    def write_tables(self, tables: GraphTables) -> LoadReport:
        """Add (or overwrite, by key) the tables' rows in one transaction."""
        with self._transaction(self._live()) as run:
            report = self._put_tables(run, tables)
            self._refresh_contexts(run, self._touched)
            return report

    def write_graph(self, graph: Graph) -> LoadReport:
        with self._transaction(self._live()) as run:
            report = self._put_graph(run, graph)
            self._refresh_contexts(run, self._touched)
            return report

    def apply_delta(self, delta: GraphDelta, metadata: Graph) -> LoadReport:
        """Removals, updated and added rows, and the new metadata, in one transaction: all or nothing."""
        report = LoadReport()
        self.check_search_shelves()
        with nullcontext() if self.directory is None else self.directory.writer_lock(), self._transaction(self._live()) as run:
            for (rel_type, _, _), pairs in delta.removed_edges.items():
                self._timed(report, rel_type, len(pairs), lambda: self._remove_edges(run, rel_type, pairs))
            for label, ids in delta.removed_nodes.items():
                self._timed(report, label, len(ids), lambda: self._remove_nodes(run, label, ids))
            for label, rows in delta.updated_nodes.nodes.items():  # a renamed node leaves its old name
                self._forget_names(run, label, [[row[node_fields(label)[0]]] for row in rows])
            for graph in (delta.updated_nodes, delta.added):
                report.tables += self._put_graph(run, graph, edges=False).tables
            report.tables += self._put_graph(run, delta.added, nodes=False).tables
            run(self._clear_statement(METADATA_LABEL), {})
            self._put_graph(run, metadata)
            self._refresh_contexts(run, self._touched)
        return report

    def write_metadata(self, metadata: Graph) -> None:
        with self._transaction(self._live()) as run:
            run(self._clear_statement(METADATA_LABEL), {})
            self._put_graph(run, metadata)

    def _put_tables(self, run: Any, tables: GraphTables) -> LoadReport:
        report = LoadReport()
        for label, table in tables.nodes.items():
            self._timed(report, label, table.num_rows, lambda: self._put_nodes(run, label, table.to_pylist()))
        for key, table in tables.edges.items():
            self._timed(report, _table_name(key), table.num_rows, lambda: self._put_edges(run, key, table.to_pylist()))
        return report

    def _put_graph(self, run: Any, graph: Graph, nodes: bool = True, edges: bool = True) -> LoadReport:
        report = LoadReport()
        for label, rows in graph.nodes.items() if nodes else ():
            if rows:
                self._timed(report, label, len(rows), lambda: self._put_nodes(run, label, rows))
        for key, rows in graph.edges.items() if edges else ():
            if rows:
                self._timed(report, _table_name(key), len(rows), lambda: self._put_edges(run, key, rows))
        return report

    def _put_nodes(self, run: Any, label: str, rows: list[dict[str, Any]]) -> None:
        from codekg.conventions import is_secondary_path
        from codekg.search.store import INDEXED_LABELS
        from codekg.search.tokens import name_words, weighted_text

        fields = node_fields(label)
        statement = f"?[{', '.join(fields)}] <- $rows :put {label} {{{', '.join(fields)}}}"
        for start in range(0, len(rows), PUT_BATCH_ROWS):
            batch = rows[start:start + PUT_BATCH_ROWS]
            run(statement, {"rows": [[row[f] for f in fields] for row in batch]})
            if label in NAMED_LABELS:
                named = [[row["name"], row["id"], label] for row in batch if row["name"]]
                if named:
                    run("rows[name, id, label] <- $rows ?[folded, name, id, label] := rows[name, id, label], "
                        "folded = lowercase(name) :put SymbolName {folded, name, id, label}", {"rows": named})
            if label in INDEXED_LABELS:
                columns = ", ".join([*SEARCH_COLUMNS, "text", "names"])
                shelves: dict[bool, list[list[Any]]] = {}
                for row in batch:
                    shelves.setdefault(is_secondary_path(row["file_path"]), []).append(
                        [*(label if c == "label" else row[c] for c in SEARCH_COLUMNS), weighted_text(row),
                         name_words(row["qualified_name"])])
                for secondary, shelf in shelves.items():
                    run(f"?[{columns}] <- $rows :put {SEARCH_SHELVES[secondary][0]} {{{columns}}}", {"rows": shelf})
                self._touched.update(row["id"] for row in batch)

    def _forget_names(self, run: Any, label: str, ids: list[list[str]]) -> None:
        """The SymbolName and search shelf entries of nodes about to be removed or rewritten."""
        if label in NAMED_LABELS and ids:
            run(f"gone[id] <- $ids ?[folded, name, id] := gone[id], *{label}{{id, name}}, folded = lowercase(name) "
                ":rm SymbolName {folded, name, id}", {"ids": ids})
            for text in TEXT_RELATIONS:
                run(f"?[id] <- $ids :rm {text} {{id}}", {"ids": ids})

    def _put_edges(self, run: Any, key: EdgeKey, rows: list[dict[str, Any]]) -> None:
        rel_type, source, target = key
        fields = edge_fields(rel_type)
        names = ", ".join(fields)
        statement = f"?[{names}] <- $rows :put {rel_type} {{{names}}}"
        properties = fields[4:]
        for start in range(0, len(rows), PUT_BATCH_ROWS):
            batch = [[row["from"], row["to"], source, target, *(row[p] for p in properties)]
                     for row in rows[start:start + PUT_BATCH_ROWS]]
            run(statement, {"rows": batch})
            if rel_type in _CONTEXT_REL_TYPES:
                self._touched.update(end for row in batch for end in row[:2])

    def _remove_nodes(self, run: Any, label: str, ids: list[str]) -> None:
        """The nodes and every edge that touches them (a node's edges go with it)."""
        key = node_fields(label)[0]
        for start in range(0, len(ids), PUT_BATCH_ROWS):
            batch = [[i] for i in ids[start:start + PUT_BATCH_ROWS]]
            self._forget_names(run, label, batch)
            neighbours = "\n".join(f"?[other] := gone[x], *{rel_type}{{from: x, to: other}}\n?[other] := gone[x], *{rel_type}{{from: other, to: x}}"
                                   for rel_type in _CONTEXT_REL_TYPES)
            self._touched.update(row[0] for row in run(f"gone[x] <- $ids\n{neighbours}", {"ids": batch})["rows"])
            for rel in REL_TYPES:
                if any(label in pair for pair in rel.pairs):
                    for side in ("from", "to"):
                        run(f"gone[{side}] <- $ids ?[from, to] := gone[{side}], *{rel.name}{{from, to}} "
                            f":rm {rel.name} {{from, to}}", {"ids": batch})
            run(f"?[{key}] <- $ids :rm {label} {{{key}}}", {"ids": batch})

    def _remove_edges(self, run: Any, rel_type: str, pairs: list[tuple[str, str]]) -> None:
        if rel_type in _CONTEXT_REL_TYPES:
            self._touched.update(end for pair in pairs for end in pair)
        for start in range(0, len(pairs), PUT_BATCH_ROWS):
            run(f"?[from, to] <- $pairs :rm {rel_type} {{from, to}}",
                {"pairs": [list(pair) for pair in pairs[start:start + PUT_BATCH_ROWS]]})

    def _refresh_contexts(self, run: Any, ids: set[str] | None) -> None:
        """Recompute, inside the write transaction ``run``, the shelf context (`CONTEXT_COLUMNS`) of
        the symbols ``ids`` (None: of every symbol on a shelf), as search/cozo.py shows it: the
        first container, callers and callees by qualified name (search/hybrid.py `Context`)."""
        from codekg.search.hybrid import CONTEXT_PER_RELATION, first_names
        from codekg.search.store import id_name

        chosen = None if ids is None else sorted(ids)
        self._touched = set()
        if chosen is not None and not chosen:
            return
        hops = "\n".join(
            f"hop[kind, near, far, far_label] := ids[near], *{rel_type}{{from: {'far' if way == 'in' else 'near'}, "
            f"to: {'near' if way == 'in' else 'far'}, {'from_label' if way == 'in' else 'to_label'}: far_label}}, "
            f"near != far, kind = '{kind}'" for kind, rel_type, way in CONTEXT_EDGES)
        parts = [None] if chosen is None else [chosen[start:start + PUT_BATCH_ROWS] for start in range(0, len(chosen), PUT_BATCH_ROWS)]
        for part in parts:
            anchors = "\n".join(f"ids[id] := *{text}{{id}}" for text in TEXT_RELATIONS) if part is None else "ids[id] <- $ids"
            params = {} if part is None else {"ids": [[i] for i in part]}
            rows = run(f"{anchors}\n{hops}\n?[kind, near, far, far_label] := hop[kind, near, far, far_label]", params)["rows"]
            found: dict[tuple[str, str], dict[str, str]] = {}
            for kind, near, far, far_label in rows:
                found.setdefault((near, kind), {})[far] = far_label
            named: dict[str, list[str]] = {}
            for (_, kind), neighbours in found.items():
                for node_id in first_in_context(neighbours, 1 if kind == "container" else CONTEXT_PER_RELATION):
                    named.setdefault(neighbours[node_id], []).append(node_id)
            names: dict[str, str] = {}
            if named:
                labels = sorted(named)
                script = "\n".join([f"ids{i}[id] <- $ids{i}" for i in range(len(labels))]
                                   + [f"?[id, q, p] := ids{i}[id], *{label}{{id, qualified_name: q, file_path: p}}"
                                      for i, label in enumerate(labels)])
                names = {node_id: (name or id_name(node_id), file_path) for node_id, name, file_path in
                         run(script, {f"ids{i}": [[node_id] for node_id in set(named[label])] for i, label in enumerate(labels)})["rows"]}
            nears = {near for near, _ in found} if part is None else part
            contexts = []
            for near in nears:
                relations = {kind: first_names((names[n] for n in found.get((near, kind), {}) if n in names),
                                               1 if kind == "container" else CONTEXT_PER_RELATION)
                             for kind in ("container", "caller", "callee")}
                contexts.append([near, relations["container"][0] if relations["container"] else "",
                                 relations["caller"], relations["callee"]])
            for text in TEXT_RELATIONS:
                for begin in range(0, len(contexts), PUT_BATCH_ROWS):
                    run(f"new[id, container, callers, callees] <- $rows ?[id, container, callers, callees] := "
                        f"new[id, container, callers, callees], *{text}{{id}} :update {text} {{id => container, callers, callees}}",
                        {"rows": contexts[begin:begin + PUT_BATCH_ROWS]})

    def _clear_statement(self, relation: str) -> str:
        if relation in NODE_LABEL_BY_NAME:
            key = node_fields(relation)[0]
            return f"?[{key}] := *{relation}{{{key}}} :rm {relation} {{{key}}}"
        return f"?[from, to] := *{relation}{{from, to}} :rm {relation} {{from, to}}"

    @staticmethod
    def _timed(report: LoadReport, table: str, rows: int, action: Any) -> None:
        started = time.perf_counter()
        action()
        report.tables.append(TableLoad(table, rows, "put", time.perf_counter() - started))

    @contextmanager
    def _transaction(self, client: "Client") -> Iterator[Any]:
        """One write transaction; yields its `run(statement, params)`. Committed at the end, aborted
        on any error (nothing of it is then visible)."""
        transaction = client.multi_transact(True)

        def run(statement: str, parameters: dict[str, Any]) -> Any:
            self.write_stats.batches += 1
            self.write_stats.rows += sum(len(rows) for rows in parameters.values())
            try:
                return transaction.run(statement, parameters)
            except Exception as error:
                raise StoreError(f"writing to the CozoDB store {self.display} failed: {cozo_error(error)}") from None

        try:
            yield run
        except BaseException:
            transaction.abort()
            raise
        try:
            transaction.commit()
        except Exception as error:
            raise StoreError(f"committing to the CozoDB store {self.display} failed: {cozo_error(error)}") from None

    # --- symbol vectors (search/cozo.py) --------------------------------------------------------

    def vector_model(self) -> tuple[str, str]:
        """(model spec, model id) of the vectors the store holds; empty when it holds none."""
        try:
            meta = dict(self.run("?[k, v] := *SearchMeta{key: k, value: v}"))
        except QueryError:  # a store written before SearchMeta was part of every store, without vectors
            return "", ""
        return meta.get("embedding_model", ""), meta.get("embedding_model_id", "")

    def check_search_shelves(self) -> set[str]:
        """The store's relations; a store written before the search shelves (`SEARCH_SHELVES`) is
        refused with what to do, rather than searched or patched half-way."""
        relations = self._relations()
        if "SymbolName" in relations and (not set(TEXT_RELATIONS) <= relations or "folded" not in {
                row[0] for row in self._run("::columns SymbolName", None, immutable=True).rows}):
            raise StoreError(f"the CozoDB store {self.display} was written by an earlier codekg, without its search "
                             "shelves: rebuild it with `codekg index --full`")
        if "SymbolName" in relations and self._shelf_labels() != _shelf_labels_now():
            raise StoreError(f"the CozoDB store {self.display} was written by an earlier codekg, whose search shelves "
                             f"do not hold every kind of symbol search finds ({_shelf_labels_now().replace(',', ', ')}): "
                             "rebuild it with `codekg index --full`")
        return relations

    def _shelf_labels(self) -> str:
        rows = self._run("?[value] := *SearchMeta{key: 'shelf_labels', value}", None, immutable=True).rows
        return rows[0][0] if rows else ""

    def sync_vectors(self, spec: str, model_id: str, current: dict[str, tuple[str, list[float]]]) -> dict[str, int]:
        """Make the shelves' vector relations (`SEARCH_SHELVES`) hold ``current`` (id -> (text hash,
        vector)) under HNSW indexes, each vector on the shelf of its symbol's text: the vectors whose
        text changed are put, those of symbols gone removed; another model (or none) replaces them
        all. Returns what was written."""
        with nullcontext() if self.directory is None else self.directory.writer_lock():
            relations = self.check_search_shelves()
            held_spec, held_id = self.vector_model()
            dimension = len(next(iter(current.values()))[1]) if current else 0
            dropped = 0
            if held_id and (held_id != model_id or not current):
                for vector in VECTOR_RELATIONS:
                    dropped += self.run(f"?[count(id)] := *{vector}{{id}}")[0][0]
                    self._execute(f"::hnsw drop {vector}:hnsw")
                    self._execute(f"::remove {vector}")
                self._execute("?[key] := *SearchMeta{key} :rm SearchMeta {key}")
                held_id = ""
            if not current:
                return {"vectors_put": 0, "vectors_removed": dropped}
            if not held_id:
                if "SearchMeta" not in relations:
                    self._execute(":create SearchMeta {key: String => value: String}")
                for vector in VECTOR_RELATIONS:
                    self._execute(f":create {vector} {{id: String => hash: String, vec: <F32; {dimension}>}}")
                    self._execute(f"::hnsw create {vector}:hnsw {{dim: {dimension}, m: {HNSW_M}, dtype: F32, fields: [vec], "
                                  f"distance: Cosine, ef_construction: {HNSW_EF_CONSTRUCTION}}}")
            aside = {row[0] for row in self.run(f"?[id] := *{SEARCH_SHELVES[True][0]}{{id}}")}
            writes = {}
            for secondary, (_, vector) in SEARCH_SHELVES.items():
                held = dict(self.run(f"?[id, hash] := *{vector}{{id, hash}}"))
                writes[vector] = ([[i, text_hash, values] for i, (text_hash, values) in current.items()
                                   if (i in aside) == secondary and held.get(i) != text_hash],
                                  [[i] for i in held if i not in current or (i in aside) != secondary])
            with self._transaction(self._live()) as run:
                for vector, (changed, gone) in writes.items():
                    for start in range(0, len(changed), VECTOR_BATCH_ROWS):
                        run(f"rows[id, hash, x] <- $rows ?[id, hash, vec] := rows[id, hash, x], vec = vec(x) "
                            f":put {vector} {{id, hash, vec}}", {"rows": changed[start:start + VECTOR_BATCH_ROWS]})
                    if gone:
                        run(f"?[id] <- $ids :rm {vector} {{id}}", {"ids": gone})
                put, removed = (sum(len(write[n]) for write in writes.values()) for n in (0, 1))
                run("?[key, value] <- $rows :put SearchMeta {key, value}",
                    {"rows": [["embedding_model", spec], ["embedding_model_id", model_id]]})
            return {"vectors_put": put, "vectors_removed": removed + dropped}

    # --- migrations (stores/migrations.py) ------------------------------------------------------

    def migrate(self, plan: Any) -> None:
        """Run ``plan`` on a copy of the live database, then publish the copy: a step that fails (or a
        kill) leaves the live database, at its old version, as it was."""
        from codekg.stores.migrations import apply_migrations

        if self.directory is None:
            raise StoreError(f"{self.display} lives in this process only: there is no stored index to migrate")
        with self.directory.writer_lock():
            live = self.directory.current()
            if live is None:
                raise IndexNotFoundError(f"no codekg index in {self.display}; run `codekg index --store {self.display}` first")
            engine = self.directory.engine_of(live)
            self.close()
            copy = self.directory.new_build(engine)
            try:
                shutil.copytree(live, copy) if live.is_dir() else shutil.copyfile(live, copy)
                self.client = open_client(engine, str(copy))
                try:
                    apply_migrations(self, plan)
                finally:
                    self.close()
                self.directory.publish(copy)
            except BaseException:
                self.directory.remove(copy)
                raise

    def add_property(self, label: str, name: str, prop_type: PropType, default: Any) -> None:
        columns = self._columns(label)
        if name not in columns:
            fields = list(columns)
            self._rebuild(label, {**columns, name: f"{_COZO_TYPES[prop_type]} default {_literal(default)}"},
                          f"?[{', '.join([*fields, name])}] := *{label}{{{', '.join(fields)}}}, {name} = {_literal(default)}")

    def drop_property(self, label: str, name: str) -> None:
        columns = self._columns(label)
        if name in columns:
            del columns[name]
            fields = list(columns)
            self._rebuild(label, columns, f"?[{', '.join(fields)}] := *{label}{{{', '.join(fields)}}}")

    def add_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                   added_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """New relations as schema.py declares them; an edge relation holds any endpoint pair already."""
        existing = self._relations()
        for label in labels:
            if label not in existing:
                self._execute(node_relation_ddl(label))
        for rel_type in rel_types:
            if rel_type not in existing:
                self._execute(edge_relation_ddl(rel_type))
                self._execute(f"::index create {rel_type}:by_to {{to, from}}")

    def drop_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                    dropped_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        existing = self._relations()
        for rel_type, pairs in dropped_pairs.items():
            for source, target in pairs:
                self._execute(f"?[from, to] := *{rel_type}{{from, to, from_label, to_label}}, from_label == {_literal(source)}, "
                              f"to_label == {_literal(target)} :rm {rel_type} {{from, to}}")
        for rel_type in rel_types:
            if rel_type in existing:
                self._execute(f"::index drop {rel_type}:by_to")
                self._execute(f"::remove {rel_type}")
        for label in labels:
            if label in existing:
                self._execute(f"::remove {label}")

    def set_properties(self, label: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            fields = list(rows[0])
            for start in range(0, len(rows), PUT_BATCH_ROWS):
                batch = [[row[f] for f in fields] for row in rows[start:start + PUT_BATCH_ROWS]]
                self._execute(f"?[{', '.join(fields)}] <- $rows :update {label} {{{', '.join(fields)}}}", {"rows": batch})

    def set_metadata(self, key: str, value: str) -> None:
        self._execute(f"?[key, value] <- [[$key, $value]] :put {METADATA_LABEL} {{key, value}}", {"key": key, "value": value})

    def _columns(self, label: str) -> dict[str, str]:
        """Each column of ``label``'s relation and its declaration (key first)."""
        rows = self._run(f"::columns {label}", None, immutable=True).rows
        return {name: f"{kind} default {_EMPTY_LITERALS.get(kind, 'null')}" if not is_key else kind
                for name, is_key, _, kind, _ in sorted(rows, key=lambda row: row[2])}

    def _rebuild(self, label: str, columns: dict[str, str], query: str) -> None:
        key, *rest = columns.items()
        schema = f"{key[0]}: {key[1]} => " + ", ".join(f"{name}: {declared}" for name, declared in rest)
        self._execute(f"{query} :replace {label} {{{schema}}}")

    def _relations(self) -> set[str]:
        return {row[0] for row in self._run("::relations", None, immutable=True).rows}

    def _execute(self, script: str, parameters: dict[str, Any] | None = None) -> None:
        """A write of codekg's own (a migration's DDL and values)."""
        self._run(script, parameters, immutable=False)

    # --- reading ---------------------------------------------------------------------------------

    @property
    def reads(self) -> "CozoReads":
        """The query layer (stores/reads.py) in CozoScript."""
        from codekg.stores.reads_cozo import CozoReads

        return CozoReads(self)

    def run(self, script: str, parameters: dict[str, Any] | None = None) -> list[list[Any]]:
        """Rows of one of codekg's own read scripts (never a user's: see `query`)."""
        return self._run(script, parameters, immutable=True).rows

    def query(self, script: str, parameters: dict[str, Any] | None = None, max_rows: int | None = None) -> QueryResult:
        """Run a CozoScript query: the store's own language (`codekg query` on a Cozo store). Read-only
        unless the store was opened for writing; a rejected script raises QueryError."""
        if self.query_timeout and ":timeout" not in script and not script.lstrip().startswith(("{", "::")):
            script = f"{script}\n:timeout {self.query_timeout}"
        with _rust_panics_silenced():  # a script the engine cannot plan may panic in Rust: its message is the error
            result = self._run(script, parameters, immutable=self.read_only)
        if max_rows is not None:
            del result.rows[max_rows:]
        return result

    def _run(self, script: str, parameters: dict[str, Any] | None, immutable: bool) -> QueryResult:
        client = self._live()
        try:
            found = client.run(script, parameters or {}, immutable=immutable)
        except BaseException as error:  # a Rust panic in the engine is a BaseException
            if isinstance(error, (KeyboardInterrupt, SystemExit)):
                raise
            message = cozo_error(error)
            if not isinstance(error, Exception):
                message = f"the CozoDB engine failed on this script ({message}): check its syntax (docs/stores.md)"
            elif "write lock required" in message or "read-only mode" in message:
                message = f"this store is opened read-only; {message}"
            elif "killed before completion" in message and self.query_timeout:
                message = f"the query ran longer than {self.query_timeout:g} s and was stopped (query_timeout_seconds)"
            elif _CYPHER_START.match(script):
                message = f"{message} (a cozo:// store speaks CozoScript, not Cypher: docs/stores.md)"
            raise QueryError(message) from None
        return QueryResult(list(found["headers"]), [list(row) for row in found["rows"]])

    def explain(self, script: str, parameters: dict[str, Any] | None = None) -> str | None:
        return None

    def read_metadata(self) -> dict[str, str]:
        if self.client is None:
            self.client = self._open_live()
            if self.client is None:
                return {}
        return {key: value for key, value in self.run(f"?[k, v] := *{METADATA_LABEL}{{key: k, value: v}}")}

    def read_nodes(self, label: str) -> list[dict[str, Any]]:
        """Every node of ``label``, each a dict of every schema property, sorted by primary key."""
        fields = node_fields(label)
        rows = self.run(f"?[{', '.join(fields)}] := *{label}{{{', '.join(fields)}}} :order {fields[0]}")
        return [dict(zip(fields, row)) for row in rows]

    def read_edges(self, key: EdgeKey) -> list[dict[str, Any]]:
        """The edges of one (type, source label, target label) table, as `read_graph` returns them."""
        rel_type, source, target = key
        properties = [p.name for p in REL_TYPE_BY_NAME[rel_type].properties]
        head = ", ".join(["a", "b", *properties])
        bound = ", ".join(["from: a", "to: b", "from_label", "to_label", *properties])
        rows = self.run(f"?[{head}] := *{rel_type}{{{bound}}}, from_label = $source, to_label = $target :order a, b",
                        {"source": source, "target": target})
        return [{"from": row[0], "to": row[1], **dict(zip(properties, row[2:]))} for row in rows]

    def count(self, relation: str) -> int:
        key = "from" if relation in REL_TYPE_BY_NAME else node_fields(relation)[0]
        return self.run(f"?[count(k)] := *{relation}{{{key}: k}}")[0][0]

    def set_query_timeout(self, seconds: float) -> None:
        self.query_timeout = seconds

    def close(self) -> None:
        if self.client is not None and self._shared_build is not None:
            assert self.directory is not None
            _shared_clients.release(self._shared_build, self.directory.current())
        elif self.client is not None and self.client not in _memory_clients.values():
            self.client.close()
        self.client, self._shared_build = None, None

    def __enter__(self) -> "CozoStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _table_name(key: EdgeKey) -> str:
    rel_type, source, target = key
    return f"{rel_type}({source}->{target})"


_CONTEXT_REL_TYPES = frozenset(rel_type for _, rel_type, _ in CONTEXT_EDGES)


def first_in_context(neighbours: dict[str, str], count: int) -> list[str]:
    """Of ``neighbours`` (id -> label), those that can be among the ``count`` first in a hit's context
    (search/hybrid.py `context_order`: the code's first, then by qualified name): every one whose
    label is not a searchable symbol's, and the symbols whose id's place is among the ``count``
    first, all that share one. A symbol's id is `<label>:<file_path>:<qualified_name>` (`#2` after a
    second definition of the name), so the ids tell which to name: naming every neighbour would cost
    a lookup each."""
    from codekg.search.hybrid import context_order
    from codekg.search.store import INDEXED_LABELS

    places = {node_id: context_order(_DEFINITION_NUMBER.sub("", parts[2]), parts[1])  # a path with a colon: named, always
              for node_id, label in neighbours.items() if label in INDEXED_LABELS and node_id.count(":") == 2
              for parts in [node_id.split(":", 2)]}
    first = sorted(set(places.values()))[:count]
    return [node_id for node_id in neighbours if node_id not in places or (first and places[node_id] <= first[-1])]
