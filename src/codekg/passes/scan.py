"""Scan pass: list the repository's source files.

Takes: the repository root and settings. Returns: a ScanResult with the files to parse (language
detected by extension), the project configs that steer import resolution (`tsconfig*.json`,
`jsconfig.json`), every file left out with its reason and the warnings of the ignore files. Honours
.gitignore as git reads it (through `git ls-files` in a git work tree; otherwise each folder's
.gitignore, with pathspec, a deeper one overriding a shallower one, an invalid pattern dropped with a
warning) and a default ignore list; skips binaries, oversized files, symlinks that leave the tree or
loop, FIFOs, sockets and devices (never opened: a FIFO would block), and anything unreadable.

File names are bytes on disk. Every path the scan returns is valid UTF-8 (`stored_path`): what
records, stores and outputs carry. A name that is not UTF-8 keeps its real form in
`SourceFile.name_on_disk`, which is what `SourceFile.location` opens.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pathspec
from pathspec.patterns.gitignore import GitIgnorePatternError
from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

from codekg.errors import InputError
from codekg.file_names import stored_path
from codekg.language_table import FLOW_LANGUAGES, language_for_path
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
# A folder holding this is a Python virtual environment (PEP 405), whatever its name: left out. By name
# only `.venv` and `venv` are; `env` is as often code (axios's `lib/env/`).
VIRTUAL_ENV_MARKER = "pyvenv.cfg"


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str  # repo-relative, `/`-separated, valid UTF-8 (`stored_path`): the name the index knows
    language: str
    size_bytes: int
    mtime_ns: int = 0  # lets an incremental run trust an unchanged file without reading it
    name_on_disk: str = ""  # the real name when it is not UTF-8 (surrogate-escaped); "" when it is `path`

    def location(self, root: Path) -> Path:
        """Where the file is read from."""
        return root / (self.name_on_disk or self.path)


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
    warnings: list[dict[str, str]] = field(default_factory=list)  # {"path", "pass", "kind", "message"}: .gitignore files

    @property
    def flow_source_bytes(self) -> int:
        """The bytes of the files the value flow reads: what a whole solve costs grows with them."""
        return sum(f.size_bytes for f in self.files if f.language in FLOW_LANGUAGES)


def _stub_beside_its_module(name: str, listed: set[str]) -> bool:
    """`mod.pyi` beside `mod.py`: the graph holds the code that runs, so the stub adds only another
    definition of each name. A stub alone (a compiled module's, `_core.pyi`) is indexed as its module."""
    return name.lower().endswith(".pyi") and name[:-1] in listed


def scan_repository(root: Path, settings: Settings) -> ScanResult:
    """List source files under ``root`` (sorted by path), with every skip explained."""
    root = _checked_root(root)
    ignore = ignore_spec(settings)
    git_paths = _git_listed_paths(root) if settings.use_git_ls_files else None
    result = ScanResult(root=root, is_git=git_paths is not None)
    candidates = git_paths if git_paths is not None else _walk_with_gitignore(root, ignore, result)
    if git_paths is not None:
        candidates = _outside_virtual_envs(candidates)  # the walk left them out itself
    listed = set(candidates)
    escaped: set[str] = set()
    for name in sorted(listed):
        if git_paths is not None and ignore.match_file(_matchable(name)):  # the walk left these out itself
            continue
        path = stored_path(name)
        language = language_for_path(path)
        if language == "python" and _stub_beside_its_module(name, listed):
            continue
        if language is None:
            if is_project_config(path):
                result.project_configs.append(path)
            continue
        if path != name:
            if path in escaped or path in listed:
                result.skipped.append(SkippedFile(path, "file name is not valid UTF-8 and its escaped form names another file"))
                continue
            escaped.add(path)
        entry = _check_file(root, name, path, settings.max_file_size)
        if entry is None:
            continue
        if isinstance(entry, SkippedFile):
            result.skipped.append(entry)
        else:
            name_on_disk = "" if path == name else name
            result.files.append(SourceFile(path, language, entry.st_size, entry.st_mtime_ns, name_on_disk))
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
            capture_output=True, timeout=30, check=False,
        )
        if top.returncode != 0 or Path(os.fsdecode(top.stdout.rstrip(b"\n"))).resolve() != root:
            return None
        listed = subprocess.run(  # -z: names verbatim, whatever core.quotepath says
            ["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, timeout=120, check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return [os.fsdecode(p) for p in listed.stdout.split(b"\0") if p]


def _outside_virtual_envs(paths: list[str]) -> list[str]:
    """``paths`` but those inside a folder that holds VIRTUAL_ENV_MARKER (not the root's own)."""
    envs = tuple(path[: -len(VIRTUAL_ENV_MARKER)] for path in paths if path.endswith("/" + VIRTUAL_ENV_MARKER))
    return [path for path in paths if not path.startswith(envs)] if envs else paths


def _walk_with_gitignore(root: Path, ignore: pathspec.GitIgnoreSpec, result: ScanResult) -> list[str]:
    """Walk the tree without following directory symlinks, applying each folder's .gitignore as git does."""
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []  # (folder prefix, its .gitignore), ancestors first
    found: list[str] = []

    def unreadable(error: OSError) -> None:
        path = stored_path(Path(error.filename).relative_to(root).as_posix())
        result.skipped.append(SkippedFile(path, f"unreadable directory: {error.strerror or error}"))

    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        relative_dir = Path(directory).relative_to(root).as_posix()
        prefix = "" if relative_dir == "." else relative_dir + "/"
        if prefix and VIRTUAL_ENV_MARKER in filenames:
            dirnames[:] = []
            continue
        spec = _read_gitignore(Path(directory) / ".gitignore", stored_path(prefix + ".gitignore"), result.warnings)
        if spec is not None:
            specs.append((_matchable(prefix), spec))
        kept = []
        for name in sorted(dirnames):
            path = prefix + name
            if os.path.islink(os.path.join(directory, name)):
                result.skipped.append(SkippedFile(stored_path(path), "symlink to a directory (not followed)"))
            elif not _ignored(path + "/", ignore, specs):
                kept.append(name)
        dirnames[:] = kept
        found.extend(prefix + name for name in filenames if not _ignored(prefix + name, ignore, specs))
    return found


def _read_gitignore(file: Path, shown: str, warnings: list[dict[str, str]]) -> pathspec.GitIgnoreSpec | None:
    """A folder's .gitignore as git reads it: a regular file (git does not follow a symlinked one),
    a UTF-8 BOM dropped, lines split at LF with a CR before it dropped, an invalid pattern ignored."""
    try:
        mode = file.lstat().st_mode
        if stat.S_ISLNK(mode):
            warnings.append(_gitignore_warning(shown, "a symbolic link: not read, as git does"))
        if not stat.S_ISREG(mode):
            return None
        data = file.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        warnings.append(_gitignore_warning(shown, f"not read ({error.strerror or error}): its patterns are not applied"))
        return None
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")
    patterns = []
    for number, line in enumerate((line.removesuffix("\r") for line in text.split("\n")), start=1):
        try:
            patterns.append(GitIgnoreSpecPattern(line))
        except GitIgnorePatternError:
            warnings.append(_gitignore_warning(shown, f"line {number}: invalid pattern {line!r} ignored, as git does"))
        except re.error as error:  # e.g. a reversed range `[z-a]`, which git's matcher lets match nothing
            warnings.append(_gitignore_warning(shown, f"line {number}: pattern {line!r} not applied: {error.msg}"))
    return pathspec.GitIgnoreSpec(patterns)


def _gitignore_warning(path: str, message: str) -> dict[str, str]:
    return {"path": path, "pass": "scan", "kind": "gitignore", "message": message}


def _ignored(path: str, ignore: pathspec.GitIgnoreSpec, specs: list[tuple[str, pathspec.GitIgnoreSpec]]) -> bool:
    """The default ignores, then the nearest .gitignore with a pattern that matches (its last one decides)."""
    path = _matchable(path)
    if ignore.match_file(path):
        return True
    for base, spec in reversed(specs):
        if path.startswith(base):
            verdict = spec.check_file(path[len(base):]).include
            if verdict is not None:
                return verdict
    return False


def _matchable(path: str) -> str:
    """``path`` for pathspec, whose `**` and folder prefixes stop at a newline (git's do not): a
    newline becomes NUL, which no pattern holds and every wildcard matches."""
    return path.replace("\n", "\0")


def _check_file(root: Path, name: str, path: str, max_file_size: int) -> os.stat_result | SkippedFile | None:
    """The stat of the file ``name`` when it can be indexed, else why ``path`` (its stored form) is
    not; None when it is not there at all (git lists a tracked file deleted from the work tree)."""
    full = os.path.join(root, name)  # a str and one lstat: this runs for every file on every run
    try:
        info = os.lstat(full)
    except FileNotFoundError:
        return None
    except OSError as error:
        return SkippedFile(path, f"unreadable: {error.strerror or error}")
    try:
        if stat.S_ISLNK(info.st_mode):
            if not Path(full).resolve(strict=True).is_relative_to(root):
                return SkippedFile(path, "symlink pointing outside the repository")
            info = os.stat(full)
    except RuntimeError:  # Python < 3.13 reports a loop in resolve() so
        return SkippedFile(path, "symlink loop")
    except FileNotFoundError:
        return SkippedFile(path, "symlink to a missing file")
    except OSError as error:
        if error.errno == errno.ELOOP:
            return SkippedFile(path, "symlink loop")
        return SkippedFile(path, f"unreadable: {error.strerror or error}")
    if not stat.S_ISREG(info.st_mode):
        return SkippedFile(path, "not a regular file")
    if info.st_size > max_file_size:
        return SkippedFile(path, f"larger than max_file_size ({info.st_size} > {max_file_size} bytes)")
    try:
        head = _read_head(full)
    except OSError as error:
        return SkippedFile(path, f"unreadable: {error.strerror or error}")
    if head is None:
        return SkippedFile(path, "not a regular file")
    if b"\0" in head:
        return SkippedFile(path, "binary file")
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml") and language_for_path(path) != "ontology":
        # no source language opens so; RDF/XML does
        return SkippedFile(path, "XML, not source code (a Qt .ts translation file, say)")
    return info


def _read_head(full: str) -> bytes | None:
    """The first bytes of a regular file; None when ``full`` is no longer one. Opened without
    blocking: a file swapped for a FIFO since its stat must not hang the scan."""
    descriptor = os.open(full, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return None
        return os.read(descriptor, _SNIFF_BYTES)
    finally:
        os.close(descriptor)
