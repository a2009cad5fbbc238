"""Writing rows to a server store in batches that survive faults.

A batch is one `UNWIND $rows` statement. When it fails:
- a *transient* error (the connection dropped, a timeout, a deadlock, the server busy or loading) is
  retried after 1, 2, 4, 8, 16 s (the `store_retry_delays` setting), each jittered by ±50% so that
  many writers do not come back at once. Every write is idempotent, so a retry of a batch that did
  land changes nothing. When the retries run out the store is unavailable: StoreUnavailableError.
- an error that says the server rejected the rows (a type or constraint error, a value it cannot
  store) splits the batch in halves, and halves in
  halves, down to single rows, so that every good row lands. A single row the server still rejects
  goes to the dead-letter file with the server's reason.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from codekg import metrics
from codekg.errors import StoreUnavailableError
from codekg.interrupts import raise_if_interrupted
from codekg.stores.dead_letter import DeadLetterFile, FailedRecord
from codekg.stores.server_cypher import WriteOperation

log = logging.getLogger(__name__)

RunStatement = Callable[[str, dict[str, Any]], Any]
IsTransient = Callable[[BaseException], bool]


@dataclass(slots=True)
class WriteStats:
    """What one writer did: rows written, statements sent, retries, splits, dead-lettered rows."""

    rows: int = 0
    batches: int = 0
    retries: int = 0
    splits: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)  # distinct reasons, for the summary
    failed_by_table: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "batches": self.batches, "retries": self.retries, "splits": self.splits,
                "failed": self.failed, "failures": self.failures[:10]}


class BatchWriter:
    """Sends rows through ``run`` in batches of ``batch_size``, retrying, splitting and dead-lettering."""

    def __init__(
        self,
        run: RunStatement,
        is_transient: IsTransient,
        is_rejection: IsTransient,
        store: str,
        batch_size: int,
        retry_delays: Sequence[float],
        dead_letter: DeadLetterFile | None,
        sleep: Callable[[float], None] = time.sleep,
        reconnect: Callable[[], None] | None = None,
    ) -> None:
        self._run, self._is_transient, self._is_rejection, self.store = run, is_transient, is_rejection, store
        self.batch_size, self.retry_delays = batch_size, list(retry_delays)
        self.dead_letter, self._sleep, self._reconnect = dead_letter, sleep, reconnect
        self.stats = WriteStats()

    def write(self, operation: WriteOperation, rows: Sequence[Any]) -> None:
        for start in range(0, len(rows), self.batch_size):
            raise_if_interrupted()
            self._write_batch(operation, list(rows[start : start + self.batch_size]))

    def _write_batch(self, operation: WriteOperation, rows: list[Any]) -> None:
        try:
            self._with_retries(operation, rows)
            self.stats.rows += len(rows)
            metrics.STORE_ROWS_WRITTEN.labels(self.store).inc(len(rows))
        except Exception as error:
            if not self._is_rejection(error):  # unavailable after every retry, or a bug: not the rows' fault
                raise
            if len(rows) > 1:
                self.stats.splits += 1
                middle = len(rows) // 2
                self._write_batch(operation, rows[:middle])
                self._write_batch(operation, rows[middle:])
                return
            reason = _reason(error)
            log.warning("%s rejected a row of %s: %s", self.store, operation.table, reason)
            self.stats.failed += 1
            metrics.STORE_FAILED_ROWS.labels(self.store).inc()
            self.stats.failed_by_table[operation.table] = self.stats.failed_by_table.get(operation.table, 0) + 1
            if reason not in self.stats.failures:
                self.stats.failures.append(reason)
            if self.dead_letter is not None:
                self.dead_letter.append([FailedRecord(self.store, operation.operation, operation.table, rows[0], reason)])

    def _with_retries(self, operation: WriteOperation, rows: list[Any]) -> None:
        self.retrying(operation.table, lambda: self._run(operation.statement, {"rows": rows}))

    def retrying(self, what: str, action: Callable[[], Any]) -> Any:
        """``action()``, retried after each of the retry delays while it fails transiently."""
        delays = iter(self.retry_delays)
        while True:
            self.stats.batches += 1
            try:
                return action()
            except Exception as error:
                if not self._is_transient(error):
                    raise
                delay = next(delays, None)
                if delay is None:
                    raise StoreUnavailableError(
                        f"{self.store} kept failing after {len(self.retry_delays)} retries: {_reason(error)}") from None
                wait = jittered(delay)
                log.warning("%s: %s; retrying %s in %.1f s", self.store, _reason(error), what, wait)
                self.stats.retries += 1
                metrics.STORE_RETRIES.labels(self.store).inc()
                self._sleep(wait)
                raise_if_interrupted()
                if self._reconnect is not None:
                    try:
                        self._reconnect()
                    except Exception as reconnect_error:  # still down: the next attempt says so
                        if not self._is_transient(reconnect_error):
                            raise


def jittered(delay: float) -> float:
    """``delay`` ±50%, so that writers that failed together do not retry together."""
    return delay * (0.5 + random.random())


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}"[:500]
