"""The security suite: every attack of issue 13 and ≥ 500 generated hostile queries, sent by real clients
(httpx to `codekg serve`, the MCP SDK's client to `codekg mcp`, the `codekg query` command) to real
processes. Zero crashes, zero file reads or writes outside the index, each refusal with its reason."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pydantic_core
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from hostile_queries import HostileQuery, hostile_queries

sys.path.insert(0, str(Path(__file__).parent / "api"))
from serving import FIXTURES, TOKEN, codekg, running  # noqa: E402

CANARY_TEXT = "canary-3b7e:secret:9f21"
SANDBOX_CRASH = "stopped the process running it"


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    base = tmp_path_factory.mktemp("security")
    repo = base / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    secrets = base / "secrets"
    secrets.mkdir()
    canary = secrets / "canary.txt"
    canary.write_text(f"{CANARY_TEXT}\n" * 3)
    write_dir = base / "must-stay-empty"
    write_dir.mkdir()
    return repo, canary, write_dir


@pytest.fixture(autouse=True)
def short_query_timeout(monkeypatch):
    monkeypatch.setenv("CODEKG_QUERY_TIMEOUT_SECONDS", "2")  # the time bombs stop sooner


def http_reason(response: httpx.Response) -> str:
    """The refusal's reason, `database` for a query the database stopped, or what went wrong."""
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.status_code} {response.text[:200]}"
    if response.status_code == 200:
        return "answered"
    if response.status_code in (403, 413, 431) and "reason" in body:
        return body["reason"]
    if response.status_code == 400 and body.get("error") == "query" and SANDBOX_CRASH not in body["message"]:
        return "database"
    if response.status_code == 400 and "parsing the body" in body.get("message", ""):
        return "invalid_body"
    return f"unexpected: {response.status_code} {json.dumps(body)[:300]}"


def mcp_reason(text: str) -> str:
    """A refusal's reason from a tool's error document (the HTTP API's: `{"error", "message", "reason"?}`)."""
    try:
        body = json.loads(text)
    except ValueError:
        return f"unexpected: not JSON: {text[:300]}"
    if "reason" in body:
        return body["reason"]
    return "database" if body.get("error") == "query" and SANDBOX_CRASH not in body.get("message", "") else f"unexpected: {text[:300]}"


def assert_nothing_leaked(answers: list[str], write_dir: Path) -> None:
    assert not [a for a in answers if CANARY_TEXT in a or "root:x:0:0" in a], "a file's contents reached a client"
    assert not [a for a in answers if SANDBOX_CRASH in a], "a query crashed the process running it"
    assert list(write_dir.iterdir()) == []


def test_the_generated_set_is_large_and_covers_every_category(setting):
    _, canary, write_dir = setting
    queries = hostile_queries(canary, write_dir)
    categories = {q.category.split(":")[0] for q in queries}
    assert len(queries) >= 500
    assert categories == {"nesting", "flood", "huge_literal", "file_clause", "comment_string_trick", "look_alike",
                          "parameter_flood", "bomb", "graph_write"}


def test_hostile_queries_over_http(setting):
    repo, canary, write_dir = setting
    queries = hostile_queries(canary, write_dir)
    with running("serve", "--repo", str(repo)) as server, server.client(None) as client:
        wrong, answers = send_over_http(client, queries)
        assert client.get("/healthz").status_code == 200
        assert client.post("/query", json={"cypher": "MATCH (f:Function) RETURN count(f)"}).json()["rows"] == [[4]]
        assert server.process.poll() is None
    assert wrong == [], "\n".join(map(str, wrong))
    assert_nothing_leaked(answers, write_dir)


def send_over_http(client: httpx.Client, queries: list[HostileQuery]) -> tuple[list[tuple], list[str]]:
    """POST each query; the queries answered otherwise than their reasons allow, and every answer's text."""
    wrong, answers = [], []
    for query in queries:
        response = client.post("/query", content=_body(query), headers={"content-type": "application/json"})
        answers.append(response.text)
        reason = http_reason(response)
        if reason not in query.reasons:
            wrong.append((query.category, query.cypher[:120], reason))
    return wrong, answers


def _body(query: HostileQuery) -> bytes:
    """The request body; a parameter nested deeper than json.dumps recurses is written out by hand."""
    try:
        return json.dumps({"cypher": query.cypher, "parameters": query.parameters}).encode()
    except RecursionError:
        value = query.parameters["p"]
        depth = 0
        while isinstance(value, list):
            value, depth = value[0], depth + 1
        nested = "[" * depth + json.dumps(value) + "]" * depth
        return (json.dumps({"cypher": query.cypher})[:-1] + f', "parameters": {{"p": {nested}}}}}').encode()


