"""Plain typed records that flow from pass to pass.

A ``FileParse`` is the whole output of parsing one file: a pure function of (path, bytes,
extractor version), so it can be cached by content hash and produced in worker processes.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, Literal, TypeVar, get_args

from codekg.record_pickling import pickled_by_position

Scope = tuple[str, ...]
"""Names of the enclosing definitions, outermost first; ``()`` is module level."""

DefinitionKind = Literal["Class", "Interface", "Function", "Method", "Variable", "Type", "Enum"]

ImportKind = Literal[
    "module",  # Python `import a.b` / `import a.b as m`
    "symbol",  # Python `from m import x`, JS `import { x } from 'm'`, `const { x } = require('m')`
    "star",  # Python `from m import *`
    "default",  # JS `import x from 'm'`
    "namespace",  # JS `import * as ns from 'm'`, `const ns = require('m')`
    "side-effect",  # JS `import 'm'`
    "reexport",  # JS `export { x as y } from 'm'`, `export * from 'm'`
]


@pickled_by_position
@dataclass(slots=True)
class Definition:
    """A class, interface, function, method or variable declared in a file."""

    kind: DefinitionKind
    name: str
    scope: Scope
    start_line: int
    end_line: int
    signature: str = ""
    docstring: str = ""
    bases: tuple[str, ...] = ()  # dotted expressions of base classes / extended interfaces
    implements: tuple[str, ...] = ()  # TS `implements` clause
    decorators: tuple[str, ...] = ()
    is_async: bool = False
    is_static: bool = False
    is_classmethod: bool = False
    is_property: bool = False
    # another declaration of a name defined elsewhere in the same scope that is not a call target of
    # its own: a typing `@overload` stub, a property setter or deleter
    is_variant: bool = False
    # declared under `if TYPE_CHECKING:`: seen by type checkers only, absent at run time
    is_type_only: bool = False
    # declared type of a Variable, as a dotted name (TS `private s: Service`), "" when none or not a plain name
    annotation: str = ""
    parameters: tuple[str, ...] = ()  # a function's positional parameter names, in order (Python)
    decorator_lines: tuple[int, ...] = ()  # the line of each of ``decorators``

    @property
    def is_runtime_target(self) -> bool:
        """Whether calls can reach this definition at run time as a definition of its own."""
        return not (self.is_variant or self.is_type_only)

    @property
    def path(self) -> Scope:
        """This definition's own scope path: ``scope + (name,)``."""
        return (*self.scope, self.name)


@pickled_by_position
@dataclass(slots=True)
class ImportBinding:
    """One name an import binds (or one module an import loads)."""

    kind: ImportKind
    module: str  # Python: dotted, leading dots for relative ("..pkg.mod"); JS: the specifier string
    name: str  # imported symbol ("" for a whole module; "*" for star imports; "default" for JS default)
    alias: str  # the local name bound ("" when nothing is bound)
    line: int
    scope: Scope = ()
    is_type_only: bool = False  # TS `import type { X }` / `import { type X }`: a type, never a run-time value


@pickled_by_position
@dataclass(slots=True)
class ExportBinding:
    """A name a module exports: ``exported`` is what importers see, ``local`` what it binds to.

    Python: the names of a literal ``__all__`` (``exported == local``), which limit a star import;
    ``exported == "*"`` marks an ``__all__`` whose contents are not all literal.
    """

    exported: str  # "default" for default exports
    local: str  # local definition name ("" when the export is an anonymous expression)
    line: int
    # CommonJS (`module.exports = X`, `exports.x = …`, TS `export =`): a "default" one is the module's
    # whole value, which `require()` returns
    commonjs: bool = False


@pickled_by_position
@dataclass(slots=True)
class CallSite:
    """A call (or ``new``) expression and where it happens."""

    callee: str  # the called name: `f` in `f()`, `m` in `a.b.m()`
    # dotted receiver text (`a.b`, `self`, `this`, `super`), None for a bare call; for ELEMENT_CALL,
    # the container whose element is called
    receiver: str | None
    scope: Scope  # enclosing definition path; () = module level
    line: int
    is_new: bool = False  # JS/TS `new C()`
    # positional arguments up to the first keyword or unpacked one: a plain name, or "" for any other
    # expression (Python): what a callback parameter of the callee is bound to
    arguments: tuple[str, ...] = ()


ELEMENT_CALL = "[]"
"""The callee of a call to an element of a named container, `handlers[key]()`."""


