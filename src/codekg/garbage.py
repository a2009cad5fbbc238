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
