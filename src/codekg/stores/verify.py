"""Comparing the graphs two stores hold: counts and a content checksum per label and per type.

Takes two stores (any kind: Ladybug, FalkorDB, Neo4j). Returns a StoreComparison: for every node
label and relationship type, each side's row count and checksum, and for a table the two sides
disagree on, which node ids (or `from -> to` edges) only one side holds and which both hold with
different properties (the first DIFF_LIMIT of each, with their counts).

A checksum is order-independent: the sha256 of a table's rows as canonical JSON lines, sorted. A
double is canonicalised to 15 significant digits first, because FalkorDB hands doubles back with 15
(a confidence of 0.3/7 reads 0.04285714285714286 from Ladybug, 0.0428571428571429 from FalkorDB).
An edge type's rows span its (source, target) tables, each row naming its endpoint labels.

IndexMeta is not compared: it records when and how long an index run took and its generation, which
two faithful copies of a graph need not share.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from codekg.schema import NODE_LABEL_BY_NAME, NODE_LABELS, REL_TYPES, RelType
from codekg.stores.base import GraphStore
from codekg.stores.snapshot import read_edges, read_nodes

DIFF_LIMIT = 20
FLOAT_DIGITS = 15
COMPARED_LABELS = tuple(label.name for label in NODE_LABELS if label.name != "IndexMeta")


@dataclass(slots=True)
class Side:
    """One store's view of a table."""

    count: int
    checksum: str


@dataclass(slots=True)
class Listing:
    """The first DIFF_LIMIT entries of a list, and its full length."""

    count: int = 0
    entries: list[Any] = field(default_factory=list)

    @classmethod
    def of(cls, entries: list[Any]) -> "Listing":
        return cls(len(entries), entries[:DIFF_LIMIT])

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "first": self.entries}


@dataclass(slots=True)
class TableComparison:
    """A node label or a relationship type, as each store holds it."""

    name: str
    left: Side
    right: Side
    only_left: Listing = field(default_factory=Listing)
    only_right: Listing = field(default_factory=Listing)
    differing: Listing = field(default_factory=Listing)  # {"id", "properties": [names that differ]}

    @property
    def agrees(self) -> bool:
        return self.left == self.right

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "agree": self.agrees,
            "left": {"count": self.left.count, "checksum": self.left.checksum},
            "right": {"count": self.right.count, "checksum": self.right.checksum},
            "only_left": self.only_left.to_dict(), "only_right": self.only_right.to_dict(),
            "differing": self.differing.to_dict(),
        }


@dataclass(slots=True)
class StoreComparison:
    left: str  # the stores, as displayed (never with a password)
    right: str
    labels: list[TableComparison]
    types: list[TableComparison]

    @property
    def agrees(self) -> bool:
        return all(table.agrees for table in self.labels + self.types)

    @property
    def disagreeing(self) -> list[TableComparison]:
        return [table for table in self.labels + self.types if not table.agrees]

    def to_dict(self) -> dict[str, Any]:
        return {"left": self.left, "right": self.right, "agree": self.agrees,
                "nodes": [t.to_dict() for t in self.labels], "edges": [t.to_dict() for t in self.types]}


def compare_stores(left: GraphStore, right: GraphStore, left_name: str, right_name: str) -> StoreComparison:
    """Every label but IndexMeta and every relationship type, read a table at a time from each store."""
    labels = [compare_rows(label, _node_rows(left, label), _node_rows(right, label)) for label in COMPARED_LABELS]
    types = [compare_rows(rel.name, _edge_rows(left, rel), _edge_rows(right, rel)) for rel in REL_TYPES]
    return StoreComparison(left_name, right_name, labels, types)


Rows = list[tuple[str, dict[str, Any]]]
"""A table's rows, each with what identifies it: a node's primary key, an edge's `from -> to`."""


def compare_rows(name: str, left: Rows, right: Rows) -> TableComparison:
    left_lines = {identity: _canonical(row) for identity, row in left}
    right_lines = {identity: _canonical(row) for identity, row in right}
    comparison = TableComparison(name, _side(left, left_lines), _side(right, right_lines))
    if comparison.agrees:
        return comparison
    comparison.only_left = Listing.of(sorted(left_lines.keys() - right_lines.keys()))
    comparison.only_right = Listing.of(sorted(right_lines.keys() - left_lines.keys()))
    left_rows, right_rows = dict(left), dict(right)
    differing = []
    for identity in sorted(left_lines.keys() & right_lines.keys()):
        if left_lines[identity] != right_lines[identity]:
            a, b = left_rows[identity], right_rows[identity]
            names = sorted(k for k in a.keys() | b.keys() if _canonical_value(a.get(k)) != _canonical_value(b.get(k)))
            differing.append({"id": identity, "properties": names})
    comparison.differing = Listing.of(differing)
    return comparison


def _node_rows(store: GraphStore, label: str) -> Rows:
    key = NODE_LABEL_BY_NAME[label].properties[0].name
    return [(row[key], row) for row in read_nodes(store, label)]


def _edge_rows(store: GraphStore, rel: RelType) -> Rows:
    rows = []
    for source, target in rel.pairs:
        for row in read_edges(store, (rel.name, source, target)):
            rows.append((f"{row['from']} -> {row['to']}", {"source": source, "target": target, **row}))
    return rows


def _side(rows: Rows, lines: dict[str, str]) -> Side:
    """The count of every row (a duplicated identity counts twice) and the checksum of them all."""
    every_line = sorted(_canonical(row) for _, row in rows) if len(lines) != len(rows) else sorted(lines.values())
    return Side(len(rows), hashlib.sha256("\n".join(every_line).encode("utf-8")).hexdigest())


def _canonical(row: dict[str, Any]) -> str:
    return json.dumps({k: _canonical_value(v) for k, v in row.items()}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _canonical_value(value: Any) -> Any:
    if isinstance(value, float):
        return float(format(value, f".{FLOAT_DIGITS}g"))
    return value
