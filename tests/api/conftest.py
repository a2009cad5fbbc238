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


@pytest.fixture(autouse=True, scope="module")
def stop_query_workers():
    """In-process services start query workers (query_sandbox.py); stop them with the module."""
    yield
    from codekg.query_sandbox import close_pools

    close_pools()
