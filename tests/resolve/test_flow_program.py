"""The value flow's edges as the resolver emits them (resolve/flow_program.py): a call site the solve
finds more than FANOUT_LIMIT callees of the program's own for gives none of them, and the run says so."""

from __future__ import annotations

from codekg.pipeline import index_repository
from codekg.resolve.flow_program import FANOUT_LIMIT
from codekg.settings import load_settings
from codekg.stores import open_index

SOURCE = (
    "def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n    return 3\n\n\n"
    "def d():\n    return 4\n\n\ndef e():\n    return 5\n\n\n"
    "def run_four():\n    for step in [a, b, c, d]:\n        step()\n\n\n"
    "def run_five():\n    for step in [a, b, c, d, e]:\n        step()\n"
)


def test_a_call_of_more_callees_than_the_limit_is_left_to_the_other_rules(tmp_path):
    assert FANOUT_LIMIT == 4
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(SOURCE)
    settings = load_settings(repo, use_git_ls_files=False)
    summary = index_repository(repo, tmp_path / "db", settings)
    assert summary.value_flow["on"] is True
    store = open_index(tmp_path / "db", settings)
    try:
        rows = store.query("MATCH (a)-[e:CALLS]->(b) RETURN a.id, b.id, e.reason ORDER BY a.id, b.id").rows
    finally:
        store.close()
    assert rows == [[f"Function:main.py:main.run_four", f"Function:main.py:main.{name}", "flow-element"] for name in "abcd"]
    assert summary.warnings == [{
        "path": "main.py", "pass": "flow", "kind": "flow-bound",
        "message": "value flow: 1 call site(s) with more than 4 callees were left to the other call rules: "
                   "calls there may miss targets"}]


def test_the_cli_gives_the_bounds_one_line_and_json_each_file(tmp_path):
    import json
    import subprocess
    import sys

    (tmp_path / "main.py").write_text(SOURCE)
    run = subprocess.run([sys.executable, "-m", "codekg", "index", "."], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert "value flow: hit its bounds in 1 file(s), where calls may miss targets (`--json` lists them)" in run.stdout
    assert "warning(s)" not in run.stdout
    run = subprocess.run([sys.executable, "-m", "codekg", "index", ".", "--full", "--json"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert [w["kind"] for w in json.loads(run.stdout)["warnings"]] == ["flow-bound"]
