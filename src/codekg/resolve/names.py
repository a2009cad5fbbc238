"""Name lookup shared by every rule: what a (dotted) name means at a given place in a file.

Order: enclosing function scopes, the file's own top-level definitions, import bindings, star
imports, then the language's builtins. Each answer carries the reason and confidence an edge to
it will get. Global name guessing is not done here: only the call resolver may use it.
"""

from __future__ import annotations

from dataclasses import dataclass

from codekg.languages import EXTRACTORS
from codekg.records import Scope
from codekg.resolve.dependencies import RecordedCache
from codekg.resolve.hierarchy import ClassHierarchy
from codekg.resolve.imports import FileImports, ImportTarget, ModuleResolver
from codekg.resolve.interface import record_body_read
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef
from codekg.resolve.tsconfig import NO_PROJECT_CONFIGS, ProjectConfigs
from codekg.schema import CLASS_LABELS

BUILTIN_MODULE = "<builtin>"
LOCAL_VALUE = "local-value"
# A method found on the class itself may still be overridden in a subclass at run time; one found
# further up the MRO more so.
SELF_MEMBER_CONFIDENCE = 0.9
INHERITED_MEMBER_CONFIDENCE = 0.8


@dataclass(frozen=True, slots=True)
class Resolved:
    """A name's meaning: a repository node, a module file, or an external dotted name."""

    reason: str
    confidence: float
    ref: SymbolRef | None = None
    file_path: str = ""  # the name is a module (its file)
    external_name: str = ""
    external_module: str = ""



UNKNOWN_VALUE = Resolved(LOCAL_VALUE, 0.0)
MAX_ALIAS_HOPS = 3  # variables followed from a base class's name to the class (`Bar = AsyncBar`)
"""The answer for a name that is bound (a local, a parameter, an import whose target is unknown) but
whose value is not known: it shadows every outer meaning and never becomes an edge target."""


