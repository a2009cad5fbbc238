"""The search ranking set (issue 21): 50 queries over tests/fixtures/rankrepo, each with the symbols a
person wants (at most 3, best first), scored per mode.

- MRR: the mean over the queries of 1 / the rank of the first wanted symbol in the top 10 (0 if none);
- name@1: of the queries that name a symbol (kind "name"), the share whose first hit is a symbol of
  exactly that name (`url_for` → a `url_for`, `App.url_for` → the method);
- hit@3: the share of queries with a wanted symbol in the top 3.

The fixture is a flask-shaped framework with test files and a docs example that reuse its names
(`test_url_for_*`, `TestUrlFor.url_for`, `url_for_post`): the traps a ranking by BM25 alone falls into.

    PYTHONPATH=src python bench/search_ranking.py [--modes keyword,semantic,hybrid] [--json] [--misses]

It indexes the fixture with embeddings (the packaged model, offline) into a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "rankrepo"
QUERIES = REPO_ROOT / "tests" / "fixtures" / "rankrepo.queries.json"
DEPTH = 10


def load_queries() -> list[dict]:
    return json.loads(QUERIES.read_text("utf-8"))["queries"]


def score(db: Path, settings, queries: list[dict], mode: str) -> dict:
    """MRR, name@1 and hit@3 of ``mode`` on ``queries``, and the queries that missed rank 1."""
    from codekg.search import search

    reciprocal, named_first, named, top3, misses = 0.0, 0, 0, 0, []
    for case in queries:
        hits = search(db, settings, case["query"], DEPTH, mode)
        names = [hit.qualified_name for hit in hits]
        rank = next((position for position, name in enumerate(names, start=1) if name in case["expected"]), 0)
        reciprocal += 1 / rank if rank else 0.0
        top3 += 0 < rank <= 3
        if case["kind"] == "name":
            named += 1
            wanted = case["query"].rsplit(".", 1)[-1]
            named_first += bool(hits) and hits[0].name == wanted and (
                hits[0].qualified_name == case["query"] or hits[0].qualified_name.endswith("." + case["query"]))
        if rank != 1:
            misses.append({"query": case["query"], "rank": rank, "top3": names[:3]})
    count = len(queries)
    return {"mode": mode, "queries": count, "mrr": round(reciprocal / count, 3), "name_at_1": round(named_first / named, 3),
            "hit_at_3": round(top3 / count, 3), "misses": misses}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="keyword,semantic,hybrid")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list the queries whose first hit was not wanted")
    arguments = parser.parse_args()
    from codekg.pipeline import index_repository
    from codekg.settings import load_settings

    queries = load_queries()
    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "db"
        index_repository(FIXTURE, db, load_settings(FIXTURE, embeddings=True, use_git_ls_files=False))
        settings = load_settings(FIXTURE, use_git_ls_files=False)
        results = [score(db, settings, queries, mode) for mode in arguments.modes.split(",")]
    if arguments.json:
        print(json.dumps(results, indent=2))
        return 0
    print("| mode | queries | MRR | name@1 | hit@3 |\n|---|---:|---:|---:|---:|")
    for result in results:
        print(f"| {result['mode']} | {result['queries']} | {result['mrr']:.3f} | {result['name_at_1']:.3f} | {result['hit_at_3']:.3f} |")
    if arguments.misses:
        for result in results:
            for miss in result["misses"]:
                print(f"{result['mode']}: {miss['query']!r} rank {miss['rank']}: {miss['top3']}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
