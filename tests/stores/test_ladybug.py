"""The Ladybug store: COPY and the MERGE fallback give the same graph; publishing is atomic."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from codekg.errors import IndexLockedError, IndexNotFoundError, QueryError, SchemaVersionError
from codekg.graph import Graph
from codekg.schema import SCHEMA_VERSION
from codekg.settings import load_settings
from codekg.stores import ladybug as ladybug_store
from codekg.stores.ladybug import IndexDirectory, LadybugStore, load_pool_need, pinned_by_edges, pinned_by_nodes

ALL_NODES = "MATCH (n) RETURN label(n), n"
ALL_EDGES = "MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id, e"


def graph_snapshot(index) -> tuple[list, list]:
    def clean(value):
        return {k: v for k, v in value.items() if not k.startswith("_")}

    nodes = sorted((label, sorted(clean(n).items())) for label, n in index.rows(ALL_NODES) if label != "IndexMeta")
    edges = sorted((t, a, b, sorted(clean(e).items())) for t, a, b, e in index.rows(ALL_EDGES))
    return [repr(n) for n in nodes], [repr(e) for e in edges]


def test_bulk_copy_off_gives_the_identical_graph(index_fixture):
    copied = index_fixture("pyrepo", bulk_copy=True)
    merged = index_fixture("pyrepo", bulk_copy=False)
    assert copied.summary.load_fallbacks == []
    assert copied.summary.copy["attempts"] > 0 and copied.summary.copy["failures"] == {}
    assert merged.summary.copy == {"attempts": 0, "failures": {}, "failure_rate": 0.0}
    copy_nodes, copy_edges = graph_snapshot(copied)
    merge_nodes, merge_edges = graph_snapshot(merged)
    assert (copy_nodes, copy_edges) == (merge_nodes, merge_edges)
    assert len(copy_nodes) == 49 and len(copy_edges) == 98


def test_failed_copy_falls_back_to_merge_per_table(tmp_path):
    """A COPY that the database rejects (here: a duplicate primary key inside one table) is retried via MERGE."""
    store = LadybugStore.create(tmp_path / "g.lbdb", load_settings(None, copy_min_node_rows=0))
    graph = Graph()
    graph.add_node("External", id="External:a", name="a", qualified_name="a")
    graph.add_node("External", id="External:a", name="a", qualified_name="a")
    graph.add_node("Project", id="Project:p", name="p", qualified_name="p")
    report = store.write_tables(graph.to_tables())
    methods = {t.table: (t.method, t.failure_kind, bool(t.fallback_error)) for t in report.tables}
    assert methods == {"External": ("merge", "data_format", True), "Project": ("copy", "", False)}
    assert report.copy_outcome() == {"attempts": 2, "failures": {"data_format": 1}, "failure_rate": 0.5}
    assert store.query("MATCH (n:External) RETURN n.id").rows == [["External:a"]]
    store.close()


def test_malformed_query_raises_the_database_message(index_fixture):
    indexed = index_fixture("pyrepo")
    with pytest.raises(QueryError) as error:
        indexed.query("MATC (n) RETURN n")
    assert "Parser exception" in str(error.value)
    with pytest.raises(QueryError) as error:  # the database's marker keeps the query's tabs, as search's does
        indexed.query("MATCH (n)\tRETURN n\tLIMIT 1 x")
    assert str(error.value).endswith('(line: 1, offset: 27)\n"MATCH (n)\tRETURN n\tLIMIT 1 x"\n          \t        \t        ^')


def test_a_query_past_the_query_timeout_is_a_query_error(tmp_path):
    """Ladybug reports its timeout as an interrupt; it is the query's error, not a Ctrl-C."""
    store = LadybugStore.create(tmp_path / "graph.lbdb", load_settings(None))
    try:
        store.set_query_timeout(0.05)
        with pytest.raises(QueryError, match=r"ran longer than 0\.05 s"):
            store.query("UNWIND range(1, 30000) AS a UNWIND range(1, 30000) AS b WITH a, b WHERE a * b = -1 RETURN count(*)")
        assert store.query("RETURN 1").rows == [[1]]
    finally:
        store.close()


def publish_build(directory: IndexDirectory, project: str, schema_version: int = SCHEMA_VERSION) -> Path:
    build = directory.new_build_path()
    store = LadybugStore.create(build, load_settings(None))
    graph = Graph()
    graph.add_node("Project", id="Project:" + project, name=project, qualified_name=project)
    graph.add_node("IndexMeta", key="schema_version", value=str(schema_version))
    store.write_tables(graph.to_tables())
    store.close()
    directory.publish(build)
    return build


