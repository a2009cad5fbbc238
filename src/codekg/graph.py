"""The graph a run produces, as plain rows grouped for bulk loading, checked against the schema."""

from __future__ import annotations

import mmap
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    import pyarrow as pa

from codekg.schema import NODE_LABEL_BY_NAME, REL_TYPE_BY_NAME, PropType, node_arrow_schema, rel_arrow_schema

EMPTY_VALUES: dict[PropType, Any] = {  # what a property holds when it is not given
    PropType.STRING: "",
    PropType.INT64: 0,
    PropType.DOUBLE: 0.0,
    PropType.BOOLEAN: False,
    PropType.STRING_LIST: [],
}

class SchemaViolation(ValueError):
    """A node or edge the schema does not declare: the guard every producer's output passes."""


@dataclass(frozen=True, slots=True)
class _RowShape:
    """What a row of one label or type may hold, read from the schema once: a full build adds a
    hundred thousand rows, and each check walked the schema's tuples."""

    names: frozenset[str]
    defaults: tuple[tuple[str, Any], ...]  # (property, its empty value), in the schema's order
    pairs: frozenset[tuple[str, str]] = frozenset()

    @classmethod
    def of(cls, properties: tuple[Any, ...], pairs: tuple[tuple[str, str], ...] = ()) -> "_RowShape":
        return cls(frozenset(p.name for p in properties), tuple((p.name, EMPTY_VALUES[p.type]) for p in properties),
                   frozenset(pairs))


_NODE_SHAPES = {name: _RowShape.of(spec.properties) for name, spec in NODE_LABEL_BY_NAME.items()}
_EDGE_SHAPES = {name: _RowShape.of(spec.properties, spec.pairs) for name, spec in REL_TYPE_BY_NAME.items()}


EdgeKey = tuple[str, str, str]
"""(relationship type, source label, target label): one bulk-load table each."""


