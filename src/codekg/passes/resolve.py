"""Resolve pass: imports, inheritance, calls and name uses, as derived edges with confidence and reason.

Takes: the SymbolIndex from the structure pass, and the files to resolve (all of them, or those an
incremental run must redo). Returns: per file, the IMPORTS, EXTENDS, IMPLEMENTS, INHERITS, OVERRIDES,
USES, ACCESSES and CALLS edges (a Decorator's too) leaving it, the External names they point at, its call-site outcomes and the symbol-index keys its
resolution read. Every derived edge starts in the file that is resolved, so a file's edges depend
only on its own parse and on what it read. A file whose resolution fails (codekg/faults.py) keeps
no derived edges and carries the failure as a warning; the other files are resolved as if it had none.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codekg.faults import FileFault, contained
from codekg.graph import Graph
from codekg.resolve.calls import CallEdge, CallResolution, callable_target, resolve_file_calls
from codekg.resolve.dependencies import DependencyKey
from codekg.schema import EXTERNAL_ID_PREFIX, ONTOLOGY_TERM_LABELS, REL_TYPE_BY_NAME
from codekg.resolve.inheritance import resolve_file_ancestors, resolve_file_inheritance, resolve_file_overrides
from codekg.resolve.names import NameResolver, Resolved
from codekg.records import Scope, release_lists
from codekg.resolve.symbols import FileSymbols, SymbolIndex, SymbolRef, nearest_package
from codekg.resolve.tsconfig import NO_PROJECT_CONFIGS, ProjectConfigs
from codekg.resolve.flow_child import FlowSolve, start_solve
from codekg.resolve.flow_program import ProgramCalls
from codekg.passes.resolve_pool import settle_shared
from codekg.passes.structure import decorator_id, package_id
from codekg.resolve.ontology_terms import resolve_file_ontology
from codekg.resolve.pytest_fixtures import Fixtures, fixture_calls
from codekg.resolve.sql_lineage import column_parts, resolve_file_sql, shared_edge_parts
from codekg.resolve.types import ValueInference
from codekg.resolve.uses import resolve_file_uses

FLOW_KEY = "flow"  # the dependency key kind of a file's value-flow edges
CALLS_PAIRS = frozenset(REL_TYPE_BY_NAME["CALLS"].pairs)
INHERITS_PAIRS = frozenset(REL_TYPE_BY_NAME["INHERITS"].pairs)
USE_PAIRS = {rel: frozenset(REL_TYPE_BY_NAME[rel].pairs) for rel in ("USES", "ACCESSES")}


@dataclass(slots=True)
class FileResolution:
    """One file's derived edges and what they were derived from."""

    graph: Graph  # edges only; the shared nodes they touch are listed in ``shared``
    # what the file adds to the graph that other files may add too, made once for the index by
    # shared_nodes: node id -> qualified name (Externals, SQL tables, views, columns); an edge key
    # (resolve/sql_lineage.py, shared_edge_key) -> its properties
    shared: dict[str, Any] = field(default_factory=dict)
    call_outcomes: dict[str, int] = field(default_factory=dict)  # resolved / ambiguous / unresolved
    dependencies: frozenset[DependencyKey] = frozenset()
    warnings: list[dict[str, str]] = field(default_factory=list)  # {"pass", "kind", "message"}


def resolve_references(
    symbols: SymbolIndex, ambiguity_limit: int, paths: Iterable[str] | None = None,
    project_configs: ProjectConfigs = NO_PROJECT_CONFIGS, strict: bool = False,
    stored_keys: dict[str, frozenset[DependencyKey]] | None = None, value_flow: bool = True,
    flow_in_child: bool | None = None,
) -> dict[str, FileResolution]:
    """Resolve ``paths`` (default: every file) against the whole index and the project configs
    (tsconfig.json `paths`/`baseUrl`), and every file of ``stored_keys`` (path → the keys its last
    resolution read) whose value-flow edges changed (``value_flow``: the setting; off, no flow is
    solved). A file that fails keeps no edges and a warning (``strict``: raises)."""
    return start_resolution(symbols, ambiguity_limit, paths, project_configs, strict, stored_keys, value_flow,
                            flow_in_child).settle()


