"""The symbol index: every definition by file, scope path, module name and short name.

Built once by the structure pass and read by every resolution rule; it holds node ids, so
resolution never has to look into the graph itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from codekg.records import Definition, FileParse, Scope


@dataclass(frozen=True, slots=True)
class SymbolRef:
    """A node a resolver can point an edge at."""

    label: str
    id: str
    qualified_name: str
    file_path: str = ""
    path: Scope = ()  # scope path inside its file; () for a Module
    definition: Definition | None = None

    @property
    def endpoint(self) -> tuple[str, str]:
        return (self.label, self.id)


@dataclass(slots=True)
class FileSymbols:
    """One file's module and definitions. Where a name is defined twice in one scope, ``by_path`` and
    ``children`` hold the later definition and ``duplicates`` holds all of them, for split edges."""

    parse: FileParse
    module_name: str
    file_ref: SymbolRef
    module_ref: SymbolRef
    by_path: dict[Scope, SymbolRef] = field(default_factory=dict)
    children: dict[Scope, dict[str, SymbolRef]] = field(default_factory=lambda: defaultdict(dict))
    # names bound in a scope itself (parameters, locals, module-level loop variables)
    local_names: dict[Scope, set[str]] = field(default_factory=lambda: defaultdict(set))
    # scope -> name -> lines of anonymous functions that bind the name (shadowing only inside them)
    local_regions: dict[Scope, dict[str, list[tuple[int, int]]]] = field(default_factory=lambda: defaultdict(dict))

    # every definition of a scope path, in source order, where a name is defined more than once
    duplicates: dict[Scope, list[SymbolRef]] = field(default_factory=dict)

    def bound_by_anonymous_function(self, scope: Scope, name: str, line: int) -> bool:
        return any(start <= line <= end for start, end in self.local_regions.get(scope, {}).get(name, ()))

    def definitions_of(self, ref: SymbolRef) -> list[SymbolRef]:
        """All definitions sharing ``ref``'s scope path (conditional or repeated definitions), or just it."""
        return self.duplicates.get(ref.path, [ref])

    def ref_for_scope(self, scope: Scope, line: int | None = None) -> SymbolRef:
        """The node code in ``scope`` runs in: the Module for (), else the enclosing definition (of
        twin definitions of one path, the one whose lines hold ``line``)."""
        if not scope:
            return self.module_ref
        ref = self.by_path.get(scope, self.module_ref)
        if line is not None and scope in self.duplicates:
            for twin in self.duplicates[scope]:
                if twin.definition is not None and twin.definition.start_line <= line <= twin.definition.end_line:
                    return twin
        return ref

    def top_level(self, name: str) -> SymbolRef | None:
        return self.children.get((), {}).get(name)


@dataclass(slots=True)
class SymbolIndex:
    files: dict[str, FileSymbols] = field(default_factory=dict)
    # Import names per resolution family. A module's own qualified name is authoritative; other names
    # a file could be imported under (the language's import_aliases) only count when unique.
    module_paths: dict[tuple[str, str], str] = field(default_factory=dict)  # (family, name) -> file
    module_aliases: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # (resolution family, short name) -> top-level classes, interfaces and functions: global guesses
    # never cross from Python into JavaScript or back
    by_name: dict[tuple[str, str], list[SymbolRef]] = field(default_factory=lambda: defaultdict(list))

    def module_path(self, family: str, name: str) -> str | None:
        """The file imported as dotted ``name``, or None when no file, or more than one, claims it."""
        path = self.module_paths.get((family, name))
        if path is not None:
            return path
        claimants = self.module_aliases.get((family, name), ())
        return next(iter(claimants)) if len(claimants) == 1 else None