@pickled_by_position
@dataclass(slots=True)
class LocalBinding:
    """A name bound inside a function (parameter, assignment, loop or `with` target).

    Resolution needs these to know that a name is local, so it is never mistaken for a
    module-level or global definition of the same name. A binding of the scope itself (a named
    function's parameters and locals, a module-level loop variable) has ``region_start ==
    region_end == 0``. A binding of an anonymous function, lambda or comprehension, which has no
    scope path of its own, carries that function's lines: it shadows only calls inside them.
    """

    name: str
    scope: Scope
    line: int
    region_start: int
    region_end: int
    annotation: str = ""  # declared type as a dotted name (TS `s: Service`), "" when none or not a plain name


ValueKind = Literal[
    "call",  # the result of calling `source`: `x = Cls()`, `x = make()`
    "await",  # the awaited result of calling `source`: `x = await fetch()`
    "enter",  # what entering the context manager `source()` gives: `with Cls() as x`
    "async-enter",  # the same for `async with Cls() as x`: what awaiting `Cls().__aenter__()` gives
    "type",  # declared to be an instance of `source`: `x: Cls`, `def f(x: Cls)`, `-> Cls`
    "alias",  # the value of the name `source`: `f = g`, `return helper`, `self.repo = repo`
    "items",  # a list, tuple, set or dict literal whose values are the names in `source` (`,`-separated)
    "element",  # one element of the container named `source`: `for f in handlers`, `f = handlers[k]`
    "other",  # any other binding: its value is not known
]

RETURN_TARGET = "<return>"
"""The target of a function's return facts (`-> Cls`, each `return …`): never a name in any language."""

CALL_RESULT_RECEIVER = "<expr>call:"
"""The receiver of a call on what another call gives (`Cls().m()`, `new C().m()`, `make().go()`), then
that call's dotted callee: an expression receiver (`<expr>`) to every rule but resolve/types.py's."""

YIELD_TARGET = "<yield>"
"""The target of what a generator function yields (each `yield …`): a pytest fixture hands the test the
value it yields. Its RETURN_TARGET facts say `other` for each yield (calling it gives a generator)."""


@pickled_by_position
@dataclass(slots=True)
class ValueBinding:
    """One binding of a name (or of ``self.attr``) and what the extractor can tell about its value.

    For every (scope, target) that has one binding of a known kind, *every* binding of that target
    in that scope is recorded, the unknown ones as ``other``, so resolution can tell "bound once to
    an instance of Cls" from "sometimes an instance of Cls". Targets are a plain name, ``self.attr``
    (an attribute of the instance, bound in a method or declared in the class body) or
    ``RETURN_TARGET`` (what the function of ``scope`` returns) or ``YIELD_TARGET`` (what it yields).
    """

    target: str
    scope: Scope
    line: int
    kind: ValueKind
    source: str = ""  # a dotted expression, as written


FlowKind = Literal[
    "assign",  # a binding `target = value`: assignments, walrus, `def`/`class` statements, `except … as`
    "call",  # one call expression; its result is the expression ("call", index)
    "parameter",  # one parameter of the scope's function
    "return",  # what the scope's function returns
    "yield",  # what the scope's function (a generator) yields
    "raise",  # `raise X(…)` / `raise X`
    "iterate",  # `for target in value`, comprehensions, `yield from`, `*value`: the iteration protocol
    # (name "async": `async for`, __aiter__ and __anext__)
    "enter",  # `with value as target`: the context manager protocol (name "async": `async with`)
    "operator",  # a protocol call of the dunder `name` on the operand `value`: `a + b`, `x[k]`, `len(x)`
    "decorate",  # the name `target` is replaced by its decorators' results, innermost first
    "extends",  # JS/TS `class … extends value`: the class ("def", path) in `target` inherits what value holds
]

Expression = tuple
"""A value as the flow solver sees it (nested tuples; docs/value-flow.md): ("name", n), ("attr", e, a),
("item", e, key or None), ("call", index), ("def", path), ("alloc", index), ("super",), ("this",),
("instance", e) (an instance of the class e, not constructed here: `except E as e`),
("either", (e, …)) (one of several: `a or b`, `a if c else b`), ("unknown",)."""

Pattern = tuple
"""What a binding binds (nested tuples): ("name", n), ("attr", e, a), ("item", e, key or None),
("seq", (pattern, …), position of the starred pattern or -1), ("unknown",) (binds nothing known)."""


