"""A file's digests change exactly where what other files can read of it changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from codekg.parse_cache import ParseCache
from codekg.passes.parse import parse_cache_key, parse_files
from codekg.passes.scan import scan_repository
from codekg.passes.structure import file_structure
from codekg.resolve.dependencies import DependencyRecorder
from codekg.resolve.interface import body_of, differing_keys, interface_digests, record_body_read
from codekg.settings import load_settings

SOURCE = '''\
"""The module."""


class Shop:
    def __init__(self):
        self.cart = []

    def add(self, item):
        self.cart.append(item)
        return item


def total(prices):
    subtotal = sum(prices)
    return subtotal


def make():
    def inner():
        return Shop()
    return inner
'''


def symbols_of(tmp_path: Path, text: str, through_cache: bool = False):
    """The file's symbols, from a fresh parse, or from the record the parse cache gives back."""
    repo = tmp_path / "repo"
    repo.mkdir(exist_ok=True)
    (repo / "shop.py").write_text(text)
    settings = load_settings(repo, use_git_ls_files=False, value_flow=False)
    [source] = scan_repository(repo, settings).files
    [parsed] = parse_files(repo, [source], flow=False).parses
    if through_cache:
        cache = ParseCache(tmp_path / "parse_cache.sqlite", settings)
        key = parse_cache_key(source, parsed.content_hash)
        cache.put(key, parsed)
        cache.commit()
        parsed = cache.get(key, source.path)
        cache.close()
    return file_structure(parsed, settings).symbols


def changed(tmp_path: Path, old: str, new: str) -> set:
    before = interface_digests(symbols_of(tmp_path, SOURCE), "python")
    assert old in SOURCE
    after = interface_digests(symbols_of(tmp_path, SOURCE.replace(old, new, 1)), "python")
    return differing_keys(before, after)


def test_the_keys_are_the_outline_the_top_level_names_and_each_outermost_function_body(tmp_path):
    digests = interface_digests(symbols_of(tmp_path, SOURCE), "python")
    assert sorted(digests) == [
        ("file", "shop.py"),
        ("name", "python", "Shop"), ("name", "python", "make"), ("name", "python", "total"),
        ("scope", "shop.py", "Shop", "__init__"), ("scope", "shop.py", "Shop", "add"),
        ("scope", "shop.py", "make"), ("scope", "shop.py", "total"),
    ]  # inner() is part of make's body: nothing outside make can reach it but through make


@pytest.mark.parametrize(("old", "new", "keys"), [
    # a statement added inside a body: that body alone
    ("    subtotal = sum(prices)\n", "    subtotal = sum(prices)\n    rounded = round(subtotal)\n",
     {("scope", "shop.py", "total")}),
    # what a nested function returns is part of the outermost body
    ("        return Shop()\n", "        return None\n", {("scope", "shop.py", "make")}),
    # blank lines above everything: every line moves, no order changes
    ('"""The module."""\n', '"""The module."""\n\n\n\n', set()),
    # a body edit above other bodies moves them down: only the edited one changes
    ("        self.cart.append(item)\n", "        self.cart.append(item)\n        self.cart.sort()\n",
     {("scope", "shop.py", "Shop", "add")}),
    # an instance attribute assigned in a method is part of the class, read as a whole
    ("        self.cart = []\n", "        self.cart = []\n        self.owner = Shop()\n",
     {("file", "shop.py"), ("scope", "shop.py", "Shop", "__init__")}),
    # a signature: the outline, that name, and the body that binds the new parameter
    ("def total(prices):\n", "def total(prices, tax=0):\n",
     {("file", "shop.py"), ("name", "python", "total"), ("scope", "shop.py", "total")}),
    # a new top-level function: the outline, its name and its body; make below it keeps its digests
    ("def make():\n", "def fresh(count):\n    return count\n\n\ndef make():\n",
     {("file", "shop.py"), ("name", "python", "fresh"), ("scope", "shop.py", "fresh")}),
], ids=["body-statement", "nested-return", "lines-moved", "body-above-others", "instance-attribute", "signature", "new-function"])
def test_an_edit_changes_the_digests_of_what_it_changed(tmp_path, old, new, keys):
    assert changed(tmp_path, old, new) == keys


def test_a_read_inside_a_body_is_recorded_as_the_outermost_body(tmp_path):
    symbols = symbols_of(tmp_path, SOURCE)
    assert body_of(symbols, ("make", "inner")) == ("make",)
    assert body_of(symbols, ("Shop", "add")) == ("Shop", "add")
    assert body_of(symbols, ("Shop",)) is None and body_of(symbols, ()) is None
    recorder = DependencyRecorder()
    with recorder.frame() as read:
        record_body_read(recorder, symbols, ("make", "inner"))
        record_body_read(recorder, symbols, ("Shop",))  # a class body is outline: the file's key covers it
    assert read == {("scope", "shop.py", "make")}


def test_a_record_from_the_parse_cache_gives_the_digests_of_a_fresh_parse(tmp_path):
    """A revert brings back a file's old bytes, whose record the parse cache holds: its digests must be
    the ones the fresh parse gave (a serializer writing shared strings as references did not)."""
    fresh = interface_digests(symbols_of(tmp_path, SOURCE), "python")
    cached = interface_digests(symbols_of(tmp_path, SOURCE, through_cache=True), "python")
    assert cached == fresh
