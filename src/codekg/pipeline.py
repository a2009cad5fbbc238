"""An index run, top to bottom: scan (and read the project configs) → parse → structure → resolve → load.

Each pass is a function of the previous passes' outputs; this module only orders them, times
them and gathers the summary a user sees.

A run that finds nothing changed must start fast: at module level only the modules of the scan, the
change detection and the unchanged summary are imported; the parse, structure, resolve and load passes
(tree-sitter, the value-flow solver, the graph writers) are imported by the steps that run them.
tests/test_cli_startup.py holds this file to that.
"""

from __future__ import annotations

import functools
import importlib
import subprocess
import sys
import threading
import logging
import time
import uuid
from collections import Counter
from concurrent.futures import Future
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from codekg import __version__
from codekg.errors import CodekgError, InputError
from codekg.file_names import stored_path
from codekg.graph import EdgeKey, Graph, GraphDelta, GraphTables, graph_delta
from codekg.language_table import language_for_path
from codekg.index_state import (
    STATE_SUFFIX,
    FileRecord,
    FileStat,
    FileSummary,
    IndexState,
    StateUpdate,
    graph_fingerprint,
)
from codekg.interrupts import deferred_interrupts, raise_if_interrupted
from codekg.metrics import snapshot as metrics_snapshot
from codekg.passes.changes import ChangeSet, detect_changes, file_content_hash
from codekg.passes.scan import ScanResult, SkippedFile, SourceFile, scan_repository
from codekg.resolve.tsconfig import NO_PROJECT_CONFIGS, load_project_configs
from codekg.search import sync as search_index
from codekg.stores import IndexDirectory, LoadReport, live_index_matches, on_server_store

if TYPE_CHECKING:
    from codekg.passes.parse import ParseResult
    from codekg.passes.resolve import FileResolution
    from codekg.passes.structure import FileStructure
    from codekg.records import FileParse
    from codekg.resolve.dependencies import DependencyKey
    from codekg.resolve.symbols import FileOutline, SymbolIndex
    from codekg.settings import Settings
    from codekg.stores.mirror import MirrorResult

log = logging.getLogger(__name__)
INCREMENTAL_MIN_FILES = 50  # a change this small is always applied as a delta, whatever the repository's size


class ProgressReporter(Protocol):
    def start(self, phase: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...
    def found(self, counts: dict[str, int]) -> None: ...  # what the phase found so far: {"classes": 12, …}


class SilentProgress:
    def start(self, phase: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
        pass

    def found(self, counts: dict[str, int]) -> None:
        pass


@dataclass(slots=True)
class RunFacts:
    """What the passes found: reported in the summary and stored as index metadata."""

    files_by_language: dict[str, int]
    nodes: dict[str, int]
    edges: dict[str, int]
    call_sites: dict[str, dict[str, int]]
    parse_cache: dict[str, Any]
    skipped: list[dict[str, str]]
    warnings: list[dict[str, str]]


@dataclass(slots=True)
class IndexSummary(RunFacts):
    repo: str
    db_dir: str
    commit: str
    pass_seconds: dict[str, float]
    total_seconds: float
    # mode (full | incremental | unchanged), files added/changed/deleted, nodes and edges written
    delta: dict[str, Any] = field(default_factory=dict)
    load_fallbacks: list[dict[str, str]] = field(default_factory=list)  # a table whose COPY failed: its kind and error
    # COPYs tried, failures by kind (stores/copy_failures.py) and failures / attempts; none on a delta
    copy: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)  # the process's Prometheus samples
    search: dict[str, Any] = field(default_factory=dict)  # what the search index update did (codekg.search.sync)
    secondary: list[dict[str, Any]] = field(default_factory=list)  # one MirrorResult per `--also-write` store
    # whether the value flow ran ("on"), the setting that decided it, and the bytes `auto` weighed
    value_flow: dict[str, Any] = field(default_factory=dict)
    # forked processes that resolved a share of a full build's files beside this one (passes/resolve_pool.py)
    resolve_helpers: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_repository(
    repo: Path, db_dir: Path, settings: Settings, progress: ProgressReporter | None = None, full: bool = False,
    parsed_ahead: dict[str, FileParse] | None = None,
) -> IndexSummary:
    """Index ``repo`` into ``db_dir``: a delta on the live index when one exists and was built the
    same way, else (or with ``full``) a new build. Ctrl-C/SIGTERM stop it between steps with
    KeyboardInterrupt, leaving the previous index as it was. ``parsed_ahead``: records the caller
    parsed already, by path (a sync's workers); the parse pass takes them out as it uses them."""
    with deferred_interrupts(hard_stop=True):
        run = _Run(repo, db_dir, settings, progress or SilentProgress())
        run.parsed_ahead = parsed_ahead
        return run.execute(full)


Built = TypeVar("Built")

# How often a thread waiting for the GIL gets it while a full build runs: the load's thread (and the
# search file's and the state's) spend their time in the database, and each statement's return waits
# for the GIL that the resolve pass holds, up to Python's 5 ms each time. At 1 ms: fastapi cold
# 3.97 → 3.85 s, pydantic 4.26 → 4.13 s (means of three runs each, docs/benchmarks.md §39).
THREAD_SWITCH_SECONDS = 0.001


def _quick_thread_switches(build: Callable[..., Built]) -> Callable[..., Built]:
    """``build`` with THREAD_SWITCH_SECONDS as the interpreter's switch interval, the previous one after."""
    @functools.wraps(build)
    def switching(*arguments: Any, **options: Any) -> Built:
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, THREAD_SWITCH_SECONDS))
        try:
            return build(*arguments, **options)
        finally:
            sys.setswitchinterval(previous)
    return switching


