"""Fault containment (codekg/faults.py): a file that a pass fails on loses only its own share; every
other file's nodes and edges are what a clean run gives, the run publishes and exits 0; with the
`strict` setting the first failure stops the run and nothing is published."""

from __future__ import annotations

import pytest

import codekg.passes.resolve as resolve_pass
import codekg.passes.structure as structure_pass
from codekg.faults import FileFailedError
from codekg.languages import EXTRACTORS
from codekg.metrics import snapshot
from codekg.pipeline import index_repository
from codekg.schema import REL_TYPES
from codekg.settings import load_settings
from codekg.stores import open_index

FILES = {
    "a.py": "from b import helper\n\nclass Base:\n    def run(self):\n        helper()\n\ndef start():\n    Base().run()\n",
    "b.py": "from a import Base\n\ndef helper():\n    pass\n\nclass Child(Base):\n    def go(self):\n        self.run()\n        helper()\n",
    "c.py": "from a import start\nfrom b import Child\n\ndef main():\n    start()\n    Child().go()\n",
    "web.js": "import { f } from './lib.js';\nexport function page() { f(); }\n",
    "lib.js": "export function f() {}\n",
}
EDGES = "MATCH (a)-[r]->(b) RETURN label(r), a.id, b.id, r.confidence, r.reason"
NODES = "MATCH (n) RETURN label(n), n.id"


def _write(root, files):
    for path, text in files.items():
        (root / path).write_text(text)


def _graph(db, settings):
    store = open_index(db, settings)
    try:
        return ({tuple(row) for row in store.query(NODES).rows},
                {tuple(row) for row in store.query(EDGES).rows if row[0] != "CONTAINS"})
    finally:
        store.close()


def _clean(tmp_path):
    repo, db = tmp_path / "clean" / "repo", tmp_path / "clean-db"  # named as the repository compared with
    repo.mkdir(parents=True)
    _write(repo, FILES)
    settings = load_settings(repo, use_git_ls_files=False, strict=False)
    index_repository(repo, db, settings)
    return _graph(db, settings)


def _failing_for(module, name, path, monkeypatch, error=RuntimeError("injected fault")):
    real = getattr(module, name)

    def failing(*args, **kwargs):
        if any(getattr(arg, "path", None) == path or getattr(getattr(arg, "parse", None), "path", None) == path
               for arg in args):
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, failing)


def _from_file(edge, path):
    return edge[1] == f"File:{path}" or f":{path}:" in edge[1]


def test_a_file_failing_in_resolve_loses_only_its_derived_edges(tmp_path, monkeypatch):
    clean_nodes, clean_edges = _clean(tmp_path)
    repo, db = tmp_path / "repo", tmp_path / "repo-db"
    repo.mkdir()
    _write(repo, FILES)
    _failing_for(resolve_pass, "_resolve_file", "b.py", monkeypatch)
    settings = load_settings(repo, use_git_ls_files=False, strict=False)
    before = snapshot().get('file_failures_total{kind="exception",pass="resolve"}', 0.0)
    summary = index_repository(repo, db, settings)

    nodes, edges = _graph(db, settings)
    derived = {rel.name for rel in REL_TYPES if rel.derived}
    assert nodes == clean_nodes  # every node stands, b.py's included
    assert edges == {e for e in clean_edges if not (e[0] in derived and _from_file(e, "b.py"))}
    assert {e for e in clean_edges if e[0] in derived and _from_file(e, "b.py")}  # something was lost
    assert [w for w in summary.warnings if w["pass"] == "resolve"] == [
        {"path": "b.py", "pass": "resolve", "kind": "exception",
         "message": summary.warnings[0]["message"]},
    ]
    assert summary.warnings[0]["message"].startswith("RuntimeError: injected fault (at passes/resolve.py:")
    assert snapshot()['file_failures_total{kind="exception",pass="resolve"}'] == before + 1

    # an incremental run that re-resolves b.py (its import target changed) recovers its edges
    monkeypatch.undo()
    (repo / "a.py").write_text(FILES["a.py"] + "\n")
    summary = index_repository(repo, db, settings)
    assert summary.delta["mode"] == "incremental"
    assert summary.warnings == []
    assert _graph(db, settings) == (clean_nodes, clean_edges)


