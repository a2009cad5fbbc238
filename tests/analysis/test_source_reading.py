"""Source snippets never come from outside the repository root."""

from __future__ import annotations

import os

import pytest

from codekg.analysis.source import OutsideRootError, read_snippet, read_source_bytes, resolve_inside


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "long.py").write_text("".join(f"line {n}\n" for n in range(1, 101)))
    (tmp_path / "secret.py").write_text("TOKEN = 'do not read'\n")
    os.symlink(tmp_path / "secret.py", root / "pkg" / "leak.py")
    os.symlink(root / "pkg" / "long.py", root / "inside_link.py")
    return root


def test_snippet_is_capped(root):
    snippet = read_snippet(root, "pkg/long.py", 10, 100)
    assert (snippet.start_line, snippet.end_line, snippet.truncated, snippet.error) == (10, 49, True, "")
    assert snippet.text.splitlines() == [f"line {n}" for n in range(10, 50)]
    assert read_snippet(root, "pkg/long.py", 99, 100).text == "line 99\nline 100"


@pytest.mark.parametrize("path", ["../secret.py", "pkg/../../secret.py", "pkg/leak.py"])
def test_paths_escaping_the_root_are_refused(root, tmp_path, path):
    with pytest.raises(OutsideRootError, match="outside the repository root"):
        resolve_inside(root, path)
    snippet = read_snippet(root, path, 1, 1)
    assert snippet.text == "" and "outside the repository root" in snippet.error


def test_absolute_paths_are_refused(root, tmp_path):
    with pytest.raises(OutsideRootError, match="not a path relative"):
        read_source_bytes(root, str(tmp_path / "secret.py"))


def test_a_symlink_inside_the_root_is_read(root):
    assert read_source_bytes(root, "inside_link.py").startswith(b"line 1\n")


def test_a_stale_line_number_is_reported(root):
    assert "the index is stale" in read_snippet(root, "pkg/long.py", 500, 510).error
