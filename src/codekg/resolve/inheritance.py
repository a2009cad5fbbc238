"""Inheritance edges: EXTENDS for base classes and extended interfaces, IMPLEMENTS for `implements`."""

from __future__ import annotations

from dataclasses import dataclass

from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolRef


@dataclass(frozen=True, slots=True)
class InheritanceEdge:
    rel_type: str  # EXTENDS or IMPLEMENTS
    child: SymbolRef
    parent: Resolved


def resolve_file_inheritance(file_symbols: FileSymbols, names: NameResolver) -> list[InheritanceEdge]:
    """The EXTENDS and IMPLEMENTS edges of one file's classes and interfaces."""
    edges: list[InheritanceEdge] = []
    for ref in file_symbols.by_path.values():
        definition = ref.definition
        if definition is None or ref.label not in ("Class", "Interface"):
            continue
        scope = ref.path[:-1]
        for rel_type, expressions in (("EXTENDS", definition.bases), ("IMPLEMENTS", definition.implements)):
            for expression in expressions:
                parent = names.lookup_dotted(file_symbols, scope, expression)
                if parent is None or (parent.ref is None and not parent.external_name):
                    continue
                if parent.ref is not None and (parent.ref.id == ref.id or parent.ref.label not in ("Class", "Interface")):
                    continue
                edges.append(InheritanceEdge(rel_type, ref, parent))
    return edges
