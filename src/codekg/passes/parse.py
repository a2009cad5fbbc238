"""Parse pass: run each file through its language's extractor, reusing cached records.

Takes: the scanned source files and, optionally, the parse cache and the limits of a worker pool.
Returns: one FileParse per file that could be read, in the order given, and a SkippedFile for each
that could not. Extraction is pure given the file's bytes, so records are cached by content; the
first cache hits of each run are re-parsed and compared, and a cache that disagrees is cleared.
Cache lookups happen in this process; the misses go to worker processes (passes/parse_pool.py), so
the per-file parse timeout holds and a signal is heard within POLL_SECONDS however long an
extractor runs: a pool for POOL_MIN_FILES or more, else one forked worker that parses them in
turn. Measured on fastapi (54 files, a shared 2-core machine): the fork and the record's way back
cost 10-40 ms for one file (exceptions.py 2 ms in process, 9-14 ms in the worker; routing.py, 4,500
lines, 80-90 ms and 100-135 ms), where a pool costs ~105 ms; a one-file-edit `codekg index` took
0.3-0.85 s inside and 0.9-1.8 s wall both before and after the change, in the noise of the machine.
The first INTEGRITY_SAMPLE cache hits are re-parsed in the workers too, so with pool limits this
process never runs an extractor.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from codekg.interrupts import raise_if_interrupted
from codekg.languages import EXTRACTORS
from codekg.languages.base import EXTRACTION
from codekg.metrics import ACTIVE_WORKERS, FILES_PER_SECOND
from codekg.parse_cache import INTEGRITY_SAMPLE, ParseCache, cache_key
from codekg.ontology.mentions import code_mentions
from codekg.passes.parse_pool import PoolLimits, PoolRun, SerialRun
from codekg.passes.scan import SkippedFile, SourceFile
from codekg.records import PACKED_LISTS, FileParse, pack_lists, release_lists

log = logging.getLogger(__name__)

# Fewer cache misses than this are parsed by one forked worker instead of a pool: starting and joining
# a pool costs about 0.1 s, the parse time of some 15 average files, a fork some 7 ms.
POOL_MIN_FILES = 16


@dataclass(slots=True)
class ParseResult:
    parses: list[FileParse] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    cache_hits: int = 0
    cache_misses: int = 0
    cache_integrity_failures: int = 0
    cache_enabled: bool = False
    cache_rebuilt: str = ""  # why the cache file was rebuilt this run, if it was
    parsed_ahead: int = 0  # records handed in by the caller (a sync's parse workers), not looked up


def extract_source(path: str, language: str, source: bytes, content_hash: str = "") -> FileParse:
    """The parse record of ``source``: the extractor's output plus content facts."""
    parsed = EXTRACTORS[language].extract(path, source)
    parsed.content_hash = content_hash or hashlib.sha256(source).hexdigest()
    parsed.size_bytes = len(source)
    if EXTRACTORS[language].defines_module:  # code: the IRIs and CURIEs it writes (a page reads its own)
        parsed.mentions = code_mentions(source)
    if parsed.encoding.startswith("utf-8"):  # another codec (a Python coding cookie) was the extractor's to check
        try:
            source.decode("utf-8")
        except UnicodeDecodeError:
            parsed.invalid_utf8 = True
    return parsed


def read_source(root: Path, source_file: SourceFile) -> bytes | SkippedFile:
    try:
        source = source_file.location(root).read_bytes()
    except OSError as error:
        return SkippedFile(source_file.path, f"unreadable: {error.strerror or error}")
    if b"\0" in source:
        return SkippedFile(source_file.path, "binary file")
    return source


def parse_source_file(root: Path, source_file: SourceFile) -> FileParse | SkippedFile:
    """Read and parse one file. What a pool worker runs: it takes a path, not bytes, so only paths
    and records cross the process boundary. An extractor's exception skips the file, not the run."""
    source = read_source(root, source_file)
    if isinstance(source, SkippedFile):
        return source
    try:
        return extract_source(source_file.path, source_file.language, source)
    except Exception as error:  # noqa: BLE001 - one bad file must never abort the run
        return _extractor_failed(source_file, error)


def parse_in_worker(root: Path, source_file: SourceFile) -> FileParse | SkippedFile:
    """parse_source_file for a worker process: the lists the resolve pass reads file by file travel
    packed (records.PACKED_LISTS), so the parent unpickles each only when it reads it, and holds it
    packed until then."""
    parsed = parse_source_file(root, source_file)
    if isinstance(parsed, FileParse):
        pack_lists(parsed)
    return parsed


