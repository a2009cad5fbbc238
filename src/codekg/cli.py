"""The `codekg` command line. Errors become one message and an exit code here, in one place.

Start-up matters (`codekg --version` in well under 0.15 s): at module level only the standard library,
typer and light codekg modules are imported; each command imports what it uses (the graph stores and
pydantic settings, the pipeline with tree-sitter, FastAPI, rich's consoles) when it runs.
tests/test_cli_startup.py holds this file to that.
"""

from __future__ import annotations

import atexit
import copy
import gc
import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer

from codekg import __version__
from codekg.errors import (
    CacheMismatchError,
    CodekgError,
    IndexNotFoundError,
    InputError,
    RunInterrupted,
    StoresDisagreeError,
    error_json,
)
from codekg.limits import MAX_DEPTH

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

    from codekg.parse_cache import ParseCache
    from codekg.pipeline import IndexSummary
    from codekg.service import GraphService
    from codekg.settings import Settings
    from codekg.stores import GraphStore

app = typer.Typer(
    name="codekg",
    help="codekg turns a source repository into a code knowledge graph and answers questions about it.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help is plain text: wrapped at any width, never cut, no markup to escape
)


PIPE_WIDTH = 100_000  # "unlimited": in a pipe a table is as wide as its widest row, nothing is cut
SHOWN_EVIDENCE = 3  # evidence lines `locate` prints per result; the rest are counted (--json has them all)


@cache
def stdout() -> Console:
    """The console on stdout, made at its first use: importing rich.console costs 30-50 ms."""
    return _console(sys.stdout)


@cache
def stderr() -> Console:
    """The console on stderr, made at its first use."""
    return _console(sys.stderr)


def _console(stream: Any) -> Console:
    """A console on ``stream``. Not a terminal (a pipe, a file, CI logs, an agent): Rich would cut
    tables to 80 columns, so `requests.sessions.Session.request` would read `requests.s…`."""
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """The reader stopped reading (`| head`): it has what it wanted, so the command succeeded
            (Rich's default exits 1). stdout goes to /dev/null so that the flush at exit is quiet."""
            self.quiet = True
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(0)

    return _Console(file=stream, soft_wrap=True, width=None if stream.isatty() else PIPE_WIDTH)


def print_out(text: str, end: str = "\n") -> None:
    """Machine-readable output (JSON, CSV, event lines) on stdout as it is. Rich's console lays text
    out at about 1 s a megabyte (37 s for the JSON of 24,000 nodes from `codekg query`); this writes
    it. A reader that stops reading (`| head`) ends the command with success."""
    with _reader_may_stop():
        sys.stdout.write(text + end)
        sys.stdout.flush()


@contextmanager
def _reader_may_stop() -> Iterator[None]:
    """Writing to stdout: a reader that stops reading (`| head`) has what it wanted, so the command
    succeeds. Caught here, in the command: Click turns a broken pipe into a silent exit 1."""
    try:
        yield
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the flush at exit is quiet
        raise SystemExit(0) from None


def _escaped(text: object) -> str:
    """``text`` as Rich prints it literally: messages and paths may hold [brackets] that are not markup."""
    from codekg.output import literal_markup

    return literal_markup(text)


def version_line() -> str:
    """What `codekg version`, `codekg --version` and `codekg -V` print."""
    from codekg.schema import SCHEMA_VERSION

    return f"codekg {__version__} (schema v{SCHEMA_VERSION})"


def _print_version(requested: bool) -> None:
    if requested:
        print(version_line())
        raise typer.Exit()


_GLOBAL_OPTIONS: dict[str, Any] = {"config_file": None}  # the options of `codekg` itself, for every command


@app.callback()
def _options(
    show_version: Annotated[bool, typer.Option(
        "--version", "-V", is_eager=True, callback=_print_version, help="Print codekg's version and schema version, then exit.")] = False,
    config_file: Annotated[Optional[Path], typer.Option(
        "--config-file", metavar="PATH", help="Read settings from this TOML file instead of <repo>/codekg.toml.")] = None,
) -> None:
    """The options of `codekg` itself; an eager --version answers before any command is looked up."""
    _GLOBAL_OPTIONS["config_file"] = config_file.expanduser() if config_file is not None else None


