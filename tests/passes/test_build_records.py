"""passes/build_records.py: a full build whose records are written ahead in small parts gives the
graph, the state and the facts of one that holds them all; a failure or a stop after a part was
written ahead publishes nothing and leaves no file."""

from __future__ import annotations

import pickle
import shutil
import signal
import sqlite3
from pathlib import Path

import pytest

from codekg.graph import Graph
from codekg.index_state import FileRecord, FileStat, FileSummary, IndexState, state_path
from codekg.interrupts import _record
from codekg.passes.build_records import BuildRecords
from codekg.passes.structure import FileStructure
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index
from tests.test_cli_migrate import snapshot as graph_rows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _mixed_repo(tmp_path: Path) -> Path:
    """Python, JavaScript and SQL files together: every kind of record and shared node."""
    repo = tmp_path / "mixed"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    shutil.copytree(FIXTURES / "jsrepo", repo / "web")
    shutil.copytree(FIXTURES / "lineage", repo / "sql")
    return repo


def state_file_rows(db: Path) -> list[tuple]:
    """The live build's state rows: path, content hash, and the pickled summary, symbols, nodes, edges."""
    current = (db / "CURRENT").read_text().strip()
    connection = sqlite3.connect(state_path(db, current))
    try:
        return connection.execute("SELECT path, content_hash, summary, symbols, nodes, edges FROM files").fetchall()
    finally:
        connection.close()


def _state_rows(db: Path) -> dict[str, tuple]:
    return {path: (content_hash, repr(pickle.loads(summary)), pickle.loads(symbols).module_name,
                   repr(pickle.loads(nodes)), repr(pickle.loads(edges)))
            for path, content_hash, summary, symbols, nodes, edges in state_file_rows(db)}


