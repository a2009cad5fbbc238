"""The symbol index: every definition by file, scope path, module name and short name.

Built once by the structure pass and read by every resolution rule; it holds node ids, so
resolution never has to look into the graph itself.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from codekg.record_pickling import pickled_by_position
from codekg.records import Definition, FileParse, Scope
from codekg.resolve.dependencies import UNLOADED, DependencyRecorder, RecordedDict
from codekg.schema import CALLER_LABELS, CLASS_LABELS

# What code can run in (a Variable sharing a definition's path never is one).
CODE_LABELS = frozenset(CALLER_LABELS)


@pickled_by_position  # by the thousand in every file's stored symbols (index_state)
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


LocalNames = tuple[str, ...] | frozenset[str]
FEW_NAMES = 8  # up to this many, a scope's local names are a tuple: `in` walks it as fast as it hashes


def compact_names(names: set[str]) -> LocalNames:
    """A scope's local names as FileSymbols holds them, read only with `in` and iteration: a few as a
    tuple (a set of three takes 216 bytes, a tuple 64: a large repository has millions of scopes),
    more as a frozenset."""
    return tuple(names) if len(names) <= FEW_NAMES else frozenset(names)


@pickled_by_position
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
    # names bound in a scope itself (parameters, locals, module-level loop variables): compact_names
    local_names: dict[Scope, LocalNames] = field(default_factory=dict)
    # scope -> name -> lines of anonymous functions that bind the name (shadowing only inside them)
    local_regions: dict[Scope, dict[str, list[tuple[int, int]]]] = field(default_factory=lambda: defaultdict(dict))

    # every definition of a scope path, in source order, where a name is defined more than once
    duplicates: dict[Scope, list[SymbolRef]] = field(default_factory=dict)
    decorated: list[SymbolRef] = field(default_factory=list)  # every definition written with decorators

    def bound_by_anonymous_function(self, scope: Scope, name: str, line: int) -> bool:
        return any(start <= line <= end for start, end in self.local_regions.get(scope, {}).get(name, ()))

    def all_refs(self) -> list[SymbolRef]:
        """The module and every definition, twins of one path included (a ref may come twice)."""
        return [self.module_ref, *self.by_path.values(), *(ref for twins in self.duplicates.values() for ref in twins)]

    def definitions_of(self, ref: SymbolRef) -> list[SymbolRef]:
        """All definitions sharing ``ref``'s scope path (conditional or repeated definitions), or just it."""
        return self.duplicates.get(ref.path, [ref])

    def ref_for_scope(self, scope: Scope, line: int | None = None) -> SymbolRef:
        """The node code in ``scope`` runs in: the Module for (), else the enclosing definition that
        can run code (of twin definitions of one path, the one whose lines hold ``line``). A path
        that names only a variable (`var A = (function () { function A() {…} }())` hoists the inner
        `A` beside it; `X = None` then `class X`) passes to the scope around it."""
        while scope:
            twins = self.duplicates.get(scope) or ([self.by_path[scope]] if scope in self.by_path else [])
            runnable = [twin for twin in twins if twin.label in CODE_LABELS]
            if runnable:
                for twin in runnable if line is not None else ():
                    if twin.definition is not None and twin.definition.start_line <= line <= twin.definition.end_line:
                        return twin
                latest = self.by_path.get(scope)
                return latest if latest in runnable else runnable[-1]
            scope = scope[:-1]
        return self.module_ref

    def enclosing_class(self, scope: Scope) -> SymbolRef | None:
        """The class whose method (or code nested in one) ``scope`` is in: what `self`/`this` is an instance of."""
        for depth in range(len(scope) - 1, 0, -1):
            owner = self.by_path.get(scope[:depth])
            member = self.by_path.get(scope[: depth + 1])
            if owner is not None and owner.label in CLASS_LABELS and member is not None and member.label == "Method":
                return owner
        return None

    def is_own_receiver(self, scope: Scope, name: str, receivers: tuple[str, ...], instance_only: bool = False) -> bool:
        """Whether ``name`` read in ``scope`` is the instance (or class) its method runs on. Where the
        extractor gives parameters (Python): the first parameter of the method ``scope`` is in,
        whatever it is called (click's `def invoke(__self, callback)`), not a static method's (nor,
        ``instance_only``, a class method's), and not a name a function nested in the method binds
        itself. Elsewhere: one of the language's ``receivers`` (`this`)."""
        for depth in range(len(scope), 1, -1):
            member = self.by_path.get(scope[:depth])
            if member is None or member.label not in ("Function", "Method"):
                continue
            definition = member.definition
            parameters = definition.parameters if definition is not None else ()
            if member.label == "Function":
                if name in parameters:
                    return False  # a nested function's own parameter
                continue
            if parameters:
                return (not definition.is_static and not (instance_only and definition.is_classmethod)
                        and parameters[0] == name and self.enclosing_class(scope) is not None)
            break
        return name in receivers

    def top_level(self, name: str) -> SymbolRef | None:
        return self.children.get((), {}).get(name)


