"""The CozoDB store on a real engine (in memory, SQLite and RocksDB storage): exact graphs, deltas,
atomic publishing, a load killed with SIGKILL, read-only scripts, and the `cozo_integration` fallback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from codekg.errors import IndexNotFoundError, QueryError, StoreError
from codekg.graph import Graph
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_store
from codekg.stores.cozo import CozoStore
from codekg.stores.snapshot import read_graph
from codekg.stores.uri import parse_store_uri
from graphs import canonical, embedded_graph, index_embedded, write_repo

EXPECTED_NODES = {"Class": 3, "File": 4, "Folder": 1, "Function": 9, "Import": 2, "Method": 3, "Module": 4, "Project": 1}
EXPECTED_EDGES = {"BELONGS_TO": 17, "CALLS": 11, "CONTAINS": 5, "DEFINES": 18, "HAS_METHOD": 3, "IMPORTS": 2}


def _uris(tmp_path: Path) -> list[str]:
    return [f"cozo://{tmp_path / 'sqlite'}", f"cozo://{tmp_path / 'rocks'}?engine=rocksdb", f"cozo://mem/{tmp_path.name}"]


def _metadata(generation: str) -> Graph:
    meta = Graph()
    meta.add_node("IndexMeta", key="generation", value=generation)
    return meta


def _store(uri: str, read_only: bool = False) -> CozoStore:
    return CozoStore(parse_store_uri(uri), load_settings(), read_only=read_only)


def _without_metadata(graph: Graph) -> Graph:
    graph.nodes.pop("IndexMeta", None)
    return graph


@pytest.mark.parametrize("storage", ["sqlite", "rocksdb", "mem"])
def test_an_index_run_writes_exactly_the_embedded_graph_and_its_deltas(tmp_path: Path, storage: str) -> None:
    repo = write_repo(tmp_path / "repo")
    uri = dict(zip(["sqlite", "rocksdb", "mem"], _uris(tmp_path)))[storage]
    embedded_settings = index_embedded(repo, tmp_path / "db")
    cozo_settings = load_settings(repo, store=uri)
    assert index_repository(repo, tmp_path / "cozo-db", cozo_settings).delta["mode"] == "full"
    with open_store(uri, cozo_settings) as store:
        graph = read_graph(store, include_metadata=False)
        assert canonical(graph) == canonical(embedded_graph(tmp_path / "db", embedded_settings))
        assert graph.node_counts() == EXPECTED_NODES and graph.edge_counts() == EXPECTED_EDGES
        first_generation = store.read_metadata()["generation"]
        assert len(first_generation) == 32

    # a change: a function added, a module deleted; the delta leaves what the embedded store holds
    module = repo / "pkg" / "mod1.py"
    module.write_text(module.read_text() + "\n\ndef added():\n    return f0()\n")
    (repo / "pkg" / "mod2.py").unlink()
    index_repository(repo, tmp_path / "db", embedded_settings)
    assert index_repository(repo, tmp_path / "cozo-db", cozo_settings).delta["mode"] == "incremental"
    with open_store(uri, cozo_settings) as store:
        graph = read_graph(store, include_metadata=False)
        assert canonical(graph) == canonical(embedded_graph(tmp_path / "db", embedded_settings))
        assert graph.node_counts()["Function"] == 7 and "Function:pkg/mod2.py:pkg.mod2.f0" not in {
            row["id"] for row in graph.nodes["Function"]}
        assert store.read_metadata()["generation"] not in ("", first_generation)


@pytest.mark.parametrize("engine", ["sqlite", "rocksdb"])
def test_replace_graph_publishes_a_new_database_and_removes_the_old(tmp_path: Path, engine: str) -> None:
    uri = f"cozo://{tmp_path / 'store'}?engine={engine}"
    graph = Graph()
    graph.add_node("Project", id="Project:a", name="a")
    with _store(uri) as store:
        store.replace_graph(graph.to_tables(), _metadata("g1"))
    first = (tmp_path / "store" / "CURRENT").read_text().strip()
    graph.add_node("Project", id="Project:b", name="b")
    with _store(uri) as store:
        store.replace_graph(graph.to_tables(), _metadata("g2"))
        assert store.read_nodes("Project") == graph.nodes["Project"]
        assert store.read_metadata() == {"generation": "g2"}
    second = (tmp_path / "store" / "CURRENT").read_text().strip()
    assert first != second and second.endswith(f".cozo-{engine}") and sorted(p.name for p in (tmp_path / "store").iterdir()) == sorted(["CURRENT", "index.lock", second])


def test_a_load_killed_half_way_leaves_the_previous_graph_live_and_queryable(tmp_path: Path) -> None:
    """SIGKILL while a 200,000-node graph is being written: the store still answers with the old graph,
    and the half-written build is swept by the next load."""
    uri = f"cozo://{tmp_path / 'store'}"
    old = Graph()
    old.add_node("Project", id="Project:old", name="old")
    with _store(uri) as store:
        store.replace_graph(old.to_tables(), _metadata("old"))
    marker = tmp_path / "writing"
    script = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from codekg.graph import Graph
        from codekg.settings import load_settings
        from codekg.stores.cozo import CozoStore
        from codekg.stores.uri import parse_store_uri
        graph = Graph()
        for i in range(200_000):
            graph.add_node("Function", id=f"Function:f{{i}}", name=f"f{{i}}")
        store = CozoStore(parse_store_uri({uri!r}), load_settings(), read_only=False)
        real_put = store._put_nodes
        def put(*args):
            Path({str(marker)!r}).touch()
            real_put(*args)
        store._put_nodes = put
        meta = Graph()
        meta.add_node("IndexMeta", key="generation", value="new")
        store.replace_graph(graph.to_tables(), meta)
        print("finished", flush=True)
    """)
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the loader never started writing"
        time.sleep(0.01)
    time.sleep(0.3)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert "finished" not in process.stdout.read()
    builds = {p.name.removesuffix("-journal") for p in (tmp_path / "store").iterdir() if p.name.startswith("graph-")}
    assert len(builds) == 2  # the live one and the killed build (with SQLite's rollback journal)
    with _store(uri, read_only=True) as store:
        assert store.read_metadata() == {"generation": "old"}
        assert store.count("Project") == 1 and store.count("Function") == 0
        assert store.query("?[name] := *Project{name}").rows == [["old"]]
    with _store(uri) as store:
        store.replace_graph(old.to_tables(), _metadata("again"))
    assert len([p for p in (tmp_path / "store").iterdir() if p.name.startswith("graph-")]) == 1


