"""Incremental re-indexing of one repository: cold, unchanged, one-file edits, warm rebuild, big batch.

The corpus is copied to a temporary folder first (edits are made on the copy, never on PATH). Each
of ``--runs`` rounds then measures, in this order:

1. cold: a full index with 1 and with 2 parse workers, parse cache off (``CODEKG_PARSE_CACHE=0``,
   the same as ``Settings(parse_cache=False)``), each a fresh ``codekg index`` subprocess into a
   fresh database folder: wall, in-process total, peak RSS of the largest process (``wait4``) and
   of the whole process tree (the parent plus its forked parse workers, summed, sampled with psutil);
2. the live index: a full index with the parse cache on (it fills the cache), the one every later
   step re-indexes;
3. unchanged: a re-index with nothing changed (mode must be ``unchanged``), once in this process
   (``index_repository``: its ``total_seconds`` and the wall around the call) and once through the
   CLI (``codekg index PATH --db DB --json``: Python start-up and imports included);
4. one-file edits: for each chosen file, a small function that calls another is appended and the
   index re-run in this process, then the file is reverted and re-run; then the same edit and
   revert through the CLI. Every run must be ``incremental``; after each, the live graph (every
   node and edge with its properties) is compared with a fresh full index of the same tree;
5. a full rebuild (``--full``) with the warm parse cache, compared with the cold index;
6. a batch: a comment appended to ``--batch-files`` Python files and one CLI re-index with the
   default ``incremental_max_fraction`` (it decides delta or rebuild); then the comments are removed
   and the same number of files re-indexed with ``CODEKG_INCREMENTAL_MAX_FRACTION=1`` (always a
   delta): wall, mode and both peak RSS figures.

Medians over the rounds are reported, ratios are taken within one round. Nothing is written to docs.

    python bench/incremental_bench.py PATH [--runs N] [--edit FILE ...] [--batch-files N] [--json]
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    ChildRun,
    corpus_command_line,
    facts_markdown,
    fail,
    load_average,
    machine_facts,
    markdown_table,
    median,
    run_measured,
    verdict,
)
from codekg.passes.scan import scan_repository
from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index

# The targets ("Incremental, parallel, cached indexing").
TARGET_UNCHANGED_SECONDS = 0.3
TARGET_ONE_FILE_SECONDS = 0.5
TARGET_REBUILD_SPEEDUP = 5.0
TARGET_BATCH_RSS_MB = 1000.0
EXAMPLE_FOLDERS = ("docs_src", "docs", "examples")
TEST_FOLDERS = ("tests", "test", "testing")
PROBE = "codekg_bench_probe"


# --- the corpus copy and its edits --------------------------------------------------------------


def copy_corpus(source: Path, scratch: Path) -> Path:
    """A copy of ``source`` (modification times kept, any index folder left out) to edit freely."""
    target = scratch / "repo"
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(".codekg"))
    return target


def probe_function(text: str) -> str:
    """A small top-level function that calls the file's first top-level function or class."""
    match = re.search(r"^(?:async\s+)?(?:def|class)\s+(\w+)", text, re.MULTILINE)
    callee = match.group(1) if match else "print"
    return f"\n\ndef {PROBE}():\n    return {callee}()\n"


@dataclass(slots=True)
class EditedFile:
    """One file of the copy, appended to and put back byte for byte."""

    path: Path
    original: bytes = b""

    def __post_init__(self) -> None:
        self.original = self.path.read_bytes()

    def append(self, text: str) -> None:
        self.path.write_bytes(self.original + text.encode())

    def revert(self) -> None:
        self.path.write_bytes(self.original)


# --- running codekg ----------------------------------------------------------------------------


def codekg_command() -> list[str]:
    """The installed console script beside this interpreter (what a user runs), else ``-m codekg``."""
    script = Path(sys.executable).parent / "codekg"
    return [str(script)] if script.exists() else [sys.executable, "-m", "codekg"]


@dataclass(slots=True)
class Measured:
    """One index run: how long it took from outside, and codekg's own summary of it."""

    how: str  # "in-process" or "cli"
    wall_seconds: float
    summary: dict[str, Any]
    peak_rss_mb: float | None = None  # the largest single process (cli runs only)
    peak_tree_rss_mb: float | None = None  # codekg plus its parse workers, summed (cli runs only)

    @property
    def mode(self) -> str:
        return self.summary["delta"]["mode"]

    @property
    def total_seconds(self) -> float:
        return self.summary["total_seconds"]