@pickled_by_position
@dataclass(slots=True)
class FlowFact:
    """One language-neutral value-flow fact (docs/value-flow.md), in the scope whose code makes it.

    Which fields a kind uses: ``assign`` target, value; ``call`` value (the callee), arguments
    ((kind, keyword, expression), …) with kind "positional" | "keyword" | "star" | "double-star",
    index, is_new; ``parameter`` target ("name", n), index (position), name (the parameter kind
    "positional" | "keyword-only" | "star" | "double-star"), value (the default expression, () when
    none); ``return``/``yield``/``raise`` value; ``iterate``/``enter`` target (() when nothing is
    bound), value, name ("async" for `async for` and `async with`, which run __aiter__/__anext__ and
    __aenter__/__aexit__); ``operator`` value (the operand whose class defines the dunder), name (the dunder),
    arguments (the other operands' expressions), index (its result is ("call", index)), target (the
    builtin's name of `len(x)`, `hash(x)`: the fact holds only where that name is the builtin); ``decorate``
    target, arguments (the decorator expressions, innermost first), name ("method" for a JS/TS class
    method, whose decorators follow the descriptor protocol). ``conditional``: the fact's code
    may not run when its scope runs (in an `if`, loop, `try`, `match`, comprehension, short-circuit).
    """

    kind: FlowKind
    scope: Scope
    line: int
    target: Pattern = ()
    value: Expression = ()
    arguments: tuple = ()
    index: int = -1
    conditional: bool = False
    name: str = ""
    is_new: bool = False


NameUseKind = Literal[
    "type",  # names a type: an annotation, a signature, `isinstance(x, T)`, `x instanceof T`, a type alias
    "read",  # reads a variable: `LIMIT`, `config.LIMIT`, `self.count`, `Color.RED`
    "write",  # assigns it: `self.count = …`, `self.count += 1`, `global LIMIT; LIMIT = …`
]


@pickled_by_position
@dataclass(slots=True)
class NameUse:
    """A dotted name that code (or a declaration) uses other than by calling it: what USES and
    ACCESSES edges are resolved from (passes/resolve.py)."""

    kind: NameUseKind
    name: str  # dotted, as written: `Foo`, `mod.Foo`, `self.count`, `this.count`
    scope: Scope  # the definition whose code or declaration it is in; () = module level
    line: int


@pickled_by_position
@dataclass(slots=True)
class SqlStatement:
    """One SQL statement: of a `.sql` file, or a string literal a call runs (sql/statements.py).
    Names are normalised (tests/fixtures/lineage/README.md): `<default>.orders`, `sales.orders.id`."""

    line: int
    end_line: int
    operation: str  # insert, create_table, create_view, select, update, merge, copy, rename, drop, ... ("" unread)
    reads: tuple[str, ...] = ()  # tables it reads
    writes: tuple[str, ...] = ()  # tables it writes
    columns: tuple[tuple[str, str, str], ...] = ()  # (source column, target column, the target's expression)
    declared: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (table, its columns) a CREATE TABLE declares
    dialect: str = ""  # sqlglot's name; "" is ansi
    text: str = ""  # the statement as written, cut at SQL_TEXT_LIMIT characters
    error: str = ""  # why it could not be read (the parser's message); then operation is ""
    scope: Scope = ()  # embedded SQL: the definition whose code runs it (() = module level)
    call: str = ""  # embedded SQL: the call that runs it (`cursor.execute`); "" in a `.sql` file


SQL_TEXT_LIMIT = 2000


@pickled_by_position
@dataclass(slots=True)
class PackageManifest:
    """A distribution a manifest declares (`pyproject.toml`, `package.json`): what it is and what it needs."""

    name: str
    version: str
    ecosystem: str  # "python" or "npm"
    # (distribution name, the declared version range as written, kind: runtime / optional:<extra> / dev / peer / build)
    dependencies: tuple[tuple[str, str, str], ...] = ()


