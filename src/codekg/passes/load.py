"""Load pass: write the graph into the store, as a new build or as a delta on the live one.

Takes: the graph as Arrow tables (a full build) or a GraphDelta (an incremental run), and the index
metadata. Returns: what was written. A full build goes to a new database file that is published
atomically; a delta is applied to the live file in one transaction. Either way a failed or
interrupted load leaves the previous index as it was. The caller holds the index's writer lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codekg.errors import StoreError
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.interrupts import raise_if_interrupted
from codekg.settings import Settings
from codekg.stores import EmbeddedStore, IndexDirectory
from codekg.stores.base import LoadReport

GENERATION_KEY = "generation"


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
) -> LoadReport:
    """Write the new build ``build`` and publish it. ``late_metadata`` is called once the graph is
    written, for values only known then (timings)."""
    try:
        store = EmbeddedStore.create(build, settings)
        try:
            report = store.write_tables(tables)
            store.write_tables(metadata_graph({**metadata, **late_metadata()}).to_tables())
        finally:
            store.close()
        raise_if_interrupted()  # the last chance to stop before the new build goes live
    except BaseException:
        for leftover in directory.db_dir.glob(build.name + "*"):
            leftover.unlink(missing_ok=True)
        raise
    directory.publish(build)
    return report


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
    or cannot be opened for writing; the caller then rebuilds."""
    current = directory.current_graph()
    if current is None or current.name != graph_file:
        return False
    try:
        store = EmbeddedStore(current, settings)
    except StoreError:
        return False  # e.g. another process holds the file open
    try:
        found = store.query(f"MATCH (m:IndexMeta {{key: '{GENERATION_KEY}'}}) RETURN m.value").rows
        if not found or found[0][0] != generation:
            return False
        store.apply_delta(delta, metadata_graph(metadata))
    finally:
        store.close()
    return True
