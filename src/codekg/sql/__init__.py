"""SQL lineage: which tables and columns each statement reads and writes (sqlglot underneath).

`dialects.py` names the dialects, `statements.py` splits a script and reads each statement,
`columns.py` follows a query's output columns back to table columns, `script.py` joins the
statements of one script into its lineage. The extractor for `.sql` files is languages/sql.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from codekg.records import SqlStatement


def statement_ids(path: str, statements: Iterable[SqlStatement]) -> list[str]:
    """The node id of each statement of ``path``, in order: `SqlStatement:<path>:<line>`, and `#2`,
    `#3`… for a second and third statement on one line."""
    ids, seen = [], {}
    for statement in statements:
        node_id = f"SqlStatement:{path}:{statement.line}"
        seen[node_id] = seen.get(node_id, 0) + 1
        ids.append(node_id if seen[node_id] == 1 else f"{node_id}#{seen[node_id]}")
    return ids


def created_relations(statements: Iterable[SqlStatement]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(relation, "view" or "table", its columns when known) for each relation the statements create."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for statement in statements:
        operation = statement.operation
        if not (operation.startswith(("create_", "declare_")) or operation in ("select_into", "cache")):
            continue
        kind = "view" if operation.endswith("_view") else "table"
        columns = dict(statement.declared)
        for name in statement.writes:
            known = columns.get(name, ())
            if name not in found or (known and not found[name][1]):
                found[name] = (kind if name not in found else found[name][0], known)
    return [(name, kind, columns) for name, (kind, columns) in found.items()]
