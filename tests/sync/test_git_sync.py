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
from git_servers import GitDaemon, commit, git, make_repository

from codekg.errors import InputError
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
    with pytest.raises(InputError, match=r"^--include nomatch/\* matched no file of .* at [0-9a-f]{12}$"):
        sync_repository(str(source), tmp_path / "b", settings, branch="other", includes=["nomatch/*"], restart=True)
    assert sorted(p.name for p in (tmp_path / "b").glob("sync/*/tree/kb/*")) == ["broken.ttl", "core.ttl", "new.ttl"]


def run_cli(*arguments: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *arguments], capture_output=True, text=True, timeout=300, **kwargs)


def test_bad_remotes_and_branches_are_clear_errors_with_exit_2(tmp_path):
    source = make_repository(tmp_path / "src")
    missing = run_cli("sync", f"file://{tmp_path}/nope", "--db", str(tmp_path / "db"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: no git repository there") and "Traceback" not in missing.stderr
    branch = run_cli("sync", str(source), "--branch", "nob", "--db", str(tmp_path / "db"))
    assert (branch.returncode, branch.stderr.strip()) == (2, f"error: the remote {source} has no branch nob")
    assert not list((tmp_path / "db").glob("sync/*"))  # a remote or branch that is not there leaves nothing behind
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
    assert not list((tmp_path / "db2").glob("sync/*"))  # nothing to resume from: nothing left behind


def kill_when(command: list[str], db: Path, phase: str, timeout: float = 120, sent: int = signal.SIGKILL,
              ended: list | None = None) -> bool:
    """Start ``command``, send it ``sent`` (kill -9) once its checkpoint says ``phase`` (with files
    done); False if it ended first. ``ended`` gets its exit code and stderr."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        for found in db.glob("sync/*/checkpoint.json"):
            try:
                checkpoint = json.loads(found.read_text())
            except (OSError, ValueError):
                continue
            if checkpoint["phase"] == phase and checkpoint["processed"] > 0:
                os.kill(process.pid, sent)
                _, stderr = process.communicate()
                if ended is not None:
                    ended.extend([process.returncode, stderr])
                return True
        time.sleep(0.01)
    process.communicate()
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


def test_timeouts_resets_and_delays_through_a_faulty_network_are_retried_with_backoff(git_daemon, tmp_path):
    from git_servers import FaultProxy

    make_repository(git_daemon.base / "kb.git")
    git_daemon.start()
    target = ("127.0.0.1", git_daemon.port)
    fast = {"store_timeout_seconds": 1.0, "store_retry_delays": [0.2, 0.4, 0.8]}
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    flaky = FaultProxy(target, lambda n: ["drop", "reset"][n] if n < 2 else "forward")
    report = sync_repository(flaky.url("kb.git"), tmp_path / "a", load_settings(tmp_path, **fast), sleep=sleep)
    assert (report.retries, report.files_written, flaky.connections[:2]) == (2, 7, ["drop", "reset"])
    assert 0.1 <= waits[0] <= 0.3 and 0.2 <= waits[1] <= 0.6  # the policy's delays, jittered ±50%
    flaky.close()

    slow = FaultProxy(target, lambda n: "delay", delay=0.05)
    assert sync_repository(slow.url("kb.git"), tmp_path / "b", load_settings(tmp_path, **fast)).files_written == 7
    slow.close()

    silent = FaultProxy(target, lambda n: "drop")
    with pytest.raises(Exception, match="the remote did not answer in time") as error:
        sync_repository(silent.url("kb.git"), tmp_path / "c", load_settings(tmp_path, **fast), sleep=lambda s: None)
    assert type(error.value).__name__ == "NetworkTimeout" and len(silent.connections) == 4  # the first try and 3 retries
    silent.close()


def test_the_github_api_mode_equals_git_honours_rate_limits_and_etags_and_never_prints_the_token(tmp_path):
    from git_servers import GitHubAPIServer

    source = make_repository(tmp_path / "src")
    server = GitHubAPIServer(source)
    try:
        waited: list[float] = []

        def sleep(seconds: float) -> None:
            waited.append(seconds)

        server.limits = [("/git/blobs/", 429, {"Retry-After": "2"}),
                         ("/commits/", 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 3)})]
        settings = load_settings(tmp_path, github_api_url=server.url, store_retry_delays=[0.1, 0.1, 0.1])
        by_api = sync_repository("https://github.com/acme/kb", tmp_path / "api", settings, sleep=sleep, api="github")
        by_git = sync_repository(str(source), tmp_path / "git", settings)
        assert (by_api.commit, by_api.files_written, by_api.retries) == (by_git.commit, 7, 2)
        assert counts(by_api.index) == counts(by_git.index)
        assert waited[0] >= 1.5 and waited[1] >= 1.5  # Retry-After and X-RateLimit-Reset, not the 0.1 s policy
        assert sorted(status for _, status, _ in server.requests if status != 200) == [403, 429]

        server.requests.clear()
        again = sync_repository("acme/kb", tmp_path / "api", settings, api="github")
        assert (again.files_written, again.files_unchanged) == (0, 7)
        tree = git(source, "rev-parse", "HEAD^{tree}").strip()
        assert [(path, status) for path, status, _ in server.requests] == [  # each answered "not modified" by its ETag
            ("/repos/acme/kb", 304), ("/repos/acme/kb/commits/main", 304), (f"/repos/acme/kb/git/trees/{tree}?recursive=1", 304)]

        (source / "kb/new.md").write_text("# New\n\niri:: ex:New\nprefix:: ex http://e.org/#\n")
        commit(source, "new page")
        server.requests.clear()
        third = sync_repository("acme/kb", tmp_path / "api", settings, api="github")
        assert (third.files_written, third.files_unchanged) == (1, 7)
        assert sum(1 for path, _, _ in server.requests if "/git/blobs/" in path) == 1  # only the new blob

        secret = "ghp_not-a-real-token-123"
        done = run_cli("sync", "acme/kb", "--api", "github", "--db", str(tmp_path / "cli"), "--json",
                       env={**os.environ, "CODEKG_GITHUB_API_URL": server.url, "CODEKG_GITHUB_TOKEN": secret})
        assert done.returncode == 0, done.stderr
        assert secret not in done.stdout + done.stderr
        assert {auth for _, _, auth in server.requests[-3:]} == {f"Bearer {secret}"}
        missing = run_cli("sync", "acme/nothing", "--api", "github", "--db", str(tmp_path / "cli2"),
                          env={**os.environ, "CODEKG_GITHUB_API_URL": server.url})
        assert missing.returncode == 2 and "GitHub has no /repos/acme/nothing" in missing.stderr
    finally:
        server.close()


def test_sigterm_stops_a_sync_between_two_files_with_its_checkpoint_written(tmp_path):
    files = {f"pages/p{n}.md": f"# Page {n}\n\nText {n}.\n" for n in range(1500)}
    source = make_repository(tmp_path / "src", files)
    db = tmp_path / "db"
    ended: list = []
    command = [sys.executable, "-m", "codekg", "sync", str(source), "--db", str(db), "--progress", "none"]
    assert kill_when(command, db, "write", sent=signal.SIGTERM, ended=ended)
    assert ended == [130, "error: sync interrupted: its checkpoint is saved; run the same command again to resume\n"]
    (checkpoint_file,) = db.glob("sync/*/checkpoint.json")
    checkpoint = json.loads(checkpoint_file.read_text())
    assert checkpoint["phase"] == "write" and checkpoint["processed"] == len(checkpoint["written"]) > 0
    resumed = json.loads(run_cli("sync", str(source), "--db", str(db), "--json", "--progress", "none").stdout)
    assert resumed["resumed"] is True and resumed["files"]["unchanged"] == checkpoint["processed"]
    assert resumed["files"]["written"] == 1507 - checkpoint["processed"]


def test_a_mirror_half_made_by_a_killed_sync_is_made_again(tmp_path):
    """kill -9 while the first sync makes its mirror leaves a folder without HEAD (found by
    bench/sync_bench.py): the next sync makes the mirror anew."""
    from codekg.sync.run import sync_key

    source = make_repository(tmp_path / "src")
    half = tmp_path / "db" / "sync" / sync_key(str(source), None) / "mirror.git"
    (half / "branches").mkdir(parents=True)
    report = sync_repository(str(source), tmp_path / "db", load_settings(tmp_path))
    assert (report.files_written, (half / "HEAD").exists()) == (7, True)
