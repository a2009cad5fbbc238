"""Cold `codekg index` of one repository: wall time, peak RSS and seconds per pass.

Each run is a fresh `python -m codekg index` subprocess writing into a fresh database folder, so
every run pays interpreter start-up, imports and a full build, as a user's first index does (the
OS file cache is warm after the first run). After each run the same Python files are parsed raw
in this process (bench/raw_parse.py), so the codekg/raw ratio is taken under the same machine load.
With ``--workers 1,2`` every run indexes once per worker count (interleaved, so both see the same
machine load) and a table compares the medians. Peak RSS is the largest single process (``wait4``
reports the child's or its largest descendant's), not the sum of codekg and its parse workers.

    python bench/index_bench.py PATH [--runs N] [--workers 1,2] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from _common import (
    positive_int_list,
    corpus_command_line,
    facts_markdown,
    fail,
    load_average,
    machine_facts,
    markdown_table,
    median,
    run_measured,
    verdict,
)
from raw_parse import python_sources, raw_parse_seconds

# The targets for a cold index of pydantic (about 440 files) on this class of machine.
TARGET_WALL_SECONDS = 10.0
TARGET_PEAK_RSS_MB = 500.0


@dataclass(slots=True)
class IndexRun:
    wall_seconds: float
    peak_rss_mb: float
    raw_parse_seconds: float | None  # None when the repository has no Python files
    summary: dict[str, Any]  # `codekg index --json` output
    workers: int | None = None  # `--workers` given to codekg; None: its default


def index_once(repo: Path, workers: int | None = None) -> IndexRun:
    """One cold index in a child process; exits with the child's message if codekg fails."""
    with tempfile.TemporaryDirectory(prefix="codekg-bench-") as scratch:
        argv = [sys.executable, "-m", "codekg", "index", str(repo), "--db", str(Path(scratch) / "db"), "--json", "--quiet"]
        if workers is not None:
            argv += ["--workers", str(workers)]
        child = run_measured(argv)
    if child.returncode != 0:
        fail(f"`{' '.join(argv)}` exited {child.returncode}:\n{child.stderr.strip()}", code=1)
    return IndexRun(child.wall_seconds, child.peak_rss_mb, None, json.loads(child.stdout), workers)


def main() -> None:
    args, repo = corpus_command_line(
        __doc__.splitlines()[0], "index", 3, "cold index runs",
        lambda parser: parser.add_argument("--workers", type=positive_int_list("worker counts"), default=None,
                                           help="comma-separated worker counts to compare, e.g. 1,2 (default: codekg's)"),
    )
    facts = machine_facts()

    sources = python_sources(repo)
    runs = []
    for _ in range(args.runs):
        for workers in args.workers or [None]:
            run = index_once(repo, workers)
            if sources:
                run.raw_parse_seconds = raw_parse_seconds(sources)
            runs.append(run)

    facts["load average at end (1 min, 5 min)"] = load_average()
    result = _result(repo, runs, len(sources))
    if args.json:
        print(json.dumps({"machine": facts, **result, "runs": [asdict(r) for r in runs]}, indent=2))
    else:
        print(_markdown(repo, facts, runs, result))


def _result(repo: Path, runs: list[IndexRun], python_files: int) -> dict[str, Any]:
    wall = median(r.wall_seconds for r in runs)
    rss = max(r.peak_rss_mb for r in runs)
    return {
        "repo": str(repo),
        "median_wall_seconds": wall,
        "max_peak_rss_mb": rss,
        "raw_parse_python_files": python_files,
        "targets": {
            "wall_seconds": {"target": TARGET_WALL_SECONDS, "result": wall, "met": wall <= TARGET_WALL_SECONDS},
            "peak_rss_mb": {"target": TARGET_PEAK_RSS_MB, "result": rss, "met": rss <= TARGET_PEAK_RSS_MB},
        },
        # Counts must not change between runs of the same input, whatever the worker count; a
        # difference is a determinism bug.
        "graph_identical_across_runs": len({_graph_fingerprint(r.summary) for r in runs}) == 1,
        "by_workers": _by_workers(runs),
    }


def _by_workers(runs: list[IndexRun]) -> list[dict[str, Any]]:
    """Median parse pass and wall per worker count, with ratios to the first count."""
    counts = list(dict.fromkeys(r.workers for r in runs))
    rows = []
    for workers in counts:
        mine = [r for r in runs if r.workers == workers]
        rows.append({"workers": workers, "runs": len(mine),
                     "median_parse_seconds": median(r.summary["pass_seconds"]["parse"] for r in mine),
                     "median_wall_seconds": median(r.wall_seconds for r in mine),
                     "max_peak_rss_mb": max(r.peak_rss_mb for r in mine)})
    for row in rows:
        row["parse_speedup"] = rows[0]["median_parse_seconds"] / row["median_parse_seconds"]
        row["wall_speedup"] = rows[0]["median_wall_seconds"] / row["median_wall_seconds"]
    return rows


