"""From a git diff to the symbols it changes and their upstream impact (`codekg detect-changes`).

Takes: a read-only store, the repository root (a git work tree, or a folder inside one), which diff
to read, and the impact parameters. Returns a JSON-ready dict: the diff's files and hunks, the
changed symbols, and the merged upstream blast radius of the innermost ones (`impact.py`).

Which diff (always `git diff -U0 --no-renames`, paths relative to the root, untracked files not
included; a rename is its old path deleted plus its new path added):
- default: the working tree against HEAD (staged and unstaged edits together);
- `staged`: the git index against HEAD (what `git commit` would record);
- `base=REF`: against the merge base of REF and HEAD instead of HEAD, i.e. everything this branch
  changed since it left REF plus the edits not committed yet (the working tree, or with `staged`
  the git index): what a pull request from here would contain.

Which line numbers: the index may describe either side of the diff. For each file, the indexed
content hash is compared with both sides: when the index holds the new side (it was re-indexed
after the edit), hunks are matched on their new lines; when it holds the old side (indexed before
the edit), on their old lines, which also finds deleted definitions. When it holds neither, new
lines are used and a warning says the line numbers may be stale; so does a HEAD that differs
from the commit the index was built at. An index built after the edit no longer holds what it
deleted: the old side of each such file is parsed as the index would parse it, and its definitions
the index has no definition of that name for are `deleted` (`_gone_since`); their callers, whose
calls now resolve to nothing, are read from the files as they are (`_callers_of_gone`). A hunk with
no line on the matched side (it only adds or only removes lines) is matched on the two lines around
the gap: it changes a definition that holds both, the one whose last line it follows when it
continues it (indented deeper than the definition's first line, which does not end with a closing
brace: a statement added at the end of a Python body), and the one whose first line it precedes
when it ends with a decorator or a comment.
Hunks that only add or remove blank lines are ignored.

Which symbols: every definition (`CHANGE_LABELS`: code, SQL statements, tables, views and columns,
ontology terms) whose [start_line, end_line] overlaps a hunk, plus the Module. A symbol is
`innermost` when no other overlapping definition lies inside it; the Module is innermost when the
hunk touches a line no definition covers and that is not blank (module-level code), or, for a hunk
with no line on the matched side, when it touches no definition. Enclosing symbols are listed for
orientation; only the innermost ones seed the impact, since an edit inside a method does not change
the class's other members. A deleted symbol seeds the impact too, innermost or not (its callers
are now broken), and every symbol of a deleted file is changed and innermost. `change` is `deleted`
when the symbol lies wholly inside lines a hunk removes (old side) and its name does not occur in
the lines the hunk puts in their place, `added` likewise the other way round (new side), else
`modified`.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from codekg.analysis.impact import Hop, blast_radius, check_arguments, impact_report
from codekg.analysis.source import OutsideRootError, read_source_bytes
from codekg.analysis.symbols import Symbol
from codekg.errors import GitError
from codekg.file_names import stored_path
from codekg.settings import Settings
from codekg.stores.base import GraphStore

# Every node a file defines at lines of its own: code, SQL (statements, the tables and views they
# create, their columns) and ontology terms.
CHANGE_LABELS = ("Module", "Class", "Interface", "Enum", "Type", "Function", "Method", "Variable",
                 "SqlStatement", "Table", "View", "Column", "Ontology", "OntologyClass", "OntologyProperty", "Axiom")
_HUNK = re.compile(rb"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_STATUS = {"A": "added", "D": "deleted", "M": "modified", "T": "modified"}


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_lines: int
    new_start: int
    new_lines: int

    def lines(self, side: str) -> tuple[int, int]:
        """The changed lines on ``side``; a pure insertion or deletion is the two lines around its gap."""
        start, count = (self.new_start, self.new_lines) if side == "new" else (self.old_start, self.old_lines)
        return (start, start + count - 1) if count else (max(start, 1), start + 1)

    def to_dict(self) -> dict[str, int]:
        return {"old_start": self.old_start, "old_lines": self.old_lines, "new_start": self.new_start,
                "new_lines": self.new_lines}


@dataclass(slots=True)
class FileDiff:
    path: str  # as the index stores it (`stored_path`)
    status: str  # added, modified, deleted
    hunks: list[Hunk] = field(default_factory=list)
    indexed: str = "missing"  # which side the index holds: new, old, stale (neither), missing
    name_on_disk: str = ""  # the real name when it is not UTF-8 (surrogate-escaped); "" when it is `path`

    @property
    def git_name(self) -> str:
        return self.name_on_disk or self.path


def detect_changes(store: GraphStore, repo_root: Path, base: str | None = None, staged: bool = False,
                   depth: int = 3, min_confidence: float = 0.0, settings: Settings | None = None) -> dict[str, Any]:
    """The changed symbols of the diff (see the module docstring) and their upstream impact.
    ``settings`` name the old side's definitions as the index would (its source roots)."""
    check_arguments(depth, "upstream", min_confidence)
    root = repo_root.resolve()
    _git(root, "rev-parse", "--show-toplevel", failure="{root} is not inside a git work tree")
    head = _commit(root, "HEAD", "the repository has no commit yet")
    old = head
    if base is not None:
        base_commit = _commit(root, base, f"unknown git ref {base!r}")
        old = _git(root, "merge-base", base_commit, head,
                   failure=f"{base!r} and HEAD have no common ancestor").decode().strip()
    files = _diff_files(root, old, staged)
    index_commit = _index_commit(store)
    warnings = []
    if index_commit != head:
        warnings.append(f"the index was built at commit {index_commit[:12] or '(none)'}, HEAD is {head[:12]}: "
                        "line numbers may be stale; run `codekg index` to refresh it")
    symbols_by_file = _indexed_symbols(store, [f.path for f in files])
    sides = _sides(root, files, old, staged)
    _match_index_sides(store, files, sides)
    stale = [f.path for f in files if f.indexed == "stale"]
    if stale:
        warnings.append(f"the index holds neither side of the diff for {', '.join(stale)}: matched on new line "
                        "numbers, which may be stale")
    settings = settings or Settings()
    gone = _gone_since(files, symbols_by_file, sides, settings)
    changed = _sorted_changes([*_changed_symbols(files, symbols_by_file, sides), *gone])
    seeds = [symbol for symbol, change, innermost in changed if innermost or change == "deleted"]
    callers = _callers_of_gone(store, root, [symbol for symbol, _, _ in gone], settings)
    affected = blast_radius(store, seeds, depth, "upstream", min_confidence, callers)
    return {
        "repo_root": str(root),
        "diff": {"mode": "staged" if staged else "working-tree", "base": base or "HEAD", "old_commit": old,
                 "head_commit": head},
        "index_commit": index_commit,
        "index_matches_head": index_commit == head,
        "warnings": warnings,
        "files": [{"file_path": f.path, "status": f.status, "indexed": f.indexed,
                   "hunks": [h.to_dict() for h in f.hunks]} for f in files],
        "changed_symbols": [{**symbol.to_dict(), "change": change, "innermost": innermost,
                             "seeds_impact": innermost or change == "deleted"}
                            for symbol, change, innermost in changed],
        "impact": impact_report(affected, depth, "upstream", min_confidence),
    }


