"""`codekg sync` against a real `git daemon` and file:// remotes: the graph equals `git clone` +
`codekg index`; a later sync writes only changed blobs; retries, bad remotes, kill -9 and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import GitDaemon, commit, git, make_repository

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.sync.run import sync_repository


def counts(summary: dict) -> tuple[dict, dict]:
    return summary["nodes"], summary["edges"]


def cloned_counts(url: str, tmp_path: Path, name: str) -> tuple[dict, dict]:
    """What `git clone` + `codekg index` give."""
    clone = tmp_path / f"clone-{name}"
    subprocess.run(["git", "clone", "-q", url, str(clone)], check=True)
    summary = index_repository(clone, tmp_path / f"clone-{name}-db", load_settings(clone)).to_dict()
    return counts(summary)


def test_a_sync_over_git_equals_clone_and_index_and_a_later_sync_writes_only_what_changed(git_daemon, tmp_path):
    source = make_repository(git_daemon.base / "kb.git", {"app/extra.py": "def extra():\n    return 'ex:Person'\n"})
    git_daemon.start()
    settings = load_settings(tmp_path)
    first = sync_repository(git_daemon.url("kb.git"), tmp_path / "db", settings)
    assert (first.branch, first.resumed, first.files_total, first.files_written, first.files_failed) == ("main", False, 8, 8, 0)
    assert first.commit == git(source, "rev-parse", "HEAD").strip()
    assert counts(first.index) == cloned_counts(git_daemon.url("kb.git"), tmp_path, "one")
    assert first.index["nodes"]["OntologyClass"] == 14  # 11 declared, 3 parents or ranges no file declares

    (source / "app/extra.py").write_text("def extra():\n    return 'ex:Agent'\n")
    (source / "kb/places.nt").unlink()
    (source / "docs").mkdir()
    (source / "docs/agent.md").write_text("# Agent\n\nSee ex:Agent.\n")
    commit(source, "second")
    second = sync_repository(git_daemon.url("kb.git"), tmp_path / "db", settings)
    assert (second.files_total, second.files_written, second.files_unchanged, second.files_deleted) == (8, 2, 6, 1)
    assert second.index["delta"]["mode"] == "incremental"
    assert counts(second.index) == cloned_counts(git_daemon.url("kb.git"), tmp_path, "two")

    third = sync_repository(git_daemon.url("kb.git"), tmp_path / "db", settings)
    assert (third.files_written, third.files_unchanged, third.index["delta"]["files_changed"]) == (0, 8, 0)


def test_file_urls_local_paths_branches_and_include_globs(tmp_path):
    source = make_repository(tmp_path / "src")
    git(source, "checkout", "-q", "-b", "other")
    (source / "kb/new.ttl").write_text("@prefix owl: <http://www.w3.org/2002/07/owl#> .\n<http://e.org/#N> a owl:Class .\n")
    commit(source, "other branch")
    git(source, "checkout", "-q", "main")
    settings = load_settings(tmp_path)
    by_url = sync_repository(f"file://{source}", tmp_path / "a", settings, includes=["kb/*.ttl"])
    assert (by_url.branch, by_url.files_total) == ("main", 2)  # core.ttl and broken.ttl
    other = sync_repository(str(source), tmp_path / "b", settings, branch="other", includes=["kb/*.ttl"])
    assert (other.branch, other.files_total) == ("other", 3)
    assert sorted(p.name for p in (tmp_path / "b").glob("sync/*/tree/kb/*")) == ["broken.ttl", "core.ttl", "new.ttl"]


def run_cli(*arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *arguments], capture_output=True, text=True, timeout=300, **kwargs)


def test_bad_remotes_and_branches_are_clear_errors_with_exit_2(tmp_path):
    source = make_repository(tmp_path / "src")
    missing = run_cli("sync", f"file://{tmp_path}/nope", "--db", str(tmp_path / "db"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: no git repository there") and "Traceback" not in missing.stderr
    branch = run_cli("sync", str(source), "--branch", "nob", "--db", str(tmp_path / "db"))
    assert (branch.returncode, branch.stderr.strip()) == (2, f"error: the remote {source} has no branch nob")
    progress = run_cli("sync", str(source), "--progress", "loud", "--db", str(tmp_path / "db"))
    assert (progress.returncode, progress.stderr.strip()) == (2, "error: --progress must be text, json or none, not 'loud'")


def test_a_remote_that_comes_up_late_is_retried(git_daemon, tmp_path):
    """Connection refused is a NetworkError, retried under the store retry policy until the daemon answers."""
    make_repository(git_daemon.base / "late.git")
    settings = load_settings(tmp_path, store_retry_delays=[0.5, 1.0, 2.0, 4.0])
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)
        if len(waited) == 2:
            git_daemon.start()
        time.sleep(seconds)

    report = sync_repository(git_daemon.url("late.git"), tmp_path / "db", settings, sleep=sleep)
    assert report.retries == 2 and report.files_written == 7
    refused = GitDaemon(tmp_path)  # never started: every attempt is refused, then the error is fatal
    with pytest.raises(Exception, match="the connection to the remote failed"):
        sync_repository(refused.url("late.git"), tmp_path / "db2", load_settings(tmp_path, store_retry_delays=[0.1]))


def kill_when(command: list[str], db: Path, phase: str, timeout: float = 120) -> bool:
    """Start ``command``, kill -9 it once its checkpoint says ``phase`` (with files done); False if it ended first."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        for found in db.glob("sync/*/checkpoint.json"):
            try:
                checkpoint = json.loads(found.read_text())
            except (OSError, ValueError):
                continue
            if checkpoint["phase"] == phase and checkpoint["processed"] > 0:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                return True
        time.sleep(0.01)
    process.wait()
    return False


def test_a_sync_killed_while_writing_or_indexing_resumes_and_ends_equal_to_a_clean_sync(tmp_path):
    files = {f"pages/p{n}.md": f"# Page {n}\n\niri:: ex:P{n}\nprefix:: ex http://e.org/#\n\nSee ex:P{n - 1}.\n" for n in range(1500)}
    source = make_repository(tmp_path / "src", files)
    clean = run_cli("sync", str(source), "--db", str(tmp_path / "clean"), "--json", "--progress", "none")
    expected = json.loads(clean.stdout)
    for phase in ("write", "index"):
        db = tmp_path / f"db-{phase}"
        command = [sys.executable, "-m", "codekg", "sync", str(source), "--db", str(db), "--json", "--progress", "none"]
        assert kill_when(command, db, phase), f"the sync ended before its {phase} phase"
        resumed = run_cli("sync", str(source), "--db", str(db), "--json", "--progress", "none")
        assert resumed.returncode == 0, resumed.stderr
        report = json.loads(resumed.stdout)
        assert report["resumed"] is True and report["files"]["total"] == 1507 and report["files"]["failed"] == 0
        if phase == "write":  # what the killed run wrote stays written
            assert 0 < report["files"]["unchanged"] < 1507
        else:
            assert report["files"]["written"] == 0
        assert (report["index"]["nodes"], report["index"]["edges"]) == (expected["index"]["nodes"], expected["index"]["edges"])
