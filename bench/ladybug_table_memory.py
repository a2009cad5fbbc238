"""Resident memory of an empty embedded graph database as codekg creates its schema: the process's
RSS before and after each CREATE statement (docs/benchmarks.md §18d, the sync's memory target).

    python bench/ladybug_table_memory.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from codekg.settings import Settings
from codekg.stores.ladybug import LadybugStore, ddl_statements


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise SystemExit("no /proc/self/status: Linux only")


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        before_open = rss_mb()
        store = LadybugStore(Path(work) / "graph", Settings())
        opened = rss_mb()
        growth: dict[str, float] = {"node": 0.0, "rel": 0.0, "other": 0.0}
        counts: dict[str, int] = {"node": 0, "rel": 0, "other": 0}
        for statement in ddl_statements():
            start = rss_mb()
            store._execute(statement)
            kind = "node" if statement.startswith("CREATE NODE") else "rel" if statement.startswith("CREATE REL") else "other"
            growth[kind] += rss_mb() - start
            counts[kind] += 1
        print(f"python + codekg imports: {before_open:.0f} MB; database opened: {opened:.0f} MB; schema created: {rss_mb():.0f} MB")
        for kind in growth:
            if counts[kind]:
                print(f"  {counts[kind]} {kind} statements: +{growth[kind]:.0f} MB ({growth[kind] / counts[kind]:.1f} MB each)")
        store.close()


if __name__ == "__main__":
    main()
