"""The embedded store: a Ladybug (Kuzu fork) database file per index build.

Tables are bulk-loaded with `COPY … FROM` an Arrow table (unless `bulk_copy` is off); a table whose
COPY fails is written again through UNWIND/MERGE, and the failure is logged and counted by kind. An
index directory holds each build in its own file and a `CURRENT` pointer that is swapped atomically
once a build is complete, so an interrupted run leaves the previous index intact and queryable.

A delta is committed to the live build in place. A writer killed while Ladybug checkpoints that
commit leaves the file needing a read-write open to finish the checkpoint (a read-only open is
refused): the first reader to find it so does that once, under the writer lock, or waits for the
index run that holds the lock to do it. While a delta is being committed, `<build>.pending` names
the generation it carries: until the run has recorded that generation in its state too, the graph
itself says which generation is live.
"""

from __future__ import annotations

import functools

import fcntl
import threading
import logging
import os
import re
import shutil
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

from codekg import metrics
from codekg.errors import (
    IndexLockedError,
    IndexNotFoundError,
    InputError,
    MigrationError,
    QueryError,
    SchemaVersionError,
    StoreError,
)
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.interrupts import deferred_interrupts, raise_if_interrupted
from codekg.schema import NODE_LABEL_BY_NAME, REL_TYPE_BY_NAME, SCHEMA_VERSION, PropType, ddl_statements
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult, TableLoad
from codekg.query_guard import align_marker, expand_code_element
from codekg.stores.copy_failures import classify_copy_failure
from codekg.stores.dialect import LADYBUG
from codekg.stores.reads_cypher import CypherReads
from codekg.schema import cypher_label
from codekg.stores.migrations import (
    MIGRATIONS,
    Migration,
    MigrationPlan,
    apply_migrations,
    plan_migrations,
    stored_schema_version,
)

log = logging.getLogger(__name__)

CURRENT_POINTER = "CURRENT"
LOCK_FILE = "index.lock"
GRAPH_PREFIX = "graph-"
GRAPH_SUFFIX = ".lbdb"
PENDING_SUFFIX = ".pending"
MERGE_BATCH_ROWS = 2000
# The page cache a bulk load needs grows with the whole graph, not with one table: Ladybug 0.22 keeps
# what it wrote pinned, checkpoints or not (docs/benchmarks.md §18: synthetic graphs of 63 MB and
# 258 MB of Arrow rows needed 128-144 MB and 256-320 MB), and each table written pins about half a
# megabyte more (§21: fastapi, 19.5 MB in 90 tables, needed 140-150 MB; pydantic, 23.2 MB in 100,
# 150-160). Short of it, a COPY (and the MERGE after it) fails with "the buffer pool is full";
# `build` then starts the build again with twice the page cache.
LOAD_POOL_FIXED = 64 * 1024 * 1024
LOAD_POOL_FACTOR = 2.0
LOAD_POOL_PER_TABLE = 768 * 1024
# What writing a table holds of the database's memory until it is closed, checkpoint or not: a COPY
# into a node table reserves a whole node group (2^17 rows) per column, however few its rows; a MERGE
# grows with its rows; a relationship table holds little (docs/benchmarks.md §27, fitted to pydantic's
# tables with some to spare). A load closes and opens the database again before what it holds would
# pass PINNED_BUDGET.
PINNED_PER_NODE_TABLE = 16 * 1024 * 1024
PINNED_PER_COLUMN = 1024 * 1024
PINNED_PER_MERGED_TABLE = 4 * 1024 * 1024
PINNED_PER_MERGED_VALUE = 1024
PINNED_PER_EDGE_TABLE = 256 * 1024
PINNED_BUDGET = 96 * 1024 * 1024
# The tables a build gets late (pipeline.py) against the first, at most: the calls the value flow
# decides, pydantic 0.3 and fastapi 0.2 (docs/benchmarks.md §25); what the resolve pass adds to the
# structure pass's rows, fastapi 0.34, pydantic 0.40, sympy 0.63 (§36). A shortfall costs a build attempt.
LATE_TABLES_SHARE = 1.0
BUILD_ATTEMPTS = 3  # a build whose page cache proves too small is started again with twice as much
_OPEN_LOCK = threading.Lock()
# How long a reader that finds a checkpoint to finish waits for the index run holding the lock.
RECOVERY_WAIT_SECONDS = 10.0
# What Ladybug says when a read-only open finds a checkpoint a killed writer left half done, and
# the files that checkpoint leaves beside the database.
_RECOVERY_MESSAGES = ("checkpoint recovery is pending", "replay shadow pages under read-only mode")
_RECOVERY_FILES = (".shadow", ".wal.checkpoint")
LOG_SUFFIX = ".wal"  # the write-ahead log Ladybug keeps beside a database file
# A delta leaves its write-ahead log beside the database, unfolded, while the log is smaller than
# this. Folding it into the file at close (a checkpoint) cost a one-line edit of fastapi/routing.py
# (a 170 KB log) 0.15-0.18 s of its 1.1 s: every CSR node group an edge update touches is rewritten.
# A read-only open replays a kept log, at about 75 ms a MB: at most some 20 ms more for each reader.
# The first delta past this size folds every kept one at once (40 deltas: 0.57 s in one checkpoint,
# 6 s one by one). docs/benchmarks.md §30.
LOG_KEPT_BYTES = 256 * 1024
_held_locks: dict[Path, int] = {}  # index directory -> the thread of this process holding its writer lock
INTERRUPTED = "Interrupted"  # how Ladybug reports a query stopped by SIGINT, or by its query timeout


