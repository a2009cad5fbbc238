"""Every kind of COPY failure, forced against a real database: classified, logged, counted in
`codekg_copy_*`, and the MERGE fallback loads the graph a clean COPY of the same data loads."""

from __future__ import annotations

import io
import logging
import resource
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ladybug
import pyarrow as pa
import pytest

from codekg.errors import QueryError
from codekg.graph import Graph, GraphTables
from codekg.metrics import snapshot
from codekg.settings import load_settings
from codekg.stores.copy_failures import COPY_FAILURE_KINDS, classify_copy_failure
from codekg.stores.base import LoadReport
from codekg.stores.ladybug import LadybugStore

SETTINGS = load_settings(None, copy_min_node_rows=0)  # every table goes through COPY
TABLES = 7  # External, Folder, Function, Module, Project, CALLS(Module->Function), CONTAINS(Project->Folder)


def base_graph() -> Graph:
    graph = Graph()
    graph.add_node("Project", id="Project:p", name="p", qualified_name="p")
    for i in range(3):
        graph.add_node("Folder", id=f"Folder:f{i}", name=f"f{i}", qualified_name=f"f{i}")
        graph.add_edge("CONTAINS", ("Project", "Project:p"), ("Folder", f"Folder:f{i}"))
    for i in range(5):
        graph.add_node("External", id=f"External:e{i}", name=f"e{i}", qualified_name=f"e{i}")
    graph.add_node("Module", id="Module:m", name="m", qualified_name="m")
    graph.add_node("Function", id="Function:m.f", name="f", qualified_name="m.f", decorators=[], is_async=False)
    graph.add_edge("CALLS", ("Module", "Module:m"), ("Function", "Function:m.f"), confidence=0.5, reason="local",
                   line=3, call_count=1)
    return graph


def stored_graph(store: LadybugStore) -> tuple[list[str], list[str]]:
    def clean(value: dict) -> list:
        return sorted((k, v) for k, v in value.items() if not k.startswith("_"))

    nodes = sorted(repr((label, clean(n))) for label, n in store.query("MATCH (n) RETURN label(n), n").rows)
    edges = sorted(repr((t, a, b)) for t, a, b in store.query("MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id").rows)
    return nodes, edges


@pytest.fixture(scope="module")
def clean_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], list[str]]:
    """The graph a COPY of ``base_graph()`` loads, every table through COPY."""
    store = LadybugStore.create(tmp_path_factory.mktemp("clean") / "g.lbdb", SETTINGS)
    try:
        report = store.write_tables(base_graph().to_tables())
        assert {t.method for t in report.tables} == {"copy"}
        return stored_graph(store)
    finally:
        store.close()


def copy_counters() -> dict[str, float]:
    return {key: value for key, value in snapshot().items() if key.startswith("codekg_copy_")}


def counted_since(before: dict[str, float]) -> dict[str, float]:
    return {key: value - before.get(key, 0.0) for key, value in copy_counters().items() if value != before.get(key, 0.0)}


@contextmanager
def once_copy_failure_is_logged(repair: Callable[[], None]) -> Iterator[None]:
    """Runs ``repair`` when the store logs a failed COPY, before its MERGE fallback: the failure was real,
    and the fallback finds the database usable again (a file system back, a limit lifted)."""

    class Repair(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("COPY into "):
                repair()

    handler = Repair(logging.WARNING)
    logger = logging.getLogger("codekg.stores.ladybug")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def with_column(tables: GraphTables, label: str, name: str, column: pa.Array) -> GraphTables:
    tables.nodes[label] = tables.nodes[label].append_column(name, column)
    return tables


# --- the kinds that input data causes: the same store, a table the database refuses -------------

def schema_mismatch(graph: Graph) -> GraphTables:
    """A column the table does not have: `$arrow_rows has 10 columns but 9 columns were expected`."""
    return with_column(graph.to_tables(), "External", "extra", pa.array(range(5)))


def duplicate_key(graph: Graph) -> GraphTables:
    graph.add_node("External", id="External:e0", name="e0", qualified_name="e0")
    return graph.to_tables()


def missing_endpoint(graph: Graph) -> GraphTables:
    """An edge to a folder that is no node: COPY refuses the table, MERGE finds no endpoint to join."""
    graph.add_edge("CONTAINS", ("Project", "Project:p"), ("Folder", "Folder:gone"))
    return graph.to_tables()


def unreadable_column(graph: Graph) -> GraphTables:
    """An Arrow type the database's Arrow scan does not take, `16 bit floats are not supported`; MERGE
    reads the same values as Python floats."""
    tables = graph.to_tables()
    key = ("CALLS", "Module", "Function")
    calls = tables.edges[key]
    index = calls.schema.get_field_index("confidence")
    tables.edges[key] = calls.set_column(index, "confidence", calls.column(index).cast(pa.float16()))
    return tables


@pytest.mark.parametrize(("make_tables", "kind", "failed_table", "rows"), [
    (schema_mismatch, "schema_mismatch", "External", 5),
    (duplicate_key, "data_format", "External", 6),
    (missing_endpoint, "data_format", "CONTAINS(Project->Folder)", 4),
    (unreadable_column, "generation_failed", "CALLS(Module->Function)", 1),
], ids=["schema_mismatch", "data_format-duplicate-key", "data_format-missing-endpoint", "generation_failed"])
def test_a_refused_table_is_classified_counted_and_loaded_by_merge(tmp_path, caplog, clean_copy, make_tables, kind,
                                                                   failed_table, rows):
    store = LadybugStore.create(tmp_path / "g.lbdb", SETTINGS)
    before = copy_counters()
    with caplog.at_level(logging.WARNING, logger="codekg.stores.ladybug"):
        report = store.write_tables(make_tables(base_graph()))
    assert {t.table: t.failure_kind for t in report.tables if t.method == "merge"} == {failed_table: kind}
    assert report.copy_outcome() == {"attempts": TABLES, "failures": {kind: 1}, "failure_rate": round(1 / TABLES, 4)}
    assert counted_since(before) == {"codekg_copy_attempts_total": TABLES, f'codekg_copy_failures_total{{kind="{kind}"}}': 1}
    [logged] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("COPY into")]
    assert logged.startswith(f"COPY into {failed_table} ({rows} rows) failed, {kind}: ")
    assert stored_graph(store) == clean_copy
    store.close()


