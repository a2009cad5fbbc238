"""`<db>/search.sqlite` follows the graph: full builds, one-file deltas, deletes, and rebuilds of a
missing, mismatched, damaged or interrupted search index."""

from __future__ import annotations

import sqlite3

from search_rows import rowids, snapshot

from codekg.pipeline import index_repository
from codekg.search import search_result
from codekg.search.store import FORMAT, SECONDARY_ROWIDS, SearchStore
from codekg.search.sync import search_path
from codekg.settings import load_settings


def full_index(repo, db):
    return index_repository(repo, db, load_settings(repo), full=True)


def test_full_build_indexes_every_symbol_and_edge(index_fixture):
    indexed = index_fixture("pyrepo")
    assert indexed.summary.search["index"] == "updated"
    rows = snapshot(indexed.db)
    graph_symbols = indexed.rows("MATCH (n) WHERE label(n) IN ['Module','Class','Interface','Function','Method','Variable'] "
                                 "RETURN n.id ORDER BY n.id")
    assert [row[0] for row in rows["symbols"]] == [row[0] for row in graph_symbols]
    calls = indexed.rows("MATCH (a)-[:CALLS]->(b) RETURN a.id, b.id ORDER BY a.id, b.id")
    assert [(src, dst) for src, kind, dst in rows["edges"] if kind == "CALLS"] == calls
    [fts] = [row for row in rows["fts"] if row[0] == "Function:src/shop/service.py:shop.service.checkout"]
    assert fts[1:] == ("checkout", "shop.service.checkout", "def checkout(items)", "Place an order.", "src/shop/service.py")


def test_one_file_change_rewrites_only_that_files_rows_and_equals_a_rebuild(copy_fixture, tmp_path):
    repo = copy_fixture("searchrepo")
    db = tmp_path / "db"
    index_repository(repo, db, load_settings(repo))
    before, before_ids = snapshot(db), rowids(db)
    pricing = repo / "bookstore" / "pricing.py"
    pricing.write_text(pricing.read_text().replace("Lower the price", "Cut the price")
                       + "\n\ndef price_with_gift_wrap(price):\n    \"\"\"Add the wrapping fee.\"\"\"\n    return price + 2\n")
    summary = index_repository(repo, db, load_settings(repo))
    assert summary.delta["mode"] == "incremental" and summary.search["index"] == "updated"
    after, after_ids = snapshot(db), rowids(db)
    changed = {row[0] for row in set(after["symbols"]) ^ set(before["symbols"])}
    assert changed == {"Module:bookstore/pricing.py:bookstore.pricing",  # its end_line moved
                       "Function:bookstore/pricing.py:bookstore.pricing.apply_discount",
                       "Function:bookstore/pricing.py:bookstore.pricing.price_with_gift_wrap"}
    assert {i: r for i, r in after_ids.items() if "/pricing.py:" not in i} == \
           {i: r for i, r in before_ids.items() if "/pricing.py:" not in i}  # the other rows were not rewritten
    assert after == snapshot(_rebuilt(repo, tmp_path))

    (repo / "bookstore" / "reports.py").unlink()
    summary = index_repository(repo, db, load_settings(repo))
    assert summary.delta["mode"] == "incremental"
    after_delete = snapshot(db)
    assert not [row for row in after_delete["symbols"] if row[4] == "bookstore/reports.py"]
    assert not [edge for edge in after_delete["edges"] if "reports" in edge[0] + edge[2]]
    assert after_delete == snapshot(_rebuilt(repo, tmp_path))


def _rebuilt(repo, tmp_path):
    db = tmp_path / f"rebuilt-{len(list(tmp_path.glob('rebuilt-*')))}"
    full_index(repo, db)
    return db


def _stamp(db, generation):
    store = SearchStore(search_path(db))
    store.set_meta("generation", generation)
    store.close()


def test_a_mismatched_stamp_is_rebuilt_on_the_next_search_and_the_next_run(index_fixture):
    indexed = index_fixture("pyrepo")
    expected = snapshot(indexed.db)
    _stamp(indexed.db, "not-the-graph")
    result = search_result(indexed.db, indexed.settings, "checkout", mode="keyword")
    assert result.notes == ["the search index did not match the graph and was rebuilt from it"]
    assert result.hits[0].qualified_name == "shop.service.checkout"
    assert snapshot(indexed.db) == expected
    _stamp(indexed.db, "not-the-graph")
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert summary.delta["mode"] == "unchanged" and summary.search["index"] == "rebuilt"
    assert snapshot(indexed.db) == expected


