"""`--help` on every command and subcommand: exit 0, the help text whole (Rich markup in a help text,
such as `[/database]`, crashed most commands), and the last-resort error handler escapes messages."""

from __future__ import annotations

import subprocess
import sys

import typer.core
import typer.main
from typer.testing import CliRunner

from codekg.cli import app


def command_paths(command, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """``command`` and every command and group under it, as argument paths (also used by test_cli_startup.py)."""
    paths = [prefix]
    if getattr(command, "commands", None):
        for name, sub in sorted(command.commands.items()):
            paths += command_paths(sub, (*prefix, name))
    return paths


def _command_at(root, path: tuple[str, ...]):
    for name in path:
        root = root.commands[name]
    return root


def test_every_command_prints_its_help_naming_each_option_at_any_width():
    root = typer.main.get_command(app)
    paths = command_paths(root)
    assert ("index",) in paths and ("store", "replay-failed") in paths and ("config", "show") in paths
    runner = CliRunner()
    named = 0
    for path in paths:
        options = [max(param.opts, key=len) for param in _command_at(root, path).params
                   if isinstance(param, typer.core.TyperOption) and not param.hidden]
        for width in ("40", "200"):
            result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": width})
            assert result.exit_code == 0, (path, width, result.output, result.exception)
            assert "Usage:" in result.output
            assert [option for option in options if option not in result.output] == [], (path, width)
        named += len(options)
    assert named > 100  # the walk saw the options (index alone has 14)
    store_help = runner.invoke(app, ["stats", "--help"], env={"COLUMNS": "200"}).output
    assert "neo4j://host:port[/database]" in store_help


def test_an_internal_error_message_with_brackets_is_printed_as_written():
    program = ("import codekg.cli as c\n"
               "def boom():\n    raise RuntimeError('x [/tmp/x] [red]y')\n"
               "c.app = boom\nc.main()\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.returncode == 70
    assert "internal error: RuntimeError: x [/tmp/x] [red]y" in result.stderr
    assert "Traceback" not in result.stderr
