"""The `value_flow` setting: off, the value-flow solver does not run and the parse records carry no
flow facts; on, its edges join the graph; `auto` (the default), on while the Python, JavaScript and
TypeScript source holds at most `value_flow_auto_bytes`. Switching it, or growing past the limit,
rebuilds the index."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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


FLOW_EDGE = ["Function:runner.py:runner.run", "Function:main.py:main.job", "flow-argument", 0.8]
IMPORT_EDGE = ["Module:main.py:main", "Function:runner.py:runner.run", "import", 1.0]
REPO_BYTES = len("def run(callback):\n    return callback()\n") + len("from runner import run\n\n\ndef job():\n    return 1\n\n\nrun(job)\n")


def test_auto_is_the_default_and_weighs_the_flow_languages_source(tmp_path):
    repo = _repo(tmp_path)
    (repo / "notes.md").write_text("# notes\n" + "words " * 500)  # not a flow language: not weighed
    settings = load_settings(repo, use_git_ls_files=False)
    assert settings.value_flow == "auto" and settings.value_flow_auto_bytes == 1_500_000
    summary = index_repository(repo, tmp_path / "db", settings)
    assert summary.value_flow == {"on": True, "setting": "auto", "source_bytes": REPO_BYTES, "auto_limit": 1_500_000}
    assert _calls(tmp_path / "db", settings) == [FLOW_EDGE, IMPORT_EDGE]

    small = load_settings(repo, use_git_ls_files=False, value_flow_auto_bytes=REPO_BYTES - 1)
    summary = index_repository(repo, tmp_path / "db", small)
    assert summary.delta["mode"] == "full"  # the flow's answer changed: another graph
    assert summary.value_flow == {"on": False, "setting": "auto", "source_bytes": REPO_BYTES, "auto_limit": REPO_BYTES - 1}
    assert _calls(tmp_path / "db", small) == [IMPORT_EDGE]

    forced = load_settings(repo, use_git_ls_files=False, value_flow=True, value_flow_auto_bytes=0)
    assert index_repository(repo, tmp_path / "db", forced).value_flow["on"] is True
    assert _calls(tmp_path / "db", forced) == [FLOW_EDGE, IMPORT_EDGE]


def test_an_edit_that_crosses_the_limit_rebuilds_and_equals_a_full_index(tmp_path):
    repo = _repo(tmp_path)
    settings = load_settings(repo, use_git_ls_files=False, value_flow_auto_bytes=REPO_BYTES + 10)
    live = tmp_path / "live"
    assert index_repository(repo, live, settings).value_flow["on"] is True
    assert index_repository(repo, live, settings).delta["mode"] == "unchanged"

    main = repo / "main.py"
    main.write_text(main.read_text() + "# a comment of 20 b\n")  # 21 bytes: past the limit
    summary = index_repository(repo, live, settings)
    assert summary.value_flow["on"] is False and summary.delta["mode"] == "full"
    assert _calls(live, settings) == [IMPORT_EDGE]
    index_repository(repo, tmp_path / "fresh", settings, full=True)
    assert _calls(tmp_path / "fresh", settings) == _calls(live, settings)

    main.write_text(main.read_text().replace("# a comment of 20 b\n", ""))
    summary = index_repository(repo, live, settings)
    assert summary.value_flow["on"] is True and summary.delta["mode"] == "full"
    assert _calls(live, settings) == [FLOW_EDGE, IMPORT_EDGE]


def _codekg(repo, *arguments, **environment):
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODEKG_VALUE_FLOW")}
    return subprocess.run([sys.executable, "-m", "codekg", *arguments], cwd=repo, capture_output=True, text=True,
                          env={**env, "COLUMNS": "200", **environment})


def test_the_cli_says_when_auto_left_the_flow_off_and_refuses_a_bad_value(tmp_path):
    repo = _repo(tmp_path)
    run = _codekg(repo, "index", ".", CODEKG_VALUE_FLOW_AUTO_BYTES="50")
    assert run.returncode == 0, run.stderr
    assert ("value flow: off, 0.0 MB of Python/JavaScript/TypeScript is above value_flow_auto_bytes (0.0 MB); "
            "`--value-flow on` (or `value_flow = true`) solves it on every run, edits included (docs/performance_tuning.md)") in run.stdout
    run = _codekg(repo, "index", ".", "--json")
    assert json.loads(run.stdout)["value_flow"] == {"on": True, "setting": "auto", "source_bytes": REPO_BYTES,
                                                    "auto_limit": 1_500_000}
    assert ("value flow: on (0.0 MB of Python/JavaScript/TypeScript, value_flow_auto_bytes 1.5 MB)"
            in _codekg(repo, "index", ".", "--full").stdout)
    assert "value flow: off (value_flow = false)" in _codekg(repo, "index", ".", CODEKG_VALUE_FLOW="false").stdout
    assert "value flow: on (value_flow = true)" in _codekg(repo, "index", ".", CODEKG_VALUE_FLOW="True").stdout
    assert _codekg(repo, "index", ".", "--json", CODEKG_VALUE_FLOW=" AUTO ").returncode == 0  # any case, spaces

    run = _codekg(repo, "index", ".", CODEKG_VALUE_FLOW="sometimes")
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert "invalid setting: value_flow: Value error, expected on, off or auto (or true, false), got 'sometimes'" in run.stderr


def test_the_index_flag_overrides_the_setting_and_refuses_a_bad_mode(tmp_path):
    repo = _repo(tmp_path)
    run = _codekg(repo, "index", ".", "--json", "--value-flow", "on", CODEKG_VALUE_FLOW_AUTO_BYTES="50")
    assert json.loads(run.stdout)["value_flow"]["on"] is True and json.loads(run.stdout)["value_flow"]["setting"] is True
    assert "value flow: off (value_flow = false)" in _codekg(repo, "index", ".", "--value-flow", "OFF", CODEKG_VALUE_FLOW="true").stdout
    run = _codekg(repo, "index", ".", "--json", "--value-flow", "auto", CODEKG_VALUE_FLOW="false")
    assert json.loads(run.stdout)["value_flow"] == {"on": True, "setting": "auto", "source_bytes": REPO_BYTES, "auto_limit": 1_500_000}
    assert "--value-flow MODE" in _codekg(repo, "index", "--help").stdout

    run = _codekg(repo, "index", ".", "--value-flow", "maybe")
    assert run.returncode == 2 and "Traceback" not in run.stderr and run.stdout == ""
    assert "invalid setting: value_flow: Value error, expected on, off or auto (or true, false), got 'maybe'" in run.stderr
