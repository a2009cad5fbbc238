"""Keep the index directory out of `git status`.

Its path goes to the repository's own exclude file (`git rev-parse --git-path info/exclude`: per
clone, never committed, worktrees included), never to the user's `.gitignore`. Written by every full
build, so the first index of a repository does it; a line already there is left as it is.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def exclude_index_directory(repo: Path, db_dir: Path) -> None:
    """Add ``db_dir`` (when it lies inside the work tree ``repo``) to git's exclude file. Any failure
    (no git, a read-only `.git`) is logged and leaves the run alone: it is a courtesy."""
    try:
        relative = db_dir.resolve().relative_to(repo.resolve())
    except (OSError, ValueError):
        return  # outside the work tree: git never sees it
    if not relative.parts:
        return
    line = f"/{relative.as_posix()}/"
    try:
        found = subprocess.run(["git", "-C", str(repo), "rev-parse", "--git-path", "info/exclude"],
                               capture_output=True, text=True, timeout=30, check=True).stdout.strip()
        exclude = Path(found) if Path(found).is_absolute() else repo / found
        existing = exclude.read_text(encoding="utf-8") if exclude.is_file() else ""
        if line in existing.splitlines():
            return
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as out:
            out.write(("" if not existing or existing.endswith("\n") else "\n") + line + "\n")
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError) as error:
        log.debug("could not add %s to git's exclude file: %s", line, error)
