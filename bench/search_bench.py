"""Search latency and embedding throughput on one repository (the issue's corpus: fastapi 0.115.6).

1. Index the repository with embeddings into a fresh folder (in this process) and report the
   embedding throughput of that run, in symbols per second.
2. Embedding throughput of both runtimes of all-MiniLM-L6-v2 on the same 512 symbol texts:
   onnxruntime with int8 weights (the default) and sentence-transformers with float32 weights.
3. p50/p95 latency of 200 varied queries (identifiers, split words, docstring phrases, natural
   language, prefixes), in this process after one warm-up query per mode, as a server answers them:
   keyword and hybrid (with embeddings), plus semantic.
4. Exact cosine top-50 over a synthetic 1,000,000 × 384 float32 matrix (numpy), p50/p95 over 20 queries.

    python bench/search_bench.py PATH [--json] [--no-torch] [--synthetic N]

PATH: the repository (or $CODEKG_BENCH_REPO); the fastapi sdist is fetched with
`pip download --no-deps --no-binary :all: fastapi==0.115.6 -d /tmp/corpus/fa` and extracted there.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from _common import corpus_command_line, facts_markdown, machine_facts, markdown_table, verdict

TARGET_KEYWORD_P95_MS = 10.0
TARGET_HYBRID_P95_MS = 30.0
QUESTIONS = [
    "how are dependencies resolved", "validate the request body", "return a JSON response", "handle http exceptions",
    "security scheme with oauth2 password", "generate the openapi schema", "upload a file", "websocket connection",
    "background tasks after the response", "middleware for cors", "read query parameters", "set a cookie",
    "create a database session", "authenticate the current user", "serialize a pydantic model", "path operation decorator",
    "api router include", "custom exception handler", "stream a large response", "test client request",
]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def varied_queries(db: Path, count: int = 200, seed: int = 7) -> list[str]:
    """Identifiers, their words, docstring phrases, questions and prefixes, drawn from the index itself."""
    from codekg.search.store import SearchStore
    from codekg.search.sync import search_path
    from codekg.search.tokens import split_identifier

    store = SearchStore(search_path(db), read_only=True)
    try:
        rows = store.connection.execute("SELECT name, docstring FROM symbols WHERE label != 'Variable' ORDER BY id").fetchall()
    finally:
        store.close()
    rng = random.Random(seed)
    documented = [doc for _, doc in rows if len(doc.split()) >= 4]
    queries: list[str] = []
    while len(queries) < count:
        kind = len(queries) % 5
        name = rng.choice(rows)[0]
        if kind == 0:
            queries.append(name)
        elif kind == 1:
            queries.append(" ".join(split_identifier(name)) or name)
        elif kind == 2 and documented:
            words = rng.choice(documented).split()
            start = rng.randrange(max(1, len(words) - 4))
            queries.append(" ".join(words[start : start + rng.randint(3, 6)]))
        elif kind == 3:
            queries.append(rng.choice(QUESTIONS))
        else:
            queries.append(name[: max(3, len(name) // 2)])
    return queries


def latencies_ms(db: Path, settings, queries: list[str], mode: str) -> list[float]:
    from codekg.search import search

    search(db, settings, queries[0], 10, mode)  # warm-up: loads the model and the vector matrix
    timings = []
    for query in queries:
        started = time.perf_counter()
        search(db, settings, query, 10, mode)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def runtime_throughputs(db: Path, with_torch: bool) -> dict[str, float]:
    from codekg.search.embeddings import DEFAULT_MODEL, TORCH_MODEL, embedding_throughput, load_embedder
    from codekg.search.store import SearchStore, embedding_text
    from codekg.search.sync import search_path

    store = SearchStore(search_path(db), read_only=True)
    try:
        texts = [embedding_text(*row) for row in store.connection.execute(
            "SELECT label, name, qualified_name, signature, docstring FROM symbols WHERE text_hash IS NOT NULL ORDER BY id LIMIT 512")]
    finally:
        store.close()
    result = {"onnx int8 (default)": embedding_throughput(load_embedder(DEFAULT_MODEL), texts)}
    if with_torch:
        result["sentence-transformers float32"] = embedding_throughput(load_embedder(TORCH_MODEL), texts)
    return result


def synthetic_cosine_ms(rows: int, dimension: int = 384, queries: int = 20) -> list[float]:
    import numpy as np

    from codekg.search.vectors import VectorMatrix, cosine_top_k

    rng = np.random.default_rng(0)
    matrix = np.empty((rows, dimension), dtype=np.float32)
    for start in range(0, rows, 100_000):  # in slices: no float64 copy of the whole matrix
        block = rng.standard_normal((min(100_000, rows - start), dimension), dtype=np.float32)
        matrix[start : start + len(block)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    vectors = VectorMatrix(np.arange(rows, dtype=np.int64), matrix)
    timings = []
    for _ in range(queries):
        query = rng.standard_normal(dimension, dtype=np.float32)
        started = time.perf_counter()
        cosine_top_k(vectors, query, 50)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    def extra(parser):
        parser.add_argument("--no-torch", action="store_true", help="skip the sentence-transformers throughput")
        parser.add_argument("--synthetic", type=int, default=1_000_000, help="rows of the synthetic matrix (0: skip)")

    args, repo = corpus_command_line(__doc__.splitlines()[0], "index and search", 1, "unused", extra)
    from codekg.pipeline import index_repository
    from codekg.settings import load_settings

    facts = machine_facts()
    report: dict = {"repo": str(repo), "machine": facts}
    with tempfile.TemporaryDirectory(prefix="codekg-search-bench-") as scratch:
        db = Path(scratch) / "db"
        summary = index_repository(repo, db, load_settings(repo, embeddings=True))
        search_report = summary.search
        report["index"] = {"symbols": search_report["symbols"], "embedded": search_report["embedded"],
                           "embedding_seconds": search_report["embedding_seconds"],
                           "symbols_per_second": search_report["embedded"] / search_report["embedding_seconds"],
                           "search_update_seconds": search_report["seconds"], "total_seconds": summary.total_seconds}
        report["runtimes_symbols_per_second"] = runtime_throughputs(db, not args.no_torch)
        settings = load_settings(repo)
        queries = varied_queries(db)
        report["latency_ms"] = {}
        for mode in ("keyword", "hybrid", "semantic"):
            timings = latencies_ms(db, settings, queries, mode)
            report["latency_ms"][mode] = {"p50": percentile(timings, 0.5), "p95": percentile(timings, 0.95), "max": max(timings)}
        report["queries_sample"] = queries[:10]
    if args.synthetic:
        timings = synthetic_cosine_ms(args.synthetic)
        report["synthetic_cosine_ms"] = {"rows": args.synthetic, "p50": percentile(timings, 0.5), "p95": percentile(timings, 0.95)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    index = report["index"]
    print(f"### {repo.name}: {index['symbols']:,} indexed symbols, {index['embedded']:,} embedded\n")
    print(facts_markdown(facts) + "\n")
    latency = report["latency_ms"]
    print(markdown_table(["mode", "p50 ms", "p95 ms", "max ms", "target p95", "verdict"], [
        ["keyword", latency["keyword"]["p50"], latency["keyword"]["p95"], latency["keyword"]["max"], TARGET_KEYWORD_P95_MS,
         verdict(latency["keyword"]["p95"], TARGET_KEYWORD_P95_MS)],
        ["hybrid (with embeddings)", latency["hybrid"]["p50"], latency["hybrid"]["p95"], latency["hybrid"]["max"],
         TARGET_HYBRID_P95_MS, verdict(latency["hybrid"]["p95"], TARGET_HYBRID_P95_MS)],
        ["semantic", latency["semantic"]["p50"], latency["semantic"]["p95"], latency["semantic"]["max"], "", ""],
    ]) + "\n")
    rows = [["index run (onnx int8)", index["symbols_per_second"]]]
    rows += [[f"{name}, 512 texts", value] for name, value in report["runtimes_symbols_per_second"].items()]
    print(markdown_table(["embedding", "symbols/s"], rows) + "\n")
    if "synthetic_cosine_ms" in report:
        synthetic = report["synthetic_cosine_ms"]
        print(f"Exact cosine top-50 over {synthetic['rows']:,} × 384 float32: p50 {synthetic['p50']:.1f} ms, "
              f"p95 {synthetic['p95']:.1f} ms (20 queries).")


if __name__ == "__main__":
    main()
