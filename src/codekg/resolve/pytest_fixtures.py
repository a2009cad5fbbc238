"""pytest fixtures: a test, or a fixture, that names a fixture as a parameter runs it.

pytest calls every fixture a test requests by parameter name before the test, and hands the test its
value; for the questions codekg answers (what runs this fixture, what breaks if it changes), the test
calls it. Which definition a name means follows pytest's lookup ("fixture availability" in its docs):
the requesting function's class, its module, then the `conftest.py` of its folder and of each folder
above it, the nearest first. A fixture that requests its own name gets the next one out (an override
that extends the fixture it replaces). A name found nowhere is a builtin or a plugin's fixture
(`tmp_path`, `monkeypatch`): no edge. `@pytest.mark.usefixtures("name")` on a function or its class
requests too.

A fixture is a function or method decorated with `pytest.fixture` (or `pytest_asyncio.fixture`),
written `@pytest.fixture`, `@fixture` imported from pytest, with or without arguments; its name is the
decorator's `name=`, else its own. Requesters are functions and methods named `test*` (pytest's
default `python_functions`) and fixtures, in any file; a method's `self`/`cls` requests nothing.
Fixtures of plugins (`pytest_plugins`, entry points) and `autouse` fixtures (which every test in their
reach runs unasked) give no edges.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePosixPath

from codekg.records import Scope
from codekg.resolve.calls import CallEdge
from codekg.resolve.dependencies import RecordedCache
from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef

FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
USEFIXTURES = "pytest.mark.usefixtures"
REASON = "pytest-fixture"
# pytest's own lookup, but a plugin, a `pytest_plugins` list or an ini option can change what a name means
CONFIDENCE = 0.9
CONFTEST = "conftest.py"
FUNCTION_LABELS = ("Function", "Method")


def fixture_calls(fixtures: Fixtures, file_symbols: FileSymbols) -> list[CallEdge]:
    """A CALLS edge from each test or fixture of a Python file to each fixture it requests."""
    if file_symbols.parse.language != "python":
        return []
    return [CallEdge(request.requester, Resolved(REASON, CONFIDENCE, ref=request.fixture), request.line)
            for request in fixtures.requests(file_symbols)]


@dataclass(frozen=True, slots=True)
class FixtureRequest:
    """``requester`` (a test or a fixture) runs the fixture ``fixture`` by naming it."""

    requester: SymbolRef
    fixture: SymbolRef
    name: str
    line: int


class Fixtures:
    """The fixtures each file defines, by (class path or () for the module, fixture name); asked once
    per file, whoever asks (a conftest.py is read by every test file below it)."""

    def __init__(self, symbols: SymbolIndex, names: NameResolver) -> None:
        self.symbols, self.names = symbols, names
        self._defined: RecordedCache[str, dict[tuple[Scope, str], SymbolRef]] = RecordedCache(symbols.recorder)

    def defined_in(self, path: str) -> dict[tuple[Scope, str], SymbolRef]:
        return self._defined.get(path, lambda: self._find(self.symbols.files[path]))

    def _find(self, file_symbols: FileSymbols) -> dict[tuple[Scope, str], SymbolRef]:
        found: dict[tuple[Scope, str], SymbolRef] = {}
        for ref in file_symbols.decorated:
            if ref.label in FUNCTION_LABELS and ref.definition is not None:
                name = self._fixture_name(file_symbols, ref)
                if name:
                    found[(ref.path[:-1], name)] = ref  # a later definition of the name replaces an earlier one
        return found

    def _fixture_name(self, file_symbols: FileSymbols, ref: SymbolRef) -> str:
        """The fixture's name when ``ref`` is decorated as one, else ""."""
        for expression in ref.definition.decorators:  # type: ignore[union-attr]
            if "fixture" in expression and self._meaning(file_symbols, ref.path[:-1], expression) in FIXTURE_DECORATORS:
                return _keyword_string(expression, "name") or ref.path[-1]
        return ""

    def _meaning(self, file_symbols: FileSymbols, scope: Scope, expression: str) -> str:
        """The external name a decorator's callable resolves to in ``scope`` ("" for none). Asked only of
        a decorator whose text holds the name looked for: most are `@property`, `@pytest.mark.parametrize`."""
        callable_text = expression.partition("(")[0].strip()
        if not callable_text.replace(".", "").replace("_", "").isalnum():
            return ""
        found = self.names.lookup_dotted(file_symbols, scope, callable_text)
        return found.external_name if found is not None and found.ref is None else ""

    def requests(self, file_symbols: FileSymbols) -> list[FixtureRequest]:
        """What the tests and fixtures of the file request, each resolved as pytest would."""
        path = file_symbols.parse.path
        own = self.defined_in(path)
        own_fixtures = {ref.id for ref in own.values()}
        requesters = [ref for ref in file_symbols.all_refs()
                      if ref.label in FUNCTION_LABELS and ref.definition is not None and ref.definition.is_runtime_target
                      and (ref.path[-1].startswith("test") or ref.id in own_fixtures)]
        if not requesters:
            return []
        # the module's fixtures, then each conftest.py's from the folder up: what every requester here sees
        modules = [own] + [self.defined_in(conftest) for conftest in _conftests_above(path)
                           if conftest != path and conftest in self.symbols.files]
        result: list[FixtureRequest] = []
        for ref in requesters:
            requested = _requested_parameters(file_symbols, ref) + self._used_fixtures(file_symbols, ref)
            classes = _self_and_classes(file_symbols, ref)[1:]
            for name in dict.fromkeys(requested):
                fixture = _first_other(ref, [own.get((holder.path, name)) for holder in classes]
                                       + [module.get(((), name)) for module in modules])
                if fixture is not None:
                    result.append(FixtureRequest(ref, fixture, name, ref.definition.start_line))  # type: ignore[union-attr]
        return result

    def _used_fixtures(self, file_symbols: FileSymbols, ref: SymbolRef) -> list[str]:
        """The names of `@pytest.mark.usefixtures(...)` on the function and on its classes."""
        names: list[str] = []
        for holder in _self_and_classes(file_symbols, ref):
            for expression in holder.definition.decorators if holder.definition is not None else ():
                if "usefixtures" in expression and self._meaning(file_symbols, holder.path[:-1], expression) == USEFIXTURES:
                    names += _string_arguments(expression)
        return names


