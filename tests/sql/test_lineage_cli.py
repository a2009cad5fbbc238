"""`codekg lineage --sql` run as a real subprocess: files, standard input, several files, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def codekg(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=120, env={**os.environ, "COLUMNS": "80"})


SCRIPT = """-- daily revenue
CREATE TABLE staging.orders (id INT, amount DECIMAL, region TEXT);
INSERT INTO tmp_daily SELECT region, SUM(amount) AS total FROM staging.orders GROUP BY region;
INSERT INTO mart.revenue (region_name, revenue) SELECT region, total FROM tmp_daily;
"""


def test_one_script_prints_the_scored_json(tmp_path: Path) -> None:
    script = tmp_path / "daily.sql"
    script.write_text(SCRIPT)
    result = codekg("lineage", "--sql", str(script), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "sources": ["staging.orders"],
        "targets": ["mart.revenue"],
        "columns": [["staging.orders.amount", "mart.revenue.revenue"],
                    ["staging.orders.region", "mart.revenue.region_name"]],
    }


def test_standard_input_and_the_dialect_flag() -> None:
    result = codekg("lineage", "--sql", "-", "--dialect", "tsql", "--json",
                    stdin="SELECT [Id], name INTO #people FROM [HR].[Staff]")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"sources": ["HR.Staff"], "targets": ["<default>.#people"],
                                         "columns": [["HR.Staff.Id", "<default>.#people.Id"],
                                                     ["HR.Staff.name", "<default>.#people.name"]]}


def test_several_files_are_keyed_by_the_path_as_given(tmp_path: Path) -> None:
    (tmp_path / "a.sql").write_text("insert into t select x from s")
    (tmp_path / "b.sql").write_text("-- dialect: bigquery\ncreate table p.d.t2 as select y from `p.d.src`")
    result = codekg("lineage", "--sql", "a.sql", "b.sql", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "a.sql": {"sources": ["<default>.s"], "targets": ["<default>.t"], "columns": [["<default>.s.x", "<default>.t.x"]]},
        "b.sql": {"sources": ["p.d.src"], "targets": ["p.d.t2"], "columns": [["p.d.src.y", "p.d.t2.y"]]},
    }


def test_text_output_in_a_pipe(tmp_path: Path) -> None:
    script = tmp_path / "daily.sql"
    script.write_text(SCRIPT)
    result = codekg("lineage", "--sql", str(script))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "sources: staging.orders",
        "targets: mart.revenue",
        "  staging.orders.amount -> mart.revenue.revenue",
        "  staging.orders.region -> mart.revenue.region_name",
    ]


def test_a_bad_statement_is_reported_and_the_rest_printed(tmp_path: Path) -> None:
    script = tmp_path / "mixed.sql"
    script.write_text("insert into t select x from s;\nselect from [where;\n")
    result = codekg("lineage", "--sql", str(script), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["targets"] == ["<default>.t"]
    assert f"{script}:2: cannot read this statement as ansi SQL: " in result.stderr
    assert "Expected table name but got '[' (line 2, column 13)" in result.stderr  # brackets as written, not markup
    assert "Traceback" not in result.stderr


def test_bad_input_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    missing = codekg("lineage", "--sql", str(tmp_path / "nope.sql"))
    assert missing.returncode == 2 and "no such SQL file" in missing.stderr
    (tmp_path / "x.sql").write_text("select 1")
    unknown = codekg("lineage", "--sql", str(tmp_path / "x.sql"), "--dialect", "nosuch")
    assert unknown.returncode == 2 and "unknown SQL dialect 'nosuch'" in unknown.stderr
    garbage = codekg("lineage", "--sql", "-", stdin="this is not sql at all")
    assert garbage.returncode == 2 and "no statement codekg could read in the script" in garbage.stderr
    as_json = codekg("lineage", "--sql", "-", "--json", stdin="select from where")
    assert as_json.returncode == 2 and json.loads(as_json.stdout)["error"] == "input"  # one JSON document, the error
    (tmp_path / "bad.sql").write_text("this is not sql")
    mixed = codekg("lineage", "--sql", str(tmp_path / "x.sql"), str(tmp_path / "bad.sql"), "--json")
    assert mixed.returncode == 2 and set(json.loads(mixed.stdout)) == {str(tmp_path / "x.sql"), str(tmp_path / "bad.sql")}
    assert "error: 1 of 2 scripts had no statement codekg could read" in mixed.stderr
    no_index = codekg("lineage", "orders", cwd=tmp_path)
    assert no_index.returncode == 2 and "no codekg index in" in no_index.stderr
    no_name = codekg("lineage", cwd=tmp_path)
    assert no_name.returncode == 2 and "give one table or column" in no_name.stderr and "--sql" in no_name.stderr
    for result in (missing, unknown, garbage, no_index, no_name):
        assert "Traceback" not in result.stderr + result.stdout
