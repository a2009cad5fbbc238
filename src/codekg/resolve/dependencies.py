"""What each file's resolution read from the symbol index, so an incremental run knows whom a change affects.

Resolving one file reads other files' symbols, global short names and module names. Every such read
is recorded as a key while that file is resolved: ``("file", path)`` (including a probe for a file that
does not exist), ``("name", family, name)`` and ``("module", family, name)``. When a change alters the
value behind a key, every file that read it is resolved again; a file none of whose keys changed would
resolve exactly as before. Caches shared between files (class hierarchies, import tables) keep the
keys read while filling an entry and replay them on every hit, so no read escapes the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

DependencyKey = tuple[str, ...]
K = TypeVar("K")
V = TypeVar("V")


class DependencyRecorder:
    """A stack of key sets: reads go to every open frame (a cache entry's frame nests in a file's)."""

    def __init__(self) -> None:
        self._frames: list[set[DependencyKey]] = []
        # per open frame, the cache entries' key sets already replayed into it, by identity (each held,
        # so no other set takes its id while the frame is open)
        self._replayed: list[dict[int, frozenset[DependencyKey]]] = []

    def record(self, key: DependencyKey) -> None:
        for frame in self._frames:
            frame.add(key)

    def replay(self, keys: frozenset[DependencyKey]) -> None:
        """Add a cache entry's keys to every open frame that has not taken them yet: a file hits the
        same entries (a class's ancestry, a module's imports) at every call, and on sympy the copies
        came to 88 million keys (docs/benchmarks.md §32)."""
        for frame, replayed in zip(self._frames, self._replayed):
            if id(keys) not in replayed:
                replayed[id(keys)] = keys
                frame.update(keys)

    @contextmanager
    def frame(self) -> Iterator[set[DependencyKey]]:
        """Collect the keys read inside the block (they are also recorded in the enclosing frames)."""
        keys: set[DependencyKey] = set()
        self._frames.append(keys)
        self._replayed.append({})
        try:
            yield keys
        finally:
            self._frames.pop()
            self._replayed.pop()


class RecordedCache(Generic[K, V]):
    """A memo whose entries carry the keys read while computing them."""

    def __init__(self, recorder: DependencyRecorder) -> None:
        self._recorder = recorder
        self._values: dict[K, V] = {}
        self._keys: dict[K, frozenset[DependencyKey]] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        if key in self._keys:
            self._recorder.replay(self._keys[key])
            return self._values[key]
        with self._recorder.frame() as read:
            value = compute()
        self._values[key], self._keys[key] = value, frozenset(read)
        return value

    def forget(self, key: K) -> None:
        """Drop an entry whose value was computed from a partial answer (a cycle cut short)."""
        self._values.pop(key, None)
        self._keys.pop(key, None)


UNLOADED: Any = object()
"""A RecordedDict value that its loader fills in on first lookup (the key itself is known)."""


class RecordedDict(dict[K, V]):
    """A dict whose lookups (``[]``, ``get``, ``in``) are recorded as ``(kind, *key)``.

    Values may be UNLOADED: the ``loader`` computes them on first lookup, so an incremental run only
    reads from disk what its resolution actually looks at.
    """

    __slots__ = ("_recorder", "_kind", "_loader")

    def __init__(self, recorder: DependencyRecorder, kind: str, loader: Callable[[K], V] | None = None) -> None:
        super().__init__()
        self._recorder = recorder
        self._kind = kind
        self._loader = loader

    def _key(self, key: object) -> DependencyKey:
        return (self._kind, *key) if isinstance(key, tuple) else (self._kind, str(key))

    def __getitem__(self, key: K) -> V:
        self._recorder.record(self._key(key))
        return self._loaded(key, super().__getitem__(key))

    def get(self, key: K, default: Any = None) -> Any:  # type: ignore[override]
        self._recorder.record(self._key(key))
        if not super().__contains__(key):
            return default
        return self._loaded(key, super().__getitem__(key))

    def __contains__(self, key: object) -> bool:
        self._recorder.record(self._key(key))
        return super().__contains__(key)

    def unrecorded(self, key: K) -> V:
        """The value, loading it if needed, without recording a read (for building derived tables)."""
        return self._loaded(key, super().__getitem__(key))

    def _loaded(self, key: K, value: V) -> V:
        if value is UNLOADED:
            assert self._loader is not None, "an UNLOADED value needs a loader"
            value = self._loader(key)
            super().__setitem__(key, value)
        return value
