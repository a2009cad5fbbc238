"""Start-up of the `codekg` command, as real subprocesses: `--version`, `-V` and `version` agree, and
the import discipline of src/codekg/cli.py and src/codekg/pipeline.py holds (what `import codekg.cli`,
`codekg --version` and an `index` that finds nothing changed load, not how long they take: timings are
bench/startup_bench.py's job). Every command's `--help` runs too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import typer.main
from test_cli import codekg
from test_cli_help import command_paths

from codekg import __version__
from codekg.cli import app
from codekg.schema import SCHEMA_VERSION

# What `import codekg.cli` must not load (top-level packages): each command imports its own.
NOT_AT_IMPORT = ["tree_sitter", "numpy", "onnxruntime", "fastapi", "uvicorn", "mcp", "pyarrow", "ladybug", "falkordb",
                 "neo4j", "pydantic", "pydantic_settings", "rich"]

# What `codekg index` must not load when nothing changed (modules, with their submodules): the parse,
# structure and resolve passes with tree-sitter and the value-flow solver, the graph writers, the metrics
# library (no metric is recorded), Rich (the summary is JSON) and psutil (no worker is forked, so none
# can need killing: interrupts._import_psutil_before_forking).
NOT_WHEN_UNCHANGED = ["tree_sitter", "codekg.languages", "codekg.passes.parse", "codekg.parse_cache", "codekg.passes.structure",
                      "codekg.passes.resolve", "codekg.resolve.flow_program", "codekg.stores.mirror", "pyarrow",
                      "prometheus_client", "rich", "numpy", "psutil"]
# Runs `codekg index REPO --db DB --json` in this process, then prints the modules it loaded and the
# metrics registry's own snapshot, each as one last line of JSON.
INDEX_IN_PROCESS = """
import json, sys
from codekg.cli import main
sys.argv = ["codekg", "index", sys.argv[1], "--db", sys.argv[2], "--json"]
try:
    main()
except SystemExit as exit:
    assert not exit.code, exit.code
