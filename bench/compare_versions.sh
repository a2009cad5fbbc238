#!/usr/bin/env bash
# Cold, unchanged and one-file-edit `codekg index` of one corpus by two codekg source trees, alternated
# round by round so both see the same machine load. Prints: step, version, wall seconds, mode, nodes, edges.
#   bench/compare_versions.sh CORPUS OLD_SRC NEW_SRC [ROUNDS]
# e.g. git worktree add /tmp/base 388015f && bench/compare_versions.sh .robustness/src/fastapi-0.165.0 /tmp/base/src src 3
set -euo pipefail
corpus=$1; old=$(realpath "$2"); new=$(realpath "$3"); rounds=${4:-3}
python=${PYTHON:-$(dirname "$0")/../.venv/bin/python}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
declare -A source=([old]=$old [new]=$new)
for version in old new; do cp -a "$corpus" "$work/$version"; done
edited=$(cd "$work/old" && set -- */*.py && echo "$1")  # fastapi: fastapi/__init__.py (no pipe: no SIGPIPE under pipefail)

run() {  # one `codekg index` of $1's copy by $1's source tree
    local start end
    start=$(date +%s.%N)
    PYTHONPATH=${source[$1]} "$python" -m codekg index "$work/$1" --db "$work/$1-db" --json --quiet > "$work/out.json"
    end=$(date +%s.%N)
    echo "$2 $1 $(echo "$end - $start" | bc) $("$python" -c "import json, sys; d = json.load(open(sys.argv[1])); \
print(d['delta']['mode'], sum(d['nodes'].values()), sum(d['edges'].values()))" "$work/out.json")"
}

for _ in $(seq "$rounds"); do
    for version in old new; do
        rm -rf "$work/$version-db"
        run $version cold
        run $version unchanged
        echo "# an edit" >> "$work/$version/$edited"
        run $version edit
        sed -i '$ d' "$work/$version/$edited"
    done
done
