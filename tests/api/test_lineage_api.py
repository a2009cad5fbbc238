"""SQL lineage over the served APIs: `GET /lineage` and `/impact` from a real `codekg serve`, and the
MCP `lineage` tool from a real `codekg mcp` over stdio."""

from __future__ import annotations

import json
import os
import sys

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from serving import codekg, running
from tests.sql.lineage_repo import write_lineage_repo


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = write_lineage_repo(tmp_path_factory.mktemp("lineage") / "shop")
    result = codekg("index", str(repo), "--quiet")
    assert result.returncode == 0, result.stderr
    return repo


def test_lineage_and_impact_over_http(repo):
    with running("serve", "--repo", str(repo)) as server, server.client(token=None) as client:
        lineage = client.get("/lineage", params={"name": "staging.orders.amount", "direction": "upstream", "depth": 5})
        assert lineage.status_code == 200, lineage.text
        assert [(h["name"], h["statement"]["file"]) for h in lineage.json()["upstream"]] == [
            ("raw.orders.amount", "etl/01_stage.sql"), ("landing.orders_csv.total", "app/loader.py")]
        assert lineage.json()["upstream"][1]["statement"]["run_by"] == ["app.loader.load_raw"]
        impact = client.get("/impact", params={"symbol": "raw.orders.amount"})
        assert impact.status_code == 200, impact.text
        assert impact.json()["code"] == ["app.report.top_regions"]
        missing = client.get("/lineage", params={"name": "nosuch.table"})
        assert missing.status_code == 404 and "no table, view or column named 'nosuch.table'" in missing.text
        bad = client.get("/lineage", params={"name": "raw.orders", "direction": "sideways"})
        assert bad.status_code == 400  # the API answers bad parameters with 400 (api/app.py)


def test_lineage_tool_over_mcp(repo):
    params = StdioServerParameters(command=sys.executable, args=["-m", "codekg", "mcp", "--repo", str(repo)],
                                   env=dict(os.environ))

    async def main() -> None:
        async with Client(params) as client:
            result = await client.call_tool("lineage", {"name": "mart.revenue", "direction": "downstream"})
            assert not result.is_error, result.content[0].text
            found = json.loads(result.content[0].text)
            assert (found["kind"], [(h["name"], h["statement"]["line"]) for h in found["downstream"]]) == (
                "view", [("mart.top_regions", 4)])
            missing = await client.call_tool("lineage", {"name": "nosuch"})
            assert missing.is_error and "no table, view or column named 'nosuch'" in missing.content[0].text

    anyio.run(main)