@dataclass(slots=True)
class Graph:
    """Nodes by label and edges by (type, source label, target label); each row a dict of properties."""

    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    edges: dict[EdgeKey, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def add_node(self, label: str, /, **properties: Any) -> str:
        """Add a node; missing properties get the schema's empty value. Returns its id."""
        shape = _NODE_SHAPES[label]
        unknown = properties.keys() - shape.names
        if unknown:
            raise SchemaViolation(f"{label} has no properties {sorted(unknown)}")
        row = {name: properties.get(name, empty) for name, empty in shape.defaults}
        self.nodes[label].append(row)
        return row[shape.defaults[0][0]]

    def add_edge(self, rel_type: str, source: tuple[str, str], target: tuple[str, str], /, **properties: Any) -> None:
        """Add an edge between (label, id) endpoints; the pair must be declared in the schema."""
        shape = _EDGE_SHAPES[rel_type]
        if (source[0], target[0]) not in shape.pairs:
            raise SchemaViolation(f"{rel_type} does not connect {source[0]} to {target[0]}")
        unknown = properties.keys() - shape.names
        if unknown:
            raise SchemaViolation(f"{rel_type} has no properties {sorted(unknown)}")
        row = {"from": source[1], "to": target[1]}
        for name, empty in shape.defaults:
            row[name] = properties.get(name, empty)
        self.edges[(rel_type, source[0], target[0])].append(row)

    @classmethod
    def combined(cls, *graphs: "Graph") -> "Graph":
        """One graph holding every row of ``graphs`` (they must not share node ids)."""
        result = cls()
        for graph in graphs:
            result.extend(graph)
        return result

    def extend(self, graph: "Graph") -> None:
        """Add every row of ``graph`` (the same row objects, not copies)."""
        for label, rows in graph.nodes.items():
            self.nodes[label].extend(rows)
        for key, rows in graph.edges.items():
            self.edges[key].extend(rows)

    def row_count(self) -> int:
        return sum(len(rows) for rows in self.nodes.values()) + sum(len(rows) for rows in self.edges.values())

    def without(self, rel_types: set[str]) -> "Graph":
        """The same nodes, and the edges of every type but ``rel_types``."""
        result = Graph()
        for label, rows in self.nodes.items():
            result.nodes[label].extend(rows)
        for key, rows in self.edges.items():
            if key[0] not in rel_types:
                result.edges[key].extend(rows)
        return result

    def to_tables(self) -> "GraphTables":
        """The same rows as Arrow tables, typed by the schema: compact, and what the bulk load reads."""
        import pyarrow as pa  # only a full build needs Arrow; importing it costs a re-run with no change

        return GraphTables(
            nodes={label: pa.Table.from_pylist(rows, schema=node_arrow_schema(label)) for label, rows in sorted(self.nodes.items()) if rows},
            edges={key: pa.Table.from_pylist(rows, schema=rel_arrow_schema(key[0])) for key, rows in sorted(self.edges.items()) if rows},
        )

    def node_counts(self) -> dict[str, int]:
        return {label: len(rows) for label, rows in sorted(self.nodes.items()) if rows}

    def edge_counts(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for (rel_type, _, _), rows in self.edges.items():
            if rows:
                counts[rel_type] += len(rows)
        return dict(sorted(counts.items()))


@dataclass(slots=True)
class GraphTables:
    """A graph as one Arrow table per node label and per (type, source label, target label)."""

    nodes: dict[str, "pa.Table"] = field(default_factory=dict)
    edges: dict[EdgeKey, "pa.Table"] = field(default_factory=dict)
    # a label or an edge key -> where its spilled rows lie: (the mapping, the offset, the length) of each part
    spans: dict[Any, list[tuple["mmap.mmap", int, int]]] = field(default_factory=dict)

    @classmethod
    def concatenated(cls, parts: list["GraphTables"]) -> "GraphTables":
        """One table per key holding the rows of every part, in order (chunked: no row is copied)."""
        import pyarrow as pa

        def joined(tables: list[dict[Any, "pa.Table"]]) -> dict[Any, "pa.Table"]:
            keys = sorted({key for part in tables for key in part})
            return {key: pa.concat_tables([part[key] for part in tables if key in part]) for key in keys}

        if len(parts) == 1:
            return parts[0]
        spans: dict[Any, list[tuple[mmap.mmap, int, int]]] = {}
        for part in parts:
            for key, where in part.spans.items():
                spans.setdefault(key, []).extend(where)
        return cls(joined([part.nodes for part in parts]), joined([part.edges for part in parts]), spans)

    def let_go(self, key: Any) -> None:
        """Tell the kernel that this process is done with the spilled rows of ``key`` (a label or an
        edge key) for now: their pages leave its resident memory, and a later read maps them in again
        from the file. A reader calls it after each table, so that a large load holds one table's pages
        at a time, not every table it read (4.2 GB at 100,000 files with all of them, §38). Tables
        held in the heap have no spans: nothing happens."""
        for mapping, start, length in self.spans.get(key, ()):
            first_page = start - start % mmap.PAGESIZE
            mapping.madvise(mmap.MADV_DONTNEED, first_page, start + length - first_page)

    def spilled(self, directory: Path) -> "GraphTables":
        """The same tables with their bytes out of this process's heap: written to a nameless file in
        ``directory`` (gone once unmapped, or when the process dies) and mapped back without a copy.
        The pages are then the file's: read in as a reader touches them, and the kernel's to drop
        again. A large full build holds its parts so until the load (passes/build_records.py)."""
        import tempfile

        import pyarrow as pa

        tables = [*(("node", key, table) for key, table in self.nodes.items()),
                  *(("edge", key, table) for key, table in self.edges.items())]
        if not tables:
            return self
        spans = []
        with tempfile.TemporaryFile(dir=directory, prefix="tables-") as spill:
            for _, _, table in tables:
                start = spill.tell()
                with pa.ipc.new_stream(spill, table.schema) as writer:
                    writer.write_table(table)
                end = spill.tell()
                spans.append((start, end - start))
                spill.write(bytes(-end % 64))  # each stream starts aligned, as Arrow's buffers expect
            spill.flush()
            mapping = mmap.mmap(spill.fileno(), 0, access=mmap.ACCESS_READ)
        mapped = pa.py_buffer(mapping)
        spilled = GraphTables()
        for (kind, key, _), (start, length) in zip(tables, spans):
            read = pa.ipc.open_stream(mapped.slice(start, length)).read_all()
            (spilled.nodes if kind == "node" else spilled.edges)[key] = read
            spilled.spans[key] = [(mapping, start, length)]
        return spilled


@dataclass(slots=True)
class GraphDelta:
    """What turns one graph into another: nodes and edges to delete, nodes to update, rows to add.

    An edge is identified by its type and endpoints; one whose properties changed is removed and
    added again. A node keeps its id, so a changed node is updated in place and its edges survive.
    ``changed_properties`` names what changed in each updated node and in each edge removed and added
    again: a store that can set those properties in place (stores/ladybug.py) writes only them, the
    others write the rows as they are. A body edit moves every symbol below it, and their edges'
    lines: in place, that is a few columns, not every column or a deleted and re-inserted edge.
    """

    removed_nodes: dict[str, list[str]] = field(default_factory=dict)  # label -> ids
    removed_edges: dict[EdgeKey, list[tuple[str, str]]] = field(default_factory=dict)  # -> (from, to)
    updated_nodes: Graph = field(default_factory=Graph)
    added: Graph = field(default_factory=Graph)
    # label -> node id -> property names; EdgeKey -> (from, to) -> property names
    changed_properties: dict[Any, dict[Any, tuple[str, ...]]] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "nodes_added": sum(len(rows) for rows in self.added.nodes.values()),
            "nodes_removed": sum(len(ids) for ids in self.removed_nodes.values()),
            "nodes_updated": sum(len(rows) for rows in self.updated_nodes.nodes.values()),
            "edges_added": sum(len(rows) for rows in self.added.edges.values()),
            "edges_removed": sum(len(pairs) for pairs in self.removed_edges.values()),
        }

    def __bool__(self) -> bool:
        return any(self.counts().values())


def graph_delta(old: Graph, new: Graph) -> GraphDelta:
    """The delta from ``old`` to ``new`` (both may be the changed region of a larger graph)."""
    delta = GraphDelta()
    for label in sorted(old.nodes.keys() | new.nodes.keys()):
        key = NODE_LABEL_BY_NAME[label].properties[0].name
        before = {row[key]: row for row in old.nodes.get(label, ())}
        after = {row[key]: row for row in new.nodes.get(label, ())}
        removed = sorted(before.keys() - after.keys())
        if removed:
            delta.removed_nodes[label] = removed
        for node_id, row in after.items():
            previous = before.get(node_id)
            if previous is None:
                delta.added.nodes[label].append(row)
            elif previous != row:
                delta.updated_nodes.nodes[label].append(row)
                delta.changed_properties.setdefault(label, {})[node_id] = _changed(previous, row)
    for edge_key in sorted(old.edges.keys() | new.edges.keys()):
        before = {(row["from"], row["to"]): row for row in old.edges.get(edge_key, ())}
        after = {(row["from"], row["to"]): row for row in new.edges.get(edge_key, ())}
        removed = [pair for pair, row in before.items() if after.get(pair) != row]
        if removed:
            delta.removed_edges[edge_key] = sorted(removed)
        added = [row for pair, row in after.items() if before.get(pair) != row]
        if added:
            delta.added.edges[edge_key].extend(added)
        changed = {pair: _changed(before[pair], row) for pair, row in after.items() if pair in before and before[pair] != row}
        if changed:
            delta.changed_properties[edge_key] = changed
    return delta


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    """The properties of one row whose values differ, one missing on either side included."""
    return tuple(name for name in {**before, **after} if before.get(name, _MISSING) != after.get(name, _MISSING))


_MISSING = object()
