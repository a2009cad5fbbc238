"""Schema migrations: move an index written at one schema version to another, in place.

`MIGRATIONS` is the table of steps, one per version bump, applied in order going up, and their
explicit `rollback` steps applied in reverse going down (`codekg migrate --to N --rollback`: back to
an older codekg's schema, what the newer version added dropped). A step works through the store's
hooks only (stores/base.py `MigratableStore`): `add_property` / `drop_property`, `add_tables` /
`drop_tables` (the DDL: Ladybug and CozoDB alter their relations, a schemaless server store drops
the nodes and edges), `set_properties` and `set_metadata` for values, and `reads` to read: no query
language, so every store runs every step. A bump that cannot be migrated in place is a step without
`apply`: the user is told to re-index.

Atomicity is the store's: the embedded store runs the whole plan and each new version in one
transaction (`IndexDirectory.migrate`); CozoDB migrates a copy of its live database and publishes it
(stores/cozo.py); a server store records the version after each idempotent step. A failed step
leaves the index at its old version.

The per-file incremental state of the run that wrote the index is not migrated: a migration gives
the graph a new generation, which no state names, so the first `codekg index` after it rebuilds in
full.

A new schema version: bump `SCHEMA_VERSION` in schema.py and append its step here, with its rollback.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from codekg.conventions import is_test_path
from codekg.errors import SchemaVersionError
from codekg.schema import SCHEMA_VERSION, PropType
from codekg.stores.base import GraphStore, MigratableStore

REINDEX = "re-index with `codekg index --full`"


@dataclass(frozen=True, slots=True)
class Migration:
    """One version bump: what it changes, and how to change an index in place (None: it cannot be)."""

    from_version: int
    to_version: int
    description: str
    apply: Callable[[MigratableStore], None] | None = None
    rollback: Callable[[MigratableStore], None] | None = None  # back from to_version to from_version

    @property
    def in_place(self) -> bool:
        return self.apply is not None

    def __str__(self) -> str:
        how = "" if self.in_place else f" (cannot be migrated in place: {REINDEX})"
        return f"{self.from_version} → {self.to_version}: {self.description}{how}"


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """The steps from an index's version to the one asked for (this codekg's by default), in the
    order they run: going down (``rolling_back``), each step's rollback, newest first."""

    from_version: int
    to_version: int
    steps: tuple[Migration, ...]

    @property
    def rolling_back(self) -> bool:
        return self.to_version < self.from_version

    def require_in_place(self) -> None:
        """SchemaVersionError naming the steps that need a re-index, if any."""
        if self.rolling_back:
            blocked = [step for step in self.steps if step.rollback is None]
            if blocked:
                names = "; ".join(f"{s.to_version} → {s.from_version}" for s in blocked)
                raise SchemaVersionError(f"schema version {self.from_version} cannot be rolled back to {self.to_version}: "
                                         f"no rollback step for {names}")
            return
        blocked = [step for step in self.steps if not step.in_place]
        if blocked:
            names = "; ".join(f"{s.from_version} → {s.to_version} ({s.description})" for s in blocked)
            raise SchemaVersionError(
                f"schema version {self.from_version} cannot be migrated to {self.to_version} in place: {names}; {REINDEX}")


# --- the steps -----------------------------------------------------------------------------------


def _file_is_test(store: MigratableStore) -> None:
    store.add_property("File", "is_test", PropType.BOOLEAN, False)
    files = store.reads.nodes("File", columns=("id", "file_path"))
    store.set_properties("File", [{"id": file_id, "is_test": is_test_path(path or "")} for file_id, path in files])


def _drop_file_is_test(store: MigratableStore) -> None:
    store.drop_property("File", "is_test")


TableChange = tuple[tuple[str, ...], tuple[str, ...], dict[str, tuple[tuple[str, str], ...]]]
"""(new labels, new relationship types, new endpoint pairs of relationship types there before)."""


def _tables(change: Callable[[], TableChange]) -> tuple[Callable[[MigratableStore], None], Callable[[MigratableStore], None]]:
    """The step that adds ``change``'s tables, and its rollback, which drops them (and what they hold)."""
    return (lambda store: store.add_tables(*change())), (lambda store: store.drop_tables(*change()))


_SQL_RELATIONS = (("Schema", "Table"), ("Schema", "View"), ("Table", "Column"), ("View", "Column"))
# The tables of SQL lineage; they fill when the next `codekg index` reads the repository's SQL (the
# state of a migrated index is not trusted, so that run reads every file).
_sql_lineage_tables = _tables(lambda: (
    ("Database", "Schema", "Table", "View", "Column", "SqlStatement"), ("RUNS_SQL", "READS_FROM", "WRITES_TO", "DERIVES_FROM"),
    {"CONTAINS": (("Database", "Schema"), *_SQL_RELATIONS), "DEFINES": (("File", "SqlStatement"),)}))
_package_tables = _tables(lambda: (("Package",), ("DEPENDS_ON",), {"CONTAINS": (("Package", "Module"),),
                                                                  "DEFINES": (("File", "Package"),)}))
_overrides_table = _tables(lambda: ((), ("OVERRIDES",), {}))


_CODE_SCHEMA_LABELS = ("Type", "Enum", "Import", "Decorator")
_ONTOLOGY_LABELS = ("Ontology", "OntologyClass", "OntologyProperty", "Axiom")
_ONTOLOGY_RELATIONS = ("SUBCLASS_OF", "DOMAIN", "RANGE", "DECLARED_IN", "HAS_AXIOM", "MENTIONS")
_CODE_SCHEMA_RELATIONS = ("INHERITS", "USES", "ACCESSES", "DECORATES", "BELONGS_TO")


