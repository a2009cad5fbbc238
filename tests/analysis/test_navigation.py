"""analysis/navigation.py on tests/fixtures/pyrepo: the symbol at a line, every use of a symbol, the
shortest path between two symbols, exactly."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis_repos import located
from codekg.analysis.navigation import definition_at, path_between, references
from codekg.errors import InputError, PathOutsideRootError, SymbolNotFoundError

S = "src/shop/service.py"
M = "src/shop/models.py"



def test_definition_is_the_innermost_symbol_holding_the_line(pyrepo):
    _, store = pyrepo
    assert definition_at(store, S, 15) == {
        "file_path": S, "line": 15, "symbol": located("Function", "shop.service.helper.inner", S, 14, 15),
        "enclosing": [located("Module", "shop.service", S, 1, 17), located("Function", "shop.service.helper", S, 13, 17)]}
    assert definition_at(store, f"./{S}", 2)["symbol"] == located("Module", "shop.service", S, 1, 17)  # between definitions
    with pytest.raises(SymbolNotFoundError, match=f"no symbol at {S}:99 in the index"):
        definition_at(store, S, 99)
    with pytest.raises(SymbolNotFoundError, match="no symbol at nowhere.py:1"):
        definition_at(store, "nowhere.py", 1)
    with pytest.raises(InputError, match="line must be 1 or more, not 0"):
        definition_at(store, S, 0)
    repo, _ = pyrepo
    assert definition_at(store, str(repo / S), 15, repo)["symbol"]["qualified_name"] == "shop.service.helper.inner"
    with pytest.raises(PathOutsideRootError, match="leads outside the indexed repository"):
        definition_at(store, "../outside.py", 1, repo)


def test_references_list_every_use_with_its_kind(pyrepo):
    _, store = pyrepo
    result = references(store, "shop.models.Order")
    assert result["counts"] == {"call": 2, "import": 2, "type use": 1}
    assert [(r["kind"], r["qualified_name"], r["file_path"], r["line"]) for r in result["references"]] == [
        ("call", "scripts.run", "scripts/run.py", 6),
        ("import", "shop", "src/shop/__init__.py", 2),  # `from .models import Order`
        ("type use", "shop.models.Counter.bump", M, 34),  # `def bump(order: Order)`
        ("import", "shop.service", S, 2),
        ("call", "shop.service.checkout", S, 8)]
    assert [(r["kind"], r["qualified_name"]) for r in references(store, "shop.service.checkout")["references"]] == [
        ("import", "scripts.run"), ("call", "scripts.run")]  # `from shop.service import checkout`, then the call
    saved = references(store, "shop.models.Counter.saved")  # a class variable: read and written
    assert sorted((r["kind"], r["qualified_name"]) for r in saved["references"]) == [
        ("read", "shop.models.Counter.bump"), ("write", "shop.models.Counter.bump")]
    overridden = references(store, "shop.models.Base.save")
    assert [(r["kind"], r["qualified_name"], r.get("line") or r["start_line"]) for r in overridden["references"]] == [
        ("override", "shop.models.Order.save", 23), ("call", "shop.models.Order.save", 24)]  # its def, then `super().save()`


def test_path_is_the_shortest_chain_either_way(pyrepo):
    _, store = pyrepo
    forward = path_between(store, "scripts.run", "shop.util.log")
    assert (forward["found"], forward["direction"], forward["length"], forward["hops"]) == (True, "forward", 2, [
        {"from": "scripts.run", "relation": "CALLS", "to": "shop.service.checkout"},
        {"from": "shop.service.checkout", "relation": "CALLS", "to": "shop.util.log"}])
    backward = path_between(store, "shop.util.log", "scripts.run")
    assert (backward["direction"], backward["hops"]) == ("backward", forward["hops"])
    inherited = path_between(store, "shop.models.Order.save", "shop.models.Base.validate", max_depth=2)
    assert inherited["hops"] == [{"from": "shop.models.Order.save", "relation": "CALLS", "to": "shop.models.Base.save"},
                                 {"from": "shop.models.Base.save", "relation": "CALLS", "to": "shop.models.Base.validate"}]
    assert path_between(store, "shop.models.Order.save", "shop.models.Base.validate", max_depth=1)["found"] is False
    # not through containment: a user of Order (`bump(order: Order)`) does not thereby reach all of Order
    assert path_between(store, "shop.models.Counter.bump", "shop.models.Order")["length"] == 1
    assert path_between(store, "shop.models.Counter.bump", "shop.models.Order.TAX")["found"] is False
    none = path_between(store, "shop.models.Counter", "shop.util.log")
    assert (none["found"], none["hops"], none["complete"]) == (False, [], True)
    with pytest.raises(InputError, match="depth must be between 1 and 10, not 11"):
        path_between(store, "scripts.run", "shop.util.log", max_depth=11)


def test_the_cli_commands(pyrepo):
    repo, _ = pyrepo

    def run(*arguments):
        return subprocess.run([sys.executable, "-m", "codekg", *arguments, "--repo", str(repo)],
                              capture_output=True, text=True, timeout=60)

    assert run("definition", f"{S}:15").stdout.splitlines() == [
        f"Module shop.service  {S}:1-17", f"  Function shop.service.helper  {S}:13-17",
        f"    Function shop.service.helper.inner  {S}:14-15"]
    assert run("path", "scripts.run", "shop.util.log").stdout.splitlines() == [
        "2 edge(s), forward:", "  scripts.run -[CALLS]-> shop.service.checkout", "  shop.service.checkout -[CALLS]-> shop.util.log"]
    assert run("references", "shop.models.Order").stdout.splitlines()[0] == "shop.models.Order: call: 2, import: 2, type use: 1"
    assert run("path", "scripts.run", "scripts.run").stdout.strip() == "FROM and TO are the same symbol"
    none = run("path", "shop.models.Counter", "shop.util.log", "--depth", "3")  # no path: exit 1, as grep's
    assert (none.returncode, none.stdout.strip()) == (1, "no path within 3 edges either way; --depth 10 looks further")
    none = run("path", "shop.models.Counter", "shop.util.log", "--json")
    assert (none.returncode, json.loads(none.stdout)["found"]) == (1, False)
    assert run("definition", f"{repo / S}:15").stdout.splitlines()[-1] == f"    Function shop.service.helper.inner  {S}:14-15"
    assert json.loads(run("references", "shop.models.Order", "--json").stdout)["counts"] == {"call": 2, "import": 2, "type use": 1}
    outside = run("definition", "../../etc/passwd:1")
    assert (outside.returncode, outside.stderr.strip()) == (2, "error: ../../etc/passwd leads outside the indexed repository")
    bad = run("definition", S)
    assert (bad.returncode, bad.stderr.strip()) == (2, f"error: expected FILE:LINE (e.g. src/app.py:42), not '{S}'")


def test_a_decorator_application_is_one_reference(tmp_path):
    """`@traced` over `def work` is one use: the Decorator node's call, of kind "decorator". The module
    running the `def` makes the same call at the same line, and is not listed again; a scope that
    also calls the decorator elsewhere keeps its call."""
    from codekg.pipeline import index_repository
    from codekg.settings import load_settings
    from codekg.stores import open_index

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "d.py").write_text("def traced(fn):\n    return fn\n\n@traced\ndef work():\n    return 1\n\n"
                               "class C:\n    @traced\n    def m(self):\n        return 2\n\n    traced(m)\n")
    settings = load_settings(repo, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    store = open_index(tmp_path / "db", settings)
    try:
        found = references(store, "d.traced")
    finally:
        store.close()
    assert [(r["kind"], r["qualified_name"], r["line"]) for r in found["references"]] == [
        ("decorator", "d.work@0", 4), ("call", "d.C", 9), ("decorator", "d.C.m@0", 9)]
    assert found["counts"] == {"call": 1, "decorator": 2}


def test_references_count_every_call_site_of_a_caller(tmp_path, open_store):
    """express's `defineGetter` is called twelve times by the module `lib.request`: one CALLS edge,
    whose `call_count` the counts read (they said `call: 1`), and the CLI line says so."""
    import subprocess
    import sys

    (tmp_path / "request.js").write_text(
        "function defineGetter(obj, name, getter) {\n  return [obj, name, getter];\n}\n\n"
        "var req = {};\ndefineGetter(req, 'a', 1);\ndefineGetter(req, 'b', 2);\ndefineGetter(req, 'c', 3);\n")
    store = open_store(tmp_path)
    found = references(store, "defineGetter")
    assert found["counts"] == {"call": 3}
    assert [(r["kind"], r["qualified_name"], r["line"], r["call_count"]) for r in found["references"]] == [
        ("call", "request", 6, 3)]
    open_store.close_all()
    shown = subprocess.run([sys.executable, "-m", "codekg", "references", "defineGetter", "--repo", str(tmp_path)],
                           capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == ["request.defineGetter: call: 3", "  call      request  request.js:6 and 2 more calls in it"]
