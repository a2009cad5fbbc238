"""The `value_flow` setting: off (the default), the value-flow solver does not run and the parse
records carry no flow facts; on, its edges join the graph. Switching it rebuilds the index."""

from __future__ import annotations

from codekg.languages.base import EXTRACTION
from codekg.passes.parse import parse_files
from codekg.passes.scan import scan_repository
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index

CALLS = "MATCH (a)-[e:CALLS]->(b) RETURN a.id, b.id, e.reason, e.confidence ORDER BY a.id, b.id"


def _repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "runner.py").write_text("def run(callback):\n    return callback()\n")
    (repo / "main.py").write_text("from runner import run\n\n\ndef job():\n    return 1\n\n\nrun(job)\n")
    return repo


def _calls(db, settings):
    store = open_index(db, settings)
    try:
        return store.query(CALLS).rows
    finally:
        store.close()


def test_off_no_flow_edges_and_no_facts_on_the_flow_edges_join(tmp_path):
    repo = _repo(tmp_path)
    off = load_settings(repo, use_git_ls_files=False, value_flow=False)
    db = tmp_path / "db"
    assert index_repository(repo, db, off).delta["mode"] == "full"
    assert _calls(db, off) == [["Module:main.py:main", "Function:runner.py:runner.run", "import", 1.0]]
    parsed = parse_files(repo, scan_repository(repo, off).files, flow=False)
    assert all(record.flow == [] for record in parsed.parses) and not EXTRACTION.flow_facts

    on = load_settings(repo, use_git_ls_files=False, value_flow=True)
    assert index_repository(repo, db, on).delta["mode"] == "full"  # another setting: another graph
    assert _calls(db, on) == [
        ["Function:runner.py:runner.run", "Function:main.py:main.job", "flow-argument", 0.8],
        ["Module:main.py:main", "Function:runner.py:runner.run", "import", 1.0],
    ]
    parsed = parse_files(repo, scan_repository(repo, on).files, flow=True)
    assert all(record.flow for record in parsed.parses)
