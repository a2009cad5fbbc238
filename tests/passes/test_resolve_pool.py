"""passes/resolve_pool.py: the files of a full build's resolve shared with a forked helper give, in
order, what this process alone gives; a helper that fails costs time, not results; stopping early
leaves no process and no file behind."""

from __future__ import annotations

import logging
import os
import pickle
from ast import literal_eval
import signal
import sys
import time
from pathlib import Path

import psutil
import pytest

from codekg.interrupts import _record, deferred_interrupts
from codekg.faults import FileFailedError, contained
from codekg.passes.resolve_pool import FORK_FRAMES, HELPER_COPY_SHARE, HELPER_MIN_FILES, available_memory, helper_count, settle_shared, shares
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from tests.passes.test_build_records import state_file_rows
from tests.test_faults import _metric_failures
from tests.test_cli_migrate import snapshot as graph_rows

PATHS = [f"f{number}.py" for number in range(12)]


def test_shares_cut_contiguous_runs_by_weight_the_first_smaller():
    assert shares(list("abcde"), [1] * 5, 1) == [list("ab"), list("cde")]
    assert shares(list("abcdef"), [1] * 6, 2) == [list("ab"), list("cd"), list("ef")]
    assert shares(list("abc"), [10, 1, 1], 1) == [["a"], ["b", "c"]]  # a heavy file fills a share alone
    assert shares(list("abc"), [1, 1, 10], 2) == [["a", "b"], ["c"], []]
    assert shares(list("abc"), [1, 1, 1], 0) == [list("abc")]
    assert shares([], [], 1) == [[], []]


def test_helpers_only_with_two_workers_enough_files_and_memory():
    # ceilings measured from this process, whose size depends on what ran before in it; the test's
    # own allocations between the reads are far below the half share of slack on either side
    resident = psutil.Process().memory_info().rss
    room_for_two = int(resident * (1 + 2.5 * HELPER_COPY_SHARE))  # two helpers' copies fit under it, three do not
    assert helper_count(1, 10_000, room_for_two) == 0
    assert helper_count(4, HELPER_MIN_FILES - 1, room_for_two) == 0
    assert helper_count(2, HELPER_MIN_FILES, room_for_two) == 1  # one fewer than the workers
    assert helper_count(4, HELPER_MIN_FILES, room_for_two) == 2  # this machine: 24 GiB free, the ceiling decides
    assert helper_count(4, HELPER_MIN_FILES, int(resident * (1 + 1.5 * HELPER_COPY_SHARE))) == 1
    assert helper_count(3, HELPER_MIN_FILES, resident) == 0  # no room under the ceiling


def _settled_by(path: str) -> tuple[str, int]:
    return path, os.getpid()


def test_later_shares_are_settled_by_a_helper_and_given_in_order(tmp_path):
    given = list(settle_shared(PATHS, _settled_by, lambda path: 1, 1, tmp_path))
    assert [path for path, _ in given] == PATHS
    here = os.getpid()
    settlers = [pid for _, (_, pid) in given]
    assert settlers[:5] == [here] * 5  # 0.8 / 1.8 of 12 files of one weight: the first 5 here
    assert len(set(settlers[5:])) == 1 and settlers[5] != here  # the other 7 by one forked helper
    assert list(tmp_path.iterdir()) == []  # its file is gone with it


def test_a_helper_that_fails_has_its_share_settled_here(tmp_path, caplog):
    here = os.getpid()

    def fails_in_a_helper(path: str) -> tuple[str, int]:
        if os.getpid() != here:
            raise MemoryError("out of memory")
        return _settled_by(path)

    with caplog.at_level(logging.WARNING, logger="codekg.passes.resolve_pool"):
        given = list(settle_shared(PATHS, fails_in_a_helper, lambda path: 1, 1, tmp_path))
    assert given == [(path, (path, here)) for path in PATHS]
    assert [r.getMessage() for r in caplog.records] == [
        "a resolve helper stopped (MemoryError: out of memory); its 7 files are resolved in the main process"]


def _slowly(path: str) -> tuple[str, int]:
    time.sleep(0.2)
    return _settled_by(path)


def _close(given) -> None:
    given.close()


def _interrupt(given) -> None:
    _record(signal.SIGINT, None)  # the handler's work: heard as the main process waits for the helper
    next(given)


