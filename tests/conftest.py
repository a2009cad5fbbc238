"""Shared test helpers: fixture repositories copied to a temp dir and indexed into a real database;
a real FalkorDB server per session, a fresh graph name per test, a private server to crash."""

from __future__ import annotations

import faulthandler
import itertools
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from codekg.languages import EXTRACTORS
from codekg.pipeline import IndexSummary, index_repository
from codekg.settings import Settings, load_settings
from codekg.stores.base import QueryResult
from codekg.stores import open_index

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--web-screenshot", default="build/test-artefacts/web-view.png",
                     help="where the browser test of the web view (tests/web) saves its screenshot "
                          "(`make web-screenshot` writes docs/web.png)")

# Every index run of the suite, in process or a `codekg` subprocess, is strict: a file that a pass
# fails on fails the test instead of hiding behind a warning (tests/test_faults.py turns it off).
os.environ.setdefault("CODEKG_STRICT", "1")
# The tests judge the resolver users get by default: `value_flow = "auto"`, on for every fixture here
# (a repository of more than `value_flow_auto_bytes` of source is solved without it; docs/value-flow.md).

# The server helper lives beside the store tests (which import it as `falkordb_server`); its fixtures
# are here, for every test that needs a server store.
if str(Path(__file__).parent / "stores") not in sys.path:
    sys.path.insert(0, str(Path(__file__).parent / "stores"))  # where pytest puts it for the tests there
from falkordb_server import FalkorDBServer  # noqa: E402


class IndexedRepo:
    """A fixture repository indexed into ``db``; ``rows`` runs read queries against the live index."""

    def __init__(self, repo: Path, db: Path, settings: Settings, summary: IndexSummary) -> None:
        self.repo, self.db, self.settings, self.summary = repo, db, settings, summary

    def query(self, cypher: str) -> QueryResult:
        store = open_index(self.db, self.settings)
        try:
            return store.query(cypher)
        finally:
            store.close()

    def rows(self, cypher: str) -> list[tuple]:
        return [tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in self.query(cypher).rows]


@pytest.fixture
def copy_fixture(tmp_path: Path) -> Callable[[str], Path]:
    def copy(name: str) -> Path:
        copies = len(list(tmp_path.glob("copy-*")))
        target = tmp_path / f"copy-{copies + 1}" / name
        shutil.copytree(FIXTURES / name, target)
        return target

    return copy


@pytest.fixture
def index_fixture(copy_fixture: Callable[[str], Path], tmp_path: Path) -> Callable[..., IndexedRepo]:
    def index(name: str, **overrides: object) -> IndexedRepo:
        repo = copy_fixture(name)
        db = repo.parent / f"{repo.name}-db"
        settings = load_settings(repo, **overrides)
        summary = index_repository(repo, db, settings)
        return IndexedRepo(repo, db, settings, summary)

    return index


# --- FalkorDB ------------------------------------------------------------------------------------

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


@pytest.fixture
def misbehaving_python(monkeypatch, tmp_path) -> Path:
    """The Python extractor, in forked workers, crashes (SIGSEGV) on a file containing CRASH_HERE and
    sleeps for an hour on one containing HANG_HERE. Each such attempt is logged to the returned file."""
    extractor = EXTRACTORS["python"]
    original = extractor.extract
    test_process = os.getpid()
    attempts = tmp_path / "attempts.log"

    def extract(path: str, source: bytes):
        if b"CRASH_HERE" in source or b"HANG_HERE" in source:
            with attempts.open("a") as log:
                log.write(path + "\n")
            if os.getpid() == test_process:
                raise AssertionError("a misbehaving file reached the test process instead of a worker")
            if b"CRASH_HERE" in source:
                faulthandler.disable()  # pytest's traceback dump would only clutter the output
                os.kill(os.getpid(), signal.SIGSEGV)
            time.sleep(3600)
        return original(path, source)

    monkeypatch.setattr(extractor, "extract", extract)
    return attempts


@pytest.fixture(autouse=True)
def _extraction_switches_restored() -> Iterator[None]:
    """The parse pass sets the process-wide extraction switches for its run (languages/base.py): a
    test that indexed with the value flow off must not leave a later test's extractors without flow facts."""
    from codekg.languages.base import EXTRACTION

    saved = (EXTRACTION.flow_facts, EXTRACTION.sql_dialect, dict(EXTRACTION.sql_folder_dialects))
    yield
    EXTRACTION.flow_facts, EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = saved
