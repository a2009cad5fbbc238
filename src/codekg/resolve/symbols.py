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
    """One file's module and definitions. Where a name is bound twice in one scope, the later wins."""

    parse: FileParse
    module_name: str
    file_ref: SymbolRef
    module_ref: SymbolRef
    by_path: dict[Scope, SymbolRef] = field(default_factory=dict)
    children: dict[Scope, dict[str, SymbolRef]] = field(default_factory=lambda: defaultdict(dict))
    # scope -> name -> line regions where a local binding of that name shadows everything outside it
    local_regions: dict[Scope, dict[str, list[tuple[int, int]]]] = field(default_factory=lambda: defaultdict(dict))

    def is_local(self, scope: Scope, name: str, line: int) -> bool:
        return any(start <= line <= end for start, end in self.local_regions.get(scope, {}).get(name, ()))

    def ref_for_scope(self, scope: Scope) -> SymbolRef:
        """The node code in ``scope`` runs in: the Module for (), else the enclosing definition."""
        return self.by_path.get(scope, self.module_ref) if scope else self.module_ref

    def top_level(self, name: str) -> SymbolRef | None:
        return self.children.get((), {}).get(name)


@dataclass(slots=True)
class SymbolIndex:
    files: dict[str, FileSymbols] = field(default_factory=dict)
    module_paths: dict[str, str] = field(default_factory=dict)  # import name -> file path
    by_name: dict[str, list[SymbolRef]] = field(default_factory=lambda: defaultdict(list))
    by_id: dict[str, SymbolRef] = field(default_factory=dict)

    def add_module_name(self, name: str, path: str) -> None:
        """Register an import name for a file; the first file to claim a name keeps it."""
        if name:
            self.module_paths.setdefault(name, path)
