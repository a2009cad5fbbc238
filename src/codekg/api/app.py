"""The HTTP API (`codekg serve`): search, context, impact, detect-changes, stats and Cypher over a served index.

Takes: a `GraphService` (the repositories and their operations) and an optional bearer token.
Returns: a FastAPI app. Each endpoint is a thin call of one service operation; failures are
`CodekgError`s turned into a status and a JSON body in `ERROR_STATUS`, the one place that does it.
The web view (web/) is served at `/`. With a token, every route but /healthz, /docs, /openapi.json
and the web view's static files (no repository data) needs
`Authorization: Bearer <token>`, /metrics included.
"""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from codekg import __version__
from codekg.api.security import token_matches
from codekg.errors import (
    CodekgError,
    GitError,
    IndexLockedError,
    IndexNotFoundError,
    InputError,
    PathOutsideRootError,
    QueryError,
    QueryForbiddenError,
    QueryTooLargeError,
    RunInterrupted,
    SchemaVersionError,
    SymbolAmbiguousError,
    SymbolNotFoundError,
    UnknownRepositoryError,
    error_json,
    validation_message,
)
from codekg.metrics import HTTP_REQUEST_SECONDS, REGISTRY
from codekg.service import MAX_DEPTH, MAX_SEARCH_RESULTS, GraphService
from codekg.web import add_web_view

# Most specific class first: the first match along an error's class hierarchy decides.
ERROR_STATUS: dict[type[CodekgError], int] = {
    UnknownRepositoryError: 404,
    SymbolNotFoundError: 404,
    SymbolAmbiguousError: 400,  # the body lists the candidates
    GitError: 400,  # not a work tree, an unknown ref
    InputError: 400,  # bad input: a malformed argument, an unknown or ambiguous symbol
    QueryError: 400,  # the database rejected the query; its own message is returned
    QueryTooLargeError: 413,  # a query or its parameters beyond a limit of the query guard
    QueryForbiddenError: 403,  # file access, extensions, the catalog, procedures; graph writes when read-only
    PathOutsideRootError: 403,
    IndexNotFoundError: 503,  # nothing to serve until `codekg index` has run
    SchemaVersionError: 503,
    IndexLockedError: 503,  # an index run holds the writer lock (only writes need it)
    RunInterrupted: 503,
}
RETRY_AFTER_SECONDS = "2"


def status_for(error: CodekgError) -> int:
    """The table's status for the error's class or its nearest listed ancestor; otherwise the CLI's exit
    code decides: 2 (the user's input) is 400, anything else 500."""
    for cls in type(error).__mro__:
        if cls in ERROR_STATUS:
            return ERROR_STATUS[cls]
    return 400 if error.exit_code == 2 else 500


class ErrorBody(BaseModel):
    error: str = Field(description="A stable code for the kind of failure (the CLI's `--json` and MCP give the same): "
                       "`symbol_not_found`, `symbol_ambiguous`, `unknown_repository`, `input`, `query`, "
                       "`query_forbidden`, `write_query`, `query_too_large`, `path_outside_root`, `index_not_found`, "
                       "`index_locked`, `unauthorized`, … (README, Errors).")
    message: str
    candidates: list[Any] | None = Field(None, description="For an ambiguous or unknown name: what it could mean.")
    reason: str | None = Field(None, description="For a refused query: the rule it broke (`too_deep`, `file_access`, "
                               "`graph_write`, …; docs/security.md lists them).")


class QueryRequest(BaseModel):
    cypher: str = Field(description="A Cypher query; read-only unless the server runs with --allow-writes.",
                        examples=["MATCH (f:Function) RETURN f.qualified_name, f.file_path LIMIT 5"])
    parameters: dict[str, Any] = Field(default_factory=dict, description="Values for `$name` parameters.")
    repo: str | None = Field(None, description="Served repository name (default: the first).")


