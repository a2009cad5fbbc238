"""The call graph of an index as an adjacency map ``{caller: [callees]}`` (`codekg callgraph`).

Takes: a read-only store of a live index and a minimum confidence. Returns: every Module
(module-level code), Function and Method by qualified name, each with the sorted qualified names of
what it calls; a Class appears only when its body makes calls. Instantiation edges to a Class are
left out: the constructor edge (`__init__`, `constructor`) that comes with them is what is called.
Definitions that share a qualified name (ids ending in `#2`, …) are one key.
"""

from __future__ import annotations

import json
from pathlib import Path

from codekg.pipeline import index_repository
from codekg.settings import Settings
from codekg.stores import open_index
from codekg.stores.base import GraphStore
from codekg.schema import CALLER_LABELS
from codekg.stores.reads import IN, Expansion, Step

CallGraph = dict[str, list[str]]

KEY_LABELS = ("Module", "Function", "Method")  # always keys, even with no callees
PRINTED_CALLEE_LABELS = ("Function", "Method", "External")  # a Class callee is the instantiation itself
# the code that calls: a Decorator's CALLS edge repeats the call of the code that applies it


def read_call_graph(store: GraphStore, min_confidence: float = 0.0) -> CallGraph:
    """The adjacency map of the CALLS edges in ``store`` whose confidence is at least ``min_confidence``."""
    callee_name: dict[str, str] = {}  # by id: the calls are read from the callees' side
    keys: list[str] = []
    for label in dict.fromkeys(KEY_LABELS + PRINTED_CALLEE_LABELS):
        if label in PRINTED_CALLEE_LABELS:
            rows = store.reads.nodes(label, columns=("id", "qualified_name"))
            callee_name.update(rows)
            if label in KEY_LABELS:
                keys += [name for _, name in rows]
        else:
            keys += [name for (name,) in store.reads.nodes(label, columns=("qualified_name",))]
    graph: dict[str, set[str]] = {name: set() for name in keys}
    callers = Step("callers", ("CALLS",), IN, labels=CALLER_LABELS, min_confidence=float(min_confidence))
    for _, callee, _, (caller,), _ in store.reads.neighbours([Expansion(None, [callers], PRINTED_CALLEE_LABELS)],
                                                              ("qualified_name",)):
        graph.setdefault(caller, set()).add(callee_name[callee])
    return {caller: sorted(callees) for caller, callees in sorted(graph.items())}


def repository_call_graph(repo: Path, db_dir: Path, settings: Settings, min_confidence: float = 0.0) -> CallGraph:
    """Bring the index of ``repo`` in ``db_dir`` up to date (a no-op when it is current), then read its call graph."""
    index_repository(repo, db_dir, settings)
    store = open_index(db_dir, settings)
    try:
        return read_call_graph(store, min_confidence)
    finally:
        store.close()


def call_graph_json(graph: CallGraph) -> str:
    return json.dumps(graph, indent=2, ensure_ascii=False)


def call_graph_text(graph: CallGraph) -> str:
    """One line per caller: `caller -> callee, callee` (just `caller` when it calls nothing known)."""
    return "".join(f"{caller} -> {', '.join(callees)}\n" if callees else f"{caller}\n" for caller, callees in graph.items())
