"""The Neo4j/Memgraph store.

Without a server: Bolt URIs, which of the driver's real exceptions are transient, the error when the
server cannot be reached (through the API and the CLI), and the statements the store sends, checked
against a fake driver that records them (the Neo4j and the Memgraph dialect). With a server
(`CODEKG_NEO4J_URI`, see the README): a real indexed graph written, re-written, changed by a delta,
replaced, a poisoned row dead-lettered, and the metadata round trip.
"""

from __future__ import annotations

import copy
import os
import socket
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import neo4j
import pytest
from neo4j.exceptions import (
    AuthError,
    ClientError,
    ConnectionAcquisitionTimeoutError,
    ConstraintError,
    CypherSyntaxError,
    CypherTypeError,
    IncompleteCommit,
    Neo4jError,
    ServiceUnavailable,
    SessionError,
    SessionExpired,
    TransientError,
)

from codekg.errors import QueryError, StoreUnavailableError
from codekg.graph import Graph, graph_delta
from codekg.passes.load import metadata_graph
from codekg.schema import NODE_LABELS, REL_TYPES, cypher_label
from codekg.settings import load_settings
from codekg.stores import open_index, open_store, parse_store_uri
from codekg.stores import neo4j as neo4j_store
from codekg.stores.dead_letter import DeadLetterFile
from codekg.stores.neo4j import Neo4jStore
from codekg.stores.server_cypher import node_key
from codekg.stores.snapshot import read_graph

NEO4J_URI = os.environ.get("CODEKG_NEO4J_URI", "")
requires_server = pytest.mark.skipif(
    not NEO4J_URI,
    reason="set CODEKG_NEO4J_URI (and CODEKG_NEO4J_USER, CODEKG_NEO4J_PASSWORD) to run against a Neo4j or Memgraph server",
)
NEO4J_AGENT = "Neo4j/5.26.0"
MEMGRAPH_AGENT = "Neo4j/v5.11.0 compatible graph database server - Memgraph"


def server_error(code: str, message: str) -> Neo4jError:
    """The exception the driver raises for a server FAILURE with ``code``: its class follows the code."""
    return Neo4jError._hydrate_neo4j(code=code, message=message)


# --- URIs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "scheme", "host", "port", "database"),
    [
        ("bolt://localhost", "bolt", "localhost", 7687, ""),
        ("bolt://db.internal:7688/codegraph", "bolt", "db.internal", 7688, "codegraph"),
        ("neo4j://cluster.example", "neo4j", "cluster.example", 7687, ""),
        ("neo4j+s://x.databases.example/neo4j", "neo4j+s", "x.databases.example", 7687, "neo4j"),
        ("bolt+ssc://10.0.0.5:7000", "bolt+ssc", "10.0.0.5", 7000, ""),
    ],
)
def test_bolt_uris(uri, scheme, host, port, database):
    location = parse_store_uri(uri)
    assert (location.kind, location.scheme, location.host, location.port, location.graph) == ("bolt", scheme, host, port, database)
    assert location.user is None and location.password is None


def test_bolt_uri_credentials_are_kept_but_never_shown():
    location = parse_store_uri("neo4j+s://reader:p%40ss%3Aword@db.example:7690/code")
    assert (location.user, location.password) == ("reader", "p@ss:word")
    assert location.display == "neo4j+s://db.example:7690/code"
    assert "p@ss" not in repr(location) and "p%40ss" not in repr(location)


# --- a fake driver: what the store sends, and what a server answers ---------------------------------


