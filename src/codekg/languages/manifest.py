"""The package-manifest extractor: `pyproject.toml` and `package.json` as the distribution they declare.

A manifest gives one `PackageManifest` (name, version, dependencies with their version ranges as
written) and no code. Dependencies: PEP 621 `[project] dependencies` and `optional-dependencies`
(PEP 508 strings, read with `packaging`), Poetry's `[tool.poetry.*dependencies]` tables and
`[build-system] requires`; npm's `dependencies`, `devDependencies`, `peerDependencies`,
`optionalDependencies`. A manifest that cannot be read, or a `[project]` table without a name, gives
no record and a warning; one that declares no package (a pyproject.toml that only configures tools,
a package.json without a name) gives no record silently; the file is still indexed.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import PurePosixPath
from typing import Any

from codekg.language_table import LANGUAGES
from codekg.languages.base import LanguageExtractor, line_count
from codekg.records import FileParse, PackageManifest

NPM_KINDS = {"dependencies": "runtime", "devDependencies": "dev", "peerDependencies": "peer",
             "optionalDependencies": "optional"}


class ManifestExtractor(LanguageExtractor):
    name = "manifest"
    extensions = LANGUAGES["manifest"].extensions
    version = LANGUAGES["manifest"].version
    resolution_family = "manifest"
    defines_module = False

    def extract(self, path: str, source: bytes) -> FileParse:
        parsed = FileParse(path=path, language=self.name, line_count=line_count(source))
        try:
            text = source.decode("utf-8")
            document = tomllib.loads(text) if path.endswith(".toml") else json.loads(text)
            manifest = _pyproject(document) if path.endswith(".toml") else _package_json(document)
        except (UnicodeDecodeError, tomllib.TOMLDecodeError, json.JSONDecodeError, ValueError, TypeError, AttributeError) as error:
            parsed.parse_errors = 1
            parsed.warnings = [f"cannot read this manifest: {type(error).__name__}: {' '.join(str(error).split())[:300]}"]
            return parsed
        if manifest is not None:
            parsed.packages = [manifest]
        elif path.endswith(".toml") and isinstance(document.get("project"), dict):
            # a `[project]` table without its required name; a pyproject.toml that only configures
            # tools, or a package.json of an unpublished app, declares no package and is not warned of
            parsed.warnings = ["this manifest's [project] table has no name: no Package node"]
        return parsed

    def module_name(self, path: str, source_roots: tuple[str, ...]) -> str:
        return ".".join(PurePosixPath(path).parts)


def _pyproject(document: dict[str, Any]) -> PackageManifest | None:
    from packaging.requirements import InvalidRequirement, Requirement

    project = document.get("project") or {}
    poetry = (document.get("tool") or {}).get("poetry") or {}
    name = project.get("name") or poetry.get("name")
    if not isinstance(name, str) or not name:
        return None
    version = project.get("version") or poetry.get("version") or ""
    found: list[tuple[str, str, str]] = []

    def requirement(text: object, kind: str) -> None:
        if not isinstance(text, str):
            return
        try:
            parsed = Requirement(text)
        except InvalidRequirement:
            found.append((text.strip(), "", kind))  # kept as written: never a silently dropped dependency
            return
        written = text.split(";", 1)[0].strip()[len(parsed.name):].strip()  # the range as written, markers aside
        if written.startswith("["):  # extras
            written = written[written.find("]") + 1:].strip()
        found.append((parsed.name, written, kind))

    for text in project.get("dependencies") or []:
        requirement(text, "runtime")
    for extra, texts in (project.get("optional-dependencies") or {}).items():
        for text in texts or []:
            requirement(text, f"optional:{extra}")
    for text in (document.get("build-system") or {}).get("requires") or []:
        requirement(text, "build")
    for table, kind in (("dependencies", "runtime"), ("dev-dependencies", "dev")):
        for dependency, spec in (poetry.get(table) or {}).items():
            if dependency != "python":
                found.append((dependency, _poetry_range(spec), kind))
    for group, body in (poetry.get("group") or {}).items():
        for dependency, spec in ((body or {}).get("dependencies") or {}).items():
            found.append((dependency, _poetry_range(spec), f"group:{group}"))
    return PackageManifest(name, str(version), "python", tuple(dict.fromkeys(found)))


def _poetry_range(spec: object) -> str:
    if isinstance(spec, dict):
        return str(spec.get("version", ""))
    return str(spec)


def _package_json(document: dict[str, Any]) -> PackageManifest | None:
    name = document.get("name")
    if not isinstance(name, str) or not name:
        return None
    found = [(dependency, str(spec), kind) for key, kind in NPM_KINDS.items()
             for dependency, spec in (document.get(key) or {}).items()]
    return PackageManifest(name, str(document.get("version") or ""), "npm", tuple(dict.fromkeys(found)))
