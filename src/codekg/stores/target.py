"""Where an index run writes its graph: the embedded store (the default) or a server store.

Either way `<db>` stays the run's working directory: the per-file state, the parse cache, the search
file, the dead-letter file, the writer lock and the `CURRENT` pointer live there. For the embedded
store a build is a database file; for a server store a build is a small marker file naming the
store, and the graph itself is replaced on the server (FalkorDB: atomically, by a staged RENAME).
The server's IndexMeta `generation` says which build it holds: a delta is applied only on the
generation it was computed from, so a server written by anyone else, or left half-written, is
replaced instead.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from codekg.errors import QueryError, SchemaVersionError, StoreError, StoreUnavailableError
from codekg.graph import Graph, GraphDelta, GraphTables
from codekg.settings import Settings
from codekg.stores.base import GraphStore, LoadReport
from codekg.stores.ladybug import LadybugStore
from codekg.stores.uri import StoreLocation, parse_store_uri

GENERATION_KEY = "generation"


def primary_location(settings: Settings) -> StoreLocation | None:
    """The server store the index writes to, or None for the embedded store."""
    if not settings.store:
        return None
    location = parse_store_uri(settings.store)
    return location if location.is_server else None


def write_build(build: Path, tables: GraphTables, metadata: Callable[[], Graph], settings: Settings,
                late: Callable[[], GraphTables] | None = None) -> LoadReport:
    """Write a whole new graph for the build ``build`` (not yet live). ``metadata`` is called once
    the graph is written, for values only known then; ``late``, once ``tables`` are written, for
    more tables (a server store replaces its graph in one go: it waits for them first)."""
    location = primary_location(settings)
    if location is None:
        return LadybugStore.build(build, settings, tables, metadata, late=late)
    from codekg.stores import open_server_store

    if late is not None:
        more = late()
        tables = GraphTables({**tables.nodes, **more.nodes}, {**tables.edges, **more.edges}, {**tables.spans, **more.spans})
    server = open_server_store(location, settings, build.parent)
    try:
        report = server.replace_graph(tables, metadata())
    finally:
        server.close()
    build.write_text(location.display + "\n", "utf-8")  # the build exists once its graph is on the server
    return report


def write_delta(current: Path, generation: str, delta: GraphDelta, metadata: Graph, settings: Settings) -> bool:
    """Apply ``delta`` to the live build ``current`` if its graph is still the one of ``generation``.
    False (nothing written) when it is not, or the embedded file cannot be opened for writing."""
    location = primary_location(settings)
    store: GraphStore
    if location is None:
        try:
            store = LadybugStore(current, settings)
        except StoreError:
            return False  # e.g. another process holds the file open
    else:
        from codekg.stores import open_server_store

        store = open_server_store(location, settings, current.parent)
    try:
        if store.read_metadata().get(GENERATION_KEY) != generation:
            return False
        store.apply_delta(delta, metadata)
    finally:
        store.close()
    return True


def refuse_newer_index(current: Path | None, settings: Settings) -> dict[str, str]:
    """The live index's metadata (IndexMeta), before a full build replaces it. SchemaVersionError
    when it was written by a newer codekg: a rebuild by this one would throw away what the newer one
    wrote. An index that cannot be read at all is not refused (a rebuild is its repair): {}."""
    from codekg.schema import SCHEMA_VERSION

    location = primary_location(settings)
    try:
        if location is not None:
            from codekg.stores import open_server_store

            with open_server_store(location, settings, None) as server:
                metadata = server.read_metadata()
            where = location.display
        else:
            if current is None:
                return {}
            store = LadybugStore(current, settings, read_only=True)
            try:
                metadata = store.read_metadata()
            finally:
                store.close()
            where = str(current.parent)
    except StoreUnavailableError:
        raise  # its retries are spent: nothing later in the run would reach it either
    except (StoreError, QueryError):
        return {}
    version = metadata.get("schema_version")
    if version is not None and version.isdigit() and int(version) > SCHEMA_VERSION:
        raise SchemaVersionError(f"the index in {where} was written by a newer codekg (schema version {version}, this "
                                 f"one uses {SCHEMA_VERSION}); upgrade codekg, or index into another --db")
    return metadata
