"""The locate dev set: past changes of public Python projects, each an issue-like description (the
commit message, plus the changelog entry added with it) paired with what a person had to change.

`codekg locate` ranks the files and functions to change for a text; to score it we need texts whose
answer is known. A project's history is such a set: the commit message says what was wanted, the
diff says where. A case records

- the description: subject and body (trailers dropped), then the lines the same commit added to a
  changelog (CHANGES.rst, CHANGELOG.md, HISTORY.md, `changes/*.rst`, `changelog.d/*.md`, ...);
- files: the non-test .py files the commit modified (they exist in the parent); new files are
  listed apart (`added_files`), since nothing can rank a file that does not exist yet;
- functions: every def (nested too) of a modified file's PARENT version whose span (decorators
  included) holds a removed or modified line, plus the def enclosing each pure insertion, as
  (file, local qualname: `Flask.url_for`, `helper.inner`);
- parent: the checkout the change was made on, which is what a scorer indexes.

Kept: non-merge commits changing 1-5 non-test .py files, with a message of at least 6 words.
Dropped: reverts, version bumps, formatting/lint/typo commits (by subject, and any whose changed
files parse to the same AST once comments and docstrings are set aside), pure renames, commits that
delete a module (the "functions" would be the whole file), and parents that Python 3 cannot parse.
Described commits (a body of 15+ words, or a changelog entry) come before the rest; within each
group the newest first, `--per-project` of them (40), so no project dominates. `--seed N` takes a
seeded random sample of the eligible commits instead of the newest.

    python bench/locate_devset.py GIT_DIR... [--per-project 40] [--seed N] [--out FILE]
    CODEKG_DEVSET_REPOS=/a/repo.git:/b/repo.git python bench/locate_devset.py

A GIT_DIR may be written NAME=GIT_DIR; otherwise the project is named after the folder
(`pallets+flask/repo` → flask). Writes bench/results/locate_devset.jsonl (git-ignored): the
repositories and the set are public material to read, never to commit.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import re
import subprocess
import sys
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from _common import fail, markdown_table

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO_ROOT / "bench" / "results" / "locate_devset.jsonl"
REPOS_ENV_VAR = "CODEKG_DEVSET_REPOS"
MAX_FILES = 5
MIN_WORDS = 6
DESCRIBED_BODY_WORDS = 15

# Paths that are not the code a change is about: tests, docs, examples, and packaging scripts.
NON_SOURCE_DIRS = frozenset({"tests", "test", "testing", "docs", "doc", "examples", "example"})
NON_SOURCE_FILES = frozenset({"conftest.py", "setup.py", "noxfile.py", "tests.py", "test.py"})
CHANGELOG_NAME = re.compile(r"^(changes|changelog|history|news)(\.(rst|md|txt))?$", re.IGNORECASE)
CHANGELOG_DIRS = frozenset({"changes", "changelog.d", "newsfragments", "news"})

SKIP_SUBJECT = (
    ("revert", re.compile(r"^revert\b", re.IGNORECASE)),
    ("merge", re.compile(r"^merge\b", re.IGNORECASE)),
    ("version bump", re.compile(
        r"^bump\b|\bbump(ed|ing|s)?\b.*\bversion\b|\bversion bump|^(release|releasing|prepare|preparing)\b.*\d"
        r"|^v?\d+(\.\d+)+\b|\b(start|set|update|change)\s+(the\s+)?version\b|^version\b", re.IGNORECASE)),
    ("formatting", re.compile(
        r"(?<![\w-])(black|pre-commit|precommit|typos?|isort|flake8|pyupgrade|reformat(ted|ting)?|lint(ing)?"
        r"|codespell|ruff)(?![\w-])", re.IGNORECASE)),
)
TRAILER = re.compile(r"^[A-Za-z][A-Za-z-]*-by:\s|^\(cherry picked from commit", re.IGNORECASE)
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_'-]*")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
VERSION_LINE = re.compile(r"^\s*(__version__|version)\s*[:=]")
CHANGELOG_NOISE = re.compile(
    r"^\s*([-=~^*#`]{3,}|#+\s|version\s+\d|unreleased|released\b|\[[^\]]+\]:\s|\[?v?\d+(\.\d+)+\]?\s*(\(|-|$)|\.\. )",
    re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Definition:
    """A def of a Python file: its local qualified name, line span (decorators included) and indent."""

    qualname: str
    start: int
    end: int
    column: int


@dataclass(slots=True)
class FileChange:
    """What a diff did to one file, in the parent's line numbers."""

    removed: set[int] = field(default_factory=set)
    insertions: list[tuple[int, list[str]]] = field(default_factory=list)  # (after old line, added lines)


