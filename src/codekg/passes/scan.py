"""Scan pass: list the repository's source files.

Takes: the repository root and settings. Returns: a ScanResult with the files to parse (language
detected by extension), the project configs that steer import resolution (`tsconfig*.json`,
`jsconfig.json`) and every file left out with its reason. Honours .gitignore (through
`git ls-files` in a git work tree, or pathspec otherwise) and a default ignore list; skips
binaries, oversized files, symlinks that leave the tree or loop, and anything unreadable.
"""

from __future__ import annotations

import os
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from codekg.errors import InputError
from codekg.languages import extractor_for_path
from codekg.resolve.tsconfig import is_project_config
from codekg.settings import Settings

DEFAULT_IGNORES = (
    ".git/",
    ".hg/",
    ".svn/",
    ".codekg/",
    "node_modules/",
    "bower_components/",
    "jspm_packages/",
    ".venv/",
    "venv/",
    "env/",
    "__pycache__/",
    ".tox/",
    ".nox/",
    ".mypy_cache/",
    ".pytest_cache/",
    ".ruff_cache/",
    "build/",
    "dist/",
    "out/",
    "coverage/",
    ".next/",
    ".nuxt/",
    "site-packages/",
    "*.egg-info/",
    "*.min.js",
    "*.bundle.js",
    "*-min.js",
)
_SNIFF_BYTES = 8192


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # repo-relative, `/`-separated
    language: str
    size_bytes: int
    mtime_ns: int = 0  # lets an incremental run trust an unchanged file without reading it


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: str
    reason: str


@dataclass(slots=True)
class ScanResult:
    root: Path
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    is_git: bool = False
    project_configs: list[str] = field(default_factory=list)  # tsconfig/jsconfig files, not indexed themselves


def scan_repository(root: Path, settings: Settings) -> ScanResult:
    """List source files under ``root`` (sorted by path), with every skip explained."""
    root = _checked_root(root)
    ignore = ignore_spec(settings)
    git_paths = _git_listed_paths(root) if settings.use_git_ls_files else None
    result = ScanResult(root=root, is_git=git_paths is not None)
    candidates = git_paths if git_paths is not None else _walk_with_gitignore(root, ignore, result)
    for path in sorted(set(candidates)):
        if ignore.match_file(path):
            continue
        extractor = extractor_for_path(path)
        if extractor is None:
            if is_project_config(path):
                result.project_configs.append(path)
            continue
        entry = _check_file(root, path, settings.max_file_size)
        if isinstance(entry, SkippedFile):
            result.skipped.append(entry)
        else:
            result.files.append(SourceFile(path, extractor.name, entry.st_size, entry.st_mtime_ns))
    result.skipped.sort(key=lambda s: s.path)
    return result


def ignore_spec(settings: Settings) -> pathspec.GitIgnoreSpec:
    """The default ignore list plus ``extra_ignore``: paths the scan leaves out whatever git says."""
    return pathspec.GitIgnoreSpec.from_lines([*DEFAULT_IGNORES, *settings.extra_ignore])


def _checked_root(root: Path) -> Path:
    if not root.exists():
        raise InputError(f"path does not exist: {root}")
    if not root.is_dir():
        raise InputError(f"not a directory: {root} (codekg indexes a repository folder)")
    try:
        next(root.iterdir(), None)
    except OSError as error:
        raise InputError(f"cannot read directory {root}: {error.strerror}") from None
    return root.resolve()


def _git_listed_paths(root: Path) -> list[str] | None:
    """Tracked and untracked-but-not-ignored files, or None when ``root`` is not a git work tree root."""
    try:
        top = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            capture_output=True, text=True, timeout=30, check=False,
        )
        if top.returncode != 0 or Path(top.stdout.strip()).resolve() != root:
            return None
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=120, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    paths = listed.stdout.decode("utf-8", "surrogateescape").split("\0")
    return [p for p in paths if p]


def _walk_with_gitignore(root: Path, ignore: pathspec.GitIgnoreSpec, result: ScanResult) -> list[str]:
    """Walk the tree without following directory symlinks, applying each folder's .gitignore."""
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root, followlinks=False):
        relative_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        gitignore = Path(directory) / ".gitignore"
        if gitignore.is_file():
            try:
                lines = gitignore.read_text("utf-8", errors="replace").splitlines()
                specs.append((prefix, pathspec.GitIgnoreSpec.from_lines(lines)))
            except OSError:
                pass
        kept = []
        for name in sorted(dirnames):
            path = prefix + name
            if Path(directory, name).is_symlink():
                result.skipped.append(SkippedFile(path, "symlink to a directory (not followed)"))
            elif not _ignored(path + "/", ignore, specs):
                kept.append(name)
        dirnames[:] = kept
        found.extend(prefix + name for name in filenames if not _ignored(prefix + name, ignore, specs))
    return found


def _ignored(path: str, ignore: pathspec.GitIgnoreSpec, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    if ignore.match_file(path):
        return True
    return any(path.startswith(base) and spec.match_file(path[len(base):]) for base, spec in specs)


def _check_file(root: Path, path: str, max_file_size: int) -> os.stat_result | SkippedFile:
    """The file's stat when it can be indexed, else why not."""
    full = root / path
    try:
        if full.is_symlink():
            target = full.resolve(strict=True)
            if not target.is_relative_to(root):
                return SkippedFile(path, "symlink pointing outside the repository")
        info = full.stat()
    except RuntimeError:
        return SkippedFile(path, "symlink loop")
    except OSError as error:
        return SkippedFile(path, f"unreadable: {error.strerror or error}")
    if not stat.S_ISREG(info.st_mode):
        return SkippedFile(path, "not a regular file")
    if info.st_size > max_file_size:
        return SkippedFile(path, f"larger than max_file_size ({info.st_size} > {max_file_size} bytes)")
    try:
        with open(full, "rb") as handle:
            head = handle.read(_SNIFF_BYTES)
    except OSError as error:
        return SkippedFile(path, f"unreadable: {error.strerror or error}")
    if b"\0" in head:
        return SkippedFile(path, "binary file")
    return info
