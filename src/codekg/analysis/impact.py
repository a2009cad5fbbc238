"""The blast radius of a symbol: what is affected when it changes (`codekg impact`).

Takes: a read-only store, SYMBOL text (or, from `changes.py`, several seed symbols), a depth, a
direction and a minimum edge confidence. Returns a JSON-ready dict: the affected symbols grouped by
depth 1..N, each once, at its shallowest depth, with the confidence of its best path, plus a risk
summary.

Which edges are followed (`upstream`: who is affected if the target changes):
- CALLS into a Class/Function/Method/External: its callers (an instantiation is a call to the class);
- EXTENDS/IMPLEMENTS into a Class/Interface: its subclasses and implementers;
- IMPORTS of a top-level definition (a Class, Interface, Function or Variable a Module defines): the
  modules whose import of its file names it (`from m import X`), imports the whole module
  (`import m`, `from pkg import m`) or is a star import; this is what catches a class used only in
  annotations, or a function passed as a callback;
- IMPORTS of a Module target: every module importing its file;
- OVERRIDES at a Method: the methods that override it (they change with its contract), and the base
  method it overrides, whose callers may run it instead (so they come at the next depth);
- SUBCLASS_OF, DOMAIN and RANGE into an ontology term: its subclasses (or subproperties) and the
  properties whose domain or range a class is; MENTIONS into an OntologyClass: the code that names it.
`downstream` (what the target depends on) follows the same edges the other way: callees, bases, the
method a Method overrides, a term's parents (and a property's domain and range), the classes code
mentions, and
for a Module target the modules and externals it imports. A Module reached on the way is a leaf: a
module that calls or imports the target does not pass the change on to everything that imports it
(that would turn every re-export hub into "the whole repository"). A Class target stands with its
methods: their callers (or callees) are the class's callers too. A File target is its Module.

Path confidence is the product of the edge confidences along a path; a symbol's confidence is the
best over every path of at most N edges (not only the shallowest ones). `min_confidence` drops
edges below it before anything else.

Reads (the query layer, stores/reads.py): per depth level, one neighbour read for CALLS, OVERRIDES,
EXTENDS/IMPLEMENTS, USES and ACCESSES (the frontier's ids grouped by label, each group anchored on
its label's key), and upstream one for IMPORTS (read by the frontier's files, matched to the
symbols in Python) plus one for the module names of files not seen yet; one more for a Class
target's methods. An IMPORTS read anchored through `Module-[:DEFINES]->symbol` cost 4-7 ms on
fastapi, anchored on the File's id 0.5 ms.

Risk, over the affected symbols outside test files (tests are reported apart: a touched test is a
safety net, not a risk): **high** with 10+ direct (depth-1) symbols, 25+ symbols or 10+ files;
**medium** with 3+ direct symbols, 5+ symbols or 3+ files; **low** otherwise.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from codekg.analysis.symbols import Symbol, resolve_symbol
from codekg.conventions import is_test_path
from codekg.errors import InputError
from codekg.limits import MAX_DEPTH
from codekg.schema import CALLEE_LABELS, CALLER_LABELS, TYPE_LABELS
from codekg.stores.base import GraphStore
from codekg.stores.reads import IN, OUT, Expansion, Step

DIRECTIONS = ("upstream", "downstream")
HIERARCHY_LABELS = ("Class", "Interface", "Enum")
ONTOLOGY_TERM_LABELS = ("OntologyClass", "OntologyProperty")
MENTIONING_LABELS = ("Class", "Interface", "Function", "Method", "Variable", "Type", "Enum")  # code, not files
TOP_LEVEL_LABELS = ("Class", "Interface", "Enum", "Type", "Function", "Variable")

HIGH_RISK = {"direct": 10, "symbols": 25, "files": 10}
MEDIUM_RISK = {"direct": 3, "symbols": 5, "files": 3}


@dataclass(frozen=True, slots=True)
class Hop:
    """One edge the search followed, from ``near`` (closer to the target) to ``far``."""

    near: str
    far: Symbol
    relation: str
    confidence: float
    reason: str
    line: int | None


@dataclass(frozen=True, slots=True)
class Affected:
    symbol: Symbol
    depth: int
    confidence: float
    path: tuple[str, ...]  # qualified names, from a seed outward to this symbol
    hop: Hop  # the last edge of the best path

    def to_dict(self) -> dict[str, Any]:
        entry = self.symbol.to_dict()
        entry.update(depth=self.depth, confidence=round(self.confidence, 6), relation=self.hop.relation,
                     reason=self.hop.reason, line=self.hop.line, path=list(self.path))
        return entry


def impact(store: GraphStore, symbol: str, depth: int = 3, direction: str = "upstream",
           min_confidence: float = 0.0) -> dict[str, Any]:
    """The blast radius of ``symbol``; raises SymbolNotFoundError / SymbolAmbiguousError like `context`."""
    check_arguments(depth, direction, min_confidence)
    target = resolve_symbol(store, symbol)
    affected = blast_radius(store, [target], depth, direction, min_confidence)
    return {"target": target.to_dict(), **impact_report(affected, depth, direction, min_confidence)}


def check_arguments(depth: int, direction: str, min_confidence: float) -> None:
    if direction not in DIRECTIONS:
        raise InputError(f"unknown direction {direction!r}: use upstream or downstream")
    if not 1 <= depth <= MAX_DEPTH:
        raise InputError(f"depth must be between 1 and {MAX_DEPTH}, not {depth}")
    if not 0.0 <= min_confidence <= 1.0:
        raise InputError(f"min-confidence must be between 0 and 1, not {min_confidence}")


def impact_report(affected: list[Affected], depth: int, direction: str,
                  min_confidence: float) -> dict[str, Any]:
    """The JSON form of a blast radius: parameters, levels 1..depth, summary."""
    levels = []
    for level in range(1, depth + 1):
        at_level = sorted((a for a in affected if a.depth == level),
                          key=lambda a: (-a.confidence, a.symbol.file_path, a.symbol.start_line, a.symbol.qualified_name))
        levels.append({"depth": level, "symbols": [a.to_dict() for a in at_level]})
    return {"direction": direction, "depth": depth, "min_confidence": min_confidence, "levels": levels,
            "summary": risk_summary(affected, depth)}


def blast_radius(store: GraphStore, seeds: list[Symbol], depth: int, direction: str,
                 min_confidence: float = 0.0, first_hops: list[Hop] = ()) -> list[Affected]:
    """Every symbol within ``depth`` edges of ``seeds`` in ``direction``, each once (seeds excluded).
    ``first_hops``: edges out of seeds that the index does not hold (the calls of a definition the
    index no longer has: analysis/changes.py), followed as the first level's."""
    seeds = _with_class_methods(store, _as_modules(store, seeds))
    seed_ids = {s.id for s in seeds}
    first_depth: dict[str, int] = {s.id: 0 for s in seeds}
    hops: list[Hop] = []
    frontier = sorted(seeds, key=lambda s: s.id)
    modules = _ModuleNames(store)
    for level in range(1, depth + 1):
        if not frontier:
            break
        found = _expand(store, frontier, direction, min_confidence, level == 1, modules)
        if level == 1:
            found += [hop for hop in first_hops if hop.confidence >= min_confidence]
        hops += found
        reached = {h.far.id: h.far for h in found if h.far.id not in first_depth and h.far.label != "Module"}
        frontier = [reached[i] for i in sorted(reached)]
        for hop in found:
            first_depth.setdefault(hop.far.id, level)
    best = _best_paths(seed_ids, hops, depth)
    symbols = {s.id: s for s in seeds} | {h.far.id: h.far for h in hops}
    return [Affected(symbols[i], first_depth[i], conf, tuple(symbols[step].qualified_name for step in path), hop)
            for i, (conf, path, hop) in best.items() if i not in seed_ids]


