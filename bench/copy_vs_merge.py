"""Bulk COPY against UNWIND/MERGE: how much the load strategy matters at 100k+ nodes.

Builds one synthetic graph (files, modules, classes, functions, methods; DEFINES, HAS_METHOD and
CALLS edges) with codekg.graph.Graph, then loads the same Arrow tables into two fresh databases
through LadybugStore, once with `bulk_copy` on ("copy") and once off ("merge"). Each load runs in its own spawned process, so the
two runs start from the same state, report their own peak RSS, and a slow MERGE can be stopped at
the time limit without losing what it had loaded by then. Both databases must end up with the
same nodes and edges per label.

    python bench/copy_vs_merge.py [--nodes N] [--timeout SECONDS] [--buffer-pool-mb MIB] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from _common import facts_markdown, fail, load_average, machine_facts, markdown_table, peak_rss_mb_of_self
from codekg.graph import Graph, GraphTables
from codekg.settings import Settings, load_settings
from codekg.stores.ladybug import LadybugStore

STRATEGIES = {"copy": True, "merge": False}  # run name -> the bulk_copy setting
EXPECTED_MIN_RATIO = 10.0  # merge/copy load time the issue expects
# Per file: 1 File, 1 Module, 8 classes of 5 methods, 50 functions = 100 nodes, so N nodes = N/100 files.
CLASSES_PER_FILE = 8
METHODS_PER_CLASS = 5
FUNCTIONS_PER_FILE = 50
NODES_PER_FILE = 2 + CLASSES_PER_FILE * (1 + METHODS_PER_CLASS) + FUNCTIONS_PER_FILE


def synthetic_graph(nodes: int, seed: int = 7) -> Graph:
    """About ``nodes`` nodes (rounded up to whole files) with code-like properties, ~1.5 edges per node.

    Every function calls one function or method picked at random. Each (caller, callee) pair occurs
    once: MERGE would collapse a repeated pair that COPY keeps, and the counts would differ for a
    reason that has nothing to do with the load.
    """
    rng = random.Random(seed)
    graph = Graph()
    callables: list[tuple[str, str]] = []
    callers: list[str] = []
    for f in range((nodes + NODES_PER_FILE - 1) // NODES_PER_FILE):
        path, module = f"pkg/sub{f % 37}/mod_{f}.py", f"pkg.sub{f % 37}.mod_{f}"
        common = {"file_path": path, "language": "python"}
        file_id = graph.add_node("File", id=f"File:{path}", name=f"mod_{f}.py", content_hash=f"{f:064x}",
                                 size_bytes=20_000, line_count=600, **common)
        module_id = graph.add_node("Module", id=f"Module:{path}", name=f"mod_{f}", qualified_name=module, **common)
        graph.add_edge("DEFINES", ("File", file_id), ("Module", module_id))
        for c in range(CLASSES_PER_FILE):
            qualified = f"{module}.Class{c}"
            class_id = graph.add_node("Class", id=f"Class:{path}:{qualified}", name=f"Class{c}", qualified_name=qualified,
                                      start_line=10 + 60 * c, end_line=60 + 60 * c, signature=f"class Class{c}(Base):",
                                      docstring=f"Synthetic class {c} of {module}.", **common)
            graph.add_edge("DEFINES", ("Module", module_id), ("Class", class_id))
            for m in range(METHODS_PER_CLASS):
                method_id = graph.add_node("Method", id=f"Method:{path}:{qualified}.method_{m}", name=f"method_{m}",
                                           qualified_name=f"{qualified}.method_{m}", start_line=12 + 60 * c + 10 * m,
                                           end_line=20 + 60 * c + 10 * m, signature=f"def method_{m}(self, value):",
                                           decorators=["property"] if m == 0 else [], is_property=m == 0, **common)
                graph.add_edge("HAS_METHOD", ("Class", class_id), ("Method", method_id))
                callables.append(("Method", method_id))
        for k in range(FUNCTIONS_PER_FILE):
            qualified = f"{module}.function_{k}"
            function_id = graph.add_node("Function", id=f"Function:{path}:{qualified}", name=f"function_{k}",
                                         qualified_name=qualified, start_line=500 + 2 * k, end_line=501 + 2 * k,
                                         signature=f"def function_{k}(a, b=None):", docstring="Synthetic.", **common)
            graph.add_edge("DEFINES", ("Module", module_id), ("Function", function_id))
            callables.append(("Function", function_id))
            callers.append(function_id)
    for line, caller in enumerate(callers, 1):
        graph.add_edge("CALLS", ("Function", caller), rng.choice(callables), confidence=0.9, reason="import",
                       line=line % 1000, call_count=1)
    return graph


@dataclass(slots=True)
class LoadRun:
    """One strategy's load. When it stops early (time limit, error) the figures cover the tables it
    finished, and ``unfinished`` says which table it was in and for how long."""

    strategy: str
    finished: bool = False
    timed_out: bool = False
    tables: list[dict[str, Any]] = field(default_factory=list)  # one TableLoad (+ kind) per finished table
    unfinished: dict[str, Any] | None = None
    node_counts: dict[str, int] = field(default_factory=dict)
    edge_counts: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    error: str = ""

    def seconds(self, kind: str | None = None, only: set[str] | None = None) -> float:
        return sum(t["seconds"] for t in self._select(kind, only))

    def rows(self, kind: str | None = None) -> int:
        return sum(t["rows"] for t in self._select(kind, None))

    def _select(self, kind: str | None, only: set[str] | None) -> list[dict[str, Any]]:
        return [t for t in self.tables if (kind is None or t["kind"] == kind) and (only is None or t["table"] in only)]


def _single_tables(tables: GraphTables) -> Iterator[tuple[str, str, GraphTables]]:
    """(kind, name, one-table delta), nodes before edges as write_tables orders them, so progress is visible.
    Names are spelt as LadybugStore's LoadReport spells them."""
    for label, table in tables.nodes.items():
        yield "nodes", label, GraphTables(nodes={label: table})
    for (rel_type, source, target), table in tables.edges.items():
        yield "edges", f"{rel_type}({source}->{target})", GraphTables(edges={(rel_type, source, target): table})


