"""The operations the HTTP API and the MCP server offer: one function each, shared by both.

Takes: the repositories to serve (name, root, index directory, settings). Returns: plain JSON-able
dicts with source locations as repository-relative `file_path`, `start_line`, `end_line`.
Every operation opens the live index for its own duration, read-only, and closes it: a re-index
(full or incremental) is visible at the next request, and the server never holds the database
between requests, so an index run is not forced to rebuild because a server keeps it open.
Errors are `CodekgError`s; each interface maps them to its own status in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codekg.api.security import confine_path
from codekg.errors import (
    CodekgError,
    InputError,
    UnknownRepositoryError,
)
from codekg.limits import MAX_DEPTH
from codekg.output import to_jsonable
from codekg.schema import NODE_LABELS, REL_TYPES, render_markdown
from codekg.settings import Settings
from codekg.stores import GraphStore, IndexDirectory, open_index

MAX_SEARCH_RESULTS = 100
DIRECTIONS = ("upstream", "downstream", "both")
# A git revision as `git diff` takes it; never an option (a leading `-`) nor a path (`:`).
_GIT_REVISION = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/~^@{}+-]*")


@dataclass(frozen=True, slots=True)
class ServedRepository:
    name: str
    root: Path
    db_dir: Path
    settings: Settings


def served_repositories(locations: Sequence[tuple[Path, Path, Settings]]) -> list[ServedRepository]:
    """Name each (root, db, settings) by its folder name, with `-2`, `-3`, … for repeated names."""
    served: list[ServedRepository] = []
    taken: set[str] = set()
    for root, db_dir, settings in locations:
        base = root.resolve().name or "repo"
        name, number = base, 1
        while name in taken:
            number += 1
            name = f"{base}-{number}"
        taken.add(name)
        served.append(ServedRepository(name, root.resolve(), db_dir.resolve(), settings))
    return served


def index_stats(store: GraphStore, db_dir: Path) -> dict[str, Any]:
    """Nodes per label, edges per type, files per language, index time and commit of a live index."""
    reads = store.reads
    meta = reads.metadata()
    nodes = {label.name: reads.count_nodes(label.name) for label in NODE_LABELS if label.name != "IndexMeta"}
    edges = {rel.name: reads.count_edges(rel.name) for rel in REL_TYPES}
    files = reads.count_values("File", "language")
    return {
        "repo": meta.get("repo_root", ""),
        "db": str(db_dir),
        "schema_version": int(meta.get("schema_version", 0)),
        "codekg_version": meta.get("codekg_version", ""),
        "indexed_at": meta.get("indexed_at", ""),
        "commit": meta.get("commit", ""),
        "index_seconds": float(meta.get("index_seconds", 0)),
        "pass_seconds": json.loads(meta.get("pass_seconds", "{}")),
        "files_by_language": files,
        "nodes": nodes,
        "edges": edges,
        "call_sites": json.loads(meta.get("call_sites", "{}")),
        "skipped_files": len(json.loads(meta.get("skipped", "[]"))),
    }


class GraphService:
    """The served repositories and the operations on them. ``allow_writes`` lets `query` run write
    clauses, each under the index's writer lock (so never during an index run, and no index run
    starts during one)."""

    def __init__(self, repositories: Sequence[ServedRepository], allow_writes: bool = False) -> None:
        if not repositories:
            raise InputError("no repository to serve")
        self.repositories = {repo.name: repo for repo in repositories}
        self.default = repositories[0]
        self.allow_writes = allow_writes

    def repository(self, name: str | None = None) -> ServedRepository:
        if not name:
            return self.default
        try:
            return self.repositories[name]
        except KeyError:
            raise UnknownRepositoryError(name, sorted(self.repositories)) from None

    @contextmanager
    def _store(self, repo: ServedRepository) -> Iterator[GraphStore]:
        """The live index, read-only, for one operation (user Cypher goes through `query` instead)."""
        store = open_index(repo.db_dir, repo.settings)
        yield from _closing(store, repo.settings)

    # --- operations ------------------------------------------------------------------------------

    def list_repos(self) -> dict[str, Any]:
        """Every served repository: its name, root, index and when it was indexed."""
        listed = []
        for repo in self.repositories.values():
            entry: dict[str, Any] = {"name": repo.name, "root": str(repo.root), "db": str(repo.db_dir)}
            try:
                with self._store(repo) as store:
                    meta = store.reads.metadata(["indexed_at", "commit"])
                    files = store.reads.count_nodes("File")
                entry.update(indexed=True, indexed_at=meta.get("indexed_at", ""), commit=meta.get("commit", ""), files=files)
            except CodekgError as error:
                entry.update(indexed=False, error=str(error))
            listed.append(entry)
        return {"repos": listed}

    def stats(self, repo: str | None = None) -> dict[str, Any]:
        served = self.repository(repo)
        with self._store(served) as store:
            return {"name": served.name, **index_stats(store, served.db_dir)}

    def query(self, cypher: str, parameters: dict[str, Any] | None = None, repo: str | None = None) -> dict[str, Any]:
        """Run a query in the store's own language (Cypher; CozoScript on a `cozo://` store) through
        the query guard (query_guard.py) in a sandboxed worker (query_sandbox.py):
        refused when it breaks a limit, touches files, extensions or the catalog, or writes to the
        graph where the service does not allow writes."""
        from codekg.query_guard import QueryLimits, check_query
        from codekg.query_sandbox import run_in_sandbox
        from codekg.stores import query_language

        served = self.repository(repo)
        limits = QueryLimits.from_settings(served.settings)
        checked = check_query(cypher, parameters, limits, self.allow_writes, query_language(served.settings))
        with IndexDirectory(served.db_dir).writer_lock() if checked.writes else nullcontext():
            result = run_in_sandbox(served.db_dir, served.settings, checked, limits, self.allow_writes)
        rows = [[to_jsonable(value) for value in row] for row in result.rows]
        return {"columns": result.columns, "rows": rows, "truncated": result.truncated}

    def search(self, query: str, limit: int = 10, mode: str = "hybrid", repo: str | None = None,
               labels: tuple[str, ...] = (), path: str = "", include_tests: bool = True) -> dict[str, Any]:
        """Symbols ranked by how well they match ``query``: of ``labels`` only (empty: any), in files
        matching the shell pattern ``path``, tests left out unless ``include_tests``."""
        if not query.strip():
            raise InputError("empty search query")
        _check_range("limit", limit, 1, MAX_SEARCH_RESULTS)
        served = self.repository(repo)
        from codekg.search import SearchFilters, search_result  # imported per operation: the CLI starts faster

        filters = SearchFilters(tuple(labels), path, include_tests)
        found = search_result(served.db_dir, served.settings, query, limit=limit, mode=mode, filters=filters)
        return found.to_dict()  # the document `codekg search --json` prints

    def locate(self, text: str, level: str = "file", limit: int = 10, include_tests: bool = False,
               repo: str | None = None) -> dict[str, Any]:
        """The files (or symbols) an issue's ``text`` most likely needs changed, each with its evidence."""
        _check_range("limit", limit, 1, MAX_SEARCH_RESULTS)
        served = self.repository(repo)
        from codekg.search.locate import locate_in_index

        return locate_in_index(served.db_dir, served.root, served.settings, text, level, limit, include_tests)

    def context(self, symbol: str, repo: str | None = None) -> dict[str, Any]:
        """A symbol's definition, callers, callees, imports and hierarchy. Refused (PathOutsideRootError)
        when a file of a symbol by that name leads outside the repository (a symlink planted after indexing)."""
        served = self.repository(repo)
        with self._store(served) as store:
            named = [{"qualified_name": symbol}, {"name": symbol}, {"id": symbol}]
            for (file_path,) in store.reads.nodes(where=named, columns=("file_path",), distinct=True):
                if file_path:
                    confine_path(served.root, file_path)
            from codekg.analysis.context import symbol_context

            return symbol_context(store, served.root, symbol)

    def impact(self, symbol: str, depth: int = 3, direction: str = "upstream", min_confidence: float = 0.0,
               repo: str | None = None) -> dict[str, Any]:
        """What depends on ``symbol`` (upstream) or what it depends on (downstream), up to ``depth`` hops."""
        _check_range("depth", depth, 1, MAX_DEPTH)
        _check_choice("direction", direction, DIRECTIONS)
        _check_range("min_confidence", min_confidence, 0.0, 1.0)
        from codekg.analysis.impact import impact
        from codekg.analysis.lineage import column_impact, find_sql_object

        with self._store(self.repository(repo)) as store:
            if direction == "upstream" and find_sql_object(store, symbol) is not None:  # a SQL table or column
                return column_impact(store, symbol, depth)
            return impact(store, symbol, depth=depth, direction=direction, min_confidence=min_confidence)

    def definition(self, file_path: str, line: int, repo: str | None = None) -> dict[str, Any]:
        """The innermost symbol at ``file_path``:``line`` (repository-relative) and those around it."""
        served = self.repository(repo)
        from codekg.analysis.navigation import definition_at

        with self._store(served) as store:
            return definition_at(store, file_path, line, served.root)

    def files(self, repo: str | None = None) -> dict[str, Any]:
        """Every indexed file with its language, line count and whether it is a test file."""
        from codekg.analysis.navigation import indexed_files

        with self._store(self.repository(repo)) as store:
            return indexed_files(store)

    def outline(self, file_path: str, repo: str | None = None) -> dict[str, Any]:
        """The classes, functions and methods of one indexed file (repository-relative path), in source order."""
        served = self.repository(repo)
        from codekg.analysis.navigation import file_outline

        with self._store(served) as store:
            return file_outline(store, file_path, served.root)

    def references(self, symbol: str, repo: str | None = None) -> dict[str, Any]:
        """Every use of ``symbol``: calls, imports, type uses, reads, writes, subclasses, overrides."""
        from codekg.analysis.navigation import references

        with self._store(self.repository(repo)) as store:
            return references(store, symbol)

    def path(self, source: str, target: str, depth: int = 6, repo: str | None = None) -> dict[str, Any]:
        """The shortest chain of code edges between two symbols."""
        from codekg.analysis.navigation import MAX_PATH_DEPTH, path_between

        _check_range("depth", depth, 1, MAX_PATH_DEPTH)
        with self._store(self.repository(repo)) as store:
            return path_between(store, source, target, depth)

    def callgraph(self, symbol: str, depth: int = 2, direction: str = "both", repo: str | None = None) -> dict[str, Any]:
        """The calls within ``depth`` calls of ``symbol``, as nodes and edges."""
        from codekg.analysis.navigation import call_neighbourhood

        with self._store(self.repository(repo)) as store:
            return call_neighbourhood(store, symbol, depth, direction)

    def reindex(self, repo: str | None = None) -> dict[str, Any]:
        """Bring the index of a served repository up to date (incremental when it can be) and say what changed."""
        from codekg.pipeline import index_repository

        served = self.repository(repo)
        summary = index_repository(served.root, served.db_dir, served.settings)
        return {"repo": served.name, "mode": summary.delta["mode"], "delta": summary.delta,
                "files_by_language": summary.files_by_language, "warnings": len(summary.warnings),
                "total_seconds": summary.total_seconds}

    def lineage(self, name: str, direction: str = "both", depth: int = 3, repo: str | None = None) -> dict[str, Any]:
        """What feeds SQL table, view or column ``name`` (upstream) and what it feeds (downstream)."""
        _check_range("depth", depth, 1, MAX_DEPTH)
        from codekg.analysis.lineage import DIRECTIONS as LINEAGE_DIRECTIONS, sql_lineage

        _check_choice("direction", direction, LINEAGE_DIRECTIONS)
        with self._store(self.repository(repo)) as store:
            return sql_lineage(store, name, direction, depth)

    def detect_changes(self, base: str | None = None, staged: bool = False, depth: int = 3, min_confidence: float = 0.0,
                       repo: str | None = None) -> dict[str, Any]:
        """The symbols touched by the working tree's changes (against ``base``, or the staged ones) and their impact."""
        if base is not None and not _GIT_REVISION.fullmatch(base):
            raise InputError(f"invalid git revision {base!r}")
        if base is not None and staged:
            raise InputError("base and staged exclude each other")
        _check_range("depth", depth, 1, MAX_DEPTH)
        _check_range("min_confidence", min_confidence, 0.0, 1.0)
        served = self.repository(repo)
        from codekg.analysis.changes import detect_changes

        with self._store(served) as store:
            return detect_changes(store, served.root, base=base, staged=staged, depth=depth, min_confidence=min_confidence,
                                  settings=served.settings)

    @staticmethod
    def schema_markdown() -> str:
        return render_markdown()


def _closing(store: GraphStore, settings: Settings) -> Iterator[GraphStore]:
    try:
        store.set_query_timeout(settings.query_timeout_seconds)
        yield store
    finally:
        store.close()


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}, got {value}")


def _check_choice(name: str, value: str, choices: Sequence[str]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