@dataclass(frozen=True, slots=True)
class LoggedCommit:
    commit: str
    parents: tuple[str, ...]
    time: int
    message: str
    changes: tuple[tuple[str, str, str], ...]  # (status letter, old path, new path)


@dataclass(frozen=True, slots=True)
class Case:
    project: str
    repo_dir: str
    commit: str
    parent: str
    date: int
    description: str
    described_by: str  # "body", "changelog", "body+changelog" or "subject"
    files: list[str]
    functions: list[list[str]]
    added_files: list[str]


def is_source_file(path: str) -> bool:
    """A non-test, non-docs .py file: the kind of file `locate` should point at."""
    parts = path.split("/")
    name = parts[-1]
    return (name.endswith(".py") and name not in NON_SOURCE_FILES and not name.startswith("test_")
            and not name.endswith(("_test.py", "_tests.py")) and not NON_SOURCE_DIRS.intersection(parts[:-1]))


def is_changelog(path: str) -> bool:
    parts = path.split("/")
    return bool(CHANGELOG_NAME.match(parts[-1])) or (
        len(parts) > 1 and parts[-2].lower() in CHANGELOG_DIRS and not parts[-1].endswith(".py"))


def python_defs(source: str) -> list[Definition]:
    """Every function and method of ``source``, nested ones too, in source order. Raises SyntaxError."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # old code's invalid escapes are not our concern
        tree = ast.parse(source)
    found: list[Definition] = []
    pending: list[tuple[ast.AST, str]] = [(tree, "")]
    while pending:
        node, prefix = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                start = min([child.lineno] + [decorator.lineno for decorator in child.decorator_list])
                found.append(Definition(prefix + child.name, start, child.end_lineno or child.lineno, child.col_offset))
                pending.append((child, f"{prefix}{child.name}."))
            elif isinstance(child, ast.ClassDef):
                pending.append((child, f"{prefix}{child.name}."))
            elif isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                pending.append((child, prefix))
    return sorted(found, key=lambda definition: (definition.start, definition.qualname))


def touched_functions(definitions: list[Definition], change: FileChange) -> list[str]:
    """The defs a change touched: a removed/modified line inside the span, or an insertion inside it
    (after its last line only when the added code is indented into its body; just above it when the
    added lines include a decorator of its own)."""
    touched = []
    for definition in definitions:
        span = range(definition.start, definition.end + 1)
        hit = any(line in span for line in change.removed)
        for after, added in change.insertions:
            if hit:
                break
            indents = [len(line) - len(line.lstrip()) for line in added if line.strip()]
            hit = (definition.start <= after < definition.end
                   or (after == definition.end and bool(indents) and min(indents) > definition.column)
                   or (after + 1 == definition.start and any(
                       line.strip().startswith("@") and len(line) - len(line.lstrip()) == definition.column
                       for line in added)))
        if hit:
            touched.append(definition.qualname)
    return list(dict.fromkeys(touched))


def parse_patch(patch: str) -> tuple[dict[str, FileChange], dict[str, list[str]]]:
    """A `git diff -U0` → per old path what changed, and per new path the lines added to it."""
    changes: dict[str, FileChange] = {}
    added_text: dict[str, list[str]] = {}
    old_path = new_path = ""
    current: FileChange | None = None
    insertion: list[str] | None = None
    in_header = False
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current, insertion, in_header = None, None, True
        elif in_header and line.startswith("--- "):
            old_path = line[6:] if line.startswith("--- a/") else ""
        elif in_header and line.startswith("+++ "):
            new_path = line[6:] if line.startswith("+++ b/") else ""
            current = changes.setdefault(old_path, FileChange()) if old_path else None
            added_text.setdefault(new_path, [])
        elif (match := HUNK.match(line)) is not None:
            start, count = int(match.group(1)), int(match.group(2) or "1")
            insertion, in_header = None, False
            if current is not None:
                if count:
                    current.removed.update(range(start, start + count))
                else:
                    insertion = []
                    current.insertions.append((start, insertion))
        elif line.startswith("+"):
            added_text.setdefault(new_path, []).append(line[1:])
            if insertion is not None:
                insertion.append(line[1:])
    return changes, added_text


class Blobs:
    """File contents at a revision, from one long-lived `git cat-file --batch`."""

    def __init__(self, git_dir: Path) -> None:
        self._process = subprocess.Popen(["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, revision: str, path: str) -> str | None:
        assert self._process.stdin is not None and self._process.stdout is not None
        self._process.stdin.write(f"{revision}:{path}\n".encode())
        self._process.stdin.flush()
        header = self._process.stdout.readline().split()
        if len(header) != 3:
            return None  # "<object> missing"
        body = self._process.stdout.read(int(header[2]) + 1)[:-1]
        return body.decode("utf-8", "replace") if header[1] == b"blob" else None

    def close(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
        self._process.wait()


def git(git_dir: Path, *arguments: str) -> str:
    return subprocess.run(["git", "--git-dir", str(git_dir), "-c", "core.quotePath=false", *arguments],
                          capture_output=True, text=True, errors="replace", check=True).stdout


def commit_log(git_dir: Path) -> Iterator[LoggedCommit]:
    """Every non-merge commit reachable from HEAD with its message and changed paths, from one `git log`."""
    output = git(git_dir, "log", "--no-merges", "-M", "--name-status", "--format=%x01%H%x1f%P%x1f%ct%x1f%B%x02", "HEAD")
    for chunk in output.split("\x01")[1:]:
        header, _, listing = chunk.partition("\x02")
        commit, parents, time, message = header.split("\x1f", 3)
        changes = []
        for line in listing.splitlines():
            fields = line.split("\t")
            if len(fields) == 2:
                changes.append((fields[0][:1], fields[1], fields[1]))
            elif len(fields) == 3:
                changes.append((fields[0], fields[1], fields[2]))  # "R087", old, new
        yield LoggedCommit(commit, tuple(parents.split()), int(time), message.strip(), tuple(changes))


def split_message(message: str) -> tuple[str, str]:
    """Subject and body of a commit message, the body without trailers (Signed-off-by, Co-authored-by)."""
    subject, _, body = message.partition("\n\n")
    kept = [line for line in body.splitlines() if not TRAILER.match(line.strip())]
    return " ".join(subject.split()), "\n".join(kept).strip()


def subject_rejection(subject: str) -> str | None:
    for reason, pattern in SKIP_SUBJECT:
        if pattern.search(subject):
            return reason
    return None


def changelog_text(lines: list[str]) -> str:
    """The prose of lines added to a changelog: no headings, underlines, version lines or bullets."""
    kept = []
    for line in lines:
        if not line.strip() or CHANGELOG_NOISE.match(line):
            continue
        kept.append(re.sub(r"^\s*[-*+]\s+", "", line).strip())
    return " ".join(kept)


def same_code(old: str, new: str) -> bool:
    """Whether two versions differ only in formatting, comments or docstrings."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            trees = [ast.parse(old), ast.parse(new)]
    except (SyntaxError, ValueError, RecursionError):
        return False
    for tree in trees:
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
                body[0].value.value = ""
    return ast.dump(trees[0]) == ast.dump(trees[1])


