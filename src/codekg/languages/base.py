"""What every language extractor provides, and shared tree-sitter helpers.

An extractor is pure: ``extract(path, source)`` depends only on its arguments and the extractor's
``version``, which later keys the parse cache.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from typing import Generic, Iterable, Iterator, TypeVar

import tree_sitter as ts

from codekg.records import FileParse, LocalBinding, Scope

# Bounds on what a definition's scope path may hold, so no input makes names grow without limit (a
# path repeats every ancestor's name: nested definitions cost depth² characters). Constants rather
# than settings: extraction is cached by content and extractor version, so a limit is part of it.
MAX_NESTING_DEPTH = 64
"""Definitions nested deeper than this are folded into their deepest kept ancestor (CPython itself
refuses more than 100 levels of indentation)."""
MAX_SCOPE_PATH_CHARS = 1000
"""A definition whose scope path (names joined with dots) would be longer is folded the same way."""


class ExtractionSwitches:
    """The settings that change what an extractor emits, set by the parse pass before it forks its
    workers (passes/parse.py), so every extractor of a run sees the run's settings; each is part of
    every parse-cache key (`cache_suffix`).

    - ``flow_facts``: whether extractors emit value-flow facts (`FileParse.flow`), as the `value_flow`
      setting says; the facts cost parse time and cache space only where they are used.
    - ``sql_dialect`` / ``sql_folder_dialects``: the SQL dialect of `.sql` files and of SQL string
      literals in code (the `sql_dialect` and `sql_folder_dialects` settings; a file's own
      `-- dialect:` comment comes first)."""

    flow_facts: bool = True
    sql_dialect: str = "ansi"
    sql_folder_dialects: dict[str, str] = {}

    def sql_dialect_for(self, path: str, source: bytes = b"") -> str:
        """sqlglot's dialect for the SQL of repo-relative ``path`` (UnknownDialectError if none)."""
        from codekg.sql.dialects import file_dialect

        return file_dialect(path, source, self.sql_dialect, self.sql_folder_dialects)

    def cache_suffix(self, path: str) -> str:
        """What the switches add to ``path``'s cache key: a record is reused only under the same ones."""
        from codekg.sql.dialects import folder_dialect

        return ("+flow" if self.flow_facts else "") + "+sql:" + folder_dialect(path, self.sql_dialect, self.sql_folder_dialects)


EXTRACTION = ExtractionSwitches()


class LanguageExtractor(ABC):
    """One language: which files it claims, how it parses them, how module names are formed."""

    name: str
    extensions: tuple[str, ...]
    version: str  # bump when the output for the same input changes
    # Resolution tables: the small facts about a language the shared resolvers need.
    builtin_names: frozenset[str] = frozenset()  # names callable with no import (recorded as `<builtin>.name`)
    self_receivers: tuple[str, ...] = ()  # receivers meaning "this instance/class" inside a method
    constructor_name: str = ""  # the method a class instantiation runs
    # `C.m()` on the class itself reaches static members only (JS), not any method (Python's `C.m(obj)`);
    # and an instance's `x.m()` reaches no static member
    static_members_only_on_class: bool = False
    resolution_family: str = ""  # languages that can import and call each other share a family
    # Whether files with no import or export ("classic scripts") share one global scope, as the
    # <script>s of a web page do: only then can a name bound nowhere in a file mean another file's.
    scripts_share_globals: bool = False
    # Whether the extractor's own warnings name each syntax error (line, message): then the generic
    # "N region(s) skipped" warning would only repeat them.
    describes_syntax_errors: bool = False
    # Whether a file of the language is an importable unit with code of its own (a Module node); a SQL
    # script or a package manifest is not: its statements or its package hang off the File.
    defines_module: bool = True

    @abstractmethod
    def extract(self, path: str, source: bytes) -> FileParse:
        """Parse ``source`` (the bytes of repo-relative ``path``) into a FileParse."""

    @abstractmethod
    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        """Dotted module name of repo-relative ``path``."""

    def import_aliases(self, path: str, language_paths: set[str]) -> tuple[str, ...]:
        """Other names ``path`` may be imported under, given every file of this language."""
        return ()