def parse_files(
    root: Path,
    files: list[SourceFile],
    on_progress: Callable[[int], None] | None = None,
    cache: ParseCache | None = None,
    *,
    pool: PoolLimits | None = None,
    flow: bool = True,
    sql_dialect: str = "ansi",
    sql_folder_dialects: dict[str, str] | None = None,
    parsed_ahead: dict[str, FileParse] | None = None,
    meanwhile: Callable[[], None] | None = None,
) -> ParseResult:
    """Parse ``files``; ``parses`` keep their order whoever parsed them. ``on_progress`` is told after
    each file. With ``pool``, cache misses are parsed in worker processes under its per-file timeout:
    a pool when there are at least POOL_MIN_FILES of them, else one forked worker. Without ``pool``
    (tests, cache verification) they are parsed in this process, where no timeout applies. ``flow``:
    whether the records carry value-flow facts (the `value_flow` setting); ``sql_dialect`` and
    ``sql_folder_dialects``: the SQL dialect settings (languages/base.py, ExtractionSwitches).
    ``parsed_ahead``: records parsed this run already (sync/workers.py), by path; one is taken, and
    removed from the mapping, when the file's bytes still hash as its record says. ``meanwhile`` is
    called once: while one forked worker parses (an incremental run's few files), else after the parse.
    Only a single worker overlaps it: a pool may fork a replacement from its own thread at any time."""
    result = ParseResult()
    once = _Once(meanwhile)
    started = time.perf_counter()
    ACTIVE_WORKERS.set(1)
    set_extraction_switches(flow, sql_dialect, sql_folder_dialects)  # before any worker is forked
    try:
        _parse_all(root, files, on_progress or (lambda amount: None), cache, pool, result, parsed_ahead or {}, once)
    finally:
        ACTIVE_WORKERS.set(0)
    once()
    FILES_PER_SECOND.set(round(len(files) / max(time.perf_counter() - started, 1e-9), 1))
    return result


def set_extraction_switches(flow: bool, sql_dialect: str, sql_folder_dialects: dict[str, str] | None) -> None:
    """What the extractors emit (languages/base.py, ExtractionSwitches), part of each cache key."""
    EXTRACTION.flow_facts = flow
    EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = sql_dialect, dict(sql_folder_dialects or {})


def _parse_all(
    root: Path, files: list[SourceFile], on_progress: Callable[[int], None], cache: ParseCache | None,
    pool: PoolLimits | None, result: ParseResult, parsed_ahead: dict[str, FileParse], meanwhile: _Once,
) -> None:
    """The records handed in and the cache lookups first, all in this process (so no tree-sitter
    parse runs here while workers are forked), then the misses and the run's first INTEGRITY_SAMPLE
    hits, in workers (in this process only without pool limits); a re-parsed hit is compared with its
    cached record. When a sample disagrees, the cache is cleared and every other hit it gave this run
    is parsed again."""
    outcomes: list[FileParse | SkippedFile | None] = [None] * len(files)
    to_parse: list[int] = []
    accepted_hits: list[int] = []  # cache hits taken without a re-parse
    samples: dict[int, tuple[str, FileParse]] = {}  # position: the cache key and record of a hit to check
    for position, source_file in enumerate(files):
        raise_if_interrupted()
        outcome, key = _handed(root, source_file, parsed_ahead, result), ""
        if outcome is None and cache is not None:
            outcome, key = _cached(root, source_file, cache, result)
        if isinstance(outcome, FileParse) and key and result.cache_hits <= INTEGRITY_SAMPLE:
            samples[position] = (key, outcome)
        if outcome is None or position in samples:
            to_parse.append(position)
        else:
            if isinstance(outcome, FileParse):
                accepted_hits.append(position)
            outcomes[position] = outcome
            on_progress(1)
    _parse_into(root, files, to_parse, pool, cache, outcomes, on_progress, samples, result, meanwhile)
    if result.cache_integrity_failures and accepted_hits:
        _parse_into(root, files, accepted_hits, pool, cache, outcomes, lambda amount: None, {}, result, meanwhile)
    for outcome, source_file in zip(outcomes, files):
        if isinstance(outcome, FileParse):
            outcome.mtime_ns = source_file.mtime_ns
            result.parses.append(outcome)
        elif outcome is not None:
            result.skipped.append(outcome)


def _parse_into(
    root: Path, files: list[SourceFile], positions: list[int], pool: PoolLimits | None, cache: ParseCache | None,
    outcomes: list[FileParse | SkippedFile | None], on_progress: Callable[[int], None],
    samples: dict[int, tuple[str, FileParse]], result: ParseResult, meanwhile: _Once,
) -> None:
    """Parse the files at ``positions`` into ``outcomes``: a sampled hit is checked against its
    record, any other parse is cached."""
    for index, outcome in _parse_misses(root, [files[p] for p in positions], pool, meanwhile):
        position = positions[index]
        if cache is not None and position in samples:
            outcome = _checked(files[position], samples[position], outcome, cache, result)
        elif cache is not None and isinstance(outcome, FileParse):
            # keyed by the hash of the bytes the worker parsed, which may be newer than the lookup's
            cache.put(parse_cache_key(files[position], outcome.content_hash), outcome)
            release_lists(outcome, PACKED_LISTS)  # written out whole; packed again until the resolve pass
        outcomes[position] = outcome
        on_progress(1)