def _expand(store: GraphStore, frontier: list[Symbol], direction: str, min_confidence: float, seeds: bool,
            modules: "_ModuleNames") -> list[Hop]:
    """One depth level: the frontier's edges by label in one statement, plus one for imports when they apply."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for symbol in frontier:
        by_label[symbol.label].append(symbol.id)
    module_seeds = by_label.pop("Module", []) if seeds else []
    expansions = [Expansion(ids, _level_steps(label, direction, min_confidence), label)
                  for label, ids in sorted(by_label.items())]
    if module_seeds and direction == "downstream":
        expansions.append(Expansion(module_seeds, _level_steps("Module", direction, min_confidence), "Module"))
    expansions = [e for e in expansions if e.steps]
    hops = [Hop(n.near, Symbol.from_row(n.node), n.relation, float(n.edge["confidence"]), n.edge["reason"] or "",
                n.edge.get("line")) for n in store.reads.neighbours(expansions)] if expansions else []  # a type edge has no line
    if direction == "upstream":
        importable = [s for s in frontier if s.label in TOP_LEVEL_LABELS] + [s for s in frontier if s.id in module_seeds]
        hops += _importers(store, importable, min_confidence, modules)
    elif module_seeds:
        hops += _imported(store, [s for s in frontier if s.id in module_seeds], min_confidence)
    return hops


_HOP = "hop"  # every step of a level is one kind: a hop is told by its relation
_HOP_EDGE = ("confidence", "reason", "line")
_TYPE_EDGE = ("confidence", "reason")  # OVERRIDES, EXTENDS and IMPLEMENTS have no line
_IMPORT_EDGE = ("names", "confidence", "reason", "line")


def _level_steps(label: str, direction: str, min_confidence: float) -> list[Step]:
    """CALLS (and OVERRIDES, EXTENDS/IMPLEMENTS, USES, ACCESSES where they apply) into (upstream) or out
    of (downstream) nodes of ``label``."""
    upstream = direction == "upstream"
    toward = IN if upstream else OUT
    steps = []
    if label in (CALLEE_LABELS if upstream else CALLER_LABELS):
        steps.append(Step(_HOP, ("CALLS",), toward, min_confidence=min_confidence, edge_columns=_HOP_EDGE))
    if label == "Method":  # overriders change with it; the callers of what it overrides may run it instead
        ways = (IN, OUT) if upstream else (OUT,)
        steps += [Step(_HOP, ("OVERRIDES",), way, min_confidence=min_confidence, edge_columns=_TYPE_EDGE)
                  for way in ways]
    if label in HIERARCHY_LABELS:
        steps.append(Step(_HOP, ("EXTENDS", "IMPLEMENTS"), toward, min_confidence=min_confidence,
                          edge_columns=_TYPE_EDGE))
    # what names a type in its signature or reads a variable breaks with it
    for rel_type, targets in (("USES", TYPE_LABELS), ("ACCESSES", ("Variable",))):
        if upstream and label in targets:
            steps.append(Step(_HOP, (rel_type,), IN, min_confidence=min_confidence, edge_columns=_HOP_EDGE))
    # an ontology term: its subclasses or subproperties, the properties whose domain or range a class
    # is, and the code that mentions a class, change with it (downstream: what it names in turn)
    if label in ONTOLOGY_TERM_LABELS:
        rel_types = ("SUBCLASS_OF", "DOMAIN", "RANGE") if upstream or label == "OntologyProperty" else ("SUBCLASS_OF",)
        steps.append(Step(_HOP, rel_types, toward, min_confidence=min_confidence, edge_columns=_TYPE_EDGE))
    if (label == "OntologyClass") if upstream else (label in MENTIONING_LABELS):
        steps.append(Step(_HOP, ("MENTIONS",), toward, labels=() if not upstream else MENTIONING_LABELS,
                          min_confidence=min_confidence, edge_columns=_HOP_EDGE))
    return steps


class _ModuleNames:
    """The Module of each file (qualified name and name), looked up once per file per search."""

    def __init__(self, store: GraphStore) -> None:
        self.store = store
        self.known: dict[str, tuple[str, str]] = {}

    def of(self, paths: set[str]) -> dict[str, tuple[str, str]]:
        missing = sorted(paths - self.known.keys())
        if missing:
            rows = self.store.reads.nodes("Module", where={"file_path": missing}, columns=("file_path", "qualified_name", "name"))
            self.known.update((path, (qualified_name, name)) for path, qualified_name, name in rows)
        return self.known


def _importers(store: GraphStore, symbols: list[Symbol], min_confidence: float, modules: _ModuleNames) -> list[Hop]:
    """Modules importing a top-level definition by name (or its whole module, or with a star), or importing a
    Module target at all. Queried by file (an index lookup), and matched to the symbols here."""
    if not symbols:
        return []
    module_of = modules.of({s.file_path for s in symbols if s.label != "Module"})
    wanted: dict[str, list[tuple[Symbol, set[str] | None]]] = defaultdict(list)  # file id -> (symbol, names that import it)
    for symbol in symbols:
        if symbol.label == "Module":
            wanted[f"File:{symbol.file_path}"].append((symbol, None))
            continue
        module_qn, module_name = module_of.get(symbol.file_path, ("", ""))
        if module_qn and symbol.qualified_name == f"{module_qn}.{symbol.name}":  # top-level only
            wanted[f"File:{symbol.file_path}"].append((symbol, {symbol.name, module_name, "*"}))
    if not wanted:
        return []
    importers = store.reads.neighbours([Expansion(sorted(wanted), [importers_step(min_confidence)], "File")])
    hops = []
    for importer in importers:
        names, confidence, reason, line = (importer.edge[key] for key in _IMPORT_EDGE)
        for symbol, accepted in wanted[importer.near]:
            if accepted is None or not names or accepted.intersection(names):
                hops.append(Hop(symbol.id, Symbol.from_row(importer.node), "IMPORTS", float(confidence), reason or "", line))
    return hops


def importers_of(store: GraphStore, symbols: list[Symbol]) -> list[tuple[str, Symbol]]:
    """(symbol id, importing Module) for each module whose imports name a top-level ``symbols`` one
    (or import its whole module), whether the index still holds the symbol or not."""
    return [(hop.near, hop.far) for hop in _importers(store, symbols, 0.0, _ModuleNames(store))]


def importers_step(min_confidence: float | None = None) -> Step:
    """From a File: the modules of the files that import it."""
    return Step("importers", ("IMPORTS",), IN, labels=("File",), min_confidence=min_confidence,
                edge_columns=_IMPORT_EDGE, then=("DEFINES", "Module"))


def _imported(store: GraphStore, module_seeds: list[Symbol], min_confidence: float) -> list[Hop]:
    """What Module targets import: the modules of repository files, and External modules."""
    files = {f"File:{s.file_path}": s.id for s in module_seeds}
    steps = [Step("imports", ("IMPORTS",), OUT, labels=("File",), min_confidence=min_confidence,
                  edge_columns=_IMPORT_EDGE, then=("DEFINES", "Module")),
             Step("imports", ("IMPORTS",), OUT, labels=("External",), min_confidence=min_confidence,
                  edge_columns=_IMPORT_EDGE)]
    return [Hop(files[n.near], Symbol.from_row(n.node), "IMPORTS", float(n.edge["confidence"]), n.edge["reason"] or "",
                n.edge["line"]) for n in store.reads.neighbours([Expansion(sorted(files), steps, "File")])]


def _as_modules(store: GraphStore, seeds: list[Symbol]) -> list[Symbol]:
    """A File seed stands for the Module it defines."""
    files = [s.id for s in seeds if s.label == "File"]
    if not files:
        return seeds
    modules = store.reads.neighbours([Expansion(files, [Step("module", ("DEFINES",), OUT, labels=("Module",))], "File")])
    return [s for s in seeds if s.label != "File"] + [Symbol.from_row(n.node) for n in modules]


def _with_class_methods(store: GraphStore, seeds: list[Symbol]) -> list[Symbol]:
    """A Class seed stands with its methods: changing a class is changing what its methods do."""
    classes = [s.id for s in seeds if s.label == "Class"]
    if not classes:
        return seeds
    methods = store.reads.neighbours([Expansion(classes, [Step("methods", ("HAS_METHOD",), OUT, labels=("Method",))], "Class")])
    known = {s.id for s in seeds}
    return seeds + [m for m in (Symbol.from_row(n.node) for n in methods) if m.id not in known]


def _best_paths(seeds: set[str], hops: list[Hop], depth: int) -> dict[str, tuple[float, tuple[str, ...], Hop | None]]:
    """For every reached node, the most confident path of at most ``depth`` hops from a seed.

    Round k extends only the paths round k-1 improved, so a path never has more than k hops; ties
    keep the path found first, which is the shorter one. Every hop such a path can use was fetched:
    a node at position k < depth of a path was reached at depth ≤ k and expanded.
    """
    out_of: dict[str, list[Hop]] = defaultdict(list)
    for hop in sorted(hops, key=lambda h: (h.near, h.far.id, -h.confidence, h.relation, h.line or 0)):
        out_of[hop.near].append(hop)
    best: dict[str, tuple[float, tuple[str, ...], Hop | None]] = {s: (1.0, (s,), None) for s in sorted(seeds)}
    improved = sorted(seeds)
    for _ in range(depth):
        previous = dict(best)
        now_improved = []
        for near in improved:
            confidence, path, _ = previous[near]
            for hop in out_of.get(near, ()):
                candidate = confidence * hop.confidence
                far = hop.far.id
                if far not in best or candidate > best[far][0]:
                    best[far] = (candidate, path + (far,), hop)
                    now_improved.append(far)
        improved = sorted(set(now_improved))
        if not improved:
            break
    return best


def risk_summary(affected: list[Affected], depth: int) -> dict[str, Any]:
    """Counts, test files touched, and the risk level (thresholds in the module docstring)."""
    tests = [a for a in affected if is_test_path(a.symbol.file_path)]
    others = [a for a in affected if not is_test_path(a.symbol.file_path)]
    files = {a.symbol.file_path for a in others if a.symbol.file_path}
    test_files = sorted({a.symbol.file_path for a in tests})
    direct = sum(1 for a in others if a.depth == 1)
    counts = {"direct": direct, "symbols": len(others), "files": len(files)}
    level, because = "low", "below every medium threshold"
    for name, thresholds in (("high", HIGH_RISK), ("medium", MEDIUM_RISK)):
        reached = [f"{counts[k]} {k} ≥ {v}" for k, v in thresholds.items() if counts[k] >= v]
        if reached:
            level, because = name, ", ".join(reached)
            break
    return {
        "symbols": len(affected),
        "files": len({a.symbol.file_path for a in affected if a.symbol.file_path}),
        "by_depth": {str(level_): sum(1 for a in affected if a.depth == level_) for level_ in range(1, depth + 1)},
        "direct": direct,
        "non_test_symbols": len(others),
        "non_test_files": len(files),
        "tests_touched": bool(tests),
        "test_symbols": len(tests),
        "test_files": test_files,
        "risk": level,
        "risk_reason": because,
    }