def _written_ahead(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The list gets the files of each part written ahead (the real writer runs: it is only counted)."""
    parts: list[int] = []
    original = IndexState.write_ahead

    def counted(self: IndexState, records: dict[str, FileRecord], structures: dict) -> None:
        parts.append(len(records))
        original(self, records, structures)

    monkeypatch.setattr(IndexState, "write_ahead", counted)
    return parts


def test_records_written_ahead_give_the_same_graph_state_and_facts(tmp_path, monkeypatch):
    repo = _mixed_repo(tmp_path)
    settings = load_settings(repo)
    parts = _written_ahead(monkeypatch)
    held = index_repository(repo, tmp_path / "held", settings)
    assert parts == []  # under the buffer's limit: every record goes to the writer beside the load
    ahead = index_repository(repo, tmp_path / "ahead", load_settings(repo, record_buffer_rows=40))

    files = len(_state_rows(tmp_path / "held"))
    assert len(parts) >= 3 and 0 < sum(parts) <= files  # several parts ahead; any left are held for the writer
    assert graph_rows(tmp_path / "ahead", settings) == graph_rows(tmp_path / "held", settings)
    assert _state_rows(tmp_path / "ahead") == _state_rows(tmp_path / "held")
    assert (ahead.nodes, ahead.edges, ahead.call_sites, ahead.warnings) == (held.nodes, held.edges, held.call_sites, held.warnings)
    assert ahead.pass_seconds["state"] > 0


def test_an_incremental_run_on_a_state_written_ahead_equals_a_full_build(tmp_path, monkeypatch):
    repo = _mixed_repo(tmp_path)
    parts = _written_ahead(monkeypatch)
    index_repository(repo, tmp_path / "db", load_settings(repo, record_buffer_rows=40))
    assert parts
    util = repo / "src" / "shop" / "util.py"
    util.write_text(util.read_text() + "\n\ndef added():\n    return log('x')\n")
    settings = load_settings(repo)
    summary = index_repository(repo, tmp_path / "db", settings)
    assert summary.delta["mode"] == "incremental"
    index_repository(repo, tmp_path / "full", settings)
    assert graph_rows(tmp_path / "db", settings) == graph_rows(tmp_path / "full", settings)


def _failure() -> None:
    raise RuntimeError("a record could not be made")


def _ctrl_c() -> None:
    _record(signal.SIGINT, None)  # what the handler does when the signal comes: heard between files


@pytest.mark.parametrize(("event", "stopped_by"), [(_failure, RuntimeError), (_ctrl_c, KeyboardInterrupt)])
def test_a_run_stopped_after_a_write_ahead_publishes_nothing_and_leaves_no_file(tmp_path, monkeypatch, event, stopped_by):
    """A failure, or a Ctrl-C heard between files (codekg/interrupts.py), once some records were
    written ahead: the run unwinds, the state written ahead is deleted, the previous index is live."""
    import codekg.pipeline as pipeline

    repo = _mixed_repo(tmp_path)
    settings = load_settings(repo)
    db = tmp_path / "db"
    index_repository(repo, db, settings)
    before = sorted(p.name for p in db.iterdir())
    parts = _written_ahead(monkeypatch)
    original, made = pipeline._file_record, []

    def record(*arguments):
        made.append(1)
        if len(made) == 20:
            event()
        return original(*arguments)

    monkeypatch.setattr(pipeline, "_file_record", record)
    with pytest.raises(stopped_by):
        index_repository(repo, db, load_settings(repo, record_buffer_rows=10), full=True)
    assert parts and len(made) == 20  # some written ahead; stopped at that file
    assert sorted(p.name for p in db.iterdir()) == before
    monkeypatch.undo()
    store = open_index(db, settings)
    try:
        assert store.query("MATCH (f:Function) WHERE f.name = 'log' RETURN f.id").rows == \
            [["Function:src/shop/util.py:shop.util.log"]]
    finally:
        store.close()
    assert index_repository(repo, db, settings).delta["mode"] == "unchanged"


def _structure_and_record(path: str, functions: int) -> tuple[FileStructure, FileRecord]:
    nodes, edges = Graph(), Graph()
    nodes.add_node("File", id=f"File:{path}", name=path, qualified_name=path)
    for number in range(functions):
        nodes.add_node("Function", id=f"Function:{path}:f{number}", name=f"f{number}", qualified_name=f"f{number}")
        edges.add_edge("CALLS", ("Function", f"Function:{path}:f{number}"), ("Function", f"Function:{path}:f0"), line=number)
    structure = FileStructure({"symbols of": path}, nodes, node_counts=nodes.node_counts())  # type: ignore[arg-type]
    summary = FileSummary(None, frozenset(), nodes.node_counts(), {}, edges.edge_counts(), {}, {}, [])  # type: ignore[arg-type]
    return structure, FileRecord(FileStat("h-" + path, 1, 1), summary, {"symbols of": path}, nodes, edges)  # type: ignore[arg-type]


def _files(state: IndexState) -> dict[str, tuple]:
    rows = state._connection.execute("SELECT path, content_hash, summary, symbols, nodes, edges FROM files")
    return {path: (content_hash, *(pickle.loads(blob) if blob else None for blob in blobs)) for path, content_hash, *blobs in rows}


def test_the_buffer_writes_ahead_at_its_limit_and_gives_every_row_in_order(tmp_path):
    """Nodes added with their file's structure are written ahead before its record, and the record
    completes the row; a record held to the end is left for the writer beside the load."""
    state = IndexState.create(tmp_path, "graph", "fingerprint")
    try:
        built = BuildRecords(state, limit_rows=8)
        a, a_record = _structure_and_record("a.py", 2)  # 3 node rows, 2 edge rows
        b, b_record = _structure_and_record("b.py", 3)  # 4 node rows, 3 edge rows
        c, c_record = _structure_and_record("c.py", 1)
        built.add_structure("a.py", a_record.stat, a)
        built.add_structure("b.py", b_record.stat, b)  # 7 rows held
        assert a.graph is not None and _files(state) == {}
        built.add_structure("c.py", c_record.stat, c)  # 9: written ahead, the structures let go
        assert (a.graph, b.graph, c.graph) == (None, None, None)
        assert {path: row[3].node_counts() for path, row in _files(state).items()} == \
            {"a.py": {"File": 1, "Function": 2}, "b.py": {"File": 1, "Function": 3}, "c.py": {"File": 1, "Function": 1}}
        assert {row[1] for row in _files(state).values()} == {None}  # no summary yet
        a_record.nodes = b_record.nodes = c_record.nodes = None  # as pipeline._file_record makes them now
        built.add("a.py", a_record)
        built.add("b.py", b_record)  # 5 edge rows held
        assert built.written_ahead == 0 and list(built.held) == ["a.py", "b.py"]
        built.add("c.py", c_record)  # 6
        built.add_graph(Graph())
        assert list(built.held) == ["a.py", "b.py", "c.py"]
        d, d_record = _structure_and_record("d.py", 3)  # no structure ahead: its nodes come with its record
        built.add("d.py", d_record)  # 6 + 7 rows: written ahead
        assert built.written_ahead == 4 and built.held == {}
        files = _files(state)
        assert files["a.py"][0] == "h-a.py" and files["a.py"][1].node_counts == {"File": 1, "Function": 2}
        assert files["a.py"][3].node_counts() == {"File": 1, "Function": 2}  # kept by the record's update
        assert files["a.py"][4].edge_counts() == {"CALLS": 2} and files["d.py"][4].edge_counts() == {"CALLS": 3}
        assert files["d.py"][3].node_counts() == {"File": 1, "Function": 3}
        e, e_record = _structure_and_record("e.py", 0)
        built.add("e.py", e_record)  # held, below the limit
        tables = built.tables()
        assert list(built.held) == ["e.py"] and "e.py" not in _files(state)  # left for the writer beside the load
        assert list(built.summaries) == ["a.py", "b.py", "c.py", "d.py", "e.py"]
        assert tables.nodes["File"].column("id").to_pylist() == ["File:a.py", "File:b.py", "File:c.py", "File:d.py", "File:e.py"]
        assert tables.nodes["Function"].column("id").to_pylist() == [
            "Function:a.py:f0", "Function:a.py:f1", "Function:b.py:f0", "Function:b.py:f1", "Function:b.py:f2",
            "Function:c.py:f0", "Function:d.py:f0", "Function:d.py:f1", "Function:d.py:f2"]
        assert tables.edges[("CALLS", "Function", "Function")].column("line").to_pylist() == [0, 1, 0, 1, 2, 0, 0, 1, 2]
        assert state._connection.in_transaction  # written ahead, not yet committed
    finally:
        state.close()
    reopened = sqlite3.connect(state_path(tmp_path, "graph"))
    assert reopened.execute("SELECT count(*) FROM files").fetchone() == (0,)  # never committed: nothing kept
    reopened.close()
