"""SQL lineage in the index, through the CLI as a user runs it: from a Python function through two
SQL scripts to a mart column, `impact` on a column, a bad statement, and incremental runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.settings import load_settings
from codekg.stores import open_index
from tests.sql.lineage_repo import write_lineage_repo


def codekg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "COLUMNS": "200"})


@pytest.fixture(scope="module")
def indexed_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index for the tests that only read it."""
    return _indexed(tmp_path_factory.mktemp("lineage"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """An index of its own, for a test that changes the repository."""
    return _indexed(tmp_path)


def _indexed(parent: Path) -> Path:
    repo = write_lineage_repo(parent / "shop")
    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["files_by_language"] == {"python": 3, "sql": 2}
    assert summary["warnings"] == [{"path": "etl/02_mart.sql", "pass": "parse", "kind": "sql-unreadable", "message":
                                    "line 5: cannot read this statement as postgres SQL: Expected table name but got "
                                    "'WHERE' (line 5, column 13): near 'WHERE'"}]
    return repo


def rows(repo: Path, cypher: str) -> list[list]:
    store = open_index(repo / ".codekg", load_settings(repo))
    try:
        return store.query(cypher).rows
    finally:
        store.close()


def test_the_graph_holds_the_sql_objects_and_edges(indexed_once: Path) -> None:
    repo = indexed_once
    assert rows(repo, "MATCH (t) WHERE label(t) IN ['Table', 'View'] RETURN label(t), t.qualified_name ORDER BY t.qualified_name") == [
        ["Table", "landing.orders_csv"], ["View", "mart.revenue"], ["Table", "mart.top_regions"],
        ["Table", "raw.orders"], ["Table", "staging.orders"]]
    assert rows(repo, "MATCH (s:`Schema`)-[:CONTAINS]->(t) RETURN s.qualified_name, count(t) ORDER BY s.qualified_name") == [
        ["landing", 1], ["mart", 2], ["raw", 1], ["staging", 1]]
    assert rows(repo, "MATCH (f)-[r:RUNS_SQL]->(s:SqlStatement) RETURN f.qualified_name, r.call, s.operation, s.start_line "
                      "ORDER BY f.qualified_name") == [
        ["app.loader.load_raw", "conn.execute", "insert", 3], ["app.report.top_regions", "conn.execute", "select", 2]]
    assert rows(repo, "MATCH (s:SqlStatement)-[w:WRITES_TO]->(t) RETURN s.file_path, s.start_line, w.operation, t.qualified_name "
                      "ORDER BY s.file_path, s.start_line") == [
        ["app/loader.py", 3, "insert", "raw.orders"], ["etl/01_stage.sql", 2, "declare_table", "staging.orders"],
        ["etl/01_stage.sql", 3, "insert", "staging.orders"], ["etl/02_mart.sql", 2, "create_view", "mart.revenue"],
        ["etl/02_mart.sql", 4, "insert", "mart.top_regions"]]
    assert rows(repo, "MATCH (s:SqlStatement) WHERE s.error <> '' RETURN s.file_path, s.start_line, s.dialect") == [
        ["etl/02_mart.sql", 5, "postgres"]]
    assert rows(repo, "MATCH (t:`Column`)-[d:DERIVES_FROM]->(s:`Column`) RETURN s.qualified_name, t.qualified_name, d.reason "
                      "ORDER BY t.qualified_name, s.qualified_name") == [
        ["staging.orders.region", "mart.revenue.region", "sql-column"],
        ["staging.orders.amount", "mart.revenue.revenue", "sql-column"],
        ["mart.revenue.region", "mart.top_regions.region", "sql-column"],
        ["mart.revenue.revenue", "mart.top_regions.revenue", "sql-column"],
        ["landing.orders_csv.total", "raw.orders.amount", "sql-column"],
        ["landing.orders_csv.cust", "raw.orders.customer_id", "sql-column"],
        ["landing.orders_csv.id", "raw.orders.id", "sql-column"],
        ["landing.orders_csv.area", "raw.orders.region", "sql-column"],
        ["raw.orders.amount", "staging.orders.amount", "sql-column"],
        ["raw.orders.customer_id", "staging.orders.customer_id", "sql-column"],
        ["raw.orders.id", "staging.orders.id", "sql-column"],
        ["raw.orders.region", "staging.orders.region", "sql-column"]]


def test_lineage_walks_from_the_python_function_through_both_scripts(indexed_once: Path) -> None:
    repo = indexed_once
    result = codekg("lineage", "mart.top_regions.revenue", "--upstream", "--depth", "5", "--repo", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    hops = [(h["depth"], h["via"], h["name"], h["statement"]["file"], h["statement"]["line"], h["statement"]["run_by"])
            for h in json.loads(result.stdout)["upstream"]]
    assert hops == [
        (1, "mart.top_regions.revenue", "mart.revenue.revenue", "etl/02_mart.sql", 4, []),
        (2, "mart.revenue.revenue", "staging.orders.amount", "etl/02_mart.sql", 2, []),
        (3, "staging.orders.amount", "raw.orders.amount", "etl/01_stage.sql", 3, []),
        (4, "raw.orders.amount", "landing.orders_csv.total", "app/loader.py", 3, ["app.loader.load_raw"]),
    ]
    text = codekg("lineage", "raw.orders", "--repo", str(repo))
    assert text.returncode == 0, text.stderr
    assert "landing.orders_csv" in text.stdout and "app/loader.py:3 insert" in text.stdout and "staging.orders" in text.stdout


def test_impact_on_a_column_lists_columns_statements_and_code(indexed_once: Path) -> None:
    repo = indexed_once
    result = codekg("impact", "raw.orders.amount", "--repo", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    impact = json.loads(result.stdout)
    assert [hop["name"] for hop in impact["downstream"]] == [
        "staging.orders.amount", "mart.revenue.revenue", "mart.top_regions.revenue"]
    assert [(s["file"], s["line"]) for s in impact["statements"]] == [
        ("app/report.py", 2), ("etl/01_stage.sql", 3), ("etl/02_mart.sql", 2), ("etl/02_mart.sql", 4)]
    assert impact["code"] == ["app.report.top_regions"]


def test_an_unknown_name_is_a_clear_error(indexed_once: Path) -> None:
    repo = indexed_once
    result = codekg("lineage", "stagin.orders", "--repo", str(repo))
    assert result.returncode == 2
    assert "no table, view or column named 'stagin.orders' in the index; did you mean staging.orders" in result.stderr
    assert "Traceback" not in result.stderr


def test_incremental_runs_follow_the_sql_files(repo: Path) -> None:
    mart = repo / "etl" / "02_mart.sql"
    mart.write_text(mart.read_text().replace("CREATE VIEW mart.revenue AS", "CREATE TABLE mart.revenue AS"))
    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["delta"]["mode"] == "incremental"
    assert rows(repo, "MATCH (t) WHERE t.qualified_name = 'mart.revenue' AND label(t) IN ['Table', 'View'] RETURN label(t)") == [["Table"]]
    (repo / "etl" / "01_stage.sql").unlink()
    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    assert rows(repo, "MATCH (:`Column`)-[d:DERIVES_FROM]->(s:`Column`) WHERE s.qualified_name STARTS WITH 'raw.' RETURN count(d)") == [[0]]
    incremental = rows(repo, "MATCH (a)-[e]->(b) RETURN a.id, label(e), b.id ORDER BY a.id, label(e), b.id")
    full = codekg("index", str(repo), "--full", "--quiet")
    assert full.returncode == 0, full.stderr
    assert rows(repo, "MATCH (a)-[e]->(b) RETURN a.id, label(e), b.id ORDER BY a.id, label(e), b.id") == incremental


def test_an_unreadable_sql_string_in_code_is_reported(tmp_path: Path) -> None:
    repo = tmp_path / "app"
    repo.mkdir()
    (repo / "jobs.py").write_text('def purge(cur):\n    cur.execute(f"DELETE FROM {table} WHERE WHERE")\n')
    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    [warning] = json.loads(result.stdout)["warnings"]
    assert (warning["path"], warning["kind"]) == ("jobs.py", "sql-unreadable")
    assert warning["message"].startswith("line 2: cannot read this SQL string run by cur.execute as ansi SQL: ")
    assert warning["message"].endswith("(an interpolated string: its holes were read as codekg_placeholder)")
