"""search() on real indexes: BM25 order, semantic and hybrid with the packaged model, the vector
cache, an OpenAI-compatible endpoint, and errors."""

from __future__ import annotations

import json
import threading
import zlib
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pytest

from codekg.errors import EmbeddingsUnavailableError, InputError
from codekg.pipeline import index_repository
from codekg.search import SearchFilters, search, search_result
from codekg.search.vectors import VectorMatrix, cosine_top_k
from codekg.settings import load_settings

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "searchrepo"


def names(hits):
    return [hit.qualified_name for hit in hits]


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    db = tmp_path_factory.mktemp("embedded") / "db"
    summary = index_repository(FIXTURE, db, load_settings(FIXTURE, embeddings=True))
    return db, load_settings(FIXTURE), summary


def test_bm25_ranks_name_matches_first_and_breaks_ties_by_id(index_fixture):
    indexed = index_fixture("searchrepo")
    assert names(search(indexed.db, indexed.settings, "password", 4, "keyword")) == [
        "bookstore.users.hash_password", "bookstore.users.verify_password",  # equal BM25: by id
        "bookstore.users.send_password_reset_email", "bookstore.users.UserAccount.__init__"]
    assert names(search(indexed.db, indexed.settings, "pricing", 4, "keyword")) == [
        "bookstore.pricing", "bookstore.pricing.apply_discount", "bookstore.pricing.compute_sales_tax",
        "bookstore.pricing.convert_currency"]
    # camelCase in the query and in the index, and the last word as a prefix
    assert names(search(indexed.db, indexed.settings, "normalize title", 1, "keyword")) == ["bookstore.catalog.normalizeTitle"]
    assert names(search(indexed.db, indexed.settings, "normalizeTit", 1, "keyword")) == ["bookstore.catalog.normalizeTitle"]
    assert names(search(indexed.db, indexed.settings, "retry back", 1, "keyword")) == ["bookstore.http.HTTPClient.retry_with_backoff"]
    [hit] = search(indexed.db, indexed.settings, "send password reset", 1, "keyword")
    assert (hit.label, hit.file_path, hit.start_line, hit.end_line, hit.signature) == \
        ("Function", "bookstore/users.py", 29, 31, "def send_password_reset_email(account)")


@pytest.mark.parametrize("query", ['"unbalanced', "AND OR NOT", "NEAR(a b)", "col:x", "*", "()", "'; DROP TABLE symbols; --"])
def test_fts5_syntax_in_a_query_never_raises(index_fixture, query):
    """FTS5 syntax is searched as words; a query of punctuation alone is refused as input, never an
    FTS5 error."""
    indexed = index_fixture("pyrepo")
    for mode in ("keyword", "hybrid"):
        if any(character.isalnum() for character in query):
            assert isinstance(search(indexed.db, indexed.settings, query, 5, mode), list)
        else:
            with pytest.raises(InputError, match="has no letter or digit"):
                search(indexed.db, indexed.settings, query, 5, mode)


def test_hybrid_without_embeddings_is_keyword_plus_graph_context(index_fixture):
    indexed = index_fixture("searchrepo")
    result = search_result(indexed.db, indexed.settings, "cancel order", 3, "hybrid")
    assert result.notes == ["no embeddings in this index: hybrid is keyword + graph expansion (codekg index --embeddings adds them)"]
    top = result.hits[0]
    assert (top.qualified_name, top.container, top.callers, top.callees) == \
        ("bookstore.orders.cancel_order", "bookstore.orders", [], ["bookstore.orders.refund_payment"])
    with pytest.raises(EmbeddingsUnavailableError, match="no embeddings"):
        search(indexed.db, indexed.settings, "cancel order", 3, "semantic")
    with pytest.raises(InputError):
        search(indexed.db, indexed.settings, "x", 3, "fuzzy")


def test_semantic_and_hybrid_find_meaning_not_words(embedded):
    db, settings, summary = embedded
    assert summary.search["embedding_model"] == "all-MiniLM-L6-v2/onnx-int8"
    assert summary.search["embedded"] == summary.search["symbols"]  # no module-level variables in the fixture
    assert search(db, settings, "turn dollars into euros", 5, "keyword") == []
    assert names(search(db, settings, "turn dollars into euros", 1, "semantic")) == ["bookstore.pricing.convert_currency"]
    assert names(search(db, settings, "turn dollars into euros", 1, "hybrid")) == ["bookstore.pricing.convert_currency"]
    hits = search(db, settings, "reduce the price with a coupon", 2, "hybrid")
    assert names(hits) == ["bookstore.pricing.apply_discount", "bookstore.money.round_price"]
    assert hits[0].callees == ["bookstore.money.round_price"] and hits[1].callers == [
        "bookstore.pricing.apply_discount", "bookstore.pricing.compute_sales_tax", "bookstore.pricing.convert_currency"]
    assert search_result(db, settings, "coupon", 1, "hybrid").notes == []


