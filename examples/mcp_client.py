"""codekg for AI agents: start `codekg mcp` over stdio with the MCP SDK's client, list its tools and
call two, as an agent's host does.

    python examples/mcp_client.py REPO SYMBOL      # REPO must be indexed (codekg index REPO)
"""

from __future__ import annotations

import json
import sys

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters


async def main(repo: str, symbol: str) -> None:
    server = StdioServerParameters(command=sys.executable, args=["-m", "codekg", "mcp", "--repo", repo])
    async with Client(server) as client:
        tools = sorted(tool.name for tool in (await client.list_tools()).tools)
        print(f"tools: {', '.join(tools)}")
        context = (await client.call_tool("context", {"symbol": symbol})).structured_content
        print(f"{context['symbol']['qualified_name']}: {len(context['callers'])} caller(s), {len(context['callees'])} callee(s)")
        result = await client.call_tool("query", {"cypher": "MATCH (f:Function) RETURN count(f) AS functions"})
        print(f"{result.structured_content['rows'][0][0]} functions ({json.dumps(result.structured_content['columns'])})")


if __name__ == "__main__":
    anyio.run(main, sys.argv[1], sys.argv[2])
