"""The MCP server (`codekg mcp`): codekg's operations as tools for AI agents, over stdio or Streamable HTTP.

Takes: a `GraphService`. Returns: an `MCPServer` (the official `mcp` SDK) with the tools `search`,
`context`, `impact`, `references`, `definition`, `path`, `callgraph`, `lineage`, `detect_changes`, `query`
(read-only Cypher), `list_repos`, `stats` and `reindex` (the one that writes: the index, never the code), the prompts `explain_symbol` and `review_diff_impact` (the instruction
with the graph's answer in it), and the
resource `codekg://schema` (the graph schema as Markdown: labels, properties and edge reasons with
their meanings, which an agent needs to write Cypher). Each tool returns compact JSON (also as
structured content) with source locations as `file_path`, `start_line`, `end_line`, within an output
budget (`api/budget.py`: every tool takes `detail`, `limit`, `cursor` and `max_bytes`, and its answer's
`page` says what was cut and how to get the rest); a failure is
an `isError` result holding the error document the HTTP API and `--json` give (`_error_result`), for
arguments that break a tool's schema too (`_Server.call_tool`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from codekg import __version__
from codekg.api.budget import DEFAULT_BUDGET, DEFAULT_LIMIT, MAX_BUDGET, offset_of, paged
from codekg.api.request_limits import send_json
from codekg.api.security import token_matches
from codekg.errors import CodekgError, error_json, validation_message
from codekg.service import MAX_DEPTH, MAX_SEARCH_RESULTS, GraphService

SCHEMA_URI = "codekg://schema"
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)
REINDEX = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
INSTRUCTIONS = (
    "codekg answers questions about an indexed code base from its knowledge graph. Start with `search` "
    "to find a symbol, then `context` for its callers/callees and `impact` before changing it; "
    "`detect_changes` maps uncommitted edits to affected symbols; given an issue or bug report, `locate` "
    "ranks the files (or functions) to change, with evidence. `query` runs read-only Cypher: read "
    f"the `{SCHEMA_URI}` resource for labels, properties and relationship types first."
)

Repo = Annotated[str | None, Field(description="Served repository name (see list_repos); default: the first.")]
Symbol = Annotated[str, Field(description="Qualified name (e.g. `shop.service.checkout`), short name or node id.")]
Depth = Annotated[int, Field(ge=1, le=MAX_DEPTH, description="How many hops to follow.")]
MinConfidence = Annotated[float, Field(ge=0.0, le=1.0, description="Ignore edges less sure than this (0..1).")]


Detail = Annotated[str, Field(pattern="^(summary|full)$", description="`summary` (default): each symbol's name, "
                              "label, location, signature, confidence and relation; `full`: every field.")]
Cursor = Annotated[str | None, Field(description="`page.next_cursor` of the previous answer of this tool, with the "
                                                 "same arguments: the next items of every list it cut.")]
PerList = Annotated[int, Field(ge=1, le=500, description="At most this many items in each list of the answer.")]
MaxBytes = Annotated[int, Field(ge=2048, le=MAX_BUDGET, description="The answer's size budget in bytes (lists are "
                                                                    "cut to fit; `page` says what was cut).")]


@dataclass(frozen=True, slots=True)
class _Paging:
    detail: str = "summary"
    limit: int = DEFAULT_LIMIT
    cursor: str | None = None
    max_bytes: int = DEFAULT_BUDGET
    scope: str = ""  # the tool's name, in its cursors


def _run(operation: Callable[[], Any], paging: _Paging = _Paging()) -> CallToolResult:
    """Run one service operation as a tool call: compact JSON, or an isError result holding the error
    document the HTTP API and `--json` give (`{"error": code, "message": …, "candidates": …}`)."""
    try:
        result = paged(operation(), paging.detail, paging.limit, paging.cursor, paging.max_bytes, paging.scope)
    except CodekgError as error:
        return _error_result(error.to_json())
    text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=result)


def _prompt(instruction: str, operation: Callable[[], Any]) -> str:
    """A prompt's text: the instruction, then the tool's answer within the default budget. A codekg
    error (an unknown symbol, not a git work tree) is a JSON-RPC invalid-params error whose data is
    the error document."""
    try:
        answer = paged(operation())
    except CodekgError as error:  # a protocol error carrying the error document, not a crash
        raise MCPError(INVALID_PARAMS, str(error), error.to_json()) from None
    return f"{instruction}\n\n```json\n{json.dumps(answer, ensure_ascii=False, indent=1)}\n```\n"


def _ranked(limit: int, cursor: str | None, tool: str) -> int:
    """How many results a ranking tool ranks for this page: a later page ranks that many. Called
    inside the operation, so a cursor of another tool is an input error like any other."""
    return min(limit + offset_of(cursor, "results", tool), MAX_SEARCH_RESULTS)


def _error_result(body: dict[str, Any]) -> CallToolResult:
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=str)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=body, is_error=True)


class _Server(MCPServer):
    """Arguments that break a tool's schema are answered as any bad input is
    (`{"error": "input", "message": "depth: Input should be less than or equal to 10"}`), not with
    pydantic's report, its input values and its links."""

    async def call_tool(self, name: str, arguments: dict[str, Any], context: Any = None) -> Any:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            if isinstance(error, UnexpectedToolError) or not isinstance(error.__cause__, ValidationError):
                raise
            return _error_result(error_json("input", validation_message(error.__cause__.errors())))


