"""`detect_changes` on a real git repository (a copy of tests/fixtures/pyrepo) with real edits."""

from __future__ import annotations

from pathlib import Path

import pytest

from codekg.analysis.changes import detect_changes
from codekg.errors import GitError

from analysis_repos import git, git_repo, write_files


def edit(repo: Path, path: str, old: str, new: str) -> None:
    target = repo / path
    text = target.read_text()
    assert old in text
    target.write_text(text.replace(old, new))


def changed(result):
    return [(s["qualified_name"], s["change"], s["innermost"]) for s in result["changed_symbols"]]


def affected(result):
    return [[(s["qualified_name"], s["relation"]) for s in level["symbols"]] for level in result["impact"]["levels"]]


@pytest.fixture
def repo(copy_fixture):
    """pyrepo committed on main."""
    return git_repo(copy_fixture("pyrepo"))


@pytest.fixture
def store(repo, open_store):
    """The index of ``repo`` built at its first commit: it holds the old side of every edit."""
    return open_store(repo)


def test_unstaged_edit(repo, store):
    edit(repo, "src/shop/util.py", "print(json.dumps(message))", "print(json.dumps(message, indent=2))")
    result = detect_changes(store, repo)
    head = git(repo, "rev-parse", "HEAD").strip()
    assert result["diff"] == {"mode": "working-tree", "base": "HEAD", "old_commit": head, "head_commit": head}
    assert (result["index_commit"], result["index_matches_head"], result["warnings"]) == (head, True, [])
    assert result["files"] == [{"file_path": "src/shop/util.py", "status": "modified", "indexed": "old",
                                "hunks": [{"old_start": 5, "old_lines": 1, "new_start": 5, "new_lines": 1}]}]
    assert changed(result) == [("shop.util", "modified", False), ("shop.util.log", "modified", True)]
    assert result["changed_symbols"][1] | {} == {
        "id": "Function:src/shop/util.py:shop.util.log", "label": "Function", "name": "log",
        "qualified_name": "shop.util.log", "file_path": "src/shop/util.py", "start_line": 4, "end_line": 5,
        "change": "modified", "innermost": True, "seeds_impact": True}
    assert affected(result) == [
        [("shop.service", "IMPORTS"), ("shop.service.checkout", "CALLS")],
        [("scripts.run", "CALLS")],
        [],
    ]
    assert result["impact"]["levels"][1]["symbols"][0]["path"] == ["shop.util.log", "shop.service.checkout", "scripts.run"]


def test_staged_diff_leaves_unstaged_edits_out(repo, store):
    edit(repo, "src/shop/service.py", "    return helper(order)", "    return helper(order) or None")
    git(repo, "add", "src/shop/service.py")
    edit(repo, "src/shop/util.py", "print(json.dumps(message))", "print(message)")
    staged = detect_changes(store, repo, staged=True)
    assert staged["diff"]["mode"] == "staged"
    assert [f["file_path"] for f in staged["files"]] == ["src/shop/service.py"]
    assert changed(staged) == [("shop.service", "modified", False), ("shop.service.checkout", "modified", True)]
    assert affected(staged) == [[("scripts.run", "CALLS")], [], []]
    working_tree = detect_changes(store, repo)
    assert [f["file_path"] for f in working_tree["files"]] == ["src/shop/service.py", "src/shop/util.py"]


