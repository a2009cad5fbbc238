"""HTTP API latency through a real `codekg serve`, as a client sees it (issue 13's guard and sandbox cost).

Usage: python bench/api_bench.py INDEXED_REPO [--requests 200] [--src SRC_DIR]

Starts `codekg serve --repo INDEXED_REPO --port 0` (from ``--src`` when given, to compare versions:
`PYTHONPATH=SRC_DIR`), then sends, on one kept-alive connection, ``--requests`` of each: GET
/healthz, POST /query with a small read (`MATCH (f:Function) RETURN f.name LIMIT 10`), POST /query
refused by the guard (`CREATE …`) and GET /context of the first function found. Prints p50 and
p95 in milliseconds per request kind, and the server's RSS at the end.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--src", type=Path, help="codekg sources to run (default: the installed codekg)")
    arguments = parser.parse_args()
    env = dict(os.environ)
    if arguments.src:
        env["PYTHONPATH"] = str(arguments.src)
    server = subprocess.Popen([sys.executable, "-m", "codekg", "serve", "--repo", str(arguments.repo), "--port", "0"],
                              stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = server.stderr.readline()
        found = re.search(r" on (http://[^ ;/]+)", line)
        if not found:
            raise SystemExit(f"the server did not start: {line}{server.stderr.read()}")
        with httpx.Client(base_url=found.group(1), timeout=60) as client:
            name = client.post("/query", json={"cypher": "MATCH (f:Function) RETURN f.qualified_name LIMIT 1"}).json()["rows"][0][0]
            kinds = {
                "GET /healthz": lambda: client.get("/healthz"),
                "POST /query (read)": lambda: client.post(
                    "/query", json={"cypher": "MATCH (f:Function) RETURN f.name LIMIT 10"}),
                "POST /query (refused)": lambda: client.post("/query", json={"cypher": "CREATE (:Function {id: 'x'})"}),
                "GET /context": lambda: client.get("/context", params={"symbol": name}),
            }
            print(f"| request | p50 ms | p95 ms | requests |")
            print("|---|---|---|---|")
            for kind, send in kinds.items():
                send()  # warm: workers started, pages cached
                seconds = []
                for _ in range(arguments.requests):
                    started = time.perf_counter()
                    send().raise_for_status() if "refused" not in kind else send()
                    seconds.append(time.perf_counter() - started)
                print(f"| {kind} | {percentile(seconds, 0.5) * 1000:.1f} | {percentile(seconds, 0.95) * 1000:.1f} | "
                      f"{arguments.requests} |", flush=True)
        rss_kb = next(int(line.split()[1]) for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                      if line.startswith("VmRSS:"))
        print(f"\nserver RSS at the end: {rss_kb / 1024:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
