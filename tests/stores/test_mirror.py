"""Dual writes (`--also-write`): secondaries follow the primary, never fail a run, and catch up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.errors import StoreUnavailableError
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import IndexDirectory, open_store
from codekg.stores.dead_letter import DEAD_LETTER_FILE
from codekg.stores.snapshot import read_graph
from falkordb_server import FalkorDBServer
from graphs import canonical, embedded_graph, write_repo

FAST_RETRIES = [0.05, 0.05]


def codekg(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, **(env or {})})


def _graph(uri: str) -> object:
    store = open_store(uri, load_settings())
    try:
        return read_graph(store, include_metadata=False)
    finally:
        store.close()


def _generation(uri: str) -> str | None:
    store = open_store(uri, load_settings())
    try:
        return store.read_metadata().get("generation")
    finally:
        store.close()


def test_secondaries_hold_the_primary_graph_after_full_and_incremental_runs(tmp_path: Path, falkordb_graph_uri: str) -> None:
    repo = write_repo(tmp_path / "repo")
    embedded_secondary = f"ladybug:{tmp_path / 'copy'}"
    settings = load_settings(repo, also_write=[falkordb_graph_uri, embedded_secondary])
    first = index_repository(repo, tmp_path / "db", settings)
    assert [(s["store"], s["mode"], s["ok"]) for s in first.secondary] == [
        (falkordb_graph_uri, "full", True), (embedded_secondary, "full", True)]
    primary = canonical(embedded_graph(tmp_path / "db"))
    assert canonical(_graph(falkordb_graph_uri)) == primary == canonical(_graph(embedded_secondary))

    (repo / "pkg" / "mod2.py").write_text("from pkg.mod0 import f1\n\n\ndef k():\n    return f1()\n")
    second = index_repository(repo, tmp_path / "db", settings)
    assert second.delta["mode"] == "incremental"
    assert [(s["mode"], s["ok"]) for s in second.secondary] == [("delta", True), ("delta", True)]
    primary = canonical(embedded_graph(tmp_path / "db"))
    assert canonical(_graph(falkordb_graph_uri)) == primary == canonical(_graph(embedded_secondary))
    generations = {_generation(uri) for uri in (falkordb_graph_uri, embedded_secondary, f"ladybug:{tmp_path / 'db'}")}
    assert len(generations) == 1 and None not in generations  # every store names the same build


def test_a_secondary_that_is_down_never_fails_the_run_and_catches_up_later(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    with FalkorDBServer() as server:
        uri = server.uri("mirror")
        server.stop()
        settings = load_settings(repo, also_write=[uri], store_retry_delays=FAST_RETRIES)
        summary = index_repository(repo, tmp_path / "db", settings)
        assert summary.delta["mode"] == "full"  # the primary was written
        (result,) = summary.secondary
        assert (result["store"], result["mode"], result["ok"]) == (uri, "full", False)
        assert "kept failing after 2 retries" in result["error"] and "ConnectionError" in result["error"]
        (record,) = [json.loads(line) for line in (tmp_path / "db" / DEAD_LETTER_FILE).read_text().splitlines()]
        assert (record["store"], record["operation"], record["table"]) == (uri, "resync", "*")

        server.restart()
        unchanged = index_repository(repo, tmp_path / "db", settings)  # nothing changed, but the secondary is behind
        assert unchanged.delta["mode"] == "unchanged"
        assert [(s["mode"], s["ok"]) for s in unchanged.secondary] == [("resync", True)]
        assert canonical(_graph(uri)) == canonical(embedded_graph(tmp_path / "db"))
        again = index_repository(repo, tmp_path / "db", settings)
        assert [(s["mode"], s["ok"], s["rows"]) for s in again.secondary] == [("unchanged", True, 0)]


def test_a_primary_server_that_is_down_fails_the_run_and_keeps_the_previous_index(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    with FalkorDBServer() as server:
        uri = server.uri("primary")
        settings = load_settings(repo, store=uri, store_retry_delays=FAST_RETRIES)
        index_repository(repo, tmp_path / "db", settings)
        before = IndexDirectory(tmp_path / "db").current_graph()
        server.stop()
        with pytest.raises(StoreUnavailableError, match="kept failing"):
            index_repository(repo, tmp_path / "db", settings, full=True)
        assert IndexDirectory(tmp_path / "db").current_graph() == before
        assert sorted(p.name for p in (tmp_path / "db").glob("graph-*")) == [before.name, before.name + ".state"]
        server.restart()  # not persistent: the server lost the graph, and the next run notices
        summary = index_repository(repo, tmp_path / "db", settings)
        assert summary.delta["mode"] == "full"  # no file changed, but the server's generation is gone
        assert index_repository(repo, tmp_path / "db", settings).delta["mode"] == "unchanged"


def test_replay_failed_resyncs_a_secondary_and_keeps_what_still_fails(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    db = tmp_path / "db"
    with FalkorDBServer() as server:
        uri = server.uri("replay")
        server.stop()
        env = {"CODEKG_STORE_RETRY_DELAYS": json.dumps(FAST_RETRIES)}
        indexed = codekg("index", str(repo), "--db", str(db), "--also-write", uri, "--quiet", env=env)
        assert indexed.returncode == 0, indexed.stderr
        assert f"secondary store {uri} not written (full)" in indexed.stderr  # --quiet: what failed, on stderr
        assert "codekg store replay-failed" in indexed.stderr and indexed.stdout == ""

        still_down = codekg("store", "replay-failed", "--db", str(db), env=env)
        assert still_down.returncode == 1 and "1 still failing" in still_down.stdout
        assert "Traceback" not in still_down.stderr

        server.restart()
        replayed = codekg("store", "replay-failed", "--db", str(db), "--json", env=env)
        assert replayed.returncode == 0, replayed.stderr
        report = json.loads(replayed.stdout)
        assert report == {"stores": [{"store": uri, "records": 1, "replayed": 1, "still_failing": 0, "resynced": True, "error": ""}],
                          "still_failing": 0}
        assert not (db / DEAD_LETTER_FILE).exists()
        assert canonical(_graph(uri)) == canonical(embedded_graph(db))

        # A row the server refuses stays in the file, once, after a replay.
        poisoned = {"store": uri, "operation": "merge-nodes", "table": "Function", "reason": "test", "at": "",
                    "row": {"id": "Function:x.py:x.f", "name": "f", "decorators": ["@d", None]}}
        good = {**poisoned, "row": {"id": "Function:x.py:x.g", "name": "g", "decorators": ["@d"]}}
        (db / DEAD_LETTER_FILE).write_text(json.dumps(poisoned) + "\n" + json.dumps(good) + "\n")
        partly = codekg("store", "replay-failed", "--db", str(db), env=env)
        assert partly.returncode == 1 and "1 still failing" in partly.stdout
        (left,) = [json.loads(line) for line in (db / DEAD_LETTER_FILE).read_text().splitlines()]
        assert left["row"]["id"] == "Function:x.py:x.f" and "primitive types" in left["reason"]
        store = open_store(uri, load_settings())
        try:
            assert store.query("MATCH (n:Function {id: 'Function:x.py:x.g'}) RETURN n.name").rows == [["g"]]
        finally:
            store.close()


def test_nothing_to_replay(tmp_path: Path) -> None:
    result = codekg("store", "replay-failed", "--db", str(tmp_path))
    assert result.returncode == 0 and "nothing to replay" in result.stdout


def test_a_bad_also_write_uri_is_a_usage_error(tmp_path: Path) -> None:
    repo = write_repo(tmp_path / "repo")
    result = codekg("index", str(repo), "--db", str(tmp_path / "db"), "--also-write", "mysql://bob:hunter2@h/x")
    assert result.returncode == 2 and "unknown store scheme 'mysql'" in result.stderr
    assert "hunter2" not in result.stderr + result.stdout and "Traceback" not in result.stderr
    assert not (tmp_path / "db").exists()