def test_unchanged_symbols_are_never_embedded_again(copy_fixture, tmp_path):
    repo = copy_fixture("searchrepo")
    db = tmp_path / "db"
    first = index_repository(repo, db, load_settings(repo, embeddings=True))
    assert first.search["embedded"] == 46  # 44 symbols and two lambdas (definitions since the value-flow work)
    users = repo / "bookstore" / "users.py"
    users.write_text(users.read_text().replace("Sign up a new customer", "Open an account for a new customer"))
    again = index_repository(repo, db, load_settings(repo))  # embeddings stay on: the index has them
    assert again.delta["mode"] == "incremental" and again.search["embedded"] == 1
    assert index_repository(repo, db, load_settings(repo), full=True).search["embedded"] == 0
    assert names(search(db, load_settings(repo), "open an account", 1, "semantic")) == ["bookstore.users.register_user"]
    off = index_repository(repo, db, load_settings(repo, embeddings=False))
    assert "embedded" not in off.search
    with pytest.raises(EmbeddingsUnavailableError):
        search(db, load_settings(repo), "open an account", 1, "semantic")


def test_exact_cosine_top_k():
    matrix = np.array([[1, 0], [0.6, 0.8], [0, 1], [0.6, 0.8]], dtype=np.float32)
    vectors = VectorMatrix(np.array([10, 11, 12, 13]), matrix)
    assert [r for r, _ in cosine_top_k(vectors, np.array([0.0, 2.0]), 3)] == [12, 11, 13]
    assert cosine_top_k(vectors, np.array([1.0, 0.0]), 1) == [(10, 1.0)]


class _Endpoint(BaseHTTPRequestHandler):
    """An OpenAI-compatible /v1/embeddings on loopback: a bag of hashed words per text."""

    seen: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Endpoint.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "model": body["model"]})
        data = []
        for index, text in enumerate(body["input"]):
            vector = [0.0] * 64
            for word in text.lower().split():
                vector[zlib.crc32(word.encode()) % 64] += 1.0
            data.append({"index": index, "embedding": vector})
        payload = json.dumps({"data": data}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


def test_openai_compatible_endpoint(copy_fixture, tmp_path, monkeypatch):
    server = HTTPServer(("127.0.0.1", 0), _Endpoint)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/v1#bag-of-words"
        monkeypatch.setenv("CODEKG_EMBEDDING_API_KEY", "sk-test-secret")
        repo = copy_fixture("pyrepo")
        db = tmp_path / "db"
        summary = index_repository(repo, db, load_settings(repo, embeddings=True, embedding_model=url))
        assert summary.search["embedding_model"] == f"openai:http://127.0.0.1:{server.server_port}/v1/embeddings#bag-of-words"
        assert "sk-test-secret" not in json.dumps(summary.to_dict())
        hits = search(db, load_settings(repo), "function checkout: shop.service.checkout", 1, "semantic")
        assert names(hits) == ["shop.service.checkout"]
        assert {(s["path"], s["auth"], s["model"]) for s in _Endpoint.seen} == {("/v1/embeddings", "Bearer sk-test-secret", "bag-of-words")}
    finally:
        server.shutdown()
        server.server_close()


def test_the_vector_matrix_is_written_once_and_mapped_by_the_next_process(tmp_path: Path) -> None:
    """The first load after an index run writes the matrix beside the search file; a later load (a
    new process: the process cache emptied) maps it; a new index generation, or a damaged file,
    makes the next load read SQLite and write it again."""
    import codekg.search.vectors as vectors
    from codekg.search.store import SearchStore
    from codekg.search.sync import embedding_spec, search_path

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "shop.py").write_text('def pay(amount):\n    """Charge a card."""\n    return amount\n\n\n'
                                  'def refund(amount):\n    """Give money back."""\n    return -amount\n')
    db = tmp_path / "db"
    index_repository(repo, db, load_settings(repo, embeddings=True))

    def load() -> vectors.VectorMatrix:
        vectors._MATRICES.clear()  # as a new process starts
        store = SearchStore(search_path(db), read_only=True)
        try:
            return vectors.load_matrix(store, embedding_spec(store)[1])
        finally:
            store.close()

    first = load()
    folder = db / vectors.MATRIX_FOLDER
    assert sorted(p.suffix for p in folder.iterdir()) == [".npy", ".npy", ".stamp"] and len(first) == 3  # the module and two functions
    again = load()
    assert isinstance(again.matrix, np.memmap) and np.array_equal(again.matrix, first.matrix)
    assert np.array_equal(again.rowids, first.rowids)
    (repo / "shop.py").write_text((repo / "shop.py").read_text() + '\n\ndef void(amount):\n    """Cancel a charge."""\n    return 0\n')
    index_repository(repo, db, load_settings(repo, embeddings=True))
    changed = load()
    assert len(changed) == 4 and not isinstance(changed.matrix, np.memmap)  # a new stamp: read from SQLite
    assert isinstance(load().matrix, np.memmap) and len(load()) == 4
    matrix_file = next(folder.glob("*.matrix.npy"))
    for damage in (matrix_file.read_bytes()[:100], b""):  # cut short; left empty (a new user's finding)
        matrix_file.write_bytes(damage)
        damaged = load()
        assert len(damaged) == 4 and not isinstance(damaged.matrix, np.memmap)
        assert isinstance(load().matrix, np.memmap) and np.array_equal(load().matrix, changed.matrix)
    np.save(matrix_file, np.zeros((4, 10), dtype=np.float32))  # another shape under the same stamp
    assert not isinstance(load().matrix, np.memmap) and np.array_equal(load().matrix, changed.matrix)


