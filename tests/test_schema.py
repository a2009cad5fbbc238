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
                       "flow-method",  # `Order([3]).save()` and the closure's `order.save()`
                       "override"}  # Order.save overrides Base.save
    assert written <= set(REASONS)


def test_readme_schema_tables_are_generated_from_the_module():
    from codekg.schema import render_summary

    readme = (Path(__file__).parents[1] / "README.md").read_text("utf-8")
    embedded = readme.split("<!-- schema:start -->\n", 1)[1].split("<!-- schema:end -->", 1)[0]
    assert embedded == render_summary(), "regenerate the README schema tables with `make schema-doc`"