class TreeSitterExtractor(LanguageExtractor):
    """Shared plumbing: a parser per language and ``.scm`` queries stored beside the module."""

    query_files: tuple[str, ...]  # `.scm` files beside this module, joined into one query

    @abstractmethod
    def tree_sitter_language(self, path: str) -> ts.Language:
        """The grammar for ``path`` (TypeScript picks TSX by extension)."""

    @cached_property
    def _query_source(self) -> str:
        package = resources.files("codekg.languages")
        return "\n".join(package.joinpath(name).read_text("utf-8") for name in self.query_files)

    def query_for(self, language: ts.Language) -> ts.Query:
        cache = self.__dict__.setdefault("_queries", {})
        key = id(language)
        if key not in cache:
            cache[key] = ts.Query(language, self._query_source)
        return cache[key]

    def parse_tree(self, path: str, source: bytes) -> tuple[ts.Tree, ts.Query]:
        language = self.tree_sitter_language(path)
        parsers = self.__dict__.setdefault("_parsers", {})
        parser = parsers.get(id(language))
        if parser is None:
            parser = parsers[id(language)] = ts.Parser(language)
        return parser.parse(source), self.query_for(language)


def node_text(node: ts.Node | None) -> str:
    """The node's source text, decoded leniently (invalid UTF-8 never aborts extraction)."""
    text = None if node is None else node.text  # each `.text` copies the node's bytes out of the source: once
    return "" if text is None else text.decode("utf-8", errors="replace")


def error_regions(root: ts.Node) -> list[tuple[int, int]]:
    """The (first, last) lines, 1-based, of each ERROR or MISSING node, without descending into an
    ERROR node, in source order."""
    if not root.has_error:
        return []
    regions = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            regions.append((node.start_point[0] + 1, max(node.end_point[0] + 1 - (node.end_point[1] == 0), node.start_point[0] + 1)))
            continue
        if node.has_error:
            stack.extend(node.children)
    return sorted(regions)


SHOWN_ERROR_REGIONS = 5
SYNTAX_ERRORS = "syntax errors at line"  # how the warning starts: the run summary gives it its own kind


def syntax_error_warning(regions: list[tuple[int, int]]) -> list[str]:
    """The warning of a file's syntax errors, naming their lines: a parser recovers from an error by
    skipping a region, which may swallow the definitions after it (an unclosed bracket can reach the
    end of the file), so "the rest indexed" was not true."""
    if not regions:
        return []
    regions = sorted(set(regions))  # two errors of one line are one place to look
    shown = ", ".join(str(first) if first == last else f"{first}-{last}" for first, last in regions[:SHOWN_ERROR_REGIONS])
    more = f" and {len(regions) - SHOWN_ERROR_REGIONS} more" if len(regions) > SHOWN_ERROR_REGIONS else ""
    return [f"{SYNTAX_ERRORS}{'s' if len(regions) > 1 or regions[0][0] != regions[0][1] else ''} {shown}{more}: "
            "definitions there, or after them, may be missing from the index"]