def test_base_ref_covers_the_branch_and_uncommitted_edits(repo, store):
    git(repo, "checkout", "-q", "-b", "feature")
    edit(repo, "src/shop/util.py", "print(json.dumps(message))", "print(message)")
    git(repo, "commit", "-q", "-am", "log plainly")
    edit(repo, "src/shop/models.py", "        return True", "        return bool(self)")
    result = detect_changes(store, repo, base="main", depth=2)
    main = git(repo, "rev-parse", "main").strip()
    assert result["diff"]["old_commit"] == main and result["diff"]["base"] == "main"
    assert result["index_matches_head"] is False
    assert result["warnings"][0].startswith(f"the index was built at commit {main[:12]}, HEAD is ")
    assert [(f["file_path"], f["indexed"]) for f in result["files"]] == [("src/shop/models.py", "old"), ("src/shop/util.py", "old")]
    assert changed(result) == [
        ("shop.models", "modified", False), ("shop.models.Base", "modified", False),
        ("shop.models.Base.validate", "modified", True),
        ("shop.util", "modified", False), ("shop.util.log", "modified", True),
    ]
    assert affected(result) == [  # most confident first
        [("shop.service", "IMPORTS"), ("shop.service.checkout", "CALLS"), ("shop.models.Base.save", "CALLS")],
        [("scripts.run", "CALLS"), ("shop.models.Order.save", "OVERRIDES")],
    ]
    assert [s["confidence"] for s in result["impact"]["levels"][1]["symbols"]] == [1.0, 0.9]  # Order.save: overrides Base.save (1.0) after the 0.9 call into it
    # without --base only the uncommitted edit counts
    assert [f["file_path"] for f in detect_changes(store, repo)["files"]] == ["src/shop/models.py"]


def test_deleted_function_is_found_in_the_old_index(repo, store):
    edit(repo, "src/shop/service.py", "    return helper(order)\n", "    return order\n")
    edit(repo, "src/shop/service.py", "\n\ndef helper(order):\n    def inner():\n        return order.save()\n\n    return inner()\n", "")
    result = detect_changes(store, repo)
    assert result["files"][0]["hunks"] == [{"old_start": 10, "old_lines": 8, "new_start": 10, "new_lines": 1}]
    assert changed(result) == [
        ("shop.service", "modified", False),
        ("shop.service.checkout", "modified", True),
        ("shop.service.helper", "deleted", False),
        ("shop.service.helper.inner", "deleted", True),
    ]
    assert [s["seeds_impact"] for s in result["changed_symbols"]] == [False, True, True, True]
    assert affected(result) == [[("scripts.run", "CALLS")], [], []]


def test_an_index_of_the_new_side_matches_new_lines(repo, store, open_store):
    edit(repo, "src/shop/service.py", "\n\ndef helper(order):\n    def inner():\n        return order.save()\n\n    return inner()\n", "")
    result = detect_changes(open_store(repo), repo)  # re-indexed after the edit: helper is gone from the graph
    assert result["files"][0]["indexed"] == "new"
    assert result["warnings"] == []
    # the lines taken out follow checkout's last line but do not continue it (a top-level def): the module
    # changed; and the old side, parsed as the index would, still names what was deleted (on its old lines)
    assert changed(result) == [("shop.service", "modified", True), ("shop.service.helper", "deleted", False),
                               ("shop.service.helper.inner", "deleted", True)]
    assert [(s["start_line"], s["end_line"], s["seeds_impact"]) for s in result["changed_symbols"]] == [
        (1, 10, True), (13, 17, True), (14, 15, True)]
    # checkout still calls `helper`, which the index no longer has: found in the file as it is now
    level = result["impact"]["levels"][0]["symbols"]
    assert [(s["qualified_name"], s["relation"], s["reason"], s["confidence"], s["line"], s["path"]) for s in level
            if s["reason"] == "deleted-callee"] == [
        ("shop.service.checkout", "CALLS", "deleted-callee", 0.9, 10, ["shop.service.helper", "shop.service.checkout"])]


def test_a_file_deleted_before_the_index_was_built_keeps_its_definitions(repo, open_store):
    """Re-indexed after `git rm`: the index has no trace of the file; its old side names what went."""
    git(repo, "rm", "-q", "src/shop/util.py")
    result = detect_changes(open_store(repo), repo)
    assert [(f["file_path"], f["status"], f["indexed"]) for f in result["files"]] == [("src/shop/util.py", "deleted", "missing")]
    assert changed(result) == [("shop.util", "deleted", True), ("shop.util.log", "deleted", True)]