@dataclass(frozen=True, slots=True)
class Candidate:
    """A commit that passed the cheap checks on its log entry; `build_case` does the rest."""

    logged: LoggedCommit
    subject: str
    body: str
    files: list[str]  # modified non-test .py files, parent paths
    renamed_to: dict[str, str]
    added_files: list[str]
    changelogs: list[str]
    described: bool


def screen(logged: LoggedCommit, skipped: Counter[str]) -> Candidate | None:
    """The checks the log alone can answer; counts each rejection's reason in ``skipped``."""
    subject, body = split_message(logged.message)
    reason = None
    source = [(status, old, new) for status, old, new in logged.changes if is_source_file(new) or is_source_file(old)]
    if len(logged.parents) != 1:
        reason = "root commit"
    elif len(WORD.findall(f"{subject} {body}")) < MIN_WORDS:
        reason = "message under 6 words"
    elif (rejected := subject_rejection(subject)) is not None:
        reason = rejected
    elif not 1 <= len(source) <= MAX_FILES:
        reason = "no source .py file" if not source else "over 5 source .py files"
    elif all(status == "R100" for status, _, _ in source):
        reason = "pure rename"
    elif any(status == "D" for status, _, _ in source):
        reason = "deletes a module"
    if reason is not None:
        skipped[reason] += 1
        return None
    files = [old for status, old, _ in source if status[0] in "MRCT" and status != "R100" and is_source_file(old)]
    if not files:
        skipped["only adds modules"] += 1
        return None
    changelogs = [new for status, _, new in logged.changes if status != "D" and is_changelog(new)]
    described = len(WORD.findall(body)) >= DESCRIBED_BODY_WORDS or bool(changelogs)
    return Candidate(logged, subject, body, files,
                     {old: new for status, old, new in source if status[0] in "RC"},
                     [new for status, _, new in source if status == "A"], changelogs, described)


