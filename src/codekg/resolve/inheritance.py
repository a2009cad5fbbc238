"""Inheritance edges: EXTENDS for base classes and extended interfaces, IMPLEMENTS for `implements`,
and OVERRIDES from a method to the method of the same name it replaces along its class's MRO."""

from __future__ import annotations

from dataclasses import dataclass

from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import FileSymbols, SymbolRef
from codekg.schema import CLASS_LABELS


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
        if definition is None or ref.label not in CLASS_LABELS + ("Interface",):
            continue
        scope = ref.path[:-1]
        for rel_type, expressions in (("EXTENDS", definition.bases), ("IMPLEMENTS", definition.implements)):
            for expression in expressions:
                parent = names.lookup_base(file_symbols, scope, expression)
                if parent is None or (parent.ref is None and not parent.external_name):
                    continue
                if parent.ref is not None and (parent.ref.id == ref.id or parent.ref.label not in CLASS_LABELS + ("Interface",)):
                    continue
                edges.append(InheritanceEdge(rel_type, ref, parent))
    return edges


def resolve_file_overrides(file_symbols: FileSymbols, names: NameResolver) -> list[tuple[SymbolRef, SymbolRef]]:
    """(method, the base method it overrides) for each method of the file's classes: the nearest
    definition of its name after its own class in the class's MRO (C3 in Python, the `extends` chain
    in JS/TS). A Python name that is mangled (`__private`) overrides nothing; a variant (an
    `@overload` stub, a property setter) is not a method of its own."""
    found: list[tuple[SymbolRef, SymbolRef]] = []
    for ref in file_symbols.by_path.values():
        definition = ref.definition
        if ref.label != "Method" or definition is None or not definition.is_runtime_target:
            continue
        name = definition.name
        if file_symbols.parse.language == "python" and name.startswith("__") and not name.endswith("__"):
            continue
        owner = file_symbols.by_path.get(definition.scope)
        if owner is None or owner.label not in CLASS_LABELS + ("Interface",):
            continue
        base = names.hierarchy.find_member(owner, name, skip_own=True)
        if base is not None and base[0].label == "Method" and base[0].id != ref.id:
            found.append((ref, base[0]))
    return found


def resolve_file_ancestors(file_symbols: FileSymbols, names: NameResolver) -> list[tuple[SymbolRef, Resolved, int]]:
    """(class, ancestor, distance) for each class and interface of the file: INHERITS, the closure of
    EXTENDS. The ancestors are the repository classes of its MRO after itself, then each external
    base any of them names (at the position of the class naming it, plus one), each once."""
    found: list[tuple[SymbolRef, Resolved, int]] = []
    external_bases: dict[str, list[str]] = {}  # by class id: the file's classes share ancestors
    for ref in file_symbols.by_path.values():
        if ref.definition is None or ref.label not in CLASS_LABELS + ("Interface",) or not ref.definition.bases:
            continue
        mro = names.hierarchy.mro(ref)
        found.extend((ref, Resolved("mro", 1.0, ref=ancestor), position) for position, ancestor in enumerate(mro) if position)
        externals: set[str] = set()
        for position, ancestor in enumerate(mro):
            named = external_bases.get(ancestor.id)
            if named is None:
                named = external_bases[ancestor.id] = [b for b in names.hierarchy.bases(ancestor) if isinstance(b, str)]
            for base in named:
                if base not in externals:
                    externals.add(base)
                    found.append((ref, Resolved("mro", 1.0, external_name=base), position + 1))
    return found
