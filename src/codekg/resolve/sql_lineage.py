"""SQL lineage edges of one file: what each of its statements reads and writes, column by column.

A statement's tables and columns were read with the statement (codekg/sql); here they meet the
rest of the repository: whether a name is a view (some file creates it as one) and which columns
a `SELECT *` stands for (some file declares them) are asked of the symbol index, so a change to
the file that creates a relation re-resolves the files that use it (the `sql-relation` key).

Tables, views, columns, schemas and databases are shared nodes, and DERIVES_FROM edges between
columns are shared edges (two files may derive the same pair): every file lists the ones it needs
(`FileResolution.shared`) and each is made once for the whole index (passes/resolve.py,
`shared_nodes`), so a file's change or removal never takes away what another file still gives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from codekg.graph import Graph
from codekg.records import SqlStatement
from codekg.resolve.symbols import FileSymbols, SymbolIndex
from codekg.sql import statement_ids

STAR = "*"
COLUMN_CONFIDENCE = 1.0
STAR_CONFIDENCE = 0.9  # a `*` expanded with columns declared elsewhere: the table may have changed since


def shared_edge_key(rel_type: str, source_id: str, target_id: str) -> str:
    """How a shared edge is listed in `FileResolution.shared` (ids never hold a NUL)."""
    return f"{rel_type}\x00{source_id}\x00{target_id}"


def shared_edge_parts(key: str) -> tuple[str, str, str]:
    """(relationship type, source id, target id) of a key made by `shared_edge_key`."""
    rel_type, source_id, target_id = key.split("\x00")
    return rel_type, source_id, target_id


def relation_id(label: str, relation: str) -> str:
    return f"{label}:{relation}"


def column_id(relation: str, column: str) -> str:
    return f"Column:{relation}:{column}"


def column_parts(node_id: str) -> tuple[str, str]:
    """(relation, column) of an id made by `column_id` (a relation name holds no colon)."""
    relation, column = node_id.removeprefix("Column:").split(":", 1)
    return relation, column


def resolve_file_sql(symbols: SymbolIndex, file_symbols: FileSymbols, graph: Graph,
                     shared: dict[str, Any], warnings: list[dict[str, str]]) -> None:
    """Add the READS_FROM and WRITES_TO edges of the file's statements to ``graph``; the shared
    nodes they touch and the DERIVES_FROM edges go to ``shared``."""
    statements = file_symbols.parse.sql
    if not statements:
        return
    labels: dict[str, str] = {}

    def relation(name: str) -> tuple[str, str]:
        if name not in labels:
            creators = symbols.sql_relations.get(name) or []
            labels[name] = "View" if any(kind == "view" for _, kind, _ in creators) else "Table"
        endpoint = (labels[name], relation_id(labels[name], name))
        shared[endpoint[1]] = name
        return endpoint

    def column(relation_name: str, name: str) -> tuple[str, str]:
        relation(relation_name)
        node_id = column_id(relation_name, name)
        shared[node_id] = f"{relation_name}.{name}"
        return ("Column", node_id)

    for statement, node_id in zip(statements, statement_ids(file_symbols.parse.path, statements)):
        if statement.error:
            continue
        source = ("SqlStatement", node_id)
        for name in statement.reads:
            graph.add_edge("READS_FROM", source, relation(name), confidence=1.0, reason="sql-read", line=statement.line)
        for name in statement.writes:
            graph.add_edge("WRITES_TO", source, relation(name), operation=statement.operation, confidence=1.0,
                           reason="sql-write", line=statement.line)
        unplaced = _add_column_edges(symbols, statement, node_id, shared, column)
        if unplaced:
            warnings.append({"pass": "resolve", "kind": "sql-unplaced-column", "message": (
                f"line {statement.line}: column(s) {', '.join(sorted(unplaced))} read with several tables in scope "
                "and no declaration to tell which: no DERIVES_FROM edge for them")})


def _add_column_edges(symbols: SymbolIndex, statement: SqlStatement, node_id: str, shared: dict[str, Any],
                      column: Callable[[str, str], tuple[str, str]]) -> set[str]:
    """DERIVES_FROM target column -> source column for each pair of ``statement``; returns the
    source columns that no table could be given (written bare)."""
    unplaced: set[str] = set()
    seen: set[tuple[str, str]] = set()
    relations = sorted({*statement.reads, *statement.writes}, key=len, reverse=True)
    for source, target, expression in statement.columns:
        if not source:
            continue  # written from a constant
        source_relation, source_column = _split(source, relations)
        target_relation, target_column = _split(target, relations)
        if not source_relation or not target_relation:
            unplaced.add(source)
            continue
        pairs = [(source_relation, source_column, target_relation, target_column, "sql-column", COLUMN_CONFIDENCE)]
        if source_column == STAR and target_column == STAR:
            declared = _declared_columns(symbols, source_relation)
            if declared:
                pairs = [(source_relation, name, target_relation, name, "sql-star", STAR_CONFIDENCE) for name in declared]
        for from_relation, from_column, to_relation, to_column, reason, confidence in pairs:
            if (from_relation + "." + from_column, to_relation + "." + to_column) in seen:
                continue
            seen.add((from_relation + "." + from_column, to_relation + "." + to_column))
            key = shared_edge_key("DERIVES_FROM", column(to_relation, to_column)[1], column(from_relation, from_column)[1])
            if key not in shared:  # the file's first statement deriving the pair speaks for it
                shared[key] = {"expression": expression[:500], "statement": node_id, "confidence": confidence,
                               "reason": reason, "line": statement.line}
    return unplaced


def _split(column: str, relations: list[str]) -> tuple[str, str]:
    """(relation, column name) of a statement's column: the longest of its relations that prefixes
    it (a column named by its SQL text may hold dots: `t.max(o.amount)`); ("", column) if none."""
    for relation in relations:
        if column.startswith(relation + "."):
            return relation, column[len(relation) + 1:]
    return "", column


def _declared_columns(symbols: SymbolIndex, relation: str) -> tuple[str, ...]:
    """The columns some file of the repository declares for ``relation`` (the first that does)."""
    for _, _, columns in symbols.sql_relations.get(relation) or []:
        if columns:
            return columns
    return ()
