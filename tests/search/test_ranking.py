"""search/ranking.py: the final order of hits (the symbols a query names first, code before tests,
docs and examples), the filters, and the graph context of every mode; on tests/fixtures/rankrepo,
a flask-shaped framework whose tests and docs example reuse its names."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.errors import InputError
from codekg.pipeline import index_repository
from codekg.search import SearchFilters, search, search_result
from codekg.search.ranking import match_tier, name_query
from codekg.search.store import Symbol
from codekg.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "rankrepo"


def symbol(qualified_name: str, file_path: str = "pkg/mod.py") -> Symbol:
    return Symbol(1, f"Function:{file_path}:{qualified_name}", "Function", qualified_name.rsplit(".", 1)[-1],
                  qualified_name, file_path, 1, 2, "", "")


@pytest.mark.parametrize(("query", "expected"), [
    ("url_for", "url_for"), ("  App.url_for ", "App.url_for"), ("url_for.", "url_for"), ("$el", "$el"),
    ("url_for(", "url_for"), ("url_for()", "url_for"), (".url_for", "url_for"), ("App.url_for()", "App.url_for"),
    ("url for", "url_for"), ("build the url", "build_the_url"), ("where is the url", ""), ("url for?", ""),
    ("url_for(x)", ""), ("a-b", ""), ("", ""), ("3d", ""),
])
def test_a_query_names_a_symbol_only_when_it_is_one_identifier_or_dotted_name(query, expected):
    assert name_query(query) == expected


@pytest.mark.parametrize(("name", "qualified_name", "tier"), [
    ("url_for", "flask.helpers.url_for", 0),
    ("Flask.url_for", "flask.app.Flask.url_for", 0),
    ("flask.helpers.url_for", "flask.helpers.url_for", 0),
    ("URL_FOR", "flask.helpers.url_for", 1),
    ("flask.url_for", "flask.app.Flask.url_for", 1),
    ("url_", "flask.helpers.url_for", 2),
    ("URL", "flask.helpers.url_quote", 2),
    ("helpers.url", "flask.helpers.url_for", 3),
    ("url_for", "tests.test_helpers.test_url_for_with_anchor", 3),
    ("for", "flask.helpers.url_for", 3),
    ("render", "flask.helpers.url_for", 4),
    ("", "flask.helpers.url_for", 4),
    ("elpers.url_for", "flask.helpers.url_for", 3),  # inside a segment: not "after a dot"
    ("url_for", "webkit.routing.urlFor", 1),  # underscores aside: `url for` typed as words finds either
    ("get_user_by", "app.users.getUserById", 2),
])
def test_the_match_tier_of_a_name(name, qualified_name, tier):
    assert match_tier(name, symbol(qualified_name)) == tier


@pytest.fixture(scope="module")
def ranked(tmp_path_factory):
    db = tmp_path_factory.mktemp("rank") / "db"
    settings = load_settings(FIXTURE, use_git_ls_files=False)
    index_repository(FIXTURE, db, settings)
    return db, settings


def names(hits):
    return [hit.qualified_name for hit in hits]


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_name_puts_the_symbols_so_named_first_then_code_then_tests_and_docs(ranked, mode):
    db, settings = ranked
    # BM25 alone put tests.test_helpers.TestUrlFor.url_for and docs.examples.blog.url_for_post first
    assert [(hit.qualified_name, hit.match) for hit in search(db, settings, "url_for", 7, mode)] == [
        ("webkit.app.App.url_for", "exact"), ("webkit.helpers.url_for", "exact"),  # named, code: by score, then id
        ("tests.test_helpers.TestUrlFor.url_for", "exact"),  # named, a test
        ("docs.examples.blog.url_for_post", "prefix"),  # named (a prefix), the docs example
        # then the code's other matches, before the tests whose names merely hold `url_for`
        ("webkit.app.App.route", "text"), ("webkit.routing.BuildError", "text"), ("webkit.app.App.add_url_rule", "text"),
    ]
    assert names(search(db, settings, "App.url_for", 1, mode)) == ["webkit.app.App.url_for"]
    assert [(h.qualified_name, h.match) for h in search(db, settings, "url_for(", 4, mode)] == [
        ("webkit.app.App.url_for", "exact"), ("webkit.helpers.url_for", "exact"),
        ("tests.test_helpers.TestUrlFor.url_for", "exact"), ("docs.examples.blog.url_for_post", "prefix")]
    assert names(search(db, settings, "test_client", 1, mode)) == ["webkit.app.App.test_client"]
    assert names(search(db, settings, "Rule", 2, mode))[0] == "webkit.routing.Rule"
    assert names(search(db, settings, "render_temp", 2, mode)) == [
        "webkit.templating.render_template", "webkit.templating.render_template_string"]  # prefix, shorter first by BM25


def test_filters_by_label_path_and_tests(ranked):
    db, settings = ranked
    # after the symbols named, the rest by BM25: `url_for` is the words "url" and "for" too
    assert names(search(db, settings, "url_for", 4, "keyword", SearchFilters(labels=("Method",)))) == [
        "webkit.app.App.url_for", "tests.test_helpers.TestUrlFor.url_for", "webkit.app.App.route", "webkit.app.App.add_url_rule"]
    assert names(search(db, settings, "url_for", 3, "hybrid", SearchFilters(path="webkit/*"))) == [
        "webkit.app.App.url_for", "webkit.helpers.url_for", "webkit.app.App.route"]
    assert names(search(db, settings, "url_for", 4, "keyword", SearchFilters(include_tests=False))) == [
        "webkit.app.App.url_for", "webkit.helpers.url_for", "docs.examples.blog.url_for_post", "webkit.app.App.route"]
    assert names(search(db, settings, "url_for", 10, "keyword", SearchFilters(path="nowhere/*"))) == []
    # a pattern no indexed file matches says so (a typo, or a path from another root)
    assert search_result(db, settings, "url_for", 10, "keyword", SearchFilters(path="nowhere/*")).notes == [
        "no indexed file's path matches 'nowhere/*' (a repository-relative shell pattern; * crosses folders; "
        "a path without a wildcard is a file or a folder)"]
    assert search_result(db, settings, "url_for", 10, "keyword", SearchFilters(path="webkit")).notes == []
    # a path without a wildcard is a file or a folder: everything under `webkit`, not a file called that
    for folder in ("webkit", "webkit/", "./webkit"):
        assert names(search(db, settings, "url_for", 3, "hybrid", SearchFilters(path=folder))) == [
            "webkit.app.App.url_for", "webkit.helpers.url_for", "webkit.app.App.route"]
    assert names(search(db, settings, "url_for", 3, "keyword", SearchFilters(path="webkit/helpers.py"))) == [
        "webkit.helpers.url_for", "webkit.helpers"]
    assert names(search(db, settings, "url_for", 3, "keyword", SearchFilters(path="web"))) == []  # not a prefix of names
    with pytest.raises(InputError, match="cannot search label 'Table'"):
        SearchFilters(labels=("Table",))


def test_every_mode_gives_each_hit_its_graph_context(ranked):
    db, settings = ranked
    for mode in ("keyword", "hybrid"):
        [hit] = search(db, settings, "App.url_for", 1, mode)
        assert (hit.container, hit.callers, hit.callees) == ("webkit.app.App", [], ["webkit.helpers.url_for"])
        [hit] = search(db, settings, "add_url_rule", 1, mode)
        assert (hit.qualified_name, hit.container, hit.callers, hit.callees) == (
            "webkit.app.App.add_url_rule", "webkit.app.App",
            # the code first, then the tests (whose `app` fixture returns an App)
            ["webkit.app.App.route.decorator", "tests.test_app.test_add_url_rule", "tests.test_app.test_dispatch_request"],
            ["webkit.routing.Map.add", "webkit.routing.Rule", "webkit.routing.Rule.__init__"])


def test_the_ranking_set_scores_mrr_of_at_least_0_9_and_every_name_first_in_every_mode():
    spec = importlib.util.spec_from_file_location("search_ranking", ROOT / "bench" / "search_ranking.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    queries = bench.load_queries()
    assert len(queries) == 50 and {q["kind"] for q in queries} == {"name", "prefix", "words"}
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        db = Path(scratch) / "db"
        index_repository(FIXTURE, db, load_settings(FIXTURE, embeddings=True, use_git_ls_files=False))
        settings = load_settings(FIXTURE, use_git_ls_files=False)
        for mode in ("keyword", "semantic", "hybrid"):
            result = bench.score(db, settings, queries, mode)
            assert result["mrr"] >= 0.9, result
            assert result["name_at_1"] == 1.0, result


def test_the_cli_takes_the_filters_and_refuses_an_unknown_label(ranked, tmp_path):
    db, _ = ranked
    command = [sys.executable, "-m", "codekg", "search", "url_for", "--db", str(db), "--mode", "keyword"]
    found = subprocess.run([*command, "--label", "Function", "--label", "Method", "--no-tests", "--json"],
                           capture_output=True, text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)["results"]
    assert [(h["qualified_name"], h["container"]) for h in hits[:4]] == [
        ("webkit.app.App.url_for", "webkit.app.App"), ("webkit.helpers.url_for", "webkit.helpers"),
        ("docs.examples.blog.url_for_post", "docs.examples.blog"), ("webkit.app.App.route", "webkit.app.App")]
    assert not [h for h in hits if h["file_path"].startswith("tests/") or h["label"] not in ("Function", "Method")]
    refused = subprocess.run([*command, "--label", "Table"], capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("error: cannot search label 'Table': use Module, Class, Interface, Enum, Type, "
                                      "Function, Method, Variable")


def test_an_empty_query_is_refused(ranked):
    db, settings = ranked
    for query in ("", "   "):
        with pytest.raises(InputError, match="empty search query"):
            search(db, settings, query, 5, "keyword")
    for query in ("!!!", "()", "*", "\U0001f600"):  # any vector is nearest to something: no answer is better
        for mode in ("keyword", "hybrid"):
            with pytest.raises(InputError, match="has no letter or digit"):
                search(db, settings, query, 5, mode)


def test_a_label_is_taken_case_aside_and_a_path_as_the_index_writes_it(ranked):
    db, settings = ranked
    assert SearchFilters(labels=("method", "CLASS"), path="./webkit/*") == SearchFilters(labels=("Method", "Class"), path="webkit/*")
    assert names(search(db, settings, "url_for", 2, "keyword", SearchFilters(labels=("method",), path="./webkit/*"))) == [
        "webkit.app.App.url_for", "webkit.app.App.route"]


# --- each ranking reads the code first (search/__init__.py `_by_shelf`) ------------------------------

CROWDED_CODE = '''"""Pages."""


def render_page(template):
    """Render a page from its template."""
    return template


def page_title(page):
    """The title of a page."""
    return page
'''


def _crowded_repo(root: Path, tests: int) -> Path:
    """One code module with two page functions, and ``tests`` test functions whose names and
    docstrings say "render page template" more often than the code does: BM25 ranks them all first."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "pages.py").write_text(CROWDED_CODE)
    (root / "tests").mkdir()
    (root / "tests" / "test_pages.py").write_text("".join(
        f'def test_render_page_template_{i}():\n    """Render page template: render the page template {i}."""\n\n\n'
        for i in range(tests)))
    return root


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_question_finds_the_code_even_when_tests_match_its_words_better(tmp_path: Path, mode: str) -> None:
    repo = _crowded_repo(tmp_path / "repo", tests=60)
    settings = load_settings(repo)
    index_repository(repo, tmp_path / "db", settings)
    hits = search(tmp_path / "db", settings, "render a page template", limit=5, mode=mode)
    assert [hit.qualified_name for hit in hits[:2]] == ["pkg.pages.render_page", "pkg.pages.page_title"]
    assert [hit.file_path for hit in hits[2:]] == ["tests/test_pages.py"] * 3  # the code has two matches: tests fill the rest


