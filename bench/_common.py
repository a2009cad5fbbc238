"""What the benchmark scripts share: the corpus argument, measured child processes, machine facts and
Markdown output. Benchmarks are run by hand (see docs/benchmarks.md), never by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import NoReturn

REPO_ENV_VAR = "CODEKG_BENCH_REPO"
MB = 1_000_000  # the targets are in MB; ru_maxrss is in KiB, so every figure is converted to 10^6 bytes
USAGE_ERROR = 2


def corpus_path(argument: str | None) -> Path:
    """The repository to benchmark: ``argument``, else $CODEKG_BENCH_REPO. Exits 2 when neither names a folder."""
    raw = argument or os.environ.get(REPO_ENV_VAR, "")
    if not raw:
        fail(f"no repository to benchmark: pass PATH or set {REPO_ENV_VAR} "
             "(docs/benchmarks.md says how to get the pydantic corpus)")
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        fail(f"{path} is not a directory")
    return path


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    sys.exit(code)


@dataclass(frozen=True, slots=True)
class ChildRun:
    """One child process run to completion, with the figures only the parent can measure."""

    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str
    peak_tree_rss_mb: float | None = None  # the child and its descendants summed, when sampled


_BYTE_COMPILED: set[str] = set()


def byte_compile_codekg() -> None:
    """Write the bytecode of the codekg the children import, once per bench process, as `pip install`
    does. An editable install (`make venv`) has none, and with PYTHONDONTWRITEBYTECODE set (as on
    this machine) every process compiled codekg's modules again: about 0.15 s of each CLI figure
    that no installed codekg pays."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("codekg")
    if spec is None or not spec.submodule_search_locations:
        return
    for folder in spec.submodule_search_locations:
        if folder not in _BYTE_COMPILED:
            compileall.compile_dir(folder, quiet=1, workers=1)
            _BYTE_COMPILED.add(folder)


def run_measured(argv: Sequence[str], env: Mapping[str, str] | None = None, sample_tree: bool = False) -> ChildRun:
    """Run ``argv`` (with ``env`` added to this process's environment) and return its wall time and
    its own peak RSS; with ``sample_tree``, also the peak of its whole process tree's summed RSS.

    ``getrusage(RUSAGE_CHILDREN)`` keeps the maximum over every child reaped so far, so it cannot
    tell run 2 from run 1; ``wait4`` returns the usage of the one child it reaps. A child forked from
    this process starts with this process's peak RSS as its own (Linux keeps the high-water mark
    through fork and exec), so a small launcher process forks, times and reaps the command instead:
    the figure then starts from the launcher's few MB, not from whatever this process holds.
    """
    byte_compile_codekg()
    child_env = None if env is None else {**os.environ, **env}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".json") as report:
        process = subprocess.Popen([sys.executable, "-I", "-S", "-c", _LAUNCHER, report.name, *argv],
                                   stdout=out, stderr=err, env=child_env)
        sampler = TreeRssSampler(process.pid) if sample_tree else None
        process.wait()
        peak_tree = sampler.stop() if sampler is not None else None
        measured = json.loads(report.read() or "{}")
        out.seek(0)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
        if process.returncode != 0 or not measured:
            return ChildRun(process.returncode or 1, 0.0, 0.0, "", stderr or f"launcher exited {process.returncode}")
        return ChildRun(
            returncode=measured["returncode"],
            wall_seconds=measured["wall_seconds"],
            peak_rss_mb=measured["maxrss_kib"] * 1024 / MB,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=stderr,
            peak_tree_rss_mb=peak_tree,
        )


# Run by a fresh interpreter (no site, no imports beyond the standard library): fork, exec the
# command, reap it with wait4, write its exit code, wall time and peak RSS as JSON to argv[1].
_LAUNCHER = """
import json, os, sys, time
report, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(report, "w") as f:
    json.dump({"returncode": os.waitstatus_to_exitcode(status), "wall_seconds": wall, "maxrss_kib": usage.ru_maxrss}, f)
"""


