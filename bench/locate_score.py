"""Scores `codekg locate` on the dev set of bench/locate_devset.py, beside the two rankers it must
beat: plain `codekg search` and BM25 over whole files.

For each case the parent commit is checked out into a temporary folder (through a throwaway index
file, so the repository is only read), indexed by a whole `python -m codekg index TREE --db DB
--quiet` process as a user runs it, and the description is handed to

- locate: `codekg locate --file DESC --db DB --json --limit 20 --level file`, then `--level symbol`;
  a case where it fails (before `locate` exists: always) counts as unavailable, not as a miss;
- search: `codekg search DESC --db DB --json --limit 20`; its files rank in the order they first
  appear among the hits;
- bm25: rank-bm25's BM25Okapi over every non-test .py file of the tree (tokens: lowercase
  alphanumeric runs, plus the camelCase parts of each), then over the defs of its 10 best files,
  each def's own source a document.

Per ranker: file Acc@1/5/10, the share of cases with ALL changed files in the top k; function
Acc@5/10, the same for the changed functions, over the cases that have some (a ranked symbol is a
changed function when its file matches and its qualified name is, or ends with "." + the local
qualname); and how many cases each was scored on. A Markdown table goes to stdout; per-case ranks
and timings to bench/results/locate_score.json (git-ignored).

    python bench/locate_score.py [--devset FILE] [--limit-cases N] [--projects flask,click]
                                 [--rankers locate,search,bm25] [--jobs 1] [--out FILE]
                                 [--keep DIR] [--embeddings CACHE_DIR]

`--embeddings` gives each index symbol vectors (`codekg index --embeddings`), so `locate` and `search`
use their semantic signal; the vectors of a project's checkouts are shared through CACHE_DIR, as one
user's index keeps them across runs. `--limit-cases` takes the cases round-robin over the projects, so a small run still spans them. The
BM25 baseline needs `rank-bm25` in the venv (`pip install rank-bm25`): a bench-only dependency.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import zip_longest
from pathlib import Path

from _common import fail, machine_facts, markdown_table
from locate_devset import is_source_file, python_defs

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DEVSET = REPO_ROOT / "bench" / "results" / "locate_devset.jsonl"
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "locate_score.json"
RANKERS = ("locate", "search", "bm25")
DEPTH = 20
FILE_KS = (1, 5, 10)
FUNCTION_KS = (5, 10)
BM25_FUNCTION_FILES = 10  # the baseline ranks the defs of this many of its best files
INDEX_TIMEOUT = 900
QUERY_TIMEOUT = 300
IDENTIFIER = re.compile(r"[A-Za-z0-9_]+")
ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
CAMEL_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


@dataclass(slots=True)
class Ranking:
    """What one ranker answered for one case: files best first, symbols as (file, qualified name)."""

    files: list[str] = field(default_factory=list)
    symbols: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None  # set when the ranker could not answer: the case is not scored for it
    symbol_error: str | None = None  # locate answers files and symbols in two runs that can fail apart


@dataclass(slots=True)
class CaseResult:
    project: str
    commit: str
    files: int
    functions: int
    index_seconds: float
    index_error: str | None
    scores: dict[str, dict] = field(default_factory=dict)


def load_cases(path: Path, projects: set[str] | None, limit: int | None) -> list[dict]:
    """The dev set's cases of ``projects``, interleaved project by project, the first ``limit`` of them."""
    if not path.is_file():
        fail(f"{path} does not exist: build it with bench/locate_devset.py")
    grouped: dict[str, list[dict]] = defaultdict(list)
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            if projects is None or case["project"] in projects:
                grouped[case["project"]].append(case)
    if projects is not None and (missing := projects - grouped.keys()):
        fail(f"no cases for {', '.join(sorted(missing))} in {path}")
    interleaved = [case for row in zip_longest(*grouped.values()) for case in row if case is not None]
    return interleaved[:limit] if limit is not None else interleaved


