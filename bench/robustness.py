"""The robustness sweep: index ~50 released projects as a user would and report what fell over.

Each project in PROJECTS is downloaded at run time into a cache folder (default `.robustness/`,
ignored by git; never committed): a Python sdist with `pip download --no-deps --no-binary NAME`,
an npm tarball with `npm pack NAME@VERSION`. It is unpacked there and indexed by a whole
`codekg index DIR --db TMP --json` subprocess with a wall-clock timeout and an RSS ceiling (the
process group is killed when either is hit). The table in `docs/robustness.md` gives per project
the files indexed, wall time, peak RSS (the largest single process, from `wait4`), warnings,
skipped files and exit code; a section per project groups its warnings by kind, and a failure's
last stderr lines and, for an internal error (exit 70), the traceback of a re-run with
CODEKG_DEBUG=1. A project that cannot be downloaded or unpacked is reported as such.

Run by hand, never in CI (it downloads ~1 GB and takes tens of minutes on 2 cores):

    make robustness
    python bench/robustness.py [--only sympy,three] [--jobs 1] [--timeout 600] [--max-rss-mb 8000]
                               [--cache DIR] [--out FILE] [--fetch-only]

`--no-binary NAME` rather than `:all:`: the sdist of the project itself, its build backend as a
wheel (pip builds an sdist's metadata, and building every backend from source is slow and
fragile). meson-python has no metadata hook, so pip would compile numpy, pandas and matplotlib
just to read their version: for those a stand-in `mesonpy` that copies PKG-INFO is put on
PYTHONPATH with `--no-build-isolation`.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from _common import _LAUNCHER, MB, facts_markdown, fail, load_average, machine_facts, markdown_table

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = REPO_ROOT / ".robustness"
DEFAULT_OUT = REPO_ROOT / "docs" / "robustness.md"
INTERNAL_ERROR = 70  # codekg's exit code for an unexpected exception
STDERR_TAIL_LINES = 12


@dataclass(frozen=True, slots=True)
class Project:
    name: str
    version: str
    registry: str  # "pypi" or "npm"
    meson: bool = False  # built with meson-python: pip needs the stand-in backend to read its metadata
    bundles: bool = False  # index its dist/ and build/ bundles, which codekg leaves out by default


def pypi(name: str, version: str, meson: bool = False) -> Project:
    return Project(name, version, "pypi", meson)


def npm(name: str, version: str, bundles: bool = False) -> Project:
    return Project(name, version, "npm", bundles=bundles)


# Re-includes what DEFAULT_IGNORES in codekg's settings leave out: the bundles are the code a user ships.
WITH_BUNDLES = {"CODEKG_EXTRA_IGNORE": '["!dist/", "!build/"]'}


# Every project named in issue 12 first, then well-known Python and JS/TS projects of many shapes.
PROJECTS: tuple[Project, ...] = (
    pypi("sympy", "1.14.0"),
    pypi("numpy", "2.4.6", meson=True),
    pypi("pandas", "3.1.1", meson=True),
    pypi("matplotlib", "3.11.2", meson=True),
    pypi("django", "5.2.19"),
    pypi("sqlalchemy", "2.1.9"),
    pypi("ansible-core", "2.19.14"),
    pypi("jedi", "0.20.1"),
    pypi("celery", "5.7.0"),
    pypi("httpx", "0.29.0"),
    pypi("mypy", "2.4.1"),
    pypi("networkx", "3.6.1"),
    pypi("pytest", "9.2.0"),
    pypi("rich", "15.0.0"),
    pypi("scrapy", "2.19.0"),
    pypi("sphinx", "9.0.4"),
    pypi("twisted", "26.10.0"),
    pypi("black", "26.10.1"),
    npm("three", "0.187.0", bundles=True),
    npm("vue", "3.5.46", bundles=True),
    pypi("requests", "2.34.2"),
    pypi("flask", "3.1.3"),
    pypi("werkzeug", "3.1.9"),
    pypi("jinja2", "3.1.6"),
    pypi("fastapi", "0.165.0"),
    pypi("pydantic", "2.14.4"),
    pypi("attrs", "26.1.0"),
    pypi("click", "8.5.1"),
    pypi("typer", "0.29.2"),
    pypi("pip", "26.3"),
    pypi("setuptools", "84.2.1"),
    pypi("tornado", "6.6.1"),
    pypi("aiohttp", "3.14.5"),
    npm("express", "5.3.0"),
    npm("lodash", "4.18.1"),
    npm("react", "19.3.1"),
    npm("axios", "1.21.1"),
    npm("typescript", "5.9.3"),  # 5.x: the last compiler written in TypeScript (7.x ships a native binary)
    npm("webpack", "5.113.0"),
    npm("eslint", "10.16.0"),
    npm("prettier", "3.10.1"),
    npm("moment", "2.31.0"),
    npm("d3", "7.9.2", bundles=True),  # ships only bundles
    npm("jquery", "4.1.0", bundles=True),
    npm("rxjs", "7.8.2"),
    npm("chart.js", "4.6.1", bundles=True),
    npm("preact", "11.2.0"),
    npm("svelte", "5.59.1"),
)


@dataclass(slots=True)
class Result:
    """One project's outcome; `stage` says how far it got: download, unpack or index."""

    name: str
    version: str
    registry: str
    stage: str = "download"
    exit: int | None = None  # codekg's exit code; None when it was never run or was killed
    killed: str = ""  # "timeout" or "memory" when the sweep killed the run
    wall_seconds: float = 0.0
    peak_rss_mb: float = 0.0  # the largest single process (wait4); 0 when killed
    tree_rss_mb: float = 0.0  # the process tree's summed RSS, sampled
    files: int = 0
    warnings: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    error: str = ""  # why download/unpack failed, or the tail of codekg's stderr
    traceback: str = ""  # the last frames of a CODEKG_DEBUG=1 re-run after exit 70
    settings: str = ""  # the CODEKG_* settings the run was given, as `NAME=value`


