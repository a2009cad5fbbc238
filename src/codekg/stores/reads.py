"""The query layer: the few named reads every reader of the graph is written with.

Analysis, search, the service, the call graph, the HTTP API and the MCP server read the graph only
through `store.reads`, a `GraphReads`. Its primitives take plain Python values and return plain
records; no query text, label call or dialect crosses it, so a store whose language is not Cypher
(CozoScript) serves every reader by implementing these six methods. `CypherReads`
(stores/reads_cypher.py) implements them for every Cypher store: the embedded Ladybug store,
FalkorDB, Neo4j and Memgraph. A user's own query (`codekg query`, `POST /query`, the MCP `query`
tool) is not a read of this layer: it stays in the store's own language.

The model underneath every read:
- **nodes**: the nodes of some labels (or of any) whose properties equal a value or lie in a list,
  optionally holding a source line; one tuple per node with the columns asked for.
- **neighbours**: from a set of nodes, the steps to take (relationship types, direction, the
  neighbour's labels, a minimum confidence); one `Neighbour` per edge followed, with the near
  node's id, the neighbour's columns and the edge's properties. Every traversal (context, impact,
  references, paths, call neighbourhoods, lineage, the call graph, search's graph expansion) is
  this, one level at a time.
- **metadata** (the IndexMeta key/value pairs) and **counts** (per label, per relationship type,
  per value of a column).

Columns are property names, plus `label`: the node's label (not a property of that name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

LABEL = "label"  # the column that is the node's label
NODE_COLUMNS = (LABEL, "id", "name", "qualified_name", "file_path", "start_line", "end_line")  # a located symbol
OUT, IN = "out", "in"

Filter = Mapping[str, Any]
"""Property name -> the value it equals, or a list, tuple, set or frozenset of the values it may take.
Every condition of one filter must hold; of a sequence of filters, any one."""


@dataclass(frozen=True, slots=True)
class Step:
    """One kind of edge to follow from a node: ``rel_types`` leaving it (`out`) or entering it (`in`).

    ``labels``: the neighbour's label is one of these (empty: any); ``exclude_labels``: it is none of
    these. ``min_confidence``: only edges whose `confidence` is at least this. ``edge_columns``: the
    edge properties to return. ``then`` (relationship type, label): the neighbour is not the node
    the edge reaches but the node of that label it points at by one more edge of that type; `IMPORTS`
    to a File then `DEFINES` to a Module shows an imported file as its module. ``kind`` is the
    caller's name for what the step finds, returned with each neighbour it finds."""

    kind: str
    rel_types: tuple[str, ...]
    direction: str = OUT
    labels: tuple[str, ...] = ()
    exclude_labels: tuple[str, ...] = ()
    min_confidence: float | None = None
    edge_columns: tuple[str, ...] = ()
    then: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Expansion:
    """The ``steps`` to take from the nodes with ``ids`` (None: from every node), all of ``label``
    when it is given (a store may use it to find them by key), or of one of several labels."""

    ids: Sequence[str] | None
    steps: Sequence[Step]
    label: str | tuple[str, ...] | None = None


class Neighbour(NamedTuple):
    """One edge a step followed: ``near`` is the id of the node it left from, ``relation`` the edge's
    type, ``node`` the neighbour's columns in the order asked for, ``edge`` the properties any step
    of the read asked for (None where this edge's step did not ask for one, or the edge lacks it)."""

    kind: str
    near: str
    relation: str
    node: tuple[Any, ...]
    edge: Mapping[str, Any]


class GraphReads(Protocol):
    """The read primitives of one store (see the module docstring)."""

    def nodes(self, labels: str | Sequence[str] | None = None, where: Filter | Sequence[Filter] = (),
              columns: Sequence[str] = NODE_COLUMNS, holding_line: int | None = None,
              distinct: bool = False) -> list[tuple[Any, ...]]:
        """The nodes of ``labels`` (None: every label) that match ``where`` (no filter: all of them) and,
        with ``holding_line``, whose `start_line` .. `end_line` hold it; one tuple of ``columns`` per
        node, in no particular order, each distinct tuple once with ``distinct``."""

    def neighbours(self, expansions: Sequence[Expansion], columns: Sequence[str] = NODE_COLUMNS) -> list[Neighbour]:
        """Every edge each expansion's steps follow, the neighbours with ``columns``, in no particular order."""

    def metadata(self, keys: Sequence[str] | None = None) -> dict[str, str]:
        """The IndexMeta values by key: of ``keys`` only (those present), or all of them."""

    def count_nodes(self, label: str) -> int:
        """How many nodes ``label`` has."""

    def count_edges(self, rel_type: str) -> int:
        """How many edges of ``rel_type`` there are."""

    def count_values(self, label: str, column: str) -> dict[Any, int]:
        """The nodes of ``label`` counted by their value of ``column``, in the order of the values."""
