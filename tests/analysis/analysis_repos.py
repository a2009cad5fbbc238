"""Small repositories for the analysis tests: files written into a temp dir, and git."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path


def write_files(root: Path, files: dict[str, str]) -> Path:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    return root


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=codekg", "-c", "user.email=codekg@example.invalid",
         "-c", "commit.gpgsign=false", *args],
        capture_output=True, text=True, check=True,
    )
    return done.stdout


def git_repo(root: Path) -> Path:
    """``root`` as a git repository on branch main with everything committed (the index dir ignored)."""
    with open(root / ".gitignore", "a") as ignore:
        ignore.write("\n.codekg/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "initial")
    return root


def located(label: str, qualified_name: str, file_path: str, start: int, end: int, **edge) -> dict:
    """A symbol as every analysis result writes it: id, label, names and source location, then ``edge``."""
    path_part = f"{file_path}:" if label not in ("File", "External") else ""
    node_id = f"{label}:{path_part}{qualified_name}" if label != "File" else f"File:{file_path}"
    return {"id": node_id, "label": label, "name": qualified_name.rsplit(".", 1)[-1] if label != "File" else file_path.rsplit("/", 1)[-1],
            "qualified_name": qualified_name, "file_path": file_path, "start_line": start, "end_line": end, **edge}