class LocateRequest(BaseModel):
    text: str = Field(description="The issue's text (Markdown or plain; tracebacks, quoted messages and code are read).",
                      examples=["`url_for` fails outside a request: RuntimeError: Unable to build URLs outside an active request"])
    level: Literal["file", "symbol"] = Field("file", description="Rank files, or symbols (functions, methods, classes).")
    limit: int = Field(10, ge=1, le=MAX_SEARCH_RESULTS)
    include_tests: bool = Field(False, description="Rank tests, docs and examples level with the code (default: after it).")
    repo: str | None = Field(None, description="Served repository name (default: the first).")


class QueryResponse(BaseModel):
    columns: list[str]
    rows: list[list[Any]]
    truncated: bool = Field(description="More rows matched than the `query_max_rows` returned.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody} for status in (400, 401, 403, 404, 413, 503)
}
RepoParam = Annotated[str | None, Query(description="Served repository name (default: the first; see /repos).")]


def create_app(service: GraphService, token: str | None = None) -> FastAPI:
    app = FastAPI(
        title="codekg",
        version=__version__,
        description="Search, context, impact and Cypher over a code knowledge graph. "
                    "Locations are repository-relative `file_path` with 1-based `start_line`/`end_line`.",
    )
    app.add_middleware(RequestLatency)
    _error_handlers(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness: always 200 while the server runs (no token needed).")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    router = APIRouter(dependencies=[Depends(_bearer_check(token))] if token else [], responses=ERROR_RESPONSES)

    @router.get("/metrics", tags=["operations"], response_class=PlainTextResponse,
                summary="Prometheus metrics: parse cache, parse pool, watcher and request latencies.")
    def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    @router.get("/repos", tags=["graph"], summary="The served repositories and when each was indexed.")
    def repos() -> dict[str, Any]:
        return service.list_repos()

    @router.get("/stats", tags=["graph"], summary="Nodes per label, edges per type, files per language, index time, commit.")
    def stats(repo: RepoParam = None) -> dict[str, Any]:
        return service.stats(repo)

    @router.post("/query", tags=["graph"], response_model=QueryResponse,
                 summary="Run a Cypher query; write clauses are refused with 403 unless --allow-writes.")
    def query(request: QueryRequest) -> dict[str, Any]:
        return service.query(request.cypher, request.parameters, request.repo)

    @router.get("/search", tags=["graph"], summary="Symbols ranked by how well they match a query.")
    def search(
        q: Annotated[str, Query(description="What to look for: a name, words from a docstring, a description.")],
        limit: Annotated[int, Query(ge=1, le=MAX_SEARCH_RESULTS)] = 10,
        mode: Annotated[str, Query(description="Ranking: hybrid (default), or a single method.")] = "hybrid",
        repo: RepoParam = None,
        label: Annotated[list[str] | None, Query(description="Only symbols of this label (repeat for several): "
                                                  "Module, Class, Interface, Enum, Type, Function, Method, Variable.")] = None,
        path: Annotated[str, Query(description="Only symbols in files matching this shell pattern (`*` crosses folders).")] = "",
        include_tests: Annotated[bool, Query(description="false: leave out symbols of test files.")] = True,
    ) -> dict[str, Any]:
        return service.search(q, limit, mode, repo, tuple(label or ()), path, include_tests)

    @router.post("/locate", tags=["graph"], summary="The files or symbols an issue's text most likely needs changed, with evidence.")
    def locate(request: LocateRequest) -> dict[str, Any]:
        return service.locate(request.text, request.level, request.limit, request.include_tests, request.repo)

    @router.get("/context", tags=["graph"], summary="A symbol's definition, callers, callees, imports and hierarchy.")
    def context(
        symbol: Annotated[str, Query(description="Qualified name (e.g. `shop.service.checkout`), name or id.")],
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.context(symbol, repo)

    @router.get("/references", tags=["graph"], summary="Every use of a symbol: calls, imports, type uses, reads, writes, subclasses.")
    def references(
        symbol: Annotated[str, Query(description="Qualified name, name or id of the symbol.")],
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.references(symbol, repo)

    @router.get("/definition", tags=["graph"], summary="The symbol at a file and line, and the symbols around it.")
    def definition(
        file: Annotated[str, Query(description="Repository-relative path.")],
        line: Annotated[int, Query(ge=1, description="1-based line.")],
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.definition(file, line, repo)

    @router.get("/files", tags=["graph"], summary="Every indexed file: path, language, line count, test or not.")
    def files(repo: RepoParam = None) -> dict[str, Any]:
        return service.files(repo)

    @router.get("/outline", tags=["graph"], summary="The classes, functions and methods of one file, in source order.")
    def outline(
        file: Annotated[str, Query(description="Repository-relative path.")],
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.outline(file, repo)

    @router.get("/path", tags=["graph"], summary="The shortest chain of code edges from one symbol to another.")
    def path(
        source: Annotated[str, Query(alias="from", description="Where the path starts.")],
        target: Annotated[str, Query(alias="to", description="Where it ends.")],
        depth: Annotated[int, Query(ge=1, le=10)] = 6,
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.path(source, target, depth, repo)

    @router.get("/impact", tags=["graph"], summary="What a change to a symbol can break (upstream) or what it relies on.")
    def impact(
        symbol: Annotated[str, Query(description="Qualified name, name or id of the symbol.")],
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 3,
        direction: Annotated[str, Query(pattern="^(upstream|downstream)$")] = "upstream",
        min_confidence: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.impact(symbol, depth, direction, min_confidence, repo)

    @router.get("/lineage", tags=["graph"], summary="SQL lineage: what feeds a table or column, and what it feeds.")
    def lineage(
        name: Annotated[str, Query(description="`schema.table` or `schema.table.column`.")],
        direction: Annotated[str, Query(pattern="^(both|upstream|downstream)$")] = "both",
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 3,
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.lineage(name, direction, depth, repo)

    @router.get("/detect-changes", tags=["graph"], summary="Symbols touched by uncommitted changes, and their impact.")
    def detect_changes(
        base: Annotated[str | None, Query(description="Compare the work tree with this git revision (default: HEAD).")] = None,
        staged: Annotated[bool, Query(description="Only the staged changes.")] = False,
        depth: Annotated[int, Query(ge=1, le=MAX_DEPTH)] = 3,
        min_confidence: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
        repo: RepoParam = None,
    ) -> dict[str, Any]:
        return service.detect_changes(base, staged, depth, min_confidence, repo)

    @router.get("/schema", tags=["graph"], response_class=PlainTextResponse,
                summary="The graph schema (labels, relationship types, properties, reasons) as Markdown.")
    def schema() -> Response:
        return Response(service.schema_markdown(), media_type="text/markdown; charset=utf-8")

    app.include_router(router)
    add_web_view(app)
    return app


def _bearer_check(token: str) -> Any:
    scheme = HTTPBearer(auto_error=False, description="The token given to `codekg serve --token`.")

    def check(request: Request, _: HTTPAuthorizationCredentials | None = Security(scheme)) -> None:
        if not token_matches(request.headers.get("authorization"), token):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    return check


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CodekgError)
    def codekg_error(request: Request, error: CodekgError) -> JSONResponse:
        status = status_for(error)
        headers = {"Retry-After": RETRY_AFTER_SECONDS} if status == 503 else None
        return JSONResponse(error.to_json(), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_json("input", validation_message(list(error.errors()))), status_code=400)

    @app.exception_handler(StarletteHTTPException)
    def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        kind = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http")
        return JSONResponse(error_json(kind, str(error.detail)), status_code=error.status_code,
                            headers=error.headers)


class RequestLatency:
    """Observes each request's duration in `http_request_duration_seconds` by route template and status
    (the template, not the raw path, so the label set stays small; `unmatched` for a 404 route)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_with_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_status)
        finally:
            route = scope.get("route")
            HTTP_REQUEST_SECONDS.labels(
                method=scope["method"], route=getattr(route, "path", "unmatched"), status=str(status[0])
            ).observe(time.perf_counter() - started)
