"""Words of code: identifiers split into the words a person would type, and safe FTS5 queries.

``getUserById`` → get user by id, ``HTTPServer2`` → http server 2, ``snake_case.path/to.py`` → snake
case path to py. The index stores every searchable column as its raw text followed by these words,
so both ``getuserbyid`` and ``user`` find it; a query is split the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache

# An upper-case run before a capitalised word (HTTP|Server), a capitalised or lower-case word, an
# upper-case run, digits.
_IDENTIFIER_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_RAW_WORD = re.compile(r"\w+", re.UNICODE)

# Dropped from natural-language queries (never from inside an identifier such as `getById`); a query
# made only of these keeps them.
STOPWORDS = frozenset(
    "a an and are as at be by do does for from how i in is it me of on or that the this to what when where "
    "which who why with".split()
)


MIN_PREFIX = 3  # a shorter last word as a prefix matches most of the index, at a high cost


def split_identifier(text: str) -> list[str]:
    """The lower-case words of every identifier, dotted name or path in ``text``, in order."""
    return [part for raw in _RAW_WORD.findall(text) for part in _parts(raw)]


@lru_cache(maxsize=1 << 16)
def _parts(raw: str) -> tuple[str, ...]:
    """The words of one identifier; a non-ASCII one is kept whole (case rules differ by script).
    Memoized: the same identifiers (module and class names) recur in most qualified names and paths."""
    parts = _IDENTIFIER_PART.findall(raw) if raw.isascii() else []
    return tuple(part.lower() for part in parts) or (raw.lower(),)


def name_words(qualified_name: str) -> str:
    """The words of each part of a dotted name, and each part's words run together (`test_zebra_case`
    gives test, zebra, case and testzebracase): what a name query's `name_token` is looked up among,
    so a qualified name that holds a query (search/ranking.py, tier 3) is found by one rare word."""
    words = []
    for part in qualified_name.split("."):
        parts = split_identifier(part)
        words += parts + (["".join(parts)] if len(parts) > 1 else [])
    return " ".join(words)


def name_token(name: str) -> str:
    """The last part of a dotted name, its words run together (`name_words`); empty when it has none."""
    return "".join(split_identifier(name.rsplit(".", 1)[-1]))


@lru_cache(maxsize=1 << 16)
def indexed_text(text: str) -> str:
    """`expanded_text`, memoized: a file's path, common names and signatures repeat on every symbol
    that has them."""
    return expanded_text(text)


def expanded_text(text: str) -> str:
    """What an FTS5 column holds: the raw text, then its words where they differ from the raw tokens."""
    if not text:
        return ""
    unique = dict.fromkeys(_RAW_WORD.findall(text))  # each identifier once, in order: a body repeats most of them
    raw_tokens = {raw.lower() for raw in unique}
    extra = [word for word in dict.fromkeys(part for raw in unique for part in _parts(raw)) if word not in raw_tokens]
    return f"{text} {' '.join(extra)}" if extra else text


def expanded_body(text: str) -> str:
    """What a body column holds: the raw text, then the words of each identifier of several words, as
    often as the identifier occurs. A function that reads `chardet_version` four times is about
    "chardet" four times, though the bare word occurs once, in a message (BM25 counts occurrences)."""
    counts: dict[str, int] = {}
    for raw in _RAW_WORD.findall(text):
        counts[raw] = counts.get(raw, 0) + 1
    extra = [" ".join(parts * count) for raw, count in counts.items() if len(parts := _parts(raw)) > 1]
    return f"{text} {' '.join(extra)}" if extra else text


def match_expression(query: str, all_words: bool = False) -> str | None:
    """An FTS5 MATCH expression for ``query``: every word quoted (special characters never reach the
    parser), words OR-ed (AND-ed with ``all_words``), and the last word of three letters or more also
    as a prefix (what is still being typed). None when the query has no word at all."""
    raw_words = _RAW_WORD.findall(query)
    if not raw_words:
        return None
    kept = [raw for raw in raw_words if raw.lower() not in STOPWORDS] or raw_words
    terms: dict[str, None] = {}
    for position, raw in enumerate(kept):
        parts = _parts(raw)
        is_last = position == len(kept) - 1
        for index, part in enumerate(parts):
            terms[_quoted(part, prefix=is_last and index == len(parts) - 1 and len(part) >= MIN_PREFIX)] = None
        if len(parts) > 1 and not all_words:  # the identifier as one token, as the raw text stores it
            terms[_quoted(raw.lower(), prefix=is_last)] = None
    return (" AND " if all_words else " OR ").join(terms)


def _quoted(term: str, prefix: bool = False) -> str:
    return '"' + term.replace('"', '""') + '"' + ("*" if prefix else "")


# How often each field's words are repeated in a symbol's one search text for an engine that
# indexes a single field (CozoDB's FTS): the weights of `search.store.COLUMN_WEIGHTS`, coarsened.
TEXT_REPEATS = (("name", 3), ("qualified_name", 2), ("signature", 1), ("docstring", 1), ("file_path", 1))


def weighted_text(row: dict[str, str]) -> str:
    """The words of a symbol's name, qualified name, signature, docstring and path, in one text, the
    more telling fields repeated (`TEXT_REPEATS`)."""
    parts = []
    for field, repeats in TEXT_REPEATS:
        words = " ".join(split_identifier(row.get(field) or ""))
        parts += [words] * repeats if words else []
    return " ".join(parts)
