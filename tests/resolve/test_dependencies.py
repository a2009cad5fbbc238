"""The reads a file's resolution makes are recorded, including those served from a shared cache."""

from __future__ import annotations

from codekg.resolve.dependencies import UNLOADED, DependencyRecorder, RecordedCache, RecordedDict


def test_lookups_are_recorded_in_every_open_frame():
    recorder = DependencyRecorder()
    files = RecordedDict(recorder, "file")
    dict.__setitem__(files, "a.py", "symbols of a")
    names = RecordedDict(recorder, "name")
    with recorder.frame() as outer:
        assert files["a.py"] == "symbols of a"
        with recorder.frame() as inner:
            assert "missing.py" not in files  # a probe for a file that does not exist is a read too
            assert names.get(("python", "helper")) is None
    assert inner == {("file", "missing.py"), ("name", "python", "helper")}
    assert outer == {("file", "a.py")} | inner
    files["b.py"] = "not recorded: writing is not reading"
    assert files.unrecorded("b.py") == "not recorded: writing is not reading"


def test_unloaded_values_are_loaded_once_on_first_lookup():
    loads: list[str] = []
    files = RecordedDict(DependencyRecorder(), "file", loader=lambda path: loads.append(path) or f"loaded {path}")
    dict.__setitem__(files, "a.py", UNLOADED)
    assert "a.py" in files and loads == []
    assert files["a.py"] == "loaded a.py" and files.get("a.py") == "loaded a.py" and loads == ["a.py"]


def test_a_cache_hit_replays_the_reads_made_while_filling_the_entry():
    recorder = DependencyRecorder()
    files = RecordedDict(recorder, "file")
    dict.__setitem__(files, "base.py", "class Base")
    mro = RecordedCache(recorder)
    with recorder.frame() as first_reader:
        assert mro.get("Child", lambda: [files["base.py"]]) == ["class Base"]
    with recorder.frame() as second_reader:
        assert mro.get("Child", lambda: ["never computed twice"]) == ["class Base"]
    assert first_reader == second_reader == {("file", "base.py")}


def test_a_replayed_entry_reaches_every_open_frame_and_each_new_one():
    """A frame takes each cache entry's keys once, however often the entry is hit inside it; a frame
    opened later (or inside it) takes them again."""
    recorder = DependencyRecorder()
    files = RecordedDict(recorder, "file")
    dict.__setitem__(files, "base.py", "class Base")
    dict.__setitem__(files, "mixin.py", "class Mixin")
    mro = RecordedCache(recorder)
    with recorder.frame():
        mro.get("Child", lambda: [files["base.py"], files["mixin.py"]])
    with recorder.frame() as outer:
        for _ in range(3):
            mro.get("Child", list)
        with recorder.frame() as inner:
            mro.get("Child", list)
            assert "other.py" not in files
        mro.get("Child", list)
    with recorder.frame() as later:
        mro.get("Child", list)
    assert inner == {("file", "base.py"), ("file", "mixin.py"), ("file", "other.py")}
    assert outer == inner and later == {("file", "base.py"), ("file", "mixin.py")}
