"""USES and ACCESSES: the types a symbol names and the variables code reads or writes.

Each name use of the parse (`NameUse`) is looked up where it is written, as a call's name would be:
a type must mean a class, interface, type alias or enum of the repository (a library type is not a
node of its own); a variable access must mean a Variable: a module-level one (by name, through its
module or an import), a class-level one or field (through `self`/`cls`/`this` or the class), an enum
member. One edge per (user, target): its line is the first use, ``count`` the number of uses.
"""

from __future__ import annotations

from dataclasses import dataclass

from codekg.languages import EXTRACTORS
from codekg.records import NameUse, Scope
from codekg.resolve.declared_types import declared_type
from codekg.resolve.names import INHERITED_MEMBER_CONFIDENCE, SELF_MEMBER_CONFIDENCE, NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolRef


@dataclass(slots=True)
class UseEdge:
    """A USES or ACCESSES edge with what it aggregates."""

    rel_type: str
    user: SymbolRef
    target: Resolved
    line: int
    count: int = 1
    reads: bool = False
    writes: bool = False

    @property
    def mode(self) -> str:
        return "read-write" if self.reads and self.writes else "write" if self.writes else "read"


def resolve_file_uses(file_symbols: FileSymbols, names: NameResolver) -> list[UseEdge]:
    """The file's USES and ACCESSES edges, in order of their first use."""
    edges: dict[tuple[str, str, str], UseEdge] = {}
    file_names = _FileNames(file_symbols, names)
    meanings: dict[tuple[str, Scope, str], Resolved | None] = {}
    for use in file_symbols.parse.uses:
        head = use.name.partition(".")[0]
        if not file_names.may_mean_a_node(head):
            continue
        key = file_names.meaning_key(use, head)
        if key is not None and key in meanings:
            target = meanings[key]
        else:
            target = _type(names, file_symbols, use) if use.kind == "type" else _variable(names, file_symbols, use)
            if key is not None:
                meanings[key] = target
        if target is None:
            continue
        if use.kind == "type":
            user, rel_type = _type_user(file_symbols, use.scope, use.line), "USES"
        else:
            user, rel_type = file_symbols.ref_for_scope(use.scope, use.line), "ACCESSES"
        if target.ref is None or target.ref.id == user.id:
            continue
        edge_key = (rel_type, user.id, target.ref.id)
        edge = edges.get(edge_key)
        if edge is None:
            edge = edges[edge_key] = UseEdge(rel_type, user, target, use.line, 0)
        edge.count += 1
        edge.reads |= use.kind == "read"
        edge.writes |= use.kind == "write"
    return list(edges.values())


class _FileNames:
    """What the file binds, so that a name is looked up once per meaning rather than once per use."""

    def __init__(self, file_symbols: FileSymbols, names: NameResolver) -> None:
        file_imports = names.file_imports(file_symbols.parse.path)
        self.self_receivers = EXTRACTORS[file_symbols.parse.language].self_receivers
        self.star_imports = bool(file_imports.star_files)
        bindings = file_imports.bindings
        # names bound anywhere: by an import (`import a.b` binds `a.b`) or a definition
        self.bound = {name.partition(".")[0] for name in bindings}
        # names bound in some function or class (they may mean something else there than in the module)
        self.scoped = {name.partition(".")[0] for name, targets in bindings.items() if any(t.scope for t in targets)}
        for scope, children in file_symbols.children.items():
            self.bound.update(children)
            if scope:
                self.scoped.update(children)
        for scope, local in file_symbols.local_names.items():
            if scope:
                self.scoped.update(local)
        # names an anonymous function binds: their meaning depends on the line
        self.regional = {name for regions in file_symbols.local_regions.values() for name in regions}

    def may_mean_a_node(self, head: str) -> bool:
        """A name the file neither imports nor defines (and does not star-import) is a local, a
        builtin or unknown wherever it is written: most annotations name `str`, `int`, …"""
        return self.star_imports or head in self.bound or head in self.self_receivers

    def meaning_key(self, use: NameUse, head: str) -> tuple[str, Scope, str] | None:
        """Uses with one key have one meaning; None: look this use up by itself. A name bound only
        at module level means the same in every scope of the file."""
        if head in self.self_receivers or head in self.regional:
            return None
        global_write = use.kind == "write" and head == use.name  # `global x; x = …`: the module's
        scope = () if global_write or head not in self.scoped else use.scope
        return ("type" if use.kind == "type" else "value", scope, use.name)


def _type(names: NameResolver, file_symbols: FileSymbols, use: NameUse) -> Resolved | None:
    found = declared_type(names, file_symbols, use.scope, use.name)
    return found if found is not None and found.ref is not None else None


def _type_user(file_symbols: FileSymbols, scope: Scope, line: int) -> SymbolRef:
    """Who uses a type: an interface or type alias whose body names it, else the code around the use
    (a function's signature belongs to the function)."""
    declared = file_symbols.by_path.get(scope)
    if declared is not None and declared.label in ("Interface", "Type"):
        return declared
    return file_symbols.ref_for_scope(scope, line)


def _variable(names: NameResolver, file_symbols: FileSymbols, use: NameUse) -> Resolved | None:
    """The Variable a read or write names, or None."""
    head, _, rest = use.name.partition(".")
    if head in EXTRACTORS[file_symbols.parse.language].self_receivers:
        owner = file_symbols.enclosing_class(use.scope)
        found = names.hierarchy.find_member(owner, rest.split(".", 1)[0]) if owner is not None and rest else None
        if found is None or found[0].label != "Variable":
            return None
        return Resolved("self-member", SELF_MEMBER_CONFIDENCE if found[1] == 0 else INHERITED_MEMBER_CONFIDENCE,
                        ref=found[0])
    # a plain name written is one a `global` statement declares: the module's own
    scope = () if use.kind == "write" and not rest else use.scope
    found = names.lookup_dotted(file_symbols, scope, use.name, use.line)
    if _is_variable(found):
        return found
    if rest:  # `settings.debug`: the attribute is no node of its own, but the module variable is read
        found = names.lookup(file_symbols, scope, head, use.line)
        if _is_variable(found):
            return found
    return None


def _is_variable(found: Resolved | None) -> bool:
    return found is not None and found.ref is not None and found.ref.label == "Variable"
