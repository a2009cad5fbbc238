"""Which paths are test files, and which are docs or examples: the rules behind `File.is_test`, the impact risk summary and search ranking."""

import pytest

from codekg.conventions import is_example_path, is_test_path


@pytest.mark.parametrize("path, expected", [
    ("tests/test_a.py", True), ("pkg/tests/helpers.py", True), ("test_x.py", True), ("pkg/x_test.py", True),
    ("conftest.py", True), ("src/a.test.ts", True), ("src/a.spec.js", True), ("src/__tests__/a.jsx", True),
    ("src/a.spec.mjs", True), ("src/contest.py", False), ("src/testing_utils.py", False), ("src/latest.py", False),
    ("src/a.ts", False), ("", False),
])
def test_test_paths(path, expected):
    assert is_test_path(path) is expected


@pytest.mark.parametrize(("path", "expected"), [
    ("docs/examples/blog.py", True), ("docs_src/tutorial001.py", True), ("examples/app.js", True),
    ("src/demo/main.py", True), ("doc/conf.py", True),
    ("src/flask/helpers.py", False), ("docs.py", False), ("src/documentation_tools.py", False), ("", False),
    ("tests/test_app.py", False),  # a test, not an example (is_test_path says so)
])
def test_example_paths(path, expected):
    assert is_example_path(path) is expected
