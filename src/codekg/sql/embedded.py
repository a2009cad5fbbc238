"""SQL in code: the calls that run a SQL string, and the statements of such a string.

`SQL_CALLS` is the one list of those calls (data, not code): a call whose callee's last name is in it
and whose first argument is a string (a literal, literals joined by `+` or side by side, an f-string
or a template literal) has that string read as SQL. An interpolation (`{table}`, `${id}`) is replaced
by a placeholder first: where the skeleton stays valid SQL its lineage is kept; where it does not, the
call site is reported as unparsed, never dropped in silence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from codekg.records import SQL_TEXT_LIMIT, Scope, SqlStatement

# callee's last name -> the receivers it counts on ("" = any receiver, or a bare call)
SQL_CALLS: dict[str, tuple[str, ...]] = {
    # Python DB-API cursors and connections (sqlite3, psycopg, pymysql, ...)
    "execute": ("",),
    "executemany": ("",),
    "executescript": ("",),
    "mogrify": ("",),
    # pandas
    "read_sql": ("",),
    "read_sql_query": ("",),
    "read_sql_table": (),  # takes a table name, not SQL
    # SQLAlchemy
    "text": ("sqlalchemy", "sa", ""),
    "exec_driver_sql": ("",),
    # Spark, DuckDB, Snowflake, BigQuery clients
    "sql": ("spark", "session", "duckdb", "con", "conn", "connection", "db", "ctx", "self.spark", "self.session"),
    "query": ("",),  # pg/mysql pools and clients (JS), BigQuery client (Python)
    # JS query builders and drivers
    "raw": ("knex", "db", "trx", "this.knex", "this.db", "sequelize", "prisma"),
    "$queryRawUnsafe": ("",),
    "$executeRawUnsafe": ("",),
    "unsafe": ("sql", "this.sql"),
    "all": ("db", "this.db"),  # sqlite3 (node)
    "run": ("db", "this.db"),
    "prepare": ("",),
}

PLACEHOLDER = "codekg_placeholder"  # what an interpolation reads as: a name, valid where a value or a name is
_LOOKS_LIKE_SQL = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*(select|insert|update|delete|merge|with|create|drop|alter|truncate|replace|copy|"
    r"upsert|call|exec|execute|grant|values)\b", re.IGNORECASE | re.DOTALL)


def is_sql_call(callee: str, receiver: str | None) -> bool:
    """Whether a call of ``callee`` on ``receiver`` (dotted text, None for a bare call) runs SQL."""
    receivers = SQL_CALLS.get(callee)
    if not receivers:
        return False
    return "" in receivers or (receiver or "") in receivers or (receiver or "").rsplit(".", 1)[-1] in receivers


def string_text(node: object, segmenter: "Callable[[Any, list[tuple[int, str]]], bool | None]") -> tuple[str, int, bool] | None:
    """(text, the line it starts on, whether it has holes) of a string expression ``node``, its pieces
    found by the language's ``segmenter`` (which appends (row, text) pieces and says whether there are
    holes, or None when ``node`` is no string); None for no string."""
    segments: list[tuple[int, str]] = []
    holes = segmenter(node, segments)
    if holes is None or not segments:
        return None
    text, line = joined_segments(segments)
    return text, line, holes


def joined_segments(segments: list[tuple[int, str]]) -> tuple[str, int]:
    """The text of a string expression's pieces, (0-based row, text) in source order, and the 1-based
    line it starts on. A piece on a later row starts on its own line, so a statement's lines stay the
    file's lines."""
    first_row, text = segments[0]
    row = first_row + text.count("\n")
    parts = [text]
    for segment_row, segment in segments[1:]:
        if segment_row > row:
            parts.append("\n" * (segment_row - row))
            row = segment_row
        parts.append(segment)
        row += segment.count("\n")
    return "".join(parts), first_row + 1


def looks_like_sql(text: str) -> bool:
    """A string that starts like a SQL statement (`execute("PRAGMA …")` or a table name is no lineage)."""
    return bool(_LOOKS_LIKE_SQL.match(text))


def code_dialect(path: str, source: bytes, default: str, folders: dict[str, str], warnings: list[str]) -> str:
    """The dialect of the SQL strings in code file ``path``: its `dialect: x` comment, else the
    settings'. An unknown name in the comment is a warning (the file's code is still read), not an
    error as in a `.sql` file."""
    from codekg.sql.dialects import UnknownDialectError, file_dialect, folder_dialect, sqlglot_dialect

    try:
        return file_dialect(path, source, default, folders)
    except UnknownDialectError as error:
        warnings.append(f"{str(error).split(';')[0]}: the SQL strings of this file were read with the settings' dialect")
        return sqlglot_dialect(folder_dialect(path, default, folders))


_PARAMETER_MARKERS = re.compile(r"%\(\w+\)s|%s")  # DB-API `pyformat`/`format` markers: `?` to the parser


def embedded_statements(text: str, dialect: str, line: int, scope: Scope, call: str,
                        interpolated: bool = False) -> list[SqlStatement]:
    """The statements of SQL string ``text`` that starts on ``line`` of its file, run by ``call``
    inside ``scope``; ``interpolated``: the text is a skeleton with placeholders for its holes. A
    statement that cannot be read keeps its error, with "(interpolated)" when holes may be why."""
    from codekg.sql.statements import read_script

    found = []
    for statement in read_script(_PARAMETER_MARKERS.sub("?", text), dialect):
        error = statement.error
        if error and interpolated:
            error = f"{error} (an interpolated string: its holes were read as {PLACEHOLDER})"
        found.append(SqlStatement(
            statement.line + line - 1, statement.end_line + line - 1, statement.operation,
            tuple(t for t in statement.reads if PLACEHOLDER not in t),
            tuple(t for t in statement.writes if PLACEHOLDER not in t),
            tuple(c for c in statement.columns if PLACEHOLDER not in c[0] and PLACEHOLDER not in c[1]),
            statement.declared, statement.dialect, statement.text[:SQL_TEXT_LIMIT], error, scope, call))
    return found