def checkout(git_dir: str, commit: str, tree: Path, index_file: Path) -> None:
    """Write ``commit``'s files into ``tree`` without touching the repository's own index or worktrees."""
    env = {**os.environ, "GIT_INDEX_FILE": str(index_file)}
    subprocess.run(["git", "--git-dir", git_dir, "read-tree", commit], env=env, check=True, capture_output=True)
    subprocess.run(["git", "--git-dir", git_dir, f"--work-tree={tree}", "checkout-index", "--all", "--force"],
                   env=env, check=True, capture_output=True)


def codekg(arguments: list[str], cwd: Path, timeout: float) -> tuple[subprocess.CompletedProcess[str] | None, float]:
    """Run `python -m codekg ARGUMENTS` in ``cwd``; None when it timed out."""
    started = time.perf_counter()
    try:
        completed = subprocess.run([sys.executable, "-m", "codekg", *arguments], cwd=cwd, capture_output=True,
                                   text=True, errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - started
    return completed, time.perf_counter() - started


def failure(completed: subprocess.CompletedProcess[str] | None) -> str | None:
    """Why a codekg run failed (its exit code and last stderr line), or None."""
    if completed is None:
        return "timed out"
    if completed.returncode != 0:
        last = (completed.stderr.strip().splitlines() or [""])[-1]
        return f"exit {completed.returncode}: {last[:200]}"
    return None


def json_results(completed: subprocess.CompletedProcess[str] | None) -> tuple[list[dict], str | None]:
    """The "results" of a `--json` run, or why there are none."""
    if (reason := failure(completed)) is not None or completed is None:
        return [], reason
    try:
        return list(json.loads(completed.stdout)["results"]), None
    except (ValueError, KeyError, TypeError) as error:
        return [], f"unreadable JSON: {error}"


def first_files(items: Iterable[dict]) -> list[str]:
    return list(dict.fromkeys(item["file_path"] for item in items if item.get("file_path")))


def rank_locate(description_file: Path, db: Path, tree: Path) -> Ranking:
    common = ["locate", "--file", str(description_file), "--db", str(db), "--json", "--limit", str(DEPTH)]
    completed, file_seconds = codekg([*common, "--level", "file"], tree, QUERY_TIMEOUT)
    file_items, file_error = json_results(completed)
    completed, symbol_seconds = codekg([*common, "--level", "symbol"], tree, QUERY_TIMEOUT)
    symbol_items, symbol_error = json_results(completed)
    return Ranking(first_files(file_items),
                   [(item.get("file_path", ""), item.get("qualified_name", "")) for item in symbol_items],
                   file_seconds + symbol_seconds, file_error, symbol_error)


def rank_search(description: str, db: Path, tree: Path) -> Ranking:
    completed, seconds = codekg(["search", "--db", str(db), "--json", "--limit", str(DEPTH), "--", description],
                                tree, QUERY_TIMEOUT)
    items, error = json_results(completed)
    return Ranking(first_files(items), [(item.get("file_path", ""), item.get("qualified_name", "")) for item in items],
                   seconds, error, error)


def tokens(text: str) -> list[str]:
    """Lowercase alphanumeric runs, and the camelCase parts of a run that has them (`URLMap` → urlmap, url, map)."""
    found = []
    for identifier in IDENTIFIER.findall(text):
        for run in ALPHANUMERIC.findall(identifier):
            found.append(run.lower())
            parts = CAMEL_PART.findall(run)
            if len(parts) > 1:
                found += [part.lower() for part in parts]
    return found


def bm25_order(documents: list[list[str]], query: list[str]) -> list[int]:
    """Document positions by BM25Okapi score, best first (ties: the earlier document)."""
    from rank_bm25 import BM25Okapi

    if not documents or not query:
        return list(range(len(documents)))
    scores = BM25Okapi(documents).get_scores(query)
    return sorted(range(len(documents)), key=lambda position: (-scores[position], position))


def rank_bm25(description: str, tree: Path) -> Ranking:
    """The lexical baseline: whole files, then the defs of the best files, by BM25 of their own text."""
    started = time.perf_counter()
    query = tokens(description)
    paths = sorted(path.relative_to(tree).as_posix() for path in tree.rglob("*.py")
                   if path.is_file() and is_source_file(path.relative_to(tree).as_posix()))
    texts = {path: (tree / path).read_text("utf-8", "replace") for path in paths}
    files = [paths[position] for position in bm25_order([tokens(texts[path]) for path in paths], query)]
    definitions: list[tuple[str, str]] = []
    documents: list[list[str]] = []
    for path in files[:BM25_FUNCTION_FILES]:
        lines = texts[path].splitlines()
        try:
            found = python_defs(texts[path])
        except (SyntaxError, ValueError, RecursionError):
            continue
        for definition in found:
            definitions.append((path, definition.qualname))
            documents.append(tokens("\n".join(lines[definition.start - 1:definition.end])))
    symbols = [definitions[position] for position in bm25_order(documents, query)]
    return Ranking(files[:DEPTH], symbols[:DEPTH], time.perf_counter() - started)


def names_function(symbol: tuple[str, str], truth: tuple[str, str]) -> bool:
    file_path, qualified_name = symbol
    return file_path == truth[0] and (qualified_name == truth[1] or qualified_name.endswith("." + truth[1]))


def evaluate(case: dict, ranking: Ranking) -> dict:
    """Hits at each k for one ranker on one case, with the rank of each changed file and function."""
    result: dict = {"seconds": round(ranking.seconds, 3), "error": ranking.error, "symbol_error": ranking.symbol_error}
    if ranking.error is None:
        ranks = {path: ranking.files.index(path) + 1 if path in ranking.files else None for path in case["files"]}
        result["file_ranks"] = ranks
        result["file_hits"] = {k: all(rank is not None and rank <= k for rank in ranks.values()) for k in FILE_KS}
    if ranking.symbol_error is None and case["functions"]:
        ranks = {}
        for file_path, qualname in case["functions"]:
            position = next((position for position, symbol in enumerate(ranking.symbols, start=1)
                             if names_function(symbol, (file_path, qualname))), None)
            ranks[f"{file_path}::{qualname}"] = position
        result["function_ranks"] = ranks
        result["function_hits"] = {k: all(rank is not None and rank <= k for rank in ranks.values())
                                   for k in FUNCTION_KS}
    return result


def embed_with_cache(tree: Path, db: Path, project: str, cache_dir: Path) -> str | None:
    """Give the index at ``db`` symbol vectors: `codekg index --embeddings` on it (nothing changed, so
    only the vectors are made), with the vectors of every earlier checkout of ``project`` copied in
    first and this one's copied back after (`cache_dir/<project>.sqlite`): the checkouts of a project
    share most symbol texts, and each vector is keyed by the hash of its text. Gives the failure, if any."""
    import sqlite3

    cache_dir.mkdir(parents=True, exist_ok=True)

    def copy(into: str, out_of: str) -> None:
        connection = sqlite3.connect(db / "search.sqlite", timeout=600)
        try:
            connection.execute("ATTACH ? AS cache", (str(cache_dir / f"{project}.sqlite"),))
            connection.execute("CREATE TABLE IF NOT EXISTS cache.vectors (model TEXT NOT NULL, text_hash TEXT NOT NULL, "
                               "vector BLOB NOT NULL, PRIMARY KEY (model, text_hash)) WITHOUT ROWID")
            connection.execute(f"INSERT OR IGNORE INTO {into}.vectors SELECT * FROM {out_of}.vectors")
            connection.commit()
        finally:
            connection.close()

    copy("main", "cache")
    completed, _ = codekg(["index", str(tree), "--db", str(db), "--embeddings", "--quiet"], tree, INDEX_TIMEOUT)
    error = failure(completed)
    if error is None:
        copy("cache", "main")
    return error


def score_case(case: dict, rankers: tuple[str, ...], keep: Path | None = None, vectors: Path | None = None) -> CaseResult:
    """Check out, index and rank one case with every ranker in ``rankers``. With ``keep``, the checkout
    and its index stay in ``keep`` and a later run reuses them (to compare rankers quickly; the index
    is only as fresh as the codekg that made it). With ``vectors``, the index gets symbol vectors
    (embed_with_cache, ``vectors`` the cache folder), so locate uses its semantic signal."""
    result = CaseResult(case["project"], case["commit"], len(case["files"]), len(case["functions"]), 0.0, None)
    with tempfile.TemporaryDirectory(prefix="codekg-locate-") as scratch:
        place = keep / f"{case['project']}-{case['parent'][:12]}" if keep else Path(scratch)
        tree, db, description_file = place / "tree", place / "db", Path(scratch) / "description.txt"
        kept = keep is not None and (place / "indexed").is_file()
        if not kept:
            shutil.rmtree(tree, ignore_errors=True)
            shutil.rmtree(db, ignore_errors=True)
            tree.mkdir(parents=True)
            checkout(case["repo_dir"], case["parent"], tree, Path(scratch) / "git-index")
        description_file.write_text(case["description"], "utf-8")
        needs_index = any(ranker in rankers for ranker in ("locate", "search")) and not kept
        if needs_index:
            completed, result.index_seconds = codekg(["index", str(tree), "--db", str(db), "--quiet"], tree,
                                                     INDEX_TIMEOUT)
            result.index_error = failure(completed)
            if keep is not None and result.index_error is None:
                (place / "indexed").write_text("")
        if vectors is not None and needs_vectors(rankers) and result.index_error is None and not (place / "embedded").is_file():
            started = time.perf_counter()
            result.index_error = embed_with_cache(tree, db, case["project"], vectors)
            result.index_seconds += time.perf_counter() - started
            if keep is not None and result.index_error is None:
                (place / "embedded").write_text("")
        runners: dict[str, Callable[[], Ranking]] = {
            "locate": lambda: rank_locate(description_file, db, tree),
            "search": lambda: rank_search(case["description"], db, tree),
            "bm25": lambda: rank_bm25(case["description"], tree),
        }
        for ranker in rankers:
            if ranker != "bm25" and result.index_error is not None:
                ranking = Ranking(error=f"index failed: {result.index_error}",
                                  symbol_error=f"index failed: {result.index_error}")
            else:
                ranking = runners[ranker]()
            result.scores[ranker] = evaluate(case, ranking)
    return result


def summary(results: list[CaseResult], rankers: tuple[str, ...]) -> list[dict]:
    """Per ranker: Acc@k over the cases it was scored on, and how many it could not answer."""
    rows = []
    for ranker in rankers:
        scored = [result.scores[ranker] for result in results]
        file_scored = [score for score in scored if "file_hits" in score]
        function_scored = [score for score in scored if "function_hits" in score]
        row: dict = {"ranker": ranker, "cases": len(file_scored)}
        for k in FILE_KS:
            row[f"file_acc@{k}"] = _share(score["file_hits"][k] for score in file_scored)
        row["function_cases"] = len(function_scored)
        for k in FUNCTION_KS:
            row[f"function_acc@{k}"] = _share(score["function_hits"][k] for score in function_scored)
        row["unavailable"] = sum(score["error"] is not None or score["symbol_error"] is not None for score in scored)
        errors = [reason for score in scored if (reason := score["error"] or score["symbol_error"])]
        row["first_error"] = errors[0] if errors else None
        row["mean_seconds"] = round(sum(score["seconds"] for score in scored) / len(scored), 3) if scored else 0.0
        rows.append(row)
    return rows


def _share(hits: Iterable[bool]) -> float | None:
    values = list(hits)
    return round(sum(values) / len(values), 3) if values else None


def print_report(rows: list[dict], results: list[CaseResult], wall_seconds: float) -> None:
    headers = ("ranker", "cases", *(f"file Acc@{k}" for k in FILE_KS), "cases w/ functions",
               *(f"function Acc@{k}" for k in FUNCTION_KS), "unavailable", "s/case")
    keys = ("ranker", "cases", *(f"file_acc@{k}" for k in FILE_KS), "function_cases",
            *(f"function_acc@{k}" for k in FUNCTION_KS), "unavailable", "mean_seconds")
    print(markdown_table(headers, ([("-" if row[key] is None else row[key]) for key in keys] for row in rows)))
    indexed = [result.index_seconds for result in results if result.index_seconds]
    projects = sorted({result.project for result in results})
    print(f"\n{len(results)} cases from {len(projects)} projects ({', '.join(projects)}); "
          f"{wall_seconds / max(1, len(results)):.1f} s per case wall"
          + (f", of which indexing {sum(indexed) / len(indexed):.1f} s" if indexed else ""))
    for row in rows:
        if row["first_error"]:
            print(f"{row['ranker']}: {row['unavailable']} unavailable, e.g. {row['first_error']}")


def needs_vectors(rankers: tuple[str, ...]) -> bool:
    return any(ranker in rankers for ranker in ("locate", "search"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, default=DEFAULT_DEVSET, help="JSON lines from locate_devset.py")
    parser.add_argument("--limit-cases", type=int, help="score only this many cases (round-robin over projects)")
    parser.add_argument("--projects", help="comma-separated project names (default: all)")
    parser.add_argument("--rankers", default=",".join(RANKERS), help=f"comma-separated, of {', '.join(RANKERS)}")
    parser.add_argument("--jobs", type=int, default=1, help="cases scored at once (default 1)")
    parser.add_argument("--keep", type=Path, help="keep each case's checkout and index here, and reuse them on a later run")
    parser.add_argument("--embeddings", type=Path, metavar="CACHE_DIR",
                        help="index with symbol vectors (locate's semantic signal), sharing them per project in CACHE_DIR")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON file for the summary and per-case ranks")
    arguments = parser.parse_args()
    rankers = tuple(name for name in arguments.rankers.split(",") if name)
    if not rankers or set(rankers) - set(RANKERS):
        fail(f"--rankers takes some of {', '.join(RANKERS)}")
    if arguments.jobs < 1 or (arguments.limit_cases is not None and arguments.limit_cases < 1):
        fail("--jobs and --limit-cases must be at least 1")
    if "bm25" in rankers:
        try:
            import rank_bm25  # noqa: F401
        except ImportError:
            fail("the bm25 ranker needs rank-bm25: pip install rank-bm25 (or leave bm25 out of --rankers)")
    projects = {name for name in arguments.projects.split(",") if name} if arguments.projects else None
    cases = load_cases(arguments.devset, projects, arguments.limit_cases)
    facts = machine_facts()
    started = time.perf_counter()
    results: list[CaseResult] = []
    with ThreadPoolExecutor(arguments.jobs) as pool:
        for done, result in enumerate(pool.map(lambda case: score_case(case, rankers, arguments.keep, arguments.embeddings), cases), start=1):
            results.append(result)
            print(f"[{done}/{len(cases)}] {result.project} {result.commit[:10]}", file=sys.stderr)
    wall_seconds = time.perf_counter() - started
    rows = summary(results, rankers)
    print_report(rows, results, wall_seconds)
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    arguments.out.write_text(json.dumps({
        "facts": facts, "devset": str(arguments.devset), "rankers": list(rankers), "depth": DEPTH,
        "embeddings": arguments.embeddings is not None,
        "wall_seconds": round(wall_seconds, 1), "summary": rows, "cases": [asdict(result) for result in results],
    }, indent=1), "utf-8")
    print(f"\n→ {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