def test_a_recursion_error_is_a_depth_limit_and_an_invalid_edge_is_named(tmp_path, monkeypatch):
    repo, db = tmp_path / "repo", tmp_path / "repo-db"
    repo.mkdir()
    _write(repo, FILES)
    _failing_for(resolve_pass, "_resolve_file", "a.py", monkeypatch, RecursionError("maximum recursion depth exceeded"))
    real_add_edge = resolve_pass.Graph.add_edge

    def add_edge(self, rel_type, source, target, **properties):
        if rel_type == "CALLS" and ":c.py:" in source[1]:
            source = ("Variable", source[1])  # what a producer bug looked like (issue 12)
        return real_add_edge(self, rel_type, source, target, **properties)

    monkeypatch.setattr(resolve_pass.Graph, "add_edge", add_edge)
    summary = index_repository(repo, db, load_settings(repo, use_git_ls_files=False, strict=False))
    assert [(w["path"], w["pass"], w["kind"]) for w in summary.warnings] == [
        ("a.py", "resolve", "depth-limit"), ("c.py", "resolve", "invalid-edge")]
    assert summary.warnings[1]["message"].startswith("SchemaViolation: CALLS does not connect Variable to")


def test_a_file_failing_in_structure_keeps_its_file_and_module_only(tmp_path, monkeypatch):
    clean_nodes, clean_edges = _clean(tmp_path)
    repo, db = tmp_path / "repo", tmp_path / "repo-db"
    repo.mkdir()
    _write(repo, FILES)
    real = structure_pass._add_file

    def failing(graph, parsed, module_name):
        if parsed.path == "lib.js" and parsed.definitions:
            raise RuntimeError("injected fault")
        return real(graph, parsed, module_name)

    monkeypatch.setattr(structure_pass, "_add_file", failing)
    settings = load_settings(repo, use_git_ls_files=False, strict=False)
    summary = index_repository(repo, db, settings)
    nodes, edges = _graph(db, settings)
    assert clean_nodes - nodes == {("Function", "Function:lib.js:lib.f")}
    assert nodes - clean_nodes == set()
    assert ("File", "File:lib.js") in nodes and ("Module", "Module:lib.js:lib") in nodes
    assert not {e for e in edges if "Function:lib.js:lib.f" in e[1:3]}
    assert {e for e in edges if not _from_file(e, "lib.js") and "lib.js" not in e[2]} == \
        {e for e in clean_edges if not _from_file(e, "lib.js") and "lib.js" not in e[2]}
    assert [(w["path"], w["pass"], w["kind"]) for w in summary.warnings] == [("lib.js", "structure", "exception")]


def test_a_file_whose_module_name_fails_keeps_a_file_and_a_module_named_from_its_path(tmp_path, monkeypatch):
    repo, db = tmp_path / "repo", tmp_path / "repo-db"
    repo.mkdir()
    _write(repo, FILES)
    extractor = type(EXTRACTORS["javascript"])
    real = extractor.module_name

    def failing(self, path, source_roots=()):
        if path == "lib.js":
            raise RuntimeError("injected fault")
        return real(self, path, source_roots)

    monkeypatch.setattr(extractor, "module_name", failing)
    settings = load_settings(repo, use_git_ls_files=False, strict=False)
    summary = index_repository(repo, db, settings)
    nodes, _ = _graph(db, settings)
    assert ("File", "File:lib.js") in nodes and ("Module", "Module:lib.js:lib") in nodes
    assert not {node for node in nodes if ":lib.js:lib." in (node[1] or "")}  # IndexMeta has no id
    assert [(w["path"], w["pass"], w["kind"]) for w in summary.warnings] == [("lib.js", "structure", "exception")]


def test_strict_stops_at_the_first_failure_and_publishes_nothing(tmp_path, monkeypatch):
    repo, db = tmp_path / "repo", tmp_path / "repo-db"
    repo.mkdir()
    _write(repo, FILES)
    settings = load_settings(repo, use_git_ls_files=False, strict=False)
    index_repository(repo, db, settings)
    published = _graph(db, settings)
    (repo / "d.py").write_text("def more():\n    pass\n")
    _failing_for(resolve_pass, "_resolve_file", "d.py", monkeypatch)
    with pytest.raises(FileFailedError, match="d.py: resolve failed: RuntimeError: injected fault"):
        index_repository(repo, db, load_settings(repo, use_git_ls_files=False, strict=True))
    assert _graph(db, settings) == published


def _metric_failures() -> float:
    return snapshot().get('file_failures_total{kind="exception",pass="resolve"}', 0.0)


def test_failures_counted_apart_go_to_their_tally_not_to_the_metric():
    """What a forked resolve helper does (passes/resolve_pool.py): it counts its own failures and
    hands the count to the main process, which adds it to the metric."""
    from codekg.faults import contained, count_failures, counted_apart

    def fails() -> str:
        raise ValueError("no")

    before = _metric_failures()
    with counted_apart() as tally:
        assert [contained(p, "resolve", fails, lambda: "fallback", False, []) for p in ("a.py", "b.py")] == ["fallback"] * 2
    assert dict(tally) == {("resolve", "exception"): 2} and _metric_failures() == before
    count_failures(dict(tally))
    assert _metric_failures() == before + 2
    contained("c.py", "resolve", fails, lambda: "fallback", False, [])
    assert _metric_failures() == before + 3