# --- git ---------------------------------------------------------------------------------------


def _git(root: Path, *args: str, failure: str, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), "-c", "core.quotePath=false", *args], input=stdin,
                              capture_output=True, timeout=120)
    except FileNotFoundError:
        raise GitError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"`git {' '.join(args)}` took longer than 120 s") from None
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(failure.format(root=root) + (f" ({detail[-1]})" if detail else ""))
    return done.stdout


def _commit(root: Path, ref: str, failure: str) -> str:
    return _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}",
                failure=failure).decode().strip()


def _diff(root: Path, old: str, staged: bool, *output: str) -> bytes:
    return _git(root, "diff", *output, "--no-renames", "--no-ext-diff", "--no-textconv", "--no-color", "--relative",
                *(["--cached"] if staged else []), old, "--", failure="git diff failed")


def _diff_files(root: Path, old: str, staged: bool) -> list[FileDiff]:
    """The changed files with their hunks: statuses from `--name-status -z`, hunks from `-U0`."""
    listing = _diff(root, old, staged, "--name-status", "-z").split(b"\0")
    files = {}
    for status, path in zip(listing[0::2], listing[1::2]):
        if path:
            name = path.decode("utf-8", "surrogateescape")
            stored = stored_path(name)
            files[name] = FileDiff(stored, _STATUS.get(status.decode()[:1], "modified"), name_on_disk="" if stored == name else name)
    patch = _diff(root, old, staged, "-U0", "--src-prefix=a/", "--dst-prefix=b/")
    current: FileDiff | None = None
    for line in patch.split(b"\n"):
        if line.startswith(b"diff --git "):
            current = None
        elif line.startswith((b"--- ", b"+++ ")):
            path = _patch_path(line[4:])
            if path is not None and path in files:
                current = files[path]
        elif current is not None and (match := _HUNK.match(line)):
            old_start, old_lines, new_start, new_lines = match.groups()
            current.hunks.append(Hunk(int(old_start), int(old_lines if old_lines is not None else 1),
                                      int(new_start), int(new_lines if new_lines is not None else 1)))
    return sorted(files.values(), key=lambda f: f.path)


