"""The IRIs and CURIEs a file writes: candidates for MENTIONS edges to the ontology classes of the
repository. Code: every IRI, and a CURIE written alone in quotes (`"ex:Person"`); a page's prose: every
IRI and CURIE. Which of them name a class is the resolve pass's question (resolve/ontology_terms.py)."""

from __future__ import annotations

import re

from codekg.records import TermMention

_IRI = rb"(?:https?://|urn:)[^\s<>\"'`(){}\[\],;|\\]+[^\s<>\"'`(){}\[\],;|\\.:]"
_CURIE = rb"[A-Za-z][\w-]*:[A-Za-z_][\w.-]*[\w]"
# the lookahead names every match's first byte, so the scan skips in C to where one may start: half
# the time of the bare alternation over sympy's 26 MB (0.54 s → 0.25 s), the same matches
_CODE = re.compile(rb"(?=[hu\"'`])(?:(" + _IRI + rb")|[\"'`](" + _CURIE + rb")[\"'`])")
_PROSE = re.compile(rb"(" + _IRI + rb")|(?<![\w/:.])(" + _CURIE + rb")(?![\w/:])")
MAX_MENTIONS = 500  # per file: past it, a generated file (a dump, a bundle) adds nothing a reader needs


def code_mentions(source: bytes) -> list[TermMention]:
    if b":" not in source:
        return []
    return _mentions(_CODE, source)


def prose_mentions(lines: list[tuple[int, str]]) -> list[TermMention]:
    found: list[TermMention] = []
    for number, line in lines:
        found += [TermMention(number, mention.text) for mention in _mentions(_PROSE, line.encode("utf-8"))]
    return found[:MAX_MENTIONS]


def _mentions(pattern: re.Pattern[bytes], source: bytes) -> list[TermMention]:
    found: dict[tuple[int, str], None] = {}
    line, position = 1, 0
    for match in pattern.finditer(source):
        line += source.count(b"\n", position, match.start())
        position = match.start()
        text = (match.group(1) or match.group(2)).decode("utf-8", errors="replace")
        found.setdefault((line, text), None)
        if len(found) >= MAX_MENTIONS:
            break
    return [TermMention(number, text) for number, text in found]
