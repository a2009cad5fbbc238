"""codekg over HTTP: ask a running `codekg serve` who calls a symbol, and run a Cypher query.
Standard library only, so any Python can run it.

    codekg serve --repo REPO --token SECRET &          # prints "… on http://127.0.0.1:8765"
    python examples/http_api.py http://127.0.0.1:8765 SECRET shop.service.checkout
"""

from __future__ import annotations

import json
import sys
import urllib.parse
import urllib.request


def call(base: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main() -> None:
    base, token, symbol = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3]
    stats = call(base, token, "/stats")
    print(f"{sum(stats['files_by_language'].values())} files indexed")
    context = call(base, token, "/context?" + urllib.parse.urlencode({"symbol": symbol}))
    print(f"{context['symbol']['qualified_name']} ({context['symbol']['file_path']}:{context['symbol']['start_line']})")
    for caller in context["callers"]:
        print(f"  called by {caller['qualified_name']}")
    rows = call(base, token, "/query", {"cypher": "MATCH (f:Function) RETURN count(f) AS functions"})["rows"]
    print(f"{rows[0][0]} functions")


if __name__ == "__main__":
    main()
