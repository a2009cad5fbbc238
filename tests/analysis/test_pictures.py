"""analysis/pictures.py: `context`, `impact` and `callgraph` as DOT, Mermaid and GraphML, read back
with pydot and networkx (each format parses, and holds exactly the nodes and edges shown)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import networkx
import pydot
import pytest

from codekg.analysis.pictures import (FORMATS, Picture, PictureEdge, PictureNode, callgraph_picture, context_picture,
                                      impact_picture, render, sql_impact_picture)
from codekg.errors import InputError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# pydot's DOT parser (used here only to read pictures back) calls pyparsing's old names
pytestmark = pytest.mark.filterwarnings("ignore:'setParseAction' deprecated:DeprecationWarning")


def codekg(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "codekg", *arguments], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def pyrepo(tmp_path_factory):
    repo = tmp_path_factory.mktemp("pictures") / "pyrepo"
    shutil.copytree(FIXTURES / "pyrepo", repo)
    assert codekg("index", str(repo), "--quiet").returncode == 0
    return repo


def result(repo: Path, *command: str) -> dict:
    found = codekg(*command, "--repo", str(repo), "--json")
    assert found.returncode == 0, found.stderr
    return json.loads(found.stdout)


def dot_graph(text: str) -> tuple[dict[str, str], set[tuple[str, str, str]]]:
    """The node labels (by DOT name) and (source label, target label, edge label) triples of DOT text."""
    [graph] = pydot.graph_from_dot_data(text)
    labels = {node.get_name(): node.get("label").strip('"').replace("\\n", "\n") for node in graph.get_nodes()
              if node.get_name() not in ("node", "edge", "graph")}
    edges = {(labels[e.get_source()], labels[e.get_destination()], e.get("label").strip('"')) for e in graph.get_edges()}
    return labels, edges


def test_context_as_mermaid_is_exact(pyrepo):
    picture = context_picture(result(pyrepo, "context", "checkout"))
    assert render(picture, "mermaid") == """---
title: "context of shop.service.checkout"
---
flowchart LR
    n0["shop.service.checkout<br/><i>Function</i>"]
    n1["shop.service<br/><i>Module</i>"]
    n2["scripts.run<br/><i>Module</i>"]
    n3["shop.models.Order<br/><i>Class</i>"]
    n4["shop.models.Order.__init__<br/><i>Method</i>"]
    n5["os.getcwd<br/><i>External</i>"]
    n6["shop.util.log<br/><i>Function</i>"]
    n7["shop.service.helper<br/><i>Function</i>"]
    n1 -->|DEFINES| n0
    n2 -->|CALLS| n0
    n0 -->|CALLS| n3
    n0 -->|CALLS| n4
    n0 -->|CALLS| n5
    n0 -->|CALLS| n6
    n0 -->|CALLS| n7
    classDef Class fill:#fde2c8
    class n3 Class
    classDef External fill:#eeeeee
    class n5 External
    classDef Function fill:#d5f0d5
    class n0,n6,n7 Function
    classDef Method fill:#e6f5d0
    class n4 Method
    classDef Module fill:#d9e8fb
    class n1,n2 Module
    style n0 stroke-width:3px