# --- fetching ------------------------------------------------------------------------------------

def fetch(project: Project, cache: Path) -> Path:
    """The unpacked source of ``project`` under ``cache``, downloading it first if needed.
    Raises RuntimeError (download) or OSError/tarfile.TarError/zipfile.BadZipFile (unpack)."""
    source = cache / "src" / f"{project.name}-{project.version}"
    done = source.with_name(source.name + ".done")  # beside the tree, so it is never indexed
    if done.exists():
        return source
    archive = _download(project, cache / "downloads")
    shutil.rmtree(source, ignore_errors=True)
    _unpack(archive, source)
    done.touch()
    return source


def _download(project: Project, downloads: Path) -> Path:
    """The project's archive, alone in its own folder under ``downloads`` (kept for the next sweep)."""
    folder = downloads / f"{project.name}-{project.version}"
    if folder.is_dir() and len(files := list(folder.iterdir())) == 1:
        return files[0]
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = None
    if project.registry == "npm":
        argv = ["npm", "pack", f"{project.name}@{project.version}", "--pack-destination", str(folder), "--silent"]
    else:
        argv = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", project.name,
                "--disable-pip-version-check", "-d", str(folder), f"{project.name}=={project.version}"]
        if project.meson:
            argv.append("--no-build-isolation")
            env = {**os.environ, "PYTHONPATH": str(_metadata_only_backend(downloads.parent))}
    run = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=900)
    files = list(folder.iterdir())
    if run.returncode != 0 or len(files) != 1:
        shutil.rmtree(folder, ignore_errors=True)
        tail = "\n".join((run.stderr or run.stdout).strip().splitlines()[-5:])
        raise RuntimeError(f"`{shlex.join(argv)}` exited {run.returncode}: {tail}")
    return files[0]


_MESONPY_STAND_IN = '''"""Stands in for meson-python while pip reads an sdist's metadata (bench/robustness.py)."""
from pathlib import Path


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = Path("PKG-INFO").read_text(encoding="utf-8")
    fields = dict(line.split(": ", 1) for line in info.splitlines() if line[:5] in ("Name:", "Versi"))
    name = f"{fields['Name'].replace('-', '_')}-{fields['Version']}.dist-info"
    (Path(metadata_directory) / name).mkdir()
    (Path(metadata_directory) / name / "METADATA").write_text(info, encoding="utf-8")
    return name


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("only metadata: this stand-in never builds")
'''


