"""Incremental re-indexing gives exactly the graph a full index of the same tree gives.

Random sequences of edits, adds, deletes and renames over a small Python + JavaScript/TypeScript
tree whose files import, call and extend each other; after every step the live index (updated
with a delta) is compared, node by node and edge by edge, with a fresh full index.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index

VOLATILE_META = {"indexed_at", "generation", "pass_seconds", "index_seconds"}

PY_PATHS = ["pkg/__init__.py", "pkg/a.py", "pkg/b.py", "pkg/sub/__init__.py", "pkg/sub/c.py", "top.py", "src/lib/d.py"]
JS_PATHS = ["web/a.js", "web/b.ts", "web/index.js", "web/sub/c.ts"]
NAMES = ["alpha", "beta", "gamma"]
CLASSES = ["Kone", "Ktwo"]
PY_MODULES = ["pkg.a", "pkg.b", "pkg.sub.c", "top", "lib.d", ".a", ".b", "..a"]
JS_MODULES = ["./a", "./b", "./index", "./sub/c", "../web/a", "express", "@web/a", "@web/sub/c"]  # @web/*: tsconfig paths
TSCONFIG = '{\n  // maps @web/* into web/\n  "compilerOptions": { "baseUrl": ".", "paths": { "@web/*": ["web/*"], }, },\n}\n'


py_statement = st.one_of(
    st.builds("def {}():\n    {}()\n".format, st.sampled_from(NAMES), st.sampled_from(NAMES + CLASSES + ["len"])),
    st.builds("def runner(cb):\n    return cb()\n\nrunner({})\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("class {}({}):\n    def run(self):\n        self.{}()\n    def stop(self):\n        return {}()\n".format,
              st.sampled_from(CLASSES), st.sampled_from(CLASSES + ["object", "Base"]), st.sampled_from(["run", "stop", "go"]),
              st.sampled_from(NAMES)),
    st.builds("from {} import {}\n".format, st.sampled_from(PY_MODULES), st.sampled_from(NAMES + CLASSES + ["*"])),
    st.builds("import {}\n".format, st.sampled_from(["pkg.a", "pkg.sub.c", "top", "os"])),
    st.builds("{}()\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("x = {}()\nx.run()\n".format, st.sampled_from(CLASSES)),
    st.just("__all__ = ['alpha']\n"),
    # value inference: annotated parameters and returns, `return Cls()`, attributes, `with`, decorators,
    # `__all__`, function values and containers, module-level instances read from other files
    st.builds("def {}(k: {}) -> {}:\n    k.run()\n    return {}()\n".format, st.sampled_from(NAMES),
              st.sampled_from(CLASSES), st.sampled_from(CLASSES), st.sampled_from(CLASSES)),
    st.builds("y = {}()\ny.stop()\n".format, st.sampled_from(NAMES)),
    st.builds("class {}({}):\n    def __init__(self):\n        self.dep = {}()\n    def go(self):\n        self.dep.run()\n".format,
              st.sampled_from(CLASSES), st.sampled_from(CLASSES + ["object"]), st.sampled_from(CLASSES + NAMES)),
    st.builds("with {}() as w:\n    w.stop()\n".format, st.sampled_from(CLASSES)),
    st.builds("@{}\ndef {}():\n    pass\n".format, st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.builds("__all__ = ['{}']\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("f = {}\nf()\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("H = [{}, {}]\nH[0]()\n".format, st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.builds("inst = {}()\n".format, st.sampled_from(CLASSES + NAMES)),
    st.builds("from {} import inst\ninst.run()\n".format, st.sampled_from(PY_MODULES)),
    # value flow across files: a returned function, a lambda stored in a module name, a wrapper
    st.builds("def make():\n    return {}\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("from {} import make\nmake()()\n".format, st.sampled_from(PY_MODULES)),
    st.builds("handler = lambda: {}()\n".format, st.sampled_from(NAMES)),
    st.builds("from {} import handler\nhandler()\n".format, st.sampled_from(PY_MODULES)),
    st.builds("def {}(fn):\n    def wrapper():\n        return fn()\n    return wrapper\n".format, st.sampled_from(NAMES)),
)
js_statement = st.one_of(
    st.builds("export function {}() {{ {}(); }}\n".format, st.sampled_from(NAMES), st.sampled_from(NAMES + CLASSES)),
    st.builds("import {{ {} }} from '{}';\n".format, st.sampled_from(NAMES + CLASSES), st.sampled_from(JS_MODULES)),
    st.builds("export class {} extends {} {{ run() {{ this.go(); }} go() {{ return {}(); }} }}\n".format,
              st.sampled_from(CLASSES), st.sampled_from(CLASSES + ["Object"]), st.sampled_from(NAMES)),
    st.builds("export * from '{}';\n".format, st.sampled_from(JS_MODULES)),
    st.builds("const {} = require('{}');\n".format, st.sampled_from(NAMES), st.sampled_from(JS_MODULES)),
    st.builds("new {}().run();\n".format, st.sampled_from(CLASSES)),
    st.builds("{}();\n".format, st.sampled_from(NAMES)),
    # CommonJS exports and the requires that read them
    st.builds("module.exports = {{ {} }};\n".format, st.sampled_from(NAMES)),
    st.builds("module.exports = {};\n".format, st.sampled_from(NAMES + CLASSES)),
    st.builds("exports.{} = function () {{ {}(); }};\n".format, st.sampled_from(NAMES), st.sampled_from(NAMES)),
    st.builds("const {{ {} }} = require('{}');\n{}();\n".format, st.sampled_from(NAMES), st.sampled_from(JS_MODULES),
              st.sampled_from(NAMES)),
    st.builds("const m = require('{}');\nm();\nm.{}();\n".format, st.sampled_from(JS_MODULES), st.sampled_from(NAMES)),
    # type-only imports, annotated parameters and fields
    st.builds("import type {{ {} }} from '{}';\n".format, st.sampled_from(NAMES + CLASSES), st.sampled_from(JS_MODULES)),
    st.builds("export function typed(s: {}) {{ s.{}(); }}\n".format, st.sampled_from(CLASSES), st.sampled_from(["run", "go"])),
    st.builds("export class Holder {{ constructor(private s: {}) {{}} use() {{ this.s.{}(); }} }}\n".format,
              st.sampled_from(CLASSES), st.sampled_from(["run", "go"])),
    st.builds("export const api = {{ {}() {{ {}(); }} }};\napi.{}();\n".format, st.sampled_from(NAMES),
              st.sampled_from(NAMES), st.sampled_from(NAMES)),
)


def file_content(statements: list[str]) -> str:
    return "".join(statements) or "\n"


py_write = st.tuples(st.just("write"), st.sampled_from(PY_PATHS), st.lists(py_statement, max_size=4).map(file_content))
js_write = st.tuples(st.just("write"), st.sampled_from(JS_PATHS), st.lists(js_statement, max_size=4).map(file_content))
delete = st.tuples(st.just("delete"), st.sampled_from(PY_PATHS + JS_PATHS), st.just(""))
rename = st.one_of(
    st.tuples(st.just("rename"), st.sampled_from(PY_PATHS), st.sampled_from(PY_PATHS)),
    st.tuples(st.just("rename"), st.sampled_from(JS_PATHS), st.sampled_from(JS_PATHS)),
)
operation = st.one_of(py_write, py_write, js_write, delete, rename)
initial_tree = st.fixed_dictionaries({}, optional={
    **{path: st.lists(py_statement, min_size=1, max_size=4).map(file_content) for path in PY_PATHS},
    **{path: st.lists(js_statement, min_size=1, max_size=4).map(file_content) for path in JS_PATHS},
})


def apply(repo: Path, op: tuple[str, str, str]) -> None:
    kind, path, argument = op
    target = repo / path
    if kind == "write":
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(argument)
    elif kind == "delete":
        target.unlink(missing_ok=True)
    elif kind == "rename" and target.exists() and path != argument:
        (repo / argument).parent.mkdir(parents=True, exist_ok=True)
        target.rename(repo / argument)


def graph_dump(db: Path) -> tuple[set[str], set[str], dict[str, str]]:
    """Every node with all its properties, every edge with its endpoints and properties, and the
    metadata that describes the content (not the run)."""
    store = open_index(db, load_settings(None))
    try:
        nodes = {json.dumps(row[0], sort_keys=True, default=str)
                 for row in store.query("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN n").rows}
        edges = {json.dumps([a, {k: v for k, v in e.items() if k not in ("_SRC", "_DST", "_ID")}, b], sort_keys=True, default=str)
                 for a, e, b in store.query("MATCH (a)-[e]->(b) RETURN a.id, e, b.id").rows}
        meta = {k: v for k, v in store.query("MATCH (m:IndexMeta) RETURN m.key, m.value").rows if k not in VOLATILE_META}
    finally:
        store.close()
    strip = {"_ID"}  # the storage offsets differ between two databases with the same content
    nodes = {json.dumps({k: v for k, v in json.loads(n).items() if k not in strip}, sort_keys=True) for n in nodes}
    return nodes, edges, meta


def assert_same_graph(live_db: Path, fresh_db: Path) -> None:
    live_nodes, live_edges, live_meta = graph_dump(live_db)
    full_nodes, full_edges, full_meta = graph_dump(fresh_db)
    assert sorted(live_nodes - full_nodes) == [] and sorted(full_nodes - live_nodes) == []
    assert sorted(live_edges - full_edges) == [] and sorted(full_edges - live_edges) == []
    assert live_meta == full_meta


@hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=initial_tree, steps=st.lists(operation, min_size=1, max_size=5), value_flow=st.booleans())
def test_incremental_index_equals_a_full_index_after_every_step(tmp_path_factory, tree, steps, value_flow):
    """Ten random trees and edit sequences per run of `make test` (each CI run draws new ones);
    `pytest -m slow` runs sixty. With the value flow off (the default), an importer is resolved again
    only when what it read of an edited file changed (resolve/interface.py); on, whenever the file changed."""
    check_incremental_equals_full(tmp_path_factory, tree, steps, value_flow)


@pytest.mark.slow
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tree=initial_tree, steps=st.lists(operation, min_size=1, max_size=5), value_flow=st.booleans())
def test_incremental_index_equals_a_full_index_after_every_step_sixty_times(tmp_path_factory, tree, steps, value_flow):
    check_incremental_equals_full(tmp_path_factory, tree, steps, value_flow)


def check_incremental_equals_full(tmp_path_factory, tree, steps, value_flow: bool) -> None:
    base = tmp_path_factory.mktemp("incremental")
    repo = base / "repo"
    repo.mkdir()
    (repo / "keep.py").write_text("def keep():\n    return alpha()\n")  # the tree is never empty
    (repo / "tsconfig.json").write_text(TSCONFIG)
    for path, content in tree.items():
        apply(repo, ("write", path, content))
    settings = load_settings(repo, use_git_ls_files=False, value_flow=value_flow)
    live_db = base / "live"
    assert index_repository(repo, live_db, settings).delta["mode"] == "full"
    for number, op in enumerate(steps):
        apply(repo, op)
        summary = index_repository(repo, live_db, settings)
        assert summary.delta["mode"] in ("incremental", "unchanged")
        fresh_db = base / f"fresh-{number}"
        index_repository(repo, fresh_db, settings, full=True)
        assert_same_graph(live_db, fresh_db)
        shutil.rmtree(fresh_db)


class _SignalAtLoad:
    """A progress reporter that sends the process a real SIGINT when the load pass starts."""

    def start(self, phase: str, total: int | None = None) -> None:
        if phase == "load":
            os.kill(os.getpid(), signal.SIGINT)

    def advance(self, amount: int = 1) -> None:
        pass

    def found(self, counts: dict[str, int]) -> None:
        pass


def delta_counts(summary) -> tuple[str, int, int, int, int, int, int, int, int]:
    d = summary.delta
    return (d["mode"], d["files_added"], d["files_changed"], d["files_deleted"], d["nodes_added"], d["nodes_removed"],
            d["nodes_updated"], d["edges_added"], d["edges_removed"])


def full_index_matches(indexed, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    index_repository(indexed.repo, fresh, indexed.settings, full=True)
    assert_same_graph(indexed.db, fresh)
    shutil.rmtree(fresh)


def test_one_file_edit_writes_only_its_delta(index_fixture, tmp_path):
    indexed = index_fixture("pyrepo")
    with open(indexed.repo / "src/shop/util.py", "a") as handle:
        handle.write("\n\ndef warn(message):\n    log(message)\n")
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    # + Function warn, DEFINES Module→warn, BELONGS_TO warn→File, CALLS warn→log; File and Module get new lines and hash
    assert delta_counts(summary) == ("incremental", 0, 1, 0, 1, 0, 2, 3, 0)
    assert indexed.rows("MATCH (a:Function {name: 'warn'})-[e:CALLS]->(b) RETURN b.id, e.reason, e.confidence") == [
        ("Function:src/shop/util.py:shop.util.log", "same-file", 1.0)]
    full_index_matches(indexed, tmp_path)


def test_deleting_a_file_re_resolves_the_files_that_imported_it(index_fixture, tmp_path):
    indexed = index_fixture("pyrepo")
    (indexed.repo / "src/shop/util.py").unlink()
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    # - File, Module, Function log, Import json, and External json, json.dumps and <builtin>.print (only
    #   util.py used them)
    # - CONTAINS, 3 DEFINES, 2 BELONGS_TO, IMPORTS json, 2 CALLS out of log; service.py's IMPORTS of util and
    #   CALLS into log
    # + service.py's `from . import util` now names the package __init__.py
    assert delta_counts(summary) == ("incremental", 0, 0, 1, 0, 7, 0, 1, 11)
    assert indexed.rows("MATCH (a:File {id: 'File:src/shop/service.py'})-[e:IMPORTS]->(b:File) RETURN b.id, e.names ORDER BY b.id") == [
        ("File:src/shop/__init__.py", ("util",)), ("File:src/shop/models.py", ("Order",))]
    full_index_matches(indexed, tmp_path)


def test_a_new_definition_turns_a_unique_global_guess_into_a_split_one(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "caller.js").write_text("function main() { helper(); }\n")  # classic scripts of one page
    (repo / "one.js").write_text("function helper() {}\n")
    settings = load_settings(repo, use_git_ls_files=False)
    db = tmp_path / "db"
    index_repository(repo, db, settings)
    (repo / "two.js").write_text("function helper() { return 2; }\n")
    summary = index_repository(repo, db, settings)
    assert summary.delta["mode"] == "incremental"
    store = open_index(db, settings)
    try:
        rows = store.query("MATCH (:Function {name: 'main'})-[e:CALLS]->(b) RETURN b.id, e.reason, e.confidence ORDER BY b.id").rows
    finally:
        store.close()
    assert rows == [["Function:one.js:one.helper", "ambiguous-global-name", 0.15],
                    ["Function:two.js:two.helper", "ambiguous-global-name", 0.15]]


def test_an_unchanged_tree_writes_nothing(index_fixture):
    indexed = index_fixture("pyrepo")
    generation = dict(indexed.rows("MATCH (m:IndexMeta) RETURN m.key, m.value"))["generation"]
    (indexed.repo / "src/shop/util.py").touch()  # a new mtime, the same content
    for _ in range(2):
        summary = index_repository(indexed.repo, indexed.db, indexed.settings)
        assert delta_counts(summary) == ("unchanged", 0, 0, 0, 0, 0, 0, 0, 0)
        assert summary.nodes == indexed.summary.nodes and summary.edges == indexed.summary.edges
        assert summary.call_sites == indexed.summary.call_sites
    assert dict(indexed.rows("MATCH (m:IndexMeta) RETURN m.key, m.value"))["generation"] == generation


def test_an_unchanged_run_opens_the_graph_only_when_its_file_changed(index_fixture, monkeypatch):
    """The check that the live graph holds the state's generation opens the database (a third of a
    no-change run); it is skipped while the graph file is exactly as the last check left it."""
    import codekg.pipeline

    indexed = index_fixture("pyrepo")
    checks = []

    def counted(*args):
        checks.append(args)
        return real_check(*args)

    real_check = codekg.pipeline.live_index_matches
    monkeypatch.setattr(codekg.pipeline, "live_index_matches", counted)
    for _ in range(3):
        assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"
    assert len(checks) == 0  # the build stamped the graph it published; every run after it trusted the stamp
    graph = indexed.db / (indexed.db / "CURRENT").read_text().strip()
    os.utime(graph, ns=(graph.stat().st_atime_ns, graph.stat().st_mtime_ns + 1_000_000))  # anything that writes it
    assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"
    assert len(checks) == 1  # checked, and stamped again
    assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"
    assert len(checks) == 1
    (indexed.db / (graph.name + ".wal")).write_bytes(b"")  # a write-ahead log appears beside it: the stamp differs
    assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"
    assert len(checks) == 2


def test_the_run_after_an_incremental_one_trusts_the_graph_it_wrote(index_fixture, monkeypatch, tmp_path):
    """An incremental run stamps the graph file it wrote (it knows the generation the graph holds):
    the next run, after an edit or none, does not open the graph to check."""
    import codekg.pipeline

    indexed = index_fixture("pyrepo")
    assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"  # stamps
    checks = []
    real_check = codekg.pipeline.live_index_matches
    monkeypatch.setattr(codekg.pipeline, "live_index_matches", lambda *args: checks.append(args) or real_check(*args))
    util = indexed.repo / "src/shop/util.py"
    for number in range(2):
        with open(util, "a") as handle:
            handle.write(f"\n\ndef extra{number}():\n    log('x')\n")
        assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "incremental"
    assert delta_counts(index_repository(indexed.repo, indexed.db, indexed.settings))[0] == "unchanged"
    assert checks == []
    full_index_matches(indexed, tmp_path)


@pytest.mark.parametrize("damage", ["missing", "garbage"])
def test_a_missing_or_damaged_state_means_a_full_rebuild(index_fixture, tmp_path, damage):
    indexed = index_fixture("pyrepo")
    (state_file,) = indexed.db.glob("*.state")
    if damage == "missing":
        state_file.unlink()
    else:
        state_file.write_bytes(b"not a database" * 100)
    (indexed.repo / "src/shop/util.py").write_text("def log(message):\n    pass\n")
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert summary.delta["mode"] == "full"
    full_index_matches(indexed, tmp_path)
    again = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert again.delta["mode"] == "unchanged"


def test_an_interrupted_delta_leaves_the_previous_index(index_fixture, tmp_path):
    indexed = index_fixture("pyrepo")
    before = graph_dump(indexed.db)
    (indexed.repo / "src/shop/util.py").write_text("def log(message):\n    pass\n\n\ndef extra():\n    log(1)\n")
    with pytest.raises(KeyboardInterrupt):
        index_repository(indexed.repo, indexed.db, indexed.settings, _SignalAtLoad())
    assert graph_dump(indexed.db) == before
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert summary.delta["mode"] == "incremental"
    full_index_matches(indexed, tmp_path)


def test_a_changed_tsconfig_rebuilds_the_index(tmp_path):
    repo = tmp_path / "repo"
    (repo / "src/lib").mkdir(parents=True)
    (repo / "src/lib/util.ts").write_text("export function helper() {}\n")
    (repo / "src/main.ts").write_text("import { helper } from '@lib/util';\nhelper();\n")
    settings = load_settings(repo, use_git_ls_files=False)
    db = tmp_path / "db"

    def calls() -> list:
        store = open_index(db, settings)
        try:
            return store.query("MATCH (a)-[e:CALLS]->(b) RETURN a.id, b.id, e.reason").rows
        finally:
            store.close()

    assert index_repository(repo, db, settings).delta["mode"] == "full"
    assert calls() == [["Module:src/main.ts:src.main", "External:@lib/util.helper", "import-external"]]
    (repo / "tsconfig.json").write_text('{ "compilerOptions": { "paths": { "@lib/*": ["./src/lib/*"] } } }')
    summary = index_repository(repo, db, settings)
    assert summary.delta["mode"] == "full"  # a config is no source file: no delta can follow it
    assert calls() == [["Module:src/main.ts:src.main", "Function:src/lib/util.ts:src.lib.util.helper", "import"]]
    assert index_repository(repo, db, settings).delta["mode"] == "unchanged"
    (repo / "tsconfig.json").write_text('{ "compilerOptions": { "paths": ')  # broken: a warning, never a crash
    summary = index_repository(repo, db, settings)
    assert summary.delta["mode"] == "full"
    assert summary.warnings == [{"path": "tsconfig.json", "pass": "scan", "kind": "project-config", "message": "config not parsed (Expecting value: line 1 column 33"
                                 " (char 32)): baseUrl/paths ignored"}]
    assert calls() == [["Module:src/main.ts:src.main", "External:@lib/util.helper", "import-external"]]
    (repo / "tsconfig.json").unlink()
    assert index_repository(repo, db, settings).delta["mode"] == "full"


def test_an_unchanged_run_reports_this_runs_gitignore_warnings(tmp_path):
    """A .gitignore edited without changing the files it selects: the run is "unchanged", but its
    warnings are those of the .gitignore now, beside the stored per-file ones."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("def f(:\n    pass\n")  # a syntax error: a stored per-file warning
    (repo / ".gitignore").write_text("!\n")
    settings = load_settings(repo, use_git_ls_files=False)
    db = tmp_path / "db"
    first = index_repository(repo, db, settings)
    assert [(w["path"], w["kind"]) for w in first.warnings] == [(".gitignore", "gitignore"), ("a.py", "syntax-errors")]
    (repo / ".gitignore").write_text("*.log\n")
    again = index_repository(repo, db, settings)
    assert again.delta["mode"] == "unchanged"
    assert [(w["path"], w["kind"]) for w in again.warnings] == [("a.py", "syntax-errors")]


BODY_EDIT_REPO = {
    "lib.py": "class Alpha:\n    def run(self):\n        pass\n\n\nclass Beta:\n    def stop(self):\n        pass\n\n\n"
              "def make():\n    return Alpha()\n\n\ndef helper():\n    total = 1\n    return total\n",
    "uses_make.py": "from lib import make\n\n\ndef main():\n    item = make()\n    item.run()\n    item.stop()\n",
    "uses_helper.py": "from lib import helper\n\n\ndef main():\n    helper()\n",
}


@pytest.mark.parametrize(("old", "new", "re_resolved"), [
    # a statement added inside a body that no other file reads: lib.py alone is resolved again
    ("    total = 1\n", "    total = 1\n    unused = total + 1\n", 0),
    # lines moved down above both importers' targets, nothing else: no importer reads a line
    ("class Alpha:\n", "\n\n\nclass Alpha:\n", 0),
    # what make() returns changed: the file that calls a method on its result reads that body
    ("    return Alpha()\n", "    return Beta()\n", 1),
    # a new parameter: the outline changed, so every importer
    ("def helper():\n", "def helper(extra=None):\n", 2),
], ids=["body-statement", "lines-moved", "return-value", "signature"])
def test_an_edit_re_resolves_only_the_files_that_read_what_it_changed(tmp_path, old, new, re_resolved):
    """Issue 15: an importer is resolved again only when what it read of the edited file changed
    (resolve/interface.py); the graph still equals a full rebuild."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for path, text in BODY_EDIT_REPO.items():
        (repo / path).write_text(text)
    settings = load_settings(repo, use_git_ls_files=False, value_flow=False)  # on, the flow reads every fact of a file
    db = tmp_path / "db"
    index_repository(repo, db, settings)
    source = repo / "lib.py"
    assert old in source.read_text()
    source.write_text(source.read_text().replace(old, new, 1))
    summary = index_repository(repo, db, settings)
    assert (summary.delta["mode"], summary.delta["files_changed"], summary.delta["files_re_resolved"]) == ("incremental", 1, re_resolved)
    source.write_text(BODY_EDIT_REPO["lib.py"])  # the revert's record comes from the parse cache
    summary = index_repository(repo, db, settings)
    assert (summary.delta["mode"], summary.delta["files_re_resolved"]) == ("incremental", re_resolved)
    source.write_text(source.read_text().replace(old, new, 1))
    index_repository(repo, db, settings)
    fresh = tmp_path / "fresh"
    index_repository(repo, fresh, settings, full=True)
    assert_same_graph(db, fresh)
    store = open_index(db, settings)
    try:
        calls = store.query("MATCH (a:Function {name: 'main'})-[:CALLS]->(b) WHERE a.file_path = 'uses_make.py' "
                            "RETURN b.id ORDER BY b.id").rows
    finally:
        store.close()
    expected_class = "Beta" if new == "    return Beta()\n" else "Alpha"
    method = {"Alpha": "run", "Beta": "stop"}[expected_class]
    assert ["Function:lib.py:lib.make", f"Method:lib.py:lib.{expected_class}.{method}"] == [row[0] for row in calls]
