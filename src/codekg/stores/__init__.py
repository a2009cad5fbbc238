"""Graph stores behind one small protocol; nothing outside this package knows the database.

The embedded store is the default: `open_index` reads the live index, `EmbeddedStore` and
`IndexDirectory` build and publish a new one, `migrate_index` brings an index written at an older
schema version up to this one (stores/migrations.py). `open_store` opens any store a URI names: the
embedded one (`ladybug:PATH`), FalkorDB (`falkordb://`), Neo4j/Memgraph (`bolt://`, `neo4j://`) or
CozoDB (`cozo://`, stores/cozo.py: embedded too, but its graph lives at its own location).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from codekg.errors import IndexNotFoundError, QueryError, SchemaVersionError, StoreError
from codekg.settings import Settings
from codekg.stores.base import GraphStore, LoadReport, QueryResult, TableLoad
from codekg.stores.ladybug import IndexDirectory
from codekg.stores.ladybug import LadybugStore as EmbeddedStore
from codekg.stores.migrations import MigrationPlan
from codekg.stores.uri import StoreLocation, parse_store_uri

if TYPE_CHECKING:
    from codekg.stores.server import ServerStore

__all__ = [
    "EmbeddedStore", "GraphStore", "IndexDirectory", "LoadReport", "MigrationPlan", "QueryResult", "StoreLocation",
    "TableLoad", "live_index_matches", "migrate_index", "on_server_store", "open_index", "open_server_store", "open_store",
    "parse_store_uri", "query_language",
]


def open_index(db_dir: Path, settings: Settings, read_only: bool = True) -> GraphStore:
    """The index to read: the server store the `store` setting names, else the embedded index in
    ``db_dir`` (schema-checked; read-only unless asked, and then under the writer lock)."""
    if settings.store:
        location = parse_store_uri(settings.store)
        if location.is_server:
            server = open_server_store(location, settings, db_dir, read_only)
            try:
                _check_schema_version(server, location.display)
            except BaseException:
                server.close()
                raise
            return server
        db_dir = location.path or db_dir
    return IndexDirectory(db_dir).open_current(settings, read_only)


def query_language(settings: Settings) -> str:
    """The language of the store's own queries (`codekg query`): `cozoscript` for CozoDB, else `cypher`."""
    return "cozoscript" if settings.store and parse_store_uri(settings.store).kind == "cozo" else "cypher"


def on_server_store(settings: Settings) -> bool:
    """Whether the graph lives in a server store (FalkorDB, Neo4j) rather than an embedded file."""
    return bool(settings.store) and parse_store_uri(settings.store).is_server


def live_index_matches(db_dir: Path, settings: Settings, generation: str) -> bool:
    """Whether the live embedded index in ``db_dir`` opens, its metadata reads and it holds
    ``generation`` (the one its per-file state describes); if not, only a full build repairs it.
    On the way: a checkpoint left half done by a killed writer is finished, a delta marked pending
    that never reached the graph is forgotten, and builds of interrupted runs are removed. A server
    store (or CozoDB) is asked for its generation: one it does not hold (another run wrote it, a
    migration ran on it) means a full build, even when no file changed. Call under the writer lock
    of ``db_dir``."""
    if on_server_store(settings):
        from codekg.stores.target import GENERATION_KEY

        location = parse_store_uri(settings.store)
        try:
            with open_server_store(location, settings, db_dir) as store:
                return store.read_metadata().get(GENERATION_KEY) == generation
        except (StoreError, QueryError, IndexNotFoundError):
            return False
    directory = IndexDirectory(db_dir)
    current = directory.current_graph()
    if current is None:
        return False
    directory.remove_stale_builds()
    if directory.live_generation(settings) != generation:
        return False
    directory.clear_pending(current.name)
    return True


def _check_schema_version(store: GraphStore, where: str) -> None:
    """A server index written at another schema version is refused, like an embedded one."""
    from codekg.schema import SCHEMA_VERSION
    from codekg.stores.migrations import stored_schema_version

    metadata = store.read_metadata()
    if not metadata:
        raise IndexNotFoundError(f"no codekg index in {where}; run `codekg index --store {where}` first")
    version = stored_schema_version(store, metadata)
    if version < SCHEMA_VERSION:
        raise SchemaVersionError(f"the index in {where} has schema version {version}, this codekg uses {SCHEMA_VERSION}; "
                                 "run `codekg migrate` or re-index with `codekg index --full`")
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(f"the index in {where} was written by a newer codekg (schema version {version}); upgrade codekg")


def open_store(uri: str, settings: Settings, db_dir: Path | None = None, read_only: bool = True) -> GraphStore:
    """The store ``uri`` names; ``db_dir`` is where a server store's dead-letter file goes."""
    location = parse_store_uri(uri)
    if location.is_server:
        return open_server_store(location, settings, db_dir, read_only)
    assert location.path is not None
    return IndexDirectory(location.path).open_current(settings, read_only)


def open_server_store(location: StoreLocation, settings: Settings, db_dir: Path | None, read_only: bool = True) -> "ServerStore":
    """A server store; ``db_dir`` holds its dead-letter file. ``read_only`` applies to `query` only."""
    if location.kind == "cozo":
        from codekg.stores.cozo import CozoStore

        return CozoStore(location, settings, db_dir, read_only=read_only)  # type: ignore[return-value]
    if location.kind == "falkordb":
        from codekg.stores.falkordb import FalkorDBStore

        return FalkorDBStore(location, settings, db_dir, read_only=read_only)
    from codekg.stores.neo4j import Neo4jStore

    return Neo4jStore(location, settings, db_dir, read_only=read_only)


def migrate_index(db_dir: Path, settings: Settings, dry_run: bool = False, to_version: int | None = None) -> MigrationPlan:
    """Run the migrations that bring the live index to ``to_version`` (default: this schema version;
    an older one rolls back), under the writer lock of ``db_dir``; with ``dry_run`` only the plan is
    read. Embedded: in one transaction. CozoDB: on a copy of its live database, then published. A
    server store has no transaction over many statements: each step is idempotent and the version
    is recorded after each, so a migration cut short leaves the old version and running it again
    finishes it. Returns the plan."""
    from codekg.schema import SCHEMA_VERSION
    from codekg.stores.migrations import apply_migrations, plan_migrations, stored_schema_version

    target = SCHEMA_VERSION if to_version is None else to_version
    location = parse_store_uri(settings.store) if settings.store else None
    if location is None or not location.is_server:
        return IndexDirectory(location.path if location is not None and location.path else db_dir).migrate(
            settings, dry_run, to_version=target)
    with IndexDirectory(db_dir).writer_lock(), open_server_store(location, settings, db_dir, read_only=dry_run) as server:
        if not server.read_metadata():
            raise IndexNotFoundError(f"no codekg index in {location.display}; run `codekg index --store {location.display}` first")
        try:
            plan = plan_migrations(stored_schema_version(server), to_version=target)
            if not dry_run:
                plan.require_in_place()
        except SchemaVersionError as error:
            raise SchemaVersionError(f"the index in {location.display}: {error}") from None
        if not dry_run and plan.steps:
            if location.kind == "cozo":
                server.migrate(plan)  # type: ignore[attr-defined]
            else:
                apply_migrations(server, plan)
        return plan
