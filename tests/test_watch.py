"""The watcher: its filter on real file events, its batching clock, and `codekg watch` as a subprocess
editing a temp repository while it runs."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from watchfiles import Change, watch

from codekg.settings import load_settings
from codekg.stores import open_index
from codekg.watch import GIT_HOLD_LIMIT_S, MAX_WAIT_WINDOWS, Batcher, BatchReport, ChangeFilter, coalesce

WAIT = 60  # seconds: generous, the machine is shared; every wait polls and returns as soon as it can


# --- the filter, on real watchfiles events -------------------------------------------------------

def filtered_events(root: Path, act: Callable[[], None], sentinel: Path) -> set[tuple[Change, str]]:
    """What ChangeFilter lets through while ``act`` runs, up to the event of ``sentinel`` (written last)."""
    root = root.resolve()
    stop = threading.Event()
    changes = watch(root, watch_filter=ChangeFilter(root, root / ".codekg", None, load_settings(root)),
                    debounce=200, step=50, rust_timeout=100, yield_on_timeout=True, stop_event=stop)
    next(changes)
    act()
    sentinel.write_text("sentinel = 1\n")
    seen: set[tuple[Change, str]] = set()
    deadline = time.monotonic() + WAIT
    for batch in changes:
        seen |= {(change, Path(path).relative_to(root).as_posix()) for change, path in batch}
        if any(path == sentinel.relative_to(root).as_posix() for _, path in seen) or time.monotonic() > deadline:
            stop.set()
    return seen - {(Change.added, sentinel.relative_to(root).as_posix())}


def test_filter_passes_source_files_and_folders_only(copy_fixture):
    repo = copy_fixture("pyrepo")
    (repo / ".codekg").mkdir()
    (repo / "node_modules" / "lib").mkdir(parents=True)

    def act() -> None:
        (repo / ".codekg" / "graph-1.lbdb").write_text("x")
        (repo / ".codekg" / "leftover.py").write_text("x = 1\n")
        (repo / "node_modules" / "lib" / "index.js").write_text("export const x = 1;\n")
        (repo / "notes.txt").write_text("not source\n")
        (repo / "src" / "shop" / "util.py").write_text("def log():\n    pass\n")
        (repo / "scripts" / "run.py").rename(repo / "scripts" / "main.py")
        (repo / "src" / "shop").rename(repo / "src" / "store")

    assert filtered_events(repo, act, repo / "sentinel.py") == {
        (Change.modified, "src/shop/util.py"),
        (Change.deleted, "scripts/run.py"), (Change.added, "scripts/main.py"),
        (Change.deleted, "src/shop"), (Change.added, "src/store"),
    }


# --- coalescing and the batching clock (times passed in) ------------------------------------------

@pytest.mark.parametrize(
    ("earlier", "later", "net"),
    [
        (None, Change.added, Change.added),
        (Change.added, Change.modified, Change.added),
        (Change.added, Change.deleted, None),
        (Change.deleted, Change.added, Change.modified),
        (Change.modified, Change.deleted, Change.deleted),
        (Change.modified, Change.modified, Change.modified),
    ],
)
def test_coalesce(earlier, later, net):
    assert coalesce(earlier, later) == net


def test_batcher_waits_for_a_quiet_window_and_coalesces():
    batcher = Batcher(debounce_s=1.0, max_files=50)
    for second in (0.0, 0.3, 0.6, 0.9, 1.2):
        batcher.add([(Change.modified, "a.py")], now=second)
        assert batcher.due(second + 0.1) is None
    assert batcher.due(2.19) is None
    assert batcher.due(2.2) == "debounce"
    assert batcher.take() == {"a.py": Change.modified}
    assert batcher.due(10.0) is None


def test_batcher_keeps_a_path_with_unordered_kinds_in_one_handover():
    batcher = Batcher(debounce_s=1.0, max_files=50)
    batcher.add({(Change.deleted, "a.py"), (Change.added, "a.py"), (Change.added, "b.py")}, now=0.0)
    assert batcher.take() == {"a.py": Change.modified, "b.py": Change.added}


def test_batcher_flushes_by_size_before_the_window_ends():
    batcher = Batcher(debounce_s=30.0, max_files=50)
    batcher.add([(Change.added, f"f{i}.py") for i in range(49)], now=0.0)
    assert batcher.due(0.1) is None
    batcher.add([(Change.added, "f49.py")], now=0.2)
    assert batcher.due(0.2) == "size"
    assert len(batcher.take()) == 50


def test_batcher_applies_continuous_changes_after_max_wait():
    batcher = Batcher(debounce_s=1.0, max_files=50)
    second = 0.0
    while batcher.due(second) is None:
        batcher.add([(Change.modified, "a.py")], now=second)
        second += 0.5
    assert batcher.due(second) == "max-wait" and second >= MAX_WAIT_WINDOWS


def test_batcher_realtime_and_git_hold():
    realtime = Batcher(debounce_s=0.0, max_files=50)
    realtime.add([(Change.modified, "a.py")], now=5.0)
    assert realtime.due(5.0) == "realtime"
    held = Batcher(debounce_s=1.0, max_files=2)
    held.add([(Change.deleted, "a.py"), (Change.added, "b.py"), (Change.modified, "c.py")], now=0.0)
    assert held.due(5.0, git_busy=True) is None  # a checkout in progress: not even the size flush
    assert held.due(5.0, git_busy=False) == "size"
    assert held.due(GIT_HOLD_LIMIT_S, git_busy=True) == "size"  # a stale lock is not waited for forever


def test_batch_report_line_and_json():
    delta = {"mode": "incremental", "files_added": 0, "files_changed": 2, "files_deleted": 0, "nodes_added": 5,
             "nodes_removed": 3, "nodes_updated": 1, "edges_added": 12, "edges_removed": 9}
    report = BatchReport(3, "debounce", 2, {"a.py": "modified", "b.py": "modified"}, delta, 143)
    assert report.line() == "batch 3 (debounce): 2 files (+0 ~2 -0), nodes +5 ~1 -3, edges +12 -9, 143 ms"
    assert report.to_dict() == {"event": "batch", "batch": 3, "reason": "debounce", "files": 2,
                                "paths": {"a.py": "modified", "b.py": "modified"}, "delta": delta, "ms": 143,
                                "error": None, "warnings": []}
    failed = BatchReport(4, "size", 60, {}, {}, 20, "no Python, JavaScript or TypeScript source files")
    assert failed.line() == "batch 4 (size): 60 files, failed: no Python, JavaScript or TypeScript source files, 20 ms"
    one = BatchReport(5, "debounce", 1, {"a.py": "modified"}, {**delta, "files_changed": 1}, 9)
    assert one.line().startswith("batch 5 (debounce): 1 file (+0 ~1 -0)")
    warned = BatchReport(6, "debounce", 1, {"a.py": "modified"}, {**delta, "files_changed": 1}, 9, warnings=(
        {"path": "a.py", "pass": "parse", "kind": "syntax-errors", "message": "syntax errors at line 3"},))
    assert warned.line().splitlines() == [
        "batch 6 (debounce): 1 file (+0 ~1 -0), nodes +5 ~1 -3, edges +12 -9, 9 ms, 1 warning",
        "  a.py (parse, syntax-errors): syntax errors at line 3"]
    assert warned.to_dict()["warnings"] == [
        {"path": "a.py", "pass": "parse", "kind": "syntax-errors", "message": "syntax errors at line 3"}]


# --- `codekg watch` as a subprocess --------------------------------------------------------------

class Watcher:
    """`codekg watch` running on ``repo``; its stdout lines arrive in a queue as they are printed."""

    def __init__(self, repo: Path, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "codekg", "watch", str(repo), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self) -> str:
        try:
            return self.lines.get(timeout=WAIT)
        except queue.Empty:
            raise AssertionError(f"no output from codekg watch within {WAIT}s") from None

    def next_event(self) -> dict:
        return json.loads(self.next_line())

    def ready(self) -> list[dict]:
        """The events up to the ready line (the initial index, if any)."""
        before = []
        while (event := self.next_event())["event"] != "ready":
            before.append(event)
        return before

    def interrupt(self, signal_number: int = signal.SIGINT) -> tuple[int, str]:
        self.process.send_signal(signal_number)
        self.process.wait(timeout=WAIT)
        return self.process.returncode, self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def start_watcher() -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(repo: Path, *args: str) -> Watcher:
        started.append(Watcher(repo, *args))
        return started[-1]

    yield start
    for watcher in started:
        watcher.kill()


def indexed_files(repo: Path) -> set[str]:
    store = open_index(repo / ".codekg", load_settings(repo))
    try:
        return {row[0] for row in store.query("MATCH (f:File) RETURN f.file_path").rows}
    finally:
        store.close()


def test_repeated_edits_become_one_batch_and_ignored_files_none(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo, "--json")
    [initial] = watcher.ready()
    assert (initial["batch"], initial["reason"], initial["files"], initial["error"]) == (0, "initial", 5, None)
    (repo / ".codekg" / "scratch.py").write_text("x = 1\n")
    (repo / "notes.txt").write_text("notes\n")  # no language claims it
    util = repo / "src" / "shop" / "util.py"
    for number in range(5):
        util.write_text(f"def log():\n    return {number}\n")
        time.sleep(0.05)
    first = watcher.next_event()
    assert (first["batch"], first["paths"], first["error"]) == (1, {"src/shop/util.py": "modified"}, None)
    (repo / "src" / "shop" / "models.py").write_text("class Base:\n    pass\n")  # proves no second batch came before
    second = watcher.next_event()
    assert (second["batch"], second["paths"]) == (2, {"src/shop/models.py": "modified"})
    assert set(second["delta"]) >= {"mode", "nodes_added", "nodes_removed", "edges_added", "edges_removed"}


def test_a_syntax_error_just_saved_is_a_warning_of_its_batch(copy_fixture, start_watcher):
    """The file is indexed as far as it parses; the batch says which lines are broken, and only for
    its own files (a later batch does not repeat another file's warning)."""
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo)
    assert watcher.next_line().startswith("batch 0 (initial): 5 files")
    assert watcher.next_line().startswith("watching ")
    (repo / "src" / "shop" / "util.py").write_text("def log():\n    return 1\n\ndef broken(:\n    pass\n")
    assert watcher.next_line().endswith(", 1 warning")
    assert watcher.next_line() == ("  src/shop/util.py (parse, syntax-errors): syntax errors at line 4: definitions there, "
                                   "or after them, may be missing from the index")
    (repo / "src" / "shop" / "models.py").write_text("class Base:\n    pass\n")
    assert watcher.next_line().endswith(" ms")  # util.py's warning stays in the index, not in this batch


