"""`codekg serve` as a real process, driven by a real HTTP client: every endpoint, auth, read-only
Cypher, errors, OpenAPI, metrics, a re-index while serving, and shutdown."""

from __future__ import annotations

import fcntl
import subprocess
import json
import shutil
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from codekg.schema import render_markdown
from serving import FIXTURES, TOKEN, codekg, running

FUNCTIONS = ["shop.service.checkout", "shop.service.helper", "shop.service.helper.inner", "shop.util.log"]
GRAPH_ROUTES = [("GET", "/stats"), ("GET", "/repos"), ("GET", "/metrics"), ("GET", "/schema"),
                ("GET", "/search?q=checkout"), ("GET", "/context?symbol=checkout"), ("GET", "/impact?symbol=checkout"),
                ("GET", "/detect-changes"), ("POST", "/query"), ("GET", "/files"),
                ("GET", "/outline?file=src/shop/util.py"), ("POST", "/locate")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    repo = tmp_path_factory.mktemp("served") / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    with running("serve", "--repo", str(repo), "--token", TOKEN) as process:
        process.repo = repo
        yield process


def test_healthz_needs_no_token(server):
    response = httpx.get(f"{server.url}/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


@pytest.mark.parametrize("token", [None, "wrong-token"])
@pytest.mark.parametrize("method, route", GRAPH_ROUTES)
def test_every_other_route_needs_the_token(server, method, route, token):
    with server.client(token) as client:
        response = client.request(method, route, json={"cypher": "MATCH (n) RETURN count(n)"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": "unauthorized", "message": "missing or wrong bearer token"}
    assert TOKEN not in response.text


def test_stats_and_repos(server):
    with server.client() as client:
        stats = client.get("/stats").json()
        repos = client.get("/repos").json()
    assert stats["name"] == "pyrepo" and stats["repo"] == str(server.repo.resolve())
    assert stats["files_by_language"] == {"python": 5}
    assert stats["nodes"]["Function"] == 4 and stats["nodes"]["Method"] == 6
    assert stats["edges"]["CALLS"] > 0
    [entry] = repos["repos"]
    assert entry["name"] == "pyrepo" and entry["root"] == str(server.repo.resolve()) and entry["indexed"] is True
    assert entry["files"] == 5 and entry["indexed_at"] == stats["indexed_at"]


def test_query_returns_columns_and_rows(server):
    with server.client() as client:
        response = client.post("/query", json={
            "cypher": "MATCH (f:Function) WHERE f.name <> $skip RETURN f.qualified_name AS name, f.file_path AS file, "
                      "f.start_line AS line ORDER BY name", "parameters": {"skip": "inner"}})
    assert response.status_code == 200
    assert response.json() == {"columns": ["name", "file", "line"], "truncated": False, "rows": [
        ["shop.service.checkout", "src/shop/service.py", 6],
        ["shop.service.helper", "src/shop/service.py", 13],
        ["shop.util.log", "src/shop/util.py", 4],
    ]}


@pytest.mark.parametrize("cypher, body", [
    ("CREATE (n:Function {id: 'x'})",
     {"error": "write_query", "reason": "graph_write", "message": "write clause CREATE refused: this interface is read-only"}),
    ("match (n:Function) merge (m:Function {id: 'y'})",
     {"error": "write_query", "reason": "graph_write", "message": "write clause MERGE refused: this interface is read-only"}),
    ("MATCH (n:Function) SET n.name = 'x'",
     {"error": "write_query", "reason": "graph_write", "message": "write clause SET refused: this interface is read-only"}),
    ("MATCH (n) DETACH DELETE n",
     {"error": "write_query", "reason": "graph_write", "message": "write clause DETACH refused: this interface is read-only"}),
    ("MATCH (n) RETURN n /* harmless */; DROP TABLE Function",
     {"error": "query_forbidden", "reason": "catalog",
      "message": "DROP refused: no query may change the schema, the catalog or the attached databases"}),
    ("COPY Function TO '/tmp/codekg-leak.csv'",
     {"error": "query_forbidden", "reason": "file_access", "message": "COPY refused: no query may read or write files"}),
    ("LOAD FROM '/etc/passwd' RETURN *",
     {"error": "query_forbidden", "reason": "file_access", "message": "LOAD refused: no query may read or write files"}),
])
def test_write_clauses_are_refused_with_403(server, cypher, body):
    with server.client() as client:
        response = client.post("/query", json={"cypher": cypher})
        assert response.status_code == 403
        assert response.json() == body
        assert client.post("/query", json={"cypher": "MATCH (f:Function) RETURN count(f)"}).json()["rows"] == [[4]]


def test_keywords_in_strings_and_properties_are_not_writes(server):
    with server.client() as client:
        response = client.post("/query", json={
            "cypher": "MATCH (f:Function) WHERE f.name <> 'CREATE' AND f.name <> \"set\" // DELETE\n"
                      "RETURN count(f) AS set_count"})
    assert response.status_code == 200 and response.json()["rows"] == [[4]]


def test_database_errors_and_bad_arguments_are_400(server):
    with server.client() as client:
        bad_cypher = client.post("/query", json={"cypher": "MATCH (f:Nope) RETURN f"})
        assert bad_cypher.status_code == 400 and bad_cypher.json()["error"] == "query"
        assert "Nope" in bad_cypher.json()["message"]
        too_deep = client.get("/impact", params={"symbol": "x", "depth": 99})
        assert too_deep.status_code == 400
        assert too_deep.json() == {"error": "input", "message": "query.depth: Input should be less than or equal to 10"}
        option = client.get("/detect-changes", params={"base": "--output=/tmp/x"})
        assert option.status_code == 400 and option.json()["message"] == "invalid git revision '--output=/tmp/x'"
        assert client.post("/query", json={"cypher": "  "}).json() == {"error": "input", "message": "empty query"}
        for path, name in (("/context", "symbol"), ("/impact", "symbol"), ("/lineage", "name")):  # was a 404
            empty = client.get(path, params={name: " "})
            assert empty.status_code == 400 and empty.json()["error"] == "input", (path, empty.json())
        mixed = client.post("/query", json={"cypher": "RETURN $x", "parameters": {"x": [1, "a"]}})
        assert mixed.status_code == 400 and mixed.json()["message"].startswith("the elements of $x are of different types")


def test_unknown_repository_is_404_with_candidates(server):
    with server.client() as client:
        response = client.get("/stats", params={"repo": "other"})
    assert response.status_code == 404
    assert response.json() == {"error": "unknown_repository", "candidates": ["pyrepo"],
                               "message": "unknown repository 'other'; served: pyrepo"}


def test_schema_is_the_generated_markdown(server):
    with server.client() as client:
        response = client.get("/schema")
    assert response.headers["content-type"].startswith("text/markdown")
    assert response.text == render_markdown()


def test_openapi_and_docs(server):
    spec = httpx.get(f"{server.url}/openapi.json").json()
    assert {"/healthz", "/metrics", "/repos", "/stats", "/query", "/search", "/context", "/impact", "/references",
            "/definition", "/path", "/detect-changes", "/schema"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"] == {"HTTPBearer": {
        "type": "http", "scheme": "bearer", "description": "The token given to `codekg serve --token`."}}
    assert spec["paths"]["/query"]["post"]["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"}
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text


def test_metrics_in_prometheus_text(server):
    with server.client() as client:
        client.post("/query", json={"cypher": "MATCH (n) RETURN count(n)"})
        client.get("/stats", params={"repo": "nope"})
        text = client.get("/metrics").text
    samples = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line and not line.startswith("#")}
    assert samples['http_request_duration_seconds_count{method="POST",route="/query",status="200"}'] >= 1
    assert samples['http_request_duration_seconds_count{method="GET",route="/stats",status="404"}'] >= 1
    assert 'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/query",status="200"}' in samples
    assert {"parse_cache_hit_total", "parse_cache_miss_total", "files_processed_per_second", "active_workers",
            "batch_size_count", "batch_processing_duration_seconds_count"} <= set(samples)


def test_symlink_out_of_the_root_is_refused(server, tmp_path):
    secret = tmp_path / "secret.py"
    secret.write_text("def log(message):\n    return 'TOP SECRET'\n")
    target = server.repo / "src" / "shop" / "util.py"
    original = target.read_bytes()
    target.unlink()
    target.symlink_to(secret)
    try:
        with server.client() as client:
            response = client.get("/context", params={"symbol": "shop.util.log"})
    finally:
        target.unlink()
        target.write_bytes(original)
    assert response.status_code == 403
    assert response.json() == {"error": "path_outside_root", "message": "src/shop/util.py leads outside the indexed repository"}


def test_reindex_while_serving_is_visible(indexed):
    with running("serve", "--repo", str(indexed)) as server, server.client(token=None) as client:
        count = "MATCH (f:Function) RETURN count(f)"
        assert client.post("/query", json={"cypher": count}).json()["rows"] == [[4]]
        (indexed / "src" / "shop" / "extra.py").write_text("def added():\n    return 1\n")
        result = codekg("index", str(indexed), "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["delta"]["mode"] == "incremental"  # the server does not hold the database
        assert client.post("/query", json={"cypher": count}).json()["rows"] == [[5]]
        (indexed / "src" / "shop" / "extra2.py").write_text("def added2():\n    return 2\n")
        assert codekg("index", str(indexed), "--full", "--quiet").returncode == 0
        assert client.post("/query", json={"cypher": count}).json()["rows"] == [[6]]


def test_allow_writes_runs_writes_under_the_writer_lock(indexed):
    with running("serve", "--repo", str(indexed), "--allow-writes") as server, server.client(token=None) as client:
        rename = {"cypher": "MATCH (f:Function {qualified_name: 'shop.util.log'}) SET f.docstring = 'noted' RETURN f.docstring"}
        assert client.post("/query", json=rename).json()["rows"] == [["noted"]]
        with open(indexed / ".codekg" / "index.lock", "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as an index run holds it
            locked = client.post("/query", json=rename)
            reads = client.post("/query", json={"cypher": "MATCH (f:Function {qualified_name: 'shop.util.log'}) RETURN f.docstring"})
        assert locked.status_code == 503 and locked.headers["retry-after"] == "2"
        assert locked.json()["error"] == "index_locked"
        assert reads.json()["rows"] == [["noted"]]


def test_ctrl_c_stops_with_exit_code_130(indexed):
    with running("serve", "--repo", str(indexed)) as server:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        code, stderr = server.stop(signal.SIGINT)
    assert code == 130 and "interrupted: stopped serving" in stderr and "Traceback" not in stderr
    with running("serve", "--repo", str(indexed)) as server:
        code, stderr = server.stop(signal.SIGTERM)
    assert code == 130 and "Traceback" not in stderr


@pytest.mark.parametrize("command", [["serve"], ["serve", "--allow-writes"], ["mcp", "--http"]])
def test_binding_beyond_loopback_without_a_token_is_refused(indexed, command):
    result = codekg(*command, "--repo", str(indexed), "--host", "0.0.0.0", "--port", "0", timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "refusing to listen on 0.0.0.0 without a token" in result.stderr


def test_port_in_use_is_a_clean_error(indexed):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = codekg("serve", "--repo", str(indexed), "--port", str(taken.getsockname()[1]), timeout=30)
    assert result.returncode == 2 and "cannot listen on 127.0.0.1:" in result.stderr and "Traceback" not in result.stderr


def test_no_index_is_503(copy_fixture):
    repo = copy_fixture("pyrepo")
    with running("serve", "--repo", str(repo)) as server, server.client(token=None) as client:
        response = client.get("/stats")
    assert response.status_code == 503 and response.json()["error"] == "index_not_found"


def metric_samples(text: str) -> dict[str, float]:
    return {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if line and not line.startswith("#")}


def test_watch_keeps_the_index_current_and_its_metrics_live(indexed, monkeypatch):
    monkeypatch.setenv("CODEKG_WATCH_DEBOUNCE_MS", "100")
    with running("serve", "--repo", str(indexed), "--watch") as server, server.client(token=None) as client:
        count = {"cypher": "MATCH (f:Function) RETURN count(f)"}
        assert client.post("/query", json=count).json()["rows"] == [[4]]
        time.sleep(1)  # the watcher is started beside the server; let it see the tree first
        (indexed / "src" / "shop" / "extra.py").write_text("def added():\n    return 1\n")
        deadline = time.monotonic() + 60
        while client.post("/query", json=count).json()["rows"] != [[5]]:
            assert time.monotonic() < deadline, "the watcher did not index the new file"
            time.sleep(0.2)
        # the graph is visible once committed; the batch is counted when the whole run (search index
        # included) has finished
        while (samples := metric_samples(client.get("/metrics").text))["batch_size_count"] < 1:
            assert time.monotonic() < deadline, "the watcher's batch was never counted"
            time.sleep(0.2)
        code, stderr = server.stop()
    assert samples["parse_cache_miss_total"] >= 1
    assert "pyrepo: batch 1 (" in stderr and code == 130


def test_token_from_the_environment_and_concurrent_requests(indexed, monkeypatch):
    monkeypatch.setenv("CODEKG_API_TOKEN", TOKEN)
    with running("serve", "--repo", str(indexed)) as server:
        assert httpx.get(f"{server.url}/stats").status_code == 401
        with server.client() as client, ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.post("/query", json={"cypher": "MATCH (f:Function) RETURN count(f)"}),
                                    range(24)))
        _, stderr = server.stop()
    assert [(a.status_code, a.json().get("rows", a.json())) for a in answers] == [(200, [[4]])] * 24
    assert "bearer token required" in stderr and TOKEN not in stderr


# --- search, context, impact and detect-changes ---



def test_context_and_impact(server):
    with server.client() as client:
        context = client.get("/context", params={"symbol": "shop.util.log"}).json()
        impact = client.get("/impact", params={"symbol": "shop.util.log", "depth": 3}).json()
        ambiguous = client.get("/context", params={"symbol": "save"})
        missing = client.get("/impact", params={"symbol": "nope"})
    assert context["symbol"] == {"id": "Function:src/shop/util.py:shop.util.log", "label": "Function", "name": "log",
                                 "qualified_name": "shop.util.log", "file_path": "src/shop/util.py", "start_line": 4,
                                 "end_line": 5, "signature": "def log(message)", "docstring": ""}
    assert context["snippet"]["text"] == "def log(message):\n    print(json.dumps(message))"
    assert [c["qualified_name"] for c in context["callers"]] == ["shop.service.checkout"]
    assert [c["qualified_name"] for c in context["callees"]] == ["<builtin>.print", "json.dumps"]
    assert [[s["qualified_name"] for s in level["symbols"]] for level in impact["levels"]] == [
        ["shop.service", "shop.service.checkout"], ["scripts.run"], []]
    assert ambiguous.status_code == 400 and ambiguous.json()["error"] == "symbol_ambiguous"
    assert [c["qualified_name"] for c in ambiguous.json()["candidates"]] == ["shop.models.Base.save", "shop.models.Order.save"]
    assert missing.status_code == 404 and missing.json()["error"] == "symbol_not_found"


def test_references_definition_and_path(server):
    with server.client() as client:
        used = client.get("/references", params={"symbol": "shop.models.Order"}).json()
        found = client.get("/definition", params={"file": "src/shop/service.py", "line": 15}).json()
        outside = client.get("/definition", params={"file": "../outside.py", "line": 1})
        chain = client.get("/path", params={"from": "scripts.run", "to": "shop.util.log"}).json()
        unknown = client.get("/path", params={"from": "scripts.run", "to": "nope"})
    assert used["counts"] == {"call": 2, "import": 2, "type use": 1}
    assert found["symbol"]["qualified_name"] == "shop.service.helper.inner"
    assert outside.status_code == 403 and outside.json()["error"] == "path_outside_root"
    assert (chain["found"], chain["length"]) == (True, 2)
    assert unknown.status_code == 404 and unknown.json()["error"] == "symbol_not_found"


def test_files_and_outline(server):
    with server.client() as client:
        files = client.get("/files").json()
        outline = client.get("/outline", params={"file": "src/shop/models.py"}).json()
        unknown = client.get("/outline", params={"file": "src/shop/nowhere.py"})
        outside = client.get("/outline", params={"file": "../outside.py"})
    assert files == {"files": [
        {"file_path": path, "language": "python", "line_count": lines, "is_test": False}
        for path, lines in [("scripts/run.py", 7), ("src/shop/__init__.py", 4), ("src/shop/models.py", 36),
                            ("src/shop/service.py", 17), ("src/shop/util.py", 5)]]}
    assert [(s["label"], s["qualified_name"], s["start_line"]) for s in outline["symbols"]] == [
        ("Class", "shop.models.Base", 4), ("Method", "shop.models.Base.save", 7),
        ("Method", "shop.models.Base.validate", 10), ("Class", "shop.models.Order", 14),
        ("Method", "shop.models.Order.__init__", 17), ("Method", "shop.models.Order.total", 20),
        ("Method", "shop.models.Order.save", 23), ("Class", "shop.models.Counter", 28),
        ("Method", "shop.models.Counter.bump", 33)]  # a decorated definition starts at its decorator
    assert unknown.status_code == 404 and unknown.json() == {
        "error": "symbol_not_found", "message": "no indexed file 'src/shop/nowhere.py'", "suggestions": []}
    assert outside.status_code == 403 and outside.json()["error"] == "path_outside_root"


def test_locate(server):
    text = 'Order total is wrong\n  File "/srv/venv/site-packages/shop/models.py", line 21, in total\n'
    with server.client() as client:
        files = client.post("/locate", json={"text": text}).json()
        symbols = client.post("/locate", json={"text": text, "level": "symbol", "limit": 2}).json()
        bad_level = client.post("/locate", json={"text": text, "level": "line"})
        empty = client.post("/locate", json={"text": " "})
    assert [hit["file_path"] for hit in files["results"][:1]] == ["src/shop/models.py"]
    assert files["results"][0]["evidence"][0] == "traceback frame src/shop/models.py:21 in total"
    assert [hit["qualified_name"] for hit in symbols["results"]][:1] == ["shop.models.Order.total"]
    assert len(symbols["results"]) == 2 and symbols["level"] == "symbol"
    assert bad_level.status_code == 400 and bad_level.json() == {
        "error": "input", "message": "body.level: Input should be 'file' or 'symbol'"}
    assert empty.status_code == 400 and empty.json() == {"error": "input", "message": "the issue text is empty"}


def test_the_web_view_files_need_no_token_and_carry_a_content_security_policy(server):
    """The page and its scripts hold no repository data; every listed file is served, nothing else."""
    page = httpx.get(f"{server.url}/")
    assert page.status_code == 200 and page.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/web/app.js" defer></script>' in page.text
    for path, kind, size in [("/web/app.js", "text/javascript", 5_000), ("/web/style.css", "text/css", 1_000),
                             ("/web/lib/vis-network.min.js", "text/javascript", 400_000),
                             ("/web/lib/vis-network.css", "text/css", 100_000)]:
        response = httpx.get(f"{server.url}{path}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind), path
        assert len(response.content) > size, path
    for path in ["/web/index.html", "/web/lib/vis-network.js", "/web/..%2F__init__.py", "/web/lib/..%2F..%2Fnetwork.py"]:
        response = httpx.get(f"{server.url}{path}")
        assert response.status_code == 404 and response.json()["error"] == "not_found", path
    assert "/web/app.js" not in httpx.get(f"{server.url}/openapi.json").text


def test_detect_changes(indexed):
    git = ["git", "-C", str(indexed), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "init"]):
        subprocess.run(git + args, check=True)
    assert codekg("index", str(indexed), "--quiet").returncode == 0
    util = indexed / "src" / "shop" / "util.py"
    util.write_text(util.read_text().replace("json.dumps(message)", "json.dumps(message, indent=1)"))
    with running("serve", "--repo", str(indexed)) as server, server.client(token=None) as client:
        changes = client.get("/detect-changes").json()
        unknown = client.get("/detect-changes", params={"base": "nosuchref"})
    changed = [(c["qualified_name"], c["change"]) for c in changes["changed_symbols"]]
    assert ("shop.util.log", "modified") in changed
    assert [[s["qualified_name"] for s in level["symbols"]] for level in changes["impact"]["levels"]][:2] == [
        ["shop.service", "shop.service.checkout"], ["scripts.run"]]
    assert unknown.status_code == 400 and unknown.json() == {"error": "git", "message": "unknown git ref 'nosuchref'"}


def test_search(server):
    with server.client() as client:
        found = client.get("/search", params={"q": "checkout", "mode": "keyword", "limit": 3}).json()
        bad_mode = client.get("/search", params={"q": "checkout", "mode": "psychic"})
        everything = client.get("/search", params={"q": "save", "mode": "keyword"}).json()
        filtered = client.get("/search", params={"q": "save", "mode": "keyword", "label": ["Method", "Function"],
                                                  "path": "src/*", "include_tests": "false"}).json()
        bad_label = client.get("/search", params={"q": "save", "label": "Table"})
    assert [r["qualified_name"] for r in everything["results"]] == [
        "shop.models.Base.save", "shop.models.Order.save", "shop.models.Counter.saved", "shop.models.Counter"]
    assert [r["qualified_name"] for r in filtered["results"]] == ["shop.models.Base.save", "shop.models.Order.save"]
    assert filtered["results"][0]["container"] == "shop.models.Base"  # graph context in keyword mode too
    assert bad_label.status_code == 400 and "cannot search label 'Table'" in bad_label.json()["message"]
    assert found["results"][0]["qualified_name"] == "shop.service.checkout"
    assert {"file_path", "start_line", "end_line"} <= set(found["results"][0])
    assert bad_mode.status_code == 400
