"""The FalkorDB store against a real server: exact graphs, idempotent writes, keys, dead letters, crashes."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from codekg.errors import QueryError, StoreError
from codekg.graph import Graph
from codekg.settings import load_settings
from codekg.stores.dead_letter import DEAD_LETTER_FILE
from codekg.stores.falkordb import FalkorDBStore
from codekg.stores.snapshot import read_graph
from codekg.stores.uri import parse_store_uri
from falkordb_server import FalkorDBServer
from graphs import canonical, embedded_graph, index_embedded, write_repo

EXPECTED_NODES = {"Class": 3, "File": 4, "Folder": 1, "Function": 9, "Import": 2, "Method": 3, "Module": 4, "Project": 1}
EXPECTED_EDGES = {"BELONGS_TO": 17, "CALLS": 11, "CONTAINS": 5, "DEFINES": 18, "HAS_METHOD": 3, "IMPORTS": 2}


def _store(uri: str, db: Path | None = None, read_only: bool = False, **overrides: object) -> FalkorDBStore:
    return FalkorDBStore(parse_store_uri(uri), load_settings(**overrides), db, read_only=read_only)


def _metadata(generation: str) -> Graph:
    meta = Graph()
    meta.add_node("IndexMeta", key="generation", value=generation)
    return meta


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Graph]:
    root = tmp_path_factory.mktemp("repo")
    repo = write_repo(root / "repo")
    index_embedded(repo, root / "db")
    return root / "db", embedded_graph(root / "db")


def test_replace_graph_holds_exactly_the_embedded_graph(indexed: tuple[Path, Graph], falkordb_graph_uri: str) -> None:
    db, graph = indexed
    assert graph.node_counts() == EXPECTED_NODES and graph.edge_counts() == EXPECTED_EDGES
    with _store(falkordb_graph_uri, db) as store:
        store.replace_graph(graph.to_tables(), _metadata("g1"))
        stored = read_graph(store, include_metadata=False)
        assert store.read_metadata() == {"generation": "g1"}
        assert store.write_stats.failed == 0
    assert canonical(stored) == canonical(graph)
    assert ("CALLS", "Function", "Function") in stored.edges
    assert {"from": "Function:pkg/mod1.py:pkg.mod1.f2", "to": "Function:pkg/mod0.py:pkg.mod0.f0", "confidence": 1.0,
            "reason": "import", "line": 13, "call_count": 1} in stored.edges[("CALLS", "Function", "Function")]


def test_writes_are_idempotent_and_keys_unique(indexed: tuple[Path, Graph], falkordb_graph_uri: str) -> None:
    _, graph = indexed
    with _store(falkordb_graph_uri) as store:
        store.write_tables(graph.to_tables())
        store.write_tables(graph.to_tables())  # a retried or replayed write changes nothing
        stored = read_graph(store, include_metadata=False)
        constraints = store.query("CALL db.constraints() YIELD type, label, properties, status RETURN type, label, properties, status").rows
    assert stored.node_counts() == EXPECTED_NODES and stored.edge_counts() == EXPECTED_EDGES
    assert sorted(constraints) == sorted(["UNIQUE", label, ["key" if label == "IndexMeta" else "id"], "OPERATIONAL"]
                                         for label in ("Project", "Folder", "File", "Module", "Class", "Interface",
                                                       "Function", "Method", "Variable", "Type", "Enum", "Import", "Decorator",
                                                       "External", "Package", "Database", "Schema",
                                                       "Table", "View", "Column", "SqlStatement", "Ontology",
                                                       "OntologyClass", "OntologyProperty", "Axiom", "IndexMeta"))


def test_replace_drops_what_the_new_graph_lacks(indexed: tuple[Path, Graph], falkordb_graph_uri: str) -> None:
    _, graph = indexed
    smaller = Graph()
    smaller.nodes["Project"] = graph.nodes["Project"]
    with _store(falkordb_graph_uri) as store:
        store.replace_graph(graph.to_tables(), _metadata("g1"))
        store.replace_graph(smaller.to_tables(), _metadata("g2"))
        assert read_graph(store, include_metadata=False).node_counts() == {"Project": 1}
        assert store.read_metadata() == {"generation": "g2"}
        assert [g for g in store._client.list_graphs() if "staging" in g] == []


def test_query_is_read_only_unless_opened_for_writing(falkordb_graph_uri: str) -> None:
    with _store(falkordb_graph_uri) as writer:
        writer.write_graph(_metadata("g1"))
    with _store(falkordb_graph_uri, read_only=True) as reader:
        with pytest.raises(QueryError, match="(?i)read-only|write"):
            reader.query("CREATE (:Project {id: 'x'})")
        assert reader.query("MATCH (m:IndexMeta) RETURN m.value").rows == [["g1"]]


def test_a_read_past_the_query_timeout_is_stopped_and_not_retried(falkordb_graph_uri: str) -> None:
    """What the HTTP API and the MCP server set (`query_timeout_seconds`); the notes' slow read."""
    with _store(falkordb_graph_uri) as writer:
        writer.write_graph(_metadata("g1"))
    with _store(falkordb_graph_uri, read_only=True) as reader:
        reader.set_query_timeout(0.05)
        started = time.monotonic()
        with pytest.raises(QueryError, match=r"ran longer than 0\.05 s"):
            reader.query("UNWIND range(1, 3000) AS a UNWIND range(1, 3000) AS b WITH a, b WHERE a * b = -1 RETURN count(*)")
        assert time.monotonic() - started < 5 and reader.write_stats.retries == 0
        assert reader.query("MATCH (m:IndexMeta) RETURN m.value").rows == [["g1"]]