def test_what_changed_while_nobody_watched_is_indexed_at_the_start(copy_fixture, start_watcher):
    """A file saved before the watcher started was indexed only with the next change (a new user's
    finding); batch 0 (`catch-up`) brings the index up to date first, and says nothing when nothing changed."""
    repo = copy_fixture("pyrepo")
    assert subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "-q"]).returncode == 0
    unchanged = start_watcher(repo, "--json")
    assert unchanged.ready() == []
    unchanged.interrupt()
    (repo / "src" / "shop" / "offline.py").write_text("def offline_added():\n    return 1\n")
    watcher = start_watcher(repo, "--json")
    [caught_up] = watcher.ready()
    assert (caught_up["batch"], caught_up["reason"], caught_up["files"], caught_up["error"]) == (0, "catch-up", 1, None)
    assert caught_up["delta"]["files_added"] == 1 and "src/shop/offline.py" in indexed_files(repo)


def test_rename_is_one_batch_with_both_paths(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo, "--json")
    watcher.ready()
    (repo / "src" / "shop" / "util.py").rename(repo / "src" / "shop" / "helpers.py")
    batch = watcher.next_event()
    assert batch["paths"] == {"src/shop/util.py": "deleted", "src/shop/helpers.py": "added"}
    files = indexed_files(repo)
    assert "src/shop/helpers.py" in files and "src/shop/util.py" not in files