def test_hostile_queries_over_mcp(setting):
    repo, canary, write_dir = setting
    queries = [q for q in hostile_queries(canary, write_dir) if _encodable(q)]
    wrong, answers = [], []
    params = StdioServerParameters(command=sys.executable, args=["-m", "codekg", "mcp", "--repo", str(repo)],
                                   env=dict(os.environ))

    async def session() -> None:
        async with Client(params) as client:
            for query in queries:
                result = await client.call_tool("query", {"cypher": query.cypher, "parameters": query.parameters})
                text = result.content[0].text
                answers.append(text)
                reason = mcp_reason(text) if result.is_error else "answered"
                if reason not in query.reasons:
                    wrong.append((query.category, query.cypher[:120], reason))
            count = await client.call_tool("query", {"cypher": "MATCH (f:Function) RETURN count(f)"})
            assert count.structured_content["rows"] == [[4]]

    anyio.run(session)
    assert len(queries) >= 500 and wrong == [], "\n".join(map(str, wrong))
    assert_nothing_leaked(answers, write_dir)


def _encodable(query: HostileQuery) -> bool:
    """Whether the MCP client can send the parameters at all (it refuses nesting beyond its own limit)."""
    try:
        pydantic_core.to_json(query.parameters)
        return True
    except ValueError:
        return False


def test_hostile_queries_through_the_cli(setting):
    """`codekg query` (no parameters): one query of each category and form, then every 20th."""
    repo, canary, write_dir = setting
    # an argument holds no NUL byte and at most 128 KiB (Linux's MAX_ARG_STRLEN)
    queries = [q for q in hostile_queries(canary, write_dir)
               if not q.parameters and "\x00" not in q.cypher and len(q.cypher.encode()) < 100_000]
    firsts = {q.category: q for q in reversed(queries)}
    sample = list(firsts.values()) + queries[::20]
    wrong, answers = [], []
    for query in sample:
        result = codekg("query", query.cypher, "--repo", str(repo), "--json")
        answers.append(result.stdout + result.stderr)
        reason = _cli_reason(result)
        if reason not in query.reasons:
            wrong.append((query.category, query.cypher[:120], reason))
    assert len(sample) >= 50 and wrong == [], "\n".join(map(str, wrong))
    assert_nothing_leaked(answers, write_dir)


def _cli_reason(result: subprocess.CompletedProcess) -> str:
    """`--json` errors are one JSON object on stdout: code, message, exit code and, for a refusal, reason."""
    if result.returncode == 0:
        return "answered"
    try:
        error = json.loads(result.stdout)
    except ValueError:
        return f"unexpected: exit {result.returncode}: {result.stdout[-200:]} {result.stderr[-300:]}"
    if "reason" in error:
        return error["reason"]
    return "database" if error["error"] == "query" and SANDBOX_CRASH not in error["message"] else f"unexpected: {error}"


def test_allow_writes_never_reaches_files_or_the_catalog(setting, tmp_path):
    repo = tmp_path / "pyrepo"
    shutil.copytree(setting[0], repo)
    _, canary, write_dir = setting
    file_queries = [q for q in hostile_queries(canary, write_dir) if q.category == "file_clause"]
    wrong, answers = [], []
    with running("serve", "--repo", str(repo), "--allow-writes") as server, server.client(None) as client:
        for query in file_queries:
            response = client.post("/query", json={"cypher": query.cypher})
            answers.append(response.text)
            if response.status_code != 403 or http_reason(response) not in query.reasons - {"graph_write"}:
                wrong.append((query.cypher[:100], response.status_code, response.text[:200]))
        created = client.post("/query", json={"cypher": "CREATE (:External {id: 'added', name: 'added'})"})
        assert created.status_code == 200
        assert client.post("/query", json={"cypher": "MATCH (e:External {id: 'added'}) RETURN e.name"}).json()["rows"] == [["added"]]
        meta = client.post("/query", json={"cypher": "MATCH (m:IndexMeta) RETURN count(m)"}).json()["rows"][0][0]
        assert meta > 0 and client.get("/stats").status_code == 200  # DROP TABLE IndexMeta never ran
    assert wrong == [], "\n".join(map(str, wrong))
    assert_nothing_leaked(answers, write_dir)


def test_a_flood_of_oversized_bodies_leaves_the_server_small(setting):
    repo = setting[0]
    with running("serve", "--repo", str(repo)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        statuses = []
        for _ in range(30):  # 200 MB declared: refused before a byte of it is read
            statuses.append(_raw_request(host, int(port), {"Content-Length": str(200 * 2**20)}, 8 * 2**20))
        for _ in range(10):  # chunked, no length: read up to the limit, then refused
            statuses.append(_raw_request(host, int(port), {"Transfer-Encoding": "chunked"}, 50 * 2**20, chunked=True))
        rss = _rss_bytes(server.process.pid)
        with server.client(None) as client:
            assert client.post("/query", json={"cypher": "RETURN 1"}).json()["rows"] == [[1]]
    assert statuses == [413] * 40
    assert rss <= 300 * 2**20, f"server RSS {rss / 2**20:.0f} MB after the flood"


def _raw_request(host: str, port: int, headers: dict[str, str], send_bytes: int, chunked: bool = False) -> int:
    """POST /query with ``headers``, sending up to ``send_bytes`` of body until the server answers."""
    with socket.create_connection((host, port), timeout=30) as sock:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"POST /query HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n{head}\r\n".encode())
        block = b"[" * 65536
        sent = 0
        try:
            while sent < send_bytes:
                sock.sendall(b"10000\r\n" + block + b"\r\n" if chunked else block)
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed
        sock.settimeout(30)
        try:
            reply = sock.recv(4096)
        except ConnectionResetError:
            return 0
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else 0


