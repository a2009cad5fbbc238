"""`codekg compare-stores`: the same named reads on several stores, their answers compared and timed.

Takes: two or more open stores (any mix of the embedded store, FalkorDB, Neo4j/Memgraph, CozoDB),
the repository root (for snippets) and a list of operations, each a name of the query layer's
reads and its arguments. Returns: p50/p95 per operation per store, and every difference between
the first store's answer and another's (an answer is the JSON the CLI, the HTTP API and MCP give).

Each repetition runs every store in turn, so a noisy machine slows them alike. A read a store
refuses (an unknown symbol, a bad depth) compared nothing: it is reported as an error, not as an
agreement. The operations
default to a sample drawn from the first store: the most-called functions and methods, each asked
for as a symbol, its callers, its callees, its context and its upstream impact, a path from one of
its callers' callers, and, when the index holds SQL, the lineage of its tables.
"""

from __future__ import annotations

import inspect
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codekg.errors import CodekgError, InputError
from codekg.stores.base import GraphStore
from codekg.stores.reads import OUT, Expansion, Step

DEFAULT_SAMPLE = 10  # symbols the default operations are drawn for


def _symbol(store: GraphStore, root: Path, symbol: str) -> Any:
    from codekg.analysis.symbols import resolve_symbol

    return resolve_symbol(store, symbol).to_dict()


def _context_part(part: str) -> Callable[..., Any]:
    def read(store: GraphStore, root: Path, symbol: str) -> Any:
        from codekg.analysis.context import symbol_context

        return symbol_context(store, root, symbol)[part]

    return read


def _context(store: GraphStore, root: Path, symbol: str) -> Any:
    from codekg.analysis.context import symbol_context

    return symbol_context(store, root, symbol)


def _impact(store: GraphStore, root: Path, symbol: str, depth: int = 3, direction: str = "upstream") -> Any:
    from codekg.analysis.impact import check_arguments, impact

    check_arguments(depth, direction, 0.0)
    return impact(store, symbol, depth=depth, direction=direction)


def _path(store: GraphStore, root: Path, source: str, target: str, depth: int = 6) -> Any:
    from codekg.analysis.navigation import path_between

    return path_between(store, source, target, depth)


def _lineage(store: GraphStore, root: Path, name: str, direction: str = "both", depth: int = 3) -> Any:
    from codekg.analysis.lineage import sql_lineage

    return sql_lineage(store, name, direction, depth)


OPERATIONS: dict[str, Callable[..., Any]] = {
    "symbol": _symbol,
    "callers": _context_part("callers"),
    "callees": _context_part("callees"),
    "context": _context,
    "impact": _impact,
    "path": _path,
    "lineage": _lineage,
}
"""The named reads compared: each takes (store, repository root, **arguments)."""


@dataclass(frozen=True, slots=True)
class Operation:
    name: str
    arguments: dict[str, Any]

    def describe(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v!r}' for k, v in self.arguments.items())})"


@dataclass(slots=True)
class Comparison:
    """Timings per (operation name, store) and the differences found."""

    stores: list[str]
    timings: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    differences: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)  # reads a store refused: they compared nothing
    operations: int = 0

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for (operation, store), seconds in self.timings.items():
            rows.append({"operation": operation, "store": store, "p50_ms": round(_percentile(seconds, 50) * 1000, 3),
                         "p95_ms": round(_percentile(seconds, 95) * 1000, 3), "runs": len(seconds)})
        return {"stores": self.stores, "compared": self.operations, "operations": rows, "differences": self.differences,
                "errors": self.errors}


