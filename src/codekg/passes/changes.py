"""Changes pass: which scanned files differ from the ones the live index was built from.

Takes: the scan and the saved index state. Returns: the added, changed, deleted and unchanged
paths. A file whose size and modification time match the state, and that was not modified in the
second before the state was saved, is trusted unchanged without being read; any other file is
hashed, so touching a file without changing it costs a hash, never a re-parse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from codekg.index_state import FileStat
from codekg.passes.scan import ScanResult, SourceFile

RACY_WINDOW_NS = 1_000_000_000  # a file written this close to the state's save may have changed unseen


@dataclass(slots=True)
class ChangeSet:
    added: list[SourceFile] = field(default_factory=list)
    changed: list[SourceFile] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: list[SourceFile] = field(default_factory=list)
    # unchanged files whose stat moved (touched, or checked out again): the state takes the new stat
    restamped: dict[str, FileStat] = field(default_factory=dict)

    @property
    def to_parse(self) -> list[SourceFile]:
        return sorted(self.added + self.changed, key=lambda f: f.path)

    @property
    def touched_paths(self) -> set[str]:
        return {f.path for f in self.added} | {f.path for f in self.changed} | set(self.deleted)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.deleted)


def detect_changes(
    scan: ScanResult, known: dict[str, FileStat], unparsed: dict[str, tuple[FileStat, str]], saved_at_ns: int
) -> ChangeSet:
    """Compare the scan with the files (and the unparsable files) the live index was built from."""
    changes = ChangeSet()
    previous_stats = {**known, **{path: entry[0] for path, entry in unparsed.items()}}
    for source_file in scan.files:
        previous = previous_stats.get(source_file.path)
        if previous is None:
            changes.added.append(source_file)
            continue
        stat_matches = previous.size_bytes == source_file.size_bytes and previous.mtime_ns == source_file.mtime_ns
        if stat_matches and source_file.mtime_ns < saved_at_ns - RACY_WINDOW_NS:
            changes.unchanged.append(source_file)
            continue
        if file_content_hash(source_file.location(scan.root)) == previous.content_hash:
            changes.unchanged.append(source_file)
            if not stat_matches:
                changes.restamped[source_file.path] = FileStat(previous.content_hash, source_file.size_bytes, source_file.mtime_ns)
        else:
            changes.changed.append(source_file)
    scanned = {f.path for f in scan.files}
    changes.deleted = sorted(path for path in previous_stats if path not in scanned)
    return changes


def file_content_hash(path: Path) -> str:
    """The SHA-256 of the file's bytes, or "" when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""  # unreadable now: treat as changed, and the parse pass reports why
