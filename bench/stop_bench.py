"""How fast Ctrl-C/SIGTERM stop `codekg index`, wherever the run is (target: 2 s), and what is left.

The corpus is copied to a temporary folder and indexed once. Then, for each of ``--points`` moments
spread over a run (a fraction of the time an uninterrupted run takes), a fresh ``codekg index`` is
started (``--full``, parse cache off, so every pass does its whole work), sent SIGINT or SIGTERM in
turn at that moment, and timed until it exits. After each, ``codekg stats`` must show the previous
index (the same `indexed_at`), unless the run had published already and says so. A signal during
interpreter start-up, before the run installs its handlers, ends the process the default way
(-2 or -15 here; 130 or 143 in a shell), before anything was written.

    python bench/stop_bench.py PATH [--points N] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import corpus_path, fail, load_average, machine_facts, markdown_table, median  # noqa: E402

TARGET_SECONDS = 2.0
CODEKG = [sys.executable, "-m", "codekg"]
ENV = {**os.environ, "CODEKG_PARSE_CACHE": "0"}


def indexed_at(repo: Path) -> str:
    result = subprocess.run([*CODEKG, "stats", "--repo", str(repo), "--json"], capture_output=True, text=True, env=ENV)
    if result.returncode != 0:
        fail(f"codekg stats failed: {result.stderr.strip()}", 1)
    return json.loads(result.stdout)["indexed_at"]


def stop_at(repo: Path, delay: float, signal_number: int) -> dict[str, object]:
    before = indexed_at(repo)
    process = subprocess.Popen([*CODEKG, "index", str(repo), "--full", "--quiet"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=ENV)
    time.sleep(delay)
    if process.poll() is not None:
        process.communicate()
        return {"at": delay, "signal": "-", "exit": process.returncode, "stop_seconds": None, "index": "finished first"}
    sent = time.monotonic()
    process.send_signal(signal_number)
    _, stderr = process.communicate()
    stopped = time.monotonic() - sent
    published = "the new index is live" in stderr
    kept = indexed_at(repo) == before
    index = "new, and said so" if published and not kept else "previous" if kept and not published else "WRONG"
    return {"at": delay, "signal": signal.Signals(signal_number).name, "exit": process.returncode,
            "stop_seconds": round(stopped, 2), "index": index}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--points", type=int, default=12, help="moments to signal at, spread over one run")
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()
    corpus = corpus_path(arguments.path)
    with tempfile.TemporaryDirectory(prefix="codekg-stop-") as scratch:
        repo = Path(scratch) / corpus.name
        shutil.copytree(corpus, repo, ignore=shutil.ignore_patterns(".codekg", ".git"))
        started = time.monotonic()
        if subprocess.run([*CODEKG, "index", str(repo), "--quiet"], capture_output=True, env=ENV).returncode != 0:
            fail("the first index of the corpus failed", 1)
        run_seconds = time.monotonic() - started
        signals = [signal.SIGINT, signal.SIGTERM]
        rows = [stop_at(repo, run_seconds * (point + 0.5) / arguments.points, signals[point % 2])
                for point in range(arguments.points)]
    stops = [row["stop_seconds"] for row in rows if row["stop_seconds"] is not None]
    report = {"corpus": str(corpus), "run_seconds": round(run_seconds, 2), "load_average": load_average(),
              "median_stop_seconds": median(stops) if stops else None, "max_stop_seconds": max(stops, default=None),
              "target_seconds": TARGET_SECONDS, "points": rows, "machine": machine_facts()}
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{corpus}: an uninterrupted run takes {report['run_seconds']} s (load average {report['load_average']})")
    print(markdown_table(["signal at (s)", "signal", "exit", "stopped after (s)", "index afterwards"],
                         [[row["at"], row["signal"], row["exit"], row["stop_seconds"], row["index"]] for row in rows]))
    print(f"median {report['median_stop_seconds']} s, max {report['max_stop_seconds']} s (target {TARGET_SECONDS} s)")
    if any(row["index"] == "WRONG" or row["exit"] not in (0, 130, -signal.SIGINT, -signal.SIGTERM) for row in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