# --- the kinds the database or its files cause: the data is clean, the store is not ---------------

def hold_the_write_transaction(store: LadybugStore, path: Path) -> Callable[[], None]:
    """Another connection holds the one write transaction: "Cannot start a new write transaction in the
    system"; it rolls back once the failure is logged. (The query timeout stops a COPY too, but not
    reliably one this small.)"""
    other = ladybug.Connection(store._database)
    other.execute("BEGIN TRANSACTION")
    other.execute("CREATE (:Project {id: 'Project:other', name: 'other', qualified_name: 'other'})")
    open_transactions = [other]

    def roll_back() -> None:
        while open_transactions:
            connection = open_transactions.pop()
            connection.execute("ROLLBACK")
            connection.close()

    return roll_back


def cap_file_size(store: LadybugStore, path: Path) -> Callable[[], None]:
    """No file of this process may grow (RLIMIT_FSIZE, SIGXFSZ ignored): the write fails with "File too large"."""
    limits, handler = resource.getrlimit(resource.RLIMIT_FSIZE), signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size, limits[1]))

    def restore() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)

    return restore


def exhaust_file_descriptors(store: LadybugStore, path: Path) -> Callable[[], None]:
    """No file can be opened (RLIMIT_NOFILE at 0): "Cannot open file …: Too many open files". (Removing
    the index directory fails the same way, "No such file or directory", but leaves the database
    refusing every later write, which no fallback can help.)"""
    limits = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (0, limits[1]))
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, limits)


# `file_system` is not forced here: the store checkpoints once after the load, so a COPY opens no file
# and exhausting the descriptors fails only that checkpoint (logged; the log is replayed at the next
# open: test_a_checkpoint_that_cannot_open_a_file_loses_nothing). Its messages are classified in
# test_each_real_message_has_its_kind.
@pytest.mark.parametrize(("break_store", "kind"), [
    (hold_the_write_transaction, "execution_failed"),
    (cap_file_size, "write_failed"),
], ids=["execution_failed", "write_failed"])
def test_a_failing_database_is_classified_counted_and_loaded_by_merge(tmp_path, clean_copy, break_store, kind):
    path = tmp_path / "db" / "g.lbdb"
    path.parent.mkdir()
    store = LadybugStore.create(path, SETTINGS)
    tables = base_graph().to_tables()
    before = copy_counters()
    repair = break_store(store, path)
    try:
        with once_copy_failure_is_logged(repair):
            report = store.write_tables(tables)
    finally:
        repair()  # twice is harmless; never leave the limit on after a failed assertion
    # one table's COPY failed (which one depends on when the database writes its pages) and fell back
    assert [(t.method, t.failure_kind) for t in report.tables if t.failure_kind] == [("merge", kind)]
    assert counted_since(before) == {"codekg_copy_attempts_total": TABLES, f'codekg_copy_failures_total{{kind="{kind}"}}': 1}
    assert stored_graph(store) == clean_copy
    store.close()