@pytest.mark.parametrize("store", ["", "cozo"])
def test_enums_and_type_aliases_are_found_by_name_on_every_store(tmp_path: Path, store: str) -> None:
    """`enum Color`, `type OrderId = number` and a Python `class Status(Enum)` are symbols a user
    searches for by name: each comes first, as its own kind (a new user found only their members)."""
    repo = tmp_path / "repo"
    (repo / "shop").mkdir(parents=True)
    (repo / "shop" / "models.ts").write_text(
        "export enum Color { Red, Green }\n\nexport type OrderId = number;\n\n"
        "export class Order {\n  id: OrderId = 0;\n  color: Color = Color.Red;\n}\n")
    (repo / "shop" / "status.py").write_text("from enum import Enum\n\n\nclass Status(Enum):\n    OPEN = 1\n    PAID = 2\n")
    uri = f"cozo://{tmp_path / 'cozo'}" if store else ""
    settings = load_settings(repo, store=uri, use_git_ls_files=False)
    index_repository(repo, tmp_path / "db", settings)
    found = {query: [(hit.label, hit.qualified_name) for hit in search(tmp_path / "db", settings, query, limit=2, mode="keyword")]
             for query in ("Color", "OrderId", "Status")}
    assert found["Color"][0] == ("Enum", "shop.models.Color")
    assert found["OrderId"][0] == ("Type", "shop.models.OrderId")
    assert found["Status"][0] == ("Enum", "shop.status.Status")
    enums = search(tmp_path / "db", settings, "Color", limit=5, mode="keyword", filters=SearchFilters(labels=("Enum",)))
    assert [(hit.label, hit.qualified_name) for hit in enums][:1] == [("Enum", "shop.models.Color")]


def docs_heavy_repo(root: Path) -> Path:
    """`shop.pricing.price` called once by the code and by six documentation examples, whose names
    all sort before the code's."""
    (root / "shop").mkdir(parents=True)
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "pricing.py").write_text("def price(amount):\n    return amount * 2\n")
    (root / "shop" / "checkout.py").write_text("from shop.pricing import price\n\n\ndef checkout(cart):\n    return price(len(cart))\n")
    (root / "docs_src").mkdir()
    for number in range(1, 7):
        (root / "docs_src" / f"tutorial{number}.py").write_text(
            f"from shop.pricing import price\n\n\ndef example():\n    return price({number})\n")
    return root


DOCS_HEAVY_CALLERS = ["shop.checkout.checkout", "docs_src.tutorial1.example", "docs_src.tutorial2.example",
                      "docs_src.tutorial3.example", "docs_src.tutorial4.example"]
DOCS_HEAVY_CALLEES = ["shop.pricing.price", "<builtin>.len"]


def test_a_hits_callers_name_the_code_before_the_documentation_examples(tmp_path):
    """A hit's context lists five callers and callees: the code's first (by name, `docs_src.*` came
    first and hid the only caller in the code), then builtins and libraries, then docs and tests."""
    repo = docs_heavy_repo(tmp_path / "repo")
    index_repository(repo, tmp_path / "db", load_settings(repo))
    for mode in ("keyword", "hybrid"):
        [hit] = search(tmp_path / "db", load_settings(repo), "price", 1, mode)
        assert (hit.qualified_name, hit.container, hit.callers) == ("shop.pricing.price", "shop.pricing", DOCS_HEAVY_CALLERS)
    [hit] = search(tmp_path / "db", load_settings(repo), "checkout", 1, "keyword")  # the repository's callee, then the builtin
    assert (hit.qualified_name, hit.callees) == ("shop.checkout.checkout", DOCS_HEAVY_CALLEES)
