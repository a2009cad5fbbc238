"""The final order of search hits, the same in every mode: how the query names a symbol first, then
source before tests, then the mode's own score.

A person who types a name wants that symbol, not the twenty tests whose names contain it (flask's
`url_for` came 12th behind `test_url_for_*` on BM25 alone). So each candidate gets a match tier from
its name and qualified name against the query as typed, and the tiers order the hits before any score:

0. the qualified name is the query, or ends with it after a dot (`url_for`, `Flask.url_for`,
   `flask.helpers.url_for`), case as typed;
1. the same, case and underscores aside (`URL_FOR`, `flask.url_for` for `Flask.url_for`, `urlFor`
   for `url_for`);
2. the name starts with the query (`url_` finds `url_for`, `url_quote`), case and underscores aside;
3. the qualified name holds the query, case aside (`helpers.url` in `flask.helpers.url_for`);
4. the rest: words of a question, a docstring, a signature.

Two or three plain words are the name they spell joined (`url for` is `url_for`, or `urlFor`): a
name is often typed as words. Any other query that is not one identifier or dotted name (more words,
or other characters) matches no tier below 4: the mode's score alone orders a question.

Tests (test folders and test files, `codekg.conventions.is_test_path`, as File.is_test),
documentation and examples (`docs/`, `docs_src/`, `examples/`, … `is_example_path`) come after the
code itself: among the symbols the query names (tiers 0 to 2: the name is the query or starts with
it), and then among all the rest (tiers 3 and 4), so the code's own matches come before the tests
and doc examples whose qualified names merely hold the query (fastapi: `response_model` gave fifty
`docs_src.response_model.*` modules and no code; `body` a docs example's `GzipRequest.body` before
`fastapi.params.Body`). Then the tier, then the score (BM25, cosine, or the fused and graph-boosted
hybrid score), then the symbol id.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass

from codekg.conventions import is_secondary_path, is_test_path
from codekg.search.store import INDEXED_LABELS, SearchStore, Symbol

_NAME_QUERY = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*\.?")
NAMES_IT = 2  # the last tier in which the query names the symbol (the name is it, or starts with it)
REST = 4


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """What a search may return: these labels only (empty: every searchable label), files whose
    repository-relative path matches ``path`` (a shell pattern, `*` crossing folders; one without a
    wildcard names a file or a folder: `src/requests` is everything under it), and test code or not."""

    labels: tuple[str, ...] = ()
    path: str = ""
    include_tests: bool = True

    def __post_init__(self) -> None:
        from codekg.errors import InputError

        by_case = {label.lower(): label for label in INDEXED_LABELS}  # `--label method` is Method
        unknown = [label for label in self.labels if label.lower() not in by_case]
        if unknown:
            raise InputError(f"cannot search label {', '.join(map(repr, unknown))}: use {', '.join(INDEXED_LABELS)}")
        object.__setattr__(self, "labels", tuple(by_case[label.lower()] for label in self.labels))
        path = self.path.removeprefix("./")  # paths are repository-relative
        object.__setattr__(self, "path", path if _has_wildcard(path) else path.rstrip("/"))

    @property
    def active(self) -> bool:
        return bool(self.labels or self.path or not self.include_tests)

    def keeps(self, symbol: Symbol) -> bool:
        return ((not self.labels or symbol.label in self.labels)
                and (not self.path or any(fnmatch.fnmatchcase(symbol.file_path, glob) for glob in self.path_globs()))
                and (self.include_tests or not is_test_path(symbol.file_path)))

    def path_globs(self) -> tuple[str, ...]:
        """The shell patterns a file's path may match: ``path``, and for one without a wildcard what
        lies under it as a folder too (`--path src/requests` gave no result: no file is called that)."""
        return (self.path,) if _has_wildcard(self.path) else (self.path, self.path + "/*")


def _has_wildcard(pattern: str) -> bool:
    return any(character in pattern for character in "*?[")


NO_FILTERS = SearchFilters()


def name_query(query: str) -> str:
    """The query as an identifier or dotted name (`url_for`, `Flask.url_for`), or "" when it is not one.
    A name as code writes it around a use is the name too: `url_for(`, `url_for()`, `.url_for`; and
    two or three plain words are the name they spell joined (`url for` is `url_for`, which
    `match_tier` also finds written `urlFor`): a name is often typed as words."""
    text = query.strip().removesuffix("()").removesuffix("(").lstrip(".").strip()
    if _NAME_QUERY.fullmatch(text):
        return text.rstrip(".")
    words = text.split()
    return "_".join(words) if 2 <= len(words) <= MAX_NAME_WORDS and all(_WORD.fullmatch(word) for word in words) else ""


MAX_NAME_WORDS = 3
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def name_spellings(name: str) -> list[str]:
    """The names to look symbols up by for a query's ``name`` (its last part): as written, and with
    underscores aside when it has some (`url_for` finds `urlFor` too, a name lookup being case-blind)."""
    if not name:
        return []
    last = name.rsplit(".", 1)[-1]
    flat = last.replace("_", "")
    return [last] if flat == last or not flat else [last, flat]


def _flat(name: str) -> str:
    """A name with case and underscores aside: `url_for`, `urlFor` and `URL_FOR` are one."""
    return name.replace("_", "").lower()


TIER_NAMES = ("exact", "exact-case-aside", "prefix", "in-qualified-name", "text")  # `match` of a hit, by tier


def match_tier(name: str, symbol: Symbol) -> int:
    """How ``name`` (from ``name_query``) names ``symbol``: 0 (best) to 4 (not by its name)."""
    if not name:
        return REST
    qualified = symbol.qualified_name
    if qualified == name or qualified.endswith("." + name):
        return 0
    flat, qualified_flat = _flat(name), _flat(qualified)
    if qualified_flat == flat or qualified_flat.endswith("." + flat):
        return 1
    lowered, qualified_lower = name.lower(), qualified.lower()
    if symbol.name.lower().startswith(lowered) or _flat(symbol.name).startswith(flat):
        return 2
    if lowered in qualified_lower:
        return 3
    return REST


def ordered(query: str, scores: dict[int, float], symbols: dict[int, Symbol]) -> list[tuple[int, float]]:
    """``scores`` (rowid -> the mode's score, higher is better) in the final order described above."""
    name = name_query(query)

    def key(item: tuple[int, float]) -> tuple:
        symbol = symbols[item[0]]
        tier = match_tier(name, symbol)
        return tier > NAMES_IT, is_secondary_path(symbol.file_path), tier, -item[1], symbol.id

    return sorted(((rowid, score) for rowid, score in scores.items() if rowid in symbols), key=key)



def filtered_top(fetch: Callable[[int], list[tuple[int, float]]], limit: int, filters: SearchFilters,
                 store: SearchStore) -> list[tuple[int, float]]:
    """The ``limit`` best rows of a ranking (``fetch(depth)`` gives its best ``depth``) that ``filters``
    keep: read four times as deep until enough pass or the ranking has no more."""
    depth = limit
    while True:
        rows = fetch(depth)
        if not filters.active:
            return rows
        symbols = store.symbols(rowid for rowid, _ in rows)
        passed = [row for row in rows if filters.keeps(symbols[row[0]])]
        if len(passed) >= limit or len(rows) < depth:
            return passed[:limit]
        depth *= 4
