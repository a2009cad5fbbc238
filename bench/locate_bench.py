"""How long `locate` takes on an indexed repository: the first call (which reads every file's text
into the body index), then in process with the index held open (p50/p95 over varied issue texts),
then whole `codekg locate` processes as a user runs them (start-up included).

The issue texts are made from the repository itself, seeded: a traceback through two functions with
the message a `raise` of one of them holds, a prose report built from a docstring's words and a
method's name, a bare question of a few words, and a 50 KB report. Issue 23's targets, on a
2,000-file repository: p95 ≤ 300 ms in process, ≤ 1 s through the CLI.

    python bench/locate_bench.py REPO [--db DB] [--texts 40] [--cli-runs 5]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from codekg.search.locate import Locator
from codekg.settings import load_settings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def issue_texts(locator: Locator, count: int, seed: int = 7) -> list[str]:
    """Varied issue texts made from the repository's own functions, docstrings and messages."""
    rng = random.Random(seed)
    rows = locator.graph.query("MATCH (f:Function) WHERE f.docstring <> '' RETURN f.qualified_name, f.file_path, "
                               "f.start_line, f.docstring ORDER BY f.id").rows
    methods = [name for (name,) in locator.graph.query("MATCH (m:Method) RETURN m.name ORDER BY m.id").rows]
    texts: list[str] = []
    for number in range(count):
        name, path, line, docstring = rng.choice(rows)
        words = re.findall(r"[A-Za-z]{4,}", docstring)[:12]
        source = (locator.root / path).read_text(errors="replace").splitlines()
        raised = next((m.group(1) for text in source for m in [re.search(r"raise \w+\(\s*[fr]?[\"']([^\"']{12,})", text)] if m), "")
        kind = number % 4
        if kind == 0:
            texts.append(f"{name.rsplit('.', 1)[-1]} fails\n\nTraceback (most recent call last):\n"
                         f'  File "/venv/lib/site-packages/{path}", line {line + 1}, in {name.rsplit(".", 1)[-1]}\n'
                         f"ValueError: {raised or ' '.join(words)}\n")
        elif kind == 1:
            texts.append(f"When I use `{rng.choice(methods)}` the result is wrong. {' '.join(words)}. "
                         f"I expected {' '.join(rng.sample(words, min(3, len(words))))} instead.")
        elif kind == 2:
            texts.append(" ".join(rng.sample(words, min(4, len(words)))) or name)
        else:
            texts.append((" ".join(words) + ". ") * (50_000 // max(1, len(" ".join(words)) + 2) + 1))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", type=Path, help="an indexed repository")
    parser.add_argument("--db", type=Path, help="its index (default: REPO/.codekg)")
    parser.add_argument("--texts", type=int, default=40, help="issue texts timed in process")
    parser.add_argument("--cli-runs", type=int, default=5, help="whole `codekg locate` processes timed")
    args = parser.parse_args()
    db = args.db or args.repo / ".codekg"
    settings = load_settings(args.repo)
    (db / "bodies.sqlite").unlink(missing_ok=True)

    started = time.perf_counter()
    locator = Locator(db, args.repo, settings)
    first = locator.locate("warm up", "file", 10)
    first_seconds = time.perf_counter() - started
    texts = issue_texts(locator, args.texts)
    timings: dict[str, list[float]] = {"file": [], "symbol": []}
    for text in texts:
        for level in timings:
            begun = time.perf_counter()
            locator.locate(text, level, 10)
            timings[level].append((time.perf_counter() - begun) * 1000)
    locator.close()

    cli: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        issue = Path(scratch) / "ISSUE.md"
        issue.write_text(texts[0])
        for _ in range(args.cli_runs):
            begun = time.perf_counter()
            subprocess.run([sys.executable, "-m", "codekg", "locate", "--file", str(issue), "--repo", str(args.repo),
                            "--db", str(db), "--json"], check=True, capture_output=True)
            cli.append(time.perf_counter() - begun)
    report = {
        "repo": str(args.repo), "files": first["body_index"]["files_read"],
        "first_call_seconds": round(first_seconds, 3),
        **{f"{level}_ms": {"p50": round(statistics.median(values), 1), "p95": round(percentile(values, 0.95), 1),
                           "max": round(max(values), 1), "texts": len(values)} for level, values in timings.items()},
        "cli_seconds": {"median": round(statistics.median(cli), 3), "max": round(max(cli), 3), "runs": len(cli)},
        "body_index_mb": round((db / "bodies.sqlite").stat().st_size / 1e6, 1),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
