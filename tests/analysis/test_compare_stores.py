"""`codekg compare-stores` through the CLI: the embedded store, CozoDB and FalkorDB holding one
fixture repository agree on every sampled read; a store holding another graph is caught, each
difference named; bad input is a clear error."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from codekg.analysis.compare_stores import OPERATIONS, first_difference
from codekg.pipeline import index_repository
from codekg.settings import load_settings

FIXTURES = Path(__file__).parent.parent / "fixtures"


def _codekg(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if key != "CODEKG_STORE"}
    return subprocess.run([sys.executable, "-m", "codekg", *args], capture_output=True, text=True, timeout=300,
                          env=environment, cwd=cwd)


@pytest.fixture(scope="module")
def pyrepo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("compare")
    repo = shutil.copytree(FIXTURES / "pyrepo", root / "pyrepo")
    index_repository(repo, root / "db", load_settings(repo))
    index_repository(repo, root / "db-cozo", load_settings(repo, store=f"cozo://{root / 'cozo'}"))
    return repo


def test_the_embedded_store_cozo_and_falkordb_agree_on_every_sampled_read(pyrepo: Path, falkordb_graph_uri: str) -> None:
    root = pyrepo.parent
    index_repository(pyrepo, root / "db-falkor", load_settings(pyrepo, store=falkordb_graph_uri))
    stores = [f"ladybug:{root / 'db'}", f"cozo://{root / 'cozo'}", falkordb_graph_uri]
    done = _codekg("compare-stores", str(pyrepo), "--db", str(root / "db"), *(a for s in stores for a in ("--store", s)),
                   "--repeat", "3", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["differences"] == [] and report["stores"] == [stores[0], stores[1], falkordb_graph_uri]
    names = {row["operation"] for row in report["operations"]}
    assert names == {"symbol", "callers", "callees", "context", "impact", "path"}  # pyrepo holds no SQL
    assert report["compared"] >= 30
    for row in report["operations"]:
        assert row["runs"] % 3 == 0 and 0 < row["p50_ms"] <= row["p95_ms"]  # 3 runs of each read of that name
        assert row["store"] in stores

    text = _codekg("compare-stores", str(pyrepo), "--db", str(root / "db"), "--store", stores[0], "--store", stores[1],
                   "--repeat", "1")
    assert text.returncode == 0, text.stderr
    assert "every answer agrees across 2 stores" in text.stdout and "context" in text.stdout


def test_a_store_holding_another_graph_is_caught_with_each_difference(pyrepo: Path, tmp_path: Path) -> None:
    changed = shutil.copytree(pyrepo, tmp_path / "pyrepo")
    models = changed / "src" / "shop" / "models.py"
    models.write_text(models.read_text() + "\n\ndef extra_caller(order: Order):\n    return order.total()\n")
    index_repository(changed, tmp_path / "db", load_settings(changed, store=f"cozo://{tmp_path / 'cozo'}"))
    operations = tmp_path / "operations.json"
    operations.write_text(json.dumps([
        {"operation": "callers", "arguments": {"symbol": "shop.models.Order.total"}},
        {"operation": "symbol", "arguments": {"symbol": "shop.models.Order"}},
        {"operation": "context", "arguments": {"symbol": "no.such.symbol"}},
    ]))
    done = _codekg("compare-stores", str(pyrepo), "--db", str(pyrepo.parent / "db"), "--store", f"ladybug:{pyrepo.parent / 'db'}",
                   "--store", f"cozo://{tmp_path / 'cozo'}", "--operations", str(operations), "--repeat", "2", "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert [(d["operation"], d["arguments"]) for d in report["differences"]] == [
        ("callers", {"symbol": "shop.models.Order.total"})]
    # the unknown symbol compared nothing: an error on each store, never an agreement
    assert [(e["operation"], e["store"]) for e in report["errors"]] == [
        ("context", f"ladybug:{pyrepo.parent / 'db'}"), ("context", f"cozo://{tmp_path / 'cozo'}")]
    assert all(e["error"].startswith("no symbol named 'no.such.symbol'") for e in report["errors"])
    assert report["differences"][0]["detail"] == "answer: 1 entries against 2"  # Order.save, then extra_caller too
    text = _codekg("compare-stores", str(pyrepo), "--db", str(pyrepo.parent / "db"), "--store", f"ladybug:{pyrepo.parent / 'db'}",
                   "--store", f"cozo://{tmp_path / 'cozo'}", "--operations", str(operations), "--repeat", "1")
    assert text.returncode == 1
    assert "differs: callers(symbol='shop.models.Order.total') between" in text.stdout
    assert "failed: context(symbol='no.such.symbol') on ladybug:" in text.stdout
    assert "error: 1 of 3 answers differ; 1 of 3 reads failed, so compared nothing" in text.stderr and "Traceback" not in text.stderr


@pytest.mark.parametrize(("content", "message"), [
    ("not json", "is not JSON"),
    ('{"operation": "context"}', "expected a list"),
    ('[{"operation": "teleport", "arguments": {}}]', "entry 1: give \"operation\" (one of symbol, callers"),
    ("[]", "lists no operation"),
    ('[{"operation": "context", "arguments": {}}]', "entry 1 (context): missing a required argument: 'symbol'"),
    ('[{"operation": "context", "arguments": {"sym": "x"}}]', "entry 1 (context): missing a required argument: 'symbol'"),
    ('[{"operation": "context", "arguments": {"symbol": null}}]', 'entry 1 (context): "symbol" must be a string, not null'),
    ('[{"operation": "impact", "arguments": {"symbol": "x", "depth": "deep"}}]', '"depth" must be a whole number, not "deep"'),
])
def test_a_bad_operations_file_is_a_clear_error(pyrepo: Path, tmp_path: Path, content: str, message: str) -> None:
    operations = tmp_path / "operations.json"
    operations.write_text(content)
    root = pyrepo.parent
    done = _codekg("compare-stores", str(pyrepo), "--db", str(root / "db"), "--store", f"ladybug:{root / 'db'}",
                   "--store", f"cozo://{root / 'cozo'}", "--operations", str(operations))
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr


def test_one_store_is_a_usage_error(pyrepo: Path) -> None:
    done = _codekg("compare-stores", str(pyrepo), "--store", f"ladybug:{pyrepo.parent / 'db'}")
    assert done.returncode == 2 and "give at least two stores" in done.stderr


def test_first_difference_names_the_place() -> None:
    assert first_difference({"a": [1, {"b": 2}]}, {"a": [1, {"b": 3}]}) == ".a[1].b: 2 against 3"
    assert first_difference({"a": [1]}, {"a": [1, 2]}) == ".a: 1 entries against 2"
    assert first_difference({"a": 1}, {"b": 1}) == ".a: only in the first answer"
    assert first_difference([{"x": None}], [{"x": None}]) is None
    assert set(OPERATIONS) == {"symbol", "callers", "callees", "context", "impact", "path", "lineage"}
