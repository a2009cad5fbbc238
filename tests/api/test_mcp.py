"""`codekg mcp` driven by the MCP SDK's real client: over stdio (a spawned `codekg mcp`) and Streamable HTTP."""

from __future__ import annotations

import json
import os
import shutil
import sys

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from codekg.schema import render_markdown
from serving import FIXTURES, TOKEN, codekg, running

TOOLS = {"search", "context", "impact", "references", "definition", "path", "callgraph", "lineage", "detect_changes", "query",
         "list_repos", "stats", "reindex", "locate"}


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("mcp") / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    return repo


def over_stdio(repo, session) -> None:
    """Run ``session(client)`` against `codekg mcp --repo <repo>` spawned by the SDK's stdio client."""
    params = StdioServerParameters(command=sys.executable, args=["-m", "codekg", "mcp", "--repo", str(repo)],
                                   env=dict(os.environ))

    async def main() -> None:
        async with Client(params) as client:
            await session(client)

    anyio.run(main)


def payload(result) -> dict:
    """A tool's answer without its `page` member (api/budget.py), which must say nothing was cut."""
    assert not result.is_error, result.content[0].text
    [content] = result.content
    assert json.loads(content.text) == result.structured_content
    assert "\n" not in content.text  # compact JSON
    answer = dict(result.structured_content)
    page = answer.pop("page")
    assert page["bytes"] <= page["budget_bytes"]
    assert (page["cut"], page["next_cursor"]) == ({}, None)
    return answer


def error_text(result) -> str:
    assert result.is_error
    return result.content[0].text


def error_body(result) -> dict:
    """A codekg error as a tool result: the document the HTTP API and `--json` give, as text and structured."""
    body = json.loads(error_text(result))
    assert result.structured_content == body
    return body


def test_tools_resource_and_read_only_calls_over_stdio(repo):
    async def session(client: Client) -> None:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.description and len(tool.description) > 40
            assert tool.input_schema["type"] == "object"
            # every tool reads, but reindex, which writes the index (never the code) and may run again
            assert tool.annotations.read_only_hint is (tool.name != "reindex")
        assert (tools["reindex"].annotations.destructive_hint, tools["reindex"].annotations.idempotent_hint) == (False, True)
        assert tools["query"].input_schema["required"] == ["cypher"]
        assert tools["impact"].input_schema["properties"]["depth"] == {
            "default": 3, "description": "How many hops to follow.", "maximum": 10, "minimum": 1, "title": "Depth",
            "type": "integer"}
        assert tools["detect_changes"].input_schema.get("required", []) == []

        query = await client.call_tool("query", {"cypher": "MATCH (f:Function) RETURN f.qualified_name AS name, "
                                                 "f.file_path AS file_path, f.start_line AS start_line, "
                                                 "f.end_line AS end_line ORDER BY name"})
        assert payload(query) == {"columns": ["name", "file_path", "start_line", "end_line"], "truncated": False, "rows": [
            ["shop.service.checkout", "src/shop/service.py", 6, 10],
            ["shop.service.helper", "src/shop/service.py", 13, 17],
            ["shop.service.helper.inner", "src/shop/service.py", 14, 15],
            ["shop.util.log", "src/shop/util.py", 4, 5],
        ]}
        refused = await client.call_tool("query", {"cypher": "MATCH (f:Function) DETACH DELETE f"})
        assert error_body(refused) == {"error": "write_query", "message": "write clause DETACH refused: this interface is read-only",
                                       "reason": "graph_write"}
        assert payload(await client.call_tool("query", {"cypher": "MATCH (f:Function) RETURN count(f)"}))["rows"] == [[4]]
        missing_label = error_body(await client.call_tool("query", {"cypher": "MATCH (n:Nope) RETURN n"}))
        assert missing_label["error"] == "query" and "Nope" in missing_label["message"]

        [listed] = payload(await client.call_tool("list_repos", {}))["repos"]
        assert {k: listed[k] for k in ("name", "root", "db", "indexed", "files")} == {
            "name": "pyrepo", "root": str(repo.resolve()), "db": str((repo / ".codekg").resolve()), "indexed": True,
            "files": 5}
        stats = payload(await client.call_tool("stats", {}))
        assert stats["files_by_language"] == {"python": 5}
        assert stats["nodes"]["Function"] == 4 and stats["nodes"]["Class"] == 3
        unknown = await client.call_tool("stats", {"repo": "elsewhere"})
        assert error_body(unknown) == {"error": "unknown_repository", "message": "unknown repository 'elsewhere'; served: pyrepo",
                                       "candidates": ["pyrepo"]}
        too_deep = await client.call_tool("impact", {"symbol": "shop.util.log", "depth": 50})
        assert error_body(too_deep) == {"error": "input", "message": "depth: Input should be less than or equal to 10"}
        broken = await client.call_tool("search", {"query": 5, "limit": "x"})  # no pydantic report, links or input values
        assert error_body(broken) == {"error": "input", "message": "query: Input should be a valid string; "
                                      "limit: Input should be a valid integer, unable to parse string as an integer"}
        assert error_body(await client.call_tool("search", {"limit": 3})) == {"error": "input", "message": "query: Field required"}

        [resource] = (await client.list_resources()).resources
        assert (str(resource.uri), resource.mime_type) == ("codekg://schema", "text/markdown")
        [schema] = (await client.read_resource("codekg://schema")).contents
        assert schema.text == render_markdown()

    over_stdio(repo, session)


