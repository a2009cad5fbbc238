"""`symbol_context` on tests/fixtures/pyrepo: exact definitions, relations and edge properties."""

from __future__ import annotations

import os

import pytest

from analysis_repos import located
from codekg.analysis.context import symbol_context
from codekg.errors import SymbolAmbiguousError, SymbolNotFoundError



def test_method_context(pyrepo):
    repo, store = pyrepo
    result = symbol_context(store, repo, "shop.models.Base.save")
    assert result["symbol"] == {**located("Method", "shop.models.Base.save", "src/shop/models.py", 7, 8),
                                "signature": "def save(self)", "docstring": ""}
    assert result["snippet"] == {"file_path": "src/shop/models.py", "start_line": 7, "end_line": 8,
                                 "text": "    def save(self):\n        self.validate()", "truncated": False, "error": "",
                                 "changed": False}
    assert result["container"] == located("Class", "shop.models.Base", "src/shop/models.py", 4, 11)
    assert result["callers"] == [located("Method", "shop.models.Order.save", "src/shop/models.py", 23, 25,
                                         confidence=0.9, reason="super-member", line=24, call_count=1)]
    assert result["callees"] == [located("Method", "shop.models.Base.validate", "src/shop/models.py", 10, 11,
                                         confidence=0.9, reason="self-member", line=8, call_count=1)]
    assert [result[k] for k in ("defines", "methods", "bases", "subclasses", "imports", "importers")] == [[]] * 6


def test_function_context_lists_callees_in_source_order(pyrepo):
    repo, store = pyrepo
    result = symbol_context(store, repo, "checkout")
    assert result["symbol"]["docstring"] == "Place an order."
    assert result["callers"] == [located("Module", "scripts.run", "scripts/run.py", 1, 7,
                                         confidence=1.0, reason="import", line=5, call_count=1)]
    assert [(c["qualified_name"], c["confidence"], c["reason"], c["line"]) for c in result["callees"]] == [
        ("shop.models.Order", 1.0, "import", 8),
        ("shop.models.Order.__init__", 1.0, "constructor", 8),
        ("os.getcwd", 1.0, "import-external", 9),
        ("shop.util.log", 1.0, "import", 9),
        ("shop.service.helper", 1.0, "same-file", 10),
    ]


def test_class_context(pyrepo):
    repo, store = pyrepo
    result = symbol_context(store, repo, "Order")
    assert result["bases"] == [located("Class", "shop.models.Base", "src/shop/models.py", 4, 11,
                                       confidence=1.0, reason="same-file")]
    assert result["subclasses"] == []
    assert [m["qualified_name"] for m in result["methods"]] == [
        "shop.models.Order.__init__", "shop.models.Order.total", "shop.models.Order.save"]
    assert result["defines"] == [located("Variable", "shop.models.Order.TAX", "src/shop/models.py", 15, 15)]
    assert [(c["qualified_name"], c["line"]) for c in result["callers"]] == [("scripts.run", 6), ("shop.service.checkout", 8)]
    assert [s["qualified_name"] for s in symbol_context(store, repo, "shop.models.Base")["subclasses"]] == ["shop.models.Order"]


def test_module_context_imports_and_importers(pyrepo):
    repo, store = pyrepo
    result = symbol_context(store, repo, "shop.service")
    assert result["container"] == located("File", "src/shop/service.py", "src/shop/service.py", 1, 17)
    assert result["imports"] == [
        located("External", "os", "", 0, 0, confidence=1.0, reason="unresolved-import", line=1, names=[]),
        located("Module", "shop.models", "src/shop/models.py", 1, 36, confidence=1.0, reason="relative-path",
                line=2, names=["Order"]),
        located("Module", "shop.util", "src/shop/util.py", 1, 5, confidence=1.0, reason="relative-path",
                line=3, names=["util"]),
    ]
    assert result["importers"] == [located("Module", "scripts.run", "scripts/run.py", 1, 7, confidence=1.0,
                                           reason="module-path", line=1, names=["checkout"])]
    assert [d["qualified_name"] for d in result["defines"]] == ["shop.service.checkout", "shop.service.helper"]
    # a File target gives the same imports as its module
    assert symbol_context(store, repo, "src/shop/service.py")["imports"] == result["imports"]


