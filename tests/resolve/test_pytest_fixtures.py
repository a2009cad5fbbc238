"""pytest fixtures as calls: each test or fixture CALLS the fixtures it requests, found as pytest finds
them (its docs, "fixture availability" and "overriding fixtures on various levels"), exactly."""

from __future__ import annotations

import pytest

from code_schema_programs import edges, program_graph
from tests.resolve.test_calls import call_edges
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index

CONFTEST_ROOT = '''\
import pytest


@pytest.fixture
def settings():
    return {}


@pytest.fixture
def app(settings):
    return settings
'''

CONFTEST_TESTS = '''\
import pytest as pt
from pytest import fixture


@pt.fixture(scope="module", name="db_session")
def _session(app):
    return app


@fixture()
def client(app, db_session):
    return (app, db_session)


@pt.fixture(autouse=True)
def clean():
    yield
'''

TEST_VIEWS = '''\
import pytest

from helpers import fixture


@pytest.fixture
def client(client):
    return client


@fixture
def not_a_fixture():
    return 1


def test_index(client, tmp_path, not_a_fixture):
    assert client


def helper(app):
    return app


class TestThing:
    @pytest.fixture
    def thing(self, app):
        return app

    def test_thing(self, thing, db_session):
        assert thing

    @pytest.mark.usefixtures("settings")
    def test_marked(self):
        pass


@pytest.mark.usefixtures("db_session", "missing")
class TestMarked:
    def test_one(self):
        pass
'''

HELPERS = '''\
def fixture(function):
    return function
'''

TEST_DEEP = '''\
import pytest


@pytest.fixture
def app():
    return "deep"


def test_deep(app, client, settings):
    pass
'''

PROGRAM = {"conftest.py": CONFTEST_ROOT, "tests/conftest.py": CONFTEST_TESTS, "tests/test_views.py": TEST_VIEWS,
           "helpers.py": HELPERS, "tests/unit/test_deep.py": TEST_DEEP}


def fixture_edges(graph) -> set[tuple]:
    return {edge for edge in edges(graph, "CALLS", "reason", "confidence", "line") if edge[2] == "pytest-fixture"}


def test_a_test_and_a_fixture_call_the_fixtures_they_request(tmp_path):
    assert fixture_edges(program_graph(tmp_path, PROGRAM)) == {
        # a fixture requesting fixtures, in a conftest.py and from the one above it; `name=` renames
        ("tests.conftest._session", "conftest.app", "pytest-fixture", 0.9, 5),
        ("tests.conftest.client", "conftest.app", "pytest-fixture", 0.9, 10),
        ("tests.conftest.client", "tests.conftest._session", "pytest-fixture", 0.9, 10),
        ("conftest.app", "conftest.settings", "pytest-fixture", 0.9, 9),
        # a module's fixture overriding the conftest.py one it requests by its own name
        ("tests.test_views.client", "tests.conftest.client", "pytest-fixture", 0.9, 6),
        # the module's fixture first; `tmp_path` is pytest's own, `not_a_fixture` a local decorator's
        ("tests.test_views.test_index", "tests.test_views.client", "pytest-fixture", 0.9, 16),
        # a class's fixture, then the conftest.py files; `self` requests nothing
        ("tests.test_views.TestThing.thing", "conftest.app", "pytest-fixture", 0.9, 25),
        ("tests.test_views.TestThing.test_thing", "tests.test_views.TestThing.thing", "pytest-fixture", 0.9, 29),
        ("tests.test_views.TestThing.test_thing", "tests.conftest._session", "pytest-fixture", 0.9, 29),
        # `usefixtures` on a method and on its class; an unknown name gives nothing
        ("tests.test_views.TestThing.test_marked", "conftest.settings", "pytest-fixture", 0.9, 32),
        ("tests.test_views.TestMarked.test_one", "tests.conftest._session", "pytest-fixture", 0.9, 39),
        # a deeper folder: its module's own `app` first, then tests/conftest.py, then the root's
        ("tests.unit.test_deep.test_deep", "tests.unit.test_deep.app", "pytest-fixture", 0.9, 9),
        ("tests.unit.test_deep.test_deep", "tests.conftest.client", "pytest-fixture", 0.9, 9),
        ("tests.unit.test_deep.test_deep", "conftest.settings", "pytest-fixture", 0.9, 9),
    }


APP = '''\
class Environment:
    def from_string(self, source):
        return Template(source)


class Template:
    def render(self):
        return ""


class App:
    def test_client(self) -> "Client":
        return Client()


class Client:
    def get(self, url):
        return url
'''

