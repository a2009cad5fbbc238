"""Start-up time of the `codekg` command: each command as a whole, fresh process, wall time per run.

Every command first runs once unmeasured (so the file cache holds the interpreter and the packages),
then ``--runs`` times, the commands taking turns so that a change in the machine's load touches them
all alike. A run's wall time is time.perf_counter around subprocess.run of `python -m codekg ...`;
the median and the minimum per command are printed. A command that exits non-zero fails the script.

    python bench/startup_bench.py INDEX_DIR [--runs N] [--json]

INDEX_DIR is an index built beforehand, for example
`python -m codekg index src --db /tmp/startup_idx -q` (a small repository).
The targets (issue "start-up time"): `codekg --version` ≤ 0.15 s, `codekg query` on a small index ≤ 0.4 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import fail, load_average, machine_facts, markdown_table, median, verdict  # noqa: E402

CODEKG = [sys.executable, "-m", "codekg"]
QUERY = "MATCH (f:File) RETURN count(f)"
TARGETS = {"--version": 0.15, "query": 0.4}  # seconds, median wall


def commands(index: Path) -> dict[str, list[str]]:
    """The measured commands by name (the name also keys TARGETS)."""
    return {
        "--version": ["--version"],
        "version": ["version"],
        "--help": ["--help"],
        "query": ["query", QUERY, "--db", str(index)],
    }


def wall_seconds(arguments: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run([*CODEKG, *arguments], capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        fail(f"`codekg {' '.join(arguments)}` exited {result.returncode}: {result.stderr.strip()}", 1)
    return elapsed


def measure(index: Path, runs: int) -> dict[str, list[float]]:
    measured = commands(index)
    for arguments in measured.values():
        wall_seconds(arguments)  # warm-up, not counted
    timings: dict[str, list[float]] = {name: [] for name in measured}
    for _ in range(runs):
        for name, arguments in measured.items():
            timings[name].append(wall_seconds(arguments))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("index", help="an index directory (codekg index PATH --db INDEX_DIR)")
    parser.add_argument("--runs", type=int, default=10, help="measured runs per command (default 10)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    arguments = parser.parse_args()
    index = Path(arguments.index).expanduser().resolve()
    if not index.is_dir():
        fail(f"{index} is not a directory")
    if arguments.runs < 1:
        fail("--runs must be at least 1")
    load_at_start = load_average()
    timings = measure(index, arguments.runs)
    rows = [{"command": f"codekg {' '.join(command)}", "name": name, "runs": len(timings[name]),
             "median_seconds": round(median(timings[name]), 4), "min_seconds": round(min(timings[name]), 4),
             "target_seconds": TARGETS.get(name)}
            for name, command in commands(index).items()]
    report = {"index": str(index), "python": sys.executable, "load_average_at_start": load_at_start,
              "load_average_at_end": load_average(), "commands": rows, "machine": machine_facts()}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{arguments.runs} runs per command; load average {load_at_start} at start, {report['load_average_at_end']} at end")
    print(markdown_table(["command", "median (s)", "min (s)", "target (s)", "verdict"],
                         [[row["command"], row["median_seconds"], row["min_seconds"], row["target_seconds"] or "",
                           "" if row["target_seconds"] is None else verdict(row["median_seconds"], row["target_seconds"])]
                          for row in rows]))


if __name__ == "__main__":
    main()