def build_case(project: str, git_dir: Path, blobs: Blobs, candidate: Candidate, skipped: Counter[str]) -> Case | None:
    """The case of a screened commit, or None (with the reason counted) when its diff disqualifies it."""
    commit, parent = candidate.logged.commit, candidate.logged.parents[0]
    new_paths = [candidate.renamed_to.get(path, path) for path in candidate.files]
    patch = git(git_dir, "diff", "-U0", "-M", "--no-color", "--no-ext-diff", parent, commit, "--",
                *candidate.files, *new_paths, *candidate.changelogs)
    changes, added_text = parse_patch(patch)
    olds = {path: blobs.read(parent, path) for path in candidate.files}
    news = {path: blobs.read(commit, new) for path, new in zip(candidate.files, new_paths)}
    changed_lines = [line for path in new_paths for line in added_text.get(path, [])]
    reason = None
    if any(text is None for text in olds.values()):
        reason = "blob missing"
    elif all(same_code(olds[path] or "", news[path] or "") for path in candidate.files):
        reason = "formatting, comments or docstrings only"
    elif changed_lines and all(VERSION_LINE.match(line) for line in changed_lines if line.strip()):
        reason = "version bump"
    if reason is not None:
        skipped[reason] += 1
        return None
    functions: list[list[str]] = []
    for path in candidate.files:
        try:
            definitions = python_defs(olds[path] or "")
        except (SyntaxError, ValueError, RecursionError):
            skipped["parent does not parse"] += 1
            return None
        functions += [[path, name] for name in touched_functions(definitions, changes.get(path, FileChange()))]
    news_text = changelog_text([line for path in candidate.changelogs for line in added_text.get(path, [])])
    has_body = len(WORD.findall(candidate.body)) >= DESCRIBED_BODY_WORDS
    described_by = "+".join(part for part, present in (("body", has_body), ("changelog", bool(news_text))) if present)
    description = "\n\n".join(part for part in (candidate.subject, candidate.body, news_text) if part)
    return Case(project, str(git_dir), commit, parent, candidate.logged.time, description, described_by or "subject",
                sorted(candidate.files), functions, sorted(candidate.added_files))


