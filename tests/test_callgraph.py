"""`codekg callgraph`: the adjacency map read from the index, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.callgraph import call_graph_text, repository_call_graph
from codekg.settings import load_settings

TREE = {
    "main.py": """\
import os
from pkg.mod import Base, helper

FLAG = True

if FLAG:
    def pick():
        return helper()
else:
    def pick():
        return os.getcwd()


class Child(Base):
    label = str(1)

    def run(self):
        def inner():
            return len("x")
        return self.greet() + inner()


class Quiet:
    def noop(self):
        pass


pick()
Child()
""",
    "pkg/__init__.py": "",
    "pkg/mod.py": """\
class Base:
    def __init__(self):
        self.ready = True

    def greet(self):
        return "hi"


def helper():
    return 1
""",
}

# Both `pick` definitions are one key; Child() is printed as its (inherited) constructor, not the
# class; Quiet's body calls nothing, so Quiet is no key; builtins and libraries are External names.
EXPECTED = {
    "main": ["main.pick", "pkg.mod.Base.__init__"],
    "main.Child": ["<builtin>.str"],
    "main.Child.run": ["main.Child.run.inner", "pkg.mod.Base.greet"],
    "main.Child.run.inner": ["<builtin>.len"],
    "main.Quiet.noop": [],
    "main.pick": ["os.getcwd", "pkg.mod.helper"],
    "pkg": [],
    "pkg.mod": [],
    "pkg.mod.Base.__init__": [],
    "pkg.mod.Base.greet": [],
    "pkg.mod.helper": [],
}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for path, text in TREE.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    return root


def call_graph(repo: Path, db: Path, min_confidence: float = 0.0) -> dict[str, list[str]]:
    return repository_call_graph(repo, db, load_settings(repo, use_git_ls_files=False), min_confidence)


def test_call_graph_of_a_small_tree(repo: Path, tmp_path: Path) -> None:
    assert call_graph(repo, tmp_path / "db") == EXPECTED


def test_min_confidence_drops_weaker_edges_but_keeps_every_definition(repo: Path, tmp_path: Path) -> None:
    graph = call_graph(repo, tmp_path / "db", min_confidence=0.9)
    # main -> pick is split between the two definitions (0.5 each); self.greet() on a base is 0.8
    assert graph["main"] == ["pkg.mod.Base.__init__"]
    assert graph["main.Child.run"] == ["main.Child.run.inner"]
    assert set(graph) == set(EXPECTED)


def test_an_up_to_date_index_is_read_again(repo: Path, tmp_path: Path) -> None:
    db = tmp_path / "db"
    call_graph(repo, db)
    (repo / "pkg" / "mod.py").write_text(TREE["pkg/mod.py"] + "\n\ndef extra():\n    return helper()\n")
    graph = call_graph(repo, db)
    assert graph["pkg.mod.extra"] == ["pkg.mod.helper"]


def test_text_format() -> None:
    assert call_graph_text({"main": ["a.f", "b.g"], "a.f": []}) == "main -> a.f, b.g\na.f\n"


def codekg(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=120,
                          env=dict(os.environ))


def test_cli_prints_json_and_text(repo: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "db")
    result = codekg("callgraph", str(repo), "--db", db, "--format", "json")
    assert codekg("callgraph", str(repo), "--db", db, "--json").stdout == result.stdout
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == EXPECTED
    text = codekg("callgraph", str(repo), "--db", db, "--min-confidence", "0.9")
    assert text.returncode == 0, text.stderr
    assert text.stdout.splitlines()[:2] == ["main -> pkg.mod.Base.__init__", "main.Child -> <builtin>.str"]
    assert not (repo / ".codekg").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{missing}"], "does not exist"),
        (["{repo}", "--format", "xml"], "unknown --format 'xml'"),
    ],
)
def test_cli_bad_input_is_one_message_and_exit_2(repo: Path, tmp_path: Path, args: list[str], message: str) -> None:
    filled = [a.format(repo=repo, missing=tmp_path / "nope") for a in args]
    result = codekg("callgraph", *filled, "--db", str(tmp_path / "db"))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
