"""What every server store (FalkorDB, Neo4j/Memgraph) shares: batched, idempotent, fault-tolerant writes.

A backend only says how to send one statement, which of its errors are transient, how to declare
the unique keys, and how to replace a whole graph. Everything else is here:
- keys first: a unique constraint (or index) on every label's primary key, before any write;
- nodes before edges, so that an edge's MATCH finds its endpoints;
- the IndexMeta nodes last: their `generation` says which build the store holds, so a write that
  stopped half-way leaves a store whose generation is the old one (or none), and the next index
  run replaces its graph instead of applying a delta to it.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from codekg.errors import StoreUnavailableError
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.schema import NODE_LABELS
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult, TableLoad
from codekg.stores.batches import BatchWriter, WriteStats
from codekg.stores.dead_letter import DeadLetterFile
from codekg.stores.dialect import OPENCYPHER
from codekg.stores.reads_cypher import CypherReads
from codekg.stores.server_cypher import (
    delete_edges,
    delete_nodes,
    merge_edges,
    merge_nodes,
)
from codekg.stores.uri import StoreLocation
from codekg.schema import cypher_label

METADATA_LABEL = "IndexMeta"
# Errors of codekg's own making: never blamed on the rows, never retried.
_PROGRAMMING_ERRORS = (AttributeError, NameError, AssertionError, ImportError, LookupError, StoreUnavailableError)


class ServerStore(ABC):
    """A graph in a server database, written through a BatchWriter."""

    dialect = OPENCYPHER  # FalkorDB, Neo4j and Memgraph alike

    def __init__(self, location: StoreLocation, settings: Settings, db_dir: Path | None = None, read_only: bool = True) -> None:
        # ``read_only`` limits `query` to reads; the store's own writes (write_tables, apply_delta, …) always run
        self.location, self.settings, self.read_only = location, settings, read_only
        self.display = location.display
        self.dead_letter = DeadLetterFile.in_index(db_dir) if db_dir is not None else None
        self.writer = BatchWriter(
            self._run_write, self.is_transient, self.is_rejection, self.display, settings.store_batch_size,
            settings.store_retry_delays, self.dead_letter, reconnect=self.reconnect,
        )
        self._keys_ready = False
        self.query_timeout: float | None = None  # set_query_timeout

    # --- what a backend provides -----------------------------------------------------------------

    @abstractmethod
    def _run_write(self, statement: str, parameters: dict[str, Any]) -> None:
        """Run one write statement in its own transaction."""

    @abstractmethod
    def _run_read(self, statement: str, parameters: dict[str, Any]) -> QueryResult: ...

    @abstractmethod
    def is_transient(self, error: BaseException) -> bool:
        """Whether ``error`` may go away on its own (a retry may succeed)."""

    @abstractmethod
    def _create_keys(self, labels: Iterable[tuple[str, str]]) -> None:
        """Declare (label, key property) unique, idempotently."""

    @abstractmethod
    def replace_graph(self, tables: GraphTables, metadata: Graph) -> LoadReport:
        """Make the store hold exactly ``tables`` and ``metadata``."""

    def is_rejection(self, error: BaseException) -> bool:
        """Whether ``error`` is the server refusing the rows sent (not the connection, not a bug here):
        then the batch is split to find the rows it refuses. Backends narrow this down."""
        return not self.is_transient(error) and not isinstance(error, _PROGRAMMING_ERRORS)

    def add_property(self, label: str, name: str, prop_type: Any, default: Any) -> None:
        """Nothing to declare: a server store is schemaless (a migration writes the values itself)."""

    def add_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                   added_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Nothing to declare: a server store is schemaless."""

    def drop_property(self, label: str, name: str) -> None:
        self.with_retries(lambda: self._run_write(f"MATCH (n:{cypher_label(label)}) REMOVE n.{name}", {}))

    def drop_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                    dropped_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Schemaless: the edges of the types and pairs, then the nodes of the labels, are deleted."""
        for rel_type in rel_types:
            self.with_retries(lambda: self._run_write(f"MATCH ()-[e:{rel_type}]->() DELETE e", {}))
        for rel_type, pairs in dropped_pairs.items():
            for source, target in pairs:
                self.with_retries(lambda: self._run_write(
                    f"MATCH (:{cypher_label(source)})-[e:{rel_type}]->(:{cypher_label(target)}) DELETE e", {}))
        for label in labels:
            self.with_retries(lambda: self._run_write(f"MATCH (n:{cypher_label(label)}) DETACH DELETE n", {}))

    def set_properties(self, label: str, rows: list[dict[str, Any]]) -> None:
        if rows:
            assignments = ", ".join(f"n.{name} = row.{name}" for name in rows[0] if name != "id")
            statement = f"UNWIND $rows AS row MATCH (n:{cypher_label(label)} {{id: row.id}}) SET {assignments}"
            for start in range(0, len(rows), self.settings.store_batch_size):
                batch = rows[start:start + self.settings.store_batch_size]
                self.with_retries(lambda: self._run_write(statement, {"rows": batch}))

    def set_metadata(self, key: str, value: str) -> None:
        self.with_retries(lambda: self._run_write(
            f"MERGE (m:{METADATA_LABEL} {{key: $key}}) SET m.value = $value", {"key": key, "value": value}))

    def reconnect(self) -> None:
        """Called before a retry; backends whose clients do not reconnect by themselves override it."""

    @abstractmethod
    def close(self) -> None: ...

    # --- the protocol ----------------------------------------------------------------------------

    @property
    def write_stats(self) -> WriteStats:
        return self.writer.stats

    def ensure_keys(self) -> None:
        if not self._keys_ready:
            self.with_retries(lambda: self._create_keys((label.name, label.properties[0].name) for label in NODE_LABELS))
            self._keys_ready = True

    def write_tables(self, tables: GraphTables) -> LoadReport:
        """MERGE every node table, then every edge table."""
        self.ensure_keys()
        report = LoadReport()
        for label, table in tables.nodes.items():
            report.tables.append(self._timed_write(merge_nodes(label), table.to_pylist()))
        for key, table in tables.edges.items():
            report.tables.append(self._timed_write(merge_edges(key), table.to_pylist()))
        return report

    def write_graph(self, graph: Graph) -> LoadReport:
        """The same, from rows (metadata, a replayed export)."""
        self.ensure_keys()
        report = LoadReport()
        for label, rows in graph.nodes.items():
            report.tables.append(self._timed_write(merge_nodes(label), rows))
        for key, rows in graph.edges.items():
            report.tables.append(self._timed_write(merge_edges(key), rows))
        return report

    def apply_delta(self, delta: GraphDelta, metadata: Graph) -> LoadReport:
        """Removals, then updated and added nodes, then added edges, then the metadata. Each batch is
        idempotent, so a delta that stopped half-way can be applied again."""
        self.ensure_keys()
        # No generation while the graph is between two: a delta that stops half-way is replaced next time.
        self.with_retries(lambda: self._run_write(f"MATCH (m:{METADATA_LABEL} {{key: 'generation'}}) DELETE m", {}))
        report = LoadReport()
        for key, pairs in delta.removed_edges.items():
            report.tables.append(self._timed_write(delete_edges(key), [{"from": a, "to": b} for a, b in pairs]))
        for label, ids in delta.removed_nodes.items():
            report.tables.append(self._timed_write(delete_nodes(label), ids))
        for graph in (delta.updated_nodes, delta.added):
            for label, rows in graph.nodes.items():
                report.tables.append(self._timed_write(merge_nodes(label), rows))
        for key, rows in delta.added.edges.items():
            report.tables.append(self._timed_write(merge_edges(key), rows))
        self.write_metadata(metadata)
        return report

    def lost_nodes(self, tables: GraphTables, failed_before: dict[str, int]) -> dict[str, tuple[int, int]]:
        """Labels holding fewer nodes than were written (expected, found): rows a server that restarted
        without persisting them has lost. Rows dead-lettered since ``failed_before`` are not expected."""
        lost = {}
        for label, table in tables.nodes.items():
            expected = table.num_rows - (self.write_stats.failed_by_table.get(label, 0) - failed_before.get(label, 0))
            found = self.query(f"MATCH (n:{cypher_label(label)}) RETURN count(n)").rows[0][0]
            if found < expected:
                lost[label] = (expected, found)
        return lost

    def write_metadata(self, metadata: Graph) -> None:
        """Replace every IndexMeta node with ``metadata``'s."""
        self.with_retries(lambda: self._run_write(f"MATCH (m:{METADATA_LABEL}) DELETE m", {}))
        for label, rows in metadata.nodes.items():
            self.writer.write(merge_nodes(label), rows)

    def read_metadata(self) -> dict[str, str]:
        result = self.query(f"MATCH (m:{METADATA_LABEL}) RETURN m.key, m.value")
        return {key: value for key, value in result.rows}

    def query(self, cypher: str, parameters: dict[str, Any] | None = None, max_rows: int | None = None) -> QueryResult:
        result = self.with_retries(lambda: self._run_read(cypher, parameters or {}))
        if max_rows is not None:
            del result.rows[max_rows:]
        return result

    @property
    def reads(self) -> CypherReads:
        """The query layer's reads of this store (stores/reads.py)."""
        return CypherReads(self)

    def explain(self, cypher: str, parameters: dict[str, Any] | None = None) -> str | None:
        return None

    def set_query_timeout(self, seconds: float) -> None:
        """Stop any later `query` that runs longer than ``seconds``. The backend sends the limit with
        the query and turns the server's timeout into a QueryError: a read that ran out of time
        would run out of it again, so it is not retried like a write that timed out."""
        self.query_timeout = seconds

    def with_retries(self, action: Callable[[], Any], what: str = "a statement") -> Any:
        """``action()`` with the writer's transient-error retries (nothing to split: it has no rows)."""
        return self.writer.retrying(what, action)

    def _timed_write(self, operation: Any, rows: list[Any]) -> TableLoad:
        started = time.perf_counter()
        self.writer.write(operation, rows)
        return TableLoad(operation.table, len(rows), "merge", time.perf_counter() - started)

    def __enter__(self) -> "ServerStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
