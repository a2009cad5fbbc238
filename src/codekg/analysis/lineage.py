"""SQL lineage on the index: what feeds a table or column (upstream) and what it feeds (downstream).

A column follows DERIVES_FROM edges (a target column points at its sources); a table or view
follows statements: the ones that write it (WRITES_TO) read their sources (READS_FROM), and the ones
that read it write what it feeds. Every hop names the statement that makes it, with its file and
line, and the code that runs the statement (RUNS_SQL). Read through the query layer (stores/reads.py),
one level at a time, so each store answers it.
"""

from __future__ import annotations

import difflib
from typing import Any

from codekg.errors import InputError, SymbolNotFoundError
from codekg.stores.reads import IN, OUT, Expansion, Step

DEFAULT_SCHEMA = "<default>"
DIRECTIONS = ("both", "upstream", "downstream")


def find_sql_object(store: Any, name: str) -> dict[str, str] | None:
    """The table, view or column called ``name`` (`schema.table`, `schema.table.column`; a name
    without a schema is looked up under `<default>` too), or None."""
    candidates = [name, f"{DEFAULT_SCHEMA}.{name}"]
    for label in ("Table", "View", "Column"):
        rows = store.reads.nodes(label, where={"qualified_name": candidates}, columns=("id", "qualified_name"))
        if rows:
            exact = [row for row in rows if row[1] == name] or rows
            return {"id": exact[0][0], "name": exact[0][1], "kind": label.lower()}
    return None


def sql_lineage(store: Any, name: str, direction: str = "both", depth: int = 3) -> dict[str, Any]:
    """The lineage of table, view or column ``name`` to ``depth`` hops each way ``direction`` says."""
    if not name.strip():
        raise InputError("no table, view or column given: pass schema.table or schema.table.column")
    found = find_sql_object(store, name)
    if found is None:
        raise SymbolNotFoundError(_not_found_message(store, name))
    result: dict[str, Any] = {**found, "upstream": [], "downstream": []}
    walk = _column_hops if found["kind"] == "column" else _relation_hops
    for way in ("upstream", "downstream"):
        if direction in ("both", way):
            result[way] = walk(store, found["id"], found["name"], way, depth)
    statement_ids = sorted({hop["statement"]["id"] for way in ("upstream", "downstream") for hop in result[way]})
    runners = _runners(store, statement_ids)
    for way in ("upstream", "downstream"):
        for hop in result[way]:
            hop["statement"]["run_by"] = runners.get(hop["statement"]["id"], [])
    return result


_STATEMENT_COLUMNS = ("id", "file_path", "start_line", "operation")


def _column_hops(store: Any, start: str, start_name: str, way: str, depth: int) -> list[dict[str, Any]]:
    """DERIVES_FROM, one level at a time (a target column points at its sources), each hop with the
    statement its edge names (a hop whose statement is not in the index is left out)."""
    step = Step("derives", ("DERIVES_FROM",), OUT if way == "upstream" else IN, labels=("Column",),
                edge_columns=("expression", "reason", "confidence", "statement"))
    hops, seen, frontier = [], {start}, [start]
    names = {start: start_name}  # qualified names of the nodes reached, for each hop's `via`
    for level in range(1, depth + 1):
        if not frontier:
            break
        found = store.reads.neighbours([Expansion(frontier, [step], "Column")], ("id", "qualified_name"))
        statements = _statements(store, sorted({n.edge["statement"] for n in found if n.edge["statement"] is not None}))
        rows = sorted(((n, statements[n.edge["statement"]]) for n in found if n.edge["statement"] in statements),
                      key=lambda pair: (pair[0].node[1], pair[1]["id"]))
        frontier = []
        for neighbour, statement in rows:
            node_id, qualified = neighbour.node
            edge = neighbour.edge
            hops.append({"depth": level, "name": qualified, "kind": "column", "via": names.get(neighbour.near),
                         "expression": edge["expression"], "reason": edge["reason"], "confidence": edge["confidence"],
                         "statement": dict(statement)})
            names.setdefault(node_id, qualified)
            if node_id not in seen:
                seen.add(node_id)
                frontier.append(node_id)
    return hops


def _relation_hops(store: Any, start: str, start_name: str, way: str, depth: int) -> list[dict[str, Any]]:
    # upstream: the statements that write it, and what they read; downstream: the ones that read it, and what they write
    first, second = ("WRITES_TO", "READS_FROM") if way == "upstream" else ("READS_FROM", "WRITES_TO")
    into = Step("statements", (first,), IN, labels=("SqlStatement",))
    out_of = Step("relations", (second,), OUT)
    hops, seen, frontier = [], {start}, [start]
    names = {start: start_name}  # qualified names of the nodes reached, for each hop's `via`
    for level in range(1, depth + 1):
        if not frontier:
            break
        statements = store.reads.neighbours([Expansion(frontier, [into])], _STATEMENT_COLUMNS)
        reached: dict[str, list[tuple[str, str]]] = {}
        for n in store.reads.neighbours([Expansion(sorted({s.node[0] for s in statements}), [out_of], "SqlStatement")],
                                        ("id", "qualified_name")):
            reached.setdefault(n.near, []).append(n.node)
        rows = sorted(((s, relation) for s in statements for relation in reached.get(s.node[0], ()) if relation[0] != s.near),
                      key=lambda pair: (pair[1][1], pair[0].node[0]))
        frontier = []
        for statement, (node_id, qualified) in rows:
            kind = node_id.split(":", 1)[0].lower()
            hops.append({"depth": level, "name": qualified, "kind": kind, "via": names.get(statement.near),
                         "statement": dict(zip(("id", "file", "line", "operation"), statement.node))})
            names.setdefault(node_id, qualified)
            if node_id not in seen:
                seen.add(node_id)
                frontier.append(node_id)
    return hops


def _statements(store: Any, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The SqlStatements with ``ids``, each as a hop shows it: id, file, line and operation."""
    if not ids:
        return {}
    rows = store.reads.nodes("SqlStatement", where={"id": ids}, columns=_STATEMENT_COLUMNS)
    return {row[0]: dict(zip(("id", "file", "line", "operation"), row)) for row in rows}


def _runners(store: Any, statement_ids: list[str]) -> dict[str, list[str]]:
    """The code that runs each statement (RUNS_SQL): qualified names of functions, methods, modules."""
    if not statement_ids:
        return {}
    runs = store.reads.neighbours([Expansion(statement_ids, [Step("runners", ("RUNS_SQL",), IN)], "SqlStatement")],
                                  ("qualified_name",))
    found: dict[str, list[str]] = {}
    for n in sorted(runs, key=lambda n: n.node[0]):
        found.setdefault(n.near, []).append(n.node[0])
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
    read = store.reads.neighbours([Expansion(relations, [Step("readers", ("READS_FROM",), IN, labels=("SqlStatement",))])],
                                  _STATEMENT_COLUMNS)
    readers = sorted((*n.node, n.near) for n in read)
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
    ids = [row[0] for row in store.reads.nodes("Column", where={"qualified_name": columns}, columns=("id",))]
    if not ids:
        return []
    holders = store.reads.neighbours([Expansion(ids, [Step("holders", ("CONTAINS",), IN)], "Column")], ("id",))
    return sorted({n.node[0] for n in holders})


def _not_found_message(store: Any, name: str) -> str:
    names = [row[0] for label in ("Table", "View") for row in store.reads.nodes(label, columns=("qualified_name",))]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6) or difflib.get_close_matches(
        f"{DEFAULT_SCHEMA}.{name}", names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else " (names are schema.table or schema.table.column)"
    return f"no table, view or column named {name!r} in the index{hint}"
