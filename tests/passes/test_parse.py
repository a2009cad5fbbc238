"""passes/parse.py: records parsed in workers hold their lists packed (records.py, PACKED_LISTS); the
structure and resolve passes read them and let them go, and resolve the files exactly as from plain
records."""

from __future__ import annotations

import shutil
from pathlib import Path

from codekg.graph import Graph
from codekg.passes.parse import parse_files
from codekg.passes.resolve import resolve_references
from codekg.passes.scan import scan_repository
from codekg.passes.structure import build_structure
from codekg.records import PACKED_LISTS, PackedList
from codekg.settings import load_settings
from tests.passes.test_parse_pool import limits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _rows(graph: Graph) -> list[tuple]:
    return sorted((key, tuple(sorted(row.items()))) for key, rows in (*graph.nodes.items(), *graph.edges.items())
                  for row in rows)


def test_lists_travel_packed_and_are_let_go_once_read(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    shutil.copytree(FIXTURES / "jsrepo", repo / "web")
    settings = load_settings(repo, use_git_ls_files=False)
    scan = scan_repository(repo, settings)
    in_workers = parse_files(scan.root, scan.files, pool=limits(workers=2)).parses
    in_process = parse_files(scan.root, scan.files).parses
    packed = {(parsed.path, name): getattr(parsed, name) for parsed in in_workers for name in PACKED_LISTS
              if getattr(parsed, name)}
    assert len(packed) == 22 and all(type(items) is PackedList and not items.loaded for items in packed.values())
    assert not any(type(getattr(parsed, name)) is PackedList for parsed in in_process for name in PACKED_LISTS)

    structures = [build_structure(scan.root, parses, settings) for parses in (in_workers, in_process)]
    assert not any(items.loaded for items in packed.values())  # the structure read the local bindings, let them go
    resolved = [resolve_references(structure.symbols, 3) for structure in structures]
    assert not any(items.loaded for items in packed.values())  # the resolve pass read them all, let them go
    graphs = [_rows(Graph.combined(*(r.graph for r in resolutions.values()))) for resolutions in resolved]
    assert len(graphs[0]) == 69 and graphs[0] == graphs[1]
    assert in_workers == in_process
    assert sum(len(rows) for r in resolved[0].values() for key, rows in r.graph.edges.items() if key[0] == "CALLS") == 35