"""


def test_context_as_dot_and_graphml_read_back_to_the_same_subgraph(pyrepo):
    picture = context_picture(result(pyrepo, "context", "Order"))
    labels, edges = dot_graph(render(picture, "dot"))
    assert sorted(labels.values()) == sorted(f"{n.name}\n{n.label}" for n in picture.nodes.values())
    assert edges == {
        ("shop.models\nModule", "shop.models.Order\nClass", "DEFINES"),
        ("scripts.run\nModule", "shop.models.Order\nClass", "CALLS"),
        ("shop.service.checkout\nFunction", "shop.models.Order\nClass", "CALLS"),
        ("shop.models.Order\nClass", "shop.models.Order.TAX\nVariable", "DEFINES"),
        ("shop.models.Order\nClass", "shop.models.Order.__init__\nMethod", "HAS_METHOD"),
        ("shop.models.Order\nClass", "shop.models.Order.total\nMethod", "HAS_METHOD"),
        ("shop.models.Order\nClass", "shop.models.Order.save\nMethod", "HAS_METHOD"),
        ("shop.models.Order\nClass", "shop.models.Base\nClass", "EXTENDS"),
        ("shop.models.Counter.bump\nMethod", "shop.models.Order\nClass", "USES"),  # `def bump(order: Order)`
    }
    graph = networkx.read_graphml(io.BytesIO(render(picture, "graphml").encode()))
    assert {(graph.nodes[a]["name"], graph.nodes[b]["name"], data["relation"]) for a, b, data in graph.edges(data=True)} == {
        (a.split("\n")[0], b.split("\n")[0], relation) for a, b, relation in edges}
    assert graph.nodes["Class:src/shop/models.py:shop.models.Order"] == {
        "label": "Class", "name": "shop.models.Order", "file_path": "src/shop/models.py", "line": 14, "focus": 1}
    assert 'attr.name="focus" attr.type="long"' in render(picture, "graphml")  # not a boolean written `True`


def test_impact_joins_each_symbol_to_the_one_before_it_on_its_path(pyrepo):
    picture = impact_picture(result(pyrepo, "impact", "shop.util.log"))
    assert [(picture.nodes[e.source].name, picture.nodes[e.target].name, e.relation, e.confidence) for e in picture.edges] == [
        ("shop.service", "shop.util.log", "IMPORTS", 1.0),
        ("shop.service.checkout", "shop.util.log", "CALLS", 1.0),
        ("scripts.run", "shop.service.checkout", "CALLS", 1.0),  # depth 2, through checkout
    ]
    downstream = impact_picture(result(pyrepo, "impact", "scripts.run", "--direction", "downstream", "--depth", "1"))
    assert {(downstream.nodes[e.source].name, downstream.nodes[e.target].name, e.relation) for e in downstream.edges} >= {
        ("scripts.run", "shop.service.checkout", "CALLS")}  # downstream: from what uses to what is used
    assert all(downstream.nodes[e.source].name == "scripts.run" for e in downstream.edges)


def test_impact_of_a_class_draws_the_methods_it_started_from(pyrepo):
    picture = impact_picture(result(pyrepo, "impact", "shop.models.Base", "--depth", "1"))
    assert sorted((picture.nodes[e.source].name, picture.nodes[e.target].name, e.relation) for e in picture.edges) == [
        ("shop.models.Base", "shop.models.Base.save", "HAS_METHOD"),  # impact counts a class with its methods
        ("shop.models.Order", "shop.models.Base", "EXTENDS"),
        ("shop.models.Order.save", "shop.models.Base.save", "OVERRIDES")]
    isolated = set(picture.nodes) - {e.source for e in picture.edges} - {e.target for e in picture.edges}
    assert isolated == set()


def test_callgraph_picture_holds_every_call(pyrepo):
    graph = json.loads(codekg("callgraph", str(pyrepo), "--json").stdout)
    picture = callgraph_picture(graph)
    assert {(e.source, e.target) for e in picture.edges} == {(a, b) for a, callees in graph.items() for b in callees}
    assert set(picture.nodes) == set(graph) | {b for callees in graph.values() for b in callees}
    labels, edges = dot_graph(render(picture, "dot"))
    assert ("shop.models.Order.save", "shop.models.Base.save", "CALLS") in edges


def test_sql_impact_picture(tmp_path):
    repo = tmp_path / "sqlrepo"
    (repo / "etl").mkdir(parents=True)
    (repo / "app").mkdir()
    (repo / "etl" / "load.sql").write_text("CREATE TABLE sales (id INT, amount INT);\n"
                                           "INSERT INTO daily (id, total) SELECT id, amount FROM sales;\n")
    (repo / "app" / "report.py").write_text('def top(cursor):\n    cursor.execute("SELECT id, total FROM daily")\n')
    assert codekg("index", str(repo), "--quiet").returncode == 0
    picture = sql_impact_picture(result(repo, "impact", "<default>.sales.amount"))
    assert [(picture.nodes[e.source].name, picture.nodes[e.target].name, e.relation) for e in picture.edges] == [
        ("<default>.daily.total", "<default>.sales.amount", "DERIVES_FROM"),
        ("select app/report.py:2", "<default>.daily", "READS_FROM"),  # reads the table of what derives from it
        ("app.report.top", "select app/report.py:2", "RUNS_SQL"),
        ("insert etl/load.sql:2", "<default>.sales", "READS_FROM"),
    ]


def test_names_that_are_syntax_in_a_format_stay_text():
    hostile = 'a"b]|c<d>#e\\f\n{g};h'
    picture = Picture("title with \"quotes\" and #hash", focus="x")
    picture.add(PictureNode("x", "Function", hostile))
    picture.add(PictureNode("y", "", "plain.name"))
    picture.link(PictureEdge("x", "y", "CALLS", 0.5))
    mermaid = render(picture, "mermaid")
    body = mermaid.split("flowchart LR\n", 1)[1]
    # every character Mermaid reads as syntax is an entity code; the markup is codekg's own
    assert '    n0["a#34;b#93;#124;c#60;d#62;#35;e#92;f#10;#123;g#125;#59;h<br/><i>Function</i>"]\n' in body
    assert "    n0 -.->|CALLS 0.50| n1\n" in body  # below 1.0: dashed, with its confidence
    assert 'title: "title with #34;quotes#34; and #35;hash"' in mermaid
    [graph] = pydot.graph_from_dot_data(render(picture, "dot"))
    assert graph.get_node("n0")[0].get("label") == '"a\\"b]|c<d>#e\\\\f\\n{g};h\\nFunction"'
    assert [e.get("style") for e in graph.get_edges()] == ["dashed"]
    read = networkx.read_graphml(io.BytesIO(render(picture, "graphml").encode()))
    assert read.nodes["x"]["name"] == hostile
    assert [(a, b, data["confidence"]) for a, b, data in read.edges(data=True)] == [("x", "y", 0.5)]


def test_the_cli_prints_each_format_and_refuses_an_unknown_one(pyrepo):
    for output_format in FORMATS:
        for command in (["context", "checkout"], ["impact", "shop.util.log"]):
            found = codekg(*command, "--repo", str(pyrepo), "--format", output_format)
            assert found.returncode == 0 and found.stdout.strip(), (command, output_format, found.stderr)
    assert codekg("callgraph", str(pyrepo), "--format", "mermaid").stdout.startswith('---\ntitle: "call graph"')
    both = codekg("impact", "shop.util.log", "--repo", str(pyrepo), "--format", "dot", "--json")
    assert (both.returncode, both.stdout.strip()) == (2, '{"error": "input", "message": "--json and --format dot ask for '
                                                          'two outputs: give one", "exit_code": 2}')
    refused = codekg("context", "checkout", "--repo", str(pyrepo), "--format", "svg")
    assert (refused.returncode, refused.stderr.strip()) == (2, "error: unknown --format 'svg': use text, json, dot, mermaid, graphml")
    with pytest.raises(InputError):
        render(Picture("t"), "svg")
