"""`codekg export`, `import` and `verify` run as real subprocesses: round trips, a diff, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codekg.settings import load_settings
from codekg.stores import open_store
from test_cli import assert_clean_failure, codekg, indexed_repo  # noqa: F401 - indexed_repo is a fixture

LOG = "Function:src/shop/util.py:shop.util.log"


@pytest.mark.parametrize("output_format", ["json", "jsonl", "parquet"])
def test_export_import_verify_round_trip(indexed_repo, tmp_path, output_format):
    out = tmp_path / f"export.{output_format}"
    exported = codekg("export", str(indexed_repo), "--format", output_format, "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == f"exported 61 nodes and 98 edges of ladybug:{indexed_repo / '.codekg'} to {out} ({output_format})\n"
    copy = f"ladybug:{tmp_path / 'copy'}"
    imported = codekg("import", str(out), "--store", copy, "--json")
    assert imported.returncode == 0, imported.stderr
    report = json.loads(imported.stdout)
    assert (report["format"], report["store"], report["nodes"]["Function"], report["edges"]["CALLS"]) == (output_format, copy, 4, 21)
    verified = codekg("verify", str(indexed_repo), "--against", copy)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.endswith("the stores agree\n")
    as_json = json.loads(codekg("verify", "--repo", str(indexed_repo), "--against", copy, "--json").stdout)
    assert as_json["agree"] is True and len(as_json["nodes"]) == 25 and len(as_json["edges"]) == 24


def test_an_export_into_a_pipe_or_through_a_link_writes_there_and_replaces_neither(indexed_repo, tmp_path):
    """A pipe (or a device: `--out /dev/stdout`) is written into, never replaced by a file; a link
    names the file written, and stays a link."""
    import os
    import stat
    import threading

    out = tmp_path / "out"
    out.mkdir()
    fifo = out / "graph.fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    exported = codekg("export", str(indexed_repo), "--format", "jsonl", "--out", str(fifo))
    reader.join(timeout=60)
    assert exported.returncode == 0, exported.stderr
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    lines = received[0].splitlines()
    assert json.loads(lines[0])["label"] == "IndexMeta" and json.loads(lines[-1]) == {"end": {"nodes": 61, "edges": 98}}

    real = out / "real.jsonl"
    real.write_text("old\n")
    link = out / "link.jsonl"
    link.symlink_to(real)
    assert codekg("export", str(indexed_repo), "--format", "jsonl", "--out", str(link)).returncode == 0
    assert link.is_symlink() and real.read_text() == received[0]
    assert sorted(path.name for path in out.iterdir()) == ["graph.fifo", "link.jsonl", "real.jsonl"]

    folder = codekg("export", str(indexed_repo), "--format", "json", "--out", str(out))
    assert_clean_failure(folder, 2, f"{out} is a directory; give a file for the json export")
    nowhere = codekg("export", str(indexed_repo), "--format", "jsonl", "--out", str(out / "missing" / "graph.jsonl"))
    assert_clean_failure(nowhere, 2, f"{out / 'missing'} is not a directory: the jsonl export cannot be written there")


def test_export_to_stdout_and_import_into_the_default_index(indexed_repo, tmp_path):
    exported = codekg("export", "--repo", str(indexed_repo), "--format", "jsonl")
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert json.loads(lines[0])["label"] == "IndexMeta" and json.loads(lines[-1]) == {"end": {"nodes": 61, "edges": 98}}
    (tmp_path / "export.jsonl").write_text(exported.stdout)
    other = tmp_path / "other"
    other.mkdir()
    imported = codekg("import", str(tmp_path / "export.jsonl"), "--repo", str(other))  # into <repo>/.codekg
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == f"imported 61 nodes and 98 edges from {tmp_path / 'export.jsonl'} (jsonl) into ladybug:{other / '.codekg'}\n"
    stats = json.loads(codekg("stats", "--json", "--repo", str(other)).stdout)
    assert stats["nodes"]["Function"] == 4 and stats["repo"] == str(indexed_repo)
    assert codekg("verify", str(other), "--against", f"ladybug:{indexed_repo / '.codekg'}").returncode == 0


def test_verify_prints_the_diff_and_exits_1(indexed_repo, tmp_path):
    out, copy = tmp_path / "export.json", tmp_path / "copy"
    assert codekg("export", str(indexed_repo), "--out", str(out)).returncode == 0
    assert codekg("import", str(out), "--store", f"ladybug:{copy}").returncode == 0
    store = open_store(f"ladybug:{copy}", load_settings(None), read_only=False)
    try:
        store.query(f"MATCH (f:Function {{id: '{LOG}'}}) SET f.docstring = 'changed'")
    finally:
        store.close()
    result = codekg("verify", str(indexed_repo), "--against", f"ladybug:{copy}")
    assert_clean_failure(result, 1, f"ladybug:{indexed_repo / '.codekg'} and ladybug:{copy} disagree on Function")
    assert "Function: 0 only in left, 0 only in right, 1 differing\n" f"  differs: {LOG} (docstring)\n" in result.stdout
    as_json = codekg("verify", str(indexed_repo), "--against", f"ladybug:{copy}", "--json")
    assert as_json.returncode == 1
    [function] = [t for t in json.loads(as_json.stdout)["nodes"] if not t["agree"]]
    assert function["differing"] == {"count": 1, "first": [{"id": LOG, "properties": ["docstring"]}]}


def test_a_refused_import_leaves_the_index_intact(indexed_repo, tmp_path):
    db = indexed_repo / ".codekg"
    out = tmp_path / "export.json"
    assert codekg("export", str(indexed_repo), "--out", str(out)).returncode == 0
    before = (db / "CURRENT").read_text(), sorted(p.name for p in db.iterdir())
    bad = tmp_path / "bad.json"
    bad.write_text(out.read_text().replace('"label": "Class"', '"label": "Klass"', 1))
    result = codekg("import", str(bad), "--repo", str(indexed_repo))
    assert_clean_failure(result, 2, "bad.json: nodes[26]: unknown node label 'Klass'")
    assert ((db / "CURRENT").read_text(), sorted(p.name for p in db.iterdir())) == before
    assert codekg("verify", str(indexed_repo), "--against", f"ladybug:{db}").returncode == 0


BAD_INPUT = [
    (["import", "{tmp}/missing.json", "--store", "ladybug:{tmp}/db"], 2, "missing.json does not exist"),
    (["import", "{tmp}/corrupt.json", "--store", "ladybug:{tmp}/db"], 2, "corrupt.json is not valid JSON (corrupt or cut short?)"),
    (["import", "{tmp}/corrupt.json", "--store", "mysql://x"], 2, "unknown store scheme 'mysql'"),
    (["export", "{repo}", "--format", "parquet"], 2, "the parquet format writes a directory: give it with --out DIR"),
    (["export", "{repo}", "--format", "xml"], 2, "unknown export format 'xml': use json, jsonl, parquet"),
    (["export", "{tmp}"], 2, "no codekg index"),
    (["verify", "{repo}", "--against", "ladybug:{tmp}/nothing"], 2, "no codekg index"),
    (["verify", "{repo}", "--against", "nonsense"], 2, "not a store URI"),
]


def test_bad_input_is_a_clean_failure(indexed_repo, tmp_path):
    (tmp_path / "corrupt.json").write_text('{"nodes": [\n{"label": "IndexMeta", "prop')
    for args, code, message in BAD_INPUT:
        result = codekg(*(a.format(tmp=tmp_path, repo=indexed_repo) for a in args))
        assert_clean_failure(result, code, message)
    assert not (tmp_path / "db").exists()
