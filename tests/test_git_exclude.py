"""The index directory is kept out of `git status` through git's exclude file, never `.gitignore`."""

from __future__ import annotations

import subprocess
import sys

from codekg.git_exclude import exclude_index_directory


def _git(repo, *arguments):
    return subprocess.run(["git", "-C", str(repo), *arguments], capture_output=True, text=True, check=True).stdout


def _repository(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "app.py").write_text("def main():\n    pass\n")
    return repo


def test_a_first_index_keeps_the_index_out_of_git_status(tmp_path):
    repo = _repository(tmp_path)
    for _ in range(2):  # the second (unchanged) run adds nothing
        run = subprocess.run([sys.executable, "-m", "codekg", "index", str(repo), "--quiet"], capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
    assert (repo / ".codekg").is_dir()
    assert _git(repo, "status", "--porcelain", "--untracked-files=all").splitlines() == ["?? app.py"]
    assert (repo / ".git" / "info" / "exclude").read_text().splitlines().count("/.codekg/") == 1
    assert not (repo / ".gitignore").exists()


def test_a_nested_index_directory_is_excluded_by_its_path_and_only_once(tmp_path):
    repo = _repository(tmp_path)
    exclude = repo / ".git" / "info" / "exclude"
    exclude.write_text("# mine\n*.log")  # no newline at the end
    for _ in range(2):
        exclude_index_directory(repo, repo / "build" / "kg")
    assert exclude.read_text() == "# mine\n*.log\n/build/kg/\n"


def test_an_index_outside_the_work_tree_or_a_folder_without_git_is_left_alone(tmp_path):
    repo = _repository(tmp_path)
    before = (repo / ".git" / "info" / "exclude").read_text()
    exclude_index_directory(repo, tmp_path / "elsewhere")
    assert (repo / ".git" / "info" / "exclude").read_text() == before
    plain = tmp_path / "plain"
    plain.mkdir()
    exclude_index_directory(plain, plain / ".codekg")  # git says this is no repository: nothing happens
    assert list(plain.iterdir()) == []