def start_resolution(
    symbols: SymbolIndex, ambiguity_limit: int, paths: Iterable[str] | None = None,
    project_configs: ProjectConfigs = NO_PROJECT_CONFIGS, strict: bool = False,
    stored_keys: dict[str, frozenset[DependencyKey]] | None = None, value_flow: bool = True,
    flow_in_child: bool | None = None, helpers: int = 0, scratch: Path | None = None,
) -> "PendingResolution":
    """The resolve pass up to the value flow (see resolve_references): the flow is solved whole (in
    a child process for a big program: resolve/flow_child.py) while each file's names, imports and
    calls are resolved here. `PendingResolution.settle` waits for the flow's answer. ``helpers``:
    forked processes that may settle a share of the files, writing into ``scratch``
    (passes/resolve_pool.py); only for a symbol index wholly in memory, as a full build's is."""
    flow = start_solve(symbols, project_configs, sorted(symbols.files.keys()), flow_in_child) if value_flow else None
    resolver = _FileResolver(symbols, ambiguity_limit, project_configs, strict, value_flow)
    chosen = set(symbols.files.keys() if paths is None else paths)
    pending = PendingResolution(resolver, {}, flow, dict(stored_keys or {}), chosen, helpers, scratch)
    if pending.flow_under_way:  # the first halves while the child solves; else each as it is settled
        pending.first_halves = {path: resolver.first_half(path) for path in sorted(chosen)}
    return pending


@dataclass(slots=True)
class PendingResolution:
    """Every chosen file's first half, and the value flow under way. Until `settle`, a first half's
    graph holds all its derived edges but CALLS, and its ``shared`` every node but the Externals
    that only the flow's calls reach: a full index loads the rest of the graph meanwhile
    (pipeline.py, `_Run._full`)."""

    resolver: "_FileResolver"
    first_halves: dict[str, "_FirstHalf"]
    flow: FlowSolve | None
    stored_keys: dict[str, frozenset[DependencyKey]]
    chosen: set[str]
    helpers: int = 0  # forked processes that may settle a share of the files (passes/resolve_pool.py)
    scratch: Path | None = None  # where they write

    @property
    def flow_under_way(self) -> bool:
        """The flow is being solved in a child, so waiting for it leaves this process idle."""
        return self.flow is not None and self.flow.under_way

    def stop(self) -> None:
        """The run stopped before it settled: a child still solving the flow is killed."""
        if self.flow is not None:
            self.flow.stop()

    def unsettled(self) -> dict[str, FileResolution]:
        """Each chosen file's resolution before the flow (a flow under way): no CALLS edge yet."""
        return {path: half.result for path, half in self.first_halves.items()}

    def settle(self) -> dict[str, FileResolution]:
        """Every file's resolution at once (see settled_files)."""
        return dict(self.settled_files())

    def settled_files(self) -> Iterator[tuple[str, FileResolution]]:
        """Wait for the flow (if any), then give each file its CALLS edges, one file at a time in path
        order: the chosen files, and every file of ``stored_keys`` whose value-flow edges changed. A
        file's first half is let go once settled, so a full build that writes each resolution away as
        it comes (passes/build_records.py) never holds all of them."""
        program = self.flow.result() if self.flow is not None else ProgramCalls()
        redone = {path for path, keys in self.stored_keys.items()  # the flow is solved whole: its edges may change anywhere
                  if path not in self.chosen and flow_dependency(program.edges.get(path, []), program.warnings.get(path, [])) not in keys}
        paths = sorted(self.chosen | redone)
        if self.helpers and self.scratch is not None and not self.first_halves:  # the first halves are the work to share
            yield from settle_shared(paths, lambda path: self.resolver.settled(path, self.resolver.first_half(path), program),
                                     self._weight, self.helpers, self.scratch)
            return
        for path in paths:
            half = self.first_halves.pop(path, None)
            yield path, self.resolver.settled(path, half if half is not None else self.resolver.first_half(path), program)

    def _weight(self, path: str) -> int:
        """About how long a file takes to resolve: its call sites and definitions."""
        parse = self.resolver.symbols.files.unrecorded(path).parse
        return 1 + len(parse.calls) + len(parse.definitions)