def test_external_context(pyrepo):
    repo, store = pyrepo
    result = symbol_context(store, repo, "requests.get")
    assert result["snippet"]["error"] == "no source location"
    assert result["container"] is None
    assert [(c["qualified_name"], c["line"]) for c in result["callers"]] == [("scripts.run", 7)]


def test_a_decorator_application_is_reached_by_its_id_not_its_name(pyrepo):
    """Callers lists hold decorator applications (`@staticmethod` calls staticmethod): their id opens them."""
    repo, store = pyrepo
    result = symbol_context(store, repo, "Decorator:src/shop/models.py:shop.models.Counter.bump@0")
    assert (result["symbol"]["label"], result["symbol"]["signature"], result["snippet"]["text"]) == (
        "Decorator", "@staticmethod", "    @staticmethod")
    assert [c["qualified_name"] for c in result["callees"]] == ["<builtin>.staticmethod"]
    with pytest.raises(SymbolNotFoundError):
        symbol_context(store, repo, "shop.models.Counter.bump@0")


def test_ambiguous_and_missing_symbols(pyrepo):
    repo, store = pyrepo
    with pytest.raises(SymbolAmbiguousError) as raised:
        symbol_context(store, repo, "save")
    assert len(raised.value.candidates) == 2
    with pytest.raises(SymbolNotFoundError):
        symbol_context(store, repo, "shop.nothing")


def test_snippet_through_a_symlink_leaving_the_root_is_refused(pyrepo, tmp_path):
    repo, store = pyrepo
    outside = tmp_path / "outside.py"
    outside.write_text((repo / "src/shop/util.py").read_text())
    (repo / "src/shop/util.py").unlink()
    os.symlink(outside, repo / "src/shop/util.py")  # after indexing: the graph still names the path
    result = symbol_context(store, repo, "shop.util.log")
    assert result["snippet"]["text"] == ""
    assert result["snippet"]["error"] == "refused to read 'src/shop/util.py': it resolves outside the repository root"
    assert result["callers"][0]["qualified_name"] == "shop.service.checkout"  # the graph part is still answered


def test_readers_writers_users_and_decorators(pyrepo):
    repo, store = pyrepo
    m = "src/shop/models.py"
    saved = symbol_context(store, repo, "shop.models.Counter.saved")
    # `Counter.saved += 1` reads and writes it: one edge, `read-write`, listed among both
    # `Counter.saved`: a member of the class the name means (0.9: a subclass may rebind it)
    bump = located("Method", "shop.models.Counter.bump", m, 33, 36, confidence=0.9, reason="same-file", line=35,
                   count=2, mode="read-write")
    assert (saved["readers"], saved["writers"]) == ([bump], [bump])
    tax = symbol_context(store, repo, "shop.models.Order.TAX")
    assert tax["readers"] == [located("Method", "shop.models.Order.total", m, 20, 21, confidence=0.9,
                                      reason="self-member", line=21, count=1, mode="read")]
    assert tax["writers"] == []
    order = symbol_context(store, repo, "shop.models.Order")
    assert order["users"] == [located("Method", "shop.models.Counter.bump", m, 33, 36, confidence=1.0,
                                      reason="same-file", line=34, count=1)]
    method = symbol_context(store, repo, "shop.models.Counter.bump")
    assert method["decorators"] == [{**located("Decorator", "shop.models.Counter.bump@0", m, 33, 33),
                                     "name": "staticmethod"}]
    override = symbol_context(store, repo, "shop.models.Order.save")
    assert [e["qualified_name"] for e in override["overrides"]] == ["shop.models.Base.save"]
    assert [e["qualified_name"] for e in symbol_context(store, repo, "shop.models.Base.save")["overridden_by"]] == [
        "shop.models.Order.save"]


def test_a_snippet_of_a_file_edited_since_the_index_says_so(pyrepo):
    """The index's lines of an edited file may point elsewhere: the snippet is shown and flagged."""
    repo, store = pyrepo
    models = repo / "src" / "shop" / "models.py"
    models.write_text("# a new first line\n" + models.read_text())
    snippet = symbol_context(store, repo, "shop.models.Base.save")["snippet"]
    assert (snippet["start_line"], snippet["text"], snippet["changed"]) == (7, "\n    def save(self):", True)