class FakeServer:
    """Stands in for `neo4j.GraphDatabase.driver`: records every statement with how it was sent
    (`write`, `read` or `autocommit`), the database, and the transaction timeout; answers the
    statements the store sends. ``reject(statement, parameters)`` may return an error to raise."""

    def __init__(self, agent: str = NEO4J_AGENT) -> None:
        self.agent = agent
        self.sent: list[tuple[str, str, dict]] = []
        self.transactions: list[tuple[str, str | None, float | None]] = []
        self.nodes: dict[str, int] = {}  # label -> nodes the delete batches find
        self.answers: dict[str, tuple[list[str], list[list[Any]]]] = {}
        self.reject = lambda statement, parameters: None
        self.server_info_error: BaseException | None = None
        self.driver_calls: list[tuple[str, Any, dict]] = []
        self.bookmark_managers: set[int] = set()

    def driver(self, uri: str, auth: Any = None, **config: Any) -> "FakeDriver":
        self.driver_calls.append((uri, auth, config))
        return FakeDriver(self)

    def run(self, how: str, statement: str, parameters: dict) -> "FakeResult":
        error = self.reject(statement, parameters)
        if error is not None:
            raise error
        self.sent.append((how, statement, parameters))
        if "DETACH DELETE n RETURN count(*)" in statement:
            label = statement.split(":", 1)[1].split(")", 1)[0].strip("`")
            batch = min(self.nodes.get(label, 0), neo4j_store.DELETE_BATCH_SIZE)
            self.nodes[label] = self.nodes.get(label, 0) - batch
            return FakeResult(["count(*)"], [[batch]])
        return FakeResult(*self.answers.get(statement, ([], [])))

    def statements(self, how: str | None = None) -> list[str]:
        return [statement for kind, statement, _ in self.sent if how is None or kind == how]

    def written_rows(self, statement_start: str) -> list[Any]:
        return [row for kind, statement, parameters in self.sent if statement.startswith(statement_start)
                for row in parameters.get("rows", [])]


class FakeDriver:
    def __init__(self, server: FakeServer) -> None:
        self.server = server

    def get_server_info(self) -> SimpleNamespace:
        if self.server.server_info_error is not None:
            raise self.server.server_info_error
        return SimpleNamespace(agent=self.server.agent)

    def session(self, database: str | None = None, default_access_mode: str = neo4j.WRITE_ACCESS,
                bookmark_manager: Any = None) -> "FakeSession":
        self.server.bookmark_managers.add(id(bookmark_manager))
        return FakeSession(self.server, database)

    def close(self) -> None:
        pass


class FakeSession:
    def __init__(self, server: FakeServer, database: str | None) -> None:
        self.server, self.database = server, database

    def __enter__(self) -> "FakeSession":
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def _transaction(self, how: str, work: Any) -> Any:
        self.server.transactions.append((how, self.database, getattr(work, "timeout", None)))
        return work(SimpleNamespace(run=lambda statement, parameters=None: self.server.run(how, statement, parameters or {})))

    def execute_write(self, work: Any) -> Any:
        return self._transaction("write", work)

    def execute_read(self, work: Any) -> Any:
        return self._transaction("read", work)

    def run(self, statement: str, parameters: dict | None = None) -> "FakeResult":
        return self.server.run("autocommit", statement, parameters or {})


class FakeResult:
    def __init__(self, keys: list[str], rows: list[list[Any]]) -> None:
        self._keys, self._records = keys, [neo4j.Record(zip(keys, row)) for row in rows]

    def keys(self) -> list[str]:
        return self._keys

    def __iter__(self):
        return iter(self._records)

    def single(self) -> Any:
        return self._records[0]

    def consume(self) -> None:
        return None


@pytest.fixture
def fake_server(monkeypatch) -> FakeServer:
    server = FakeServer()
    monkeypatch.setattr(neo4j.GraphDatabase, "driver", server.driver)
    return server


def fake_store(tmp_path, uri: str = "bolt://127.0.0.1:7687/codegraph", **settings: Any) -> Neo4jStore:
    store = open_store(uri, load_settings(None, store_retry_delays=[0.0, 0.0], **settings), db_dir=tmp_path)
    assert isinstance(store, Neo4jStore)
    return store


def external_nodes(*names: str) -> Graph:
    graph = Graph()
    for name in names:
        graph.add_node("External", id=f"External:{name}", name=name, qualified_name=name)
    return graph


