"""Parse files in worker processes: a pebble process pool with back-pressure, timeouts and quarantine
(PoolRun), or, for a few files, one forked worker that parses them in turn under the same rules
(SerialRun).

Takes: a per-file task (``task(root, source_file)``, run in a worker), the repository root, the files
and the pool's limits. Returns: an iterator of ``(position in files, outcome)`` in completion order,
where the outcome is the task's result or a SkippedFile for a quarantined file.

- Tasks: a file of 64 KB or more is a task of its own; smaller neighbours travel in batches of up
  to 64 KB, because pebble's cost per task is about the cost of parsing 5 KB.
- Back-pressure: at most ``max_in_flight`` tasks are submitted and not yet collected, and while
  codekg's processes together hold more than ``memory_ceiling_bytes`` of RSS only one is, so the
  parent never falls behind by more than a window of results.
- A worker that crashes or runs past ``timeout_seconds`` on a task (a batch of small files gets one
  file's timeout) is replaced by pebble; the task's files are retried once, one file per task, and a
  file that fails again is quarantined: reported as skipped with the reason, while every other file
  is parsed as usual.
- Ctrl-C/SIGTERM (recorded by ``codekg.interrupts``): nothing more is submitted, the pool is
  stopped with its in-flight work dropped, every worker is gone, and KeyboardInterrupt propagates.

Workers are started with ``fork``: a forked worker inherits the imported extractors and compiled
queries, so a pool of two returns its first records after 0.04 s instead of the ~0.5 s that
``spawn``/``forkserver`` workers spend importing tree-sitter and codekg (docs/benchmarks.md). It is
safe here because the parse pass runs before the database is opened, workers never touch the
parent's parse cache connection, and while the pool is alive this process runs no tree-sitter
parser (cache hits and their integrity re-parse happen before the pool starts), so a worker pebble
re-forks from its manager thread inherits no half-finished parser state. Workers
ignore SIGINT (pebble sets that in every worker): the parent alone decides when to stop.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from pathlib import Path
from multiprocessing.connection import Connection
from typing import Generic, TypeVar

from codekg.garbage import collection_paused
from codekg.interrupts import raise_if_interrupted
from codekg.metrics import ACTIVE_WORKERS
from codekg.passes.scan import SkippedFile, SourceFile
from codekg.settings import Settings

IN_FLIGHT_PER_WORKER = 4  # enough queued batches that no worker waits for the parent between them
# pebble spends ~3 ms of parent time per task on this 2-core machine, as long as parsing ~5 KB takes,
# so small neighbouring files travel together: ~30 ms of parsing per batch
BATCH_BYTES = 64 * 1024
BATCH_MAX_FILES = 32
POLL_SECONDS = 0.1  # how often the parent looks at the interrupt flag while it waits for results
MEMORY_SAMPLE_SECONDS = 0.2  # measuring the processes' RSS reads /proc for ~2 ms; reuse it this long

T = TypeVar("T")
Batch = tuple[int, ...]  # positions in the files of one run, parsed by one task


@dataclass(frozen=True, slots=True)
class PoolLimits:
    workers: int
    timeout_seconds: float  # per file
    memory_ceiling_bytes: int  # RSS of this process and its children together
    max_in_flight: int  # files submitted and not yet collected

    @classmethod
    def from_settings(cls, settings: Settings) -> PoolLimits:
        return cls(
            workers=settings.workers,
            timeout_seconds=settings.parse_timeout_seconds,
            memory_ceiling_bytes=settings.parse_memory_ceiling,
            max_in_flight=settings.workers * IN_FLIGHT_PER_WORKER,
        )


@dataclass(frozen=True, slots=True)
class _Failure:
    what: str  # "parse timed out", "worker crashed"
    detail: str  # "> 60 s", "exit code -11"

    @classmethod
    def timeout(cls, limits: PoolLimits) -> _Failure:
        return cls("parse timed out", f"> {limits.timeout_seconds:g} s")

    @classmethod
    def crash(cls, exitcode: int | None) -> _Failure:
        return cls("worker crashed", f"exit code {exitcode}")


class PoolRun(Generic[T]):
    """One pass of ``task`` over ``files`` in a process pool. Iterate it once for the outcomes;
    afterwards ``peak_in_flight``, ``memory_waits`` and ``retried`` tell how the run went."""

    def __init__(
        self, task: Callable[[Path, SourceFile], T], root: Path, files: list[SourceFile], limits: PoolLimits
    ) -> None:
        self.task, self.root, self.files, self.limits = task, root, files, limits
        self.peak_in_flight = 0  # most batches ever submitted and not yet collected
        self.memory_waits = 0  # times a submission waited because memory was over the ceiling
        self.retried: list[str] = []  # paths whose first attempt crashed or timed out
        self._rss_sample = (-MEMORY_SAMPLE_SECONDS, 0)  # (monotonic time, bytes)

    def __iter__(self) -> Iterator[tuple[int, T | SkippedFile]]:
        from pebble import ProcessExpired, ProcessPool  # imported only by runs that start a pool

        workers = max(1, min(self.limits.workers, len(self.files)))
        pending: deque[Batch] = deque(batches(self.files))
        running: dict[Future, Batch] = {}
        failures: dict[int, _Failure] = {}
        pool = ProcessPool(max_workers=workers, context=multiprocessing.get_context("fork"))
        try:
            while pending or running:
                raise_if_interrupted()
                while pending and self._may_submit(len(running)):
                    batch = pending.popleft()
                    files = [self.files[position] for position in batch]
                    running[pool.schedule(_run_batch, (self.task, self.root, files), timeout=self.limits.timeout_seconds)] = batch
                    self.peak_in_flight = max(self.peak_in_flight, len(running))
                ACTIVE_WORKERS.set(min(workers, len(running)))
                done, _ = wait(running, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=running.__getitem__):
                    batch = running.pop(future)
                    try:
                        outcomes: list[tuple[int, T | SkippedFile]] = list(zip(batch, future.result()))
                    except (TimeoutError, ProcessExpired) as error:
                        failure = _Failure.timeout(self.limits) if isinstance(error, TimeoutError) else _Failure.crash(error.exitcode)
                        retries, outcomes = _after_failure(self.files, batch, failure, failures, self.retried)
                        pending.extendleft(reversed(retries))
                    except Exception as error:  # noqa: BLE001 - e.g. an unpicklable result: these files, not the run
                        reason = f"worker failed: {type(error).__name__}: {error}"
                        outcomes = [(position, SkippedFile(self.files[position].path, reason)) for position in batch]
                    yield from outcomes
        finally:
            pool.stop()
            pool.join()  # terminates (then kills) the workers still running a file
            ACTIVE_WORKERS.set(0)

    def _may_submit(self, in_flight: int) -> bool:
        if in_flight == 0:
            return True  # always make progress, even over the memory ceiling
        if in_flight >= self.limits.max_in_flight:
            return False
        if self._rss_bytes() > self.limits.memory_ceiling_bytes:
            self.memory_waits += 1
            return False
        return True

    def _rss_bytes(self) -> int:
        taken, rss = self._rss_sample
        now = time.monotonic()
        if now - taken >= MEMORY_SAMPLE_SECONDS:
            rss = _tree_rss_bytes()
            self._rss_sample = (now, rss)
        return rss


class SerialRun(Generic[T]):
    """``task`` over a few files in one forked worker, one file after another: the outcomes, timeouts,
    retries and quarantine of a PoolRun without a pool. Iterate it once; ``retried`` as in PoolRun.
    ``meanwhile`` runs here once the worker has forked, before its first outcome is awaited: the
    caller's work that needs no parse overlaps the parse (no other fork can happen while it runs).

    Why not a PoolRun of one worker: pebble's join waits out a 0.1 s polling interval, as long as
    parsing 15 average files, and a one-file incremental run would pay it every time (measured with
    fastapi/exceptions.py: 2 ms in this process, 110 ms through pebble, 9-14 ms through this fork). Why
    not in this process: nothing could stop an extractor that runs for minutes, and the parse
    timeout must hold for every file."""

    def __init__(
        self, task: Callable[[Path, SourceFile], T], root: Path, files: list[SourceFile], limits: PoolLimits,
        meanwhile: Callable[[], None] | None = None,
    ) -> None:
        self.task, self.root, self.files, self.limits = task, root, files, limits
        self.meanwhile = meanwhile or _nothing
        self.retried: list[str] = []

    def __iter__(self) -> Iterator[tuple[int, T | SkippedFile]]:
        queue = list(range(len(self.files)))  # positions still to parse, in order
        failures: dict[int, _Failure] = {}
        meanwhile = self.meanwhile
        while queue:
            worker: _ForkedWorker[T] = _ForkedWorker(self.task, self.root, [self.files[position] for position in queue])
            try:
                meanwhile()
                meanwhile = _nothing
                for done, position in enumerate(queue):
                    outcome = worker.next_outcome(self.limits)
                    if isinstance(outcome, _Failure):
                        retries, quarantined = _after_failure(self.files, (position,), outcome, failures, self.retried)
                        yield from quarantined
                        queue = [batch[0] for batch in retries] + queue[done + 1:]  # a retry goes first, in a new worker
                        break
                    yield position, outcome
                else:
                    queue = []
            finally:
                worker.stop()


class _ForkedWorker(Generic[T]):
    """A forked process that runs ``task`` over ``files`` in order and sends each outcome back."""

    def __init__(self, task: Callable[[Path, SourceFile], T], root: Path, files: list[SourceFile]) -> None:
        context = multiprocessing.get_context("fork")  # why fork: see the module docstring
        self._outcomes, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_serve, args=(task, root, files, sender), daemon=True)
        self._process.start()
        sender.close()
        ACTIVE_WORKERS.set(1)

    def next_outcome(self, limits: PoolLimits) -> T | SkippedFile | _Failure:
        """The next file's outcome, or a _Failure when the worker ran past the file's timeout or died."""
        deadline = time.monotonic() + limits.timeout_seconds
        while not self._outcomes.poll(max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))):
            raise_if_interrupted()
            if time.monotonic() >= deadline:
                return _Failure.timeout(limits)
        try:
            with collection_paused():  # unpickling a multi-megabyte record: millions of objects
                return self._outcomes.recv()
        except EOFError:  # the worker died before sending: a crash
            self._process.join()
            return _Failure.crash(self._process.exitcode)

    def stop(self) -> None:
        """Kill the worker if it is still running (a timeout, an interrupt) and wait for it."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._outcomes.close()
        ACTIVE_WORKERS.set(0)


