"""The parse cache on real files and a real SQLite database: reuse, limits, and bad cache files."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time

from codekg.languages.python import PythonExtractor
from codekg.parse_cache import CACHE_FILE_NAME, ParseCache, cache_key
from codekg.pipeline import index_repository
from codekg.records import FileParse, FlowFact, file_parse_from_json, file_parse_to_json
from codekg.settings import load_settings


def record(name: str):
    return PythonExtractor().extract(f"{name}.py", f"def {name}():\n    return 1\n".encode())


def test_records_round_trip_with_the_path_filled_in(tmp_path):
    cache = ParseCache(tmp_path / "c.sqlite", load_settings(None))
    original = PythonExtractor().extract("pkg/a.py", b"class A(B):\n    @staticmethod\n    def m(x):\n        f(x)\n")
    cache.put("k", original)
    again = cache.get("k", "other/place.py")
    assert again is not None and again.path == "other/place.py"
    again.path = "pkg/a.py"
    assert again == original
    assert cache.get("missing", "x.py") is None
    assert (cache.run_hits, cache.run_misses) == (1, 1)
    cache.close()
    reopened = ParseCache(tmp_path / "c.sqlite", load_settings(None))
    stats = reopened.stats()
    assert (stats.entries, stats.hits, stats.misses, stats.hit_rate) == (1, 1, 1, 0.5)
    reopened.close()


def test_flow_facts_round_trip_exactly_with_nested_tuples():
    source = b"""a, [b, *c] = f(x, *y, k={"k": [g]}, **z)