@dataclass(slots=True)
class _FirstHalf:
    """What a file resolves to before the value flow is heard: its imports, inheritance and call sites."""

    result: FileResolution
    calls: CallResolution
    failed: bool = False  # the file keeps no derived edges: the value flow's neither
    fixture_calls: list[CallEdge] = field(default_factory=list)  # resolve/pytest_fixtures.py


class _FileResolver:
    """Resolves one file at a time against shared caches; a failed file starts the caches afresh."""

    def __init__(self, symbols: SymbolIndex, ambiguity_limit: int, project_configs: ProjectConfigs, strict: bool,
                 value_flow: bool) -> None:
        self.symbols, self.ambiguity_limit, self.project_configs = symbols, ambiguity_limit, project_configs
        self.strict, self.value_flow = strict, value_flow
        self.names = NameResolver(symbols, project_configs)
        self.values = ValueInference(self.names)
        self.fixtures = Fixtures(symbols, self.names)
        self.values.fixture_for = self.fixtures.fixture_for

    def first_half(self, path: str) -> _FirstHalf:
        faults: list[FileFault] = []
        with self.symbols.recorder.frame() as read:
            half = contained(
                path, "resolve",
                lambda: _resolve_file(self.symbols, self.names, self.values, self.fixtures,
                                      self.symbols.files.unrecorded(path), self.ambiguity_limit, self.value_flow),
                lambda: _FirstHalf(FileResolution(Graph()), CallResolution(), failed=True), self.strict, faults)
        if faults:
            half.result.warnings = [fault.as_warning() for fault in faults]
            # a lookup cut short may have left a half-built entry in the shared caches: start afresh
            self.names = NameResolver(self.symbols, self.project_configs)
            self.values = ValueInference(self.names)
            self.fixtures = Fixtures(self.symbols, self.names)
            self.values.fixture_for = self.fixtures.fixture_for
        # its own bodies are no dependency: a file whose bytes changed is always resolved again
        half.result.dependencies = frozenset(key for key in read if not (key[0] == "scope" and key[1] == path))
        release_lists(self.symbols.files.unrecorded(path).parse)  # read: packed again (records.py)
        return half

    def settled(self, path: str, half: _FirstHalf, program: ProgramCalls) -> FileResolution:
        faults: list[FileFault] = []
        flow_edges = program.edges.get(path, [])
        shared_before = dict(half.result.shared)
        # A failed file keeps no edges, the flow's neither. A file whose calls fail to settle keeps
        # the rest of its first half: a full index may have loaded it already (PendingResolution).
        result = half.result if half.failed else contained(
            path, "resolve",
            lambda: _settled(half, flow_edges, program.resolved_sites.get(path, {}) if self.value_flow else None),
            lambda: FileResolution(half.result.graph.without({"CALLS"}), shared_before,
                                   dependencies=half.result.dependencies), self.strict, faults)
        result.warnings = result.warnings + [fault.as_warning() for fault in faults]
        flow_warnings = program.warnings.get(path, [])
        result.dependencies = result.dependencies | {flow_dependency(flow_edges, flow_warnings)}
        result.warnings += flow_warnings
        return result


def flow_dependency(edges: list[CallEdge], warnings: list[dict[str, str]]) -> DependencyKey:
    """A key that stands for a file's value-flow edges and the bounds the solve hit there. The flow
    fixpoint is global: any change may change what another file's names hold, so every run solves it
    whole, and a file whose key is no longer its edges' key is resolved again (``stored_keys`` of
    resolve_references), which replaces its warnings too."""
    described = sorted((e.caller.id, e.callee.ref.id if e.callee.ref else e.callee.external_name, e.callee.reason,
                        e.callee.confidence, e.line) for e in edges)
    return (FLOW_KEY, hashlib.sha1(repr((described, warnings)).encode()).hexdigest()[:16])


