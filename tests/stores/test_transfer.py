"""Export and import: the exact records of a tiny repository's export, round trips through each format
into Ladybug and a real FalkorDB server, and every kind of bad input refused before anything is written."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from codekg.schema import SCHEMA_VERSION
from codekg.errors import InputError, SchemaVersionError
from codekg.pipeline import index_repository
from codekg.schema import node_arrow_schema, rel_arrow_schema
from codekg.settings import load_settings
from codekg.stores import IndexDirectory, open_index, open_store, parse_store_uri
from codekg.stores.snapshot import read_graph
from codekg.stores.transfer import export_graph, import_graph, read_export
from codekg.stores.verify import compare_stores
from test_cli import codekg

TINY_SOURCE = 'def helper():\n    return 1\n\n\ndef main():\n    """Run."""\n    return helper()\n'
METADATA_KEYS = {"call_sites", "codekg_version", "commit", "files_by_language", "generation", "index_seconds",
                 "indexed_at", "pass_seconds", "repo_root", "schema_version", "skipped", "warnings"}
NO_CODE = {"start_line": 0, "end_line": 0, "language": "", "signature": "", "docstring": ""}


def tiny_nodes() -> list[dict]:
    code = {"file_path": "app/mod.py", "language": "python"}
    return [
        {"label": "Project", "properties": {"id": "Project:tiny", "name": "tiny", "qualified_name": "tiny", "file_path": "", **NO_CODE}},
        {"label": "Folder", "properties": {"id": "Folder:app", "name": "app", "qualified_name": "app", "file_path": "app", **NO_CODE}},
        {"label": "File", "properties": {
            "id": "File:app/mod.py", "name": "mod.py", "qualified_name": "app/mod.py", **code, "start_line": 1, "end_line": 7,
            "signature": "", "docstring": "", "content_hash": hashlib.sha256(TINY_SOURCE.encode()).hexdigest(),
            "size_bytes": 76, "line_count": 7, "parse_errors": 0, "is_test": False}},
        {"label": "Module", "properties": {
            "id": "Module:app/mod.py:app.mod", "name": "mod", "qualified_name": "app.mod", **code, "start_line": 1, "end_line": 7,
            "signature": "", "docstring": ""}},
        {"label": "Function", "properties": {
            "id": "Function:app/mod.py:app.mod.helper", "name": "helper", "qualified_name": "app.mod.helper", **code,
            "start_line": 1, "end_line": 2, "signature": "def helper()", "docstring": "", "decorators": [], "is_async": False}},
        {"label": "Function", "properties": {
            "id": "Function:app/mod.py:app.mod.main", "name": "main", "qualified_name": "app.mod.main", **code,
            "start_line": 5, "end_line": 7, "signature": "def main()", "docstring": "Run.", "decorators": [], "is_async": False}},
    ]


def edge(rel_type: str, source: tuple[str, str], target: tuple[str, str], **properties: object) -> dict:
    return {"type": rel_type, "from": {"label": source[0], "id": source[1]}, "to": {"label": target[0], "id": target[1]},
            "properties": properties}


PROJECT, FOLDER, FILE = ("Project", "Project:tiny"), ("Folder", "Folder:app"), ("File", "File:app/mod.py")
MODULE = ("Module", "Module:app/mod.py:app.mod")
HELPER, MAIN = ("Function", "Function:app/mod.py:app.mod.helper"), ("Function", "Function:app/mod.py:app.mod.main")
TINY_EDGES = [
    edge("CONTAINS", PROJECT, FOLDER),
    edge("CONTAINS", FOLDER, FILE),
    edge("DEFINES", FILE, MODULE),
    edge("DEFINES", MODULE, HELPER),
    edge("DEFINES", MODULE, MAIN),
    edge("CALLS", MAIN, HELPER, confidence=1.0, reason="same-file", line=7, call_count=1),
    edge("BELONGS_TO", HELPER, FILE),
    edge("BELONGS_TO", MAIN, FILE),
]


@pytest.fixture
def tiny(tmp_path: Path) -> tuple[Path, object]:
    repo = tmp_path / "tiny"
    (repo / "app").mkdir(parents=True)
    (repo / "app" / "mod.py").write_text(TINY_SOURCE)
    settings = load_settings(repo)
    index_repository(repo, repo / ".codekg", settings)
    return repo / ".codekg", settings


def export_to(db: Path, settings, output_format: str, out: Path | None = None) -> str:
    store = open_index(db, settings)
    stream = io.StringIO()
    try:
        export_graph(store, output_format, out, stream)
    finally:
        store.close()
    return stream.getvalue()


def test_json_export_of_a_tiny_repository(tiny):
    db, settings = tiny
    text = export_to(db, settings, "json")
    document = json.loads(text)
    assert list(document) == ["nodes", "edges"]
    metadata = [n for n in document["nodes"] if n["label"] == "IndexMeta"]
    assert document["nodes"][: len(metadata)] == metadata  # IndexMeta first: the schema version is read before the rest
    assert {n["properties"]["key"] for n in metadata} == METADATA_KEYS
    assert {"label": "IndexMeta", "properties": {"key": "schema_version", "value": str(SCHEMA_VERSION)}} in metadata
    assert document["nodes"][len(metadata):] == tiny_nodes()
    assert document["edges"] == TINY_EDGES
    lines = text.splitlines()  # one record per line, so that the file streams and diffs well
    assert (lines[0], lines[19], lines[20], lines[-1], len(lines)) == ('{"nodes": [', "],", '"edges": [', "]}", 1 + 18 + 2 + 8 + 1)


def test_jsonl_export_holds_the_same_records_then_an_end_line(tiny):
    db, settings = tiny
    lines = [json.loads(line) for line in export_to(db, settings, "jsonl").splitlines()]
    document = json.loads(export_to(db, settings, "json"))
    assert lines == document["nodes"] + document["edges"] + [{"end": {"nodes": 18, "edges": 8}}]


def test_parquet_export_is_a_manifest_and_a_table_per_label_and_edge_table(tiny, tmp_path):
    db, settings = tiny
    out = tmp_path / "export"
    export_to(db, settings, "parquet", out)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest == {
        "nodes": [{"label": label, "file": f"nodes/{label}.parquet", "rows": rows}
                  for label, rows in [("IndexMeta", 12), ("Project", 1), ("Folder", 1), ("File", 1), ("Module", 1), ("Function", 2)]],
        "edges": [{"type": t, "from": a, "to": b, "file": f"edges/{t}.{a}.{b}.parquet", "rows": rows}
                  for t, a, b, rows in [("CONTAINS", "Project", "Folder", 1), ("CONTAINS", "Folder", "File", 1),
                                        ("DEFINES", "File", "Module", 1), ("DEFINES", "Module", "Function", 2),
                                        ("CALLS", "Function", "Function", 1), ("BELONGS_TO", "Function", "File", 2)]],
    }
    functions = pq.read_table(out / "nodes" / "Function.parquet")
    assert functions.schema == node_arrow_schema("Function")
    assert functions.to_pylist() == [n["properties"] for n in tiny_nodes() if n["label"] == "Function"]
    calls = pq.read_table(out / "edges" / "CALLS.Function.Function.parquet")
    assert calls.schema == rel_arrow_schema("CALLS")
    assert calls.to_pylist() == [{"from": MAIN[1], "to": HELPER[1], "confidence": 1.0, "reason": "same-file", "line": 7, "call_count": 1}]


def export_file(indexed, output_format: str, tmp_path: Path) -> Path:
    out = tmp_path / f"export.{output_format}"
    if output_format == "parquet":
        export_to(indexed.db, indexed.settings, "parquet", out)
    else:
        out.write_text(export_to(indexed.db, indexed.settings, output_format))
    return out


def assert_same_graph(first_uri: str, second_uri: str, settings) -> None:
    first, second = open_store(first_uri, settings), open_store(second_uri, settings)
    try:
        assert compare_stores(first, second, first_uri, second_uri).agrees
        assert read_graph(first) == read_graph(second)  # IndexMeta too: an import keeps the export's metadata
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("output_format", ["json", "jsonl", "parquet"])
def test_round_trip_into_ladybug(index_fixture, tmp_path, output_format):
    indexed = index_fixture("pyrepo")
    graph, report = read_export(export_file(indexed, output_format, tmp_path))
    assert report.to_dict() == {"format": output_format, "nodes": indexed.summary.nodes | {"IndexMeta": 12}, "edges": indexed.summary.edges}
    target = f"ladybug:{tmp_path / 'copy'}"
    import_graph(graph, parse_store_uri(target), indexed.settings, None)
    assert_same_graph(f"ladybug:{indexed.db}", target, indexed.settings)


@pytest.mark.parametrize("output_format", ["json", "jsonl", "parquet"])
def test_round_trip_into_falkordb(index_fixture, tmp_path, falkordb_graph_uri, output_format):
    indexed = index_fixture("pyrepo")
    graph, _ = read_export(export_file(indexed, output_format, tmp_path))
    import_graph(graph, parse_store_uri(falkordb_graph_uri), indexed.settings, None)
    assert_same_graph(f"ladybug:{indexed.db}", falkordb_graph_uri, indexed.settings)


def test_falkordb_export_imports_into_ladybug(index_fixture, tmp_path, falkordb_graph_uri):
    indexed = index_fixture("pyrepo")
    graph, _ = read_export(export_file(indexed, "jsonl", tmp_path))
    import_graph(graph, parse_store_uri(falkordb_graph_uri), indexed.settings, None)
    store = open_store(falkordb_graph_uri, indexed.settings)
    try:
        export_graph(store, "json", tmp_path / "from-falkordb.json", io.StringIO())
    finally:
        store.close()
    graph, _ = read_export(tmp_path / "from-falkordb.json")
    import_graph(graph, parse_store_uri(f"ladybug:{tmp_path / 'back'}"), indexed.settings, None)
    assert_same_graph(f"ladybug:{indexed.db}", f"ladybug:{tmp_path / 'back'}", indexed.settings)


def test_cli_round_trip_through_falkordb(index_fixture, tmp_path, falkordb_graph_uri):
    indexed = index_fixture("pyrepo")
    out = tmp_path / "export"
    assert codekg("export", "--db", str(indexed.db), "--format", "parquet", "--out", str(out)).returncode == 0
    imported = codekg("import", str(out), "--store", falkordb_graph_uri)
    assert imported.stdout == f"imported 61 nodes and 98 edges from {out} (parquet) into {falkordb_graph_uri}\n", imported.stderr
    verified = codekg("verify", "--db", str(indexed.db), "--against", falkordb_graph_uri)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    back = tmp_path / "back.json"
    assert codekg("export", "--store", falkordb_graph_uri, "--out", str(back)).returncode == 0
    assert codekg("import", str(back), "--db", str(tmp_path / "back")).returncode == 0
    verified = codekg("verify", "--db", str(tmp_path / "back"), "--against", f"ladybug:{indexed.db}", "--json")
    assert json.loads(verified.stdout)["agree"] is True


def test_import_replaces_the_previous_index_and_leaves_no_other_build(index_fixture, tmp_path):
    first, second = index_fixture("pyrepo"), index_fixture("jsrepo")
    graph, _ = read_export(export_file(second, "json", tmp_path))
    import_graph(graph, parse_store_uri(f"ladybug:{first.db}"), first.settings, None)
    assert_same_graph(f"ladybug:{first.db}", f"ladybug:{second.db}", first.settings)
    live = IndexDirectory(first.db).current_graph()
    assert sorted(p.name for p in first.db.glob("graph-*")) == [live.name]  # the old build and its state are gone


def test_a_failed_import_leaves_the_previous_index_intact(index_fixture, tmp_path, monkeypatch):
    indexed = index_fixture("pyrepo")
    graph, _ = read_export(export_file(index_fixture("jsrepo"), "json", tmp_path))
    before = (indexed.db / "CURRENT").read_text(), sorted(p.name for p in indexed.db.iterdir())
    from codekg.stores.ladybug import LadybugStore

    def failing_write(self, tables, then=None):
        raise InputError("the disk is full")

    monkeypatch.setattr(LadybugStore, "write_tables", failing_write)
    with pytest.raises(InputError, match="the disk is full"):
        import_graph(graph, parse_store_uri(f"ladybug:{indexed.db}"), indexed.settings, None)
    assert ((indexed.db / "CURRENT").read_text(), sorted(p.name for p in indexed.db.iterdir())) == before
    assert indexed.rows("MATCH (f:File) RETURN count(f)") == [(5,)]


# --- bad input -----------------------------------------------------------------------------------


def broken_json(tiny, tmp_path: Path, change) -> Path:
    db, settings = tiny
    document = json.loads(export_to(db, settings, "json"))
    change(document)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(document))
    return path


def set_meta(document: dict, key: str, value: str) -> None:
    for node in document["nodes"]:
        if node["label"] == "IndexMeta" and node["properties"]["key"] == key:
            node["properties"]["value"] = value


def node_of(document: dict, label: str) -> dict:
    return next(n for n in document["nodes"] if n["label"] == label)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: node_of(d, "Folder").update(label="Directory"), "broken.json: nodes[13]: unknown node label 'Directory'"),
        (lambda d: node_of(d, "File")["properties"].update(owner="me"), "broken.json: nodes[14]: File has no property owner"),
        (lambda d: node_of(d, "File")["properties"].update(line_count="7"), "broken.json: nodes[14]: File: `line_count` must be INT64, not \"7\""),
        (lambda d: node_of(d, "Folder")["properties"].pop("id"), "broken.json: nodes[13]: the Folder node has no `id`"),
        (lambda d: d["nodes"].append(node_of(d, "Module")), "broken.json: nodes[18]: a second Module node with the key 'Module:app/mod.py:app.mod'"),
        (lambda d: d["edges"][0].update(type="HOLDS"), "broken.json: edges[0]: unknown relationship type 'HOLDS'"),
        (lambda d: d["edges"][5]["properties"].update(confidence=True), "broken.json: edges[5]: CALLS: `confidence` must be DOUBLE, not true"),
        (lambda d: d["edges"][2]["to"].update(label="Function"), "broken.json: edges[2]: DEFINES does not connect File to Function"),
        (lambda d: d["edges"][3]["to"].update(id="Function:app/mod.py:app.mod.gone"),
         "broken.json: edges[3]: the DEFINES edge's `to` endpoint Function 'Function:app/mod.py:app.mod.gone' is not a node of the export"),
        (lambda d: d["edges"].append(d["edges"][5]), "broken.json: edges[8]: a second CALLS edge from 'Function:app/mod.py:app.mod.main' to 'Function:app/mod.py:app.mod.helper'"),
        (lambda d: d.update(version=2), "broken.json: unknown top-level key(s) version"),
        (lambda d: d.__setitem__("nodes", [n for n in d["nodes"] if n["label"] != "IndexMeta"]),
         "broken.json has no IndexMeta `schema_version` node: it was not written by `codekg export`"),
        (lambda d: set_meta(d, "schema_version", "one"), "broken.json: nodes[9]: the schema version 'one' is not a number"),
    ],
    ids=["label", "property", "property-type", "no-key", "duplicate-node", "type", "edge-property-type", "pair",
         "missing-endpoint", "duplicate-edge", "top-level-key", "no-schema-version", "bad-schema-version"],
)
def test_an_export_that_breaks_the_schema_is_refused_with_where(tiny, tmp_path, change, message):
    with pytest.raises(InputError) as error:
        read_export(broken_json(tiny, tmp_path, change))
    assert str(error.value).removeprefix(f"{tmp_path}/") == message


def test_a_newer_schema_version_is_refused_before_what_it_may_add(tiny, tmp_path):
    def newer(document: dict) -> None:
        set_meta(document, "schema_version", str(SCHEMA_VERSION + 1))
        node_of(document, "Function")["properties"]["is_generator"] = False  # what a newer schema might add

    with pytest.raises(SchemaVersionError, match=rf"schema version {SCHEMA_VERSION + 1}, newer than this codekg's \({SCHEMA_VERSION}\); upgrade codekg"):
        read_export(broken_json(tiny, tmp_path, newer))
    with pytest.raises(SchemaVersionError, match=f"schema version 0, this codekg uses {SCHEMA_VERSION}; re-index"):
        read_export(broken_json(tiny, tmp_path, lambda d: set_meta(d, "schema_version", "0")))


def test_cut_short_or_corrupt_files_are_refused(tiny, tmp_path):
    db, settings = tiny
    text = export_to(db, settings, "json")
    cases = {
        "cut.json": (text[: len(text) // 2], "is not valid JSON (corrupt or cut short?): "),
        "empty.json": ("", "is empty: not a codekg export"),
        "list.json": ("[1, 2]\n", "is not a codekg export: expected an object with a `nodes` list and an `edges` list"),
    }
    jsonl = export_to(db, settings, "jsonl").splitlines(keepends=True)
    cases["cut.jsonl"] = ("".join(jsonl[:-3]), f"has no end line after line {len(jsonl) - 3}: the export was cut short")
    cases["torn.jsonl"] = ("".join(jsonl[:-1])[:-20] + "\n", f"line {len(jsonl) - 1} is not valid JSON (corrupt or cut short?)")
    cases["dropped.jsonl"] = ("".join(jsonl[:3] + jsonl[4:]), "the end line announces {'nodes': 18, 'edges': 8}, the file holds 17 node(s) and 8 edge(s)")
    cases["late-node.jsonl"] = ("".join(jsonl[:-2] + [jsonl[12], jsonl[-1]]), "a node after the first edge (nodes come first)")
    cases["binary.json"] = ("{\n\udcff", "is not UTF-8 text")
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_text(content, errors="surrogateescape")
        with pytest.raises(InputError) as error:
            read_export(path)
        assert message in str(error.value), name
    with pytest.raises(InputError, match="does not exist"):
        read_export(tmp_path / "missing.json")


def test_a_damaged_parquet_export_is_refused(tiny, tmp_path):
    db, settings = tiny
    out = tmp_path / "export"
    export_to(db, settings, "parquet", out)
    table = out / "nodes" / "Function.parquet"
    table.write_bytes(table.read_bytes()[:100])
    with pytest.raises(InputError, match=r"Function.parquet cannot be read as Parquet \(missing, corrupt or cut short\?\)"):
        read_export(out)
    (out / "manifest.json").unlink()
    with pytest.raises(InputError, match="holds no manifest.json: not a finished codekg parquet export"):
        read_export(out)


def test_parquet_rows_are_checked_as_json_records_are(tiny, tmp_path):
    db, settings = tiny
    out = tmp_path / "export"
    export_to(db, settings, "parquet", out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["nodes"] = [n for n in manifest["nodes"] if n["label"] != "Module"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(InputError) as error:
        read_export(out)
    assert str(error.value) == (f"{out}/edges/DEFINES.File.Module.parquet row 0: the DEFINES edge's `to` endpoint "
                                "Module 'Module:app/mod.py:app.mod' is not a node of the export")
