"""The sync's parse workers (sync/workers.py) with real forked worker processes and a real parse
cache: priorities, back-pressure, a hanging file, per-worker health, and a sync whose index finds
every record in the cache."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from git_servers import commit, make_repository

from codekg.languages import EXTRACTORS
from codekg.parse_cache import ParseCache
from codekg.passes.parse import extract_source, parse_cache_key
from codekg.passes.scan import SourceFile
from codekg.settings import load_settings
from codekg.sync.run import sync_repository
from codekg.sync.workers import BATCH_BYTES, QUEUE_PER_WORKER, ParseAhead

TURTLE = b"""@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://e.org/#Person> a owl:Class ; rdfs:subClassOf <http://e.org/#Agent> .
<http://e.org/#Agent> a owl:Class .
<http://e.org/#knows> a owl:ObjectProperty ; rdfs:domain <http://e.org/#Person> ; rdfs:range <http://e.org/#Person> .
<http://e.org/#Adult> a owl:Class ; owl:equivalentClass [ a owl:Restriction ; owl:onProperty <http://e.org/#knows> ;
    owl:someValuesFrom <http://e.org/#Person> ] .
"""


def write(root: Path, files: dict[str, bytes]) -> dict[str, tuple[bytes, int]]:
    written = {}
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
        written[path] = (data, (root / path).stat().st_mtime_ns)
    return written


def cached_record(cache: ParseCache, path: str, language: str, data: bytes):
    source_file = SourceFile(path, language, len(data))
    return cache.get(parse_cache_key(source_file, hashlib.sha256(data).hexdigest()), path, count=False)


@pytest.fixture
def gated_python(monkeypatch, tmp_path) -> Path:
    """The Python extractor, in the forked workers, holds a file that says WAIT_FOR_GATE until the
    returned path exists: files submitted meanwhile wait in the queue, whatever the machine's speed."""
    gate = tmp_path / "gate"
    original = EXTRACTORS["python"].extract

    def extract(path: str, source: bytes):
        while b"WAIT_FOR_GATE" in source and not gate.exists():
            time.sleep(0.01)
        return original(path, source)

    monkeypatch.setattr(EXTRACTORS["python"], "extract", extract)
    return gate


