"""Reading a whole graph back out of any store, with Cypher every dialect shares.

Used to copy a graph between stores (a secondary that fell behind is rebuilt from the primary),
to export it, and to compare two stores. Rows come back typed as the schema declares them, so the
same graph read from Ladybug and from FalkorDB compares equal.
"""

from __future__ import annotations

from typing import Any

from codekg.graph import Graph
from codekg.schema import NODE_LABELS, REL_TYPES, PropType
from codekg.stores.base import GraphStore
from codekg.stores.server_cypher import node_key

_EMPTY: dict[PropType, Any] = {PropType.STRING: "", PropType.INT64: 0, PropType.DOUBLE: 0.0,
                               PropType.BOOLEAN: False, PropType.STRING_LIST: []}


def read_graph(store: GraphStore, include_metadata: bool = True) -> Graph:
    """Every node and edge of ``store``, one query per label and per (type, source, target)."""
    graph = Graph()
    for label in NODE_LABELS:
        if label.name == "IndexMeta" and not include_metadata:
            continue
        columns = ", ".join(f"n.{p.name}" for p in label.properties)
        result = store.query(f"MATCH (n:{label.name}) RETURN {columns}")
        for row in result.rows:
            graph.nodes[label.name].append({p.name: _typed(p.type, v) for p, v in zip(label.properties, row)})
    for rel in REL_TYPES:
        for source, target in rel.pairs:
            columns = ", ".join([f"a.{node_key(source)}", f"b.{node_key(target)}", *(f"e.{p.name}" for p in rel.properties)])
            result = store.query(f"MATCH (a:{source})-[e:{rel.name}]->(b:{target}) RETURN {columns}")
            for row in result.rows:
                edge = {"from": row[0], "to": row[1]}
                edge.update({p.name: _typed(p.type, v) for p, v in zip(rel.properties, row[2:])})
                graph.edges[(rel.name, source, target)].append(edge)
    return graph


def _typed(prop_type: PropType, value: Any) -> Any:
    """A value as the schema types it: a store may hand back None for an empty list or a missing property."""
    if value is None:
        return _EMPTY[prop_type]
    if prop_type == PropType.STRING_LIST:
        return [str(v) for v in value]
    if prop_type == PropType.DOUBLE:
        return float(value)
    if prop_type == PropType.INT64:
        return int(value)
    if prop_type == PropType.BOOLEAN:
        return bool(value)
    return value
