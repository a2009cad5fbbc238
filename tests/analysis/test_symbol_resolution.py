"""SYMBOL text → one node: qualified name, id, short name, dotted suffix; ambiguity and absence."""

from __future__ import annotations

import pytest

from codekg.analysis.symbols import Symbol, resolve_symbol
from codekg.errors import SymbolAmbiguousError, SymbolNotFoundError


@pytest.fixture
def store(copy_fixture, open_store):
    return open_store(copy_fixture("pyrepo"))


def test_qualified_name(store):
    assert resolve_symbol(store, "shop.models.Order.save") == Symbol(
        "Method:src/shop/models.py:shop.models.Order.save", "Method", "save", "shop.models.Order.save",
        "src/shop/models.py", 23, 25)


@pytest.mark.parametrize("text, expected_id", [
    ("Method:src/shop/models.py:shop.models.Base.save", "Method:src/shop/models.py:shop.models.Base.save"),
    ("checkout", "Function:src/shop/service.py:shop.service.checkout"),  # unique short name
    ("Base.save", "Method:src/shop/models.py:shop.models.Base.save"),  # dotted suffix
    ("shop", "Module:src/shop/__init__.py:shop"),
    ("src/shop/util.py", "File:src/shop/util.py"),
    ("<builtin>.print", "External:<builtin>.print"),
    ("  shop.util.log ", "Function:src/shop/util.py:shop.util.log"),
])
def test_other_forms(store, text, expected_id):
    assert resolve_symbol(store, text).id == expected_id


def test_a_qualified_name_wins_over_a_short_name(store):
    # `shop.models` is a module's qualified name; no node is *named* `shop.models`, so no ambiguity arises
    # with the module `models` either.
    assert resolve_symbol(store, "shop.models").id == "Module:src/shop/models.py:shop.models"


def test_ambiguous_short_name_lists_candidates(store):
    with pytest.raises(SymbolAmbiguousError) as raised:
        resolve_symbol(store, "save")
    assert [c["qualified_name"] for c in raised.value.candidates] == ["shop.models.Base.save", "shop.models.Order.save"]
    assert raised.value.candidates[0] == {
        "id": "Method:src/shop/models.py:shop.models.Base.save", "label": "Method", "name": "save",
        "qualified_name": "shop.models.Base.save", "file_path": "src/shop/models.py", "start_line": 7, "end_line": 8}
    assert raised.value.exit_code == 2
    assert "Method:src/shop/models.py:shop.models.Order.save" in str(raised.value)


@pytest.mark.parametrize("text", ["nope", "shop.models.Nope", "Method:src/shop/models.py:shop.models.Gone"])
def test_not_found(store, text):
    with pytest.raises(SymbolNotFoundError) as raised:
        resolve_symbol(store, text)
    assert raised.value.exit_code == 2


@pytest.mark.parametrize("text", ["", "  "])
def test_no_name_is_bad_input_not_an_unknown_symbol(store, text):
    """An empty name was a 404 `symbol_not_found` through the API; it is a 400 `input` now."""
    from codekg.errors import InputError

    with pytest.raises(InputError, match="^no symbol given: pass a name, a qualified name or an id$") as raised:
        resolve_symbol(store, text)
    assert raised.value.exit_code == 2 and not isinstance(raised.value, SymbolNotFoundError)


@pytest.mark.parametrize("text, suggestions", [
    ("chekout", ["shop.service.checkout"]),  # a typo of a short name
    ("shop.service.chekout", ["shop.service.checkout"]),  # of the last part of a qualified name
    ("Ordr", ["shop.models.Order"]),
    ("zzzqqq", []),  # nothing close: no guess
])
def test_not_found_suggests_the_closest_names(store, text, suggestions):
    with pytest.raises(SymbolNotFoundError) as raised:
        resolve_symbol(store, text)
    assert raised.value.suggestions == suggestions
    assert raised.value.details() == {"suggestions": suggestions}
    assert (f"did you mean {', '.join(suggestions)}?" in str(raised.value)) == bool(suggestions)


OVERLOADED = '''\
import typing as t


class Adapter:
    @t.overload
    def match(self, path: str) -> str: ...

    @t.overload
    def match(self, path: None) -> None: ...

    def match(self, path):
        return path


if t.TYPE_CHECKING or True:
    def twin():
        return 1
else:
    def twin():
        return 2
'''


def test_overload_stubs_name_their_implementation_and_twins_stay_ambiguous(tmp_path, open_store):
    """A function's `@overload` stubs are never what runs: its qualified name (or short name) means the
    implementation. Two real definitions of one name (on two branches) are still both offered."""
    (tmp_path / "routing.py").write_text(OVERLOADED)
    store = open_store(tmp_path)
    for text in ("routing.Adapter.match", "match", "Adapter.match"):
        found = resolve_symbol(store, text)
        assert (found.qualified_name, found.start_line, found.id.endswith("#3")) == ("routing.Adapter.match", 11, True)
    with pytest.raises(SymbolAmbiguousError) as raised:
        resolve_symbol(store, "routing.twin")
    assert [candidate["start_line"] for candidate in raised.value.candidates] == [16, 19]


EXPRESS_STYLE = '''\
var app = exports = module.exports = {};

app.set = function set(setting, val) {
  this.settings[setting] = val;
  return this;
};

app.enabled = function enabled(setting) {
  return Boolean(this.set(setting));
};
'''


def test_a_function_assigned_to_a_member_is_found_by_its_qualified_name(tmp_path, open_store):
    """`app.set = function …` (express, axios): the node's name is the last part of its qualified
    name, as for every other symbol, so each form of the name finds it."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "application.js").write_text(EXPRESS_STYLE)
    store = open_store(tmp_path)
    expected = Symbol("Function:lib/application.js:lib.application.app.set", "Function", "set", "lib.application.app.set",
                      "lib/application.js", 3, 6)
    for text in ("lib.application.app.set", "app.set", "set", expected.id):
        assert resolve_symbol(store, text) == expected, text
    assert resolve_symbol(store, "app.enabled").name == "enabled"


def test_an_external_named_by_its_import_name_stands_beside_the_projects_symbol_of_that_name(tmp_path, open_store):
    """express: `context send` gave the npm package `send` alone, not `res.send` (a new user's finding)."""
    (tmp_path / "response.js").write_text(
        "var send = require('send');\nvar res = {};\n\n"
        "res.send = function send(body) {\n  return body;\n};\n\n"
        "res.sendFile = function sendFile(path) {\n  return send(path);\n};\n\nmodule.exports = res;\n")
    store = open_store(tmp_path)
    with pytest.raises(SymbolAmbiguousError) as raised:
        resolve_symbol(store, "send")
    assert [(c["label"], c["qualified_name"]) for c in raised.value.candidates] == [
        ("Function", "response.res.send"), ("External", "send")]
    assert resolve_symbol(store, "response.res.send").id == "Function:response.js:response.res.send"
    assert resolve_symbol(store, "External:send").label == "External"
