"""kill -9 at random points of real `codekg index` runs, full and incremental: afterwards every read
command answers from one published generation, the old one or the new one, and the next
`codekg index` brings the index to the new one. Also: a damaged live graph is rebuilt, never
reported unchanged; a writer killed mid-checkpoint and a run killed between its commit and its
state leave nothing a reader trips over.

The trials need no hook in the code: each kills a real `codekg index` process group after a
random (seeded) delay, spread over the duration of an uninterrupted run of the same kind, or, for
every other trial, over the stretch where it writes (its load and search update), which a kill
must hit for the interesting cases (a commit being checkpointed, a graph ahead of its state).
"""

from __future__ import annotations

import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

CODEKG = [sys.executable, "-m", "codekg"]
FILES = 80  # modules in the repository
CHANGED = 30  # modules the new revision edits (an incremental run: fewer than incremental_max_fraction)
RUN_TIMEOUT = 180


def write_revision(repo: Path, revision: str) -> None:
    """The repository at ``revision`` ("old" or "new"): the new one edits CHANGED modules (a
    function renamed, one added), adds `pkg/fresh.py` and deletes the last module."""
    package = repo / "pkg"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text("")
    new = revision == "new"
    for i in range(FILES):
        path = package / f"mod{i:02d}.py"
        if new and i == FILES - 1:
            path.unlink(missing_ok=True)
            continue
        following = (i + 1) % (FILES - 1)
        parts = [f"import os\n\nfrom pkg.mod{following:02d} import helper{following}\n"]
        for k in range(6):
            parts.append(f"\n\nclass Service{i}x{k}:\n    def run(self, value):\n"
                         f"        return helper{following}(value)\n")
        edited = new and i < CHANGED
        feature = f"added_feature_{i}" if edited else f"retired_feature_{i}"
        parts.append(f"\n\ndef {feature}(value):\n    '''Feature {i}.'''\n"
                     f"    return Service{i}x0().run(value) + os.sep\n")
        parts.append(f"\n\ndef helper{i}(value):\n    return value\n")
        if edited:
            parts.append(f"\n\ndef extra_step_{i}(value):\n    return helper{i}({feature}(value))\n")
        path.write_text("".join(parts))
    fresh = package / "fresh.py"
    if new:
        fresh.write_text("from pkg.mod00 import helper0\n\n\ndef fresh_entry(value):\n    return helper0(value)\n")
    else:
        fresh.unlink(missing_ok=True)


def codekg(*args: str, timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CODEKG, *args], capture_output=True, text=True, timeout=timeout)


@dataclass(frozen=True)
class Reading:
    """What the read commands say about an index: stats' node total, `count(n)`, and which of the
    two marker functions keyword search finds."""

    stats_nodes: int
    count_n: int
    finds_old: bool
    finds_new: bool


def read_index(db: Path) -> Reading:
    """Every read command must work; a failure is the test's failure, with the command's output."""
    stats = codekg("stats", "--db", str(db), "--json")
    assert stats.returncode == 0, f"stats failed: {stats.stderr}"
    count = codekg("query", "MATCH (n) RETURN count(n)", "--db", str(db), "--json")
    assert count.returncode == 0, f"query failed: {count.stderr}"
    found = {}
    for name in ("retired_feature_3", "added_feature_3"):
        search = codekg("search", name, "--db", str(db), "--mode", "keyword", "--json")
        assert search.returncode == 0, f"search failed: {search.stderr}"
        found[name] = any(hit["name"] == name for hit in json.loads(search.stdout)["results"])
    rows = json.loads(count.stdout)
    return Reading(sum(json.loads(stats.stdout)["nodes"].values()), int(next(iter(rows[0].values()))),
                   found["retired_feature_3"], found["added_feature_3"])


