"""Export a whole graph to a file, and import such a file into any store.

Three formats carry the same records (README, "Export and import"):
- `json`: `{"nodes": [node, ...], "edges": [edge, ...]}`, one record per line;
- `jsonl`: one record per line, nodes first, then edges, then `{"end": {"nodes": N, "edges": M}}`, so a
  file cut short at a line boundary is still told from a whole one;
- `parquet`: a directory, `manifest.json` plus one file per node label (`nodes/<Label>.parquet`) and
  per edge table (`edges/<TYPE>.<Source>.<Target>.parquet`), typed by the schema's Arrow schemas.

A node record is `{"label", "properties"}`; an edge record is `{"type", "from": {"label", "id"},
"to": {"label", "id"}, "properties"}`. The IndexMeta nodes come first, so the schema version an export
was written with is read before anything it describes.

Export takes a store and writes one table at a time. Import reads a file into a Graph, checked
against the schema (labels, types, endpoints, property names and types, unique ids, the schema
version) before anything is written, then makes the target store hold exactly that graph: a new
embedded build published atomically, or a server store's `replace_graph`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from codekg.errors import InputError, SchemaVersionError, StoreError
from codekg.graph import EMPTY_VALUES, Graph
from codekg.schema import NODE_LABEL_BY_NAME, NODE_LABELS, REL_TYPE_BY_NAME, SCHEMA_VERSION, PropType, node_arrow_schema, rel_arrow_schema
from codekg.settings import Settings
from codekg.stores.base import GraphStore
from codekg.stores.snapshot import EDGE_TABLES, read_edges, read_nodes
from codekg.stores.uri import StoreLocation

FORMATS = ("json", "jsonl", "parquet")
METADATA_LABEL = "IndexMeta"
SCHEMA_VERSION_KEY = "schema_version"
MANIFEST = "manifest.json"
# IndexMeta first: a reader learns the schema version before it meets a label it may not know.
EXPORT_LABELS = (METADATA_LABEL, *(label.name for label in NODE_LABELS if label.name != METADATA_LABEL))


@dataclass(slots=True)
class TransferReport:
    """What an export wrote or an import read: the format, and nodes per label and edges per type."""

    format: str
    nodes: dict[str, int] = field(default_factory=dict)
    edges: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"format": self.format, "nodes": dict(self.nodes), "edges": dict(self.edges)}


# --- export --------------------------------------------------------------------------------------


def export_graph(store: GraphStore, output_format: str, out: Path | None, stdout: TextIO) -> TransferReport:
    """Write every node and edge of ``store`` as ``output_format`` to ``out`` (a file, or for parquet a
    new directory), or to ``stdout`` when ``out`` is None (json and jsonl only)."""
    check_export_options(output_format, out)
    if output_format == "parquet":
        assert out is not None
        return _export_parquet(store, out)
    if out is None:
        return _write_records(store, output_format, stdout)
    if out.exists() and not out.is_file():  # a pipe or a device (`/dev/stdout`): written into, never replaced
        with open(out, "w", encoding="utf-8") as stream:
            return _write_records(store, output_format, stream)
    # A file appears whole or not at all: an interrupted export never leaves a plausible half. A link
    # is followed: the file it names is the one written.
    target = out.resolve()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as stream:
            report = _write_records(store, output_format, stream)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return report


def check_export_options(output_format: str, out: Path | None) -> None:
    if output_format not in FORMATS:
        raise InputError(f"unknown export format {output_format!r}: use {', '.join(FORMATS)}")
    if output_format == "parquet" and out is None:
        raise InputError("the parquet format writes a directory: give it with --out DIR")
    if output_format == "parquet" and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} already exists and is not an empty directory; give a new directory for the parquet export")
    if output_format != "parquet" and out is not None and out.is_dir():
        raise InputError(f"{out} is a directory; give a file for the {output_format} export")
    if output_format != "parquet" and out is not None and not out.parent.is_dir():
        raise InputError(f"{out.parent} is not a directory: the {output_format} export cannot be written there")


def _write_records(store: GraphStore, output_format: str, stream: TextIO) -> TransferReport:
    report = TransferReport(output_format)
    as_json = output_format == "json"
    separator = ""
    if as_json:
        stream.write('{"nodes": [\n')
    for label, rows in _node_tables(store):
        report.nodes[label] = len(rows)
        for row in rows:
            stream.write(separator + _dumps(node_record(label, row)))
            separator = ",\n" if as_json else "\n"
    if as_json:
        stream.write('\n],\n"edges": [\n')
        separator = ""
    for table, rows in _edge_tables(store):
        report.edges[table[0]] = report.edges.get(table[0], 0) + len(rows)
        for row in rows:
            stream.write(separator + _dumps(edge_record(table, row)))
            separator = ",\n" if as_json else "\n"
    if as_json:
        stream.write("\n]}\n")
    else:
        stream.write(separator + _dumps({"end": {"nodes": sum(report.nodes.values()), "edges": sum(report.edges.values())}}) + "\n")
    return report


def _export_parquet(store: GraphStore, out: Path) -> TransferReport:
    import pyarrow as pa
    import pyarrow.parquet as pq

    (out / "nodes").mkdir(parents=True, exist_ok=True)
    (out / "edges").mkdir(exist_ok=True)
    report = TransferReport("parquet")
    manifest: dict[str, list[dict[str, Any]]] = {"nodes": [], "edges": []}
    for label, rows in _node_tables(store):
        name = f"nodes/{label}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=node_arrow_schema(label)), out / name)
        manifest["nodes"].append({"label": label, "file": name, "rows": len(rows)})
        report.nodes[label] = len(rows)
    for (rel_type, source, target), rows in _edge_tables(store):
        name = f"edges/{rel_type}.{source}.{target}.parquet"
        pq.write_table(pa.Table.from_pylist(rows, schema=rel_arrow_schema(rel_type)), out / name)
        manifest["edges"].append({"type": rel_type, "from": source, "to": target, "file": name, "rows": len(rows)})
        report.edges[rel_type] = report.edges.get(rel_type, 0) + len(rows)
    # The manifest last: a directory without one is an export that did not finish.
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
    return report


def _node_tables(store: GraphStore) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for label in EXPORT_LABELS:
        rows = read_nodes(store, label)
        if rows:
            yield label, rows


def _edge_tables(store: GraphStore) -> Iterator[tuple[tuple[str, str, str], list[dict[str, Any]]]]:
    for table in EDGE_TABLES:
        rows = read_edges(store, table)
        if rows:
            yield table, rows


def node_record(label: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"label": label, "properties": row}


def edge_record(table: tuple[str, str, str], row: dict[str, Any]) -> dict[str, Any]:
    rel_type, source, target = table
    return {
        "type": rel_type,
        "from": {"label": source, "id": row["from"]},
        "to": {"label": target, "id": row["to"]},
        "properties": {k: v for k, v in row.items() if k not in ("from", "to")},
    }


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


# --- reading an export ---------------------------------------------------------------------------


def detect_format(path: Path) -> str:
    """`parquet` for a directory, else `jsonl` when the first line is a whole record, else `json`."""
    if not path.exists():
        raise InputError(f"{path} does not exist")
    if path.is_dir():
        return "parquet"
    with open(path, encoding="utf-8", errors="replace") as stream:
        first = stream.readline(1 << 16)
    if not first.strip():
        raise InputError(f"{path} is empty: not a codekg export")
    try:
        record = json.loads(first)
    except json.JSONDecodeError:
        return "json"  # a document over several lines (or a broken one, which json.load reports)
    return "jsonl" if isinstance(record, dict) and not {"nodes", "edges"} & record.keys() else "json"


def read_export(path: Path) -> tuple[Graph, TransferReport]:
    """The graph an export holds, in any of the three formats (detected), checked against the schema:
    an InputError (or SchemaVersionError) names the first problem and where it is."""
    output_format = detect_format(path)
    records = {"json": _json_records, "jsonl": _jsonl_records, "parquet": _parquet_records}[output_format](path)
    graph = _checked_graph(records, path)
    report = TransferReport(output_format, graph.node_counts(), graph.edge_counts())
    return graph, report


def _json_records(path: Path) -> Iterator[tuple[str, Any]]:
    try:
        with open(path, encoding="utf-8") as stream:
            document = json.load(stream)
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path} is not valid JSON (corrupt or cut short?): {error.msg} (line {error.lineno}, column {error.colno})") from None
    if not isinstance(document, dict) or not isinstance(document.get("nodes"), list) or not isinstance(document.get("edges"), list):
        raise InputError(f"{path} is not a codekg export: expected an object with a `nodes` list and an `edges` list")
    unknown = document.keys() - {"nodes", "edges"}
    if unknown:
        raise InputError(f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    for index, record in enumerate(document["nodes"]):
        yield f"{path}: nodes[{index}]", _expect_kind(record, "node", f"{path}: nodes[{index}]")
    for index, record in enumerate(document["edges"]):
        yield f"{path}: edges[{index}]", _expect_kind(record, "edge", f"{path}: edges[{index}]")


def _jsonl_records(path: Path) -> Iterator[tuple[str, Any]]:
    seen = {"node": 0, "edge": 0}
    ended = False
    with open(path, encoding="utf-8", errors="strict") as stream:
        number = 0
        try:
            for number, line in enumerate(stream, start=1):
                where = f"{path}: line {number}"
                if not line.strip():
                    continue
                if ended:
                    raise InputError(f"{where}: a record after the end line")
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as error:
                    raise InputError(f"{where} is not valid JSON (corrupt or cut short?): {error.msg} (column {error.colno})") from None
                if isinstance(record, dict) and "end" in record:
                    _check_end(record, seen, where)
                    ended = True
                    continue
                kind = _kind(record, where)
                if kind == "node" and seen["edge"]:
                    raise InputError(f"{where}: a node after the first edge (nodes come first)")
                seen[kind] += 1
                yield where, record
        except UnicodeDecodeError as error:
            raise InputError(f"{path}: line {number + 1} is not UTF-8 text: {error.reason}") from None
    if not ended:
        raise InputError(f"{path} has no end line after line {number}: the export was cut short")


def _check_end(record: dict[str, Any], seen: dict[str, int], where: str) -> None:
    counts = record["end"]
    expected = (counts.get("nodes"), counts.get("edges")) if isinstance(counts, dict) else None
    if expected != (seen["node"], seen["edge"]):
        raise InputError(f"{where}: the end line announces {counts!r}, the file holds {seen['node']} node(s) and {seen['edge']} edge(s)")


def _parquet_records(directory: Path) -> Iterator[tuple[str, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise InputError(f"{directory} holds no {MANIFEST}: not a finished codekg parquet export")
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{manifest_path} is not valid JSON: {error}") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("nodes"), list) or not isinstance(manifest.get("edges"), list):
        raise InputError(f"{manifest_path}: expected an object with a `nodes` list and an `edges` list")

    def table(entry: Any, schema: "pa.Schema") -> tuple[str, list[dict[str, Any]]]:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            raise InputError(f"{manifest_path}: an entry without a file: {entry!r}")
        path = directory / entry["file"]
        if directory.resolve() not in path.resolve().parents:
            raise InputError(f"{manifest_path}: {entry['file']!r} is outside the export directory")
        try:
            data = pq.read_table(path)
        except (OSError, pa.ArrowException) as error:
            raise InputError(f"{path} cannot be read as Parquet (missing, corrupt or cut short?): {error}") from None
        unknown = [name for name in data.column_names if name not in schema.names]
        if unknown:
            raise InputError(f"{path}: unknown column(s) {', '.join(unknown)}")
        keys = ["from", "to"] if schema.names[0] == "from" else schema.names[:1]
        missing = [name for name in keys if name not in data.column_names]
        if missing:
            raise InputError(f"{path}: no column {', '.join(missing)}")
        rows = data.to_pylist()
        if entry.get("rows") != len(rows):
            raise InputError(f"{path} holds {len(rows)} row(s), the manifest says {entry.get('rows')!r}")
        return str(path), rows

    for entry in sorted(manifest["nodes"], key=lambda e: isinstance(e, dict) and e.get("label") != METADATA_LABEL):
        label = entry.get("label") if isinstance(entry, dict) else None
        if label not in NODE_LABEL_BY_NAME:
            raise InputError(f"{manifest_path}: unknown node label {label!r}")
        where, rows = table(entry, node_arrow_schema(label))
        for index, row in enumerate(rows):
            yield f"{where} row {index}", node_record(label, row)
    for entry in manifest["edges"]:
        rel_type = entry.get("type") if isinstance(entry, dict) else None
        if rel_type not in REL_TYPE_BY_NAME:
            raise InputError(f"{manifest_path}: unknown relationship type {rel_type!r}")
        where, rows = table(entry, rel_arrow_schema(rel_type))
        for index, row in enumerate(rows):
            yield f"{where} row {index}", edge_record((rel_type, entry.get("from"), entry.get("to")), row)


def _kind(record: Any, where: str) -> str:
    if isinstance(record, dict) and "label" in record:
        return "node"
    if isinstance(record, dict) and "type" in record:
        return "edge"
    raise InputError(f"{where}: neither a node (`label`) nor an edge (`type`) record")


def _expect_kind(record: Any, kind: str, where: str) -> Any:
    if _kind(record, where) != kind:
        raise InputError(f"{where}: expected a{'n' if kind == 'edge' else ''} {kind} record")
    return record


# --- checking records against the schema ---------------------------------------------------------


def _checked_graph(records: Iterable[tuple[str, Any]], path: Path) -> Graph:
    graph = Graph()
    ids: dict[str, set[str]] = {label.name: set() for label in NODE_LABELS}
    edges: set[tuple[str, str, str, str, str]] = set()
    version: int | None = None
    for where, record in records:
        if "label" in record:
            label, row = _checked_node(record, where)
            key = row[NODE_LABEL_BY_NAME[label].properties[0].name]
            if key in ids[label]:
                raise InputError(f"{where}: a second {label} node with the key {key!r}")
            ids[label].add(key)
            if label == METADATA_LABEL and row["key"] == SCHEMA_VERSION_KEY:
                version = _checked_version(row["value"], where)
            graph.nodes[label].append(row)
        else:
            table, row = _checked_edge(record, where)
            for side, node_label in (("from", table[1]), ("to", table[2])):
                if row[side] not in ids[node_label]:
                    raise InputError(f"{where}: the {table[0]} edge's `{side}` endpoint {node_label} {row[side]!r} is not a node of the export")
            identity = (*table, row["from"], row["to"])
            if identity in edges:
                raise InputError(f"{where}: a second {table[0]} edge from {row['from']!r} to {row['to']!r}")
            edges.add(identity)
            graph.edges[table].append(row)
    if version is None:
        raise InputError(f"{path} has no IndexMeta `{SCHEMA_VERSION_KEY}` node: it was not written by `codekg export`")
    return graph


def _checked_version(value: Any, where: str) -> int:
    try:
        version = int(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: the schema version {value!r} is not a number") from None
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(f"the export was written with schema version {version}, newer than this codekg's "
                                 f"({SCHEMA_VERSION}); upgrade codekg to import it")
    if version < SCHEMA_VERSION:
        raise SchemaVersionError(f"the export was written with schema version {version}, this codekg uses "
                                 f"{SCHEMA_VERSION}; re-index the repository and export it again")
    return version


def _checked_node(record: dict[str, Any], where: str) -> tuple[str, dict[str, Any]]:
    _only_keys(record, {"label", "properties"}, where)
    label = record["label"]
    spec = NODE_LABEL_BY_NAME.get(label) if isinstance(label, str) else None
    if spec is None:
        raise InputError(f"{where}: unknown node label {label!r}")
    properties = _properties(record, where)
    key = spec.properties[0].name
    if not isinstance(properties.get(key), str) or not properties[key]:
        raise InputError(f"{where}: the {label} node has no `{key}`")
    return label, _checked_properties(properties, spec.properties, f"{where}: {label}")


def _checked_edge(record: dict[str, Any], where: str) -> tuple[tuple[str, str, str], dict[str, Any]]:
    _only_keys(record, {"type", "from", "to", "properties"}, where)
    rel_type = record["type"]
    spec = REL_TYPE_BY_NAME.get(rel_type) if isinstance(rel_type, str) else None
    if spec is None:
        raise InputError(f"{where}: unknown relationship type {rel_type!r}")
    ends = []
    for side in ("from", "to"):
        end = record.get(side)
        if not isinstance(end, dict) or set(end) != {"label", "id"} or not all(isinstance(v, str) for v in end.values()):
            raise InputError(f"{where}: the {rel_type} edge's `{side}` must be {{\"label\": ..., \"id\": ...}}")
        ends.append(end)
    source, target = ends[0]["label"], ends[1]["label"]
    if (source, target) not in spec.pairs:
        raise InputError(f"{where}: {rel_type} does not connect {source} to {target}")
    row = {"from": ends[0]["id"], "to": ends[1]["id"]}
    row.update(_checked_properties(_properties(record, where), spec.properties, f"{where}: {rel_type}"))
    return (rel_type, source, target), row


def _only_keys(record: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = record.keys() - allowed
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


def _properties(record: dict[str, Any], where: str) -> dict[str, Any]:
    properties = record.get("properties", {})
    if not isinstance(properties, dict):
        raise InputError(f"{where}: `properties` must be an object")
    return properties


def _checked_properties(properties: dict[str, Any], specs: Iterable[Any], what: str) -> dict[str, Any]:
    """Every schema property, typed; a missing one takes the schema's empty value (as Graph.add_node)."""
    specs = tuple(specs)
    unknown = properties.keys() - {p.name for p in specs}
    if unknown:
        raise InputError(f"{what} has no propert{'y' if len(unknown) == 1 else 'ies'} {', '.join(sorted(unknown))}")
    row = {}
    for spec in specs:
        value = properties.get(spec.name, EMPTY_VALUES[spec.type])
        if not _has_type(value, spec.type):
            raise InputError(f"{what}: `{spec.name}` must be {spec.type.value}, not {json.dumps(value, default=str)}")
        row[spec.name] = float(value) if spec.type == PropType.DOUBLE else value
    return row


