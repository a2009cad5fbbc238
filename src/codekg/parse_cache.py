"""The parse cache: parse records by file content, kept across runs in one SQLite file.

A record depends only on the file's bytes, its language's extractor (name and version) and its
extension (TSX and TS use different grammars), so that is the key; the path is filled in on read.
Entries unused for ``parse_cache_ttl_days`` are dropped, and the least recently used go first when
the cache holds more than ``parse_cache_max_entries`` entries or ``parse_cache_max_bytes`` bytes.
A file that is not a codekg parse cache, or is corrupt, is rebuilt with a warning, never a crash.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from codekg.metrics import PARSE_CACHE_HITS, PARSE_CACHE_MISSES
from codekg.records import FileParse, file_parse_from_json, file_parse_to_json
from codekg.settings import Settings

log = logging.getLogger(__name__)

CACHE_FORMAT = "codekg-parse-cache"
CACHE_SCHEMA_VERSION = 5  # 2: parse records carry SQL statements; 3: and package manifests; 4: and name uses;
# 5: ontology terms and the IRIs and CURIEs a file mentions
CACHE_FILE_NAME = "parse_cache.sqlite"
INTEGRITY_SAMPLE = 10  # cache hits re-parsed and compared per run
_DAY_SECONDS = 86_400.0


@dataclass(frozen=True, slots=True)
class CacheStats:
    entries: int
    bytes: int
    hits: int  # over the cache's lifetime
    misses: int

    @property
    def hit_rate(self) -> float:
        lookups = self.hits + self.misses
        return round(self.hits / lookups, 4) if lookups else 0.0


def cache_key(content_hash: str, language: str, extractor_version: str, path: str) -> str:
    """What a parse record depends on besides the path: content, extractor, extension."""
    suffix = PurePosixPath(path).suffix.lower()
    return hashlib.sha256(f"{content_hash}\0{language}\0{extractor_version}\0{suffix}".encode()).hexdigest()


def cache_path(settings: Settings, db_dir: Path) -> Path:
    return settings.parse_cache_path or db_dir / CACHE_FILE_NAME


class ParseCache:
    """One open cache file. Writes go into one transaction per run, committed by ``close``."""

    def __init__(self, path: Path, settings: Settings) -> None:
        self.path = path
        self.settings = settings
        self.run_hits = 0
        self.run_misses = 0
        self.rebuilt_reason = ""
        self.disabled = False
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = self._open()
        except sqlite3.DatabaseError as error:
            self._rebuild(f"unreadable ({error})")

    # --- opening ---------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, isolation_level=None)
        try:
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                self._create(connection)
            elif tables != {"entries", "meta"} or self._meta(connection, "format") != CACHE_FORMAT:
                raise sqlite3.DatabaseError("not a codekg parse cache")
            elif self._meta(connection, "schema_version") != str(CACHE_SCHEMA_VERSION):
                raise sqlite3.DatabaseError("written by another codekg version")
            connection.execute("BEGIN")
        except sqlite3.DatabaseError:
            connection.close()
            raise
        return connection

    def _rebuild(self, reason: str) -> None:
        log.warning("parse cache %s is %s; rebuilding it", self.path, reason)
        self.rebuilt_reason = reason
        for leftover in (self.path, self.path.with_name(self.path.name + "-journal")):
            leftover.unlink(missing_ok=True)
        self._connection = self._open()

    @staticmethod
    def _create(connection: sqlite3.Connection) -> None:
        connection.executescript(
            """
            CREATE TABLE entries (
                key TEXT PRIMARY KEY,
                value BLOB NOT NULL,
                size INTEGER NOT NULL,
                created_at REAL NOT NULL,
                last_used REAL NOT NULL,
                schema_version INTEGER NOT NULL
            );
            CREATE INDEX entries_by_use ON entries(last_used);
            CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            """
        )
        connection.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("format", CACHE_FORMAT), ("schema_version", str(CACHE_SCHEMA_VERSION)), ("hits", "0"), ("misses", "0")],
        )

    @staticmethod
    def _meta(connection: sqlite3.Connection, key: str) -> str | None:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # --- use -------------------------------------------------------------------------------------

    def get(self, key: str, path: str, count: bool = True) -> FileParse | None:
        """The cached record for ``key`` with ``path`` filled in, or None (a miss). ``count=False``
        looks without touching the hit/miss counters or the entry's last use (for verification)."""
        if self.disabled:
            self.run_misses += count
            if count:
                PARSE_CACHE_MISSES.inc()
            return None
        try:
            row = self._connection.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError as error:
            self._give_up(error)
            return None
        if row is not None and not self.disabled:
            try:
                parsed = file_parse_from_json(row[0])
            except (ValueError, KeyError, TypeError, IndexError):
                row = None  # an unreadable entry is a miss; put() replaces it
            else:
                if count:
                    self._connection.execute("UPDATE entries SET last_used = ? WHERE key = ?", (time.time(), key))
                    self.run_hits += 1
                    PARSE_CACHE_HITS.inc()
                parsed.path = path
                return parsed
        self.run_misses += count
        if count:
            PARSE_CACHE_MISSES.inc()
        return None

    def put(self, key: str, parsed: FileParse) -> None:
        if self.disabled:
            return
        value = file_parse_to_json(parsed)
        now = time.time()
        try:
            self._connection.execute(
                "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?, ?)",
                (key, value, len(value), now, now, CACHE_SCHEMA_VERSION),
            )
        except sqlite3.OperationalError as error:
            self._give_up(error)

    def commit(self) -> None:
        """Make what was put so far survive a kill (a sync commits at each of its checkpoints)."""
        if self.disabled:
            return
        try:
            self._connection.execute("COMMIT")
            self._connection.execute("BEGIN")
        except sqlite3.OperationalError as error:
            self._give_up(error)

    def _give_up(self, error: sqlite3.Error) -> None:
        """The cache is busy (another run holds it) or broken: parse without it for the rest of the run."""
        if not self.disabled:
            log.warning("parse cache %s unavailable (%s); parsing without it", self.path, error)
        self.disabled = True

    def clear(self) -> None:
        self._connection.execute("DELETE FROM entries")
        self._connection.execute("UPDATE meta SET value = '0' WHERE key IN ('hits', 'misses')")

    def evict(self, now: float | None = None) -> int:
        """Drop expired entries, then least recently used ones beyond the limits. Returns how many."""
        now = time.time() if now is None else now
        cutoff = now - self.settings.parse_cache_ttl_days * _DAY_SECONDS
        removed = self._connection.execute("DELETE FROM entries WHERE last_used < ?", (cutoff,)).rowcount
        count, size = self._connection.execute("SELECT count(*), coalesce(sum(size), 0) FROM entries").fetchone()
        excess_entries = count - self.settings.parse_cache_max_entries
        if excess_entries > 0 or size > self.settings.parse_cache_max_bytes:
            doomed: list[str] = []
            rows = self._connection.execute("SELECT key, size FROM entries ORDER BY last_used, key")
            for key, entry_size in rows:
                if excess_entries <= 0 and size <= self.settings.parse_cache_max_bytes:
                    break
                doomed.append(key)
                excess_entries -= 1
                size -= entry_size
            self._connection.executemany("DELETE FROM entries WHERE key = ?", [(key,) for key in doomed])
            removed += len(doomed)
        return removed

    def stats(self) -> CacheStats:
        count, size = self._connection.execute("SELECT count(*), coalesce(sum(size), 0) FROM entries").fetchone()
        hits = int(self._meta(self._connection, "hits") or 0) + self.run_hits
        misses = int(self._meta(self._connection, "misses") or 0) + self.run_misses
        return CacheStats(count, size, hits, misses)

    def keys(self) -> set[str]:
        return {row[0] for row in self._connection.execute("SELECT key FROM entries")}

    def close(self) -> None:
        """Record this run's counters, enforce the limits and commit."""
        if self.disabled:
            try:
                self._connection.rollback()
            finally:
                self._connection.close()
            return
        stats = self.stats()
        self._connection.executemany(
            "UPDATE meta SET value = ? WHERE key = ?", [(str(stats.hits), "hits"), (str(stats.misses), "misses")]
        )
        self.run_hits = self.run_misses = 0
        self.evict()
        self._connection.execute("COMMIT")
        self._connection.close()


def open_parse_cache(settings: Settings, db_dir: Path) -> ParseCache | None:
    """The run's parse cache, or None when it is switched off or cannot be opened at all (then the
    run parses everything and says why; the index itself reports a bad location on its own)."""
    if not settings.parse_cache:
        return None
    try:
        return ParseCache(cache_path(settings, db_dir), settings)
    except (OSError, sqlite3.Error) as error:
        log.warning("parse cache unavailable (%s); parsing every file", error)
        return None