def _metadata_only_backend(cache: Path) -> Path:
    folder = cache / "metadata-only-backend"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mesonpy.py").write_text(_MESONPY_STAND_IN, encoding="utf-8")
    return folder


def _unpack(archive: Path, target: Path) -> None:
    """Unpack into ``target``, dropping the archive's single top folder (`package/`, `NAME-VER/`)."""
    with tempfile.TemporaryDirectory(dir=target.parent.parent) as scratch:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as bundle:
                bundle.extractall(scratch)
        else:
            with tarfile.open(archive) as bundle:
                bundle.extractall(scratch, filter="data")  # refuses absolute paths and links leaving the tree
        entries = list(Path(scratch).iterdir())
        top = entries[0] if len(entries) == 1 and entries[0].is_dir() else Path(scratch)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(top, target)


# --- indexing ------------------------------------------------------------------------------------

def codekg_command() -> list[str]:
    """The `codekg` console script beside this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("codekg")
    found = str(beside) if beside.exists() else shutil.which("codekg")
    if found is None:
        fail("no `codekg` command: run from the project's venv (make venv)")
    return [found]


def index(source: Path, result: Result, timeout: float, max_rss_mb: float, env: dict[str, str]) -> None:
    """Index ``source`` (with ``env`` added to the environment) into a scratch database; fill in ``result``."""
    result.stage = "index"
    with tempfile.TemporaryDirectory(prefix="codekg-robustness-") as scratch:
        argv = [*codekg_command(), "index", str(source), "--db", str(Path(scratch) / "db"), "--json"]
        run = run_bounded(argv, timeout, max_rss_mb, env)
    result.exit, result.killed = run["returncode"], run["killed"]
    result.wall_seconds, result.peak_rss_mb = run["wall_seconds"], run["peak_rss_mb"]
    result.tree_rss_mb = run["tree_rss_mb"]
    if result.exit == 0:
        try:
            summary = json.loads(run["stdout"])
        except json.JSONDecodeError as error:
            result.error = f"exit 0 but the --json summary does not parse: {error}"
            return
        result.files = sum(summary.get("files_by_language", {}).values())
        result.warnings, result.skipped = summary.get("warnings", []), summary.get("skipped", [])
        return
    result.error = "\n".join(run["stderr"].strip().splitlines()[-STDERR_TAIL_LINES:])
    if result.exit == INTERNAL_ERROR:
        with tempfile.TemporaryDirectory(prefix="codekg-robustness-") as scratch:
            argv[argv.index("--db") + 1] = str(Path(scratch) / "db")
            debug = run_bounded(argv, timeout, max_rss_mb, {**env, "CODEKG_DEBUG": "1"})
        result.traceback = _last_frames(debug["stderr"])


def run_bounded(argv: list[str], timeout: float, max_rss_mb: float,
                env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``argv`` under bench/_common.py's wait4 launcher in its own process group; kill the group
    when it runs longer than ``timeout`` seconds or its summed RSS passes ``max_rss_mb``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, report.name, *argv],
                                   stdout=out, stderr=err, env={**os.environ, **(env or {})}, start_new_session=True)
        launcher = psutil.Process(process.pid)
        started, tree_peak, killed = time.monotonic(), 0, ""
        while process.poll() is None:
            tree_peak = max(tree_peak, _tree_rss(launcher))
            if time.monotonic() - started > timeout:
                killed = "timeout"
            elif tree_peak > max_rss_mb * MB:
                killed = "memory"
            if killed:
                os.killpg(process.pid, signal.SIGKILL)  # SIGKILL: a hung run may ignore SIGTERM
                process.wait()
                break
            time.sleep(0.2)
        wall = time.monotonic() - started
        measured = json.loads(report.read() or "{}")
        out.seek(0)
        err.seek(0)
        return {
            "returncode": None if killed else measured.get("returncode", process.returncode),
            "killed": killed,
            "wall_seconds": measured.get("wall_seconds", wall),
            "peak_rss_mb": measured.get("maxrss_kib", 0) * 1024 / MB,
            "tree_rss_mb": tree_peak / MB,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def _tree_rss(root: psutil.Process) -> int:
    total = 0
    try:
        processes = root.children(recursive=True)
    except psutil.Error:
        return 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass  # exited since it was listed
    return total


def _last_frames(stderr: str, frames: int = 4) -> str:
    """The exception line and the ``frames`` innermost `File ...` frames of a Python traceback."""
    lines = stderr.rstrip().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    if not starts:
        return "\n".join(lines[-STDERR_TAIL_LINES:])
    return "\n".join(lines[starts[max(0, len(starts) - frames)]:])


def sweep_one(project: Project, cache: Path, timeout: float | None, max_rss_mb: float) -> Result:
    """Fetch and index one project; with ``timeout`` None, only fetch it."""
    result = Result(project.name, project.version, project.registry)
    try:
        source = fetch(project, cache)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        result.error = str(error)
        return result
    except (OSError, tarfile.TarError, zipfile.BadZipFile) as error:
        result.stage, result.error = "unpack", f"{type(error).__name__}: {error}"
        return result
    if timeout is None:
        result.stage = "fetched"
        return result
    env = WITH_BUNDLES if project.bundles else {}
    result.settings = " ".join(f"{name}='{value}'" for name, value in env.items())
    index(source, result, timeout, max_rss_mb, env)
    print(f"{project.name} {project.version}: {outcome(result)}, {result.wall_seconds:.1f} s, "
          f"{result.peak_rss_mb:.0f} MB", file=sys.stderr, flush=True)
    return result


# --- the report ----------------------------------------------------------------------------------

# What each kind of warning or skip seen so far means; a new kind shows up in the report unexplained.
EXPLAINED = {
    "parse/syntax-errors": "regions tree-sitter could not parse were left out and the rest of the file indexed: "
                           "test data written to be invalid (jedi's completion cases, black's), templates (`{% %}` in "
                           "django's .js), and grammar gaps of tree-sitter on valid code (`*(a), (b) = 1, 2`; "
                           "`export { x as if }`; `[K in keyof readonly any[]]`)",
    "scan/gitignore": "a .gitignore line git itself ignores (black's test data holds a bare `!`)",
    "larger than max_file_size": "files above CODEKG_MAX_FILE_SIZE (1 MB) are not read: bundled compilers, "
                                 "generated tables",
    "extractor failed": "the language extractor raised on this file; only this file is left out",
    "parse/invalid-utf8": "bytes that are not UTF-8 (and no coding cookie saying otherwise): decoded with "
                          "replacement characters",
    "parse/extraction": "the extractor's own bounds and decoding: definitions nested deeper than 64 levels (or "
                        "with scope paths over 1,000 characters) folded into their deepest kept ancestor, or a "
                        "coding cookie naming a codec Python source cannot use",
    "structure/": "the structure pass failed on this file: it keeps its File and Module nodes only",
    "resolve/": "the resolve pass failed on this file: it keeps no derived edges (a codekg bug to report)",
    "scan/project-config": "a tsconfig.json/jsconfig.json that could not be read or parsed: its paths are ignored",
    "binary file": "a file with a source extension that holds binary data",
    "XML, not source code": "a file with a source extension that holds XML (Qt Linguist's .ts translations)",
    "quarantined": "a file that crashed its parse worker or parsed longer than the timeout, twice",
}

def outcome(result: Result) -> str:
    if result.stage != "index":
        return f"{result.stage} failed"
    if result.killed:
        return f"killed ({result.killed})"
    return f"exit {result.exit}"


def render(results: list[Result], command: str, facts: dict[str, str], timeout: float, max_rss_mb: float) -> str:
    rows = [(r.name, r.version, r.registry, r.files, f"{r.wall_seconds:.1f}", round(r.peak_rss_mb),
             round(r.tree_rss_mb), len(r.warnings), len(r.skipped), outcome(r)) for r in results]
    failed = [r for r in results if outcome(r) != "exit 0"]
    parts = [
        "# Robustness sweep",
        "",
        "Generated by `bench/robustness.py` (issue 12): released projects from PyPI and npm, each indexed by a "
        "whole `codekg index DIR --db TMP --json` process as a user would run it. Wall is the process's wall "
        "time; peak RSS is the largest single process (`wait4`), tree RSS the sampled sum of the process "
        "and its parse workers (an upper bound: pages shared after fork are counted once per process). "
        f"Runs are killed after {timeout:.0f} s or above {max_rss_mb:.0f} MB tree RSS.",
        "",
        f"**{len(results) - len(failed)} of {len(results)} exit 0.**",
        "",
        markdown_table(["project", "version", "from", "files", "wall s", "peak RSS MB", "tree RSS MB",
                        "warnings", "skipped", "exit"], rows),
        "",
        *_explanations(results),
        "## How it was run",
        "",
        f"    {command}",
        "",
        facts_markdown(facts),
        "",
        "## Per project",
    ]
    for result in results:
        parts += ["", f"### {result.name} {result.version}", "", f"{outcome(result)}, {result.files:,} files."
                  + (f" Indexed with `{result.settings}`." if result.settings else "")]
        if result.error:
            parts += ["", "```", result.error, "```"]
        if result.traceback:
            parts += ["", "Traceback of a re-run with CODEKG_DEBUG=1 (innermost frames):", "", "```",
                      result.traceback, "```"]
        parts += _grouped("warnings", result.warnings, lambda w: f"{w.get('pass', '?')}/{w.get('kind', '?')}",
                          lambda w: f"{w.get('path', '')}: {w.get('message', '')}")
        parts += _grouped("skipped files", result.skipped, lambda s: s.get("reason", "?").split(" (")[0],
                          lambda s: f"{s.get('path', '')}: {s.get('reason', '')}")
    return "\n".join(parts) + "\n"


def _explanations(results: list[Result]) -> list[str]:
    seen = {f"{w.get('pass')}/{w.get('kind')}" for r in results for w in r.warnings}
    seen |= {s.get("reason", "") for r in results for s in r.skipped}
    explained = [(kind, text) for kind, text in EXPLAINED.items() if any(k.startswith(kind) for k in seen)]
    unexplained = sorted(k for k in seen if not any(k.startswith(kind) for kind in EXPLAINED))
    if not explained and not unexplained:
        return []
    return ["## What the warnings and skips mean", "", *(f"- **{kind}**: {text}." for kind, text in explained),
            *(f"- **{kind}**: not explained yet: look at the project's section below." for kind in unexplained), ""]


def _grouped(title: str, items: list[dict[str, str]], key: Any, describe: Any, examples: int = 3) -> list[str]:
    """A list of ``items`` grouped by ``key``: the count of each group and its first few examples."""
    if not items:
        return []
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    lines = ["", f"{title.capitalize()} by kind:", ""]
    for name, members in sorted(groups.items(), key=lambda group: -len(group[1])):
        shown = "; ".join(f"`{describe(m)[:160]}`" for m in members[:examples])
        lines.append(f"- **{name}** ({len(members)}): {shown}" + (" …" if len(members) > examples else ""))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=lambda text: [n.strip() for n in text.split(",") if n.strip()],
                        help="comma-separated project names (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="projects fetched and indexed at once (default 1)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds before an index run is killed (default 600)")
    parser.add_argument("--max-rss-mb", type=float, default=8000.0,
                        help="summed RSS above which an index run is killed (default 8000)")
    parser.add_argument("--fetch-only", action="store_true", help="download and unpack, index nothing, write no report")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE,
                        help=f"downloads and sources (default {DEFAULT_CACHE})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"the Markdown report (default {DEFAULT_OUT})")
    args = parser.parse_args()
    if args.jobs < 1:
        fail("--jobs must be at least 1")
    projects = list(PROJECTS)
    if args.only:
        unknown = set(args.only) - {p.name for p in PROJECTS}
        if unknown:
            fail(f"not in the pinned list: {', '.join(sorted(unknown))}")
        projects = [p for p in PROJECTS if p.name in args.only]
    cache = args.cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    facts = machine_facts()
    timeout = None if args.fetch_only else args.timeout
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(lambda p: sweep_one(p, cache, timeout, args.max_rss_mb), projects))
    if args.fetch_only:
        for result in results:
            print(f"{result.name} {result.version}: {result.stage} {result.error}", file=sys.stderr)
        return
    (cache / "results.json").write_text(json.dumps([asdict(r) for r in results], indent=1), encoding="utf-8")
    command = shlex.join(["python", "bench/robustness.py", *sys.argv[1:]])
    facts["jobs"] = str(args.jobs)
    facts["load average at end (1 min, 5 min)"] = load_average()
    args.out.write_text(render(results, command, facts, args.timeout, args.max_rss_mb), encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
