"""Latency of `context` and `impact` (depth 3, upstream) on one indexed repository, in-process.

The repository is indexed once (`python -m codekg index PATH --db <temp>`), then the index is
opened read-only in this process, as the HTTP API and the MCP server hold it, and 200 symbols are
asked about: a fixed-seed sample over Function, Method, Class, Module and Variable nodes (qualified
names that name one node), plus the most-called symbols, which have the largest blast radius.
Each symbol is asked once per function after a warm-up of 10 calls; p50, p95 and max are over those
200 calls, with the number of store round trips per call.

    python bench/query_bench.py PATH [--queries N] [--json]

The targets (issue "Search, context and impact"): on fastapi 0.115.6, context p95 ≤ 20 ms and
impact at depth 3 p95 ≤ 50 ms.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _common import corpus_command_line, facts_markdown, fail, load_average, machine_facts, markdown_table, run_measured, verdict

from codekg.analysis import impact, symbol_context
from codekg.settings import load_settings
from codekg.stores import open_index

TARGET_CONTEXT_P95_MS = 20.0
TARGET_IMPACT_P95_MS = 50.0
SAMPLE_BY_LABEL = {"Function": 0.40, "Method": 0.25, "Class": 0.20, "Module": 0.10, "Variable": 0.05}
HUBS = 5  # the most-called symbols, always in the sample
SEED = 20250101


class CountingStore:
    """The store, counting round trips."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.calls = 0

    def query(self, cypher: str, parameters: dict[str, Any] | None = None) -> Any:
        self.calls += 1
        return self.store.query(cypher, parameters)


def sample_symbols(store: Any, count: int) -> list[str]:
    rng = random.Random(SEED)
    chosen: list[str] = []
    hubs = store.query("MATCH (a)-[e:CALLS]->(b) WHERE label(b) <> 'External' RETURN b.qualified_name, count(*) AS n "
                       "ORDER BY n DESC, b.qualified_name LIMIT $n", {"n": HUBS * 3}).rows
    for label, share in SAMPLE_BY_LABEL.items():
        rows = store.query(f"MATCH (n:{label}) RETURN n.qualified_name, count(*) AS k ORDER BY n.qualified_name").rows
        unique = [name for name, k in rows if k == 1]
        chosen += rng.sample(unique, min(len(unique), round((count - HUBS) * share)))
    for name, _ in hubs:
        if len(chosen) >= count:
            break
        if name not in chosen and len(store.query("MATCH (n) WHERE n.qualified_name = $q RETURN n.id", {"q": name}).rows) == 1:
            chosen.append(name)
    rng.shuffle(chosen)
    return chosen[:count]


def measure(store: CountingStore, symbols: list[str], call: Callable[[str], Any]) -> dict[str, Any]:
    for name in symbols[:10]:
        call(name)
    timings, trips, sizes = [], [], []
    for name in symbols:
        store.calls = 0
        started = time.perf_counter()
        result = call(name)
        timings.append((time.perf_counter() - started) * 1000)
        trips.append(store.calls)
        sizes.append(result_size(result))
    ordered = sorted(timings)
    slowest = max(range(len(symbols)), key=lambda i: timings[i])
    return {
        "calls": len(timings),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[max(0, round(0.95 * len(ordered)) - 1)], 2),
        "max_ms": round(ordered[-1], 2),
        "slowest": f"{symbols[slowest]} ({sizes[slowest]} related symbols)",
        "round_trips_median": statistics.median(trips),
        "round_trips_max": max(trips),
        "related_median": statistics.median(sizes),
        "related_max": max(sizes),
    }


def result_size(result: dict[str, Any]) -> int:
    if "levels" in result:
        return sum(len(level["symbols"]) for level in result["levels"])
    return sum(len(v) for v in result.values() if isinstance(v, list))


def main() -> None:
    args, repo = corpus_command_line(
        __doc__.splitlines()[0], "index and query", 1, "index runs (the first is used)",
        lambda parser: parser.add_argument("--queries", type=int, default=200, help="symbols to ask about (default 200)"),
    )
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="codekg-query-bench-") as scratch:
        db = Path(scratch) / "db"
        indexed = run_measured([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(db), "--quiet", "--json"])
        if indexed.returncode != 0:
            fail(f"indexing {repo} failed:\n{indexed.stderr.strip()}", code=1)
        summary = json.loads(indexed.stdout)
        store = CountingStore(open_index(db, load_settings(None)))
        try:
            symbols = sample_symbols(store.store, args.queries)
            context = measure(store, symbols, lambda name: symbol_context(store, repo, name))
            blast = measure(store, symbols, lambda name: impact(store, name, depth=3))
        finally:
            store.store.close()
    facts["load average at end (1 min, 5 min)"] = load_average()
    graph = {"files": sum(summary["files_by_language"].values()), "nodes": sum(summary["nodes"].values()),
             "edges": sum(summary["edges"].values()), "CALLS": summary["edges"].get("CALLS", 0),
             "index_wall_s": round(indexed.wall_seconds, 2)}
    results = {"context": context, "impact depth 3": blast}
    if args.json:
        print(json.dumps({"facts": facts, "repo": str(repo), "graph": graph, "results": results}, indent=2))
        return
    print(f"### Query latency: {repo.name}\n")
    print(facts_markdown(facts) + "\n")
    print(f"Graph: {graph['files']} files, {graph['nodes']:,} nodes, {graph['edges']:,} edges "
          f"({graph['CALLS']:,} CALLS); indexed in {graph['index_wall_s']} s.\n")
    targets = {"context": TARGET_CONTEXT_P95_MS, "impact depth 3": TARGET_IMPACT_P95_MS}
    print(markdown_table(
        ["query", "calls", "p50 ms", "p95 ms", "max ms", "target p95", "verdict", "round trips (median / max)",
         "related symbols (median / max)", "slowest"],
        [[name, r["calls"], r["p50_ms"], r["p95_ms"], r["max_ms"], f"≤ {targets[name]:.0f} ms",
          verdict(r["p95_ms"], targets[name]), f"{r['round_trips_median']:g} / {r['round_trips_max']}",
          f"{r['related_median']:g} / {r['related_max']}", r["slowest"]] for name, r in results.items()],
    ))


if __name__ == "__main__":
    main()
