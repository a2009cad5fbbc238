"""What a symbol's vector is computed from: its kind and names, its signature, its docstring and the
start of its body.

A function is often found by what it does rather than by what it is called: "the panel title loses
its background" is about `Panel.__rich_console__`, whose name and docstring say nothing of titles.
The start of the body (the lines after the signature, the docstring left out, each line stripped, at
most BODY_START_CHARS characters; the model reads its first 256 word pieces of the whole) carries
those words. On the dev set of `codekg locate`, function Acc@10 with vectors of the signature and
docstring alone was 0.607, with the start of the body 0.630, and 0.578 without vectors (docs/accuracy.md).

The body is read from the repository as it is when the search file is written (`SourceLines`, each
file confined to the indexed root); a symbol's cached vector is keyed by the hash of this whole text,
so a changed body is embedded again and an unchanged one never is.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from codekg.api.security import confine_path
from codekg.errors import PathOutsideRootError
from codekg.search.tokens import split_identifier

EMBEDDED_LABELS = ("Module", "Class", "Interface", "Enum", "Type", "Function", "Method")  # variables: many, and little to say
# whose vector reads the start of its body; a module's "body" is its imports, which say little
BODY_START_LABELS = ("Class", "Interface", "Enum", "Type", "Function", "Method")
BODY_START_CHARS = 1200
HEADER_LINES = 40  # a signature's text is looked for in this many first lines of its symbol (else one is skipped)
HEAD_CHARS = 2000  # of the kind, names, signature and docstring
OPEN_FILES = 64  # files whose lines are kept while a search file is written (rows come file by file)
_LEADING_STRING = re.compile(r"\s*[rRuUbBfF]{0,2}(\"\"\"|'''|\"|')(.*?)\1", re.S)


def embedding_text(label: str, name: str, qualified_name: str, signature: str, docstring: str, body_start: str = "") -> str:
    """The text a symbol's vector is computed from: its kind, its name as words, qualified name,
    signature and docstring (at most HEAD_CHARS characters), then ``body_start``."""
    head = f"{label.lower()} {' '.join(split_identifier(name))}: {qualified_name}"
    text = "\n".join(part for part in (head, signature.strip(), docstring.strip()) if part)[:HEAD_CHARS]
    return f"{text}\n{body_start}" if body_start else text


def body_start(lines: list[str], start_line: int, end_line: int, signature: str) -> str:
    """The start of the body of the symbol on ``lines[start_line - 1:end_line]``: the lines after the
    one that ends its signature (its decorators and a signature over several lines skipped: the
    first lines that hold the signature's text, spaces aside), without a docstring that opens them,
    each stripped, blank ones left out; at most BODY_START_CHARS characters."""
    span = lines[max(start_line, 1) - 1:max(end_line, 0)]
    header, seen, skip = "".join(signature.split()), "", 1
    for index, line in enumerate(span[:HEADER_LINES]):
        seen += "".join(line.split())
        if header and header in seen:
            skip = index + 1
            break
    rest = "\n".join(span[skip:])
    docstring = _LEADING_STRING.match(rest)
    if docstring is not None:
        rest = rest[docstring.end():]
    return "\n".join(line.strip() for line in rest.splitlines() if line.strip())[:BODY_START_CHARS]


class SourceLines:
    """The lines of the indexed files, read from the repository at ``root`` (never outside it); a file
    that cannot be read has none. The last OPEN_FILES files read are kept."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.of = lru_cache(maxsize=OPEN_FILES)(self._read)

    def _read(self, path: str) -> list[str]:
        try:
            return confine_path(self.root, path).read_bytes().decode("utf-8", errors="replace").splitlines()
        except (OSError, PathOutsideRootError):
            return []


def symbol_embedding_text(label: str, row: Any, source: SourceLines | None) -> str:
    """The embedding text of a symbol row (a graph node row, or a search row with the same keys);
    without ``source``, no body start."""
    body = (body_start(source.of(row["file_path"]), row["start_line"], row["end_line"], row["signature"])
            if source is not None and label in BODY_START_LABELS else "")
    return embedding_text(label, row["name"], row["qualified_name"], row["signature"], row["docstring"], body)


def vector_text_kind(source: SourceLines | None) -> str:
    """What text hashes made with ``source`` were computed from, as the search file records it: a
    file whose hashes were made otherwise (another BODY_START_CHARS, no body) has them made again."""
    return f"signature, docstring and {BODY_START_CHARS} characters of body" if source is not None else "signature and docstring"


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
