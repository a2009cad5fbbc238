"""Parse pass: run each file through its language's extractor, reusing cached records.

Takes: the scanned source files and, optionally, the parse cache. Returns: one FileParse per file
that could be read, and a SkippedFile for each that could not. Extraction is pure given the
file's bytes, so records are cached by content; the first cache hits of each run are re-parsed and
compared, and a cache that disagrees is cleared.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codekg.interrupts import raise_if_interrupted
from codekg.languages import EXTRACTORS
from codekg.metrics import ACTIVE_WORKERS, FILES_PER_SECOND
from codekg.parse_cache import INTEGRITY_SAMPLE, ParseCache, cache_key
from codekg.passes.scan import SkippedFile, SourceFile
from codekg.records import FileParse

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ParseResult:
    parses: list[FileParse] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    cache_hits: int = 0
    cache_misses: int = 0
    cache_integrity_failures: int = 0
    cache_enabled: bool = False
    cache_rebuilt: str = ""  # why the cache file was rebuilt this run, if it was


def extract_source(path: str, language: str, source: bytes, content_hash: str = "") -> FileParse:
    """The parse record of ``source``: the extractor's output plus content facts."""
    parsed = EXTRACTORS[language].extract(path, source)
    parsed.content_hash = content_hash or hashlib.sha256(source).hexdigest()
    parsed.size_bytes = len(source)
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        parsed.invalid_utf8 = True
    return parsed


def read_source(root: Path, source_file: SourceFile) -> bytes | SkippedFile:
    try:
        source = (root / source_file.path).read_bytes()
    except OSError as error:
        return SkippedFile(source_file.path, f"unreadable: {error.strerror or error}")
    if b"\0" in source:
        return SkippedFile(source_file.path, "binary file")
    return source


def parse_files(
    root: Path,
    files: list[SourceFile],
    on_progress: Callable[[int], None] | None = None,
    cache: ParseCache | None = None,
) -> ParseResult:
    """Parse ``files`` in order; ``on_progress`` is told after each file."""
    result = ParseResult()
    started = time.perf_counter()
    ACTIVE_WORKERS.set(1)
    try:
        _parse_all(root, files, on_progress, cache, result)
    finally:
        ACTIVE_WORKERS.set(0)
    FILES_PER_SECOND.set(round(len(files) / max(time.perf_counter() - started, 1e-9), 1))
    return result


def _parse_all(
    root: Path, files: list[SourceFile], on_progress: Callable[[int], None] | None, cache: ParseCache | None,
    result: ParseResult,
) -> None:
    for source_file in files:
        source = read_source(root, source_file)
        if isinstance(source, SkippedFile):
            result.skipped.append(source)
        else:
            try:
                result.parses.append(_parse_with_cache(source_file, source, cache, result))
            except Exception as error:  # noqa: BLE001 - one bad file must never abort the run
                result.skipped.append(
                    SkippedFile(source_file.path, f"extractor failed: {type(error).__name__}: {error}")
                )
        if on_progress is not None:
            on_progress(1)
        raise_if_interrupted()


def _parse_with_cache(source_file: SourceFile, source: bytes, cache: ParseCache | None, result: ParseResult) -> FileParse:
    if cache is None:
        return extract_source(source_file.path, source_file.language, source)
    content_hash = hashlib.sha256(source).hexdigest()
    key = cache_key(content_hash, source_file.language, EXTRACTORS[source_file.language].version, source_file.path)
    cached = cache.get(key, source_file.path)
    if cached is not None:
        result.cache_hits += 1
        if result.cache_hits > INTEGRITY_SAMPLE:
            return cached
        fresh = extract_source(source_file.path, source_file.language, source, content_hash)
        if fresh == cached:
            return cached
        result.cache_integrity_failures += 1
        log.warning("parse cache entry for %s disagrees with a fresh parse; clearing the cache", source_file.path)
        cache.clear()
        cache.put(key, fresh)
        return fresh
    result.cache_misses += 1
    parsed = extract_source(source_file.path, source_file.language, source, content_hash)
    cache.put(key, parsed)
    return parsed


@dataclass(slots=True)
class CacheVerification:
    checked: int = 0  # entries re-parsed from the repository's current files and compared
    mismatched: list[str] = field(default_factory=list)  # paths whose cached record differs


def verify_parse_cache(cache: ParseCache, root: Path, files: list[SourceFile]) -> CacheVerification:
    """Re-parse every file of ``files`` that has a cache entry and compare the records."""
    report = CacheVerification()
    keys = cache.keys()
    for source_file in files:
        source = read_source(root, source_file)
        if isinstance(source, SkippedFile):
            continue
        key = cache_key(hashlib.sha256(source).hexdigest(), source_file.language,
                        EXTRACTORS[source_file.language].version, source_file.path)
        if key not in keys:
            continue
        report.checked += 1
        if cache.get(key, source_file.path, count=False) != extract_source(source_file.path, source_file.language, source):
            report.mismatched.append(source_file.path)
    return report