class Workspace:
    """A repository and its index directory, and a copy of the index at the old revision to start
    each trial from (the same paths every trial, so the copy is exactly that index)."""

    def __init__(self, root: Path) -> None:
        self.repo, self.db, self.template = root / "repo", root / "db", root / "old-index"
        write_revision(self.repo, "new")
        self._index(full=True)
        self.new = read_index(self.db)
        shutil.rmtree(self.db)
        write_revision(self.repo, "old")
        self._index(full=True)
        self.old = read_index(self.db)
        shutil.copytree(self.db, self.template)
        assert self.old.finds_old and not self.old.finds_new and self.new.finds_new and not self.new.finds_old
        assert self.old.stats_nodes != self.new.stats_nodes and self.old.count_n != self.new.count_n
        # per mode: seconds an uninterrupted run takes, and how many of them are its load and search
        self.duration: dict[str, float] = {}
        self.tail: dict[str, float] = {}
        for mode in ("incremental", "full"):
            self._timed_run(mode)

    def kill_delay(self, mode: str, fraction: float, targeted: bool) -> float:
        """Where ``fraction`` (0..1) falls in a run of ``mode``: anywhere, startup included, or, when
        ``targeted``, in the stretch from its load to its end, where it writes the graph, its state
        and the search index."""
        duration = self.duration[mode]
        if not targeted:
            return 0.05 + fraction * (1.1 * duration - 0.05)
        start = max(0.05, duration - self.tail[mode] - 0.5)
        return start + fraction * (duration - start)

    def observe(self, mode: str, seconds: float) -> None:
        """A run of ``mode`` finished in ``seconds``: the machine's load moves, follow it."""
        self.duration[mode] = (self.duration[mode] + seconds) / 2

    def start_trial(self) -> None:
        """The index at the old revision, the repository at the new one."""
        shutil.rmtree(self.db)
        shutil.copytree(self.template, self.db)
        write_revision(self.repo, "old")
        write_revision(self.repo, "new")

    def index_arguments(self, mode: str) -> list[str]:
        return ["index", str(self.repo), "--db", str(self.db), "--json"] + (["--full"] if mode == "full" else [])

    def _index(self, full: bool = False) -> dict:
        done = codekg(*self.index_arguments("full" if full else "incremental"))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def _timed_run(self, mode: str) -> None:
        self.start_trial()
        started = time.monotonic()
        summary = self._index(full=mode == "full")
        self.duration[mode] = time.monotonic() - started
        self.tail[mode] = sum(summary["pass_seconds"].get(name, 0.0) for name in ("load", "search"))
        assert summary["delta"]["mode"] == mode


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("crash"))


