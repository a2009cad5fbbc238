"""pytest fixtures: a test, or a fixture, that names a fixture as a parameter runs it.

pytest calls every fixture a test requests by parameter name before the test, and hands the test its
value; for the questions codekg answers (what runs this fixture, what breaks if it changes), the test
calls it. Which definition a name means follows pytest's lookup ("fixture availability" in its docs):
the requesting function's class, its module, then the `conftest.py` of its folder and of each folder
above it, the nearest first. A fixture that requests its own name gets the next one out (an override
that extends the fixture it replaces). A name found nowhere is a builtin or a plugin's fixture
(`tmp_path`, `monkeypatch`): no edge. `@pytest.mark.usefixtures("name")` on a function or its class
requests too; a parameter `@pytest.mark.parametrize` fills does not. A requested parameter holds what
its fixture returns, or first yields (`fixture_for`, read by resolve/types.py): `env.from_string()`
in a test whose `env` fixture returns `Environment()` calls `Environment.from_string`.

Only the files pytest collects by default hold tests and fixtures here: `test_*.py`, `*_test.py` and
`conftest.py` (fixtures a `pytest_plugins` module defines are not followed). A fixture is a function
or method decorated with `pytest.fixture` (or `pytest_asyncio.fixture`),
written `@pytest.fixture`, `@fixture` imported from pytest, with or without arguments; its name is the
decorator's `name=`, else its own. Requesters are functions and methods named `test*` (pytest's
default `python_functions`) and fixtures, in any file; a method's `self`/`cls` requests nothing.
Fixtures of plugins (`pytest_plugins`, entry points) and `autouse` fixtures (which every test in their
reach runs unasked) give no edges.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache

from codekg.records import Scope
from codekg.resolve.calls import CallEdge
from codekg.resolve.dependencies import RecordedCache
from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef

FIXTURE_DECORATORS = frozenset({"pytest.fixture", "pytest_asyncio.fixture"})
USEFIXTURES = "pytest.mark.usefixtures"
PARAMETRIZE = "pytest.mark.parametrize"
REASON = "pytest-fixture"
# pytest's own lookup, but a plugin, a `pytest_plugins` list or an ini option can change what a name means
CONFIDENCE = 0.9
CONFTEST = "conftest.py"
FUNCTION_LABELS = ("Function", "Method")


def fixture_calls(fixtures: Fixtures, file_symbols: FileSymbols) -> list[CallEdge]:
    """A CALLS edge from each test or fixture of a Python file to each fixture it requests."""
    if file_symbols.parse.language != "python" or not collected_by_pytest(file_symbols.parse.path):
        return []
    return fixtures.requests(file_symbols)


class Fixtures:
    """The fixtures each file defines, by (class path or () for the module, fixture name); asked once
    per file, whoever asks (a conftest.py is read by every test file below it)."""

    def __init__(self, symbols: SymbolIndex, names: NameResolver) -> None:
        self.symbols, self.names = symbols, names
        self._defined: RecordedCache[str, dict[tuple[Scope, str], SymbolRef]] = RecordedCache(symbols.recorder)
        self._requester_ids: RecordedCache[str, frozenset[str]] = RecordedCache(symbols.recorder)
        self._fixture_modules: RecordedCache[str, list[dict[tuple[Scope, str], SymbolRef]]] = RecordedCache(symbols.recorder)

    def defined_in(self, path: str) -> dict[tuple[Scope, str], SymbolRef]:
        if not collected_by_pytest(path):
            return {}
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

    def requests(self, file_symbols: FileSymbols) -> list[CallEdge]:
        """A call from each test or fixture of the file to each fixture it requests, resolved as pytest would."""
        result: list[CallEdge] = []
        for ref in self._requesters(file_symbols):
            for name in dict.fromkeys(self._requested(file_symbols, ref) + self._used_fixtures(file_symbols, ref)):
                fixture = self._resolve(file_symbols, ref, name)
                if fixture is not None:
                    result.append(CallEdge(ref, Resolved(REASON, CONFIDENCE, ref=fixture), ref.definition.start_line))  # type: ignore[union-attr]
        return result

    def fixture_for(self, file_symbols: FileSymbols, function: SymbolRef, parameter: str) -> SymbolRef | None:
        """The fixture whose value pytest passes as ``parameter`` of ``function`` (a test or a fixture
        of the file), None when it passes none: what the parameter holds (resolve/types.py)."""
        path = file_symbols.parse.path
        if not collected_by_pytest(path) or function.id not in self._requester_ids.get(
                path, lambda: frozenset(ref.id for ref in self._requesters(file_symbols))):
            return None
        if parameter not in self._requested(file_symbols, function):
            return None
        return self._resolve(file_symbols, function, parameter)

    def _requesters(self, file_symbols: FileSymbols) -> list[SymbolRef]:
        """The file's tests (`test*` functions and methods) and fixtures: whose parameters pytest fills."""
        own_fixtures = {ref.id for ref in self.defined_in(file_symbols.parse.path).values()}
        return [ref for ref in file_symbols.all_refs()
                if ref.label in FUNCTION_LABELS and ref.definition is not None and ref.definition.is_runtime_target
                and (ref.path[-1].startswith("test") or ref.id in own_fixtures)]

    def _resolve(self, file_symbols: FileSymbols, requester: SymbolRef, name: str) -> SymbolRef | None:
        """The fixture ``name`` means for ``requester``: its classes', its module's, then the conftest.py
        files' from its folder up, the nearest first."""
        path = file_symbols.parse.path
        own = self.defined_in(path)
        modules = self._fixture_modules.get(path, lambda: [own] + [self.defined_in(conftest) for conftest in _conftests_above(path)
                                                                if conftest != path and conftest in self.symbols.files])
        classes = _self_and_classes(file_symbols, requester)[1:]
        return _first_other(requester, [own.get((holder.path, name)) for holder in classes]
                            + [module.get(((), name)) for module in modules])

    def _requested(self, file_symbols: FileSymbols, ref: SymbolRef) -> list[str]:
        """The parameters pytest fills with fixtures: not those a `@pytest.mark.parametrize` on the
        function or its classes fills with its values."""
        parameters = _requested_parameters(file_symbols, ref)
        if not parameters:
            return []  # most tests take none
        parametrized = {name for holder in _self_and_classes(file_symbols, ref)
                        for expression in (holder.definition.decorators if holder.definition is not None else ())
                        if "parametrize" in expression and self._meaning(file_symbols, holder.path[:-1], expression) == PARAMETRIZE
                        for name in _argument_names(expression)}
        return [name for name in parameters if name not in parametrized]

    def _used_fixtures(self, file_symbols: FileSymbols, ref: SymbolRef) -> list[str]:
        """The names of `@pytest.mark.usefixtures(...)` on the function and on its classes."""
        names: list[str] = []
        for holder in _self_and_classes(file_symbols, ref):
            for expression in holder.definition.decorators if holder.definition is not None else ():
                if "usefixtures" in expression and self._meaning(file_symbols, holder.path[:-1], expression) == USEFIXTURES:
                    names += _string_arguments(expression)
        return names


