"""The read side on every other store: a fixture repository indexed twice, into the embedded store
and into a real FalkorDB server or a real CozoDB engine, answers context, impact, detect-changes,
the call graph, search, stats and the service's operations (the HTTP API, the MCP server)
identically from both. The shared store suite: the same reads through the query layer
(stores/reads.py), whatever language the store speaks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from analysis_repos import git, git_repo, write_files
from codekg.analysis.changes import detect_changes
from codekg.analysis.context import RELATION_KEYS, symbol_context
from codekg.analysis.impact import DIRECTIONS, impact
from codekg.analysis.symbols import SYMBOL_LABELS, label_of_id
from codekg.api.app import create_app
from codekg.callgraph import read_call_graph, repository_call_graph
from codekg.errors import CodekgError
from codekg.mcp_server import create_mcp_server
from codekg.pipeline import index_repository
from codekg.search import search_result
from codekg.search.sync import search_path
from codekg.service import GraphService, ServedRepository, index_stats
from codekg.settings import Settings, load_settings
from codekg.stores import GraphStore, open_index
from codekg.stores.dialect import LADYBUG, OPENCYPHER

FIXTURES = Path(__file__).parent.parent / "fixtures"
SEARCHES = ("order", "save", "validate total", "checkout", "greet", "user name", "util helper")
# What an index run records about itself, different in two runs; everything else of `stats` must agree.
RUN_STATS = ("db", "indexed_at", "index_seconds", "pass_seconds")


@dataclass
class Indexed:
    """One repository with an index per store; ``stores`` are open read-only: (embedded, server)."""

    repo: Path
    dbs: tuple[Path, Path]
    settings: tuple[Settings, Settings]
    stores: tuple[GraphStore, GraphStore]

    def both(self, read: Callable[[GraphStore], Any]) -> tuple[Any, Any]:
        """``read`` on each store: its result, or the error's type, message and candidates."""
        return _outcome(read, self.stores[0]), _outcome(read, self.stores[1])

    def symbol_ids(self) -> list[str]:
        ids = sorted(row[0] for row in self.stores[0].query("MATCH (n) RETURN n.id").rows
                     if row[0] and label_of_id(row[0]) in SYMBOL_LABELS)
        assert ids
        return ids

    def close(self) -> None:
        for store in self.stores:
            store.close()


def _outcome(read: Callable[[GraphStore], Any], store: GraphStore) -> Any:
    try:
        return read(store)
    except CodekgError as error:
        return type(error).__name__, str(error), getattr(error, "candidates", None)


def index_both(repo: Path, graph_uri: str) -> Indexed:
    """Index ``repo`` into the embedded store and into the server graph ``graph_uri``, and open both."""
    settings = (load_settings(repo), load_settings(repo, store=graph_uri))
    dbs = (repo.parent / "db-embedded", repo.parent / "db-server")
    for db, each in zip(dbs, settings):
        index_repository(repo, db, each)
    stores = (open_index(dbs[0], settings[0]), open_index(dbs[1], settings[1]))
    assert stores[0].dialect == LADYBUG
    assert getattr(stores[1], "dialect", None) == (None if graph_uri.startswith("cozo://") else OPENCYPHER)
    return Indexed(repo, dbs, settings, stores)


STORES = ["falkordb", "cozo"]


@pytest.fixture(scope="module", params=STORES)
def other_store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Which store the fixture repository is indexed into beside the embedded one."""
    return request.param


def _other_uri(kind: str, name: str, root: Path, request: pytest.FixtureRequest) -> str:
    if kind == "cozo":
        return f"cozo://{root / 'cozo'}"
    return request.getfixturevalue("falkordb_server").uri(name)


@pytest.fixture(scope="module", params=["pyrepo", "jsrepo"])
def indexed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, other_store: str) -> Iterator[Indexed]:
    """A fixture repository (a git repository), indexed into both stores, for the tests that only read."""
    name = request.param
    root = tmp_path_factory.mktemp(f"{name}-{other_store}")
    repo = git_repo(shutil.copytree(FIXTURES / name, root / name))
    graph = f"analysis_{name}"
    both = index_both(repo, _other_uri(other_store, graph, root, request))
    yield both
    both.close()
    if other_store == "falkordb":
        client = request.getfixturevalue("falkordb_server").client()
        try:
            client.select_graph(graph).delete()
        finally:
            client.close()


@pytest.fixture(params=STORES)
def other_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh store of each other kind, for the tests that write their own repository."""
    if request.param == "cozo":
        return f"cozo://{tmp_path / 'cozo'}"
    return request.getfixturevalue("falkordb_graph_uri")


