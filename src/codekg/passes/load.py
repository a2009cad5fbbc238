"""Load pass: write the graph and its metadata into a new database file and publish it atomically.

Takes: the graph as Arrow tables and the index metadata. Returns: the LoadReport (rows, method and time
per table). The previous index stays live until the new build is complete; a failed or
interrupted load deletes its partial build and leaves the previous index as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codekg.graph import Graph, GraphTables
from codekg.interrupts import raise_if_interrupted
from codekg.settings import Settings
from codekg.stores.base import LoadReport
from codekg.stores import EmbeddedStore, IndexDirectory


def load_graph(
    db_dir: Path,
    tables: GraphTables,
    metadata: dict[str, Any],
    settings: Settings,
    late_metadata: Callable[[], dict[str, Any]] = dict,
) -> LoadReport:
    """``late_metadata`` is called once the graph is written, for values only known then (timings)."""
    directory = IndexDirectory(db_dir)
    with directory.writer_lock():
        directory.remove_stale_builds()
        build = directory.new_build_path()
        try:
            store = EmbeddedStore.create(build, settings)
            try:
                report = store.write_delta(tables)
                meta = Graph()
                for key, value in sorted({**metadata, **late_metadata()}.items()):
                    meta.add_node("IndexMeta", key=key, value=value if isinstance(value, str) else json.dumps(value))
                store.write_delta(meta.to_tables())
            finally:
                store.close()
            raise_if_interrupted()  # the last chance to stop before the new build goes live
        except BaseException:
            for leftover in db_dir.glob(build.name + "*"):
                leftover.unlink(missing_ok=True)
            raise
        directory.publish(build)
    return report