def index_in_process(repo: Path, db: Path, full: bool = False) -> Measured:
    settings = load_settings(repo)
    started = time.perf_counter()
    summary = index_repository(repo, db, settings, full=full)
    return Measured("in-process", time.perf_counter() - started, summary.to_dict())


def index_cli(repo: Path, db: Path, *options: str, env: dict[str, str] | None = None) -> Measured:
    argv = [*codekg_command(), "index", str(repo), "--db", str(db), "--json", "--quiet", *options]
    child = run_measured(argv, env=env, sample_tree=True)
    _check(argv, child)
    return Measured("cli", child.wall_seconds, json.loads(child.stdout), child.peak_rss_mb, child.peak_tree_rss_mb)


def cli_floor_seconds() -> float:
    """Wall of `codekg version`: interpreter start-up and the CLI's imports, nothing indexed."""
    argv = [*codekg_command(), "version"]
    child = run_measured(argv)
    _check(argv, child)
    return child.wall_seconds


def _check(argv: list[str], child: ChildRun) -> None:
    if child.returncode != 0:
        fail(f"`{' '.join(argv)}` exited {child.returncode}:\n{child.stderr.strip()}", code=1)


# --- comparing graphs --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GraphDigest:
    """Node counts per label, edge counts per type, and a hash of every node and edge with its
    properties (storage offsets left out): equal digests mean equal graphs."""

    nodes: int
    edges: int
    sha256: str


def graph_digest(db: Path) -> GraphDigest:
    store = open_index(db, load_settings(None))
    try:
        nodes = sorted(json.dumps(_clean(node), sort_keys=True, default=str)
                       for label, node in store.query("MATCH (n) RETURN label(n), n").rows if label != "IndexMeta")
        edges = sorted(json.dumps([kind, source, target, _clean(edge)], sort_keys=True, default=str)
                       for kind, source, target, edge in store.query("MATCH (a)-[e]->(b) RETURN label(e), a.id, b.id, e").rows)
    finally:
        store.close()
    digest = hashlib.sha256("\n".join(nodes + ["--"] + edges).encode()).hexdigest()
    return GraphDigest(len(nodes), len(edges), digest)


def _clean(properties: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in properties.items() if not k.startswith("_")}


@dataclass(slots=True)
class Checks:
    """Every mode and graph comparison of the run; any failure is printed above the figures."""

    failures: list[str] = field(default_factory=list)
    graphs_compared: int = 0

    def mode(self, what: str, run: Measured, expected: str) -> None:
        if run.mode != expected:
            self.failures.append(f"{what}: mode {run.mode!r}, expected {expected!r}")

    def graph(self, what: str, live: GraphDigest, fresh: GraphDigest) -> None:
        self.graphs_compared += 1
        if live != fresh:
            self.failures.append(f"{what}: live graph ({live.nodes} nodes, {live.edges} edges) differs from a fresh "
                                 f"full index ({fresh.nodes} nodes, {fresh.edges} edges)")


class FreshIndexer:
    """Full indexes of the copy's current tree, for comparison; they share one parse cache so each
    costs what a warm rebuild costs."""

    def __init__(self, scratch: Path, repo: Path) -> None:
        self.scratch, self.repo = scratch, repo
        self.settings = load_settings(repo, parse_cache_path=scratch / "fresh-parse-cache.sqlite")

    def digest(self) -> GraphDigest:
        db = self.scratch / "fresh"
        index_repository(self.repo, db, self.settings, full=True)
        try:
            return graph_digest(db)
        finally:
            shutil.rmtree(db)


# --- the files to edit -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EditTarget:
    path: str  # repo-relative
    kind: str  # why it was chosen
    importers: int  # files that import it directly (IMPORTS edges from File nodes)
    lines: int


def importer_counts(db: Path) -> dict[str, int]:
    store = open_index(db, load_settings(None))
    try:
        rows = store.query("MATCH (a:File)-[:IMPORTS]->(b:File) RETURN b.file_path, count(DISTINCT a)").rows
    finally:
        store.close()
    return {path: count for path, count in rows}


