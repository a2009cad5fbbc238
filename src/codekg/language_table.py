"""The language table as plain data: each language's file extensions and its extractor's version.

Apart from `codekg.languages` (the extractors, with tree-sitter and their compiled queries) because the
scan, the watcher's file filter and the state fingerprint need only these facts; each extractor class
reads its own from here (languages/<lang>.py), so every fact is written once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LanguageFacts:
    extensions: tuple[str, ...]  # lower case, with the dot
    version: str  # the extractor's: bump when its output for the same input changes (it keys the parse cache)
    file_names: tuple[str, ...] = ()  # whole file names it claims whatever their extension (package manifests)


LANGUAGES: dict[str, LanguageFacts] = {
    "python": LanguageFacts((".py", ".pyi"), "15"),
    "javascript": LanguageFacts((".js", ".jsx", ".mjs", ".cjs"), "18"),
    "typescript": LanguageFacts((".ts", ".tsx", ".mts", ".cts"), "19"),
    "sql": LanguageFacts((".sql",), "1"),
    "manifest": LanguageFacts((), "2", ("pyproject.toml", "package.json")),
    "ontology": LanguageFacts((".ttl", ".owl", ".rdf", ".nt", ".jsonld", ".n3"), "2"),
    "markdown": LanguageFacts((".md", ".markdown"), "2"),
}

# Languages whose extractors emit value-flow facts: their source size decides `value_flow = "auto"`.
FLOW_LANGUAGES = ("python", "javascript", "typescript")

# Languages whose files hold knowledge rather than code (docs/ontologies.md): `locate` ranks code only.
DOCUMENT_LANGUAGES = ("markdown", "ontology")

LANGUAGE_BY_EXTENSION: dict[str, str] = {ext: name for name, facts in LANGUAGES.items() for ext in facts.extensions}
LANGUAGE_BY_FILE_NAME: dict[str, str] = {file: name for name, facts in LANGUAGES.items() for file in facts.file_names}


def language_for_path(path: str) -> str | None:
    """The language of repo-relative ``path``, or None when no language claims it."""
    name = path.rpartition("/")[2]
    return LANGUAGE_BY_FILE_NAME.get(name) or LANGUAGE_BY_EXTENSION.get(_suffix(name).lower())


def module_parts(path: str) -> list[str]:
    """``PurePosixPath(path).with_suffix("").parts`` of a repo-relative path: `pkg/mod.py` → pkg, mod.
    Without building a path object: the scan and every run's module tables ask it for every file."""
    parts = [part for part in path.split("/") if part and part != "."]
    if parts:
        parts[-1] = parts[-1][: len(parts[-1]) - len(_suffix(parts[-1]))]
    return parts


def _suffix(name: str) -> str:
    """A file name's last suffix as PurePosixPath gives it (none for `.bashrc` or `name.`)."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""