@pickled_by_position
@dataclass(slots=True)
class OntologyTerm:
    """An ontology (kind "ontology", its IRI its own id), or a class or property an ontology file
    declares, with the named terms it points at, or (kind "prefix") a prefix the file binds: ``label``
    the prefix, ``iri`` its namespace (codekg/ontology)."""

    iri: str
    kind: str  # "ontology" | "class" | "object" | "datatype" | "annotation" | "prefix"
    ontology_id: str  # the IRI of the `owl:Ontology` the file declares, its page's `ontology::`, or "default"
    label: str = ""
    comment: str = ""
    line: int = 1  # where the term first appears in the file
    parents: tuple[str, ...] = ()  # rdfs:subClassOf / rdfs:subPropertyOf, named terms only
    domains: tuple[str, ...] = ()
    ranges: tuple[str, ...] = ()  # classes
    datatype_ranges: tuple[str, ...] = ()  # `xsd:string`, `rdfs:Literal`: no class, no edge
    axioms: tuple[tuple[str, str], ...] = ()  # (kind, text): restrictions, equivalences, characteristics
    file_sha1: str = ""  # of the bytes of the file that declares it
    end_line: int = 0  # the last line of its statement or section (0: ``line``): where a change to it lands


@pickled_by_position
@dataclass(slots=True)
class TermMention:
    """An IRI or a CURIE written in a file (`ex:Person` in quotes in code, anywhere in a page's prose):
    a MENTIONS edge when an ontology of the repository declares it."""

    line: int
    text: str


Item = TypeVar("Item")


class PackedList(Sequence[Item]):
    """A list of records kept pickled until it is read. A parse worker packs the lists the resolve pass
    reads file by file (PACKED_LISTS): they cross to the parent as one string, wait there about a
    sixth of their size as objects, are read when their file's turn comes, and are let go again
    (`release`). Pickling it again (the index state stores each file's record) writes the same string
    out, without the objects. Reading it is reading a list: equal to a list of the same items."""

    __slots__ = ("_blob", "_count", "_items")
    __hash__ = None  # type: ignore[assignment]  # a list is unhashable; so is this

    def __init__(self, blob: bytes, count: int) -> None:
        self._blob, self._count, self._items = blob, count, None

    @classmethod
    def of(cls, items: list[Item]) -> "PackedList[Item]":
        return cls(pickle.dumps(items, 5), len(items))

    def _loaded(self) -> list[Item]:
        items = self._items
        if items is None:
            items = self._items = pickle.loads(self._blob)
        return items

    def release(self) -> None:
        """Let the objects go; the next read unpickles them again."""
        self._items = None

    @property
    def loaded(self) -> bool:
        """Whether the objects are held now (read, and not let go since)."""
        return self._items is not None

    def __len__(self) -> int:
        return self._count

    def __iter__(self) -> Iterator[Item]:
        return iter(self._loaded())

    def __getitem__(self, index: Any) -> Any:
        return self._loaded()[index]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedList):
            return self._count == other._count and (self._blob == other._blob or self._loaded() == other._loaded())
        if isinstance(other, list):
            return self._count == len(other) and self._loaded() == other
        return NotImplemented

    def __reduce__(self) -> tuple[type, tuple[bytes, int]]:
        return PackedList, (self._blob, self._count)

    def __repr__(self) -> str:
        return f"PackedList({self._loaded()!r})"


# The lists of a FileParse read only by the file's own structure and resolution: its call sites, local
# bindings and name uses (a file's definitions, imports and values are read by the files that import it)
OWN_LISTS = ("calls", "local_bindings", "uses")
# What a parse worker packs: the own lists, and the value bindings, which the resolve pass reads into
# an index of a bounded number of files at a time (resolve/types.py)
PACKED_LISTS = (*OWN_LISTS, "values")


def pack_lists(parsed: "FileParse") -> None:
    """Keep the file's PACKED_LISTS pickled until the resolve pass reads them (PackedList)."""
    for name in PACKED_LISTS:
        items = getattr(parsed, name)
        if items and type(items) is list:
            setattr(parsed, name, PackedList.of(items))


def release_lists(parsed: "FileParse", names: tuple[str, ...] = OWN_LISTS) -> None:
    """Let the objects of the file's packed lists ``names`` go again once they were read."""
    for name in names:
        items = getattr(parsed, name)
        if type(items) is PackedList:
            items.release()