def test_a_name_puts_the_tests_that_hold_it_after_the_codes_matches_and_those_that_start_with_it_before(tmp_path: Path) -> None:
    """Tests whose qualified names merely hold the name (tier 3) come after the code's word matches
    (tier 4); a test whose name starts with the query (tier 2) is named by it, and comes before."""
    repo = _crowded_repo(tmp_path / "repo", tests=3)
    settings = load_settings(repo)
    index_repository(repo, tmp_path / "db", settings)
    hits = search(tmp_path / "db", settings, "render_page", limit=6, mode="keyword")
    assert [(hit.qualified_name, hit.match) for hit in hits] == [
        ("pkg.pages.render_page", "exact"), ("pkg.pages.page_title", "text"), ("pkg.pages", "text"),
        *((f"tests.test_pages.test_render_page_template_{i}", "in-qualified-name") for i in range(3)),
    ]
    hits = search(tmp_path / "db", settings, "test_render_page_template_1", limit=2, mode="keyword")
    assert [(hit.qualified_name, hit.match) for hit in hits] == [
        ("tests.test_pages.test_render_page_template_1", "exact"), ("pkg.pages.render_page", "text")]
    hits = search(tmp_path / "db", settings, "test_render", limit=1, mode="hybrid")
    assert [(hit.qualified_name, hit.match) for hit in hits] == [("tests.test_pages.test_render_page_template_0", "prefix")]


