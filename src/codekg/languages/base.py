"""What every language extractor provides, and shared tree-sitter helpers.

An extractor is pure: ``extract(path, source)`` depends only on its arguments and the extractor's
``version``, which later keys the parse cache.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from functools import cached_property
from importlib import resources
from typing import Iterable, Iterator

import tree_sitter as ts

from codekg.records import FileParse, LocalBinding, Scope


class LanguageExtractor(ABC):
    """One language: which files it claims, how it parses them, how module names are formed."""

    name: str
    extensions: tuple[str, ...]
    version: str  # bump when the output for the same input changes
    # Resolution tables: the small facts about a language the shared resolvers need.
    builtin_names: frozenset[str] = frozenset()  # names callable with no import (recorded as `<builtin>.name`)
    self_receivers: tuple[str, ...] = ()  # receivers meaning "this instance/class" inside a method
    constructor_name: str = ""  # the method a class instantiation runs
    # `C.m()` on the class itself reaches static members only (JS), not any method (Python's `C.m(obj)`)
    static_members_only_on_class: bool = False
    resolution_family: str = ""  # languages that can import and call each other share a family
    # Whether files with no import or export ("classic scripts") share one global scope, as the
    # <script>s of a web page do: only then can a name bound nowhere in a file mean another file's.
    scripts_share_globals: bool = False

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
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def count_error_regions(root: ts.Node) -> int:
    """Number of ERROR or MISSING nodes, without descending into an ERROR node."""
    if not root.has_error:
        return 0
    count = 0
    stack = [root]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            count += 1
            continue
        if node.has_error:
            stack.extend(node.children)
    return count


def line_count(source: bytes) -> int:
    if not source:
        return 0
    return source.count(b"\n") + (0 if source.endswith(b"\n") else 1)


def enclosing_scope(node: ts.Node, scope_of: dict[int, Scope]) -> Scope:
    """Scope of ``node``: the path of its nearest ancestor registered in ``scope_of`` (by node id)."""
    parent = node.parent
    while parent is not None:
        found = scope_of.get(parent.id)
        if found is not None:
            return found
        parent = parent.parent
    return ()


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


def binding_function(node: ts.Node, function_types: frozenset[str], stop_types: frozenset[str]) -> ts.Node | None:
    """The innermost function-like ancestor of a bound name, the root when there is none, or None when
    a ``stop_types`` node (a class body: its bindings are Variables) comes first."""
    parent = node.parent
    while parent is not None:
        if parent.type in function_types:
            return parent
        if parent.type in stop_types:
            return None
        if parent.parent is None:
            return parent
        parent = parent.parent
    return None