def test_lines_put_in_between_definitions_change_the_one_they_continue_or_annotate(repo, store):
    """A pure insertion is matched on the lines around its gap: it changes the definition it continues
    (a statement at the end of a body) or annotates (a decorator above it), not its neighbours."""
    edit(repo, "src/shop/service.py", "    return inner()\n", "    return inner()\n\n\ndef extra():\n    return 1\n")
    assert changed(detect_changes(store, repo)) == [("shop.service", "modified", True)]
    edit(repo, "src/shop/service.py", "\n\ndef extra():\n    return 1\n", "    print(order)\n")  # the end of helper's body
    assert changed(detect_changes(store, repo)) == [("shop.service", "modified", False), ("shop.service.helper", "modified", True)]
    edit(repo, "src/shop/service.py", "    print(order)\n", "")
    edit(repo, "src/shop/service.py", "\n\ndef helper(order):", "\n\n@staticmethod\ndef helper(order):")
    assert changed(detect_changes(store, repo)) == [("shop.service", "modified", False), ("shop.service.helper", "modified", True)]


def test_deleted_function_alone(repo, store):
    edit(repo, "src/shop/models.py", "    def validate(self):\n        return True\n", "")
    result = detect_changes(store, repo)
    assert result["files"][0]["hunks"] == [{"old_start": 10, "old_lines": 2, "new_start": 9, "new_lines": 0}]
    assert changed(result) == [
        ("shop.models", "modified", False), ("shop.models.Base", "modified", False),
        ("shop.models.Base.validate", "deleted", True)]
    # Order.save's callers: both call `.save()` on an Order (flow-method)
    assert affected(result) == [[("shop.models.Base.save", "CALLS")], [("shop.models.Order.save", "OVERRIDES")],
                                [("scripts.run", "CALLS"), ("shop.service.helper.inner", "CALLS")]]


def test_deleted_file(repo, store):
    git(repo, "rm", "-q", "src/shop/util.py")
    result = detect_changes(store, repo)
    assert result["files"] == [{"file_path": "src/shop/util.py", "status": "deleted", "indexed": "old", "hunks": [
        {"old_start": 1, "old_lines": 5, "new_start": 0, "new_lines": 0}]}]
    assert changed(result) == [("shop.util", "deleted", True), ("shop.util.log", "deleted", True)]
    assert affected(result) == [[("shop.service", "IMPORTS"), ("shop.service.checkout", "CALLS")], [("scripts.run", "CALLS")], []]


def test_blank_line_edits_change_nothing(repo, store):
    edit(repo, "src/shop/models.py", "        return True\n\n\n", "        return True\n\n\n\n\n")
    result = detect_changes(store, repo)
    assert len(result["files"]) == 1
    assert changed(result) == [] and affected(result) == [[], [], []]


def test_module_level_edit_seeds_the_module(repo, store):
    edit(repo, "src/shop/service.py", "import os\n", "import os\nimport sys\n")
    result = detect_changes(store, repo)
    assert changed(result) == [("shop.service", "modified", True)]
    assert affected(result) == [[("scripts.run", "IMPORTS")], [], []]


def test_not_a_git_repository(copy_fixture, open_store):
    repo = copy_fixture("pyrepo")
    with pytest.raises(GitError, match="is not inside a git work tree"):
        detect_changes(open_store(repo), repo)


def test_bad_ref(repo, store):
    with pytest.raises(GitError, match="unknown git ref 'no-such-branch'"):
        detect_changes(store, repo, base="no-such-branch")
    with pytest.raises(GitError, match="unknown git ref '--output=x'"):
        detect_changes(store, repo, base="--output=x")
    assert not (repo / "x").exists()


def test_no_commit_yet(tmp_path, open_store):
    repo = write_files(tmp_path / "fresh", {"a.py": "def f():\n    return 1\n"})
    git(repo, "init", "-q")
    with pytest.raises(GitError, match="no commit yet"):
        detect_changes(open_store(repo), repo)


