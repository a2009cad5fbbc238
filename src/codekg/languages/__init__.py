"""The extractors by language name. Which language claims which file extension, and each extractor's
version, are plain data in codekg/language_table.py: what reads only those need not load tree-sitter."""

from __future__ import annotations

from codekg.language_table import language_for_path
from codekg.languages.base import LanguageExtractor
from codekg.languages.javascript import JavaScriptExtractor
from codekg.languages.manifest import ManifestExtractor
from codekg.languages.ontology import MarkdownExtractor, OntologyExtractor
from codekg.languages.python import PythonExtractor
from codekg.languages.sql import SqlExtractor
from codekg.languages.typescript import TypeScriptExtractor

EXTRACTORS: dict[str, LanguageExtractor] = {
    extractor.name: extractor
    for extractor in (PythonExtractor(), JavaScriptExtractor(), TypeScriptExtractor(), SqlExtractor(), ManifestExtractor(),
                      OntologyExtractor(), MarkdownExtractor())
}


def extractor_for_path(path: str) -> LanguageExtractor | None:
    """The extractor for repo-relative ``path``, or None when no language claims it."""
    language = language_for_path(path)
    return None if language is None else EXTRACTORS[language]