def test_a_checkpoint_that_cannot_open_a_file_loses_nothing(tmp_path, clean_copy, caplog):
    path = tmp_path / "db" / "g.lbdb"
    path.parent.mkdir()
    store = LadybugStore.create(path, SETTINGS)
    repair = exhaust_file_descriptors(store, path)
    try:
        with caplog.at_level(logging.WARNING, logger="codekg.stores.ladybug"):
            report = store.write_tables(base_graph().to_tables())
    finally:
        repair()
    assert all(t.method == "copy" for t in report.tables)
    assert "checkpoint after the load failed" in caplog.text and "Too many open files" in caplog.text
    store.close()
    reopened = LadybugStore(path, SETTINGS)
    assert stored_graph(reopened) == clean_copy
    reopened.close()


def test_the_human_summary_has_a_failure_rate_line_only_when_a_copy_failed(tmp_path):
    from types import SimpleNamespace

    from rich.console import Console

    from codekg.cli import _print_failures

    def printed(report: LoadReport) -> str:
        console = Console(file=io.StringIO(), width=300)
        fallbacks = [{"table": t.table, "kind": t.failure_kind, "error": t.fallback_error} for t in report.fallbacks]
        _print_failures(SimpleNamespace(secondary=[], search={}, load_fallbacks=fallbacks, copy=report.copy_outcome()), lambda: console)
        return console.file.getvalue()

    store = LadybugStore.create(tmp_path / "g.lbdb", SETTINGS)
    failed = store.write_tables(duplicate_key(base_graph()))
    store.close()
    assert printed(failed).splitlines() == [
        "COPY failure rate 14.3%: 1 of 7 table(s) (data_format 1)",
        "COPY failed for External (data_format), loaded with MERGE: Copy exception: Found duplicated primary key value "
        "External:e0, which violates the uniqueness constraint of the primary key column.",
    ]
    assert printed(LoadReport(tables=[t for t in failed.tables if not t.failure_kind])) == ""


# --- the messages behind each kind, as Ladybug 0.22 wrote them in the runs above and in others ------

REAL_MESSAGES = {
    "Copy exception: Found duplicated primary key value External:0, which violates the uniqueness constraint of "
    "the primary key column.": "data_format",
    "Copy exception: Found NULL, which violates the non-null constraint of the primary key column.": "data_format",
    "Copy exception: Unable to find primary key value Folder:9.": "data_format",
    'Conversion exception: Cast failed. Could not convert "a" to INT64.': "data_format",
    "Overflow exception: Value 18446744073709551615 is not within INT64 range": "data_format",
    "Binder exception: $arrow_rows has 10 columns but 9 columns were expected.": "schema_mismatch",
    "Binder exception: Variable id already exists.": "schema_mismatch",  # two columns of one name
    "Binder exception: Rel table CONTAINS does not contain Folder-Project from-to pair.": "schema_mismatch",
    "Binder exception: Table Nope does not exist.": "schema_mismatch",
    "Conversion exception: Unsupported casting function from TIMESTAMP_SEC to INT64.": "schema_mismatch",
    "Pure time types are not supported": "generation_failed",
    "16 bit floats are not supported": "generation_failed",
    "Runtime exception: Unknown parameter type <class 'pyarrow.lib.RecordBatch'>": "generation_failed",
    "Binder exception: Trying to scan from unsupported data type INT64[]. The only parameter types that can be "
    "scanned from are pandas/polars dataframes and pyarrow tables.": "generation_failed",
    "Transaction committed successfully, but the post-commit checkpoint failed. The committed data is durable and "
    "will be recovered on restart: IO exception: Cannot write to file. path: /tmp/db/g.lbdb fileDescriptor: 3 "
    "offsetToWrite: 4096 numBytesToWrite: 4096 numBytesWritten: -1. Error: File too large": "write_failed",
    "Transaction committed successfully, but the post-commit checkpoint failed. The committed data is durable and "
    "will be recovered on restart: IO exception: Cannot open file /tmp/db/g.lbdb.checkpoint.intent.lock: "
    "No such file or directory": "file_system",
    "IO exception: Cannot open file /tmp/db/g.lbdb.checkpoint.intent.lock: Too many open files": "file_system",
    "Buffer manager exception: Unable to allocate memory! The buffer pool is full and no memory could be "
    "freed!": "page_cache_full",  # docs/benchmarks.md: a COPY of 100,000 files' Method table
    "Cannot start a new write transaction in the system. Only one write transaction at a time is allowed in the "
    "system.": "execution_failed",
    "the query ran longer than 0.001 s and was stopped": "execution_failed",  # the store's query timeout
}


@pytest.mark.parametrize("message", REAL_MESSAGES)
def test_each_real_message_has_its_kind(message):
    assert classify_copy_failure(QueryError(message)) == REAL_MESSAGES[message]


def test_every_kind_has_a_real_message():
    assert set(REAL_MESSAGES.values()) == set(COPY_FAILURE_KINDS)