# --- the analysis functions ------------------------------------------------------------------------

def test_context_of_every_symbol_by_id(indexed: Indexed) -> None:
    filled = set()
    for symbol_id in indexed.symbol_ids():
        embedded, server = indexed.both(lambda store: symbol_context(store, indexed.repo, symbol_id))
        assert server == embedded, symbol_id
        filled.update(key for key in RELATION_KEYS if embedded.get(key))
    assert filled == set(RELATION_KEYS)  # every relation was compared on some symbol, not only empty lists


def test_context_by_name_resolves_alike(indexed: Indexed) -> None:
    """Qualified names, short names and dotted suffixes go through the unlabeled scan by `name`;
    an ambiguous name raises with the same candidates on both stores."""
    rows = indexed.stores[0].query("MATCH (n) WHERE n.qualified_name IS NOT NULL RETURN n.id, n.qualified_name, n.name").rows
    texts = sorted({text for id_, qualified_name, name in rows if label_of_id(id_) in SYMBOL_LABELS
                    for text in (qualified_name, name, ".".join(qualified_name.split(".")[-2:])) if text})
    outcomes = [indexed.both(lambda store: symbol_context(store, indexed.repo, text)) for text in texts]
    assert [server for _, server in outcomes] == [embedded for embedded, _ in outcomes]
    assert any(isinstance(embedded, tuple) and embedded[0] == "SymbolAmbiguousError" for embedded, _ in outcomes)


@pytest.mark.parametrize("depth", [2, 3])
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_impact_of_every_symbol(indexed: Indexed, depth: int, direction: str) -> None:
    relations, deepest = set(), 0
    for symbol_id in indexed.symbol_ids():
        embedded, server = indexed.both(lambda store: impact(store, symbol_id, depth=depth, direction=direction))
        assert server == embedded, symbol_id
        found = [entry for level in embedded["levels"] for entry in level["symbols"]]
        relations.update(entry["relation"] for entry in found)
        deepest = max([deepest, *(entry["depth"] for entry in found)])
    assert deepest >= 2  # paths longer than one edge were compared
    assert {"CALLS", "EXTENDS" if indexed.repo.name == "pyrepo" else "IMPLEMENTS"} <= relations
    if direction == "upstream":
        assert "IMPORTS" in relations


@pytest.mark.parametrize("min_confidence", [0.5, 0.9])
def test_impact_with_a_minimum_confidence(indexed: Indexed, min_confidence: float) -> None:
    for symbol_id in indexed.symbol_ids():
        for direction in DIRECTIONS:
            embedded, server = indexed.both(
                lambda store: impact(store, symbol_id, depth=3, direction=direction, min_confidence=min_confidence))
            assert server == embedded, (symbol_id, direction)


@pytest.mark.parametrize("min_confidence", [0.0, 0.9])
def test_call_graph(indexed: Indexed, min_confidence: float) -> None:
    embedded, server = indexed.both(lambda store: read_call_graph(store, min_confidence))
    assert server == embedded
    assert any(embedded.values())


def test_repository_call_graph(indexed: Indexed) -> None:
    """`codekg callgraph`: the index is brought up to date (nothing changed), then read."""
    embedded, server = (repository_call_graph(indexed.repo, db, settings) for db, settings in zip(indexed.dbs, indexed.settings))
    assert server == embedded == read_call_graph(indexed.stores[0])


def _without_run_stats(stats: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in stats.items() if key not in RUN_STATS}


def test_stats(indexed: Indexed) -> None:
    embedded, server = (_without_run_stats(index_stats(store, db)) for store, db in zip(indexed.stores, indexed.dbs))
    assert server == embedded
    assert sum(embedded["nodes"].values()) and sum(embedded["edges"].values()) and embedded["files_by_language"]


