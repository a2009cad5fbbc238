"""Everything about one symbol that a reader needs before changing it (`codekg context`).

Takes: a read-only store, the repository root, and SYMBOL text (see `symbols.py`). Returns a
JSON-ready dict: the definition (label, qualified name, file, lines, signature, docstring, a source
snippet of at most `SNIPPET_MAX_LINES` lines read from the file under the root, refused when the
path escapes it), the container, callers and callees with confidence, reason and call line, what
it defines, and by label: a class's methods, bases and subclasses; a module's or file's imports and
importers. Lists that do not apply to the label are empty; every entry carries its source location.

Three reads of the query layer (stores/reads.py): resolving the symbol (`symbols.py`), its signature
and docstring by primary key, and one neighbour read for every relation (each step anchored on the
target's key, or its file's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codekg.analysis.source import read_snippet
from codekg.analysis.symbols import Symbol, resolve_symbol
from codekg.schema import CALL_SOURCE_LABELS, CALLEE_LABELS, CLASS_LABELS, REL_TYPE_BY_NAME, TYPE_LABELS
from codekg.stores.base import GraphStore
from codekg.stores.reads import IN, OUT, Expansion, Neighbour, Step

RELATION_KEYS = ("container", "callers", "callees", "defines", "methods", "bases", "subclasses", "overrides",
                 "overridden_by", "users", "readers", "writers", "decorators", "imports", "importers")

# The edge properties an entry may carry; an entry has those its edge has.
EDGE_COLUMNS = ("confidence", "reason", "line", "call_count", "count", "mode", "names")
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
    indexed = store.reads.nodes("File", where={"file_path": [target.file_path]}, columns=("content_hash",)) if target.file_path else []
    snippet = read_snippet(repo_root, target.file_path, target.start_line, target.end_line,
                           indexed_hash=indexed[0][0] or "" if indexed else "")
    container = relations.pop("container")
    return {"symbol": definition, "snippet": snippet.to_dict(), "container": container[0] if container else None,
            **relations}


def _details(store: GraphStore, target: Symbol) -> tuple[str, str]:
    rows = store.reads.nodes(target.label, where={"id": target.id}, columns=("signature", "docstring"))
    return (rows[0][0] or "", rows[0][1] or "") if rows else ("", "")


def _relations(store: GraphStore, target: Symbol) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {key: [] for key in RELATION_KEYS}
    for neighbour in store.reads.neighbours(relation_expansions(target)):
        entry = _entry(neighbour)
        if neighbour.kind != "accessors":
            found[neighbour.kind].append(entry)
            continue
        mode = neighbour.edge["mode"]  # `read-write`: both
        if mode is not None and mode != "write":
            found["readers"].append(entry)
        if mode is not None and mode != "read":
            found["writers"].append(dict(entry))
    for key, entries in found.items():
        if key in ("callees", "imports"):  # in the order the target's source mentions them
            entries.sort(key=lambda e: (e.get("line") or 0, e["qualified_name"], e["id"]))
        else:
            entries.sort(key=lambda e: (e["file_path"], e.get("line") or e["start_line"], e["qualified_name"], e["id"]))
    return found


def relation_expansions(target: Symbol) -> list[Expansion]:
    """What to read for a target: the steps from the target itself, and for a Module or File the
    imports and importers of its file (a Module's file by its id, `File:<path>`: a key lookup, not
    a join over DEFINES)."""
    label = target.label
    steps = []
    if label not in ("File", "External"):
        steps.append(Step("container", ("DEFINES", "HAS_METHOD"), IN))
    if label in CALLEE_LABELS:
        steps.append(Step("callers", ("CALLS",), IN, edge_columns=_CALL_EDGE))
    if label in CALL_SOURCE_LABELS:
        steps.append(Step("callees", ("CALLS",), OUT, edge_columns=_CALL_EDGE))
    if label in DEFINING_LABELS:  # its declarations, not its import statements
        steps.append(Step("defines", ("DEFINES",), OUT, exclude_labels=("Import",)))
    if label in CLASS_LABELS:
        steps.append(Step("methods", ("HAS_METHOD",), OUT))
    if label in HIERARCHY_LABELS:
        steps.append(Step("bases", ("EXTENDS", "IMPLEMENTS"), OUT, edge_columns=_TYPE_EDGE))
        steps.append(Step("subclasses", ("EXTENDS", "IMPLEMENTS"), IN, edge_columns=_TYPE_EDGE))
    if label == "Method":
        steps.append(Step("overrides", ("OVERRIDES",), OUT, edge_columns=_TYPE_EDGE))
        steps.append(Step("overridden_by", ("OVERRIDES",), IN, edge_columns=_TYPE_EDGE))
    if label in TYPE_LABELS:
        steps.append(Step("users", ("USES",), IN, edge_columns=_USE_EDGE))
    if label == "Variable":  # who reads or writes it: split into readers and writers by the edge's mode
        steps.append(Step("accessors", ("ACCESSES",), IN, edge_columns=_ACCESS_EDGE))
    if label in DECORATED_LABELS:
        steps.append(Step("decorators", ("DECORATES",), IN))
    expansions = [Expansion([target.id], steps, label)] if steps else []
    if label in ("Module", "File"):
        file_id = target.id if label == "File" else f"File:{target.file_path}"
        # An imported file is shown as the module it defines; an import that left the repository as the External.
        expansions.append(Expansion([file_id], [
            Step("imports", ("IMPORTS",), OUT, labels=("File",), edge_columns=_IMPORT_EDGE, then=("DEFINES", "Module")),
            Step("imports", ("IMPORTS",), OUT, labels=("External",), edge_columns=_IMPORT_EDGE),
            Step("importers", ("IMPORTS",), IN, labels=("File",), edge_columns=_IMPORT_EDGE, then=("DEFINES", "Module")),
        ], "File"))
    return expansions


def _entry(neighbour: Neighbour) -> dict[str, Any]:
    """A related symbol: its location, plus the edge's properties where the relation has them."""
    entry = Symbol.from_row(neighbour.node).to_dict()
    for key in EDGE_COLUMNS:
        if neighbour.edge.get(key) is not None:
            entry[key] = neighbour.edge[key]
    return entry