def collected_by_pytest(path: str) -> bool:
    """Whether pytest reads the file for tests and fixtures by default (`python_files`: `test_*.py`,
    `*_test.py`; and every `conftest.py`): the only files whose functions it runs or fills."""
    name = path.rsplit("/", 1)[-1]
    return name == CONFTEST or (name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py")))


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


@lru_cache(maxsize=4096)
def _conftests_above(path: str) -> tuple[str, ...]:
    """`conftest.py` in the file's folder and in each folder above it, the nearest first."""
    folders = path.split("/")[:-1]
    return tuple("/".join([*folders[:depth], CONFTEST]) for depth in range(len(folders), -1, -1))


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


# the first argument of `parametrize(...)`: a string or a list or tuple of strings, read without parsing
# the whole decorator (its cases can be thousands of lines long)
_ARGNAMES = re.compile(r"parametrize\(\s*(?:argnames\s*=\s*)?(\"[^\"]*\"|'[^']*'|\[[^\]]*\]|\([^)]*\))", re.S)


@lru_cache(maxsize=4096)
def _argument_names(expression: str) -> tuple[str, ...]:
    """The names `@pytest.mark.parametrize("a, b", …)` (or `["a", "b"]`, or `argnames=`) fills."""
    found = _ARGNAMES.search(expression)
    try:
        given = ast.literal_eval(found.group(1)) if found else None
    except (SyntaxError, ValueError):
        return ()
    if isinstance(given, str):
        return tuple(name.strip() for name in given.split(",") if name.strip())
    if isinstance(given, (list, tuple)):
        return tuple(name for name in given if isinstance(name, str))
    return ()
