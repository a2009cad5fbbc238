"""Where the embedded database's parser stalls or crashes: the measurements behind the query guard's limits.

Usage: python bench/query_limits_probe.py [FORM ...] [--depths 10,20,100,1000] [--timeout 60]

Each query runs in a fresh process against an empty read-only database (a crash must not take this
script down), straight through Ladybug, without the guard. Prints, per form and depth: the query's
length, the exit (`ok`, `error`, `SIGSEGV`, `timeout`) and the seconds the database took. The
figures in docs/security.md come from this script; rerun it when Ladybug is upgraded and move the
limits in settings.py (`query_max_depth`, `query_max_tokens`) if the parser changed.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUN = r"""
import sys, time, ladybug
db = ladybug.Database(sys.argv[1], read_only=True, max_db_size=1 << 30)
connection = ladybug.Connection(db)
connection.set_query_timeout(5000)
query = sys.stdin.read()
started = time.perf_counter()
try:
    result = connection.execute(query)
    while result.has_next():
        result.get_next()
    print("ok", round(time.perf_counter() - started, 3))
except RuntimeError as error:
    print("error", round(time.perf_counter() - started, 3), str(error).splitlines()[0][:80])
"""

FORMS = {
    "parens": lambda n: "RETURN " + "(" * n + "1" + ")" * n,
    "list": lambda n: "RETURN " + "[" * n + "1" + "]" * n,
    "map": lambda n: "RETURN " + "{a: " * n + "1" + "}" * n,
    "case": lambda n: "RETURN " + "CASE WHEN true THEN " * n + "1" + " END" * n,
    "function": lambda n: "RETURN " + "abs(" * n + "1" + ")" * n,
    "not": lambda n: "RETURN " + "NOT " * n + "true",
    "plus": lambda n: "RETURN 1" + " + 1" * n,
    "nodes": lambda n: "MATCH " + ", ".join(f"(a{i})" for i in range(n)) + " RETURN count(*)",
}


def empty_database(folder: Path) -> Path:
    import ladybug

    path = folder / "empty.lbdb"
    database = ladybug.Database(str(path), max_db_size=1 << 30)
    ladybug.Connection(database).execute("CREATE NODE TABLE N(id STRING, PRIMARY KEY(id))")
    database.close()
    return path


def probe(database: Path, query: str, timeout: float) -> str:
    try:
        done = subprocess.run([sys.executable, "-c", RUN, str(database)], input=query, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timeout (> {timeout:g} s)"
    if done.returncode < 0:
        return signal.Signals(-done.returncode).name
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("forms", nargs="*", default=list(FORMS), help=f"any of {', '.join(FORMS)} (default: all)")
    parser.add_argument("--depths", default="16,20,100,1000,3000")
    parser.add_argument("--timeout", type=float, default=60.0)
    arguments = parser.parse_args()
    unknown = set(arguments.forms) - set(FORMS)
    if unknown:
        parser.error(f"unknown form {', '.join(sorted(unknown))}: use {', '.join(FORMS)}")
    with tempfile.TemporaryDirectory() as folder:
        database = empty_database(Path(folder))
        print("| form | depth | characters | outcome (seconds in the database) |")
        print("|---|---|---|---|")
        for form in arguments.forms:
            for depth in (int(d) for d in arguments.depths.split(",")):
                query = FORMS[form](depth)
                started = time.perf_counter()
                outcome = probe(database, query, arguments.timeout)
                print(f"| {form} | {depth:,} | {len(query):,} | {outcome} (process {time.perf_counter() - started:.1f} s) |",
                      flush=True)


if __name__ == "__main__":
    main()