def test_a_poisoned_record_is_dead_lettered_and_every_other_record_lands(tmp_path: Path, falkordb_graph_uri: str) -> None:
    graph = Graph()
    for n in range(40):
        graph.add_node("Function", id=f"Function:m.py:m.f{n}", name=f"f{n}", decorators=["@d"])
    graph.nodes["Function"][17]["decorators"] = ["@ok", None]  # FalkorDB takes no null inside a list
    with _store(falkordb_graph_uri, tmp_path, store_batch_size=16) as store:
        store.write_graph(graph)
        names = {row[0] for row in store.query("MATCH (n:Function) RETURN n.name").rows}
        stats = store.write_stats
    assert names == {f"f{n}" for n in range(40)} - {"f17"}
    assert (stats.failed, stats.rows) == (1, 39)
    assert stats.splits == 4  # 16 → 8 → 4 → 2 → 1: one split per level on the way to the bad row
    lines = (tmp_path / DEAD_LETTER_FILE).read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["store"] == falkordb_graph_uri and record["operation"] == "merge-nodes" and record["table"] == "Function"
    assert record["row"]["id"] == "Function:m.py:m.f17" and record["row"]["decorators"] == ["@ok", None]
    assert "primitive types" in record["reason"]


def _crash_when_staging_holds(server: FalkorDBServer, nodes: int, down_seconds: float, crashed: threading.Event) -> threading.Thread:
    """A thread that SIGKILLs the server once the staging graph holds ``nodes`` nodes, and starts it
    again ``down_seconds`` later."""

    def crash() -> None:
        client = server.client()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            staging = [g for g in client.list_graphs() if "staging" in g]
            if staging and client.select_graph(staging[0]).ro_query("MATCH (n) RETURN count(n)").result_set[0][0] >= nodes:
                server.kill()
                crashed.set()
                time.sleep(down_seconds)
                server.restart()
                return
            time.sleep(0.005)

    thread = threading.Thread(target=crash)
    thread.start()
    return thread


def test_a_load_survives_a_server_crash_and_restart(tmp_path: Path) -> None:
    """SIGKILL the server in the middle of a replace, start it again 1.5 s later: the writer's retries
    carry the load through, and the graph equals the embedded one with no duplicates."""
    repo = write_repo(tmp_path / "repo", modules=30, functions=8)
    index_embedded(repo, tmp_path / "db")
    graph = embedded_graph(tmp_path / "db")
    with FalkorDBServer(extra_args=["--appendonly", "yes", "--appendfsync", "always"]) as server:
        uri = server.uri("crash")
        store = _store(uri, tmp_path, store_batch_size=10, store_retry_delays=[0.5, 1.0, 2.0, 4.0, 8.0, 16.0])
        crashed = threading.Event()
        killer = _crash_when_staging_holds(server, 100, 1.5, crashed)
        try:
            store.replace_graph(graph.to_tables(), _metadata("g1"))
        finally:
            killer.join()
        assert crashed.is_set()
        assert store.write_stats.retries >= 1 and store.write_stats.failed == 0
        with _store(uri, read_only=True) as reader:
            stored = read_graph(reader, include_metadata=False)
            ids = [row[0] for row in reader.query("MATCH (n) WHERE n.id IS NOT NULL RETURN n.id").rows]
        store.close()
    assert len(ids) == len(set(ids))
    assert stored.node_counts() == graph.node_counts() and stored.edge_counts() == graph.edge_counts()
    assert canonical(stored) == canonical(graph)


def test_a_server_that_restarts_empty_gets_the_whole_graph_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Without persistence a restart loses what was written; the node counts checked before the
    RENAME catch it and the write starts over."""
    repo = write_repo(tmp_path / "repo", modules=30, functions=8)
    index_embedded(repo, tmp_path / "db")
    graph = embedded_graph(tmp_path / "db")
    with FalkorDBServer() as server:
        uri = server.uri("volatile")
        store = _store(uri, tmp_path, store_batch_size=10, store_retry_delays=[0.5, 1.0, 2.0, 4.0, 8.0])
        crashed = threading.Event()
        killer = _crash_when_staging_holds(server, 100, 1.0, crashed)
        try:
            store.replace_graph(graph.to_tables(), _metadata("g1"))
        finally:
            killer.join()
        with _store(uri, read_only=True) as reader:
            stored = read_graph(reader, include_metadata=False)
        store.close()
    assert crashed.is_set() and "lost written nodes" in caplog.text and "attempt 2" in caplog.text
    assert canonical(stored) == canonical(graph)


def test_wrong_credentials_fail_at_once_with_a_clear_message(tmp_path: Path) -> None:
    """No retry or split helps a refused login: one StoreError naming the store, never the password."""
    with FalkorDBServer() as server:
        admin = server.client()
        admin.connection.config_set("requirepass", "right-one")
        admin.close()
        started = time.monotonic()
        with pytest.raises(StoreError, match=r"refused codekg: AuthenticationError") as caught:
            _store(server.uri("g"), tmp_path, store_password="wrong-one")
        assert time.monotonic() - started < 5  # no 1+2+4+8+16 s of retries
        assert "wrong-one" not in str(caught.value) and server.uri("g") in str(caught.value)
        with _store(server.uri("g"), tmp_path, store_password="right-one", read_only=False) as store:
            store.write_graph(_metadata("g1"))
            assert store.read_metadata() == {"generation": "g1"}