@pickled_by_position  # every file's, read by every incremental run (index_state.summaries)
@dataclass(frozen=True, slots=True)
class FileOutline:
    """What the global tables need from a file: kept small, so an incremental run can build the
    tables for every file while loading full symbols only for the files it looks into."""

    language: str
    family: str  # the resolution family: global names and module names never cross families
    module_name: str
    top_level: tuple[tuple[str, str], ...]  # (name, label) of what each top-level name means
    # (relation, "view" or "table", its columns when known) of each SQL table or view the file creates
    sql_relations: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    package: str = ""  # a manifest: the name of the distribution it declares
    # (iri, ontology id, kind) of each ontology class and property the file declares; (prefix, namespace) bound
    ontology_terms: tuple[tuple[str, str, str], ...] = ()
    ontology_prefixes: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, file_symbols: FileSymbols, family: str) -> "FileOutline":
        from codekg.resolve.ontology_terms import term_outline
        from codekg.sql import created_relations

        top = tuple(sorted((name, ref.label) for name, ref in file_symbols.children.get((), {}).items()))
        packages = file_symbols.parse.packages
        return cls(file_symbols.parse.language, family, file_symbols.module_name, top,
                   tuple(sorted(created_relations(file_symbols.parse.sql))), packages[0].name if packages else "",
                   *term_outline(file_symbols.parse.ontology))


GLOBAL_NAME_LABELS = ("Class", "Enum", "Interface", "Function")


def package_folder(manifest_path: str) -> str:
    """The folder a manifest's package holds ("" at the root)."""
    return manifest_path.rpartition("/")[0]


def nearest_package(symbols: "SymbolIndex", path: str) -> str | None:
    """The manifest of the nearest folder above ``path`` that has one (each probe recorded), or None."""
    folder = path.rpartition("/")[0]
    while True:
        manifest = symbols.package_manifests.get(folder)
        if manifest is not None:
            return manifest
        if not folder:
            return None
        folder = folder.rpartition("/")[0]


class SymbolIndex:
    """Every file's symbols plus the global tables. Reads of files, short names and module names are
    recorded by ``recorder`` (see resolve/dependencies.py) so incremental runs know who read what.
    A file's symbols may be loaded on first use (``load_file``)."""

    __slots__ = ("recorder", "files", "module_paths", "module_aliases", "by_name", "_name_paths", "sql_relations",
                 "package_manifests", "ontology_terms", "ontology_prefixes")

    def __init__(self, load_file: Callable[[str], FileSymbols] | None = None) -> None:
        self.recorder = DependencyRecorder()
        self.files: RecordedDict[str, FileSymbols] = RecordedDict(self.recorder, "file", load_file)
        # Import names per resolution family. A module's own qualified name is authoritative; other
        # names a file could be imported under (the language's import_aliases) only count when unique.
        self.module_paths: dict[tuple[str, str], str] = {}  # (family, name) -> file
        self.module_aliases: dict[tuple[str, str], set[str]] = defaultdict(set)
        # (resolution family, short name) -> top-level classes, interfaces and functions of that
        # name, every definition of each: the candidates of a global guess
        self.by_name: RecordedDict[tuple[str, str], list[SymbolRef]] = RecordedDict(self.recorder, "name", self._definitions_named)
        self._name_paths: dict[tuple[str, str], list[str]] = {}
        # SQL relation name -> (file, "view"/"table", declared columns) of every file that creates it
        self.sql_relations: RecordedDict[str, list[tuple[str, str, tuple[str, ...]]]] = RecordedDict(self.recorder, "sql-relation")
        # folder -> the manifest in it that declares a package (a file belongs to the nearest one above it)
        self.package_manifests: RecordedDict[str, str] = RecordedDict(self.recorder, "package")
        # ontology term IRI -> (ontology id, kind, file) of each declaration; prefix -> the namespaces bound to it
        self.ontology_terms: RecordedDict[str, list[tuple[str, str, str]]] = RecordedDict(self.recorder, "ontology-term")
        self.ontology_prefixes: RecordedDict[str, list[str]] = RecordedDict(self.recorder, "ontology-prefix")

    def add_files(self, outlines: dict[str, FileOutline], loaded: dict[str, FileSymbols]) -> None:
        """Register every file (``loaded`` ones now, the rest on first use) and build the global tables."""
        for path in sorted(outlines):
            outline = outlines[path]
            dict.__setitem__(self.files, path, loaded.get(path, UNLOADED))
            for name, label in outline.top_level:
                if label in GLOBAL_NAME_LABELS:
                    self._name_paths.setdefault((outline.family, name), []).append(path)
            self.module_paths.setdefault((outline.family, outline.module_name), path)
            for relation, kind, columns in outline.sql_relations:
                dict.setdefault(self.sql_relations, relation, []).append((path, kind, columns))
            if outline.package:
                dict.__setitem__(self.package_manifests, package_folder(path), path)
            for iri, ontology_id, kind in outline.ontology_terms:
                dict.setdefault(self.ontology_terms, iri, []).append((ontology_id, kind, path))
            for prefix, namespace in outline.ontology_prefixes:
                namespaces = dict.setdefault(self.ontology_prefixes, prefix, [])
                if namespace not in namespaces:
                    namespaces.append(namespace)
        for key in self._name_paths:
            dict.__setitem__(self.by_name, key, UNLOADED)

    def _definitions_named(self, key: tuple[str, str]) -> list[SymbolRef]:
        refs: list[SymbolRef] = []
        for path in self._name_paths[key]:
            file_symbols = self.files.unrecorded(path)
            top = file_symbols.top_level(key[1])
            assert top is not None, f"{path} no longer defines {key[1]}"
            refs.extend(file_symbols.definitions_of(top))
        return refs

    def module_path(self, family: str, name: str) -> str | None:
        """The file imported as dotted ``name``, or None when no file, or more than one, claims it."""
        self.recorder.record(("module", family, name))
        return self.unrecorded_module_path(family, name)

    def unrecorded_module_path(self, family: str, name: str) -> str | None:
        path = self.module_paths.get((family, name))
        if path is not None:
            return path
        claimants = self.module_aliases.get((family, name), ())
        return next(iter(claimants)) if len(claimants) == 1 else None

    def module_keys(self) -> set[tuple[str, str]]:
        return set(self.module_paths) | set(self.module_aliases)
