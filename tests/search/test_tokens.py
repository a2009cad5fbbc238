"""Identifier words and FTS5 query expressions."""

from __future__ import annotations

import sqlite3

import pytest

from codekg.search.tokens import expanded_body, indexed_text, match_expression, split_identifier


@pytest.mark.parametrize(("text", "words"), [
    ("getUserById", ["get", "user", "by", "id"]),
    ("HTTPServer2", ["http", "server", "2"]),
    ("snake_case_name", ["snake", "case", "name"]),
    ("shop.service.checkout", ["shop", "service", "checkout"]),
    ("src/shop/util.py", ["src", "shop", "util", "py"]),
    ("parseISBN13Code", ["parse", "isbn", "13", "code"]),
    ("__init__", ["init"]),
    ("Größe", ["größe"]),
])
def test_split_identifier(text, words):
    assert split_identifier(text) == words


def test_indexed_text_keeps_the_raw_text_and_adds_new_words_once():
    assert indexed_text("getUserById") == "getUserById get user by id"
    assert indexed_text("plain words") == "plain words"
    assert indexed_text("") == ""


def test_a_body_counts_the_words_of_an_identifier_as_often_as_it_occurs():
    """`chardet_version` read three times is "chardet" three times, beside the bare word's own count."""
    body = "v = chardet_version or chardet_version; use(chardet_version, chardet)"
    assert expanded_body(body) == body + " chardet version chardet version chardet version"
    assert expanded_body("plain words") == "plain words"
    assert expanded_body("") == ""


def test_in_a_body_an_identifiers_words_weigh_as_often_as_it_occurs(tmp_path):
    """BM25 over FTS5 (the body index's own use): the function that reads `chardet_version` four
    times ranks above a shorter one that says "chardet" once (counted once, it ranked below)."""
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize=\"porter unicode61 tokenchars '_'\")")
    reader = "if chardet_version: parse(chardet_version); check(chardet_version); log(chardet_version)"
    mention = 'raise Exception("install chardet")'
    for rowid, text in enumerate((mention, reader), start=1):
        connection.execute("INSERT INTO t (rowid, body) VALUES (?, ?)", (rowid, expanded_body(text)))
    ranked = [row[0] for row in connection.execute("SELECT rowid FROM t WHERE t MATCH '\"chardet\"' ORDER BY bm25(t)")]
    assert ranked == [2, 1]


def test_match_expression():
    assert match_expression("how do I get the user by id") == '"get" OR "user" OR "id"'  # "id": too short for a prefix
    assert match_expression("getUser") == '"get" OR "user"* OR "getuser"*'
    assert match_expression("getUser", all_words=True) == '"get" AND "user"*'
    assert match_expression("the") == '"the"*'  # only stopwords: kept
    assert match_expression("*** ()") is None


@pytest.mark.parametrize("query", ['"a" AND (b* OR NEAR(c)', "-x", "col:value", "^start", "a'b", '"', "NOT", "{x y}: z",
                                   "\x00", "🙂 emoji", "a" * 500])
def test_special_characters_never_reach_the_fts5_parser(query):
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
    connection.execute("INSERT INTO t VALUES ('and near not col value start')")
    expression = match_expression(query)
    if expression is not None:
        connection.execute("SELECT * FROM t WHERE t MATCH ?", (expression,)).fetchall()
