"""`codekg search` and `codekg index --embeddings` as real subprocesses."""

from __future__ import annotations

import json
import sys

from test_cli import assert_clean_failure, codekg


def test_search_json_and_text(copy_fixture):
    repo = copy_fixture("searchrepo")
    assert codekg("index", str(repo), "--quiet").returncode == 0
    result = codekg("search", "cancel order", "--repo", str(repo), "--limit", "2", "--mode", "keyword", "--json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert (answer["query"], answer["mode"], answer["notes"]) == ("cancel order", "keyword", [])
    assert [hit["qualified_name"] for hit in answer["results"]] == ["bookstore.orders.cancel_order", "bookstore.orders.place_order"]
    assert set(answer["results"][0]) == {"id", "label", "name", "qualified_name", "file_path", "start_line", "end_line",
                                      "signature", "score", "match", "container", "callers", "callees"}
    assert answer["results"][0]["match"] == "exact"  # two words spell the name `cancel_order`
    text = codekg("search", "cancel order", cwd=repo)
    assert text.returncode == 0
    assert "1. bookstore.orders.cancel_order (Function) bookstore/orders.py:21" in text.stdout
    assert "in bookstore.orders; calls bookstore.orders.refund_payment" in text.stdout
    # the default mode without embeddings is the usual case: no note on every search; asked for, it is said
    assert text.stderr == ""
    hybrid = codekg("search", "cancel order", "--mode", "hybrid", cwd=repo)
    assert hybrid.returncode == 0 and "hybrid is keyword + graph expansion" in hybrid.stderr
    default_json = json.loads(codekg("search", "cancel order", "--json", cwd=repo).stdout)
    assert default_json["notes"] == ["no embeddings in this index: hybrid is keyword + graph expansion "
                                     "(codekg index --embeddings adds them)"]


def test_semantic_without_embeddings_and_bad_input_exit_2(copy_fixture):
    repo = copy_fixture("pyrepo")
    assert codekg("index", str(repo), "--quiet").returncode == 0
    assert_clean_failure(codekg("search", "checkout", "--repo", str(repo), "--mode", "semantic"), 2,
                         "no embeddings: run `codekg index --embeddings` first")
    assert_clean_failure(codekg("search", "checkout", "--repo", str(repo), "--mode", "fuzzy"), 2, "unknown search mode")
    assert_clean_failure(codekg("search", "checkout", "--repo", str(repo / "nowhere")), 2, "path does not exist")
    (repo / "elsewhere").mkdir()
    assert_clean_failure(codekg("search", "checkout", "--repo", str(repo / "elsewhere")), 2, "no codekg index")


def test_index_embeddings_without_the_extra_or_with_an_unloadable_model_exit_2(copy_fixture, tmp_path):
    repo = copy_fixture("pyrepo")
    # the extra missing: its modules cannot be imported
    blocked = ("import sys; sys.modules['onnxruntime'] = None; sys.argv = ['codekg'] + sys.argv[1:]; "
               "from codekg.cli import main; main()")
    import subprocess

    result = subprocess.run([sys.executable, "-c", blocked, "index", str(repo), "--embeddings", "--quiet"],
                            capture_output=True, text=True, timeout=120)
    assert_clean_failure(result, 2, "pip install 'codekg[embeddings]'")
    assert not (repo / ".codekg").exists()  # refused before indexing
    result = codekg("index", str(repo), "--embeddings", "--quiet", env={"CODEKG_EMBEDDING_MODEL": str(tmp_path / "no-model")})
    assert_clean_failure(result, 2, "cannot load the sentence-transformers model")
