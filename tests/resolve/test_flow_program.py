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
    assert rows == [["Function:main.py:main.run_four", f"Function:main.py:main.{name}", "flow-element"] for name in "abcd"]
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


SEEDED_SOLVE = """
import json, sys
from pathlib import Path
from codekg.resolve import flow
flow.MAX_VALUES = 3  # a set cut at 3 of the 8 handlers: which 3 it keeps must not depend on the process
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index
repo, db = Path(sys.argv[1]), Path(sys.argv[2])
settings = load_settings(repo, use_git_ls_files=False, parse_cache=False)
index_repository(repo, db, settings)
store = open_index(db, settings)
print(json.dumps(store.query("MATCH (a)-[e:CALLS]->(b) RETURN a.id, b.id, e.reason ORDER BY a.id, b.id").rows))
store.close()
"""


def test_the_solve_gives_the_same_edges_whatever_the_hash_seed(tmp_path):
    """Field names are kept in the order they were stored: a set's order changes with the process's
    hash seed, and with it which tokens a cut set keeps (lodash's CALLS differed run to run)."""
    import json
    import os
    import subprocess
    import sys

    repo = tmp_path / "repo"
    repo.mkdir()
    names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    (repo / "main.py").write_text(
        "".join(f"def on_{name}():\n    return 1\n\n\n" for name in names)
        + "HANDLERS = {}\n" + "".join(f"HANDLERS['{name}'] = on_{name}\n" for name in names)
        + "\n\ndef run(key):\n    return HANDLERS[key]()\n")
    outputs = set()
    for seed in ("1", "2", "3", "4"):
        run = subprocess.run([sys.executable, "-c", SEEDED_SOLVE, str(repo), str(tmp_path / f"db{seed}")],
                             capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": seed})
        assert run.returncode == 0, run.stderr
        outputs.add(run.stdout)
    assert len(outputs) == 1
    rows = json.loads(outputs.pop())
    assert [row for row in rows if row[0] == "Function:main.py:main.run"] == [
        ["Function:main.py:main.run", f"Function:main.py:main.on_{name}", "flow-element"] for name in names[:3]]


def test_an_incremental_run_gives_the_bounds_of_a_full_run_not_more(tmp_path):
    """A file's flow-bound warning is replaced when the flow is solved again, never added to (a new
    user saw flask's count grow 5, 8, 11 over unchanged edits)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text("from other import helper\n\n\n" + SOURCE)  # main reads other: resolved again
    (repo / "other.py").write_text("def helper():\n    return 1\n")
    settings = load_settings(repo, use_git_ls_files=False)
    live = tmp_path / "live"
    first = index_repository(repo, live, settings).warnings
    assert [w["path"] for w in first] == ["main.py"]
    for edit in ("other.py", "main.py", "other.py"):
        path = repo / edit
        path.write_text(path.read_text() + "\n\ndef added():\n    return 1\n")
        summary = index_repository(repo, live, settings)
        assert summary.delta["mode"] == "incremental"
        fresh = index_repository(repo, tmp_path / f"fresh-{edit}-{len(path.read_text())}", settings, full=True)
        assert summary.warnings == fresh.warnings == first


def test_a_method_of_one_name_over_many_classes_is_a_dispatch_and_keeps_its_edges(tmp_path):
    """flask's `for tag in self.order: tag.check(value)` reaches every tag class's `check`; a protocol
    method (`repr(x)` over many classes) is not let through."""
    classes = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "main.py").write_text(
        "".join(f"class {name}:\n    def check(self):\n        return 1\n\n    def __repr__(self):\n        return '{name}'\n\n\n"
                for name in classes)
        + f"TAGS = [{', '.join(f'{name}()' for name in classes)}]\n\n\n"
        "def find():\n    for tag in TAGS:\n        tag.check()\n\n\n"
        "def show():\n    for tag in TAGS:\n        repr(tag)\n")
    settings = load_settings(repo, use_git_ls_files=False)
    summary = index_repository(repo, tmp_path / "db", settings)
    store = open_index(tmp_path / "db", settings)
    try:
        rows = store.query("MATCH (a)-[e:CALLS]->(b) WHERE a.name IN ['find', 'show'] "
                           "RETURN a.name, b.id, e.reason ORDER BY a.name, b.id").rows
    finally:
        store.close()
    assert rows == ([["find", f"Method:main.py:main.{name}.check", "flow-method"] for name in classes]
                    + [["show", "External:<builtin>.repr", "builtin"]])
    assert [w["message"] for w in summary.warnings] == [
        "value flow: 1 call site(s) with more than 4 callees were left to the other call rules: calls there may miss targets"]
