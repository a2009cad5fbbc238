"""Write-clause detection for Cypher sent to a read-only interface (the HTTP API, the MCP server).

Takes: a query string. Returns: the first write clause it contains (`None` for a read query).
The query is tokenized, so keywords inside string literals, backtick identifiers and comments do not
count, and only whole words do (`n.set_x` is a property, not SET). A keyword used as a property key
(`n.create`, `{set: 1}`), label (`:Delete`) or parameter (`$merge`) is an identifier, not a clause.
A false alarm costs a 403 the user can work around (rename a variable that is called `set`); a
missed clause would be worse, so anything unknown after CALL is treated as a write.
This is the first line of defence: the database is opened read-only as well.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Clauses that change the database, its schema, its settings or files outside it, or load code.
# LOAD FROM reads arbitrary files and COPY … TO writes them: neither belongs on a query endpoint.
WRITE_KEYWORDS = frozenset({
    "CREATE", "MERGE", "SET", "DELETE", "DETACH", "REMOVE", "DROP", "ALTER", "COPY", "LOAD", "INSTALL",
    "UNINSTALL", "UPDATE", "ATTACH", "USE", "IMPORT", "EXPORT", "CHECKPOINT", "BEGIN", "COMMIT", "ROLLBACK",
})

# Procedures (table functions) that only read; any other CALL target is refused, and so is
# `CALL name = value`, which changes a database setting.
READ_ONLY_PROCEDURES = frozenset({
    "show_tables", "table_info", "show_connection", "db_version", "current_setting", "show_functions",
    "show_warnings", "show_indexes", "show_projected_graphs", "show_attached_databases",
    "show_loaded_extensions", "show_official_extensions", "show_sequences", "show_macros", "storage_info",
    "query_fts_index", "query_vector_index",
})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^'\\]|\\.)*(?:'|\Z)|"(?:[^"\\]|\\.)*(?:"|\Z))
    | (?P<backtick>`(?:[^`]|``)*(?:`|\Z))
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<symbol>.)
    """,
    re.VERBOSE | re.DOTALL,
)


def _significant_tokens(cypher: str) -> Iterator[tuple[str, str]]:
    """(kind, text) for each token that is not whitespace or a comment."""
    for match in _TOKEN.finditer(cypher):
        kind = match.lastgroup or "symbol"
        if kind not in ("space", "line_comment", "block_comment"):
            yield kind, match.group()


def find_write_clause(cypher: str) -> str | None:
    """The first write clause in ``cypher`` (e.g. ``"CREATE"``, ``"CALL create_fts_index"``), or None."""
    tokens = list(_significant_tokens(cypher))
    for position, (kind, text) in enumerate(tokens):
        if kind != "word":
            continue
        before = tokens[position - 1][1] if position > 0 else ""
        after = tokens[position + 1] if position + 1 < len(tokens) else ("", "")
        if before in (".", ":", "$") or after[1] == ":":
            continue  # a property, label, parameter or map key that happens to share a keyword's name
        keyword = text.upper()
        if keyword in WRITE_KEYWORDS:
            return keyword
        if keyword == "CALL":
            refused = _refused_call(tokens[position + 1 :])
            if refused is not None:
                return refused
    return None


def _refused_call(rest: list[tuple[str, str]]) -> str | None:
    """CALL followed by a read-only procedure (or a `{ … }` subquery, checked token by token) is fine."""
    if not rest:
        return None
    kind, name = rest[0]
    if kind == "symbol" and name == "{":
        return None
    if kind != "word":
        return "CALL"
    if len(rest) > 1 and rest[1][1] == "=":
        return f"CALL {name} ="
    return None if name.lower() in READ_ONLY_PROCEDURES else f"CALL {name}"