def _patch_path(raw: bytes) -> str | None:
    """`a/src/x.py` or `"b/na\\303\\257ve.py"` (git's C quoting) → `src/x.py`; `/dev/null` → None."""
    raw = raw.rstrip(b"\t")
    if raw.startswith(b'"') and raw.endswith(b'"'):
        raw = codecs.escape_decode(raw[1:-1])[0]
    if raw == b"/dev/null" or len(raw) < 2:
        return None
    return raw[2:].decode("utf-8", "surrogateescape")


def _blobs(root: Path, specs: list[str]) -> dict[str, bytes | None]:
    """Contents of `<rev>:./<path>` (or `:./<path>`, the git index) for every spec, in one `git cat-file`."""
    specs = [s for s in dict.fromkeys(specs) if "\n" not in s]
    if not specs:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{s}\n" for s in specs).encode("utf-8", "surrogateescape"),
               failure="git cat-file failed")
    contents: dict[str, bytes | None] = {}
    position = 0
    for spec in specs:
        end = out.index(b"\n", position)
        header = out[position:end].split()
        position = end + 1
        if len(header) == 3 and header[1] != b"missing":
            size = int(header[2])
            contents[spec] = out[position : position + size]
            position += size + 1
        else:
            contents[spec] = None
    return contents


# --- matching the index ------------------------------------------------------------------------


def _index_commit(store: GraphStore) -> str:
    return store.reads.metadata(["commit"]).get("commit") or ""


def _indexed_symbols(store: GraphStore, paths: list[str]) -> dict[str, list[Symbol]]:
    found: dict[str, list[Symbol]] = {path: [] for path in paths}
    if not paths:
        return found
    for row in store.reads.nodes(CHANGE_LABELS, where={"file_path": paths}):
        symbol = Symbol.from_row(row)
        found[symbol.file_path].append(symbol)
    return found


def _sides(root: Path, files: list[FileDiff], old: str, staged: bool) -> dict[str, tuple[bytes | None, bytes | None]]:
    """(old content, new content) per file; None where that side has no file."""
    specs = [f"{old}:./{f.git_name}" for f in files if f.status != "added"]
    if staged:
        specs += [f":./{f.git_name}" for f in files if f.status != "deleted"]
    blobs = _blobs(root, specs)
    sides = {}
    for f in files:
        old_content = blobs.get(f"{old}:./{f.git_name}") if f.status != "added" else None
        new_content = None
        if f.status != "deleted":
            new_content = blobs.get(f":./{f.git_name}") if staged else _working_copy(root, f.git_name)
        sides[f.path] = (old_content, new_content)
    return sides


def _working_copy(root: Path, path: str) -> bytes | None:
    try:
        return read_source_bytes(root, path)
    except (OutsideRootError, OSError):
        return None


def _match_index_sides(store: GraphStore, files: list[FileDiff], sides: dict[str, tuple[bytes | None, bytes | None]]) -> None:
    """Set each file's `indexed` to the side of the diff its indexed content hash equals."""
    rows = store.reads.nodes("File", where={"file_path": [f.path for f in files]}, columns=("file_path", "content_hash"))
    indexed_hash = {path: digest for path, digest in rows}
    for f in files:
        old_content, new_content = sides[f.path]
        digest = indexed_hash.get(f.path)
        if digest is None:
            f.indexed = "missing"
        elif new_content is not None and hashlib.sha256(new_content).hexdigest() == digest:
            f.indexed = "new"
        elif old_content is not None and hashlib.sha256(old_content).hexdigest() == digest:
            f.indexed = "old"
        else:
            f.indexed = "stale"


