"""SQL lineage on the index: what feeds a table or column (upstream) and what it feeds (downstream).

A column follows DERIVES_FROM edges (a target column points at its sources); a table or view
follows statements: the ones that write it (WRITES_TO) read their sources (READS_FROM), and the ones
that read it write what it feeds. Every hop names the statement that makes it, with its file and
line, and the code that runs the statement (RUNS_SQL). One query per hop, so each store answers it.
"""

from __future__ import annotations

import difflib
from typing import Any

from codekg.errors import SymbolNotFoundError
from codekg.schema import cypher_label

DEFAULT_SCHEMA = "<default>"
DIRECTIONS = ("both", "upstream", "downstream")


def find_sql_object(store: Any, name: str) -> dict[str, str] | None:
    """The table, view or column called ``name`` (`schema.table`, `schema.table.column`; a name
    without a schema is looked up under `<default>` too), or None."""
    candidates = [name, f"{DEFAULT_SCHEMA}.{name}"]
    for label in ("Table", "View", "Column"):
        rows = store.query(f"MATCH (n:{cypher_label(label)}) WHERE n.qualified_name IN $names RETURN n.id, n.qualified_name",
                           {"names": candidates}).rows
        if rows:
            exact = [row for row in rows if row[1] == name] or rows
            return {"id": exact[0][0], "name": exact[0][1], "kind": label.lower()}
    return None


def sql_lineage(store: Any, name: str, direction: str = "both", depth: int = 3) -> dict[str, Any]:
    """The lineage of table, view or column ``name`` to ``depth`` hops each way ``direction`` says."""
    found = find_sql_object(store, name)
    if found is None:
        raise SymbolNotFoundError(_not_found_message(store, name))
    result: dict[str, Any] = {**found, "upstream": [], "downstream": []}
    walk = _column_hops if found["kind"] == "column" else _relation_hops
    for way in ("upstream", "downstream"):
        if direction in ("both", way):
            result[way] = walk(store, found["id"], way, depth)
    statement_ids = sorted({hop["statement"]["id"] for way in ("upstream", "downstream") for hop in result[way]})
    runners = _runners(store, statement_ids)
    for way in ("upstream", "downstream"):
        for hop in result[way]:
            hop["statement"]["run_by"] = runners.get(hop["statement"]["id"], [])
    return result


def _column_hops(store: Any, start: str, way: str, depth: int) -> list[dict[str, Any]]:
    pattern = ("(a:`Column`)-[d:DERIVES_FROM]->(b:`Column`)" if way == "upstream"
               else "(b:`Column`)-[d:DERIVES_FROM]->(a:`Column`)")
    hops, seen, frontier = [], {start}, [start]
    for level in range(1, depth + 1):
        if not frontier:
            break
        rows = store.query(
            f"MATCH {pattern} WHERE a.id IN $ids MATCH (s:SqlStatement) WHERE s.id = d.statement "
            "RETURN a.qualified_name, b.id, b.qualified_name, d.expression, d.reason, d.confidence, "
            "s.id, s.file_path, s.start_line, s.operation ORDER BY b.qualified_name, s.id",
            {"ids": frontier}).rows
        frontier = []
        for via, node_id, qualified, expression, reason, confidence, statement, path, line, operation in rows:
            hops.append({"depth": level, "name": qualified, "kind": "column", "via": via, "expression": expression,
                         "reason": reason, "confidence": confidence,
                         "statement": {"id": statement, "file": path, "line": line, "operation": operation}})
            if node_id not in seen:
                seen.add(node_id)
                frontier.append(node_id)
    return hops


