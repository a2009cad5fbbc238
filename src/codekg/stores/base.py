"""The one small protocol every graph store implements."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol

from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.schema import PropType
from codekg.stores.dialect import Dialect
from codekg.stores.reads import GraphReads


@dataclass(slots=True)
class QueryResult:
    columns: list[str]
    rows: list[list[Any]]


@dataclass(slots=True)
class TableLoad:
    """How one table (a node label or an edge type/endpoint pair) was written."""

    table: str
    rows: int
    method: str  # "copy" or "merge"
    seconds: float
    fallback_error: str = ""  # why COPY failed, when the MERGE path took over
    failure_kind: str = ""  # that failure's kind (stores/copy_failures.py)

    @property
    def copy_attempted(self) -> bool:
        return self.method == "copy" or bool(self.failure_kind)


@dataclass(slots=True)
class LoadReport:
    tables: list[TableLoad] = field(default_factory=list)
    page_cache_retries: int = 0  # builds started again with a larger page cache (stores/ladybug.py `build`)

    @property
    def fallbacks(self) -> list[TableLoad]:
        return [t for t in self.tables if t.failure_kind]

    def copy_outcome(self) -> dict[str, Any]:
        """COPYs tried, their failures by kind, and failures / attempts: for the run summary."""
        attempts = sum(t.copy_attempted for t in self.tables)
        failures = Counter(t.failure_kind for t in self.tables if t.failure_kind)
        rate = sum(failures.values()) / attempts if attempts else 0.0
        outcome = {"attempts": attempts, "failures": dict(sorted(failures.items())), "failure_rate": round(rate, 4)}
        return {**outcome, "page_cache_retries": self.page_cache_retries} if self.page_cache_retries else outcome


class GraphStore(Protocol):
    """What every store does: the embedded Ladybug store and the server stores alike."""

    dialect: Dialect
    """How this store's Cypher spells what the stores do not share (stores/dialect.py)."""

    reads: GraphReads
    """The named reads every reader of the graph uses (stores/reads.py): Cypher stores answer them
    with `CypherReads` (stores/reads_cypher.py), a store of another language with its own."""

    def write_tables(self, tables: GraphTables) -> LoadReport:
        """Add the tables' nodes, then their edges (into an empty store, or idempotently)."""

    def apply_delta(self, delta: GraphDelta, metadata: Graph) -> Any:
        """Turn the stored graph into the next one: removals, updates, additions, then the metadata."""

    def query(self, cypher: str, parameters: dict[str, Any] | None = None, max_rows: int | None = None) -> QueryResult:
        """Run Cypher; a rejected query raises QueryError with the database's message. With
        ``max_rows``, at most that many rows are read."""

    def explain(self, cypher: str, parameters: dict[str, Any] | None = None) -> str | None:
        """The database's plan of ``cypher`` as text, for the query guard's plan check (query_guard.py);
        None for a store whose plans the guard does not read (the server stores run requests in
        their own read-only mode instead)."""

    def read_metadata(self) -> dict[str, str]:
        """The IndexMeta key/value pairs: schema version, generation, commit, …"""

    def set_query_timeout(self, seconds: float) -> None:
        """Stop any later `query` that runs longer than ``seconds``: a QueryError, never retried."""

    def close(self) -> None: ...


class MigratableStore(GraphStore, Protocol):
    """A store a schema migration runs on (stores/migrations.py): the protocol above plus its one DDL hook."""

    def add_property(self, label: str, name: str, prop_type: PropType, default: Any) -> None:
        """Declare the node property ``name`` on ``label``, ``default`` on the nodes already there: a
        typed store (Ladybug) alters its table; a schemaless one (FalkorDB, Neo4j) has nothing to do,
        so a migration step always writes the value itself, through `query`."""

    def add_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                   added_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Declare new node tables ``labels`` and relationship tables ``rel_types`` as schema.py
        defines them, and new endpoint pairs of existing relationship tables: a typed store creates
        and alters its tables; a schemaless one has nothing to do."""

    def drop_property(self, label: str, name: str) -> None:
        """Undo `add_property` (a rollback): the column, or every node's value of it, is gone."""

    def drop_tables(self, labels: tuple[str, ...], rel_types: tuple[str, ...],
                    dropped_pairs: dict[str, tuple[tuple[str, str], ...]]) -> None:
        """Undo `add_tables` (a rollback): the nodes of ``labels``, the edges of ``rel_types`` and of
        the endpoint pairs are gone, and so are their tables where the store has tables."""

    def set_properties(self, label: str, rows: list[dict[str, Any]]) -> None:
        """Set properties of existing nodes of ``label``: each row holds the node's key (`id`) and the
        values to set."""

    def set_metadata(self, key: str, value: str) -> None:
        """Set one IndexMeta value (the schema version a migration step reached)."""
