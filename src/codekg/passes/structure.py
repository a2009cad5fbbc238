"""Structure pass: turn parses into nodes and the edges that need no resolution.

Takes: the repository root, the parse records and the settings. Returns: a Graph with Project, Folder, File, Module and symbol
nodes plus CONTAINS, DEFINES and HAS_METHOD edges, and the SymbolIndex the resolvers read.
Ids are `<Label>:<file_path>:<qualified_name>`, so the same code gets the same id on every run;
a name defined twice in one scope gets `#2`, `#3`… in order of appearance. A file whose structure
fails (codekg/faults.py) keeps its File and Module nodes only, with the failure as a warning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from sys import intern

from codekg.conventions import is_test_path
from codekg.faults import FileFault, contained
from codekg.graph import Graph
from codekg.languages import EXTRACTORS
from codekg.languages.base import WHOLE_SCOPE
from codekg.file_names import stored_path
from codekg.records import Definition, FileParse, Scope, release_lists
from codekg.resolve.symbols import FileOutline, FileSymbols, SymbolIndex, SymbolRef, compact_names
from codekg.settings import Settings
from codekg.sql import statement_ids


@dataclass(slots=True)
class FileStructure:
    """One file's share of the structure: its symbols and its nodes with their DEFINES/HAS_METHOD edges."""

    symbols: FileSymbols
    graph: Graph | None  # None once a full build has written it ahead (passes/build_records.py); its counts stay
    warnings: list[dict[str, str]] = field(default_factory=list)  # {"pass", "kind", "message"}
    node_counts: dict[str, int] = field(default_factory=dict)
    edge_counts: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class StructureResult:
    graph: Graph  # the Project, the Folders and every CONTAINS edge
    files: dict[str, FileStructure]
    symbols: SymbolIndex


def build_structure(root: Path, parses: list[FileParse], settings: Settings,
                    each: Callable[[FileParse, FileStructure], None] | None = None) -> StructureResult:
    """``each`` is given every file's structure as it is made (a full build writes them ahead)."""
    files = {}
    for parsed in parses:
        files[parsed.path] = structure = file_structure(parsed, settings)
        if each is not None:
            each(parsed, structure)
    loaded = {path: structure.symbols for path, structure in files.items()}
    symbols = build_symbol_index({path: file_outline(s) for path, s in loaded.items()}, loaded)
    return StructureResult(project_structure(root, list(files)), files, symbols)


def file_structure(parsed: FileParse, settings: Settings) -> FileStructure:
    """The nodes and symbols of one file: a function of its parse, its path and the source roots only."""
    faults: list[FileFault] = []
    structure = contained(parsed.path, "structure", lambda: _file_structure(parsed, settings),
                          lambda: _bare_structure(parsed, settings), settings.strict, faults)
    structure.warnings = [fault.as_warning() for fault in faults]
    assert structure.graph is not None
    structure.node_counts, structure.edge_counts = structure.graph.node_counts(), structure.graph.edge_counts()
    return structure


def _file_structure(parsed: FileParse, settings: Settings) -> FileStructure:
    extractor = EXTRACTORS[parsed.language]
    module_name = extractor.module_name(parsed.path, tuple(settings.python_source_roots)) or PurePosixPath(parsed.path).stem
    graph = Graph()
    return FileStructure(_add_file(graph, parsed, module_name), graph)


def _bare_structure(parsed: FileParse, settings: Settings) -> FileStructure:
    """The fallback of a file that failed: its File and Module nodes, named from its path alone when
    even its module name cannot be worked out, so the fallback cannot fail in turn."""
    try:
        return _file_structure(_bare(parsed), settings)
    except Exception:  # noqa: BLE001 - already reported as this file's fault
        graph = Graph()
        return FileStructure(_add_file(graph, _bare(parsed), PurePosixPath(parsed.path).stem), graph)


def _bare(parsed: FileParse) -> FileParse:
    """The file without what was read from its code: its File and Module nodes still stand."""
    return replace(parsed, definitions=[], imports=[], exports=[], calls=[], local_bindings=[], values=[], sql=[],
                   packages=[], docstring="")


