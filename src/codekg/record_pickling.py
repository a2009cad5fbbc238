"""Pickling slotted dataclasses as their constructor's arguments: records cross a process boundary
(from parse workers) and are stored per file in the index state, by the hundred thousand."""

from __future__ import annotations

from dataclasses import fields
from operator import attrgetter
from typing import TypeVar

RecordType = TypeVar("RecordType", bound=type)


def pickled_by_position(record_type: RecordType) -> RecordType:
    """Make a slotted dataclass pickle as its constructor's arguments. Records cross a process
    boundary by pickle (from parse workers, by the hundred thousand); the state functions
    `dataclass(slots=True)` generates build a list through `dataclasses.fields` for every object,
    which made sending them 2.5x slower and a third larger."""
    values = attrgetter(*(item.name for item in fields(record_type)))  # two fields or more: a tuple

    def __reduce__(self: object) -> tuple[type, tuple]:
        return record_type, values(self)

    record_type.__reduce__ = __reduce__  # type: ignore[method-assign]
    return record_type