def kill_at(arguments: list[str], delay: float) -> tuple[int | None, float]:
    """Start ``codekg`` with ``arguments`` in its own process group and SIGKILL the group (the run
    and its parse workers) after ``delay`` seconds. Its exit code if it finished first (else None),
    and the seconds it ran."""
    started = time.monotonic()
    process = subprocess.Popen([*CODEKG, *arguments], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        process.wait(timeout=delay)
        return process.returncode, time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None, time.monotonic() - started


@dataclass(frozen=True)
class Trial:
    mode: str  # "incremental" or "full"
    fraction: float  # where in the run the kill falls (Workspace.kill_delay)
    targeted: bool  # in the stretch where the run writes, rather than anywhere


def kill_plan(trials: int, seed: int) -> list[Trial]:
    """One in three a full run, the others incremental; every other kill aimed at the stretch
    where the run writes. The fractions are seeded; the seconds they become follow the machine."""
    rng = random.Random(seed)
    return [Trial("full" if n % 3 == 2 else "incremental", rng.random(), n % 2 == 1) for n in range(trials)]


def kill_trial(workspace: Workspace, trial: Trial) -> tuple[float, int | None]:
    """Start from the old index, kill a run towards the new one; the delay and the run's exit code
    (None when it was killed)."""
    workspace.start_trial()
    delay = workspace.kill_delay(trial.mode, trial.fraction, trial.targeted)
    finished, seconds = kill_at(workspace.index_arguments(trial.mode), delay)
    if finished == 0:
        workspace.observe(trial.mode, seconds)
    return delay, finished


def run_kill_trials(workspace: Workspace, trials: int, seed: int) -> None:
    outcomes = []
    for number, trial in enumerate(kill_plan(trials, seed)):
        delay, finished = kill_trial(workspace, trial)
        reading = read_index(workspace.db)
        state = "old" if reading == workspace.old else "new" if reading == workspace.new else None
        where = f"trial {number} ({trial.mode}, killed after {delay:.2f} s, finished: {finished})"
        assert state is not None, f"{where}: the reads are not one of the two known states: {reading}"
        if finished == 0:
            assert state == "new", f"{where}: a run that finished left the old index"
        outcomes.append((trial.mode, state, finished is None))
        rerun = codekg(*workspace.index_arguments("incremental"))
        assert rerun.returncode == 0, f"{where}: the next index failed: {rerun.stderr}"
        assert read_index(workspace.db) == workspace.new, f"{where}: the next index did not bring the new state"
    tally = Counter(f"{mode} {'killed' if killed else 'finished'} -> {state}" for mode, state, killed in outcomes)
    print(f"\n{trials} kill trials: " + ", ".join(f"{count} {outcome}" for outcome, count in sorted(tally.items())))


def test_kill_9_at_random_points_leaves_old_or_new_index(workspace: Workspace) -> None:
    run_kill_trials(workspace, trials=4, seed=12)  # a full and three incremental runs; 50 in the slow test


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_kill_9_fifty_trials(workspace: Workspace) -> None:
    run_kill_trials(workspace, trials=50, seed=1212)


@pytest.mark.parametrize("stamped", [False, True], ids=["fresh-build", "after-unchanged-runs"])
def test_index_rebuilds_a_truncated_graph_instead_of_reporting_it_unchanged(workspace: Workspace, stamped: bool) -> None:
    workspace.start_trial()
    write_revision(workspace.repo, "old")
    if stamped:  # unchanged runs recorded the graph file's stamp: the truncation must still be seen
        for _ in range(2):
            assert codekg(*workspace.index_arguments("incremental")).returncode == 0
    graph = Path((workspace.db / "CURRENT").read_text().strip())
    live = workspace.db / graph.name
    with open(live, "r+b") as handle:
        handle.truncate(live.stat().st_size // 8)
    assert codekg("stats", "--db", str(workspace.db)).returncode != 0  # the damage the run must repair

    rerun = codekg(*workspace.index_arguments("incremental"))

    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["delta"]["mode"] == "full"
    assert read_index(workspace.db) == workspace.old


def test_reads_finish_a_checkpoint_left_half_done_by_a_killed_writer(workspace: Workspace) -> None:
    """A writer killed while Ladybug checkpoints its commit: a read-only open is refused until a
    read-write open finishes the checkpoint, which the first reader does."""
    for delay in (0.004, 0.01, 0.02, 0.006, 0.04, 0.002):
        workspace.start_trial()
        write_revision(workspace.repo, "old")
        live = Path(glob.glob(str(workspace.db / "graph-*.lbdb"))[0])
        writer = subprocess.Popen([sys.executable, "-c", _COMMIT_THEN_CLOSE, str(live)], stdout=subprocess.PIPE,
                                  text=True)
        assert writer.stdout is not None and writer.stdout.readline() == "committed\n"
        time.sleep(delay)
        writer.kill()
        writer.wait()
        if _read_only_open_refused(live):
            break
    else:
        pytest.skip("no kill landed inside the checkpoint on this machine")

    reading = read_index(workspace.db)

    assert reading == workspace.old
    renamed = codekg("query", "MATCH (f:Function {name: 'helper3_renamed'}) RETURN count(f)",
                     "--db", str(workspace.db), "--json")
    assert json.loads(renamed.stdout)[0] == {"count(f)": 1}  # the committed write survived the kill
    rerun = codekg(*workspace.index_arguments("incremental"))
    assert rerun.returncode == 0, rerun.stderr


def test_search_follows_the_graph_after_a_kill_between_commit_and_state(workspace: Workspace) -> None:
    """The files a run killed right after committing its delta leaves: the graph at the new
    generation, its state and the search index at the old one, the pending marker naming the new.
    Search must answer from the new generation, and the next run rebuild rather than trust the state."""
    workspace.start_trial()
    sqlite_files = ("*.state", "*.state-*", "search.sqlite", "search.sqlite-*")  # with any -wal/-shm
    before = {path.name: path.read_bytes() for pattern in sqlite_files for path in workspace.db.glob(pattern)}
    finished = codekg(*workspace.index_arguments("incremental"))
    assert finished.returncode == 0 and json.loads(finished.stdout)["delta"]["mode"] == "incremental"
    build = (workspace.db / "CURRENT").read_text().strip()
    generation = json.loads(codekg("query", "MATCH (m:IndexMeta {key: 'generation'}) RETURN m.value", "--db",
                                   str(workspace.db), "--json").stdout)[0]["m.value"]
    for pattern in sqlite_files:
        for path in workspace.db.glob(pattern):
            path.unlink()
    for name, content in before.items():
        (workspace.db / name).write_bytes(content)
    (workspace.db / f"{build}.pending").write_text(generation + "\n")

    assert read_index(workspace.db) == workspace.new

    rerun = codekg(*workspace.index_arguments("incremental"))
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["delta"]["mode"] == "full"
    assert read_index(workspace.db) == workspace.new


_COMMIT_THEN_CLOSE = """
import sys
import ladybug
database = ladybug.Database(sys.argv[1])
connection = ladybug.Connection(database)
connection.execute("BEGIN TRANSACTION")
connection.execute("MATCH (f:Function {name: 'helper3'}) SET f.name = 'helper3_renamed'")
for label in ("Method", "Class", "Module", "File"):
    connection.execute(f"MATCH (n:{label}) SET n.name = n.name")
connection.execute("COMMIT")
print("committed", flush=True)
connection.close()
database.close()
"""


def _read_only_open_refused(live: Path) -> bool:
    probe = subprocess.run(
        [sys.executable, "-c", "import sys, ladybug\ntry:\n    ladybug.Database(sys.argv[1], read_only=True)\n"
                               "except RuntimeError as error:\n    print(error)\n", str(live)],
        capture_output=True, text=True, timeout=60)
    return "recovery is pending" in probe.stdout
