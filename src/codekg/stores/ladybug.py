"""The embedded store: a Ladybug (Kuzu fork) database file per index build.

Tables are bulk-loaded with `COPY … FROM` an Arrow table; a table whose COPY fails is written
again through UNWIND/MERGE, and the fallback is logged. An index directory holds each build in its
own file and a `CURRENT` pointer that is swapped atomically once a build is complete, so an
interrupted run leaves the previous index intact and queryable.
"""

from __future__ import annotations

import fcntl
import threading
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from codekg.errors import IndexLockedError, InputError, IndexNotFoundError, QueryError, SchemaVersionError, StoreError
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.interrupts import raise_if_interrupted
from codekg.schema import NODE_LABEL_BY_NAME, REL_TYPE_BY_NAME, SCHEMA_VERSION, ddl_statements
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult, TableLoad

log = logging.getLogger(__name__)

CURRENT_POINTER = "CURRENT"
LOCK_FILE = "index.lock"
GRAPH_PREFIX = "graph-"
GRAPH_SUFFIX = ".lbdb"
MERGE_BATCH_ROWS = 2000
_OPEN_LOCK = threading.Lock()
INTERRUPTED = "Interrupted"  # how Ladybug reports a query stopped by SIGINT


class LadybugStore:
    """One database file, opened for writing (a new build) or read-only (queries)."""

    def __init__(self, path: Path, settings: Settings, read_only: bool = False) -> None:
        self.path = path
        self.settings = settings
        import ladybug  # imported with the first database: a re-run with no change never opens one

        try:
            with _OPEN_LOCK:  # Ladybug loads its C library on the first open, racily across threads
                self._database = ladybug.Database(
                    str(path),
                    read_only=read_only,
                    max_db_size=settings.max_db_size,
                    buffer_pool_size=settings.buffer_pool_size,
                )
                self._connection = ladybug.Connection(self._database)
        except RuntimeError as error:
            raise StoreError(f"cannot open the graph database {path}: {error}") from None

    @classmethod
    def create(cls, path: Path, settings: Settings) -> "LadybugStore":
        store = cls(path, settings)
        for statement in ddl_statements():
            store._execute(statement)
        return store

    # --- writing ---------------------------------------------------------------------------------

    def write_tables(self, delta: GraphTables) -> LoadReport:
        """Write every node table, then every edge table (edges need their endpoints in place)."""
        report = LoadReport()
        for label, table in delta.nodes.items():
            report.tables.append(self._write_nodes(label, table))
        for (rel_type, source, target), table in delta.edges.items():
            report.tables.append(self._write_edges(rel_type, source, target, table))
        return report

    def _write_nodes(self, label: str, table: pa.Table) -> TableLoad:
        copy_statement = f"COPY {label} FROM $arrow_rows" if table.num_rows >= self.settings.copy_min_node_rows else None
        return self._write_table(label, table, copy_statement, node_merge_statement(label))

    def _write_edges(self, rel_type: str, source: str, target: str, table: pa.Table) -> TableLoad:
        return self._write_table(
            f"{rel_type}({source}->{target})", table,
            f"COPY {rel_type} FROM $arrow_rows (from='{source}', to='{target}')",
            edge_merge_statement(rel_type, source, target),
        )

    def _write_table(self, name: str, table: pa.Table, copy_statement: str | None, merge_statement: str) -> TableLoad:
        """COPY the table; if the database rejects it (or there is no COPY for it), write it row batch
        by row batch through MERGE."""
        started = time.perf_counter()
        error_text = ""
        if self.settings.load_strategy == "copy" and copy_statement is not None:
            try:
                self._execute(copy_statement, {"arrow_rows": table})
                return TableLoad(name, table.num_rows, "copy", time.perf_counter() - started)
            except QueryError as error:
                error_text = str(error).splitlines()[0][:300]
                log.warning("COPY into %s failed (%s); writing it through MERGE instead", name, error_text)
        for batch in table.to_batches(max_chunksize=MERGE_BATCH_ROWS):
            self._execute(merge_statement, {"rows": batch.to_pylist()})
        return TableLoad(name, table.num_rows, "merge", time.perf_counter() - started, error_text)

    def apply_delta(self, delta: GraphDelta, metadata: Graph) -> None:
        """Apply ``delta`` and replace the IndexMeta nodes with ``metadata``, in one transaction: an
        error or an interrupt rolls everything back and the index stays as it was."""
        self._execute("BEGIN TRANSACTION")
        try:
            for (rel_type, source, target), pairs in delta.removed_edges.items():
                rows = [{"from": a, "to": b} for a, b in pairs]
                self._in_batches(edge_delete_statement(rel_type, source, target), rows)
            for label, ids in delta.removed_nodes.items():
                key = NODE_LABEL_BY_NAME[label].properties[0].name
                self._in_batches(f"UNWIND $rows AS row MATCH (n:{label} {{{key}: row}}) DETACH DELETE n", ids)
            self._execute("MATCH (m:IndexMeta) DELETE m")
            for label, rows in [*delta.updated_nodes.nodes.items(), *delta.added.nodes.items(), *metadata.nodes.items()]:
                self._in_batches(node_merge_statement(label), rows)
            for (rel_type, source, target), rows in delta.added.edges.items():
                self._in_batches(edge_create_statement(rel_type, source, target), rows)
            self._execute("COMMIT")
        except BaseException:
            try:
                self._connection.execute("ROLLBACK")
            except RuntimeError:
                pass  # the database already rolled the failed transaction back
            raise

    def _in_batches(self, statement: str, rows: list[Any]) -> None:
        for start in range(0, len(rows), MERGE_BATCH_ROWS):
            self._execute(statement, {"rows": rows[start : start + MERGE_BATCH_ROWS]})

    # --- reading ---------------------------------------------------------------------------------

    def query(self, cypher: str, parameters: dict[str, Any] | None = None) -> QueryResult:
        result = self._execute(cypher, parameters)
        if isinstance(result, list):
            result = result[-1]
        rows = []
        while result.has_next():
            rows.append(result.get_next())
        return QueryResult(list(result.get_column_names()), rows)

    def read_metadata(self) -> dict[str, str]:
        return {key: value for key, value in self.query("MATCH (m:IndexMeta) RETURN m.key, m.value").rows}

    def set_query_timeout(self, seconds: float) -> None:
        """Stop any later query of this store that runs longer than ``seconds`` (a QueryError)."""
        self._connection.set_query_timeout(max(1, int(seconds * 1000)))

    def close(self) -> None:
        self._connection.close()
        self._database.close()

    def _execute(self, statement: str, parameters: dict[str, Any] | None = None) -> Any:
        try:
            result = self._connection.execute(statement, parameters or {})
        except RuntimeError as error:
            if str(error).startswith(INTERRUPTED):
                # Ladybug turns Ctrl-C into a query error; it must stop the run, not trigger the fallback.
                raise KeyboardInterrupt from None
            raise QueryError(str(error)) from None
        raise_if_interrupted()
        return result