def _graph_fingerprint(summary: dict[str, Any]) -> str:
    return json.dumps([summary["files_by_language"], summary["nodes"], summary["edges"]], sort_keys=True)


def _markdown(repo: Path, facts: dict[str, str], runs: list[IndexRun], result: dict[str, Any]) -> str:
    passes = list(runs[0].summary["pass_seconds"])
    with_raw = runs[0].raw_parse_seconds is not None
    with_workers = runs[0].workers is not None
    headers = ["run", *(["workers"] if with_workers else []), *(f"{p} s" for p in passes), "in-process total s", "wall s", "peak RSS MB"]
    if with_raw:
        headers += ["raw parse s", "parse pass / raw", "wall / raw"]
    rows = []
    for number, run in enumerate(runs, 1):
        pass_seconds = run.summary["pass_seconds"]
        row: list[object] = [number, *([run.workers] if with_workers else []), *(pass_seconds[p] for p in passes),
                             run.summary["total_seconds"], run.wall_seconds, run.peak_rss_mb]
        if run.raw_parse_seconds is not None:
            raw = run.raw_parse_seconds
            row += [raw, f"{pass_seconds.get('parse', 0.0) / raw:.1f}×", f"{run.wall_seconds / raw:.1f}×"]
        rows.append(row)

    summary = runs[0].summary
    files = summary["files_by_language"]
    targets = result["targets"]
    lines = [
        f"## Cold index: {repo}",
        "",
        facts_markdown(facts),
        "",
        f"Commit indexed: {summary['commit'] or '(not a git checkout)'}",
        "",
        markdown_table(headers, rows),
        "",
        markdown_table(
            ["", "count", "breakdown"],
            [
                ("files", sum(files.values()), _breakdown(files)),
                ("nodes", sum(summary["nodes"].values()), _breakdown(summary["nodes"])),
                ("edges", sum(summary["edges"].values()), _breakdown(summary["edges"])),
            ],
        ),
        "",
        markdown_table(
            ["measure", "result", "target (pydantic)", "verdict"],
            [
                (f"median wall of {len(runs)} runs", f"{result['median_wall_seconds']:.2f} s",
                 f"≤ {TARGET_WALL_SECONDS:g} s", verdict(result["median_wall_seconds"], TARGET_WALL_SECONDS)),
                (f"max peak RSS of {len(runs)} runs", f"{result['max_peak_rss_mb']:.1f} MB",
                 f"≤ {TARGET_PEAK_RSS_MB:g} MB", verdict(result["max_peak_rss_mb"], TARGET_PEAK_RSS_MB)),
            ],
        ),
    ]
    if with_workers:
        lines += ["", markdown_table(
            ["workers", "runs", "median parse s", "median wall s", "max peak RSS MB", "parse speed-up", "wall speed-up"],
            [(w["workers"], w["runs"], w["median_parse_seconds"], w["median_wall_seconds"], w["max_peak_rss_mb"],
              f"{w['parse_speedup']:.2f}×", f"{w['wall_speedup']:.2f}×") for w in result["by_workers"]],
        )]
    if with_raw:
        lines += ["", f"raw parse: {result['raw_parse_python_files']} Python files, one tree-sitter parser, one "
                  "thread, run in this process right after each index run."]
    notes = _oddities(runs, result)
    if notes:
        lines += ["", "Notes:", *(f"- {note}" for note in notes)]
    return "\n".join(lines)


def _breakdown(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in counts.items())


def _oddities(runs: list[IndexRun], result: dict[str, Any]) -> list[str]:
    """What codekg itself reported as not quite right: worth reading before trusting the figures."""
    summary = runs[0].summary
    notes = []
    if not result["graph_identical_across_runs"]:
        notes.append("**file, node or edge counts differ between runs of the same input**")
    if summary["skipped"]:
        notes.append(f"{len(summary['skipped'])} file(s) skipped: " + "; ".join(
            f"{s['path']} ({s['reason']})" for s in summary["skipped"][:5]))
    if summary["warnings"]:
        notes.append(f"{len(summary['warnings'])} warning(s): " + "; ".join(
            f"{w['path']} ({w['pass']}, {w['kind']}): {w['message']}" for w in summary["warnings"][:5]))
    if summary["load_fallbacks"]:
        notes.append("COPY failed and MERGE took over for: " + "; ".join(
            f"{f['table']} ({f['error']})" for f in summary["load_fallbacks"]))
    return notes


if __name__ == "__main__":
    main()
