"""Reference point: a raw, one-thread tree-sitter parse of the Python files codekg would index.

No extraction, no queries, no graph: this is the floor the parse pass is compared against. Files
are read before the clock starts, so only parsing is timed.

    python bench/raw_parse.py PATH [--runs N] [--json]
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import tree_sitter
import tree_sitter_python

from _common import corpus_command_line, facts_markdown, fail, load_average, machine_facts, markdown_table, median
from codekg.passes.scan import scan_repository
from codekg.settings import load_settings


def python_sources(repo: Path) -> list[bytes]:
    """The bytes of every Python file codekg's scan pass selects in ``repo``: the same files, same rules."""
    scan = scan_repository(repo, load_settings(repo))
    return [(scan.root / f.path).read_bytes() for f in scan.files if f.language == "python"]


def raw_parse_seconds(sources: list[bytes]) -> float:
    """Seconds to parse ``sources`` one after another with one parser on one thread."""
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    started = time.perf_counter()
    for source in sources:
        parser.parse(source)
    return time.perf_counter() - started


def main() -> None:
    args, repo = corpus_command_line(__doc__.splitlines()[0], "parse", 5, "timed parses of the whole file set")
    facts = machine_facts()

    sources = python_sources(repo)
    if not sources:
        fail(f"no Python files to parse in {repo}")
    seconds = [raw_parse_seconds(sources) for _ in range(args.runs)]
    facts["load average at end (1 min, 5 min)"] = load_average()
    result = {
        "repo": str(repo),
        "python_files": len(sources),
        "source_mb": sum(map(len, sources)) / 1e6,
        "run_seconds": seconds,
        "median_seconds": median(seconds),
        "min_seconds": min(seconds),
    }

    if args.json:
        print(json.dumps({"machine": facts, **result}, indent=2))
        return
    print(f"## Raw tree-sitter parse: {repo}\n\n{facts_markdown(facts)}\n")
    print(f"{len(sources)} Python files, {result['source_mb']:.2f} MB, one parser, one thread, reads not timed.\n")
    print(markdown_table(["run", "parse s"], [(i, s) for i, s in enumerate(seconds, 1)]))
    print(f"\nmedian {result['median_seconds']:.3f} s, fastest {result['min_seconds']:.3f} s")


if __name__ == "__main__":
    main()
