"""One sync: fetch the remote's branch, write the files whose blob changed into the work tree, index
the tree (incrementally when an index exists), with a checkpoint all along.

Layout under the index directory: `sync/<key>/mirror.git` (the bare mirror), `sync/<key>/tree` (the
files as of the synced commit: what `codekg index` reads), `sync/<key>/checkpoint.json`. The key is
the remote and the branch, so each remote has its own. The graph is the one of `--db`, as `codekg
index` writes it, so every read command answers from it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from codekg import metrics
from codekg.errors import InputError
from codekg.interrupts import deferred_interrupts, raise_if_interrupted
from codekg.pipeline import ProgressReporter, SilentProgress, index_repository
from codekg.records import FileParse
from codekg.settings import Settings
from codekg.stores.batches import jittered
from codekg.sync.checkpoint import CHECKPOINT_FILE, Checkpoint
from codekg.sync.errors import SyncError, classify
from codekg.sync.remote import BlobReader, RemoteFile, ensure_mirror, fetch_head, included, tree_files
from codekg.sync.workers import ParseAhead, ParseAheadReport

CHECKPOINT_EVERY_FILES = 200
CHECKPOINT_EVERY_SECONDS = 2.0


@dataclass(slots=True)
class SyncReport:
    source: str
    branch: str
    commit: str
    sync_id: str
    resumed: bool
    files_total: int = 0
    files_written: int = 0
    files_unchanged: int = 0
    files_deleted: int = 0
    files_failed: int = 0
    errors_by_class: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    write_latency_ms: dict[str, float] = field(default_factory=dict)  # p50, p95 per written file
    index: dict[str, Any] = field(default_factory=dict)  # the index run's summary: nodes, edges, delta
    parse: dict[str, Any] = field(default_factory=lambda: ParseAheadReport().to_dict())  # the parse workers' (sync/workers.py)

    def to_dict(self) -> dict[str, Any]:
        total = sum(self.seconds.values())
        return {"source": self.source, "branch": self.branch, "commit": self.commit, "sync_id": self.sync_id,
                "resumed": self.resumed,
                "files": {"total": self.files_total, "written": self.files_written, "unchanged": self.files_unchanged,
                          "deleted": self.files_deleted, "failed": self.files_failed},
                "errors_by_class": self.errors_by_class, "retries": self.retries,
                "files_per_second": round(self.files_total / total, 1) if total else 0.0,
                "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
                "write_latency_ms": self.write_latency_ms, "parse": self.parse, "index": self.index}


def sync_key(source: str, branch: str | None) -> str:
    return hashlib.sha1(f"{source}\0{branch or ''}".encode()).hexdigest()[:16]


def sync_repository(source: str, db_dir: Path, settings: Settings, branch: str | None = None,
                    includes: list[str] | None = None, restart: bool = False,
                    progress: ProgressReporter | None = None,
                    sleep: Callable[[float], None] = time.sleep, api: str = "") -> SyncReport:
    """Sync ``source`` into the index at ``db_dir`` over git, or (``api`` "github") the GitHub API;
    fatal errors raise a SyncError with the checkpoint saved. Ctrl-C and SIGTERM stop it between two
    files (KeyboardInterrupt), its checkpoint written. ``progress`` hears the write phase, then the
    index's passes, as `codekg index` reports them."""
    with deferred_interrupts(hard_stop=True):
        return _sync(source, db_dir, settings, branch, includes, restart, progress, sleep, api)


def _sync(source: str, db_dir: Path, settings: Settings, branch: str | None, includes: list[str] | None, restart: bool,
          progress: ProgressReporter | None, sleep: Callable[[float], None], api: str) -> SyncReport:

    if api == "github":  # `owner/name` and its URLs are one repository
        from codekg.sync.github import github_repository

        directory = db_dir / "sync" / sync_key("github:" + "/".join(github_repository(source)), branch)
    else:
        directory = db_dir / "sync" / sync_key(source, branch)
    first_time = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        return _sync_into(source, directory, db_dir, settings, branch, includes, restart, progress, sleep, api)
    except SyncError:
        if first_time and not (directory / CHECKPOINT_FILE).exists():  # failed before it had anything to resume from
            shutil.rmtree(directory, ignore_errors=True)
        raise