def project_structure(root: Path, file_paths: list[str]) -> Graph:
    """The Project node, the Folders and the CONTAINS tree down to every file."""
    graph = Graph()
    name = stored_path(root.name)  # a folder name that is not UTF-8, escaped as file names are
    project_id = graph.add_node("Project", id="Project:" + name, name=name, qualified_name=name)
    _add_folders(graph, project_id, sorted(file_paths))
    return graph


def build_symbol_index(
    outlines: dict[str, FileOutline],
    loaded: dict[str, FileSymbols],
    load_file: Callable[[str], FileSymbols] | None = None,
) -> SymbolIndex:
    """The symbol index over every file of ``outlines``: the symbols of ``loaded`` files are at hand,
    the others come from ``load_file`` when resolution first looks at them."""
    symbols = SymbolIndex(load_file)
    symbols.add_files(outlines, loaded)
    paths_by_language: dict[str, set[str]] = {}
    for path, outline in outlines.items():
        paths_by_language.setdefault(outline.language, set()).add(path)
    for path in sorted(outlines):
        outline = outlines[path]
        for alias in EXTRACTORS[outline.language].import_aliases(path, paths_by_language[outline.language]):
            key = (outline.family, alias)
            if alias and key not in symbols.module_paths:
                symbols.module_aliases[key].add(path)
    return symbols


def file_outline(file_symbols: FileSymbols) -> FileOutline:
    return FileOutline.of(file_symbols, EXTRACTORS[file_symbols.parse.language].resolution_family)


def _add_folders(graph: Graph, project_id: str, file_paths: list[str]) -> None:
    folders: set[str] = set()
    for path in file_paths:
        parent = PurePosixPath(path).parent
        while str(parent) != ".":
            folders.add(str(parent))
            parent = parent.parent
    for folder in sorted(folders):
        folder_id = graph.add_node("Folder", id="Folder:" + folder, name=PurePosixPath(folder).name,
                                   qualified_name=folder, file_path=folder)
        parent = str(PurePosixPath(folder).parent)
        source = ("Project", project_id) if parent == "." else ("Folder", "Folder:" + parent)
        graph.add_edge("CONTAINS", source, ("Folder", folder_id))
    for path in file_paths:
        parent = str(PurePosixPath(path).parent)
        source = ("Project", project_id) if parent == "." else ("Folder", "Folder:" + parent)
        graph.add_edge("CONTAINS", source, ("File", "File:" + path))


