"""Everything about one symbol that a reader needs before changing it (`codekg context`).

Takes: a read-only store, the repository root, and SYMBOL text (see `symbols.py`). Returns a
JSON-ready dict: the definition (label, qualified name, file, lines, signature, docstring, a source
snippet of at most `SNIPPET_MAX_LINES` lines read from the file under the root, refused when the
path escapes it), the container, callers and callees with confidence, reason and call line, what
it defines, and by label: a class's methods, bases and subclasses; a module's or file's imports and
importers. Lists that do not apply to the label are empty; every entry carries its source location.

Three round trips: resolving the symbol (`symbols.py`), its signature and docstring by primary key,
and one UNION ALL statement for every relation (each part anchored on the primary key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codekg.analysis.source import read_snippet
from codekg.analysis.symbols import Symbol, resolve_symbol
from codekg.schema import CALL_SOURCE_LABELS, CALLEE_LABELS, CLASS_LABELS, REL_TYPE_BY_NAME, TYPE_LABELS, PropType, cypher_label
from codekg.stores.base import GraphStore
from codekg.stores.dialect import Dialect

RELATION_KEYS = ("container", "callers", "callees", "defines", "methods", "bases", "subclasses", "overrides",
                 "overridden_by", "users", "readers", "writers", "decorators", "imports", "importers")

_OTHER = ("c.id AS id, c.name AS name, c.qualified_name AS qualified_name, "
          "c.file_path AS file_path, c.start_line AS start_line, c.end_line AS end_line")
# The edge columns every part returns; a part whose edge has none of one returns a null of its type.
EDGE_COLUMNS = {"confidence": PropType.DOUBLE, "reason": PropType.STRING, "line": PropType.INT64,
                "call_count": PropType.INT64, "count": PropType.INT64, "mode": PropType.STRING,
                "names": PropType.STRING_LIST}
_NO_EDGE: tuple[str, ...] = ()
_CALL_EDGE = ("confidence", "reason", "line", "call_count")
_TYPE_EDGE = ("confidence", "reason")
_IMPORT_EDGE = ("confidence", "reason", "line", "names")
_USE_EDGE = ("confidence", "reason", "line", "count")
_ACCESS_EDGE = ("confidence", "reason", "line", "count", "mode")

DEFINING_LABELS = ("Module", "Class", "Enum", "Function", "Method", "Variable")
HIERARCHY_LABELS = ("Class", "Interface", "Enum")  # what has bases and subclasses
DECORATED_LABELS = frozenset(target for _, target in REL_TYPE_BY_NAME["DECORATES"].pairs)


def symbol_context(store: GraphStore, repo_root: Path, symbol: str) -> dict[str, Any]:
    """The context of ``symbol``; raises SymbolNotFoundError / SymbolAmbiguousError (with candidates)."""
    target = resolve_symbol(store, symbol)
    signature, docstring = _details(store, target)
    relations = _relations(store, target)
    definition = {**target.to_dict(), "signature": signature, "docstring": docstring}
    snippet = read_snippet(repo_root, target.file_path, target.start_line, target.end_line)
    container = relations.pop("container")
    return {"symbol": definition, "snippet": snippet.to_dict(), "container": container[0] if container else None,
            **relations}


def _details(store: GraphStore, target: Symbol) -> tuple[str, str]:
    rows = store.query(f"MATCH (n:{cypher_label(target.label)} {{id: $id}}) RETURN n.signature, n.docstring", {"id": target.id}).rows
    return (rows[0][0] or "", rows[0][1] or "") if rows else ("", "")


def _relations(store: GraphStore, target: Symbol) -> dict[str, list[dict[str, Any]]]:
    parts = relation_queries(target.label, store.dialect)
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in RELATION_KEYS}
    if parts:
        result = store.query(" UNION ALL ".join(parts), {"id": target.id, "file": f"File:{target.file_path}"})
        for row in result.rows:
            record = dict(zip(result.columns, row))
            found[record.pop("kind")].append(_entry(record))
    for key, entries in found.items():
        if key in ("callees", "imports"):  # in the order the target's source mentions them
            entries.sort(key=lambda e: (e.get("line") or 0, e["qualified_name"], e["id"]))
        else:
            entries.sort(key=lambda e: (e["file_path"], e.get("line") or e["start_line"], e["qualified_name"], e["id"]))
    return found


def relation_queries(label: str, dialect: Dialect) -> list[str]:
    """The UNION ALL parts for a target of ``label``; `b` is the target, `c` the related node, `$id` its id,
    `$file` the id of its file."""
    anchor = f"(b:{cypher_label(label)} {{id: $id}})"
    parts = []

    def part(kind: str, pattern: str, edge: tuple[str, ...]) -> None:
        edge_columns = ", ".join(f"e.{name} AS {name}" if name in edge else f"{dialect.null(prop_type)} AS {name}"
                                 for name, prop_type in EDGE_COLUMNS.items())
        parts.append(f"MATCH {pattern} RETURN '{kind}' AS kind, {dialect.node_label('c')} AS label, {_OTHER}, {edge_columns}")

    if label not in ("File", "External"):
        part("container", f"(c)-[:DEFINES|HAS_METHOD]->{anchor}", _NO_EDGE)
    if label in CALLEE_LABELS:
        part("callers", f"(c)-[e:CALLS]->{anchor}", _CALL_EDGE)
    if label in CALL_SOURCE_LABELS:
        part("callees", f"{anchor}-[e:CALLS]->(c)", _CALL_EDGE)
    if label in DEFINING_LABELS:  # its declarations, not its import statements
        part("defines", f"{anchor}-[:DEFINES]->(c) WITH c WHERE {dialect.node_label('c')} <> 'Import'", _NO_EDGE)
    if label in CLASS_LABELS:
        part("methods", f"{anchor}-[:HAS_METHOD]->(c)", _NO_EDGE)
    if label in HIERARCHY_LABELS:
        part("bases", f"{anchor}-[e:EXTENDS|IMPLEMENTS]->(c)", _TYPE_EDGE)
        part("subclasses", f"(c)-[e:EXTENDS|IMPLEMENTS]->{anchor}", _TYPE_EDGE)
    if label == "Method":
        part("overrides", f"{anchor}-[e:OVERRIDES]->(c)", _TYPE_EDGE)
        part("overridden_by", f"(c)-[e:OVERRIDES]->{anchor}", _TYPE_EDGE)
    if label in TYPE_LABELS:
        part("users", f"(c)-[e:USES]->{anchor}", _USE_EDGE)
    if label == "Variable":  # who reads or writes it (`read-write`: both)
        part("readers", f"(c)-[e:ACCESSES]->{anchor} WHERE e.mode <> 'write'", _ACCESS_EDGE)
        part("writers", f"(c)-[e:ACCESSES]->{anchor} WHERE e.mode <> 'read'", _ACCESS_EDGE)
    if label in DECORATED_LABELS:
        part("decorators", f"(c)-[:DECORATES]->{anchor}", _NO_EDGE)
    if label in ("Module", "File"):
        # a Module's file by its id (`File:<path>`): a primary-key lookup, not a join over DEFINES
        file_anchor = "(f:File {id: $file})" if label == "Module" else "(f:File {id: $id})"
        # An imported file is shown as the module it defines; an import that left the repository as the External.
        part("imports", f"{file_anchor} MATCH (f)-[e:IMPORTS]->(:File)-[:DEFINES]->(c:Module)", _IMPORT_EDGE)
        part("imports", f"{file_anchor} MATCH (f)-[e:IMPORTS]->(c:External)", _IMPORT_EDGE)
        part("importers", f"{file_anchor} MATCH (g:File)-[e:IMPORTS]->(f) MATCH (g)-[:DEFINES]->(c:Module)", _IMPORT_EDGE)
    return parts


def _entry(record: dict[str, Any]) -> dict[str, Any]:
    """A related symbol: its location, plus the edge's properties where the relation has them."""
    entry = Symbol.from_row([record[k] for k in ("label", "id", "name", "qualified_name", "file_path",
                                                  "start_line", "end_line")]).to_dict()
    for key in EDGE_COLUMNS:
        if record[key] is not None:
            entry[key] = record[key]
    return entry
