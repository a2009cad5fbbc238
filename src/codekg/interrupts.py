"""Ctrl-C and SIGTERM during an index run or the watcher: recorded, acted on between steps, and
within STOP_GRACE_SECONDS wherever the run is.

A Python SIGINT handler that raises is unreliable here: Ladybug runs Python code to inspect the
SIGINT handler before each query and ignores any exception raised there, so a KeyboardInterrupt
arriving at that moment is lost and the run finishes as if nothing happened. Instead the handlers
only set a flag, and the run checks it between files and after every database statement.

A check can be far away: one file can keep structure or resolve busy for minutes, and a C call
(a tree-sitter parse, a database statement) runs Python signal handlers only when it returns. So an
index run also keeps a watchdog thread that hears each signal through `signal.set_wakeup_fd` (written
by the C-level handler, whatever the main thread is doing) and, when the run has not stopped within
STOP_GRACE_SECONDS, ends the process itself: its worker processes are killed and it exits 130. That
is safe because until a run publishes, everything it wrote is a new build file, its state file or a
SQLite transaction, none of which the live index depends on (`stores.IndexDirectory`); the steps that
do change what readers see (swapping the live build, committing a delta on it) run inside
`publishing()`, and the watchdog waits for them to finish.

The watchdog is a Python thread, so it needs the GIL: a single C call that holds it (unpickling a
huge parse record, a full garbage collection of a big heap) delays the stop by its length. Parsing
runs in workers and records are unpickled with the collector paused (passes/parse_pool.py), which
keeps that under a second for a 2.7 MB file; a stop measured 0.2-1.0 s after the signal wherever a
run over such a file was (tests/test_interrupts.py).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from codekg.errors import error_json

# After a signal the run has this long to reach a check (and unwind) before the watchdog ends it; a
# check is normally reached within 0.1 s, and the rest of the 2 s target is left to a C call that
# keeps the watchdog from running.
STOP_GRACE_SECONDS = 0.5
_WATCH_SECONDS = 0.05  # how often the watchdog looks again while it waits for the grace period to end

_requested = threading.Event()
_last_signal: list[int] = []


def _record(signum: int, frame: FrameType | None) -> None:
    _last_signal[:] = [signum]
    _requested.set()


@contextmanager
def deferred_interrupts(hard_stop: bool = False) -> Iterator[None]:
    """While active, SIGINT/SIGTERM only mark the run as interrupted (main thread only). With
    ``hard_stop`` a watchdog also ends the process (exit 130) when the run has not stopped
    STOP_GRACE_SECONDS after the signal, unless it is `publishing()`: for runs whose every write
    before publishing is discarded by a crash, not for ones that change the live index in place."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _record) for sig in (signal.SIGINT, signal.SIGTERM)}
    _requested.clear()
    watchdog = None
    try:
        watchdog = _Watchdog.start_if_none() if hard_stop else None
        if watchdog is not None:
            _published.clear()  # a new outermost run; a nested one leaves its outer run's mark alone
        yield
    finally:
        if watchdog is not None:
            watchdog.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        unheard = _last_signal[0] if _requested.is_set() and _last_signal else None
        _requested.clear()
        # A signal that came after the run's last check is handed to an outer handler that a caller
        # installed (the watcher's stop), so it is not lost; Python's default would abort a run that
        # already finished, so that one is left alone.
        outer = previous.get(unheard) if unheard is not None else None
        if callable(outer) and outer is not signal.default_int_handler:
            outer(unheard, None)


def raise_if_interrupted() -> None:
    """Turn a recorded Ctrl-C or SIGTERM into KeyboardInterrupt at a point where stopping is safe."""
    if _requested.is_set():
        _requested.clear()
        raise KeyboardInterrupt


_publish_lock = threading.Lock()
_publishing = [0]  # steps under way that change what readers of the live index see
_published = threading.Event()  # this run changed the live index already


@contextmanager
def publishing() -> Iterator[None]:
    """A step that may change the live index (swap in a build, commit a delta): the watchdog never
    ends the process inside it. A signal is still acted on by the step's own checks."""
    with _publish_lock:  # held by a watchdog that is ending the process: then this never returns
        _publishing[0] += 1
    try:
        yield
    finally:
        with _publish_lock:
            _publishing[0] -= 1


def mark_published() -> None:
    """The run changed the live index: a stop from now on no longer leaves the previous one."""
    _published.set()


