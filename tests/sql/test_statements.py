"""sql/statements.py and sql/script.py: statements read one by one, exact reads, writes and column pairs."""

from __future__ import annotations

from codekg.sql.script import lineage_of_script, script_lineage
from codekg.sql.statements import read_script


def test_a_bad_statement_is_reported_with_its_line_and_the_rest_is_read() -> None:
    script = "insert into a select x from s;\n\nselect from where;\ninsert into b select x as y from a;\n"
    statements = read_script(script, "")
    assert [s.operation for s in statements] == ["insert", "", "insert"]
    bad = statements[1]
    assert bad.line == 3 and bad.end_line == 3
    assert bad.error == "Expected table name but got 'where' (line 3, column 13): near 'where'"
    assert "\x1b" not in bad.error  # no terminal colours from the parser
    lineage = script_lineage(statements)
    assert (lineage.sources, lineage.targets) == (["<default>.s"], ["<default>.b"])
    assert lineage.columns == [("<default>.s.x", "<default>.b.y")]
    assert lineage.errors == [{"line": 3, "dialect": "ansi", "message": bad.error}]


def test_semicolons_inside_strings_and_comments_do_not_split() -> None:
    script = "insert into t select 'a;b' as k, x from s; -- one; two\n/* three; */ select y from u"
    statements = read_script(script, "")
    assert [(s.operation, s.reads, s.writes) for s in statements] == [
        ("insert", ("<default>.s",), ("<default>.t",)),
        ("select", ("<default>.u",), ()),
    ]
    assert ("", "<default>.t.k", "'a;b' AS k") in statements[0].columns  # a constant: written from nothing


def test_names_are_normalised_one_way_for_every_dialect() -> None:
    script = 'INSERT INTO Sales."Daily" SELECT Amount, "Region" FROM RAW.Orders'
    for dialect in ("", "snowflake", "postgres"):
        (statement,) = read_script(script, dialect)
        assert statement.reads == ("raw.orders",)
        assert statement.writes == ("sales.Daily",)
        assert [c[:2] for c in statement.columns] == [("raw.orders.amount", "sales.Daily.amount"),
                                                      ("raw.orders.Region", "sales.Daily.Region")]


def test_an_unaliased_expression_is_named_by_its_text() -> None:
    (statement,) = read_script("insert into t select CASE WHEN a > 1\n   THEN b END, (a+b)*2, -a from s", "")
    assert sorted({target for _, target, _ in statement.columns}) == [
        "<default>.t.(a+b)*2", "<default>.t.-a", "<default>.t.case when a > 1 then b end"]


def test_star_expands_with_declared_columns_and_passes_through_without() -> None:
    known = lineage_of_script("create table s (a int, b int); insert into t select * from s", "")
    assert known.columns == [("<default>.s.a", "<default>.t.a"), ("<default>.s.b", "<default>.t.b")]
    assert (known.sources, known.targets) == (["<default>.s"], ["<default>.t"])
    unknown = lineage_of_script("insert into t select * from s", "")
    assert unknown.columns == [("<default>.s.*", "<default>.t.*")]


def test_paths_skip_intermediate_columns_in_script_order() -> None:
    lineage = lineage_of_script(
        "insert into tmp select a as x, b from src;\n"
        "insert into tgt select x + 1 as y from tmp;\n"
        "update tgt set y = y * 2;", "")
    assert (lineage.sources, lineage.targets) == (["<default>.src"], ["<default>.tgt"])
    assert lineage.columns == [("<default>.src.a", "<default>.tgt.y"), ("<default>.src.b", "<default>.tmp.b")]


def test_an_unreadable_script_gives_errors_and_no_lineage() -> None:
    lineage = lineage_of_script("this is not sql; nor this", "")
    assert (lineage.sources, lineage.targets, lineage.columns) == ([], [], [])
    assert [e["line"] for e in lineage.errors] == [1, 1]
