"""Graph stores behind one small protocol; nothing outside this package knows the database.

The embedded store is the default: `open_index` reads the live index, `EmbeddedStore` and
`IndexDirectory` build and publish a new one.
"""

from pathlib import Path

from codekg.settings import Settings
from codekg.stores.base import GraphStore, LoadReport, QueryResult, TableLoad
from codekg.stores.ladybug import IndexDirectory
from codekg.stores.ladybug import LadybugStore as EmbeddedStore

__all__ = ["EmbeddedStore", "GraphStore", "IndexDirectory", "LoadReport", "QueryResult", "TableLoad", "open_index"]


def open_index(db_dir: Path, settings: Settings, read_only: bool = True) -> EmbeddedStore:
    """The live index in ``db_dir``, schema-checked; read-only unless asked (then hold the writer lock)."""
    return IndexDirectory(db_dir).open_current(settings, read_only)