# --- transient or not, with the driver's own exceptions ---------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        ServiceUnavailable("Couldn't connect to localhost:7687"),
        SessionExpired("Failed to read from defunct connection"),
        IncompleteCommit("Connection lost while waiting for commit response"),
        ConnectionAcquisitionTimeoutError("failed to obtain a connection from the pool within 60.0s"),
        ConnectionResetError(104, "Connection reset by peer"),
        BrokenPipeError(32, "Broken pipe"),
        TimeoutError("timed out"),
        server_error("Neo.TransientError.Transaction.DeadlockDetected", "ForsetiClient[1] can't acquire ExclusiveLock"),
        server_error("Neo.TransientError.General.DatabaseUnavailable", "Database 'neo4j' is unavailable."),
        server_error("Neo.TransientError.Transaction.LockAcquisitionTimeout", "Unable to acquire lock within 10s"),
        server_error("Neo.ClientError.Security.AuthorizationExpired", "Authorization expired"),
        server_error("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", "terminated: timed out"),
        server_error("Memgraph.TransientError.MemgraphError.MemgraphError",
                     "Cannot resolve conflicting transactions. You can retry this transaction when the conflicting transaction is finished"),
        server_error("Memgraph.TransientError.MemgraphError.MemgraphError", "Unable to commit due to serialization error."),
    ],
    ids=lambda error: f"{type(error).__name__}:{getattr(error, 'code', '')}",
)
def test_transient_errors(fake_server, tmp_path, error):
    assert fake_store(tmp_path).is_transient(error)


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MATC'"), CypherSyntaxError),
        (server_error("Neo.ClientError.Statement.TypeError", "Property values can only be of primitive types or arrays thereof"), CypherTypeError),
        (server_error("Neo.ClientError.Schema.ConstraintValidationFailed", "already exists with label `File`"), ConstraintError),
        (server_error("Neo.ClientError.Statement.SemanticError", "Cannot merge the following node because of null property value"), ClientError),
        (server_error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized"), AuthError),
        # Neo4j 4.4 sent this as transient; the driver re-classifies it, as Neo4j 5 does: a killed transaction.
        (server_error("Neo.TransientError.Transaction.Terminated", "The transaction has been terminated"), ClientError),
        (server_error("Memgraph.TransientError.MemgraphError.MemgraphError", "Memory limit exceeded! Atempting to allocate a chunk of 1.00GiB"), TransientError),
        (server_error("Memgraph.ClientError.MemgraphError.MemgraphError", "Can't have null literal properties inside merge"), ClientError),
        (SessionError(None, "Session closed"), SessionError),
        (ValueError("not a driver error"), ValueError),
    ],
    ids=lambda value: getattr(value, "code", None) or getattr(value, "__name__", None) or type(value).__name__,
)
def test_rejections_are_not_transient(fake_server, tmp_path, error, kind):
    assert type(error) is kind
    assert not fake_store(tmp_path).is_transient(error)


# --- connecting ------------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_server_is_store_unavailable_naming_the_uri_without_password(tmp_path):
    port = closed_port()
    with pytest.raises(StoreUnavailableError) as error:
        open_store(f"bolt://neo4j:s3cret@127.0.0.1:{port}/codegraph", load_settings(None, store_retry_delays=[0.01]), tmp_path)
    message = str(error.value)
    assert message.startswith(f"bolt://127.0.0.1:{port}/codegraph kept failing after 1 retries: ServiceUnavailable")
    assert "s3cret" not in message


def test_cli_query_against_an_unreachable_server_exits_1(tmp_path):
    port = closed_port()
    result = subprocess.run(
        [sys.executable, "-m", "codekg", "query", "RETURN 1", "--repo", str(tmp_path)], capture_output=True, text=True,
        timeout=60, env={**os.environ, "CODEKG_STORE": f"bolt://neo4j:s3cret@127.0.0.1:{port}", "CODEKG_STORE_RETRY_DELAYS": "[0.01]"},
    )
    assert result.returncode == 1, result.stderr
    assert f"error: bolt://127.0.0.1:{port} kept failing after 1 retries" in result.stderr
    assert "s3cret" not in result.stderr + result.stdout and "Traceback" not in result.stderr


def test_driver_is_configured_from_the_uri_and_settings(fake_server, tmp_path):
    fake_store(tmp_path, "neo4j+s://reader:p%40ss@db.example:7690/code", store_timeout_seconds=12.5)
    [(uri, auth, config)] = fake_server.driver_calls
    assert uri == "neo4j+s://db.example:7690"
    assert auth == ("reader", "p@ss")
    # the batch writer's backoff is the retry policy: the driver's own managed-transaction retries are off
    assert config == {"connection_timeout": 12.5, "connection_acquisition_timeout": 12.5, "max_transaction_retry_time": 0}
    assert fake_server.transactions == [("read", "code", 12.5)]  # the probe, in the URI's database


def test_every_session_shares_one_bookmark_manager(fake_server, tmp_path):
    store = fake_store(tmp_path)
    store.write_graph(external_nodes("a"))
    store.query("MATCH (n) RETURN n")
    assert fake_server.bookmark_managers == {id(store._bookmarks)}  # a read sees the writes before it


