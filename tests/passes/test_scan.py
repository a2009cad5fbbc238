"""The scan pass on real directory trees: ignores, languages, and every kind of file it must skip."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
from pathlib import Path

import pytest

from codekg.errors import InputError
from codekg.file_names import escaped_name, stored_path
from codekg.passes.scan import scan_repository
from codekg.settings import load_settings


def write(root: Path, path: str, data: str | bytes = "x = 1\n") -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def listed(root: Path, **overrides) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    result = scan_repository(root, load_settings(root, **overrides))
    return [(f.path, f.language) for f in result.files], [(s.path, s.reason) for s in result.skipped]


def test_languages_default_ignores_and_gitignore(tmp_path):
    for path in ["app.py", "web/index.js", "web/view.tsx", "web/types.ts", "web/lib.mjs", "README.md",
                 "node_modules/dep/index.js", ".venv/lib/x.py", "build/out.py", "web/vendor.min.js",
                 "gen/skip_me.py", "web/local.ignored.js", "pkg/__pycache__/m.py"]:
        write(tmp_path, path)
    write(tmp_path, ".gitignore", "gen/\n")
    write(tmp_path, "web/.gitignore", "*.ignored.js\n")
    files, skipped = listed(tmp_path, use_git_ls_files=False)
    assert files == [
        ("README.md", "markdown"),  # a page: ontology blocks and mentions (docs/ontologies.md)
        ("app.py", "python"),
        ("web/index.js", "javascript"),
        ("web/lib.mjs", "javascript"),
        ("web/types.ts", "typescript"),
        ("web/view.tsx", "typescript"),
    ]
    assert skipped == []


@pytest.mark.parametrize("use_git", [False, True])
def test_a_virtual_environment_is_known_by_its_pyvenv_cfg_not_its_name(tmp_path, use_git):
    """A source folder named `env` (axios's `lib/env/`) is code; a folder holding `pyvenv.cfg` (PEP 405)
    is a virtual environment, whatever its name."""
    for path in ["lib/env/data.js", "lib/axios.js", "tools/py311/bin/activate_this.py", "venv/lib/x.py"]:
        write(tmp_path, path)
    write(tmp_path, "tools/py311/pyvenv.cfg", "home = /usr/bin\n")
    if use_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files, skipped = listed(tmp_path, use_git_ls_files=use_git)
    assert files == [("lib/axios.js", "javascript"), ("lib/env/data.js", "javascript")]
    assert skipped == []


def test_git_work_tree_uses_ls_files(tmp_path):
    write(tmp_path, "tracked.py")
    write(tmp_path, "untracked.py")
    write(tmp_path, "secret.py")
    write(tmp_path, ".gitignore", "secret.py\n")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "tracked.py", ".gitignore"], check=True)
    result = scan_repository(tmp_path, load_settings(tmp_path))
    assert result.is_git
    assert [f.path for f in result.files] == ["tracked.py", "untracked.py"]


def test_a_tracked_file_deleted_from_the_work_tree_is_gone_not_unreadable(tmp_path):
    """`rm` before `git rm`: git still lists the file; it is not there, so it is not indexed and
    not reported (the incremental run counts it as deleted)."""
    write(tmp_path, "kept.py")
    write(tmp_path, "removed.py")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "."], check=True)
    (tmp_path / "removed.py").unlink()
    assert listed(tmp_path) == ([("kept.py", "python")], [])


def test_bad_files_are_skipped_with_reasons(tmp_path):
    write(tmp_path, "good.py")
    write(tmp_path, "blob.py", b"\x00\x01\x02binary")
    write(tmp_path, "huge.py", "x = 1\n" * 50)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "outside.py").symlink_to("/etc/hostname")
    (tmp_path / "loop").symlink_to(tmp_path)
    os.mkfifo(tmp_path / "pipe.py")
    write(tmp_path, "qt_fr.ts", '\ufeff<?xml version="1.0"?><!DOCTYPE TS><TS/>')  # Qt Linguist, not TypeScript
    write(tmp_path, "jsx.js", "<div/>;\n")
    files, skipped = listed(tmp_path, use_git_ls_files=False, max_file_size=100)
    assert files == [("good.py", "python"), ("jsx.js", "javascript")]
    assert skipped == [
        ("blob.py", "binary file"),
        ("dangling.py", "symlink to a missing file"),
        ("huge.py", "larger than max_file_size (300 > 100 bytes)"),
        ("loop", "symlink to a directory (not followed)"),
        ("outside.py", "symlink pointing outside the repository"),
        ("pipe.py", "not a regular file"),
        ("qt_fr.ts", "XML, not source code (a Qt .ts translation file, say)"),
    ]


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_bad_roots_are_input_errors(tmp_path, kind):
    target = tmp_path / "nope"
    if kind == "file":
        write(tmp_path, "nope", "x")
    with pytest.raises(InputError) as error:
        scan_repository(target, load_settings(None))
    assert error.value.exit_code == 2
    assert ("does not exist" if kind == "missing" else "not a directory") in str(error.value)


def test_symlink_file_loop_is_skipped(tmp_path):
    write(tmp_path, "ok.py")
    (tmp_path / "a.py").symlink_to(tmp_path / "b.py")
    (tmp_path / "b.py").symlink_to(tmp_path / "a.py")
    files, skipped = listed(tmp_path, use_git_ls_files=False)
    assert files == [("ok.py", "python")]
    assert skipped == [("a.py", "symlink loop"), ("b.py", "symlink loop")]


def git_scan(root: Path) -> list[str]:
    """The files the scan lists once ``root`` is a git work tree: git's own answer, for comparison."""
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    result = scan_repository(root, load_settings(root))
    assert result.is_git
    return [f.path for f in result.files]


def test_gitignore_is_read_as_git_reads_it(tmp_path):
    # Invalid patterns (a bare `!`, a trailing backslash) are dropped with a warning, as git drops them,
    # and so is one Python's regex cannot take (a reversed range, which matches nothing in git);
    # CRLF line ends and a BOM are git's too; a deeper .gitignore overrides a shallower one, and a file
    # under an ignored folder cannot be re-included.
    for path in ["app.py", "a.py", "foo.py", "x.gen.py", "crlf.py", "bang.py", "!bang.py", "sub/keep.gen.py",
                 "sub/drop.gen.py", "lib/inner/x.py", "lib/inner/y.py", "lib/z.py", "ig/a.py"]:
        write(tmp_path, path)
    write(tmp_path, ".gitignore", b"\xef\xbb\xbf!\r\nfoo.py\\\n*.gen.py\r\ncrlf.py\r\n\\!bang.py\nig/\n[\n[z-a].py\n")
    write(tmp_path, "sub/.gitignore", "!keep.gen.py\n")
    write(tmp_path, "lib/.gitignore", "*.py\n!\n")
    write(tmp_path, "lib/inner/.gitignore", "!x.py\n")
    write(tmp_path, "ig/.gitignore", "!a.py\n")
    result = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    expected = ["a.py", "app.py", "bang.py", "foo.py", "lib/inner/x.py", "sub/keep.gen.py"]
    assert [f.path for f in result.files] == expected
    assert result.skipped == []
    assert result.warnings == [
        {"path": ".gitignore", "pass": "scan", "kind": "gitignore", "message": "line 1: invalid pattern '!' ignored, as git does"},
        {"path": ".gitignore", "pass": "scan", "kind": "gitignore", "message": "line 2: invalid pattern 'foo.py\\\\' ignored, as git does"},
        {"path": ".gitignore", "pass": "scan", "kind": "gitignore",
         "message": "line 8: pattern '[z-a].py' not applied: bad character range z-a"},
        {"path": "lib/.gitignore", "pass": "scan", "kind": "gitignore", "message": "line 2: invalid pattern '!' ignored, as git does"},
    ]
    assert git_scan(tmp_path) == expected


@pytest.mark.parametrize("use_git", [False, True])
def test_ignores_reach_into_folders_named_with_a_newline(tmp_path, use_git):
    for path in ["x\ny/a.py", "x\ny/b.py", "x\ny/node_modules/m.js"]:
        write(tmp_path, path)
    write(tmp_path, ".gitignore", "a.py\n")
    if use_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files, skipped = listed(tmp_path)
    assert (files, skipped) == ([("x\ny/b.py", "python")], [])


def test_gitignore_that_is_a_symlink_or_a_folder_is_not_read(tmp_path):
    for path in ["a.py", "sub/a.py", "other/a.py"]:
        write(tmp_path, path)
    write(tmp_path, "rules", "a.py\n")
    (tmp_path / "sub" / ".gitignore").symlink_to("../rules")  # git 2.32+ does not follow it
    (tmp_path / "other" / ".gitignore").mkdir()
    result = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    assert [f.path for f in result.files] == ["a.py", "other/a.py", "sub/a.py"]
    assert result.warnings == [{"path": "sub/.gitignore", "pass": "scan", "kind": "gitignore",
                                "message": "a symbolic link: not read, as git does"}]
    assert git_scan(tmp_path) == ["a.py", "other/a.py", "sub/a.py"]


def make_bytes_file(root: Path, name: bytes, data: bytes = b"def f():\n    return 1\n") -> None:
    descriptor = os.open(os.fsencode(root) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(descriptor, data)
    os.close(descriptor)


@pytest.mark.parametrize("use_git", [False, True])
def test_file_name_that_is_not_utf8_is_indexed_under_its_escaped_name(tmp_path, use_git):
    os.mkdir(os.fsencode(tmp_path) + b"/d\xe9j\xe0")
    make_bytes_file(tmp_path, b"bad_\xff.py")
    make_bytes_file(tmp_path, b"d\xe9j\xe0/m.py")
    write(tmp_path, "ok.py")
    if use_git:
        subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
        subprocess.run(["git", "-C", str(tmp_path), "-c", "core.quotepath=true", "add", "."], check=True)
    result = scan_repository(tmp_path, load_settings(tmp_path))
    assert result.is_git == use_git
    assert [(f.path, f.language) for f in result.files] == [
        ("bad_\\xff.py", "python"), ("d\\xe9j\\xe0/m.py", "python"), ("ok.py", "python")]
    for source_file in result.files:
        source_file.path.encode("utf-8")  # what every store and output needs
        assert source_file.location(result.root).read_bytes() in (b"x = 1\n", b"def f():\n    return 1\n")
    assert result.skipped == []


def test_escaped_name_that_names_another_file_is_skipped(tmp_path):
    make_bytes_file(tmp_path, b"bad_\xff.py")
    write(tmp_path, "bad_\\xff.py")  # a real file whose name is the escaped form
    files, skipped = listed(tmp_path, use_git_ls_files=False)
    assert files == [("bad_\\xff.py", "python")]
    assert skipped == [("bad_\\xff.py", "file name is not valid UTF-8 and its escaped form names another file")]
    result = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    assert result.files[0].location(result.root).read_bytes() == b"x = 1\n"


@pytest.mark.timeout(30)
def test_hostile_names_and_special_files(tmp_path, monkeypatch):
    long_name = "l" * 252 + ".py"
    deep = "/".join(["d" * 200] * 12) + "/deep.py"
    for path in ["new\nline.py", "with space.py", " lead.py", "-rf.py", "--help.py", "[red]x[/red].py",
                 long_name, deep, "x.py/inner.py"]:
        write(tmp_path, path)
    write(tmp_path, "bin.py", bytes(range(256)))
    write(tmp_path, "locked.py")
    (tmp_path / "locked.py").chmod(0)
    (tmp_path / "self.py").symlink_to("self.py")
    (tmp_path / "dirloop").mkdir()
    (tmp_path / "dirloop" / "up").symlink_to("..")
    os.mkfifo(tmp_path / "fifo.py")
    (tmp_path / "to_fifo.py").symlink_to("fifo.py")
    try:
        os.mknod(tmp_path / "dev.py", stat.S_IFCHR | 0o600, os.makedev(1, 3))  # what /dev/null is
        devices = [("dev.py", "not a regular file")]
    except PermissionError:  # not root, or no CAP_MKNOD
        devices = []
    monkeypatch.chdir(tmp_path)  # a socket path is limited to ~108 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.py")
        files, skipped = listed(tmp_path, use_git_ls_files=False)
    readable = os.access(tmp_path / "locked.py", os.R_OK)  # root reads a chmod 000 file
    assert [path for path, _ in files] == sorted(
        [" lead.py", "--help.py", "-rf.py", deep, long_name, "new\nline.py", "[red]x[/red].py", "with space.py",
         "x.py/inner.py"] + (["locked.py"] if readable else []))
    assert skipped == sorted(
        [("bin.py", "binary file"), ("dirloop/up", "symlink to a directory (not followed)"),
         ("fifo.py", "not a regular file"), ("self.py", "symlink loop"), ("sock.py", "not a regular file"),
         ("to_fifo.py", "not a regular file")] + devices
        + ([] if readable else [("locked.py", "unreadable: Permission denied")]))


def test_unreadable_directory_is_reported(tmp_path):
    write(tmp_path, "ok.py")
    write(tmp_path, "locked/inner.py")
    (tmp_path / "locked").chmod(0)
    try:
        listable = os.access(tmp_path / "locked", os.R_OK | os.X_OK)  # true for root
        files, skipped = listed(tmp_path, use_git_ls_files=False)
    finally:
        (tmp_path / "locked").chmod(0o755)
    if listable:
        assert (files, skipped) == ([("locked/inner.py", "python"), ("ok.py", "python")], [])
    else:
        assert (files, skipped) == ([("ok.py", "python")], [("locked", "unreadable directory: Permission denied")])


@pytest.mark.parametrize(("name", "stored"), [
    (b"ok.py", "ok.py"),
    (b"bad_\xff.py", "bad_\\xff.py"),
    (b"d\xe9j\xe0/m.py", "d\\xe9j\\xe0/m.py"),
    (b"\xed\xa0\x80.py", "\\xed\\xa0\\x80.py"),  # an encoded surrogate is no UTF-8 either
    (b"caf\xc3\xa9.py", "caf\u00e9.py"),
])
def test_stored_path_is_utf8_and_leads_back_to_the_name(name, stored):
    assert stored_path(os.fsdecode(name)) == stored
    assert os.fsencode(escaped_name(stored)) == name


def test_a_stub_is_indexed_alone_and_left_out_beside_its_module(tmp_path):
    """`_speedups.pyi` describes a compiled module: it is the only source of its names. `util.pyi`
    beside `util.py` would define each name twice: the module that runs is indexed."""
    for name in ("pkg/__init__.py", "pkg/_speedups.pyi", "pkg/util.py", "pkg/util.pyi"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("def f(x: int) -> int: ...\n")
    scan = scan_repository(tmp_path, load_settings(tmp_path, use_git_ls_files=False))
    assert [(f.path, f.language) for f in scan.files] == [
        ("pkg/__init__.py", "python"), ("pkg/_speedups.pyi", "python"), ("pkg/util.py", "python"),
    ]
    assert scan.skipped == []
