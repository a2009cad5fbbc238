"""Ctrl-C and SIGTERM during an index run or the watcher: recorded, then acted on between steps.

A Python SIGINT handler that raises is unreliable here: Ladybug runs Python code to inspect the
SIGINT handler before each query and ignores any exception raised there, so a KeyboardInterrupt
arriving at that moment is lost and the run finishes as if nothing happened. Instead the handlers
only set a flag, and the run checks it between files and after every database statement.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_requested = threading.Event()
_last_signal: list[int] = []


def _record(signum: int, frame: FrameType | None) -> None:
    _last_signal[:] = [signum]
    _requested.set()


@contextmanager
def deferred_interrupts() -> Iterator[None]:
    """While active, SIGINT/SIGTERM only mark the run as interrupted (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.signal(sig, _record) for sig in (signal.SIGINT, signal.SIGTERM)}
    _requested.clear()
    try:
        yield
    finally:
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