def shared_nodes(resolutions: Iterable[Any]) -> Graph:
    """What files' edges share, each once: External nodes; the SQL objects (databases, schemas,
    tables, views, columns) with the CONTAINS edges between them; and the DERIVES_FROM edges between
    columns, which several files may derive (the one of the first statement, by id, is kept). From
    anything with ``shared`` (node id -> qualified name, the label the id's prefix; edge key -> properties)."""
    nodes: dict[str, str] = {}
    edges: dict[str, dict[str, Any]] = {}
    described: dict[str, dict[str, Any]] = {}  # node id -> its label ("node") and properties
    for resolution in resolutions:
        for key, value in resolution.shared.items():
            if isinstance(value, dict) and "node" in value:
                if key not in described or _describes_better(value, described[key]):
                    described[key] = value
            elif isinstance(value, dict):
                if key not in edges or value["statement"] < edges[key]["statement"]:
                    edges[key] = value
            else:
                nodes[key] = value
    graph = Graph()
    for node_id, properties in sorted(described.items()):
        graph.add_node(properties["node"], **{k: v for k, v in properties.items() if k != "node"})
        ontology = f"Ontology:{properties['ontology_id']}"
        if properties["node"] in ONTOLOGY_TERM_LABELS and ontology in described:
            graph.add_edge("CONTAINS", ("Ontology", ontology), (properties["node"], node_id))
    relations: dict[str, str] = {}  # qualified name -> label, for the columns' CONTAINS
    containers: set[str] = set()
    for node_id, qualified_name in sorted(nodes.items()):
        label = node_id.split(":", 1)[0]
        if label in ("Table", "View"):
            relations[qualified_name] = label
            _add_sql_container(graph, label, node_id, qualified_name, containers)
        elif label != "Column":
            graph.add_node("External", id=node_id, name=qualified_name.rsplit(".", 1)[-1], qualified_name=qualified_name)
    for node_id, qualified_name in sorted(nodes.items()):
        if node_id.startswith("Column:"):
            relation, column = column_parts(node_id)
            graph.add_node("Column", id=node_id, name=column, qualified_name=qualified_name, language="sql")
            label = relations.get(relation, "Table")
            graph.add_edge("CONTAINS", (label, f"{label}:{relation}"), ("Column", node_id))
    for key, properties in sorted(edges.items()):
        rel_type, source, target = shared_edge_parts(key)
        graph.add_edge(rel_type, ("Column", source), ("Column", target), **properties)
    return graph


def _describes_better(candidate: dict[str, Any], kept: dict[str, Any]) -> bool:
    """Of two files' versions of one node: a declaration over a mere mention, then the first file."""
    return (not candidate.get("declared", True), candidate["file_path"] or "\uffff") < \
        (not kept.get("declared", True), kept["file_path"] or "\uffff")


def _add_sql_container(graph: Graph, label: str, node_id: str, relation: str, containers: set[str]) -> None:
    """A table or view node, its schema (and database) nodes, once each, and the CONTAINS edges down to it."""
    parts = relation.split(".")
    graph.add_node(label, id=node_id, name=parts[-1], qualified_name=relation, language="sql")
    schema = ".".join(parts[:-1])
    schema_id = "Schema:" + schema
    graph.add_edge("CONTAINS", ("Schema", schema_id), (label, node_id))
    if schema_id in containers:
        return
    containers.add(schema_id)
    graph.add_node("Schema", id=schema_id, name=parts[-2] if len(parts) > 1 else schema, qualified_name=schema, language="sql")
    if len(parts) > 2:
        database = ".".join(parts[:-2])
        database_id = "Database:" + database
        graph.add_edge("CONTAINS", ("Database", database_id), ("Schema", schema_id))
        if database_id not in containers:
            containers.add(database_id)
            graph.add_node("Database", id=database_id, name=database, qualified_name=database, language="sql")