def test_size_threshold_flushes_before_the_debounce(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo, "--json", "--debounce", "120000")
    watcher.ready()
    for number in range(60):
        (repo / f"gen_{number}.py").write_text(f"def f{number}():\n    return {number}\n")
    batch = watcher.next_event()  # within WAIT (60 s), well before the 120 s window could end
    assert batch["reason"] == "size" and batch["files"] >= 50 and batch["error"] is None


def test_realtime_applies_without_debounce(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo, "--json", "--realtime")
    watcher.ready()
    (repo / "src" / "shop" / "util.py").write_text("def log():\n    pass\n")
    batch = watcher.next_event()
    assert (batch["reason"], batch["paths"]) == ("realtime", {"src/shop/util.py": "modified"})


def test_failed_batch_is_reported_and_watching_goes_on(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo, "--json", "--debounce", "300")
    watcher.ready()
    for path in ("scripts/run.py", "src/shop/__init__.py", "src/shop/models.py", "src/shop/service.py", "src/shop/util.py"):
        (repo / path).unlink()
    failed = watcher.next_event()
    assert failed["files"] == 5 and "no file codekg reads" in failed["error"]
    (repo / "app.py").write_text("def main():\n    pass\n")
    recovered = watcher.next_event()
    assert (recovered["paths"], recovered["error"]) == ({"app.py": "added"}, None)
    assert indexed_files(repo) == {"app.py"}