def create_mcp_server(service: GraphService) -> MCPServer:
    server = _Server("codekg", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def search(
        query: Annotated[str, Field(description="What to look for: a name, words of a docstring, a description.")],
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH_RESULTS, description="At most this many results.")] = 10,
        mode: Annotated[str, Field(description="Ranking: `hybrid` (default) or a single method.")] = "hybrid",
        repo: Repo = None,
        labels: Annotated[list[str] | None, Field(description="Only symbols of these labels: Module, Class, Interface, "
                                                  "Enum, Type, Function, Method, Variable.")] = None,
        path: Annotated[str, Field(description="Only symbols in files matching this shell pattern (`*` crosses folders).")] = "",
        include_tests: Annotated[bool, Field(description="false: leave out symbols of test files.")] = True,
        detail: Detail = "summary",
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """Find functions, methods, classes and modules matching a query, best first, with their locations.
        A name ranks the symbols so named first; tests, docs and examples come after the code itself."""
        return _run(lambda: service.search(query, _ranked(limit, cursor, "search"), mode, repo, tuple(labels or ()), path,
                                           include_tests), _Paging(detail, limit, cursor, max_bytes, "search"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def locate(
        text: Annotated[str, Field(description="The issue's text, whole: tracebacks, quoted messages, names and code are read.")],
        level: Annotated[Literal["file", "symbol"], Field(description="Rank `file`s (default) or `symbol`s "
                                    "(functions, methods, classes).")] = "file",
        limit: Annotated[int, Field(ge=1, le=MAX_SEARCH_RESULTS, description="At most this many results.")] = 10,
        include_tests: Annotated[bool, Field(description="Rank tests, docs and examples level with the code.")] = False,
        repo: Repo = None,
        detail: Detail = "summary",
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """From an issue or bug report to the files (or functions) to change, best first, each with the
        evidence that put it there (a traceback frame, a name, a quoted message found in it, a caller of a named symbol)."""
        return _run(lambda: service.locate(text, level, _ranked(limit, cursor, "locate"), include_tests, repo),
                    _Paging(detail, limit, cursor, max_bytes, "locate"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def context(symbol: Symbol, repo: Repo = None, detail: Detail = "summary", limit: PerList = DEFAULT_LIMIT,
                cursor: Cursor = None, max_bytes: MaxBytes = DEFAULT_BUDGET) -> CallToolResult:
        """Everything about one symbol: its definition and location, callers, callees, imports and class hierarchy.
        An ambiguous name fails with the candidates to choose from."""
        return _run(lambda: service.context(symbol, repo), _Paging(detail, limit, cursor, max_bytes, "context"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def impact(
        symbol: Symbol,
        depth: Depth = 3,
        direction: Annotated[str, Field(pattern="^(upstream|downstream)$",
                                        description="`upstream`: what depends on the symbol (what a change can "
                                                    "break); `downstream`: what it depends on.")] = "upstream",
        min_confidence: MinConfidence = 0.0,
        repo: Repo = None,
        detail: Detail = "summary",
        limit: PerList = DEFAULT_LIMIT,
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """The blast radius of changing a symbol: the symbols reached through calls, imports and inheritance, by depth."""
        return _run(lambda: service.impact(symbol, depth, direction, min_confidence, repo),
                    _Paging(detail, limit, cursor, max_bytes, "impact"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def references(symbol: Symbol, repo: Repo = None, detail: Detail = "summary", limit: PerList = DEFAULT_LIMIT,
                   cursor: Cursor = None, max_bytes: MaxBytes = DEFAULT_BUDGET) -> CallToolResult:
        """Every use of a symbol: calls, imports, type uses (annotations, isinstance), reads and writes of a
        variable, subclasses and overriding methods; each with its kind, file and line."""
        return _run(lambda: service.references(symbol, repo), _Paging(detail, limit, cursor, max_bytes, "references"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def definition(
        file_path: Annotated[str, Field(description="Repository-relative path, e.g. `src/shop/service.py`.")],
        line: Annotated[int, Field(ge=1, description="1-based line number.")],
        repo: Repo = None,
    ) -> CallToolResult:
        """The symbol defined at a file and line (the innermost function, method, class or module holding
        the line), with the symbols around it."""
        return _run(lambda: service.definition(file_path, line, repo))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def path(
        source: Annotated[str, Field(description="Where the path starts: qualified name, short name or node id.")],
        target: Annotated[str, Field(description="Where it ends.")],
        depth: Annotated[int, Field(ge=1, le=10, description="At most this many edges.")] = 6,
        repo: Repo = None,
    ) -> CallToolResult:
        """How one symbol reaches another: the shortest chain of calls, imports, inheritance, type uses,
        variable accesses and decorators from source to target (or, when there is none, from target to source)."""
        return _run(lambda: service.path(source, target, depth, repo))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def callgraph(
        symbol: Symbol,
        depth: Annotated[int, Field(ge=1, le=10, description="How many calls away.")] = 2,
        direction: Annotated[str, Field(pattern="^(both|upstream|downstream)$",
                                        description="`downstream`: what it calls; `upstream`: what calls it.")] = "both",
        repo: Repo = None,
        detail: Detail = "summary",
        limit: PerList = DEFAULT_LIMIT,
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """The call graph around a symbol: its callers and callees, theirs, and so on, as nodes and edges
        (each edge with its confidence and call line)."""
        return _run(lambda: service.callgraph(symbol, depth, direction, repo), _Paging(detail, limit, cursor, max_bytes, "callgraph"))

    @server.tool(annotations=REINDEX, structured_output=False)
    def reindex(repo: Repo = None) -> CallToolResult:
        """Bring the index up to date with the files on disk (only what changed is re-read) and say what changed.
        Run it after editing files, before asking about them."""
        return _run(lambda: service.reindex(repo))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def lineage(
        name: Annotated[str, Field(description="A SQL table or view (`schema.table`) or column (`schema.table.column`); "
                                               "unqualified names are looked up under `<default>` too.")],
        direction: Annotated[str, Field(pattern="^(both|upstream|downstream)$",
                                        description="`upstream`: what feeds it; `downstream`: what it feeds.")] = "both",
        depth: Depth = 3,
        repo: Repo = None,
        detail: Detail = "summary",
        limit: PerList = DEFAULT_LIMIT,
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """SQL lineage: the tables/columns that feed NAME and those it feeds, hop by hop, each with the SQL
        statement (file, line) that makes the hop and the functions that run it. `impact` on a table or column
        lists everything that depends on it."""
        return _run(lambda: service.lineage(name, direction, depth, repo), _Paging(detail, limit, cursor, max_bytes, "lineage"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def detect_changes(
        base: Annotated[str | None, Field(description="Compare the work tree with this git revision (default: HEAD).")] = None,
        staged: Annotated[bool, Field(description="Only the staged changes.")] = False,
        depth: Depth = 3,
        min_confidence: MinConfidence = 0.0,
        repo: Repo = None,
        detail: Detail = "summary",
        limit: PerList = DEFAULT_LIMIT,
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """Map uncommitted git changes to the symbols they touch and the symbols those affect (run before a commit)."""
        return _run(lambda: service.detect_changes(base, staged, depth, min_confidence, repo),
                    _Paging(detail, limit, cursor, max_bytes, "detect_changes"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def query(
        cypher: Annotated[str, Field(description=f"A read-only Cypher query; see the {SCHEMA_URI} resource for the schema.")],
        parameters: Annotated[dict[str, Any] | None, Field(description="Values for `$name` parameters.")] = None,
        repo: Repo = None,
        limit: PerList = DEFAULT_LIMIT,
        cursor: Cursor = None,
        max_bytes: MaxBytes = DEFAULT_BUDGET,
    ) -> CallToolResult:
        """Run a read-only Cypher query against the code graph; returns columns and rows. Write clauses are refused."""
        return _run(lambda: service.query(cypher, parameters, repo), _Paging("full", limit, cursor, max_bytes, "query"))

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def list_repos() -> CallToolResult:
        """The repositories this server answers for, with their roots and when each was indexed."""
        return _run(service.list_repos)

    @server.tool(annotations=READ_ONLY, structured_output=False)
    def stats(repo: Repo = None) -> CallToolResult:
        """Size of the index: nodes per label, edges per relationship type, files per language, index time, commit."""
        return _run(lambda: service.stats(repo))

    @server.prompt(name="explain_symbol", title="Explain this symbol",
                   description="What a symbol does, who uses it and what a change to it would touch, from the code graph.")
    def explain_symbol(symbol: Symbol, repo: Repo = None) -> str:
        return _prompt(f"Explain what `{symbol}` does and how it is used, for a developer about to change it: its role, "
                       "its main callers and callees, and what a change to it could break. Base the answer on this "
                       "context from the code graph (call the `references`, `impact` and `context` tools for more):",
                       lambda: service.context(symbol, repo))

    @server.prompt(name="review_diff_impact", title="Review this diff's impact",
                   description="The symbols the uncommitted changes touch and what depends on them, as a review checklist.")
    def review_diff_impact(base: Annotated[str | None, Field(description="Compare with this git revision (default: HEAD).")] = None,
                           repo: Repo = None) -> str:
        return _prompt("Review the impact of the uncommitted changes below: list each changed symbol, the callers and "
                       "importers at risk (highest confidence first), the tests that cover them or should, and what to "
                       "check before merging. The changes and their blast radius, from the code graph:",
                       lambda: service.detect_changes(base, False, 3, 0.0, repo))

    @server.resource(SCHEMA_URI, name="schema", title="codekg graph schema", mime_type="text/markdown",
                     description="Node labels, relationship types, their properties and the reasons on derived edges.")
    def schema() -> str:
        return service.schema_markdown()

    return server


def serve_stdio(server: MCPServer) -> None:
    """Serve over stdin/stdout until the client closes stdin."""
    anyio.run(server.run_stdio_async)


def streamable_http_app(server: MCPServer, host: str, token: str | None) -> ASGIApp:
    """The Streamable HTTP app (endpoint /mcp), behind the bearer token when one is given."""
    app = server.streamable_http_app(host=host)
    return app if token is None else BearerTokenGate(app, token)


class BearerTokenGate:
    """Answers 401 to any HTTP request without `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
            if not token_matches(headers.get("authorization"), self.token):
                await send_json(send, 401, error_json("unauthorized", "missing or wrong bearer token"),
                                [(b"www-authenticate", b"Bearer")])
                return
        await self.app(scope, receive, send)
