"""A full index run of the Python fixture repository into a real database: exact nodes and edges."""

from __future__ import annotations

import json

import pytest

from codekg.pipeline import index_repository
from codekg.schema import SCHEMA_VERSION
from codekg.settings import load_settings
from codekg.stores import open_index

M = "src/shop/models.py"
S = "src/shop/service.py"
U = "src/shop/util.py"
I = "src/shop/__init__.py"
R = "scripts/run.py"

EXPECTED_NODES = {
    ("Project", "Project:pyrepo"),
    ("Folder", "Folder:scripts"), ("Folder", "Folder:src"), ("Folder", "Folder:src/shop"),
    ("File", f"File:{R}"), ("File", f"File:{I}"), ("File", f"File:{M}"), ("File", f"File:{S}"), ("File", f"File:{U}"),
    ("Module", f"Module:{R}:scripts.run"), ("Module", f"Module:{I}:shop"), ("Module", f"Module:{M}:shop.models"),
    ("Module", f"Module:{S}:shop.service"), ("Module", f"Module:{U}:shop.util"),
    ("Class", f"Class:{M}:shop.models.Base"), ("Class", f"Class:{M}:shop.models.Order"),
    ("Method", f"Method:{M}:shop.models.Base.save"), ("Method", f"Method:{M}:shop.models.Base.validate"),
    ("Method", f"Method:{M}:shop.models.Order.__init__"), ("Method", f"Method:{M}:shop.models.Order.total"),
    ("Method", f"Method:{M}:shop.models.Order.save"),
    ("Function", f"Function:{S}:shop.service.checkout"), ("Function", f"Function:{S}:shop.service.helper"),
    ("Function", f"Function:{S}:shop.service.helper.inner"), ("Function", f"Function:{U}:shop.util.log"),
    ("Variable", f"Variable:{I}:shop.__all__"), ("Variable", f"Variable:{M}:shop.models.Order.TAX"),
    ("External", "External:<builtin>.print"), ("External", "External:<builtin>.sum"),
    ("External", "External:<builtin>.super"), ("External", "External:json"), ("External", "External:json.dumps"),
    ("External", "External:os"), ("External", "External:os.getcwd"), ("External", "External:requests"),
    ("External", "External:requests.get"), ("External", "External:<builtin>.staticmethod"),
    ("Class", f"Class:{M}:shop.models.Counter"), ("Method", f"Method:{M}:shop.models.Counter.bump"),
    ("Variable", f"Variable:{M}:shop.models.Counter.saved"), ("Decorator", f"Decorator:{M}:shop.models.Counter.bump@0"),
    # one Import per module an import statement names (`<module>:<line>:<module as written>`)
    ("Import", f"Import:{R}:scripts.run:1:shop.service"), ("Import", f"Import:{R}:scripts.run:2:shop"),
    ("Import", f"Import:{R}:scripts.run:3:requests"), ("Import", f"Import:{I}:shop:2:.models"),
    ("Import", f"Import:{S}:shop.service:1:os"), ("Import", f"Import:{S}:shop.service:2:.models"),
    ("Import", f"Import:{S}:shop.service:3:."), ("Import", f"Import:{U}:shop.util:1:json"),
}
IMPORT_NODES = {node_id for label, node_id in EXPECTED_NODES if label == "Import"}

