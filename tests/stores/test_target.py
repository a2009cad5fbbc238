"""`codekg index --store falkordb://…`: the graph lives on the server, the state in <db>; full and
incremental runs leave the server holding exactly what a fresh embedded index holds."""

from __future__ import annotations

from pathlib import Path

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import IndexDirectory, open_index
from codekg.stores.snapshot import read_graph
from graphs import canonical, embedded_graph, index_embedded, write_repo


def _server_graph(db: Path, uri: str):
    store = open_index(db, load_settings(store=uri))
    try:
        return read_graph(store, include_metadata=False), store.read_metadata()
    finally:
        store.close()


def test_full_then_incremental_runs_on_a_server_store(tmp_path: Path, falkordb_graph_uri: str) -> None:
    repo = write_repo(tmp_path / "repo")
    settings = load_settings(repo, store=falkordb_graph_uri)
    first = index_repository(repo, tmp_path / "db", settings)
    assert first.delta["mode"] == "full"
    graph, metadata = _server_graph(tmp_path / "db", falkordb_graph_uri)
    assert graph.node_counts() == first.nodes and graph.edge_counts() == first.edges
    marker = IndexDirectory(tmp_path / "db").current_graph()
    assert marker is not None and marker.read_text().strip() == falkordb_graph_uri

    (repo / "pkg" / "mod1.py").write_text("def g():\n    return h()\n\n\ndef h():\n    return 1\n")
    (repo / "pkg" / "mod2.py").unlink()
    second = index_repository(repo, tmp_path / "db", settings)
    assert second.delta["mode"] == "incremental"
    # mod1 loses f0..f2, C1, run and its Import; mod2 goes entirely (its Import too); g, h, their
    # DEFINES, their BELONGS_TO and the call g → h are added
    assert (second.delta["nodes_removed"], second.delta["nodes_added"], second.delta["edges_added"]) == (14, 2, 5)
    graph, metadata2 = _server_graph(tmp_path / "db", falkordb_graph_uri)
    assert metadata2["generation"] != metadata["generation"]

    index_embedded(repo, tmp_path / "fresh")  # what a full index of the edited repository holds
    assert canonical(graph) == canonical(embedded_graph(tmp_path / "fresh"))


def test_a_server_graph_changed_behind_codekg_is_replaced_not_patched(tmp_path: Path, falkordb_graph_uri: str) -> None:
    repo = write_repo(tmp_path / "repo")
    settings = load_settings(repo, store=falkordb_graph_uri)
    index_repository(repo, tmp_path / "db", settings)
    from codekg.stores import open_server_store, parse_store_uri

    with open_server_store(parse_store_uri(falkordb_graph_uri), settings, None, read_only=False) as server:
        server.query("MATCH (m:IndexMeta {key: 'generation'}) SET m.value = 'someone else'")
    (repo / "pkg" / "mod0.py").write_text("def only():\n    return 0\n")
    summary = index_repository(repo, tmp_path / "db", settings)
    assert summary.delta["mode"] == "full"  # the delta was refused: the server holds another generation
    index_embedded(repo, tmp_path / "fresh")
    assert canonical(_server_graph(tmp_path / "db", falkordb_graph_uri)[0]) == canonical(embedded_graph(tmp_path / "fresh"))
