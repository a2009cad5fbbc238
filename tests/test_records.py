"""records.py: a PackedList is read as the list it packs, pickles as its packed bytes, and lets its
objects go; a record with packed lists equals, pickles and caches as the plain one."""

from __future__ import annotations

import copy
import pickle

from codekg.passes.parse import extract_source
from codekg.records import OWN_LISTS, PACKED_LISTS, FileParse, PackedList, file_parse_to_json, pack_lists, release_lists

SOURCE = b'''
import os

def read(path: str, mode="r"):
    handle = open(path, mode)
    for line in handle:
        print(line.strip())
    return os.path.basename(path)

class Reader:
    def run(self, items):
        total = [read(item) for item in items]
        return len(total)
'''


def _plain_and_packed() -> tuple[FileParse, FileParse]:
    plain = extract_source("reader.py", "python", SOURCE)
    packed = copy.deepcopy(plain)
    pack_lists(packed)
    return plain, packed


def test_a_packed_record_reads_as_the_plain_one_and_lets_its_objects_go() -> None:
    plain, packed = _plain_and_packed()
    assert {name: len(getattr(plain, name)) for name in PACKED_LISTS} == {"calls": 6, "local_bindings": 8, "uses": 1,
                                                                          "values": 5}
    for name in PACKED_LISTS:
        items: PackedList = getattr(packed, name)
        assert type(items) is PackedList and not items.loaded
        assert len(items) == len(getattr(plain, name)) and not items.loaded  # its length without unpickling
        assert list(items) == getattr(plain, name) and items.loaded
        assert items[0] == getattr(plain, name)[0] and items[-1] == getattr(plain, name)[-1]
        assert items == getattr(plain, name) and getattr(plain, name) == items  # either side of ==
    assert [call.callee for call in packed.calls] == ["open", "print", "strip", "basename", "read", "len"]
    assert [binding.name for binding in packed.local_bindings] == ["path", "mode", "handle", "line", "self", "items",
                                                                   "total", "item"]
    assert [(use.kind, use.name, use.scope, use.line) for use in packed.uses] == [("read", "os.path", ("read",), 8)]
    assert [(value.scope, value.target) for value in packed.values] == [
        (("Reader", "run"), "<return>"), (("read",), "<return>"), (("read",), "handle"), (("read",), "line"),
        (("read",), "path")]
    assert packed == plain
    release_lists(packed)
    assert not any(getattr(packed, name).loaded for name in OWN_LISTS) and packed.values.loaded
    release_lists(packed, ("values",))
    assert not packed.values.loaded
    assert packed.calls == plain.calls  # read again after it was let go


def test_a_packed_record_pickles_as_its_bytes_without_unpickling_them() -> None:
    plain, packed = _plain_and_packed()
    blob = pickle.dumps(packed, 5)
    assert not any(getattr(packed, name).loaded for name in PACKED_LISTS)
    copied = pickle.loads(blob)
    assert all(type(getattr(copied, name)) is PackedList and not getattr(copied, name).loaded for name in PACKED_LISTS)
    assert copied == plain
    assert pickle.loads(pickle.dumps(plain, 5)) == copied


def test_a_packed_record_is_cached_as_the_plain_one() -> None:
    plain, packed = _plain_and_packed()
    assert file_parse_to_json(packed) == file_parse_to_json(plain)


def test_an_empty_list_stays_a_plain_list() -> None:
    parsed = extract_source("empty.py", "python", b"X = 1\n")
    pack_lists(parsed)
    assert parsed.calls == [] and type(parsed.calls) is list and type(parsed.uses) is list
