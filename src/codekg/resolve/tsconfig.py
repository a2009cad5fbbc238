"""TypeScript/JavaScript project configs: `compilerOptions.baseUrl` and `paths` of `tsconfig.json`
(or `jsconfig.json`), for import specifiers that are neither relative nor packages.

Takes: the config files the scan found (repository-relative paths) and the repository root. Returns:
``ProjectConfigs``, which maps an importing file and a specifier to the repository stems to probe,
from the nearest config above the file; every config that cannot be read becomes a warning, never
an error. The configs are not source files, so an incremental run cannot track them: their bytes
are part of the graph fingerprint (``digest``), and any change to them rebuilds the index.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

PROJECT_CONFIG_NAMES = ("tsconfig.json", "jsconfig.json")  # the configs a folder's files use
_EXTENDS_DEPTH = 8
# a JSON string (kept), or a comment (dropped): tsconfig files are JSON with comments
_COMMENT = re.compile(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', re.S)
_TRAILING_COMMA = re.compile(r'("(?:\\.|[^"\\])*")|,(?=\s*[}\]])')


def is_project_config(path: str) -> bool:
    """Files the scan keeps for import resolution: `tsconfig*.json` (bases that others extend) and `jsconfig.json`."""
    name = PurePosixPath(path).name
    return name == "jsconfig.json" or (name.startswith("tsconfig") and name.endswith(".json"))


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """The module options of one `tsconfig.json`, after `extends`, with folders made repository-relative."""

    path: str
    base_url: str | None = None  # folder that non-relative specifiers resolve from ("" = the root)
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()  # pattern → substitution stems (relative to the root)

    def candidates(self, specifier: str) -> list[str]:
        """Repository stems ``specifier`` may name, in the order TypeScript tries them: the `paths`
        pattern with the longest prefix, each of its substitutions, then `baseUrl`."""
        found: list[str] = []
        best: tuple[int, tuple[str, ...], str] | None = None
        for pattern, substitutions in self.paths:
            prefix, star, suffix = pattern.partition("*")
            if not star:
                if specifier == pattern and (best is None or len(pattern) > best[0]):
                    best = (len(pattern), substitutions, "")
            elif specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
                if best is None or len(prefix) > best[0]:
                    best = (len(prefix), substitutions, specifier[len(prefix): len(specifier) - len(suffix)])
        if best is not None:
            found.extend(substitution.replace("*", best[2]) for substitution in best[1])
        if self.base_url is not None:
            found.append(posixpath.join(self.base_url, specifier))
        return [stem for stem in (posixpath.normpath(s) for s in found) if not stem.startswith("..")]


@dataclass(slots=True)
class ProjectConfigs:
    """Every folder's governing config, and what they were read from."""

    by_folder: dict[str, ProjectConfig] = field(default_factory=dict)  # folder of a tsconfig/jsconfig.json
    digest: str = ""  # of every config file's path and bytes: part of the graph fingerprint

    def nearest(self, importer: str) -> ProjectConfig | None:
        """The config of the closest folder at or above ``importer`` that has one."""
        folder = posixpath.dirname(importer)
        while True:
            config = self.by_folder.get(folder)
            if config is not None:
                return config
            if not folder:
                return None
            folder = posixpath.dirname(folder)


NO_PROJECT_CONFIGS = ProjectConfigs()


def load_project_configs(root: Path, paths: Iterable[str], max_size: int) -> tuple[ProjectConfigs, list[dict[str, str]]]:
    """Read the configs the scan found; each unreadable one is a warning (its options are ignored)."""
    texts: dict[str, str] = {}
    warnings: list[dict[str, str]] = []
    digest = hashlib.sha256()
    for path in sorted(paths):
        try:
            data = (root / path).read_bytes()[: max_size + 1]
        except OSError as error:
            warnings.append({"path": path, "pass": "scan", "kind": "project-config", "message": f"config not read ({error.strerror or error}): baseUrl/paths ignored"})
            continue
        digest.update(path.encode() + b"\0" + data + b"\0")
        texts[path] = data.decode("utf-8", errors="replace")
    parsed: dict[str, dict] = {}
    for path, text in texts.items():
        try:
            value = parse_jsonc(text)
            if not isinstance(value, dict):
                raise ValueError("not a JSON object")
        except ValueError as error:
            warnings.append({"path": path, "pass": "scan", "kind": "project-config", "message": f"config not parsed ({error}): baseUrl/paths ignored"})
            continue
        parsed[path] = value
    configs = ProjectConfigs(digest=digest.hexdigest() if texts or warnings else "")  # none: the plain fingerprint
    for path in sorted(paths):
        # every project config governs its folder, even one without options or one that cannot be
        # read: a parent folder's `paths` would be a guess there
        if PurePosixPath(path).name in PROJECT_CONFIG_NAMES:
            configs.by_folder[posixpath.dirname(path)] = _effective(path, parsed, warnings)
    return configs, warnings


def parse_jsonc(text: str) -> object:
    """JSON with `//` and `/* */` comments and trailing commas, as tsconfig files are written."""
    text = _COMMENT.sub(lambda m: m.group(1) or "", text.lstrip("\ufeff"))
    text = _TRAILING_COMMA.sub(lambda m: m.group(1) or "", text)
    return json.loads(text)


def _effective(path: str, parsed: dict[str, dict], warnings: list[dict[str, str]]) -> ProjectConfig:
    """The config's baseUrl and paths, each taken from the nearest file along its `extends` chain
    that sets it, and resolved against that file's folder."""
    base_url: str | None = None
    paths: tuple[tuple[str, tuple[str, ...]], ...] | None = None
    paths_folder = ""
    current: str | None = path
    seen: set[str] = set()
    while current is not None and current not in seen and len(seen) < _EXTENDS_DEPTH:
        seen.add(current)
        document = parsed.get(current)
        if document is None:
            break
        folder = posixpath.dirname(current)
        options = document.get("compilerOptions")
        options = options if isinstance(options, dict) else {}
        if base_url is None and isinstance(options.get("baseUrl"), str):
            base_url = posixpath.normpath(posixpath.join(folder, options["baseUrl"]))
        if paths is None and isinstance(options.get("paths"), dict):
            paths = tuple(
                (pattern, tuple(t for t in targets if isinstance(t, str)))
                for pattern, targets in options["paths"].items() if isinstance(targets, list)
            )
            paths_folder = folder
        current = _extended(current, document.get("extends"), parsed)
    if base_url == ".":
        base_url = ""
    if base_url is not None and base_url.startswith(".."):
        warnings.append({"path": path, "pass": "scan", "kind": "project-config", "message": "baseUrl points outside the repository: ignored"})
        base_url = None
    # `paths` substitutions are relative to baseUrl, or to the config that sets them when there is none
    anchor = base_url if base_url is not None else paths_folder
    mapped = tuple((pattern, tuple(posixpath.normpath(posixpath.join(anchor, t)) for t in targets))
                   for pattern, targets in paths or ())
    return ProjectConfig(path, base_url, mapped)


def _extended(path: str, extends: object, parsed: dict[str, dict]) -> str | None:
    """The repository config ``extends`` names (the first, for a list); None for a package or a missing file."""
    if isinstance(extends, list):
        extends = extends[0] if extends else None
    if not isinstance(extends, str) or not extends.startswith("."):
        return None  # a package (`@tsconfig/node20`): not in the repository
    target = posixpath.normpath(posixpath.join(posixpath.dirname(path), extends))
    for candidate in (target, target + ".json"):
        if candidate in parsed:
            return candidate
    return None
