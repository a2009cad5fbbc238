"""Schema migrations: bring an index written at an older schema version up to `SCHEMA_VERSION` in place.

`MIGRATIONS` is the table of steps, one per version bump, applied in order. A step works through
the store protocol: its data part through `query(cypher, parameters)`, which every store runs, and
a new property through the `add_property` hook, the only DDL (Ladybug alters its table, a
schemaless server store does nothing). A bump that cannot be migrated in place is a step without
`apply`: the user is told to re-index. The store that runs the steps wraps them, and the new version,
in one transaction (`IndexDirectory.migrate`), so a failed step leaves the index at its old version.

The per-file incremental state beside an embedded index (`<build>.state`) is not migrated: its
fingerprint covers the schema version it was written at, so the first `codekg index` after a
migration does not trust it and rebuilds in full.

A new schema version: bump `SCHEMA_VERSION` in schema.py and append its step here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codekg.conventions import is_test_path
from codekg.errors import SchemaVersionError
from codekg.schema import SCHEMA_VERSION, PropType
from codekg.stores.base import GraphStore, MigratableStore

REINDEX = "re-index with `codekg index --full`"
_WRITE_BATCH_ROWS = 2000


@dataclass(frozen=True, slots=True)
class Migration:
    """One version bump: what it changes, and how to change an index in place (None: it cannot be)."""

    from_version: int
    to_version: int
    description: str
    apply: Callable[[MigratableStore], None] | None = None

    @property
    def in_place(self) -> bool:
        return self.apply is not None

    def __str__(self) -> str:
        how = "" if self.in_place else f" (cannot be migrated in place: {REINDEX})"
        return f"{self.from_version} → {self.to_version}: {self.description}{how}"


@dataclass(frozen=True, slots=True)
class MigrationPlan:
    """The steps from an index's version to this codekg's, in order (none when it is current)."""

    from_version: int
    to_version: int
    steps: tuple[Migration, ...]

    def require_in_place(self) -> None:
        """SchemaVersionError naming the steps that need a re-index, if any."""
        blocked = [step for step in self.steps if not step.in_place]
        if blocked:
            names = "; ".join(f"{s.from_version} → {s.to_version} ({s.description})" for s in blocked)
            raise SchemaVersionError(
                f"schema version {self.from_version} cannot be migrated to {self.to_version} in place: {names}; {REINDEX}")


# --- the steps -----------------------------------------------------------------------------------


def _file_is_test(store: MigratableStore) -> None:
    store.add_property("File", "is_test", PropType.BOOLEAN, False)
    files = store.query("MATCH (f:File) RETURN f.id, f.file_path").rows
    rows = [{"id": file_id, "is_test": is_test_path(path or "")} for file_id, path in files]
    for start in range(0, len(rows), _WRITE_BATCH_ROWS):
        store.query("UNWIND $rows AS row MATCH (f:File {id: row.id}) SET f.is_test = row.is_test",
                    {"rows": rows[start : start + _WRITE_BATCH_ROWS]})


def _sql_lineage_tables(store: MigratableStore) -> None:
    """The tables of SQL lineage; they fill when the next `codekg index` reads the repository's SQL
    (the state of a migrated index is not trusted, so that run reads every file)."""
    relations = (("Schema", "Table"), ("Schema", "View"), ("Table", "Column"), ("View", "Column"))
    store.add_tables(("Database", "Schema", "Table", "View", "Column", "SqlStatement"),
                     ("RUNS_SQL", "READS_FROM", "WRITES_TO", "DERIVES_FROM"),
                     {"CONTAINS": (("Database", "Schema"), *relations), "DEFINES": (("File", "SqlStatement"),)})


def _package_tables(store: MigratableStore) -> None:
    store.add_tables(("Package",), ("DEPENDS_ON",), {"CONTAINS": (("Package", "Module"),), "DEFINES": (("File", "Package"),)})


def _overrides_table(store: MigratableStore) -> None:
    store.add_tables((), ("OVERRIDES",), {})


_CODE_SCHEMA_LABELS = ("Type", "Enum", "Import", "Decorator")
_ONTOLOGY_LABELS = ("Ontology", "OntologyClass", "OntologyProperty", "Axiom")
_ONTOLOGY_RELATIONS = ("SUBCLASS_OF", "DOMAIN", "RANGE", "DECLARED_IN", "HAS_AXIOM", "MENTIONS")
_CODE_SCHEMA_RELATIONS = ("INHERITS", "USES", "ACCESSES", "DECORATES", "BELONGS_TO")


def _code_schema_tables(store: MigratableStore) -> None:
    """The full code schema: the new tables, and every endpoint pair of the tables there before that
    touches a new label (DEFINES Module → Enum, HAS_METHOD Enum → Method, CALLS Decorator → …), but
    none of the tables and labels later steps bring."""
    from codekg.schema import REL_TYPES

    added, later = set(_CODE_SCHEMA_LABELS), set(_ONTOLOGY_LABELS)
    store.add_tables(_CODE_SCHEMA_LABELS, _CODE_SCHEMA_RELATIONS, {
        rel.name: pairs for rel in REL_TYPES if rel.name not in _CODE_SCHEMA_RELATIONS + _ONTOLOGY_RELATIONS
        and (pairs := tuple(pair for pair in rel.pairs if added & set(pair) and not later & set(pair)))})


def _ontology_tables(store: MigratableStore) -> None:
    store.add_tables(_ONTOLOGY_LABELS, _ONTOLOGY_RELATIONS,
                     {"CONTAINS": (("Ontology", "OntologyClass"), ("Ontology", "OntologyProperty"))})


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, 2, "File nodes get `is_test` (a test file by the usual conventions), computed from their path",
              _file_is_test),
    Migration(2, 3, "SQL lineage: Database, Schema, Table, View, Column and SqlStatement tables, RUNS_SQL, "
              "READS_FROM, WRITES_TO and DERIVES_FROM edges (empty until the next `codekg index` reads the SQL)",
              _sql_lineage_tables),
    Migration(3, 4, "OVERRIDES edges from a method to the base method it overrides (empty until the next "
              "`codekg index` resolves them)", _overrides_table),
    Migration(4, 5, "Package nodes from pyproject.toml and package.json, DEPENDS_ON edges, CONTAINS from a package "
              "to its modules (empty until the next `codekg index` reads the manifests)", _package_tables),
    Migration(5, 6, "The full code schema: Type, Enum, Import and Decorator nodes; INHERITS, USES, ACCESSES, "
              "DECORATES and BELONGS_TO edges (empty until the next `codekg index` reads every file again)",
              _code_schema_tables),
    Migration(6, 7, "Ontologies: Ontology, OntologyClass, OntologyProperty and Axiom nodes; SUBCLASS_OF, DOMAIN, RANGE, "
              "DECLARED_IN, HAS_AXIOM and MENTIONS edges (empty until the next `codekg index` reads the ontology "
              "files and markdown pages)", _ontology_tables),
)


# --- planning and running ------------------------------------------------------------------------


def stored_schema_version(store: GraphStore) -> int:
    """The schema version an index records; 0 when it records none (or not a number)."""
    found = store.read_metadata().get("schema_version")
    try:
        return int(found) if found is not None else 0
    except (TypeError, ValueError):
        return 0


def plan_migrations(from_version: int, registry: tuple[Migration, ...] = MIGRATIONS,
                    to_version: int = SCHEMA_VERSION) -> MigrationPlan:
    """The chain of ``registry`` steps from ``from_version`` to ``to_version``. SchemaVersionError
    when the index is newer than this codekg, or no chain of steps reaches it."""
    if from_version > to_version:
        raise SchemaVersionError(
            f"schema version {from_version} was written by a newer codekg (this one uses {to_version}); upgrade codekg")
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
    """Run the plan's steps in order, recording each new version. The caller holds one transaction
    around the call: a step that raises leaves the index as it was."""
    plan.require_in_place()
    for step in plan.steps:
        assert step.apply is not None
        step.apply(store)
        store.query("MERGE (m:IndexMeta {key: 'schema_version'}) SET m.value = $value", {"value": str(step.to_version)})
