"""The schema module is the single source: DDL runs, Arrow schemas match it, docs/schema.md is current."""

from pathlib import Path

from codekg.schema import NODE_LABELS, REL_TYPES, REASONS, node_arrow_schema, rel_arrow_schema, render_markdown
from codekg.settings import load_settings
from codekg.stores.ladybug import LadybugStore


def test_docs_schema_is_generated_from_the_module():
    committed = (Path(__file__).parents[1] / "docs" / "schema.md").read_text("utf-8")
    assert committed == render_markdown(), "run `make schema-doc` to regenerate docs/schema.md"


def test_ddl_creates_every_table(tmp_path):
    store = LadybugStore.create(tmp_path / "g.lbdb", load_settings(None))
    tables = {row[1] for row in store.query("CALL show_tables() RETURN *").rows}
    store.close()
    assert tables == {label.name for label in NODE_LABELS} | {rel.name for rel in REL_TYPES}


def test_arrow_schemas_follow_declarations():
    assert node_arrow_schema("Method").names == [p.name for p in next(l for l in NODE_LABELS if l.name == "Method").properties]
    assert rel_arrow_schema("CALLS").names == ["from", "to", "confidence", "reason", "line", "call_count"]


def test_every_reason_written_is_documented(index_fixture):
    indexed = index_fixture("pyrepo")
    written = {row[0] for row in indexed.rows("MATCH ()-[e]->() WHERE e.reason IS NOT NULL RETURN DISTINCT e.reason")}
    assert written == {"import", "import-external", "builtin", "constructor", "self-member", "super-member",
                       "same-file", "same-scope", "module-path", "relative-path", "unresolved-import",
                       "instance-type",  # `Order([3]).save()`
                       "flow-method",  # the closure's `order.save()`
                       "override",  # Order.save overrides Base.save
                       "mro"}  # Order INHERITS Base
    assert written <= set(REASONS)


def test_readme_schema_tables_are_generated_from_the_module():
    from codekg.schema import render_summary

    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    embedded = readme.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert embedded == render_summary(), "regenerate the README schema tables with `make schema-doc`"


ONTOLOGY_FIXTURE = Path(__file__).parent / "fixtures" / "ontology"


def test_every_label_and_type_has_an_example_query_that_finds_rows(tmp_path):
    """docs/schema.md's example queries, each run as `codekg query` runs it (the read-only guard, then
    the store) on a repository that holds every label and relationship type: each returns rows."""
    import json

    from code_schema_programs import JAVASCRIPT, PYTHON, TYPESCRIPT, write
    from codekg.pipeline import index_repository
    from codekg.query_guard import QueryLimits, check_query
    from codekg.schema import EXAMPLES
    from codekg.stores import open_index

    assert set(EXAMPLES) == {label.name for label in NODE_LABELS} | {rel.name for rel in REL_TYPES}
    repo = write(tmp_path / "repo", {**PYTHON, **JAVASCRIPT, **TYPESCRIPT,
        "package.json": json.dumps({"name": "shapes", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}),
        "warehouse/orders.sql": (
            "CREATE TABLE sales.orders (id INT, amount INT);\n"
            "CREATE VIEW sales.big AS SELECT id, amount FROM sales.orders WHERE amount > 10;\n"
            "INSERT INTO dw.sales.totals SELECT id, SUM(amount) AS amount FROM sales.orders GROUP BY id;\n"),
        "app/report.py": "def report(cursor):\n    cursor.execute(\"SELECT id FROM sales.orders\")\n",
        **{f"kb/{name}": (ONTOLOGY_FIXTURE / "kb" / name).read_text() for name in ("core.ttl", "employee.md")},
        "app/people.py": (ONTOLOGY_FIXTURE / "app" / "people.py").read_text()})
    settings = load_settings(repo, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    store = open_index(tmp_path / "db", settings)
    try:
        empty = []
        for name, cypher in EXAMPLES.items():
            checked = check_query(cypher, {}, QueryLimits(), allow_writes=False)
            if not store.query(checked.cypher, checked.parameters).rows:
                empty.append(name)
    finally:
        store.close()
    assert empty == []