RepoOption = Annotated[Optional[Path], typer.Option("--repo", help="Repository root (default: current directory).")]
DbOption = Annotated[Optional[Path], typer.Option("--db", help="Index directory (default: <repo>/.codekg).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
PictureFormatOption = Annotated[str, typer.Option(
    "--format", metavar="FORMAT", help="text, json, or a picture of the subgraph shown: dot (Graphviz), mermaid or graphml.")]
StoreOption = Annotated[Optional[str], typer.Option(
    "--store", metavar="URI", help="Graph store: ladybug:PATH (default: the index in --db), falkordb://host:port/graph, "
    "bolt://, neo4j://host:port[/database], or CozoDB: cozo://PATH (?engine=rocksdb) or cozo://mem. "
    "Credentials: CODEKG_STORE_USER / CODEKG_STORE_PASSWORD.")]


def _locations(repo: Path | None, db: Path | None) -> tuple[Path, Path]:
    from codekg.settings import DEFAULT_DB_DIR_NAME

    if repo is not None and not repo.expanduser().exists():
        raise InputError(f"path does not exist: {repo}")
    repo_path = (repo or Path.cwd()).expanduser()
    db_path = (db or repo_path / DEFAULT_DB_DIR_NAME).expanduser()
    return repo_path, db_path


def _one_repository(path: Path | None, repo: Path | None) -> Path | None:
    """The repository a command names as PATH or --repo; both, naming two folders, is a usage error
    (`codekg index /a --repo /b` indexed /a and said nothing of /b)."""
    if path is not None and repo is not None and path.expanduser().resolve() != repo.expanduser().resolve():
        raise InputError(f"the repository is given twice, as {path} and as --repo {repo}: give one")
    return path or repo


def _store_locations(repo: Path | None, db: Path | None, store: str | None) -> tuple[Path, Path, str | None]:
    """Repository, index directory and the `store` setting override: `ladybug:PATH` is the index in PATH."""
    from codekg.stores import parse_store_uri

    repo_path, db_path = _locations(repo, db)
    if store is None:
        return repo_path, db_path, None
    location = parse_store_uri(store)
    if location.is_server:
        return repo_path, db_path, store
    assert location.path is not None
    return repo_path, location.path, ""


def _settings(repo: Path, **overrides: Any) -> Settings:
    import tomllib

    from pydantic import ValidationError

    from codekg.settings import config_file_of, load_settings

    config_file = _GLOBAL_OPTIONS["config_file"]
    if config_file is not None and not config_file.is_file():
        raise InputError(f"config file not found: {config_file}")
    try:
        settings = load_settings(repo if repo.is_dir() else None, config_file, **overrides)
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"cannot read {config_file_of(repo, config_file)}: {error}") from None
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise InputError(f"invalid setting: {problems}") from None
    if settings.statsd_host:
        from codekg.metrics import forward_to_statsd

        forward_to_statsd(settings.statsd_host, settings.statsd_port, settings.statsd_prefix)
    return settings


class _RichProgress:
    """Progress bars on stderr, one task per pass."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: Any = None

    def start(self, phase: str, total: int | None = None) -> None:
        if self.task is not None:
            current = self.progress.tasks[-1]
            self.progress.update(self.task, total=current.total or 1, completed=current.total or 1)
        self.task = self.progress.add_task(phase, total=total)
        self.phase = phase

    def advance(self, amount: int = 1) -> None:
        self.progress.advance(self.task, amount)

    def found(self, counts: dict[str, int]) -> None:
        if counts:
            self.progress.update(self.task, description=f"{self.phase} ({_found_text(counts)})")

    def finish(self) -> None:
        if self.task is not None:
            current = self.progress.tasks[-1]
            self.progress.update(self.task, total=current.total or 1, completed=current.total or 1)


class _LineProgress:
    """Progress in a pipe (CI logs, agents, `| less`), where bars would show nothing until the end: a
    line on stderr at most every ``interval`` seconds, `parse: 120/324 (37%), 95/s, about 2 s left`,
    or with ``json_lines`` one JSON object (`phase`, `done`, `total`, `per_second`, `eta_seconds`)."""

    def __init__(self, interval: float, json_lines: bool = False) -> None:
        import time

        self._clock = time.monotonic
        self.interval, self.json_lines = interval, json_lines
        self.phase, self.total, self.done, self.shown = "", None, 0, True
        self.counts: dict[str, int] = {}
        self.started = self.printed = self._clock()

    def start(self, phase: str, total: int | None = None) -> None:
        self.finish()
        self.phase, self.total, self.done, self.started, self.counts = phase, total, 0, self._clock(), {}
        self.shown = False
        self._maybe_print()

    def advance(self, amount: int = 1) -> None:
        self.done += amount
        self.shown = False
        self._maybe_print()

    def found(self, counts: dict[str, int]) -> None:
        self.counts = dict(counts)

    def finish(self) -> None:
        """The phase's last state, unless it is on screen already: the interval hides it otherwise."""
        if self.phase and self.total and not self.shown:
            self._maybe_print(force=True)

    def _maybe_print(self, force: bool = False) -> None:
        now = self._clock()
        if now - self.printed < self.interval and not force:
            return
        self.printed, self.shown = now, True
        rate = self.done / max(now - self.started, 1e-9)
        if self.json_lines:
            eta = round((self.total - self.done) / rate, 1) if self.total and rate > 0 else None
            line = {"phase": self.phase, "done": self.done, "total": self.total, "per_second": round(rate, 1), "eta_seconds": eta}
            if self.counts:
                line["found"] = self.counts
            print(json.dumps(line), file=sys.stderr, flush=True)
            return
        if not self.total:
            print(f"{self.phase} …", file=sys.stderr, flush=True)
            return
        left = f", about {(self.total - self.done) / rate:.0f} s left" if rate > 0 and self.done < self.total else ""
        if self.counts:
            left += f"; {_found_text(self.counts)}"
        print(f"{self.phase}: {self.done}/{self.total} ({self.done / self.total:.0%}), {rate:.0f}/s{left}",
              file=sys.stderr, flush=True)


def _found_text(counts: dict[str, int]) -> str:
    """`120 classes, 80 properties, 4 axioms`: what a phase found so far."""
    return ", ".join(f"{count} {name}" for name, count in counts.items())


@app.command()
def index(
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository to index (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    also_write: Annotated[Optional[list[str]], typer.Option(
        "--also-write", metavar="URI", help="Also write the graph to this store (repeatable); its failures are reported, never fatal.")] = None,
    json_output: JsonOption = False,
    max_file_size: Annotated[Optional[int], typer.Option(help="Skip files larger than this many bytes [default: 1000000].")] = None,
    bulk_copy: Annotated[Optional[bool], typer.Option("--bulk-copy/--no-bulk-copy",
                                                      help="Bulk-load tables with COPY, MERGE per table on error (default), or always MERGE.")] = None,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes that parse files, and that resolve a large full build's files while memory allows (1: none) [default: cores, at most 8].")] = None,
    parse_timeout: Annotated[Optional[float], typer.Option(help="Seconds one file may take to parse before it is retried, then quarantined [default: 60].")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bars and no summary: only errors, and on stderr what failed without failing the run (--json still prints its JSON).")] = False,
    full: Annotated[bool, typer.Option("--full", help="Rebuild from scratch instead of applying the changes to the live index.")] = False,
    embeddings: Annotated[Optional[bool], typer.Option("--embeddings/--no-embeddings",
                                                       help="Embed symbols for semantic search (needs codekg[embeddings]); default: as the index has it.")] = None,
    value_flow: Annotated[Optional[str], typer.Option(
        "--value-flow", metavar="MODE", help="Follow what each name holds to resolve calls: on, off, or auto (on up to "
        "value_flow_auto_bytes of Python/JavaScript/TypeScript source) [default: auto].")] = None,
) -> None:
    """Index a repository into <repo>/.codekg (graph + metadata); a re-run writes only what changed."""
    from codekg.interrupts import interrupted_message
    from codekg.pipeline import index_repository
    from codekg.stores import parse_store_uri

    repo_path, db_path, store_uri = _store_locations(_one_repository(path, repo), db, store)
    settings = _settings(repo_path, max_file_size=max_file_size, bulk_copy=bulk_copy, workers=workers,
                         parse_timeout_seconds=parse_timeout, embeddings=embeddings, store=store_uri,
                         also_write=also_write or None, value_flow=value_flow)
    for uri in [settings.store, *settings.also_write]:
        if uri and parse_store_uri(uri).in_memory:  # a bad URI is a usage error before any work
            raise InputError(f"{uri} keeps a graph in one process's memory, and `codekg index` ends with its process: "
                             "index into cozo://PATH")
    if settings.embeddings:
        _require_embedder(settings)  # before indexing: a missing extra is a usage error, not a failed run
    from codekg.stores import IndexDirectory

    had_index = IndexDirectory(db_path).current_graph() is not None
    try:
        if json_output or quiet:
            summary = index_repository(repo_path, db_path, settings, full=full)
        elif not sys.stderr.isatty():
            summary = index_repository(repo_path, db_path, settings, _LineProgress(settings.progress_line_seconds), full=full)
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            columns = (SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=stderr(), transient=False) as progress:
                reporter = _RichProgress(progress)
                summary = index_repository(repo_path, db_path, settings, reporter, full=full)
                reporter.finish()
    except KeyboardInterrupt:
        raise RunInterrupted(interrupted_message(had_index)) from None
    if json_output:  # plain ASCII (json escapes the rest), as Rich printed it; Rich's console costs 20 ms to import
        print(json.dumps(summary.to_dict(), indent=2))
    elif quiet:
        _print_failures(summary, stderr)
    else:
        _print_summary(summary)


@app.command()
def sync(
    source: Annotated[str, typer.Argument(metavar="SOURCE", help="A git remote: https://, ssh://, git://, file:// URL, or a local repository path.")],
    branch: Annotated[Optional[str], typer.Option(help="Branch to sync [default: the remote's HEAD].")] = None,
    include: Annotated[Optional[list[str]], typer.Option(
        "--include", metavar="GLOB", help="Only files whose path matches this glob (repeatable; default: every file).")] = None,
    restart: Annotated[bool, typer.Option(
        "--restart/--resume", help="Start over, or resume from the checkpoint of an unfinished sync of the same commit (default).")] = False,
    workers: Annotated[Optional[int], typer.Option(help="Worker processes that parse files, and that resolve a large full build's files while memory allows (1: none) [default: cores, at most 8].")] = None,
    db: Annotated[Optional[Path], typer.Option("--db", help="Index directory [default: .codekg in the current directory].")] = None,
    progress: Annotated[str, typer.Option(
        "--progress", metavar="MODE", help="Progress on stderr: text (the default; none with --json), json (JSON "
        "lines) or none. In a pipe, a line at most every progress_line_seconds, and each phase's last.")] = "text",
    metrics_port: Annotated[Optional[int], typer.Option(
        "--metrics-port", metavar="PORT", help="Serve Prometheus metrics at http://127.0.0.1:PORT/metrics while the sync runs.")] = None,
    api: Annotated[Optional[str], typer.Option(
        "--api", metavar="HOST", help="Read the repository through a host's REST API instead of git: github "
        "(settings github_api_url, github_token).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Index a git remote: fetch its branch, write the files whose blob changed, index them (docs/sync.md)."""
    from codekg.sync.run import sync_repository

    if progress not in ("text", "json", "none"):
        raise InputError(f"--progress must be text, json or none, not {progress!r}")
    if api not in (None, "github"):
        raise InputError(f"--api must be github, not {api!r}")
    repo_path, db_path = _locations(None, db)
    settings = _settings(repo_path, workers=workers)
    if metrics_port is not None:
        from codekg.metrics import serve_metrics

        try:
            serve_metrics(metrics_port)
        except OSError as error:
            raise InputError(f"cannot serve metrics on port {metrics_port}: {error.strerror or error}") from None
    run = functools.partial(sync_repository, source, db_path, settings, branch=branch, includes=include or [],
                            restart=restart, api=api or "")
    try:
        if progress == "none" or (json_output and progress == "text"):
            report = run()
        elif progress == "json" or not sys.stderr.isatty():
            lines = _LineProgress(settings.progress_line_seconds, json_lines=progress == "json")
            report = run(progress=lines)
            lines.finish()
        else:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            columns = (SpinnerColumn(), TextColumn("{task.description:<10}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            with Progress(*columns, console=stderr(), transient=False) as bars:
                reporter = _RichProgress(bars)
                report = run(progress=reporter)
                reporter.finish()
    except (KeyboardInterrupt, RunInterrupted):  # while writing, or the index run under way
        raise RunInterrupted("sync interrupted: its checkpoint is saved; run the same command again to resume") from None
    if json_output:
        print_out(json.dumps(report.to_dict(), indent=2))
        return
    data = report.to_dict()
    files, parse, index = data["files"], data["parse"], data["index"]
    warnings = index.get("warnings") or []
    stdout().print(_escaped(
        f"Synced {source} ({report.branch} at {report.commit[:12]}){' (resumed)' if report.resumed else ''} → {db_path}\n"
        f"files: {files['total']} total, {files['written']} written, {files['unchanged']} unchanged, "
        f"{files['deleted']} deleted, {files['failed']} failed; {data['files_per_second']} files/s; "
        f"fetch {data['seconds'].get('fetch', 0):.2f}s, write {data['seconds'].get('write', 0):.2f}s, index {data['seconds'].get('index', 0):.2f}s\n"
        f"parsed this sync: {parse['parsed']} files by {len(parse['workers'])} workers, {parse['cached']} from the cache, "
        f"{parse['failed']} failed; found {_found_text(parse['terms'])}\n"
        f"graph: {sum((index.get('nodes') or {}).values()):,} nodes, {sum((index.get('edges') or {}).values()):,} edges; "
        f"{len(warnings)} warning(s){' (--json lists them)' if warnings else ''}"))


def _require_embedder(settings: Settings) -> None:
    from codekg.search.embeddings import load_embedder

    api_key = settings.embedding_api_key.get_secret_value() if settings.embedding_api_key else None
    load_embedder(settings.embedding_model, api_key)


def _value_flow_line(flow: dict[str, Any]) -> str:
    """Whether the value flow ran, and what decided it (docs/performance_tuning.md, "Value flow")."""
    if flow.get("setting") != "auto":
        return f"value flow: {'on' if flow.get('on') else 'off'} (value_flow = {str(flow.get('setting')).lower()})"
    size = f"{flow['source_bytes'] / 1e6:.1f} MB of Python/JavaScript/TypeScript"
    if flow.get("on"):
        return f"value flow: on ({size}, value_flow_auto_bytes {flow['auto_limit'] / 1e6:.1f} MB)"
    return (f"value flow: off, {size} is above value_flow_auto_bytes ({flow['auto_limit'] / 1e6:.1f} MB); "
            "`--value-flow on` (or `value_flow = true`) solves it on every run, edits included (docs/performance_tuning.md)")


def _print_summary(summary: IndexSummary) -> None:
    from codekg.output import counts_table

    console = stdout()
    files = sum(summary.files_by_language.values())
    console.print(
        f"[bold]Indexed[/bold] {files} files ({', '.join(f'{k} {v}' for k, v in summary.files_by_language.items())}) "
        f"in {summary.total_seconds:.2f}s → {summary.db_dir}"
    )
    d = summary.delta
    console.print(
        f"{d['mode']}: files +{d['files_added']} ~{d['files_changed']} -{d['files_deleted']}, "
        f"nodes +{d['nodes_added']} ~{d['nodes_updated']} -{d['nodes_removed']}, "
        f"edges +{d['edges_added']} -{d['edges_removed']}"
        + (f", {d['files_re_resolved']} other files resolved again" if "files_re_resolved" in d else ""),
        highlight=False,
    )
    console.print(f"nodes: {sum(summary.nodes.values())}  edges: {sum(summary.edges.values())}  "
                  f"passes: {', '.join(f'{k} {v:.2f}s' for k, v in summary.pass_seconds.items())}")
    counts_table("Nodes", summary.nodes, console)
    counts_table("Edges", summary.edges, console)
    console.print(_value_flow_line(summary.value_flow), highlight=False)
    for language, outcomes in summary.call_sites.items():
        console.print(f"call sites ({language}): " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    if summary.skipped:
        console.print(f"[yellow]skipped {len(summary.skipped)} file(s):[/yellow]")
        for entry in summary.skipped:
            console.print(f"  {_escaped(entry['path'])}: {_escaped(entry['reason'])}", highlight=False)
    # the value flow's bounds are one note for the run: a file each would bury the other warnings
    bounds = [entry for entry in summary.warnings if entry["kind"] == "flow-bound"]
    warnings = [entry for entry in summary.warnings if entry["kind"] != "flow-bound"]
    if bounds:
        console.print(f"value flow: hit its bounds in {len(bounds)} file(s), where calls may miss targets "
                      "(`--json` lists them)", highlight=False)
    if warnings:
        console.print(f"[yellow]{len(warnings)} warning(s):[/yellow]")
        for entry in warnings:
            console.print(f"  {_escaped(entry['path'])} ({entry['pass']}, {entry['kind']}): {_escaped(entry['message'])}",
                          highlight=False)
    for secondary in summary.secondary:
        if not secondary["error"]:
            failed = f", [yellow]{secondary['failed_rows']} row(s) rejected[/yellow] (see failed_ingestion.jsonl)" if secondary["failed_rows"] else ""
            console.print(f"secondary store {secondary['store']}: {secondary['mode']}, {secondary['rows']} rows, "
                          f"{secondary['retries']} retries{failed}", highlight=False)
    search = summary.search
    if search and not search.get("error"):
        embedded = f", {search['embedded']} embedded with {search['embedding_model']}" if "embedded" in search else ""
        console.print(f"search index: {search.get('index')}, {search.get('symbols', 0)} symbols{embedded}", highlight=False)
    _print_failures(summary, lambda: console)


def _print_failures(summary: IndexSummary, console: Callable[[], Console]) -> None:
    """What went wrong without failing the run: all that `index -q` prints (on stderr). The console
    is made only when there is something to print: importing Rich is a tenth of a no-change run."""
    lines = [f"[yellow]secondary store {secondary['store']} not written ({secondary['mode']}):[/yellow] "
             f"{secondary['error']} — recorded for `codekg store replay-failed`" for secondary in summary.secondary if secondary["error"]]
    if summary.load_fallbacks:
        copy = summary.copy
        kinds = ", ".join(f"{kind} {count}" for kind, count in copy["failures"].items())
        lines.append(f"[yellow]COPY failure rate {copy['failure_rate']:.1%}:[/yellow] {len(summary.load_fallbacks)} of "
                     f"{copy['attempts']} table(s) ({kinds})")
    lines += [f"[yellow]COPY failed for {fallback['table']} ({fallback['kind']}), loaded with MERGE:[/yellow] "
              f"{_escaped(fallback['error'])}" for fallback in summary.load_fallbacks]
    if summary.search.get("error"):
        lines.append(f"[yellow]search index not updated:[/yellow] {summary.search['error']}")
    for line in lines:
        console().print(line, highlight=False)


@app.command()
def watch(
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository to watch (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    json_output: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    debounce: Annotated[Optional[int], typer.Option("--debounce", metavar="MS", min=0,
                                                    help="Apply a batch once files are quiet this long (default 1000).")] = None,
    realtime: Annotated[bool, typer.Option("--realtime", help="No debounce: apply changes as they arrive.")] = False,
) -> None:
    """Keep the index up to date while files change: one line per applied batch (and one per warning
    about its files, such as a syntax error), Ctrl-C stops."""
    if realtime and debounce is not None:
        raise InputError("--realtime and --debounce exclude each other")
    repo_path, db_path = _locations(_one_repository(path, repo), db)
    settings = _settings(repo_path, watch_debounce_ms=0 if realtime else debounce)
    from codekg.watch import BatchReport, Stopped, watch_repository  # watchfiles is only needed here

    batches = failed = 0
    ending = ""
    try:
        for event in watch_repository(repo_path, db_path, settings):
            if isinstance(event, Stopped):
                ending = f"; {event.pending} change(s) seen but not indexed yet" if event.pending else ""
                break
            if isinstance(event, BatchReport):
                batches, failed = batches + 1, failed + (event.error is not None)
            print_out(json.dumps(event.to_dict(), ensure_ascii=False) if json_output else event.line())
    except KeyboardInterrupt:
        ending = "; the batch in progress was discarded (the index is as after the last batch)"
    # Stopping is how a watcher ends: exit 0, with what it did
    stderr().print(f"stopped watching: {batches} batch(es) applied, {failed} failed{ending}", highlight=False)


@app.command()
def stats(repo: RepoOption = None, db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False) -> None:
    """Nodes per label, edges per type, files per language, index time and commit."""
    from codekg.output import counts_table
    from codekg.service import index_stats
    from codekg.stores import open_index

    repo_path, db_path, store_uri = _store_locations(repo, db, store)
    settings = _settings(repo_path, store=store_uri)
    store = open_index(db_path, settings)
    try:
        report = index_stats(store, db_path)
    finally:
        store.close()
    files, nodes, edges = report["files_by_language"], report["nodes"], report["edges"]
    if json_output:
        print_out(json.dumps(report, indent=2))
        return
    stdout().print(f"[bold]{report['repo']}[/bold] indexed {report['indexed_at']} in {report['index_seconds']:.2f}s"
                   f" (commit {report['commit'] or 'none'}, schema v{report['schema_version']}, codekg {report['codekg_version']})")
    counts_table("Files by language", files, stdout())
    counts_table("Nodes", nodes, stdout())
    counts_table("Edges", edges, stdout())
    for language, outcomes in report["call_sites"].items():
        stdout().print(f"call sites ({language}): " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))


@app.command()
def query(
    cypher: Annotated[str, typer.Argument(metavar="QUERY", help="A read-only query in the store's language: Cypher, or CozoScript for a cozo:// store.")],
    repo: RepoOption = None,
    db: DbOption = None,
    store_uri: StoreOption = None,
    output_format: Annotated[str, typer.Option("--format", metavar="table|json|csv|tsv", help="How the rows are printed.")] = "table",
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", "-p", metavar="NAME=VALUE", help="A value for $NAME in the query; repeat for several. VALUE is "
        "read as JSON when it is JSON (42, true, [1, 2], \"text\"), else as text.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Run a read-only query against the index, in the store's own language (Cypher; CozoScript for a
    cozo:// store), through the same query guard as the HTTP API and MCP."""
    if output_format not in ("table", "json", "csv", "tsv"):
        raise InputError(f"unknown --format {output_format!r}: use table, json, csv or tsv")
    if json_output and output_format not in ("table", "json"):
        raise InputError(f"--json and --format {output_format} ask for two outputs: give one")
    from codekg.output import query_result_csv, query_result_json, query_result_table
    from codekg.query_guard import QueryLimits, check_query
    from codekg.query_sandbox import run_capped, run_in_sandbox
    from codekg.stores import QueryResult, query_language

    repo_path, db_path, store_override = _store_locations(repo, db, store_uri)
    settings = _settings(repo_path, store=store_override)
    limits = QueryLimits.from_settings(settings)
    language = query_language(settings)
    checked = check_query(cypher, _query_parameters(param or []), limits, allow_writes=False, language=language)
    # CozoDB checks its time limit only between evaluation stages: its query runs in a worker that is
    # killed past the limit, as the servers run every query (query_sandbox.py).
    runner = run_in_sandbox if language == "cozoscript" else run_capped
    guarded = runner(db_path, settings, checked, limits, allow_writes=False)
    if guarded.truncated:
        stderr().print(f"note: only the first {limits.max_rows:,} rows are shown (query_max_rows)", highlight=False)
    result = QueryResult(guarded.columns, guarded.rows)
    if json_output or output_format == "json":
        print_out(query_result_json(result))
    elif output_format in ("csv", "tsv"):
        print_out(query_result_csv(result, "," if output_format == "csv" else "\t"), end="")
    else:
        query_result_table(result, stdout())


def _query_parameters(given: list[str]) -> dict[str, Any]:
    """`--param NAME=VALUE` options as query parameters: VALUE as JSON when it is JSON, else as text."""
    parameters: dict[str, Any] = {}
    for item in given:
        name, equals, value = item.partition("=")
        name = name.strip().removeprefix("$")
        if not equals or not name:
            raise InputError(f"--param {item!r}: write it as NAME=VALUE, e.g. --param name=checkout")
        try:
            parameters[name] = json.loads(value)
        except ValueError:
            parameters[name] = value
    return parameters


@app.command()
def search(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(metavar="QUERY", help="Words, identifiers or a question.")],
    repo: RepoOption = None,
    db: DbOption = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Number of results.")] = 10,
    mode: Annotated[str, typer.Option("--mode", metavar="keyword|semantic|hybrid", help="How symbols match: by keyword (BM25), by meaning (embeddings), or both fused.")] = "hybrid",
    label: Annotated[Optional[list[str]], typer.Option(
        "--label", metavar="LABEL", help="Only symbols of this label; repeat for several (Module, Class, Interface, Enum, Type, Function, Method, Variable).")] = None,
    path_glob: Annotated[str, typer.Option("--path", metavar="GLOB", help="Only symbols in files matching this shell pattern (* crosses folders), e.g. 'src/*'; a path without a wildcard is a file or a folder.")] = "",
    no_tests: Annotated[bool, typer.Option("--no-tests", help="Leave out symbols of test files.")] = False,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Find symbols by keyword (BM25), meaning (embeddings) or both, with their graph context.

    A name (`url_for`, `App.url_for`) ranks the symbols so named first, then names starting with it:
    the code's, then the tests', docs' and examples'. Then every other match, the code's first again
    (qualified names holding the name, then words), then the score decides. Each hit says how it
    matched (`match`)."""
    from codekg.search import SearchFilters, says_no_embeddings, search_result

    repo_path, db_path, store_uri = _store_locations(repo, db, store)
    filters = SearchFilters(tuple(label or ()), _repo_relative_glob(repo_path, path_glob), not no_tests)
    result = search_result(db_path, _settings(repo_path, store=store_uri), text, limit, mode, filters)
    if json_output:
        print_out(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return
    source = ctx.get_parameter_source("mode")
    asked = source is not None and source.name != "DEFAULT"
    for note in result.notes:
        if says_no_embeddings(note) and not asked:
            continue  # the default mode without embeddings is the usual case: said when hybrid is asked for
        stderr().print(f"[yellow]note:[/yellow] {_escaped(note)}", highlight=False)
    if not result.hits:
        stdout().print("no results", style="dim")
        return
    for rank, hit in enumerate(result.hits, start=1):
        stdout().print(f"{rank:>2}. [bold]{_escaped(hit.qualified_name)}[/bold] ({hit.label}) {_escaped(hit.file_path)}:{hit.start_line}"
                       f"  [dim]{hit.match}{f' {hit.score:.4f}' if hit.score else ''}[/dim]", highlight=False)  # named: no score
        if hit.signature:
            stdout().print(f"    {_escaped(hit.signature.splitlines()[0][:120])}", highlight=False)
        context = [f"in {hit.container}"] if hit.container else []
        context += [f"called by {', '.join(hit.callers)}"] if hit.callers else []
        context += [f"calls {', '.join(hit.callees)}"] if hit.callees else []
        if context:
            stdout().print(f"    [dim]{_escaped('; '.join(context))}[/dim]", highlight=False)


@app.command()
def locate(
    text: Annotated[Optional[str], typer.Argument(metavar="TEXT", help="The issue's text; - reads it from standard input.")] = None,
    issue_file: Annotated[Optional[Path], typer.Option("--file", "-f", metavar="ISSUE.md", help="Read the issue's text from this file (- for standard input).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    level: Annotated[str, typer.Option("--level", metavar="file|symbol", help="Rank files, or symbols (functions, methods, classes).")] = "file",
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=100, help="Number of results.")] = 10,
    include_tests: Annotated[bool, typer.Option("--include-tests", help="Rank tests, docs and examples level with the code (default: after it).")] = False,
    json_output: JsonOption = False,
) -> None:
    """Find the files (or symbols) an issue most likely needs changed, each with its evidence.

    Reads the issue like an engineer: names written as code, file paths, traceback frames, quoted
    messages, then its words; resolves each to the graph, spreads to callers, callees and containers,
    and fuses the signals (docs/search.md, "locate"). The first run after an index reads the files'
    text (later ones only what changed)."""
    from codekg.search.locate import locate_in_index

    if (text is None) == (issue_file is None):
        raise InputError("give the issue as TEXT, - (standard input) or --file ISSUE.md (one of them)")
    if text == "-" or str(issue_file) == "-":  # `-` or `--file -`: standard input
        issue = sys.stdin.buffer.read().decode("utf-8", errors="replace")
    elif issue_file is not None:
        if not issue_file.is_file():
            raise InputError(f"{issue_file} is a folder: give the issue's file" if issue_file.is_dir() else f"no such file: {issue_file}")
        issue = issue_file.read_bytes().decode("utf-8", errors="replace")
    else:
        issue = str(text)
    if not issue.strip():
        raise InputError("empty issue text: give the issue's text, --file ISSUE.md or - for standard input")
    repo_path, db_path = _locations(repo, db)
    result = locate_in_index(db_path, repo_path if repo is not None else None, _settings(repo_path), issue,
                             level, limit, include_tests)
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for note in result["notes"]:
        stderr().print(f"[yellow]note:[/yellow] {_escaped(note)}", highlight=False)
    if not result["results"]:
        stdout().print("no results", style="dim")
        return
    for rank, hit in enumerate(result["results"], start=1):
        if level == "symbol":
            head = f"[bold]{_escaped(hit['qualified_name'])}[/bold] ({hit['label']}) {_escaped(hit['file_path'])}:{hit['start_line']}"
        else:
            head = f"[bold]{_escaped(hit['file_path'])}[/bold]"
        stdout().print(f"{rank:>2}. {head}  [dim]{hit['score']:.4f}[/dim]", highlight=False)
        for evidence in hit["evidence"][:SHOWN_EVIDENCE]:
            stdout().print(f"    [dim]{_escaped(evidence)}[/dim]", highlight=False)
        if len(hit["evidence"]) > SHOWN_EVIDENCE:
            stdout().print(f"    [dim]and {len(hit['evidence']) - SHOWN_EVIDENCE} more (--json lists all)[/dim]", highlight=False)


@app.command()
def callgraph(
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository (package root) to index (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    output_format: PictureFormatOption = "text",
    min_confidence: Annotated[float, typer.Option("--min-confidence", min=0.0, max=1.0,
                                                  help="Keep only edges at least this sure (0..1).")] = 0.0,
    json_output: JsonOption = False,
) -> None:
    """Index PATH (or bring its index up to date), then print its call graph as {caller: [callees]}."""
    output_format = _output_format(output_format, json_output)
    from codekg.callgraph import call_graph_json, call_graph_text, repository_call_graph
    from codekg.interrupts import interrupted_message

    repo_path, db_path = _locations(_one_repository(path, repo), db)
    try:
        graph = repository_call_graph(repo_path, db_path, _settings(repo_path), min_confidence)
    except KeyboardInterrupt:
        raise RunInterrupted(interrupted_message()) from None
    if output_format in ("text", "json"):
        print_out(call_graph_json(graph) if output_format == "json" else call_graph_text(graph).rstrip("\n"))
    else:
        from codekg.analysis.pictures import callgraph_picture

        _print_picture(callgraph_picture(graph), output_format)


@app.command()
def lineage(
    names: Annotated[Optional[list[str]], typer.Argument(
        metavar="NAME|FILE...", help="A table or column of the index (schema.table, schema.table.column); "
        "with --sql, SQL script files ('-' for standard input).")] = None,
    sql: Annotated[bool, typer.Option("--sql", help="Read the SQL scripts given as arguments, no index needed: "
                                      "print each script's sources, targets and column pairs.")] = False,
    dialect: Annotated[Optional[str], typer.Option("--dialect", metavar="DIALECT", help="SQL dialect (ansi, postgres, mysql, tsql, "
                                                   "snowflake, bigquery, sparksql, redshift, ...); default: the "
                                                   "sql_dialect setting. A file's `-- dialect: x` comment comes first.")] = None,
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what feeds NAME.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what NAME feeds.")] = False,
    depth: DepthOption = 3,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """SQL lineage: what feeds a table or column, and what it feeds (docs/lineage.md)."""
    if not sql:
        _index_lineage(names or [], "upstream" if upstream and not downstream else "downstream" if downstream and not upstream
                       else "both", depth, repo, db, store, json_output)
        return
    from codekg.sql.dialects import display_name, file_dialect
    from codekg.sql.script import lineage_of_script

    files = names or []
    if not files:
        raise InputError("give the SQL files to read ('-' for standard input)")
    settings = _settings((repo or Path.cwd()).resolve())
    results: dict[str, dict[str, Any]] = {}
    unread = 0
    for name in files:
        source = _read_sql_file(name)
        chosen = file_dialect(name, source, dialect or settings.sql_dialect)
        script = lineage_of_script(source.decode("utf-8", errors="replace"), chosen)
        for error in script.errors:
            stderr().print(f"{_escaped(name)}:{error['line']}: cannot read this statement as {display_name(chosen)} SQL: "
                           f"{_escaped(error['message'])}", highlight=False)
        unread += bool(script.errors) and not (script.sources or script.targets)
        results[name] = {k: v for k, v in script.to_json().items() if k != "errors"}
    if unread == len(files):  # nothing to print: the error is the whole answer (one JSON document with --json)
        raise InputError(f"no statement codekg could read in {'the script' if unread == 1 else f'any of the {unread} scripts'}")
    if json_output:
        document = results[files[0]] if len(files) == 1 else results
        print_out(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        for name, result in results.items():
            if len(files) > 1:
                stdout().print(_escaped(name), highlight=False)
            for key in ("sources", "targets"):
                stdout().print(f"{key}: {_escaped(', '.join(result[key])) or '-'}", highlight=False)
            for source_column, target_column in result["columns"]:
                stdout().print(f"  {_escaped(source_column)} -> {_escaped(target_column)}", highlight=False)
    if unread:  # the others' lineage is printed; the exit code still says some input was bad
        stderr().print(f"error: {unread} of {len(files)} scripts had no statement codekg could read", highlight=False)
        raise typer.Exit(InputError.exit_code)


def _index_lineage(names: list[str], direction: str, depth: int, repo: Path | None, db: Path | None,
                   store_uri: str | None, json_output: bool) -> None:
    from codekg.analysis.lineage import sql_lineage
    from codekg.analysis.render import print_lineage

    if len(names) != 1:
        raise InputError("give one table or column (schema.table or schema.table.column), or --sql and SQL files")
    with _analysis(repo, db, store_uri, json_output) as (_, graph):
        result = sql_lineage(graph, names[0], direction, depth)
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_lineage(result, stdout())


def _read_sql_file(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    path = Path(name)
    if not path.is_file():
        raise InputError(f"no such SQL file: {name}")
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read {name}: {error.strerror}") from None


SymbolArgument = Annotated[str, typer.Argument(
    metavar="SYMBOL", help="A qualified name (pkg.mod.Class.method), a node id, or an unambiguous short name.")]
DepthOption = Annotated[int, typer.Option("--depth", min=1, max=MAX_DEPTH, help="How many edges away to look.")]
MinConfidenceOption = Annotated[float, typer.Option("--min-confidence", min=0.0, max=1.0,
                                                    help="Follow only edges at least this sure (0..1).")]


@contextmanager
def _analysis(repo: Path | None, db: Path | None, store_uri: str | None, json_output: bool) -> Iterator[tuple[Path, Any]]:
    """The repository root and the read-only index for an analysis command; with --json, an ambiguous
    symbol also prints its candidates as JSON on stdout before the error exits 2."""
    from codekg.stores import open_index

    repo_path, db_path, store_override = _store_locations(repo, db, store_uri)
    store = open_index(db_path, _settings(repo_path, store=store_override))
    try:
        if repo is None and (db is not None or store_uri is not None):
            repo_path = _indexed_root(store) or repo_path
        yield repo_path, store
    finally:
        store.close()


def _indexed_root(store: Any) -> Path | None:
    """The repository the index was built from, as its metadata records it, when that folder is
    still there: an index given by --db (or --store) alone is read against its own repository's
    files, not the current directory's."""
    recorded = store.reads.metadata(["repo_root"]).get("repo_root") or ""
    return Path(recorded) if recorded and Path(recorded).is_dir() else None


@app.command()
def context(symbol: SymbolArgument, repo: RepoOption = None, db: DbOption = None, store: StoreOption = None,
            output_format: PictureFormatOption = "text", json_output: JsonOption = False) -> None:
    """A symbol's definition and source, container, callers and callees, imports and importers."""
    from codekg.analysis import symbol_context
    from codekg.analysis.render import print_context

    output_format = _output_format(output_format, json_output)
    with _analysis(repo, db, store, output_format == "json") as (repo_path, graph):
        result = symbol_context(graph, repo_path, symbol)
    if output_format == "json":
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
    elif output_format == "text":
        print_context(result, stdout())
    else:
        from codekg.analysis.pictures import context_picture

        _print_picture(context_picture(result), output_format)


@app.command("impact")
def impact_command(
    symbol: SymbolArgument,
    depth: DepthOption = 3,
    direction: Annotated[str, typer.Option("--direction", metavar="upstream|downstream", help="upstream (who is affected) or downstream (what it uses).")] = "upstream",
    min_confidence: MinConfidenceOption = 0.0,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    output_format: PictureFormatOption = "text",
    json_output: JsonOption = False,
) -> None:
    """The blast radius of a symbol, grouped by depth, with path confidence and a risk summary. A SQL
    table, view or column (schema.table.column) lists the columns, statements and code that depend on it."""
    from codekg.analysis import impact
    from codekg.analysis.lineage import column_impact, find_sql_object
    from codekg.analysis.render import print_impact, print_sql_impact

    output_format = _output_format(output_format, json_output)
    with _analysis(repo, db, store, output_format == "json") as (_, graph):
        sql_object = find_sql_object(graph, symbol) if direction == "upstream" else None
        result = column_impact(graph, symbol, depth) if sql_object else impact(graph, symbol, depth, direction, min_confidence)
    if output_format == "json":
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
    elif output_format != "text":
        from codekg.analysis.pictures import impact_picture, sql_impact_picture

        _print_picture(sql_impact_picture(result) if sql_object else impact_picture(result), output_format)
    elif sql_object:
        print_sql_impact(result, stdout())
    else:
        print_impact(result, stdout())


@app.command()
def references(symbol: SymbolArgument, repo: RepoOption = None, db: DbOption = None, store: StoreOption = None,
               json_output: JsonOption = False) -> None:
    """Every use of a symbol: calls, decorator applications, imports, type uses, reads and writes,
    subclasses, overriding methods."""
    from codekg.analysis.navigation import references as find_references

    with _analysis(repo, db, store, json_output) as (_, graph):
        result = find_references(graph, symbol)
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
        return
    counts = ", ".join(f"{kind}: {count}" for kind, count in result["counts"].items()) or "none found"
    stdout().print(f"[bold]{_escaped(result['symbol']['qualified_name'])}[/bold]: {counts}", highlight=False)
    for entry in result["references"]:
        sites = (entry.get("call_count") or 1) if entry["kind"] == "call" else 1
        more = f" and {sites - 1} more call{'s' if sites > 2 else ''} in it" if sites > 1 else ""
        stdout().print(f"  {entry['kind']:<9} {_escaped(entry['qualified_name'])}  "
                       f"[dim]{_escaped(entry['file_path'])}:{entry.get('line') or entry['start_line']}{more}[/dim]",
                       highlight=False)


@app.command()
def definition(
    place: Annotated[str, typer.Argument(metavar="FILE:LINE", help="A repository-relative path and a 1-based line, e.g. src/app.py:42.")],
    repo: RepoOption = None, db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False,
) -> None:
    """The symbol defined at FILE:LINE (the innermost one holding the line) and those around it."""
    from codekg.analysis.navigation import definition_at

    file_path, _, line = place.rpartition(":")
    if not file_path or not line.lstrip("-").isdigit():
        raise InputError(f"expected FILE:LINE (e.g. src/app.py:42), not {place!r}")
    with _analysis(repo, db, store, json_output) as (repo_path, graph):
        result = definition_at(graph, file_path, int(line), repo_path)
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
        return
    for depth, entry in enumerate([*result["enclosing"], result["symbol"]]):
        stdout().print(f"{'  ' * depth}{entry['label']} [bold]{_escaped(entry['qualified_name'])}[/bold]  "
                       f"[dim]{_escaped(entry['file_path'])}:{entry['start_line']}-{entry['end_line']}[/dim]", highlight=False)


@app.command("path")
def path_command(
    source: Annotated[str, typer.Argument(metavar="FROM", help="Where the path starts (qualified name, name or id).")],
    target: Annotated[str, typer.Argument(metavar="TO", help="Where it ends.")],
    depth: Annotated[int, typer.Option("--depth", min=1, max=10, help="At most this many edges.")] = 6,
    repo: RepoOption = None, db: DbOption = None, store: StoreOption = None, json_output: JsonOption = False,
) -> None:
    """How FROM reaches TO: the shortest chain of calls, imports, inheritance, type uses, variable
    accesses and decorators (or, when there is none, how TO reaches FROM). Exit code 1 when there
    is no path within the depth, as grep's when nothing matches."""
    from codekg.analysis.navigation import MAX_PATH_DEPTH, path_between

    with _analysis(repo, db, store, json_output) as (_, graph):
        result = path_between(graph, source, target, depth)
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
        if not result["found"]:
            raise typer.Exit(1)
        return
    if result["found"] and not result["hops"]:
        stdout().print("FROM and TO are the same symbol", style="dim")
        return
    if not result["found"]:
        searched = "" if result["complete"] else " (the search stopped: too many nodes at one step)"
        further = f"; --depth {MAX_PATH_DEPTH} looks further" if depth < MAX_PATH_DEPTH and result["complete"] else ""
        stdout().print(_escaped(f"no path within {depth} edges either way{searched}{further}"), style="dim")
        raise typer.Exit(1)
    stdout().print(f"{result['length']} edge(s), {result['direction']}:", highlight=False)
    for hop in result["hops"]:
        stdout().print(_escaped(f"  {hop['from']} -[{hop['relation']}]-> {hop['to']}"), highlight=False)


@app.command()
def setup(
    client: Annotated[str, typer.Argument(metavar="CLIENT", help="claude (Claude Code: .mcp.json), cursor (.cursor/mcp.json) or vscode (.vscode/mcp.json).")],
    repo: RepoOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the file it would write, write nothing.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Write CLIENT's MCP configuration into the repository, so that the editor or agent starts
    `codekg mcp` on it; other servers in an existing file are kept."""
    from codekg.client_setup import client_configuration, write_configuration

    root = (repo or Path.cwd()).expanduser()
    if not root.is_dir():
        raise InputError(f"{root} is not a directory")
    from codekg.settings import DEFAULT_DB_DIR_NAME

    path, configuration, replaced = client_configuration(client, root)
    if not dry_run:
        write_configuration(path, configuration)
    if json_output:
        print_out(json.dumps({"client": client, "path": str(path), "written": not dry_run, "replaced": replaced,
                                 "configuration": configuration}, indent=2, ensure_ascii=False))
    elif dry_run:
        print_out(f"# {path} (not written: --dry-run)\n{json.dumps(configuration, indent=2, ensure_ascii=False)}")
    else:
        entry = "replaced the codekg entry of" if replaced else "wrote"
        stdout().print(f"{entry} {_escaped(path)}: {client} starts `codekg mcp` on {_escaped(root.resolve())}", highlight=False)
    if not (root / DEFAULT_DB_DIR_NAME).exists():
        stderr().print(f"[yellow]note:[/yellow] {_escaped(root)} has no index yet: run `codekg index {_escaped(root)}` "
                       "(or `codekg watch`) before the client asks", highlight=False)


@app.command("detect-changes")
def detect_changes_command(
    base: Annotated[Optional[str], typer.Option("--base", metavar="REF",
                                                help="Diff against the merge base of REF and HEAD (default: HEAD).")] = None,
    staged: Annotated[bool, typer.Option("--staged", help="Diff the git index instead of the working tree.")] = False,
    depth: DepthOption = 3,
    min_confidence: MinConfidenceOption = 0.0,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """git diff hunks → the symbols they change → their upstream impact."""
    from codekg.analysis import detect_changes
    from codekg.analysis.render import print_changes

    with _analysis(repo, db, store, json_output) as (repo_path, graph):
        result = detect_changes(graph, repo_path, base, staged, depth, min_confidence, settings=_settings(repo_path))
    if json_output:
        print_out(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        print_changes(result, stdout())


store_app = typer.Typer(help="Server graph stores: replay the writes they rejected or missed.", no_args_is_help=True)
app.add_typer(store_app, name="store")


@store_app.command("replay-failed")
def store_replay_failed(repo: RepoOption = None, db: DbOption = None, store: StoreOption = None,
                        json_output: JsonOption = False) -> None:
    """Send the records of <db>/failed_ingestion.jsonl again; a store that missed a whole write gets the
    primary's graph. Exits 1 while records still fail."""
    from codekg.stores import IndexDirectory
    from codekg.stores.replay import replay_failed

    repo_path, db_path, store_uri = _store_locations(repo, db, store)
    settings = _settings(repo_path, store=store_uri)
    with IndexDirectory(db_path).writer_lock():
        report = replay_failed(db_path, settings)
    if json_output:
        print_out(json.dumps(report.to_dict(), indent=2))
    elif not report.stores:
        stdout().print(f"nothing to replay: no failed records in {db_path}")
    for entry in report.stores if not json_output else ():
        what = "resynced from the primary store" if entry.resynced else f"{entry.replayed} of {entry.records} record(s) sent"
        failing = f", [yellow]{entry.still_failing} still failing[/yellow]" if entry.still_failing else ""
        error = f" ({entry.error})" if entry.error else ""
        stdout().print(f"{entry.store}: {what}{failing}{error}", highlight=False)
    if report.still_failing:
        raise typer.Exit(1)


config_app = typer.Typer(help="The settings codekg runs with.", no_args_is_help=True)
app.add_typer(config_app, name="config")


MEANING_WIDTH = 72  # `config show`'s column of what each setting does


@config_app.command("show")
def config_show(repo: RepoOption = None, json_output: JsonOption = False) -> None:
    """Every setting: its effective value, where it came from (flag, environment, file, default) and
    what it does; secrets masked."""
    from codekg.settings import describe_settings

    repo_path, _ = _locations(repo, None)
    _settings(repo_path)  # a broken codekg.toml or value is the same clean error as for any command
    described = describe_settings(repo_path if repo_path.is_dir() else None, _GLOBAL_OPTIONS["config_file"])
    if json_output:
        print(json.dumps(described, indent=2, ensure_ascii=False, default=str))
        return
    from codekg.output import DataTable

    table = DataTable("setting", "value", "from")
    table.add_column("meaning", max_width=MEANING_WIDTH)  # wrapped in its cell: a pipe's lines would be 1,600 wide
    for entry in described:
        value = entry["value"]
        shown = json.dumps(value, default=str) if isinstance(value, (list, dict)) else str(value)
        table.add_row(entry["name"], _escaped(shown), entry["source"], _escaped(entry["description"]))
    stdout().print(table)


cache_app = typer.Typer(help="Inspect or reset the parse cache (<db>/parse_cache.sqlite).", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


def _open_cache(repo: Path | None, db: Path | None) -> tuple[Path, Settings, ParseCache]:
    from codekg.parse_cache import ParseCache, cache_path

    repo_path, db_path = _locations(repo, db)
    settings = _settings(repo_path)
    location = cache_path(settings, db_path)
    if not location.is_file():
        raise IndexNotFoundError(f"no parse cache at {location}; run `codekg index` first")
    return repo_path, settings, ParseCache(location, settings)


def _cache_report(cache: ParseCache, **extra: Any) -> dict[str, Any]:
    stats = cache.stats()
    return {"path": str(cache.path), "entries": stats.entries, "bytes": stats.bytes, "hits": stats.hits,
            "misses": stats.misses, "hit_rate": stats.hit_rate, **extra}


def _print_report(report: dict[str, Any], json_output: bool) -> None:
    from codekg.output import counts_table

    if json_output:
        print_out(json.dumps(report, indent=2))
    else:
        counts_table("Parse cache", report, stdout(), value_column="value")  # a path and a rate among the counts


def _cache_command(repo: Path | None, db: Path | None, json_output: bool, clear: bool = False) -> None:
    _, _, cache = _open_cache(repo, db)
    try:
        if clear:
            cache.clear()
        report = _cache_report(cache)
    finally:
        cache.close()
    _print_report(report, json_output)


@cache_app.command("stats")
def cache_stats(repo: RepoOption = None, db: DbOption = None, json_output: JsonOption = False) -> None:
    """Entries, bytes, hits, misses and hit rate."""
    _cache_command(repo, db, json_output)


@cache_app.command("clear")
def cache_clear(repo: RepoOption = None, db: DbOption = None, json_output: JsonOption = False) -> None:
    """Remove every entry (the next index parses everything)."""
    _cache_command(repo, db, json_output, clear=True)


@cache_app.command("verify")
def cache_verify(repo: RepoOption = None, db: DbOption = None, json_output: JsonOption = False) -> None:
    """Re-parse the repository's files that have entries and compare; exit 1 on any difference."""
    from codekg.passes.parse import verify_parse_cache
    from codekg.passes.scan import scan_repository

    repo_path, settings, cache = _open_cache(repo, db)
    try:
        scan = scan_repository(repo_path, settings)
        verification = verify_parse_cache(cache, repo_path.resolve(), scan.files, settings.value_flow_for(scan.flow_source_bytes),
                                          settings.sql_dialect, settings.sql_folder_dialects)
        report = _cache_report(cache, checked=verification.checked, mismatched=verification.mismatched)
    finally:
        cache.close()
    _print_report(report, json_output)
    if verification.mismatched:
        _verdict(CacheMismatchError(f"{len(verification.mismatched)} cached parse record(s) differ from a fresh parse"), json_output)


ReposOption = Annotated[Optional[list[Path]], typer.Option(
    "--repo", help="Repository to serve; repeat to serve several (default: the current directory).")]
TokenOption = Annotated[Optional[str], typer.Option(
    "--token", metavar="TOKEN", help="Require `Authorization: Bearer TOKEN` (default: the api_token setting, CODEKG_API_TOKEN).")]
HostOption = Annotated[Optional[str], typer.Option("--host", metavar="ADDRESS", help="Address to listen on [default: 127.0.0.1].")]


def _graph_service(repos: list[Path] | None, db: Path | None, allow_writes: bool = False) -> GraphService:
    """The repositories a server serves, each with its own settings (its codekg.toml)."""
    from codekg.service import GraphService, served_repositories

    roots = repos or [Path.cwd()]
    if db is not None and len(roots) > 1:
        raise InputError("--db names one index: it cannot be used with several --repo")
    locations = []
    for root in roots:
        repo_path, db_path = _locations(root, db)
        if not repo_path.is_dir():
            raise InputError(f"{repo_path} is not a directory")
        locations.append((repo_path, db_path, _settings(repo_path)))
    return GraphService(served_repositories(locations), allow_writes=allow_writes)


def _token(service: GraphService, token: str | None) -> str | None:
    if token is not None:
        return token or None
    secret = service.default.settings.api_token
    return secret.get_secret_value() if secret is not None else None


@app.command()
def serve(
    repo: ReposOption = None,
    db: DbOption = None,
    host: HostOption = None,
    port: Annotated[Optional[int], typer.Option("--port", min=0, max=65535, help="Port [default: 8765; 0: any free port].")] = None,
    token: TokenOption = None,
    allow_writes: Annotated[bool, typer.Option(
        "--allow-writes", help="Let POST /query run write clauses (each under the index's writer lock).")] = False,
    keep_indexed: Annotated[bool, typer.Option(
        "--watch", help="Also keep the indexes up to date while files change, as `codekg watch` does.")] = False,
) -> None:
    """Serve the HTTP API (search, context, impact, detect-changes, stats, Cypher; docs at /docs, a web view at /) until Ctrl-C."""
    service = _graph_service(repo, db, allow_writes)
    settings = service.default.settings
    from codekg.api.app import create_app  # FastAPI and uvicorn are only needed here
    from codekg.api.runner import serve_app, watching

    secret = _token(service, token)
    names = ", ".join(service.repositories)

    def announce(url: str) -> None:
        mode = "read-write" if allow_writes else "read-only"
        auth = "bearer token required" if secret else "no token"
        stderr().print(f"serving {names} ({mode}, {auth}) on {url} (web view: {url}/, API docs: {url}/docs); Ctrl-C stops", highlight=False)

    with watching(service, lambda line: stderr().print(line, highlight=False)) if keep_indexed else nullcontext():
        serve_app(create_app(service, secret), host or settings.serve_host,
                  settings.serve_port if port is None else port, secret is not None, announce, settings)


@app.command()
def mcp(
    repo: ReposOption = None,
    db: DbOption = None,
    http: Annotated[bool, typer.Option("--http", help="Serve Streamable HTTP at /mcp instead of stdio.")] = False,
    host: HostOption = None,
    port: Annotated[Optional[int], typer.Option("--port", min=0, max=65535, help="Port with --http [default: 8766; 0: any free port].")] = None,
    token: TokenOption = None,
) -> None:
    """Run the MCP server for AI agents: over stdio (default) or Streamable HTTP (--http)."""
    service = _graph_service(repo, db)
    settings = service.default.settings
    from codekg.mcp_server import create_mcp_server, serve_stdio, streamable_http_app  # the mcp SDK only here

    server = create_mcp_server(service)
    if not http:
        try:
            serve_stdio(server)
        except KeyboardInterrupt:
            raise RunInterrupted("interrupted: stopped the MCP server") from None
        return
    from codekg.api.runner import serve_app

    secret = _token(service, token)
    listen_host = host or settings.serve_host

    def announce(url: str) -> None:
        auth = "bearer token required" if secret else "no token"
        stderr().print(f"MCP server for {', '.join(service.repositories)} ({auth}) on {url}/mcp; Ctrl-C stops", highlight=False)

    serve_app(streamable_http_app(server, listen_host, secret), listen_host,
              settings.mcp_port if port is None else port, secret is not None, announce, settings)


def _open_source(store: str | None, db_path: Path, settings: Settings) -> tuple[GraphStore, str]:
    """The store a command reads, and its name for messages: --store, else the index (the `store` setting or --db)."""
    from codekg.stores import open_index, open_store, parse_store_uri

    if store:
        location = parse_store_uri(store)
        return open_store(store, settings, db_path), location.display
    name = parse_store_uri(settings.store).display if settings.store else f"ladybug:{db_path}"
    return open_index(db_path, settings), name


@app.command()
def export(
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository whose index to export (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    output_format: Annotated[str, typer.Option("--format", metavar="json|jsonl|parquet", help="The export's format.")] = "json",
    out: Annotated[Optional[Path], typer.Option("--out", help="File to write, a new directory for parquet (default: stdout).")] = None,
) -> None:
    """Write the whole graph (every node, edge and IndexMeta entry) as JSON, JSON Lines or Parquet."""
    from codekg.stores.transfer import check_export_options, export_graph

    check_export_options(output_format, out)
    repo_path, db_path = _locations(_one_repository(path, repo), db)
    settings = _settings(repo_path)
    source, name = _open_source(store, db_path, settings)
    try:
        with _reader_may_stop():
            report = export_graph(source, output_format, out, sys.stdout)
    except KeyboardInterrupt:
        raise RunInterrupted("interrupted: the export did not finish") from None
    finally:
        source.close()
    if out is not None:
        stdout().print(f"exported {sum(report.nodes.values())} nodes and {sum(report.edges.values())} edges of {name} "
                       f"to {out} ({output_format})", markup=False, highlight=False)


@app.command("import")
def import_command(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="An export: a json or jsonl file, or a parquet directory (detected).")],
    store: Annotated[Optional[str], typer.Option(
        "--store", metavar="URI", help="Store to replace with the export (default: the index in --db).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    json_output: JsonOption = False,
) -> None:
    """Make a store hold exactly an export's graph; an export that fails its checks writes nothing."""
    from codekg.stores import StoreLocation, parse_store_uri
    from codekg.stores.transfer import import_graph, read_export

    repo_path, db_path = _locations(repo, db)
    settings = _settings(repo_path)
    target = store or settings.store
    location = parse_store_uri(target) if target else StoreLocation("ladybug", path=db_path)
    graph, report = read_export(path.expanduser())
    try:
        import_graph(graph, location, settings, db_path)
    except KeyboardInterrupt:
        raise RunInterrupted(f"interrupted: {location.display} is unchanged") from None
    if json_output:
        print_out(json.dumps({"path": str(path), "store": location.display, **report.to_dict()}, indent=2))
        return
    stdout().print(f"imported {sum(report.nodes.values())} nodes and {sum(report.edges.values())} edges from {path} "
                   f"({report.format}) into {location.display}", markup=False, highlight=False)


@app.command()
def verify(
    against: Annotated[str, typer.Option("--against", metavar="URI", help="The store to compare with.")],
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository whose index to compare (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare two stores: counts and checksums per label and type, then the ids that differ; exit 1 unless they agree."""
    from codekg.output import print_store_comparison
    from codekg.stores import open_store, parse_store_uri
    from codekg.stores.verify import compare_stores

    repo_path, db_path = _locations(_one_repository(path, repo), db)
    settings = _settings(repo_path)
    other = parse_store_uri(against)
    left, left_name = _open_source(store, db_path, settings)
    try:
        right = open_store(against, settings, db_path)
        try:
            comparison = compare_stores(left, right, left_name, other.display)
        finally:
            right.close()
    finally:
        left.close()
    if json_output:
        print_out(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_store_comparison(comparison, stdout())
    if not comparison.agrees:
        names = ", ".join(t.name for t in comparison.disagreeing)
        _verdict(StoresDisagreeError(f"{left_name} and {other.display} disagree on {names}"), json_output)


@app.command("compare-stores")
def compare_stores_command(
    store: Annotated[list[str], typer.Option("--store", metavar="URI", help="A store to compare (ladybug:PATH, falkordb://, "
                                             "bolt://, cozo://…); give two or more. The first is the reference.")],
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository the stores index, for snippets (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    operations_file: Annotated[Optional[Path], typer.Option(
        "--operations", metavar="FILE", help='JSON list of reads: [{"operation": "context", "arguments": {"symbol": "pkg.f"}}, …]; '
        "operations: symbol, callers, callees, context, impact, path, lineage. Default: a sample drawn from the first store.")] = None,
    repeat: Annotated[int, typer.Option("--repeat", min=1, max=1000, help="Runs of each operation on each store.")] = 5,
    json_output: JsonOption = False,
) -> None:
    """Run the same reads on several stores: p50/p95 per operation per store, and every difference
    between their answers; exit 1 when any answer differs or any read fails."""
    from codekg.analysis.compare_stores import compare_reads, default_operations, read_operations
    from codekg.output import print_read_comparison
    from codekg.stores import open_store, parse_store_uri

    if len(store) < 2:
        raise InputError("give at least two stores to compare: --store URI --store URI")
    repo_path, db_path = _locations(_one_repository(path, repo), db)
    settings = _settings(repo_path)
    operations = read_operations(operations_file.expanduser()) if operations_file else None
    opened: list[tuple[str, GraphStore]] = []
    try:
        for uri in store:
            opened.append((parse_store_uri(uri).display, open_store(uri, settings, db_path)))
        comparison = compare_reads(opened, repo_path, operations or default_operations(opened[0][1]), repeat)
    finally:
        for _, each in opened:
            each.close()
    if json_output:
        print_out(json.dumps(comparison.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_read_comparison(comparison.to_dict(), stdout())
    if comparison.differences or comparison.errors:
        failed = {(e["operation"], json.dumps(e["arguments"], sort_keys=True)) for e in comparison.errors}
        parts = [f"{len(comparison.differences)} of {comparison.operations} answers differ"] if comparison.differences else []
        parts += [f"{len(failed)} of {comparison.operations} reads failed, so compared nothing"] if failed else []
        _verdict(StoresDisagreeError("; ".join(parts)), json_output)


@app.command()
def migrate(
    path: Annotated[Optional[Path], typer.Argument(metavar="PATH", help="Repository whose index to migrate (default: --repo or the current directory).")] = None,
    repo: RepoOption = None,
    db: DbOption = None,
    store: StoreOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List the migrations that would run; change nothing.")] = False,
    to: Annotated[Optional[int], typer.Option("--to", metavar="N", min=1, help="The schema version to reach (default: this codekg's).")] = None,
    rollback: Annotated[bool, typer.Option("--rollback", help="Go down to an older schema version (--to N, default: one below the "
                                           "index's), dropping what the newer versions added: for going back to an older codekg.")] = False,
    json_output: JsonOption = False,
) -> None:
    """Move an index to another schema version in place: up to this codekg's, or down with --rollback;
    all or nothing (a failed step leaves the index at its old version)."""
    from codekg.schema import SCHEMA_VERSION
    from codekg.stores import migrate_index

    repo_path, db_path, store_uri = _store_locations(_one_repository(path, repo), db, store)
    settings = _settings(repo_path, store=store_uri)
    if to is not None and to > SCHEMA_VERSION:
        raise InputError(f"--to {to}: this codekg knows schema versions up to {SCHEMA_VERSION}")
    if rollback and to is None:
        current = migrate_index(db_path, settings, dry_run=True).from_version
        to = current - 1
        if to < 1:
            raise InputError(f"the index is at schema version {current}: there is nothing older to roll back to")
    try:
        plan = migrate_index(db_path, settings, dry_run=True, to_version=to)
        if plan.rolling_back and not rollback:
            raise InputError(f"the index is at schema version {plan.from_version}: going down to {plan.to_version} "
                             "drops what the newer versions added; say so with --rollback")
        if rollback and not plan.rolling_back and plan.steps:
            raise InputError(f"--rollback: the index is at schema version {plan.from_version}, below {plan.to_version}")
        if not dry_run:
            plan = migrate_index(db_path, settings, dry_run=False, to_version=to)
    except KeyboardInterrupt:
        raise RunInterrupted("interrupted: the migration was rolled back, the index is unchanged") from None
    if json_output:
        steps = [{"from_version": s.to_version if plan.rolling_back else s.from_version,
                  "to_version": s.from_version if plan.rolling_back else s.to_version, "description": s.description,
                  "in_place": (s.rollback is not None) if plan.rolling_back else s.in_place} for s in plan.steps]
        print_out(json.dumps({"db": str(db_path), "from_version": plan.from_version, "to_version": plan.to_version,
                              "rollback": plan.rolling_back, "dry_run": dry_run, "migrated": bool(plan.steps) and not dry_run,
                              "steps": steps}, indent=2, ensure_ascii=False))
    elif not plan.steps:
        stdout().print(f"the index in {db_path} is at schema version {plan.to_version}: nothing to migrate", highlight=False)
    else:
        verb = "rolled back" if plan.rolling_back else "migrated"
        head = (f"the index in {db_path} is at schema version {plan.from_version}; `codekg migrate` would run:" if dry_run
                else f"{verb} the index in {db_path} from schema version {plan.from_version} to {plan.to_version}:")
        stdout().print(head, highlight=False)
        for step in plan.steps:
            line = f"{step.to_version} → {step.from_version}: undo {step.description}" if plan.rolling_back else str(step)
            stdout().print(f"  {line}", highlight=False)
        if dry_run:
            stdout().print("dry run: nothing was changed", highlight=False)
    if dry_run:
        plan.require_in_place()  # a step that needs a re-index fails the dry run as it would fail the migration


@app.command()
def version(json_output: JsonOption = False) -> None:
    """Print codekg's version and schema version."""
    if json_output:
        from codekg.schema import SCHEMA_VERSION

        print(json.dumps({"version": __version__, "schema_version": SCHEMA_VERSION}, indent=2))
    else:
        print(version_line())


def main() -> None:
    """Console entry point: run the app and map every codekg failure to a message and an exit code.

    Usage errors (a bad option, a missing argument) are reported by the CLI framework itself, exit 2;
    with --json as the JSON error every other failure gives (`"error": "usage"`).
    """
    # The process ends with the command: the collection at interpreter exit walks every object of every
    # module imported (60-140 ms, as long as an unchanged `codekg index` itself) and frees nothing the OS
    # does not. Frozen, they are left to it; every store and file is closed by the command that opened it.
    atexit.register(gc.freeze)
    logging.basicConfig(level=logging.WARNING, format="codekg: %(levelname)s: %(message)s")
    json_output = "--json" in sys.argv[1:]  # every command's JSON switch: then errors are JSON too
    from codekg.interrupts import report_as_json

    report_as_json(json_output)  # a run ended by its watchdog too
    command_app = _app_for(sys.argv[1:])
    try:
        if json_output:  # the framework raises what it would print, and returns the exit code it would exit with
            exit_code = command_app(standalone_mode=False)
            if isinstance(exit_code, int) and exit_code:
                sys.exit(exit_code)
        else:
            command_app()
    except typer.TyperException as error:  # a usage error, raised only without standalone mode: with --json
        _fail(getattr(error, "exit_code", 2), error.format_message() if hasattr(error, "format_message") else str(error),
              "usage", True)
    except typer.Abort:
        _fail(1, "aborted", "aborted", True)
    except CodekgError as error:
        _fail(error.exit_code, str(error), error.code, json_output, error.details())
    except BrokenPipeError:  # written past Rich (`sys.stdout.write`): as _Console.on_broken_pipe
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except OSError as error:
        _fail(1, f"{error.strerror or error}" + (f": {error.filename}" if error.filename else ""), "os_error", json_output)
    except Exception as error:  # noqa: BLE001 - the last resort: a bug must still not print a traceback
        if _settings(Path.cwd()).debug:
            raise
        _fail(70, f"{type(error).__name__}: {error}", "internal_error", json_output,
              label="internal error", hint="\nThis is a codekg bug; set CODEKG_DEBUG=1 for the traceback and please report it.")


def _app_for(arguments: list[str]) -> typer.Typer:
    """``app`` holding only the command that ``arguments`` start with. Typer builds the Click command
    of everything an app holds on every run (25-30 ms for this one; 4 ms for one command), and a run
    uses one. Anything else (`--help`, a global option first, no command, a misspelt one) gets the
    whole app, so every listing and error stays as it is."""
    if not arguments or arguments[0].startswith("-"):
        return app
    name = arguments[0]
    commands = [command for command in app.registered_commands
                if (command.name or typer.main.get_command_name(command.callback.__name__)) == name]
    groups = [group for group in app.registered_groups if group.name == name]
    if not commands and not groups:
        return app
    one = copy.copy(app)
    one.registered_commands, one.registered_groups = commands, groups
    return one


def _repo_relative_glob(repo: Path, glob: str) -> str:
    """A `--path` pattern as the index stores paths: an absolute one under the repository made relative."""
    if not glob.startswith("/"):
        return glob
    root = str(repo.resolve()).rstrip("/") + "/"
    if glob.startswith(root):
        return glob[len(root):]
    raise InputError(f"--path {glob!r} is outside the repository {repo}: give a pattern relative to it, e.g. 'src/*'")


def _verdict(error: CodekgError, json_output: bool) -> NoReturn:
    """A check that found a difference: its report, printed already, is the answer. With --json that
    report is the one JSON document and only the exit code says more; else the error line follows it."""
    if json_output:
        raise typer.Exit(error.exit_code)
    raise error


OUTPUT_FORMATS = ("text", "json", "dot", "mermaid", "graphml")


def _output_format(output_format: str, json_output: bool) -> str:
    """The `--format` asked for (`--json` is `--format json`); InputError for an unknown one, or for
    `--json` beside a picture format."""
    if output_format not in OUTPUT_FORMATS:
        raise InputError(f"unknown --format {output_format!r}: use {', '.join(OUTPUT_FORMATS)}")
    if json_output and output_format not in ("text", "json"):
        raise InputError(f"--json and --format {output_format} ask for two outputs: give one")
    return "json" if json_output else output_format


def _print_picture(picture: Any, output_format: str) -> None:
    from codekg.analysis.pictures import MERMAID_MAX_EDGES, render

    if output_format == "mermaid" and len(picture.edges) > MERMAID_MAX_EDGES:
        stderr().print(f"[yellow]note:[/yellow] {len(picture.edges)} edges: Mermaid renders at most "
                       f"{MERMAID_MAX_EDGES} by default (GitHub, mermaid.live); use --format dot or graphml, "
                       "or a smaller subgraph", highlight=False)
    sys.stdout.write(render(picture, output_format))


def _fail(exit_code: int, message: str, code: str, json_output: bool, details: dict | None = None,
          label: str = "error", hint: str = "") -> NoReturn:
    """Report a failure and exit: with --json, `{"error": code, "message": message, …, "exit_code": n}`
    on stdout (errors.error_json: what a script parses, as the HTTP API and MCP give it), else a line on
    stderr whose text is escaped (messages may hold [brackets])."""
    if json_output:
        print(json.dumps({**error_json(code, message, details), "exit_code": exit_code},
                         ensure_ascii=False, default=str))  # one line: `watch --json` prints JSON lines
    else:
        stderr().print(f"[red]{label}:[/red] {_escaped(message)}{_escaped(hint)}", highlight=False)
    sys.exit(exit_code)
