"""search/locate.py and search/bodies.py: from an issue's text to the files and symbols to change, on
tests/fixtures/issuerepo (a job scheduler with human delays and retries, its tests and a docs example):
each signal, the graph spread, the fusion (exact top 3), tests after code, the body index kept in
step with the graph, a 50 KB issue, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from codekg.errors import InputError
from codekg.pipeline import index_repository
from codekg.search.locate import locate_in_index, resolve_path
from codekg.settings import load_settings

TRACEBACK = '''\
Scheduling with a fractional delay crashes

`scheduler.schedule(job, "1.5h")` raises instead of accepting 1.5 hours:

```
Traceback (most recent call last):
  File "/home/ana/jobs.py", line 8, in <module>
    scheduler.schedule(send_report, "1.5h")
  File "/venv/lib/python3.11/site-packages/shipit/scheduler.py", line 15, in schedule
    seconds = parse_duration(delay)
  File "/venv/lib/python3.11/site-packages/shipit/durations.py", line 10, in parse_duration
    raise ValueError(f"cannot parse duration {text!r}: expected a whole number followed by s, m or h")
ValueError: cannot parse duration '1.5h': expected a whole number followed by s, m or h
```
'''
RETRIES = '''\
Retries never stop for a job that keeps failing with a TypeError

A job that raises `TypeError` should not be retried (the docs say programming errors are not), but
`RetryPolicy.should_retry` returns True for it after a subclass of TypeError is raised... Also the wait
between attempts grows past five minutes: backoff seems uncapped.
'''
ORDER = '''\
Jobs that are due at the same moment run in the wrong order

When two jobs are pushed for the same time, pop_due returns them in reverse insertion order on some
heaps. Seen with the scheduler's run_due loop.
'''


@pytest.fixture
def shipit(index_fixture):
    return index_fixture("issuerepo")


def located(indexed, text: str, level: str = "symbol", limit: int = 3, **options) -> dict:
    return locate_in_index(indexed.db, indexed.repo, indexed.settings, text, level, limit, **options)


def names(document: dict) -> list[str]:
    return [hit.get("qualified_name") or hit["file_path"] for hit in document["results"]]


def test_a_traceback_puts_its_innermost_frame_first_with_every_signal_as_evidence(shipit):
    found = located(shipit, TRACEBACK)
    assert names(found)[:2] == ["shipit.durations.parse_duration", "shipit.scheduler.Scheduler.schedule"]
    assert found["results"][0]["evidence"][:3] == [
        "traceback frame src/shipit/durations.py:10 in parse_duration",
        "named in the issue: `parse_duration`",
        "quoted message found: \"cannot parse duration '1.5h': expected a whole number followed by s, m or h\""]
    assert found["results"][1]["evidence"][:2] == ["traceback frame src/shipit/scheduler.py:15 in schedule",
                                                   "named in the issue: `scheduler.schedule`"]
    # the user's own script (/home/ana/jobs.py) is not a file of the repository, though a frame names it
    assert found["clues"]["frames"][0] == "/home/ana/jobs.py:8 in <module>"
    files = located(shipit, TRACEBACK, level="file", limit=2)
    assert names(files) == ["src/shipit/durations.py", "src/shipit/scheduler.py"]


def test_a_frame_names_its_function_whatever_its_line_says(shipit):
    """A traceback from another version of the code: its line numbers fall elsewhere. The frame is
    the function it names, in the file it names; a frame naming no function of that file points at
    no symbol (its file still ranks), rather than at whatever its line falls in."""
    moved = ('Traceback (most recent call last):\n'
             '  File "/venv/lib/python3.11/site-packages/shipit/scheduler.py", line 22, in schedule\n'
             '  File "/venv/lib/python3.11/site-packages/shipit/durations.py", line 99999, in parse_it\n'
             "ValueError: bad\n")
    found = located(shipit, moved, limit=10)
    by_frame = [hit["qualified_name"] for hit in found["results"] if hit["evidence"][0].startswith("traceback frame")]
    assert by_frame == ["shipit.scheduler.Scheduler.schedule"]  # line 22 is in run_due; parse_it is no function
    assert found["results"][0]["evidence"][0] == "traceback frame src/shipit/scheduler.py:22 in schedule"
    files = located(shipit, moved, level="file", limit=2)
    assert names(files) == ["src/shipit/durations.py", "src/shipit/scheduler.py"]
    assert files["results"][0]["evidence"][0] == "traceback frame src/shipit/durations.py:99999 in parse_it"
    # a frame without a function's name is read by its line
    nameless = located(shipit, 'File "/venv/lib/python3.11/site-packages/shipit/durations.py", line 10\n', limit=1)
    assert [(hit["qualified_name"], hit["evidence"][0]) for hit in nameless["results"]] == [
        ("shipit.durations.parse_duration", "traceback frame src/shipit/durations.py:10")]


def test_names_in_prose_and_the_graph_around_them(shipit):
    # a dotted name, and a plain word that is also a function's name (a weaker signal)
    retries = located(shipit, RETRIES)
    assert names(retries)[:2] == ["shipit.retry.RetryPolicy.should_retry", "shipit.retry.backoff"]
    assert "named in the issue: `backoff`" in retries["results"][1]["evidence"]
    # the clues: names written or shaped as code apart from the prose words tried as names
    assert retries["clues"]["identifiers"] == ["TypeError", "RetryPolicy.should_retry"]
    assert retries["clues"]["prose_words"][:4] == ["Retries", "never", "stop", "keeps"]
    assert "backoff" in retries["clues"]["prose_words"]
    # then what the graph ties to should_retry: its caller, in the second best file (its place said last)
    third = retries["results"][2]
    assert third["qualified_name"] == "shipit.scheduler.Scheduler.run_due"
    assert third["evidence"][-2:] == ["caller of `shipit.retry.RetryPolicy.should_retry`", "in the #2 file"]
    # two names, then the method the graph ties to them: run_due calls push, which "pushed" names by its stem
    order = located(shipit, ORDER)
    assert names(order) == ["shipit.jobqueue.JobQueue.pop_due", "shipit.scheduler.Scheduler.run_due",
                            "shipit.jobqueue.JobQueue.push"]
    assert order["results"][2]["evidence"] == ["words of the issue in its body (text rank 7)",
                                               "words of the issue in its body, among the best files (rank 7)",
                                               "called by `shipit.scheduler.Scheduler.run_due`", "in the #1 file"]
    assert names(located(shipit, ORDER, level="file", limit=2)) == ["src/shipit/jobqueue.py", "src/shipit/scheduler.py"]


def test_a_named_class_lifts_its_methods(shipit):
    """An issue that names a class is mostly about what one of its methods does: the graph spreads
    the class's score to its methods (before, `pop_due` was fifth and `push` not in the top five,
    behind the class itself and the scheduler's methods that merely share words), and the methods of
    the best file come before those of the next (`_by_file`: before it, `Scheduler.__init__` was first)."""
    text = "`JobQueue` hands out a job twice when two share a time: the counter is not kept apart"
    found = located(shipit, text, limit=4)
    assert names(found) == ["shipit.jobqueue.JobQueue.pop_due", "shipit.jobqueue.JobQueue.push",
                            "shipit.scheduler.Scheduler.__init__", "shipit.scheduler.Scheduler.run_due"]
    assert [result["evidence"][-2:] for result in found["results"][:2]] == [
        ["method of `shipit.jobqueue.JobQueue`", "in the #1 file"]] * 2
    assert found["results"][2]["evidence"][-2:] == ["caller of `shipit.jobqueue.JobQueue`", "in the #2 file"]  # it makes the queue


def test_tests_and_examples_come_after_the_code_unless_asked(shipit):
    text = 'parse_duration("1.5h") should accept fractions: test_parse_duration_refuses_fractions says otherwise'
    default = located(shipit, text, limit=10)
    level = located(shipit, text, limit=10, include_tests=True)
    is_test = [hit["file_path"].startswith(("tests/", "docs/")) for hit in default["results"]]
    assert is_test == sorted(is_test)  # every test after every piece of code
    assert names(default)[0] == "shipit.durations.parse_duration"
    assert set(names(level)[:2]) == {"shipit.durations.parse_duration",  # both named: level with each other now
                                     "tests.test_durations.test_parse_duration_refuses_fractions"}


def test_the_body_index_follows_the_graph_file_by_file(shipit):
    first = located(shipit, ORDER)
    assert first["body_index"] == {"files_read": 7, "files_removed": 0}
    assert located(shipit, ORDER)["body_index"] == {"files_read": 0, "files_removed": 0}
    retry = shipit.repo / "src" / "shipit" / "retry.py"
    retry.write_text(retry.read_text() + '\n\ndef jitter(delay):\n    """Spread retries of a thundering herd."""\n'
                     '    return delay * 1.1\n')
    index_repository(shipit.repo, shipit.db, shipit.settings)
    (shipit.repo / "docs" / "example.py").unlink()
    index_repository(shipit.repo, shipit.db, shipit.settings)
    after = located(shipit, "a thundering herd of retries")
    assert after["body_index"] == {"files_read": 1, "files_removed": 1}
    assert names(after)[0] == "shipit.retry.jitter"
    # a file changed on disk since the index is left out, and said so; the index is not misread
    retry.write_text("def jitter():\n    pass\n")
    (shipit.db / "bodies.sqlite").unlink()
    stale = located(shipit, "a thundering herd of retries")
    assert stale["notes"] == ["1 file(s) changed on disk since the index and were left out (e.g. src/shipit/retry.py): "
                              "run `codekg index`"]
    assert "shipit.retry.jitter" not in names(stale)


def test_a_50_kb_issue_is_read_whole(shipit):
    text = "The scheduler keeps running jobs late when the clock jumps backwards during a long batch. " * 600
    text += '\nIt ends in\n  File "shipit/jobqueue.py", line 17, in pop_due\n'
    assert len(text) > 50_000
    found = located(shipit, text)
    assert names(found)[0] == "shipit.jobqueue.JobQueue.pop_due"
    assert found["text_chars"] == len(text)


@pytest.mark.parametrize(("path", "expected"), [
    ("/venv/lib/python3.11/site-packages/shipit/durations.py", "src/shipit/durations.py"),
    ("shipit/retry.py", "src/shipit/retry.py"),
    ("retry.py", "src/shipit/retry.py"),
    ("/home/ana/retry.py", None),  # a folder the repository does not have: the user's own file
    ("C:\\work\\shipit\\retry.py", "src/shipit/retry.py"),
    ("nowhere.py", None),
])
def test_a_path_from_an_issue_is_the_file_sharing_its_longest_tail(path, expected):
    paths = ["src/shipit/__init__.py", "src/shipit/durations.py", "src/shipit/retry.py", "tests/test_durations.py"]
    assert resolve_path(path, paths) == expected


def test_bad_input_is_refused(shipit):
    for text, level, message in [("  ", "file", "^the issue text is empty$"), ("x", "line", "unknown level 'line'"),
                                 ("x" * 1_000_001, "file", "at most 1,000,000 are read"),
                                 ("PK\x03\x04\x00\x00 binary", "file", "is not text: it holds NUL bytes"),
                                 ("\ufffd\ufffdx" * 20, "file", "or bytes that are not UTF-8")]:
        with pytest.raises(InputError, match=message):
            located(shipit, text, level=level)


def codekg(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *args], input=stdin, capture_output=True, text=True,
                          cwd=cwd, timeout=120)


OVERLOADED = '''\
from typing import overload


@overload
def progressbar(length: int) -> "Bar": ...


@overload
def progressbar(items: list) -> "Bar": ...


def progressbar(items=None, length=None):
    """A progress bar over items or a length."""
    return Bar(items or range(length))


class Bar:
    def __init__(self, items):
        self.items = list(items)
        self.position = 0

    def finish(self):
        """Move the bar to its final position."""
        self.position = len(self.items)
'''


def indexed_repo(tmp_path: Path, files: dict[str, str]) -> SimpleNamespace:
    """A repository of ``files`` (path: text) in ``tmp_path``, indexed: its repo, db and settings."""
    repo = tmp_path / "repo"
    for path, text in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)
    db = tmp_path / "db"
    settings = load_settings(repo)
    index_repository(repo, db, settings)
    return SimpleNamespace(repo=repo, db=db, settings=settings)


def test_overloads_of_one_function_take_one_place(tmp_path):
    """`@overload` stubs and the implementation are one function to change: one result, the best of
    them, and the next place goes to another function."""
    indexed = indexed_repo(tmp_path, {"bar/progress.py": OVERLOADED})
    issue = "`progressbar` does not reach its final position"
    found = located(indexed, issue, "symbol", 3)
    first, *others = [(hit["qualified_name"], hit["start_line"]) for hit in found["results"]]
    assert first == ("bar.progress.progressbar", 12)  # the implementation, not a stub (lines 4, 8)
    assert len(others) == 2 and {name for name, _ in others} <= {"bar.progress.Bar.__init__", "bar.progress.Bar.finish",
                                                                 "bar.progress.Bar"}
    files = located(indexed, issue, "file", 1)
    held = files["results"][0]["symbols"]
    assert held[0] == "bar.progress.progressbar" and len(held) == len(set(held)) == 3


def test_a_word_the_issue_repeats_weighs_more_up_to_three_times(tmp_path):
    """BM25 with the query's term frequency: two files each hold one of two words once, equally rare;
    the file of the word the issue says three times (once inside an identifier, `CacheEntry`) comes
    first, and saying it thirty times weighs no more than three: a rarer word said once still counts."""
    from codekg.search.bodies import BodyIndex
    from codekg.search.issue_text import read_issue
    from codekg.search.locate import MAX_REPEATS, _expression, query_terms

    indexed = indexed_repo(tmp_path, {
        "pkg/cache.py": 'def lookup(key):\n    """Read the cache."""\n    return key\n',
        "pkg/proxy.py": 'def forward(request):\n    """Send it through the proxy."""\n    return request\n',
        "pkg/other.py": 'def unrelated():\n    return 1\n'})
    issue = "The cache is stale behind a proxy: the cache keeps a CacheEntry after the proxy restarts"
    found = located(indexed, issue, "file", 2)
    assert [hit["file_path"] for hit in found["results"]] == ["pkg/cache.py", "pkg/proxy.py"]
    bodies = BodyIndex(indexed.db)
    try:
        terms = dict(query_terms(read_issue(issue), bodies, issue))
        assert (terms["cache"], terms["proxy"]) == (3, 2) and MAX_REPEATS == 3
        long_issue = "cache " * 30 + "proxy"
        assert dict(query_terms(read_issue(long_issue), bodies, long_issue))["cache"] == 30
        assert _expression([("cache", 30), ("proxy", 1)]) == '"cache" OR "cache" OR "cache" OR "proxy"'
    finally:
        bodies.close()


def test_the_cli_reads_text_a_file_or_standard_input(shipit, tmp_path):
    issue = tmp_path / "ISSUE.md"
    issue.write_text(ORDER)
    from_file = codekg("locate", "--file", str(issue), "--repo", str(shipit.repo), "--db", str(shipit.db), "--json")
    from_stdin = codekg("locate", "-", "--level", "symbol", "-n", "2", "--db", str(shipit.db), "--json", stdin=ORDER,
                        cwd=shipit.repo)
    assert from_file.returncode == 0 and from_stdin.returncode == 0, from_file.stderr + from_stdin.stderr
    assert [hit["file_path"] for hit in json.loads(from_file.stdout)["results"][:2]] == ["src/shipit/jobqueue.py",
                                                                                        "src/shipit/scheduler.py"]
    assert [hit["qualified_name"] for hit in json.loads(from_stdin.stdout)["results"]] == [
        "shipit.jobqueue.JobQueue.pop_due", "shipit.scheduler.Scheduler.run_due"]
    from_dash_file = codekg("locate", "--file", "-", "--level", "symbol", "-n", "2", "--db", str(shipit.db), "--json",
                            stdin=ORDER, cwd=shipit.repo)  # `--file -` is standard input too
    assert from_dash_file.returncode == 0 and json.loads(from_dash_file.stdout) == json.loads(from_stdin.stdout)
    text = codekg("locate", ORDER, "--db", str(shipit.db), "-n", "1", cwd=shipit.repo)
    assert text.returncode == 0 and text.stdout.splitlines()[:2] == [
        " 1. src/shipit/jobqueue.py  0.0489", "    holds `shipit.jobqueue.JobQueue.pop_due`"]
    # three pieces of evidence are printed, the rest counted
    traceback = codekg("locate", TRACEBACK, "--level", "symbol", "--db", str(shipit.db), "-n", "1", cwd=shipit.repo)
    evidence = located(shipit, TRACEBACK, limit=1)["results"][0]["evidence"]
    assert len(evidence) > 3 and traceback.stdout.splitlines()[1:] == [
        *(f"    {said}" for said in evidence[:3]), f"    and {len(evidence) - 3} more (--json lists all)"]
    (tmp_path / "core").write_bytes(bytes(range(256)) * 8)
    for args, message in [((), "give the issue as TEXT, - (standard input) or --file ISSUE.md"),
                          (("x", "--file", str(issue)), "give the issue as TEXT"),
                          (("--file", str(tmp_path / "none.md")), "no such file"),
                          (("--file", str(tmp_path)), "is a folder: give the issue's file"),
                          (("x", "--level", "line"), "unknown level 'line'"),
                          (("  ",), "empty issue text: give the issue's text, --file ISSUE.md or - for standard input"),
                          (("--file", str(tmp_path / "core")), "the issue text is not text: it holds NUL bytes")]:
        refused = codekg("locate", *args, "--db", str(shipit.db), cwd=shipit.repo)
        assert refused.returncode == 2 and message in refused.stderr and "Traceback" not in refused.stderr, args


def test_with_embeddings_a_semantic_signal_joins_and_a_long_issue_is_embedded_in_chunks(index_fixture):
    shipit = index_fixture("issuerepo", embeddings=True)
    found = located(shipit, "the pause before the next try keeps doubling without any ceiling", limit=5)
    semantic = {hit["qualified_name"] for hit in found["results"]
                if any(e.startswith("semantic match (") for e in hit["evidence"])}
    assert "shipit.retry.backoff" in semantic
    long = located(shipit, "the pause before the next try keeps doubling without any ceiling " * 700)
    assert long["notes"] == ["the semantic signal read the first 4 of 64 chunks of 160 words; every other signal "
                             "read the whole text"]


def test_issue_chunks_hold_every_word_once_at_least():
    from codekg.search.locate import CHUNK_WORDS, issue_chunks

    words = [f"w{n}" for n in range(1000)]
    chunks = issue_chunks(" ".join(words))
    assert all(len(chunk.split()) <= CHUNK_WORDS for chunk in chunks)
    assert set(" ".join(chunks).split()) == set(words)
    assert issue_chunks("one two") == ["one two"]


OVERRIDDEN = '''\
class SessionInterface:
    def save_session(self, app, session, response):
        """Save the session on the response."""
        raise NotImplementedError


class CookieSessionInterface(SessionInterface):
    def save_session(self, app, session, response):
        """Write the session into a signed cookie."""
        if not session:
            raise ValueError("cannot save an empty session")
        if len(session) > 4093:
            raise ValueError("the session cookie is too large")
        response.cookie = dict(session)
'''


def test_the_evidence_says_which_way_a_method_overrides_and_every_message_found(tmp_path):
    """The graph spreads from a named method to the one it overrides and to those overriding it, and
    says which is which; a symbol that holds two quoted messages says both."""
    indexed = indexed_repo(tmp_path, {"web/sessions.py": OVERRIDDEN})
    evidence = {hit["qualified_name"]: hit["evidence"] for hit in
                located(indexed, "`CookieSessionInterface.save_session` is never given the app", limit=5)["results"]}
    assert "overridden by `web.sessions.CookieSessionInterface.save_session`" in evidence["web.sessions.SessionInterface.save_session"]
    base = located(indexed, "`SessionInterface.save_session` takes no request", limit=5)["results"]
    subclass = next(hit for hit in base if hit["qualified_name"] == "web.sessions.CookieSessionInterface.save_session")
    assert "overrides `web.sessions.SessionInterface.save_session`" in subclass["evidence"]
    both = located(indexed, 'Saving fails with "cannot save an empty session" and then "the session cookie is too large"', limit=1)
    assert both["results"][0]["qualified_name"] == "web.sessions.CookieSessionInterface.save_session"
    assert both["results"][0]["evidence"][:2] == ['quoted message found: "cannot save an empty session"',
                                                  'quoted message found: "the session cookie is too large"']


REEXPORTING = {
    "fetch/__init__.py": "from .api import get, post as send\nfrom .sessions import Session\nfrom .tools import *\n",
    "fetch/api.py": "from .sessions import Session\n\n\ndef get(url):\n    return Session().get(url)\n\n\n"
                    "def post(url, data):\n    return Session().post(url, data)\n",
    "fetch/sessions.py": "class Session:\n    def get(self, url):\n        return self.send('GET', url)\n\n"
                         "    def post(self, url, data):\n        return self.send('POST', url)\n\n"
                         "    def send(self, method, url):\n        return method, url\n",
    "fetch/tools/__init__.py": "from .retry import backoff\n",
    "fetch/tools/retry.py": "def backoff(attempt):\n    return 2 ** attempt\n",
    "other/retry.py": "def backoff(attempt):\n    return attempt\n",
}


@pytest.mark.parametrize("issue, expected", [
    ("`fetch.get` ignores the proxy", ["fetch.api.get"]),  # not `Session.get`, which `fetch.get` is not
    ("`fetch.send` drops the body", ["fetch.api.post"]),  # an alias: `post as send`
    ("`fetch.backoff` never caps", ["fetch.tools.retry.backoff"]),  # a star import, then a package's import
    ("`fetch.Session.post` drops the body", ["fetch.sessions.Session.post"]),  # a class's method through it
])
def test_a_package_s_public_name_is_the_symbol_it_re_exports(tmp_path, issue, expected):
    """Users write a package's public names (`requests.get`, `flask.url_for`); the package's imports
    say which symbol each is, and only that one is named (before, `fetch.get` fell back to every
    symbol ending in `.get`)."""
    indexed = indexed_repo(tmp_path, REEXPORTING)
    results = located(indexed, issue, limit=10)["results"]
    named = [hit["qualified_name"] for hit in results if any(said.startswith("named in the issue") for said in hit["evidence"])]
    assert named == expected
    hit = next(hit for hit in results if hit["qualified_name"] == expected[0])
    assert f"named in the issue: `{issue.split('`')[1]}` (re-exported: `{expected[0]}`)" in hit["evidence"]


STREAMS = {
    "web/requests.py": "class Request:\n    def body(self):\n        return b''.join(self.stream())\n\n"
                       "    def stream(self):\n        if self.consumed:\n            raise RuntimeError('Stream consumed')\n"
                       "        self.consumed = True\n        yield b'data'\n",
    **{f"web/handler{i}.py": f"def handle{i}(request):\n    log('request received')\n    return request.body()\n" for i in range(12)},
}


def test_a_two_word_message_is_found_where_it_is_raised_and_a_common_phrase_is_no_clue(tmp_path):
    """A short quoted message ("Stream consumed") is a phrase of its own, found in the one method that
    raises it; a phrase found in more than MAX_MESSAGE_PLACES places (twelve handlers log "request
    received") says too little, and puts none of them first as a message."""
    indexed = indexed_repo(tmp_path, STREAMS)
    found = located(indexed, 'Reading the body twice fails with "Stream consumed".', limit=3)["results"]
    assert found[0]["qualified_name"] == "web.requests.Request.stream"
    assert found[0]["evidence"][0] == 'quoted message found: "Stream consumed"'
    common = located(indexed, 'The log says "request received" and then nothing happens.', limit=12)["results"]
    assert not any(said.startswith("quoted message found") for hit in common for said in hit["evidence"])


LIBRARY_NAMES = {
    "paths/__init__.py": "",
    "paths/build.py": "import os.path\nimport numpy as np\n\n\ndef join(parts):\n    return os.path.join(*parts)\n\n\n"
                      "def array(items):\n    return np.array(items)\n",
    "paths/tools.py": "from .build import join\n\n\ndef split(text):\n    return text.split('/')\n",
}


@pytest.mark.parametrize("issue, named", [
    ("`os.path.join` gives a backslash on Windows", []),  # the library's join, not the repository's
    ("`np.array` copies the input", []),  # an alias of a library module
    ("`paths.build.join` drops empty parts", ["paths.build.join"]),  # the repository's own, as before
    ("`tools.join` drops empty parts", ["paths.build.join"]),  # a head the repository does not import: as before
])
def test_a_dotted_name_of_a_library_names_no_symbol_of_the_repository(tmp_path, issue, named):
    """An issue quoting `os.path.join` or `np.array` names the library's function: the repository's own
    `join` and `array` share only the last part, and were put first as "named in the issue"."""
    indexed = indexed_repo(tmp_path, LIBRARY_NAMES)
    results = located(indexed, issue, limit=10)["results"]
    assert [hit["qualified_name"] for hit in results
            if any(said.startswith("named in the issue") for said in hit["evidence"])] == named
