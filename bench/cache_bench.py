"""The parse cache's effect on a full `codekg index`: without the cache, cold (empty cache), warm.

All runs index into one database folder per mode, each in a fresh `python -m codekg index`
subprocess, in this order within one run of the script: no cache, cold (the cache is created),
then the warm runs (every file's record comes from the cache). The ratio of the parse pass warm to
cold is the cache's gain; the whole-index ratio also carries structure, resolve and load, which
this cache does not touch.

    python bench/cache_bench.py PATH [--runs N] [--json]
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

from _common import corpus_command_line, facts_markdown, fail, load_average, machine_facts, markdown_table, median, run_measured


def index(repo: Path, db: Path, cache_on: bool) -> dict:
    # --full: a re-run would otherwise find nothing changed and skip every pass
    argv = [sys.executable, "-m", "codekg", "index", str(repo), "--db", str(db), "--json", "--quiet", "--full"]
    env_flag = "1" if cache_on else "0"
    previous = os.environ.get("CODEKG_PARSE_CACHE")
    os.environ["CODEKG_PARSE_CACHE"] = env_flag
    try:
        child = run_measured(argv)
    finally:
        if previous is None:
            os.environ.pop("CODEKG_PARSE_CACHE", None)
        else:
            os.environ["CODEKG_PARSE_CACHE"] = previous
    if child.returncode != 0:
        fail(f"`{' '.join(argv)}` exited {child.returncode}:\n{child.stderr.strip()}", code=1)
    summary = json.loads(child.stdout)
    return {"wall_s": round(child.wall_seconds, 3), "parse_s": summary["pass_seconds"]["parse"],
            "peak_rss_mb": round(child.peak_rss_mb, 1), "hits": summary["parse_cache"]["hits"],
            "misses": summary["parse_cache"]["misses"]}


def main() -> None:
    args, repo = corpus_command_line(__doc__.splitlines()[0], "index", 3, "warm runs")
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="codekg-cache-bench-") as scratch:
        rows = [("no cache", index(repo, Path(scratch) / "plain", cache_on=False)),
                ("cold", index(repo, Path(scratch) / "cached", cache_on=True))]
        rows += [(f"warm {n + 1}", index(repo, Path(scratch) / "cached", cache_on=True)) for n in range(args.runs)]
    facts["load average at end (1 min, 5 min)"] = load_average()
    warm = [run for name, run in rows if name.startswith("warm")]
    cold = rows[1][1]
    ratios = {
        "parse pass, cold / warm (median)": round(cold["parse_s"] / median(r["parse_s"] for r in warm), 1),
        "whole index, cold / warm (median)": round(cold["wall_s"] / median(r["wall_s"] for r in warm), 1),
        "parse pass, cold / no cache (cost of filling the cache)": round(cold["parse_s"] / rows[0][1]["parse_s"], 2),
    }
    if args.json:
        print(json.dumps({"facts": facts, "runs": dict(rows), "ratios": ratios}, indent=2))
        return
    print(facts_markdown(facts))
    print()
    print(markdown_table(["run", "wall s", "parse s", "peak RSS MB", "cache hits", "cache misses"],
                         [(name, r["wall_s"], r["parse_s"], r["peak_rss_mb"], r["hits"], r["misses"]) for name, r in rows]))
    print()
    print(markdown_table(["ratio", "value"], [(name, f"{value}×") for name, value in ratios.items()]))


if __name__ == "__main__":
    main()
