"""search/issue_text.py: what an issue's text points at, read from issue-like texts as people write
them (a pasted Python traceback, a browser stack, Markdown with code, prose only, a 50 KB report)."""

from __future__ import annotations

from codekg.search.issue_text import Frame, read_issue

PYTHON_REPORT = '''\
`url_for` with `_external=True` fails in a CLI command

When I call `flask.url_for("bp.index", _external=True)` inside a click command I get:

```pytb
Traceback (most recent call last):
  File "/home/me/app/cli.py", line 12, in main
    print(url_for("bp.index", _external=True))
  File "/usr/lib/python3.11/site-packages/flask/helpers.py", line 225, in url_for
    return current_app.url_for(
  File "/usr/lib/python3.11/site-packages/flask/app.py", line 1085, in url_for
    raise RuntimeError(
RuntimeError: Unable to build URLs outside an active request without 'SERVER_NAME' configured.
```

The docs of `Flask.url_for` say "Generate a URL to the given endpoint". See src/flask/app.py; maybe
createUrlAdapter or make_response should handle SERVER_NAME.
'''

JS_REPORT = '''\
TypeError after upgrading: render breaks on nested slots

    TypeError: Cannot read properties of undefined (reading 'vnode')
        at patchChildren (packages/runtime-core/src/renderer.ts:1652:11)
        at Object.process (webpack:///node_modules/vue/dist/vue.runtime.esm.js:7021:5)
        at <anonymous>:1:1
'''


def test_a_python_traceback_gives_its_frames_error_and_message_and_the_code_its_names():
    clues = read_issue(PYTHON_REPORT)
    assert clues.frames == [Frame("/home/me/app/cli.py", 12, "main"),
                            Frame("/usr/lib/python3.11/site-packages/flask/helpers.py", 225, "url_for"),
                            Frame("/usr/lib/python3.11/site-packages/flask/app.py", 1085, "url_for")]
    assert clues.error_types == ["RuntimeError"]
    assert clues.messages == ["Unable to build URLs outside an active request without 'SERVER_NAME' configured.",
                              "Generate a URL to the given endpoint"]
    assert clues.paths == ["src/flask/app.py"]
    # in backticks, then in the code block's lines (its frames and error line aside), then the names
    # that look like code in the prose (dotted, calls, CamelCase, snake_case), then the plain words
    assert clues.identifiers[:10] == ["url_for", "_external", "flask.url_for", "bp.index", "Flask.url_for",
                                      "current_app.url_for", "RuntimeError", "createUrlAdapter", "make_response",
                                      "SERVER_NAME"]
    assert {"url_for", "_external", "flask.url_for", "bp.index", "current_app.url_for", "Flask.url_for",
            "RuntimeError"} <= clues.emphasised
    assert "createUrlAdapter" not in clues.emphasised and "SERVER_NAME" in clues.identifiers
    # the traceback's own words and the user's paths are no names: not `home`, `usr`, `packages`, `main`
    assert not {"home", "usr", "lib", "site", "packages", "Traceback", "main"} & set(clues.identifiers)
    assert {"command", "docs"} <= clues.plain  # prose words that may be names, the weakest kind


def test_a_traceback_pasted_without_a_fence_reads_as_one_in_a_fence():
    """Its frames and error line are read as such; their paths and the user's own function (`main`,
    `/home/me/app/cli.py`) give no names, as inside a fence; the source lines stay code."""
    traceback = ('Traceback (most recent call last):\n'
                 '  File "/home/me/app/cli.py", line 12, in main\n'
                 '    run()\n'
                 '  File "/home/me/venv/lib/python3.12/site-packages/flask/app.py", line 99999, in nonexistent_fn\n'
                 '    x\n'
                 "KeyError: 'SECRET'\n")
    bare, fenced = read_issue(traceback), read_issue(f"```\n{traceback}```\n")
    assert bare.frames == fenced.frames == [Frame("/home/me/app/cli.py", 12, "main"),
                                            Frame("/home/me/venv/lib/python3.12/site-packages/flask/app.py", 99999,
                                                  "nonexistent_fn")]
    assert bare.error_types == fenced.error_types == ["KeyError"]
    assert bare.identifiers == fenced.identifiers == ["run", "KeyError"]
    assert bare.plain == fenced.plain == set()


