"""Graph stores behind one small protocol; nothing outside this package knows the database.

The embedded store is the default: `open_index` reads the live index, `EmbeddedStore` and
`IndexDirectory` build and publish a new one, `migrate_index` brings an index written at an older
schema version up to this one (stores/migrations.py).
"""

from pathlib import Path

from codekg.settings import Settings
from codekg.stores.base import GraphStore, LoadReport, QueryResult, TableLoad
from codekg.stores.ladybug import IndexDirectory
from codekg.stores.ladybug import LadybugStore as EmbeddedStore
from codekg.stores.migrations import MigrationPlan

__all__ = ["EmbeddedStore", "GraphStore", "IndexDirectory", "LoadReport", "MigrationPlan", "QueryResult", "TableLoad",
           "migrate_index", "open_index"]


def open_index(db_dir: Path, settings: Settings, read_only: bool = True) -> EmbeddedStore:
    """The live index in ``db_dir``, schema-checked; read-only unless asked (then hold the writer lock)."""
    return IndexDirectory(db_dir).open_current(settings, read_only)


def migrate_index(db_dir: Path, settings: Settings, dry_run: bool = False) -> MigrationPlan:
    """Run the migrations the live index in ``db_dir`` needs, in one transaction under the writer
    lock (none with ``dry_run``: only the plan is read). Returns the plan."""
    return IndexDirectory(db_dir).migrate(settings, dry_run)