def interrupted_message(had_index: bool = True) -> str:
    """What a stopped index run tells: whether it had changed the live index before it stopped
    (``had_index``: whether there was one before it started)."""
    if _published.is_set():
        return "interrupted: the new index is live; the search index catches up on its next use"
    if not had_index:
        return "interrupted: nothing was indexed; run `codekg index` again to build the index"
    return "interrupted: the previous index is unchanged"


class _Watchdog:
    """Hears SIGINT/SIGTERM through the signal wakeup fd and ends the process when the run does not
    stop in time."""

    _active: _Watchdog | None = None

    @classmethod
    def start_if_none(cls) -> _Watchdog | None:
        if cls._active is not None:
            return None  # an outer run's watchdog already keeps the bound
        watchdog = cls()
        cls._active = watchdog
        return watchdog

    def __init__(self) -> None:
        self._receive, self._send = socket.socketpair()
        self._send.setblocking(False)  # as set_wakeup_fd requires: a full buffer never blocks a handler
        self._over = threading.Event()
        try:
            self._previous_fd = signal.set_wakeup_fd(self._send.fileno(), warn_on_full_buffer=False)
        except BaseException:
            self._receive.close()
            self._send.close()
            raise
        self._thread = threading.Thread(target=self._watch, name="codekg-stop-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        signal.set_wakeup_fd(self._previous_fd)
        self._over.set()
        try:
            self._send.send(b"\0")  # not a signal number: wakes the thread to see that the run is over
        except OSError:
            pass
        self._thread.join()
        self._receive.close()
        self._send.close()
        _Watchdog._active = None

    def _watch(self) -> None:
        while not self._over.is_set():
            try:
                received = self._receive.recv(64)
            except OSError:
                return
            if not received:
                return
            if self._over.is_set():
                return
            if {signal.SIGINT, signal.SIGTERM} & set(received):
                self._end_unless_stopped(time.monotonic() + STOP_GRACE_SECONDS)
                return

    def _end_unless_stopped(self, deadline: float) -> None:
        while not self._over.wait(max(0.0, min(_WATCH_SECONDS, deadline - time.monotonic()))):
            if time.monotonic() < deadline:
                continue
            with _publish_lock:
                if _publishing[0] == 0:
                    _end_process()  # never returns


_as_json = [False]  # `--json`: a stopped run says so as the JSON error on stdout (`report_as_json`)


def report_as_json(on: bool) -> None:
    """A run the watchdog ends tells what happened as `--json` errors are told: on stdout, as JSON."""
    _as_json[0] = on


def _import_psutil_before_forking() -> None:
    """Every forked child (parse workers, the value-flow child, sync workers) is preceded by this, so
    psutil is in memory whenever there are workers to kill and ending never waits for an import
    lock; a run that forks nothing (a no-change re-index) does not pay its import (13 ms)."""
    import psutil  # noqa: F401


os.register_at_fork(before=_import_psutil_before_forking)


def _end_process() -> None:
    """Kill this process's forked children (parse workers) and theirs, say what happened, exit 130.
    Without psutil in memory nothing was ever forked (`_import_psutil_before_forking`)."""
    psutil = sys.modules.get("psutil")
    try:
        children = psutil.Process().children(recursive=True) if psutil else []
    except psutil.Error:
        children = []
    for child in children:
        try:
            child.kill()
        except psutil.Error:
            continue
    # os.write, not print: the main thread may hold the stderr buffer's lock, mid-write
    message = f"{interrupted_message()} (the step under way was abandoned)"
    if _as_json[0]:
        os.write(1, (json.dumps({**error_json("run_interrupted", message), "exit_code": 130}) + "\n").encode())
    else:
        os.write(2, f"\nerror: {message}\n".encode())
    os._exit(130)


def _reset_in_forked_child() -> None:
    """A forked worker must not report its signals to the parent's watchdog through the inherited
    wakeup fd, nor turn pebble's SIGTERM into a flag nobody reads; the parent alone decides when to
    stop (SIGINT is ignored, as pebble does in its workers)."""
    if _Watchdog._active is None and signal.getsignal(signal.SIGTERM) is not _record:
        return
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread of the child: nothing was inherited that could fire
        pass
    _Watchdog._active = None


os.register_at_fork(after_in_child=_reset_in_forked_child)


@contextmanager
def interrupts_set(stop: threading.Event) -> Iterator[None]:
    """While active, SIGINT/SIGTERM set ``stop`` (main thread only): a loop that runs until told to
    end polls it and finishes its current step. An index run inside keeps its own handling."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