modules = sorted(sys.modules)
from codekg import metrics
metrics.REGISTRY  # made now, at zero as the run left every metric
print(json.dumps(modules))
print(json.dumps(metrics.snapshot()))
"""


def imported_modules(*arguments: str) -> list[str]:
    """The modules a `python -X importtime ARGUMENTS` run imports, in order."""
    result = subprocess.run([sys.executable, "-X", "importtime", *arguments], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    return [line.rsplit("|", 1)[1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")]


def test_version_option_short_option_and_command_print_the_same_line():
    expected = f"codekg {__version__} (schema v{SCHEMA_VERSION})\n"
    for arguments in (["--version"], ["-V"], ["version"]):
        result = codekg(*arguments)
        assert (result.returncode, result.stdout, result.stderr) == (0, expected, ""), arguments


def test_version_json():
    result = codekg("version", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"version": __version__, "schema_version": SCHEMA_VERSION}


def test_version_option_is_in_the_top_level_help():
    result = codekg("--help", env={"COLUMNS": "120"})
    assert result.returncode == 0, result.stderr
    assert "--version" in result.stdout and "-V" in result.stdout


def test_importing_the_cli_loads_no_heavy_package():
    program = "import sys, codekg.cli; print('\\n'.join(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    modules = result.stdout.split()
    packages = {name.split(".")[0] for name in modules}
    assert [name for name in NOT_AT_IMPORT if name in packages] == []
    assert [name for name in modules if name.startswith("codekg.")] == ["codekg.cli", "codekg.errors", "codekg.limits"]


def test_version_option_imports_neither_settings_nor_pipeline_nor_pydantic():
    modules = imported_modules("-m", "codekg", "--version")
    assert "codekg.cli" in modules  # the measurement saw the CLI
    loaded = [name for name in modules if name in ("codekg.pipeline", "codekg.settings") or name.split(".")[0] == "pydantic"]
    assert loaded == []


def test_every_command_and_subcommand_prints_its_help_in_a_subprocess():
    paths = command_paths(typer.main.get_command(app))  # every registered command and group, new ones too
    assert ("index",) in paths and ("cache", "verify") in paths and ("store", "replay-failed") in paths
    for path in paths:
        result = codekg(*path, "--help", env={"COLUMNS": "80"})  # output piped: not a terminal
        assert result.returncode == 0, (path, result.stderr)
        assert "Usage:" in result.stdout, path
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, path


def test_index_that_finds_nothing_changed_loads_neither_the_passes_nor_tree_sitter(tmp_path: Path):
    repo, db = tmp_path / "repo", tmp_path / "index"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "__init__.py").write_text("")
    (repo / "pkg" / "shapes.py").write_text("class Shape:\n    def area(self):\n        return 0\n")
    (repo / "main.py").write_text("from pkg.shapes import Shape\n\n\ndef run():\n    return Shape().area()\n")
    (repo / "web").mkdir()
    (repo / "web" / "util.ts").write_text("export function twice(n: number): number {\n  return 2 * n;\n}\n")
    (repo / "web" / "app.js").write_text("import { twice } from './util';\nexport const four = () => twice(2);\n")
    (repo / "tsconfig.json").write_text('{"compilerOptions": {"baseUrl": "."}}\n')
    first = codekg("index", str(repo), "--db", str(db), "--quiet")
    assert first.returncode == 0, first.stderr

    result = subprocess.run([sys.executable, "-c", INDEX_IN_PROCESS, str(repo), str(db)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    *summary_lines, modules_line, registry_line = result.stdout.splitlines()
    summary, modules = json.loads("\n".join(summary_lines)), json.loads(modules_line)
    assert summary["delta"]["mode"] == "unchanged"
    assert summary["files_by_language"] == {"javascript": 1, "python": 3, "typescript": 1}
    assert "codekg.pipeline" in modules  # the measurement saw the run
    loaded = [name for name in NOT_WHEN_UNCHANGED if any(m == name or m.startswith(name + ".") for m in modules)]
    assert loaded == []
    assert summary["metrics"] == json.loads(registry_line)  # every metric at zero, as prometheus_client lists them


def test_shell_completion_script_for_the_installed_command():
    command = Path(sys.executable).parent / "codekg"  # the console script pip installed
    result = subprocess.run([str(command), "--show-completion", "bash"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "_CODEKG_COMPLETE=complete_bash" in result.stdout and "complete " in result.stdout
    assert "--install-completion" in codekg("--help").stdout


def test_a_cold_index_with_no_sql_never_imports_sqlglot(tmp_path: Path):
    """sqlglot's import costs 0.15 s; a run needs it only for SQL or a dialect setting it must check."""
    repo, db = tmp_path / "repo", tmp_path / "index"
    repo.mkdir()
    (repo / "main.py").write_text("import os\n\n\ndef run():\n    return os.getcwd()\n")
    (repo / "app.js").write_text("export const four = () => 2 + 2;\n")
    result = subprocess.run([sys.executable, "-c", INDEX_IN_PROCESS, str(repo), str(db)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    *summary_lines, modules_line, _ = result.stdout.splitlines()
    summary, modules = json.loads("\n".join(summary_lines)), json.loads(modules_line)
    assert summary["delta"]["mode"] == "full"
    assert summary["files_by_language"] == {"javascript": 1, "python": 1}
    assert [m for m in modules if m == "sqlglot" or m.startswith("sqlglot.")] == []


def test_a_run_builds_the_click_command_of_its_own_command_only():
    """Typer builds the Click command of everything an app holds on each run (25-30 ms for codekg's);
    `main` hands it an app holding the one command named first. Help, a global option first, no
    command and a misspelt one get the whole app, so their listings and errors are unchanged."""
    from codekg.cli import _app_for

    index = _app_for(["index", ".", "--json"])
    assert [command.callback.__name__ for command in index.registered_commands] == ["index"]
    assert index.registered_groups == [] and index.registered_callback is app.registered_callback
    assert sorted(typer.main.get_command(index).commands) == ["index"]
    config = _app_for(["config", "show"])
    assert config.registered_commands == [] and [group.name for group in config.registered_groups] == ["config"]
    for arguments in ([], ["--help"], ["--config-file", "c.toml", "index"], ["indx"], ["-V"]):
        assert _app_for(arguments) is app
    assert len(app.registered_commands) > 20  # the app itself is left whole
    misspelt = codekg("indx", ".")
    assert misspelt.returncode == 2 and "No such command 'indx'" in misspelt.stderr and "Did you mean 'index'?" in misspelt.stderr
