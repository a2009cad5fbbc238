"""Finding one's way from a place in the code: the symbol at a file and line (`definition`), every
use of a symbol (`references`), the shortest chain of edges from one symbol to another (`path`) and
the calls around a symbol (`call_neighbourhood`), and the indexed files with what each defines
(`indexed_files`, `file_outline`: the web view's file tree).

What an editor's "go to definition", "find references" and an agent's "how does A reach B" ask. Each
reads only the graph: `definition` the nodes of one file (the innermost whose lines hold the line),
`references` the same UNION ALL relations `context` reads (analysis/context.py) flattened to one
list with the kind of use, `path` a breadth-first search over the code edges (calls, imports,
inheritance, uses, accesses, decorators; not containment), one query per depth.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from codekg.analysis.context import _relations
from codekg.analysis.impact import _ModuleNames, importers_step
from codekg.api.security import confine_path
from codekg.analysis.symbols import SYMBOL_LABELS, Symbol, resolve_symbol
from codekg.errors import InputError, SymbolNotFoundError
from codekg.stores.base import GraphStore
from codekg.stores.reads import IN, OUT, Expansion, Step

# context's lists that are uses of the symbol, and what each use is
REFERENCE_KINDS = {"callers": "call", "importers": "import", "users": "type use", "readers": "read",
                   "writers": "write", "subclasses": "subclass", "overridden_by": "override"}
# the edges `path` follows: code that reaches code. Not what holds what (DEFINES, HAS_METHOD): through
# them any user of a class would "reach" every method of it, and any importer of a module all of it.
PATH_RELATIONS = ("CALLS", "IMPORTS", "EXTENDS", "IMPLEMENTS", "OVERRIDES", "USES", "ACCESSES", "DECORATES")
MAX_PATH_DEPTH = 10
MAX_FRONTIER = 20_000  # nodes a search step may hold: past it the search stops and says so


def definition_at(store: GraphStore, file_path: str, line: int, root: Path | None = None) -> dict[str, Any]:
    """The innermost symbol whose lines hold ``line`` of ``file_path``, and the symbols around it,
    outermost first. The path is repository-relative, or absolute or `./`-relative under ``root``;
    one leading outside ``root`` is refused (PathOutsideRootError). SymbolNotFoundError when no
    symbol holds the line."""
    if line < 1:
        raise InputError(f"line must be 1 or more, not {line}")
    path = file_path.strip()
    if root is not None:
        path = confine_path(root, path).relative_to(root.resolve()).as_posix()
    path = path.removeprefix("./")
    rows = store.reads.nodes(where={"file_path": path}, holding_line=line)
    holding = [Symbol.from_row(row) for row in rows if row[0] in SYMBOL_LABELS and row[0] not in ("File", "External")]
    if not holding:
        raise SymbolNotFoundError(f"no symbol at {path}:{line} in the index (is the file indexed, and the line inside it?)")
    holding.sort(key=lambda s: (s.start_line, -s.end_line, len(s.qualified_name)))  # outermost first
    return {"file_path": path, "line": line, "symbol": holding[-1].to_dict(),
            "enclosing": [symbol.to_dict() for symbol in holding[:-1]]}


def references(store: GraphStore, symbol: str) -> dict[str, Any]:
    """Every use of ``symbol`` the graph knows: calls, imports, type uses, reads and writes,
    subclasses and overriding methods, each with its kind, place and the edge's confidence. A
    caller's calls are one entry at its first call's line; ``counts`` counts every call site."""
    target = resolve_symbol(store, symbol)
    found = []
    for key, entries in _relations(store, target).items():
        for entry in entries:
            if key in REFERENCE_KINDS:
                found.append({"kind": REFERENCE_KINDS[key], **entry})
    found = _decorations_once(found) + _imports_by_name(store, target)
    found.sort(key=lambda e: (e["file_path"], e.get("line") or e["start_line"], e["kind"], e["qualified_name"]))
    counts: dict[str, int] = {}
    for entry in found:  # a caller's edge stands for all its call sites (`call_count`): each is a use
        uses = (entry.get("call_count") or 1) if entry["kind"] == "call" else 1
        counts[entry["kind"]] = counts.get(entry["kind"], 0) + uses
    return {"symbol": target.to_dict(), "counts": dict(sorted(counts.items())), "references": found}


def _decorations_once(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A decorator application is one use, of kind "decorator": the Decorator node's call (`d.work@0`)
    stands for it. The scope where the `def` runs makes the same call at the same line; its edge is
    left out unless it also calls the symbol elsewhere (a `call_count` above one), and then counts
    those other calls only."""
    applied = {(e["file_path"], e.get("line")) for e in found if e["kind"] == "call" and e["label"] == "Decorator"}
    kept = []
    for entry in found:
        if entry["kind"] == "call" and entry["label"] == "Decorator":
            kept.append({**entry, "kind": "decorator"})
        elif entry["kind"] == "call" and (entry["file_path"], entry.get("line")) in applied:
            if (entry.get("call_count") or 1) > 1:
                kept.append({**entry, "call_count": entry["call_count"] - 1})
        else:
            kept.append(entry)
    return kept