def test_search_rebuilt_from_either_store(indexed: Indexed) -> None:
    """A missing search file is rebuilt by reading the graph (search/sync.py); from either store it
    ranks the same symbols with the same graph context. CozoDB searches inside its engine instead
    (search/cozo.py): its own scores, so its own order; a hit it shares with the search file has the
    same graph context, and a query naming a symbol finds it first on both."""
    for db in indexed.dbs:
        search_path(db).unlink()
    in_engine = _language(indexed) == "cozoscript"
    shared = 0
    for mode in ("keyword", "hybrid"):
        for text in SEARCHES:
            embedded, server = (search_result(db, settings, text, limit=10, mode=mode).to_dict()
                                for db, settings in zip(indexed.dbs, indexed.settings))
            if not in_engine:
                assert server == embedded, (mode, text)
                continue
            by_id = {hit["id"]: hit for hit in embedded["results"]}
            for hit in server["results"]:
                if hit["id"] in by_id:
                    shared += 1
                    assert {k: hit[k] for k in ("container", "callers", "callees", "qualified_name", "start_line")} == {
                        k: by_id[hit["id"]][k] for k in ("container", "callers", "callees", "qualified_name", "start_line")}
    if in_engine:
        assert shared >= len(SEARCHES)  # the two engines agree on many hits, not on none
        for name in _named_symbols(indexed):
            embedded, server = (search_result(db, settings, name, limit=3).hits[0]
                                for db, settings in zip(indexed.dbs, indexed.settings))
            assert (server.id, server.match) == (embedded.id, embedded.match) == (server.id, "exact"), name
    assert any(search_result(indexed.dbs[0], indexed.settings[0], text, mode="hybrid").hits for text in SEARCHES)


def _named_symbols(indexed: Indexed) -> list[str]:
    """Names of classes and functions that name one searchable symbol only: a search for one finds it first."""
    from codekg.search.store import INDEXED_LABELS

    rows = indexed.stores[0].reads.nodes(INDEXED_LABELS, columns=("label", "name"))
    names = [name for _, name in rows]
    return sorted(name for label, name in rows if label in ("Class", "Function") and names.count(name) == 1 and len(name) > 3)


def test_detect_changes(tmp_path: Path, other_uri: str) -> None:
    repo = git_repo(shutil.copytree(FIXTURES / "pyrepo", tmp_path / "pyrepo"))
    indexed = index_both(repo, other_uri)
    try:
        models = repo / "src/shop/models.py"
        models.write_text(models.read_text().replace("return True", "return bool(self)") + "\n\ndef added():\n    return 1\n")
        (repo / "src/shop/util.py").unlink()
        embedded, server = indexed.both(lambda store: detect_changes(store, repo, depth=3))
        assert server == embedded
        assert embedded["changed_symbols"] and embedded["impact"]["summary"]["symbols"]

        git(repo, "add", "-A")
        embedded, server = indexed.both(lambda store: detect_changes(store, repo, staged=True, depth=2, min_confidence=0.5))
        assert server == embedded
    finally:
        indexed.close()


# --- the service, the HTTP API and the MCP server --------------------------------------------------

@pytest.fixture(scope="module")
def services(indexed: Indexed) -> tuple[GraphService, GraphService]:
    return tuple(GraphService([ServedRepository("repo", indexed.repo, db, settings)])  # type: ignore[return-value]
                 for db, settings in zip(indexed.dbs, indexed.settings))