def choose_edit_targets(repo: Path, db: Path, given: list[str]) -> list[EditTarget]:
    """The files given, else a leaf module, the most imported module and an example, chosen from the
    index: a leaf is imported by no file; the first two are modules (not ``__init__.py``) of the top
    folder holding the most Python files outside test and example folders (the package), and the
    leaf and the example are the median by size of their kind."""
    importers = importer_counts(db)
    scan = scan_repository(repo, load_settings(repo))
    python = [f for f in scan.files if f.language == "python"]
    if given:
        known = {f.path for f in python}
        for path in given:
            if path not in known:
                fail(f"--edit {path}: not a Python file codekg indexes in the corpus")
        chosen = [(path, "given") for path in given]
    else:
        def under(path: str, folders: tuple[str, ...]) -> bool:
            return not set(path.split("/")[:-1]).isdisjoint(folders)

        outside = [f for f in python if not under(f.path, TEST_FOLDERS + EXAMPLE_FOLDERS) and "/" in f.path]
        package = Counter(f.path.split("/", 1)[0] for f in outside).most_common(1)[0][0]  # e.g. fastapi/, pydantic/
        library = [f for f in outside if f.path.startswith(package + "/")]
        modules = [f for f in library if not f.path.endswith("__init__.py")]
        leaves = sorted((f for f in modules if importers.get(f.path, 0) == 0), key=lambda f: (f.size_bytes, f.path))
        hub = max(modules, key=lambda f: (importers.get(f.path, 0), f.path))
        examples = sorted((f for f in python if under(f.path, EXAMPLE_FOLDERS)), key=lambda f: (f.size_bytes, f.path))
        chosen = [(leaves[len(leaves) // 2].path, "leaf")] if leaves else []
        chosen.append((hub.path, "most imported"))
        if examples:
            chosen.append((examples[len(examples) // 2].path, "example"))
    return [EditTarget(path, kind, importers.get(path, 0), (repo / path).read_bytes().count(b"\n")) for path, kind in chosen]


# --- one round ---------------------------------------------------------------------------------


@dataclass(slots=True)
class EditRuns:
    target: EditTarget
    edit_in_process: Measured
    revert_in_process: Measured
    edit_cli: Measured
    revert_cli: Measured


@dataclass(slots=True)
class Round:
    load_average: str
    cli_floor_seconds: float
    cold: dict[int, Measured]  # by worker count
    live_build: Measured
    unchanged_in_process: Measured
    unchanged_cli: Measured
    edits: list[EditRuns]
    warm_rebuild: Measured
    batch_default: Measured
    batch_forced_delta: Measured
    batch_files: int


def one_round(repo: Path, scratch: Path, given_edits: list[str], batch_size: int, checks: Checks) -> Round:
    load = load_average()
    floor = cli_floor_seconds()
    cold: dict[int, Measured] = {}
    digests: dict[int, GraphDigest] = {}
    for workers in (1, 2):
        db = scratch / f"cold-{workers}"
        cold[workers] = index_cli(repo, db, "--workers", str(workers), env={"CODEKG_PARSE_CACHE": "0"})
        checks.mode(f"cold index, {workers} worker(s)", cold[workers], "full")
        digests[workers] = graph_digest(db)
        shutil.rmtree(db)
    reference = digests[1]  # the original tree, freshly and fully indexed
    checks.graph("cold index with 2 workers vs 1", digests[2], reference)

    live = scratch / "live"
    live_build = index_cli(repo, live)
    checks.mode("live index build", live_build, "full")
    checks.graph("live index build (parse cache on) vs cold", graph_digest(live), reference)

    unchanged_in_process = index_in_process(repo, live)
    checks.mode("unchanged, in-process", unchanged_in_process, "unchanged")
    unchanged_cli = index_cli(repo, live)
    checks.mode("unchanged, CLI", unchanged_cli, "unchanged")

    fresh = FreshIndexer(scratch, repo)
    edits = []
    for target in choose_edit_targets(repo, live, given_edits):
        edited = EditedFile(repo / target.path)
        probe = probe_function(edited.original.decode("utf-8", "replace"))
        runs: dict[str, Measured] = {}
        edited_digest: GraphDigest | None = None  # a fresh full index of the edited tree, taken once
        for how, index in (("in-process", index_in_process), ("CLI", index_cli)):
            edited.append(probe)
            runs[f"edit {how}"] = index(repo, live)
            checks.mode(f"{target.path} edited, {how}", runs[f"edit {how}"], "incremental")
            if edited_digest is None:
                edited_digest = fresh.digest()
            checks.graph(f"{target.path} edited, {how}", graph_digest(live), edited_digest)
            edited.revert()
            runs[f"revert {how}"] = index(repo, live)
            checks.mode(f"{target.path} reverted, {how}", runs[f"revert {how}"], "incremental")
            checks.graph(f"{target.path} reverted, {how}", graph_digest(live), reference)
        edits.append(EditRuns(target, runs["edit in-process"], runs["revert in-process"], runs["edit CLI"], runs["revert CLI"]))

    warm_rebuild = index_cli(repo, live, "--full", "--workers", "2")
    checks.mode("full rebuild, warm cache", warm_rebuild, "full")

    scan = scan_repository(repo, load_settings(repo))
    batch = [EditedFile(repo / f.path) for f in scan.files if f.language == "python"][:batch_size]
    for edited in batch:
        edited.append("\n# codekg bench: a comment appended to many files\n")
    batch_default = index_cli(repo, live)
    if batch_default.mode == "incremental":
        checks.graph("batch, default mode", graph_digest(live), fresh.digest())
    for edited in batch:
        edited.revert()
    batch_forced = index_cli(repo, live, env={"CODEKG_INCREMENTAL_MAX_FRACTION": "1"})
    checks.mode("batch reverted, incremental_max_fraction=1", batch_forced, "incremental")
    checks.graph("batch reverted, incremental_max_fraction=1", graph_digest(live), reference)
    shutil.rmtree(live)
    return Round(load, floor, cold, live_build, unchanged_in_process, unchanged_cli, edits, warm_rebuild,
                 batch_default, batch_forced, len(batch))


# --- report ------------------------------------------------------------------------------------


def main() -> None:
    def add_arguments(parser: Any) -> None:
        parser.add_argument("--edit", action="append", default=[], metavar="FILE",
                            help="repo-relative Python file to edit (repeatable; default: a leaf, the most imported "
                                 "module and an example, chosen from the index)")
        parser.add_argument("--batch-files", type=int, default=1000,
                            help="files changed at once in the batch step (default 1000, at most the Python files)")

    args, source = corpus_command_line(__doc__.splitlines()[0], "index", 3, "rounds of every measurement", add_arguments)
    facts = machine_facts()
    checks = Checks()
    with tempfile.TemporaryDirectory(prefix="codekg-incremental-bench-") as scratch_name:
        scratch = Path(scratch_name)
        repo = copy_corpus(source, scratch)
        rounds = [one_round(repo, scratch, args.edit, args.batch_files, checks) for _ in range(args.runs)]
    facts["load average at end (1 min, 5 min)"] = load_average()
    if args.json:
        print(json.dumps({"machine": facts, "corpus": str(source), "checks": asdict(checks),
                          "rounds": [asdict(r) for r in rounds]}, indent=2, default=str))
    else:
        print(report(source, facts, rounds, checks))
    if checks.failures:
        sys.exit(1)


def report(source: Path, facts: dict[str, str], rounds: list[Round], checks: Checks) -> str:
    first = rounds[0]
    summary = first.cold[1].summary
    n = len(rounds)
    lines = [f"## Incremental re-indexing: {source}", "", facts_markdown(facts), "",
             f"Corpus: {sum(summary['files_by_language'].values()):,} files "
             f"({', '.join(f'{lang} {count:,}' for lang, count in summary['files_by_language'].items())}), "
             f"{sum(summary['nodes'].values()):,} nodes, {sum(summary['edges'].values()):,} edges; "
             f"commit {summary['commit'] or '(not a git checkout)'}. {n} round(s); figures are medians over rounds. "
             f"Load average at the start of each round: {'; '.join(r.load_average for r in rounds)}.", ""]
    if checks.failures:
        lines += ["**CHECKS FAILED: the figures below describe a wrong result or an unexpected mode.**",
                  *(f"- {failure}" for failure in checks.failures), ""]
    else:
        lines += [f"Checks: every mode as expected; {checks.graphs_compared} live graphs equal to a fresh full index "
                  "(every node and edge with its properties).", ""]
    lines += _cold_section(rounds) + _unchanged_section(rounds) + _edit_section(rounds)
    lines += _rebuild_section(rounds) + _batch_section(rounds)
    return "\n".join(lines)


def _med(values: list[float]) -> float:
    return median(values)


def _cold_section(rounds: list[Round]) -> list[str]:
    rows = []
    for workers in (1, 2):
        runs = [r.cold[workers] for r in rounds]
        rows.append((workers, _med([m.wall_seconds for m in runs]), _med([m.total_seconds for m in runs]),
                     _med([m.summary["pass_seconds"]["parse"] for m in runs]),
                     max(m.peak_rss_mb for m in runs), max(m.peak_tree_rss_mb for m in runs)))
    speedup = _med([r.cold[1].wall_seconds / r.cold[2].wall_seconds for r in rounds])
    parse_speedup = _med([r.cold[1].summary["pass_seconds"]["parse"] / r.cold[2].summary["pass_seconds"]["parse"] for r in rounds])
    return ["### Cold full index (parse cache off, fresh database, CLI subprocess)", "",
            markdown_table(["workers", "wall s", "in-process total s", "parse pass s", "max peak RSS MB, largest process",
                            "max peak RSS MB, process tree summed"], rows), "",
            f"2 workers vs 1 (median of per-round ratios): whole index {speedup:.2f}×, parse pass {parse_speedup:.2f}×.", ""]


def _unchanged_section(rounds: list[Round]) -> list[str]:
    in_total = _med([r.unchanged_in_process.total_seconds for r in rounds])
    in_wall = _med([r.unchanged_in_process.wall_seconds for r in rounds])
    cli = _med([r.unchanged_cli.wall_seconds for r in rounds])
    floor = _med([r.cli_floor_seconds for r in rounds])
    passes = _median_passes([r.unchanged_in_process for r in rounds])
    target = f"≤ {TARGET_UNCHANGED_SECONDS:g} s"
    return ["### Re-index with nothing changed (mode `unchanged`)", "",
            markdown_table(["measure", "median s", "target", "verdict"], [
                ("in-process: `total_seconds` (codekg's own clock)", in_total, target, verdict(in_total, TARGET_UNCHANGED_SECONDS)),
                ("in-process: wall around `index_repository`", in_wall, target, verdict(in_wall, TARGET_UNCHANGED_SECONDS)),
                ("CLI end to end: `codekg index PATH --db DB --json`", cli, target, verdict(cli, TARGET_UNCHANGED_SECONDS)),
                ("for scale: `codekg version` (start-up and CLI imports only)", floor, "", ""),
            ]), "",
            "In-process passes (median s): " + _passes_text(passes), ""]


def _edit_section(rounds: list[Round]) -> list[str]:
    rows, pass_rows = [], []
    for i, first in enumerate(rounds[0].edits):
        runs = [r.edits[i] for r in rounds]
        target = first.target
        delta = first.edit_in_process.summary["delta"]
        cli = _med([e.edit_cli.wall_seconds for e in runs])
        rows.append((f"`{target.path}` ({target.kind})", target.importers, target.lines,
                     _med([e.edit_in_process.total_seconds for e in runs]), _med([e.edit_in_process.wall_seconds for e in runs]),
                     cli, verdict(cli, TARGET_ONE_FILE_SECONDS),
                     _med([e.revert_in_process.wall_seconds for e in runs]), _med([e.revert_cli.wall_seconds for e in runs]),
                     f"+{delta['nodes_added']} ~{delta['nodes_updated']} -{delta['nodes_removed']}",
                     f"+{delta['edges_added']} -{delta['edges_removed']}"))
        for how, measured in (("in-process", [e.edit_in_process for e in runs]), ("CLI", [e.edit_cli for e in runs])):
            passes = _median_passes(measured)
            pass_rows.append((f"`{target.path}`", how, *(passes.get(p, 0.0) for p in _EDIT_PASSES),
                              _med([m.total_seconds for m in measured]), _med([m.wall_seconds for m in measured])))
    return ["### One-file edit (mode `incremental`), target ≤ 0.5 s end to end", "",
            "A function calling the file's first top-level function or class is appended, the index re-run, "
            "then the file reverted and re-run; in process first, then the same through the CLI.", "",
            markdown_table(["file", "importers", "lines", "edit in-process total s", "edit in-process wall s",
                            "edit CLI wall s", "verdict (CLI)", "revert in-process wall s", "revert CLI wall s",
                            "nodes (edit)", "edges (edit)"], rows), "",
            "Passes of the edit runs (median s; wall minus total is what codekg's own clock does not see: "
            "for the CLI, interpreter start-up, imports and printing):", "",
            markdown_table(["file", "run", *(f"{p} s" for p in _EDIT_PASSES), "total s", "wall s"], pass_rows), ""]


_EDIT_PASSES = ("scan", "changes", "parse", "structure", "resolve", "delta", "load")


def _rebuild_section(rounds: list[Round]) -> list[str]:
    cold = [r.cold[2] for r in rounds]
    warm = [r.warm_rebuild for r in rounds]
    wall_ratio = _med([c.wall_seconds / w.wall_seconds for c, w in zip(cold, warm)])
    total_ratio = _med([c.total_seconds / w.total_seconds for c, w in zip(cold, warm)])
    passes = sorted(set(_median_passes(cold)) | set(_median_passes(warm)), key=list(cold[0].summary["pass_seconds"]).index)
    cold_passes, warm_passes = _median_passes(cold), _median_passes(warm)
    hits = warm[0].summary["parse_cache"]
    return ["### Full rebuild (`--full`) with a warm parse cache vs cold (both 2 workers, CLI)", "",
            markdown_table(["run", "wall s", "in-process total s", *(f"{p} s" for p in passes), "max peak RSS MB (tree)"], [
                ("cold, cache off", _med([c.wall_seconds for c in cold]), _med([c.total_seconds for c in cold]),
                 *(cold_passes.get(p, 0.0) for p in passes), max(c.peak_tree_rss_mb for c in cold)),
                ("rebuild, warm cache", _med([w.wall_seconds for w in warm]), _med([w.total_seconds for w in warm]),
                 *(warm_passes.get(p, 0.0) for p in passes), max(w.peak_tree_rss_mb for w in warm)),
            ]), "",
            markdown_table(["ratio cold / warm rebuild (median of per-round ratios)", "value", "target", "verdict"], [
                ("wall", f"{wall_ratio:.2f}×", f"≥ {TARGET_REBUILD_SPEEDUP:g}×", _at_least(wall_ratio, TARGET_REBUILD_SPEEDUP)),
                ("in-process total", f"{total_ratio:.2f}×", f"≥ {TARGET_REBUILD_SPEEDUP:g}×", _at_least(total_ratio, TARGET_REBUILD_SPEEDUP)),
            ]), "",
            "Per round, wall cold / warm rebuild: " + ", ".join(f"{c.wall_seconds / w.wall_seconds:.2f}×" for c, w in zip(cold, warm))
            + f". Warm rebuild cache: {hits['hits']} hits, {hits['misses']} misses (first round).", ""]


def _batch_section(rounds: list[Round]) -> list[str]:
    rows = []
    for name, runs in (("comment appended, default `incremental_max_fraction`", [r.batch_default for r in rounds]),
                       ("comment removed, `CODEKG_INCREMENTAL_MAX_FRACTION=1`", [r.batch_forced_delta for r in rounds])):
        modes = sorted({m.mode for m in runs})
        changed = sorted({m.summary["delta"]["files_changed"] if m.mode == "incremental" else "rebuilt" for m in runs}, key=str)
        peak = max(m.peak_tree_rss_mb for m in runs)
        rows.append((name, "/".join(modes), ", ".join(map(str, changed)), _med([m.wall_seconds for m in runs]),
                     max(m.peak_rss_mb for m in runs), peak, verdict(peak, TARGET_BATCH_RSS_MB)))
    cold = [r.cold[w] for r in rounds for w in (1, 2)]
    rows.append(("for scale: cold full index (1 and 2 workers)", "full", "", _med([m.wall_seconds for m in cold]),
                 max(m.peak_rss_mb for m in cold), max(m.peak_tree_rss_mb for m in cold), ""))
    return [f"### Batch of {rounds[0].batch_files:,} changed files (CLI), target peak RSS ≤ 1 GB", "",
            markdown_table(["run", "mode", "files changed (delta)", "wall s", "max peak RSS MB, largest process",
                            "max peak RSS MB, process tree summed", "verdict (tree)"], rows), "",
            "Passes (median s): default: " + _passes_text(_median_passes([r.batch_default for r in rounds]))
            + "; forced delta: " + _passes_text(_median_passes([r.batch_forced_delta for r in rounds])), ""]


def _median_passes(runs: list[Measured]) -> dict[str, float]:
    names = list(dict.fromkeys(p for m in runs for p in m.summary["pass_seconds"]))
    return {p: _med([m.summary["pass_seconds"].get(p, 0.0) for m in runs]) for p in names}


def _passes_text(passes: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.3f}" for name, seconds in passes.items())


def _at_least(value: float, target: float) -> str:
    return "met" if value >= target else "**missed**"


if __name__ == "__main__":
    main()
