"""Naming conventions codekg reads from repository paths: which files are tests, and which are
documentation or examples.

One rule, shared by the structure pass (the File node's `is_test`), the analyses (tests are
reported apart from the risk) and the schema migration that fills `is_test` in on an older index.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TEST_DIRS = {"test", "tests", "testing", "__tests__", "spec", "specs"}
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_test\.py|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?)$")


def is_test_path(file_path: str) -> bool:
    """A test file by the usual conventions: tests/ folders, test_*.py, *_test.py, *.test.ts, *.spec.js, …"""
    if not file_path:
        return False
    *folders, name = file_path.split("/")
    return any(folder in _TEST_DIRS for folder in folders) or bool(_TEST_FILE.match(name))


_EXAMPLE_DIRS = {"docs", "doc", "docs_src", "documentation", "examples", "example", "samples", "sample", "demo", "demos"}


def is_example_path(file_path: str) -> bool:
    """Code kept to show or document use (docs/, docs_src/, examples/, samples/, demo/ folders), not
    the code itself: search ranks it after the rest, as it does tests."""
    return any(folder in _EXAMPLE_DIRS for folder in file_path.split("/")[:-1])


@lru_cache(maxsize=1 << 16)  # asked once per symbol (search's shelves, its order): a file holds many
def is_secondary_path(file_path: str) -> bool:
    """Tests, documentation and examples: what search and the MCP pages put after the code itself."""
    return is_test_path(file_path) or is_example_path(file_path)