class _Run:
    """One index run: the passes in order, their timings, and the summary."""

    def __init__(self, repo: Path, db_dir: Path, settings: Settings, progress: ProgressReporter) -> None:
        self.repo, self.db_dir, self.settings, self.progress = repo, db_dir, settings, progress
        self.directory = IndexDirectory(db_dir)
        self.timings: dict[str, float] = {}
        self.started = time.perf_counter()
        self.project_configs = NO_PROJECT_CONFIGS
        self.config_warnings: list[dict[str, str]] = []
        self.fingerprint = ""  # known after the scan: it covers the project configs
        self.parsed_ahead: dict[str, FileParse] | None = None
        self._project_cache: tuple[frozenset[str], Graph] | None = None
        self._told_of_another_root = False
        self._head_commit: str | None = None
        self.flow_decision: dict[str, Any] = {}
        self.resolve_helpers = 0

    def execute(self, full: bool) -> IndexSummary:
        with _timed(self.timings, "scan"):
            self.progress.start("scan")
            scan = scan_repository(self.repo, self.settings)
            self.project_configs, config_warnings = load_project_configs(
                scan.root, scan.project_configs, self.settings.max_file_size)
            self.config_warnings = scan.warnings + config_warnings  # the .gitignore and tsconfig files
        self._decide_value_flow(scan)
        self.fingerprint = graph_fingerprint(self.settings, self.project_configs.digest)
        if not scan.files:
            detail = f" ({len(scan.skipped)} skipped)" if scan.skipped else ""
            raise InputError(f"no file codekg reads (source code, SQL, ontology files, markdown pages) to index in {self.repo}{detail}")
        with self.directory.writer_lock():
            state = None if full else self._live_state()
            if state is not None and state.repo_root and state.repo_root != stored_path(str(scan.root)):
                # the index of another repository, or of this one before it moved (a copied folder kept
                # the old path, project name and files of the first, its check trusting their stamps)
                state.close()
                state = None
            if state is None:
                return self._full(scan)
            try:
                with _timed(self.timings, "changes"):
                    changes = detect_changes(scan, state.stats(), state.unparsed(), state.saved_at_ns)
                if not changes:
                    state.restamp(changes.restamped)
                    return self._unchanged(scan, state)
                if len(changes.touched_paths) <= max(INCREMENTAL_MIN_FILES, self.settings.incremental_max_fraction * len(scan.files)):
                    summary = self._incremental(scan, state, changes)
                    if summary is not None:
                        return summary
            finally:
                state.close()
            return self._full(scan)

    def _decide_value_flow(self, scan: ScanResult) -> None:
        """Settle `value_flow = "auto"` from the size of the source it would solve, before anything
        reads the setting: from here on the run's settings hold a plain true or false, so the
        fingerprint, the parse and the resolver agree, and a repository that grows past the limit
        is rebuilt without the flow as a change of the setting would be."""
        setting, source_bytes = self.settings.value_flow, scan.flow_source_bytes
        on = self.settings.value_flow_for(source_bytes)
        self.flow_decision = {"on": on, "setting": setting, "source_bytes": source_bytes,
                              "auto_limit": self.settings.value_flow_auto_bytes}
        if setting != on:
            self.settings = self.settings.model_copy(update={"value_flow": on})

    def _tell_of_another_root(self, previous_root: str, scan: ScanResult) -> None:
        """A warning when the index in `<db>` was of another repository (`sync` and `index`, or two
        repositories, given one --db): this run replaces it."""
        root = stored_path(str(scan.root))
        if previous_root and previous_root != root and not self._told_of_another_root:
            self._told_of_another_root = True
            log.warning("%s held the index of %s; it now holds the index of %s (give each its own --db to keep both)",
                        self.db_dir, previous_root, root)

    def _live_state(self) -> IndexState | None:
        """The live build's state, if the live graph opens and holds the generation the state
        describes (a truncated file, or a run killed between its commit and its state: rebuild).
        Opening the graph to check is a third of a no-change run (importing and opening the
        database); it is skipped when the graph file is exactly as it was when a run last checked it
        (same inode, size and times, no log, checkpoint or pending delta beside it)."""
        current = self.directory.current_graph()
        state = None if current is None else IndexState.open(self.db_dir, current.name, self.fingerprint)
        if state is None:
            return None
        embedded = not on_server_store(self.settings)
        stamp = self.directory.graph_stamp(current.name) if embedded else None
        if stamp is not None and stamp == state.checked_graph_stamp:
            self.directory.remove_stale_builds()
            return state
        if not live_index_matches(self.db_dir, self.settings, state.generation):
            state.close()
            return None
        self._record_graph_stamp(state, current.name)  # after a finished checkpoint
        return state

    def _stamp_new_build(self, graph_file: str) -> None:
        """The build this run published holds the generation its state records: its stamp is kept, so
        the first no-change run after it need not open it to check (0.1 s of that run's 0.35 s)."""
        if on_server_store(self.settings):
            return
        state = IndexState.open(self.db_dir, graph_file, self.fingerprint)
        if state is not None:
            try:
                self._record_graph_stamp(state, graph_file)
            finally:
                state.close()

    def _record_graph_stamp(self, state: IndexState, graph_file: str) -> None:
        """The live graph holds the generation ``state`` records, as this run checked or wrote it:
        its file-system stamp is kept, so the next run need not open it to check (embedded only)."""
        stamp = None if on_server_store(self.settings) else self.directory.graph_stamp(graph_file)
        if stamp is not None:
            state.record_checked_graph_stamp(stamp)

    # --- a full build ----------------------------------------------------------------------------

    @_quick_thread_switches
    def _full(self, scan: ScanResult) -> IndexSummary:
        from codekg.garbage import collection_paused, give_back_memory
        from codekg.git_exclude import exclude_index_directory
        from codekg.passes.build_records import BuildRecords
        from codekg.passes.load import load_graph, metadata_graph, remove_unpublished_build
        from codekg.passes.resolve import shared_nodes, start_resolution
        from codekg.passes.resolve_pool import helper_count
        from codekg.passes.structure import build_structure
        from codekg.stores.mirror import mirror_full
        from codekg.stores.target import refuse_newer_index

        self._tell_of_another_root(refuse_newer_index(self.directory.current_graph(), self.settings).get("repo_root", ""), scan)
        if scan.is_git:
            exclude_index_directory(scan.root, self.db_dir)
        parsed = self._parse(scan.root, scan.files)
        self.directory.remove_stale_builds()
        build = self.directory.new_build_path()
        generation = uuid.uuid4().hex
        built = BuildRecords(IndexState.create(self.db_dir, build.name, self.fingerprint), self.settings.record_buffer_rows,
                             self.db_dir)
        sources = {source_file.path: source_file for source_file in scan.files}

        def write_ahead(parsed_file: FileParse, file_structure: FileStructure) -> None:
            built.add_structure(parsed_file.path, _file_stat(parsed_file, sources[parsed_file.path]), file_structure)
            raise_if_interrupted()  # between files: a stop unwinds, and the state written ahead is deleted

        # Structure, resolve and the records only build what lives on until the state is written: each
        # collection walked that growing heap and freed nothing (a third of those passes on pydantic);
        # give_back_memory below collects what they left.
        try:
            with collection_paused():
                with _timed(self.timings, "structure"):
                    self.progress.start("structure")
                    # a file's nodes may be written ahead as they are made, but not while the value flow is
                    # on: the flow holds the whole program anyway, and its child needs them for the early load
                    structure = build_structure(scan.root, parsed.parses, self.settings,
                                                None if self.settings.value_flow else write_ahead)
                    built.add_graph(structure.graph)
                with _timed(self.timings, "resolve"):
                    # without the value flow, each file is resolved as its record is made: a count to show
                    resolve_total = None if self.settings.value_flow else len(parsed.parses)
                    self.progress.start("resolve", resolve_total)
                    self.resolve_helpers = 0 if self.settings.value_flow else helper_count(
                        self.settings.workers, len(parsed.parses), self.settings.parse_memory_ceiling)
                    pending = start_resolution(structure.symbols, self.settings.ambiguity_limit,
                                               project_configs=self.project_configs, strict=self.settings.strict,
                                               value_flow=self.settings.value_flow,
                                               helpers=self.resolve_helpers, scratch=self.db_dir)
                # What is known already is loaded while the rest is settled: while a child solves the value
                # flow, the graph but its calls (docs/benchmarks.md §25); without the value flow, the
                # structure pass's rows, every node but the Externals and the edges between them, beside the
                # resolve pass (§36), up to EARLY_LOAD_MAX_ROWS of them. With the flow solved here, the
                # files' nodes come with their records.
                rest: Callable[[Graph], Graph] = lambda graph: graph
                early = GraphTables({}, {})
                if pending.flow_under_way:
                    unsettled = pending.unsettled()
                    paths = [parsed_file.path for parsed_file in parsed.parses]
                    early = _before_the_flow(Graph.combined(
                        structure.graph, *(structure.files[path].graph for path in paths),
                        *(unsettled[path].graph for path in paths), shared_nodes(unsettled[path] for path in paths),
                    )).to_tables()
                    rest = _decided_by_the_flow
                    del unsettled
                elif not self.settings.value_flow and built.rows_added <= EARLY_LOAD_MAX_ROWS:
                    early = built.tables()
                raise_if_interrupted()
        except BaseException:
            built.state.discard()
            raise
        settled: dict[str, Any] = {}

        def records(part: Callable[[Graph], Graph], first_settled: Callable[[], None]) -> GraphTables:
            """Settle the resolve pass and make each file's record, for the state's writer (written
            ahead when a large repository's would not fit: passes/build_records.py). Gives the tables
            of the graph's ``part`` (converted with the collector paused: it would walk the heap of
            records again and again). ``first_settled``: called once the first file is settled, when
            any resolve helper is forked."""
            nonlocal structure, parsed, pending, built
            state = built.state
            try:
                with collection_paused():
                    built.part = part
                    parses = {parsed_file.path: parsed_file for parsed_file in parsed.parses}
                    settled_files = pending.settled_files()
                    try:
                        for path, resolution in _timed_each(settled_files, self.timings, "resolve"):
                            first_settled()
                            built.add(path, _file_record(parses.pop(path), sources[path], structure.files.pop(path), resolution))
                            if resolve_total:
                                self.progress.advance()
                            raise_if_interrupted()
                    finally:
                        settled_files.close()  # a stop or a failure: any resolve helper is killed now (resolve_pool.py)
                    pending = None  # its resolver's caches
                    built.add_graph(shared_nodes(built.summaries.values()))
                    tables = built.tables()
                    update = StateUpdate(generation, _module_table(structure.symbols), records=built.held,
                                         unparsed=_unparsed(scan, parsed.skipped), repo_root=stored_path(str(scan.root)),
                                         commit=self._head(scan))
                    unparsed = {p: e[1] for p, e in update.unparsed.items()}
                    settled["facts"] = facts = self._facts(scan, built.summaries, unparsed, parsed)
                    if built.seconds_written_ahead:
                        self.timings["state"] = self.timings.get("state", 0.0) + built.seconds_written_ahead
                    update.facts = _stored_facts(facts, unparsed)
                    structure = parsed = built = None  # the records (flow facts too) live on in `update` until the state is written
                    raise_if_interrupted()
            except BaseException:
                state.discard()
                raise
            settled["state"], settled["update"] = state, update
            return tables

        def start_writing_state() -> None:
            """The per-file state is written beside the load, as the search file is: the load spends its
            time in the graph database, which lets the other threads run (docs/benchmarks.md §17b). The
            thread holds the records until they are written, then lets them go. The build goes live only
            once the state is written; a failed or interrupted load removes both (load_graph)."""
            settled["stating"] = _Beside(functools.partial(self._write_state, settled.pop("state"), settled.pop("update")))

        def written_state() -> None:
            if "stating" in settled:
                settled["stating"].result()

        # The early tables are loaded in a thread while this one settles the rest: the database lets
        # other threads run while it writes. The load starts once any resolve helper is forked (the
        # first file settled), so that no helper is a copy of a process in the middle of a write.
        late_tables: Future[GraphTables] = Future()
        waited = 0.0  # by the load, for the late tables

        def late() -> GraphTables:
            """The tables settled after the early ones, once this thread has made them (in the load's thread)."""
            nonlocal waited
            started = time.perf_counter()
            try:
                return late_tables.result()
            finally:
                waited = time.perf_counter() - started

        load_started = 0.0

        def late_metadata() -> dict[str, Any]:
            written_state()  # its time is one of the passes recorded
            now = time.perf_counter()
            passes = {**self.timings, "load": now - load_started - waited}
            passes.pop("search", None)  # not the search file's, which fills beside the load
            return {**self._metadata(scan, settled["facts"], generation),
                    "pass_seconds": {k: round(v, 4) for k, v in passes.items()}, "index_seconds": str(round(now - self.started, 4))}

        def load(first: GraphTables, then: Callable[[], GraphTables] | None) -> LoadReport:
            nonlocal load_started
            load_started = time.perf_counter()
            try:
                return load_graph(self.directory, build, first, {}, self.settings, late_metadata,
                                  before_publish=written_state, late=then)
            finally:
                self.timings["load"] = time.perf_counter() - load_started - waited

        loading: _Beside[LoadReport] | None = None

        def start_loading() -> None:
            nonlocal loading
            if loading is None and (early.nodes or early.edges):
                loading = _Beside(functools.partial(load, early, late))

        def search_nodes() -> Iterator[tuple[str, Any]]:
            for tables in (early, late_tables.result()):
                for label, table in search_index.in_search_order(tables.nodes):
                    yield label, table
                    tables.let_go(label)  # read: its spilled pages leave this process's memory

        def search_edges() -> Iterator[tuple[EdgeKey, Any]]:
            for tables in (early, late_tables.result()):
                for key, table in tables.edges.items():
                    yield key, table
                    tables.let_go(key)

        # The search file fills beside the load: both spend their time in SQLite and the graph database,
        # which let the other thread run (docs/benchmarks.md). Stamped with a generation not yet live, it
        # is rebuilt by a reader if the load then fails: a search never answers from another generation.
        # With the value flow under way it starts at once; else once the state is written, after the
        # resolve pass: the two writers one after the other, both beside the load, hold less memory at
        # once for no longer a run (§27).
        def fill_search() -> dict[str, Any]:
            if "stating" in settled:
                settled["stating"].join()
            return self._update_search(search_index.update_after_full, build.name, generation,
                                       search_nodes(), search_edges(), scan.root, announce=False)

        searching = _Beside(fill_search) if pending.flow_under_way else None
        if not self.resolve_helpers:
            start_loading()
        try:
            try:
                settled_tables = records(rest, start_loading)
            except BaseException as error:
                late_tables.set_exception(error)  # the load stops, and removes the build's files
                raise
            start_loading()  # no file to settle
            late_tables.set_result(settled_tables)
            if loading is None:  # nothing to load early: the whole graph now
                loading = _Beside(functools.partial(load, settled_tables, None))
            del settled_tables
            if len(scan.files) >= GIVE_BACK_MIN_FILES:
                give_back_memory()  # the passes' garbage
            start_writing_state()
            if searching is None:
                searching = _Beside(fill_search)
            self.progress.start("load")
            report = loading.result()
        finally:
            if not late_tables.done():  # the load stopped before the late tables: the search file waits no more
                late_tables.set_exception(CodekgError("the graph's load stopped"))
            if pending is not None:  # nor does the value flow's child solve on
                pending.stop()
            if built is not None:  # the records were never made: their state is no use
                built.state.discard()
            if loading is not None:
                loading.join()
            if "stating" in settled:
                settled["stating"].join()
            if searching is not None:
                searching.join()
            if loading is None or not loading.succeeded():  # nor is a state written after the load failed
                remove_unpublished_build(self.directory, build)
        self._stamp_new_build(build.name)
        search = self._store_vectors(searching.result())
        facts, tables = settled["facts"], GraphTables.concatenated([early, late_tables.result()])
        metadata = self._metadata(scan, facts, generation)
        secondary = self._mirror(lambda uri: mirror_full(uri, self.settings, self.db_dir, tables, metadata_graph(metadata)))
        delta = {"mode": "full", "files_added": len(scan.files), "files_changed": 0, "files_deleted": 0,
                 "nodes_added": sum(facts.nodes.values()), "nodes_removed": 0, "nodes_updated": 0,
                 "edges_added": sum(facts.edges.values()), "edges_removed": 0}
        return self._summary(scan, facts, metadata["commit"], delta, report, search, secondary)

    # --- a delta on the live index ---------------------------------------------------------------

    def _incremental(self, scan: ScanResult, state: IndexState, changes: ChangeSet) -> IndexSummary | None:
        """Re-derive what the change can affect and write the difference; None when the live index
        cannot take a delta (the caller rebuilds)."""
        from codekg.garbage import collection_paused

        stored: dict[str, Any] = {}

        def meanwhile() -> None:
            """What needs no parse, done while a forked worker parses the changed files: the passes'
            imports and the stored summaries (on fastapi about 0.15 s, as long as parsing routing.py).
            Its time counts in the parse pass's."""
            with collection_paused():  # modules and every file's summary: all of it lives on
                for module in ("codekg.passes.load", "codekg.passes.resolve", "codekg.passes.structure", "codekg.resolve.interface"):
                    importlib.import_module(module)
                stored["summaries"] = state.summaries()
                self._project(scan.root, stored["summaries"])

        parsed = self._parse(scan.root, changes.to_parse, meanwhile)
        summaries: dict[str, FileSummary] = stored["summaries"]
        from codekg.passes.load import apply_delta, metadata_graph
        from codekg.passes.resolve import shared_nodes, resolve_references
        from codekg.passes.structure import build_symbol_index, file_outline, file_structure
        from codekg.resolve.interface import interface_digests

        sources = {f.path: f for f in changes.to_parse}
        with _timed(self.timings, "structure"), collection_paused():  # the global tables live on
            self.progress.start("structure")
            fresh = {p.path: file_structure(p, self.settings) for p in parsed.parses}
            kept = {f.path for f in changes.unchanged if f.path in summaries}
            outlines = {**{path: summaries[path].outline for path in kept},
                        **{path: file_outline(structure.symbols) for path, structure in fresh.items()}}
            symbols = build_symbol_index(outlines, {path: structure.symbols for path, structure in fresh.items()}, state.symbols)
            old_modules = state.module_table()
            module_table = _module_table(symbols, old_modules)
            touched = changes.touched_paths
            # what the touched files gave other files, before (their stored symbols) and now; the value
            # flow reads every fact of a file, so with it on every reader of a touched file counts
            interfaces = None if self.settings.value_flow else (
                {p: interface_digests(state.symbols(p), summaries[p].outline.family) for p in touched if p in summaries},
                {p: interface_digests(structure.symbols, outlines[p].family) for p, structure in fresh.items()})
            changed_keys = _changed_keys(touched, [summaries[p].outline for p in touched if p in summaries],
                                         [outlines[p] for p in fresh], old_modules, module_table, interfaces)
        with _timed(self.timings, "resolve"), collection_paused():  # as in _full: it only builds what lives on
            self.progress.start("resolve")
            # a file whose resolution failed last time read an unknown part of the index: always retried
            redo = set(fresh) | {path for path in kept if not summaries[path].dependencies.isdisjoint(changed_keys)
                                 or any(w["pass"] == "resolve" for w in summaries[path].warnings)}
            resolutions = resolve_references(symbols, self.settings.ambiguity_limit, redo, self.project_configs,
                                             strict=self.settings.strict,
                                             stored_keys={path: summaries[path].dependencies for path in kept},
                                             value_flow=self.settings.value_flow)
            redo = set(resolutions)
        update = StateUpdate(uuid.uuid4().hex, module_table, restamped=changes.restamped,
                             unparsed=_unparsed(scan, parsed.skipped), repo_root=stored_path(str(scan.root)),
                             commit=self._head(scan))
        for parsed_file in parsed.parses:
            path = parsed_file.path
            update.records[path] = _file_record(parsed_file, sources[path], fresh[path], resolutions[path])
        new_summaries = {path: summaries[path] for path in kept}
        new_summaries.update({path: record.summary for path, record in update.records.items()})
        old_paths = sorted((touched | redo) & summaries.keys())
        old_edges = dict(zip(old_paths, state.edge_graphs(old_paths)))
        for path in sorted(redo - set(fresh)):
            summary = _rederived_summary(summaries[path], resolutions[path])
            new_summaries[path] = summary
            if summary != summaries[path] or resolutions[path].graph != old_edges[path]:
                update.rederived[path] = (summary, resolutions[path].graph)  # else: nothing to rewrite
        update.removed = set(summaries) - set(new_summaries)
        old_unparsed = state.unparsed()
        update.removed_unparsed = {path for path in old_unparsed if path in touched and path not in update.unparsed}
        unparsed_reasons = {path: entry[1] for path, entry in old_unparsed.items() if path not in update.removed_unparsed}
        unparsed_reasons.update({path: entry[1] for path, entry in update.unparsed.items()})

        with _timed(self.timings, "delta"):
            old = Graph.combined(
                self._project(scan.root, summaries),
                *state.node_graphs(sorted(touched & summaries.keys())),
                *old_edges.values(),
                shared_nodes(summaries.values()),
            )
            new = Graph.combined(
                self._project(scan.root, new_summaries),
                *(record.nodes for record in update.records.values()),
                *(resolutions[path].graph for path in sorted(redo)),
                shared_nodes(new_summaries.values()),
            )
            delta = graph_delta(old, new)
        facts = self._facts(scan, new_summaries, unparsed_reasons, parsed)
        update.facts = _stored_facts(facts, unparsed_reasons)
        metadata = self._metadata(scan, facts, update.generation)
        metadata.update(pass_seconds={k: round(v, 4) for k, v in self.timings.items()},
                        index_seconds=str(round(time.perf_counter() - self.started, 4)))
        raise_if_interrupted()
        with _timed(self.timings, "load"):
            self.progress.start("load")
            graph_file = state.path.name.removesuffix(STATE_SUFFIX)
            previous_generation = state.generation
            if not apply_delta(self.directory, graph_file, state.generation, delta, metadata, self.settings):
                return None
            state.write(update)  # after the commit: a state older than its database is detected and rebuilt
        search = self._store_vectors(
            self._update_search(search_index.update_after_delta, graph_file, previous_generation, update.generation, delta,
                                scan.root, sorted(touched)))
        self._record_graph_stamp(state, graph_file)  # this run wrote the generation the state now records
        secondary = self._mirror(lambda uri: self._mirror_delta(uri, previous_generation, delta, metadata_graph(metadata)))
        counts = {"mode": "incremental", "files_added": len(changes.added), "files_changed": len(changes.changed),
                  "files_deleted": len(changes.deleted), **delta.counts(),
                  "files_re_resolved": len(redo - set(fresh))}  # unchanged files that read what changed
        return self._summary(scan, facts, metadata["commit"], counts, LoadReport(), search, secondary)

    def _unchanged(self, scan: ScanResult, state: IndexState) -> IndexSummary:
        """Nothing to write; the facts of the run that built the index are this run's too."""
        stored = state.facts()
        skipped = [{"path": s.path, "reason": s.reason} for s in scan.skipped]
        skipped += [{"path": path, "reason": reason} for path, reason in stored["unparsed"].items()]
        facts = RunFacts(
            files_by_language=stored["files_by_language"], nodes=stored["nodes"], edges=stored["edges"],
            call_sites=stored["call_sites"], parse_cache=_parse_cache_facts(None),
            skipped=sorted(skipped, key=lambda s: s["path"]),
            warnings=_sorted_warnings([w for w in stored["warnings"] if w["pass"] != "scan"] + self.config_warnings),
        )
        counts = {"mode": "unchanged", "files_added": 0, "files_changed": 0, "files_deleted": 0, "nodes_added": 0,
                  "nodes_removed": 0, "nodes_updated": 0, "edges_added": 0, "edges_removed": 0}
        commit = self._head(scan)
        if commit != state.commit:  # HEAD moved over the same files (a commit of indexed edits, a checkout)
            self._record_commit(state, commit)
        search = self._store_vectors(
            self._update_search(search_index.update_unchanged, state.path.name.removesuffix(STATE_SUFFIX), state.generation,
                                scan.root))
        secondary = self._mirror(lambda uri: self._mirror_delta(uri, state.generation, GraphDelta(), None))
        return self._summary(scan, facts, commit, counts, LoadReport(), search, secondary)

    def _record_commit(self, state: IndexState, commit: str) -> None:
        """Write ``commit`` into the live graph's metadata: `stats` and `detect-changes` read the HEAD
        the index was built at there, and with the files unchanged the index is HEAD's. The graph
        file changes, so its new stamp is recorded (the next run need not open it to check)."""
        from codekg.stores import open_index

        store = open_index(self.db_dir, self.settings, read_only=False)
        try:
            store.set_metadata("commit", commit)
        finally:
            store.close()
        state.record_commit(commit)
        self._record_graph_stamp(state, state.path.name.removesuffix(STATE_SUFFIX))

    def _head(self, scan: ScanResult) -> str:
        """The git HEAD of the scanned repository ("" outside git), asked once per run."""
        if self._head_commit is None:
            self._head_commit = _git_commit(scan.root) if scan.is_git else ""
        return self._head_commit

    # --- shared steps ----------------------------------------------------------------------------

    def _write_state(self, state: IndexState, update: StateUpdate) -> None:
        """The per-file state of a new build, beside it: removed with it on failure."""
        with _timed(self.timings, "state"):
            try:
                state.write(update)
            finally:
                state.close()

    def _update_search(self, update: Any, *arguments: Any, announce: bool = True) -> dict[str, Any]:
        """Bring `<db>/search.sqlite` in step with the graph just written; it reports its own failures.
        ``announce`` false: it runs beside another pass, which the progress display shows."""
        with _timed(self.timings, "search"):
            if announce:
                self.progress.start("search")
            return update(self.db_dir, self.settings, *arguments)

    def _store_vectors(self, search: dict[str, Any]) -> dict[str, Any]:
        """On a CozoDB store, whose search runs in its engine (search/cozo.py): the symbol vectors of the
        search file copied into it, what changed only, once its graph is live. A failure is a warning:
        the store's search then answers without them."""
        from codekg.stores import query_language

        if query_language(self.settings) != "cozoscript":
            return search
        from codekg.search.cozo import sync_vectors

        started = time.perf_counter()
        try:
            with _timed(self.timings, "search"):
                written = sync_vectors(self.db_dir, self.settings)
        except CodekgError as error:
            log.warning("the CozoDB store's symbol vectors were not updated (%s)", error)
            written = {"error": str(error)}
        return {**search, "store_vectors": {**written, "seconds": round(time.perf_counter() - started, 4)}}

    def _mirror(self, write: Callable[[str], MirrorResult]) -> list[dict[str, Any]]:
        """Write every secondary store (`--also-write`); each reports its own failure, none fails the run."""
        if not self.settings.also_write:
            return []
        with _timed(self.timings, "secondary"):
            self.progress.start("secondary", len(self.settings.also_write))
            results = []
            for uri in self.settings.also_write:
                results.append(write(uri).to_dict())
                self.progress.advance()
            return results

    def _mirror_delta(self, uri: str, previous_generation: str, delta: GraphDelta, metadata: Graph | None) -> MirrorResult:
        from codekg.stores.mirror import mirror_delta

        return mirror_delta(uri, self.settings, self.db_dir, previous_generation, delta, metadata, self._primary_graph)

    def _primary_graph(self) -> tuple[GraphTables, Graph]:
        from codekg.stores.mirror import primary_graph

        return primary_graph(self.db_dir, self.settings)

    def _parse(self, root: Path, files: list[SourceFile], meanwhile: Callable[[], None] | None = None) -> ParseResult:
        from codekg.parse_cache import open_parse_cache
        from codekg.passes.parse import parse_files
        from codekg.passes.parse_pool import PoolLimits

        if any(f.language == "sql" for f in files) or self.settings.sql_dialect != "ansi" or self.settings.sql_folder_dialects:
            from codekg.sql.dialects import check_dialect_settings

            check_dialect_settings(self.settings.sql_dialect, self.settings.sql_folder_dialects)
        with _timed(self.timings, "parse"):
            self.progress.start("parse", len(files))
            cache = open_parse_cache(self.settings, self.db_dir)
            try:
                parsed = parse_files(root, files, self.progress.advance, cache, pool=PoolLimits.from_settings(self.settings),
                                     flow=self.settings.value_flow, sql_dialect=self.settings.sql_dialect,
                                     sql_folder_dialects=self.settings.sql_folder_dialects, parsed_ahead=self.parsed_ahead,
                                     meanwhile=meanwhile)
            finally:
                if cache is not None:
                    cache.close()
            parsed.cache_enabled = cache is not None
            parsed.cache_rebuilt = cache.rebuilt_reason if cache is not None else ""
            return parsed

    def _project(self, root: Path, paths: Iterable[str]) -> Graph:
        """The Project, Folder and CONTAINS graph of ``paths``, built once per set of paths: an
        incremental run that adds or removes no file asks for the same one three times (43 ms each
        on fastapi's 1,138 files)."""
        from codekg.passes.structure import project_structure

        key = frozenset(paths)
        if self._project_cache is None or self._project_cache[0] != key:
            self._project_cache = (key, project_structure(root, sorted(key)))
        return self._project_cache[1]

    def _facts(self, scan: ScanResult, summaries: dict[str, FileSummary], unparsed: dict[str, str],
               parsed: ParseResult) -> RunFacts:
        """The run's facts, from the per-file summaries (every file, whether re-derived or not)."""
        from codekg.passes.resolve import call_outcomes_by_language, shared_nodes

        project = self._project(scan.root, summaries)
        nodes: Counter = Counter(project.node_counts())
        edges: Counter = Counter(project.edge_counts())
        shared = shared_nodes(summaries.values())
        nodes.update(shared.node_counts())
        edges.update(shared.edge_counts())
        for summary in summaries.values():
            nodes.update(summary.node_counts)
            edges.update(summary.structure_edge_counts)
            edges.update(summary.derived_edge_counts)
        skipped = [{"path": s.path, "reason": s.reason} for s in scan.skipped]
        skipped += [{"path": path, "reason": reason} for path, reason in unparsed.items()]
        return RunFacts(
            files_by_language=dict(sorted(Counter(s.outline.language for s in summaries.values()).items())),
            nodes=dict(sorted(nodes.items())),
            edges=dict(sorted(edges.items())),
            call_sites=call_outcomes_by_language({p: s.outline.language for p, s in summaries.items()},
                                                 {p: s.call_outcomes for p, s in summaries.items()}),
            parse_cache=_parse_cache_facts(parsed),
            skipped=sorted(skipped, key=lambda s: s["path"]),
            warnings=_sorted_warnings(
                [{"path": path, **w} for path, s in summaries.items() for w in s.warnings] + self.config_warnings),
        )

    def _metadata(self, scan: ScanResult, facts: RunFacts, generation: str) -> dict[str, Any]:
        from codekg.passes.load import GENERATION_KEY
        from codekg.schema import SCHEMA_VERSION

        return {
            "schema_version": str(SCHEMA_VERSION),
            "codekg_version": __version__,
            "indexed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "repo_root": stored_path(str(scan.root)),
            "commit": self._head(scan),
            GENERATION_KEY: generation,
            "files_by_language": facts.files_by_language,
            "call_sites": facts.call_sites,
            "skipped": facts.skipped,
            "warnings": facts.warnings,
        }

    def _summary(self, scan: ScanResult, facts: RunFacts, commit: str, delta: dict[str, Any],
                 load: LoadReport, search: dict[str, Any], secondary: list[dict[str, Any]]) -> IndexSummary:
        return IndexSummary(
            **{f.name: getattr(facts, f.name) for f in fields(RunFacts)},
            repo=stored_path(str(scan.root)),
            db_dir=stored_path(str(self.db_dir)),
            commit=commit,
            pass_seconds={k: round(v, 4) for k, v in self.timings.items()},
            total_seconds=round(time.perf_counter() - self.started, 4),
            delta=delta,
            load_fallbacks=[{"table": t.table, "kind": t.failure_kind, "error": t.fallback_error} for t in load.fallbacks],
            copy=load.copy_outcome(),
            metrics=metrics_snapshot(),
            search=search,
            secondary=secondary,
            value_flow=self.flow_decision,
            resolve_helpers=self.resolve_helpers,
        )


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    """Adds the time spent inside to ``timings[name]``: a pass may run in parts (resolve, search)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = timings.get(name, 0.0) + time.perf_counter() - started


def _timed_each(items: Iterator[Item], timings: dict[str, float], name: str) -> Iterator[Item]:
    """Each of ``items``, the time taken to make it added to ``timings[name]``."""
    while True:
        with _timed(timings, name):
            item = next(items, _END)
        if item is _END:
            return
        yield item


_END: Any = object()
# The structure pass's rows up to which a build without the value flow loads them beside the resolve
# pass (docs/benchmarks.md §36): pydantic's 77,000 and fastapi's 60,000 rows saved about 0.3 s, while
# sympy's 232,000 saved nothing (its resolve pass keeps both cores busy) and held 200 MB more.
EARLY_LOAD_MAX_ROWS = 150_000
# The files from which a full build collects the passes' garbage and hands its pages back before the
# load: a small repository's passes leave little, and a full collection walks the whole heap of the
# process (35 ms an index inside the test suite's processes, for nothing).
GIVE_BACK_MIN_FILES = 200
_FLOW_LABELS = frozenset({"External"})  # the nodes the value flow's calls may add


def _decided_by_flow(key: EdgeKey) -> bool:
    """An edge table that waits for the value flow: CALLS, and any edge of a node of _FLOW_LABELS."""
    return key[0] == "CALLS" or key[1] in _FLOW_LABELS or key[2] in _FLOW_LABELS


def _before_the_flow(graph: Graph) -> Graph:
    """``graph`` without what the value flow decides (see _decided_by_flow)."""
    return _flow_part(graph, decided=False)


def _decided_by_the_flow(graph: Graph) -> Graph:
    return _flow_part(graph, decided=True)


def _flow_part(graph: Graph, decided: bool) -> Graph:
    kept = Graph()
    kept.nodes.update({label: rows for label, rows in graph.nodes.items() if (label in _FLOW_LABELS) == decided})
    kept.edges.update({key: rows for key, rows in graph.edges.items() if _decided_by_flow(key) == decided})
    return kept


Outcome = TypeVar("Outcome")
Item = TypeVar("Item")


class _Beside(Generic[Outcome]):
    """``work`` in a thread beside this one; ``join`` waits for it, ``result`` gives what it returned
    or raises what it raised. An interrupt reaches it through `raise_if_interrupted` as any pass."""

    def __init__(self, work: Callable[[], Outcome]) -> None:
        self._outcome: Outcome | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(work,), name="codekg-beside", daemon=True)
        self._thread.start()

    def _run(self, work: Callable[[], Outcome]) -> None:
        try:
            self._outcome = work()
        except BaseException as error:  # noqa: BLE001 - handed to the thread that joins
            self._error = error

    def join(self) -> None:
        self._thread.join()

    def succeeded(self) -> bool:
        """Whether it has ended without raising."""
        return not self._thread.is_alive() and self._error is None

    def result(self) -> Outcome:
        self.join()
        if self._error is not None:
            raise self._error
        return self._outcome  # type: ignore[return-value]


def _sorted_warnings(warnings: list[dict[str, str]]) -> list[dict[str, str]]:
    """A run's warnings in the order they are shown. Those of pass "scan" (the .gitignore and project
    config files) are this run's own; the others come from each file's stored or new summary."""
    return sorted(warnings, key=lambda w: (w["path"], w["pass"], w["kind"]))


def _file_warnings(parsed: FileParse) -> list[dict[str, str]]:
    """What the parse of a file left out or guessed, as warnings {"pass", "kind", "message"}."""
    from codekg.languages import EXTRACTORS
    from codekg.languages.base import SYNTAX_ERRORS

    warnings = []
    if parsed.parse_errors and not EXTRACTORS[parsed.language].describes_syntax_errors:
        warnings.append({"pass": "parse", "kind": "syntax-errors",
                         "message": f"syntax errors: {parsed.parse_errors} region(s) skipped, the rest indexed"})
    if parsed.invalid_utf8:
        warnings.append({"pass": "parse", "kind": "invalid-utf8",
                         "message": "invalid UTF-8: decoded with replacement characters"})
    # the extractor's own: where its syntax errors are, a definition nesting cut, an unknown or wrong coding cookie
    warnings.extend({"pass": "parse", "kind": "syntax-errors" if message.startswith(SYNTAX_ERRORS) else "extraction",
                     "message": message} for message in parsed.warnings)
    # SQL that could not be read, in a `.sql` file or in a string that code runs: never dropped in silence
    warnings.extend({"pass": "parse", "kind": "sql-unreadable", "message": (
        f"line {statement.line}: cannot read this {f'SQL string run by {statement.call}' if statement.call else 'statement'} "
        f"as {statement.dialect or 'ansi'} SQL: {statement.error}")} for statement in parsed.sql if statement.error)
    return warnings


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def _parse_cache_facts(parsed: ParseResult | None) -> dict[str, Any]:
    """What the parse cache did this run; None: the run parsed nothing (unchanged), so it opened no cache."""
    if parsed is None:
        return {"enabled": False, "hits": 0, "misses": 0, "integrity_failures": 0, "rebuilt": "", "parsed_ahead": 0}
    return {
        "enabled": parsed.cache_enabled,
        "hits": parsed.cache_hits,
        "misses": parsed.cache_misses,
        "integrity_failures": parsed.cache_integrity_failures,
        "rebuilt": parsed.cache_rebuilt,
        "parsed_ahead": parsed.parsed_ahead,
    }


def _stored_facts(facts: RunFacts, unparsed: dict[str, str]) -> dict[str, Any]:
    """What an unchanged re-run reports without reading every file's summary."""
    return {"files_by_language": facts.files_by_language, "nodes": facts.nodes, "edges": facts.edges,
            "call_sites": facts.call_sites, "warnings": facts.warnings, "unparsed": unparsed}


