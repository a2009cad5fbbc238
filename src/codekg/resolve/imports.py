"""Import resolution: each import binding → a repository file, a symbol in it, or an External name.

Python module paths resolve through source roots and relative dots; JS/TS specifiers resolve
relative to the importing file, or through the nearest tsconfig.json's `paths` and `baseUrl`, with
the usual extension and `index` probing. A CommonJS module's value (`module.exports = f`) is what
`require()` and a default import bind. Whatever does not resolve to a repository file is kept as an
External module, never dropped.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Literal

from codekg.languages import EXTRACTORS
from codekg.python_modules import absolute_module
from codekg.records import ImportBinding, Scope
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef
from codekg.resolve.tsconfig import NO_PROJECT_CONFIGS, ProjectConfigs

PYTHON = "python"  # the resolution family whose dotted module names are looked up
JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
# what a JavaScript file's `require`/`import` runs: the JavaScript first; a declaration file never runs
JS_RUNTIME_EXTENSIONS = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".d.ts")
JS_SOURCE_SUFFIXES = (".js", ".jsx", ".mjs", ".cjs")
_REEXPORT_DEPTH = 8


@dataclass(frozen=True, slots=True)
class ImportTarget:
    """What a locally bound imported name refers to."""

    kind: Literal["file", "symbol", "external", "unknown"]  # unknown: bound by the import, target not found
    scope: Scope  # where the binding is visible from (a prefix of the using code's scope)
    file_path: str = ""  # for "file": the module's file
    ref: SymbolRef | None = None  # for "symbol"
    external_name: str = ""  # for "external": dotted module/symbol name
    external_module: str = ""  # for "external": the module part
    type_only: bool = False  # TS `import type`: names a type, never a run-time value


@dataclass(slots=True)
class FileImports:
    """A file's import bindings by local name, its star-import sources, and its IMPORTS edges."""

    bindings: dict[str, list[ImportTarget]] = field(default_factory=lambda: defaultdict(list))
    star_files: list[str] = field(default_factory=list)
    edges: dict[tuple[str, str], dict] = field(default_factory=dict)  # (kind, target) -> names/line/reason

    def lookup(self, name: str, scope: Scope) -> ImportTarget | None:
        """The innermost binding of ``name`` visible from ``scope`` (the latest one at equal depth)."""
        best: ImportTarget | None = None
        for target in self.bindings.get(name, ()):
            if scope[: len(target.scope)] == target.scope and (best is None or len(target.scope) >= len(best.scope)):
                best = target
        return best


