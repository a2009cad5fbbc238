"""`codekg setup CLIENT` (client_setup.py): each client's file, merged with what is there, and a
configuration that really starts the MCP server (a real MCP client runs the command it names)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def codekg(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *arguments], capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", root)
    return root


@pytest.mark.parametrize(("client", "file", "key", "typed"), [
    ("claude", ".mcp.json", "mcpServers", True), ("cursor", ".cursor/mcp.json", "mcpServers", False),
    ("vscode", ".vscode/mcp.json", "servers", True)])
def test_each_client_gets_its_file(repo, client, file, key, typed):
    done = codekg("setup", client, "--repo", str(repo))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"wrote {repo / file}: {client} starts `codekg mcp` on {repo.resolve()}"
    entry = {"command": sys.executable, "args": ["-m", "codekg", "mcp", "--repo", str(repo.resolve())]}
    assert json.loads((repo / file).read_text()) == {key: {"codekg": {"type": "stdio", **entry} if typed else entry}}


def test_other_servers_are_kept_a_dry_run_writes_nothing_and_a_broken_file_is_left_alone(repo):
    (repo / ".mcp.json").write_text('{"mcpServers": {"other": {"command": "x"}}, "note": 1}')
    dry = codekg("setup", "claude", "--repo", str(repo), "--dry-run", "--json")
    planned = json.loads(dry.stdout)
    assert (planned["written"], sorted(planned["configuration"]["mcpServers"]), planned["configuration"]["note"]) == (
        False, ["codekg", "other"], 1)
    assert json.loads((repo / ".mcp.json").read_text()) == {"mcpServers": {"other": {"command": "x"}}, "note": 1}
    assert codekg("setup", "claude", "--repo", str(repo)).returncode == 0
    assert sorted(json.loads((repo / ".mcp.json").read_text())["mcpServers"]) == ["codekg", "other"]
    again = codekg("setup", "claude", "--repo", str(repo))
    assert again.stdout.startswith(f"replaced the codekg entry of {repo / '.mcp.json'}")
    assert again.stderr.strip() == (f"note: {repo} has no index yet: run `codekg index {repo}` (or `codekg watch`) "
                                    "before the client asks")
    (repo / ".cursor").mkdir()
    (repo / ".cursor" / "mcp.json").write_text("\n")  # empty: an empty configuration
    assert codekg("setup", "cursor", "--repo", str(repo)).returncode == 0
    (repo / ".vscode").mkdir()
    (repo / ".vscode" / "mcp.json").write_text("{broken")
    refused = codekg("setup", "vscode", "--repo", str(repo))
    assert refused.returncode == 2 and refused.stderr.startswith(f"error: {repo / '.vscode' / 'mcp.json'} is not valid JSON")
    assert (repo / ".vscode" / "mcp.json").read_text() == "{broken"
    (repo / ".cursor" / "mcp.json").write_text('{"mcpServers": []}')
    assert "expected an object with an object `mcpServers`" in codekg("setup", "cursor", "--repo", str(repo)).stderr
    unknown = codekg("setup", "emacs", "--repo", str(repo))
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "error: unknown client 'emacs': use claude, cursor, vscode")


def test_the_written_command_starts_a_working_mcp_server(repo):
    assert codekg("index", str(repo), "--quiet").returncode == 0
    assert codekg("setup", "claude", "--repo", str(repo)).returncode == 0
    entry = json.loads((repo / ".mcp.json").read_text())["mcpServers"]["codekg"]
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=dict(os.environ), cwd=str(Path("/")))

    async def main() -> list[str]:
        async with Client(params) as client:
            found = await client.call_tool("search", {"query": "checkout", "mode": "keyword", "limit": 1})
            return [r["qualified_name"] for r in found.structured_content["results"]]

    assert anyio.run(main) == ["shop.service.checkout"]
