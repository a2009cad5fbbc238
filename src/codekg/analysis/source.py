"""Read source text of the indexed repository, never anything outside it.

Takes: the repository root and a repository-relative path as the graph stores it (or as a request
names it). Returns: the file's bytes or a capped line range of its text. A path that is absolute,
climbs out with `..`, or resolves through a symlink to a place outside the root is refused with
`OutsideRootError` before anything is opened; so is a path that does not name a regular file.
"""

from __future__ import annotations

import hashlib

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codekg.errors import InputError
from codekg.file_names import escaped_name

SNIPPET_MAX_LINES = 40


class OutsideRootError(InputError):
    """A path that resolves outside the repository root, or to no regular file inside it."""


def resolve_inside(repo_root: Path, relative_path: str) -> Path:
    """The real path of ``relative_path`` under ``repo_root``, after following every symlink and `..`."""
    root = repo_root.resolve()
    if not relative_path or Path(relative_path).is_absolute():
        raise OutsideRootError(f"refused to read {relative_path!r}: not a path relative to the repository root")
    real = (root / relative_path).resolve()
    if not real.exists():  # a file name that is not UTF-8 is stored escaped
        real = (root / escaped_name(relative_path)).resolve()
    if not real.is_relative_to(root):
        raise OutsideRootError(f"refused to read {relative_path!r}: it resolves outside the repository root")
    if not real.is_file():
        raise OutsideRootError(f"cannot read {relative_path!r}: not a regular file under the repository root")
    return real


def read_source_bytes(repo_root: Path, relative_path: str) -> bytes:
    return resolve_inside(repo_root, relative_path).read_bytes()


@dataclass(frozen=True, slots=True)
class Snippet:
    """Lines ``start_line..end_line`` of a file (1-based, inclusive), or why they were not read."""

    file_path: str
    start_line: int
    end_line: int
    text: str
    truncated: bool
    error: str = ""
    changed: bool = False  # the file is no longer what was indexed: the lines may not be the symbol's

    def to_dict(self) -> dict[str, Any]:
        return {"file_path": self.file_path, "start_line": self.start_line, "end_line": self.end_line,
                "text": self.text, "truncated": self.truncated, "error": self.error, "changed": self.changed}


def read_snippet(repo_root: Path, file_path: str, start_line: int, end_line: int,
                 max_lines: int = SNIPPET_MAX_LINES, indexed_hash: str = "") -> Snippet:
    """Lines ``start_line..end_line``, at most ``max_lines`` of them; a refused or unreadable file is an
    empty snippet whose ``error`` says why (the caller reports it instead of failing). With the
    file's ``indexed_hash`` (its File node's `content_hash`), ``changed`` says the file was edited
    since: the index's line numbers may point elsewhere."""
    if not file_path or start_line < 1:
        return Snippet(file_path, 0, 0, "", False, "no source location")
    try:
        data = read_source_bytes(repo_root, file_path)
    except OutsideRootError as error:
        return Snippet(file_path, 0, 0, "", False, str(error))
    except OSError as error:
        return Snippet(file_path, 0, 0, "", False, f"cannot read {file_path!r}: {error.strerror or error}")
    lines = data.decode("utf-8", "replace").splitlines()
    if start_line > len(lines):
        return Snippet(file_path, 0, 0, "", False,
                       f"{file_path} has {len(lines)} lines, the index says line {start_line}: the index is stale")
    last = min(max(end_line, start_line), len(lines))
    shown_last = min(last, start_line + max_lines - 1)
    text = "\n".join(lines[start_line - 1 : shown_last])
    changed = bool(indexed_hash) and hashlib.sha256(data).hexdigest() != indexed_hash
    return Snippet(file_path, start_line, shown_last, text, shown_last < last, changed=changed)
