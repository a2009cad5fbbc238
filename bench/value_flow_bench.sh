#!/bin/bash
# Whole-process cold index of REPO with the value flow off and on, ROUNDS times, one after another
# (docs/benchmarks.md section 12): wall time and max RSS from /usr/bin/time, pass seconds and CALLS
# from the run's --json summary.
#   bench/value_flow_bench.sh REPO [ROUNDS] ["off on"]
set -u
repo=$1; rounds=${2:-2}; variants=${3:-"off on"}
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
for round in $(seq "$rounds"); do
  for variant in $variants; do
    db=$(mktemp -d "${TMPDIR:-/tmp}/kgb.XXXX")
    flag=$([ "$variant" = on ] && echo 1 || echo 0)
    /usr/bin/time -f "$variant round $round: wall %e s, max RSS %M KB" env CODEKG_VALUE_FLOW=$flag CODEKG_PARSE_CACHE=0 \
      "$here/.venv/bin/python" -m codekg index "$repo" --db "$db" --json > "$out/summary.json" 2> "$out/err.txt"
    tail -1 "$out/err.txt"
    "$here/.venv/bin/python" -c "import json, sys; d = json.load(open(sys.argv[1])); print('   ', {k: d['pass_seconds'].get(k) for k in ('parse', 'resolve', 'load')}, 'CALLS', d['edges'].get('CALLS'), 'warnings', len(d['warnings']))" "$out/summary.json"
    rm -rf "$db"
  done
done
rm -rf "$out"