EXPECTED_STRUCTURE = {
    ("CONTAINS", "Project:pyrepo", "Folder:scripts"), ("CONTAINS", "Project:pyrepo", "Folder:src"),
    ("CONTAINS", "Folder:src", "Folder:src/shop"), ("CONTAINS", "Folder:scripts", f"File:{R}"),
    ("CONTAINS", "Folder:src/shop", f"File:{I}"), ("CONTAINS", "Folder:src/shop", f"File:{M}"),
    ("CONTAINS", "Folder:src/shop", f"File:{S}"), ("CONTAINS", "Folder:src/shop", f"File:{U}"),
    ("DEFINES", f"File:{R}", f"Module:{R}:scripts.run"), ("DEFINES", f"File:{I}", f"Module:{I}:shop"),
    ("DEFINES", f"File:{M}", f"Module:{M}:shop.models"), ("DEFINES", f"File:{S}", f"Module:{S}:shop.service"),
    ("DEFINES", f"File:{U}", f"Module:{U}:shop.util"),
    ("DEFINES", f"Module:{I}:shop", f"Variable:{I}:shop.__all__"),
    ("DEFINES", f"Module:{M}:shop.models", f"Class:{M}:shop.models.Base"),
    ("DEFINES", f"Module:{M}:shop.models", f"Class:{M}:shop.models.Order"),
    ("DEFINES", f"Class:{M}:shop.models.Order", f"Variable:{M}:shop.models.Order.TAX"),
    ("DEFINES", f"Module:{S}:shop.service", f"Function:{S}:shop.service.checkout"),
    ("DEFINES", f"Module:{S}:shop.service", f"Function:{S}:shop.service.helper"),
    ("DEFINES", f"Function:{S}:shop.service.helper", f"Function:{S}:shop.service.helper.inner"),
    ("DEFINES", f"Module:{U}:shop.util", f"Function:{U}:shop.util.log"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Base", f"Method:{M}:shop.models.Base.save"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Base", f"Method:{M}:shop.models.Base.validate"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Order", f"Method:{M}:shop.models.Order.__init__"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Order", f"Method:{M}:shop.models.Order.save"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Order", f"Method:{M}:shop.models.Order.total"),
    ("DEFINES", f"Module:{M}:shop.models", f"Class:{M}:shop.models.Counter"),
    ("DEFINES", f"Class:{M}:shop.models.Counter", f"Variable:{M}:shop.models.Counter.saved"),
    ("HAS_METHOD", f"Class:{M}:shop.models.Counter", f"Method:{M}:shop.models.Counter.bump"),
} | {("DEFINES", f"Module:{node_id.split(':')[1]}:{node_id.split(':')[2]}", node_id) for node_id in IMPORT_NODES}

# (caller, callee, reason, confidence, first line)
EXPECTED_CALLS = {
    ("scripts.run", "requests.get", "import-external", 1.0, 7),
    ("scripts.run", "shop.models.Order", "import", 1.0, 6),
    ("scripts.run", "shop.models.Order.__init__", "constructor", 1.0, 6),
    # `Order([3]).save()`: the method of the instance the call made (the rules find it too: their edge stays)
    ("scripts.run", "shop.models.Order.save", "instance-type", 0.9, 6),
    ("scripts.run", "shop.service.checkout", "import", 1.0, 5),
    ("shop.models.Base.save", "shop.models.Base.validate", "self-member", 0.9, 8),
    ("shop.models.Order.save", "<builtin>.super", "builtin", 1.0, 24),
    ("shop.models.Order.save", "shop.models.Base.save", "super-member", 0.9, 24),
    ("shop.models.Order.save", "shop.models.Order.total", "self-member", 0.9, 25),
    ("shop.models.Order.total", "<builtin>.sum", "builtin", 1.0, 21),
    ("shop.service.checkout", "os.getcwd", "import-external", 1.0, 9),
    ("shop.service.checkout", "shop.models.Order", "import", 1.0, 8),
    ("shop.service.checkout", "shop.models.Order.__init__", "constructor", 1.0, 8),
    ("shop.service.checkout", "shop.service.helper", "same-file", 1.0, 10),
    ("shop.service.checkout", "shop.util.log", "import", 1.0, 9),
    ("shop.service.helper", "shop.service.helper.inner", "same-scope", 1.0, 17),
    # `order.save()` on the closure's `order`: the Order that `checkout` passed to `helper`
    ("shop.service.helper.inner", "shop.models.Order.save", "flow-method", 0.85, 15),
    ("shop.util.log", "<builtin>.print", "builtin", 1.0, 5),
    ("shop.util.log", "json.dumps", "import-external", 1.0, 5),
    # `@staticmethod` runs in the class body; the Decorator calls it too
    ("shop.models.Counter", "<builtin>.staticmethod", "builtin", 1.0, 33),
    ("shop.models.Counter.bump@0", "<builtin>.staticmethod", "builtin", 1.0, 33),
}

EXPECTED_IMPORTS = {
    (f"File:{R}", "External:requests", (), "unresolved-import"),
    (f"File:{R}", f"File:{I}", ("Order",), "module-path"),
    (f"File:{R}", f"File:{S}", ("checkout",), "module-path"),
    (f"File:{I}", f"File:{M}", ("Order",), "relative-path"),
    (f"File:{S}", "External:os", (), "unresolved-import"),
    (f"File:{S}", f"File:{M}", ("Order",), "relative-path"),
    (f"File:{S}", f"File:{U}", ("util",), "relative-path"),
    (f"File:{U}", "External:json", (), "unresolved-import"),
}


def test_nodes_are_exact(index_fixture):
    indexed = index_fixture("pyrepo")
    nodes = set(indexed.rows("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN label(n), n.id"))
    assert nodes == EXPECTED_NODES


def test_gitignored_file_is_left_out(index_fixture):
    indexed = index_fixture("pyrepo")
    assert indexed.rows("MATCH (f:File) WHERE f.file_path CONTAINS 'ignored' RETURN f.id") == []


def test_structural_edges_are_exact(index_fixture):
    indexed = index_fixture("pyrepo")
    edges = set(indexed.rows(
        "MATCH (a)-[e]->(b) WHERE label(e) IN ['CONTAINS', 'DEFINES', 'HAS_METHOD'] RETURN label(e), a.id, b.id"
    ))
    assert edges == EXPECTED_STRUCTURE


def test_call_edges_are_exact(index_fixture):
    indexed = index_fixture("pyrepo")
    calls = set(indexed.rows(
        "MATCH (a)-[e:CALLS]->(b) RETURN a.qualified_name, b.qualified_name, e.reason, e.confidence, e.line"
    ))
    assert calls == EXPECTED_CALLS
    assert indexed.summary.call_sites == {"python": {"resolved": 18}}


def test_import_and_inheritance_edges_are_exact(index_fixture):
    indexed = index_fixture("pyrepo")
    assert set(indexed.rows("MATCH (a)-[e:IMPORTS]->(b) RETURN a.id, b.id, e.names, e.reason")) == EXPECTED_IMPORTS
    assert indexed.rows("MATCH (a)-[e:EXTENDS]->(b) RETURN a.id, b.id, e.reason, e.confidence") == [
        (f"Class:{M}:shop.models.Order", f"Class:{M}:shop.models.Base", "same-file", 1.0)
    ]


def test_node_properties(index_fixture):
    indexed = index_fixture("pyrepo")
    [(name, qualified, path, start, end, language, signature, docstring)] = indexed.rows(
        "MATCH (f:Function {name: 'checkout'}) RETURN f.name, f.qualified_name, f.file_path, f.start_line, "
        "f.end_line, f.language, f.signature, f.docstring"
    )
    assert (name, qualified, path, start, end, language) == ("checkout", "shop.service.checkout", S, 6, 10, "python")
    assert signature == "def checkout(items)"
    assert docstring == "Place an order."
    [(content_hash, size, lines)] = indexed.rows(f"MATCH (f:File {{id: 'File:{U}'}}) RETURN f.content_hash, f.size_bytes, f.line_count")
    import hashlib

    data = (indexed.repo / U).read_bytes()
    assert (content_hash, size, lines) == (hashlib.sha256(data).hexdigest(), len(data), 5)


def test_files_are_marked_as_tests_by_their_path(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_service.py").write_text("from shop.service import checkout\n\ndef test_checkout():\n    checkout([])\n")
    (repo / "src" / "shop" / "conftest.py").write_text("")
    settings = load_settings(repo)
    index_repository(repo, tmp_path / "db", settings)
    store = open_index(tmp_path / "db", settings)
    try:
        rows = store.query("MATCH (f:File) RETURN f.file_path, f.is_test ORDER BY f.file_path").rows
    finally:
        store.close()
    assert rows == [["scripts/run.py", False], ["src/shop/__init__.py", False], ["src/shop/conftest.py", True],
                    ["src/shop/models.py", False], ["src/shop/service.py", False], ["src/shop/util.py", False],
                    ["tests/test_service.py", True]]


def test_metadata_is_stored(index_fixture):
    indexed = index_fixture("pyrepo")
    meta = dict(indexed.rows("MATCH (m:IndexMeta) RETURN m.key, m.value"))
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    assert meta["codekg_version"] == "0.1.0"
    assert json.loads(meta["files_by_language"]) == {"python": 5}
    assert set(json.loads(meta["pass_seconds"])) == {"scan", "parse", "structure", "resolve", "state", "load"}
    assert float(meta["index_seconds"]) >= sum(json.loads(meta["pass_seconds"]).values()) * 0.99
    assert meta["commit"] == ""  # the fixture copy is not a git work tree


def test_ids_are_stable_across_runs(index_fixture, tmp_path):
    from codekg.pipeline import index_repository

    indexed = index_fixture("pyrepo")
    first = set(indexed.rows("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN n.id"))
    index_repository(indexed.repo, indexed.db, indexed.settings)
    second = set(indexed.rows("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN n.id"))
    assert first == second


# --- JavaScript / TypeScript fixture ------------------------------------------------------------

JS_NODES = {
    ("Project", "Project:jsrepo"), ("Folder", "Folder:src"), ("Folder", "Folder:src/lib"),
    ("File", "File:package.json"), ("Package", "Package:package.json"),
    ("File", "File:src/app.ts"), ("File", "File:src/index.ts"), ("File", "File:src/models.ts"),
    ("File", "File:src/lib/greet.js"), ("File", "File:src/lib/util.js"),
    ("Module", "Module:src/app.ts:src.app"), ("Module", "Module:src/index.ts:src.index"),
    ("Module", "Module:src/models.ts:src.models"), ("Module", "Module:src/lib/greet.js:src.lib.greet"),
    ("Module", "Module:src/lib/util.js:src.lib.util"),
    ("Interface", "Interface:src/models.ts:src.models.Shape"),
    ("Class", "Class:src/models.ts:src.models.Base"), ("Class", "Class:src/models.ts:src.models.Circle"),
    ("Method", "Method:src/models.ts:src.models.Base.describe"), ("Method", "Method:src/models.ts:src.models.Base.name"),
    ("Method", "Method:src/models.ts:src.models.Circle.constructor"),
    ("Method", "Method:src/models.ts:src.models.Circle.area"), ("Method", "Method:src/models.ts:src.models.Circle.name"),
    ("Variable", "Variable:src/models.ts:src.models.Circle.r"),  # the parameter property `private r`
    ("Function", "Function:src/app.ts:src.app.main"), ("Function", "Function:src/app.ts:src.app.describe"),
    ("Function", "Function:src/lib/greet.js:src.lib.greet.greet"),
    ("Function", "Function:src/lib/greet.js:src.lib.greet.format"),
    ("Function", "Function:src/lib/util.js:src.lib.util.helper"),
    ("External", "External:<builtin>.Math.round"), ("External", "External:<builtin>.console.log"),
    ("External", "External:path"), ("External", "External:path.join"),
    ("Function", "Function:src/models.ts:src.models.logged"), ("Class", "Class:src/models.ts:src.models.Counter"),
    ("Method", "Method:src/models.ts:src.models.Counter.bump"), ("Variable", "Variable:src/models.ts:src.models.Counter.drawn"),
    ("Decorator", "Decorator:src/models.ts:src.models.Counter.bump@0"),
    ("Import", "Import:src/app.ts:src.app:1:./index"), ("Import", "Import:src/app.ts:src.app:2:@lib/greet"),
    ("Import", "Import:src/app.ts:src.app:3:path"), ("Import", "Import:src/app.ts:src.app:4:./models"),
    ("Import", "Import:src/app.ts:src.app:6:./lib/util"), ("Import", "Import:src/index.ts:src.index:1:./models"),
    ("Import", "Import:src/index.ts:src.index:2:./lib/greet"),
}

JS_CALLS = {
    ("src.app", "src.app.main", "same-file", 1.0, 15),
    ("src.app.main", "<builtin>.console.log", "builtin", 1.0, 10),
    ("src.app.main", "path.join", "import-external", 1.0, 12),
    ("src.app.main", "src.lib.greet.greet", "import", 1.0, 10),
    ("src.app.main", "src.lib.util.helper", "import", 1.0, 11),
    ("src.app.main", "src.models.Circle", "import", 1.0, 9),
    ("src.app.main", "src.models.Circle.constructor", "constructor", 1.0, 9),
    # `circle.area()` on the local holding `new Circle(2)`: the rules find it too (their edge stays)
    ("src.app.main", "src.models.Circle.area", "instance-type", 0.9, 10),
    # `shape: Base` (imported with `import type`): Base's method, below 1 since a subclass may override it
    ("src.app.describe", "src.models.Base.describe", "declared-type", 0.9, 18),
    ("src.lib.greet.greet", "src.lib.greet.format", "same-file", 1.0, 2),
    ("src.models.Base.describe", "src.models.Base.name", "self-member", 0.9, 8),
    ("src.models.Circle.area", "<builtin>.Math.round", "builtin", 1.0, 22),
    # `@logged` on `bump`: the class applies it (found by the value flow), and the Decorator calls it
    ("src.models.Counter", "src.models.logged", "flow-call", 0.9, 37),
    ("src.models.Counter.bump@0", "src.models.logged", "same-file", 1.0, 36),
}

JS_DERIVED = {
    ("IMPORTS", "File:src/app.ts", "External:path", (), "unresolved-import"),
    ("IMPORTS", "File:src/app.ts", "File:src/lib/util.js", (), "relative-path"),
    ("IMPORTS", "File:src/app.ts", "File:src/lib/greet.js", ("default",), "tsconfig-path"),  # `@lib/greet`
    ("IMPORTS", "File:src/app.ts", "File:src/models.ts", ("Base",), "relative-path"),
    ("IMPORTS", "File:src/app.ts", "File:src/index.ts", ("Circle",), "relative-path"),
    ("IMPORTS", "File:src/index.ts", "File:src/models.ts", ("*",), "relative-path"),
    ("IMPORTS", "File:src/index.ts", "File:src/lib/greet.js", ("default",), "relative-path"),
    ("EXTENDS", "Class:src/models.ts:src.models.Circle", "Class:src/models.ts:src.models.Base", None, "same-file"),
    ("IMPLEMENTS", "Class:src/models.ts:src.models.Circle", "Interface:src/models.ts:src.models.Shape", None, "same-file"),
}


def test_js_ts_nodes_are_exact(index_fixture):
    indexed = index_fixture("jsrepo")
    assert set(indexed.rows("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN label(n), n.id")) == JS_NODES
    assert indexed.summary.files_by_language == {"javascript": 2, "manifest": 1, "typescript": 3}


def test_js_ts_structural_edges(index_fixture):
    indexed = index_fixture("jsrepo")
    edges = set(indexed.rows(
        "MATCH (a)-[e]->(b) WHERE label(e) IN ['CONTAINS', 'DEFINES', 'HAS_METHOD'] RETURN label(e), a.id, b.id"
    ))
    m = "src/models.ts:src.models"
    assert edges == {
        ("CONTAINS", "Project:jsrepo", "Folder:src"), ("CONTAINS", "Folder:src", "Folder:src/lib"),
        ("CONTAINS", "Folder:src", "File:src/app.ts"), ("CONTAINS", "Folder:src", "File:src/index.ts"),
        ("CONTAINS", "Folder:src", "File:src/models.ts"), ("CONTAINS", "Folder:src/lib", "File:src/lib/greet.js"),
        ("CONTAINS", "Folder:src/lib", "File:src/lib/util.js"), ("CONTAINS", "Project:jsrepo", "File:package.json"),
        # the package.json beside them: its package holds every module
        ("DEFINES", "File:package.json", "Package:package.json"),
        ("CONTAINS", "Package:package.json", "Module:src/app.ts:src.app"),
        ("CONTAINS", "Package:package.json", "Module:src/index.ts:src.index"),
        ("CONTAINS", "Package:package.json", f"Module:{m}"),
        ("CONTAINS", "Package:package.json", "Module:src/lib/greet.js:src.lib.greet"),
        ("CONTAINS", "Package:package.json", "Module:src/lib/util.js:src.lib.util"),
        ("DEFINES", "File:src/app.ts", "Module:src/app.ts:src.app"),
        ("DEFINES", "File:src/index.ts", "Module:src/index.ts:src.index"),
        ("DEFINES", "File:src/models.ts", f"Module:{m}"),
        ("DEFINES", "File:src/lib/greet.js", "Module:src/lib/greet.js:src.lib.greet"),
        ("DEFINES", "File:src/lib/util.js", "Module:src/lib/util.js:src.lib.util"),
        ("DEFINES", "Module:src/app.ts:src.app", "Function:src/app.ts:src.app.main"),
        ("DEFINES", "Module:src/app.ts:src.app", "Function:src/app.ts:src.app.describe"),
        ("DEFINES", f"Class:{m}.Circle", f"Variable:{m}.Circle.r"),
        ("DEFINES", "Module:src/lib/greet.js:src.lib.greet", "Function:src/lib/greet.js:src.lib.greet.greet"),
        ("DEFINES", "Module:src/lib/greet.js:src.lib.greet", "Function:src/lib/greet.js:src.lib.greet.format"),
        ("DEFINES", "Module:src/lib/util.js:src.lib.util", "Function:src/lib/util.js:src.lib.util.helper"),
        ("DEFINES", f"Module:{m}", f"Interface:{m}.Shape"),
        ("DEFINES", f"Module:{m}", f"Class:{m}.Base"),
        ("DEFINES", f"Module:{m}", f"Class:{m}.Circle"),
        ("HAS_METHOD", f"Class:{m}.Base", f"Method:{m}.Base.describe"),
        ("HAS_METHOD", f"Class:{m}.Base", f"Method:{m}.Base.name"),
        ("HAS_METHOD", f"Class:{m}.Circle", f"Method:{m}.Circle.constructor"),
        ("HAS_METHOD", f"Class:{m}.Circle", f"Method:{m}.Circle.area"),
        ("HAS_METHOD", f"Class:{m}.Circle", f"Method:{m}.Circle.name"),
        ("DEFINES", f"Module:{m}", f"Function:{m}.logged"), ("DEFINES", f"Module:{m}", f"Class:{m}.Counter"),
        ("DEFINES", f"Class:{m}.Counter", f"Variable:{m}.Counter.drawn"),
        ("HAS_METHOD", f"Class:{m}.Counter", f"Method:{m}.Counter.bump"),
    } | {("DEFINES", f"Module:{node_id.split(':')[1]}:{node_id.split(':')[2]}", node_id)
         for label, node_id in JS_NODES if label == "Import"}


def test_js_ts_calls_imports_and_inheritance(index_fixture):
    indexed = index_fixture("jsrepo")
    calls = set(indexed.rows(
        "MATCH (a)-[e:CALLS]->(b) RETURN a.qualified_name, b.qualified_name, e.reason, e.confidence, e.line"
    ))
    assert calls == JS_CALLS
    derived = set(indexed.rows(
        "MATCH (a)-[e]->(b) WHERE label(e) IN ['IMPORTS', 'EXTENDS', 'IMPLEMENTS'] "
        "RETURN label(e), a.id, b.id, e.names, e.reason"
    ))
    assert derived == JS_DERIVED
    # `super()` into a base without a constructor stays unresolved.
    assert indexed.summary.call_sites == {"javascript": {"resolved": 1}, "typescript": {"resolved": 10, "unresolved": 1}}


def test_a_state_write_failing_beside_the_load_publishes_nothing_and_leaves_no_file(index_fixture, monkeypatch):
    """The per-file state is written beside the graph load (pipeline._full): when it fails, the new
    build must not go live, and every file of it is removed once the writer has stopped."""
    import pytest

    from codekg.index_state import IndexState

    indexed = index_fixture("pyrepo")
    before = sorted(p.name for p in indexed.db.iterdir())
    util = indexed.repo / "src" / "shop" / "util.py"
    util.write_text(util.read_text() + "\n\ndef added():\n    return 1\n")

    def disk_full(self, update):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(IndexState, "write", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert sorted(p.name for p in indexed.db.iterdir()) == before
    store = open_index(indexed.db, indexed.settings)
    try:
        assert store.query("MATCH (f:Function) WHERE f.name = 'added' RETURN f.id").rows == []
        assert store.query("MATCH (f:Function) WHERE f.name = 'log' RETURN f.id").rows == [[f"Function:{U}:shop.util.log"]]
    finally:
        store.close()

    monkeypatch.undo()
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert summary.delta["mode"] == "incremental"  # on the previous build and its state, both intact
    store = open_index(indexed.db, indexed.settings)
    try:
        assert store.query("MATCH (f:Function) WHERE f.name = 'added' RETURN f.id").rows == [[f"Function:{U}:shop.util.added"]]
    finally:
        store.close()


def test_a_full_build_hands_the_gil_over_often_and_gives_the_switch_interval_back(index_fixture, monkeypatch):
    """The threads beside a full build's resolve pass (the load, the state, the search file) wait for the
    GIL after each database statement: the build runs with a 1 ms switch interval, and the process has
    its own back after it, whether the build succeeds or fails."""
    import sys

    from codekg.index_state import IndexState
    from codekg.pipeline import THREAD_SWITCH_SECONDS

    indexed = index_fixture("pyrepo")
    seen = []
    write = IndexState.write

    def recording(self, update):
        seen.append(sys.getswitchinterval())
        return write(self, update)

    monkeypatch.setattr(IndexState, "write", recording)
    before = sys.getswitchinterval()
    index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert seen == [pytest.approx(THREAD_SWITCH_SECONDS)] and sys.getswitchinterval() == before

    def disk_full(self, update):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(IndexState, "write", disk_full)
    with pytest.raises(OSError):
        index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert sys.getswitchinterval() == before


def test_while_a_child_solves_the_value_flow_the_rest_of_the_graph_loads_and_the_result_is_the_same(copy_fixture, monkeypatch):
    """pipeline._full: with the flow in a child, every table but CALLS and the Externals' is
    written while it solves, and those after. The graph, the search file and the summary are those
    of a run that solved the flow first."""
    import codekg.pipeline as pipeline
    from tests.search.search_rows import snapshot
    from tests.test_cli_migrate import snapshot as graph_rows

    original = pipeline._before_the_flow
    repo = copy_fixture("pyrepo")
    settings = load_settings(repo, value_flow=True)
    runs = {}
    for where, threshold in (("here", 10**9), ("child", 0)):
        monkeypatch.setattr("codekg.resolve.flow_child.CHILD_MIN_FACTS", threshold)
        early_tables = []

        def recorded(graph):
            early_tables.append(original(graph))
            return early_tables[-1]

        monkeypatch.setattr(pipeline, "_before_the_flow", recorded)
        db = repo.parent / f"db-{where}"
        summary = index_repository(repo, db, settings)
        runs[where] = (graph_rows(db, settings), snapshot(db), summary.edges, summary.nodes, summary.call_sites)
        assert len(early_tables) == (where == "child")
        if where == "child":  # what loaded first: no call, no External, no edge of one
            [early] = early_tables
            assert "External" not in early.nodes and early.nodes["Function"]
            assert not [key for key in early.edges if "CALLS" in key or "External" in key]
            assert ("DEFINES", "Module", "Function") in early.edges
        monkeypatch.undo()
    assert runs["child"] == runs["here"]
    nodes, edges = runs["child"][0]
    assert any("'External:json.dumps'" in row for row in nodes)
    assert any(row.startswith(f"('CALLS', 'Function:{U}:shop.util.log', 'External:json.dumps'") for row in edges)
    assert {rel for _, rel, _ in runs["child"][1]["edges"]} == {"CALLS", "DEFINES", "HAS_METHOD"}  # the calls came late


def test_without_the_value_flow_the_structure_loads_beside_the_resolve_pass_and_the_result_is_the_same(copy_fixture, monkeypatch):
    """pipeline._full without the value flow: the structure pass's rows (every node but the
    Externals, the edges between them) are written while the files are resolved. The records wait
    here until the load has written a node table, so the two ran together. The graph, the search
    file and the summary are those of a run that loaded everything once the resolve pass was over
    (a structure of more rows than EARLY_LOAD_MAX_ROWS)."""
    import threading

    import codekg.pipeline as pipeline
    from codekg.stores.ladybug import LadybugStore
    from tests.search.search_rows import snapshot
    from tests.test_cli_migrate import snapshot as graph_rows

    repo = copy_fixture("pyrepo")
    settings = load_settings(repo, value_flow=False)
    runs = {}
    for how in ("beside", "after"):
        first_tables, written = [], threading.Event()
        original_load, original_record, original_nodes = (
            __import__("codekg.passes.load", fromlist=["load_graph"]).load_graph, pipeline._file_record, LadybugStore._write_nodes)

        def load_graph(directory, build, tables, *arguments, **keywords):
            first_tables.append((tables, keywords["late"] is not None))
            return original_load(directory, build, tables, *arguments, **keywords)

        def write_nodes(store, label, table):
            written.set()
            return original_nodes(store, label, table)

        def file_record(*arguments):
            assert written.wait(30), "no node table was written while the files were resolved"
            return original_record(*arguments)

        monkeypatch.setattr("codekg.passes.load.load_graph", load_graph)
        monkeypatch.setattr(LadybugStore, "_write_nodes", write_nodes)
        if how == "beside":
            monkeypatch.setattr(pipeline, "_file_record", file_record)
        else:  # more rows than loaded early: everything loads after the resolve pass
            monkeypatch.setattr(pipeline, "EARLY_LOAD_MAX_ROWS", 10)
        db = repo.parent / f"db-{how}"
        summary = index_repository(repo, db, settings)
        runs[how] = (graph_rows(db, settings), snapshot(db), summary.edges, summary.nodes, summary.call_sites)
        [(first, with_late)] = first_tables
        if how == "beside":  # what loaded first: the structure, no call, no External, no edge of one
            assert with_late
            assert "External" not in first.nodes and first.nodes["Function"] and first.nodes["File"]
            assert not [key for key in first.edges if "External" in key or key[0] in ("CALLS", "IMPORTS", "INHERITS")]
            assert ("DEFINES", "Module", "Function") in first.edges and ("CONTAINS", "Folder", "File") in first.edges
        else:
            assert not with_late and "External" in first.nodes
        monkeypatch.undo()
    assert runs["beside"] == runs["after"]
    nodes, edges = runs["beside"][0]
    assert any("'External:json'" in row for row in nodes)
    assert any(row.startswith(f"('CALLS', 'Function:{U}:shop.util.log', 'External:json.dumps'") for row in edges)
    assert any(row.startswith(f"('DEFINES', 'Module:{U}:shop.util', 'Function:{U}:shop.util.log'") for row in edges)


@pytest.mark.parametrize("where", ["records", "load"])
def test_a_failure_beside_the_early_load_publishes_nothing_and_the_run_ends(index_fixture, monkeypatch, where):
    """Without the value flow, a failure in the files' records (while the structure loads) or in the
    load (while the records are made) stops the run with its error; the build's files are removed
    and the previous index answers."""
    import codekg.pipeline as pipeline
    from codekg.stores.ladybug import LadybugStore

    indexed = index_fixture("pyrepo", value_flow=False)
    before = sorted(p.name for p in indexed.db.iterdir())

    def broken(*arguments):
        raise RuntimeError(f"the {where} failed")

    monkeypatch.setattr(*((pipeline, "_file_record") if where == "records" else (LadybugStore, "_write_nodes")), broken)
    _fails_and_leaves_the_index_as_it_was(indexed, before, f"the {where} failed")


def _fails_and_leaves_the_index_as_it_was(indexed, files_before: list[str], message: str) -> None:
    """A full rebuild of ``indexed`` raises ``message``; the index folder holds the files it held, and
    the previous index answers."""
    with pytest.raises(RuntimeError, match=message):
        index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert sorted(p.name for p in indexed.db.iterdir()) == files_before
    store = open_index(indexed.db, indexed.settings)
    try:
        assert store.query("MATCH (f:Function) WHERE f.name = 'log' RETURN f.id").rows == [[f"Function:{U}:shop.util.log"]]
    finally:
        store.close()


def test_a_failure_while_the_calls_settle_publishes_nothing_and_the_run_ends(index_fixture, monkeypatch):
    """A failure in the part that waits for the value flow (here a file's record) stops the run
    with its error: the search thread waiting for the calls does not hang, the build's files are
    removed and the previous index answers."""
    import codekg.pipeline as pipeline

    indexed = index_fixture("pyrepo", value_flow=True)
    before = sorted(p.name for p in indexed.db.iterdir())
    monkeypatch.setattr("codekg.resolve.flow_child.CHILD_MIN_FACTS", 0)

    def broken(*arguments):
        raise RuntimeError("a record could not be made")

    monkeypatch.setattr(pipeline, "_file_record", broken)
    _fails_and_leaves_the_index_as_it_was(indexed, before, "a record could not be made")


def test_a_compiled_modules_stub_is_its_module(tmp_path):
    """`from pkg._speedups import encode` reaches the definitions of `_speedups.pyi` when no
    `_speedups.py` exists (a compiled extension's stub)."""
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "_speedups.pyi").write_text("def encode(data: bytes) -> str: ...\n")
    (repo / "pkg" / "use.py").write_text("from pkg._speedups import encode\n\ndef go():\n    return encode(b'x')\n")
    settings = load_settings(repo, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    store = open_index(tmp_path / "db", settings)
    try:
        assert store.query("MATCH (a)-[e:CALLS]->(b:Function) RETURN a.id, b.id, e.reason").rows == [
            ["Function:pkg/use.py:pkg.use.go", "Function:pkg/_speedups.pyi:pkg._speedups.encode", "import"]]
    finally:
        store.close()