def _nothing() -> None:
    return None


def _serve(task: Callable[[Path, SourceFile], T], root: Path, files: list[SourceFile], outcomes: Connection) -> None:
    """What a forked worker runs: ``task`` over ``files``, each outcome sent as soon as it is known."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # as in pebble's workers: the parent alone decides when to stop
    for source_file in files:
        outcome = task(root, source_file)
        try:
            outcomes.send(outcome)
        except Exception as error:  # noqa: BLE001 - e.g. an unpicklable result: this file, not the run
            outcomes.send(SkippedFile(source_file.path, f"worker failed: {type(error).__name__}: {error}"))
    outcomes.close()


def _after_failure(
    files: list[SourceFile], batch: Batch, failure: _Failure, failures: dict[int, _Failure], retried: list[str]
) -> tuple[list[Batch], list[tuple[int, SkippedFile]]]:
    """Which files of a crashed or timed-out batch run again, one per task, and which are
    quarantined. Nobody knows which file of a batch was at fault, so the failure counts for each
    of them; the innocent ones simply succeed on their own."""
    retries, quarantined = [], []
    for position in batch:
        first = failures.get(position)
        path = files[position].path
        if first is None:
            failures[position] = failure
            retried.append(path)
            retries.append((position,))
        elif first.what == failure.what:
            quarantined.append((position, SkippedFile(path, f"quarantined: {failure.what} twice ({failure.detail})")))
        else:
            reason = f"quarantined: {first.what} ({first.detail}), then {failure.what} ({failure.detail})"
            quarantined.append((position, SkippedFile(path, reason)))
    return retries, quarantined


def batches(files: list[SourceFile]) -> list[Batch]:
    """Positions of ``files`` grouped into tasks, in order: a file of BATCH_BYTES or more alone,
    smaller neighbours together up to BATCH_BYTES and BATCH_MAX_FILES."""
    grouped: list[Batch] = []
    current: list[int] = []
    current_bytes = 0
    for position, source_file in enumerate(files):
        if current and (current_bytes + source_file.size_bytes > BATCH_BYTES or len(current) == BATCH_MAX_FILES):
            grouped.append(tuple(current))
            current, current_bytes = [], 0
        current.append(position)
        current_bytes += source_file.size_bytes
    if current:
        grouped.append(tuple(current))
    return grouped


def _run_batch(task: Callable[[Path, SourceFile], T], root: Path, files: list[SourceFile]) -> list[T]:
    """What a worker runs: ``task`` over one batch."""
    return [task(root, source_file) for source_file in files]


def _tree_rss_bytes() -> int:
    """Resident memory of this process and all its children. Pages a forked worker still shares
    with the parent are counted twice, so this errs on the side of waiting."""
    import psutil

    this = psutil.Process()
    total = this.memory_info().rss
    for child in this.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.Error:
            continue  # exited between listing and measuring
    return total
