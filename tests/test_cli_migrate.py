"""`codekg migrate` as a real subprocess, on indexes written at schema version 1 (and one too new)."""

from __future__ import annotations

import json
import pickle
import sqlite3
from pathlib import Path

from codekg.index_state import graph_fingerprint, state_path
from codekg.pipeline import index_repository
from codekg.resolve.tsconfig import load_project_configs
from codekg.settings import Settings, load_settings
from codekg.stores import open_index
from codekg.stores.ladybug import IndexDirectory, LadybugStore
from codekg.schema import SCHEMA_VERSION
from codekg.stores.migrations import MIGRATIONS
from tests.stores.test_migrations import EXPECTED_IS_TEST, FILES_AND_TESTS, build_v1_index, file_columns, read
from tests.test_cli import assert_clean_failure, codekg

STEPS = "".join(f"  {step}\n" for step in MIGRATIONS)


def test_dry_run_then_migrate_then_read(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    assert_clean_failure(codekg("stats", "--db", str(db)), 2, "upgrade it in place with `codekg migrate`")

    dry = codekg("migrate", "--db", str(db), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout == (f"the index in {db} is at schema version 1; `codekg migrate` would run:\n"
                          f"{STEPS}dry run: nothing was changed\n")
    assert "is_test" not in file_columns(db)
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [["1"]]

    migrated = codekg("migrate", "--db", str(db))
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout == f"migrated the index in {db} from schema version 1 to {SCHEMA_VERSION}:\n{STEPS}"

    files = codekg("query", FILES_AND_TESTS, "--db", str(db), "--json")
    assert files.returncode == 0, files.stderr
    assert [list(row.values()) for row in json.loads(files.stdout)] == EXPECTED_IS_TEST
    stats = json.loads(codekg("stats", "--db", str(db), "--json").stdout)
    assert (stats["schema_version"], stats["nodes"]["File"], stats["edges"]["CALLS"]) == (SCHEMA_VERSION, 5, 1)
    impact = codekg("impact", "a.f", "--db", str(db), "--json")
    assert impact.returncode == 0, impact.stderr
    assert json.loads(impact.stdout)["summary"]["test_files"] == ["tests/test_a.py"]

    again = codekg("migrate", "--db", str(db), "--json")
    assert json.loads(again.stdout) == {"db": str(db), "from_version": SCHEMA_VERSION, "to_version": SCHEMA_VERSION, "rollback": False, "dry_run": False,
                                        "migrated": False, "steps": []}


def test_dry_run_as_json(tmp_path):
    db = tmp_path / "db"
    build_v1_index(db)
    result = codekg("migrate", "--db", str(db), "--dry-run", "--json")
    assert json.loads(result.stdout) == {
        "db": str(db), "from_version": 1, "to_version": SCHEMA_VERSION, "rollback": False, "dry_run": True, "migrated": False,
        "steps": [{"from_version": step.from_version, "to_version": step.to_version, "description": step.description,
                   "in_place": True} for step in MIGRATIONS],
    }
    assert "is_test" not in file_columns(db)


def test_a_newer_index_is_refused(tmp_path):
    db = tmp_path / "db"
    newer = SCHEMA_VERSION + 1
    build_v1_index(db, schema_version=newer)
    for extra in ((), ("--dry-run",)):
        assert_clean_failure(codekg("migrate", "--db", str(db), *extra), 2,
                             f"schema version {newer} was written by a newer codekg (this one uses {SCHEMA_VERSION}); upgrade codekg")
    assert_clean_failure(codekg("query", "MATCH (n) RETURN count(n)", "--db", str(db)), 2, "upgrade codekg")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "a.py").write_text("def f():\n    return 1\n")
    for extra in ((), ("--full",)):  # a rebuild would throw away what the newer codekg wrote
        assert_clean_failure(codekg("index", str(repo), "--db", str(db), "--quiet", *extra), 2,
                             f"written by a newer codekg (schema version {newer}, this one uses {SCHEMA_VERSION})")
    assert read(db, "MATCH (m:IndexMeta {key: 'schema_version'}) RETURN m.value") == [[str(newer)]]


def test_no_index_to_migrate(tmp_path):
    assert_clean_failure(codekg("migrate", "--db", str(tmp_path / "none")), 2, "no codekg index in")
    assert not (tmp_path / "none").exists()


# --- a full index written at schema 1, migrated, then indexed again ------------------------------


def downgrade_to_schema_1(repo: Path, db: Path, settings: Settings, monkeypatch) -> None:
    """Turn a fresh index into what a schema-1 codekg wrote: no `File.is_test` in the graph or in the
    per-file state, version 1 recorded, and the state fingerprinted over schema 1."""
    build = IndexDirectory(db).current_graph()
    store = LadybugStore(build, settings)
    store.query("ALTER TABLE File DROP is_test")
    store.query("MATCH (m:IndexMeta {key: 'schema_version'}) SET m.value = '1'")
    store.close()
    connection = sqlite3.connect(state_path(db, build.name))
    for path, blob in connection.execute("SELECT path, nodes FROM files").fetchall():
        nodes = pickle.loads(blob)
        for row in nodes.nodes["File"]:
            del row["is_test"]
        connection.execute("UPDATE files SET nodes = ? WHERE path = ?", (pickle.dumps(nodes), path))
    digest = load_project_configs(repo, [], settings.max_file_size)[0].digest
    settings = settings.model_copy(update={"value_flow": True})  # as the run decided `auto` for this small repo
    [(stored,)] = connection.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchall()
    assert stored.decode() == graph_fingerprint(settings, digest)
    with monkeypatch.context() as patch:
        patch.setattr("codekg.index_state.SCHEMA_VERSION", 1)
        connection.execute("UPDATE meta SET value = ? WHERE key = 'fingerprint'", (graph_fingerprint(settings, digest).encode(),))
    connection.commit()
    connection.close()


def snapshot(db: Path, settings: Settings) -> tuple[list[str], list[str]]:
    """Every node and edge but the IndexMeta nodes (their times and paths differ between runs)."""
    store = open_index(db, settings)
    try:
        nodes = store.query("MATCH (n) WHERE label(n) <> 'IndexMeta' RETURN label(n), n").rows
        edges = store.query("MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id, e").rows
    finally:
        store.close()

    def clean(value: dict) -> list:
        return sorted((k, v) for k, v in value.items() if not k.startswith("_"))

    return sorted(repr((label, clean(n))) for label, n in nodes), sorted(repr((t, a, b, clean(e))) for t, a, b, e in edges)


def add_tests(repo: Path) -> None:
    (repo / "tests").mkdir(exist_ok=True)
    (repo / "tests" / "test_service.py").write_text("from shop.service import checkout\n\ndef test_checkout():\n    checkout([])\n")


def change(repo: Path) -> None:
    (repo / "tests" / "test_util.py").write_text("from shop.util import log\n\ndef test_log():\n    log('x')\n")
    with open(repo / "src" / "shop" / "util.py", "a") as source:
        source.write("\n\ndef quiet():\n    return None\n")


def fresh_index(copy_fixture, tmp_path: Path, *edits) -> tuple[Path, Settings]:
    repo = copy_fixture("pyrepo")
    for edit in edits:
        edit(repo)
    settings = load_settings(repo)
    db = tmp_path / f"fresh-{len(list(tmp_path.glob('fresh-*')))}"
    index_repository(repo, db, settings)
    return db, settings


def test_migrate_then_index_gives_the_graph_of_a_fresh_full_index(copy_fixture, tmp_path, monkeypatch):
    repo = copy_fixture("pyrepo")
    add_tests(repo)
    settings = load_settings(repo)
    db = repo / ".codekg"
    index_repository(repo, db, settings)
    downgrade_to_schema_1(repo, db, settings, monkeypatch)
    assert "is_test" not in file_columns(db)

    migrated = codekg("migrate", str(repo))
    assert migrated.returncode == 0, migrated.stderr
    assert snapshot(db, settings) == snapshot(*fresh_index(copy_fixture, tmp_path, add_tests))
    assert read(db, "MATCH (f:File {is_test: true}) RETURN f.file_path") == [["tests/test_service.py"]]

    change(repo)
    indexed = codekg("index", str(repo), "--json")
    assert indexed.returncode == 0, indexed.stderr
    assert json.loads(indexed.stdout)["delta"]["mode"] == "full"  # the schema-1 state is not trusted
    assert snapshot(db, settings) == snapshot(*fresh_index(copy_fixture, tmp_path, add_tests, change))
    assert read(db, "MATCH (f:File {is_test: true}) RETURN f.file_path ORDER BY f.file_path") == [
        ["tests/test_service.py"], ["tests/test_util.py"]]