def test_a_delta_that_fails_half_way_changes_nothing(tmp_path: Path) -> None:
    from codekg.graph import graph_delta

    uri = f"cozo://{tmp_path / 'store'}"
    before = Graph()
    before.add_node("Function", id="Function:a", name="a")
    before.add_node("Function", id="Function:b", name="b")
    before.add_edge("CALLS", ("Function", "Function:a"), ("Function", "Function:b"), confidence=1.0, reason="r", line=2)
    with _store(uri) as store:
        store.replace_graph(before.to_tables(), _metadata("g1"))
    after = Graph()
    after.add_node("Function", id="Function:a", name="a")
    after.add_node("Function", id="Function:c", name="c")
    delta = graph_delta(before, after)
    with _store(uri) as store:
        real_put = store._put_nodes

        def failing_put(*args: object) -> None:
            real_put(*args)  # type: ignore[arg-type]
            raise RuntimeError("disk full")

        store._put_nodes = failing_put  # type: ignore[method-assign]
        with pytest.raises(RuntimeError, match="disk full"):
            store.apply_delta(delta, _metadata("g2"))
    with _store(uri, read_only=True) as store:
        assert canonical(read_graph(store)) == canonical(_with_meta(before, "g1"))
    with _store(uri) as store:
        store.apply_delta(delta, _metadata("g2"))
        assert canonical(read_graph(store)) == canonical(_with_meta(after, "g2"))


def _with_meta(graph: Graph, generation: str) -> Graph:
    return Graph.combined(graph, _metadata(generation))


def test_scripts_are_read_only_unless_opened_for_writing_and_errors_are_query_errors(tmp_path: Path) -> None:
    uri = f"cozo://{tmp_path / 'store'}"
    with pytest.raises(IndexNotFoundError, match="run `codekg index --store cozo://"):
        _store(uri).query("?[x] := x = 1")
    with _store(uri) as store:
        store.replace_graph(Graph().to_tables(), _metadata("g1"))
    with _store(uri, read_only=True) as store:
        store.set_query_timeout(5)  # as the query sandbox does: appended to a query, never to a system operation
        assert store.query("?[x] := x in [1, 2, 3]", max_rows=2).rows == [[1], [2]]
        assert {"Project", "Function", "CALLS", "SymbolName", "SearchText"} <= {row[0] for row in store.query("::relations").rows}
        assert store.query("::columns Project").rows[0][:2] == ["id", True]
        with pytest.raises(QueryError, match="read-only"):
            store.query("?[id, name] <- [['Project:x', 'x']] :put Project {id, name}")
        with pytest.raises(QueryError, match="read-only"):
            store.query("::remove Project")
        with pytest.raises(QueryError, match="Cannot find requested stored relation 'Nope'") as error:
            store.query("?[x] := *Nope{x}")
        assert "\x1b[" not in str(error.value)
        with pytest.raises(QueryError, match=r"the CozoDB engine failed on this script \(called `Option::unwrap\(\)` on a `None` "
                                             r"value\): check its syntax"):
            store.query("?[a] := ")  # the engine panics in Rust on this one (a new user's finding: exit 70)
        assert store.query("?[x] := x = 1").rows == [[1]]  # and answers the next
    with _store(uri) as store:
        store.query("?[id, name] <- [['Project:x', 'x']] :put Project {id, name}")
        assert store.count("Project") == 1


