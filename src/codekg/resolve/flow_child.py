"""The value-flow solve in a forked child process, while this process resolves names file by file.

Why a child: the solve builds millions of short-lived objects (hundreds of megabytes on a few
hundred files). In this process their pages would stay with the heap after the solve and add to the
peak of every later pass; a child hands them back when it exits, without even freeing them one by
one. And on two cores the solve runs beside the rest of the resolve pass, and in a full index
beside the load of every table it cannot change (pipeline.py), instead of before them.

A program smaller than CHILD_MIN_FACTS facts is solved in this process: a fork costs more than its
solve. The child gets the symbol index by fork (nothing is copied until touched) and sends back only
the edges, as definition ids: a few megabytes. A child that fails (killed, out of memory, an error
in the solve) gives no value-flow edges and a warning; an interrupt stops it with the run.
The child is a `ForkedCall` (forked.py).
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

from codekg.forked import ForkedCall
from codekg.resolve.calls import CallEdge
from codekg.resolve.flow_program import ProgramCalls, solve_program
from codekg.resolve.names import NameResolver, Resolved
from codekg.resolve.symbols import SymbolIndex, SymbolRef
from codekg.resolve.tsconfig import ProjectConfigs

CHILD_MIN_FACTS = 20_000  # pydantic has about 100,000; a test repository a few hundred

EncodedEdge = tuple[str, str | None, str, str, str, float, int]
"""(caller id, callee id or None, external name, external module, reason, confidence, line)"""


@dataclass(slots=True)
class FlowSolve:
    """A value-flow solve under way (in a child) or done (in this process); `result` waits for it."""

    symbols: SymbolIndex
    _child: ForkedCall | None = None
    _done: ProgramCalls | None = None

    @property
    def under_way(self) -> bool:
        """Solving in a child: this process is free for other work until `result`."""
        return self._done is None

    def result(self) -> ProgramCalls:
        if self._done is None:
            self._done = self._wait()
        return self._done

    def stop(self) -> None:
        """Kill a child still solving: the run stopped before it needed the answer."""
        if self._child is not None:
            self._child.stop()

    def _wait(self) -> ProgramCalls:
        assert self._child is not None
        try:
            outcome, value = self._child.answer()
        finally:
            self._child.stop()
        if outcome == "solved":
            return decode(value, self.symbols)
        program = ProgramCalls()  # the child died or failed: the run goes on without its edges
        first = min(self.symbols.files.keys(), default="")
        program.warnings[first].append({"pass": "flow", "kind": "flow-failed", "message": (
            f"the value-flow solve stopped ({value}): calls found only by "
            "following values are missing from this index")})
        return program


def start_solve(symbols: SymbolIndex, project_configs: ProjectConfigs, paths: list[str],
                in_child: bool | None = None) -> FlowSolve:
    """Start solving the value flow of ``paths``. ``in_child``: None decides by the program's size."""
    loaded = [symbols.files.unrecorded(path) for path in paths]  # here: a child must not read the state database
    if in_child is None:
        in_child = sum(len(file_symbols.parse.flow) for file_symbols in loaded) >= CHILD_MIN_FACTS
    if not in_child:
        return FlowSolve(symbols, _done=solve_program(symbols, NameResolver(symbols, project_configs), paths))
    return FlowSolve(symbols, _child=ForkedCall(_solve_encoded, (symbols, project_configs, paths)))


def _solve_encoded(symbols: SymbolIndex, project_configs: ProjectConfigs, paths: list[str]) -> tuple:
    """In the child, never collected: a collection after the solve would walk its millions of live
    objects for nothing."""
    gc.disable()
    return encode(solve_program(symbols, NameResolver(symbols, project_configs), paths, release=False))


def encode(program: ProgramCalls) -> tuple:
    """ProgramCalls with definition ids in place of symbol refs, to cross the process boundary."""
    edges: dict[str, list[EncodedEdge]] = {path: [(e.caller.id, e.callee.ref.id if e.callee.ref else None, e.callee.external_name,
                     e.callee.external_module, e.callee.reason, e.callee.confidence, e.line) for e in file_edges]
             for path, file_edges in program.edges.items()}
    sites = {path: {site: frozenset(targets) for site, targets in file_sites.items()}
             for path, file_sites in program.resolved_sites.items()}
    return edges, dict(program.warnings), program.steps, sites


def decode(encoded: tuple, symbols: SymbolIndex) -> ProgramCalls:
    edges, warnings, steps, sites = encoded
    refs = _refs_by_id(symbols)
    program = ProgramCalls(steps=steps)
    for path, file_edges in edges.items():
        for caller, callee, external_name, external_module, reason, confidence, line in file_edges:
            caller_ref, callee_ref = refs.get(caller), refs.get(callee) if callee else None
            if caller_ref is None or (callee and callee_ref is None):
                continue  # not a definition of the index: cannot be an edge here either
            program.edges[path].append(CallEdge(caller_ref, Resolved(
                reason, confidence, ref=callee_ref, external_name=external_name, external_module=external_module), line))
    program.warnings.update(warnings)
    for path, file_sites in sites.items():
        program.resolved_sites[path].update(file_sites)
    return program


def _refs_by_id(symbols: SymbolIndex) -> dict[str, SymbolRef]:
    """Every definition and module of the index by id: what the flow's edges name."""
    refs: dict[str, SymbolRef] = {}
    for path in symbols.files.keys():
        for ref in symbols.files.unrecorded(path).all_refs():
            refs.setdefault(ref.id, ref)
    return refs
