"""`codekg sync` of a generated ontology remote (bench/ontology_corpus.py): a cold sync, a no-change
sync and a one-file change, as whole processes (wall time, max RSS); then kill -9 at random points of
a cold sync, N trials: each resume must finish, reach its first new file quickly, and end with the
node and edge counts of a clean sync (docs/benchmarks.md §18).

    python bench/sync_bench.py [--files 974] [--trials 20] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ontology_corpus import write_corpus  # noqa: E402


def git(cwd: Path, *arguments: str) -> None:
    subprocess.run(["git", "-c", "user.email=b@example.org", "-c", "user.name=bench", *arguments], cwd=cwd, check=True,
                   capture_output=True)


def timed_sync(source: Path, db: Path, *extra: str) -> tuple[float, int, dict]:
    command = ["/usr/bin/time", "-f", "%e %M", sys.executable, "-m", "codekg", "sync", str(source), "--db", str(db),
               "--json", "--progress", "none", *extra]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"sync failed: {done.stderr[-2000:]}")
    wall, rss = done.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss) // 1024, json.loads(done.stdout)


ONTOLOGY_LABELS = "['Ontology', 'OntologyClass', 'OntologyProperty', 'Axiom']"
ONTOLOGY_QUERIES = (
    f"MATCH (n) WHERE label(n) IN {ONTOLOGY_LABELS} RETURN n",
    f"MATCH (a)-[r]->(b) WHERE label(a) IN {ONTOLOGY_LABELS} OR label(b) IN {ONTOLOGY_LABELS} "
    "RETURN label(r) AS type, a.id AS source, b.id AS target, r",
)


def ontology_triples(db: Path) -> tuple[str, int]:
    """Every ontology node (all its properties but `last_synced`, the file's time on disk) and every
    edge to or from one (with its properties), sorted: a digest and how many."""
    rows: list[str] = []
    for query in ONTOLOGY_QUERIES:
        done = subprocess.run([sys.executable, "-m", "codekg", "query", query, "--db", str(db), "--format", "json"],
                              capture_output=True, text=True, env={**os.environ, "CODEKG_QUERY_MAX_ROWS": "100000000"})
        if done.returncode != 0:
            raise SystemExit(f"query failed: {done.stderr[-2000:]}")
        for row in json.loads(done.stdout):
            for value in row.values():
                if isinstance(value, dict):
                    value.pop("last_synced", None)
                    value.pop("_ID", None)
                    value.pop("_SRC", None)
                    value.pop("_DST", None)
            rows.append(json.dumps(row, sort_keys=True))
    rows.sort()
    return hashlib.sha256("\n".join(rows).encode()).hexdigest(), len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=974)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--keep", type=Path)
    arguments = parser.parse_args()
    work = arguments.keep or Path(tempfile.mkdtemp(prefix="codekg-sync-bench-"))
    source = work / "remote"
    if not source.exists():
        write_corpus(source, arguments.files, 7)
        git(source, "init", "-q", "-b", "main")
        git(source, "add", "-A")
        git(source, "commit", "-q", "-m", "corpus")
    wall, rss, cold = timed_sync(source, work / "db-cold", "--restart")
    print(f"cold sync: {cold['files']['total']} files, wall {wall:.2f} s, {cold['files']['total'] / wall:.1f} files/s, "
          f"max RSS {rss} MB; fetch {cold['seconds']['fetch']} s, write {cold['seconds']['write']} s, index "
          f"{cold['seconds']['index']} s; write latency {cold['write_latency_ms']}")
    wall, rss, same = timed_sync(source, work / "db-cold")
    print(f"no-change sync: wall {wall:.2f} s, max RSS {rss} MB, written {same['files']['written']}")
    page = next((source / "pages").glob("*.md"))
    page.write_text(page.read_text() + "\nOne more line.\n")
    git(source, "commit", "-q", "-am", "one page")
    wall, rss, one = timed_sync(source, work / "db-cold")
    print(f"one-file sync: wall {wall:.2f} s, max RSS {rss} MB, written {one['files']['written']}")
    expected = (one["index"]["nodes"], one["index"]["edges"])
    expected_triples = ontology_triples(work / "db-cold")
    print(f"ontology nodes and edges of a clean sync: {expected_triples[1]}")
    rng = random.Random(arguments.seed)
    first_new: list[float] = []
    for trial in range(arguments.trials):
        db = work / f"db-kill-{trial}"
        killed = subprocess.Popen([sys.executable, "-m", "codekg", "sync", str(source), "--db", str(db), "--json",
                                   "--progress", "none"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        delay = rng.uniform(0.2, cold["seconds"]["write"] + cold["seconds"]["index"] + 2.0)
        time.sleep(delay)
        os.kill(killed.pid, signal.SIGKILL)
        killed.wait()
        started = time.monotonic()
        resumed = subprocess.Popen([sys.executable, "-m", "codekg", "sync", str(source), "--db", str(db), "--json",
                                    "--progress", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        output, errors = resumed.communicate()
        elapsed = time.monotonic() - started
        report = json.loads(output)
        if resumed.returncode != 0:
            raise SystemExit(f"trial {trial + 1}: the resume failed (exit {resumed.returncode}): {output} {errors[-2000:]}")
        # until the first new file: the whole process but its writing and indexing (start-up, checkpoint, fetch, listing)
        first_new.append(elapsed - report["seconds"]["write"] - report["seconds"]["index"])
        triples = ontology_triples(db)
        same = (report["index"]["nodes"], report["index"]["edges"]) == expected and triples == expected_triples
        phase = "write" if report["files"]["unchanged"] < report["files"]["total"] else "index"
        print(f"trial {trial + 1}: killed after {delay:.2f} s; resume: {report['resumed'] and 'resumed' or 'fresh'}, "
              f"{report['files']['written']} written, redone from {phase}, {elapsed:.2f} s "
              f"(first new file after {first_new[-1]:.2f} s), equal counts and ontology triples: {same}")
        if not same:
            raise SystemExit("a resumed sync differs from a clean one")
    print(f"{arguments.trials} trials: every resume finished and equals a clean sync, counts and "
          f"{expected_triples[1]} ontology nodes and edges; time to the first new file "
          f"max {max(first_new):.2f} s")


if __name__ == "__main__":
    main()
