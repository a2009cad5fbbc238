"""The `.sql` extractor: a script's statements with what each reads and writes (codekg/sql).

Not tree-sitter: sqlglot reads every dialect (the run's `sql_dialect`, a folder's, or the file's own
`-- dialect: x` comment). A dbt model (`{{ ref('x') }}`, `{{ source('a', 'b') }}`, `{{ config(…) }}`)
is one SELECT that dbt materialises under the file's name: its Jinja is resolved to table names and
the SELECT becomes `CREATE VIEW <model> AS …` (`CREATE TABLE` with `materialized='table'` or
`'incremental'`). A statement that cannot be read is kept with its error; the run reports it
(pipeline.py, `sql-unreadable`), as it does for SQL strings in code.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from codekg.language_table import LANGUAGES
from codekg.languages.base import EXTRACTION, LanguageExtractor, line_count
from codekg.records import FileParse

_DBT_REF = re.compile(r"\{\{\s*ref\(\s*(?:'[^']*'\s*,\s*)?'([^']+)'\s*(?:,[^)]*)?\)\s*\}\}")
_DBT_REF_DOUBLE = re.compile(r'\{\{\s*ref\(\s*(?:"[^"]*"\s*,\s*)?"([^"]+)"\s*(?:,[^)]*)?\)\s*\}\}')
_DBT_SOURCE = re.compile(r"""\{\{\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*\}\}""")
_DBT_CONFIG = re.compile(r"\{\{\s*config\((.*?)\)\s*\}\}", re.DOTALL)
_DBT_MATERIALIZED = re.compile(r"""materialized\s*=\s*['"](\w+)['"]""")
_JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_JINJA_STATEMENT = re.compile(r"\{%.*?%\}", re.DOTALL)
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.DOTALL)
_LEADING_COMMENT = re.compile(r"^\s*((?:--[^\n]*\n?)+)")


class SqlExtractor(LanguageExtractor):
    name = "sql"
    extensions = LANGUAGES["sql"].extensions
    version = LANGUAGES["sql"].version
    resolution_family = "sql"
    describes_syntax_errors = True
    defines_module = False

    def extract(self, path: str, source: bytes) -> FileParse:
        from codekg.sql.statements import read_script

        text = source.decode("utf-8", errors="replace")
        dialect = EXTRACTION.sql_dialect_for(path, source)
        script = dbt_model_script(path, text)
        statements = read_script(script, dialect)
        parsed = FileParse(path=path, language=self.name, line_count=line_count(source), sql=statements,
                           invalid_utf8=_invalid_utf8(source), docstring=_leading_comment(text))
        parsed.parse_errors = sum(1 for statement in statements if statement.error)  # each one a warning of the run
        return parsed

    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        return ".".join(PurePosixPath(path).with_suffix("").parts)


def dbt_model_script(path: str, text: str) -> str:
    """``text`` with dbt's Jinja resolved; a model (a lone SELECT with `ref`/`source`/`config`)
    becomes the CREATE that dbt runs for it. Line numbers are kept: what is removed is blanked."""
    if "{{" not in text and "{%" not in text:
        return text
    is_model = bool(_DBT_REF.search(text) or _DBT_REF_DOUBLE.search(text) or _DBT_SOURCE.search(text)
                    or _DBT_CONFIG.search(text))
    config = _DBT_CONFIG.search(text)
    materialized = _DBT_MATERIALIZED.search(config.group(1)).group(1) if config and _DBT_MATERIALIZED.search(config.group(1)) else "view"
    text = _DBT_REF.sub(lambda m: m.group(1), text)
    text = _DBT_REF_DOUBLE.sub(lambda m: m.group(1), text)
    text = _DBT_SOURCE.sub(lambda m: f"{m.group(1)}.{m.group(2)}", text)
    for pattern in (_DBT_CONFIG, _JINJA_COMMENT, _JINJA_STATEMENT):
        text = pattern.sub(_blank, text)
    text = _JINJA_EXPRESSION.sub("codekg_placeholder", text)
    body = text.strip().rstrip(";")
    if not is_model or ";" in body or not re.match(r"^\s*(?:--[^\n]*\n\s*)*(select|with)\b", body, re.IGNORECASE):
        return text
    kind = "TABLE" if materialized in ("table", "incremental") else "VIEW"
    name = PurePosixPath(path).stem
    start = len(text) - len(text.lstrip())
    return f"{text[:start]}CREATE {kind} {name} AS {text[start:].rstrip().rstrip(';')}\n"


def _blank(match: re.Match[str]) -> str:
    return "\n" * match.group(0).count("\n")


def _leading_comment(text: str) -> str:
    found = _LEADING_COMMENT.match(text)
    if not found:
        return ""
    return "\n".join(line.strip().removeprefix("--").strip() for line in found.group(1).strip().splitlines())[:2000]


def _invalid_utf8(source: bytes) -> bool:
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False