def _file_record(parsed: FileParse, source: SourceFile, structure: FileStructure, resolution: FileResolution) -> FileRecord:
    from codekg.passes.structure import file_outline

    summary = FileSummary(
        outline=file_outline(structure.symbols),
        dependencies=resolution.dependencies,
        node_counts=structure.node_counts,
        structure_edge_counts=structure.edge_counts,
        derived_edge_counts=resolution.graph.edge_counts(),
        shared=resolution.shared,
        call_outcomes=resolution.call_outcomes,
        warnings=_file_warnings(parsed) + structure.warnings + resolution.warnings,
    )
    return FileRecord(_file_stat(parsed, source), summary, structure.symbols, structure.graph, resolution.graph)


def _file_stat(parsed: FileParse, source: SourceFile) -> FileStat:
    return FileStat(parsed.content_hash, source.size_bytes, source.mtime_ns)


def _rederived_summary(previous: FileSummary, resolution: FileResolution) -> FileSummary:
    # the resolve pass gives a file's "resolve" and "flow" warnings afresh; the parse's stay
    warnings = [w for w in previous.warnings if w["pass"] not in ("resolve", "flow")] + resolution.warnings
    return FileSummary(previous.outline, resolution.dependencies, previous.node_counts, previous.structure_edge_counts,
                       resolution.graph.edge_counts(), resolution.shared, resolution.call_outcomes, warnings)


