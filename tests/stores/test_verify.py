"""verify: two stores holding one graph agree; a changed property, a missing node and an extra edge are
named by id, in Ladybug and in a real FalkorDB server."""

from __future__ import annotations

import io

import pytest

from codekg.stores import open_index, open_store, parse_store_uri
from codekg.stores.transfer import export_graph, import_graph, read_export
from codekg.stores.verify import DIFF_LIMIT, compare_rows, compare_stores

LOG = "Function:src/shop/util.py:shop.util.log"
HELPER = "Function:src/shop/service.py:shop.service.helper"
ALL = "Variable:src/shop/__init__.py:shop.__all__"
SHOP = "Module:src/shop/__init__.py:shop"
INIT = "File:src/shop/__init__.py"


def copy_of(indexed, tmp_path, target_uri: str) -> None:
    store = open_index(indexed.db, indexed.settings)
    try:
        export_graph(store, "jsonl", tmp_path / "export.jsonl", io.StringIO())
    finally:
        store.close()
    graph, _ = read_export(tmp_path / "export.jsonl")
    import_graph(graph, parse_store_uri(target_uri), indexed.settings, None)


def compare(indexed, target_uri: str):
    left, right = open_index(indexed.db, indexed.settings), open_store(target_uri, indexed.settings)
    try:
        return compare_stores(left, right, "index", "copy")
    finally:
        left.close()
        right.close()


@pytest.fixture(params=["ladybug", "falkordb"])
def target(request, tmp_path) -> str:
    if request.param == "ladybug":
        return f"ladybug:{tmp_path / 'copy'}"
    return request.getfixturevalue("falkordb_graph_uri")


def test_a_copy_agrees_table_by_table(index_fixture, tmp_path, target):
    indexed = index_fixture("pyrepo")
    copy_of(indexed, tmp_path, target)
    comparison = compare(indexed, target)
    assert comparison.agrees and comparison.disagreeing == []
    assert {t.name: t.left.count for t in comparison.labels if t.left.count} == indexed.summary.nodes
    assert {t.name: t.right.count for t in comparison.types if t.right.count} == indexed.summary.edges
    assert all(t.left.checksum == t.right.checksum and len(t.left.checksum) == 64 for t in comparison.labels + comparison.types)


def test_a_changed_property_a_missing_node_and_an_extra_edge_are_named(index_fixture, tmp_path, target):
    indexed = index_fixture("pyrepo")
    copy_of(indexed, tmp_path, target)
    store = open_store(target, indexed.settings, read_only=False)
    try:
        store.query(f"MATCH (f:Function {{id: '{LOG}'}}) SET f.docstring = 'changed', f.end_line = 99")
        store.query(f"MATCH (v:Variable {{id: '{ALL}'}}) DETACH DELETE v")
        store.query(f"MATCH (a:Function {{id: '{LOG}'}}) MATCH (b:Function {{id: '{HELPER}'}}) "
                    "CREATE (a)-[:CALLS {confidence: 0.5, reason: 'same-file', line: 3, call_count: 1}]->(b)")
    finally:
        store.close()
    comparison = compare(indexed, target)
    assert not comparison.agrees
    found = {t.name: (t.left.count, t.right.count, t.only_left.to_dict(), t.only_right.to_dict(), t.differing.to_dict())
             for t in comparison.disagreeing}
    none = {"count": 0, "first": []}
    assert found == {
        "Function": (4, 4, none, none, {"count": 1, "first": [{"id": LOG, "properties": ["docstring", "end_line"]}]}),
        "Variable": (3, 2, {"count": 1, "first": [ALL]}, none, none),
        "DEFINES": (23, 22, {"count": 1, "first": [f"{SHOP} -> {ALL}"]}, none, none),
        "BELONGS_TO": (25, 24, {"count": 1, "first": [f"{ALL} -> {INIT}"]}, none, none),
        "CALLS": (21, 22, none, {"count": 1, "first": [f"{LOG} -> {HELPER}"]}, none),
    }
    assert comparison.to_dict()["agree"] is False


def test_doubles_agree_to_fifteen_significant_digits():
    # FalkorDB hands back 0.1 + 0.2 as 0.3: a store round trip is not a difference.
    row = {"from": "a", "to": "b", "confidence": 0.1 + 0.2}
    assert compare_rows("CALLS", [("a -> b", row)], [("a -> b", {**row, "confidence": 0.3})]).agrees
    changed = compare_rows("CALLS", [("a -> b", row)], [("a -> b", {**row, "confidence": 0.31})])
    assert changed.differing.to_dict() == {"count": 1, "first": [{"id": "a -> b", "properties": ["confidence"]}]}


def test_checksums_do_not_depend_on_row_order_and_listings_are_capped():
    rows = [(f"External:x{i:02}", {"id": f"External:x{i:02}", "name": f"x{i:02}"}) for i in range(DIFF_LIMIT + 5)]
    assert compare_rows("External", rows, rows[::-1]).agrees
    missing = compare_rows("External", rows, rows[:2])
    assert (missing.left.count, missing.right.count, missing.only_left.count) == (25, 2, 23)
    assert missing.only_left.entries == [f"External:x{i:02}" for i in range(2, 2 + DIFF_LIMIT)]
