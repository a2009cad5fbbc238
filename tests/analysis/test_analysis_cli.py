"""`codekg context`, `impact` and `detect-changes` run as real subprocesses: output and exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis_repos import git_repo


def codekg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120, env=dict(os.environ))


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, message: str) -> None:
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def indexed_git_repo(copy_fixture) -> Path:
    repo = git_repo(copy_fixture("pyrepo"))
    result = codekg("index", str(repo), "--quiet")
    assert result.returncode == 0, result.stderr
    return repo


def test_context_json_and_table(indexed_git_repo):
    result = codekg("context", "shop.models.Base.save", "--repo", str(indexed_git_repo), "--json")
    assert result.returncode == 0, result.stderr
    context = json.loads(result.stdout)
    assert context["symbol"]["qualified_name"] == "shop.models.Base.save"
    assert [(c["qualified_name"], c["confidence"], c["reason"]) for c in context["callers"]] == [
        ("shop.models.Order.save", 0.9, "super-member")]
    table = codekg("context", "checkout", cwd=indexed_git_repo)
    assert table.returncode == 0, table.stderr
    assert "Function shop.service.checkout" in table.stdout and "Callees (5)" in table.stdout
    assert "Callers (0)" not in table.stdout
    # no caller is an answer, said as one (an entry point, or dead code), not a missing section
    uncalled = codekg("context", "shop.models.Counter.bump", cwd=indexed_git_repo)
    assert uncalled.returncode == 0 and "Callers (0): none in the index" in uncalled.stdout, uncalled.stderr
    assert 'def checkout(items):' in table.stdout
    # an index given by --db alone reads its own repository's files, wherever the command runs
    elsewhere = codekg("context", "checkout", "--db", str(indexed_git_repo / ".codekg"), cwd=indexed_git_repo.parent)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert 'def checkout(items):' in elsewhere.stdout and "source not shown" not in elsewhere.stdout
    (indexed_git_repo / "src" / "shop" / "service.py").write_text(
        "# moved\n" + (indexed_git_repo / "src" / "shop" / "service.py").read_text())
    edited = codekg("context", "checkout", cwd=indexed_git_repo)
    assert "src/shop/service.py changed since it was indexed: these lines may not be the symbol's" in edited.stdout


def test_ambiguous_symbol_exits_2_with_candidates(indexed_git_repo):
    result = codekg("context", "save", "--repo", str(indexed_git_repo))
    assert_clean_failure(result, 2, "'save' is ambiguous: 2 symbols match")
    assert "shop.models.Base.save" in result.stderr and "shop.models.Order.save" in result.stderr
    as_json = codekg("impact", "save", "--repo", str(indexed_git_repo), "--json")
    assert as_json.returncode == 2
    assert [c["qualified_name"] for c in json.loads(as_json.stdout)["candidates"]] == [
        "shop.models.Base.save", "shop.models.Order.save"]


def test_unknown_symbol_and_bad_options(indexed_git_repo):
    assert_clean_failure(codekg("context", "nope", "--repo", str(indexed_git_repo)), 2, "no symbol named 'nope'")
    assert_clean_failure(codekg("impact", "checkout", "--direction", "sideways", "--repo", str(indexed_git_repo)),
                         2, "unknown direction")
    assert codekg("impact", "checkout", "--depth", "0", "--repo", str(indexed_git_repo)).returncode == 2


def test_impact_json_and_table(indexed_git_repo):
    result = codekg("impact", "shop.models.Base.validate", "--depth", "2", "--repo", str(indexed_git_repo), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [[(s["qualified_name"], s["confidence"]) for s in level["symbols"]] for level in report["levels"]] == [
        [("shop.models.Base.save", 0.9)], [("shop.models.Order.save", 0.9)]]  # Order.save overrides Base.save (1.0)
    assert report["summary"]["risk"] == "low"
    pruned = json.loads(codekg("impact", "shop.models.Base.validate", "--min-confidence", "0.95", "--json",
                               "--repo", str(indexed_git_repo)).stdout)
    assert pruned["summary"]["symbols"] == 0
    table = codekg("impact", "shop.service.checkout", "--direction", "downstream", "--repo", str(indexed_git_repo))
    assert table.returncode == 0, table.stderr
    assert "Depth 1 (5)" in table.stdout and "risk: medium" in table.stdout


def test_detect_changes(indexed_git_repo):
    util = indexed_git_repo / "src/shop/util.py"
    util.write_text(util.read_text().replace("print(json.dumps(message))", "print(message)"))
    result = codekg("detect-changes", "--repo", str(indexed_git_repo), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [(s["qualified_name"], s["change"]) for s in report["changed_symbols"]] == [
        ("shop.util", "modified"), ("shop.util.log", "modified")]
    assert [s["qualified_name"] for s in report["impact"]["levels"][0]["symbols"]] == ["shop.service", "shop.service.checkout"]
    table = codekg("detect-changes", "--staged", cwd=indexed_git_repo)
    assert table.returncode == 0, table.stderr
    assert table.stdout.splitlines()[1:] == ["no changes: nothing is affected"]  # nothing staged: one line
    assert "staged against HEAD" in table.stdout.splitlines()[0]


def test_detect_changes_errors(indexed_git_repo, copy_fixture):
    assert_clean_failure(codekg("detect-changes", "--base", "nope", "--repo", str(indexed_git_repo)), 2, "unknown git ref 'nope'")
    plain = copy_fixture("pyrepo")
    assert codekg("index", str(plain), "--quiet").returncode == 0
    assert_clean_failure(codekg("detect-changes", "--repo", str(plain)), 2, "is not inside a git work tree")
    assert_clean_failure(codekg("context", "checkout", "--repo", str(copy_fixture("pyrepo"))), 2, "no codekg index")