def test_credentials_from_settings_and_no_auth_without_them(fake_server, tmp_path):
    fake_store(tmp_path, "bolt://localhost", store_user="neo4j", store_password="from-settings")
    fake_store(tmp_path, "bolt://localhost")
    assert [auth for _, auth, _ in fake_server.driver_calls] == [("neo4j", "from-settings"), None]


def test_refused_credentials_stop_at_once(fake_server, tmp_path):
    fake_server.server_info_error = server_error("Neo.ClientError.Security.Unauthorized", "The client is unauthorized due to authentication failure.")
    with pytest.raises(StoreUnavailableError) as error:
        fake_store(tmp_path, "bolt://neo4j:wrong-password@localhost")
    assert str(error.value) == ("bolt://localhost:7687 refused codekg: AuthError: "
                                "The client is unauthorized due to authentication failure.")


def test_unknown_database_is_store_unavailable(fake_server, tmp_path):
    fake_server.reject = lambda statement, _: (
        server_error("Neo.ClientError.Database.DatabaseNotFound", "Database does not exist. Database name: 'nope'.")
        if statement == "RETURN 1" else None)
    with pytest.raises(StoreUnavailableError, match="bolt://localhost:7687/nope refused codekg: ClientError: Database does not exist"):
        fake_store(tmp_path, "bolt://localhost/nope")


# --- the statements, per dialect -------------------------------------------------------------------


def test_neo4j_keys_are_named_unique_constraints_sent_outside_transactions(fake_server, tmp_path):
    store = fake_store(tmp_path)
    store.ensure_keys()
    assert not store.is_memgraph
    assert fake_server.statements("autocommit") == [
        f"CREATE CONSTRAINT codekg_{label.name}_{node_key(label.name)} IF NOT EXISTS "
        f"FOR (n:{cypher_label(label.name)}) REQUIRE n.{node_key(label.name)} IS UNIQUE"
        for label in NODE_LABELS
    ]


def test_memgraph_keys_are_an_index_and_a_constraint_and_existing_ones_are_fine(fake_server, tmp_path):
    fake_server.agent = MEMGRAPH_AGENT
    fake_server.reject = lambda statement, _: (
        server_error("Memgraph.ClientError.MemgraphError.MemgraphError", "Constraint UNIQUE on label File on properties id already exists.")
        if statement.startswith("CREATE CONSTRAINT ON (n:File)") else None)
    store = fake_store(tmp_path)
    store.ensure_keys()
    assert store.is_memgraph
    expected = []
    for label in NODE_LABELS:
        key = node_key(label.name)
        expected.append(f"CREATE INDEX ON :{cypher_label(label.name)}({key})")
        if label.name != "File":
            expected.append(f"CREATE CONSTRAINT ON (n:{cypher_label(label.name)}) ASSERT n.{key} IS UNIQUE")
    assert fake_server.statements("autocommit") == expected


def test_no_schema_permission_is_store_unavailable(fake_server, tmp_path):
    fake_server.reject = lambda statement, _: (
        server_error("Neo.ClientError.Security.Forbidden", "Schema operations are not allowed for user 'reader'")
        if statement.startswith("CREATE CONSTRAINT") else None)
    with pytest.raises(StoreUnavailableError, match="refused codekg: Forbidden: Schema operations are not allowed"):
        fake_store(tmp_path).ensure_keys()


def test_writes_are_managed_transactions_in_the_uri_database(fake_server, tmp_path):
    store = fake_store(tmp_path, store_timeout_seconds=30)
    store.write_graph(external_nodes("a", "b"))
    assert set(fake_server.transactions[1:]) == {("write", "codegraph", 30)}  # after the connect probe
    assert fake_server.written_rows("UNWIND $rows AS row MERGE (n:External") == external_nodes("a", "b").nodes["External"]


def test_reads_carry_the_query_timeout_and_stop_at_it(fake_server, tmp_path):
    store = fake_store(tmp_path, store_timeout_seconds=30)
    store.set_query_timeout(2.5)
    fake_server.reject = lambda statement, _: (
        server_error("Neo.ClientError.Transaction.TransactionTimedOutClientConfiguration", "terminated: timed out")
        if statement.startswith("MATCH (n)") else None)
    store.query("RETURN 2")
    with pytest.raises(QueryError, match=r"ran longer than 2\.5 s"):
        store.query("MATCH (n) RETURN count(n)")
    assert fake_server.transactions[1:] == [("read", "codegraph", 2.5)] * 2 and store.write_stats.retries == 0


