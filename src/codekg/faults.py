"""Fault containment: one file that a pass fails on costs that file's share of the pass, never the run.

A pass runs each file's work through ``contained``. An exception (a bug, a bound hit such as
RecursionError or MemoryError, an edge the schema forbids) gives the pass's fallback for that file
and a FileFault, which the run lists in its summary's `warnings` and counts in `/metrics`
(`file_failures_total{pass,kind}`); the run goes on and publishes. The `strict` setting turns the
first fault into a FileFailedError instead, so tests see every failure.
"""

from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from codekg.errors import CodekgError
from codekg.graph import SchemaViolation
from codekg.metrics import FILE_FAILURES

T = TypeVar("T")
_PACKAGE = Path(__file__).parent  # as in code objects: frames in here are codekg's own, wherever it is installed


@dataclass(frozen=True, slots=True)
class FileFault:
    """What went wrong in one file: the pass, a kind a user can group by, and the message."""

    path: str
    pass_name: str  # parse, structure, resolve
    kind: str  # exception, depth-limit, memory-limit, invalid-edge, or a bound an extractor reports
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "pass": self.pass_name, "kind": self.kind, "message": self.message}

    def as_warning(self) -> dict[str, str]:
        """The fault as a warning of its file's record (the path is the record's)."""
        return {"pass": self.pass_name, "kind": self.kind, "message": self.message}


class FileFailedError(CodekgError):
    """A file failed in a pass while the `strict` setting was on."""

    exit_code = 1


def contained(path: str, pass_name: str, work: Callable[[], T], fallback: Callable[[], T], strict: bool,
              faults: list[FileFault]) -> T:
    """``work()``, or ``fallback()`` with the failure appended to ``faults`` (raised when ``strict``)."""
    try:
        return work()
    except (KeyboardInterrupt, SystemExit, CodekgError):
        raise
    except Exception as error:  # noqa: BLE001 - the point: one file never aborts the run
        fault = FileFault(path, pass_name, _kind(error), _describe(error))
        if _tallies:
            _tallies[-1][(pass_name, fault.kind)] += 1
        else:
            FILE_FAILURES.labels(pass_name, fault.kind).inc()
        if strict:
            raise FileFailedError(f"{path}: {pass_name} failed: {fault.message}") from error
        faults.append(fault)
        return fallback()


_tallies: list[Counter[tuple[str, str]]] = []  # the innermost `counted_apart`'s count, if any


@contextmanager
def counted_apart() -> Iterator[Counter[tuple[str, str]]]:
    """Inside: failures counted by (pass, kind) in the Counter given, not in `file_failures_total`.
    For a forked helper (passes/resolve_pool.py): its metrics die with it, and a metric's lock it
    inherited may have been held by another thread of the parent at the fork, for good."""
    tally: Counter[tuple[str, str]] = Counter()
    _tallies.append(tally)
    try:
        yield tally
    finally:
        _tallies.pop()


def count_failures(tally: dict[tuple[str, str], int]) -> None:
    """Add a `counted_apart` count, sent back by a helper, to `file_failures_total`."""
    for (pass_name, kind), count in tally.items():
        FILE_FAILURES.labels(pass_name, kind).inc(count)


def _kind(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "depth-limit"
    if isinstance(error, MemoryError):
        return "memory-limit"
    if isinstance(error, SchemaViolation):
        return "invalid-edge"
    return "exception"


def _describe(error: BaseException) -> str:
    """The error and the codekg frame it came from: enough to report it without a traceback."""
    where = ""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        filename = Path(frame.filename)
        if filename.is_relative_to(_PACKAGE):
            where = f" (at {filename.relative_to(_PACKAGE).as_posix()}:{frame.lineno} in {frame.name})"
            break
    text = str(error)
    if len(text) > 300:
        text = text[:300] + "…"
    return f"{type(error).__name__}: {text}{where}"
