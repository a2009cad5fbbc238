"""One call in a forked child process, its one answer sent back through a pipe.

Used where a pass hands work to the machine's other core without copying what the work reads: the
child gets this process's memory by fork (nothing is copied until touched). The value-flow solve
(resolve/flow_child.py) and the files a full build resolves beside its own (passes/resolve_pool.py)
run this way.

Why a plain fork and a pipe, not a pebble future: cancelling a pebble future while its handler
thread was setting the result printed that thread's `InvalidStateError` traceback on Ctrl-C (2 runs
in 22). Here nothing but this process's own thread reads the answer, and stopping is a kill.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from multiprocessing.connection import Connection
from typing import Any, Callable

from codekg.interrupts import raise_if_interrupted

POLL_SECONDS = 0.1  # how often a wait for the answer looks at the interrupt flag


class ForkedCall:
    """``target(*arguments)`` in a forked process; `answer` waits for what it returned."""

    def __init__(self, target: Callable[..., Any], arguments: tuple) -> None:
        context = multiprocessing.get_context("fork")
        self._answers, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_answer, args=(target, arguments, sender), daemon=True)
        self._process.start()
        sender.close()

    def answer(self) -> tuple[str, Any]:
        """("solved", the value) or ("failed", why). Polls, so that an interrupt stops the wait."""
        while not self._answers.poll(POLL_SECONDS):
            raise_if_interrupted()
        try:
            return self._answers.recv()
        except (EOFError, OSError):  # the child died before answering
            self._process.join()
            return "failed", f"the process ended with exit code {self._process.exitcode}"

    def stop(self) -> None:
        """Kill the child if it still runs (the run stopped before it needed the answer)."""
        if self._process.is_alive():
            self._process.kill()
        self._process.join()
        self._answers.close()


def _answer(target: Callable[..., Any], arguments: tuple, answers: Connection) -> None:
    """In the child: the parent alone decides when to stop (SIGINT ignored), and the child ends with
    `os._exit`: its objects are never freed one by one, and no inherited handle is closed."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        try:
            answer: tuple[str, Any] = ("solved", target(*arguments))
        except BaseException as error:  # noqa: BLE001 - the parent decides what a failure costs
            answer = ("failed", f"{type(error).__name__}: {error}")
        answers.send(answer)
        answers.close()
    finally:
        os._exit(0)
