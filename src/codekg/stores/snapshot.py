"""Reading a whole graph back out of any store, with Cypher every dialect shares.

Used to copy a graph between stores (a secondary that fell behind is rebuilt from the primary),
to export it, and to compare two stores. Rows come back typed as the schema declares them, so the
same graph read from Ladybug and from FalkorDB compares equal, but for the last digits of a double:
FalkorDB answers with 15 significant digits (see `verify`). A table at a time (`read_nodes`,
`read_edges`) is what an export or a comparison holds in memory; `read_graph` holds them all.
"""

from __future__ import annotations

from typing import Any

from codekg.graph import EMPTY_VALUES, EdgeKey, Graph
from codekg.schema import NODE_LABEL_BY_NAME, NODE_LABELS, REL_TYPE_BY_NAME, REL_TYPES, PropType
from codekg.stores.base import GraphStore
from codekg.stores.server_cypher import node_key
from codekg.schema import cypher_label

EDGE_TABLES: tuple[EdgeKey, ...] = tuple((rel.name, source, target) for rel in REL_TYPES for source, target in rel.pairs)
"""Every (type, source label, target label) the schema declares, in schema order."""


def read_graph(store: GraphStore, include_metadata: bool = True) -> Graph:
    """Every node and edge of ``store``, one query per label and per (type, source, target)."""
    graph = Graph()
    for label in NODE_LABELS:
        if label.name == "IndexMeta" and not include_metadata:
            continue
        graph.nodes[label.name].extend(read_nodes(store, label.name))
    for key in EDGE_TABLES:
        graph.edges[key].extend(read_edges(store, key))
    return graph


def read_nodes(store: GraphStore, label: str) -> list[dict[str, Any]]:
    """The nodes of ``label``, each a dict of every schema property, sorted by primary key."""
    if getattr(store, "query_language", "cypher") != "cypher":  # CozoDB reads its relations itself
        return store.read_nodes(label)  # type: ignore[attr-defined]
    properties = NODE_LABEL_BY_NAME[label].properties
    columns = ", ".join(f"n.{p.name}" for p in properties)
    rows = [{p.name: _typed(p.type, v) for p, v in zip(properties, row)}
            for row in store.query(f"MATCH (n:{cypher_label(label)}) RETURN {columns}").rows]
    key = properties[0].name
    return sorted(rows, key=lambda row: row[key])


def read_edges(store: GraphStore, table: EdgeKey) -> list[dict[str, Any]]:
    """The edges of one (type, source, target) table: `from` and `to` ids, then the type's properties,
    sorted by endpoints."""
    if getattr(store, "query_language", "cypher") != "cypher":
        return store.read_edges(table)  # type: ignore[attr-defined]
    rel_type, source, target = table
    properties = REL_TYPE_BY_NAME[rel_type].properties
    columns = ", ".join([f"a.{node_key(source)}", f"b.{node_key(target)}", *(f"e.{p.name}" for p in properties)])
    rows = []
    for row in store.query(f"MATCH (a:{cypher_label(source)})-[e:{rel_type}]->(b:{cypher_label(target)}) RETURN {columns}").rows:
        edge = {"from": row[0], "to": row[1]}
        edge.update({p.name: _typed(p.type, v) for p, v in zip(properties, row[2:])})
        rows.append(edge)
    return sorted(rows, key=lambda row: (row["from"], row["to"]))


def _typed(prop_type: PropType, value: Any) -> Any:
    """A value as the schema types it: a store may hand back None for an empty list or a missing property."""
    if value is None:
        return EMPTY_VALUES[prop_type]
    if prop_type == PropType.STRING_LIST:
        return [str(v) for v in value]
    if prop_type == PropType.DOUBLE:
        return float(value)
    if prop_type == PropType.INT64:
        return int(value)
    if prop_type == PropType.BOOLEAN:
        return bool(value)
    return value
