"""The query layer (stores/reads.py): each primitive's exact records on a real index of a small
generated repository, from the embedded store and from a real FalkorDB server alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codekg.pipeline import index_repository
from codekg.settings import load_settings
from codekg.stores import open_index
from codekg.stores.base import GraphStore
from codekg.stores.reads import IN, OUT, Expansion, Neighbour, Step
from codekg.stores.reads_cypher import IN_FILTER_MAX_IDS
from graphs import write_repo

F0, F1 = "Function:pkg/mod0.py:pkg.mod0.f0", "Function:pkg/mod0.py:pkg.mod0.f1"
G0, G1 = "Function:pkg/mod1.py:pkg.mod1.f0", "Function:pkg/mod1.py:pkg.mod1.f1"
C0, C1 = "Class:pkg/mod0.py:pkg.mod0.C0", "Class:pkg/mod1.py:pkg.mod1.C1"
RUN0, RUN1 = "Method:pkg/mod0.py:pkg.mod0.C0.run", "Method:pkg/mod1.py:pkg.mod1.C1.run"
MOD0, MOD1 = "Module:pkg/mod0.py:pkg.mod0", "Module:pkg/mod1.py:pkg.mod1"

NODE = {  # NODE_COLUMNS of each node the tests read
    F0: ("Function", F0, "f0", "pkg.mod0.f0", "pkg/mod0.py", 3, 4),
    F1: ("Function", F1, "f1", "pkg.mod0.f1", "pkg/mod0.py", 7, 8),
    G0: ("Function", G0, "f0", "pkg.mod1.f0", "pkg/mod1.py", 4, 5),
    G1: ("Function", G1, "f1", "pkg.mod1.f1", "pkg/mod1.py", 8, 9),
    C0: ("Class", C0, "C0", "pkg.mod0.C0", "pkg/mod0.py", 11, 13),
    C1: ("Class", C1, "C1", "pkg.mod1.C1", "pkg/mod1.py", 12, 14),
    RUN0: ("Method", RUN0, "run", "pkg.mod0.C0.run", "pkg/mod0.py", 12, 13),
    RUN1: ("Method", RUN1, "run", "pkg.mod1.C1.run", "pkg/mod1.py", 13, 14),
    MOD0: ("Module", MOD0, "mod0", "pkg.mod0", "pkg/mod0.py", 1, 13),
    MOD1: ("Module", MOD1, "mod1", "pkg.mod1", "pkg/mod1.py", 1, 14),
    "File:pkg/mod0.py": ("File", "File:pkg/mod0.py", "mod0.py", "pkg/mod0.py", "pkg/mod0.py", 1, 13),
}
CALL_EDGE = ("confidence", "reason", "line")


@pytest.fixture(scope="module", params=["embedded", "falkordb", "cozo"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphStore]:
    """Two modules of two functions and a class each (tests/stores/graphs.py), indexed into the store."""
    root = tmp_path_factory.mktemp(request.param)
    repo = write_repo(root / "repo", modules=2, functions=2)
    overrides: dict[str, Any] = {}
    if request.param == "falkordb":
        server = request.getfixturevalue("falkordb_server")
        overrides["store"] = server.uri("reads")
    elif request.param == "cozo":
        overrides["store"] = f"cozo://{root / 'cozo'}"
    settings = load_settings(repo, **overrides)
    index_repository(repo, root / "db", settings)
    opened = open_index(root / "db", settings)
    yield opened
    opened.close()
    if request.param == "falkordb":
        client = server.client()
        try:
            client.select_graph("reads").delete()
        finally:
            client.close()


def test_nodes_by_key_of_a_label(store: GraphStore) -> None:
    assert store.reads.nodes("Function", where={"id": F0}) == [NODE[F0]]
    assert sorted(store.reads.nodes("Function", where={"id": [F1, G0, "Function:nowhere"]})) == [NODE[F1], NODE[G0]]
    assert store.reads.nodes("Class", where={"id": F0}) == []


def test_nodes_by_key_above_the_in_filter_limit(store: GraphStore) -> None:
    ids = [f"Function:none{i}" for i in range(IN_FILTER_MAX_IDS)] + [G1]
    assert store.reads.nodes("Function", where={"id": ids}, columns=("qualified_name",)) == [("pkg.mod1.f1",)]


def test_nodes_of_any_label_by_property(store: GraphStore) -> None:
    found = store.reads.nodes(where={"name": "f0"}, columns=("label", "id", "qualified_name"))
    assert sorted(found) == [("Function", F0, "pkg.mod0.f0"), ("Function", G0, "pkg.mod1.f0")]


def test_nodes_of_several_labels_by_membership(store: GraphStore) -> None:
    found = store.reads.nodes(("Class", "Method"), where={"file_path": ["pkg/mod1.py", "pkg/none.py"]})
    assert sorted(found) == [NODE[C1], NODE[RUN1]]


def test_nodes_matching_any_filter_each_once(store: GraphStore) -> None:
    either = [{"qualified_name": "pkg.mod0.f1"}, {"name": "f1"}, {"id": C0}]
    assert sorted(store.reads.nodes(where=either, columns=("file_path",), distinct=True)) == [
        ("pkg/mod0.py",), ("pkg/mod1.py",)]
    names = store.reads.nodes(("Function", "Method"), columns=("name",), distinct=True)
    assert sorted(names) == [("f0",), ("f1",), ("run",)]


def test_nodes_holding_a_line(store: GraphStore) -> None:
    found = store.reads.nodes(where={"file_path": "pkg/mod0.py"}, holding_line=12)
    assert sorted(found, key=lambda row: row[1]) == [NODE[C0], NODE["File:pkg/mod0.py"], NODE[RUN0], NODE[MOD0]]


def test_nodes_of_a_label_with_other_columns(store: GraphStore) -> None:
    assert sorted(store.reads.nodes("File", columns=("file_path", "language", "is_test"))) == [
        ("pkg/__init__.py", "python", False), ("pkg/mod0.py", "python", False), ("pkg/mod1.py", "python", False)]
    assert store.reads.nodes("Function", where={"id": F0}, columns=("signature", "docstring")) == [("def f0()", "")]


def test_neighbours_in_and_out_with_edge_properties(store: GraphStore) -> None:
    steps = [Step("callers", ("CALLS",), IN, edge_columns=CALL_EDGE),
             Step("callees", ("CALLS",), OUT, edge_columns=("confidence", "call_count"))]
    found = store.reads.neighbours([Expansion([F0], steps, "Function")])
    blank = {"confidence": 1.0, "reason": None, "line": None, "call_count": None}
    assert sorted(found) == [
        Neighbour("callees", F0, "CALLS", NODE[F1], {**blank, "call_count": 1}),
        Neighbour("callers", F0, "CALLS", NODE[G1], {**blank, "reason": "import", "line": 9}),
        Neighbour("callers", F0, "CALLS", NODE[RUN0], {**blank, "reason": "same-file", "line": 13}),
    ]


def test_neighbours_of_several_expansions_in_one_read(store: GraphStore) -> None:
    found = store.reads.neighbours([
        Expansion([MOD1], [Step("defines", ("DEFINES",), OUT, exclude_labels=("Import",))], "Module"),
        Expansion(["File:pkg/mod0.py"], [Step("importers", ("IMPORTS",), IN, labels=("File",),
                                              edge_columns=("names", "line"), then=("DEFINES", "Module"))], "File"),
        Expansion([C0, RUN1], [Step("members", ("HAS_METHOD", "CALLS"), OUT, labels=("Method", "Function"))]),
    ])
    none = {"names": None, "line": None}
    assert sorted(found) == [
        Neighbour("defines", MOD1, "DEFINES", NODE[C1], none),
        Neighbour("defines", MOD1, "DEFINES", NODE[G0], none),
        Neighbour("defines", MOD1, "DEFINES", NODE[G1], none),
        Neighbour("importers", "File:pkg/mod0.py", "IMPORTS", NODE[MOD1], {"names": ["f0"], "line": 1}),
        Neighbour("members", C0, "HAS_METHOD", NODE[RUN0], none),
        Neighbour("members", RUN1, "CALLS", NODE[G0], none),
    ]


def test_neighbours_of_one_kind_tell_their_relation(store: GraphStore) -> None:
    steps = [Step("any", ("CALLS",), OUT), Step("any", ("HAS_METHOD",), OUT)]
    found = store.reads.neighbours([Expansion([C0], steps, "Class"), Expansion([RUN0], steps, "Method")], ("id",))
    assert sorted(found) == [Neighbour("any", C0, "HAS_METHOD", (RUN0,), {}), Neighbour("any", RUN0, "CALLS", (F0,), {})]


def test_neighbours_from_every_node_of_some_labels(store: GraphStore) -> None:
    calls = Step("calls", ("CALLS",), labels=("Function",), min_confidence=0.5)
    found = store.reads.neighbours([Expansion(None, [calls], ("Method", "Class"))], ("qualified_name",))
    assert sorted((n.near, n.node) for n in found) == [(RUN0, ("pkg.mod0.f0",)), (RUN1, ("pkg.mod1.f0",))]
    every = store.reads.neighbours([Expansion(None, [Step("calls", ("CALLS",))])], ("id",))
    assert sorted((n.near, n.node[0]) for n in every) == [(F0, F1), (G0, G1), (G1, F0), (RUN0, F0), (RUN1, G0)]


def test_neighbours_below_the_minimum_confidence_or_from_no_node(store: GraphStore) -> None:
    strict = Step("callers", ("CALLS",), IN, min_confidence=1.5)
    assert store.reads.neighbours([Expansion([F0], [strict], "Function")]) == []
    assert store.reads.neighbours([Expansion([], [strict], "Function")]) == []
    many = [f"Function:none{i}" for i in range(IN_FILTER_MAX_IDS)] + [F0, F1]
    found = store.reads.neighbours([Expansion(many, [Step("callers", ("CALLS",), IN)], "Function")], ("id",))
    assert sorted((n.near, n.node[0]) for n in found) == [(F0, G1), (F0, RUN0), (F1, F0)]


def test_metadata(store: GraphStore) -> None:
    assert store.reads.metadata(["commit", "schema_version", "no such key"]) == {"commit": "", "schema_version": "7"}
    everything = store.reads.metadata()
    assert everything["repo_root"].endswith("/repo") and everything == store.read_metadata()


def test_counts(store: GraphStore) -> None:
    assert (store.reads.count_nodes("Function"), store.reads.count_nodes("Interface")) == (4, 0)
    assert (store.reads.count_edges("CALLS"), store.reads.count_edges("IMPORTS")) == (5, 1)
    assert store.reads.count_values("File", "language") == {"python": 3}
    assert store.reads.count_values("Function", "file_path") == {"pkg/mod0.py": 2, "pkg/mod1.py": 2}
