"""An index run, top to bottom: scan → parse → structure → resolve → load.

Each pass is a function of the previous passes' outputs; this module only orders them, times
them and gathers the summary a user sees.
"""

from __future__ import annotations

import gc
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from codekg import __version__
from codekg.errors import InputError
from codekg.graph import Graph, GraphTables
from codekg.interrupts import deferred_interrupts, raise_if_interrupted
from codekg.metrics import snapshot as metrics_snapshot
from codekg.parse_cache import open_parse_cache
from codekg.passes.load import load_graph
from codekg.passes.parse import parse_files
from codekg.passes.parse_pool import PoolLimits
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import ScanResult, scan_repository
from codekg.passes.structure import build_structure
from codekg.records import FileParse
from codekg.schema import SCHEMA_VERSION
from codekg.settings import Settings


class ProgressReporter(Protocol):
    def start(self, phase: str, total: int | None = None) -> None: ...
    def advance(self, amount: int = 1) -> None: ...


class _Silent:
    def start(self, phase: str, total: int | None = None) -> None:
        pass

    def advance(self, amount: int = 1) -> None:
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
    load_fallbacks: list[dict[str, str]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # the process's Prometheus samples

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def index_repository(
    repo: Path, db_dir: Path, settings: Settings, progress: ProgressReporter | None = None
) -> IndexSummary:
    """Index ``repo`` into ``db_dir``. Ctrl-C/SIGTERM stop it between steps with KeyboardInterrupt,
    leaving the previous index as it was."""
    with deferred_interrupts():
        return _index(repo, db_dir, settings, progress)


def _index(repo: Path, db_dir: Path, settings: Settings, progress: ProgressReporter | None) -> IndexSummary:
    progress = progress or _Silent()
    timings: dict[str, float] = {}
    started = time.perf_counter()

    with _timed(timings, "scan"):
        progress.start("scan")
        scan = scan_repository(repo, settings)
    if not scan.files:
        detail = f" ({len(scan.skipped)} skipped)" if scan.skipped else ""
        raise InputError(f"no Python, JavaScript or TypeScript source files to index in {repo}{detail}")

    tables, facts = _derive_graph(scan, db_dir, settings, progress, timings)
    raise_if_interrupted()
    gc.collect()  # hand the passes' garbage back before the database allocates its buffers
    commit = _git_commit(scan.root) if scan.is_git else ""
    metadata: dict[str, Any] = {
        "schema_version": str(SCHEMA_VERSION),
        "codekg_version": __version__,
        "indexed_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "repo_root": str(scan.root),
        "commit": commit,
        "files_by_language": facts.files_by_language,
        "call_sites": facts.call_sites,
        "skipped": facts.skipped,
        "warnings": facts.warnings,
    }
    load_started = time.perf_counter()

    def timing_metadata() -> dict[str, Any]:
        now = time.perf_counter()
        passes = {**timings, "load": now - load_started}
        return {"pass_seconds": {k: round(v, 4) for k, v in passes.items()}, "index_seconds": str(round(now - started, 4))}

    with _timed(timings, "load"):
        progress.start("load")
        report = load_graph(db_dir, tables, metadata, settings, timing_metadata)

    return IndexSummary(
        **{f.name: getattr(facts, f.name) for f in fields(RunFacts)},
        repo=str(scan.root),
        db_dir=str(db_dir),
        commit=commit,
        pass_seconds={k: round(v, 4) for k, v in timings.items()},
        total_seconds=round(time.perf_counter() - started, 4),
        load_fallbacks=[{"table": t.table, "error": t.fallback_error} for t in report.fallbacks],
        metrics=metrics_snapshot(),
    )


def _derive_graph(
    scan: ScanResult, db_dir: Path, settings: Settings, progress: ProgressReporter, timings: dict[str, float]
) -> tuple[GraphTables, RunFacts]:
    """parse → structure → resolve. Only Arrow tables and counts leave this function, so the parse
    records, symbol index and row dicts are freed before the database load needs its memory."""
    with _timed(timings, "parse"):
        progress.start("parse", len(scan.files))
        cache = open_parse_cache(settings, db_dir)
        try:
            parsed = parse_files(scan.root, scan.files, progress.advance, cache, pool=PoolLimits.from_settings(settings))
        finally:
            if cache is not None:
                cache.close()

    with _timed(timings, "structure"):
        progress.start("structure")
        structure = build_structure(scan.root, parsed.parses, settings)

    with _timed(timings, "resolve"):
        progress.start("resolve")
        resolved = resolve_references(structure.symbols, settings.ambiguity_limit)
        graph = Graph.combined(structure.graph, resolved.graph)
        tables = graph.to_tables()

    return tables, RunFacts(
        nodes=graph.node_counts(),
        edges=graph.edge_counts(),
        files_by_language=dict(sorted(Counter(p.language for p in parsed.parses).items())),
        call_sites=resolved.call_outcomes,
        parse_cache={
            "enabled": cache is not None,
            "hits": parsed.cache_hits,
            "misses": parsed.cache_misses,
            "integrity_failures": parsed.cache_integrity_failures,
            "rebuilt": cache.rebuilt_reason if cache is not None else "",
        },
        skipped=[{"path": s.path, "reason": s.reason} for s in sorted(scan.skipped + parsed.skipped, key=lambda s: s.path)],
        warnings=_file_warnings(parsed.parses),
    )


@contextmanager
def _timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[name] = time.perf_counter() - started


def _file_warnings(parses: list[FileParse]) -> list[dict[str, str]]:
    warnings = []
    for parsed in parses:
        if parsed.parse_errors:
            warnings.append({"path": parsed.path, "warning": f"syntax errors: {parsed.parse_errors} region(s) skipped, the rest indexed"})
        if parsed.invalid_utf8:
            warnings.append({"path": parsed.path, "warning": "invalid UTF-8: decoded with replacement characters"})
    return warnings


def _git_commit(root: Path) -> str:
    try:
        out = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""
