"""Fixtures of the server tests: an indexed copy of the pyrepo fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from serving import codekg


@pytest.fixture
def indexed(copy_fixture) -> Path:
    repo = copy_fixture("pyrepo")
    result = codekg("index", str(repo), "--quiet")
    assert result.returncode == 0, result.stderr
    return repo
