"""Secondary stores (`codekg index --also-write URI`): every run's graph written to more stores.

A secondary never fails the run. Each write is attempted after the primary store has the graph;
whatever goes wrong (the server is down after every retry, a credential is wrong, the URI is bad)
is caught, reported in the run's summary, and recorded in the dead-letter file as a `resync` record,
which `codekg store replay-failed` serves by copying the primary's graph. Rows the secondary rejects
one by one are dead-lettered by the batch writer like any server write.

A delta is sent only to a secondary that holds the generation the delta was computed from; one that
missed a run (or was never written) gets the whole graph instead. So a secondary catches up on its
own once it is reachable again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from codekg.errors import CodekgError
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.settings import Settings
from codekg.stores.dead_letter import RESYNC, DeadLetterFile, FailedRecord
from codekg.stores.ladybug import IndexDirectory, LadybugStore
from codekg.stores.target import GENERATION_KEY
from codekg.stores.uri import StoreLocation, parse_store_uri

log = logging.getLogger(__name__)


@dataclass(slots=True)
class MirrorResult:
    """What one secondary write did, for the run's summary."""

    store: str
    mode: str  # full | delta | resync (a delta's secondary that was behind got the whole graph)
    ok: bool
    rows: int = 0
    retries: int = 0
    failed_rows: int = 0
    seconds: float = 0.0
    error: str = ""
    failures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mirror_full(uri: str, settings: Settings, db_dir: Path, tables: GraphTables, metadata: Graph) -> MirrorResult:
    """Make the secondary ``uri`` hold exactly this graph."""
    return _guarded(uri, settings, db_dir, "full", lambda location: _replace(location, settings, db_dir, tables, metadata))


def mirror_delta(
    uri: str,
    settings: Settings,
    db_dir: Path,
    previous_generation: str,
    delta: GraphDelta,
    metadata: Graph | None,
    primary_graph: Callable[[], tuple[GraphTables, Graph]],
) -> MirrorResult:
    """Apply ``delta`` (and ``metadata``) to the secondary if it holds ``previous_generation``; else
    copy the primary's whole graph (``primary_graph``: its tables and metadata) to it. With an empty
    delta and no metadata (a run that changed nothing) a secondary in step is left alone."""

    def write(location: StoreLocation) -> tuple[str, dict[str, Any]]:
        if _generation(location, settings, db_dir) == previous_generation:
            if metadata is None:
                return "unchanged", {}
            return "delta", _apply(location, settings, db_dir, delta, metadata)
        tables, primary_metadata = primary_graph()
        return "resync", _replace(location, settings, db_dir, tables, primary_metadata)[1]

    return _guarded(uri, settings, db_dir, "delta", write)


def primary_graph(db_dir: Path, settings: Settings) -> tuple[GraphTables, Graph]:
    """The primary store's live graph and, apart, its metadata: what a secondary that fell behind gets."""
    from codekg.stores import open_index
    from codekg.stores.snapshot import read_graph

    store = open_index(db_dir, settings)
    try:
        graph = read_graph(store)
    finally:
        store.close()
    metadata = Graph()
    metadata.nodes["IndexMeta"] = graph.nodes.pop("IndexMeta", [])
    return graph.to_tables(), metadata


def _guarded(uri: str, settings: Settings, db_dir: Path, mode: str, write: Callable[[StoreLocation], Any]) -> MirrorResult:
    started = time.perf_counter()
    display = uri
    try:
        location = parse_store_uri(uri)
        display = location.display
        written = write(location)
        mode, stats = written if isinstance(written, tuple) else (mode, written)
        return MirrorResult(display, mode, ok=stats.get("failed", 0) == 0, rows=stats.get("rows", 0),
                            retries=stats.get("retries", 0), failed_rows=stats.get("failed", 0),
                            seconds=round(time.perf_counter() - started, 4), failures=stats.get("failures", []))
    except (CodekgError, Exception) as error:  # noqa: BLE001 - a secondary must never fail the run
        reason = f"{type(error).__name__}: {error}".splitlines()[0][:500]
        log.warning("secondary store %s was not written: %s", display, reason)
        DeadLetterFile.in_index(db_dir).append([FailedRecord(display, RESYNC, "*", {"mode": mode}, reason)])
        return MirrorResult(display, mode, ok=False, seconds=round(time.perf_counter() - started, 4), error=reason)


def _replace(location: StoreLocation, settings: Settings, db_dir: Path, tables: GraphTables, metadata: Graph) -> tuple[str, dict[str, Any]]:
    if location.is_server:
        from codekg.stores import open_server_store

        with open_server_store(location, settings, db_dir) as server:
            server.replace_graph(tables, metadata)
            return "full", server.write_stats.to_dict()
    directory = IndexDirectory(_embedded_dir(location))
    with directory.writer_lock():
        build = directory.new_build_path()
        try:
            LadybugStore.build(build, settings, tables, lambda: metadata)
        except BaseException:
            for leftover in directory.db_dir.glob(build.name + "*"):
                leftover.unlink(missing_ok=True)
            raise
        directory.publish(build)
    return "full", {"rows": sum(t.num_rows for t in (*tables.nodes.values(), *tables.edges.values()))}


def _apply(location: StoreLocation, settings: Settings, db_dir: Path, delta: GraphDelta, metadata: Graph) -> dict[str, Any]:
    if location.is_server:
        from codekg.stores import open_server_store

        with open_server_store(location, settings, db_dir) as server:
            server.apply_delta(delta, metadata)
            return server.write_stats.to_dict()
    directory = IndexDirectory(_embedded_dir(location))
    with directory.writer_lock():
        current = directory.current_graph()
        assert current is not None  # its generation matched
        store = LadybugStore(current, settings)
        try:
            store.apply_delta(delta, metadata)
        finally:
            store.close()
    return {"rows": sum(delta.counts().values())}


def _generation(location: StoreLocation, settings: Settings, db_dir: Path) -> str | None:
    if location.is_server:
        from codekg.stores import open_server_store

        with open_server_store(location, settings, db_dir) as server:
            return server.read_metadata().get(GENERATION_KEY)
    directory = IndexDirectory(_embedded_dir(location))
    current = directory.current_graph()
    if current is None:
        return None
    store = LadybugStore(current, settings, read_only=True)
    try:
        return store.read_metadata().get(GENERATION_KEY)
    finally:
        store.close()


def _embedded_dir(location: StoreLocation) -> Path:
    assert location.path is not None
    return location.path
