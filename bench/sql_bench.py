"""SQL lineage speed (issue 17): a generated corpus of FILES `.sql` scripts (bench/sql_corpus.py),
each figure a whole `codekg` process as a user runs it (bench/_common.run_measured):

- cold index: `codekg index CORPUS --db <fresh> --json`, parse cache off (target: 1,000 files ≤ 10 s on 2 cores);
- one script edited: a statement added to one script, re-indexed (an incremental run);
- script mode: `codekg lineage --sql <every file> --json`, no index.

    python bench/sql_bench.py [--files 1000] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from _common import machine_facts, markdown_table, run_measured
from sql_corpus import main as generate


def codekg(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "codekg", *arguments]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        corpus = Path(scratch) / "corpus"
        generate(corpus, args.files)
        scripts = sorted(str(path) for path in corpus.rglob("*.sql"))
        for round_number in range(1, args.runs + 1):
            db = Path(scratch) / f"db{round_number}"
            cold = run_measured(codekg("index", str(corpus), "--db", str(db), "--json"), {"CODEKG_PARSE_CACHE": "0"},
                                sample_tree=True)
            assert cold.returncode == 0, cold.stderr
            summary = json.loads(cold.stdout)
            edited = corpus / "etl_05" / "step_0500.sql"
            edited.write_text(edited.read_text() + f"\nINSERT INTO audit.runs SELECT {round_number} AS run, region FROM stage_500.orders;\n")
            edit = run_measured(codekg("index", str(corpus), "--db", str(db), "--json"))
            assert edit.returncode == 0, edit.stderr
            mode = json.loads(edit.stdout)["delta"]["mode"]
            script = run_measured(codekg("lineage", "--sql", *scripts, "--json"))
            assert script.returncode == 0, script.stderr
            rows.append([round_number, cold.wall_seconds, cold.peak_tree_rss_mb, summary["pass_seconds"]["parse"],
                         summary["pass_seconds"]["resolve"], summary["nodes"].get("SqlStatement", 0),
                         summary["edges"].get("DERIVES_FROM", 0), edit.wall_seconds, mode, script.wall_seconds])
    facts = machine_facts()
    print(f"{args.files} generated SQL scripts, {facts['date']}, {facts.get('cpu', '')}")
    print(markdown_table(["round", "cold index s", "peak tree RSS MB", "parse s", "resolve s", "statements",
                          "DERIVES_FROM", "one script edited s", "mode", "lineage --sql s"], rows))


if __name__ == "__main__":
    main()
