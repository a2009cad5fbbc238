"""The speed suite (`make bench`): issue 15's figures, each beside the raw parse floor of the same round.

Every figure is a whole `codekg` process, as a user runs it, measured by bench/_common.run_measured
(wall time, peak RSS of the largest process and of the process tree). The shared machine is noisy,
so each figure is also divided by the raw single-thread tree-sitter parse of the corpus's Python
files timed in the same round (bench/raw_parse.py): that ratio is what `bench/regress` compares with
the committed baseline. Per round and corpus:

- cold: `codekg index CORPUS --db <fresh> --json`, parse cache off (its pass seconds are kept too);
  its memory twice: the tree's summed RSS, an upper bound (a page a forked helper shares with the
  codekg process counts twice), and the codekg process's own peak RSS, a lower bound;
- unchanged: a re-index of the live index (parse cache on) with nothing changed;
- body edit: one statement added at the end of a function body in EDITS[corpus], re-indexed, then
  reverted and re-indexed (both timed); every run must be `incremental`;
- start-up (fastapi only): `codekg --version`, and `codekg query "MATCH (f:File) RETURN count(f)"`.

With ``--synthetic 1000,10000`` it also indexes the seeded synthetic repositories of those sizes
(bench/synthetic_repo.py) once per round: cold wall and peak tree RSS per size, for the scale line.
Corpora are downloaded from PyPI at run time into .robustness/ (bench/robustness.py) or taken from
$CODEKG_BENCH_CORPORA/<name>-<version>.

    python bench/suite.py [--runs N] [--only pydantic,fastapi] [--synthetic 1000,10000]
                          [--out bench/results.json] [--write-docs]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from _common import machine_facts, markdown_table, median, run_measured
from raw_parse import python_sources, raw_parse_seconds
from robustness import DEFAULT_CACHE, fetch, pypi
from synthetic_repo import generate

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA = {"pydantic": pypi("pydantic", "2.14.4"), "fastapi": pypi("fastapi", "0.165.0")}
EDITS = {"pydantic": "pydantic/main.py", "fastapi": "fastapi/routing.py"}  # issue 15 names these
STARTUP_CORPUS = "fastapi"
CORPORA_ENV_VAR = "CODEKG_BENCH_CORPORA"
DOCS = REPO_ROOT / "docs" / "benchmarks.md"
BEGIN, END = "<!-- bench/suite.py: begin -->", "<!-- bench/suite.py: end -->"
RAW_PARSE_RUNS = 3
EDIT_LINE = "_codekg_bench_edit = None"


def codekg(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "codekg", *arguments]


def corpus(name: str) -> Path:
    project = CORPORA[name]
    given = os.environ.get(CORPORA_ENV_VAR)
    if given:
        return Path(given) / f"{project.name}-{project.version}"
    return fetch(project, DEFAULT_CACHE)


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float, dict[str, Any]]:
    """(wall seconds, peak tree RSS MB, the --json summary or {}) of one whole process; a failure stops the suite.
    The summary also gets "own_rss_mb", the command's own peak RSS."""
    run = run_measured(argv, env=env, sample_tree=True)
    if run.returncode != 0:
        raise SystemExit(f"`{' '.join(argv)}` exited {run.returncode}:\n{run.stderr[-2000:]}")
    try:
        summary = json.loads(run.stdout) if run.stdout.lstrip().startswith("{") else {}
    except json.JSONDecodeError:
        summary = {}
    return run.wall_seconds, run.peak_tree_rss_mb or run.peak_rss_mb, {**summary, "own_rss_mb": run.peak_rss_mb}


