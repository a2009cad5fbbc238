"""The scan pass on real directory trees: ignores, languages, and every kind of file it must skip."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from codekg.errors import InputError
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
        ("app.py", "python"),
        ("web/index.js", "javascript"),
        ("web/lib.mjs", "javascript"),
        ("web/types.ts", "typescript"),
        ("web/view.tsx", "typescript"),
    ]
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


def test_bad_files_are_skipped_with_reasons(tmp_path):
    write(tmp_path, "good.py")
    write(tmp_path, "blob.py", b"\x00\x01\x02binary")
    write(tmp_path, "huge.py", "x = 1\n" * 50)
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing.py")
    (tmp_path / "outside.py").symlink_to("/etc/hostname")
    (tmp_path / "loop").symlink_to(tmp_path)
    os.mkfifo(tmp_path / "pipe.py")
    files, skipped = listed(tmp_path, use_git_ls_files=False, max_file_size=100)
    assert files == [("good.py", "python")]
    assert skipped == [
        ("blob.py", "binary file"),
        ("dangling.py", "unreadable: No such file or directory"),
        ("huge.py", "larger than max_file_size (300 > 100 bytes)"),
        ("loop", "symlink to a directory (not followed)"),
        ("outside.py", "symlink pointing outside the repository"),
        ("pipe.py", "not a regular file"),
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