def test_files_are_parsed_by_priority_and_each_record_lands_in_the_cache(gated_python, tmp_path):
    root = tmp_path / "tree"
    big = b"# Big\n\n" + b"A line of prose in a large page.\n" * (BATCH_BYTES // 32 + 1)
    files = write(root, {"a.py": b"# WAIT_FOR_GATE\ndef a():\n    return 'http://e.org/#Person'\n",
                         "a2.py": b"# WAIT_FOR_GATE\ndef a2():\n    pass\n", "big.md": big,
                         "LICENSE": b"MIT\n", "b.md": b"# B\n\nSee ex:Person.\n", "c.ttl": TURTLE})
    settings = load_settings(root, workers=1)
    cache = ParseCache(tmp_path / "cache.sqlite", settings)
    settled: list[str] = []
    ahead = ParseAhead(root, settings, cache, on_done=settled.append)
    try:
        for path in ("a.py", "a2.py", "big.md", "LICENSE", "b.md", "c.ttl"):
            ahead.submit(path, *files[path])
        gated_python.touch()
        report = ahead.finish()
    finally:
        ahead.close()
    # a.py and a2.py (held at the gate) went to the one worker at once, its two places in flight;
    # the rest waited and were taken critical, normal, batch
    assert settled == ["LICENSE", "a.py", "a2.py", "c.ttl", "b.md", "big.md"]
    assert report.to_dict()["by_priority"] == {"critical": 1, "normal": 3, "batch": 1}
    assert (report.parsed, report.cached, report.failed, report.not_source) == (5, 0, {}, 1)
    assert dict(report.terms) == {"classes": 3, "properties": 1, "axioms": 1}
    (worker,) = report.workers
    assert (worker.number, worker.completed, worker.failed, worker.current, worker.replaced) == (1, 5, 0, "", False)
    assert worker.pid != os.getpid()
    languages = {"a.py": "python", "a2.py": "python", "big.md": "markdown", "b.md": "markdown", "c.ttl": "ontology"}
    for path, language in languages.items():
        assert cached_record(cache, path, language, files[path][0]) == extract_source(path, language, files[path][0])
    assert cached_record(cache, "LICENSE", "markdown", b"MIT\n") is None
    cache.close()

    again = ParseCache(tmp_path / "cache.sqlite", settings)  # a second pass finds them all
    ahead = ParseAhead(root, settings, again)
    try:
        for path in languages:
            ahead.submit(path, *files[path])
        report = ahead.finish()
    finally:
        ahead.close()
        again.close()
    assert (report.parsed, report.cached, report.workers) == (0, 5, [])


def test_the_writer_waits_while_the_queue_is_full(gated_python, tmp_path):
    root = tmp_path / "tree"
    files = write(root, {f"m{n:02}.py": f"# WAIT_FOR_GATE\ndef f{n}(x):\n    return [x * i for i in range({n})]\n".encode()
                         for n in range(40)})
    settings = load_settings(root, workers=1)
    cache = ParseCache(tmp_path / "cache.sqlite", settings)
    ahead = ParseAhead(root, settings, cache)
    threading.Timer(1.0, gated_python.touch).start()  # until then the queue fills and the writer must wait
    try:
        for path, (data, mtime) in files.items():
            ahead.submit(path, data, mtime)
            assert ahead.queued < QUEUE_PER_WORKER  # never more waiting once submit returns
        report = ahead.finish()
    finally:
        ahead.close()
        cache.close()
    assert report.peak_queued == QUEUE_PER_WORKER == ahead.capacity
    assert (report.parsed, report.workers[0].completed) == (40, 40)


def test_a_hanging_file_times_out_its_worker_is_replaced_and_the_rest_are_parsed(misbehaving_python, tmp_path):
    root = tmp_path / "tree"
    files = write(root, {"hang.py": b"# HANG_HERE\n", **{f"ok{n}.py": f"def ok{n}():\n    pass\n".encode() for n in range(6)}})
    settings = load_settings(root, workers=2, parse_timeout_seconds=1)
    cache = ParseCache(tmp_path / "cache.sqlite", settings)
    ahead = ParseAhead(root, settings, cache)
    try:
        for path, (data, mtime) in files.items():
            ahead.submit(path, data, mtime)
        report = ahead.finish()
    finally:
        ahead.close()
        cache.close()
    assert misbehaving_python.read_text().split() == ["hang.py"]
    assert report.failed == {"hang.py": "parse timed out (> 1 s)"}
    assert report.parsed == 6
    states = sorted((w.to_dict()["state"], w.completed, w.failed) for w in report.workers)
    assert states[-1][0] == "replaced" and states[-1][2] == 1  # the worker that hung, replaced by pebble
    assert sum(w.completed for w in report.workers) == 6 and sum(w.failed for w in report.workers) == 1


def counts_of(report) -> tuple[dict, dict]:
    return report.index["nodes"], report.index["edges"]


def test_a_sync_parses_while_it_writes_and_its_index_takes_every_record(tmp_path):
    source = make_repository(tmp_path / "src")
    settings = load_settings(tmp_path, workers=2)
    report = sync_repository(str(source), tmp_path / "db", settings)
    files = report.files_total
    assert (report.parse["parsed"] + report.parse["failed"] + report.parse["not_source"], report.parse["cached"]) == (files, 0)
    parse_cache = report.index["parse_cache"]
    assert (parse_cache["parsed_ahead"], parse_cache["hits"], parse_cache["misses"]) == (files - report.parse["not_source"], 0, 0)

    (source / "kb/core.ttl").write_text((source / "kb/core.ttl").read_text() + "\n# one more line\n")
    commit(source, "edit")
    again = sync_repository(str(source), tmp_path / "db", settings)  # one file written and parsed, handed over
    assert (again.files_written, again.parse["parsed"], again.index["parse_cache"]["parsed_ahead"]) == (1, 1, 1)

    uncached = sync_repository(str(source), tmp_path / "db-uncached", load_settings(tmp_path, workers=2, parse_cache=False))
    assert (uncached.index["parse_cache"]["enabled"], uncached.index["parse_cache"]["parsed_ahead"]) == (False, report.parse["parsed"])
    assert counts_of(uncached) == counts_of(again)


def test_sync_progress_lines_count_classes_properties_and_axioms(tmp_path):
    source = make_repository(tmp_path / "src", {"kb/more.ttl": TURTLE.decode()})
    env = {**os.environ, "CODEKG_PROGRESS_LINE_SECONDS": "0"}
    done = subprocess.run([sys.executable, "-m", "codekg", "sync", str(source), "--db", str(tmp_path / "db"), "--json",
                           "--progress", "json"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    sync_lines = [line for line in lines if line["phase"] == "sync"]
    report = json.loads(done.stdout)
    assert sync_lines[-1]["done"] == sync_lines[-1]["total"] == report["files"]["written"]
    assert sync_lines[-1]["found"] == report["parse"]["terms"]
    assert report["parse"]["terms"]["classes"] >= 3 and report["parse"]["terms"]["axioms"] >= 1
    assert [line["done"] for line in sync_lines] == sorted(line["done"] for line in sync_lines)
    assert list(sync_lines[-1]["found"]) == ["classes", "properties", "axioms"]
    assert all("found" in line for line in sync_lines[1:])  # from the first file on, the phase start aside

    quiet = subprocess.run([sys.executable, "-m", "codekg", "sync", str(source), "--db", str(tmp_path / "db2"), "--json",
                            "--progress", "json"], capture_output=True, text=True, timeout=300,
                           env={**os.environ, "CODEKG_PROGRESS_LINE_SECONDS": "3600"})
    lines = [json.loads(line) for line in quiet.stderr.splitlines() if line.startswith("{")]
    last_sync = [line for line in lines if line["phase"] == "sync"][-1]  # each phase's last state, whatever the interval
    assert last_sync["done"] == last_sync["total"] == report["files"]["written"]
    assert last_sync["found"] == report["parse"]["terms"]