def test_streamable_http_with_a_token(repo):
    with running("mcp", "--repo", str(repo), "--http", "--token", TOKEN) as server:
        assert httpx.post(f"{server.url}/mcp", json={}).status_code == 401

        async def main() -> None:
            http_client = httpx2.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
            async with http_client, Client(streamable_http_client(f"{server.url}/mcp", http_client=http_client)) as client:
                assert {tool.name for tool in (await client.list_tools()).tools} == TOOLS
                result = await client.call_tool("query", {"cypher": "MATCH (c:Class) RETURN c.name ORDER BY c.name"})
                assert payload(result)["rows"] == [["Base"], ["Counter"], ["Order"]]

        anyio.run(main)


def test_analysis_tools_over_stdio(repo):
    async def session(client: Client) -> None:
        context = payload(await client.call_tool("context", {"symbol": "shop.util.log"}))
        assert (context["symbol"]["file_path"], context["symbol"]["start_line"], context["symbol"]["end_line"]) == (
            "src/shop/util.py", 4, 5)
        assert [c["qualified_name"] for c in context["callers"]] == ["shop.service.checkout"]
        impact = payload(await client.call_tool("impact", {"symbol": "shop.util.log", "depth": 2}))
        assert [[s["qualified_name"] for s in level["symbols"]] for level in impact["levels"]] == [
            ["shop.service", "shop.service.checkout"], ["scripts.run"]]
        ambiguous = error_body(await client.call_tool("context", {"symbol": "save"}))
        assert (ambiguous["error"], ambiguous["message"][:19]) == ("symbol_ambiguous", "'save' is ambiguous")
        assert [c["qualified_name"] for c in ambiguous["candidates"]] == ["shop.models.Base.save", "shop.models.Order.save"]
        assert error_body(await client.call_tool("detect_changes", {}))["error"] == "git"  # not a git work tree

    over_stdio(repo, session)


def test_search_tool_over_stdio(repo):
    async def session(client: Client) -> None:
        found = payload(await client.call_tool("search", {"query": "checkout", "mode": "keyword", "limit": 3}))
        assert found["results"][0]["qualified_name"] == "shop.service.checkout"
        methods = payload(await client.call_tool("search", {"query": "save", "mode": "keyword", "labels": ["Method"],
                                                            "path": "src/*", "include_tests": False}))
        assert [r["qualified_name"] for r in methods["results"]] == ["shop.models.Base.save", "shop.models.Order.save"]
        assert error_body(await client.call_tool("search", {"query": "save", "labels": ["Table"]})) == {
            "error": "input", "message": "cannot search label 'Table': use Module, Class, Interface, Enum, Type, Function, Method, Variable"}

    over_stdio(repo, session)


