"""The scripts in examples/ run as documented, against the pyrepo fixture: from Python, over HTTP
(a real `codekg serve`) and over MCP (a real `codekg mcp` spawned by the SDK's stdio client)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "api"))
from serving import TOKEN, codekg, running  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SYMBOL = "shop.service.checkout"


@pytest.fixture
def repo(copy_fixture) -> Path:
    return copy_fixture("pyrepo")


def run_example(name: str, *arguments: str) -> list[str]:
    result = subprocess.run([sys.executable, str(EXAMPLES / name), *arguments], capture_output=True, text=True,
                            timeout=120, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def test_python_api_example_indexes_then_answers(repo):
    lines = run_example("python_api.py", str(repo), SYMBOL)
    assert lines[:4] == ["indexed 5 files (full)", "4 functions", "shop.service.checkout (src/shop/service.py:6)",
                         "  called by scripts.run (import, confidence 1.0)"]
    assert "  calls shop.service.helper (same-file, confidence 1.0)" in lines
    assert run_example("python_api.py", str(repo), SYMBOL)[0] == "indexed 5 files (unchanged)"


def test_http_api_example_against_a_running_server(repo):
    assert codekg("index", str(repo), "--quiet").returncode == 0
    with running("serve", "--repo", str(repo), "--token", TOKEN) as server:
        lines = run_example("http_api.py", server.url, TOKEN, SYMBOL)
    assert lines == ["5 files indexed", "shop.service.checkout (src/shop/service.py:6)", "  called by scripts.run",
                     "4 functions"]


def test_mcp_client_example_over_stdio(repo):
    assert codekg("index", str(repo), "--quiet").returncode == 0
    lines = run_example("mcp_client.py", str(repo), SYMBOL)
    assert lines == ["tools: callgraph, context, definition, detect_changes, impact, lineage, list_repos, locate, path, query, "
                     "references, reindex, search, stats",
                     "shop.service.checkout: 1 caller(s), 5 callee(s)", '4 functions (["functions"])']