APP_CONFTEST = '''\
import pytest

from app import App, Environment


@pytest.fixture
def env():
    return Environment()


@pytest.fixture
def client():
    app = App()
    yield app.test_client()
'''

APP_TESTS = '''\
import pytest


def test_render(env):
    env.from_string("x").render()


def test_get(client):
    client.get("/")


@pytest.mark.parametrize("env", [None])
def test_given(env):
    env.from_string("y")


class TestNested:
    def test_inner(self, env):
        def later():
            return env.from_string("z")
        return later()
'''


@pytest.mark.parametrize("value_flow", [False, True])
def test_a_parameter_holds_what_its_fixture_returns_or_yields(tmp_path, value_flow):
    """pytest passes a test the value its fixture returns, or the first it yields; a parameter a
    `@pytest.mark.parametrize` fills is not the fixture's, nor typed by it."""
    calls, _ = call_edges(tmp_path, {"app.py": APP, "tests/conftest.py": APP_CONFTEST, "tests/test_app.py": APP_TESTS},
                          value_flow=value_flow)
    in_tests = {(caller, callee, reason) for caller, callee, reason, _ in calls if caller.startswith("tests.test_app")}
    assert in_tests == {
        ("tests.test_app", "pytest.mark.parametrize", "import-external"),
        ("tests.test_app.test_render", "tests.conftest.env", "pytest-fixture"),
        ("tests.test_app.test_render", "app.Environment.from_string", "instance-type"),
        ("tests.test_app.test_render", "app.Template.render", "instance-type"),  # on what from_string returns
        ("tests.test_app.test_get", "tests.conftest.client", "pytest-fixture"),
        ("tests.test_app.test_get", "app.Client.get", "declared-type"),  # `test_client` says `-> "Client"`
        ("tests.test_app.TestNested.test_inner", "tests.conftest.env", "pytest-fixture"),
        ("tests.test_app.TestNested.test_inner.later", "app.Environment.from_string", "instance-type"),
        ("tests.test_app.TestNested.test_inner", "tests.test_app.TestNested.test_inner.later", "same-scope"),
    }


def test_a_new_conftest_fixture_moves_the_edge_on_an_incremental_run(tmp_path):
    """The test file read the conftest.py files above it (and the absence of one in its folder), so
    adding a nearer conftest.py resolves it again."""
    repo, settings, db = indexed_program(tmp_path)
    (repo / "tests" / "unit" / "conftest.py").write_text("import pytest\n\n\n@pytest.fixture\ndef settings():\n    return 1\n")
    assert index_repository(repo, db, settings).delta["mode"] == "incremental"
    assert [callee for caller, callee in requests(db, settings) if caller == "tests.unit.test_deep.test_deep"] == [
        "tests.conftest.client", "tests.unit.conftest.settings", "tests.unit.test_deep.app"]


@pytest.mark.parametrize(("path", "old", "new"), [
    ("tests/conftest.py", 'name="db_session"', 'name="database"'),  # a fixture renamed
    ("conftest.py", "@pytest.fixture\ndef settings", "def settings"),  # no longer a fixture
    ("tests/test_views.py", "def test_index(client, tmp_path", "def test_index(app, tmp_path"),  # another request
    ("tests/conftest.py", "def clean():", "def settings():"),  # a nearer fixture of a requested name
])
def test_an_incremental_run_after_a_fixture_edit_equals_a_full_index(tmp_path, path, old, new):
    repo, settings, db = indexed_program(tmp_path)
    before = requests(db, settings)
    edited = repo / path
    assert old in edited.read_text()
    edited.write_text(edited.read_text().replace(old, new))
    assert index_repository(repo, db, settings).delta["mode"] == "incremental"
    index_repository(repo, tmp_path / "full", settings)
    assert requests(db, settings) == requests(tmp_path / "full", settings) != before


def indexed_program(tmp_path):
    repo = tmp_path / "repo"
    for path, text in PROGRAM.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    settings = load_settings(repo, use_git_ls_files=False)
    db = tmp_path / "db"
    index_repository(repo, db, settings)
    return repo, settings, db


def requests(db, settings) -> list[tuple[str, str]]:
    store = open_index(db, settings)
    try:
        return [tuple(row) for row in store.query(
            "MATCH (a)-[r:CALLS]->(b) WHERE r.reason = 'pytest-fixture' "
            "RETURN a.qualified_name, b.qualified_name ORDER BY a.qualified_name, b.qualified_name").rows]
    finally:
        store.close()