def _rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_host_origin_header_size_and_concurrency_limits(setting, monkeypatch):
    repo = setting[0]
    monkeypatch.setenv("CODEKG_API_ALLOWED_HOSTS", '["codekg.internal"]')
    monkeypatch.setenv("CODEKG_API_CORS_ORIGINS", '["https://app.example.com"]')
    with running("serve", "--repo", str(repo)) as server, server.client(None) as client:
        port = server.url.rsplit(":", 1)[1]
        for host in ("evil.example.com", f"evil.example.com:{port}", "127.0.0.1.evil.example.com", "localhost.evil"):
            refused = client.get("/stats", headers={"Host": host})
            assert (refused.status_code, refused.json()["reason"]) == (403, "host_not_allowed")
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "codekg.internal", "CODEKG.internal:80"):
            assert client.get("/stats", headers={"Host": host}).status_code == 200
        foreign = client.post("/query", json={"cypher": "RETURN 1"}, headers={"Origin": "http://evil.example.com"})
        assert (foreign.status_code, foreign.json()["reason"]) == (403, "origin_not_allowed")
        assert client.get("/stats", headers={"Origin": f"http://127.0.0.1:{port}"}).status_code == 200
        preflight = client.options("/query", headers={"Origin": "https://app.example.com",
                                                      "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
        big = client.get("/stats", headers={f"X-Filler-{i}": "a" * 1000 for i in range(20)})
        assert (big.status_code, big.json()["reason"]) == (431, "headers_too_large")
        assert client.get("/healthz").status_code == 200
    monkeypatch.setenv("CODEKG_API_MAX_CONCURRENCY", "2")
    with running("serve", "--repo", str(repo)) as server:
        host, port = server.url.removeprefix("http://").split(":")
        idle = [socket.create_connection((host, int(port))) for _ in range(2)]
        time.sleep(0.5)
        try:
            assert httpx.get(f"{server.url}/healthz").status_code == 503
        finally:
            for sock in idle:
                sock.close()
        time.sleep(0.5)
        assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_the_mcp_http_server_has_the_same_doors(setting):
    repo = setting[0]
    with running("mcp", "--http", "--repo", str(repo)) as server:
        refused = httpx.post(f"{server.url}/mcp", json={}, headers={"Host": "evil.example.com"})
        assert (refused.status_code, refused.json()["reason"]) == (403, "host_not_allowed")
        huge = httpx.post(f"{server.url}/mcp", content=b"x" * (2 * 2**20))
        assert (huge.status_code, huge.json()["reason"]) == (413, "body_too_large")
        # the one error document (`error` a snake-case code, then `message` and `reason`), not `BodyTooLarge`
        assert {key: huge.json()[key] for key in ("error", "reason")} == {"error": "request_refused", "reason": "body_too_large"}


def test_tokens_are_required_and_never_printed(setting):
    repo = setting[0]
    with running("serve", "--repo", str(repo), "--token", TOKEN) as server:
        assert server.client(None).get("/stats").status_code == 401
        assert server.client("wrong").get("/stats").status_code == 401
        assert server.client().get("/stats").status_code == 200
        _, output = server.stop()
    assert TOKEN not in output
    refused = codekg("serve", "--repo", str(repo), "--host", "0.0.0.0", "--port", "0", "--allow-writes", timeout=60)
    assert refused.returncode == 2 and "without a token" in refused.stderr


def test_hostile_queries_against_a_falkordb_store(setting, tmp_path, monkeypatch):
    """Layer 1 guards a server store too (FalkorDB has no plan check here; it runs requests with
    GRAPH.RO_QUERY): the same queries, but the bombs, which would allocate gigabytes in the shared
    FalkorDB server rather than in codekg."""
    sys.path.insert(0, str(Path(__file__).parent / "stores"))
    from falkordb_server import FalkorDBServer

    repo = tmp_path / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    _, canary, write_dir = setting
    queries = [q for q in hostile_queries(canary, write_dir) if q.category != "bomb"]
    with FalkorDBServer() as falkordb:
        monkeypatch.setenv("CODEKG_STORE", falkordb.uri("security"))
        indexed = codekg("index", str(repo), "--quiet")
        assert indexed.returncode == 0, indexed.stderr
        with running("serve", "--repo", str(repo)) as server, server.client(None) as client:
            wrong, answers = send_over_http(client, queries)
            assert client.post("/query", json={"cypher": "MATCH (f:Function) RETURN count(f)"}).json()["rows"] == [[4]]
    assert wrong == [], "\n".join(map(str, wrong))
    assert_nothing_leaked(answers, write_dir)