@pytest.mark.parametrize(("stop", "raised"), [(_close, None), (_interrupt, KeyboardInterrupt)])
def test_stopping_early_kills_the_helper_and_removes_its_file(tmp_path, stop, raised):
    others = _children()  # a server another test of this worker started, say
    with deferred_interrupts():
        given = settle_shared(["a.py", "b.py", "c.py"], _slowly, lambda path: 1, 1, tmp_path)
        assert next(given) == ("a.py", ("a.py", os.getpid()))
        assert len(_children() - others) == 1
        if raised is None:
            stop(given)
        else:
            with pytest.raises(raised):
                stop(given)
    assert _children() == others
    assert list(tmp_path.iterdir()) == []


def _children() -> set[int]:
    return {child.pid for child in psutil.Process().children()}


# A memory ceiling under which a helper is forked whatever this process holds: a test worker that has
# run a few hundred tests may hold more than a ceiling of 2 GiB leaves room for (helper_count).
ANY_RESIDENT = 1 << 40


def _chain(tmp_path: Path, modules: int) -> Path:
    """``modules`` modules, each calling into the one before it: every share reads another's names."""
    repo = tmp_path / "chain"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    for number in range(modules):
        previous = f"from pkg.m{number - 1} import step as previous_step\n" if number else "def previous_step():\n    return 0\n"
        (repo / "pkg" / f"m{number}.py").write_text(
            f"{previous}\n\nclass Worker{number}:\n    def run(self):\n        return previous_step() + helper{number}()\n\n\n"
            f"def helper{number}():\n    return {number}\n\n\ndef step():\n    return Worker{number}().run()\n")
    return repo


def _state_records(db: Path) -> dict[str, tuple]:
    """Each file's state row, unpickled: equal sets may list their items in another order (a
    helper's were made in another process), so rows are compared as objects, not as text."""
    return {path: (content_hash, pickle.loads(summary), repr(pickle.loads(symbols)), pickle.loads(nodes), pickle.loads(edges))
            for path, content_hash, summary, symbols, nodes, edges in state_file_rows(db)}


def test_a_full_build_with_a_resolve_helper_equals_one_without(tmp_path):
    repo = _chain(tmp_path, HELPER_MIN_FILES + 10)
    shared = index_repository(repo, tmp_path / "shared", load_settings(repo, value_flow=False, workers=2,
                                                                       parse_memory_ceiling=ANY_RESIDENT))
    alone = index_repository(repo, tmp_path / "alone", load_settings(repo, value_flow=False, workers=1))
    assert (shared.resolve_helpers, alone.resolve_helpers) == (1, 0)
    settings = load_settings(repo)
    assert graph_rows(tmp_path / "shared", settings) == graph_rows(tmp_path / "alone", settings)
    assert _state_records(tmp_path / "shared") == _state_records(tmp_path / "alone")
    assert shared.edges == alone.edges and shared.call_sites == alone.call_sites
    _, edges = graph_rows(tmp_path / "shared", settings)
    last = HELPER_MIN_FILES + 9  # resolved by the helper: the last share
    module = f"pkg/m{last}.py:pkg.m{last}"
    calls = sorted(literal_eval(edge)[1:3] for edge in edges if literal_eval(edge)[0] == "CALLS" and module in edge)
    assert calls == [
        (f"Function:{module}.step", f"Class:{module}.Worker{last}"),
        (f"Function:{module}.step", f"Method:{module}.Worker{last}.run"),
        (f"Method:{module}.Worker{last}.run", f"Function:pkg/m{last - 1}.py:pkg.m{last - 1}.step"),
        (f"Method:{module}.Worker{last}.run", f"Function:{module}.helper{last}"),
    ]


def test_a_full_build_stopped_while_its_helper_resolves_leaves_no_process_or_file(tmp_path, monkeypatch):
    """A Ctrl-C heard between files of this process's share: the run unwinds, the helper is killed,
    and the index directory holds what it held before."""
    import codekg.pipeline as pipeline

    repo = _chain(tmp_path, HELPER_MIN_FILES + 10)
    settings = load_settings(repo, value_flow=False, workers=2, parse_memory_ceiling=ANY_RESIDENT)
    db = tmp_path / "db"
    index_repository(repo, db, settings)
    before = sorted(p.name for p in db.iterdir())
    original, made, others = pipeline._file_record, [], _children()

    def record(*arguments):
        made.append(1)
        if len(made) == 20:
            assert len(_children() - others) == 1  # the helper, resolving the later share
            _record(signal.SIGINT, None)
        return original(*arguments)

    monkeypatch.setattr(pipeline, "_file_record", record)
    with pytest.raises(KeyboardInterrupt):
        index_repository(repo, db, settings, full=True)
    assert len(made) == 20
    assert _children() == others
    assert sorted(p.name for p in db.iterdir()) == before