def test_memgraph_writes_carry_no_transaction_timeout(fake_server, tmp_path):
    fake_server.agent = MEMGRAPH_AGENT
    store = fake_store(tmp_path)
    store.write_graph(external_nodes("a"))
    assert {timeout for _, _, timeout in fake_server.transactions} == {None}


def test_replace_deletes_only_codekg_labels_in_batches_metadata_first_then_writes_metadata_last(fake_server, tmp_path, monkeypatch):
    monkeypatch.setattr(neo4j_store, "DELETE_BATCH_SIZE", 10)
    fake_server.nodes = {"IndexMeta": 4, "Function": 25, "File": 10}
    store = fake_store(tmp_path)
    store.replace_graph(external_nodes("a", "b").to_tables(), metadata_graph({"generation": "g2"}))
    writes = fake_server.statements("write")
    deletes = [statement.split(":", 1)[1].split(")", 1)[0].strip("`") for statement in writes if "DETACH DELETE n RETURN count(*)" in statement]
    others = [label.name for label in NODE_LABELS if label.name not in ("IndexMeta", "Function", "File")]
    assert deletes[0] == "IndexMeta" and deletes.count("Function") == 3 and deletes.count("File") == 2
    assert sorted(set(deletes)) == sorted(label.name for label in NODE_LABELS) and all(deletes.count(name) == 1 for name in others)
    assert fake_server.nodes == {"IndexMeta": 0, "Function": 0, "File": 0, **{name: 0 for name in others}}
    last_delete = max(i for i, statement in enumerate(writes) if "DETACH DELETE" in statement)
    assert writes[last_delete + 1].startswith("UNWIND $rows AS row MERGE (n:External")
    assert writes[-2:] == ["MATCH (m:IndexMeta) DELETE m", "UNWIND $rows AS row MERGE (n:IndexMeta {key: row.key}) SET n.value = row.value"]


def test_a_rejected_row_is_dead_lettered_and_the_others_land(fake_server, tmp_path):
    fake_server.reject = lambda _, parameters: next(
        (server_error("Neo.ClientError.Statement.TypeError",
                      "Property values can only be of primitive types or arrays thereof. Encountered: Map{}.")
         for row in parameters.get("rows", []) if isinstance(row, dict) and isinstance(row.get("name"), dict)), None)
    graph = external_nodes("a", "b", "c", "d", "e")
    graph.nodes["External"][2]["name"] = {"a": "map"}
    store = fake_store(tmp_path, "bolt://neo4j:s3cret@localhost")
    store.write_graph(graph)
    landed = fake_server.written_rows("UNWIND $rows AS row MERGE (n:External")
    assert sorted(row["id"] for row in landed) == ["External:a", "External:b", "External:d", "External:e"]
    [record] = DeadLetterFile.in_index(tmp_path).read()
    assert (record.store, record.operation, record.table, record.row) == ("bolt://localhost:7687", "merge-nodes", "External", graph.nodes["External"][2])
    assert record.reason.startswith("CypherTypeError: ") and "Property values can only be of primitive types" in record.reason
    assert (store.write_stats.failed, store.write_stats.splits) == (1, 2)  # 5 -> 2 + 3, 3 -> 1 + 2


def test_a_dropped_connection_is_retried(fake_server, tmp_path):
    failures = [ServiceUnavailable("Failed to read from defunct connection")]
    fake_server.reject = lambda statement, _: failures.pop() if failures and statement.startswith("UNWIND") else None
    store = fake_store(tmp_path)
    store.write_graph(external_nodes("a"))
    assert store.write_stats.retries == 1 and store.write_stats.failed == 0
    assert [row["id"] for row in fake_server.written_rows("UNWIND")] == ["External:a"]


def test_no_write_permission_stops_the_write_instead_of_dead_lettering_every_row(fake_server, tmp_path):
    fake_server.reject = lambda statement, _: (
        server_error("Neo.ClientError.Security.Forbidden", "Create node with labels 'External' on database 'neo4j' is not allowed")
        if statement.startswith("UNWIND") else None)
    store = fake_store(tmp_path)
    with pytest.raises(StoreUnavailableError, match="refused codekg: Forbidden: Create node with labels"):
        store.write_graph(external_nodes("a", "b"))
    assert DeadLetterFile.in_index(tmp_path).read() == [] and store.write_stats.failed == 0


