"""`codekg index` as a real subprocess on a tree of hostile files: each is indexed or skipped with its
reason, the run exits 0, and re-runs, edits, search and the git listing all cope with the names."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

BAD_NAME = b"bad_\xff.py"  # not UTF-8: indexed as `bad_\xff.py` (a backslash, then `xff`)
LONG_NAME = "l" * 252 + ".py"  # 255 bytes, the longest name a Linux file system takes
DEEP_PATH = "/".join(["d" * 200] * 12) + "/deep.py"


def codekg(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    # strict: a file that a pass fails on would fail the run here, not hide behind a warning
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=180,
                          env={**os.environ, "CODEKG_STRICT": "1", **(env or {})})


def index_json(repo: Path, *args: str, env: dict | None = None) -> dict:
    result = codekg("index", str(repo), "--json", *args, env=env)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def write(root: Path, path: str, data: str | bytes = "x = 1\n") -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data.encode() if isinstance(data, str) else data)


def write_bytes_name(root: Path, name: bytes, data: bytes) -> None:
    descriptor = os.open(os.fsencode(root) + b"/" + name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.write(descriptor, data)
    os.close(descriptor)


@pytest.fixture
def hostile_repo(tmp_path: Path, monkeypatch) -> Path:
    repo = tmp_path / "repo"
    write(repo, "main.py", "from helpers import helper\n\nhelper()\n")
    write(repo, "helpers.py", "def helper():\n    return 1\n")
    write_bytes_name(repo, BAD_NAME, b"def bad():\n    return 1\n")
    os.mkdir(os.fsencode(repo) + b"/d\xe9j\xe0")
    write_bytes_name(repo, b"d\xe9j\xe0/m.py", b"def m():\n    return 2\n")
    for path in ["new\nline.py", "with space.py", "-rf.py", "--help.py", "[red]x[/red].py", LONG_NAME, DEEP_PATH,
                 "x.py/inner.py", "ignored.py"]:
        write(repo, path)
    # the resolver's triggers of issue 12: a name bound to a call on itself, ES5 classes in an IIFE, a
    # class defined over a variable, 5,000 nested calls
    write(repo, "rebind.py", "class N:\n    def f(self):\n        return N()\n\ny = N()\ny = y.f()\nc = N\nc = c()\n")
    write(repo, "iife.js", "var A = (function () { function A() { b(); } return A; }());\nfunction b() {}\n")
    write(repo, "cond.py", "X = None\nif True:\n    class X:\n        pass\nX()\n")
    write(repo, "nested.py", "def f(x):\n    return x\n\n\n" + "f(" * 5000 + "1" + ")" * 5000 + "\n")
    write(repo, ".gitignore", "!\nignored.py\n")
    write(repo, "[/database]bin.py", bytes(range(256)))  # rich markup in a name that gets printed
    write(repo, "big.js", "var a = 1;" * 2_000_000)  # 20 MB on one line, over max_file_size
    write(repo, "locked.py")
    (repo / "locked.py").chmod(0)
    write(tmp_path, "outside.py")
    (repo / "outside.py").symlink_to(tmp_path / "outside.py")
    (repo / "self.py").symlink_to("self.py")
    (repo / "dirloop").mkdir()
    (repo / "dirloop" / "up").symlink_to("..")
    os.mkfifo(repo / "fifo.py")
    (repo / "to_fifo.py").symlink_to("fifo.py")
    monkeypatch.chdir(repo)  # a socket path is limited to ~108 bytes
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("sock.py")  # the socket file stays after close
    return repo


def indexed_paths(repo: Path) -> list[str]:
    result = codekg("query", "MATCH (f:File) RETURN f.file_path ORDER BY f.file_path", "--repo", str(repo), "--json")
    assert result.returncode == 0, result.stderr
    return [row["f.file_path"] for row in json.loads(result.stdout)]


def readable(path: Path) -> bool:
    return os.access(path, os.R_OK)  # root reads a chmod 000 file: the test says what actually happens


def expected_files(repo: Path) -> list[str]:
    files = ["--help.py", "-rf.py", "[red]x[/red].py", "bad_\\xff.py", "d\\xe9j\\xe0/m.py", DEEP_PATH, "helpers.py",
             LONG_NAME, "main.py", "new\nline.py", "with space.py", "x.py/inner.py",
             "cond.py", "iife.js", "nested.py", "rebind.py"]
    return sorted(files + (["locked.py"] if readable(repo / "locked.py") else []))


WARNINGS = [{"path": ".gitignore", "pass": "scan", "kind": "gitignore",
             "message": "line 1: invalid pattern '!' ignored, as git does"}]


def expected_skipped(repo: Path, git: bool) -> list[dict[str, str]]:
    skipped = [
        ("[/database]bin.py", "binary file"),
        ("big.js", "larger than max_file_size (20000000 > 1000000 bytes)"),
        ("outside.py", "symlink pointing outside the repository"),
        ("self.py", "symlink loop"),
        ("to_fifo.py", "not a regular file"),
    ]
    if not git:  # git lists neither FIFOs, sockets nor folders behind symlinks
        skipped += [("dirloop/up", "symlink to a directory (not followed)"), ("fifo.py", "not a regular file"),
                    ("sock.py", "not a regular file")]
    if not readable(repo / "locked.py"):
        skipped.append(("locked.py", "unreadable: Permission denied"))
    return [{"path": path, "reason": reason} for path, reason in sorted(skipped)]


@pytest.mark.timeout(600)
def test_hostile_corpus_indexes_and_reports_every_file(hostile_repo):
    repo = hostile_repo
    summary = index_json(repo)
    assert summary["skipped"] == expected_skipped(repo, git=False)
    assert summary["warnings"] == WARNINGS
    assert indexed_paths(repo) == expected_files(repo)
    calls = codekg("query", "MATCH (a)-[r:CALLS]->(b) WHERE a.file_path IN ['iife.js', 'cond.py', 'rebind.py', 'nested.py'] "
                   "RETURN a.id, b.id, r.confidence ORDER BY a.id, b.id", "--repo", str(repo), "--json")
    assert [tuple(row.values()) for row in json.loads(calls.stdout)] == [
        ("Function:iife.js:iife.<anonymous1>.A", "Function:iife.js:iife.b", 1.0),  # A is inside the IIFE
        ("Method:rebind.py:rebind.N.f", "Class:rebind.py:rebind.N", 1.0),
        ("Module:cond.py:cond", "Class:cond.py:cond.X", 0.5),
        ("Module:iife.js:iife", "Function:iife.js:iife.<anonymous1>", 0.9),  # the module calls the IIFE
        ("Module:nested.py:nested", "Function:nested.py:nested.f", 1.0),
        ("Module:rebind.py:rebind", "Class:rebind.py:rebind.N", 1.0),
        ("Module:rebind.py:rebind", "Method:rebind.py:rebind.N.f", 0.85),  # `y = y.f()`: y was an N
    ]

    again = index_json(repo)
    assert again["delta"]["mode"] == "unchanged"
    assert again["skipped"] == expected_skipped(repo, git=False)

    write_bytes_name(repo, BAD_NAME, b"def bad():\n    return 1\n\n\ndef worse():\n    return 2\n")
    edited = index_json(repo)
    assert (edited["delta"]["mode"], edited["delta"]["files_changed"]) == ("incremental", 1)
    functions = codekg("query", "MATCH (f:Function) WHERE f.file_path = 'bad_\\\\xff.py' RETURN f.name ORDER BY f.name",
                       "--repo", str(repo), "--json")
    assert [row["f.name"] for row in json.loads(functions.stdout)] == ["bad", "worse"]

    context = codekg("context", "Function:bad_\\xff.py:bad_\\xff.worse", "--repo", str(repo), "--json")
    assert context.returncode == 0, context.stderr
    assert json.loads(context.stdout)["snippet"]["text"] == "def worse():\n    return 2"

    found = codekg("search", "worse", "--repo", str(repo), "--json")
    assert found.returncode == 0, found.stderr
    assert [hit["file_path"] for hit in json.loads(found.stdout)["results"]][:1] == ["bad_\\xff.py"]

    uncached = index_json(repo, "--full", env={"CODEKG_PARSE_CACHE": "0"})
    assert uncached["skipped"] == expected_skipped(repo, git=False)
    assert indexed_paths(repo) == expected_files(repo)

    text = codekg("index", str(repo), "--full")
    assert text.returncode == 0, text.stderr
    assert "Traceback" not in text.stdout + text.stderr
    assert "[/database]bin.py: binary file" in text.stdout


@pytest.mark.timeout(600)
def test_hostile_corpus_in_a_git_work_tree(hostile_repo):
    repo = hostile_repo
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "core.quotepath", "true"], check=True)
    summary = index_json(repo)
    assert summary["skipped"] == expected_skipped(repo, git=True)
    assert summary["warnings"] == []  # git reads .gitignore itself (and drops the `!` silently)
    assert indexed_paths(repo) == expected_files(repo)
    assert index_json(repo)["delta"]["mode"] == "unchanged"
    assert stat.S_ISFIFO(os.lstat(repo / "fifo.py").st_mode)  # still there: nothing opened or replaced it

    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "add", "--all", "--ignore-errors"], capture_output=True, check=False)
    subprocess.run([*git, "commit", "-q", "-m", "hostile"], check=True)
    index_json(repo)
    write_bytes_name(repo, BAD_NAME, b"def bad():\n    return 3\n")
    changes = codekg("detect-changes", "--repo", str(repo), "--json")
    assert changes.returncode == 0, changes.stderr
    report = json.loads(changes.stdout)
    assert [(f["file_path"], f["status"], f["indexed"]) for f in report["files"]] == [("bad_\\xff.py", "modified", "old")]
    assert [s["id"] for s in report["changed_symbols"] if s["innermost"]] == ["Function:bad_\\xff.py:bad_\\xff.bad"]


def test_a_repository_folder_named_in_no_utf8(tmp_path):
    # the embedded database opens UTF-8 paths only: `<repo>/.codekg` there is a clear error, `--db` a way out
    repo = os.fsencode(tmp_path) + b"/r\xe9po"
    os.mkdir(repo)
    write_bytes_name(Path(os.fsdecode(repo)), b"m.py", b"def m():\n    return 1\n")
    default = codekg("index", os.fsdecode(repo))
    assert default.returncode == 2
    assert "is not valid UTF-8, which the embedded database cannot open: pass --db with a UTF-8 path" in default.stderr
    assert "Traceback" not in default.stderr
    summary = index_json(Path(os.fsdecode(repo)), "--db", str(tmp_path / "db"))
    assert summary["files_by_language"] == {"python": 1}
