"""Schema migrations on real Ladybug indexes written at schema version 1: the plan, the 1 → 2 step,
and that a failed, interrupted or impossible migration leaves the index as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from codekg.errors import MigrationError, SchemaVersionError
from codekg.schema import SCHEMA_VERSION, PropType
from codekg.settings import load_settings
from codekg.stores.ladybug import IndexDirectory, LadybugStore, cypher_literal
from codekg.stores.migrations import MIGRATIONS, Migration, plan_migrations, stored_schema_version

# The DDL of schema version 1, as codekg 0.1.0 wrote it (generated from that schema.py, frozen here).
V1_DDL = Path(__file__).parents[1] / "fixtures" / "schema" / "v1.cypher"

V1_FILES = ("conftest.py", "src/a.py", "tests/test_a.py", "web/b.ts", "web/b.test.ts")
EXPECTED_IS_TEST = [["conftest.py", True], ["src/a.py", False], ["tests/test_a.py", True], ["web/b.test.ts", True],
                    ["web/b.ts", False]]
FILES_AND_TESTS = "MATCH (f:File) RETURN f.file_path, f.is_test ORDER BY f.file_path"
FILE_ROWS = "MATCH (f:File) RETURN f.id, f.name, f.file_path, f.language, f.line_count ORDER BY f.id"


def _create(store: LadybugStore, label: str, rows: list[dict]) -> None:
    properties = ", ".join(f"{key}: row.{key}" for key in rows[0])
    store.query(f"UNWIND $rows AS row CREATE (n:{label} {{{properties}}})", {"rows": rows})


def _link(store: LadybugStore, rel_type: str, source: str, target: str, pairs: list[tuple[str, str]], **properties) -> None:
    assignments = "".join(f", {key}: {cypher_literal(value)}" for key, value in properties.items()).lstrip(", ")
    store.query(f"UNWIND $rows AS row MATCH (a:{source} {{id: row.a}}) MATCH (b:{target} {{id: row.b}}) "
                f"CREATE (a)-[:{rel_type} {{{assignments}}}]->(b)", {"rows": [{"a": a, "b": b} for a, b in pairs]})


def build_v1_index(db_dir: Path, schema_version: int = 1) -> Path:
    """A small real index as a schema-1 codekg wrote it (no `File.is_test`), published in ``db_dir``:
    five files, a function in src/a.py called by a test function in tests/test_a.py."""
    directory = IndexDirectory(db_dir)
    build = directory.new_build_path()
    store = LadybugStore(build, load_settings(None))
    for statement in V1_DDL.read_text("utf-8").split(";\n"):
        if statement.strip():
            store.query(statement)
    _create(store, "Project", [{"id": "Project:demo", "name": "demo", "qualified_name": "demo"}])
    folders = ["src", "tests", "web"]
    _create(store, "Folder", [{"id": f"Folder:{f}", "name": f, "qualified_name": f, "file_path": f} for f in folders])
    language = {"py": "python", "ts": "typescript"}
    _create(store, "File", [{"id": f"File:{p}", "name": p.rsplit("/", 1)[-1], "qualified_name": p, "file_path": p,
                             "language": language[p.rsplit(".", 1)[-1]], "start_line": 1, "end_line": 4, "line_count": 4,
                             "content_hash": "0" * 64, "size_bytes": 40, "parse_errors": 0} for p in V1_FILES])
    modules = {p: p.rsplit(".", 1)[0].replace("/", ".").removeprefix("src.") for p in V1_FILES}
    _create(store, "Module", [{"id": f"Module:{p}:{m}", "name": m.rsplit(".", 1)[-1], "qualified_name": m, "file_path": p,
                               "language": language[p.rsplit(".", 1)[-1]]} for p, m in modules.items()])
    _create(store, "Function", [
        {"id": "Function:src/a.py:a.f", "name": "f", "qualified_name": "a.f", "file_path": "src/a.py",
         "start_line": 1, "end_line": 2, "language": "python", "signature": "def f()", "decorators": [], "is_async": False},
        {"id": "Function:tests/test_a.py:tests.test_a.test_f", "name": "test_f", "qualified_name": "tests.test_a.test_f",
         "file_path": "tests/test_a.py", "start_line": 3, "end_line": 4, "language": "python",
         "signature": "def test_f()", "decorators": [], "is_async": False},
    ])
    _link(store, "CONTAINS", "Project", "Folder", [("Project:demo", f"Folder:{f}") for f in folders])
    _link(store, "CONTAINS", "Project", "File", [("Project:demo", "File:conftest.py")])
    _link(store, "CONTAINS", "Folder", "File",
          [(f"Folder:{p.split('/')[0]}", f"File:{p}") for p in V1_FILES if "/" in p])
    _link(store, "DEFINES", "File", "Module", [(f"File:{p}", f"Module:{p}:{m}") for p, m in modules.items()])
    _link(store, "DEFINES", "Module", "Function", [("Module:src/a.py:a", "Function:src/a.py:a.f"),
                                                  ("Module:tests/test_a.py:tests.test_a",
                                                   "Function:tests/test_a.py:tests.test_a.test_f")])
    _link(store, "CALLS", "Function", "Function",
          [("Function:tests/test_a.py:tests.test_a.test_f", "Function:src/a.py:a.f")],
          confidence=1.0, reason="import", line=4, call_count=1)
    meta = {"schema_version": str(schema_version), "codekg_version": "0.1.0", "generation": "g1", "repo_root": "/demo",
            "indexed_at": "2025-01-01T00:00:00+00:00", "commit": "", "files_by_language": '{"python": 3, "typescript": 2}'}
    _create(store, "IndexMeta", [{"key": key, "value": value} for key, value in meta.items()])
    store.close()
    directory.publish(build)
    return build


def read(db_dir: Path, cypher: str) -> list[list]:
    """A query on the live build, without the schema check (the index may be at any version)."""
    store = LadybugStore(IndexDirectory(db_dir).current_graph(), load_settings(None), read_only=True)
    try:
        return store.query(cypher).rows
    finally:
        store.close()


def file_columns(db_dir: Path) -> list[str]:
    return [row[1] for row in read(db_dir, "CALL table_info('File') RETURN *")]


def test_every_schema_version_since_1_has_a_migration():
    plan = plan_migrations(1)
    assert [(s.from_version, s.to_version) for s in plan.steps] == [(v, v + 1) for v in range(1, SCHEMA_VERSION)]
    assert plan.steps == MIGRATIONS[: SCHEMA_VERSION - 1]


def test_plans():
    assert plan_migrations(SCHEMA_VERSION).steps == ()
    with pytest.raises(SchemaVersionError, match=f"no migration from schema version 0 to {SCHEMA_VERSION}; re-index with `codekg index --full`"):
        plan_migrations(0)
    with pytest.raises(SchemaVersionError, match=rf"schema version {SCHEMA_VERSION + 1} was written by a newer codekg "
                       rf"\(this one uses {SCHEMA_VERSION}\); upgrade codekg"):
        plan_migrations(SCHEMA_VERSION + 1)
    gap = (Migration(1, 2, "one", print), Migration(3, 4, "three", print))
    with pytest.raises(SchemaVersionError, match="no migration from schema version 2 to 4"):
        plan_migrations(1, gap, to_version=4)
    assert str(MIGRATIONS[0]) == "1 → 2: File nodes get `is_test` (a test file by the usual conventions), computed from their path"


def test_migrating_1_to_2_adds_is_test_and_keeps_the_rest(tmp_path):
    db = tmp_path / "db"
    build = build_v1_index(db)
    before = read(db, FILE_ROWS), read(db, "MATCH (a)-[e]->(b) RETURN a.id, label(e), b.id ORDER BY a.id, b.id")
    directory = IndexDirectory(db)
    plan = directory.migrate(load_settings(None))
    assert (plan.from_version, plan.to_version, plan.steps) == (1, SCHEMA_VERSION, MIGRATIONS)
    assert directory.current_graph() == build  # in place
    assert read(db, FILES_AND_TESTS) == EXPECTED_IS_TEST
    assert (read(db, FILE_ROWS), read(db, "MATCH (a)-[e]->(b) RETURN a.id, label(e), b.id ORDER BY a.id, b.id")) == before
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [[str(SCHEMA_VERSION)]]
    store = directory.open_current(load_settings(None))  # what every read command opens
    assert stored_schema_version(store) == SCHEMA_VERSION
    assert store.query("MATCH (t:`Table`) RETURN count(t)").rows == [[0]]  # the 2 → 3 tables, empty until an index
    assert store.query("MATCH (c:`Column`)<-[:DERIVES_FROM]-(d:`Column`) RETURN count(c)").rows == [[0]]
    # 5 → 6: the new tables, and the new pairs of the tables there before (a pair the table lacks is an error)
    for query in ("MATCH (e:Enum)-[:HAS_METHOD]->(m:Method) RETURN count(m)",
                  "MATCH (d:Decorator)-[:CALLS]->(f:Function) RETURN count(f)",
                  "MATCH (m:Module)-[:DEFINES]->(i:Import) RETURN count(i)",
                  "MATCH (e:Enum)-[:RUNS_SQL]->(s:SqlStatement) RETURN count(s)",
                  "MATCH (c:CodeElement)-[:BELONGS_TO]->(f:File) RETURN count(c)",
                  "MATCH (a)-[e:INHERITS|USES|ACCESSES|DECORATES]->(b) RETURN count(e)"):
        assert store.query(query).rows == [[0]], query
    store.close()
    assert directory.migrate(load_settings(None)).steps == ()  # nothing left to do


def test_a_dry_run_changes_nothing(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    plan = IndexDirectory(db).migrate(load_settings(None), dry_run=True)
    assert [str(step) for step in plan.steps] == [str(step) for step in MIGRATIONS]
    assert "is_test" not in file_columns(db)
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["1"]]


def test_a_read_only_open_of_an_older_index_names_codekg_migrate(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    with pytest.raises(SchemaVersionError) as error:
        IndexDirectory(db).open_current(load_settings(None))
    assert str(error.value) == (f"the index in {db} has schema version 1, this codekg uses {SCHEMA_VERSION}; upgrade it in place with "
                                "`codekg migrate`, or rebuild it with `codekg index --full`")


def _fail(store) -> None:
    raise RuntimeError("step failed")


def test_a_failing_second_step_rolls_the_first_back(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db, schema_version=0)  # this registry starts before version 1
    before = read(db, FILE_ROWS)
    registry = (Migration(0, 1, "the real is_test step", MIGRATIONS[0].apply), Migration(1, 2, "fails", _fail), *MIGRATIONS[1:])
    with pytest.raises(MigrationError) as error:
        IndexDirectory(db).migrate(load_settings(None), registry=registry)
    assert str(error.value) == (f"migrating the index in {db} from schema version 0 to {SCHEMA_VERSION} failed, nothing was changed: "
                                "step failed")
    assert error.value.exit_code == 1
    assert "is_test" not in file_columns(db)  # the DDL of the first step was rolled back too
    assert read(db, FILE_ROWS) == before
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["0"]]


def test_a_step_failing_half_way_leaves_version_1(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    before = read(db, FILE_ROWS)

    def half_done(store) -> None:
        MIGRATIONS[0].apply(store)
        store.query("MATCH (f:File) SET f.nosuch = 1")  # the database rejects it

    with pytest.raises(MigrationError, match="Binder exception"):
        IndexDirectory(db).migrate(load_settings(None), registry=(Migration(1, 2, "half", half_done), *MIGRATIONS[1:]))
    assert "is_test" not in file_columns(db) and read(db, FILE_ROWS) == before
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["1"]]


def test_an_interrupted_migration_is_rolled_back(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)

    def interrupted(store) -> None:
        MIGRATIONS[0].apply(store)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        IndexDirectory(db).migrate(load_settings(None), registry=(Migration(1, 2, "interrupted", interrupted), *MIGRATIONS[1:]))
    assert "is_test" not in file_columns(db)
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["1"]]
    assert IndexDirectory(db).migrate(load_settings(None)).steps == MIGRATIONS  # and can be run again


def test_a_step_that_cannot_be_done_in_place_asks_for_a_reindex(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    registry = (Migration(1, 2, "ids changed"), *MIGRATIONS[1:])
    directory = IndexDirectory(db)
    plan = directory.migrate(load_settings(None), dry_run=True, registry=registry)
    assert [str(s) for s in plan.steps][0] == "1 → 2: ids changed (cannot be migrated in place: re-index with `codekg index --full`)"
    with pytest.raises(SchemaVersionError) as error:
        directory.migrate(load_settings(None), registry=registry)
    assert str(error.value) == (f"the index in {db}: schema version 1 cannot be migrated to {SCHEMA_VERSION} in place: 1 → 2 (ids changed); "
                                "re-index with `codekg index --full`")
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["1"]]


def test_a_newer_index_is_refused(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db, schema_version=SCHEMA_VERSION + 1)
    for dry_run in (True, False):
        with pytest.raises(SchemaVersionError, match="written by a newer codekg .*; upgrade codekg"):
            IndexDirectory(db).migrate(load_settings(None), dry_run=dry_run)
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [[str(SCHEMA_VERSION + 1)]]


def test_add_property_gives_existing_nodes_the_default(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    store = LadybugStore(IndexDirectory(db).current_graph(), load_settings(None))
    try:
        store.add_property("File", "note", PropType.STRING, "it's \\ 'quoted'")
        store.add_property("File", "tags", PropType.STRING_LIST, ["a"])
        store.add_property("File", "weight", PropType.DOUBLE, 0.5)
        rows = store.query("MATCH (f:File {id: 'File:src/a.py'}) RETURN f.note, f.tags, f.weight").rows
    finally:
        store.close()
    assert rows == [["it's \\ 'quoted'", ["a"], 0.5]]
    assert [cypher_literal(v) for v in (True, 0, None)] == ["true", "0", "NULL"]