def test_every_tool_answers_within_its_budget_and_its_cursor_reaches_the_rest(repo):
    async def session(client: Client) -> None:
        rows, cursor = [], None
        for _ in range(10):
            arguments = {"cypher": "MATCH (f:Function) RETURN f.qualified_name ORDER BY f.qualified_name", "limit": 1}
            answer = (await client.call_tool("query", {**arguments, **({"cursor": cursor} if cursor else {})})).structured_content
            rows += answer["rows"]
            cursor = answer["page"]["next_cursor"]
            if cursor is None:
                break
        assert rows == [["shop.service.checkout"], ["shop.service.helper"], ["shop.service.helper.inner"], ["shop.util.log"]]
        whole = payload(await client.call_tool("impact", {"symbol": "shop.util.log"}))
        expected = [(level["depth"], s["qualified_name"]) for level in whole["levels"] for s in level["symbols"]]
        seen, cursor, answers = [], None, 0
        while answers < 20:
            answer = (await client.call_tool("impact", {"symbol": "shop.util.log", "max_bytes": 2048, "limit": 1,
                                                        **({"cursor": cursor} if cursor else {})})).structured_content
            answers += 1
            assert answer["page"]["bytes"] <= 2048
            seen += [(level["depth"], s["qualified_name"]) for level in answer["levels"] for s in level["symbols"]]
            cursor = answer["page"]["next_cursor"]
            if cursor is None:
                break
        assert seen == expected == [(1, "shop.service"), (1, "shop.service.checkout"), (2, "scripts.run")]
        assert answers == 4  # one symbol an answer, then depth 3, which holds none
        full = payload(await client.call_tool("context", {"symbol": "shop.util.log", "detail": "full"}))
        summary = payload(await client.call_tool("context", {"symbol": "shop.util.log"}))
        assert full["callers"][0]["line"] == summary["callers"][0]["line"] and "end_line" in summary["callers"][0]
        assert error_body(await client.call_tool("context", {"symbol": "shop.util.log", "cursor": "nope"})) == {
            "error": "input", "message": "not a cursor of this tool: pass back the `page.next_cursor` of its last answer"}
        assert error_body(await client.call_tool("context", {"symbol": "shop.util.log", "max_bytes": 10}))["error"] == "input"
        for tool, arguments in (("search", {"query": "log"}), ("locate", {"text": "log fails"})):  # ranked before paging
            assert error_body(await client.call_tool(tool, {**arguments, "cursor": "AAAA"})) == {
                "error": "input", "message": "not a cursor of this tool: pass back the `page.next_cursor` of its last answer"}
        assert error_body(await client.call_tool("query", {"cypher": "RETURN $x", "parameters": {"x": [1, "a"]}})) == {
            "error": "query", "message": "the elements of $x are of different types (number and string): the embedded "
                                         "store takes lists of one type"}

    over_stdio(repo, session)


def test_navigation_tools_and_prompts(repo):
    async def session(client: Client) -> None:
        found = payload(await client.call_tool("definition", {"file_path": "src/shop/service.py", "line": 15}))
        assert (found["symbol"]["qualified_name"], [e["qualified_name"] for e in found["enclosing"]]) == (
            "shop.service.helper.inner", ["shop.service", "shop.service.helper"])
        outside = error_body(await client.call_tool("definition", {"file_path": "../../etc/passwd", "line": 1}))
        assert outside == {"error": "path_outside_root", "message": "../../etc/passwd leads outside the indexed repository"}
        used = payload(await client.call_tool("references", {"symbol": "shop.models.Order"}))
        assert [(r["kind"], r["qualified_name"]) for r in used["references"]] == [
            ("call", "scripts.run"), ("import", "shop"), ("type use", "shop.models.Counter.bump"), ("import", "shop.service"),
            ("call", "shop.service.checkout")]
        chain = payload(await client.call_tool("path", {"source": "scripts.run", "target": "shop.util.log"}))
        assert [(h["from"], h["relation"], h["to"]) for h in chain["hops"]] == [
            ("scripts.run", "CALLS", "shop.service.checkout"), ("shop.service.checkout", "CALLS", "shop.util.log")]

        prompts = {p.name: [a.name for a in p.arguments or []] for p in (await client.list_prompts()).prompts}
        assert prompts == {"explain_symbol": ["symbol", "repo"], "review_diff_impact": ["base", "repo"]}
        [message] = (await client.get_prompt("explain_symbol", {"symbol": "shop.util.log"})).messages
        text = message.content.text
        assert text.startswith("Explain what `shop.util.log` does")
        embedded = json.loads(text.split("```json\n", 1)[1].rsplit("\n```", 1)[0])
        assert embedded["symbol"]["qualified_name"] == "shop.util.log" and embedded["page"]["bytes"] <= 8192
        with pytest.raises(Exception, match="no symbol named 'nope' in the index"):
            await client.get_prompt("explain_symbol", {"symbol": "nope"})

    over_stdio(repo, session)


@pytest.fixture(scope="module")
def sql_repo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("mcp-all") / "shop"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    (repo / "etl").mkdir()
    (repo / "etl" / "load.sql").write_text("CREATE TABLE sales (id INT, amount INT);\n"
                                           "INSERT INTO daily (id, total) SELECT id, amount FROM sales;\n")
    assert codekg("index", str(repo), "--quiet").returncode == 0
    return repo