def _changed_symbols(files: list[FileDiff], symbols_by_file: dict[str, list[Symbol]],
                     sides: dict[str, tuple[bytes | None, bytes | None]]) -> list[tuple[Symbol, str, bool]]:
    """(symbol, change, innermost) for every symbol the diff touches, in file and line order."""
    changed: dict[str, tuple[Symbol, str, bool]] = {}
    for f in files:
        symbols = symbols_by_file.get(f.path, [])
        if f.status == "deleted":
            for symbol in symbols:
                changed[symbol.id] = (symbol, "deleted", True)
            continue
        side = "old" if f.indexed == "old" else "new"
        old_lines, new_lines = ((content or b"").splitlines() for content in sides[f.path])
        side_lines = old_lines if side == "old" else new_lines
        module = next((s for s in symbols if s.label == "Module"), None)
        definitions = [s for s in symbols if s.label != "Module"]
        for hunk in f.hunks:
            removed = old_lines[hunk.old_start - 1 : hunk.old_start - 1 + hunk.old_lines] if hunk.old_lines else []
            added = new_lines[hunk.new_start - 1 : hunk.new_start - 1 + hunk.new_lines] if hunk.new_lines else []
            if not any(line.strip() for line in removed + added):
                continue  # blank lines only
            first, last = hunk.lines(side)
            has_lines = hunk.old_lines if side == "old" else hunk.new_lines
            touched = [s for s in definitions if s.start_line <= last and s.end_line >= first
                       and (has_lines or _gap_touches(s, first, added if side == "old" else removed, side_lines))]
            replacement = b"\n".join(added if side == "old" else removed)
            for symbol in touched:
                inner = not any(o is not symbol and symbol.start_line <= o.start_line and o.end_line <= symbol.end_line
                                and (o.start_line, o.end_line) != (symbol.start_line, symbol.end_line) for o in touched)
                gone = (has_lines and first <= symbol.start_line and symbol.end_line <= last
                        and not re.search(rb"\b%s\b" % re.escape(symbol.name.encode()), replacement))
                _merge(changed, symbol, ("deleted" if side == "old" else "added") if gone else "modified", inner)
            if module is not None:
                start, count = (hunk.old_start, hunk.old_lines) if side == "old" else (hunk.new_start, hunk.new_lines)
                module_level = [line for line in range(start, start + count)
                                if line <= len(side_lines) and side_lines[line - 1].strip()
                                and not any(s.start_line <= line <= s.end_line for s in touched)]
                # a hunk with no line on this side (a pure insertion or deletion) is module-level code
                # only when it lies between definitions
                _merge(changed, module, "modified", bool(module_level) if count else not touched)
    return list(changed.values())


def _sorted_changes(changed: list[tuple[Symbol, str, bool]]) -> list[tuple[Symbol, str, bool]]:
    return sorted(changed, key=lambda c: (c[0].file_path, c[0].start_line, -c[0].end_line, c[0].qualified_name))


def _gone_since(files: list[FileDiff], symbols_by_file: dict[str, list[Symbol]],
                sides: dict[str, tuple[bytes | None, bytes | None]], settings: Settings) -> list[tuple[Symbol, str, bool]]:
    """The definitions the diff deleted that the index no longer holds: when it was built after the
    edit (it holds the new side, or neither), the old side is parsed as the index would parse it, and
    every definition of it that the index has no definition of that name for is deleted (a deleted
    file: all of them, each innermost, as `_changed_symbols` has them). On the old side's lines;
    innermost when no other deleted one lies inside."""
    gone: list[tuple[Symbol, str, bool]] = []
    for f in files:
        old_content = sides[f.path][0]
        if f.indexed == "old" or old_content is None:
            continue  # the index holds the old side: `_changed_symbols` finds its deletions
        kept = {symbol.qualified_name for symbol in symbols_by_file.get(f.path, [])} if f.status != "deleted" else set()
        deleted = [symbol for symbol in _definitions(f.path, old_content, settings)
                   if symbol.qualified_name not in kept and (symbol.label != "Module" or f.status == "deleted")]
        gone += [(symbol, "deleted", f.status == "deleted" or not any(
            other is not symbol and symbol.start_line <= other.start_line and other.end_line <= symbol.end_line
            and (other.start_line, other.end_line) != (symbol.start_line, symbol.end_line) for other in deleted))
            for symbol in deleted]
    return gone