def _imports_by_name(store: GraphStore, target: Symbol) -> list[dict[str, Any]]:
    """The modules that import a top-level definition by its name (`from shop.service import checkout`);
    a module imported whole is a reference to the module, listed by `context`'s importers."""
    if target.label in ("Module", "File", "External"):
        return []
    module_qn, _ = _ModuleNames(store).of({target.file_path}).get(target.file_path, ("", ""))
    if target.qualified_name != f"{module_qn}.{target.name}":
        return []  # not top-level: nothing imports it by name
    importers = store.reads.neighbours([Expansion([f"File:{target.file_path}"], [importers_step()], "File")])
    return [{"kind": "import", **Symbol.from_row(n.node).to_dict(), "confidence": n.edge["confidence"],
             "reason": n.edge["reason"] or "", "line": n.edge["line"]}
            for n in importers if target.name in (n.edge["names"] or [])]


def path_between(store: GraphStore, source: str, target: str, max_depth: int = 6) -> dict[str, Any]:
    """The shortest chain of code edges (`PATH_RELATIONS`) from ``source`` to ``target``, or, when
    there is none, from ``target`` to ``source``; each hop with its relation. ``found`` false when
    neither is within ``max_depth`` edges; ``complete`` false when a search step met more than
    `MAX_FRONTIER` nodes and stopped (a path may then exist)."""
    if not 1 <= max_depth <= MAX_PATH_DEPTH:
        raise InputError(f"depth must be between 1 and {MAX_PATH_DEPTH}, not {max_depth}")
    start, end = resolve_symbol(store, source), resolve_symbol(store, target)
    for origin, goal, direction in ((start, end, "forward"), (end, start, "backward")):
        hops, complete = _shortest(store, origin.id, goal.id, max_depth)
        if hops is not None:
            names = _names(store, [origin.id, *(hop[2] for hop in hops)])
            return {"from": start.to_dict(), "to": end.to_dict(), "found": True, "direction": direction,
                    "length": len(hops), "hops": [{"from": names[a], "relation": r, "to": names[b]} for a, r, b in hops],
                    "complete": True}
    return {"from": start.to_dict(), "to": end.to_dict(), "found": False, "direction": "", "length": 0, "hops": [],
            "complete": complete}


def _shortest(store: GraphStore, origin: str, goal: str, max_depth: int) -> tuple[list[tuple[str, str, str]] | None, bool]:
    """Breadth-first from ``origin``: the hops (from id, relation, to id) of a shortest path to
    ``goal``, else None and whether the search covered everything within ``max_depth``."""
    if origin == goal:
        return [], True
    came_from: dict[str, tuple[str, str]] = {}
    seen, frontier = {origin}, [origin]
    step = Step("path", PATH_RELATIONS, OUT)
    for _ in range(max_depth):
        if not frontier:
            return None, True
        if len(frontier) > MAX_FRONTIER:
            return None, False
        rows = sorted((n.near, n.relation, n.node[0]) for n in store.reads.neighbours([Expansion(frontier, [step])], ("id",)))
        following = []
        for near, kind, far in rows:
            if far not in seen:
                seen.add(far)
                came_from[far] = (near, kind)
                following.append(far)
                if far == goal:
                    hops = []
                    while far != origin:
                        near, kind = came_from[far]
                        hops.append((near, kind, far))
                        far = near
                    return hops[::-1], True
        frontier = following
    return None, not frontier


