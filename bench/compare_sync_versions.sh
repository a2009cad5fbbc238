#!/usr/bin/env bash
# Cold `codekg sync` of one git remote by two codekg source trees, alternated round by round so both
# see the same machine load (docs/benchmarks.md §18d). Prints: round, version, wall s, max RSS KB, the
# report's seconds per phase, nodes, edges.
#   bench/compare_sync_versions.sh REMOTE OLD_SRC NEW_SRC [ROUNDS]
# e.g. python bench/ontology_corpus.py /tmp/kb --files 974 && git -C /tmp/kb init -q && git -C /tmp/kb add -A \
#      && git -C /tmp/kb commit -qm kb && git worktree add /tmp/base a48fae2 \
#      && bench/compare_sync_versions.sh /tmp/kb /tmp/base/src src 3
set -euo pipefail
remote=$(realpath "$1"); old=$(realpath "$2"); new=$(realpath "$3"); rounds=${4:-3}
python=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
declare -A source=([old]=$old [new]=$new)
for round in $(seq "$rounds"); do
    for version in old new; do
        rm -rf "$work/$version-db"
        timing=$( { PYTHONPATH=${source[$version]} /usr/bin/time -f "%e %M" "$python" -m codekg sync "$remote" \
            --db "$work/$version-db" --json --progress none > "$work/out.json"; } 2>&1 | tail -1)
        echo "$round $version $timing $("$python" -c "import json, sys; d = json.load(open(sys.argv[1])); \
print(d['seconds'], sum(d['index']['nodes'].values()), sum(d['index']['edges'].values()))" "$work/out.json")"
    done
done
