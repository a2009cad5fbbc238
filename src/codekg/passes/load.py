"""Load pass: write the graph into the store, as a new build or as a delta on the live one.

Takes: the graph as Arrow tables (a full build) or a GraphDelta (an incremental run), and the index
metadata. Returns: what was written. A full build is written beside the live one and published
atomically; a delta is applied to the live build. Either way a failed or interrupted load of the
embedded store leaves the previous index as it was. The caller holds the index's writer lock.
Which database holds the graph is the stores' business (`codekg.stores.target`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.interrupts import mark_published, publishing, raise_if_interrupted
from codekg.settings import Settings
from codekg.stores import IndexDirectory
from codekg.stores.base import LoadReport
from codekg.stores.target import GENERATION_KEY, write_build, write_delta

__all__ = ["GENERATION_KEY", "apply_delta", "load_graph", "metadata_graph"]


def metadata_graph(metadata: dict[str, Any]) -> Graph:
    """IndexMeta nodes: one per key, values as strings (JSON for anything structured)."""
    meta = Graph()
    for key, value in sorted(metadata.items()):
        meta.add_node("IndexMeta", key=key, value=value if isinstance(value, str) else json.dumps(value))
    return meta


def load_graph(
    directory: IndexDirectory,
    build: Path,
    tables: GraphTables,
    metadata: dict[str, Any],
    settings: Settings,
    late_metadata: Callable[[], dict[str, Any]] = dict,
    before_publish: Callable[[], object] = lambda: None,
    late: Callable[[], GraphTables] | None = None,
) -> LoadReport:
    """Write the new build ``build`` and publish it. ``late_metadata`` is called once the graph is
    written, for values only known then (timings); ``before_publish`` waits for what must be in place
    before the build goes live (its state, written beside the load) and raises what went wrong there.
    ``late`` gives more tables once ``tables`` are written (what the value flow decides, computed
    meanwhile); none of them is one of ``tables``. A failure of any removes every file of the build."""
    try:
        report = write_build(build, tables, lambda: metadata_graph({**metadata, **late_metadata()}), settings, late)
        before_publish()
        raise_if_interrupted()  # the last chance to stop before the new build goes live
    except BaseException:
        try:
            before_publish()  # nothing is removed while it may still write
        except BaseException:  # noqa: BLE001 - the first error is the one raised
            pass
        remove_unpublished_build(directory, build)
        raise
    with publishing():
        directory.publish(build)
        mark_published()
    return report


def remove_unpublished_build(directory: IndexDirectory, build: Path) -> None:
    """Every file of the build ``build`` (its graph, its state), unless it is the live one."""
    current = directory.current_graph()
    if current is not None and current.name == build.name:
        return
    for leftover in directory.db_dir.glob(build.name + "*"):
        leftover.unlink(missing_ok=True)


def apply_delta(
    directory: IndexDirectory,
    graph_file: str,
    generation: str,
    delta: GraphDelta,
    metadata: dict[str, Any],
    settings: Settings,
) -> bool:
    """Apply ``delta`` to the live build ``graph_file`` if it is still the one of ``generation``.
    Returns False (nothing written) when the live index is not the one the delta was computed from,
    or cannot be opened for writing; the caller then rebuilds. On True the caller records the new
    generation in the build's state, then brings the search index in step (which settles the
    build's pending marker)."""
    current = directory.current_graph()
    if current is None or current.name != graph_file:
        return False
    # Until the caller has recorded the new generation in the build's state, readers ask the graph
    # which one it holds (a kill during the commit leaves either); the search update clears it.
    directory.mark_pending(graph_file, metadata[GENERATION_KEY])
    with publishing():
        written = write_delta(current, generation, delta, metadata_graph(metadata), settings)
        if written:
            mark_published()
    if not written:
        directory.clear_pending(graph_file)
    return written