def test_a_helper_that_cannot_start_has_its_share_settled_here(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="codekg.passes.resolve_pool"):
        given = list(settle_shared(PATHS, _settled_by, lambda path: 1, 1, tmp_path / "no such folder"))
    assert given == [(path, (path, os.getpid())) for path in PATHS]
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2 and messages[0].startswith("cannot start a resolve helper ([Errno 2] No such file or directory")
    assert messages[1] == "a resolve helper stopped (it could not be started); its 7 files are resolved in the main process"


def _fails_on_odd_files(path: str) -> tuple[str, int]:
    faults: list = []
    return contained(path, "resolve", lambda: _settled_by(path) if int(path[1:-3]) % 2 == 0 else int("odd"),
                     lambda: (path, -1), False, faults)


def test_files_that_fail_in_a_helper_are_counted_in_the_main_process(tmp_path):
    before = _metric_failures()
    given = dict(settle_shared(PATHS, _fails_on_odd_files, lambda path: 1, 1, tmp_path))
    assert [path for path, (_, pid) in given.items() if pid == -1] == ["f1.py", "f3.py", "f5.py", "f7.py", "f9.py", "f11.py"]
    assert _metric_failures() - before == 6  # f1 and f3 here, the other four in the helper


def _fails_strictly_on_f9(path: str) -> tuple[str, int]:
    return contained(path, "resolve", lambda: (path, int("nine") if path == "f9.py" else os.getpid()),
                     lambda: (path, -1), True, [])


def test_a_file_that_fails_in_a_helper_with_strict_on_stops_the_run_with_its_error(tmp_path, caplog):
    """`strict`: the file's own error, as the main process alone raises it, and no word of a helper
    that stopped (its share is not resolved again here)."""
    given = []
    with caplog.at_level(logging.WARNING, logger="codekg.passes.resolve_pool"), \
            pytest.raises(FileFailedError, match=r"^f9.py: resolve failed: ValueError: invalid literal") as raised:
        for path, _ in settle_shared(PATHS, _fails_strictly_on_f9, lambda path: 1, 1, tmp_path):
            given.append(path)
    assert given == PATHS[:5]  # this process's share; the helper's share stopped at f9.py
    assert caplog.records == []
    with pytest.raises(FileFailedError) as alone:  # what the main process alone raises
        [_fails_strictly_on_f9(path) for path in PATHS]
    assert str(raised.value) == str(alone.value)
    assert list(tmp_path.iterdir()) == []


def _recursion_limit(path: str) -> int:
    return sys.getrecursionlimit()


def test_a_helper_has_the_recursion_limit_raised_by_the_frames_of_its_fork(tmp_path):
    given = [limit for _, limit in settle_shared(PATHS, _recursion_limit, lambda path: 1, 1, tmp_path)]
    assert given == [sys.getrecursionlimit()] * 5 + [sys.getrecursionlimit() + FORK_FRAMES] * 7


def test_available_memory_is_bounded_by_the_container(tmp_path):
    machine = available_memory(tmp_path)  # no cgroup files there: the machine's figure
    (tmp_path / "memory.max").write_text("max\n")
    (tmp_path / "memory.current").write_text("1000\n")
    assert available_memory(tmp_path) >= machine // 2  # unlimited (the machine's figure moves a little)
    (tmp_path / "memory.max").write_text("5000\n")
    assert available_memory(tmp_path) == 4000
    (tmp_path / "memory.current").write_text("9000\n")
    assert available_memory(tmp_path) == 0
    v1 = tmp_path / "v1"
    (v1 / "memory").mkdir(parents=True)
    (v1 / "memory" / "memory.limit_in_bytes").write_text("3000000\n")
    (v1 / "memory" / "memory.usage_in_bytes").write_text("1000000\n")
    assert available_memory(v1) == 2000000