def node_merge_statement(label: str) -> str:
    """The fallback writer for one node table: MERGE on the primary key, then set every property."""
    spec = NODE_LABEL_BY_NAME[label]
    key = spec.properties[0].name
    assignments = ", ".join(f"n.{name} = row.{name}" for name in spec.property_names[1:])
    return f"UNWIND $rows AS row MERGE (n:{label} {{{key}: row.{key}}}) SET {assignments}"


def edge_merge_statement(rel_type: str, source: str, target: str) -> str:
    """The fallback writer for one edge table.

    Two MATCH clauses, not one with a comma: the comma form is planned as a cross product of both
    node tables, which exhausts the buffer pool on real graphs; this form looks up each primary key.
    """
    names = REL_TYPE_BY_NAME[rel_type].property_names
    assignments = (" SET " + ", ".join(f"e.{name} = row.{name}" for name in names)) if names else ""
    source_key = NODE_LABEL_BY_NAME[source].properties[0].name
    target_key = NODE_LABEL_BY_NAME[target].properties[0].name
    return (
        f"UNWIND $rows AS row MATCH (a:{source} {{{source_key}: row.from}}) MATCH (b:{target} {{{target_key}: row.to}}) "
        f"MERGE (a)-[e:{rel_type}]->(b){assignments}"
    )