def _unparsed(scan: ScanResult, skipped: list[SkippedFile]) -> dict[str, tuple[FileStat, str]]:
    """Files the parse pass could not use, remembered with their stat so an unchanged one is not retried."""
    by_path = {f.path: f for f in scan.files}
    return {
        s.path: (FileStat(file_content_hash(by_path[s.path].location(scan.root)), by_path[s.path].size_bytes, by_path[s.path].mtime_ns), s.reason)
        for s in skipped if s.path in by_path
    }


def _module_table(symbols: SymbolIndex, previous: dict[tuple[str, str], str | None] | None = None) -> dict[tuple[str, str], str | None]:
    """What every module key (this run's and the previous run's) resolves to now."""
    keys = symbols.module_keys() | set(previous or ())
    return {key: symbols.unrecorded_module_path(*key) for key in keys}


def _changed_keys(
    touched: set[str],
    old_outlines: list[FileOutline],
    new_outlines: list[FileOutline],
    old_modules: dict[tuple[str, str], str | None],
    new_modules: dict[tuple[str, str], str | None],
    interfaces: tuple[dict[str, dict[DependencyKey, str]], dict[str, dict[DependencyKey, str]]] | None = None,
) -> set[DependencyKey]:
    """The symbol-index keys whose value this change may alter: what the touched files give other
    files, the SQL relations they create (before and after), the ontology terms and prefixes whose
    declarations differ, and module names that now resolve to another file.

    With ``interfaces``, the digests of each touched file before and after (resolve/interface.py):
    its outline, its top-level names and its function bodies count only when their digest differs,
    so an edit inside a body affects the files that read that body. Without them (the value flow
    reads every fact of a file), each touched file and every top-level name it defines count."""
    keys: set[DependencyKey] = set()
    if interfaces is None:
        keys.update(("file", path) for path in touched)
        for outline in old_outlines + new_outlines:
            keys.update(("name", outline.family, name) for name, _ in outline.top_level)
    else:
        from codekg.resolve.interface import differing_keys

        old, new = interfaces
        for path in touched:
            keys |= differing_keys(old.get(path, {}), new.get(path, {}))
    for outline in old_outlines + new_outlines:
        keys.update(("sql-relation", relation) for relation, _, _ in outline.sql_relations)

    def declared(outlines: list[FileOutline]) -> set[tuple]:  # what the ontology tables hold of these files
        return ({("ontology-term", iri, ontology_id, kind) for o in outlines for iri, ontology_id, kind in o.ontology_terms}
                | {("ontology-prefix", prefix, namespace) for o in outlines for prefix, namespace in o.ontology_prefixes})

    keys.update(entry[:2] for entry in declared(old_outlines) ^ declared(new_outlines))
    for path in touched:  # a manifest added, changed or removed: the files below it may belong elsewhere now
        if language_for_path(path) == "manifest":
            keys.add(("package", path.rpartition("/")[0]))
    keys.update(("module", *key) for key, path in new_modules.items() if old_modules.get(key) != path)
    return keys