def _has_type(value: Any, prop_type: PropType) -> bool:
    if prop_type == PropType.STRING:
        return isinstance(value, str)
    if prop_type == PropType.INT64:
        return isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    if prop_type == PropType.DOUBLE:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if prop_type == PropType.BOOLEAN:
        return isinstance(value, bool)
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# --- import --------------------------------------------------------------------------------------


def import_graph(graph: Graph, location: StoreLocation, settings: Settings, db_dir: Path | None) -> None:
    """Make the store at ``location`` hold exactly ``graph`` (with its IndexMeta nodes). The embedded
    store gets a new build, published only once it is complete, under the writer lock; a server store
    replaces its graph in one step. Either way a failure leaves the previous graph as it was."""
    metadata = Graph()
    metadata.nodes[METADATA_LABEL] = list(graph.nodes.get(METADATA_LABEL, ()))
    content = Graph(nodes={k: v for k, v in graph.nodes.items() if k != METADATA_LABEL}, edges=graph.edges)
    if not location.is_server:
        _import_embedded(content, metadata, location, settings)
        return
    from codekg.stores import open_server_store

    store = open_server_store(location, settings, db_dir)
    try:
        store.replace_graph(content.to_tables(), metadata)
        failed = store.write_stats.failed
    finally:
        store.close()
    if failed:
        raise StoreError(f"{location.display} rejected {failed} row(s) of the import; "
                         "`codekg verify` shows which nodes and edges it lacks")


def _import_embedded(content: Graph, metadata: Graph, location: StoreLocation, settings: Settings) -> None:
    from codekg.passes.load import load_graph
    from codekg.stores.ladybug import IndexDirectory

    assert location.path is not None
    directory = IndexDirectory(location.path)
    values = {row["key"]: row["value"] for row in metadata.nodes[METADATA_LABEL]}
    with directory.writer_lock():
        directory.remove_stale_builds()
        load_graph(directory, directory.new_build_path(), content.to_tables(), values, settings)
