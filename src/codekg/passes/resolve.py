"""Resolve pass: imports, inheritance and calls, as derived edges with confidence and reason.

Takes: the SymbolIndex from the structure pass. Returns: a Graph holding IMPORTS, EXTENDS,
IMPLEMENTS and CALLS edges plus the External nodes they point at, and per-language counts of
resolved, ambiguous and unresolved call sites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from codekg.graph import Graph
from codekg.resolve.calls import resolve_calls
from codekg.resolve.imports import resolve_imports
from codekg.resolve.inheritance import resolve_inheritance
from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import SymbolIndex


@dataclass(slots=True)
class ResolveResult:
    graph: Graph
    call_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)


def resolve_references(symbols: SymbolIndex, ambiguity_limit: int) -> ResolveResult:
    graph = Graph()
    externals: dict[str, str] = {}  # external id -> qualified name

    def endpoint(target: Resolved) -> tuple[str, str] | None:
        if target.ref is not None:
            return target.ref.endpoint
        if target.external_name:
            external_id = "External:" + target.external_name
            externals[external_id] = target.external_name
            return ("External", external_id)
        return None

    imports = resolve_imports(symbols)
    for path in sorted(imports):
        file_ref = symbols.files[path].file_ref
        for (kind, target), entry in sorted(imports[path].edges.items()):
            if kind == "file":
                target_endpoint = symbols.files[target].file_ref.endpoint
            else:
                target_endpoint = endpoint(Resolved("unresolved-import", 1.0, external_name=target))
            # An import statement names its module exactly: only calls through it can be uncertain.
            graph.add_edge("IMPORTS", file_ref.endpoint, target_endpoint, names=sorted(entry["names"]),
                           confidence=1.0, reason=entry["reason"], line=entry["line"])

    names = NameResolver(symbols, imports)
    for edge in resolve_inheritance(symbols, names):
        target = endpoint(edge.parent)
        if target is None:
            continue
        try:
            graph.add_edge(edge.rel_type, edge.child.endpoint, target, confidence=edge.parent.confidence,
                           reason=edge.parent.reason)
        except ValueError:
            continue  # e.g. a class "extending" an interface: a pairing the schema does not model

    calls = resolve_calls(symbols, names, ambiguity_limit)
    aggregated: dict[tuple[tuple[str, str], tuple[str, str]], dict[str, Any]] = {}
    for call in calls.edges:
        target = endpoint(call.callee)
        if target is None:
            continue
        key = (call.caller.endpoint, target)
        entry = aggregated.get(key)
        if entry is None:
            aggregated[key] = {"confidence": call.callee.confidence, "reason": call.callee.reason,
                               "line": call.line, "call_count": 1}
            continue
        entry["call_count"] += 1
        entry["line"] = min(entry["line"], call.line)
        if call.callee.confidence > entry["confidence"]:
            entry["confidence"], entry["reason"] = call.callee.confidence, call.callee.reason
    for (source, target), properties in aggregated.items():
        graph.add_edge("CALLS", source, target, **properties)

    for external_id, qualified_name in sorted(externals.items()):
        graph.add_node("External", id=external_id, name=qualified_name.rsplit(".", 1)[-1], qualified_name=qualified_name)
    return ResolveResult(graph, {lang: dict(counter) for lang, counter in sorted(calls.outcomes.items())})
