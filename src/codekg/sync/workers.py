"""The sync's parse workers: each file is handed to a worker as soon as its blob is written, so
parsing runs beside the fetch and the write. The records go to the index that follows (its parse
pass takes each one whose file still hashes the same, and parses whatever else it needs) and into
the parse cache, so a sync killed before its index reuses them when it resumes.

- A pebble process pool of ``workers`` processes, forked like the parse pass's pool
  (passes/parse_pool.py); the extraction switches are set before the fork, so the cache keys are
  the ones the index looks up.
- A bounded queue (back-pressure): while QUEUE_PER_WORKER × workers files wait, ``submit`` blocks
  the writer, collecting finished parses, so the writer never runs more than that ahead.
- At most IN_FLIGHT_PER_WORKER files in flight per worker, taken by priority, then in the order written:
  CRITICAL the ontology files (every page and every mention resolves against their declarations),
  NORMAL code and pages, BATCH files of BATCH_BYTES or more (one large file holds up no small one).
- A per-file timeout (``parse_timeout_seconds``): the worker is replaced and the file counted
  failed; the index's parse pass tries it once more under its own quarantine.
- Per-worker health: each worker says which file it starts (a queue inherited through the fork), so
  the parent knows what each worker is doing and counts what each completed and failed.
- Ctrl-C/SIGTERM: ``close`` stops the pool, dropping the work in flight; a file whose parse was
  dropped is a miss the index parses.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
import multiprocessing
import os
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

from codekg import metrics
from codekg.interrupts import raise_if_interrupted
from codekg.language_table import language_for_path
from codekg.parse_cache import ParseCache
from codekg.passes.parse import parse_cache_key, parse_source_file, set_extraction_switches
from codekg.passes.parse_pool import POLL_SECONDS
from codekg.passes.scan import SkippedFile, SourceFile, ignore_spec
from codekg.records import FileParse
from codekg.settings import Settings

QUEUE_PER_WORKER = 8
IN_FLIGHT_PER_WORKER = 2  # one parsing, one ready: a worker never waits for the parent between two files
BATCH_BYTES = 256 * 1024
PROPERTY_KINDS = ("object", "datatype", "annotation")
TERM_KINDS = ("classes", "properties", "axioms")


class Priority(IntEnum):
    CRITICAL = 0
    NORMAL = 1
    BATCH = 2


def priority_of(source_file: SourceFile) -> Priority:
    if source_file.size_bytes >= BATCH_BYTES:
        return Priority.BATCH
    return Priority.CRITICAL if source_file.language == "ontology" else Priority.NORMAL


@dataclass(slots=True)
class WorkerHealth:
    number: int  # 1, 2, … in the order the workers were first heard of; a replaced worker gets a new one
    pid: int
    current: str = ""  # the file it is parsing, "" when idle
    busy_since: float = 0.0
    completed: int = 0
    failed: int = 0  # its parse gave a skipped file, or it crashed or timed out (and was replaced)
    replaced: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"worker": self.number, "pid": self.pid, "state": "replaced" if self.replaced else "busy" if self.current else "idle",
                "file": self.current, "completed": self.completed, "failed": self.failed}


@dataclass(slots=True)
class ParseAheadReport:
    parsed: int = 0  # records put in the parse cache
    cached: int = 0  # already there (an earlier sync, or the run killed after its parse)
    failed: dict[str, str] = field(default_factory=dict)  # path: why (the index's parse pass tries again)
    not_source: int = 0  # no language codekg reads, or ignored: the index leaves them alone too
    terms: Counter = field(default_factory=Counter)  # classes, properties, axioms so far
    by_priority: Counter = field(default_factory=Counter)
    peak_queued: int = 0
    workers: list[WorkerHealth] = field(default_factory=list)

    def found(self) -> dict[str, int]:
        """The classes, properties and axioms of the files parsed (or found cached) this sync."""
        return {kind: self.terms[kind] for kind in TERM_KINDS}

    def to_dict(self) -> dict[str, Any]:
        return {"parsed": self.parsed, "cached": self.cached, "failed": len(self.failed), "not_source": self.not_source,
                "terms": self.found(), "by_priority": {Priority(p).name.lower(): n for p, n in sorted(self.by_priority.items())},
                "peak_queued": self.peak_queued, "workers": [worker.to_dict() for worker in self.workers]}


class ParseAhead:
    """Parses the files a sync writes while it writes them; ``submit`` each one, then ``finish``.
    Without a ``cache`` (`parse_cache` off) the records go to the index only.
    ``on_done(path)`` is told when a submitted file is settled (parsed, found cached, or failed)."""

    def __init__(self, root: Path, settings: Settings, cache: ParseCache | None, on_done: Any = None) -> None:
        from pebble import ProcessPool  # imported by syncs only

        self.root, self.settings, self.cache = root, settings, cache
        self.on_done = on_done or (lambda path: None)
        self.report = ParseAheadReport()
        self.records: dict[str, FileParse] = {}  # path: its record, for the index that follows (index_repository)
        self.capacity = settings.workers * QUEUE_PER_WORKER
        self._ignore = ignore_spec(settings)
        self._queue: list[tuple[int, int, SourceFile]] = []
        self._order = itertools.count()
        self._running: dict[Future, SourceFile] = {}
        self._workers: dict[int, WorkerHealth] = {}
        # `auto` is settled by the index run, once the whole tree is written: until then the records
        # carry the flow's facts, which a run without the flow leaves unread
        set_extraction_switches(settings.value_flow is not False, settings.sql_dialect, settings.sql_folder_dialects)
        context = multiprocessing.get_context("fork")
        self._starts = context.SimpleQueue()  # (pid, path) from each worker as it starts a file
        self._pool = ProcessPool(max_workers=settings.workers, context=context, initializer=_remember_starts,
                                 initargs=(self._starts,))

    def submit(self, path: str, data: bytes, mtime_ns: int) -> None:
        """Queue the file just written at ``path`` (its bytes ``data``); blocks while the queue is full."""
        language = language_for_path(path)
        if language is None or self._ignore.match_file(path) or len(data) > self.settings.max_file_size or b"\0" in data[:8192]:
            self.report.not_source += 1
            self.on_done(path)
            return
        source_file = SourceFile(path, language, len(data), mtime_ns)
        key = parse_cache_key(source_file, hashlib.sha256(data).hexdigest())
        cached = self.cache.get(key, path, count=False) if self.cache is not None else None
        if cached is not None:
            self.records[path] = cached
            self.report.cached += 1
            self._count_terms(cached)
            self.on_done(path)
            return
        priority = priority_of(source_file)
        self.report.by_priority[priority] += 1
        heapq.heappush(self._queue, (priority, next(self._order), source_file))
        self.report.peak_queued = max(self.report.peak_queued, len(self._queue))
        self._collect(block=False)
        while len(self._queue) >= self.capacity:  # back-pressure: the writer waits for the workers
            self._collect()

    def finish(self) -> ParseAheadReport:
        """Wait for every queued file; the report, with each worker's health."""
        while self._queue or self._running:
            self._collect()
        self._hear_starts()
        self.report.workers = sorted(self._workers.values(), key=lambda worker: worker.number)
        return self.report

    def close(self) -> None:
        self._pool.stop()
        self._pool.join()
        self._starts.close()
        metrics.ACTIVE_WORKERS.set(0)

    @property
    def queued(self) -> int:
        """Files written and waiting for a worker."""
        return len(self._queue)

    def health(self) -> list[WorkerHealth]:
        self._hear_starts()
        return sorted(self._workers.values(), key=lambda worker: worker.number)

    # --- inside ----------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        while self._queue and len(self._running) < self.settings.workers * IN_FLIGHT_PER_WORKER:
            _, _, source_file = heapq.heappop(self._queue)
            future = self._pool.schedule(_parse_announced, (self.root, source_file),
                                         timeout=self.settings.parse_timeout_seconds)
            self._running[future] = source_file
        metrics.ACTIVE_WORKERS.set(min(self.settings.workers, len(self._running)))
        for priority in Priority:
            metrics.SYNC_QUEUED_FILES.labels(priority.name.lower()).set(sum(1 for entry in self._queue if entry[0] == priority))

    def _collect(self, block: bool = True) -> None:
        """Settle the files parsed (waiting up to POLL_SECONDS for one when ``block``), then hand
        out the next ones."""
        raise_if_interrupted()
        done, _ = wait(self._running, timeout=POLL_SECONDS if block else 0, return_when=FIRST_COMPLETED)
        self._hear_starts()
        for future in [future for future in self._running if future in done]:  # in the order handed out
            source_file = self._running.pop(future)
            worker = self._worker_on(source_file.path)
            try:
                pid, outcome = future.result()
            except TimeoutError:
                self._failed(source_file.path, f"parse timed out (> {self.settings.parse_timeout_seconds:g} s)", worker, replaced=True)
            except Exception as error:  # noqa: BLE001 - a crashed worker (ProcessExpired), an unpicklable record: this file only
                self._failed(source_file.path, f"worker failed: {type(error).__name__}: {error}", worker, replaced=True)
            else:
                worker = self._workers.get(pid, worker)
                if isinstance(outcome, FileParse):
                    if self.cache is not None:
                        self.cache.put(parse_cache_key(source_file, outcome.content_hash), outcome)
                    self.records[source_file.path] = outcome
                    self.report.parsed += 1
                    self._count_terms(outcome)
                    self._settled(worker, "completed")
                else:
                    self._failed(source_file.path, outcome.reason, worker)
            self.on_done(source_file.path)
        self._dispatch()

    def _hear_starts(self) -> None:
        """Read what the workers said they started: (pid, path) lines."""
        while not self._starts.empty():
            pid, path = self._starts.get()
            worker = self._workers.get(pid)
            if worker is None:
                worker = self._workers[pid] = WorkerHealth(len(self._workers) + 1, pid)
            worker.current, worker.busy_since = path, time.monotonic()

    def _worker_on(self, path: str) -> WorkerHealth | None:
        return next((worker for worker in self._workers.values() if worker.current == path and not worker.replaced), None)

    def _failed(self, path: str, reason: str, worker: WorkerHealth | None, replaced: bool = False) -> None:
        self.report.failed[path] = reason
        metrics.SYNC_ERRORS.labels("ParseError").inc()
        self._settled(worker, "failed")
        if worker is not None and replaced:
            worker.replaced = True

    def _settled(self, worker: WorkerHealth | None, outcome: str) -> None:
        if worker is None:
            return
        if outcome == "completed":
            worker.completed += 1
        else:
            worker.failed += 1
        worker.current = ""
        metrics.SYNC_WORKER_FILES.labels(str(worker.number), outcome).inc()

    def _count_terms(self, parsed: FileParse) -> None:
        for term in parsed.ontology:
            if term.kind == "class":
                self.report.terms["classes"] += 1
            elif term.kind in PROPERTY_KINDS:
                self.report.terms["properties"] += 1
            self.report.terms["axioms"] += len(term.axioms)
        for kind in TERM_KINDS:
            metrics.SYNC_TERMS.labels(kind).set(self.report.terms[kind])


_STARTS: Any = None  # in a worker: where it says which file it starts


def _remember_starts(starts: Any) -> None:
    global _STARTS
    _STARTS = starts


def _parse_announced(root: Path, source_file: SourceFile) -> tuple[int, FileParse | SkippedFile]:
    """In a worker: say which file this worker starts, then parse it as the index's parse pass does."""
    if _STARTS is not None:
        _STARTS.put((os.getpid(), source_file.path))
    return os.getpid(), parse_source_file(root, source_file)
