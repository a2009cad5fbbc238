"""codekg from Python: index a repository (or bring its index up to date), then ask who calls a
symbol and what it calls, and run a Cypher query.

    python examples/python_api.py REPO SYMBOL      # e.g. . shop.service.checkout
"""

from __future__ import annotations

import sys
from pathlib import Path

from codekg.analysis import symbol_context
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index


def main() -> None:
    repo, symbol = Path(sys.argv[1]), sys.argv[2]
    db = repo / ".codekg"
    settings = load_settings(repo)  # codekg.toml and CODEKG_* variables, as the CLI reads them
    summary = index_repository(repo, db, settings)
    print(f"indexed {sum(summary.files_by_language.values())} files ({summary.delta['mode']})")
    store = open_index(db, settings)  # read-only
    try:
        [[functions]] = store.query("MATCH (f:Function) RETURN count(f)").rows
        context = symbol_context(store, repo, symbol)
    finally:
        store.close()
    print(f"{functions} functions")
    print(f"{context['symbol']['qualified_name']} ({context['symbol']['file_path']}:{context['symbol']['start_line']})")
    for caller in context["callers"]:
        print(f"  called by {caller['qualified_name']} ({caller['reason']}, confidence {caller['confidence']})")
    for callee in context["callees"]:
        print(f"  calls {callee['qualified_name']} ({callee['reason']}, confidence {callee['confidence']})")


if __name__ == "__main__":
    main()