def test_an_embedded_index_directory_is_refused_as_a_cozo_location(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    index_embedded(repo, tmp_path / "db")
    with pytest.raises(StoreError, match="holds an embedded codekg index, not a CozoDB store"):
        _store(f"cozo://{tmp_path / 'db'}")


def test_with_cozo_integration_off_the_embedded_store_is_used_with_a_one_line_notice(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    env = dict(os.environ, CODEKG_COZO_INTEGRATION="false")
    run = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db"),
                          "--store", f"cozo://{tmp_path / 'store'}", "--quiet"], capture_output=True, text=True, env=env,
                         timeout=180)
    assert run.returncode == 0, run.stderr
    notice = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(notice) == 1 and "cozo_integration is off: using the embedded store instead of cozo://" in notice[0]
    assert "Traceback" not in run.stderr and not (tmp_path / "store").exists()
    assert (tmp_path / "db" / "CURRENT").exists()
    stats = subprocess.run([sys.executable, "-m", "codekg", "stats", "--repo", str(repo), "--db", str(tmp_path / "db"), "--json"],
                           capture_output=True, text=True, env=env, timeout=120)
    assert stats.returncode == 0 and '"Function": 9' in stats.stdout

    # an index written to CozoDB, read with the flag off: the embedded index is not there, and the message says where it is
    on = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db-cozo"),
                         "--store", f"cozo://{tmp_path / 'store'}", "--quiet"], capture_output=True, text=True, timeout=180)
    assert on.returncode == 0, on.stderr
    off = subprocess.run([sys.executable, "-m", "codekg", "stats", "--repo", str(repo), "--db", str(tmp_path / "db-cozo"),
                          "--store", f"cozo://{tmp_path / 'store'}"], capture_output=True, text=True, env=env, timeout=120)
    assert off.returncode == 2 and "Traceback" not in off.stderr
    assert (f"error: the index of {tmp_path / 'db-cozo'} lives in cozo://{tmp_path / 'store'}, not in an embedded file here; "
            "cozo_integration is off: turn it on (CODEKG_COZO_INTEGRATION=true) to read it") in off.stderr
    memory = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db-mem"),
                             "--store", "cozo://mem"], capture_output=True, text=True, timeout=120)
    assert memory.returncode == 2 and "keeps a graph in one process's memory" in memory.stderr


@pytest.mark.parametrize(("text", "display", "path", "engine"), [
    ("cozo://mem", "cozo://mem", None, "mem"),
    ("cozo://mem/second", "cozo://mem/second", None, "second"),
    ("cozo:///var/graph", "cozo:///var/graph", Path("/var/graph"), "sqlite"),
    ("cozo://rel/graph?engine=rocksdb", "cozo://rel/graph?engine=rocksdb", Path("rel/graph"), "rocksdb"),
])
def test_cozo_uris(text: str, display: str, path: Path | None, engine: str) -> None:
    location = parse_store_uri(text)
    assert (location.kind, location.display, location.path, location.graph, location.in_memory) == (
        "cozo", display, path, engine, path is None)


@pytest.mark.parametrize(("text", "message"), [
    ("cozo://", "needs a directory"),
    ("cozo:///x?engine=lmdb", "engine=sqlite or engine=rocksdb"),
    ("cozo:///x?storage=sqlite", "the only option"),
    ("kozo:///tmp/x", "unknown store scheme 'kozo'"),
    ("cozo:", "or cozo://PATH"),
])
def test_bad_cozo_uris(text: str, message: str) -> None:
    from codekg.errors import StoreUriError

    with pytest.raises(StoreUriError, match=message):
        parse_store_uri(text)