def _add_file(graph: Graph, parsed: FileParse, module_name: str) -> FileSymbols:
    path = parsed.path
    common = {"file_path": path, "language": parsed.language}
    file_id = graph.add_node(
        "File", id="File:" + path, name=PurePosixPath(path).name, qualified_name=path,
        start_line=1, end_line=parsed.line_count, content_hash=parsed.content_hash,
        size_bytes=parsed.size_bytes, line_count=parsed.line_count, parse_errors=parsed.parse_errors,
        is_test=is_test_path(path), **common,
    )
    module_id = f"Module:{path}:{module_name}"
    if EXTRACTORS[parsed.language].defines_module:
        graph.add_node("Module", id=module_id, name=module_name.rsplit(".", 1)[-1], qualified_name=module_name,
                       start_line=1, end_line=parsed.line_count, docstring=parsed.docstring, **common)
        graph.add_edge("DEFINES", ("File", file_id), ("Module", module_id))
    file_symbols = FileSymbols(
        parse=parsed,
        module_name=module_name,
        file_ref=SymbolRef("File", file_id, path, path),
        module_ref=SymbolRef("Module", module_id, module_name, path),
    )
    local_names: dict[Scope, set[str]] = defaultdict(set)
    for binding in parsed.local_bindings:
        if (binding.region_start, binding.region_end) == WHOLE_SCOPE:
            local_names[binding.scope].add(intern(binding.name))
        else:
            regions = file_symbols.local_regions[binding.scope].setdefault(intern(binding.name), [])
            regions.append((binding.region_start, binding.region_end))
    file_symbols.local_names = {scope: compact_names(names) for scope, names in local_names.items()}
    release_lists(parsed)  # read: packed again until the file is resolved (records.py)
    seen_ids: dict[str, int] = {}
    for definition in sorted(parsed.definitions, key=lambda d: (d.start_line, len(d.scope))):
        parent = file_symbols.by_path.get(definition.scope) if definition.scope else file_symbols.module_ref
        if parent is None:
            continue  # its enclosing scope is not a node (e.g. a binding inside a variable): nothing to hang it on
        qualified_name = ".".join((module_name, *definition.path))
        node_id = f"{definition.kind}:{path}:{qualified_name}"
        seen_ids[node_id] = seen_ids.get(node_id, 0) + 1
        if seen_ids[node_id] > 1:
            node_id += f"#{seen_ids[node_id]}"
        graph.add_node(definition.kind, **_symbol_properties(definition, node_id, qualified_name), **common)
        ref = SymbolRef(definition.kind, node_id, qualified_name, path, definition.path, definition)
        _register(file_symbols, ref)
        graph.add_edge("BELONGS_TO", ref.endpoint, file_symbols.file_ref.endpoint)
        if definition.decorators:
            _add_decorators(graph, definition, ref, path, common)
            file_symbols.decorated.append(ref)
        rel_type = "HAS_METHOD" if definition.kind == "Method" else "DEFINES"
        try:
            graph.add_edge(rel_type, parent.endpoint, ref.endpoint)
        except ValueError:
            continue  # a pairing the schema does not model (e.g. a class inside a variable) keeps no edge
    _add_imports(graph, parsed, file_symbols, module_name, common)
    _add_sql_statements(graph, parsed, file_symbols, module_name)
    for package in parsed.packages:  # a manifest: the distribution it declares
        graph.add_node("Package", id=package_id(path), name=package.name, qualified_name=package.name, file_path=path,
                       language=package.ecosystem, start_line=1, end_line=parsed.line_count, version=package.version)
        graph.add_edge("DEFINES", file_symbols.file_ref.endpoint, ("Package", package_id(path)))
    return file_symbols


def decorator_id(decorated: SymbolRef, position: int) -> str:
    """The id of the ``position``-th decorator (0: outermost) of the symbol ``decorated``."""
    return f"Decorator:{decorated.id.split(':', 1)[1]}@{position}"  # twins (`#2`) keep theirs apart


def _add_decorators(graph: Graph, definition: Definition, decorated: SymbolRef, path: str,
                    common: dict[str, str]) -> None:
    """A Decorator node per decorator written on the definition, which DECORATES it."""
    for position, expression in enumerate(definition.decorators):
        line = definition.decorator_lines[position] if position < len(definition.decorator_lines) else definition.start_line
        callable_text, _, arguments = expression.partition("(")
        node_id = decorator_id(decorated, position)
        graph.add_node("Decorator", id=node_id, name=callable_text.strip(), qualified_name=node_id.rsplit(":", 1)[1],
                       start_line=line, end_line=line, signature="@" + expression, expression=expression,
                       arguments=arguments[:-1] if arguments.endswith(")") else arguments, **common)
        graph.add_edge("DECORATES", ("Decorator", node_id), decorated.endpoint, position=position)
        graph.add_edge("BELONGS_TO", ("Decorator", node_id), ("File", "File:" + path))


def import_id(path: str, module_name: str, line: int, module: str) -> str:
    return f"Import:{path}:{module_name}:{line}:{module}"