def test_sql_statements_and_ontology_terms_are_changed_symbols(tmp_path, open_store):
    """An edited view's query and an edited ontology term are what a diff of .sql and .ttl files
    changes (a new user saw `Changed symbols (0)` for both)."""
    repo = git_repo(write_files(tmp_path / "warehouse", {
        "sql/mart.sql": """
            CREATE TABLE orders (id INT, total INT);

            CREATE VIEW big_orders AS
            SELECT id, total
            FROM orders
            WHERE total > 100;
            """,
        "ontology/shop.ttl": """
            @prefix : <http://example.org/shop#> .
            @prefix owl: <http://www.w3.org/2002/07/owl#> .
            @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

            :Order a owl:Class ; rdfs:label "Order" .

            :Customer a owl:Class ; rdfs:label "Customer" .
            """,
    }))
    store = open_store(repo)
    edit(repo, "sql/mart.sql", "total > 100", "total > 500")
    edit(repo, "ontology/shop.ttl", '"Customer"', '"Client"')
    result = detect_changes(store, repo)
    assert [(s["label"], s["qualified_name"], s["change"], s["innermost"]) for s in result["changed_symbols"]] == [
        ("OntologyClass", "Customer", "modified", True), ("SqlStatement", "sql.mart:3", "modified", True)]


def test_a_commit_of_indexed_edits_moves_the_indexed_commit_without_a_rebuild(repo, open_store):
    """Edits indexed, then committed: the files are unchanged, so `index` writes nothing but the HEAD
    the graph records; `detect-changes` no longer warns that the index was built at another commit."""
    import sqlite3

    from codekg.index_state import IndexState, state_path
    from codekg.pipeline import index_repository
    from codekg.settings import load_settings
    from codekg.stores import IndexDirectory

    settings = load_settings(repo)
    edit(repo, "src/shop/util.py", "print(json.dumps(message))", "print(json.dumps(message, indent=2))")
    index_repository(repo, repo / ".codekg", settings)
    git(repo, "commit", "-q", "-am", "indent")
    head = git(repo, "rev-parse", "HEAD").strip()
    summary = index_repository(repo, repo / ".codekg", settings)
    assert (summary.delta["mode"], summary.commit) == ("unchanged", head)
    result = detect_changes(open_store(repo), repo)  # one more unchanged run, then a read
    assert (result["index_commit"], result["index_matches_head"], result["warnings"]) == (head, True, [])
    directory = IndexDirectory(repo / ".codekg")
    current = directory.current_graph()
    state = IndexState(state_path(repo / ".codekg", current.name), sqlite3.connect(state_path(repo / ".codekg", current.name)))
    try:  # the graph's new stamp is recorded: the next unchanged run need not open it to check
        assert (state.commit, state.checked_graph_stamp) == (head, directory.graph_stamp(current.name))
    finally:
        state.close()


def test_the_callers_of_a_deleted_function_in_other_files_are_found_after_a_re_index(tmp_path, open_store):
    """A function deleted while another module still imports and calls it (a new user's flask run lost
    `ScriptInfo.__init__`): after `codekg index` the call resolves to nothing, so it is read from the
    importing file as it is now, by name and on the module."""
    repo = tmp_path / "repo"
    write_files(repo, {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def get_flag():\n    return 1\n\n\ndef get_load_dotenv():\n    return True\n",
        "pkg/cli.py": ("from pkg import helpers\nfrom pkg.helpers import get_flag, get_load_dotenv\n\n\n"
                       "class ScriptInfo:\n    def __init__(self):\n        self.load = get_load_dotenv()\n        self.flag = get_flag()\n\n\n"
                       "def again():\n    return helpers.get_load_dotenv()\n\n\ndef main():\n    return ScriptInfo()\n"),
    })
    git_repo(repo)
    edit(repo, "pkg/helpers.py", "\n\ndef get_load_dotenv():\n    return True\n", "")
    result = detect_changes(open_store(repo), repo)
    assert changed(result) == [("pkg.helpers", "modified", True), ("pkg.helpers.get_load_dotenv", "deleted", True)]
    assert affected(result) == [
        [("pkg.cli", "IMPORTS"), ("pkg.cli.ScriptInfo.__init__", "CALLS"), ("pkg.cli.again", "CALLS")],
        [("pkg.cli.main", "CALLS")], []]
    assert [s["reason"] for s in result["impact"]["levels"][0]["symbols"]][1:] == ["deleted-callee", "deleted-callee"]