def test_tiny_node_tables_skip_copy(tmp_path):
    store = LadybugStore.create(tmp_path / "g.lbdb", load_settings(None, copy_min_node_rows=3))
    graph = Graph()
    for name in ("a", "b", "c"):
        graph.add_node("External", id="External:" + name, name=name, qualified_name=name)
    graph.add_node("Project", id="Project:p", name="p", qualified_name="p")
    graph.add_edge("CONTAINS", ("Project", "Project:p"), ("Folder", "Folder:f"))
    graph.add_node("Folder", id="Folder:f", name="f", qualified_name="f")
    methods = {t.table: (t.method, t.fallback_error) for t in store.write_tables(graph.to_tables()).tables}
    assert methods == {"External": ("copy", ""), "Folder": ("merge", ""), "Project": ("merge", ""),
                       "CONTAINS(Project->Folder)": ("copy", "")}
    assert store.query("MATCH (p:Project)-[:CONTAINS]->(f:Folder) RETURN p.id, f.id").rows == [["Project:p", "Folder:f"]]
    store.close()


def test_publish_swaps_current_and_removes_stale_builds(tmp_path):
    settings = load_settings(None)
    directory = IndexDirectory(tmp_path / "db")
    with pytest.raises(IndexNotFoundError):
        directory.open_current(settings)
    builds = [publish_build(directory, name) for name in ("first", "second")]
    assert directory.current_graph() == builds[1]
    assert not builds[0].exists()
    store = directory.open_current(settings)
    assert store.query("MATCH (p:Project) RETURN p.name").rows == [["second"]]
    store.close()


def test_one_writer_at_a_time(tmp_path):
    directory = IndexDirectory(tmp_path / "db")
    with directory.writer_lock():
        with pytest.raises(IndexLockedError):
            with IndexDirectory(tmp_path / "db").writer_lock():
                pass


@pytest.mark.parametrize(("version", "message"), [
    (0, "re-index with `codekg index --full`"),
    (SCHEMA_VERSION - 1, "upgrade it in place with `codekg migrate`"),
    (SCHEMA_VERSION + 1, "upgrade codekg"),
])
def test_other_schema_versions_are_refused_with_a_clear_message(tmp_path, version, message):
    directory = IndexDirectory(tmp_path / "db")
    publish_build(directory, "old", schema_version=version)
    with pytest.raises(SchemaVersionError) as error:
        directory.open_current(load_settings(None))
    assert message in str(error.value) and error.value.exit_code == 2


def test_merge_fallback_looks_up_endpoints_by_key_not_by_cross_product(tmp_path):
    """The comma form `MATCH (a …), (b …)` was planned as a cross product and ran out of memory on pydantic."""
    import re

    from codekg.schema import REL_TYPES
    from codekg.stores.ladybug import edge_merge_statement, edge_set_statement

    store = LadybugStore.create(tmp_path / "g.lbdb", load_settings(None))
    try:
        for rel in REL_TYPES:
            for source, target in rel.pairs:
                one_edge = Graph()
                one_edge.add_edge(rel.name, (source, "a"), (target, "b"))
                row = one_edge.edges[(rel.name, source, target)][0]
                names = rel.property_names[:1] or ()
                for statement in (edge_merge_statement(rel.name, source, target),
                                  *([edge_set_statement(rel.name, source, target, names)] if names else [])):
                    plan = store.query("EXPLAIN " + statement, {"rows": [row]}).rows[0][0]
                    operators = set(re.findall(r"([A-Z_]{4,})\[\d+\]", plan))
                    assert "CROSS_PRODUCT" not in operators, (rel.name, source, target, statement)
                    assert "QUERY_PRIMARY_KEY_LOOKUP" in operators, (rel.name, source, target, statement)
    finally:
        store.close()


