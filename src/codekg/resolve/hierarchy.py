"""Class hierarchy: base classes resolved to nodes, C3 method resolution order, member lookup."""

from __future__ import annotations

from collections.abc import Callable

from codekg.resolve.dependencies import RecordedCache
from codekg.resolve.symbols import SymbolIndex, SymbolRef
from codekg.schema import CLASS_LABELS

BaseResolver = Callable[[SymbolRef, str], "SymbolRef | str | None"]
"""Resolves a base-class expression written in a class: a repo class, an external name, or None."""


class ClassHierarchy:
    def __init__(self, symbols: SymbolIndex, resolve_base: BaseResolver) -> None:
        self.symbols = symbols
        self.resolve_base = resolve_base
        self._bases: RecordedCache[str, list[SymbolRef | str]] = RecordedCache(symbols.recorder)
        self._mro: RecordedCache[str, list[SymbolRef]] = RecordedCache(symbols.recorder)
        self._in_progress: set[tuple[str, str]] = set()  # cycle guard: a class that (indirectly) names itself

    def bases(self, class_ref: SymbolRef) -> list[SymbolRef | str]:
        """Direct bases in declaration order: repo classes as refs, the rest as external names."""
        if ("bases", class_ref.id) in self._in_progress:
            return []
        return self._guarded("bases", class_ref, self._bases, lambda: self._direct_bases(class_ref))

    def mro(self, class_ref: SymbolRef) -> list[SymbolRef]:
        """C3 linearisation over repository classes; falls back to depth-first order when C3 has no answer."""
        if ("mro", class_ref.id) in self._in_progress:
            return [class_ref]
        return self._guarded("mro", class_ref, self._mro, lambda: self._linearise(class_ref))

    def _guarded(self, kind: str, class_ref: SymbolRef, cache: RecordedCache, compute: Callable[[], list]) -> list:
        self._in_progress.add((kind, class_ref.id))
        try:
            return cache.get(class_ref.id, compute)
        finally:
            self._in_progress.discard((kind, class_ref.id))

    def _direct_bases(self, class_ref: SymbolRef) -> list[SymbolRef | str]:
        definition = class_ref.definition
        found: list[SymbolRef | str] = []
        for expression in definition.bases if definition is not None else ():
            base = self.resolve_base(class_ref, expression)
            if base is not None and (not isinstance(base, SymbolRef) or base.id != class_ref.id):
                found.append(base)
        return found

    def _linearise(self, class_ref: SymbolRef) -> list[SymbolRef]:
        parents = [b for b in self.bases(class_ref) if isinstance(b, SymbolRef) and b.label in CLASS_LABELS + ("Interface",)]
        sequences = [list(self.mro(parent)) for parent in parents] + [list(parents)]
        merged = _c3_merge(sequences)
        if merged is None:
            merged, seen = [], {class_ref.id}
            for sequence in sequences:
                for ref in sequence:
                    if ref.id not in seen:
                        seen.add(ref.id)
                        merged.append(ref)
        return [class_ref, *merged]

    def find_member(self, class_ref: SymbolRef, name: str, skip_own: bool = False) -> tuple[SymbolRef, int] | None:
        """The first definition of ``name`` along the MRO, and its position in it (0 = the class itself)."""
        for position, owner in enumerate(self.mro(class_ref)):
            if skip_own and position == 0:
                continue
            member = self.symbols.files[owner.file_path].children.get(owner.path, {}).get(name)
            if member is not None and not (member.definition is not None and member.definition.is_type_only):
                return member, position  # a TYPE_CHECKING-only member is not there at run time
        return None


def _c3_merge(sequences: list[list[SymbolRef]]) -> list[SymbolRef] | None:
    """C3's merge: repeatedly take the first head no sequence holds in its tail."""
    sequences = [s for s in sequences if s]
    merged: list[SymbolRef] = []
    while sequences:
        in_tails = {r.id for s in sequences for r in s[1:]}
        head = next((s[0] for s in sequences if s[0].id not in in_tails), None)
        if head is None:
            return None
        merged.append(head)
        sequences = [s[1:] if s[0].id == head.id else s for s in sequences]
        sequences = [s for s in sequences if s]
    return merged