def line_count(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def iter_matches(query: ts.Query, root: ts.Node) -> Iterator[tuple[int, dict[str, list[ts.Node]]]]:
    yield from ts.QueryCursor(query).matches(root)


def unique_local_bindings(bindings: Iterable[LocalBinding]) -> list[LocalBinding]:
    """Each binding once per (scope, name, region), in the order given."""
    seen: set[tuple[Scope, str, int, int]] = set()
    found = []
    for binding in bindings:
        key = (binding.scope, binding.name, binding.region_start, binding.region_end)
        if key not in seen:
            seen.add(key)
            found.append(binding)
    return found


WHOLE_SCOPE = (0, 0)
"""The region of a binding that belongs to its scope itself rather than to an anonymous function."""


T = TypeVar("T")


class NestedRanges(Generic[T]):
    """The innermost of properly nested byte ranges (tree nodes) around a node, by binary search.

    ``Node.parent`` costs O(depth) in tree-sitter, so walking up from every node is quadratic or
    worse in nesting depth; this answers "which range encloses it" without touching the tree.
    """

    def __init__(self, ranges: Iterable[tuple[int, int, int, T]]) -> None:
        """``ranges``: (start byte, end byte, node id, value); empty ranges are left out. Of two equal
        ranges (a block holding one statement) the one given first is taken as the outer one."""
        self._ranges = sorted((r for r in ranges if r[1] > r[0]), key=lambda r: (r[0], -r[1]))
        self._parent: list[int] = []
        # the innermost range open from each segment start on (-1: none)
        self._segment_starts: list[int] = [0]
        self._segment_owners: list[int] = [-1]
        stack: list[int] = []
        for index, (start, end, _, _) in enumerate(self._ranges):
            self._close(stack, start)
            self._parent.append(stack[-1] if stack else -1)
            stack.append(index)
            self._segment_starts.append(start)
            self._segment_owners.append(index)
        self._close(stack, None)

    def _close(self, stack: list[int], before: int | None) -> None:
        while stack and (before is None or self._ranges[stack[-1]][1] <= before):
            closed = stack.pop()
            self._segment_starts.append(self._ranges[closed][1])
            self._segment_owners.append(stack[-1] if stack else -1)

    def around(self, node: ts.Node) -> T | None:
        """The value of the innermost range holding ``node`` (never ``node``'s own), or None. The
        steps up from the innermost range at its start pass only ranges that start there too."""
        start, end, node_id = node.start_byte, node.end_byte, node.id
        index = self._segment_owners[bisect_right(self._segment_starts, start) - 1]
        while index >= 0:
            range_start, range_end, range_id, value = self._ranges[index]
            if range_start <= start and end <= range_end and range_id != node_id:
                return value
            index = self._parent[index]
        return None


class Regions(Generic[T]):
    """The nodes of a file that scope others (functions, classes, ...), each under a kind, and the
    innermost one of some kinds around a node. One NestedRanges per set of kinds asked about, so a
    question never steps over regions of other kinds (nested lambdas, say) to reach its answer."""

    def __init__(self, regions: Iterable[tuple[str, ts.Node, T]]) -> None:
        """``regions``: (kind, node, value), outer ones first where two nodes span the same bytes."""
        self._regions = list(regions)
        self._by_kinds: dict[frozenset[str], NestedRanges[tuple[str, ts.Node, T]]] = {}

    def innermost(self, node: ts.Node, kinds: frozenset[str]) -> tuple[str, ts.Node, T] | None:
        """(kind, node, value) of the innermost region of one of ``kinds`` around ``node``, or None."""
        index = self._by_kinds.get(kinds)
        if index is None:
            index = self._by_kinds[kinds] = NestedRanges(
                (region.start_byte, region.end_byte, region.id, (kind, region, value))
                for kind, region, value in self._regions if kind in kinds)
        return index.around(node)


_FOLD_CAUSES = {"depth": f"nesting deeper than {MAX_NESTING_DEPTH} definitions",
                "length": f"scope path longer than {MAX_SCOPE_PATH_CHARS} characters"}


@dataclass(slots=True)
class FoldedDefinitions:
    """Definitions left out for the bounds above, kept for the file's warning: never a silent cut.
    A folded definition is no node: its calls and bindings belong to its deepest kept ancestor."""

    # cause -> (line, kept ancestor's path, the ancestor's line) of each folded definition
    folded: dict[str, list[tuple[int, Scope, int]]] = field(default_factory=dict)

    def place(self, parent: Scope, parent_line: int, name: str, line: int, parent_cause: str = "") -> str:
        """Why the definition ``name`` inside ``parent`` (the kept ancestor) is folded into it, or ""
        when it keeps its own path ``(*parent, name)``. Inside a folded definition (``parent_cause``)
        everything is folded for the same reason."""
        cause = parent_cause
        if not cause and len(parent) + 1 > MAX_NESTING_DEPTH:
            cause = "depth"
        elif not cause and sum(map(len, parent)) + len(parent) + len(name) > MAX_SCOPE_PATH_CHARS:
            cause = "length"
        if cause:
            self.folded.setdefault(cause, []).append((line, parent, parent_line))
        return cause

    def warnings(self) -> list[str]:
        found = []
        for cause, folded in sorted(self.folded.items()):
            line, into, into_line = min(folded)
            others = len({ancestor for _, ancestor, _ in folded}) - 1
            target = f"{into[-1][:80]} (line {into_line})" if into else "the module"
            more = f" and {others} other definition(s)" if others else ""
            found.append(f"{_FOLD_CAUSES[cause]}: {len(folded)} definition(s) from line {line} on folded into "
                         f"{target}{more}, which takes their calls")
        return found