def edge_create_statement(rel_type: str, source: str, target: str) -> str:
    """Adds edges whose endpoints exist (an incremental delta): CREATE, as the edge is known to be new."""
    return edge_merge_statement(rel_type, source, target).replace(" MERGE (a)-[e:", " CREATE (a)-[e:", 1)


def edge_delete_statement(rel_type: str, source: str, target: str) -> str:
    source_key = NODE_LABEL_BY_NAME[source].properties[0].name
    target_key = NODE_LABEL_BY_NAME[target].properties[0].name
    return (
        f"UNWIND $rows AS row MATCH (a:{source} {{{source_key}: row.from}})-[e:{rel_type}]->"
        f"(b:{target} {{{target_key}: row.to}}) DELETE e"
    )


class IndexDirectory:
    """`<db>/CURRENT` names the live graph file; builds go to new files and are published atomically."""

    def __init__(self, db_dir: Path) -> None:
        self.db_dir = db_dir

    def current_graph(self) -> Path | None:
        try:
            name = (self.db_dir / CURRENT_POINTER).read_text("utf-8").strip()
        except OSError:
            return None
        path = self.db_dir / name
        return path if name and path.exists() else None

    def open_current(self, settings: Settings, read_only: bool = True) -> LadybugStore:
        """The live index (read-only unless asked otherwise), after checking it was written with this
        schema version. A writable store must only be opened under `writer_lock`."""
        path = self.current_graph()
        if path is None:
            raise IndexNotFoundError(f"no codekg index in {self.db_dir}; run `codekg index` first")
        store = LadybugStore(path, settings, read_only=read_only)
        found = store.query("MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value").rows
        version = int(found[0][0]) if found else 0
        if version != SCHEMA_VERSION:
            store.close()
            raise SchemaVersionError(
                f"the index in {self.db_dir} has schema version {version}, this codekg uses {SCHEMA_VERSION}; "
                "re-index with `codekg index`" if version < SCHEMA_VERSION else
                f"the index in {self.db_dir} was written by a newer codekg (schema version {version}); upgrade codekg"
            )
        return store

    def new_build_path(self) -> Path:
        self.db_dir.mkdir(parents=True, exist_ok=True)
        return self.db_dir / f"{GRAPH_PREFIX}{time.time_ns()}-{os.getpid()}{GRAPH_SUFFIX}"

    def publish(self, build: Path) -> None:
        """Make ``build`` the live index in one atomic rename, then drop the builds it replaces."""
        pointer = self.db_dir / CURRENT_POINTER
        temporary = self.db_dir / f"{CURRENT_POINTER}.{os.getpid()}.tmp"
        temporary.write_text(build.name + "\n", "utf-8")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, pointer)
        directory = os.open(self.db_dir, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        self.remove_stale_builds()

    def remove_stale_builds(self) -> None:
        """Delete build files (and their side files) that CURRENT does not name: leftovers of interrupted runs."""
        current = self.current_graph()
        keep = current.name if current is not None else None
        for entry in self.db_dir.glob(f"{GRAPH_PREFIX}*"):
            if keep is not None and entry.name.startswith(keep):
                continue
            try:
                entry.unlink()
            except OSError as error:
                log.warning("could not remove stale build %s: %s", entry, error)
        for entry in self.db_dir.glob(f"{CURRENT_POINTER}.*.tmp"):
            entry.unlink(missing_ok=True)

    @contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Only one indexer per index directory at a time."""
        if self.db_dir.exists() and not self.db_dir.is_dir():
            raise InputError(f"the index location {self.db_dir} is a file, not a directory")
        try:
            self.db_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create the index directory {self.db_dir}: {error.strerror or error}") from None
        with open(self.db_dir / LOCK_FILE, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise IndexLockedError(f"another codekg index run is writing {self.db_dir}") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