def test_branch_switch_is_one_batch(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("checkout", "-q", "-b", "feature")
    (repo / "src" / "shop" / "util.py").write_text("def log():\n    return 1\n")
    (repo / "src" / "shop" / "models.py").write_text("class Base:\n    pass\n")
    (repo / "src" / "shop" / "orders.py").write_text("def place():\n    pass\n")
    (repo / "scripts" / "run.py").unlink()
    git("add", "-A")
    git("commit", "-q", "-m", "feature")
    git("checkout", "-q", "main")
    watcher = start_watcher(repo, "--json", "--debounce", "500")
    watcher.ready()
    git("checkout", "-q", "feature")
    batch = watcher.next_event()
    assert batch["paths"] == {"scripts": "deleted", "scripts/run.py": "deleted",  # git removes the emptied folder
                              "src/shop/models.py": "modified", "src/shop/orders.py": "added",
                              "src/shop/util.py": "modified"}
    (repo / "src" / "shop" / "service.py").write_text("def checkout():\n    pass\n")  # proves no second batch
    assert watcher.next_event()["paths"] == {"src/shop/service.py": "modified"}


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_watcher_with_exit_0_and_a_summary(copy_fixture, start_watcher, signal_number):
    repo = copy_fixture("pyrepo")
    watcher = start_watcher(repo)
    assert watcher.next_line().startswith("batch 0 (initial): 5 files (+")
    assert watcher.next_line().startswith(f"watching {repo.resolve()}")
    (repo / "src" / "shop" / "util.py").write_text("def log():\n    pass\n")
    line = watcher.next_line()
    assert re.fullmatch(r"batch 1 \(debounce\): 1 file \(\+\d+ ~\d+ -\d+\), nodes \+\d+ ~\d+ -\d+, edges \+\d+ -\d+, \d+ ms", line)
    code, stderr = watcher.interrupt(signal_number)
    assert code == 0 and "Traceback" not in stderr
    assert "stopped watching: 2 batch(es) applied, 0 failed" in stderr  # the initial batch and batch 1
    assert len(indexed_files(repo)) == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--realtime", "--debounce", "5"], "exclude each other"), (["--repo", "/nonexistent/repo"], "path does not exist")],
)
def test_bad_input_exits_2(args, message):
    result = subprocess.run([sys.executable, "-m", "codekg", "watch", *args], capture_output=True, text=True, timeout=WAIT)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_a_sql_script_is_watched_like_code(copy_fixture, start_watcher):
    repo = copy_fixture("pyrepo")
    (repo / "etl").mkdir()
    (repo / "etl" / "load.sql").write_text("INSERT INTO mart.totals SELECT id, amount FROM raw.orders;\n")
    watcher = start_watcher(repo, "--json")
    [initial] = watcher.ready()
    assert (initial["files"], initial["error"]) == (6, None)
    (repo / "etl" / "load.sql").write_text("INSERT INTO mart.totals SELECT id, amount * 2 AS amount FROM raw.orders_v2;\n")
    event = watcher.next_event()
    assert (event["paths"], event["error"], event["delta"]["mode"]) == ({"etl/load.sql": "modified"}, None, "incremental")
    store = open_index(repo / ".codekg", load_settings(repo))
    try:
        assert store.query("MATCH (s:SqlStatement)-[:READS_FROM]->(t) RETURN t.qualified_name").rows == [["raw.orders_v2"]]
    finally:
        store.close()