def test_service_operations(indexed: Indexed, services: tuple[GraphService, GraphService]) -> None:
    embedded, server = services
    symbol = indexed.symbol_ids()[len(indexed.symbol_ids()) // 2]
    qualified_name = indexed.stores[0].query("MATCH (n:Class) RETURN n.qualified_name ORDER BY n.qualified_name LIMIT 1").rows[0][0]
    operations: list[Callable[[GraphService], Any]] = [
        lambda service: service.context(symbol),
        lambda service: service.context(qualified_name),
        lambda service: service.impact(qualified_name, depth=3),
        lambda service: service.impact(symbol, depth=2, direction="downstream", min_confidence=0.5),
        lambda service: service.detect_changes(),
        *([] if _language(indexed) == "cozoscript" else [lambda service: service.search("order save", limit=5, mode="keyword")]),
        lambda service: _without_run_stats(service.stats()),
        lambda service: [{key: repo[key] for key in ("name", "indexed", "commit", "files")} for repo in service.list_repos()["repos"]],
    ]
    for operation in operations:
        assert _outcome(operation, server) == _outcome(operation, embedded)
    # a user's own query is in the store's language; the same question has the same rows
    calls = {"cypher": "MATCH (a)-[e:CALLS]->(b) RETURN a.id, b.id, e.confidence, e.line ORDER BY a.id, b.id, e.line",
             "cozoscript": "?[a, b, c, l] := *CALLS{from: a, to: b, confidence: c, line: l} :order a, b, l"}
    answer = embedded.query(calls["cypher"])
    assert answer["rows"] and server.query(calls[_language(indexed)])["rows"] == answer["rows"]


def _language(indexed: Indexed) -> str:
    return getattr(indexed.stores[1], "query_language", "cypher")


def _search_request(indexed: Indexed, request: Any) -> list[Any]:
    """``request`` where both stores search the search file; none for CozoDB, which searches in its
    engine with its own scores (compared in test_search_rebuilt_from_either_store)."""
    return [] if _language(indexed) == "cozoscript" else [request]


def test_http_api(indexed: Indexed, services: tuple[GraphService, GraphService]) -> None:
    qualified_name = indexed.stores[0].query("MATCH (n:Class) RETURN n.qualified_name ORDER BY n.qualified_name LIMIT 1").rows[0][0]
    requests = [("/context", {"symbol": qualified_name}), ("/impact", {"symbol": qualified_name, "direction": "downstream"}),
                ("/detect-changes", {}), *_search_request(indexed, ("/search", {"q": "order", "mode": "keyword"}))]
    embedded, server = (TestClient(create_app(service)) for service in services)
    for route, params in requests:
        answer = server.get(route, params=params)
        assert answer.status_code == 200, answer.text
        assert answer.json() == embedded.get(route, params=params).json(), route
    cypher = {"cypher": "MATCH (f:File) RETURN f.file_path, f.language ORDER BY f.file_path"}
    own = cypher if _language(indexed) == "cypher" else {"cypher": "?[p, l] := *File{file_path: p, language: l} :order p"}
    expected = embedded.post("/query", json=cypher).json()
    assert expected["rows"] and server.post("/query", json=own).json()["rows"] == expected["rows"]


def test_mcp_tools(indexed: Indexed, services: tuple[GraphService, GraphService]) -> None:
    qualified_name = indexed.stores[0].query("MATCH (n:Class) RETURN n.qualified_name ORDER BY n.qualified_name LIMIT 1").rows[0][0]
    calls = [("context", {"symbol": qualified_name}), ("impact", {"symbol": qualified_name, "depth": 2}),
             *_search_request(indexed, ("search", {"query": "order", "mode": "keyword"})), ("detect_changes", {})]

    async def answers(service: GraphService) -> list[Any]:
        async with Client(create_mcp_server(service)) as client:
            results = [await client.call_tool(name, arguments) for name, arguments in calls]
        assert not any(result.is_error for result in results), [r.content[0].text for r in results if r.is_error]
        return [result.structured_content for result in results]

    embedded, server = (anyio.run(answers, service) for service in services)
    assert server == embedded


# --- the commands, as a user runs them -------------------------------------------------------------

def test_commands_read_the_other_store(tmp_path: Path, other_uri: str) -> None:
    """`codekg context`, `impact` and `search` with `--store`; `callgraph` with the `store` setting
    (`CODEKG_STORE`); `stats` with either."""
    repo = write_files(tmp_path / "repo", {"app.py": '''
        class Base:
            def run(self):
                """Run the job."""
                return helper()


        class Job(Base):
            pass


        def helper():
            return 1


        def main():
            Job().run()
        '''})
    index_both(repo, other_uri).close()
    embedded_db, server_db = tmp_path / "db-embedded", tmp_path / "db-server"

    def run(*args: str, db: Path, setting: str = "") -> Any:
        environment = {key: value for key, value in os.environ.items() if key != "CODEKG_STORE"}
        if setting:
            environment["CODEKG_STORE"] = setting
        done = subprocess.run([sys.executable, "-m", "codekg", *args, "--repo", str(repo), "--db", str(db)],
                              capture_output=True, text=True, timeout=120, env=environment)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    commands = [("context", "app.Base.run", "--json"), ("impact", "app.helper", "--depth", "3", "--json")]
    if not other_uri.startswith("cozo://"):  # CozoDB searches in its engine, with its own scores
        commands.append(("search", "run job", "--mode", "keyword", "--json"))
    else:
        found = run("search", "helper", "--json", "--store", other_uri, db=server_db)["results"]
        assert found[0]["qualified_name"] == "app.helper" and found[0]["match"] == "exact" and found[0]["callers"] == ["app.Base.run"]
    for command in commands:
        assert run(*command, "--store", other_uri, db=server_db) == run(*command, db=embedded_db), command
    callgraph = ("callgraph", "--format", "json")
    assert run(*callgraph, db=server_db, setting=other_uri) == run(*callgraph, db=embedded_db)
    embedded = _without_run_stats(run("stats", "--json", db=embedded_db))
    assert (embedded["nodes"]["Class"], embedded["edges"]["EXTENDS"], embedded["files_by_language"]) == (2, 1, {"python": 1})
    for stats in (run("stats", "--json", "--store", other_uri, db=server_db),
                  run("stats", "--json", db=server_db, setting=other_uri)):
        assert _without_run_stats(stats) == embedded
