"""The `codekg` command run as a real subprocess: index, stats, query, and bad input."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from codekg.schema import SCHEMA_VERSION


def codekg(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "codekg", *args], capture_output=True, text=True, cwd=cwd, timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def assert_clean_failure(result: subprocess.CompletedProcess, code: int, message: str) -> None:
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.fixture
def indexed_repo(copy_fixture) -> Path:
    repo = copy_fixture("pyrepo")
    result = codekg("index", str(repo), "--quiet")
    assert result.returncode == 0, result.stderr
    return repo


def test_index_json_summary(copy_fixture):
    repo = copy_fixture("pyrepo")
    (repo / "broken.py").write_bytes(b"def ok():\n    pass\ndef bad(:\n")
    (repo / "latin.py").write_bytes(b"name = '\xe9t\xe9'\n")
    (repo / "data.py").write_bytes(b"\x00\x00binary")
    result = codekg("index", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["files_by_language"] == {"python": 7}
    assert summary["nodes"]["File"] == 7
    assert summary["nodes"]["Function"] == 6
    assert summary["edges"]["CALLS"] == 21  # with the two flow-method and two `@staticmethod` edges of tests/test_pipeline.py
    assert set(summary["pass_seconds"]) == {"scan", "parse", "structure", "resolve", "state", "load", "search"}
    assert summary["skipped"] == [{"path": "data.py", "reason": "binary file"}]
    assert summary["load_fallbacks"] == [] and summary["copy"]["failures"] == {} and summary["copy"]["attempts"] > 0
    assert summary["copy"]["failure_rate"] == 0.0
    assert summary["warnings"] == [
        {"path": "broken.py", "pass": "parse", "kind": "syntax-errors",
         "message": "syntax errors at line 3: definitions there, or after them, may be missing from the index"},
        {"path": "latin.py", "pass": "parse", "kind": "invalid-utf8",
         "message": "invalid UTF-8: decoded with replacement characters"},
    ]
    assert (repo / ".codekg" / "CURRENT").is_file()


def test_query_formats(indexed_repo):
    cypher = "MATCH (f:Function)<-[:CALLS]-(g) RETURN g.qualified_name AS caller, f.qualified_name AS callee ORDER BY caller, callee"
    as_json = codekg("query", cypher, "--repo", str(indexed_repo), "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == [
        {"caller": "scripts.run", "callee": "shop.service.checkout"},
        {"caller": "shop.service.checkout", "callee": "shop.service.helper"},
        {"caller": "shop.service.checkout", "callee": "shop.util.log"},
        {"caller": "shop.service.helper", "callee": "shop.service.helper.inner"},
    ]
    as_csv = codekg("query", cypher, "--format", "csv", cwd=indexed_repo)
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[:2] == [["caller", "callee"], ["scripts.run", "shop.service.checkout"]]
    as_tsv = codekg("query", cypher, "--format", "tsv", cwd=indexed_repo)
    assert as_tsv.stdout.splitlines()[:2] == ["caller\tcallee", "scripts.run\tshop.service.checkout"]
    as_table = codekg("query", cypher, "--repo", str(indexed_repo))
    assert "shop.service.helper.inner" in as_table.stdout and "4 row(s)" in as_table.stdout
    whole_nodes = codekg("query", "MATCH (c:Class {name: 'Order'}) RETURN c", "--repo", str(indexed_repo), "--json")
    [row] = json.loads(whole_nodes.stdout)
    assert row["c"]["qualified_name"] == "shop.models.Order" and row["c"]["_LABEL"] == "Class"


def test_values_with_brackets_print_as_they_are(copy_fixture):
    """A signature's `Annotated[int, "m"]`, a docstring's `[bold]` and `[/]`, a file named `[red]mod.py`:
    data, printed verbatim by the query table and search, never read as Rich markup."""
    repo = copy_fixture("pyrepo")
    (repo / "[red]mod.py").write_text('from typing import Annotated\n\n'
                                      'def tagged(x: Annotated[int, "m"]) -> list[str]:\n'
                                      '    """Doc [bold]strong[/bold] and [/] x."""\n    return [str(x)]\n')
    assert codekg("index", str(repo), "--quiet").returncode == 0
    table = codekg("query", "MATCH (f:Function {name: 'tagged'}) RETURN f.signature AS `[sig]`, f.docstring AS doc, "
                   "f.file_path AS path", "--repo", str(repo), env={"COLUMNS": "300"})
    assert table.returncode == 0, table.stderr
    assert "[sig]" in table.stdout and "x: Annotated[int, \"m\"]) -> list[str]" in table.stdout
    assert "Doc [bold]strong[/bold] and [/] x." in table.stdout and "[red]mod.py" in table.stdout
    markup = codekg("query", "RETURN 'x[/foo]' AS u", "--repo", str(repo))
    assert markup.returncode == 0 and "x[/foo]" in markup.stdout, markup.stderr
    found = codekg("search", "tagged", "--repo", str(repo), "-n", "1", env={"COLUMNS": "300"})
    assert found.returncode == 0, found.stderr
    assert 'def tagged(x: Annotated[int, "m"]) -> list[str]' in found.stdout and "[red]mod.py" in found.stdout


def test_stats(indexed_repo):
    result = codekg("stats", "--repo", str(indexed_repo), "--json")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["files_by_language"] == {"python": 5}
    assert stats["nodes"] == {"Project": 1, "Folder": 3, "File": 5, "Module": 5, "Class": 3, "Interface": 0,
                              "Function": 4, "Method": 6, "Variable": 3, "Type": 0, "Enum": 0, "Import": 8, "Decorator": 1,
                              "External": 10, "Package": 0, "Database": 0, "Schema": 0, "Table": 0, "View": 0, "Column": 0,
                              "SqlStatement": 0, "Ontology": 0, "OntologyClass": 0, "OntologyProperty": 0, "Axiom": 0}
    assert stats["edges"] == {"CONTAINS": 8, "DEFINES": 23, "HAS_METHOD": 6, "IMPORTS": 8, "CALLS": 21, "DEPENDS_ON": 0,
                              "RUNS_SQL": 0, "READS_FROM": 0, "WRITES_TO": 0, "DERIVES_FROM": 0, "EXTENDS": 1,
                              "INHERITS": 1, "OVERRIDES": 1, "USES": 1, "ACCESSES": 2, "DECORATES": 1, "BELONGS_TO": 25,
                              "IMPLEMENTS": 0, "SUBCLASS_OF": 0, "DOMAIN": 0, "RANGE": 0, "DECLARED_IN": 0, "HAS_AXIOM": 0,
                              "MENTIONS": 0}
    assert stats["call_sites"] == {"python": {"resolved": 18}}
    assert stats["schema_version"] == SCHEMA_VERSION and stats["commit"] == "" and stats["index_seconds"] > 0
    human = codekg("stats", "--repo", str(indexed_repo))
    assert "Files by language" in human.stdout and "call sites (python)" in human.stdout


def test_custom_db_location(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    db = tmp_path / "elsewhere"
    assert codekg("index", "--repo", str(repo), "--db", str(db), "--quiet").returncode == 0
    assert not (repo / ".codekg").exists()
    result = codekg("query", "MATCH (f:File) RETURN count(f) AS n", "--repo", str(repo), "--db", str(db), "--json")
    assert json.loads(result.stdout) == [{"n": 5}]


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "path does not exist"),
        ("file", "not a directory"),
        ("empty", "no file codekg reads (source code, SQL, ontology files, markdown pages) to index"),
    ],
)
def test_bad_paths_exit_2(tmp_path, setup, message):
    target = tmp_path / "target"
    if setup == "file":
        target.write_text("x")
    elif setup == "empty":
        target.mkdir()
    assert_clean_failure(codekg("index", str(target)), 2, message)


def test_with_json_a_usage_error_is_a_json_error_too():
    """A bad option or a missing argument under --json: the one-line JSON error every failure gives, exit 2."""
    for args, message in ((("search", "x", "-n", "0"), "Invalid value for '--limit' / '-n'"),
                          (("search",), "Missing argument 'QUERY'."), (("nosuchcommand",), "No such command 'nosuchcommand'.")):
        done = codekg(*args, "--json")
        assert done.returncode == 2, done.stderr
        assert (done.stderr, done.stdout.count("\n")) == ("", 1)
        error = json.loads(done.stdout)
        assert (error["error"], error["exit_code"]) == ("usage", 2) and error["message"].startswith(message)
    plain = codekg("search", "x", "-n", "0")
    assert plain.returncode == 2 and plain.stdout == "" and "Invalid value for '--limit'" in plain.stderr


def test_search_takes_an_absolute_path_under_the_repository_and_refuses_one_outside(indexed_repo):
    inside = codekg("search", "checkout", "--repo", str(indexed_repo), "--path", f"{indexed_repo.resolve()}/src/*", "--json")
    assert inside.returncode == 0, inside.stderr
    assert {hit["file_path"] for hit in json.loads(inside.stdout)["results"]} == {"src/shop/service.py"}
    assert_clean_failure(codekg("search", "checkout", "--repo", str(indexed_repo), "--path", "/etc/*"), 2,
                         "is outside the repository")


def test_query_parameters_are_given_with_param(indexed_repo):
    cypher = "MATCH (f:Function) WHERE f.name = $name RETURN f.qualified_name AS q, $ids AS ids, $note AS note"
    given = codekg("query", cypher, "--param", "name=log", "-p", "$ids=[1, 2]", "-p", "note=a=b", "--json", cwd=indexed_repo)
    assert given.returncode == 0, given.stderr
    assert json.loads(given.stdout) == [{"q": "shop.util.log", "ids": [1, 2], "note": "a=b"}]
    assert_clean_failure(codekg("query", cypher, cwd=indexed_repo), 2,
                         "the query uses $name, $ids, $note but no value was given for them")
    assert_clean_failure(codekg("query", "RETURN 1", "--param", "oops", cwd=indexed_repo), 2,
                         "--param 'oops': write it as NAME=VALUE")


def test_a_query_past_the_page_cache_says_which_setting_bounds_it(indexed_repo):
    """`UNWIND range(1, …)` past the database's page cache printed its "Buffer manager exception";
    it now names the setting and what to do."""
    env = {**os.environ, "CODEKG_BUFFER_POOL_SIZE": str(64 * 2**20)}
    full = codekg("query", "UNWIND range(1, 20000000) AS x RETURN x", cwd=indexed_repo, env=env)
    assert_clean_failure(full, 1, "error: the query needed more than the 64 MiB of the database's page cache "
                                  "(buffer_pool_size): narrow it")
    assert "Buffer manager" not in full.stderr


def test_query_errors_are_clean(indexed_repo, tmp_path):
    assert_clean_failure(codekg("query", "MATC (n) RETURN n", "--repo", str(indexed_repo)), 1, "Parser exception")
    # the query as written: not the EXPLAIN the guard runs first, nor its offset
    unclosed = codekg("query", "MATCH (n RETURN n", "--repo", str(indexed_repo))
    assert_clean_failure(unclosed, 1, '(line: 1, offset: 9)\n"MATCH (n RETURN n"\n          ^^^^^^')
    assert "EXPLAIN" not in unclosed.stderr
    at_the_end = codekg("query", "MATCH (n", "--repo", str(indexed_repo))
    assert_clean_failure(at_the_end, 1, '(line: 1, offset: 8)\n"MATCH (n"\n         ^')
    for asked in ("EXPLAIN", "profile"):  # a plan asked for is planned as it is, not as an EXPLAIN of an EXPLAIN
        planned = codekg("query", f"{asked} MATCH (f:Function) RETURN count(f)", "--repo", str(indexed_repo), "--json")
        assert planned.returncode == 0, planned.stderr
        assert "Physical Plan" in planned.stdout
        broken = codekg("query", f"{asked} MATCH (n RETURN n", "--repo", str(indexed_repo))
        assert_clean_failure(broken, 1, f'(line: 1, offset: 17)\n"{asked} MATCH (n RETURN n"\n                  ^^^^^^')
    tabbed = codekg("query", "MATCH (n)\tRETURN n\tLIMIT 1 x", "--repo", str(indexed_repo))  # the caret under the x
    assert_clean_failure(tabbed, 1, "Parser exception")
    lines = tabbed.stderr.expandtabs().splitlines()
    quoted = next(index for index, line in enumerate(lines) if line.startswith('"MATCH'))
    assert lines[quoted + 1].rstrip() == " " * lines[quoted].index("x") + "^"
    assert_clean_failure(codekg("query", "MATCH (n:Nope) RETURN n", "--repo", str(indexed_repo)), 1, "Nope")
    assert_clean_failure(codekg("query", "MATCH (n) RETURN n", "--repo", str(tmp_path)), 2, "no codekg index")
    assert_clean_failure(codekg("stats", "--repo", str(tmp_path)), 2, "no codekg index")
    assert_clean_failure(codekg("query", "RETURN 1", "--repo", str(indexed_repo), "--format", "xml"), 2, "unknown --format")
    both = codekg("query", "RETURN 1", "--repo", str(indexed_repo), "--format", "csv", "--json")  # the error as JSON
    assert (both.returncode, json.loads(both.stdout)["message"]) == (2, "--json and --format csv ask for two outputs: give one")
    assert_clean_failure(codekg("stats", "--repo", str(tmp_path / "nowhere")), 2, "path does not exist")
    assert_clean_failure(codekg("index", str(indexed_repo), "--repo", str(tmp_path)), 2, "the repository is given twice")
    readonly = codekg("query", "CREATE (:External {id: 'x'})", "--repo", str(indexed_repo))
    assert_clean_failure(readonly, 2, "write clause CREATE refused: this interface is read-only")
    leak = tmp_path / "leak.csv"
    copy_out = codekg("query", f"COPY (MATCH (f:Function) RETURN f.name) TO '{leak}'", "--repo", str(indexed_repo))
    assert_clean_failure(copy_out, 2, "COPY refused: no query may read or write files")
    assert not leak.exists()
    load = codekg("query", "LOAD FROM '/etc/passwd' (file_format='csv', delim=':') RETURN *", "--repo", str(indexed_repo))
    assert_clean_failure(load, 2, "LOAD refused: no query may read or write files")
    assert "root:" not in load.stdout
    deep = codekg("query", "RETURN " + "(" * 3000 + "1" + ")" * 3000, "--repo", str(indexed_repo))
    assert_clean_failure(deep, 2, "the query nests brackets or CASE 3,000 deep; at most 16 levels are accepted")


def test_bad_settings_are_clean(indexed_repo):
    (indexed_repo / "codekg.toml").write_text('max_file_size = "lots"\n')
    assert_clean_failure(codekg("index", str(indexed_repo)), 2, "invalid setting: max_file_size")
    (indexed_repo / "codekg.toml").write_text("max_file_size = [\n")
    assert_clean_failure(codekg("index", str(indexed_repo)), 2, "codekg.toml")
    (indexed_repo / "codekg.toml").write_bytes(b"max_file_size = 10\xff\n")
    assert_clean_failure(codekg("index", str(indexed_repo)), 2, f"cannot read {indexed_repo / 'codekg.toml'}: it is not UTF-8 text")
    (indexed_repo / "codekg.toml").unlink()
    assert_clean_failure(codekg("index", str(indexed_repo), env={"CODEKG_MAX_DB_SIZE": "1"}), 2,
                         "invalid setting: max_db_size: Input should be greater than or equal to 1073741824")
    for name, value in (("EXTRA_IGNORE", "*.py"), ("PYTHON_SOURCE_ROOTS", "src"), ("SQL_FOLDER_DIALECTS", "{bad")):
        expected = f"invalid setting: CODEKG_{name} is not valid JSON; a list or a table is written as JSON"
        assert_clean_failure(codekg("index", str(indexed_repo), env={f"CODEKG_{name}": value}), 2, expected)
        as_json = codekg("index", str(indexed_repo), "--json", env={f"CODEKG_{name}": value})
        assert as_json.returncode == 2 and json.loads(as_json.stdout)["message"].startswith(expected)


def test_workers_and_parse_timeout_flags(copy_fixture):
    repo = copy_fixture("pyrepo")
    result = codekg("index", str(repo), "--json", "--workers", "1", "--parse-timeout", "5")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files_by_language"] == {"python": 5}
    assert_clean_failure(codekg("index", str(repo), "--workers", "0"), 2, "invalid setting: workers")
    assert_clean_failure(codekg("index", str(repo), "--parse-timeout", "0"), 2, "invalid setting: parse_timeout_seconds")


def test_settings_precedence(copy_fixture):
    repo = copy_fixture("pyrepo")
    (repo / "codekg.toml").write_text("max_file_size = 70\n")
    from_toml = json.loads(codekg("index", str(repo), "--json").stdout)
    assert [s["path"] for s in from_toml["skipped"]] == [
        "scripts/run.py", "src/shop/__init__.py", "src/shop/models.py", "src/shop/service.py"
    ]
    from_env = json.loads(codekg("index", str(repo), "--json", env={"CODEKG_MAX_FILE_SIZE": "200"}).stdout)
    assert [s["path"] for s in from_env["skipped"]] == ["src/shop/models.py", "src/shop/service.py"]
    from_flag = json.loads(codekg("index", str(repo), "--json", "--max-file-size", "100000",
                                  env={"CODEKG_MAX_FILE_SIZE": "200"}).stdout)
    assert from_flag["skipped"] == []


def _big_repo(repo: Path, files: int) -> None:
    for number in range(files):
        body = "\n".join(f"def f{i}():\n    return f{i + 1}()\n" for i in range(40))
        (repo / f"gen_{number}.py").write_text(body + "\ndef f40():\n    return 0\n")


def _wait_for_new_build(db: Path, known: set[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        if {p.name for p in db.glob("graph-*")} - known:
            return
        time.sleep(0.02)
    raise AssertionError("the indexer never started a new build")


@pytest.mark.parametrize("signal_number", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_interrupted_index_leaves_previous_index_intact(indexed_repo, signal_number):
    db = indexed_repo / ".codekg"
    before = codekg("query", "MATCH (f:File) RETURN count(f) AS n", "--repo", str(indexed_repo), "--json")
    assert json.loads(before.stdout) == [{"n": 5}]
    _big_repo(indexed_repo, 150)
    known = {p.name for p in db.glob("graph-*")}
    process = subprocess.Popen(
        [sys.executable, "-m", "codekg", "index", str(indexed_repo), "--quiet", "--no-bulk-copy"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    _wait_for_new_build(db, known, time.monotonic() + 60)
    time.sleep(0.5)
    assert process.poll() is None, "the load finished before it could be interrupted"
    process.send_signal(signal_number)
    _, stderr = process.communicate(timeout=60)
    if signal_number in (signal.SIGINT, signal.SIGTERM):
        assert process.returncode == 130 and "previous index is unchanged" in stderr
        assert {p.name for p in db.glob("graph-*")} == known  # the partial build was removed
    else:
        assert process.returncode == -signal.SIGKILL
    after = codekg("query", "MATCH (f:File) RETURN count(f) AS n", "--repo", str(indexed_repo), "--json")
    assert json.loads(after.stdout) == [{"n": 5}]
    rerun = codekg("index", str(indexed_repo), "--json")
    assert json.loads(rerun.stdout)["files_by_language"] == {"python": 155}
    assert len(list(db.glob("graph-*.lbdb"))) == 1  # leftovers of the killed run are gone


def test_tables_in_a_pipe_are_never_cut(tmp_path):
    """In a pipe (CI logs, agents, `| less`) Rich would size tables to 80 columns and cut every long
    name to `…`; they print at the width of their widest row instead."""
    repo = tmp_path / "repo"
    package = repo / "a_rather_long_package_name" / "with_a_deeply_nested_subpackage"
    package.mkdir(parents=True)
    (package / "and_a_module_with_a_long_name.py").write_text(
        "def a_function_whose_name_alone_is_longer_than_forty_characters():\n    pass\n")
    assert codekg("index", str(repo), "--quiet").returncode == 0
    env = {name: value for name, value in os.environ.items() if name != "COLUMNS"}
    result = subprocess.run([sys.executable, "-m", "codekg", "query", "MATCH (f:Function) RETURN f.qualified_name, f.file_path",
                             "--repo", str(repo)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "…" not in result.stdout
    assert ("a_rather_long_package_name.with_a_deeply_nested_subpackage.and_a_module_with_a_long_name."
            "a_function_whose_name_alone_is_longer_than_forty_characters") in result.stdout
    assert "a_rather_long_package_name/with_a_deeply_nested_subpackage/and_a_module_with_a_long_name.py" in result.stdout
    stats = codekg("stats", "--repo", str(repo))
    assert stats.returncode == 0 and "…" not in stats.stdout and str(repo) in stats.stdout


def test_quiet_index_prints_nothing_but_errors(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    quiet = codekg("index", str(repo), "-q")
    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (0, "", "")
    as_json = codekg("index", str(repo), "-q", "--json")
    assert as_json.returncode == 0 and json.loads(as_json.stdout)["delta"]["mode"] == "unchanged"
    assert_clean_failure(codekg("index", str(tmp_path / "missing"), "-q"), 2, "error:")


def test_errors_are_json_when_json_was_asked_for(tmp_path, indexed_repo):
    missing = codekg("stats", "--db", str(tmp_path / "nowhere"), "--json")
    assert missing.returncode == 2 and missing.stderr == ""
    report = json.loads(missing.stdout)
    assert (report["error"], report["exit_code"]) == ("index_not_found", 2) and str(tmp_path / "nowhere") in report["message"]
    unknown = codekg("context", "no.such.symbol", "--repo", str(indexed_repo), "--json")
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["error"] == "symbol_not_found"
    bad_query = codekg("query", "MATCH (n RETURN n", "--repo", str(indexed_repo), "--json")
    assert bad_query.returncode == 1 and json.loads(bad_query.stdout)["error"] == "query"
    plain = codekg("stats", "--db", str(tmp_path / "nowhere"))
    assert plain.stdout == "" and plain.stderr.startswith("error: ")


def test_config_show_lists_every_setting_with_its_source_and_never_a_secret(tmp_path):
    (tmp_path / "codekg.toml").write_text("workers = 3\n")
    env = {"CODEKG_STORE_PASSWORD": "hunter2", "CODEKG_MAX_FILE_SIZE": "5"}
    as_json = codekg("config", "show", "--repo", str(tmp_path), "--json", env=env)
    assert as_json.returncode == 0, as_json.stderr
    described = {entry["name"]: (entry["value"], entry["source"]) for entry in json.loads(as_json.stdout)}
    from codekg.settings import Settings

    assert set(described) == set(Settings.model_fields)
    assert (described["workers"], described["max_file_size"], described["store_password"]) == (
        (3, "file"), (5, "environment"), ("********", "environment"))
    as_table = codekg("config", "show", "--repo", str(tmp_path), env=env)
    assert as_table.returncode == 0 and "max_file_size" in as_table.stdout and "environment" in as_table.stdout
    # in a pipe the meanings wrap in their column: the widest line is the widest name and value, and 72
    assert max(len(line) for line in as_table.stdout.splitlines()) <= 180
    assert "Bulk-load each table with COPY from Arrow, writing a table through MERGE" in as_table.stdout
    assert "hunter2" not in as_json.stdout + as_table.stdout + as_json.stderr + as_table.stderr
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "codekg.toml").write_text("workers = [\n")
    assert_clean_failure(codekg("config", "show", "--repo", str(broken)), 2, "cannot read")


def test_a_config_file_option_replaces_the_repository_codekg_toml(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    (repo / "codekg.toml").write_text("max_file_size = 10\n")  # would skip every file
    config = tmp_path / "team.toml"
    config.write_text("workers = 1\n")
    indexed = codekg("--config-file", str(config), "index", str(repo), "--json")
    assert indexed.returncode == 0, indexed.stderr
    assert json.loads(indexed.stdout)["files_by_language"] == {"python": 5} and json.loads(indexed.stdout)["skipped"] == []
    shown = {e["name"]: (e["value"], e["source"]) for e in json.loads(
        codekg("--config-file", str(config), "config", "show", "--repo", str(repo), "--json").stdout)}
    assert (shown["workers"], shown["max_file_size"]) == ((1, "file"), (1_000_000, "default"))
    assert_clean_failure(codekg("--config-file", str(tmp_path / "missing.toml"), "stats", "--repo", str(repo)), 2,
                         f"config file not found: {tmp_path / 'missing.toml'}")


def test_index_in_a_pipe_prints_progress_lines_on_stderr(copy_fixture):
    repo = copy_fixture("pyrepo")
    result = codekg("index", str(repo), env={"CODEKG_PROGRESS_LINE_SECONDS": "0"})  # stderr is a pipe here
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "parse: 5/5 (100%)" in "\n".join(lines)
    import re

    assert all(re.fullmatch(r"[a-z]+ …|[a-z]+: \d+/\d+ \(\d+%\), \d+/s(, about \d+ s left)?", line) for line in lines), lines
    assert result.stdout.startswith("Indexed 5 files (python 5)")


def test_index_without_the_value_flow_counts_the_files_it_resolves(copy_fixture):
    repo = copy_fixture("pyrepo")
    result = codekg("index", str(repo), "--value-flow", "off", env={"CODEKG_PROGRESS_LINE_SECONDS": "0"})
    assert result.returncode == 0, result.stderr
    phases = [line.split(":")[0].split(" ")[0] for line in result.stderr.splitlines()]
    assert "resolve: 5/5 (100%)" in result.stderr and phases.count("resolve") == 6  # its start, then each file


@pytest.mark.parametrize("command", [["search", "step", "--limit", "500", "--mode", "keyword"], ["callgraph", "{repo}"],
                                     ["callgraph", "{repo}", "--format", "mermaid"], ["export", "--format", "jsonl"],
                                     ["query", "MATCH (f:Function) RETURN f", "--format", "json"]])  # each over a pipe's 64 KB
def test_a_reader_that_stops_early_ends_the_command_quietly_with_success(tmp_path, command):
    """`codekg … | head -1`: the pipe closes under the writer; that is the reader's choice, not a failure
    (Rich's default exits 1), and no traceback or message follows."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "steps.py").write_text("".join(f"def step_{i}():\n    return step_{i + 1}()\n\n\n" for i in range(3000)) +
                                   "def step_3000():\n    return 0\n")
    assert codekg("index", str(repo), "--quiet").returncode == 0
    arguments = [part.replace("{repo}", str(repo)) for part in command]
    process = subprocess.Popen([sys.executable, "-m", "codekg", *arguments, "--repo", str(repo)] if arguments[0] != "callgraph"
                               else [sys.executable, "-m", "codekg", *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # as `head -1` does
    stderr = process.stderr.read()
    expected_stderr = ("note: 3000 edges: Mermaid renders at most 500 by default (GitHub, mermaid.live); use --format dot "
                       "or graphml, or a smaller subgraph\n") if "mermaid" in command else ""
    assert (first != b"", process.wait(timeout=120), stderr.decode()) == (True, 0, expected_stderr)


def test_an_index_of_another_repository_into_the_same_db_says_whose_index_it_replaced(tmp_path):
    """`codekg sync` and `codekg index` (or two repositories) given one --db replace each other's graph:
    the run that does says so, and how to keep both (a new user lost a project's index to a sync)."""
    first, second, db = tmp_path / "first", tmp_path / "second", tmp_path / "shared-db"
    for repo in (first, second):
        repo.mkdir()
        (repo / "a.py").write_text(f"def {repo.name}():\n    return 1\n")
    assert codekg("index", str(first), "--db", str(db), "--quiet").stderr == ""
    again = codekg("index", str(first), "--db", str(db), "--quiet", "--full")
    assert again.returncode == 0 and again.stderr == ""  # its own index: nothing to say
    other = codekg("index", str(second), "--db", str(db), "--quiet")
    assert other.returncode == 0, other.stderr
    assert other.stderr == (f"codekg: WARNING: {db} held the index of {first}; it now holds the index of {second} "
                            "(give each its own --db to keep both)\n")


def test_a_copied_repository_indexed_again_is_indexed_as_itself(tmp_path):
    """A folder copied with its `.codekg` kept the original's root, project name and time on every
    later run (the files' stamps matched): the run now rebuilds it as the repository it is."""
    import shutil

    first = tmp_path / "first"
    first.mkdir()
    (first / "a.py").write_text("def a():\n    return 1\n")
    assert codekg("index", str(first), "--quiet").returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(first, copy)
    again = codekg("index", str(copy), "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["delta"]["mode"] == "full"
    stats = json.loads(codekg("stats", "--repo", str(copy), "--json").stdout)
    assert stats["repo"] == str(copy)
    names = codekg("query", "MATCH (p:Project) RETURN p.name", "--repo", str(copy), "--format", "tsv").stdout
    assert names.splitlines() == ["p.name", "copy"]
    assert json.loads(codekg("index", str(copy), "--json").stdout)["delta"]["mode"] == "unchanged"