def test_query_values_come_back_plain(fake_server, tmp_path):
    graph = neo4j.graph.Graph()
    node = neo4j.graph.Node(graph, "4:x:1", 1, ["Function"], {"id": "Function:f", "line": 3})
    edge = neo4j.graph.Relationship(graph, "5:x:2", 2, {"confidence": 0.9})
    fake_server.answers["MATCH (n) RETURN n"] = (
        ["n", "e", "at", "where", "nested"],
        [[node, edge, neo4j.time.DateTime(2024, 5, 1, 12, 30), neo4j.spatial.CartesianPoint((1.0, 2.0)), [node, {"k": neo4j.time.Date(2024, 1, 2)}]]],
    )
    result = fake_store(tmp_path).query("MATCH (n) RETURN n")
    assert result.columns == ["n", "e", "at", "where", "nested"]
    assert result.rows == [[
        {"id": "Function:f", "line": 3}, {"confidence": 0.9}, "2024-05-01T12:30:00.000000000", "CartesianPoint(1.0, 2.0)",
        [{"id": "Function:f", "line": 3}, {"k": "2024-01-02"}],
    ]]
    assert fake_server.transactions[-1][0] == "read"


def test_a_rejected_query_raises_the_server_message(fake_server, tmp_path):
    store = fake_store(tmp_path)
    fake_server.reject = lambda statement, _: server_error("Neo.ClientError.Statement.SyntaxError", "Invalid input 'MATC'") if statement.startswith("MATC ") else None
    with pytest.raises(QueryError, match="^Invalid input 'MATC'$"):
        store.query("MATC (n) RETURN n")


# --- against a real server -------------------------------------------------------------------------


@pytest.fixture
def server(tmp_path):
    settings = load_settings(None, store_user=os.environ.get("CODEKG_NEO4J_USER"),
                             store_password=os.environ.get("CODEKG_NEO4J_PASSWORD"), store_retry_delays=[0.2, 0.5, 1.0])
    store = Neo4jStore(parse_store_uri(NEO4J_URI), settings, tmp_path / "db")
    wipe(store)
    yield store
    wipe(store)
    store.close()


def wipe(store: Neo4jStore) -> None:
    """Every codekg node of the test database (the README says: a throwaway server)."""
    for label in NODE_LABELS:
        store.delete_label(label.name)


@pytest.fixture
def indexed(index_fixture) -> tuple[Graph, dict[str, int]]:
    """pyrepo indexed into the embedded store: its graph, and its node and edge counts."""
    repo = index_fixture("pyrepo")
    store = open_index(repo.db, repo.settings)
    try:
        return read_graph(store), counts(store)
    finally:
        store.close()


def counts(store: Any) -> dict[str, int]:
    result = {label.name: store.query(f"MATCH (n:{cypher_label(label.name)}) RETURN count(n)").rows[0][0] for label in NODE_LABELS}
    for rel in REL_TYPES:
        for source, target in rel.pairs:
            query = f"MATCH (a:{cypher_label(source)})-[e:{rel.name}]->(b:{cypher_label(target)}) RETURN count(e)"
            result[f"{rel.name}({source}->{target})"] = store.query(query).rows[0][0]
    return result


def comparable(graph: Graph) -> tuple[dict, dict]:
    nodes = {label: sorted(map(repr, rows)) for label, rows in graph.nodes.items() if rows}
    edges = {key: sorted(map(repr, rows)) for key, rows in graph.edges.items() if rows}
    return nodes, edges


def without_metadata(graph: Graph) -> Graph:
    result = copy.deepcopy(graph)
    result.nodes.pop("IndexMeta", None)
    return result


@requires_server
def test_an_indexed_graph_lands_whole(server, indexed):
    graph, embedded_counts = indexed
    server.write_tables(graph.to_tables())
    assert counts(server) == embedded_counts
    assert comparable(read_graph(server)) == comparable(graph)
    assert server.write_stats.failed == 0


