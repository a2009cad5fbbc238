"""Runs the Cypher of HTTP and MCP requests in worker processes, so no query can take the server down.

Takes: a checked query (query_guard.py) and the index to run it on. Returns: its `GuardedResult`.
The guard's limits keep a query inside what the database survives, as far as anyone has measured;
this is the wall behind them. Each worker caps its own address space (the database's reserved
space plus `query_memory_limit`), so a query that asks for gigabytes (`size(range(1, 300000000))`)
fails with a clear error instead of starving the machine; a query still running after its timeout
plus a grace period (the database cannot stop a query while it parses or plans) has its worker
killed; a worker that dies (a crash in the database) is replaced. The server answers each with an
error and keeps serving. One pool per process, shared by every service, started on first use.
"""

from __future__ import annotations

import atexit
import multiprocessing
import resource
import signal
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codekg.errors import QueryError

if TYPE_CHECKING:
    from codekg.query_guard import CheckedQuery, GuardedResult, QueryLimits
    from codekg.settings import Settings

# The database checks its own timeout only between steps of execution; past this grace the worker is killed.
KILL_GRACE_SECONDS = 5.0

_pools: dict[int, Any] = {}
_pools_lock = threading.Lock()


def run_in_sandbox(db_dir: Path, settings: "Settings", checked: "CheckedQuery", limits: "QueryLimits",
                   allow_writes: bool) -> "GuardedResult":
    """``checked`` run on the live index in ``db_dir`` by a worker process (opened writable when the
    query writes: the caller holds the index's writer lock)."""
    from pebble import ProcessExpired

    future = _pool(settings.query_workers).schedule(
        _run_query, args=(db_dir, settings, checked, limits, allow_writes),
        timeout=settings.query_timeout_seconds + KILL_GRACE_SECONDS,
    )
    try:
        outcome = future.result()
    except FutureTimeout:
        raise QueryError(f"the query ran longer than {settings.query_timeout_seconds:g} s and was stopped") from None
    except ProcessExpired as error:
        raise QueryError(f"the query stopped the process running it ({_exit_name(error.exitcode)}); "
                         "it was not retried") from None
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def _pool(workers: int) -> Any:
    from pebble import ProcessPool

    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None or not pool.active:
            pool = ProcessPool(max_workers=workers, initializer=_ignore_interrupts,
                               context=multiprocessing.get_context("spawn"))
            _pools[workers] = pool
        return pool


@atexit.register
def close_pools() -> None:
    """Stop every worker (also at interpreter exit): a server's workers never outlive it."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.stop()
        pool.join(timeout=10)


def _ignore_interrupts() -> None:
    """Ctrl-C in a terminal reaches the whole process group: the server stops its workers itself."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _run_query(db_dir: Path, settings: "Settings", checked: "CheckedQuery", limits: "QueryLimits",
               allow_writes: bool) -> Any:
    """In the worker: `run_capped`, with errors returned as values (the pool pickles them back)."""
    from codekg.errors import CodekgError

    try:
        return run_capped(db_dir, settings, checked, limits, allow_writes)
    except CodekgError as error:
        return error


def run_capped(db_dir: Path, settings: "Settings", checked: "CheckedQuery", limits: "QueryLimits",
               allow_writes: bool) -> "GuardedResult":
    """Cap this process's memory, open the index, check the plan, run (a worker's job; `codekg query`
    does the same in its own process). Running out of the cap is a QueryError that says so."""
    from codekg.query_guard import run_checked
    from codekg.stores import open_index

    _cap_address_space(settings.max_db_size + settings.query_memory_limit)
    try:
        store = open_index(db_dir, settings, read_only=not checked.writes)
        try:
            store.set_query_timeout(settings.query_timeout_seconds)
            return run_checked(store, checked, limits, allow_writes)
        finally:
            store.close()
    except MemoryError:
        raise _out_of_memory(settings) from None
    except QueryError as error:
        if "bad_alloc" in str(error):
            raise _out_of_memory(settings) from None
        if "buffer pool is full" in str(error):  # the database's own page cache, not the process's cap
            raise QueryError(f"the query needed more than the {settings.buffer_pool_size / 2**20:g} MiB of the "
                             "database's page cache (buffer_pool_size): narrow it (a WHERE, a LIMIT "
                             "before the UNWIND or the path)") from None
        raise


def _cap_address_space(extra: int) -> None:
    """Limit this process to the address space it holds now plus ``extra`` bytes (for the query)."""
    with open("/proc/self/statm") as statm:
        virtual_bytes = int(statm.read().split()[0]) * resource.getpagesize()
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = virtual_bytes + extra
    resource.setrlimit(resource.RLIMIT_AS, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))


def _out_of_memory(settings: "Settings") -> QueryError:
    return QueryError(f"the query needed more memory than the {settings.query_memory_limit / 2**30:g} GiB a "
                      "query may use (query_memory_limit)")


def _exit_name(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"
