"""The Cypher a server store (FalkorDB, Neo4j, Memgraph) is written with: one statement per table.

Every write is `UNWIND $rows AS row …` and idempotent: nodes MERGE on their primary key, edges MERGE
between endpoints matched by key, deletes match by key. Replaying a batch (a retry after a dropped
connection whose write may have landed) therefore never duplicates anything. The three dialects
agree on everything used here.
"""

from __future__ import annotations

from dataclasses import dataclass

from codekg.graph import EdgeKey
from codekg.schema import CODE_ELEMENT_LABELS, NODE_LABEL_BY_NAME, REL_TYPE_BY_NAME, cypher_label

MERGE_NODES = "merge-nodes"
MERGE_EDGES = "merge-edges"
DELETE_NODES = "delete-nodes"
DELETE_EDGES = "delete-edges"


@dataclass(frozen=True, slots=True)
class WriteOperation:
    """One statement applied to many rows: what the batch writer retries, splits and dead-letters."""

    operation: str  # MERGE_NODES, MERGE_EDGES, DELETE_NODES or DELETE_EDGES
    table: str  # a label, or `TYPE(Source->Target)`
    statement: str


def node_key(label: str) -> str:
    return NODE_LABEL_BY_NAME[label].properties[0].name


def edge_table_name(key: EdgeKey) -> str:
    rel_type, source, target = key
    return f"{rel_type}({source}->{target})"


def parse_edge_table_name(name: str) -> EdgeKey:
    rel_type, _, pair = name.partition("(")
    source, _, target = pair.rstrip(")").partition("->")
    return rel_type, source, target


def merge_nodes(label: str) -> WriteOperation:
    """Nodes MERGEd on their key; a declared symbol also gets the label `CodeElement` (the stores
    that hold several labels on a node; the embedded one reads `:CodeElement` as a union)."""
    spec = NODE_LABEL_BY_NAME[label]
    key = spec.properties[0].name
    assignments = ", ".join(["n:CodeElement"] * (label in CODE_ELEMENT_LABELS)
                            + [f"n.{name} = row.{name}" for name in spec.property_names[1:]])
    setter = f" SET {assignments}" if assignments else ""
    return WriteOperation(MERGE_NODES, label, f"UNWIND $rows AS row MERGE (n:{cypher_label(label)} {{{key}: row.{key}}}){setter}")


def merge_edges(key: EdgeKey) -> WriteOperation:
    rel_type, source, target = key
    names = REL_TYPE_BY_NAME[rel_type].property_names
    setter = (" SET " + ", ".join(f"e.{name} = row.{name}" for name in names)) if names else ""
    return WriteOperation(
        MERGE_EDGES, edge_table_name(key),
        f"UNWIND $rows AS row MATCH (a:{cypher_label(source)} {{{node_key(source)}: row.from}}) "
        f"MATCH (b:{cypher_label(target)} {{{node_key(target)}: row.to}}) MERGE (a)-[e:{rel_type}]->(b){setter}",
    )


def delete_nodes(label: str) -> WriteOperation:
    """Rows are ids; a node's edges go with it."""
    return WriteOperation(DELETE_NODES, label, f"UNWIND $rows AS row MATCH (n:{cypher_label(label)} {{{node_key(label)}: row}}) DETACH DELETE n")


def delete_edges(key: EdgeKey) -> WriteOperation:
    """Rows are `{"from", "to"}` pairs."""
    rel_type, source, target = key
    return WriteOperation(
        DELETE_EDGES, edge_table_name(key),
        f"UNWIND $rows AS row MATCH (a:{cypher_label(source)} {{{node_key(source)}: row.from}})-[e:{rel_type}]->"
        f"(b:{cypher_label(target)} {{{node_key(target)}: row.to}}) DELETE e",
    )


def operation_for(operation: str, table: str) -> WriteOperation:
    """The operation a dead-letter record names, rebuilt from the current schema."""
    if operation in (MERGE_NODES, DELETE_NODES):
        if table not in NODE_LABEL_BY_NAME:
            raise ValueError(f"unknown label {table!r}")
        return merge_nodes(table) if operation == MERGE_NODES else delete_nodes(table)
    if operation in (MERGE_EDGES, DELETE_EDGES):
        key = parse_edge_table_name(table)
        if key[0] not in REL_TYPE_BY_NAME:
            raise ValueError(f"unknown relationship type {key[0]!r}")
        return merge_edges(key) if operation == MERGE_EDGES else delete_edges(key)
    raise ValueError(f"unknown operation {operation!r}")