def test_a_path_filter_reads_only_the_shelves_it_can_match(tmp_path: Path) -> None:
    repo = _crowded_repo(tmp_path / "repo", tests=30)
    settings = load_settings(repo)
    index_repository(repo, tmp_path / "db", settings)
    for mode in ("keyword", "hybrid"):
        only_tests = search(tmp_path / "db", settings, "render a page template", limit=3, mode=mode,
                            filters=SearchFilters(path="tests/*"))
        assert [hit.file_path for hit in only_tests] == ["tests/test_pages.py"] * 3
        only_code = search(tmp_path / "db", settings, "render a page template", limit=5, mode=mode,
                           filters=SearchFilters(path="[!t]*"))  # fnmatch's negated class
        assert [hit.qualified_name for hit in only_code] == ["pkg.pages.render_page", "pkg.pages.page_title"]


def many_gets(root: Path) -> Path:
    """A module function `get` and forty classes with a `get` method, their docstrings saying more or
    less about getting: more candidates than a ranking's first CANDIDATES rows hold."""
    (root / "store").mkdir(parents=True)
    (root / "store" / "__init__.py").write_text("")
    (root / "store" / "api.py").write_text('def get(url):\n    """Get a resource."""\n    return url\n')
    for number in range(40):
        words = " ".join(["get the value, get it"] * (number % 7))
        (root / "store" / f"kind{number:02}.py").write_text(
            f'class Kind{number:02}:\n    def get(self, key):\n        """{words} key {number}."""\n        return key\n\n'
            f'    def get_all_{number:02}(self):\n        return [self.get(k) for k in range(3)]\n')
    return root


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_larger_limit_extends_the_hits_and_never_reorders_them(tmp_path: Path, mode: str) -> None:
    """Reading the rankings deeper for a larger --limit changes the scores (a named symbol's, a fused
    one's); the hits of a limit up to 20 stay the first ones, in their order (a new user: `search get
    -n 3` and `-n 50` put requests' `get`s in different orders). Past those, two deeper searches may
    order the rest differently."""
    repo = many_gets(tmp_path / "repo")
    settings = load_settings(repo, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    for query in ("get", "get the value", "Kind07.get"):
        longest = names(search(tmp_path / "db", settings, query, 90, mode))
        assert len(longest) > 40
        for limit in (1, 3, 10, 20, 21, 35, 60):
            got = names(search(tmp_path / "db", settings, query, limit, mode))
            assert got[:20] == longest[:min(limit, 20)] and len(got) == limit, (query, limit)


def test_two_or_three_words_find_the_name_they_spell(tmp_path: Path) -> None:
    """`url for` is the name `url_for`, written so or `urlFor`: both come before the words' matches
    (flask's `url_for` came 23rd for "url for" in keyword mode, behind `Request.url_rule`)."""
    repo = tmp_path / "repo"
    (repo / "web").mkdir(parents=True)
    (repo / "web" / "__init__.py").write_text("")
    (repo / "web" / "helpers.py").write_text('def url_for(endpoint):\n    return endpoint\n')
    (repo / "web" / "routing.js").write_text('export function urlFor(name) { return name }\n')
    (repo / "web" / "request.py").write_text(
        'class Request:\n    url_rule = None\n\n    def url(self):\n        """The url for this request, the url for a rule, the url."""\n        return ""\n')
    settings = load_settings(repo, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    for mode in ("keyword", "hybrid"):
        found = search(tmp_path / "db", settings, "url for", 4, mode)
        assert [(hit.qualified_name, hit.match) for hit in found][:2] == [
            ("web.helpers.url_for", "exact"), ("web.routing.urlFor", "exact-case-aside")], mode
