"""sql/dialects.py: the names a user may give, the per-file comment, the per-folder override."""

from __future__ import annotations

import pytest

from codekg.sql.dialects import UnknownDialectError, file_dialect, sqlglot_dialect


@pytest.mark.parametrize(("name", "expected"), [
    ("ansi", ""), ("ANSI", ""), ("postgres", "postgres"), ("greenplum", "postgres"), ("mysql", "mysql"),
    ("tsql", "tsql"), ("mssql", "tsql"), ("snowflake", "snowflake"), ("bigquery", "bigquery"),
    ("sparksql", "spark"), ("hive", "hive"), ("redshift", "redshift"), ("duckdb", "duckdb"), ("trino", "trino"),
])
def test_dialect_names_and_aliases(name: str, expected: str) -> None:
    assert sqlglot_dialect(name) == expected


def test_an_unknown_dialect_is_an_error_that_lists_the_known_ones() -> None:
    with pytest.raises(UnknownDialectError) as raised:
        sqlglot_dialect("oraclee")
    assert "unknown SQL dialect 'oraclee'" in str(raised.value) and "sparksql" in str(raised.value)
    assert raised.value.exit_code == 2


def test_a_file_comment_beats_the_folder_and_the_default() -> None:
    folders = {"warehouse": "snowflake", "warehouse/legacy": "tsql"}
    assert file_dialect("warehouse/legacy/a.sql", b"select 1", "ansi", folders) == "tsql"  # the deepest folder
    assert file_dialect("warehouse/b.sql", b"select 1", "ansi", folders) == "snowflake"
    assert file_dialect("other/c.sql", b"select 1", "postgres", folders) == "postgres"
    assert file_dialect("warehouse/d.sql", b"-- dialect: bigquery\nselect 1", "ansi", folders) == "bigquery"
    with pytest.raises(UnknownDialectError):
        file_dialect("e.sql", b"-- dialect: nosuch\nselect 1", "ansi")