def test_a_javascript_stack_gives_its_frames():
    clues = read_issue(JS_REPORT)
    assert clues.frames == [Frame("packages/runtime-core/src/renderer.ts", 1652, "patchChildren"),
                            Frame("webpack:///node_modules/vue/dist/vue.runtime.esm.js", 7021, "Object.process")]
    assert clues.error_types == ["TypeError"]
    assert clues.messages == ["Cannot read properties of undefined (reading 'vnode')"]


def test_prose_alone_gives_words_and_names_that_look_like_code():
    clues = read_issue("Retries never stop when should_retry sees a TypeError; RetryPolicy ignores the cap of backoff.")
    assert (clues.frames, clues.paths, clues.messages) == ([], [], [])
    assert clues.identifiers == ["TypeError", "RetryPolicy", "should_retry", "Retries", "never", "stop", "sees",
                                 "ignores", "backoff"]
    assert clues.plain == {"Retries", "never", "stop", "sees", "ignores", "backoff"}
    # the words BM25 gets: every word of the text, lower case, stopwords ("should", "when") left out
    assert clues.words == ["retries", "never", "stop", "retry", "sees", "typeerror", "retrypolicy", "ignores", "cap",
                           "backoff"]


def test_a_50_kb_issue_is_read_to_its_end():
    filler = "The scheduler keeps running jobs late when the clock jumps backwards during a long batch. " * 600
    text = filler + '\n  File "src/shipit/jobqueue.py", line 17, in pop_due\nValueError: heap order broken at the end\n'
    assert len(text) > 50_000
    clues = read_issue(text)
    assert clues.frames == [Frame("src/shipit/jobqueue.py", 17, "pop_due")]
    assert clues.messages == ["heap order broken at the end"]


def test_an_error_line_is_read_whatever_its_exception_is_called():
    """A traceback ends with its exception, named as the code named it (`InvalidURL`, no standard
    ending); a dotted name with a message is an exception line anywhere; so is a command's `Error:`.
    A line of prose with a colon is none of these."""
    traceback = ('Traceback (most recent call last):\n'
                 '  File "/venv/lib/python3.11/site-packages/requests/models.py", line 439, in prepare_url\n'
                 '    raise InvalidURL("URL has an invalid label.")\n'
                 'InvalidURL: URL has an invalid label.\n')
    clues = read_issue(traceback)
    assert (clues.error_types, clues.messages) == (["InvalidURL"], ["URL has an invalid label."])
    assert "InvalidURL" in clues.emphasised
    dotted = read_issue("Calling get() now fails:\n\nrequests.exceptions.InvalidURL: URL has an invalid label.\n")
    assert (dotted.error_types, dotted.messages) == (["requests.exceptions.InvalidURL"], ["URL has an invalid label."])
    command = read_issue("$ flask run\nError: Could not import 'hello'.\n")
    assert (command.error_types, command.messages) == (["Error"], ["Could not import 'hello'."])
    assert "Error" not in command.identifiers  # the word alone names nothing
    prose = read_issue("Note: the retries stop too early\nUpdate: also on 3.12\nTraceback (most recent call last):\n"
                       '  File "x.py", line 1\nany idea why?\n')
    assert (prose.error_types, prose.messages) == ([], [])


def test_a_name_inside_a_quoted_message_is_a_plain_word_not_a_name_written_as_code():
    """A quoted message is the message signal's: a dotted token inside it (`http.request`, an ASGI
    event type here) is no more than a prose word, unless the issue also writes it as code."""
    clues = read_issue('Streaming fails with "Unexpected message received: http.request" after the first chunk.')
    assert "Unexpected message received: http.request" in clues.messages
    assert "http.request" in clues.plain and "http.request" not in clues.emphasised
    written = read_issue('Streaming fails with "Unexpected message received: http.request"; `http.request` is sent twice.')
    assert "http.request" in written.emphasised and "http.request" not in written.plain
