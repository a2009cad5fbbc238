"""Signals during a run: recorded, acted on at safe points, and never lost."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from codekg.interrupts import deferred_interrupts, interrupts_set, raise_if_interrupted


def wait_for_signal_delivery() -> None:
    time.sleep(0.05)  # Python runs signal handlers between bytecodes of the main thread


def test_a_signal_during_a_run_is_raised_at_the_next_check():
    with deferred_interrupts():
        os.kill(os.getpid(), signal.SIGTERM)
        wait_for_signal_delivery()
        with pytest.raises(KeyboardInterrupt):
            raise_if_interrupted()
        raise_if_interrupted()  # acted on once


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_after_the_last_check_reaches_the_watchers_stop(signal_number):
    stop = threading.Event()
    with interrupts_set(stop):
        with deferred_interrupts():
            os.kill(os.getpid(), signal_number)
            wait_for_signal_delivery()
        assert stop.is_set()


def test_a_signal_after_the_last_check_of_a_plain_run_does_not_abort_it():
    with deferred_interrupts():
        os.kill(os.getpid(), signal.SIGINT)
        wait_for_signal_delivery()
    # the run finished: no KeyboardInterrupt escapes here, and the next run starts clean
    with deferred_interrupts():
        raise_if_interrupted()
