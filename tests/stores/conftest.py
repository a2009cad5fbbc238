"""FalkorDB fixtures: one real server per session, a fresh graph name per test, a private server to crash."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

import pytest

from falkordb_server import FalkorDBServer

_graph_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def falkordb_server() -> Iterator[FalkorDBServer]:
    """Shared by most tests; never kill or restart it (use ``falkordb_server_fresh``). Fails, never skips."""
    with FalkorDBServer() as server:
        yield server


@pytest.fixture
def falkordb_graph_uri(falkordb_server: FalkorDBServer, request: pytest.FixtureRequest) -> Iterator[str]:
    """``falkordb://127.0.0.1:PORT/<graph>`` with a graph name no other test uses; the graph is deleted after."""
    graph = f"t{next(_graph_numbers)}_{re.sub(r'[^A-Za-z0-9]+', '_', request.node.name)[:60]}"
    yield falkordb_server.uri(graph)
    client = falkordb_server.client()
    try:
        if graph in client.list_graphs():
            client.select_graph(graph).delete()
    finally:
        client.close()


@pytest.fixture
def falkordb_server_fresh() -> Iterator[FalkorDBServer]:
    """A server of the test's own, free to be killed, stopped and restarted."""
    with FalkorDBServer() as server:
        yield server