def project_cases(project: str, git_dir: Path, per_project: int, seed: int | None) -> tuple[list[Case], Counter[str]]:
    """Up to ``per_project`` cases of one repository: described commits first, newest first (or a seeded sample)."""
    skipped: Counter[str] = Counter()
    candidates, seen = [], set()
    for logged in commit_log(git_dir):
        candidate = screen(logged, skipped)
        if candidate is None:
            continue
        key = (candidate.subject.lower(), tuple(candidate.files))  # a fix cherry-picked onto a release branch
        if key in seen:
            skipped["duplicate (cherry-pick)"] += 1
            continue
        seen.add(key)
        candidates.append(candidate)
    candidates.sort(key=lambda candidate: (-candidate.logged.time, candidate.logged.commit))
    if seed is not None:
        random.Random(f"{seed}:{project}").shuffle(candidates)
    candidates.sort(key=lambda candidate: not candidate.described)  # stable: keeps the order within each group
    cases: list[Case] = []
    examined = 0
    blobs = Blobs(git_dir)
    try:
        for candidate in candidates:
            if len(cases) == per_project:
                break
            examined += 1
            case = build_case(project, git_dir, blobs, candidate, skipped)
            if case is not None:
                cases.append(case)
    finally:
        blobs.close()
    cases.sort(key=lambda case: (-case.date, case.commit))
    skipped["eligible, not needed"] = len(candidates) - examined
    return cases, skipped


def project_name(git_dir: Path) -> str:
    """`…/pallets+flask/repo` → flask, `…/flask.git` → flask."""
    name = git_dir.name
    if name in {"repo", ".git"}:
        name = git_dir.parent.name
    return name.removesuffix(".git").split("+")[-1]


def repositories(arguments: list[str]) -> list[tuple[str, Path]]:
    """(project, git dir) of each argument, else of each entry of $CODEKG_DEVSET_REPOS."""
    raw = arguments or [part for part in os.environ.get(REPOS_ENV_VAR, "").split(":") if part]
    if not raw:
        fail(f"no repositories: pass git directories or set {REPOS_ENV_VAR} (colon-separated)")
    found = []
    for entry in raw:
        name, _, path = entry.rpartition("=")
        git_dir = Path(path).expanduser().resolve()
        if subprocess.run(["git", "--git-dir", str(git_dir), "rev-parse", "HEAD"], capture_output=True).returncode:
            fail(f"{git_dir} is not a git directory with a HEAD")
        found.append((name or project_name(git_dir), git_dir))
    if len({name for name, _ in found}) != len(found):
        fail("two repositories have the same project name: write NAME=GIT_DIR")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", help=f"git directories, or NAME=GIT_DIR (default: ${REPOS_ENV_VAR})")
    parser.add_argument("--per-project", type=int, default=40, help="cases per project at most (default 40)")
    parser.add_argument("--seed", type=int, help="a seeded random sample of the eligible commits instead of the newest")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON lines file to write")
    arguments = parser.parse_args()
    rows, total = [], 0
    arguments.out.parent.mkdir(parents=True, exist_ok=True)
    with arguments.out.open("w", encoding="utf-8") as out:
        for project, git_dir in repositories(arguments.repos):
            cases, skipped = project_cases(project, git_dir, arguments.per_project, arguments.seed)
            for case in cases:
                out.write(json.dumps(asdict(case), ensure_ascii=False) + "\n")
            total += len(cases)
            described = sum(case.described_by != "subject" for case in cases)
            with_functions = sum(bool(case.functions) for case in cases)
            reasons = ", ".join(f"{reason} {count}" for reason, count in skipped.most_common(4))
            rows.append((project, len(cases), described, with_functions, reasons))
            print(f"{project}: {len(cases)} cases", file=sys.stderr)
    print(markdown_table(("project", "cases", "described", "with functions", "most skipped"), rows))
    print(f"\n{total} cases in {len(rows)} projects → {arguments.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
