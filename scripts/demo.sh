#!/usr/bin/env bash
# `make demo`: index a real project's source and show what the graph answers.
# The sample is the requests sdist fetched from PyPI at demo time (nothing foreign is committed);
# without a registry, codekg's own source is indexed instead.
set -euo pipefail
bin="$1"; demo_dir="$2"; package="$3"
codekg="$bin/codekg"

mkdir -p "$demo_dir"
sample=""
if "$bin/python" -m pip download --quiet --no-deps --no-binary :all: "$package" -d "$demo_dir" 2>/dev/null; then
    archive=$(ls -t "$demo_dir"/*.tar.gz | head -n 1)
    tar -xzf "$archive" -C "$demo_dir"
    sample="$demo_dir/$(basename "$archive" .tar.gz)"
else
    echo "(could not download $package; indexing codekg's own source instead)"
    sample="$(pwd)"
fi
db="$demo_dir/index"

echo "== codekg index $sample"
"$codekg" index "$sample" --db "$db"

echo
echo "== codekg stats"
"$codekg" stats --repo "$sample" --db "$db"

echo
echo "== Who calls what: the 10 most-called functions and methods in the repository"
"$codekg" query --repo "$sample" --db "$db" \
  "MATCH (caller)-[c:CALLS]->(f) WHERE label(f) IN ['Function', 'Method'] RETURN f.qualified_name AS callee, count(caller) AS callers ORDER BY callers DESC, callee LIMIT 10"

echo
echo "== Class hierarchy: classes and the classes they extend"
"$codekg" query --repo "$sample" --db "$db" \
  "MATCH (c:Class)-[e:EXTENDS]->(b) RETURN c.qualified_name AS class, b.qualified_name AS base, e.reason AS reason ORDER BY class LIMIT 10"

echo
echo "== Most imported external modules (JSON)"
"$codekg" query --repo "$sample" --db "$db" --format json \
  "MATCH (f:File)-[:IMPORTS]->(x:External) RETURN x.qualified_name AS module, count(f) AS importers ORDER BY importers DESC, module LIMIT 5"

echo
echo "== codekg search: where is the code that does X?"
"$codekg" search "send a prepared request" --repo "$sample" --db "$db" --limit 5

echo
echo "== codekg impact: what breaks if Session.send changes? (callers, two levels up)"
"$codekg" impact requests.sessions.Session.send --depth 2 --repo "$sample" --db "$db" \
  || echo "(requests.sessions.Session.send is not in this sample)"

echo
echo "== Incremental re-index: nothing changed, then a file added, then removed again"
"$codekg" index "$sample" --db "$db" 2>/dev/null | sed -n 1,2p
cat > "$sample/demo_added.py" <<'PY'
from requests import get


def fetch_status(url):
    return get(url).status_code
PY
"$codekg" index "$sample" --db "$db" 2>/dev/null | sed -n 1,2p
"$codekg" query --repo "$sample" --db "$db" \
  "MATCH (f:Function {name: 'fetch_status'})-[e:CALLS]->(g) RETURN f.qualified_name AS caller, g.qualified_name AS callee, e.reason AS reason, e.confidence AS confidence"
rm "$sample/demo_added.py"
"$codekg" index "$sample" --db "$db" 2>/dev/null | sed -n 1,2p
