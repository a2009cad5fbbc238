"""Change detection: stat first, content hash when the stat cannot be trusted."""

from __future__ import annotations

import hashlib
import os
import time

from codekg.index_state import FileStat
from codekg.passes.changes import RACY_WINDOW_NS, detect_changes
from codekg.passes.scan import scan_repository
from codekg.settings import load_settings


def stat_of(path) -> FileStat:
    info = path.stat()
    return FileStat(hashlib.sha256(path.read_bytes()).hexdigest(), info.st_size, info.st_mtime_ns)


def test_added_changed_deleted_unchanged_and_touched(tmp_path):
    for name, text in {"same.py": "a = 1\n", "edit.py": "b = 1\n", "touch.py": "c = 1\n", "gone.py": "d = 1\n"}.items():
        (tmp_path / name).write_text(text)
    old = time.time_ns() - 10 * RACY_WINDOW_NS
    for name in ("same.py", "edit.py", "touch.py", "gone.py"):
        os.utime(tmp_path / name, ns=(old, old))
    known = {name: stat_of(tmp_path / name) for name in ("same.py", "edit.py", "touch.py", "gone.py")}
    (tmp_path / "edit.py").write_text("b = 2\n")
    (tmp_path / "touch.py").touch()  # new mtime, same bytes
    (tmp_path / "gone.py").unlink()
    (tmp_path / "new.py").write_text("e = 1\n")
    scan = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    changes = detect_changes(scan, known, {}, saved_at_ns=time.time_ns())
    assert [f.path for f in changes.added] == ["new.py"]
    assert [f.path for f in changes.changed] == ["edit.py"]
    assert changes.deleted == ["gone.py"]
    assert sorted(f.path for f in changes.unchanged) == ["same.py", "touch.py"]
    assert list(changes.restamped) == ["touch.py"] and changes.restamped["touch.py"].content_hash == known["touch.py"].content_hash
    assert changes.touched_paths == {"new.py", "edit.py", "gone.py"}


def test_a_file_written_just_before_the_state_was_saved_is_hashed_not_trusted(tmp_path):
    target = tmp_path / "racy.py"
    target.write_text("x = 1\n")
    known = {"racy.py": stat_of(target)}
    mtime = target.stat().st_mtime_ns
    target.write_text("x = 2\n")  # same size; force the old mtime back: only the content tells
    os.utime(target, ns=(mtime, mtime))
    scan = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    assert [f.path for f in detect_changes(scan, known, {}, saved_at_ns=mtime + 1).changed] == ["racy.py"]
    # long after the save, a matching stat is trusted without reading the file
    assert detect_changes(scan, known, {}, saved_at_ns=mtime + 10 * RACY_WINDOW_NS).changed == []


def test_an_unparsable_file_is_known_too(tmp_path):
    (tmp_path / "bad.py").write_text("x = 1\n")
    old = time.time_ns() - 10 * RACY_WINDOW_NS
    os.utime(tmp_path / "bad.py", ns=(old, old))
    scan = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    changes = detect_changes(scan, {}, {"bad.py": (stat_of(tmp_path / "bad.py"), "extractor failed")}, time.time_ns())
    assert not changes and [f.path for f in changes.unchanged] == ["bad.py"]