def _first_other(requester: SymbolRef, found: list[SymbolRef | None]) -> SymbolRef | None:
    """The nearest fixture found that is not the requester itself: a fixture requesting its own name
    gets the one it overrides."""
    return next((ref for ref in found if ref is not None and ref.id != requester.id), None)


def _requested_parameters(file_symbols: FileSymbols, ref: SymbolRef) -> list[str]:
    """The parameters pytest fills with fixtures: all named ones but a method's first (`self`/`cls`),
    unless the method is static."""
    parameters = list(ref.definition.parameters)  # type: ignore[union-attr]
    owner = file_symbols.by_path.get(ref.path[:-1])
    if ref.label == "Method" and owner is not None and owner.label == "Class" and not ref.definition.is_static:  # type: ignore[union-attr]
        parameters = parameters[1:]
    return [name for name in parameters if name.isidentifier()]


def _self_and_classes(file_symbols: FileSymbols, ref: SymbolRef) -> list[SymbolRef]:
    """``ref``, then the classes it is nested in, the innermost first."""
    found = [ref]
    for depth in range(len(ref.path) - 1, 0, -1):
        holder = file_symbols.by_path.get(ref.path[:depth])
        if holder is not None and holder.label == "Class":
            found.append(holder)
    return found


def _conftests_above(path: str) -> list[str]:
    """`conftest.py` in the file's folder and in each folder above it, the nearest first."""
    folders = PurePosixPath(path).parents
    return [str(folder / CONFTEST) if str(folder) != "." else CONFTEST for folder in folders]


def _call(expression: str) -> ast.Call | None:
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    return node if isinstance(node, ast.Call) else None


def _keyword_string(expression: str, keyword: str) -> str:
    """The string constant given as ``keyword=`` in a decorator call, "" when there is none."""
    call = _call(expression)
    for argument in call.keywords if call is not None else ():
        if argument.arg == keyword and isinstance(argument.value, ast.Constant) and isinstance(argument.value.value, str):
            return argument.value.value
    return ""


def _string_arguments(expression: str) -> list[str]:
    """The string constants a decorator call is given by position."""
    call = _call(expression)
    return [argument.value for argument in call.args if isinstance(argument, ast.Constant) and isinstance(argument.value, str)] \
        if call is not None else []