def _load_in_child(tables: GraphTables, db_path: str, settings: Settings, channel: Connection) -> None:
    """Spawned process: create the database, load table by table reporting each, then count what is stored."""
    try:
        store = LadybugStore.create(Path(db_path), settings)
        try:
            for kind, name, delta in _single_tables(tables):
                rows = sum(t.num_rows for t in [*delta.nodes.values(), *delta.edges.values()])
                channel.send(("start", {"table": name, "kind": kind, "rows": rows}))
                for table_load in store.write_tables(delta).tables:
                    channel.send(("table", {"kind": kind, **asdict(table_load)}))
            nodes = dict(store.query("MATCH (n) RETURN label(n), count(*)").rows)
            edges = {f"{rel}({a}->{b})": count for rel, a, b, count in
                     store.query("MATCH (a)-[r]->(b) RETURN label(r), label(a), label(b), count(*)").rows}
        finally:
            store.close()
    except Exception as error:  # noqa: BLE001 - the parent reports it next to the figures
        channel.send(("error", f"{type(error).__name__}: {error}"))
        return
    channel.send(("done", {"node_counts": nodes, "edge_counts": edges, "peak_rss_mb": peak_rss_mb_of_self()}))


def load(tables: GraphTables, settings: Settings, timeout: float) -> LoadRun:
    """Load ``tables`` into a fresh database with ``settings``; stop the child after ``timeout`` seconds."""
    run = LoadRun("copy" if settings.bulk_copy else "merge")
    context = multiprocessing.get_context("spawn")  # a clean interpreter: nothing inherited from the build
    receiver, sender = context.Pipe(duplex=False)
    current: dict[str, Any] | None = None
    current_started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="codekg-bench-") as scratch:
        db_path = str(Path(scratch) / f"{run.strategy}.lbdb")
        child = context.Process(target=_load_in_child, args=(tables, db_path, settings, sender))
        child.start()
        sender.close()
        deadline = time.monotonic() + timeout
        while not run.finished and not run.error:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not wait([receiver], timeout=remaining):
                run.error, run.timed_out = f"stopped at the {timeout:g} s time limit", True
                break
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join()
                run.error = f"load process died (exit code {child.exitcode})"
                break
            if kind == "start":
                current, current_started = payload, time.monotonic()
            elif kind == "table":
                run.tables.append(payload)
                current = None
            elif kind == "error":
                run.error = payload
            else:
                run.finished = True
                run.node_counts, run.edge_counts = payload["node_counts"], payload["edge_counts"]
                run.peak_rss_mb = payload["peak_rss_mb"]
        if current is not None:
            run.unfinished = {**current, "seconds": time.monotonic() - current_started}
        if child.is_alive():
            child.terminate()
        child.join()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000, help="synthetic graph size (default 100000)")
    parser.add_argument("--timeout", type=float, default=300.0, help="time limit per load, in seconds (default 300)")
    parser.add_argument("--buffer-pool-mb", type=int, default=None,
                        help="database buffer pool, in MiB (default: codekg's buffer_pool_size setting)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    if args.nodes < NODES_PER_FILE:
        fail(f"--nodes must be at least {NODES_PER_FILE}")
    pool = args.buffer_pool_mb * 2**20 if args.buffer_pool_mb else None
    settings = {s: load_settings(None, bulk_copy=bulk_copy, buffer_pool_size=pool) for s, bulk_copy in STRATEGIES.items()}
    facts = machine_facts()
    facts["buffer pool"] = f"{settings['copy'].buffer_pool_size / 2**20:g} MiB"

    started = time.perf_counter()
    graph = synthetic_graph(args.nodes)
    tables = graph.to_tables()
    build_seconds = time.perf_counter() - started
    expected_nodes, expected_edges = sum(graph.node_counts().values()), sum(graph.edge_counts().values())
    del graph  # only the Arrow tables go to the loads

    runs = {strategy: load(tables, settings[strategy], args.timeout) for strategy in STRATEGIES}
    facts["load average at end (1 min, 5 min)"] = load_average()
    result = _result(runs, expected_nodes, expected_edges, build_seconds)
    if args.json:
        print(json.dumps({"machine": facts, **result, "runs": {s: asdict(r) for s, r in runs.items()}}, indent=2))
    else:
        print(_markdown(facts, runs, result))


def _result(runs: dict[str, LoadRun], expected_nodes: int, expected_edges: int, build_seconds: float) -> dict[str, Any]:
    copy, merge = runs["copy"], runs["merge"]
    both_done = {t["table"] for t in copy.tables} & {t["table"] for t in merge.tables}
    merge_elapsed = merge.seconds() + (merge.unfinished["seconds"] if merge.unfinished else 0.0)
    complete = copy.finished and merge.finished
    return {
        "graph": {"nodes": expected_nodes, "edges": expected_edges, "build_seconds": build_seconds},
        # Like for like: the tables both strategies finished (all of them when both loads finished).
        "merge_over_copy_same_tables": merge.seconds(only=both_done) / copy.seconds(only=both_done) if both_done else None,
        "tables_compared": len(both_done),
        "tables_total": len(copy.tables),
        # A MERGE stopped at the time limit has spent at least this long: the whole-load ratio is at least this.
        "merge_over_copy_whole_load_at_least": merge_elapsed / copy.seconds() if merge.timed_out else None,
        "expected_min_ratio": EXPECTED_MIN_RATIO,
        "counts_checked": complete,
        "counts_identical": complete and copy.node_counts == merge.node_counts and copy.edge_counts == merge.edge_counts,
        "counts_as_built": complete and all(
            sum(r.node_counts.values()) == expected_nodes and sum(r.edge_counts.values()) == expected_edges
            for r in runs.values()),
        "copy_fell_back_to_merge": [t["table"] for t in copy.tables if t["method"] != "copy"],
    }


def _markdown(facts: dict[str, str], runs: dict[str, LoadRun], result: dict[str, Any]) -> str:
    graph = result["graph"]
    lines = [
        "## COPY vs MERGE load",
        "",
        facts_markdown(facts),
        "",
        f"Synthetic graph: {graph['nodes']:,} nodes, {graph['edges']:,} edges "
        f"(built with codekg.graph.Graph and converted to Arrow in {graph['build_seconds']:.1f} s, not counted below).",
        "",
        markdown_table(
            ["strategy", "finished", "nodes s", "edges s", "total s", "nodes/s", "edges/s",
             "nodes stored", "edges stored", "peak RSS MB"],
            [_strategy_row(run) for run in runs.values()],
        ),
        "",
        markdown_table(["measure", "result", "expected", "verdict"], _verdict_rows(runs, result)),
        "",
        "Per table (seconds):",
        "",
        markdown_table(["table", "rows", *STRATEGIES, "merge / copy"], _per_table_rows(runs)),
    ]
    if result["copy_fell_back_to_merge"]:
        lines += ["", "**COPY fell back to MERGE for:** " + ", ".join(result["copy_fell_back_to_merge"])]
    return "\n".join(lines)


def _strategy_row(run: LoadRun) -> tuple[object, ...]:
    node_s, edge_s = run.seconds("nodes"), run.seconds("edges")
    done = run.finished
    return (
        run.strategy, "yes" if done else f"no: {run.error}",
        node_s, edge_s, node_s + edge_s,
        round(run.rows("nodes") / node_s) if node_s else "-",
        round(run.rows("edges") / edge_s) if edge_s else "-",
        sum(run.node_counts.values()) if done else "-",
        sum(run.edge_counts.values()) if done else "-",
        run.peak_rss_mb if done else "-",
    )


def _verdict_rows(runs: dict[str, LoadRun], result: dict[str, Any]) -> list[tuple[object, ...]]:
    expected = f"≥ {EXPECTED_MIN_RATIO:g}×"
    rows: list[tuple[object, ...]] = []
    same = result["merge_over_copy_same_tables"]
    if same is not None:
        scope = "all tables" if result["tables_compared"] == result["tables_total"] else \
            f"the {result['tables_compared']} of {result['tables_total']} tables MERGE finished"
        rows.append((f"merge / copy load time, {scope}", f"{same:.1f}×", expected,
                     "met" if same >= EXPECTED_MIN_RATIO else "**missed**"))
    merge = runs["merge"]
    if result["merge_over_copy_whole_load_at_least"] is not None:
        at_least = result["merge_over_copy_whole_load_at_least"]
        rows.append(("merge / copy load time, whole load (MERGE stopped: lower bound)", f"≥ {at_least:.1f}×", expected,
                     "met" if at_least >= EXPECTED_MIN_RATIO else "unknown"))
    if merge.timed_out and merge.unfinished:
        pending = merge.unfinished
        rows.append((f"MERGE rate on {pending['table']} ({pending['rows']:,} rows), unfinished after {pending['seconds']:.0f} s",
                     f"< {pending['rows'] / pending['seconds']:,.0f} rows/s", "", ""))
    if result["counts_checked"]:
        rows.append(("node and edge counts per label identical", "yes" if result["counts_identical"] else "**no**", "yes", ""))
        rows.append(("counts equal to the graph built", "yes" if result["counts_as_built"] else "**no**", "yes", ""))
    else:
        rows.append(("node and edge counts identical", "not checked: a load did not finish", "yes", "**unverified**"))
    return rows


def _per_table_rows(runs: dict[str, LoadRun]) -> list[tuple[object, ...]]:
    by_strategy = {s: {t["table"]: t for t in run.tables} for s, run in runs.items()}
    merge_run = runs["merge"]
    unfinished = merge_run.unfinished
    rows = []
    for table, copy in by_strategy["copy"].items():
        merge = by_strategy["merge"].get(table)
        if merge:
            rows.append((table, copy["rows"], copy["seconds"], merge["seconds"], f"{merge['seconds'] / copy['seconds']:.1f}×"))
        elif unfinished and unfinished["table"] == table and merge_run.timed_out:
            rows.append((table, copy["rows"], copy["seconds"], f"> {unfinished['seconds']:.1f} (stopped at the limit)",
                         f"> {unfinished['seconds'] / copy['seconds']:.0f}×"))
        elif unfinished and unfinished["table"] == table:
            rows.append((table, copy["rows"], copy["seconds"], f"failed after {unfinished['seconds']:.1f}", "-"))
        else:
            rows.append((table, copy["rows"], copy["seconds"], "not reached", "-"))
    return rows


if __name__ == "__main__":
    main()
