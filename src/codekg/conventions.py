"""Naming conventions codekg reads from repository paths: which files are tests.

One rule, shared by the structure pass (the File node's `is_test`), the analyses (tests are
reported apart from the risk) and the schema migration that fills `is_test` in on an older index.
"""

from __future__ import annotations

import re

_TEST_DIRS = {"test", "tests", "testing", "__tests__", "spec", "specs"}
_TEST_FILE = re.compile(r"^(test_.*\.py|.*_test\.py|conftest\.py|.*\.(test|spec)\.[cm]?[jt]sx?)$")


def is_test_path(file_path: str) -> bool:
    """A test file by the usual conventions: tests/ folders, test_*.py, *_test.py, *.test.ts, *.spec.js, …"""
    if not file_path:
        return False
    *folders, name = file_path.split("/")
    return any(folder in _TEST_DIRS for folder in folders) or bool(_TEST_FILE.match(name))