class TreeRssSampler:
    """Polls the summed RSS of all descendants of a process (the measured command under the launcher,
    and its parse workers) from a thread until stopped.

    The sum counts pages shared after ``fork`` once per process, so it is an upper bound of the
    memory the tree really holds (the largest process's ``wait4`` figure is the lower bound; PSS
    would be exact but costs milliseconds per read, too much CPU to take away on two cores). RSS is
    read every ``interval`` seconds and the list of processes refreshed every ``refresh`` seconds,
    so a peak shorter than that, or a worker younger than that, can be missed.
    """

    def __init__(self, pid: int, interval: float = 0.01, refresh: float = 0.2) -> None:
        import psutil

        self._root = psutil.Process(pid)
        self._interval, self._refresh = interval, refresh
        self._peak_bytes = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        import psutil

        processes: list[psutil.Process] = []
        listed_at = float("-inf")
        while not self._done.is_set():
            if time.monotonic() - listed_at >= self._refresh:
                try:
                    processes = self._root.children(recursive=True)
                except psutil.Error:
                    return  # the launcher is gone
                listed_at = time.monotonic()
            total = 0
            for process in processes:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass  # exited since it was listed
            self._peak_bytes = max(self._peak_bytes, total)
            self._done.wait(self._interval)

    def stop(self) -> float:
        """Stop polling; the peak summed RSS seen, in MB."""
        self._done.set()
        self._thread.join()
        return self._peak_bytes / MB


def peak_rss_mb_of_self() -> float:
    """This process's peak RSS so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def machine_facts() -> dict[str, str]:
    """Where and when the figures were taken: results from a shared 2-core box mean little without it."""
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores (nproc)": str(len(os.sched_getaffinity(0))),
        "memory (total)": f"{_memory_total_bytes() / 2**30:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "ladybug": metadata.version("ladybug"),
        "tree-sitter": metadata.version("tree-sitter"),
        "codekg": _codekg_revision(),
        "load average at start (1 min, 5 min)": load_average(),
    }


def load_average() -> str:
    """1- and 5-minute load averages: above ~2 on this 2-core box, something else was competing."""
    load1, load5, _ = os.getloadavg()
    return f"{load1:.2f}, {load5:.2f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_total_bytes() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def _codekg_revision() -> str:
    """Which codekg is measured: version, the checkout it is imported from, its commit, and whether its
    src/ differs from that commit (then the figures describe code nobody can check out)."""
    import codekg

    source = Path(codekg.__file__).resolve().parent
    described = f"{metadata.version('codekg')} from {source}"
    try:
        commit = subprocess.run(["git", "-C", str(source), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(source), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return described
    if not commit:
        return described
    return f"{described} @ {commit}" + (" + uncommitted changes" if dirty else "")


def markdown_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub Markdown table; floats get 3 decimals below 10 and 1 above, so columns stay readable."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def facts_markdown(facts: dict[str, str]) -> str:
    return "\n".join(f"- {name}: {value}" for name, value in facts.items())


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "**missed**"


def corpus_command_line(
    description: str, what: str, runs_default: int, runs_help: str,
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
) -> tuple[argparse.Namespace, Path]:
    """The shared command line of the corpus benchmarks: PATH (or $CODEKG_BENCH_REPO), --runs, --json,
    and whatever ``add_arguments`` adds for one script."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("path", nargs="?", help=f"repository to {what} (default: $CODEKG_BENCH_REPO)")
    parser.add_argument("--runs", type=int, default=runs_default, help=f"{runs_help} (default {runs_default})")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args()
    if args.runs < 1:
        fail("--runs must be at least 1")
    return args, corpus_path(args.path)


def positive_int_list(what: str) -> Callable[[str], list[int]]:
    """An argparse type for a comma-separated list of positive integers (worker counts, batch sizes)."""

    def parse(text: str) -> list[int]:
        try:
            values = [int(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a comma-separated list of {what}: {text!r}") from None
        if not values or min(values) < 1:
            raise argparse.ArgumentTypeError(f"{what} must be positive integers")
        return values

    return parse