def _names(store: GraphStore, ids: Iterable[str]) -> dict[str, str]:
    wanted = list(dict.fromkeys(ids))
    rows = store.reads.nodes(where={"id": wanted}, columns=("id", "qualified_name"))
    names = {node_id: name or node_id for node_id, name in rows}
    return {node_id: names.get(node_id, node_id) for node_id in wanted}


def call_neighbourhood(store: GraphStore, symbol: str, depth: int = 2, direction: str = "both") -> dict[str, Any]:
    """The CALLS edges within ``depth`` calls of ``symbol``: its callees' callees (`downstream`), its
    callers' callers (`upstream`) or both; every node and edge once, edges with confidence and line."""
    if not 1 <= depth <= MAX_PATH_DEPTH:
        raise InputError(f"depth must be between 1 and {MAX_PATH_DEPTH}, not {depth}")
    if direction not in ("both", "upstream", "downstream"):
        raise InputError(f"unknown direction {direction!r}: use both, upstream or downstream")
    center = resolve_symbol(store, symbol)
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    ways = [way for way in ("downstream", "upstream") if direction in (way, "both")]
    for way in ways:
        seen, frontier = {center.id}, [center.id]
        step = Step("calls", ("CALLS",), OUT if way == "downstream" else IN, edge_columns=("confidence", "line"))
        for _ in range(depth):
            if not frontier or len(frontier) > MAX_FRONTIER:
                break
            found = store.reads.neighbours([Expansion(frontier, [step])], ("id",))
            rows = sorted(((n.near, n.node[0], n.edge["confidence"], n.edge["line"]) for n in found),
                          key=lambda row: (row[0], row[1]))
            following = []
            for near, far, confidence, line in rows:
                caller, callee = (near, far) if way == "downstream" else (far, near)
                edges.setdefault((caller, callee), {"confidence": confidence, "line": line})
                if far not in seen:
                    seen.add(far)
                    following.append(far)
            frontier = following
    ids = sorted({center.id, *(node for pair in edges for node in pair)})
    rows = store.reads.nodes(where={"id": ids})
    nodes = {row[1]: Symbol.from_row(row).to_dict() for row in rows}
    name = {node_id: nodes.get(node_id, {}).get("qualified_name", node_id) for node_id in ids}
    return {"symbol": center.to_dict(), "depth": depth, "direction": direction,
            "nodes": [nodes[node_id] for node_id in ids if node_id in nodes],
            "edges": [{"from": name[a], "to": name[b], **props} for (a, b), props in sorted(edges.items(), key=lambda item: (name[item[0][0]], name[item[0][1]]))]}


# what a file's outline lists: the declarations a reader navigates by (not imports, decorators, variables)
OUTLINE_LABELS = ("Class", "Interface", "Enum", "Type", "Function", "Method")


def indexed_files(store: GraphStore) -> dict[str, Any]:
    """Every indexed file, by path: its language, line count and whether it is a test file."""
    rows = sorted(store.reads.nodes("File", columns=("file_path", "language", "line_count", "is_test")),
                  key=lambda row: row[0])
    return {"files": [{"file_path": path, "language": language or "", "line_count": int(lines or 0),
                       "is_test": bool(is_test)} for path, language, lines, is_test in rows]}


def file_outline(store: GraphStore, file_path: str, root: Path | None = None) -> dict[str, Any]:
    """The declarations of one indexed file in source order (path as `definition_at` takes it);
    SymbolNotFoundError when no such file is indexed."""
    path = file_path.strip()
    if root is not None:
        path = confine_path(root, path).relative_to(root.resolve()).as_posix()
    path = path.removeprefix("./")
    if not store.reads.nodes("File", where={"file_path": path}, columns=("id",)):
        raise SymbolNotFoundError(f"no indexed file {path!r}")
    rows = store.reads.nodes(where={"file_path": path})
    symbols = sorted((Symbol.from_row(row) for row in rows if row[0] in OUTLINE_LABELS),
                     key=lambda s: (s.start_line, -s.end_line, s.qualified_name))
    return {"file_path": path, "symbols": [symbol.to_dict() for symbol in symbols]}