class NameResolver:
    def __init__(self, symbols: SymbolIndex, project_configs: ProjectConfigs = NO_PROJECT_CONFIGS) -> None:
        self.symbols = symbols
        self._modules = ModuleResolver(symbols, project_configs)
        self._imports: RecordedCache[str, FileImports] = RecordedCache(symbols.recorder)
        self.hierarchy = ClassHierarchy(symbols, self._resolve_base)

    def file_imports(self, path: str) -> FileImports:
        """The file's import bindings and IMPORTS edges, resolved on first use."""
        return self._imports.get(path, lambda: self._modules.resolve_file(self.symbols.files[path]))

    def lookup(self, file_symbols: FileSymbols, scope: Scope, name: str, line: int | None = None) -> Resolved | None:
        """What the bare ``name`` means when used in ``scope`` of the file, innermost binding first.

        With ``line`` known, parameters of anonymous functions around the call count too. A name
        that is bound but whose value is unknown answers LOCAL_VALUE, which never becomes an edge
        and stops the global-name guess.
        """
        record_body_read(self.symbols.recorder, file_symbols, scope)  # its local names and regions
        for depth in range(len(scope), -1, -1):
            prefix = scope[:depth]
            owner = file_symbols.by_path.get(prefix) if prefix else None
            if prefix and (owner is None or (owner.label in CLASS_LABELS and depth != len(scope))):
                continue  # a class body's names are hidden from its methods
            if line is not None and file_symbols.bound_by_anonymous_function(prefix, name, line):
                return UNKNOWN_VALUE  # a parameter of an anonymous function (or lambda) around the call
            if not prefix:
                found = self._module_level(file_symbols, scope, name)
                if found is not None:
                    return found
            else:
                ref = file_symbols.children.get(prefix, {}).get(name)
                if ref is not None:
                    return Resolved("same-scope", 1.0, ref=ref)
            if name in file_symbols.local_names.get(prefix, ()):
                return UNKNOWN_VALUE  # a parameter or local variable
        if name in EXTRACTORS[file_symbols.parse.language].builtin_names:
            return Resolved("builtin", 1.0, external_name=f"{BUILTIN_MODULE}.{name}", external_module=BUILTIN_MODULE)
        return None

    def _module_level(self, file_symbols: FileSymbols, scope: Scope, name: str) -> Resolved | None:
        """Module-level meaning: function-local imports, own definitions, imports, then star imports
        (the later star import wins; it binds the names of `__all__`, else the public names)."""
        file_imports = self.file_imports(file_symbols.parse.path)
        imported = file_imports.lookup(name, scope)
        if imported is not None and imported.scope:
            return self._from_import(imported)  # a function-local import shadows module-level names
        ref = file_symbols.top_level(name)
        if ref is not None:
            return Resolved("same-file", 1.0, ref=ref)
        if imported is not None:
            return self._from_import(imported)
        for star_path in reversed(file_imports.star_files):
            target = self._modules.python_star_member(star_path, name)
            if target is not None:
                return self._from_import(target)
        return None

    def lookup_dotted(self, file_symbols: FileSymbols, scope: Scope, dotted: str, line: int | None = None) -> Resolved | None:
        """``a.b.c``: the longest import-bound prefix (``import a.b`` binds `a.b`), then members."""
        parts = dotted.split(".")
        file_imports = self.file_imports(file_symbols.parse.path)
        for cut in range(len(parts), 1, -1):
            imported = file_imports.lookup(".".join(parts[:cut]), scope)
            if imported is not None:
                return self.members(self._from_import(imported), parts[cut:])
        head = self.lookup(file_symbols, scope, parts[0], line)
        return self.members(head, parts[1:]) if head is not None else None

    def members(self, start: Resolved | None, names: list[str]) -> Resolved | None:
        current = start
        for name in names:
            if current is None:
                return None
            current = self.member(current, name)
        return current

    def member(self, owner: Resolved, name: str) -> Resolved | None:
        """Attribute ``name`` of a module, a class (through its MRO) or an external name."""
        if owner.file_path:
            target = self._modules.exported(owner.file_path, name)
            return self._from_import(target, owner.reason) if target is not None else None
        if owner.external_name:
            return Resolved(owner.reason, owner.confidence, external_name=f"{owner.external_name}.{name}",
                            external_module=owner.external_module)
        if owner.ref is not None and owner.ref.label in CLASS_LABELS + ("Interface",):
            found = self.hierarchy.find_member(owner.ref, name)
            if found is not None and not self._instance_only(found[0]):
                factor = SELF_MEMBER_CONFIDENCE if found[1] == 0 else INHERITED_MEMBER_CONFIDENCE
                return Resolved(owner.reason, round(owner.confidence * factor, 4), ref=found[0])
        if owner.ref is not None and owner.ref.label == "Variable":
            # JS `const api = { get() {} }`: the object literal's functions are the variable's children
            child = self.symbols.files[owner.ref.file_path].children.get(owner.ref.path, {}).get(name)
            if child is not None:
                return Resolved(owner.reason, owner.confidence, ref=child)
        return None

    def _instance_only(self, member: SymbolRef) -> bool:
        """A method that only instances have, where the language reaches only static ones on the class (JS `C.m()`)."""
        if member.label != "Method" or member.definition is None or member.definition.is_static:
            return False
        return EXTRACTORS[self.symbols.files[member.file_path].parse.language].static_members_only_on_class

    def _from_import(self, target: ImportTarget, reason: str = "") -> Resolved:
        if target.type_only:
            return UNKNOWN_VALUE  # TS `import type`: bound, but no value at run time
        return self.import_meaning(target, reason)

    def import_meaning(self, target: ImportTarget, reason: str = "") -> Resolved:
        """What an import binding names, whether a value or (TS `import type`) only a type."""
        if target.kind == "symbol":
            return Resolved(reason or "import", 1.0, ref=target.ref)
        if target.kind == "file":
            return Resolved(reason or "import", 1.0, file_path=target.file_path)
        if target.kind == "unknown":
            return UNKNOWN_VALUE
        return Resolved("import-external", 1.0, external_name=target.external_name, external_module=target.external_module)

    def lookup_base(self, file_symbols: FileSymbols, scope: Scope, expression: str) -> Resolved | None:
        """A base class as written: a class, or a variable bound once to one (`tqdm = tqdm_asyncio`, then
        `class tqdm(notebook_tqdm, asyncio_tqdm)` on the import of that name), at most MAX_ALIAS_HOPS away."""
        found = self.lookup_dotted(file_symbols, scope, expression)
        for _ in range(MAX_ALIAS_HOPS):
            ref = found.ref if found is not None else None
            if ref is None or ref.label != "Variable":
                break
            owner = self.symbols.files[ref.file_path]
            bindings = [b for b in owner.parse.values if b.target == ref.path[-1] and b.scope == ref.path[:-1]]
            if len(bindings) != 1 or bindings[0].kind != "alias":
                break
            found = self.lookup_dotted(owner, ref.path[:-1], bindings[0].source)
        return found

    def _resolve_base(self, class_ref: SymbolRef, expression: str) -> SymbolRef | str | None:
        file_symbols = self.symbols.files[class_ref.file_path]
        scope = class_ref.path[:-1]
        found = self.lookup_base(file_symbols, scope, expression)
        if found is None:
            return None
        if found.ref is not None:
            return found.ref
        return found.external_name or None