def _sync_into(source: str, directory: Path, db_dir: Path, settings: Settings, branch: str | None,
               includes: list[str] | None, restart: bool, progress: ProgressReporter | None,
               sleep: Callable[[float], None], api: str) -> SyncReport:
    mirror, tree = directory / "mirror.git", directory / "tree"
    timings: dict[str, float] = {}
    started = time.perf_counter()
    retries = Counter()
    github = None
    if api == "github":
        from codekg.sync.github import GitHubRemote

        ensure_mirror(mirror)
        token = settings.github_token.get_secret_value() if settings.github_token else None
        github = GitHubRemote(source, settings.github_api_url, token, mirror, settings.store_timeout_seconds,
                              lambda action: _retrying(action, settings.store_retry_delays, retries, sleep))
        try:
            head, listed = github.fetch_head(branch)
        except BaseException:
            github.close()
            raise
        files = [f for f in listed if included(f.path, includes or [])]
    else:
        head = _retrying(lambda: fetch_head(source, mirror, branch, settings.store_timeout_seconds),
                         settings.store_retry_delays, retries, sleep)
        files = tree_files(mirror, head.commit, includes or [])
    if includes and not files:  # before anything is written or deleted
        raise InputError(f"--include {' '.join(includes)} matched no file of {source} at {head.commit[:12]}")
    if restart:
        shutil.rmtree(tree, ignore_errors=True)
    timings["fetch"] = time.perf_counter() - started
    previous = None if restart else Checkpoint.load(directory)
    resumed = previous is not None and previous.commit == head.commit and previous.phase != "done"
    checkpoint = Checkpoint(uuid.uuid4().hex, source, head.branch, head.commit, _now(),
                            written=dict(previous.written) if previous else {})
    if resumed:
        checkpoint.sync_id, checkpoint.started = previous.sync_id, previous.started
    report = SyncReport(source, head.branch, head.commit, checkpoint.sync_id, resumed, files_total=len(files))
    wanted = {f.path: f.blob for f in files}
    to_write = [f for f in files if checkpoint.written.get(f.path) != f.blob or not (tree / f.path).is_file()]
    report.files_unchanged = len(files) - len(to_write)
    checkpoint.total, checkpoint.pending = len(files), len(to_write)
    checkpoint.processed = report.files_unchanged
    checkpoint.save(directory)
    metrics.SYNC_FILES_TOTAL.set(len(files))
    metrics.SYNC_FILES_DONE.set(report.files_unchanged)
    metrics.SYNC_FILES.labels("unchanged").inc(report.files_unchanged)
    if github is not None:  # the blobs to write, those the mirror lacks, into the mirror
        started = time.perf_counter()
        try:
            github.store_blobs(to_write)
        finally:
            github.close()
        timings["fetch"] += time.perf_counter() - started
    started = time.perf_counter()
    latencies, parsed_ahead = _write_files(tree, mirror, to_write, checkpoint, directory, report, progress or SilentProgress(),
                                           settings, db_dir)
    for path in sorted(set(checkpoint.written) - set(wanted)):  # gone from the remote
        (tree / path).unlink(missing_ok=True)
        del checkpoint.written[path]
        report.files_deleted += 1
        metrics.SYNC_FILES.labels("deleted").inc()
    _remove_empty_folders(tree)
    tree.mkdir(parents=True, exist_ok=True)
    timings["write"] = time.perf_counter() - started
    checkpoint.phase = "index"
    checkpoint.save(directory)
    started = time.perf_counter()
    try:
        summary = _retrying(lambda: index_repository(tree, db_dir, settings, progress, parsed_ahead=parsed_ahead),
                            settings.store_retry_delays, retries, sleep)
    except SyncError as error:
        metrics.SYNC_ERRORS.labels(type(error).__name__).inc()
        raise
    timings["index"] = time.perf_counter() - started
    checkpoint.phase, checkpoint.last_checkpoint = "done", _now()
    checkpoint.save(directory)
    report.seconds, report.retries = timings, sum(retries.values())
    for name, count in retries.items():  # every error met, retried or not
        report.errors_by_class[name] = report.errors_by_class.get(name, 0) + count
    report.write_latency_ms = _percentiles(latencies)
    summary_dict = summary.to_dict()
    report.index = {key: summary_dict.get(key) for key in ("nodes", "edges", "delta", "warnings", "parse_cache")}
    return report