def _relation_hops(store: Any, start: str, way: str, depth: int) -> list[dict[str, Any]]:
    # upstream: the statements that write it, and what they read; downstream: the ones that read it, and what they write
    first, second = ("WRITES_TO", "READS_FROM") if way == "upstream" else ("READS_FROM", "WRITES_TO")
    hops, seen, frontier = [], {start}, [start]
    for level in range(1, depth + 1):
        if not frontier:
            break
        rows = store.query(
            f"MATCH (s:SqlStatement)-[:{first}]->(a) WHERE a.id IN $ids "
            f"MATCH (s)-[:{second}]->(b) WHERE b.id <> a.id "
            "RETURN a.qualified_name, b.id, b.qualified_name, s.id, s.file_path, s.start_line, s.operation "
            "ORDER BY b.qualified_name, s.id", {"ids": frontier}).rows
        frontier = []
        for via, node_id, qualified, statement, path, line, operation in rows:
            kind = node_id.split(":", 1)[0].lower()
            hops.append({"depth": level, "name": qualified, "kind": kind, "via": via,
                         "statement": {"id": statement, "file": path, "line": line, "operation": operation}})
            if node_id not in seen:
                seen.add(node_id)
                frontier.append(node_id)
    return hops


def _runners(store: Any, statement_ids: list[str]) -> dict[str, list[str]]:
    """The code that runs each statement (RUNS_SQL): qualified names of functions, methods, modules."""
    if not statement_ids:
        return {}
    rows = store.query("MATCH (f)-[:RUNS_SQL]->(s:SqlStatement) WHERE s.id IN $ids RETURN s.id, f.qualified_name "
                       "ORDER BY f.qualified_name", {"ids": statement_ids}).rows
    found: dict[str, list[str]] = {}
    for statement, runner in rows:
        found.setdefault(statement, []).append(runner)
    return found


def column_impact(store: Any, name: str, depth: int = 3) -> dict[str, Any]:
    """What depends on table, view or column ``name``: the downstream columns (or tables), the
    statements that derive them or read it (with `reads`: the ids of those tables and views each
    reads), and the code that runs those statements."""
    lineage = sql_lineage(store, name, "downstream", depth)
    found = find_sql_object(store, name)
    assert found is not None
    if found["kind"] == "column":  # the tables of the column and of every column it feeds
        relations = _relations_of(store, [found["name"], *(hop["name"] for hop in lineage["downstream"])])
    else:
        relations = [found["id"], *(f"{hop['kind'].capitalize()}:{hop['name']}" for hop in lineage["downstream"])]
    readers = store.query("MATCH (s:SqlStatement)-[:READS_FROM]->(t) WHERE t.id IN $ids "
                          "RETURN s.id, s.file_path, s.start_line, s.operation, t.id ORDER BY s.id, t.id", {"ids": relations}).rows
    statements = {hop["statement"]["id"]: hop["statement"] for hop in lineage["downstream"]}
    for statement, path, line, operation, relation in readers:
        entry = statements.setdefault(statement, {"id": statement, "file": path, "line": line, "operation": operation})
        entry.setdefault("reads", []).append(relation)  # the ids of the tables and views it reads of those
    runners = _runners(store, sorted(statements))
    for statement in statements.values():
        statement["run_by"] = runners.get(statement["id"], [])
    return {"name": lineage["name"], "kind": lineage["kind"], "id": lineage["id"],
            "downstream": lineage["downstream"],
            "statements": [statements[key] for key in sorted(statements)],
            "code": sorted({runner for statement in statements.values() for runner in statement["run_by"]})}


def _relations_of(store: Any, columns: list[str]) -> list[str]:
    """The ids of the tables and views that hold ``columns`` (qualified names)."""
    rows = store.query("MATCH (t)-[:CONTAINS]->(c:`Column`) WHERE c.qualified_name IN $names RETURN DISTINCT t.id",
                       {"names": columns}).rows
    return sorted(row[0] for row in rows)


def _not_found_message(store: Any, name: str) -> str:
    names = [row[0] for label in ("Table", "View") for row in
             store.query(f"MATCH (n:{cypher_label(label)}) RETURN n.qualified_name").rows]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6) or difflib.get_close_matches(
        f"{DEFAULT_SCHEMA}.{name}", names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else " (names are schema.table or schema.table.column)"
    return f"no table, view or column named {name!r} in the index{hint}"
