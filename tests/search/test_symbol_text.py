"""What a symbol's vector reads (search/symbol_text.py): its kind, names, signature, docstring and the
start of its body, kept in step with the files by every kind of index run."""

from __future__ import annotations

from pathlib import Path

from codekg.pipeline import index_repository
from codekg.search.store import SearchStore
from codekg.search.symbol_text import BODY_START_CHARS, SourceLines, body_start, text_hash
from codekg.search.sync import search_path
from codekg.settings import load_settings

SHOP = '''import functools


@functools.cache
def pay(amount,
        currency):
    """Charge a card.

    Twice if asked."""

    if amount < 0:
        raise ValueError("negative amount")
    return charge(amount)  # the gateway


class Till:
    """Where the cash goes."""

    drawer = []

    def open(self):
        self.drawer.append("float")
'''

# each embedded symbol's text: the decorator and the signature's two lines are not body, nor is the docstring
TEXTS = {
    "shop": "module shop: shop",
    "shop.pay": 'function pay: shop.pay\ndef pay(amount, currency)\nCharge a card.\n\nTwice if asked.\n'
                'if amount < 0:\nraise ValueError("negative amount")\nreturn charge(amount)  # the gateway',
    "shop.Till": 'class till: shop.Till\nclass Till\nWhere the cash goes.\ndrawer = []\ndef open(self):\nself.drawer.append("float")',
    "shop.Till.open": 'method open: shop.Till.open\ndef open(self)\nself.drawer.append("float")',
}


def stored(db: Path) -> tuple[dict[str, str | None], str]:
    """Each symbol's text hash by qualified name, and what the hashes were computed from."""
    store = SearchStore(search_path(db), read_only=True)
    try:
        hashes = dict(store.connection.execute("SELECT qualified_name, text_hash FROM symbols"))
        return hashes, store.meta("vector_text")
    finally:
        store.close()


def vector_count(db: Path) -> int:
    store = SearchStore(search_path(db), read_only=True)
    try:
        return store.connection.execute("SELECT count(*) FROM vectors").fetchone()[0]
    finally:
        store.close()


def test_a_vector_reads_the_signature_the_docstring_and_the_start_of_the_body(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text(SHOP)
    summary = index_repository(repo, tmp_path / "db", load_settings(repo, embeddings=True))
    hashes, kind = stored(tmp_path / "db")
    assert hashes == {**{name: text_hash(text) for name, text in TEXTS.items()}, "shop.Till.drawer": None}
    assert kind == "signature, docstring and 1200 characters of body"
    assert summary.search["embedded"] == 4 and vector_count(tmp_path / "db") == 4


def test_without_embeddings_the_hashes_read_no_file_and_switching_them_on_reads_the_bodies(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text(SHOP)
    index_repository(repo, tmp_path / "db", load_settings(repo))
    hashes, kind = stored(tmp_path / "db")
    assert kind == "signature and docstring"
    assert hashes["shop.pay"] == text_hash("function pay: shop.pay\ndef pay(amount, currency)\nCharge a card.\n\nTwice if asked.")
    on = index_repository(repo, tmp_path / "db", load_settings(repo, embeddings=True))  # nothing changed
    assert on.delta["mode"] == "unchanged" and on.search["embedded"] == 4
    hashes, kind = stored(tmp_path / "db")
    assert hashes["shop.pay"] == text_hash(TEXTS["shop.pay"]) and kind == "signature, docstring and 1200 characters of body"


def test_an_edit_inside_a_body_that_moves_no_line_embeds_that_symbol_again(tmp_path: Path) -> None:
    """The function's graph row does not change (same lines, same signature): its vector still must."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text(SHOP)
    index_repository(repo, tmp_path / "db", load_settings(repo, embeddings=True))
    (repo / "shop.py").write_text(SHOP.replace('"negative amount"', '"refunds go through the till"'))
    again = index_repository(repo, tmp_path / "db", load_settings(repo))  # embeddings stay on: the index has them
    assert again.delta["mode"] == "incremental" and again.search["embedded"] == 1
    hashes, _ = stored(tmp_path / "db")
    assert hashes["shop.pay"] == text_hash(TEXTS["shop.pay"].replace('"negative amount"', '"refunds go through the till"'))
    assert {name: hashes[name] for name in ("shop", "shop.Till", "shop.Till.open")} == {
        name: text_hash(TEXTS[name]) for name in ("shop", "shop.Till", "shop.Till.open")}
    full = index_repository(repo, tmp_path / "db", load_settings(repo), full=True)
    assert full.search["embedded"] == 0 and stored(tmp_path / "db")[0] == hashes


def test_the_body_start_is_cut_and_a_file_outside_the_root_is_never_read(tmp_path: Path) -> None:
    lines = ["def walk(steps): return steps", "def long():", *[f"    step_{n} = {n}" for n in range(400)]]
    assert body_start(lines, 1, 1, "def walk(steps)") == ""  # all on the signature's line
    assert body_start(lines, 2, len(lines), "def long()") == "\n".join(f"step_{n} = {n}" for n in range(400))[:BODY_START_CHARS]
    assert len(body_start(lines, 2, len(lines), "def long()")) == BODY_START_CHARS
    (tmp_path / "outside.py").write_text("SECRET = 1\n")
    root = tmp_path / "root"
    root.mkdir()
    (root / "inside.py").write_text("a = 1\n")
    source = SourceLines(root)
    assert source.of("inside.py") == ["a = 1"]
    assert source.of("../outside.py") == [] and source.of(str(tmp_path / "outside.py")) == [] and source.of("gone.py") == []


def test_a_new_length_of_the_body_start_makes_the_hashes_and_vectors_again(tmp_path: Path, monkeypatch) -> None:
    import codekg.search.symbol_text as symbol_text

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text(SHOP)
    index_repository(repo, tmp_path / "db", load_settings(repo, embeddings=True))
    monkeypatch.setattr(symbol_text, "BODY_START_CHARS", 12)  # as a later codekg might read less of a body
    again = index_repository(repo, tmp_path / "db", load_settings(repo))  # nothing changed
    hashes, kind = stored(tmp_path / "db")
    assert again.delta["mode"] == "unchanged" and kind == "signature, docstring and 12 characters of body"
    assert hashes["shop.pay"] == text_hash(TEXTS["shop.pay"].split("\nif amount")[0] + "\nif amount < ")  # 12 characters
    assert again.search["embedded"] == 3  # pay, Till and open; the module reads no body