def _add_imports(graph: Graph, parsed: FileParse, file_symbols: FileSymbols, module_name: str,
                 common: dict[str, str]) -> None:
    """An Import node per imported module of each import statement (DEFINES from the scope it runs in)."""
    statements: dict[tuple[int, str], list] = {}
    for binding in parsed.imports:  # the same module twice on one line (`import a; import a`) is one node
        statements.setdefault((binding.line, binding.module), []).append(binding)
    for (line, module), bindings in statements.items():
        node_id = import_id(parsed.path, module_name, line, module)
        scope = bindings[0].scope
        names = [binding.name for binding in bindings if binding.name]
        graph.add_node("Import", id=node_id, name=module, qualified_name=f"{module_name}:{line}:{module}",
                       start_line=line, end_line=line, module=module, names=names,
                       aliases=[binding.alias for binding in bindings if binding.name or binding.alias],
                       kind=bindings[0].kind, **common)
        graph.add_edge("BELONGS_TO", ("Import", node_id), file_symbols.file_ref.endpoint)
        owner = file_symbols.ref_for_scope(scope, line) if scope else file_symbols.module_ref
        if EXTRACTORS[parsed.language].defines_module:
            try:
                graph.add_edge("DEFINES", owner.endpoint, ("Import", node_id))
            except ValueError:
                graph.add_edge("DEFINES", file_symbols.module_ref.endpoint, ("Import", node_id))


def package_id(manifest_path: str) -> str:
    return f"Package:{manifest_path}"


def _add_sql_statements(graph: Graph, parsed: FileParse, file_symbols: FileSymbols, module_name: str) -> None:
    """A node per SQL statement the file holds (DEFINES from the File); a statement that code runs
    (`cursor.execute("…")`) also has RUNS_SQL from the definition whose code runs it."""
    path = parsed.path
    for statement, node_id in zip(parsed.sql, statement_ids(path, parsed.sql)):
        tables = statement.writes or statement.reads
        name = (statement.operation or "unreadable") + (f" {tables[0]}" if tables else "")
        graph.add_node("SqlStatement", id=node_id, name=name, qualified_name=f"{module_name}:{statement.line}",
                       file_path=path, language=parsed.language, start_line=statement.line, end_line=statement.end_line,
                       signature=statement.text, operation=statement.operation, dialect=statement.dialect or "ansi",
                       error=statement.error, call=statement.call)
        graph.add_edge("DEFINES", file_symbols.file_ref.endpoint, ("SqlStatement", node_id))
        if statement.call:
            runner = file_symbols.by_path.get(statement.scope) if statement.scope else file_symbols.module_ref
            runner = runner if runner is not None and runner.label != "Variable" else file_symbols.module_ref
            graph.add_edge("RUNS_SQL", runner.endpoint, ("SqlStatement", node_id), call=statement.call, line=statement.line)



def _register(file_symbols: FileSymbols, ref: SymbolRef) -> None:
    """Make ``ref`` what its name means in its scope. A later definition replaces an earlier one, and
    both stay candidates (``duplicates``); a variant (an @overload stub, a property setter, a
    TYPE_CHECKING-only declaration) never replaces a real definition, and a real one replaces
    variants outright."""
    definition = ref.definition
    assert definition is not None
    path = ref.path  # `definition.path` makes a new tuple each time: a large index holds millions of keys
    previous = file_symbols.by_path.get(path)
    if previous is not None and previous.definition is not None:
        if not definition.is_runtime_target and previous.definition.is_runtime_target:
            return
        if definition.is_runtime_target and previous.definition.is_runtime_target:
            file_symbols.duplicates.setdefault(path, [previous]).append(ref)
    file_symbols.by_path[path] = ref
    file_symbols.children[definition.scope][definition.name] = ref


def _symbol_properties(definition: Definition, node_id: str, qualified_name: str) -> dict[str, object]:
    properties: dict[str, object] = {
        "id": node_id,
        "name": definition.name.rsplit(".", 1)[-1],  # `app.set = function …` is named `set`, as its qualified name ends
        "qualified_name": qualified_name,
        "start_line": definition.start_line,
        "end_line": definition.end_line,
        "signature": definition.signature,
        "docstring": definition.docstring,
    }
    if definition.kind in ("Class", "Enum", "Function", "Method"):
        properties["decorators"] = list(definition.decorators)
    if definition.kind in ("Function", "Method"):
        properties["is_async"] = definition.is_async
    if definition.kind == "Method":
        properties.update(
            is_static=definition.is_static,
            is_classmethod=definition.is_classmethod,
            is_property=definition.is_property,
        )
    return properties
