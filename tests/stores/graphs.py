"""Test helpers for store tests: a generated repository, its embedded index, and graphs compared exactly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codekg.graph import Graph
from codekg.pipeline import index_repository
from codekg.settings import Settings, load_settings
from codekg.stores import open_index
from codekg.stores.snapshot import read_graph


def write_repo(root: Path, modules: int = 3, functions: int = 3) -> Path:
    """``modules`` Python modules in package `pkg`; each function calls the next one and the previous
    module's first function, so there are CALLS (same-file and import) and IMPORTS edges."""
    package = root / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    for m in range(modules):
        lines = [f"from pkg.mod{m - 1} import f0 as prev\n" if m else ""]
        for f in range(functions):
            body = f"f{f + 1}()" if f + 1 < functions else ("prev()" if m else "0")
            lines.append(f"\n\ndef f{f}():\n    return {body}\n")
        lines.append(f"\n\nclass C{m}:\n    def run(self):\n        return f0()\n")
        (package / f"mod{m}.py").write_text("".join(lines))
    return root


def index_embedded(repo: Path, db: Path, **overrides: Any) -> Settings:
    settings = load_settings(repo, **overrides)
    index_repository(repo, db, settings)
    return settings


def embedded_graph(db: Path, settings: Settings | None = None, include_metadata: bool = False) -> Graph:
    store = open_index(db, settings or load_settings())
    try:
        return read_graph(store, include_metadata)
    finally:
        store.close()


def canonical(graph: Graph) -> tuple[dict[str, list[str]], dict[tuple[str, str, str], list[str]]]:
    """Order-free form of a graph: sorted rows per label and per edge table (empty tables dropped)."""
    nodes = {label: sorted(repr(sorted(row.items())) for row in rows) for label, rows in graph.nodes.items() if rows}
    edges = {key: sorted(repr(sorted(row.items())) for row in rows) for key, rows in graph.edges.items() if rows}
    return nodes, edges