def test_a_graph_larger_than_the_buffer_pool_loads_by_copy(tmp_path):
    """A graph several times the `buffer_pool_size` setting, one table alone larger than it: the new
    build's page cache is sized to the graph, and every table is COPYed, none falls back (with the
    setting's 64 MiB alone, Ladybug reports "the buffer pool is full" for the COPY and its MERGE)."""
    settings = load_settings(None, buffer_pool_size=64 * 1024 * 1024)
    graph = Graph()
    rows = 140_000
    docstring = "d" * 500
    for label in ("Variable", "Function", "Class"):
        for number in range(rows):
            graph.add_node(label, id=f"{label}:{number}", name=f"n{number}", qualified_name=f"m.n{number}", docstring=docstring)
    tables = graph.to_tables()
    assert min(table.nbytes for table in tables.nodes.values()) > settings.buffer_pool_size
    report = LadybugStore.build(tmp_path / "g.lbdb", settings, tables, Graph)
    assert {t.table: (t.method, t.failure_kind) for t in report.tables} == {
        "Variable": ("copy", ""), "Function": ("copy", ""), "Class": ("copy", "")}
    assert report.page_cache_retries == 0 and load_pool_need(tables) > 3 * settings.buffer_pool_size
    store = LadybugStore(tmp_path / "g.lbdb", settings, read_only=True)
    try:
        counted = store.query("MATCH (n) RETURN label(n), count(*), min(size(n.docstring))").rows
        assert sorted(counted) == [["Class", rows, 500], ["Function", rows, 500], ["Variable", rows, 500]]
    finally:
        store.close()


def test_a_build_closes_and_opens_the_database_again_before_it_holds_too_much(tmp_path, monkeypatch):
    """Ladybug holds memory for every table written until the database is closed: a build writing
    more than PINNED_BUDGET's worth closes and opens it again between tables (here, with a budget of
    about two node tables, after every second one) and before the edges, and the graph written is
    whole: every node, every edge between nodes written on either side of a reopening, the metadata."""
    settings = load_settings(None, copy_min_node_rows=0)
    graph = Graph()
    labels = ("Class", "Function", "Method", "Variable", "Module", "Decorator")
    for label in labels:
        for number in range(50):
            graph.add_node(label, id=f"{label}:{number}", name=f"n{number}", qualified_name=f"m.{label}.n{number}")
    for number in range(50):
        graph.add_edge("HAS_METHOD", ("Class", f"Class:{number}"), ("Method", f"Method:{number}"))
        graph.add_edge("CALLS", ("Decorator", f"Decorator:{number}"), ("Function", f"Function:{49 - number}"), confidence=0.9, reason="direct")
    tables = graph.to_tables()
    node_pins = [pinned_by_nodes(tables.nodes[label], copied=True) for label in sorted(labels)]
    assert len(set(node_pins)) > 1 and all(pins > 16 * 2**20 for pins in node_pins)  # 16 MiB and 1 MiB a column
    monkeypatch.setattr(ladybug_store, "PINNED_BUDGET", max(node_pins) * 2 + pinned_by_edges(next(iter(tables.edges.values()))))
    releases: list[int] = []
    release = LadybugStore._released
    monkeypatch.setattr(LadybugStore, "_released", lambda store, pinned: (releases.append(1), release(store, pinned))[1])
    metadata = Graph()
    metadata.add_node("IndexMeta", key="generation", value="g1")
    report = LadybugStore.build(tmp_path / "g.lbdb", settings, tables, lambda: metadata)
    assert len(releases) == 3 and all(load.method == "copy" for load in report.tables)
    store = LadybugStore(tmp_path / "g.lbdb", settings, read_only=True)
    try:
        assert sorted(store.query("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN label(n), count(*)").rows) == [[label, 50] for label in sorted(labels)]
        assert store.query("MATCH (:Class)-[r:HAS_METHOD]->(:Method) RETURN count(r)").rows == [[50]]
        assert store.query("MATCH (:Decorator {id: 'Decorator:7'})-[r:CALLS]->(f:Function) RETURN f.id, r.confidence").rows == [["Function:42", 0.9]]
        assert store.read_metadata() == {"generation": "g1"}
    finally:
        store.close()


