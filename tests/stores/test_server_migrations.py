"""Schema versions on a server store: an index at version 1 on FalkorDB is refused for reading, then
migrated in place by `codekg migrate --store`; a newer one is refused."""

from __future__ import annotations

from codekg.schema import SCHEMA_VERSION

import json
import os
import subprocess
import sys
from pathlib import Path

from codekg.graph import Graph
from codekg.settings import load_settings
from codekg.stores.falkordb import FalkorDBStore
from codekg.stores.uri import parse_store_uri


def codekg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=120, env=dict(os.environ))


def _write_index(uri: str, schema_version: int) -> None:
    """A small graph as codekg 1 wrote it: File nodes without `is_test`."""
    graph = Graph()
    for path in ("src/app.py", "tests/test_app.py", "web/app.spec.ts"):
        graph.add_node("File", id=f"File:{path}", name=path.rsplit("/", 1)[-1], file_path=path)
    for row in graph.nodes["File"]:
        del row["is_test"]
    meta = Graph()
    meta.add_node("IndexMeta", key="schema_version", value=str(schema_version))
    meta.add_node("IndexMeta", key="generation", value="g1")
    with FalkorDBStore(parse_store_uri(uri), load_settings(), None, read_only=False) as store:
        store.write_graph(graph)
        store.write_metadata(meta)


def test_an_old_server_index_is_refused_then_migrated(tmp_path: Path, falkordb_graph_uri: str) -> None:
    _write_index(falkordb_graph_uri, 1)
    db = str(tmp_path / "db")
    refused = codekg("query", "--db", db, "--store", falkordb_graph_uri, "MATCH (f:File) RETURN count(f)")
    assert refused.returncode == 2 and "schema version 1" in refused.stderr and "codekg migrate" in refused.stderr

    planned = codekg("migrate", "--db", db, "--store", falkordb_graph_uri, "--dry-run", "--json")
    assert planned.returncode == 0, planned.stderr
    assert [(s["from_version"], s["to_version"]) for s in json.loads(planned.stdout)["steps"]] == [(v, v + 1) for v in range(1, SCHEMA_VERSION)]

    migrated = codekg("migrate", "--db", db, "--store", falkordb_graph_uri)
    assert migrated.returncode == 0, migrated.stderr
    result = codekg("query", "--db", db, "--store", falkordb_graph_uri, "--json",
                    "MATCH (f:File) RETURN f.file_path AS path, f.is_test AS is_test ORDER BY path")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{"path": "src/app.py", "is_test": False}, {"path": "tests/test_app.py", "is_test": True},
                                         {"path": "web/app.spec.ts", "is_test": True}]
    again = codekg("migrate", "--db", db, "--store", falkordb_graph_uri)
    assert again.returncode == 0 and "nothing to migrate" in again.stdout


def test_a_newer_server_index_is_refused(tmp_path: Path, falkordb_graph_uri: str) -> None:
    _write_index(falkordb_graph_uri, 99)
    for command in (["query", "MATCH (n) RETURN count(n)"], ["migrate"]):
        result = codekg(*command, "--db", str(tmp_path / "db"), "--store", falkordb_graph_uri)
        assert result.returncode == 2 and "newer codekg" in result.stderr and "Traceback" not in result.stderr
