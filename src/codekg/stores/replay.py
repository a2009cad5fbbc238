"""`codekg store replay-failed`: send the dead-letter file's records again.

Records are taken out of `<db>/failed_ingestion.jsonl` first (renamed aside, so records that fail
again are appended to a fresh file by the same writer that failed them, and a replay that is killed
half-way is picked up by the next one). Per store, in the order they were written:
- a `resync` record (the store missed a whole write) copies the primary store's graph to it, which
  also supersedes that store's row records;
- row records are written again through the batch writer, grouped by operation and table.
A store still unreachable keeps all its records.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from codekg.errors import CodekgError, StoreUnavailableError
from codekg.settings import Settings
from codekg.stores.dead_letter import RESYNC, DeadLetterFile, FailedRecord
from codekg.stores.server_cypher import operation_for
from codekg.stores.uri import parse_store_uri

REPLAYING_SUFFIX = ".replaying"


@dataclass(slots=True)
class StoreReplay:
    store: str
    records: int
    replayed: int = 0
    still_failing: int = 0
    resynced: bool = False
    error: str = ""


@dataclass(slots=True)
class ReplayReport:
    stores: list[StoreReplay] = field(default_factory=list)

    @property
    def still_failing(self) -> int:
        return sum(s.still_failing for s in self.stores)

    def to_dict(self) -> dict[str, Any]:
        return {"stores": [asdict(s) for s in self.stores], "still_failing": self.still_failing}


def replay_failed(db_dir: Path, settings: Settings) -> ReplayReport:
    dead_letter = DeadLetterFile.in_index(db_dir)
    records = _take(dead_letter)
    report = ReplayReport()
    by_store: dict[str, list[FailedRecord]] = defaultdict(list)
    for record in records:
        by_store[record.store].append(record)
    for store, store_records in by_store.items():
        outcome = StoreReplay(store, len(store_records))
        try:
            if any(r.operation == RESYNC for r in store_records):
                _resync(store, db_dir, settings, outcome)
            else:
                _replay_rows(store, store_records, db_dir, settings, outcome)
        except StoreUnavailableError as error:
            outcome.error = str(error)
            dead_letter.append(store_records[outcome.replayed:] if not outcome.resynced else [])
        except (CodekgError, ValueError) as error:  # a bad URI, bad credentials, an unknown table: keep the records
            outcome.error = f"{type(error).__name__}: {error}"
            dead_letter.append(store_records)
        outcome.still_failing = sum(1 for r in dead_letter.read() if r.store == store)
        report.stores.append(outcome)
    (dead_letter.path.parent / (dead_letter.path.name + REPLAYING_SUFFIX)).unlink(missing_ok=True)
    return report


def _take(dead_letter: DeadLetterFile) -> list[FailedRecord]:
    """Every record, moved aside: the leftover of an interrupted replay first, then the live file."""
    aside = DeadLetterFile(dead_letter.path.parent / (dead_letter.path.name + REPLAYING_SUFFIX))
    if dead_letter.path.exists():
        aside.append(dead_letter.read())
        dead_letter.path.unlink()
    return aside.read()


def _resync(store: str, db_dir: Path, settings: Settings, outcome: StoreReplay) -> None:
    from codekg.stores.mirror import mirror_full, primary_graph

    tables, metadata = primary_graph(db_dir, settings)
    result = mirror_full(store, settings, db_dir, tables, metadata)  # records its own failure again
    outcome.resynced = result.ok or not result.error
    outcome.replayed = outcome.records if outcome.resynced else 0
    if result.error:
        outcome.error = result.error


def _replay_rows(store: str, records: list[FailedRecord], db_dir: Path, settings: Settings, outcome: StoreReplay) -> None:
    from codekg.stores import open_server_store

    location = parse_store_uri(store)
    if not location.is_server:
        raise ValueError(f"row records for the embedded store {store} cannot be replayed; re-index instead")
    with open_server_store(location, settings, db_dir) as server:
        server.ensure_keys()
        for (operation, table), group in groupby(records, key=lambda r: (r.operation, r.table)):
            rows = [r.row for r in group]
            server.writer.write(operation_for(operation, table), rows)  # rows rejected again are dead-lettered again
            outcome.replayed += len(rows)
