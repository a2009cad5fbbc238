"""SQL dialect names: the `sql_dialect` setting, a per-file `-- dialect: x` comment, and aliases.

Every dialect sqlglot knows is accepted under its own name; the aliases below are the names people
also use. An unknown name is an error that lists the known ones, never a silent fallback to ansi.
"""

from __future__ import annotations

import re

from codekg.errors import InputError

ANSI = "ansi"

DIALECT_ALIASES: dict[str, str] = {
    ANSI: "",  # sqlglot's own dialect is the standard one
    "sql": "",
    "standard": "",
    "sparksql": "spark",
    "spark_sql": "spark",
    "databricks_sql": "databricks",
    "greenplum": "postgres",
    "postgresql": "postgres",
    "psql": "postgres",
    "pg": "postgres",
    "mssql": "tsql",
    "sqlserver": "tsql",
    "sql_server": "tsql",
    "azuresql": "tsql",
    "synapse": "tsql",
    "mariadb": "mysql",
    "aurora": "mysql",
    "hiveql": "hive",
    "bq": "bigquery",
    "googlesql": "bigquery",
    "sf": "snowflake",
    "pgsql": "postgres",
    "oracle_sql": "oracle",
    "plsql": "oracle",
    "sqlite3": "sqlite",
    "impala": "hive",
}

_DIALECT_COMMENT = re.compile(rb"^\s*(?:--|#|//|/\*)\s*dialect\s*[:=]\s*([A-Za-z0-9_]+)", re.IGNORECASE | re.MULTILINE)
_COMMENT_SCAN_BYTES = 2048  # the comment counts near the top of a file only


class UnknownDialectError(InputError):
    """A dialect name sqlglot does not know and no alias maps."""


def known_dialects() -> list[str]:
    """Every name `sqlglot_dialect` accepts, sorted."""
    from sqlglot.dialects.dialect import Dialects

    return sorted({d.value for d in Dialects if d.value} | set(DIALECT_ALIASES))


def sqlglot_dialect(name: str) -> str:
    """sqlglot's name for dialect ``name`` ("" is its standard dialect); UnknownDialectError if none."""
    key = name.strip().lower()
    if key in DIALECT_ALIASES:
        return DIALECT_ALIASES[key]
    # imported here: a run with no SQL and the default dialect never pays sqlglot's import (0.15 s)
    from sqlglot.dialects.dialect import Dialect

    if key and Dialect.get(key) is not None:
        return key
    raise UnknownDialectError(f"unknown SQL dialect {name!r}; known dialects: {', '.join(known_dialects())}")


def display_name(dialect: str) -> str:
    """The name a user reads for sqlglot dialect ``dialect``."""
    return dialect or ANSI


def comment_dialect(source: bytes) -> str | None:
    """The dialect a `-- dialect: tsql` comment near the top of ``source`` names, as written, or None."""
    found = _DIALECT_COMMENT.search(source[:_COMMENT_SCAN_BYTES])
    return found.group(1).decode("ascii") if found else None


def check_dialect_settings(default: str, folders: dict[str, str]) -> None:
    """UnknownDialectError for an unknown name in the `sql_dialect` or `sql_folder_dialects` settings,
    before any file is read with it."""
    for name in (default, *folders.values()):
        sqlglot_dialect(name)


def folder_dialect(path: str, default: str, folders: dict[str, str] | None = None) -> str:
    """The dialect name the settings give repo-relative ``path``: the deepest folder of ``folders``
    holding it, else ``default`` (as written: not checked here)."""
    holding = [(folder.strip("/"), name) for folder, name in (folders or {}).items()
               if folder.strip("/") in ("", ".") or path.startswith(folder.strip("/") + "/")]
    return max(holding, key=lambda item: len(item[0]))[1] if holding else default


def file_dialect(path: str, source: bytes, default: str, folders: dict[str, str] | None = None) -> str:
    """sqlglot's dialect for repo-relative ``path``: its own `-- dialect:` comment, else the deepest
    folder of ``folders`` holding it, else ``default`` (the `sql_dialect` setting or `--dialect`)."""
    named = comment_dialect(source)
    return sqlglot_dialect(named if named is not None else folder_dialect(path, default, folders))
