"""The watcher: decides *when* to re-index while files change; the index run decides *what* changed.

Takes: a repository, its index directory and settings. Yields: a Ready event once file events are
being received, one BatchReport per applied batch, and Stopped when Ctrl-C/SIGTERM ends it.

File events from watchfiles are filtered (ChangeFilter: source files and folders only, never the
index directory or git's internals) and gathered by a Batcher, which coalesces repeated changes of a
path and says when a batch is due: when no file has changed for the debounce window, when it holds
`watch_batch_size` files, or at the latest after MAX_WAIT_WINDOWS windows of continuous changes.
While git holds its index lock (a checkout, pull or merge rewriting the work tree) nothing is
applied, so a branch switch becomes one batch. Applying a batch is one `index_repository` call.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from watchfiles import Change, watch

from codekg.errors import CodekgError, InputError
from codekg.interrupts import interrupts_set
from codekg.language_table import language_for_path
from codekg.resolve.tsconfig import is_project_config
from codekg.metrics import BATCH_SECONDS, BATCH_SIZE
from codekg.file_names import stored_path
from codekg.passes.scan import ignore_spec
from codekg.pipeline import index_repository
from codekg.settings import Settings
from codekg.stores import IndexDirectory

# watchfiles hands over what it has gathered after STEP_MS without a new event, or after
# HANDOVER_MS at most, and otherwise wakes the loop every TICK_MS: the resolution of the timers below.
STEP_MS = 50
HANDOVER_MS = 200
TICK_MS = 100
MAX_WAIT_WINDOWS = 10  # continuous changes still apply a batch after this many debounce windows
GIT_HOLD_LIMIT_S = 60.0  # a git index lock older than this is taken for stale and no longer waited for

Reason = Literal["initial", "catch-up", "debounce", "realtime", "size", "max-wait"]


class ChangeFilter:
    """Which file events can change the index, as a watchfiles ``watch_filter``.

    Source files pass by the scan's own ignore list and language table (.gitignore and the file
    checks are left to the index run, which rescans anyway). Folders pass when added or deleted: a
    moved folder is a single event for every file inside it.
    """

    def __init__(self, root: Path, db_dir: Path, git_dir: Path | None, settings: Settings) -> None:
        self.root = root
        self.excluded = (db_dir,) if git_dir is None else (db_dir, git_dir)
        self.ignore = ignore_spec(settings)

    def __call__(self, change: Change, path: str) -> bool:
        full = Path(path)
        if any(full.is_relative_to(excluded) for excluded in self.excluded) or not full.is_relative_to(self.root):
            return False
        relative = full.relative_to(self.root).as_posix()
        if relative == ".":
            return False
        if language_for_path(relative) is not None or is_project_config(relative):
            return not self.ignore.match_file(relative)
        # a deleted folder can no longer be told from a file: a name without a suffix may be one
        maybe_folder = full.is_dir() if change == Change.added else change == Change.deleted and not full.suffix
        return maybe_folder and not self.ignore.match_file(relative + "/")


def coalesce(earlier: Change | None, later: Change) -> Change | None:
    """The net change of a path changed twice within one batch; None when nothing is left to index."""
    if earlier == Change.added:
        return None if later == Change.deleted else Change.added
    if earlier == Change.deleted and later == Change.added:
        return Change.modified
    return later


@dataclass(slots=True)
class Batcher:
    """Pending changes by path and when they are due. Pure: every time is passed in (seconds)."""

    debounce_s: float
    max_files: int
    changes: dict[str, Change] = field(default_factory=dict)
    first_at: float = 0.0
    last_at: float = 0.0

    def add(self, events: Iterable[tuple[Change, str]], now: float) -> None:
        """Take one handover of events. It is a set, without order: a path with several kinds in it
        (an editor's delete-and-recreate save) counts as modified, so that it is never dropped."""
        kinds: dict[str, set[Change]] = {}
        for change, path in events:
            kinds.setdefault(path, set()).add(change)
        for path, changes in kinds.items():
            change = next(iter(changes)) if len(changes) == 1 else Change.modified
            if not self.changes:
                self.first_at = now
            net = coalesce(self.changes.get(path), change)
            if net is None:
                del self.changes[path]
            else:
                self.changes[path] = net
            self.last_at = now

    def due(self, now: float, git_busy: bool = False) -> Reason | None:
        """Why the pending changes should be applied now, or None to keep gathering."""
        if not self.changes or git_busy and now - self.first_at < GIT_HOLD_LIMIT_S:
            return None
        if len(self.changes) >= self.max_files:
            return "size"
        if now - self.last_at >= self.debounce_s:
            return "debounce" if self.debounce_s else "realtime"
        if now - self.first_at >= MAX_WAIT_WINDOWS * self.debounce_s:
            return "max-wait"
        return None

    def take(self) -> dict[str, Change]:
        taken, self.changes = self.changes, {}
        return taken


@dataclass(frozen=True, slots=True)
class Ready:
    repo: str
    db: str
    debounce_ms: int
    batch_size: int

    def to_dict(self) -> dict[str, Any]:
        return {"event": "ready", "repo": self.repo, "db": self.db, "debounce_ms": self.debounce_ms,
                "batch_size": self.batch_size}

    def line(self) -> str:
        return (f"watching {self.repo} → {self.db} (debounce {self.debounce_ms} ms, flush at {self.batch_size} files); "
                "Ctrl-C stops")


@dataclass(frozen=True, slots=True)
class BatchReport:
    """One applied (or failed) batch: the watcher's paths, the index run's delta, the time it took."""

    number: int
    reason: Reason
    files: int  # changed paths in the batch; for the initial index, the files indexed; for a catch-up, the files it changed
    paths: dict[str, str]  # path → added | modified | deleted, as the watcher saw them
    delta: dict[str, Any]
    ms: int
    error: str | None = None
    # the run's warnings about the batch's files (all files for the initial index): a syntax error just
    # saved, a file a pass failed on ({path, pass, kind, message}, as `codekg index` lists them)
    warnings: tuple[dict[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"event": "batch", "batch": self.number, "reason": self.reason, "files": self.files,
                "paths": self.paths, "delta": self.delta, "ms": self.ms, "error": self.error,
                "warnings": list(self.warnings)}

    def line(self) -> str:
        """One line, and one more per warning."""
        head = f"batch {self.number} ({self.reason}): {self.files} file{'' if self.files == 1 else 's'}"
        if self.error is not None:
            return f"{head}, failed: {self.error}, {self.ms} ms"
        d = self.delta
        warned = f", {len(self.warnings)} warning{'' if len(self.warnings) == 1 else 's'}" if self.warnings else ""
        return "\n".join([
            f"{head} (+{d['files_added']} ~{d['files_changed']} -{d['files_deleted']}), "
            f"nodes +{d['nodes_added']} ~{d['nodes_updated']} -{d['nodes_removed']}, "
            f"edges +{d['edges_added']} -{d['edges_removed']}, {self.ms} ms{warned}",
            *(f"  {w['path']} ({w['pass']}, {w['kind']}): {w['message']}" for w in self.warnings)])


@dataclass(frozen=True, slots=True)
class Stopped:
    pending: int  # changes seen but not applied when the watcher stopped


def watch_repository(
    repo: Path, db_dir: Path, settings: Settings, stop: threading.Event | None = None
) -> Iterator[Ready | BatchReport | Stopped]:
    """Keep ``db_dir`` up to date with ``repo`` until Ctrl-C/SIGTERM (or ``stop`` is set, for a watcher
    in a background thread, where no signal reaches it). A signal during a batch's index run raises
    KeyboardInterrupt (the index stays as before that batch); otherwise the last event is Stopped. A
    batch the index run refuses (a CodekgError) is reported and watching goes on."""
    if not repo.is_dir():
        raise InputError(f"not a directory: {repo}" if repo.exists() else f"path does not exist: {repo}")
    root, db_dir = repo.resolve(), db_dir.resolve()
    git_dir = _git_dir(root)
    git_lock = git_dir / "index.lock" if git_dir is not None else None
    batcher = Batcher(settings.watch_debounce_ms / 1000, settings.watch_batch_size)
    stop = stop if stop is not None else threading.Event()
    with interrupts_set(stop):
        events = watch(
            root, watch_filter=ChangeFilter(root, db_dir, git_dir, settings), debounce=HANDOVER_MS, step=STEP_MS,
            rust_timeout=TICK_MS, yield_on_timeout=True, stop_event=stop,
        )
        first = next(events, None)  # starts the file watcher: from here on no edit is missed
        if first is None:
            yield Stopped(0)
            return
        batcher.add(first, time.monotonic())
        if IndexDirectory(db_dir).current_graph() is None:
            yield _apply(0, "initial", {}, root, db_dir, settings)
        else:  # what changed while nobody watched (a file saved before the watcher started) is indexed now
            caught_up = _apply(0, "catch-up", {}, root, db_dir, settings)
            if caught_up.error is not None or caught_up.files:
                yield caught_up
        yield Ready(str(root), str(db_dir), settings.watch_debounce_ms, settings.watch_batch_size)
        number = 0
        for batch_events in events:
            batcher.add(batch_events, time.monotonic())
            git_busy = bool(batcher.changes) and git_lock is not None and git_lock.exists()
            reason = batcher.due(time.monotonic(), git_busy)
            if reason is not None:
                number += 1
                yield _apply(number, reason, batcher.take(), root, db_dir, settings)
    yield Stopped(len(batcher.changes))


def _apply(number: int, reason: Reason, changes: dict[str, Change], root: Path, db_dir: Path, settings: Settings) -> BatchReport:
    relative = {stored_path(Path(path).relative_to(root).as_posix()): change.raw_str() for path, change in sorted(changes.items())}
    started = time.perf_counter()
    try:
        summary = index_repository(root, db_dir, settings)
    except CodekgError as error:
        ms = round((time.perf_counter() - started) * 1000)
        return BatchReport(number, reason, len(relative), relative, {}, ms, str(error))
    seconds = time.perf_counter() - started
    if reason not in ("initial", "catch-up"):
        BATCH_SIZE.observe(len(relative))
        BATCH_SECONDS.observe(seconds)
    if reason == "initial":
        files = sum(summary.files_by_language.values())
    elif reason == "catch-up":
        files = sum(summary.delta.get(key, 0) for key in ("files_added", "files_changed", "files_deleted"))
    else:
        files = len(relative)
    warnings = tuple(w for w in summary.warnings if reason == "initial" or w["path"] in relative)
    return BatchReport(number, reason, files, relative, summary.delta, round(seconds * 1000), warnings=warnings)


def _git_dir(root: Path) -> Path | None:
    """The git directory of the work tree holding ``root`` (where git's index lock appears), if any."""
    try:
        found = subprocess.run(["git", "-C", str(root), "rev-parse", "--absolute-git-dir"],
                               capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(found.stdout.strip()).resolve() if found.returncode == 0 else None
