"""The batch writer's retry schedule and splitting, against a real FalkorDB server (or none at all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from codekg.errors import StoreUnavailableError
from codekg.graph import Graph
from codekg.settings import load_settings
from codekg.stores.batches import BatchWriter, jittered
from codekg.stores.falkordb import FalkorDBStore
from codekg.stores.server_cypher import merge_nodes
from codekg.stores.uri import parse_store_uri
from falkordb_server import FalkorDBServer


def test_jitter_stays_within_half_the_delay() -> None:
    samples = [jittered(4.0) for _ in range(2000)]
    assert min(samples) >= 2.0 and max(samples) <= 6.0
    assert max(samples) - min(samples) > 3.0  # spread out, not one value


def test_a_server_that_stays_down_is_retried_on_the_schedule_then_reported(tmp_path: Path) -> None:
    """Nothing listens on the port: one attempt plus one retry after each delay, then StoreUnavailableError."""
    waits: list[float] = []
    with FalkorDBServer() as server:  # connect while it is up, then stop it
        store = FalkorDBStore(parse_store_uri(server.uri("g")), load_settings(store_retry_delays=[1, 2, 4, 8, 16]), tmp_path,
                              read_only=False)
    store.writer._sleep = waits.append  # record the waits instead of sleeping them
    graph = Graph()
    graph.add_node("Project", id="Project:", name="p")
    with pytest.raises(StoreUnavailableError, match="kept failing after 5 retries: ConnectionError"):
        store.writer.write(merge_nodes("Project"), graph.nodes["Project"])
    assert len(waits) == 5
    for wait, delay in zip(waits, [1, 2, 4, 8, 16]):
        assert 0.5 * delay <= wait <= 1.5 * delay
    assert store.write_stats.retries == 5 and store.write_stats.failed == 0
    assert not (tmp_path / "failed_ingestion.jsonl").exists()  # an outage is not the rows' fault


def test_a_batch_the_server_rejects_is_split_down_to_the_bad_row(tmp_path: Path, falkordb_graph_uri: str) -> None:
    graph = Graph()
    for n in range(8):
        graph.add_node("Function", id=f"Function:m.py:m.f{n}", name=f"f{n}")
    graph.nodes["Function"][5]["name"] = "bad\x00name"  # FalkorDB's client cannot send a NUL in a parameter
    with FalkorDBStore(parse_store_uri(falkordb_graph_uri), load_settings(store_batch_size=8), tmp_path, read_only=False) as store:
        store.write_graph(graph)
        assert sorted(r[0] for r in store.query("MATCH (n:Function) RETURN n.name").rows) == [f"f{n}" for n in range(8) if n != 5]
        # 8 → 4+4 → (2+2) → (1+1): three splits; 1 + 2 + 2 + 2 statements = 7, plus 1 for the good half
        assert (store.write_stats.splits, store.write_stats.failed, store.write_stats.rows) == (3, 1, 7)


def test_a_writer_without_a_rejection_rule_never_splits() -> None:
    calls: list[int] = []

    def run(statement: str, parameters: dict) -> None:
        calls.append(len(parameters["rows"]))
        raise AttributeError("a bug, not the rows")

    writer = BatchWriter(run, lambda e: False, lambda e: not isinstance(e, AttributeError), "s", 4, [], None)
    with pytest.raises(AttributeError):
        writer.write(merge_nodes("Project"), [{"id": str(n)} for n in range(4)])
    assert calls == [4]