class ModuleResolver:
    """Finds the file behind a module path or specifier, and what a module exports under a name."""

    def __init__(self, symbols: SymbolIndex, project_configs: ProjectConfigs = NO_PROJECT_CONFIGS) -> None:
        self.symbols = symbols
        self.project_configs = project_configs
        # per resolution family: how an import binding resolves, and what a module exports by name
        self._binders = {"python": self._python_binding, "javascript": self._js_binding}
        self._exports = {"python": self.python_member, "javascript": self.js_export}

    def resolve_file(self, file_symbols: FileSymbols) -> FileImports:
        result = FileImports()
        bind = self._binders.get(EXTRACTORS[file_symbols.parse.language].resolution_family)
        if bind is None:  # a language without imports (SQL)
            return result
        for binding in file_symbols.parse.imports:
            bind(file_symbols, binding, result)
        return result

    def exported(self, module_path: str, name: str) -> ImportTarget | None:
        """What module ``module_path`` makes visible as ``name`` (a definition, submodule or re-export)."""
        family = EXTRACTORS[self.symbols.files[module_path].parse.language].resolution_family
        exports = self._exports.get(family)
        return exports(module_path, name, (), 0) if exports is not None else None

    # --- Python ----------------------------------------------------------------------------------

    def python_module_path(self, importer: str, module: str) -> str | None:
        """File of dotted ``module`` (leading dots: relative to ``importer``), or None.

        An absolute import from a script folder (no ``__init__.py``) finds a sibling module first, as
        Python does for the script's own directory; a relative import that climbs above the
        repository root resolves to nothing.
        """
        dots = len(module) - len(module.lstrip("."))
        if not dots:
            folder = posixpath.dirname(importer)
            if posixpath.join(folder, "__init__.py") not in self.symbols.files:
                sibling = self._python_file(posixpath.join(folder, module.replace(".", "/")))
                if sibling is not None:
                    return sibling
            return self.symbols.module_path(PYTHON, module)
        base = posixpath.dirname(importer)
        for _ in range(dots - 1):
            if not base:
                return None  # beyond the top-level package
            base = posixpath.dirname(base)
        rest = module[dots:].replace(".", "/")
        return self._python_file(posixpath.join(base, rest) if rest else base)

    def absolute_python_module(self, importer: FileSymbols, module: str) -> str | None:
        """``module`` with leading dots replaced by the importer's package (`.core` in package `pkg`
        is `pkg.core`), or None when the dots climb above the top-level package."""
        return absolute_module(importer.module_name, importer.parse.path.endswith("__init__.py"), module)

    def _python_file(self, stem: str) -> str | None:
        for candidate in (stem + ".py", posixpath.join(stem, "__init__.py")):
            candidate = posixpath.normpath(candidate)
            if candidate in self.symbols.files:
                return candidate
        return None

    def _python_binding(self, file_symbols: FileSymbols, binding: ImportBinding, result: FileImports) -> None:
        importer = file_symbols.parse.path
        relative = binding.module.startswith(".")
        reason = "relative-path" if relative else "module-path"
        target_path = self.python_module_path(importer, binding.module)
        if binding.kind == "symbol" and target_path is None and relative:
            # `from . import sib` in a namespace package (no __init__.py): the name is a submodule
            separator = "" if binding.module.endswith(".") else "."
            submodule = self.python_module_path(importer, binding.module + separator + binding.name)
            if submodule is not None:
                result.bindings[binding.alias].append(ImportTarget("file", binding.scope, file_path=submodule))
                _note_edge(result, "file", submodule, binding.name, binding.line, reason)
                return
        if target_path is None:
            # not a source file here: a library, or a compiled or generated module of this repository
            module = self.absolute_python_module(file_symbols, binding.module)
            if module is None:
                if binding.alias:  # a relative import climbing above the repository: bound, unknown
                    result.bindings[binding.alias].append(ImportTarget("unknown", binding.scope))
                return
            bound_name = module if binding.kind == "module" else f"{module}.{binding.name}"
            _note_edge(result, "external", module, "" if binding.kind == "module" else binding.name,
                       binding.line, "unresolved-import")
            if binding.alias:
                result.bindings[binding.alias].append(
                    ImportTarget("external", binding.scope, external_name=bound_name, external_module=module)
                )
            return
        if binding.kind == "module":
            result.bindings[binding.alias].append(ImportTarget("file", binding.scope, file_path=target_path))
            _note_edge(result, "file", target_path, "", binding.line, reason)
            return
        if binding.kind == "star":
            _note_edge(result, "file", target_path, binding.name, binding.line, reason)
            result.star_files.append(target_path)
            return
        target = self.python_member(target_path, binding.name, binding.scope, 0)
        if target is not None and target.kind == "file" and not self.symbols.files[target_path].top_level(binding.name):
            _note_edge(result, "file", target.file_path, binding.name, binding.line, reason)  # a submodule import
        else:
            _note_edge(result, "file", target_path, binding.name, binding.line, reason)
        # A name the module does not visibly define is still bound by this import: never guess it.
        result.bindings[binding.alias].append(target or ImportTarget("unknown", binding.scope))

    def python_member(self, module_path: str, name: str, scope: Scope, depth: int) -> ImportTarget | None:
        """``name`` as seen from outside module ``module_path``: a definition, a submodule, or a re-export."""
        module_symbols = self.symbols.files[module_path]
        ref = module_symbols.top_level(name)
        if ref is not None:
            return ImportTarget("symbol", scope, ref=ref)
        submodule = self.symbols.module_path(PYTHON, f"{module_symbols.module_name}.{name}")
        if submodule is None and module_path.endswith("__init__.py"):
            submodule = self.python_module_path(module_path, "." + name)
        if submodule is not None:
            return ImportTarget("file", scope, file_path=submodule)
        if depth >= _REEXPORT_DEPTH:
            return None
        for binding in module_symbols.parse.imports:  # re-exported through the module's own imports
            if binding.scope == () and binding.kind == "symbol" and binding.alias == name:
                inner = self.python_module_path(module_path, binding.module)
                if inner is None:
                    external = self.absolute_python_module(module_symbols, binding.module)
                    if external is None:
                        return None
                    return ImportTarget("external", scope, external_name=f"{external}.{binding.name}",
                                        external_module=external)
                return self.python_member(inner, binding.name, scope, depth + 1)
        return self._python_star_reexport(module_path, name, scope, depth)

    def python_star_member(self, module_path: str, name: str, scope: Scope = (), depth: int = 0) -> ImportTarget | None:
        """What `from module import *` binds as ``name``: a name of the module's literal `__all__`
        (wherever it comes from), or without one a public top-level name, an imported name or one
        of its own star imports."""
        module_symbols = self.symbols.files[module_path]
        listed = {export.exported for export in module_symbols.parse.exports}
        if listed and "*" not in listed:
            return self.python_member(module_path, name, scope, depth) if name in listed else None
        if name.startswith("_"):
            return None
        if module_symbols.top_level(name) is not None or any(
            b.scope == () and b.kind == "symbol" and b.alias == name for b in module_symbols.parse.imports
        ):
            return self.python_member(module_path, name, scope, depth)
        return self._python_star_reexport(module_path, name, scope, depth)

    def _python_star_reexport(self, module_path: str, name: str, scope: Scope, depth: int) -> ImportTarget | None:
        """``name`` bound in the module by its own star imports (the later one wins)."""
        if depth >= _REEXPORT_DEPTH:
            return None
        for binding in reversed(self.symbols.files[module_path].parse.imports):
            if binding.scope == () and binding.kind == "star":
                inner = self.python_module_path(module_path, binding.module)
                found = self.python_star_member(inner, name, scope, depth + 1) if inner is not None else None
                if found is not None:
                    return found
        return None

    # --- JavaScript / TypeScript -----------------------------------------------------------------

    def js_module_path(self, importer: str, specifier: str) -> str | None:
        return self.js_module_target(importer, specifier)[0]

    def js_module_target(self, importer: str, specifier: str) -> tuple[str | None, str]:
        """The file a specifier names and how it was found (`relative-path` or `tsconfig-path`)."""
        runtime = importer.endswith(JS_SOURCE_SUFFIXES)
        if specifier.startswith("."):
            stem = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
            return (None if stem.startswith("..") else self._js_file(stem, runtime)), "relative-path"
        config = self.project_configs.nearest(importer)
        for stem in config.candidates(specifier) if config is not None else ():
            found = self._js_file(stem, runtime)
            if found is not None:
                return found, "tsconfig-path"
        return None, ""

    def _js_file(self, stem: str, runtime: bool = False) -> str | None:
        """The file ``stem`` names, as TypeScript resolves it (a `.ts` before its `.d.ts` and its compiled
        `.js`), or with ``runtime`` (the importer is JavaScript) as Node runs it: the `.js` first."""
        files = self.symbols.files
        if stem in files:
            return stem
        root, ext = posixpath.splitext(stem)
        if ext in JS_SOURCE_SUFFIXES:  # TS sources imported by their compiled name (no such .js here)
            for candidate in (root + ".ts", root + ".tsx", root + ".mts", root + ".cts"):
                if candidate in files:
                    return candidate
        extensions = JS_RUNTIME_EXTENSIONS if runtime else JS_EXTENSIONS
        for candidate in [stem + e for e in extensions] + [posixpath.join(stem, "index" + e) for e in extensions]:
            if candidate in files:
                return candidate
        return None

    def _js_binding(self, file_symbols: FileSymbols, binding: ImportBinding, result: FileImports) -> None:
        target_path, reason = self.js_module_target(file_symbols.parse.path, binding.module)
        edge_name = "" if binding.kind in ("namespace", "side-effect") else binding.name
        binds = bool(binding.alias) and binding.kind != "reexport"

        def bind(target: ImportTarget) -> None:
            result.bindings[binding.alias].append(replace(target, type_only=True) if binding.is_type_only else target)

        if target_path is None:
            if binding.module.startswith("."):
                # a relative path into the repository that does not exist: not an external package
                if binds:
                    bind(ImportTarget("unknown", binding.scope))
                return
            _note_edge(result, "external", binding.module, edge_name, binding.line, "unresolved-import")
            if binds:
                # a namespace or default import stands for the package itself (`express()`)
                whole = binding.kind in ("namespace", "default")
                name = binding.module if whole else f"{binding.module}.{binding.name}"
                bind(ImportTarget("external", binding.scope, external_name=name, external_module=binding.module))
            return
        _note_edge(result, "file", target_path, edge_name, binding.line, reason)
        if binding.kind == "namespace":
            bind(self.js_module_value(target_path, binding.scope))
        elif binding.kind in ("symbol", "default"):
            target = self.js_export(target_path, binding.name, binding.scope, 0)
            # a name the module does not visibly export is still bound by this import: never guess it
            bind(target or ImportTarget("unknown", binding.scope))

    def js_module_value(self, module_path: str, scope: Scope) -> ImportTarget:
        """What `require()` (or `import * as`, `import x = require()`) of a module binds: the value a
        CommonJS module assigns to `module.exports` (unknown when it is not a definition), else the
        module itself, whose members are its exports."""
        module_symbols = self.symbols.files[module_path]
        for export in reversed(module_symbols.parse.exports):  # the last assignment is the one that stays
            if export.commonjs and export.exported == "default":
                ref = module_symbols.top_level(export.local) if export.local else None
                return ImportTarget("symbol", scope, ref=ref) if ref is not None else ImportTarget("unknown", scope)
        return ImportTarget("file", scope, file_path=module_path)

    def js_export(self, module_path: str, exported: str, scope: Scope, depth: int) -> ImportTarget | None:
        """What module ``module_path`` exports as ``exported``, following re-exports. The default
        export of a CommonJS module is its `module.exports` value."""
        module_symbols = self.symbols.files[module_path]
        exports = module_symbols.parse.exports
        local = exported
        named = next((export for export in exports if export.exported == exported), None)
        if named is not None:
            local = named.local
            if named.commonjs and exported == "default":
                return self.js_module_value(module_path, scope)
        elif exported == "default":
            if any(export.commonjs for export in exports):
                return ImportTarget("file", scope, file_path=module_path)  # `exports.x = …`: the exports object
            local = ""
        if local:
            ref = module_symbols.top_level(local)
            if ref is not None:
                return ImportTarget("symbol", scope, ref=ref)
        if depth >= _REEXPORT_DEPTH:
            return None
        for binding in module_symbols.parse.imports:
            if binding.kind == "reexport" and (binding.alias or binding.name) in (exported, "*") and exported != "default":
                inner = self.js_module_path(module_path, binding.module)
                if inner is None:
                    continue
                if binding.name == "*" and binding.alias:  # `export * as ns from`: the module itself
                    found: ImportTarget | None = ImportTarget("file", scope, file_path=inner)
                else:
                    found = self.js_export(inner, exported if binding.name == "*" else binding.name, scope, depth + 1)
                if found is not None:
                    return replace(found, type_only=True) if binding.is_type_only else found
            elif binding.kind in ("symbol", "default") and binding.alias == local and local:
                inner = self.js_module_path(module_path, binding.module)
                if inner is not None:
                    found = self.js_export(inner, binding.name, scope, depth + 1)
                    return replace(found, type_only=True) if found is not None and binding.is_type_only else found
            elif binding.kind == "namespace" and binding.alias == local and local:
                inner = self.js_module_path(module_path, binding.module)
                if inner is not None:
                    return self.js_module_value(inner, scope)
        return None


def _note_edge(result: FileImports, kind: str, target: str, name: str, line: int, reason: str) -> None:
    entry = result.edges.setdefault((kind, target), {"names": [], "line": line, "reason": reason})
    if name and name not in entry["names"]:
        entry["names"].append(name)
    entry["line"] = min(entry["line"], line)
