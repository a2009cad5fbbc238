"""Where a sync stands, written atomically (a temporary file renamed over the last one), so a sync
killed at any point resumes from its last checkpoint.

A checkpoint names the sync, the remote commit, when it started and was last saved, and the counts
(total, processed, failed, pending); `written` maps every file of the work tree to the blob it holds,
so a resume writes only what is not there yet and a later sync only what changed."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

CHECKPOINT_FILE = "checkpoint.json"


@dataclass(slots=True)
class Checkpoint:
    sync_id: str
    source: str
    branch: str
    commit: str
    started: str
    last_checkpoint: str = ""
    phase: str = "write"  # "write" (files being written), "index", "done"
    total: int = 0
    processed: int = 0
    failed: int = 0
    pending: int = 0
    written: dict[str, str] = field(default_factory=dict)  # path -> blob SHA-1 in the work tree
    failures: dict[str, str] = field(default_factory=dict)  # path -> why it could not be written

    def save(self, directory: Path) -> None:
        target = directory / CHECKPOINT_FILE
        temporary = target.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as out:
            json.dump(asdict(self), out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, target)

    @classmethod
    def load(cls, directory: Path) -> "Checkpoint | None":
        try:
            data = json.loads((directory / CHECKPOINT_FILE).read_text("utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError):
            return None  # none yet, or unreadable: the sync starts over (the work tree is checked by blob)