def call_outcomes_by_language(languages: dict[str, str], outcomes: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per language: how many call sites resolved to one target, to several, or to none."""
    totals: dict[str, Counter] = {}
    for path, counts in outcomes.items():
        if counts:  # a language without call sites (SQL) has no line
            totals.setdefault(languages[path], Counter()).update(counts)
    return {language: dict(sorted(counter.items())) for language, counter in sorted(totals.items())}


def _endpoint(result: FileResolution, target: Resolved) -> tuple[str, str] | None:
    """A target's node: a definition, or an External (listed in the file's ``shared``)."""
    if target.ref is not None:
        return target.ref.endpoint
    if target.external_name:
        external_id = EXTERNAL_ID_PREFIX + target.external_name
        result.shared[external_id] = target.external_name
        return ("External", external_id)
    return None


def _package_edges(symbols: SymbolIndex, file_symbols: FileSymbols, result: FileResolution) -> None:
    """A manifest's DEPENDS_ON edges to the distributions it names; a code file's module in the
    package of the nearest manifest above it (CONTAINS)."""
    parse = file_symbols.parse
    for package in parse.packages:
        # One edge per distribution (an edge is its type and endpoints): a manifest naming it in
        # several places (two extras, runtime and dev) gives each kind and version range once, in order.
        named: dict[str, tuple[list[str], list[str]]] = {}
        for name, version, kind in package.dependencies:
            versions, kinds = named.setdefault(name, ([], []))
            versions += [version] if version and version not in versions else []
            kinds += [kind] if kind not in kinds else []
        for name, (versions, kinds) in named.items():
            target = _endpoint(result, Resolved("manifest", 1.0, external_name=name))
            if target is not None:
                result.graph.add_edge("DEPENDS_ON", ("Package", package_id(parse.path)), target, version=" | ".join(versions),
                                      kind=", ".join(kinds), confidence=1.0, reason="manifest")
    if parse.language in ("python", "javascript", "typescript"):
        manifest = nearest_package(symbols, parse.path)
        if manifest is not None:
            result.graph.add_edge("CONTAINS", ("Package", package_id(manifest)), file_symbols.module_ref.endpoint)


def _resolve_file(
    symbols: SymbolIndex, names: NameResolver, values: ValueInference, fixtures: Fixtures, file_symbols: FileSymbols,
    ambiguity_limit: int, value_flow: bool,
) -> _FirstHalf:
    result = FileResolution(Graph())
    graph = result.graph
    for (kind, target), entry in sorted(names.file_imports(file_symbols.parse.path).edges.items()):
        if kind == "file":
            target_endpoint = symbols.files[target].file_ref.endpoint
        else:
            target_endpoint = _endpoint(result, Resolved("unresolved-import", 1.0, external_name=target))
        # An import statement names its module exactly: only calls through it can be uncertain.
        graph.add_edge("IMPORTS", file_symbols.file_ref.endpoint, target_endpoint, names=sorted(entry["names"]),
                       confidence=1.0, reason=entry["reason"], line=entry["line"])

    seen: set[tuple[str, tuple[str, str], tuple[str, str]]] = set()
    for edge in resolve_file_inheritance(file_symbols, names):
        target = _endpoint(result, edge.parent)
        key = (edge.rel_type, edge.child.endpoint, target)
        if target is None or key in seen:
            continue  # two base expressions naming one class make one edge
        seen.add(key)
        try:
            graph.add_edge(edge.rel_type, edge.child.endpoint, target, confidence=edge.parent.confidence,
                           reason=edge.parent.reason)
        except ValueError:
            continue  # e.g. a class "extending" an interface: a pairing the schema does not model
    for method, base in resolve_file_overrides(file_symbols, names):
        graph.add_edge("OVERRIDES", method.endpoint, base.endpoint, confidence=1.0, reason="override")
    for child, ancestor, distance in resolve_file_ancestors(file_symbols, names):
        target = _endpoint(result, ancestor)
        if target is not None and (child.label, target[0]) in INHERITS_PAIRS:
            graph.add_edge("INHERITS", child.endpoint, target, distance=distance, confidence=1.0, reason="mro")
    for use in resolve_file_uses(file_symbols, names):
        if (use.user.label, use.target.ref.label) not in USE_PAIRS[use.rel_type]:
            continue
        mode = {"mode": use.mode} if use.rel_type == "ACCESSES" else {}
        graph.add_edge(use.rel_type, use.user.endpoint, use.target.ref.endpoint, count=use.count,
                       confidence=use.target.confidence, reason=use.target.reason, line=use.line, **mode)
    resolve_file_sql(symbols, file_symbols, graph, result.shared, result.warnings)
    if file_symbols.parse.ontology or file_symbols.parse.mentions:
        synced = datetime.fromtimestamp(file_symbols.parse.mtime_ns / 1e9, timezone.utc).isoformat(timespec="seconds")
        resolve_file_ontology(symbols, file_symbols, graph, result.shared, result.warnings, synced)
    _package_edges(symbols, file_symbols, result)
    calls = resolve_file_calls(symbols, names, file_symbols, ambiguity_limit, values, value_flow)
    _decorator_calls(names, file_symbols, calls, result)
    return _FirstHalf(result, calls, fixture_calls=fixture_calls(fixtures, file_symbols))


def _decorator_calls(names: NameResolver, file_symbols: FileSymbols, calls: CallResolution,
                     result: FileResolution) -> None:
    """A Decorator CALLS what its call site (`@deco`, `@app.get("/")`, in the scope around the
    definition) resolved to: the same targets the code running the `def` gets. A decorator with no
    call site of its own (JS/TS `@logged`) calls what its name means there."""
    decorators: dict[tuple[int, str], tuple[str, SymbolRef, str]] = {}
    for ref in file_symbols.decorated:
        definition = ref.definition
        for position, (expression, line) in enumerate(zip(definition.decorators, definition.decorator_lines)):
            callable_text = expression.partition("(")[0].strip()
            decorators.setdefault((line, callable_text.rsplit(".", 1)[-1]), (decorator_id(ref, position), ref, callable_text))
    if not decorators:
        return
    targets: dict[str, dict[tuple[str, str], tuple[Resolved, int]]] = {node_id: {} for node_id, _, _ in decorators.values()}
    for site in calls.sites:
        found = decorators.get(site.key[1:])
        for edge in reversed(site.edges) if found is not None else ():
            target = _endpoint(result, edge.callee)
            if target is not None:
                targets[found[0]][target] = (edge.callee, edge.line)
    for (line, _), (node_id, decorated, callable_text) in decorators.items():
        if not targets[node_id]:
            meant = names.lookup_dotted(file_symbols, decorated.path[:-1], callable_text, line)
            target = _endpoint(result, meant) if meant is not None and callable_target(meant) else None
            if target is not None:
                targets[node_id][target] = (meant, line)
        for target, (callee, call_line) in targets[node_id].items():
            if ("Decorator", target[0]) in CALLS_PAIRS:
                result.graph.add_edge("CALLS", ("Decorator", node_id), target, confidence=callee.confidence,
                                      reason=callee.reason, line=call_line, call_count=1)


# Edges under this confidence are guesses: a name split between candidates, only one of which runs.
# Where the value flow reaches the same callee, the call is one some run makes, and takes the flow's.
GUESS_BELOW = 0.5


def _settled(half: _FirstHalf, flow_edges: list[CallEdge],
             flow_sites: dict[tuple[Scope, int, str], set[str] | frozenset[str]] | None) -> FileResolution:
    """The file's CALLS edges once the value flow is known (``flow_sites`` None: it is off)."""
    result = half.result
    call_edges, outcomes = half.calls.settled(flow_sites)
    aggregated: dict[tuple[tuple[str, str], tuple[str, str]], dict[str, Any]] = {}
    for call in [*call_edges, *half.fixture_calls]:  # a fixture a test requests: a call pytest makes for it
        target = _endpoint(result, call.callee)
        if target is None:
            continue
        key = (call.caller.endpoint, target)
        entry = aggregated.get(key)
        if entry is None:
            aggregated[key] = {"confidence": call.callee.confidence, "reason": call.callee.reason,
                               "line": call.line, "call_count": 1}
            continue
        entry["call_count"] += 1
        entry["line"] = min(entry["line"], call.line)
        if call.callee.confidence > entry["confidence"]:
            entry["confidence"], entry["reason"] = call.callee.confidence, call.callee.reason
    for flow_edge in flow_edges:  # value flow: the calls the rules above do not reach, or reach less surely
        target = _endpoint(result, flow_edge.callee)
        key = (flow_edge.caller.endpoint, target)
        if target is None or (key[0][0], target[0]) not in CALLS_PAIRS:
            continue
        entry = aggregated.get(key)
        if entry is None:
            aggregated[key] = {"confidence": flow_edge.callee.confidence, "reason": flow_edge.callee.reason,
                               "line": flow_edge.line, "call_count": 1}
        elif entry["confidence"] < GUESS_BELOW < flow_edge.callee.confidence:  # a split guess the flow confirms
            entry["confidence"], entry["reason"] = flow_edge.callee.confidence, flow_edge.callee.reason
    for (source, target), properties in aggregated.items():
        result.graph.add_edge("CALLS", source, target, **properties)
    result.call_outcomes = dict(sorted(outcomes.items()))
    return result
