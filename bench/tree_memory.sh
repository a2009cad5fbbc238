#!/bin/bash
# Memory of a whole `codekg index` process tree (the parent and the workers or the value-flow child it
# forks), sampled every 0.1 s: the peak of the summed PSS, of the summed RSS, and of the parent alone.
#   bench/tree_memory.sh REPO [VALUE_FLOW 0|1]
set -u
repo=$1; flag=${2:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
db=$(mktemp -d "${TMPDIR:-/tmp}/kgb.XXXX"); samples=$(mktemp); summary=$(mktemp)
env CODEKG_VALUE_FLOW=$flag CODEKG_PARSE_CACHE=0 "$here/.venv/bin/python" -m codekg index "$repo" --db "$db" --json > "$summary" 2>/dev/null &
pid=$!
while kill -0 $pid 2>/dev/null; do
  pss=0; rss=0
  for p in $pid $(pgrep -P $pid); do
    a=$(awk '/^Pss:/{print $2}' /proc/$p/smaps_rollup 2>/dev/null); b=$(awk '/VmRSS/{print $2}' /proc/$p/status 2>/dev/null)
    pss=$((pss + ${a:-0})); rss=$((rss + ${b:-0}))
  done
  parent=$(awk '/VmRSS/{print $2}' /proc/$pid/status 2>/dev/null)
  echo "$((pss / 1024)) $((rss / 1024)) $((${parent:-0} / 1024))" >> "$samples"
  sleep 0.1
done
wait $pid
"$here/.venv/bin/python" - "$summary" "$samples" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
rows = [list(map(int, line.split())) for line in open(sys.argv[2]) if len(line.split()) == 3]
print({k: round(v, 2) for k, v in summary["pass_seconds"].items()}, "CALLS", summary["edges"].get("CALLS"))
print("peak tree PSS MB", max(r[0] for r in rows), "| peak tree RSS sum MB", max(r[1] for r in rows),
      "| peak parent RSS MB", max(r[2] for r in rows))
PY
rm -rf "$db" "$samples" "$summary"
