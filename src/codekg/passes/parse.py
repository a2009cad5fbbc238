"""Parse pass: run each file through its language's extractor.

Takes: the scanned source files. Returns: one FileParse per file that could be read, and a
SkippedFile for each that could not. ``parse_source_file`` is pure given the file's bytes, so
later passes can cache it by content hash and run it in worker processes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from codekg.interrupts import raise_if_interrupted
from codekg.languages import EXTRACTORS
from codekg.passes.scan import SkippedFile, SourceFile
from codekg.records import FileParse


@dataclass(slots=True)
class ParseResult:
    parses: list[FileParse] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)


def parse_source_file(root: Path, source_file: SourceFile) -> FileParse | SkippedFile:
    """Read and extract one file; an unreadable file or a crashing extractor becomes a SkippedFile."""
    try:
        source = (root / source_file.path).read_bytes()
    except OSError as error:
        return SkippedFile(source_file.path, f"unreadable: {error.strerror or error}")
    if b"\0" in source:
        return SkippedFile(source_file.path, "binary file")
    try:
        parsed = EXTRACTORS[source_file.language].extract(source_file.path, source)
    except Exception as error:  # noqa: BLE001 - one bad file must never abort the run
        return SkippedFile(source_file.path, f"extractor failed: {type(error).__name__}: {error}")
    parsed.content_hash = hashlib.sha256(source).hexdigest()
    parsed.size_bytes = len(source)
    try:
        source.decode("utf-8")
    except UnicodeDecodeError:
        parsed.invalid_utf8 = True
    return parsed


def parse_files(
    root: Path, files: list[SourceFile], on_progress: Callable[[int], None] | None = None
) -> ParseResult:
    """Parse ``files`` in order; ``on_progress`` is told after each file."""
    result = ParseResult()
    for source_file in files:
        outcome = parse_source_file(root, source_file)
        if isinstance(outcome, SkippedFile):
            result.skipped.append(outcome)
        else:
            result.parses.append(outcome)
        if on_progress is not None:
            on_progress(1)
        raise_if_interrupted()
    return result