# every tool: good arguments and what the answer holds; bad arguments and the error code
EVERY_TOOL = [
    ("search", {"query": "checkout"}, lambda a: a["results"][0]["qualified_name"] == "shop.service.checkout",
     {"query": "x", "mode": "psychic"}, "input"),
    ("context", {"symbol": "shop.util.log"}, lambda a: a["callers"][0]["qualified_name"] == "shop.service.checkout",
     {"symbol": "nope"}, "symbol_not_found"),
    ("impact", {"symbol": "shop.util.log"}, lambda a: a["summary"]["symbols"] == 3,
     {"symbol": "shop.util.log", "depth": 0}, "input"),
    ("references", {"symbol": "shop.models.Order"}, lambda a: a["counts"] == {"call": 2, "import": 2, "type use": 1},
     {"symbol": "save"}, "symbol_ambiguous"),
    ("definition", {"file_path": "src/shop/util.py", "line": 5}, lambda a: a["symbol"]["qualified_name"] == "shop.util.log",
     {"file_path": "src/shop/util.py", "line": 999}, "symbol_not_found"),
    ("path", {"source": "scripts.run", "target": "shop.util.log"}, lambda a: a["length"] == 2,
     {"source": "scripts.run", "target": "shop.util.log", "depth": 11}, "input"),
    ("callgraph", {"symbol": "shop.service.checkout", "depth": 1}, lambda a: {"from": "scripts.run", "to": "shop.service.checkout",
     "confidence": 1.0, "line": 5} in a["edges"], {"symbol": "shop.service.checkout", "direction": "sideways"}, "input"),
    ("lineage", {"name": "<default>.daily.total"}, lambda a: [h["name"] for h in a["upstream"]] == ["<default>.sales.amount"],
     {"name": "nowhere.table"}, "symbol_not_found"),
    ("locate", {"text": "checkout fails:\n  File \"/site-packages/shop/util.py\", line 5, in log\n", "level": "symbol"},
     lambda a: [(r["qualified_name"], r["evidence"][0]) for r in a["results"][:1]] == [
         ("shop.util.log", "traceback frame src/shop/util.py:5 in log")], {"text": "x", "level": "line"}, "input"),
    ("detect_changes", {}, None, {"base": "--upload-pack=x"}, "input"),
    ("query", {"cypher": "MATCH (f:Function) RETURN count(f)"}, lambda a: a["rows"] == [[4]],
     {"cypher": "MATCH (f:Function) DETACH DELETE f"}, "write_query"),
    ("list_repos", {}, lambda a: a["repos"][0]["name"] == "shop", {"extra": 1}, None),
    ("stats", {}, lambda a: a["files_by_language"] == {"python": 5, "sql": 1}, {"repo": "elsewhere"}, "unknown_repository"),
    ("reindex", {}, lambda a: a["mode"] == "unchanged", {"repo": "elsewhere"}, "unknown_repository"),
]


def test_every_tool_with_good_and_bad_arguments_stays_within_its_budget(sql_repo):
    async def session(client: Client) -> None:
        assert {tool.name for tool in (await client.list_tools()).tools} == {name for name, *_ in EVERY_TOOL}
        for name, good, holds, bad, code in EVERY_TOOL:
            answer = await client.call_tool(name, good)
            if name == "detect_changes":  # not a git work tree: its own error, still the error document
                assert error_body(answer)["error"] == "git", name
            else:
                assert not answer.is_error, (name, answer.content[0].text)
                page = answer.structured_content["page"]
                assert page["bytes"] <= page["budget_bytes"] == 8192, name
                assert len(answer.content[0].text.encode()) <= 8192 + 400, name  # the page member itself is small
                assert holds(answer.structured_content), (name, answer.structured_content)
            refused = await client.call_tool(name, bad)
            if code is None:  # arguments a tool does not take are ignored, as HTTP ignores unknown query parameters
                assert not refused.is_error, name
            else:
                assert error_body(refused)["error"] == code, (name, refused.content[0].text)

    over_stdio(sql_repo, session)


def test_reindex_reads_the_files_changed_since(tmp_path):
    repo = tmp_path / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0

    async def session(client: Client) -> None:
        util = repo / "src" / "shop" / "util.py"
        util.write_text(util.read_text() + "\n\ndef added():\n    return log('x')\n")
        done = payload(await client.call_tool("reindex", {}))
        assert (done["mode"], done["delta"]["files_changed"]) == ("incremental", 1)
        found = payload(await client.call_tool("references", {"symbol": "shop.util.log"}))
        assert [r["qualified_name"] for r in found["references"]] == ["shop.service.checkout", "shop.util.added"]

    over_stdio(repo, session)