def test_the_callers_of_a_deleted_file_are_found_after_a_re_index(tmp_path, open_store):
    """A whole module deleted while another still imports and calls it: after `codekg index` its
    imports end at an External for the gone module (no File to follow), whose importers are read as
    it is now, by name and on the module (a new user's httpx run lost every caller of `_urlparse.py`)."""
    repo = tmp_path / "repo"
    write_files(repo, {
        "pkg/__init__.py": "",
        "pkg/helpers.py": "def get_flag():\n    return 1\n\n\ndef get_load_dotenv():\n    return True\n",
        "pkg/cli.py": ("import pkg.helpers\nfrom pkg.helpers import get_flag\n\n\n"
                       "class ScriptInfo:\n    def __init__(self):\n        self.flag = get_flag()\n\n\n"
                       "def again():\n    return pkg.helpers.get_load_dotenv()\n\n\ndef main():\n    return ScriptInfo()\n"),
        "pkg/other.py": "def unrelated():\n    return get_flag()\n",
    })
    git_repo(repo)
    (repo / "pkg/helpers.py").unlink()
    result = detect_changes(open_store(repo), repo)
    assert changed(result) == [("pkg.helpers", "deleted", True), ("pkg.helpers.get_flag", "deleted", True),
                               ("pkg.helpers.get_load_dotenv", "deleted", True)]
    assert affected(result) == [[("pkg.cli.ScriptInfo.__init__", "CALLS"), ("pkg.cli.again", "CALLS")],
                                [("pkg.cli.main", "CALLS")], []]
    assert {s["reason"] for s in result["impact"]["levels"][0]["symbols"]} == {"deleted-callee"}


def test_the_callers_of_a_deleted_javascript_file_are_found_through_the_imports_naming_it(tmp_path, open_store):
    """A JavaScript import of a deleted file leaves no edge, only the importer's Import node with the
    specifier as written (`../helpers/combineURLs.js`, or without its suffix): resolved from the
    importer's folder, it names the gone file (axios's `buildFullPath` lost its callee)."""
    repo = tmp_path / "repo"
    write_files(repo, {
        "package.json": '{"name": "app", "type": "module"}\n',
        "lib/helpers/combineURLs.js": "export default function combineURLs(base, relative) {\n  return base + relative;\n}\n",
        "lib/core/buildFullPath.js": ("import combineURLs from '../helpers/combineURLs.js';\n\n"
                                      "export default function buildFullPath(base, url) {\n  return combineURLs(base, url);\n}\n"),
        "lib/core/short.js": "import combineURLs from '../helpers/combineURLs';\n\nexport function join(a, b) {\n  return combineURLs(a, b);\n}\n",
        "lib/other.js": "import combineURLs from './combineURLs.js';\n\nexport function elsewhere() {\n  return combineURLs();\n}\n",
        "lib/combineURLs.js": "export default function combineURLs() {\n  return '';\n}\n",
        "lib/index.js": "import buildFullPath from './core/buildFullPath.js';\n\nexport function request(url) {\n  return buildFullPath('', url);\n}\n",
    })
    git_repo(repo)
    (repo / "lib/helpers/combineURLs.js").unlink()
    result = detect_changes(open_store(repo), repo)
    assert changed(result) == [("lib.helpers.combineURLs", "deleted", True),
                               ("lib.helpers.combineURLs.combineURLs", "deleted", True)]
    # lib/other.js imports another file of that name: not a caller
    assert affected(result) == [[("lib.core.buildFullPath.buildFullPath", "CALLS"), ("lib.core.short.join", "CALLS")],
                                [("lib.index.request", "CALLS")], []]
