"""FalkorDB: a graph per key in a Redis server, written with `GRAPH.QUERY`.

Keys: FalkorDB needs an exact-match index on a property before a unique constraint can be declared
on it (`GRAPH.CONSTRAINT CREATE … UNIQUE NODE Label PROPERTIES 1 id`), and builds the constraint in
the background. A whole graph is replaced atomically: the new graph is written under a staging key,
then `RENAME`d over the live one, so readers see the old graph or the new one, never a mix.

The client's own retries are turned off (`retry=Retry(NoBackoff(), 0)`) so that the batch writer's
backoff is the only one; its socket timeouts are `store_timeout_seconds`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codekg.errors import QueryError, StoreError, StoreUnavailableError
from codekg.graph import Graph, GraphTables
from codekg.settings import Settings
from codekg.stores.base import LoadReport, QueryResult
from codekg.stores.server import ServerStore
from codekg.stores.uri import StoreLocation
from codekg.schema import cypher_label

# Server replies that a retry may outlive: the server is loading its data, busy with a script,
# or asks the client to try again; plus the client's own connection and timeout errors.
TIMED_OUT = "Query timed out"
_TRANSIENT_REPLIES = ("LOADING", "BUSY", "TRYAGAIN", "MASTERDOWN", "CLUSTERDOWN", TIMED_OUT)
STAGING_SUFFIX = ".codekg-staging"
REPLACE_ATTEMPTS = 3
EMPTY_KEY = "empty key"  # FalkorDB's "Invalid graph operation on empty key": the graph does not exist
log = logging.getLogger(__name__)


class FalkorDBStore(ServerStore):
    def __init__(self, location: StoreLocation, settings: Settings, db_dir: Path | None = None, graph: str | None = None,
                 read_only: bool = True) -> None:
        super().__init__(location, settings, db_dir, read_only)
        self.graph_name = graph or location.graph
        self._client: Any = None
        self._graph: Any = None
        self.with_retries(self._connect, "the connection")

    def _connect(self) -> None:
        import falkordb
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        password = self.location.password or (self.settings.store_password.get_secret_value() if self.settings.store_password else None)
        try:
            self._client = falkordb.FalkorDB(  # it talks to the server at once (INFO)
                host=self.location.host, port=self.location.port,
                username=self.location.user or self.settings.store_user, password=password,
                socket_timeout=self.settings.store_timeout_seconds,
                socket_connect_timeout=self.settings.store_timeout_seconds,
                retry=Retry(NoBackoff(), 0),
            )
            self._client.connection.ping()
        except Exception as error:
            self._raise_if_store_level(error)
            raise
        self._graph = self._client.select_graph(self.graph_name)

    def reconnect(self) -> None:
        self._disconnect()
        self._connect()

    def _connection(self) -> Any:
        """The redis connection (connecting first after a failed reconnect)."""
        self._connected_graph()
        return self._client.connection

    def is_transient(self, error: BaseException) -> bool:
        from redis.exceptions import ConnectionError, OutOfMemoryError, TimeoutError

        if _is_store_level(error):
            return False
        # ConnectionError covers BusyLoadingError (the server is loading its data); OOM passes once
        # other clients free memory, so it is waited out too, never split into smaller batches.
        if isinstance(error, (ConnectionError, TimeoutError, OutOfMemoryError, ConnectionResetError, BrokenPipeError)):
            return True
        return any(str(error).startswith(reply) or reply in str(error) for reply in _TRANSIENT_REPLIES)

    def is_rejection(self, error: BaseException) -> bool:
        """The server's own refusal (a ResponseError that is not transient), or a value the client
        cannot encode (a lone surrogate: UnicodeEncodeError)."""
        from redis.exceptions import ResponseError

        return not self.is_transient(error) and not _is_store_level(error) and isinstance(error, (ResponseError, UnicodeError))

    def _connected_graph(self) -> Any:
        """The graph handle; after a failed reconnect, connect now (a ConnectionError while still down)."""
        if self._graph is None:
            self._connect()
        return self._graph

    def _run_write(self, statement: str, parameters: dict[str, Any]) -> None:
        try:
            self._connected_graph().query(statement, parameters)
        except Exception as error:
            self._raise_if_store_level(error)
            raise

    def _raise_if_store_level(self, error: BaseException) -> None:
        """Wrong credentials, a missing permission, a read-only replica: no retry or split helps."""
        if _is_store_level(error):
            raise StoreError(f"{self.display} refused codekg: {type(error).__name__}: {error}") from None

    def _run_read(self, statement: str, parameters: dict[str, Any]) -> QueryResult:
        from redis.exceptions import ResponseError

        try:
            # read-only unless opened for writing: FalkorDB refuses a write clause in GRAPH.RO_QUERY (and
            # a plain query on a graph that does not exist would create it)
            graph = self._connected_graph()
            run = graph.query if not self.read_only else graph.ro_query
            timeout = max(1, round(self.query_timeout * 1000)) if self.query_timeout else None
            result = run(statement, parameters, timeout=timeout)
        except ResponseError as error:
            self._raise_if_store_level(error)
            if self.query_timeout and TIMED_OUT in str(error):
                raise QueryError(f"the query ran longer than {self.query_timeout:g} s and was stopped") from None
            if self.is_transient(error):
                raise
            raise QueryError(str(error)) from None
        except Exception as error:
            self._raise_if_store_level(error)
            raise
        columns = [column[1] if isinstance(column, (list, tuple)) else str(column) for column in result.header]
        return QueryResult(columns, [[_plain(value) for value in row] for row in result.result_set])

    def read_metadata(self) -> dict[str, str]:
        try:
            return super().read_metadata()
        except QueryError as error:
            if EMPTY_KEY in str(error):  # no graph under this key yet: a store never written
                return {}
            raise

    def _create_keys(self, labels: Iterable[tuple[str, str]]) -> None:
        from redis.exceptions import ResponseError

        existing = {(row[1], row[2][0]) for row in self._constraint_rows() if row[2]}
        indexed = {(row[0], name) for row in self._index_rows() for name in row[1]}
        for label, key in labels:
            if (label, key) not in indexed:
                self._connected_graph().query(f"CREATE INDEX FOR (n:{cypher_label(label)}) ON (n.{key})")
            if (label, key) not in existing:
                try:
                    self._connection().execute_command(
                        "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label, "PROPERTIES", "1", key)
                except ResponseError as error:
                    if "already exists" not in str(error):
                        raise

    def _constraint_rows(self) -> list[list[Any]]:
        """(type, label, properties, entity type, status) per constraint; none for a graph not created yet."""
        from redis.exceptions import ResponseError

        try:
            return self._connected_graph().ro_query("CALL db.constraints() YIELD type, label, properties RETURN type, label, properties").result_set
        except ResponseError:  # the graph does not exist yet
            return []

    def _index_rows(self) -> list[list[Any]]:
        from redis.exceptions import ResponseError

        try:
            return self._connected_graph().ro_query("CALL db.indexes() YIELD label, properties RETURN label, properties").result_set
        except ResponseError:  # the graph does not exist yet
            return []

    def replace_graph(self, tables: GraphTables, metadata: Graph) -> LoadReport:
        """Write the graph under a staging key, then RENAME it over the live graph in one step.

        Before the rename, every label's node count is checked: a server that restarted during the
        write without persisting it has lost rows the writer already sent, and the write starts over
        (at most ``REPLACE_ATTEMPTS`` times)."""
        staging_name = f"{self.graph_name}{STAGING_SUFFIX}.{os.getpid()}"
        staging = FalkorDBStore(self.location, self.settings, None, graph=staging_name, read_only=False)
        staging.writer.stats, staging.writer.dead_letter = self.writer.stats, self.writer.dead_letter  # one account of the write
        try:
            for attempt in range(1, REPLACE_ATTEMPTS + 1):
                failed_before = dict(self.write_stats.failed_by_table)
                staging.with_retries(lambda: staging._connection().delete(staging_name))
                staging._keys_ready = False
                report = staging.write_tables(tables)
                lost = staging.lost_nodes(tables, failed_before)
                if not lost:
                    break
                log.warning("%s lost written nodes (%s), probably in a restart; writing the graph again (attempt %d)",
                            self.display, ", ".join(f"{k}: {f} of {e}" for k, (e, f) in sorted(lost.items())), attempt + 1)
            else:
                raise StoreUnavailableError(f"{self.display} kept losing written nodes after {REPLACE_ATTEMPTS} attempts")
            staging.write_metadata(metadata)
            self.with_retries(lambda: self._connection().rename(staging_name, self.graph_name))
        except BaseException:
            try:
                staging._connection().delete(staging_name)
            except Exception:
                pass  # the server is gone; a later replace overwrites the staging key
            raise
        finally:
            staging.close()
        self._keys_ready = False
        return report

    def drop(self) -> None:
        """Delete the graph (tests, `codekg import` into a fresh graph)."""
        self.with_retries(lambda: self._connection().delete(self.graph_name))

    def _disconnect(self) -> None:
        if self._client is not None:
            try:
                self._client.connection.close()
            except Exception:
                pass
            self._client = self._graph = None

    def close(self) -> None:
        self._disconnect()


def _is_store_level(error: BaseException) -> bool:
    from redis.exceptions import AuthenticationError, AuthenticationWrongNumberOfArgsError, AuthorizationError, NoPermissionError, ReadOnlyError

    return isinstance(error, (AuthenticationError, AuthorizationError, AuthenticationWrongNumberOfArgsError, NoPermissionError, ReadOnlyError))


def _plain(value: Any) -> Any:
    """FalkorDB's Node/Edge objects as property maps; everything else as it came."""
    properties = getattr(value, "properties", None)
    if isinstance(properties, dict):
        return dict(properties)
    return value