@pickled_by_position
@dataclass(slots=True)
class FileParse:
    """Everything one extractor run yields for one file."""

    path: str
    language: str
    line_count: int
    definitions: list[Definition] = field(default_factory=list)
    imports: list[ImportBinding] = field(default_factory=list)
    exports: list[ExportBinding] = field(default_factory=list)
    calls: list[CallSite] | PackedList[CallSite] = field(default_factory=list)
    local_bindings: list[LocalBinding] | PackedList[LocalBinding] = field(default_factory=list)
    values: list[ValueBinding] | PackedList[ValueBinding] = field(default_factory=list)
    sql: list[SqlStatement] = field(default_factory=list)  # SQL statements: a `.sql` file's, or string literals run by calls
    packages: list[PackageManifest] = field(default_factory=list)  # a manifest's distribution (one at most)
    ontology: list[OntologyTerm] = field(default_factory=list)  # an ontology file's or page's terms
    mentions: list[TermMention] = field(default_factory=list)  # IRIs and CURIEs the file writes
    uses: list[NameUse] | PackedList[NameUse] = field(default_factory=list)  # names used as types, variables read or written
    flow: list[FlowFact] = field(default_factory=list)  # value-flow facts, in evaluation order
    parse_errors: int = 0  # ERROR/MISSING regions tree-sitter recovered from
    docstring: str = ""  # module docstring / leading file comment
    content_hash: str = ""  # SHA-256 of the bytes (filled by the parse pass)
    size_bytes: int = 0
    invalid_utf8: bool = False  # the bytes were not valid UTF-8; text was decoded with replacement
    encoding: str = "utf-8"  # the codec the source was decoded with (a Python coding cookie, a BOM)
    # what the extractor could not take as written: a cut at a bound, an unknown or wrong encoding
    warnings: list[str] = field(default_factory=list)
    # the file's modification time this run read (set by the parse pass after the cache: not part of
    # what was extracted); an ontology term's `last_synced`
    mtime_ns: int = field(default=0, compare=False)


_TUPLE_FIELDS = frozenset({"scope", "bases", "implements", "decorators", "parameters", "arguments", "reads", "writes",
                           "decorator_lines"})
_LIST_FIELDS = ("definitions", "imports", "exports", "calls", "local_bindings", "values", "sql", "packages", "ontology",
                "mentions", "uses", "flow")
_ITEM_TYPES = {"definitions": Definition, "imports": ImportBinding, "exports": ExportBinding,
               "calls": CallSite, "local_bindings": LocalBinding, "values": ValueBinding, "sql": SqlStatement,
               "packages": PackageManifest, "ontology": OntologyTerm, "mentions": TermMention, "uses": NameUse,
               "flow": FlowFact}
# a flow fact's fields hold nested tuples (expressions, patterns), which JSON gives back as nested lists
_NESTED_TUPLE_FIELDS = {"flow": frozenset({"target", "value", "arguments"}), "sql": frozenset({"columns", "declared"}),
                        "packages": frozenset({"dependencies"}),
                        "ontology": frozenset({"parents", "domains", "ranges", "datatype_ranges", "axioms"})}


def _field_names(record_type: type) -> tuple[str, ...]:
    from dataclasses import fields

    return tuple(f.name for f in fields(record_type))


_FILE_FIELDS = tuple(name for name in _field_names(FileParse) if name not in _LIST_FIELDS)
_ITEM_FIELDS = {name: _field_names(record_type) for name, record_type in _ITEM_TYPES.items()}
_NESTED_TUPLE_POSITIONS = {
    name: tuple(index for index, field_name in enumerate(names) if field_name in _NESTED_TUPLE_FIELDS.get(name, ()))
    for name, names in _ITEM_FIELDS.items()
}
_FILE_VALUES = attrgetter(*_FILE_FIELDS)  # several fields each: a tuple, written as an array
_ITEM_VALUES = {name: attrgetter(*names) if len(names) > 1 else (lambda item, name=names[0]: (getattr(item, name),))
                for name, names in _ITEM_FIELDS.items()}
ITEM_FIELDS = _ITEM_FIELDS  # each list of FileParse: its records' field names, in order
_TUPLE_POSITIONS = {
    name: tuple(index for index, field_name in enumerate(names)
                if field_name in _TUPLE_FIELDS and index not in _NESTED_TUPLE_POSITIONS[name])
    for name, names in _ITEM_FIELDS.items()
}


def nested_tuple(value: object) -> object:
    """``value`` with every list inside it, at any depth, made a tuple (without recursion)."""
    if type(value) is not list:
        return value
    # each list with the slot that holds it, in pre-order; backwards, a list is converted after all
    # the lists inside it
    slots: list[tuple[list, list | None, int]] = []
    pending: list[tuple[list, list | None, int]] = [(value, None, 0)]
    while pending:
        current = pending.pop()
        slots.append(current)
        items = current[0]
        for position, item in enumerate(items):
            if type(item) is list:
                pending.append((item, items, position))
    for items, parent, position in reversed(slots):
        if parent is not None:
            parent[position] = tuple(items)
    return tuple(value)