def test_dual_write_reads_from_the_embedded_store_and_writes_cozo_too(tmp_path: Path) -> None:
    """Routing: `store` (here the embedded default) takes the reads, every run writes `--also-write`
    stores too: a full run then a delta, after which `codekg verify` finds the two graphs equal."""
    repo = write_repo(tmp_path / "repo")
    uri = f"cozo://{tmp_path / 'cozo'}"

    def index() -> dict:
        done = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db"),
                               "--also-write", uri, "--json"], capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert [(s["store"], s["mode"], s["ok"]) for s in index()["secondary"]] == [(uri, "full", True)]
    (repo / "pkg" / "mod0.py").write_text((repo / "pkg" / "mod0.py").read_text() + "\n\ndef later():\n    return f0()\n")
    assert [(s["store"], s["mode"], s["ok"]) for s in index()["secondary"]] == [(uri, "delta", True)]
    verified = subprocess.run([sys.executable, "-m", "codekg", "verify", str(repo), "--db", str(tmp_path / "db"),
                               "--against", uri], capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and verified.stdout.rstrip().endswith("the stores agree")


def test_codekg_query_stops_a_cozoscript_query_past_its_time_limit(tmp_path: Path) -> None:
    """Cozo checks its own limit only between evaluation stages, so `codekg query` runs a CozoScript
    query in a worker killed past `query_timeout_seconds` (plus the sandbox's grace), as the servers do."""
    repo = write_repo(tmp_path / "repo")
    uri = f"cozo://{tmp_path / 'cozo'}"
    assert subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(tmp_path / "db"), "--store", uri,
                           "--quiet"], capture_output=True, text=True, timeout=180).returncode == 0
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "codekg", "query", "?[count(a)] := a in int_range(30000), b in int_range(30000)",
                           "--db", str(tmp_path / "db"), "--store", uri], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, CODEKG_QUERY_TIMEOUT_SECONDS="1"))
    elapsed = time.monotonic() - started
    assert done.returncode == 1 and "error: the query ran longer than 1 s and was stopped" in done.stderr
    assert elapsed < 30  # in the CLI's own process, a cross join of fastapi's functions ran 38 s past a 1 s limit


def test_stores_on_one_live_database_share_its_engine_until_a_newer_build_is_published(tmp_path: Path) -> None:
    """One engine per live SQLite database in a process (its page cache stays warm across reads); a
    published build is read by the next store, and the old engine closes once its last store does."""
    from codekg.stores.cozo import _shared_clients

    uri = f"cozo://{tmp_path / 'store'}"
    graph = Graph()
    graph.add_node("Project", id="Project:a", name="a")
    with _store(uri) as writer:
        writer.replace_graph(graph.to_tables(), _metadata("g1"))
    first = tmp_path / "store" / (tmp_path / "store" / "CURRENT").read_text().strip()
    reader, other = _store(uri, read_only=True), _store(uri, read_only=True)
    assert reader.read_metadata() == other.read_metadata() == {"generation": "g1"}
    assert reader.client is other.client and _shared_clients.entries[first][1] == 2
    graph.add_node("Project", id="Project:b", name="b")
    with _store(uri) as writer:
        writer.replace_graph(graph.to_tables(), _metadata("g2"))
    second = tmp_path / "store" / (tmp_path / "store" / "CURRENT").read_text().strip()
    assert reader.read_metadata() == {"generation": "g1"}  # a store keeps the database it opened
    with _store(uri, read_only=True) as newer:
        assert newer.read_metadata() == {"generation": "g2"} and newer.client is not reader.client
    reader.close()
    other.close()
    assert first not in _shared_clients.entries and _shared_clients.entries[second][1] == 0


def test_a_store_whose_shelves_hold_fewer_kinds_of_symbol_is_refused_with_what_to_do(tmp_path: Path) -> None:
    """A store written before enums and type aliases were searchable: an incremental run would put
    them on the shelves for the changed files only, so it is refused, and a full build takes it."""
    repo = write_repo(tmp_path / "repo")
    uri = f"cozo://{tmp_path / 'store'}"
    settings = load_settings(repo, store=uri, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    with _store(uri) as store:
        store.query("?[key] <- [['shelf_labels']] :rm SearchMeta {key}")  # as an earlier codekg left it
    (repo / "extra.py").write_text("def added():\n    return 1\n")
    with pytest.raises(StoreError, match=r"whose search shelves do not hold every kind of symbol search finds "
                                         r"\(Module, Class, Interface, Enum, Type, Function, Method, Variable\): "
                                         r"rebuild it with `codekg index --full`"):
        index_repository(repo, tmp_path / "db", settings)
    rebuilt = index_repository(repo, tmp_path / "db", settings, full=True)
    assert rebuilt.delta["mode"] == "full"
    (repo / "extra.py").write_text("def added():\n    return 2\n")
    assert index_repository(repo, tmp_path / "db", settings).delta["mode"] == "incremental"