h = lambda q=(1, m.n[0]): q or b
"""
    original = PythonExtractor().extract("a.py", source)
    assert any(isinstance(fact.value, tuple) and isinstance(fact.value[1], tuple) for fact in original.flow)
    again = file_parse_from_json(file_parse_to_json(original))
    assert again == original
    assert [type(f.target) for f in again.flow] == [tuple] * len(again.flow)



def test_flow_rows_keep_every_field_and_kinds_outside_the_table():
    facts = [
        FlowFact("call", ("C", "m"), 3, ("name", "t"), ("attr", ("this",), "f"), (("keyword", "k", ("call", 0)),),
                 7, True, "x", True),
        FlowFact("future-kind", (), 1),  # a kind a newer extractor may emit: kept by name
        FlowFact("assign", ("C", "m"), 4, ("seq", (("name", "a"), ("item", ("alloc", 1), None)), -1), ("unknown",)),
        FlowFact("operator", (), 5, value=("name", "v"), index=0, name="__eq__"),
        FlowFact("parameter", ("f",), 6, ("name", "p"), index=0, name="positional"),  # index 0, not the default
    ]
    original = FileParse("a.py", "python", 9, flow=facts)
    assert file_parse_from_json(file_parse_to_json(original)) == original


def test_key_depends_on_content_extractor_version_and_extension():
    base = cache_key("abc", "typescript", "1", "a.ts")
    assert base == cache_key("abc", "typescript", "1", "elsewhere/b.ts")
    assert len({base, cache_key("abd", "typescript", "1", "a.ts"), cache_key("abc", "typescript", "2", "a.ts"),
                cache_key("abc", "typescript", "1", "a.tsx")}) == 4


def test_least_recently_used_entries_go_first(tmp_path):
    cache = ParseCache(tmp_path / "c.sqlite", load_settings(None, parse_cache_max_entries=3))
    for number, name in enumerate("abcde"):
        cache.put(name, record(name))
        cache._connection.execute("UPDATE entries SET last_used = ? WHERE key = ?", (1000.0 + number, name))
    cache._connection.execute("UPDATE entries SET last_used = 2000.0 WHERE key = 'a'")  # 'a' used most recently
    assert cache.evict(now=2001.0) == 2
    assert cache.keys() == {"a", "d", "e"}
    cache.close()


def test_size_limit_and_ttl(tmp_path):
    one_entry = len(file_parse_to_json(record("y")))
    cache = ParseCache(tmp_path / "c.sqlite", load_settings(None, parse_cache_max_bytes=one_entry, parse_cache_ttl_days=1))
    cache.put("old", record("old"))
    cache._connection.execute("UPDATE entries SET last_used = ? WHERE key = 'old'", (time.time() - 3 * 86_400,))
    cache.put("x", record("x"))
    cache.put("y", record("y"))
    cache._connection.execute("UPDATE entries SET last_used = last_used + 1 WHERE key = 'y'")
    assert cache.evict() == 2  # 'old' expired, 'x' least recently used beyond the byte limit
    assert cache.keys() == {"y"}
    cache.close()


def test_second_run_reuses_every_record_and_gives_the_same_graph(index_fixture):
    indexed = index_fixture("pyrepo")
    assert indexed.summary.parse_cache == {"enabled": True, "hits": 0, "misses": 5, "integrity_failures": 0, "rebuilt": "", "parsed_ahead": 0}
    before = indexed.rows("MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id, e.confidence ORDER BY label(e), a.id, b.id")
    again = index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert again.parse_cache == {"enabled": True, "hits": 5, "misses": 0, "integrity_failures": 0, "rebuilt": "", "parsed_ahead": 0}
    after = indexed.rows("MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id, e.confidence ORDER BY label(e), a.id, b.id")
    assert before == after


def test_cache_can_be_switched_off_or_moved(copy_fixture, tmp_path, monkeypatch):
    repo = copy_fixture("pyrepo")
    monkeypatch.setenv("CODEKG_PARSE_CACHE", "0")
    summary = index_repository(repo, tmp_path / "db1", load_settings(repo))
    assert summary.parse_cache["enabled"] is False and not (tmp_path / "db1" / CACHE_FILE_NAME).exists()
    monkeypatch.setenv("CODEKG_PARSE_CACHE", "1")
    monkeypatch.setenv("CODEKG_PARSE_CACHE_PATH", str(tmp_path / "shared" / "cache.sqlite"))
    index_repository(repo, tmp_path / "db2", load_settings(repo))
    assert (tmp_path / "shared" / "cache.sqlite").is_file() and not (tmp_path / "db2" / CACHE_FILE_NAME).exists()


def test_corrupt_or_foreign_cache_files_are_rebuilt(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    db = tmp_path / "db"
    db.mkdir()
    (db / CACHE_FILE_NAME).write_bytes(b"this is not sqlite at all" * 100)
    summary = index_repository(repo, db, load_settings(repo))
    assert summary.parse_cache["rebuilt"].startswith("unreadable") and summary.nodes["File"] == 5
    (db / CACHE_FILE_NAME).unlink()
    foreign = sqlite3.connect(db / CACHE_FILE_NAME)
    foreign.execute("CREATE TABLE users(name TEXT)")
    foreign.commit()
    foreign.close()
    summary = index_repository(repo, db, load_settings(repo), full=True)
    assert summary.parse_cache["rebuilt"] == "unreadable (not a codekg parse cache)"
    assert summary.parse_cache["misses"] == 5


def test_a_tampered_entry_is_caught_by_the_integrity_check(index_fixture):
    indexed = index_fixture("pyrepo")
    connection = sqlite3.connect(indexed.db / CACHE_FILE_NAME)
    for key, value in connection.execute("SELECT key, value FROM entries").fetchall():
        tampered = json.loads(value)
        tampered[1] = []  # the definitions (the record is positional: head, definitions, imports, …)
        connection.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(tampered).encode(), key))
    connection.commit()
    connection.close()
    summary = index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    assert summary.parse_cache["integrity_failures"] >= 1
    assert summary.nodes == indexed.summary.nodes and summary.edges == indexed.summary.edges


def test_cache_commands(index_fixture):
    indexed = index_fixture("pyrepo")

    def cache(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "codekg", "cache", *args, "--repo", str(indexed.repo),
                               "--db", str(indexed.db), "--json"], capture_output=True, text=True, timeout=120)

    stats = json.loads(cache("stats").stdout)
    assert (stats["entries"], stats["hits"], stats["misses"]) == (5, 0, 5)
    verified = cache("verify")
    assert verified.returncode == 0 and json.loads(verified.stdout)["checked"] == 5
    (indexed.repo / "src/shop/util.py").write_text("def log(message):\n    return message\n")
    assert json.loads(cache("verify").stdout)["checked"] == 4  # the edited file has no entry for its new content
    cleared = json.loads(cache("clear").stdout)
    assert cleared["entries"] == 0 and cleared["hits"] == 0


def test_cache_hits_and_misses_are_prometheus_counters(index_fixture):
    from codekg.metrics import snapshot

    indexed = index_fixture("pyrepo")
    before = snapshot()
    summary = index_repository(indexed.repo, indexed.db, indexed.settings, full=True)
    after = summary.metrics
    assert after["parse_cache_hit_total"] - before["parse_cache_hit_total"] == 5
    assert after["parse_cache_miss_total"] - before["parse_cache_miss_total"] == 0
    assert after["active_workers"] == 0 and after["files_processed_per_second"] > 0


def test_a_cache_found_corrupt_is_not_trusted_for_its_unsampled_hits(tmp_path):
    """More hits than the integrity sample: once a sample disagrees, every hit is parsed again."""
    from codekg.parse_cache import INTEGRITY_SAMPLE

    repo = tmp_path / "repo"
    repo.mkdir()
    count = INTEGRITY_SAMPLE * 3
    for number in range(count):
        (repo / f"m{number}.py").write_text(f"def f{number}():\n    return g{number}()\n\n\ndef g{number}():\n    return 1\n")
    db = tmp_path / "db"
    settings = load_settings(repo)
    clean = index_repository(repo, db, settings)
    connection = sqlite3.connect(db / CACHE_FILE_NAME)
    for key, value in connection.execute("SELECT key, value FROM entries").fetchall():
        tampered = json.loads(value)
        tampered[1] = []
        connection.execute("UPDATE entries SET value = ? WHERE key = ?", (json.dumps(tampered).encode(), key))
    connection.commit()
    connection.close()
    again = index_repository(repo, db, settings, full=True)
    assert again.parse_cache["integrity_failures"] >= 1
    assert again.nodes == clean.nodes and again.nodes["Function"] == 2 * count
    assert again.edges == clean.edges and again.edges["CALLS"] == count


def test_a_sample_whose_re_parse_failed_keeps_its_cached_record(tmp_path):
    from codekg.passes.parse import ParseResult, _checked
    from codekg.passes.scan import SkippedFile, SourceFile

    cache = ParseCache(tmp_path / "c.sqlite", load_settings(None))
    cached = record("a")
    cache.put("k", cached)
    result = ParseResult()
    kept = _checked(SourceFile("a.py", "python", 0), ("k", cached), SkippedFile("a.py", "parse timed out"), cache, result)
    assert kept == cached and result.cache_integrity_failures == 0 and cache.get("k", "a.py") == cached