class LadybugStore:
    """One database file, opened for writing (a new build) or read-only (queries)."""

    dialect = LADYBUG

    def __init__(self, path: Path, settings: Settings, read_only: bool = False, buffer_pool_size: int = 0) -> None:
        """``buffer_pool_size``: at least this much page cache (a new build, sized to its graph);
        the `buffer_pool_size` setting otherwise."""
        self.path = path
        self.settings = settings
        self.buffer_pool_size = max(buffer_pool_size, settings.buffer_pool_size)
        self._query_timeout: float | None = None  # seconds, as Ladybug applies it
        try:
            str(path).encode("utf-8")
        except UnicodeEncodeError:
            shown = str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            raise InputError(f"the index path {shown} is not valid UTF-8, which the embedded database cannot "
                             "open: pass --db with a UTF-8 path") from None
        self._read_only = read_only
        self._open()

    def _open(self) -> None:
        import ladybug  # imported with the first database, not with the package

        try:
            with _OPEN_LOCK:  # Ladybug loads its C library on the first open, racily across threads
                self._database = ladybug.Database(
                    str(self.path),
                    read_only=self._read_only,
                    max_db_size=self.settings.max_db_size,
                    buffer_pool_size=self.buffer_pool_size,
                )
                self._connection = ladybug.Connection(self._database)
        except RuntimeError as error:
            raise StoreError(f"cannot open the graph database {self.path}: {error}") from None

    @classmethod
    def create(cls, path: Path, settings: Settings, buffer_pool_size: int = 0) -> "LadybugStore":
        """A new database with every table of the schema and at least ``buffer_pool_size`` of page cache."""
        store = cls(path, settings, buffer_pool_size=buffer_pool_size)
        try:
            with store.transaction():  # one commit for the fifty tables: each alone committed (and checkpointed)
                for statement in ddl_statements():
                    store._execute(statement)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def build(cls, path: Path, settings: Settings, tables: GraphTables, metadata: Callable[[], Graph],
              buffer_pool_size: int = 0, late: Callable[[], GraphTables] | None = None) -> LoadReport:
        """Write the new database ``path`` holding ``tables``, then the tables ``late()`` gives once
        those are written (called once), then ``metadata()`` (called once the graph is written). Its
        page cache is sized to the graph (`load_pool_need`, or ``buffer_pool_size``); when it proves
        too small, the files are removed and the build starts again with twice as much, at most
        BUILD_ATTEMPTS times in all (`LoadReport.page_cache_retries`)."""
        pool = max(buffer_pool_size or load_pool_need(tables, LATE_TABLES_SHARE if late else 0.0), settings.buffer_pool_size)
        late_once = functools.cache(late) if late is not None else None
        attempt = 0
        while True:
            store = cls.create(path, settings, pool)
            try:
                report = store.write_tables(tables, late_once)
                store.write_tables(metadata().to_tables())
                report.page_cache_retries = attempt
                return report
            except PageCacheFullError:
                attempt += 1
                if attempt == BUILD_ATTEMPTS:
                    raise
                log.warning("the graph did not fit a page cache of %d MiB; building it again with %d MiB",
                            pool >> 20, (pool * 2) >> 20)
            finally:
                store.close()
            remove_build_files(path)
            pool *= 2

    # --- writing ---------------------------------------------------------------------------------

    def write_tables(self, delta: GraphTables, then: Callable[[], GraphTables] | None = None) -> LoadReport:
        """Write every node table, then every edge table (edges need their endpoints in place); then
        the same for the tables ``then()`` gives, if any (no table of ``delta``). The database
        checkpoints once, at the end: after each COPY, as it does by default, it cost a third of the
        load of a hundred tables. (One transaction around them all would be cheaper still, but a
        COPY failing inside one crashes Ladybug 0.22 as it rolls back.)"""
        report = LoadReport()
        deferred = self._checkpoint_automatically(False)
        pinned = 0  # what the tables written since the database was opened hold of its memory, estimated
        releasing = deferred  # a database whose checkpoint failed is kept open: its log holds the writes
        try:
            for part in (delta, *([then] if then is not None else [])):
                tables = part if isinstance(part, GraphTables) else part()
                node_writes = [(label, functools.partial(self._write_nodes, label, table), pinned_by_nodes(table, self._copies_nodes(table)))
                               for label, table in tables.nodes.items()]
                edge_writes = [(key, functools.partial(self._write_edges, *key, table), pinned_by_edges(table))
                               for key, table in tables.edges.items()]
                for writes in (node_writes, edge_writes):
                    for key, write, pins in writes:
                        if releasing and pinned and pinned + pins > PINNED_BUDGET:
                            releasing, pinned = self._released(pinned)
                        report.tables.append(write())
                        tables.let_go(key)  # a spilled table's pages: read by the write, no use to the next one
                        pinned += pins
                    if releasing and pinned > PINNED_BUDGET // 2 and writes is node_writes and edge_writes:
                        # what the node tables hold is no use to the edges; a small graph's few megabytes
                        # are not worth a checkpoint and an open (a third of its load: §41)
                        releasing, pinned = self._released(pinned)
            if deferred:
                self._checkpoint()
        finally:
            if deferred:
                self._checkpoint_automatically(True)
        return report

    def _released(self, pinned: int) -> tuple[bool, int]:
        """Checkpoint, close and open the database again: Ladybug 0.22 holds on to memory for every table
        written until it is closed (PINNED_*), so a load of a hundred tables would hold it all at once.
        Gives (still releasing, what is held now): when the checkpoint fails, the database stays open
        with what it holds, and the load goes on without releasing."""
        if not self._checkpoint():
            return False, pinned
        self._connection.close()
        self._database.close()
        self._open()
        self._checkpoint_automatically(False)
        return True, 0

    def _checkpoint(self) -> bool:
        """Fold the write-ahead log into the database file. The writes are committed already: when
        this fails (no file can be opened, the disk is full), the database replays its log at the
        next open, so the failure is logged and the load goes on; but a page cache too small for the
        graph is PageCacheFullError, for `build` to start again with more."""
        try:
            self._execute("CHECKPOINT", check_interrupts=False)
            return True
        except QueryError as error:
            _raise_if_page_cache_full("CHECKPOINT", error)  # every later open would replay into it
            log.warning("checkpoint after the load failed (%s); the database replays its log when next opened",
                        (str(error).splitlines() or [""])[0][:300])
            return False

    def _checkpoint_automatically(self, on: bool) -> bool:
        """Switch the database's checkpoint after each write; False when it could not be (a database
        that cannot open a file: the writes then find the trouble and fall back by themselves)."""
        try:
            self._execute(f"CALL auto_checkpoint={'true' if on else 'false'}", check_interrupts=False)
            return True
        except QueryError:
            return False

    def _copies_nodes(self, table: pa.Table) -> bool:
        return self.settings.bulk_copy and table.num_rows >= self.settings.copy_min_node_rows

    def _write_nodes(self, label: str, table: pa.Table) -> TableLoad:
        copy_statement = f"COPY {cypher_label(label)} FROM $arrow_rows" if self._copies_nodes(table) else None
        return self._write_table(label, table, copy_statement, node_merge_statement(label))

    def _write_edges(self, rel_type: str, source: str, target: str, table: pa.Table) -> TableLoad:
        return self._write_table(
            f"{rel_type}({source}->{target})", table,
            f"COPY {rel_type} FROM $arrow_rows (from='{source}', to='{target}')",
            edge_merge_statement(rel_type, source, target),
        )

    def _write_table(self, name: str, table: pa.Table, copy_statement: str | None, merge_statement: str) -> TableLoad:
        """COPY the table; if the database rejects it (or there is no COPY for it), write it row batch
        by row batch through MERGE. A failed COPY is logged and counted by kind (stores/copy_failures.py)."""
        started = time.perf_counter()
        error_text = failure_kind = ""
        if self.settings.bulk_copy and copy_statement is not None:
            metrics.COPY_ATTEMPTS.inc()
            try:
                self._execute(copy_statement, {"arrow_rows": table})
                return TableLoad(name, table.num_rows, "copy", time.perf_counter() - started)
            except QueryError as error:
                error_text = (str(error).splitlines() or [""])[0][:300]
                failure_kind = classify_copy_failure(error)
                metrics.COPY_FAILURES.labels(failure_kind).inc()
                _raise_if_page_cache_full(f"COPY into {name}", error)  # the MERGE would fail the same way, slowly
                log.warning("COPY into %s (%d rows) failed, %s: %s; writing it through MERGE instead",
                            name, table.num_rows, failure_kind, error_text)
        for batch in table.to_batches(max_chunksize=MERGE_BATCH_ROWS):
            self._execute(merge_statement, {"rows": batch.to_pylist()})
        return TableLoad(name, table.num_rows, "merge", time.perf_counter() - started, error_text, failure_kind)

    def apply_delta(self, delta: GraphDelta, metadata: Graph) -> None:
        """Apply ``delta`` and replace the IndexMeta nodes with ``metadata``, in one transaction: an
        error or an interrupt rolls everything back and the index stays as it was."""
        changed = delta.changed_properties  # set in place: a re-inserted edge costs the checkpoint most
        # an edge of a node deleted below goes with it (DETACH DELETE): a statement of its own matched
        # it first for nothing (an edit above ten function-level imports: 19 of pydantic main.py's 136 ms)
        removed = {node_id for ids in delta.removed_nodes.values() for node_id in ids}
        with self.transaction():
            for edge_key, pairs in delta.removed_edges.items():
                rows = [{"from": a, "to": b} for a, b in pairs
                        if (a, b) not in changed.get(edge_key, {}) and a not in removed and b not in removed]
                self._in_batches(edge_delete_statement(*edge_key), rows)
            for label, ids in delta.removed_nodes.items():
                key = NODE_LABEL_BY_NAME[label].properties[0].name
                self._in_batches(f"UNWIND $rows AS row MATCH (n:{cypher_label(label)} {{{key}: row}}) DETACH DELETE n", ids)
            self._execute("MATCH (m:IndexMeta) DELETE m")
            for label, rows in delta.updated_nodes.nodes.items():
                key = NODE_LABEL_BY_NAME[label].properties[0].name
                in_place = changed.get(label, {})
                self._in_batches(node_merge_statement(label), [row for row in rows if row[key] not in in_place])
                self._set_in_place(lambda names, label=label: node_set_statement(label, names), rows,
                                   lambda row, key=key: in_place.get(row[key]), (key,))
            for label, rows in [*delta.added.nodes.items(), *metadata.nodes.items()]:
                self._in_batches(node_merge_statement(label), rows)
            for edge_key, rows in delta.added.edges.items():
                in_place = changed.get(edge_key, {})
                self._in_batches(edge_create_statement(*edge_key), [row for row in rows if (row["from"], row["to"]) not in in_place])
                self._set_in_place(lambda names, edge_key=edge_key: edge_set_statement(*edge_key, names), rows,
                                   lambda row, in_place=in_place: in_place.get((row["from"], row["to"])), ("from", "to"))
        self._keep_a_small_log()

    def _keep_a_small_log(self) -> None:
        """Close without a checkpoint while the write-ahead log is under LOG_KEPT_BYTES: the delta is
        committed (in the log), and readers replay the log when they open the file."""
        try:
            kept = self.path.with_name(self.path.name + LOG_SUFFIX).stat().st_size < LOG_KEPT_BYTES
        except OSError:
            return  # no log: nothing to keep
        if kept:
            try:
                self._execute("CALL force_checkpoint_on_close=false", check_interrupts=False)
            except QueryError as error:  # the close folds the log as before
                log.warning("cannot keep the write-ahead log unfolded (%s)", (str(error).splitlines() or [""])[0][:300])

    def _set_in_place(self, statement: Any, rows: list[dict[str, Any]], changed_names: Any, keys: tuple[str, ...]) -> None:
        """Rows whose ``changed_names`` are known, grouped by them: one SET of those properties per group."""
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in rows:
            names = changed_names(row)
            if names:
                groups.setdefault(names, []).append({**{k: row[k] for k in keys}, **{name: row[name] for name in names}})
        for names, group in groups.items():
            self._in_batches(statement(names), group)

    def add_property(self, label: str, name: str, prop_type: PropType, default: Any) -> None:
        """The migrations' DDL hook: a new column, ``default`` in every existing row. Ladybug runs it
        inside a transaction and rolls it back with the rest."""
        self._execute(f"ALTER TABLE {cypher_label(label)} ADD {name} {prop_type.value} DEFAULT {cypher_literal(default)}")

    def add_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                   added_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """The migrations' other DDL hook: new tables as schema.py declares them, new endpoint pairs;
        what is there already is left as it is, so a step can run again. A relationship table gets the
        pairs whose node tables exist so far: a later step adds those of labels it brings."""
        from codekg.schema import node_table_ddl, rel_table_ddl

        for label in labels:
            self._execute(node_table_ddl(label, if_not_exists=True))
        existing = {name for name, kind in self.query("CALL show_tables() RETURN name, type").rows if kind == "NODE"}
        for rel_type in rel_types:
            self._execute(rel_table_ddl(rel_type, if_not_exists=True, labels=existing))
        for rel_type, pairs in added_pairs.items():
            for source, target in pairs:
                self._execute(f"ALTER TABLE {rel_type} ADD IF NOT EXISTS FROM {cypher_label(source)} TO {cypher_label(target)}")

    def drop_property(self, label: str, name: str) -> None:
        self._execute(f"ALTER TABLE {cypher_label(label)} DROP {name}")

    def drop_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                    dropped_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """A rollback's DDL: the endpoint pairs, then the relationship tables, then the node tables
        (a node table is dropped once no relationship table names it)."""
        for rel_type, pairs in dropped_pairs.items():
            for source, target in pairs:
                self._execute(f"ALTER TABLE {rel_type} DROP FROM {cypher_label(source)} TO {cypher_label(target)}")
        for name in (*rel_types, *labels):
            self._execute(f"DROP TABLE IF EXISTS {cypher_label(name)}")

    def set_properties(self, label: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            assignments = ", ".join(f"n.{name} = row.{name}" for name in rows[0] if name != "id")
            self._in_batches(f"UNWIND $rows AS row MATCH (n:{cypher_label(label)} {{id: row.id}}) SET {assignments}", rows)

    def set_metadata(self, key: str, value: str) -> None:
        self._execute("MERGE (m:IndexMeta {key: $key}) SET m.value = $value", {"key": key, "value": value})

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction around the block: committed at its end, rolled back on any error or
        interrupt. A Ctrl-C that arrives while COMMIT runs is left to the caller's next check: the
        transaction is committed and must not be reported as rolled back."""
        self._execute("BEGIN TRANSACTION")
        try:
            yield
            self._execute("COMMIT", check_interrupts=False)
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

    def query(self, cypher: str, parameters: dict[str, Any] | None = None, max_rows: int | None = None) -> QueryResult:
        result = self._execute(expand_code_element(cypher), parameters)
        if isinstance(result, list):
            result = result[-1]
        rows = []
        while result.has_next() and (max_rows is None or len(rows) < max_rows):
            rows.append(result.get_next())
        return QueryResult(list(result.get_column_names()), rows)

    @property
    def reads(self) -> CypherReads:
        """The query layer's reads of this store (stores/reads.py)."""
        return CypherReads(self)

    def explain(self, cypher: str, parameters: dict[str, Any] | None = None) -> str:
        """EXPLAIN's physical plan: the operator boxes, each titled `NAME[id]`, as one text. A query
        that is an EXPLAIN already is planned as it is, a PROFILE as an EXPLAIN of the same query (a
        word of the same length: offsets stay); a query the database rejects is reported as the user
        wrote it (`_as_written`)."""
        _check_parameter_values(parameters or {})
        written = _EXPLAINED.match(cypher)
        if written is None:
            explained = f"{_EXPLAIN}{cypher}"
        else:
            explained = cypher[:written.start(1)] + _EXPLAIN.strip() + cypher[written.end(1):]
        try:
            rows = self.query(explained, parameters).rows
        except QueryError as error:
            raise QueryError(_as_written(str(error), written.group(1) if written else None)) from None
        return "\n".join(str(cell) for row in rows for cell in row)


    def read_metadata(self) -> dict[str, str]:
        return {key: value for key, value in self.query("MATCH (m:IndexMeta) RETURN m.key, m.value").rows}

    def set_query_timeout(self, seconds: float) -> None:
        """Stop any later query of this store that runs longer than ``seconds`` (a QueryError)."""
        milliseconds = max(1, int(seconds * 1000))
        self._connection.set_query_timeout(milliseconds)
        self._query_timeout = milliseconds / 1000

    def close(self) -> None:
        self._connection.close()
        self._database.close()

    def _execute(self, statement: str, parameters: dict[str, Any] | None = None, check_interrupts: bool = True) -> Any:
        started = time.perf_counter()
        try:
            result = self._connection.execute(statement, parameters or {})
        except RuntimeError as error:
            if str(error).startswith(INTERRUPTED):
                # A query that ran its full allowance was stopped by the timeout, not by Ctrl-C.
                if self._query_timeout is not None and time.perf_counter() - started >= self._query_timeout:
                    raise QueryError(f"the query ran longer than {self._query_timeout:g} s and was stopped") from None
                # Ladybug turns Ctrl-C into a query error; it must stop the run, not trigger the fallback.
                raise KeyboardInterrupt from None
            raise QueryError(_markers_aligned(str(error))) from None
        if check_interrupts:
            raise_if_interrupted()
        return result


def pinned_by_nodes(table: pa.Table, copied: bool) -> int:
    """What writing the node ``table`` holds of the database's memory until it is closed (PINNED_*):
    a COPY reserves a whole node group per column; a MERGE grows with its rows."""
    if copied:
        return PINNED_PER_NODE_TABLE + PINNED_PER_COLUMN * table.num_columns + table.nbytes
    return PINNED_PER_MERGED_TABLE + PINNED_PER_MERGED_VALUE * table.num_rows * table.num_columns


def pinned_by_edges(table: pa.Table) -> int:
    return PINNED_PER_EDGE_TABLE + table.nbytes // 2


def load_pool_need(tables: GraphTables, more: float = 0.0) -> int:
    """The buffer pool a new database needs to bulk-load ``tables`` (LOAD_POOL_FACTOR), and ``more``
    times as much again for tables still to come."""
    written = [*tables.nodes.values(), *tables.edges.values()]
    size = sum(table.nbytes for table in written)
    return int((1 + more) * (LOAD_POOL_FIXED + int(size * LOAD_POOL_FACTOR) + LOAD_POOL_PER_TABLE * len(written)))


class PageCacheFullError(QueryError):
    """A bulk write found the new database's page cache full: `LadybugStore.build` starts again with more."""


def _raise_if_page_cache_full(what: str, error: QueryError) -> None:
    if classify_copy_failure(error) == "page_cache_full":
        raise PageCacheFullError(f"{what}: {(str(error).splitlines() or [''])[0][:300]}") from None


def remove_build_files(path: Path) -> None:
    """The database file ``path`` and the files Ladybug keeps beside it (its log, its shadow pages);
    not the build's state (`<build>.state`), which another thread may be writing."""
    for suffix in ("", LOG_SUFFIX, *_RECOVERY_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def cypher_literal(value: Any) -> str:
    """``value`` as a Cypher literal, for the one place a parameter cannot go: a DDL default."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(item) for item in value) + "]"
    raise TypeError(f"no Cypher literal for {type(value).__name__}")


def node_merge_statement(label: str) -> str:
    """The fallback writer for one node table: MERGE on the primary key, then set every property."""
    spec = NODE_LABEL_BY_NAME[label]
    key = spec.properties[0].name
    assignments = ", ".join(f"n.{name} = row.{name}" for name in spec.property_names[1:])
    return f"UNWIND $rows AS row MERGE (n:{cypher_label(label)} {{{key}: row.{key}}}) SET {assignments}"


def node_set_statement(label: str, names: tuple[str, ...]) -> str:
    """Sets ``names`` of existing nodes, found by primary key (an update in place)."""
    key = NODE_LABEL_BY_NAME[label].properties[0].name
    assignments = ", ".join(f"n.{name} = row.{name}" for name in names)
    return f"UNWIND $rows AS row MATCH (n:{cypher_label(label)} {{{key}: row.{key}}}) SET {assignments}"


def edge_merge_statement(rel_type: str, source: str, target: str) -> str:
    """The fallback writer for one edge table.

    Two MATCH clauses, not one with a comma: the comma form is planned as a cross product of both
    node tables, which exhausts the buffer pool on real graphs; this form looks up each primary key.
    """
    return _edge_statement(rel_type, source, target, "MERGE", REL_TYPE_BY_NAME[rel_type].property_names)


def edge_create_statement(rel_type: str, source: str, target: str) -> str:
    """Adds edges whose endpoints exist (an incremental delta): CREATE, as the edge is known to be new."""
    return _edge_statement(rel_type, source, target, "CREATE", REL_TYPE_BY_NAME[rel_type].property_names)


def edge_set_statement(rel_type: str, source: str, target: str, names: tuple[str, ...]) -> str:
    """Sets ``names`` of existing edges, found by their endpoints' keys (an update in place)."""
    return _edge_statement(rel_type, source, target, "MATCH", names)


def _edge_statement(rel_type: str, source: str, target: str, verb: str, names: tuple[str, ...]) -> str:
    """Each row's endpoints by primary key, then the edge between them: ``verb`` it, set ``names``."""
    assignments = (" SET " + ", ".join(f"e.{name} = row.{name}" for name in names)) if names else ""
    source_key = NODE_LABEL_BY_NAME[source].properties[0].name
    target_key = NODE_LABEL_BY_NAME[target].properties[0].name
    return (
        f"UNWIND $rows AS row MATCH (a:{cypher_label(source)} {{{source_key}: row.from}}) MATCH (b:{cypher_label(target)} {{{target_key}: row.to}}) "
        f"{verb} (a)-[e:{rel_type}]->(b){assignments}"
    )


def edge_delete_statement(rel_type: str, source: str, target: str) -> str:
    source_key = NODE_LABEL_BY_NAME[source].properties[0].name
    target_key = NODE_LABEL_BY_NAME[target].properties[0].name
    return (
        f"UNWIND $rows AS row MATCH (a:{cypher_label(source)} {{{source_key}: row.from}})-[e:{rel_type}]->"
        f"(b:{cypher_label(target)} {{{target_key}: row.to}}) DELETE e"
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

    def live_generation(self, settings: Settings) -> str | None:
        """The generation the live build's graph records; None when there is no live build, or it does
        not open or its metadata does not read (a truncated or damaged file): then only a rebuild
        repairs it. Finishes a checkpoint a killed writer left half done. Call under `writer_lock`."""
        from codekg.stores.target import GENERATION_KEY

        try:
            store = self._open_live(settings, read_only=True)
        except (IndexNotFoundError, StoreError) as error:
            log.warning("the live index in %s cannot be opened (%s); it is rebuilt", self.db_dir, error)
            return None
        try:
            return store.read_metadata().get(GENERATION_KEY) or None
        except QueryError as error:
            log.warning("the metadata of the live index in %s cannot be read (%s); it is rebuilt", self.db_dir, error)
            return None
        finally:
            store.close()

    def graph_stamp(self, graph_file: str) -> str | None:
        """What the file system says of build ``graph_file`` and of the write-ahead log beside it
        (inode, size, modification and change times of each), or None while a checkpoint or a
        pending delta may still change what the graph holds. Equal stamps at two moments: nothing
        wrote the file or its log in between (a delta may leave its log: `LOG_KEPT_BYTES`)."""
        path = self.db_dir / graph_file
        if self.pending_generation(graph_file) is not None or any(
                path.with_name(path.name + suffix).exists() for suffix in _RECOVERY_FILES):
            return None
        stamps = []
        for file in (path, path.with_name(path.name + LOG_SUFFIX)):
            try:
                stat = file.stat()
            except FileNotFoundError:
                if file == path:
                    return None
                stamps.append("-")  # no log
                continue
            except OSError:
                return None
            stamps.append(f"{stat.st_ino}:{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ctime_ns}")
        return "|".join(stamps)

    # --- the generation a delta is committing ------------------------------------------------------

    def mark_pending(self, graph_file: str, generation: str) -> None:
        """Before a delta carrying ``generation`` is committed to ``graph_file``: from now until
        `clear_pending`, the run's state may name the generation before it, so a reader asks the graph."""
        marker = self.db_dir / (graph_file + PENDING_SUFFIX)
        temporary = self.db_dir / f"{CURRENT_POINTER}.pending.{os.getpid()}.tmp"  # a leftover goes with stale builds
        temporary.write_text(generation + "\n", "utf-8")
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, marker)

    def pending_generation(self, graph_file: str) -> str | None:
        """The generation a delta on ``graph_file`` was committing when its run last stopped, if that
        run did not record it in its state yet (it may have been killed before or after the commit)."""
        try:
            return (self.db_dir / (graph_file + PENDING_SUFFIX)).read_text("utf-8").strip() or None
        except OSError:
            return None

    def clear_pending(self, graph_file: str) -> None:
        """The graph and the state of ``graph_file`` name the same generation again."""
        (self.db_dir / (graph_file + PENDING_SUFFIX)).unlink(missing_ok=True)

    def open_current(self, settings: Settings, read_only: bool = True) -> LadybugStore:
        """The live index (read-only unless asked otherwise), after checking it was written with this
        schema version: an older one is not migrated here, the message names `codekg migrate`. A
        writable store must only be opened under `writer_lock`."""
        store = self._open_live(settings, read_only)
        version = stored_schema_version(store)
        if version != SCHEMA_VERSION:
            store.close()
            try:
                plan_migrations(version).require_in_place()
            except SchemaVersionError as error:
                raise SchemaVersionError(f"the index in {self.db_dir}: {error}") from None
            raise SchemaVersionError(
                f"the index in {self.db_dir} has schema version {version}, this codekg uses {SCHEMA_VERSION}; "
                "upgrade it in place with `codekg migrate`, or rebuild it with `codekg index --full`")
        return store

    def migrate(self, settings: Settings, dry_run: bool = False,
                registry: tuple[Migration, ...] = MIGRATIONS, to_version: int = SCHEMA_VERSION) -> MigrationPlan:
        """Bring the live index to ``to_version`` (this schema version, or an older one by the steps'
        rollbacks) in place: under the writer lock, every step of the plan and each new version in
        one transaction, so a failure (or Ctrl-C) leaves the index at its old version. ``dry_run``
        only reads the plan. Returns the plan (its steps ran unless ``dry_run``)."""
        self._live_path()  # no index: say so before the lock creates a directory
        with nullcontext() if dry_run else self.writer_lock():
            store = self._open_live(settings, read_only=dry_run)
            try:
                try:
                    plan = plan_migrations(stored_schema_version(store), registry, to_version)
                    if not dry_run:
                        plan.require_in_place()
                except SchemaVersionError as error:
                    raise SchemaVersionError(f"the index in {self.db_dir}: {error}") from None
                if dry_run or not plan.steps:
                    return plan
                with deferred_interrupts():
                    try:
                        with store.transaction():
                            apply_migrations(store, plan)
                    except Exception as error:  # a QueryError or a bug in a step: either way rolled back
                        raise MigrationError(
                            f"migrating the index in {self.db_dir} from schema version {plan.from_version} to "
                            f"{plan.to_version} failed, nothing was changed: {error}") from error
                return plan
            finally:
                store.close()

    def _live_path(self) -> Path:
        path = self.current_graph()
        if path is None:
            raise IndexNotFoundError(f"no codekg index in {self.db_dir}; run `codekg index` first")
        return path

    def _open_live(self, settings: Settings, read_only: bool) -> LadybugStore:
        path = self._live_path()
        marker = store_marker(path)
        if marker is not None:
            how = ("cozo_integration is off: turn it on (CODEKG_COZO_INTEGRATION=true) to read it"
                   if marker.startswith("cozo://") and not settings.cozo_integration else f"read it with --store {marker}")
            raise IndexNotFoundError(f"the index of {self.db_dir} lives in {marker}, not in an embedded file here; "
                                     f"{how}, or run `codekg index` to build an embedded one")
        try:
            return LadybugStore(path, settings, read_only=read_only)
        except StoreError as error:
            if self.current_graph() not in (path, None):  # a run published a new build meanwhile
                return self._open_live(settings, read_only)
            if not read_only or not _recovery_pending(path, error):
                raise
        return self._open_recovered(settings)

    def _open_recovered(self, settings: Settings) -> LadybugStore:
        """A read-only open of the live build, which found a checkpoint that a killed writer left half
        done. Ladybug finishes it on a read-write open, which is only made under the writer lock:
        taken here if free (or already held by this thread), else the index run holding it finishes
        the checkpoint itself (or publishes a new build), and this waits for that."""
        deadline = time.monotonic() + RECOVERY_WAIT_SECONDS
        while True:
            try:
                with nullcontext() if self.holds_writer_lock() else self.writer_lock():
                    path = self._live_path()
                    store = _read_only_unless_pending(path, settings)
                    if store is not None:
                        return store
                    log.warning("finishing the checkpoint of %s, left half done by a writer that was killed", path)
                    LadybugStore(path, settings).close()
                    return LadybugStore(path, settings, read_only=True)
            except IndexLockedError:
                pass
            except OSError as error:  # no write access to the directory: the lock cannot be taken
                raise StoreError(
                    f"cannot open the graph database {self.db_dir}: a writer was killed during a checkpoint, and "
                    f"finishing it needs write access ({error.strerror or error}); run `codekg index` on it") from None
            if time.monotonic() >= deadline:
                raise StoreError(
                    f"cannot open the graph database in {self.db_dir} yet: a writer was killed during a checkpoint "
                    "and the index run now holding the index has not finished it; try again when that run is done")
            time.sleep(0.1)
            store = _read_only_unless_pending(self._live_path(), settings)
            if store is not None:
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
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()  # a folder: a CozoDB RocksDB build
            except OSError as error:
                log.warning("could not remove stale build %s: %s", entry, error)
        for entry in self.db_dir.glob(f"{CURRENT_POINTER}.*.tmp"):
            entry.unlink(missing_ok=True)

    def holds_writer_lock(self) -> bool:
        """Whether this thread holds the writer lock of this directory."""
        return _held_locks.get(self.db_dir.resolve()) == threading.get_ident()

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
            key = self.db_dir.resolve()
            _held_locks[key] = threading.get_ident()
            try:
                yield
            finally:
                _held_locks.pop(key, None)
                fcntl.flock(handle, fcntl.LOCK_UN)


def store_marker(build: Path) -> str | None:
    """The store a build of a server or CozoDB run names (stores/target.py writes it), or None for
    a database file."""
    try:
        if build.is_file() and build.stat().st_size < 4096:
            text = build.read_text("utf-8").strip()
            if "\n" not in text and ("://" in text or text.startswith("ladybug:")):
                return text
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _read_only_unless_pending(path: Path, settings: Settings) -> LadybugStore | None:
    """A read-only open of ``path``; None while a killed writer's checkpoint waits to be finished."""
    try:
        return LadybugStore(path, settings, read_only=True)
    except StoreError as error:
        if not _recovery_pending(path, error):
            raise
        return None


def _recovery_pending(path: Path, error: StoreError) -> bool:
    """Whether opening ``path`` failed because a checkpoint must be finished by a read-write open."""
    text = str(error)
    return (any(message in text for message in _RECOVERY_MESSAGES)
            or any(path.with_name(path.name + suffix).exists() for suffix in _RECOVERY_FILES))


_EXPLAIN = "EXPLAIN "
_EXPLAINED = re.compile(r"\s*(EXPLAIN|PROFILE)\b", re.IGNORECASE)  # a query that asks for its own plan
_ERROR_OFFSET = re.compile(r"\(line: 1, offset: (\d+)\)")


def _markers_aligned(message: str) -> str:
    """A parser error whose marker line (spaces, then carets) keeps the tabs of the quoted query
    above it (`align_marker`): the database counts a tab as one column, a terminal does not."""
    lines = message.split("\n")
    for index in range(1, len(lines)):
        if lines[index].strip() and not lines[index].strip(" ^"):
            lines[index] = align_marker(lines[index - 1], lines[index])
    return "\n".join(lines)


def _as_written(message: str, own_word: str | None) -> str:
    """A parser error of the plan `explain` asked for as one of the query the user wrote: the
    database quotes the query it was given, marks the error under it and counts its offset from the
    quote's start. The prefix `explain` added (``own_word`` None) comes out of all three; a PROFILE
    planned as an EXPLAIN gets its own word back."""
    quoted = f'"{_EXPLAIN.strip()}'
    lines = message.split("\n")
    at = next((index for index, line in enumerate(lines) if line.startswith(quoted)), None)
    if at is None:
        return message
    if own_word is not None:
        lines[at] = '"' + lines[at][1:].replace(_EXPLAIN.strip(), own_word, 1)
        return "\n".join(lines)
    lines[at] = '"' + lines[at][len(quoted) + 1:]
    for index in range(at + 1, len(lines)):  # the marker line: carets, or spaces only at the end of the input
        if lines[index].startswith(" " * len(_EXPLAIN)) and not lines[index].strip(" \t^"):  # tabs: `_markers_aligned`
            lines[index] = align_marker(lines[at], lines[index][len(_EXPLAIN):].rstrip() or " " * max(len(lines[at]) - 1, 0) + "^")
            break
    return _ERROR_OFFSET.sub(lambda found: f"(line: 1, offset: {max(int(found.group(1)) - len(_EXPLAIN), 0)})", "\n".join(lines))


INT64 = 2**63


def _check_parameter_values(parameters: dict[str, Any]) -> None:
    """A user's query parameters as this database can take them, or a QueryError naming the one it
    cannot: a list is typed by its elements, and Ladybug turned `[1, "a"]` into a Python ValueError
    (a traceback through the API), `[[1], [1, [3]]]` into a string, and a list of maps with other
    keys into maps of the first one's keys, without a word."""
    for name, value in parameters.items():
        shape = _shape(value, f"${name}")
        if shape == ("list", None):
            raise QueryError(f"${name} is an empty list: the embedded store cannot tell the type of its "
                             "elements (give it one element, or leave the condition out)")


def _shape(value: Any, where: str) -> Any:
    """``value``'s type as the database would take it (None for null, which fits every type)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        if not -INT64 <= value < INT64:
            raise QueryError(f"{where} is the integer {value}, outside the 64 bits the database takes")
        return "number"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise QueryError(f"{where} is not a finite number ({value})")
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return ("map", tuple(sorted((str(key), _shape(item, f"{where}.{key}")) for key, item in value.items())))
    if isinstance(value, (list, tuple)):
        shape = None
        for position, element in enumerate(value):
            shape = _joined(shape, _shape(element, f"{where}[{position}]"), where)
        return ("list", shape)
    raise QueryError(f"{where} is a {type(value).__name__}, not a query value")


def _joined(first: Any, second: Any, where: str) -> Any:
    """The one type two elements of a list share, or a QueryError saying they have none."""
    if first is None or first == second:
        return second
    if second is None:
        return first
    if first[0] == second[0] == "list":
        return ("list", _joined(first[1], second[1], where))
    if first[0] == second[0] == "map" and [key for key, _ in first[1]] == [key for key, _ in second[1]]:
        return ("map", tuple((key, _joined(a, b, where)) for (key, a), (_, b) in zip(first[1], second[1])))
    raise QueryError(f"the elements of {where} are of different types ({_named(first)} and {_named(second)}): "
                     "the embedded store takes lists of one type")


def _named(shape: Any) -> str:
    if isinstance(shape, str):
        return shape
    if shape[0] == "list":
        return "list"
    return "map with keys " + ", ".join(key for key, _ in shape[1])
