"""The language table: which extractor claims which file extension. Data, not if-chains."""

from __future__ import annotations

from pathlib import PurePosixPath

from codekg.languages.base import LanguageExtractor
from codekg.languages.javascript import JavaScriptExtractor
from codekg.languages.python import PythonExtractor
from codekg.languages.typescript import TypeScriptExtractor

EXTRACTORS: dict[str, LanguageExtractor] = {
    extractor.name: extractor
    for extractor in (PythonExtractor(), JavaScriptExtractor(), TypeScriptExtractor())
}

EXTRACTOR_BY_EXTENSION: dict[str, LanguageExtractor] = {
    ext: extractor for extractor in EXTRACTORS.values() for ext in extractor.extensions
}


def extractor_for_path(path: str) -> LanguageExtractor | None:
    """The extractor for repo-relative ``path``, or None when no language claims it."""
    return EXTRACTOR_BY_EXTENSION.get(PurePosixPath(path).suffix.lower())