GONE_CALLEE_CONFIDENCE = 0.9  # a call by the deleted definition's name, in a file that imports it or defined it
GONE_CALLEE = "deleted-callee"


def _callers_of_gone(store: GraphStore, root: Path, gone: list[Symbol], settings: Settings) -> list[Hop]:
    """The calls of deleted top-level functions and classes that an index built after the edit no
    longer holds (a call of a name that is gone resolves to nothing): in the file that defined one
    and in the files whose imports still name it (or its module), each call of its name, bare or on
    the module, read from the file as it is now. Each is a hop from the deleted definition to the
    code making the call, as the index names that code."""
    from codekg.analysis.impact import importers_of

    wanted = [symbol for symbol in gone if symbol.label in ("Function", "Class") and isinstance(symbol, _OldDefinition)
              and symbol.module]
    if not wanted:
        return []
    places: dict[str, set[str]] = {}  # file -> the deleted ids whose names its calls may be
    for symbol in wanted:
        places.setdefault(symbol.file_path, set()).add(symbol.id)
    importers = [(symbol_id, importer.file_path) for symbol_id, importer in importers_of(store, wanted)]
    for symbol_id, path in [*importers, *_importers_of_gone_modules(store, wanted), *_importers_by_path(store, wanted)]:
        places.setdefault(path, set()).add(symbol_id)
    by_id = {symbol.id: symbol for symbol in wanted}
    hops = []
    for path, ids in sorted(places.items()):
        parsed = _parsed(root, path, settings)
        if parsed is None:
            continue
        parse, file_symbols = parsed
        for call in parse.calls:
            for symbol_id in sorted(ids):
                symbol = by_id[symbol_id]
                module_tail = symbol.module.rsplit(".", 1)[-1]
                if call.callee != symbol.name or (call.receiver is not None and call.receiver.rsplit(".", 1)[-1] != module_tail):
                    continue
                caller = file_symbols.ref_for_scope(call.scope, call.line)
                far = _indexed_symbol(store, caller.id)
                if far is not None:
                    hops.append(Hop(symbol_id, far, "CALLS", GONE_CALLEE_CONFIDENCE, GONE_CALLEE, call.line))
    return hops


def _importers_of_gone_modules(store: GraphStore, wanted: list["_OldDefinition"]) -> list[tuple[str, str]]:
    """(deleted id, importing file) for the modules whose imports now end at an External standing
    for a module that is gone (a deleted file: `from pkg.a import helper` imports `External:pkg.a`
    once `pkg/a.py` is deleted), where `importers_of`, which follows the imports of the indexed file,
    finds nothing."""
    from codekg.analysis.impact import importers_step
    from codekg.stores.reads import Expansion

    by_module: dict[str, list[str]] = {}
    for symbol in wanted:
        by_module.setdefault(f"External:{symbol.module}", []).append(symbol.id)
    found = store.reads.neighbours([Expansion(sorted(by_module), [importers_step()], "External")])
    return [(symbol_id, Symbol.from_row(n.node).file_path) for n in found for symbol_id in by_module[n.near]]


# the suffixes a relative JavaScript/TypeScript specifier may leave out of the file it names
_SCRIPT_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts"})


def _importers_by_path(store: GraphStore, wanted: list["_OldDefinition"]) -> list[tuple[str, str]]:
    """(deleted id, importing file) for the relative imports (`import x from '../helpers/x.js'`) that
    name a deleted file: a JavaScript import of a file that is gone leaves no edge, only the
    importer's Import node, whose name is the specifier as written. A specifier and a file match
    without their suffixes; a folder's specifier names its `index` file."""
    import posixpath

    def unsuffixed(path: str) -> str:
        stem, suffix = posixpath.splitext(path)
        return stem if suffix in _SCRIPT_SUFFIXES else path

    named_by: dict[str, list[str]] = {}  # what a specifier resolves to -> the deleted ids it names
    for symbol in wanted:
        target = unsuffixed(symbol.file_path)
        for name in (target, posixpath.dirname(target)) if posixpath.basename(target) == "index" else (target,):
            named_by.setdefault(name, []).append(symbol.id)
    found = []
    for specifier, importer in store.reads.nodes("Import", columns=("name", "file_path"), distinct=True):
        if specifier.startswith(("./", "../")):
            named = unsuffixed(posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier)))
            found += [(symbol_id, importer) for symbol_id in named_by.get(named, ())]
    return found