def read_operations(path: Path) -> list[Operation]:
    """The operations of a JSON file: `[{"operation": "context", "arguments": {"symbol": "pkg.f"}}, …]`."""
    try:
        entries = json.loads(path.read_text("utf-8"))
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{path} is not JSON: {error}") from None
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected a list of {{\"operation\", \"arguments\"}} objects")
    operations = []
    for number, entry in enumerate(entries, 1):
        name = entry.get("operation") if isinstance(entry, dict) else None
        arguments = entry.get("arguments", {}) if isinstance(entry, dict) else None
        if name not in OPERATIONS or not isinstance(arguments, dict):
            raise InputError(f"{path}, entry {number}: give \"operation\" (one of {', '.join(OPERATIONS)}) and "
                             "\"arguments\" (an object)")
        problem = _argument_problem(OPERATIONS[name], arguments)
        if problem:
            raise InputError(f"{path}, entry {number} ({name}): {problem}")
        operations.append(Operation(name, arguments))
    if not operations:
        raise InputError(f"{path} lists no operation")
    return operations


def _argument_problem(read: Callable[..., Any], arguments: dict[str, Any]) -> str | None:
    """What is wrong with ``arguments`` for ``read`` (a missing or unknown argument, a value of the
    wrong type), or None."""
    signature = inspect.signature(read)
    try:
        signature.bind(None, None, **arguments)
    except TypeError as error:
        return str(error).replace(f"{read.__name__}() ", "")
    for name, value in arguments.items():
        expected = signature.parameters[name].annotation
        kind = {"str": str, "int": int}.get(expected if isinstance(expected, str) else getattr(expected, "__name__", ""))
        if kind is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            return f"\"{name}\" must be {'a string' if kind is str else 'a whole number'}, not {json.dumps(value)}"
    return None


def default_operations(store: GraphStore, sample: int = DEFAULT_SAMPLE) -> list[Operation]:
    """A sample of reads drawn from ``store`` (see the module docstring), the same for any store that
    holds the same graph."""
    calls = store.reads.neighbours([Expansion(None, [Step("calls", ("CALLS",), OUT)], ("Function", "Method"))], ("id",))
    called = Counter(n.node[0] for n in calls if n.node[0].split(":", 1)[0] in ("Function", "Method"))
    callers: dict[str, list[str]] = {}
    for n in calls:
        callers.setdefault(n.node[0], []).append(n.near)
    chosen = [symbol for symbol, _ in sorted(called.items(), key=lambda item: (-item[1], item[0]))[:sample]]
    operations = []
    for symbol in chosen:
        operations += [Operation(name, {"symbol": symbol}) for name in ("symbol", "callers", "callees", "context", "impact")]
        first = sorted(callers.get(symbol, []))
        further = sorted(c for caller in first for c in callers.get(caller, []) if c != symbol)
        if further:
            operations.append(Operation("path", {"source": further[0], "target": symbol}))
    tables = store.reads.nodes(("Table", "View"), columns=("qualified_name",))
    operations += [Operation("lineage", {"name": name}) for (name,) in sorted(tables)[:3]]
    if not operations:
        raise InputError("the first store holds no call to sample operations from; give --operations FILE")
    return operations


def compare_reads(stores: Sequence[tuple[str, GraphStore]], root: Path, operations: Sequence[Operation],
                   repeat: int = 5) -> Comparison:
    """Every operation ``repeat`` times on each store in turn: timings, and each answer compared with the
    first store's (an error is an answer too: its kind and message)."""
    comparison = Comparison([name for name, _ in stores], operations=len(operations))
    for operation in operations:
        read = OPERATIONS[operation.name]
        answers: dict[str, Any] = {}
        for _ in range(repeat):
            for name, store in stores:
                started = time.perf_counter()
                answer = _answer(read, store, root, operation.arguments)
                comparison.timings.setdefault((operation.name, name), []).append(time.perf_counter() - started)
                answers.setdefault(name, answer)
        first_name = stores[0][0]
        for name, _ in stores:
            if isinstance(answers[name], dict) and set(answers[name]) == {"error", "message"}:
                comparison.errors.append({"operation": operation.name, "arguments": operation.arguments, "store": name,
                                          "error": answers[name]["message"]})
        for name, _ in stores[1:]:
            detail = first_difference(answers[first_name], answers[name])
            if detail is not None:
                comparison.differences.append({"operation": operation.name, "arguments": operation.arguments,
                                               "stores": [first_name, name], "detail": detail})
    return comparison


def _answer(read: Callable[..., Any], store: GraphStore, root: Path, arguments: dict[str, Any]) -> Any:
    try:
        return json.loads(json.dumps(read(store, root, **arguments), default=str))
    except TypeError as error:
        raise InputError(f"bad arguments for this operation: {error}") from None
    except CodekgError as error:
        return {"error": type(error).__name__, "message": str(error)}


def first_difference(left: Any, right: Any, where: str = "") -> str | None:
    """Where two answers first differ, and how (None when they are equal)."""
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys(), key=str):
            if key not in left or key not in right:
                return f"{where}.{key}: only in {'the first' if key in left else 'the second'} answer"
            found = first_difference(left[key], right[key], f"{where}.{key}")
            if found:
                return found
        return None
    if isinstance(left, list) and isinstance(right, list):
        for index, (a, b) in enumerate(zip(left, right)):
            found = first_difference(a, b, f"{where}[{index}]")
            if found:
                return found
        if len(left) != len(right):
            return f"{where or 'answer'}: {len(left)} entries against {len(right)}"
        return None
    if left != right:
        return f"{where or 'answer'}: {left!r} against {right!r}"
    return None


def _percentile(values: list[float], percent: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
