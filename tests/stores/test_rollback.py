"""`codekg migrate --to N --rollback` and back up, through the CLI, on the embedded store and on
CozoDB: what each version added is dropped going down and comes back empty going up; a reader of
the wrong version is refused with the command that fixes it; a failed step changes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.errors import MigrationError, SchemaVersionError
from codekg.schema import SCHEMA_VERSION
from codekg.settings import load_settings
from codekg.stores import migrate_index, open_store
from codekg.stores.migrations import MIGRATIONS, Migration, plan_migrations
from codekg.stores.snapshot import read_graph
from graphs import canonical, write_repo

# What the steps above 5 brought (6: the full code schema; 7: ontologies) that write_repo's index holds.
ADDED_AFTER_5 = {"Import", "BELONGS_TO"}


def _codekg(*args: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CODEKG_")}
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=180, env=environment)


def _uri(kind: str, tmp_path: Path) -> str:
    return f"ladybug:{tmp_path / 'db'}" if kind == "embedded" else f"cozo://{tmp_path / 'cozo'}"


def _graph(uri: str) -> tuple[dict, dict]:
    """The graph without its metadata, the schema check skipped (the store may be at any version)."""
    settings = load_settings()
    if uri.startswith("ladybug:"):
        from codekg.stores.ladybug import IndexDirectory, LadybugStore

        store = LadybugStore(IndexDirectory(Path(uri.removeprefix("ladybug:"))).current_graph(), settings, read_only=True)
    else:
        store = open_store(uri, settings)
    try:
        return canonical(read_graph(store, include_metadata=False))
    finally:
        store.close()


def _file_columns(uri: str) -> list[str]:
    """The properties File nodes have in the store, read in its own language (any schema version)."""
    if uri.startswith("ladybug:"):
        from codekg.stores.ladybug import IndexDirectory, LadybugStore

        store = LadybugStore(IndexDirectory(Path(uri.removeprefix("ladybug:"))).current_graph(), load_settings(), read_only=True)
        try:
            return [row[1] for row in store.query("CALL table_info('File') RETURN *").rows]
        finally:
            store.close()
    with open_store(uri, load_settings()) as store:
        return [row[0] for row in store.query("::columns File").rows]


@pytest.mark.parametrize("kind", ["embedded", "cozo"])
def test_roll_back_to_5_and_migrate_up_again(tmp_path: Path, kind: str) -> None:
    repo = write_repo(tmp_path / "repo")
    uri = _uri(kind, tmp_path)
    store_args = [] if kind == "embedded" else ["--store", uri]
    base = ["--repo", str(repo), "--db", str(tmp_path / "db"), *store_args]
    assert _codekg("index", str(repo), "--db", str(tmp_path / "db"), "--quiet", *store_args).returncode == 0
    nodes, edges = _graph(uri)
    assert ADDED_AFTER_5 <= set(nodes) | {key[0] for key in edges}

    refused = _codekg("migrate", *base, "--to", "5")
    assert refused.returncode == 2 and "say so with --rollback" in refused.stderr

    down = _codekg("migrate", *base, "--to", "5", "--rollback", "--json")
    assert down.returncode == 0, down.stderr
    report = json.loads(down.stdout)
    assert (report["from_version"], report["to_version"], report["rollback"], report["migrated"]) == (SCHEMA_VERSION, 5, True, True)
    assert [(s["from_version"], s["to_version"]) for s in report["steps"]] == [(7, 6), (6, 5)]
    stats = _codekg("stats", *base)
    assert stats.returncode != 0 and "schema version 5" in stats.stderr and "codekg migrate" in stats.stderr

    up = _codekg("migrate", *base)
    assert up.returncode == 0 and f"from schema version 5 to {SCHEMA_VERSION}" in up.stdout
    after_nodes, after_edges = _graph(uri)
    assert after_nodes == {label: rows for label, rows in nodes.items() if label not in ADDED_AFTER_5}
    assert after_edges == {key: rows for key, rows in edges.items() if not ADDED_AFTER_5 & set(key)}
    assert _codekg("index", str(repo), "--db", str(tmp_path / "db"), "--quiet", *store_args).returncode == 0
    assert _graph(uri) == (nodes, edges)  # the next index run fills them again


@pytest.mark.parametrize("kind", ["embedded", "cozo"])
def test_roll_back_to_1_drops_is_test_and_up_again_recomputes_it(tmp_path: Path, kind: str) -> None:
    repo = write_repo(tmp_path / "repo")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_mod.py").write_text("def test_one():\n    return 1\n")
    uri = _uri(kind, tmp_path)
    store_args = [] if kind == "embedded" else ["--store", uri]
    base = ["--repo", str(repo), "--db", str(tmp_path / "db"), *store_args]
    assert _codekg("index", str(repo), "--db", str(tmp_path / "db"), "--quiet", *store_args).returncode == 0
    files = {row for row in _graph(uri)[0]["File"]}
    assert any("'is_test', True" in row for row in files)
    down = _codekg("migrate", *base, "--to", "1", "--rollback")
    assert down.returncode == 0, down.stderr
    assert f"rolled back the index in {tmp_path / 'db'} from schema version {SCHEMA_VERSION} to 1:" in down.stdout
    assert "file_path" in _file_columns(uri) and "is_test" not in _file_columns(uri)
    assert _codekg("migrate", *base).returncode == 0
    assert set(_graph(uri)[0]["File"]) == files


@pytest.mark.parametrize("kind", ["embedded", "cozo"])
def test_a_rollback_failing_half_way_leaves_the_old_version_and_data(tmp_path: Path, kind: str) -> None:
    repo = write_repo(tmp_path / "repo")
    uri = _uri(kind, tmp_path)
    settings = load_settings(repo, store="" if kind == "embedded" else uri)
    assert _codekg("index", str(repo), "--db", str(tmp_path / "db"), "--quiet",
                   *([] if kind == "embedded" else ["--store", uri])).returncode == 0
    before = _graph(uri)

    def fails(store) -> None:
        raise RuntimeError("disk full")

    # 7 → 6 rolls back for real (ontology tables dropped), then 6 → 5 fails
    registry = (*MIGRATIONS[:4], Migration(5, 6, "fails going down", MIGRATIONS[4].apply, fails), MIGRATIONS[5])
    plan = plan_migrations(SCHEMA_VERSION, registry, 5)
    assert [s.to_version for s in plan.steps] == [7, 6]
    if kind == "embedded":
        from codekg.stores.ladybug import IndexDirectory

        with pytest.raises(MigrationError, match="disk full"):
            IndexDirectory(tmp_path / "db").migrate(settings, registry=registry, to_version=5)
    else:
        store = open_store(uri, settings, read_only=False)
        try:
            with pytest.raises(RuntimeError, match="disk full"):
                store.migrate(plan)  # type: ignore[attr-defined]
        finally:
            store.close()
        assert [p.name for p in (tmp_path / "cozo").iterdir() if p.name.startswith("graph-")] == [
            (tmp_path / "cozo" / "CURRENT").read_text().strip()]  # the copy is gone
    assert _graph(uri) == before
    assert migrate_index(tmp_path / "db", settings, dry_run=True).from_version == SCHEMA_VERSION


def test_bad_targets_are_usage_errors(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    assert _codekg("index", str(repo), "--db", str(tmp_path / "db"), "--quiet").returncode == 0
    base = ["--repo", str(repo), "--db", str(tmp_path / "db")]
    newer = _codekg("migrate", *base, "--to", str(SCHEMA_VERSION + 1))
    assert newer.returncode == 2 and f"knows schema versions up to {SCHEMA_VERSION}" in newer.stderr
    up = _codekg("migrate", *base, "--to", str(SCHEMA_VERSION), "--rollback")
    assert up.returncode == 0 and "nothing to migrate" in up.stdout
    with pytest.raises(SchemaVersionError, match="no migration from schema version 0"):
        plan_migrations(SCHEMA_VERSION, MIGRATIONS, 0)
