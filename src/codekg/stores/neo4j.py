"""Neo4j and Memgraph over Bolt (`bolt://`, `neo4j://` and their `+s`/`+ssc` forms), with the `neo4j` driver.

Writes are managed transactions (`session.execute_write`) in the database the URI's path names
(none: the server's default). The driver retries a managed transaction by itself while an error is
retryable, for up to `max_transaction_retry_time`; that is set to 0 here, so the driver gives up on
the first failure (its window has closed by the time it would retry) and the batch writer's
1, 2, 4, 8, 16 s backoff (`store_retry_delays`) is the only retry policy. The two would otherwise
multiply: five writer retries of up to 30 s of driver retries each. The driver's pool replaces dead
connections by itself, so a retry needs no reconnect.

What is transient: connection loss (`ServiceUnavailable`, `SessionExpired`, OS socket errors), a
full pool, the server's TransientError class (deadlocks, a database that is starting), and a
transaction timeout (`store_timeout_seconds`, sent to Neo4j as the transaction's timeout; Memgraph
applies its own `--query-execution-timeout-sec`). A commit whose answer was lost (`IncompleteCommit`)
is transient too: every write is idempotent, so writing it again is safe even if it did land. Memgraph reports any internal failure under its one
`Memgraph.TransientError.MemgraphError.MemgraphError` code, including permanent ones (a memory
limit, a value it cannot store); only the ones whose message says conflict, serialization or
timeout are retried, the others are split down to the rejected rows like any ClientError
(a syntax error, a type error, a constraint violation). Errors about the store rather than the rows
(credentials, permissions, an unknown database) stop the write: StoreUnavailableError.

Keys: Neo4j 5 (and 4.4) takes `CREATE CONSTRAINT … IF NOT EXISTS FOR (n:L) REQUIRE n.k IS UNIQUE`,
which also builds the index MERGE uses. Memgraph is told apart by the agent string it sends at
connect ("Neo4j/v5.11.0 compatible graph database server - Memgraph" by default): a unique
constraint there builds no index, so it gets `CREATE INDEX ON :L(k)` as well, and both run as
auto-commit queries because Memgraph refuses schema changes inside an explicit transaction.

Replacing a graph is not atomic for readers, unlike FalkorDB's staging key and RENAME: the community
editions cannot rename a database. codekg's labels (and nothing else in the database) are deleted
in batches, the IndexMeta nodes first, then the new graph is written, its IndexMeta nodes last. A
reader in between sees a partial graph; a replace that stopped half-way leaves no `generation`,
so the next index run replaces the graph again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from codekg.errors import QueryError, StoreError, StoreUnavailableError
from codekg.graph import Graph, GraphTables
from codekg.schema import NODE_LABELS
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult
from codekg.stores.server import METADATA_LABEL, ServerStore
from codekg.stores.uri import StoreLocation
from codekg.schema import cypher_label

log = logging.getLogger(__name__)

DELETE_BATCH_SIZE = 10_000
# Neo4j codes for a transaction that ran past its timeout: transient, as `store_timeout_seconds` says.
_TIMED_OUT = ("Neo.ClientError.Transaction.TransactionTimedOut", "Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration")
_MEMGRAPH_CATCH_ALL = "Memgraph.TransientError.MemgraphError.MemgraphError"
_MEMGRAPH_TRANSIENT_MESSAGES = ("conflicting transactions", "serialization error", "timeout", "timed out", "asked to abort")
_STORE_LEVEL_CODES = (".ClientError.Security.", "Neo.ClientError.Database.DatabaseNotFound")


class Neo4jStore(ServerStore):
    def __init__(self, location: StoreLocation, settings: Settings, db_dir: Path | None = None, read_only: bool = True) -> None:
        import neo4j  # imported with the first Bolt store: most runs never open one

        super().__init__(location, settings, db_dir, read_only)
        self.database = location.graph or None
        self.is_memgraph = False
        self._driver: Any = None
        self._bookmarks = neo4j.GraphDatabase.bookmark_manager()
        self.with_retries(self._connect, "the connection")

    # --- connecting ------------------------------------------------------------------------------

    def _connect(self) -> None:
        import neo4j

        _quiet_driver_logs()
        user = self.location.user or self.settings.store_user
        password = self.location.password or (self.settings.store_password.get_secret_value() if self.settings.store_password else None)
        host = f"[{self.location.host}]" if ":" in self.location.host else self.location.host
        driver = neo4j.GraphDatabase.driver(
            f"{self.location.scheme}://{host}:{self.location.port}",
            auth=(user or "", password or "") if user or password else None,
            connection_timeout=self.settings.store_timeout_seconds,
            connection_acquisition_timeout=self.settings.store_timeout_seconds,
            max_transaction_retry_time=0,
        )
        try:
            agent = driver.get_server_info().agent or ""
            self._driver = driver
            self.is_memgraph = "memgraph" in agent.lower()
            self._run_read("RETURN 1", {})  # the database exists and we may read it
        except BaseException as error:
            self._driver = None
            driver.close()
            self._raise_if_store_level(error)
            raise
        log.debug("%s: connected to %s", self.display, agent)

    def _session(self, access: str) -> Any:
        """A session that sees every write of this store's earlier sessions, also on a cluster's
        followers (its bookmarks are shared)."""
        return self._driver.session(database=self.database, default_access_mode=access, bookmark_manager=self._bookmarks)

    # --- what ServerStore needs ------------------------------------------------------------------

    def is_transient(self, error: BaseException) -> bool:
        from neo4j.exceptions import ConnectionAcquisitionTimeoutError, Neo4jError, ServiceUnavailable, SessionExpired

        if isinstance(error, (ServiceUnavailable, SessionExpired, ConnectionAcquisitionTimeoutError, OSError)):
            return True  # ServiceUnavailable includes IncompleteCommit; OSError: resets, broken pipes, timeouts
        if not isinstance(error, Neo4jError):
            return False
        if error.code in _TIMED_OUT:
            return True
        if error.code == _MEMGRAPH_CATCH_ALL:
            message = (error.message or "").lower()
            return any(phrase in message for phrase in _MEMGRAPH_TRANSIENT_MESSAGES)
        return error.is_retryable()

    def _run_write(self, statement: str, parameters: dict[str, Any]) -> None:
        self._write(statement, parameters, lambda result: result.consume())

    def _run_read(self, statement: str, parameters: dict[str, Any]) -> QueryResult:
        import neo4j
        from neo4j.exceptions import Neo4jError

        def read(tx: Any) -> QueryResult:
            result = tx.run(statement, parameters)
            return QueryResult(list(result.keys()), [[_plain(value) for value in record.values()] for record in result])

        try:
            if not self.read_only:  # opened for writing (a migration's data step): a write transaction
                with self._session(neo4j.WRITE_ACCESS) as session:
                    return session.execute_write(self._transaction(read, self.query_timeout))
            with self._session(neo4j.READ_ACCESS) as session:
                return session.execute_read(self._transaction(read, self.query_timeout))
        except Neo4jError as error:
            if self.query_timeout and error.code in _TIMED_OUT:
                raise QueryError(f"the query ran longer than {self.query_timeout:g} s and was stopped") from None
            if self.is_transient(error):
                raise
            self._raise_if_store_level(error)
            raise QueryError(error.message or str(error)) from None

    def _create_keys(self, labels: Iterable[tuple[str, str]]) -> None:
        from neo4j.exceptions import ClientError

        for label, key in labels:
            if self.is_memgraph:
                statements = [f"CREATE INDEX ON :{cypher_label(label)}({key})", f"CREATE CONSTRAINT ON (n:{cypher_label(label)}) ASSERT n.{key} IS UNIQUE"]
            else:
                statements = [f"CREATE CONSTRAINT codekg_{label}_{key} IF NOT EXISTS FOR (n:{cypher_label(label)}) REQUIRE n.{key} IS UNIQUE"]
            for statement in statements:
                try:
                    self._run_autocommit(statement)
                except ClientError as error:
                    # Memgraph's answer to a constraint it has; Neo4j's to a plain index on the key,
                    # which keeps MERGE fast without the constraint
                    if "already exists" not in (error.message or "").lower():
                        raise

    def replace_graph(self, tables: GraphTables, metadata: Graph) -> LoadReport:
        """Delete codekg's nodes (IndexMeta first), then write ``tables``, then ``metadata``. Not atomic."""
        self.ensure_keys()
        for label in sorted((label.name for label in NODE_LABELS), key=lambda name: name != METADATA_LABEL):
            self.delete_label(label)
        report = self.write_tables(tables)
        self.write_metadata(metadata)
        return report

    def delete_label(self, label: str) -> int:
        """Delete every ``label`` node and its edges, ``DELETE_BATCH_SIZE`` nodes per transaction."""
        statement = f"MATCH (n:{cypher_label(label)}) WITH n LIMIT {DELETE_BATCH_SIZE} DETACH DELETE n RETURN count(*)"
        deleted = 0
        while True:
            count = self.with_retries(lambda: self._write(statement, {}, lambda result: result.single()[0]))
            deleted += count
            if count < DELETE_BATCH_SIZE:
                return deleted

    def close(self) -> None:
        if self._driver is not None:
            try:
                self._driver.close()
            except Exception:
                pass  # the server is gone; nothing to flush
            self._driver = None

    # --- helpers ---------------------------------------------------------------------------------

    def _write(self, statement: str, parameters: dict[str, Any], answer: Callable[[Any], Any]) -> Any:
        """``answer(result)`` of ``statement`` run in one managed write transaction."""
        import neo4j

        try:
            with self._session(neo4j.WRITE_ACCESS) as session:
                return session.execute_write(self._transaction(lambda tx: answer(tx.run(statement, parameters))))
        except Exception as error:
            self._raise_if_store_level(error)
            raise

    def _run_autocommit(self, statement: str) -> None:
        """Schema statements: Memgraph runs them only outside an explicit transaction."""
        import neo4j

        try:
            with self._session(neo4j.WRITE_ACCESS) as session:
                session.run(statement).consume()
        except Exception as error:
            self._raise_if_store_level(error)  # e.g. a user who may write but not change the schema
            raise

    def _transaction(self, work: Callable[[Any], Any], timeout: float | None = None) -> Callable[[Any], Any]:
        """``work`` with Neo4j's transaction timeout (``timeout``, else `store_timeout_seconds`);
        Memgraph applies its own query timeout instead."""
        import neo4j

        if self.is_memgraph:
            return work
        return neo4j.unit_of_work(timeout=timeout or self.settings.store_timeout_seconds)(work)

    def _raise_if_store_level(self, error: BaseException) -> None:
        """Errors about the store, not the rows: bad credentials, no permission, no such database,
        a driver misconfiguration. Splitting the batch would dead-letter every row for nothing."""
        from neo4j.exceptions import ConfigurationError, Neo4jError

        if self.is_transient(error):
            return  # e.g. an expired authorization, which the driver renews
        if isinstance(error, ConfigurationError) or (
            isinstance(error, Neo4jError) and any(code in (error.code or "") for code in _STORE_LEVEL_CODES)
        ):
            text = getattr(error, "message", None) or str(error)
            raise StoreUnavailableError(f"{self.display} refused codekg: {type(error).__name__}: {text}") from None


def _quiet_driver_logs() -> None:
    """The driver logs the server's notifications as warnings (codekg's reads name every label and
    property of the schema, and Neo4j notes each one the graph has none of yet: not errors), and a
    failed connection as an error that codekg's own StoreUnavailableError says again. Left alone
    when the user has set those loggers' levels."""
    for name, level in (("neo4j.notifications", logging.ERROR), ("neo4j.pool", logging.CRITICAL)):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET:
            logger.setLevel(level)


def _plain(value: Any) -> Any:
    """Nodes and relationships as property maps, paths as theirs, temporal and spatial values as
    strings; lists and maps element by element; everything else as it came."""
    from neo4j.graph import Node, Path, Relationship
    from neo4j.spatial import Point
    from neo4j.time import Date, DateTime, Duration, Time

    if isinstance(value, (Node, Relationship)):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, Path):
        return {"nodes": [_plain(node) for node in value.nodes], "relationships": [_plain(rel) for rel in value.relationships]}
    if isinstance(value, Point):
        return str(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (Date, DateTime, Duration, Time)):
        return value.iso_format()
    return value
