"""The dead-letter file: records a server store would not take, kept for `codekg store replay-failed`.

`<db>/failed_ingestion.jsonl`, one JSON object per line:
`{"at", "store", "operation", "table", "row", "reason"}`. ``operation`` is one of the batch writer's
operations (`merge-nodes`, `merge-edges`, `delete-nodes`, `delete-edges`) or `resync`: the store missed
a whole write (it was down after every retry) and must be rebuilt from the primary store. ``store`` is
the store URI without credentials. Appends are flushed and fsynced line by line, so a crash loses at
most the line being written.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

DEAD_LETTER_FILE = "failed_ingestion.jsonl"
RESYNC = "resync"


@dataclass(slots=True)
class FailedRecord:
    store: str
    operation: str
    table: str
    row: Any
    reason: str
    at: str = ""

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "at": self.at or _now()}, sort_keys=True, default=str)


class DeadLetterFile:
    """Appends failed records to, and reads them back from, one JSONL file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.appended = 0

    @classmethod
    def in_index(cls, db_dir: Path) -> "DeadLetterFile":
        return cls(db_dir / DEAD_LETTER_FILE)

    def append(self, records: list[FailedRecord]) -> None:
        if not records:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as handle:
            for record in records:
                handle.write(record.to_json() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.appended += len(records)

    def read(self) -> list[FailedRecord]:
        """Every record; a line that is not a record (a torn last line) is skipped."""
        try:
            lines = self.path.read_text("utf-8").splitlines()
        except FileNotFoundError:
            return []
        records = []
        for line in lines:
            try:
                data = json.loads(line)
                records.append(FailedRecord(data["store"], data["operation"], data["table"], data["row"], data["reason"], data.get("at", "")))
            except (ValueError, KeyError, TypeError):
                continue
        return records

    def replace(self, records: list[FailedRecord]) -> None:
        """Rewrite the file with ``records`` (those a replay could not write), atomically."""
        if not records:
            self.path.unlink(missing_ok=True)
            return
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text("".join(r.to_json() + "\n" for r in records), "utf-8")
        os.replace(temporary, self.path)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