@dataclass(frozen=True, slots=True)
class _OldDefinition(Symbol):
    """A definition of a diff's old side: ``module`` is the module it is defined at the top of, else ""."""

    module: str = ""


def _structure(path: str, content: bytes, settings: Settings) -> tuple[Any, Any] | None:
    """(parse, structure) of ``content`` as file ``path``, as an index run makes them; None for a file
    no language claims or one its extractor fails on (an index has no definitions of it either)."""
    from codekg.language_table import language_for_path
    from codekg.passes.parse import extract_source
    from codekg.passes.structure import file_structure

    language = language_for_path(path)
    if language is None:
        return None
    try:
        parse = extract_source(path, language, content)
        return parse, file_structure(parse, settings)
    except Exception:  # noqa: BLE001 - a side the extractor cannot read: nothing to report of it
        return None


def _parsed(root: Path, path: str, settings: Settings) -> tuple[Any, Any] | None:
    """(parse, symbols) of a file as it is now; None when it cannot be read."""
    try:
        found = _structure(path, read_source_bytes(root, path), settings)
    except (OutsideRootError, OSError):
        return None
    return (found[0], found[1].symbols) if found is not None else None


def _indexed_symbol(store: GraphStore, node_id: str) -> Symbol | None:
    rows = store.reads.nodes(CHANGE_LABELS, where={"id": [node_id]})
    return Symbol.from_row(rows[0]) if rows else None


def _definitions(path: str, content: bytes, settings: Settings) -> list["_OldDefinition"]:
    """The `CHANGE_LABELS` nodes the structure pass makes of ``content`` as file ``path``, each with
    its module when it is defined at the module's top level."""
    found = _structure(path, content, settings)
    if found is None:
        return []
    structure = found[1]
    module = structure.symbols.module_name
    top_level = {ref.id for scope, ref in structure.symbols.by_path.items() if len(scope) == 1}
    return [_OldDefinition(row["id"], label, row.get("name") or "", row.get("qualified_name") or "", path,
                           int(row.get("start_line") or 0), int(row.get("end_line") or 0),
                           module if row["id"] in top_level else "")
            for label in CHANGE_LABELS for row in structure.graph.nodes.get(label, [])]


_ANNOTATION_STARTS = (b"@", b"#", b"//", b"/*", b"*")  # a decorator, or a comment above a definition
_CLOSING_ENDS = (b"}", b"};", b"})", b"});")


def _gap_touches(symbol: Symbol, before: int, block: list[bytes], side_lines: list[bytes]) -> bool:
    """Whether lines put in (or taken out) between lines ``before`` and ``before`` + 1 change
    ``symbol``: inside it, always; right after its last line, when they continue it (indented deeper
    than its first line, and it does not end with a closing brace: a statement added at the end of a
    Python body, not a new top-level definition or Turtle statement); right before its first line,
    when the last of them is a decorator or a comment above it."""
    if symbol.start_line <= before and symbol.end_line >= before + 1:
        return True
    written = [line for line in block if line.strip()]
    if not written:
        return False
    if symbol.end_line == before:
        header, last = side_lines[symbol.start_line - 1], side_lines[before - 1].rstrip()
        return _indent(written[0]) > _indent(header) and not last.endswith(_CLOSING_ENDS)
    return written[-1].lstrip().startswith(_ANNOTATION_STARTS)


def _indent(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


def _merge(changed: dict[str, tuple[Symbol, str, bool]], symbol: Symbol, change: str, innermost: bool) -> None:
    """A symbol several hunks touch: innermost if any hunk makes it so; `modified` unless every hunk agrees."""
    previous = changed.get(symbol.id)
    if previous is not None:
        change = change if previous[1] == change else "modified"
        innermost = innermost or previous[2]
    changed[symbol.id] = (symbol, change, innermost)
