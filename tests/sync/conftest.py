"""The `git_daemon` fixture: a real `git daemon` exporting the repositories a test builds under it."""

from __future__ import annotations

import pytest
from git_servers import GitDaemon


@pytest.fixture
def git_daemon(tmp_path):
    daemon = GitDaemon(tmp_path / "served")
    daemon.base.mkdir()
    yield daemon
    daemon.stop()