def test_a_build_whose_page_cache_proves_too_small_starts_again_with_twice_as_much(tmp_path, caplog):
    """Given a page cache of 64 MiB for a graph of 80,000 rows of 500 characters (Ladybug reports "the
    buffer pool is full" for its checkpoint), the build removes its files and writes the graph again with
    128 MiB: every row is there, each table COPYed once, and the run says what happened."""
    settings = load_settings(None, buffer_pool_size=64 * 1024 * 1024)
    graph = Graph()
    rows = 80_000
    for number in range(rows):
        graph.add_node("Function", id=f"Function:{number}", name=f"n{number}", qualified_name=f"m.n{number}", docstring="d" * 500)
    tables = graph.to_tables()
    metadata = Graph()
    metadata.add_node("IndexMeta", key="generation", value="g1")
    (tmp_path / "g.lbdb.state").write_text("the state thread's")  # written beside the load: left alone
    with caplog.at_level(logging.WARNING, logger="codekg.stores.ladybug"):
        report = LadybugStore.build(tmp_path / "g.lbdb", settings, tables, lambda: metadata, buffer_pool_size=64 * 1024 * 1024)
    assert report.page_cache_retries == 1
    assert [(t.table, t.method, t.failure_kind) for t in report.tables] == [("Function", "copy", "")]
    assert report.copy_outcome() == {"attempts": 1, "failures": {}, "failure_rate": 0.0, "page_cache_retries": 1}
    assert [r.getMessage() for r in caplog.records if r.name == "codekg.stores.ladybug"] == [
        "the graph did not fit a page cache of 64 MiB; building it again with 128 MiB"]
    store = LadybugStore(tmp_path / "g.lbdb", settings, read_only=True)
    try:
        assert store.query("MATCH (n:Function) RETURN count(*), min(size(n.docstring))").rows == [[rows, 500]]
        assert store.read_metadata() == {"generation": "g1"}
    finally:
        store.close()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["g.lbdb", "g.lbdb.state"]  # nothing of the first attempt
    assert (tmp_path / "g.lbdb.state").read_text() == "the state thread's"


def _graph_before_and_after() -> tuple[Graph, Graph]:
    """A body edit's change: a function moved down two lines (its call's line too), another's docstring
    changed, one call gone and one new, and a function removed with the edges into and out of it."""
    before, after = Graph(), Graph()
    for graph, shift in ((before, 0), (after, 2)):
        graph.add_node("Module", id="Module:a.py:a", name="a", qualified_name="a", file_path="a.py")
        graph.add_node("Function", id="Function:a.py:a.f", name="f", qualified_name="a.f", file_path="a.py",
                       start_line=10 + shift, end_line=12 + shift)
        graph.add_node("Function", id="Function:a.py:a.g", name="g", qualified_name="a.g", file_path="a.py",
                       start_line=1, end_line=3, docstring="old" if graph is before else "new")
        graph.add_node("Function", id="Function:a.py:a.h", name="h", qualified_name="a.h", file_path="a.py", start_line=5)
        graph.add_edge("DEFINES", ("Module", "Module:a.py:a"), ("Function", "Function:a.py:a.f"))
        graph.add_edge("CALLS", ("Function", "Function:a.py:a.f"), ("Function", "Function:a.py:a.g"),
                       confidence=1.0, reason="same-file", line=11 + shift, call_count=1)
    before.add_edge("CALLS", ("Function", "Function:a.py:a.g"), ("Function", "Function:a.py:a.h"),
                    confidence=1.0, reason="same-file", line=2, call_count=1)
    before.add_node("Function", id="Function:a.py:a.old", name="old", qualified_name="a.old", file_path="a.py", start_line=20)
    before.add_edge("DEFINES", ("Module", "Module:a.py:a"), ("Function", "Function:a.py:a.old"))
    before.add_edge("CALLS", ("Function", "Function:a.py:a.old"), ("Function", "Function:a.py:a.g"),
                    confidence=1.0, reason="same-file", line=21, call_count=1)
    after.add_edge("CALLS", ("Function", "Function:a.py:a.h"), ("Function", "Function:a.py:a.g"),
                   confidence=0.9, reason="same-file", line=5, call_count=2)
    return before, after


def _store_snapshot(store: LadybugStore) -> tuple[list, list]:
    def clean(value):
        return sorted((k, v) for k, v in value.items() if not k.startswith("_"))

    nodes = sorted(repr((label, clean(n))) for label, n in store.query(ALL_NODES).rows if label != "IndexMeta")
    edges = sorted(repr((t, a, b, clean(e))) for t, a, b, e in store.query(ALL_EDGES).rows)
    return nodes, edges


