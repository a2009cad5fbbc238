"""A full build's records on their way to the state and the load, in bounded memory.

Each file's structure (its node rows, as dicts) is made by the structure pass and its record (its
parse and symbols, its derived edges) as the file is resolved. A small repository keeps them all:
its state is written beside the load, in time the load leaves free. A large one cannot: at 100,000
files they were 7 GB when the load started (docs/benchmarks.md §31). So once what is held reaches
the `record_buffer_rows` setting (250,000 graph rows by default: more than pydantic's or fastapi's
whole graph, so their runs are as before), it is written ahead into the state's open transaction (a
file's nodes first, its record's row completed later), the rows become Arrow tables, spilled to a
nameless file beside the index and mapped back (GraphTables.spilled: at 100,000 files about 1.2 GB
that is then the file's pages, not the heap's), and it is let go; the load reads the Arrow parts as
one chunked table per key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from codekg.graph import Graph, GraphTables
from codekg.index_state import FileRecord, FileStat, FileSummary, IndexState
from codekg.passes.structure import FileStructure


class BuildRecords:
    """The structures and records of one full build: held up to ``limit_rows`` graph rows, then
    written ahead. ``part`` picks the rows the load takes from here (a value flow under way has
    loaded the others already, pipeline.py)."""

    def __init__(self, state: IndexState, limit_rows: int, scratch: Path | None = None) -> None:
        self.state, self.limit_rows = state, limit_rows
        self.scratch = scratch  # where the Arrow parts written ahead are spilled (GraphTables.spilled); None: held
        self.part: Callable[[Graph], Graph] = lambda graph: graph
        self.held: dict[str, FileRecord] = {}  # not written yet: the state's writer takes them beside the load
        self.summaries: dict[str, FileSummary] = {}  # every file's, written or not
        self.written_ahead = 0  # files whose record was written ahead
        self.rows_added = 0  # graph rows added so far, held or written ahead
        self.seconds_written_ahead = 0.0  # the state's time spent here, not beside the load
        self._structures: dict[str, tuple[FileStat, FileStructure]] = {}  # their rows added, their record to come
        self._rows = Graph()
        self._row_count = 0
        self._tables: list[GraphTables] = []

    def add_graph(self, graph: Graph) -> None:
        """Rows that belong to no file's record (the project's folders, the shared nodes)."""
        self._rows.extend(graph)
        rows = graph.row_count()
        self._row_count += rows
        self.rows_added += rows

    def add_structure(self, path: str, stat: FileStat, structure: FileStructure) -> None:
        """A file's nodes, ahead of its record; once written ahead, ``structure.graph`` is None."""
        assert structure.graph is not None
        self._structures[path] = (stat, structure)
        self.add_graph(structure.graph)
        self._write_ahead_when_full()

    def add(self, path: str, record: FileRecord) -> None:
        self.held[path] = record
        self.summaries[path] = record.summary
        if self._structures.pop(path, None) is None and record.nodes is not None:  # its nodes not added yet
            self.add_graph(record.nodes)
        self.add_graph(record.edges)
        self._write_ahead_when_full()

    def tables(self) -> GraphTables:
        """Every row added, as Arrow tables: the parts written ahead, then the rows still held."""
        self._convert_rows()
        tables, self._tables = GraphTables.concatenated(self._tables), []
        return tables

    def _convert_rows(self, spill: bool = False) -> None:
        """The rows held become the next Arrow part (of the load's ``part``, spilled out of the heap
        with ``spill``), and are let go."""
        tables = self.part(self._rows).to_tables()
        self._rows, self._row_count = Graph(), 0
        self._tables.append(tables.spilled(self.scratch) if spill and self.scratch is not None else tables)

    def _write_ahead_when_full(self) -> None:
        if self._row_count < self.limit_rows:
            return
        self._convert_rows(spill=True)
        nodes: dict[str, tuple[FileStat, Graph]] = {}
        for path, (stat, structure) in self._structures.items():
            assert structure.graph is not None
            nodes[path], structure.graph = (stat, structure.graph), None
        self._structures = {}
        self.written_ahead += len(self.held)
        started = time.perf_counter()
        self.state.write_ahead(self.held, nodes)  # empties both
        self.seconds_written_ahead += time.perf_counter() - started
