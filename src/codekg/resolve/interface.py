"""What other files can read of one file, as a digest per dependency key: an edit re-resolves only
the files that read something it changed (issue 15: an edit inside a function body re-resolves
that file alone, not every importer of a hub module).

A file gives other files two kinds of facts (resolve/dependencies.py records who reads which):

- its **outline**, key ``("file", path)``: definitions (names, kinds, bases, decorators,
  signatures, parameters), imports, exports, SQL, ontology terms, the module's docstring, and the
  bindings of its module and class bodies, with `self.attr` assignments wherever they are (a class's
  attributes are read as a whole); each top-level name is also a key ``("name", family, name)``;
- each function **body**, key ``("scope", path, *scope)`` of the outermost function: the values,
  local names, calls and uses of code inside it. Resolving another file reads a body only to follow
  a value into it (what a function returns, a local a closure reads): those reads record the body's
  key (`record_body_read`) as well as the file's.

A digest leaves out where things are: each line is replaced by its rank among the lines of the same
digest, so an edit that moves code down without reordering it changes no digest but the body it
edits. The file itself is always resolved again; the digests decide who else is.
"""

from __future__ import annotations

import hashlib
import marshal
from collections.abc import Callable, Iterable
from itertools import chain
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from codekg.records import ITEM_FIELDS, FileParse, Scope
from codekg.resolve.dependencies import DependencyKey

if TYPE_CHECKING:
    from codekg.resolve.dependencies import DependencyRecorder
    from codekg.resolve.symbols import FileSymbols

BODY_LABELS = frozenset({"Function", "Method"})  # code whose facts stay inside it
POSITION_FIELDS = frozenset({"line", "start_line", "end_line", "region_start", "region_end", "decorator_lines"})
# lists whose facts belong to the body they are written in; every other list is outline
SCOPED_LISTS = ("calls", "local_bindings", "values", "uses", "flow")
OUTLINE_LISTS = ("definitions", "imports", "exports", "sql", "packages", "ontology", "mentions")


def body_of(file_symbols: "FileSymbols", scope: Scope) -> Scope | None:
    """The outermost function ``scope`` lies in (itself included), or None at module or class level."""
    for depth in range(1, len(scope) + 1):
        ref = file_symbols.by_path.get(scope[:depth])
        if ref is not None and ref.label in BODY_LABELS:
            return scope[:depth]
    return None


def record_body_read(recorder: "DependencyRecorder", file_symbols: "FileSymbols", scope: Scope) -> None:
    """A read of what code in ``scope`` binds, calls or uses: it depends on the body around it."""
    body = body_of(file_symbols, scope)
    if body is not None:
        recorder.record(("scope", file_symbols.parse.path, *body))


def interface_digests(file_symbols: "FileSymbols", family: str) -> dict[DependencyKey, str]:
    """The digest of each key the file gives: its outline, each top-level name, each function body."""
    parse: FileParse = file_symbols.parse
    path = parse.path
    outline = _Facts()
    outline.add_plain((file_symbols.module_name, parse.language, parse.docstring))
    bodies: dict[Scope, _Facts] = {}
    body_cache: dict[Scope, Scope | None] = {}
    for list_name in OUTLINE_LISTS:
        outline.add_all(list_name, getattr(parse, list_name))
    for list_name in SCOPED_LISTS:
        by_body: dict[Scope | None, list[Any]] = {}
        for item in getattr(parse, list_name):
            scope = item.scope
            body = body_cache[scope] if scope in body_cache else body_cache.setdefault(scope, body_of(file_symbols, scope))
            if body is not None and list_name == "values" and "." in item.target:
                body = None  # `self.attr = …`: the class's attributes are read as a whole
            group = by_body.get(body)
            if group is None:
                group = by_body[body] = []
            group.append(item)
        for body, items in by_body.items():
            (outline if body is None else bodies.get(body) or bodies.setdefault(body, _Facts())).add_all(list_name, items)
    outline_ranks = outline.ranks()
    digests: dict[DependencyKey, str] = {("file", path): outline.digest(outline_ranks)}
    top_level = file_symbols.children.get((), {})
    if top_level:
        named: dict[str, _Facts] = {}
        for name, ref in top_level.items():
            named[name] = _Facts()
            named[name].add_plain((ref.label,))
        for definition in parse.definitions:
            if definition.scope == () and definition.name in named:
                named[definition.name].add_all("definitions", (definition,))
        for name, facts in named.items():  # its own lines: a function added above another leaves it as it was
            digests[("name", family, name)] = facts.digest(facts.ranks())
    for body, facts in bodies.items():
        digests[("scope", path, *body)] = facts.digest(facts.ranks())
    return digests


def differing_keys(old: dict[DependencyKey, str], new: dict[DependencyKey, str]) -> set[DependencyKey]:
    """The keys whose digest differs, or that one side has and the other not."""
    return {key for key in old.keys() | new.keys() if old.get(key) != new.get(key)}


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple]:
    if not names:
        return lambda item: ()
    if len(names) == 1:
        return lambda item, name=names[0]: (getattr(item, name),)
    return attrgetter(*names)


# each list of FileParse: its records' values without positions, and their positions
_WITHOUT_POSITIONS = {name: _getter(tuple(f for f in fields if f not in POSITION_FIELDS)) for name, fields in ITEM_FIELDS.items()}
_POSITIONS = {name: _getter(tuple(f for f in fields if f in POSITION_FIELDS)) for name, fields in ITEM_FIELDS.items()}
TUPLE_POSITION_FIELDS = frozenset({"decorator_lines"})  # a tuple of lines, not one
_NESTED_POSITIONS = frozenset(name for name, fields in ITEM_FIELDS.items() if TUPLE_POSITION_FIELDS & set(fields))


class _Facts:
    """The facts of one digest: their values without lines, and their lines in order, apart."""

    __slots__ = ("values", "lines")

    def __init__(self) -> None:
        self.values: list[Any] = []
        self.lines: list[int] = []

    def add_all(self, list_name: str, items: Iterable[Any]) -> None:
        items = list(items)
        if not items:
            return
        self.values.append(list_name)
        self.values.extend(map(_WITHOUT_POSITIONS[list_name], items))
        positions = map(_POSITIONS[list_name], items)
        if list_name in _NESTED_POSITIONS:
            for values in positions:
                for value in values:
                    if isinstance(value, tuple):
                        self.lines.extend(value)
                    else:
                        self.lines.append(value)
        else:
            self.lines.extend(chain.from_iterable(positions))

    def add_plain(self, values: tuple) -> None:
        self.values.append(values)

    def ranks(self) -> dict[int, int]:
        """Each line to its rank among them: the order stays, the distance goes."""
        return {line: rank for rank, line in enumerate(sorted(set(self.lines)))}

    def digest(self, ranks: dict[int, int]) -> str:
        """Equal records give one digest however they were made, parsed now or read from the parse
        cache: marshal's version 0 writes every value out (later versions write a string or object
        met twice as a reference, which depends on how the record was built)."""
        ordered = [ranks[line] for line in self.lines]
        return hashlib.blake2b(marshal.dumps((self.values, ordered), 0), digest_size=16).hexdigest()
