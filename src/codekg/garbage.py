"""Pausing Python's cyclic garbage collector around work that only allocates.

Deserialising a big parse record or solving the value flow creates millions of small tuples that all
stay alive; each allocation threshold crossed starts a collection that walks the whole (large) heap
and frees nothing. Pausing the collector there made those steps 2-4x faster (docs/benchmarks.md)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collection_paused() -> Iterator[None]:
    """No automatic collection inside the block; the collector's previous state comes back after it."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def give_back_memory() -> None:
    """Collect garbage, then hand the C heap's free pages back to the system (glibc's `malloc_trim`).

    Between passes: the resolve pass frees hundreds of megabytes of small objects, but the allocator
    keeps the pages, and the load and search passes would add their peak on top of them."""
    gc.collect()
    if _malloc_trim is not None:
        _malloc_trim(0)


def _find_malloc_trim():  # type: ignore[no-untyped-def]
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: the pages stay with the process
        return None


_malloc_trim = _find_malloc_trim()