@pytest.mark.parametrize("in_place", [True, False], ids=["changed-properties-set-in-place", "rows-rewritten"])
def test_a_delta_gives_the_graph_a_full_write_gives(tmp_path, in_place):
    """Changed properties are set in place (the edge keeps its identity, one column is written); a
    delta without them (built by another writer) rewrites the rows: the graph is the same either way."""
    from codekg.graph import graph_delta

    settings = load_settings(None, copy_min_node_rows=0)
    before, after = _graph_before_and_after()
    delta = graph_delta(before, after)
    assert delta.changed_properties == {
        "Function": {"Function:a.py:a.f": ("start_line", "end_line"), "Function:a.py:a.g": ("docstring",)},
        ("CALLS", "Function", "Function"): {("Function:a.py:a.f", "Function:a.py:a.g"): ("line",)}}
    if not in_place:
        delta.changed_properties = {}
    assert delta.removed_nodes == {"Function": ["Function:a.py:a.old"]}
    metadata = Graph()
    metadata.add_node("IndexMeta", key="generation", value="g2")
    expected_store = LadybugStore.create(tmp_path / "expected.lbdb", settings)
    store = LadybugStore.create(tmp_path / "g.lbdb", settings)
    try:
        expected_store.write_tables(after.to_tables())
        store.write_tables(before.to_tables())
        executed: list[tuple[str, list]] = []
        execute = store._execute
        store._execute = lambda statement, parameters=None, **options: (
            executed.append((statement, (parameters or {}).get("rows", []))), execute(statement, parameters, **options))[1]
        store.apply_delta(delta, metadata)
        # the removed function's edges go with it (DETACH DELETE): no statement deletes them one by one
        edge_deletes = {(row["from"], row["to"]) for statement, rows in executed if statement.endswith("DELETE e") for row in rows}
        assert edge_deletes == {("Function:a.py:a.g", "Function:a.py:a.h"),  # the call gone
                                *([] if in_place else [("Function:a.py:a.f", "Function:a.py:a.g")])}  # its line rewritten
        assert _store_snapshot(store) == _store_snapshot(expected_store)
        assert store.query("MATCH (a)-[e:CALLS]->(b) RETURN a.name, b.name, e.line, e.confidence, e.call_count "
                           "ORDER BY a.name").rows == [["f", "g", 13, 1.0, 1], ["h", "g", 5, 0.9, 2]]
        assert store.read_metadata() == {"generation": "g2"}
    finally:
        store.close()
        expected_store.close()


@pytest.mark.parametrize("kept_bytes", [ladybug_store.LOG_KEPT_BYTES, 0], ids=["small-log-kept", "log-past-the-limit-folded"])
def test_a_delta_leaves_a_small_write_ahead_log_that_readers_replay(tmp_path, monkeypatch, kept_bytes):
    """A delta's log under LOG_KEPT_BYTES is left beside the file (no checkpoint at close); a reader
    opening the file read-only sees the delta, and the directory's stamp covers the log. Past the
    limit the close folds the log into the file, as before."""
    from codekg.graph import graph_delta

    monkeypatch.setattr(ladybug_store, "LOG_KEPT_BYTES", kept_bytes)
    settings = load_settings(None, copy_min_node_rows=0)
    before, after = _graph_before_and_after()
    metadata = Graph()
    metadata.add_node("IndexMeta", key="generation", value="g2")
    path = tmp_path / "g.lbdb"
    store = LadybugStore.create(path, settings)
    store.write_tables(before.to_tables())
    store.close()
    log_file = tmp_path / "g.lbdb.wal"
    assert not log_file.exists()  # the build's close folded its log
    stamp_before = IndexDirectory(tmp_path).graph_stamp("g.lbdb")
    assert stamp_before is not None and stamp_before.endswith("|-")
    store = LadybugStore(path, settings)
    store.apply_delta(graph_delta(before, after), metadata)
    store.close()
    assert log_file.exists() == (kept_bytes > 0)
    stamp_after = IndexDirectory(tmp_path).graph_stamp("g.lbdb")
    assert stamp_after is not None and stamp_after != stamp_before
    assert stamp_after.endswith("|-") == (kept_bytes == 0)
    reader = LadybugStore(path, settings, read_only=True)
    try:
        assert reader.query("MATCH (a)-[e:CALLS]->(b) RETURN a.name, b.name, e.line ORDER BY a.name").rows == [
            ["f", "g", 13], ["h", "g", 5]]
        assert reader.read_metadata() == {"generation": "g2"}
    finally:
        reader.close()
    assert IndexDirectory(tmp_path).graph_stamp("g.lbdb") == stamp_after  # a reader writes neither file