def _write_files(tree: Path, mirror: Path, files: list[RemoteFile], checkpoint: Checkpoint, directory: Path,
                 report: SyncReport, progress: ProgressReporter, settings: Settings,
                 db_dir: Path) -> tuple[list[float], dict[str, FileParse]]:
    """Write each file's blob into the tree atomically, handing it to a parse worker as soon as it
    is written (sync/workers.py); a blob that cannot be written is counted. The progress counts a
    file once it is written and parsed. Returns each write's latency, and the records parsed."""
    from codekg.parse_cache import open_parse_cache

    reader = BlobReader(mirror)
    latencies: list[float] = []
    records: dict[str, FileParse] = {}
    progress.start("sync", len(files))
    cache = open_parse_cache(settings, db_dir) if files else None
    ahead = None
    if files:
        def settled(path: str) -> None:
            progress.found(ahead.report.found())
            progress.advance()

        ahead = ParseAhead(tree, settings, cache, on_done=settled)
        progress.found(ahead.report.found())
    saved_at, since_saved, began = time.perf_counter(), 0, time.perf_counter()
    try:
        for number, remote_file in enumerate(files, 1):
            raise_if_interrupted()
            started = time.perf_counter()
            target = tree / remote_file.path
            written = None
            try:
                data = reader.read(remote_file.blob)
                target.parent.mkdir(parents=True, exist_ok=True)
                temporary = target.with_name(f".{target.name}.codekg-sync")
                temporary.write_bytes(data)
                os.replace(temporary, target)
                written = data, target.stat().st_mtime_ns
                checkpoint.written[remote_file.path] = remote_file.blob
                checkpoint.failures.pop(remote_file.path, None)
                report.files_written += 1
                metrics.SYNC_FILES.labels("written").inc()
            except (OSError, KeyError, ValueError) as error:  # a path the filesystem refuses, a missing blob
                checkpoint.failures[remote_file.path] = f"{type(error).__name__}: {error}"[:300]
                checkpoint.failed += 1
                report.files_failed += 1
                report.errors_by_class["ParseError"] = report.errors_by_class.get("ParseError", 0) + 1
                metrics.SYNC_FILES.labels("failed").inc()
                metrics.SYNC_ERRORS.labels("ParseError").inc()
            latencies.append((time.perf_counter() - started) * 1000)
            metrics.SYNC_WRITE_SECONDS.observe(latencies[-1] / 1000)
            metrics.SYNC_FILES_DONE.set(checkpoint.processed + 1)
            checkpoint.processed += 1
            checkpoint.pending -= 1
            if ahead is not None and written is not None:  # after the counts: an interrupt may come while it waits
                ahead.submit(remote_file.path, *written)  # blocks while the workers are behind
            else:
                progress.advance()
            since_saved += 1
            now = time.perf_counter()
            if since_saved >= CHECKPOINT_EVERY_FILES or now - saved_at >= CHECKPOINT_EVERY_SECONDS:
                if cache is not None:
                    cache.commit()  # the records parsed so far survive a kill, as the checkpoint does
                checkpoint.last_checkpoint = _now()
                checkpoint.save(directory)
                saved_at, since_saved = now, 0
                rate = number / (now - began) if now > began else 0.0
                metrics.SYNC_FILES_PER_SECOND.set(round(rate, 1))
                metrics.SYNC_ETA_SECONDS.set((len(files) - number) / rate if rate else 0.0)
        if ahead is not None:
            report.parse = ahead.finish().to_dict()
            records = ahead.records
            for path, reason in ahead.report.failed.items():
                checkpoint.failures[path] = f"ParseError: {reason}"[:300]
            report.errors_by_class["ParseError"] = report.errors_by_class.get("ParseError", 0) + len(ahead.report.failed)
    finally:
        reader.close()
        if ahead is not None:
            ahead.close()
        if cache is not None:
            cache.close()
        checkpoint.last_checkpoint = _now()
        checkpoint.save(directory)
    return latencies, records


def _retrying(action: Callable[[], Any], delays: list[float], retries: Counter, sleep: Callable[[float], None]) -> Any:
    """``action()`` under the retry policy of the server stores (`store_retry_delays`, jittered ±50%):
    a retryable error is tried again after each delay; a fatal one, or the last, is raised classified."""
    waits = iter(delays)
    while True:
        try:
            return action()
        except Exception as error:  # noqa: BLE001 - classified: retried or raised as a SyncError
            classified = classify(error)
            delay = next(waits, None) if classified.retryable else None
            if delay is None:
                metrics.SYNC_ERRORS.labels(type(classified).__name__).inc()
                raise classified from None
            retry_after = getattr(classified, "retry_after", 0.0)
            retries[type(classified).__name__] += 1
            metrics.SYNC_RETRIES.labels(type(classified).__name__).inc()
            print(f"codekg sync: {classified}; retrying in {max(delay, retry_after):.1f} s", file=sys.stderr)
            sleep(max(jittered(delay), retry_after))
            raise_if_interrupted()


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    return {"p50": round(ordered[len(ordered) // 2], 3), "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 3)}


def _remove_empty_folders(tree: Path) -> None:
    if not tree.exists():
        return
    for folder in sorted((p for p in tree.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        try:
            folder.rmdir()
        except OSError:
            pass  # not empty


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
