"""Which paths are test files: the one rule behind `File.is_test` and the impact risk summary."""

import pytest

from codekg.conventions import is_test_path


@pytest.mark.parametrize("path, expected", [
    ("tests/test_a.py", True), ("pkg/tests/helpers.py", True), ("test_x.py", True), ("pkg/x_test.py", True),
    ("conftest.py", True), ("src/a.test.ts", True), ("src/a.spec.js", True), ("src/__tests__/a.jsx", True),
    ("src/a.spec.mjs", True), ("src/contest.py", False), ("src/testing_utils.py", False), ("src/latest.py", False),
    ("src/a.ts", False), ("", False),
])
def test_test_paths(path, expected):
    assert is_test_path(path) is expected