def test_a_missing_or_damaged_search_file_is_rebuilt(index_fixture):
    indexed = index_fixture("pyrepo")
    expected = snapshot(indexed.db)
    search_path(indexed.db).unlink()
    assert search_result(indexed.db, indexed.settings, "checkout", mode="keyword").hits
    assert snapshot(indexed.db) == expected
    for suffix in ("", "-wal", "-shm"):
        search_path(indexed.db).with_name(f"search.sqlite{suffix}").unlink(missing_ok=True)
    search_path(indexed.db).write_bytes(b"this is not a database" * 100)
    summary = index_repository(indexed.repo, indexed.db, indexed.settings)
    assert summary.search["index"] == "rebuilt"
    assert snapshot(indexed.db) == expected


def test_a_failed_search_update_keeps_the_graph_and_heals_on_the_next_search(copy_fixture, tmp_path, monkeypatch):
    repo = copy_fixture("searchrepo")
    db = tmp_path / "db"
    index_repository(repo, db, load_settings(repo))
    (repo / "bookstore" / "money.py").write_text('def round_price(value):\n    """Round to cents."""\n    return round(value, 2)\n\n'
                                                 'def format_price(value):\n    """Show a price with its currency sign."""\n    return f"${value}"\n')

    def broken(self, label, rows, source=None):
        raise sqlite3.OperationalError("disk I/O error")

    with monkeypatch.context() as patch:
        patch.setattr(SearchStore, "put_symbols", broken)
        summary = index_repository(repo, db, load_settings(repo))
    assert summary.delta["mode"] == "incremental"
    assert summary.search["error"] == "disk I/O error"
    assert [h.qualified_name for h in search_result(db, load_settings(repo), "format_price", limit=1, mode="keyword").hits] \
        == ["bookstore.money.format_price"]
    assert snapshot(db) == snapshot(_rebuilt(repo, tmp_path))


def test_the_tests_and_docs_symbols_take_rowids_of_their_own_range_in_builds_and_deltas(copy_fixture, tmp_path):
    """A rowid says the symbol's shelf (`SECONDARY_ROWIDS`): each ranking reads the code's range first."""
    repo = copy_fixture("searchrepo")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_pricing.py").write_text("def test_discount():\n    pass\n")
    db = tmp_path / "db"
    index_repository(repo, db, load_settings(repo))
    shelves = {node_id: rowid >= SECONDARY_ROWIDS for node_id, rowid in rowids(db).items()}
    assert {node_id for node_id, secondary in shelves.items() if secondary} == {
        "Module:tests/test_pricing.py:tests.test_pricing", "Function:tests/test_pricing.py:tests.test_pricing.test_discount"}
    assert len(shelves) > 20
    (repo / "tests" / "test_pricing.py").write_text("def test_discount():\n    pass\n\n\ndef test_gift_wrap():\n    pass\n")
    (repo / "bookstore" / "gifts.py").write_text("def wrap(item):\n    return item\n")
    summary = index_repository(repo, db, load_settings(repo))
    assert summary.delta["mode"] == "incremental" and summary.search["index"] == "updated"
    after = rowids(db)
    secondary_rowids = sorted(rowid for rowid in after.values() if rowid >= SECONDARY_ROWIDS)
    assert after["Function:tests/test_pricing.py:tests.test_pricing.test_gift_wrap"] == SECONDARY_ROWIDS + 2
    assert after["Function:bookstore/gifts.py:bookstore.gifts.wrap"] < SECONDARY_ROWIDS
    assert secondary_rowids == [SECONDARY_ROWIDS, SECONDARY_ROWIDS + 1, SECONDARY_ROWIDS + 2]


def test_an_earlier_format_is_rebuilt_keeping_its_embedding_cache(index_fixture):
    indexed = index_fixture("pyrepo")
    expected = snapshot(indexed.db)
    connection = sqlite3.connect(search_path(indexed.db))
    connection.execute("UPDATE meta SET value = '2' WHERE key = 'format'")
    connection.execute("INSERT INTO vectors VALUES ('a-model', 'a-text-hash', x'0000803f')")
    connection.commit()
    connection.close()
    result = search_result(indexed.db, indexed.settings, "checkout", mode="keyword")
    assert result.notes == ["the search index did not match the graph and was rebuilt from it"]
    assert result.hits[0].qualified_name == "shop.service.checkout"
    assert snapshot(indexed.db) == expected
    store = SearchStore(search_path(indexed.db), read_only=True)
    try:
        assert store.meta("format") == FORMAT
        assert store.connection.execute("SELECT model, text_hash, vector FROM vectors").fetchall() == [
            ("a-model", "a-text-hash", b"\x00\x00\x80\x3f")]
    finally:
        store.close()