def body_edit(path: Path) -> str:
    """The text of ``path`` with one statement added at the end of its first function's body: an
    edit inside a body, which changes no name the file defines."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    function = next(node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
    last = function.body[-1]
    lines = text.splitlines(keepends=True)
    indent = " " * last.col_offset
    lines.insert(last.end_lineno or last.lineno, f"{indent}{EDIT_LINE}\n")
    return "".join(lines)


def one_round(names: list[str], synthetic: list[int], scratch: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        source = corpus(name)
        floor = median(raw_parse_seconds(python_sources(source)) for _ in range(RAW_PARSE_RUNS))
        copy = scratch / name
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(source, copy)
        figures: dict[str, Any] = {"raw_parse_seconds": floor}
        cold_db = scratch / f"{name}.cold"
        wall, rss, summary = measure(codekg("index", str(copy), "--db", str(cold_db), "--json"), {"CODEKG_PARSE_CACHE": "0"})
        shutil.rmtree(cold_db, ignore_errors=True)
        figures.update(cold_seconds=wall, cold_rss_mb=rss, cold_own_rss_mb=summary["own_rss_mb"],
                       cold_passes=summary.get("pass_seconds", {}))
        live = scratch / f"{name}.live"
        measure(codekg("index", str(copy), "--db", str(live), "--json"))
        figures["unchanged_seconds"], _, summary = measure(codekg("index", str(copy), "--db", str(live), "--json"))
        assert summary["delta"]["mode"] == "unchanged", summary["delta"]
        edited = copy / EDITS[name]
        original = edited.read_text(encoding="utf-8")
        edited.write_text(body_edit(edited), encoding="utf-8")
        figures["edit_seconds"], _, summary = measure(codekg("index", str(copy), "--db", str(live), "--json"))
        assert summary["delta"]["mode"] == "incremental", summary["delta"]
        edited.write_text(original, encoding="utf-8")
        figures["revert_seconds"], _, summary = measure(codekg("index", str(copy), "--db", str(live), "--json"))
        assert summary["delta"]["mode"] == "incremental", summary["delta"]
        if name == STARTUP_CORPUS:
            figures["version_seconds"], _, _ = measure(codekg("--version"))
            figures["query_seconds"], _, _ = measure(codekg("query", "MATCH (f:File) RETURN count(f)", "--db", str(live)))
        shutil.rmtree(live, ignore_errors=True)
        results[name] = figures
    for files in synthetic:
        repo = scratch / f"synthetic-{files}"
        generate(repo, files)
        db = scratch / f"synthetic-{files}.db"
        wall, rss, _ = measure(codekg("index", str(repo), "--db", str(db), "--json"), {"CODEKG_PARSE_CACHE": "0"})
        results[f"synthetic-{files}"] = {"files": files, "cold_seconds": wall, "cold_rss_mb": rss}
        shutil.rmtree(db, ignore_errors=True)
        shutil.rmtree(repo, ignore_errors=True)
    return results


RATIO_FIGURES = ("cold_seconds", "unchanged_seconds", "edit_seconds", "version_seconds", "query_seconds")


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds of every figure, and of every figure / the same round's raw parse."""
    summary: dict[str, Any] = {}
    for name in rounds[0]:
        figures = [one[name] for one in rounds]
        keys = [key for key, value in figures[0].items() if isinstance(value, (int, float))]
        entry: dict[str, Any] = {key: median(f[key] for f in figures) for key in keys}
        passes = [f.get("cold_passes", {}) for f in figures]
        if any(passes):
            entry["cold_passes"] = {key: median(p.get(key, 0.0) for p in passes) for key in passes[0]}
        if "raw_parse_seconds" in figures[0]:
            entry["ratios"] = {key: median(f[key] / f["raw_parse_seconds"] for f in figures)
                               for key in RATIO_FIGURES if key in figures[0]}
        summary[name] = entry
    return summary


def markdown(summary: dict[str, Any], facts: dict[str, str], command: str) -> str:
    lines = [f"Generated by `{command}` (medians over the rounds; ratio: the figure / the raw single-thread "
             "parse of the same corpus in the same round).", ""]
    lines += [f"- {key}: {value}" for key, value in facts.items()] + [""]
    rows = []
    for name, entry in summary.items():
        if "raw_parse_seconds" not in entry:
            continue
        ratios = entry["ratios"]
        for key in RATIO_FIGURES:
            if key in entry:
                rows.append((name, key.removesuffix("_seconds"), entry[key], ratios[key]))
        rows.append((name, "cold peak tree RSS (MB)", entry["cold_rss_mb"], "-"))
        if "cold_own_rss_mb" in entry:
            rows.append((name, "cold peak RSS of the codekg process (MB)", entry["cold_own_rss_mb"], "-"))
        rows.append((name, "raw parse (floor)", entry["raw_parse_seconds"], 1.0))
        passes = ", ".join(f"{k} {v:.2f}" for k, v in entry.get("cold_passes", {}).items())
        rows.append((name, "cold pass seconds", passes, "-"))
    lines.append(markdown_table(["corpus", "figure", "seconds", "ratio to raw parse"], rows))
    scale = [(entry["files"], entry["cold_seconds"], entry["cold_rss_mb"], entry["cold_rss_mb"] / entry["files"] * 1000)
             for name, entry in summary.items() if name.startswith("synthetic-")]
    if scale:
        lines += ["", markdown_table(["synthetic files", "cold s", "peak tree RSS MB", "MB per 1,000 files"], scale)]
    return "\n".join(lines) + "\n"


def write_docs(text: str) -> None:
    """Replace the generated section of docs/benchmarks.md (added at the end the first time)."""
    current = DOCS.read_text(encoding="utf-8")
    block = f"{BEGIN}\n{text}{END}"
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        updated = head + block + rest.split(END, 1)[1]
    else:
        updated = current.rstrip("\n") + "\n\n## The speed suite (`make bench`)\n\n" + block + "\n"
    DOCS.write_text(updated, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(CORPORA), help="corpora, comma-separated: " + ", ".join(CORPORA))
    parser.add_argument("--synthetic", default="", help="synthetic repository sizes, comma-separated (e.g. 1000,10000)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "results.json")
    parser.add_argument("--write-docs", action="store_true", help="rewrite the generated section of docs/benchmarks.md")
    args = parser.parse_args()
    names = [name for name in args.only.split(",") if name]
    unknown = [name for name in names if name not in CORPORA]
    if unknown:
        parser.error(f"unknown corpus {', '.join(unknown)}: choose from {', '.join(CORPORA)}")
    synthetic = [int(size) for size in args.synthetic.split(",") if size]
    facts = machine_facts()
    with tempfile.TemporaryDirectory(prefix="codekg-bench-") as scratch:
        rounds = [one_round(names, synthetic, Path(scratch)) for _ in range(args.runs)]
    summary = summarize(rounds)
    command = "python bench/suite.py " + " ".join(sys.argv[1:])
    args.out.write_text(json.dumps({"machine": facts, "command": command, "summary": summary, "rounds": rounds}, indent=2) + "\n")
    text = markdown(summary, facts, command.strip())
    print(text)
    if args.write_docs:
        write_docs(text)


if __name__ == "__main__":
    main()
