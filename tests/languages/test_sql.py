"""languages/sql.py: `.sql` files and dbt models read into SqlStatement records (exact records)."""

from __future__ import annotations

import pytest

from codekg.languages.base import EXTRACTION
from codekg.languages.sql import SqlExtractor, dbt_model_script
from codekg.records import SqlStatement
from codekg.sql.dialects import UnknownDialectError


@pytest.fixture(autouse=True)
def ansi():
    EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = "ansi", {}
    yield
    EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = "ansi", {}


def extract(path: str, text: str):
    return SqlExtractor().extract(path, text.encode())


def test_a_script_with_a_bad_statement() -> None:
    parsed = extract("etl/load.sql", "-- nightly load\n-- of orders\nINSERT INTO t SELECT a FROM s;\nSELECT FROM;\n")
    assert (parsed.language, parsed.line_count, parsed.docstring, parsed.parse_errors) == ("sql", 4, "nightly load\nof orders", 1)
    first, bad = parsed.sql
    assert first == SqlStatement(3, 3, "insert", ("<default>.s",), ("<default>.t",),
                                 (("<default>.s.a", "<default>.t.a", "a"),), (), "", "INSERT INTO t SELECT a FROM s")
    assert (bad.line, bad.operation, bad.error) == (
        4, "", "Expected table name but got the end of the statement (line 4, column 8): near 'FROM'")
    assert parsed.warnings == []  # the run reports it (pipeline.py, sql-unreadable), as for SQL strings in code


def test_the_dialect_comes_from_the_comment_then_the_folder_then_the_setting() -> None:
    EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = "postgres", {"legacy": "tsql"}
    assert extract("legacy/a.sql", "SELECT [Id] FROM [dbo].[T]").sql[0].dialect == "tsql"
    assert extract("b.sql", "SELECT 1").sql[0].dialect == "postgres"
    assert extract("legacy/c.sql", "-- dialect: bigquery\nSELECT x FROM `p.d.t`").sql[0].reads == ("p.d.t",)
    with pytest.raises(UnknownDialectError):
        extract("d.sql", "-- dialect: nosuch\nSELECT 1")


def test_a_dbt_model_becomes_the_view_dbt_creates() -> None:
    model = ("{{ config(tags=['daily']) }}\n"
             "with o as (select * from {{ ref('stg_orders') }}),\n"
             "     c as (select id, name from {{ source('crm', 'customers') }})\n"
             "select c.name, sum(o.amount) as total from o join c on c.id = o.customer_id group by c.name\n")
    (statement,) = extract("models/marts/customer_totals.sql", model).sql
    assert (statement.line, statement.operation) == (2, "create_view")
    assert statement.reads == ("<default>.stg_orders", "crm.customers")
    assert statement.writes == ("<default>.customer_totals",)
    assert [c[:2] for c in statement.columns] == [("crm.customers.name", "<default>.customer_totals.name"),
                                                  ("<default>.stg_orders.amount", "<default>.customer_totals.total")]


def test_a_dbt_table_model_and_jinja_blocks() -> None:
    model = ('{{ config(materialized="table") }}\n{# a comment #}\n{% set x = 1 %}\n'
             'select id, {{ var("currency") }} as currency from {{ ref("pkg", "payments") }}\n')
    (statement,) = extract("models/fct_payments.sql", model).sql
    assert (statement.line, statement.operation, statement.writes) == (4, "create_table", ("<default>.fct_payments",))
    assert statement.reads == ("<default>.payments",)


def test_plain_sql_is_left_as_written() -> None:
    text = "insert into t select 1;\n"
    assert dbt_model_script("models/x.sql", text) == text