def _code_schema_change() -> TableChange:
    """The full code schema: the new tables, and every endpoint pair of the tables there before that
    touches a new label (DEFINES Module → Enum, HAS_METHOD Enum → Method, CALLS Decorator → …), but
    none of the tables and labels later steps bring."""
    from codekg.schema import REL_TYPES

    added, later = set(_CODE_SCHEMA_LABELS), set(_ONTOLOGY_LABELS)
    return _CODE_SCHEMA_LABELS, _CODE_SCHEMA_RELATIONS, {
        rel.name: pairs for rel in REL_TYPES if rel.name not in _CODE_SCHEMA_RELATIONS + _ONTOLOGY_RELATIONS
        and (pairs := tuple(pair for pair in rel.pairs if added & set(pair) and not later & set(pair)))}


_code_schema_tables = _tables(_code_schema_change)
_ontology_tables = _tables(lambda: (_ONTOLOGY_LABELS, _ONTOLOGY_RELATIONS,
                                    {"CONTAINS": (("Ontology", "OntologyClass"), ("Ontology", "OntologyProperty"))}))


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, 2, "File nodes get `is_test` (a test file by the usual conventions), computed from their path",
              _file_is_test, _drop_file_is_test),
    Migration(2, 3, "SQL lineage: Database, Schema, Table, View, Column and SqlStatement tables, RUNS_SQL, "
              "READS_FROM, WRITES_TO and DERIVES_FROM edges (empty until the next `codekg index` reads the SQL)",
              *_sql_lineage_tables),
    Migration(3, 4, "OVERRIDES edges from a method to the base method it overrides (empty until the next "
              "`codekg index` resolves them)", *_overrides_table),
    Migration(4, 5, "Package nodes from pyproject.toml and package.json, DEPENDS_ON edges, CONTAINS from a package "
              "to its modules (empty until the next `codekg index` reads the manifests)", *_package_tables),
    Migration(5, 6, "The full code schema: Type, Enum, Import and Decorator nodes; INHERITS, USES, ACCESSES, "
              "DECORATES and BELONGS_TO edges (empty until the next `codekg index` reads every file again)",
              *_code_schema_tables),
    Migration(6, 7, "Ontologies: Ontology, OntologyClass, OntologyProperty and Axiom nodes; SUBCLASS_OF, DOMAIN, RANGE, "
              "DECLARED_IN, HAS_AXIOM and MENTIONS edges (empty until the next `codekg index` reads the ontology "
              "files and markdown pages)", *_ontology_tables),
)


# --- planning and running ------------------------------------------------------------------------


def stored_schema_version(store: GraphStore, metadata: dict[str, str] | None = None) -> int:
    """The schema version an index records (in ``metadata`` when the caller has read it); 0 when
    it records none (or not a number)."""
    found = (store.read_metadata() if metadata is None else metadata).get("schema_version")
    try:
        return int(found) if found is not None else 0
    except (TypeError, ValueError):
        return 0


def plan_migrations(from_version: int, registry: tuple[Migration, ...] = MIGRATIONS,
                    to_version: int = SCHEMA_VERSION) -> MigrationPlan:
    """The chain of ``registry`` steps from ``from_version`` to ``to_version``: up by their `apply`,
    down (a lower ``to_version``) by their `rollback`, newest first. SchemaVersionError when the
    index is newer than this codekg knows, or no chain of steps reaches the version."""
    known = max([SCHEMA_VERSION, *(step.to_version for step in registry)])
    if from_version > known or to_version > known:
        raise SchemaVersionError(
            f"schema version {max(from_version, to_version)} was written by a newer codekg (this one uses {known}); upgrade codekg")
    if to_version < from_version:
        by_target = {step.to_version: step for step in registry}
        down: list[Migration] = []
        version = from_version
        while version > to_version:
            step = by_target.get(version)
            if step is None or step.from_version >= version or step.from_version < to_version:
                raise SchemaVersionError(f"no migration from schema version {to_version} to {version} to roll back")
            down.append(step)
            version = step.from_version
        return MigrationPlan(from_version, to_version, tuple(down))
    by_source = {step.from_version: step for step in registry}
    steps: list[Migration] = []
    version = from_version
    while version < to_version:
        step = by_source.get(version)
        if step is None or step.to_version <= version:
            raise SchemaVersionError(f"no migration from schema version {version} to {to_version}; {REINDEX}")
        steps.append(step)
        version = step.to_version
    if version != to_version:
        raise SchemaVersionError(f"the migrations from schema version {from_version} pass {to_version}; {REINDEX}")
    return MigrationPlan(from_version, to_version, tuple(steps))


def apply_migrations(store: MigratableStore, plan: MigrationPlan) -> None:
    """Run the plan's steps in order (their rollbacks, going down), recording each new version. The
    caller makes the whole atomic where the store can (one transaction, or a copy published): a
    step that raises leaves the index as it was."""
    plan.require_in_place()
    for step in plan.steps:
        action = step.rollback if plan.rolling_back else step.apply
        assert action is not None
        action(store)
        store.set_metadata("schema_version", str(step.from_version if plan.rolling_back else step.to_version))
    if plan.steps:
        # A new generation: no run's per-file state describes this graph any more (a rollback and a
        # migration back up leave the state of before, which names tables since emptied), so the
        # next `codekg index` rebuilds in full instead of applying a delta to it.
        store.set_metadata("generation", f"migrated-{uuid.uuid4().hex}")
