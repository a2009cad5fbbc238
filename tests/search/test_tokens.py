"""Identifier words and FTS5 query expressions."""

from __future__ import annotations

import sqlite3

import pytest

from codekg.search.tokens import indexed_text, match_expression, split_identifier


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