@requires_server
def test_writing_again_duplicates_nothing(server, indexed):
    graph, embedded_counts = indexed
    server.write_tables(graph.to_tables())
    server.write_tables(graph.to_tables())
    assert counts(server) == embedded_counts
    for label in NODE_LABELS:
        key = node_key(label.name)
        duplicates = server.query(f"MATCH (n:{label.name}) WITH n.{key} AS k, count(*) AS c WHERE c > 1 RETURN k")
        assert duplicates.rows == [], label.name
    assert comparable(read_graph(server)) == comparable(graph)


@requires_server
def test_apply_delta_turns_the_stored_graph_into_the_next(server, indexed):
    graph, _ = indexed
    server.write_tables(graph.to_tables())
    old = without_metadata(graph)
    new = copy.deepcopy(old)
    removed = new.nodes["Function"].pop(0)["id"]
    for key, rows in new.edges.items():
        new.edges[key] = [row for row in rows if removed not in (row["from"], row["to"])]
    new.nodes["Class"][0]["docstring"] = "Changed by the delta."
    new.add_node("Function", id="Function:delta.added", name="added", qualified_name="delta.added")
    metadata = metadata_graph({"generation": "after-delta", "schema_version": "x"})
    server.apply_delta(graph_delta(old, new), metadata)
    expected = Graph.combined(new, metadata)
    assert comparable(read_graph(server)) == comparable(expected)
    assert server.read_metadata() == {"generation": "after-delta", "schema_version": "x"}


@requires_server
def test_replace_graph_leaves_only_the_new_graph_and_other_data_alone(server, indexed, monkeypatch):
    monkeypatch.setattr(neo4j_store, "DELETE_BATCH_SIZE", 5)  # several delete batches per label
    graph, _ = indexed
    server.write_tables(graph.to_tables())
    server.with_retries(lambda: server._run_write("CREATE (:NotCodekg {name: 'keep'})", {}))
    try:
        replacement = external_nodes("x", "y")
        replacement.add_node("Project", id="Project:p", name="p", qualified_name="p")
        metadata = metadata_graph({"generation": "replaced"})
        server.replace_graph(replacement.to_tables(), metadata)
        assert comparable(read_graph(server)) == comparable(Graph.combined(replacement, metadata))
        assert server.query("MATCH (n:NotCodekg) RETURN n.name").rows == [["keep"]]
    finally:
        server.with_retries(lambda: server._run_write("MATCH (n:NotCodekg) DETACH DELETE n", {}))


@requires_server
@pytest.mark.parametrize("poison", ["map property", "null key"])
def test_a_poisoned_row_is_dead_lettered_and_the_others_land(server, poison):
    if poison == "map property" and server.is_memgraph:
        pytest.skip("Memgraph stores maps as property values")
    graph = external_nodes("a", "b", "c", "d", "e")
    bad = graph.nodes["External"][2]
    if poison == "map property":
        bad["name"] = {"nested": "map"}
    else:
        bad["id"] = None
    server.write_graph(graph)
    assert sorted(row[0] for row in server.query("MATCH (n:External) RETURN n.id").rows) == [
        "External:a", "External:b", "External:d", "External:e"]
    [record] = server.dead_letter.read()
    assert (record.store, record.operation, record.table, record.row) == (server.display, "merge-nodes", "External", bad)
    assert server.write_stats.failed == 1


@requires_server
def test_metadata_round_trip(server):
    server.write_metadata(metadata_graph({"generation": "g1", "commit": "abc123"}))
    assert server.read_metadata() == {"generation": "g1", "commit": "abc123"}
    server.write_metadata(metadata_graph({"generation": "g2"}))
    assert server.read_metadata() == {"generation": "g2"}


def test_an_index_run_against_an_unreachable_server_stops_after_one_series_of_retries(tmp_path):
    """The first read of the server (its schema version, before any parsing) spends the retries; the
    run stops there instead of parsing, then retrying the load's writes all over again (a new user
    waited 75-110 s through three series of 1-16 s)."""
    port = closed_port()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("def f():\n    return 1\n")
    result = subprocess.run(
        [sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db")], capture_output=True, text=True,
        timeout=60, env={**os.environ, "CODEKG_STORE": f"bolt://127.0.0.1:{port}", "CODEKG_STORE_RETRY_DELAYS": "[0.01, 0.02]"},
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.count("retrying") == 2 and "parse" not in result.stderr
    assert f"error: bolt://127.0.0.1:{port} kept failing after 2 retries" in result.stderr