def _parse_misses(
    root: Path, files: list[SourceFile], pool: PoolLimits | None, meanwhile: _Once
) -> Iterator[tuple[int, FileParse | SkippedFile]]:
    if pool is not None and files:
        run = (PoolRun(parse_in_worker, root, files, pool) if len(files) >= POOL_MIN_FILES
               else SerialRun(parse_in_worker, root, files, pool, meanwhile))
        with closing(iter(run)) as outcomes:
            yield from outcomes
        return
    for position, source_file in enumerate(files):
        yield position, parse_source_file(root, source_file)
        raise_if_interrupted()


class _Once:
    """``work`` on the first call, nothing on later ones."""

    def __init__(self, work: Callable[[], None] | None) -> None:
        self._work = work

    def __call__(self) -> None:
        work, self._work = self._work, None
        if work is not None:
            work()


def _handed(root: Path, source_file: SourceFile, parsed_ahead: dict[str, FileParse], result: ParseResult) -> FileParse | None:
    """The record parsed ahead for this file, when its bytes are still the ones parsed."""
    record = parsed_ahead.pop(source_file.path, None)
    if record is None:
        return None
    source = read_source(root, source_file)
    if isinstance(source, SkippedFile) or hashlib.sha256(source).hexdigest() != record.content_hash:
        return None
    result.parsed_ahead += 1
    return record


def _cached(
    root: Path, source_file: SourceFile, cache: ParseCache, result: ParseResult
) -> tuple[FileParse | SkippedFile | None, str]:
    """The file's cached record, a SkippedFile, or None on a cache miss; and its cache key."""
    source = read_source(root, source_file)
    if isinstance(source, SkippedFile):
        return source, ""
    key = parse_cache_key(source_file, hashlib.sha256(source).hexdigest())
    cached = cache.get(key, source_file.path)
    if cached is None:
        result.cache_misses += 1
        return None, key
    result.cache_hits += 1
    return cached, key


def _checked(
    source_file: SourceFile, sample: tuple[str, FileParse], fresh: FileParse | SkippedFile, cache: ParseCache,
    result: ParseResult,
) -> FileParse | SkippedFile:
    """A cache hit's record after its re-parse: the cached one when they agree or the re-parse
    failed; else the fresh one, and a cache that disagrees is cleared."""
    key, cached = sample
    if fresh == cached:
        return cached
    if not isinstance(fresh, FileParse):
        return cached  # the check's re-parse timed out or crashed: that says nothing against the record
    if fresh.content_hash != cached.content_hash:  # the file changed after the lookup: a plain miss
        cache.put(parse_cache_key(source_file, fresh.content_hash), fresh)
        return fresh
    result.cache_integrity_failures += 1
    log.warning("parse cache entry for %s disagrees with a fresh parse; clearing the cache", source_file.path)
    cache.clear()
    cache.put(key, fresh)
    return fresh


def parse_cache_key(source_file: SourceFile, content_hash: str) -> str:
    """The cache key of ``source_file``'s record when its bytes hash to ``content_hash``."""
    version = EXTRACTORS[source_file.language].version + EXTRACTION.cache_suffix(source_file.path)
    return cache_key(content_hash, source_file.language, version, source_file.path)


def _extractor_failed(source_file: SourceFile, error: Exception) -> SkippedFile:
    return SkippedFile(source_file.path, f"extractor failed: {type(error).__name__}: {error}")


@dataclass(slots=True)
class CacheVerification:
    checked: int = 0  # entries re-parsed from the repository's current files and compared
    mismatched: list[str] = field(default_factory=list)  # paths whose cached record differs


def verify_parse_cache(cache: ParseCache, root: Path, files: list[SourceFile], flow: bool = True,
                       sql_dialect: str = "ansi", sql_folder_dialects: dict[str, str] | None = None) -> CacheVerification:
    """Re-parse every file of ``files`` that has a cache entry and compare the records (parsed with
    value-flow facts or without, as ``flow`` says)."""
    report = CacheVerification()
    EXTRACTION.flow_facts = flow
    EXTRACTION.sql_dialect, EXTRACTION.sql_folder_dialects = sql_dialect, dict(sql_folder_dialects or {})
    keys = cache.keys()
    for source_file in files:
        source = read_source(root, source_file)
        if isinstance(source, SkippedFile):
            continue
        key = parse_cache_key(source_file, hashlib.sha256(source).hexdigest())
        if key not in keys:
            continue
        report.checked += 1
        if cache.get(key, source_file.path, count=False) != extract_source(source_file.path, source_file.language, source):
            report.mismatched.append(source_file.path)
    return report