# A flow fact's row in the JSON encoding: [kind, scope number, line, target, value, conditional,
# arguments, index, name, is_new] without the trailing fields that hold their default, the kind a
# number in _FLOW_KINDS (its name when not there) and the scope a number in the file's scope table:
# a third of the size of every field written out, and one tuple per scope when read back.
_FLOW_KINDS: tuple[str, ...] = get_args(FlowKind)
_FLOW_KIND_NUMBERS = {kind: number for number, kind in enumerate(_FLOW_KINDS)}
_FLOW_ROW_DEFAULTS = (None, None, None, (), (), False, (), -1, "", False)


def _flow_rows(facts: list[FlowFact]) -> tuple[list[list], list[Scope]]:
    scopes: dict[Scope, int] = {}
    rows = []
    defaults = _FLOW_ROW_DEFAULTS
    for fact in facts:
        scope = scopes.get(fact.scope)
        if scope is None:
            scope = scopes[fact.scope] = len(scopes)
        row = [_FLOW_KIND_NUMBERS.get(fact.kind, fact.kind), scope, fact.line, fact.target, fact.value,
               fact.conditional, fact.arguments, fact.index, fact.name, fact.is_new]
        end = 10
        while end > 3 and row[end - 1] == defaults[end - 1] and type(row[end - 1]) is type(defaults[end - 1]):
            end -= 1
        del row[end:]
        rows.append(row)
    return rows, list(scopes)


def _flow_facts(rows: list, scope_table: list) -> list[FlowFact]:
    scopes = [tuple(scope) for scope in scope_table]
    facts = []
    for row in rows:
        if not 3 <= len(row) <= 10:
            raise ValueError("not a flow fact row")
        kind, scope, line, target, value, conditional, arguments, index, name, is_new = (
            row + list(_FLOW_ROW_DEFAULTS[len(row):]))
        facts.append(FlowFact(_FLOW_KINDS[kind] if type(kind) is int else kind, scopes[scope], line,
                              nested_tuple(target), nested_tuple(value), nested_tuple(arguments), index,
                              conditional, name, is_new))
    return facts


def file_parse_to_json(parsed: FileParse) -> bytes:
    """A compact positional encoding of a parse record (for the parse cache): each record is the array
    of its field values in declaration order, which is several times faster than ``asdict``; flow
    facts are rows of their own (_flow_rows), followed by the file's scope table. orjson writes the
    same bytes as ``json.dumps(…, separators=(",", ":"), ensure_ascii=False)`` in a seventh of the time
    (0.48 s → 0.07 s for fastapi's records, written by the main thread while the workers parse)."""
    import orjson

    flow_rows, flow_scopes = _flow_rows(parsed.flow)
    payload = [
        _FILE_VALUES(parsed),
        *(list(map(_ITEM_VALUES[kind], getattr(parsed, kind))) for kind in _LIST_FIELDS if kind != "flow"),
        flow_rows,
        flow_scopes,
    ]
    return orjson.dumps(payload)


def file_parse_from_json(data: bytes) -> FileParse:
    """The inverse of ``file_parse_to_json``; raises ValueError/TypeError/IndexError on foreign data.

    Collections are paused meanwhile: every object it makes stays alive, and the collections that
    the tens of thousands of tuples of a file's flow facts would trigger doubled the time."""
    from codekg.garbage import collection_paused

    with collection_paused():
        return _file_parse_from_json(data)


def _file_parse_from_json(data: bytes) -> FileParse:
    import orjson

    head, *lists, flow_scopes = orjson.loads(data)
    if len(lists) != len(_LIST_FIELDS) or len(head) != len(_FILE_FIELDS) or _LIST_FIELDS[-1] != "flow":
        raise ValueError("not a parse record of this codekg version")
    items: dict[str, list] = {"flow": _flow_facts(lists.pop(), flow_scopes)}
    for kind, rows in zip(_LIST_FIELDS, lists):
        record_type, tuple_positions = _ITEM_TYPES[kind], _TUPLE_POSITIONS[kind]
        nested_positions = _NESTED_TUPLE_POSITIONS[kind]
        built = []
        for row in rows:
            for position in tuple_positions:
                row[position] = tuple(row[position])
            for position in nested_positions:
                row[position] = nested_tuple(row[position])
            built.append(record_type(*row))
        items[kind] = built
    return FileParse(**dict(zip(_FILE_FIELDS, head)), **items)
